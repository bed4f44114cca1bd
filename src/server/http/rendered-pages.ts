/**
 * The app's side of the page cache (page-cache.ts): which rendered pages are kept, and the check a
 * kept page must pass before server.ts sends it again. Both need the runtime, which lives in the
 * app's bundle; server.ts only holds the pages.
 */
import type { APIContext } from 'astro';
import { dayIn, utcOffsetOf } from '../../lib/dates.ts';
import { findSession } from '../auth/sessions.ts';
import { getUserById } from '../auth/users.ts';
import type { Replica } from '../persistence/replica.ts';
import { getRuntime } from '../runtime.ts';
import { readSwitcher } from '../workspaces/switcher.ts';
import { cutAtTokens, findPageCache, keyOf, type PageBasis } from './page-cache.ts';
import { watchBody } from './respond.ts';

/** What a page that may be kept records while it renders (Astro.locals.keep). */
export interface KeepablePage {
  /** What the render read, before it began (pageBasisOf; set by the middleware for pages). */
  versions?: string;
  /** Set by a page that may be kept: the user's clock its dates were worked out for. */
  clock?: PageBasis['clock'];
  /** Every one-time form token the page carries (FormToken). */
  formTokens: string[];
}

/**
 * What a board or list was rendered from, as one string: the workspace object's version, and the
 * rows of the directory the page reads — the session's, the user's, and the header's workspaces and
 * invitation count (the same reads as the page's, so nothing it shows is left out). Not the
 * directory's version: sign-ups and logins write the directory all the time, and none of them
 * changes this user's page.
 */
export function pageBasisOf(
  directory: Replica,
  workspace: Replica,
  sessionIdHash: string,
  userId: number,
): string {
  return `${versionOf(workspace)} ${directoryView(directory, sessionIdHash, userId)}`;
}

function versionOf(replica: Replica): string {
  return `${replica.object?.etag ?? ''}:${replica.object?.versionId ?? ''}`;
}

/**
 * The directory rows a page shows, read once per version of the directory copy: a version names
 * one content (the copy and its version change together, in one step), so while the directory does
 * not change a hit costs no query.
 */
const views = { version: '', rows: new Map<string, string>() };
const MAX_VIEWS = 10_000;
function directoryView(directory: Replica, sessionIdHash: string, userId: number): string {
  const version = versionOf(directory);
  if (views.version !== version || views.rows.size >= MAX_VIEWS) {
    views.version = version;
    views.rows.clear();
  }
  const key = `${sessionIdHash} ${userId}`;
  let view = views.rows.get(key);
  if (view === undefined) {
    view = directory.read((db) => {
      const user = getUserById(db, userId);
      // The row as stored, expired or not (a function of the copy alone; the session's end is
      // PageBasis.sessionStableUntil's job).
      const session = findSession(db, sessionIdHash, new Date(0));
      return JSON.stringify([session, user, user ? readSwitcher(db, user) : null]);
    });
    views.rows.set(key, view);
  }
  return view;
}

/**
 * `res` as the app answered it, kept once it has been sent in full when the page opted in, was a
 * 200 text/html answer to a GET, set no cookie, and neither object changed while it rendered.
 */
export function keepRendered(ctx: APIContext, res: Response): Response {
  const cache = findPageCache();
  const { keep, user, session, workspace } = ctx.locals;
  if (
    !cache?.enabled ||
    ctx.request.method !== 'GET' ||
    !keep?.clock ||
    !keep.versions ||
    !user ||
    !session ||
    !workspace?.replica ||
    res.status !== 200 ||
    !res.body ||
    !/^text\/html\b/i.test(res.headers.get('content-type') ?? '') ||
    res.headers.has('set-cookie')
  ) {
    return res;
  }
  const h = ctx.request.headers;
  const key = keyOf(h.get('host'), ctx.request.url, h.get('cookie'), h.get('accept-language'));
  if (!key) return res;
  cache.setCheck(stillTrue);
  const { clock, versions, formTokens } = keep;
  const replica = workspace.replica;
  const basis: PageBasis = {
    userId: user.id,
    sessionIdHash: session.idHash,
    workspaceId: workspace.id,
    versions,
    clock,
    sessionStableUntil: session.stableUntil,
  };
  const headers = [...res.headers].filter(
    ([name]) => !/^(set-cookie|content-length|content-encoding)$/i.test(name),
  );
  const store = (html: Buffer) => {
    if (!ctx.cookies.headers().next().done) return;
    // Neither object moved while the page rendered: its content is what `versions` says.
    if (pageBasisOf(ctx.locals.rt.engine.directory, replica, basis.sessionIdHash, basis.userId) !== versions)
      return;
    const cut = cutAtTokens(html, formTokens);
    if (cut) cache.store(key, { ...basis, headers, ...cut });
  };
  const chunks: Uint8Array[] = [];
  return watchBody(res, {
    onChunk: (chunk) => chunks.push(chunk),
    onEnd: (complete) => {
      if (!complete) return;
      try {
        store(Buffer.concat(chunks));
      } catch {
        // Keeping a page is an optimisation: it never fails the response.
      }
    },
  });
}

/**
 * The check every hit passes (see page-cache.ts): both objects revalidated as a render would, and
 * the workspace's version and the directory rows the page read still what they were; the session
 * neither ended nor due for a new cookie; the user's day and UTC offset unchanged.
 */
async function stillTrue(basis: PageBasis): Promise<boolean> {
  const rt = getRuntime();
  const { engine } = rt;
  if (rt.status().state !== 'ready') return false;
  const arrivedAt = engine.now();
  const lease = await engine.workspace(basis.workspaceId);
  try {
    await Promise.all([engine.directory.ensureFresh(arrivedAt), lease.replica.ensureFresh(arrivedAt)]);
    if (pageBasisOf(engine.directory, lease.replica, basis.sessionIdHash, basis.userId) !== basis.versions)
      return false;
  } finally {
    lease.release();
  }
  if (Date.now() >= basis.sessionStableUntil) return false;
  const { timeZone, today, utcOffset } = basis.clock;
  return dayIn(timeZone) === today && utcOffsetOf(timeZone) === utcOffset;
}
