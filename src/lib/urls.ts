/**
 * Paths the pages build: where a form posts, where it comes back to, links that keep the filters.
 * Every `returnTo`/`back` value is checked again on the server (safeReturnTo), so these only need
 * to produce good paths, not defend against bad ones.
 */

const ACTION_PARAM = '_action';

/** The current page's path and query, without Astro's `_action` parameter. */
export function getCurrentPath(url: URL): string {
  const params = new URLSearchParams(url.search);
  params.delete(ACTION_PARAM);
  const query = params.toString();
  return query ? `${url.pathname}?${query}` : url.pathname;
}

/**
 * The URL a form posts to so that `action` runs and, on failure, this same page (with its filters)
 * renders the form again. `action` is an Astro action (its string form is `?_action=name`).
 */
export function getActionUrl(path: string, action: { toString(): string }): string {
  const name = new URLSearchParams(String(action)).get(ACTION_PARAM) ?? '';
  const [pathname = '/', query = ''] = path.split('?', 2);
  const params = new URLSearchParams(query);
  params.delete(ACTION_PARAM);
  params.set(ACTION_PARAM, name);
  return `${pathname}?${params.toString()}`;
}

/** `path` with `?back=<from>` so the next page can offer a way back to where the user was. */
export function withBack(path: string, from: string): string {
  return `${path}?back=${encodeURIComponent(from)}`;
}

/** `path` inside workspace `id`: `/w/{id}/…` (`path` starts with "/"). */
export function inWorkspace(id: string, path: string): string {
  return `/w/${id}${path}`;
}

/** `path` inside the workspace the current request works in (see the middleware). */
export function inCurrentWorkspace(locals: App.Locals, path: string): string {
  const id = locals.workspace?.id ?? locals.user?.personalWorkspaceId;
  return id ? inWorkspace(id, path) : path;
}
