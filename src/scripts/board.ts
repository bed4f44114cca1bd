/**
 * Board and list enhancements: the phone's column tabs say which is current, "Show more" loads the
 * next cards in place, and after a task form the card it was about gets keyboard focus and the
 * status message is announced. Without this file the same links and redirects do the same jobs
 * with a page load each.
 */

/** Marks the tab of the column on show (the one the fragment points at or into, else the first). */
export function trackColumnTabs(): void {
  const tabs = [...document.querySelectorAll<HTMLAnchorElement>('.board-tabs a[data-tab]')];
  if (tabs.length === 0) return;
  const sync = () => {
    const target = location.hash ? document.getElementById(decodeURIComponent(location.hash.slice(1))) : null;
    const column = target?.closest<HTMLElement>('.column');
    const current = column?.id.replace(/^column-/, '') ?? tabs[0]?.dataset.tab;
    for (const tab of tabs) {
      if (tab.dataset.tab === current) tab.setAttribute('aria-current', 'true');
      else tab.removeAttribute('aria-current');
    }
  };
  sync();
  window.addEventListener('hashchange', sync);
}

/**
 * "Show more" fetches the board with the longer column and moves the new cards into this page,
 * instead of loading it all again; the address is updated so a reload shows the same cards.
 */
export function showMoreInPlace(): void {
  document.addEventListener('click', async (event) => {
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const link =
      event.target instanceof Element ? event.target.closest<HTMLAnchorElement>('a[data-show-more]') : null;
    const status = link?.dataset.showMore;
    const list = document.querySelector<HTMLElement>(`[data-cards="${status}"]`);
    if (!link || !status || !list) return;
    event.preventDefault();
    link.setAttribute('aria-disabled', 'true');
    try {
      const res = await fetch(link.href, { headers: { accept: 'text/html' }, credentials: 'same-origin' });
      if (!res.ok || !res.url.startsWith(location.origin)) throw new Error(`status ${res.status}`);
      const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
      const have = new Set([...list.children].map((li) => li.id));
      const added = [...(doc.querySelector(`[data-cards="${status}"]`)?.children ?? [])].filter(
        (li) => li.id && !have.has(li.id),
      );
      list.append(...added.map((li) => document.adoptNode(li)));
      const more = doc.querySelector(`[data-more="${status}"]`);
      const current = document.querySelector(`[data-more="${status}"]`);
      if (more) current?.replaceWith(document.adoptNode(more));
      else current?.remove();
      retarget(doc);
      history.replaceState(null, '', link.href.split('#')[0]);
      const first = added[0]?.querySelector<HTMLElement>('h3 a');
      first?.focus({ preventScroll: true });
      first?.closest('li')?.scrollIntoView({ block: 'nearest' });
    } catch {
      location.href = link.href;
    }
  });
}

/** Points this page's forms at the address `doc` was rendered for (where they come back to). */
function retarget(doc: Document): void {
  const returnTo = doc.querySelector<HTMLInputElement>('input[name="returnTo"]')?.value;
  if (!returnTo) return;
  for (const input of document.querySelectorAll<HTMLInputElement>('input[name="returnTo"]'))
    input.value = returnTo;
  for (const form of document.querySelectorAll<HTMLFormElement>('form[method="POST" i]')) {
    const action = new URL(form.action, location.href);
    const name = action.searchParams.get('_action');
    if (!name || action.pathname !== location.pathname) continue;
    const next = new URL(returnTo, location.href);
    next.searchParams.set('_action', name);
    form.action = next.pathname + next.search;
  }
}

/**
 * After a task form's redirect (`?notice=moved&task=7#task-7`): the card is centred and takes
 * keyboard focus (moved or saved; after adding, Title has it), the status message is announced,
 * and the notice leaves the address so a reload does not repeat it.
 */
export function settleNotice(): void {
  const region = document.querySelector<HTMLElement>('[data-notice]');
  const notice = region?.querySelector<HTMLElement>('.notice');
  const params = new URLSearchParams(location.search);
  const kind = params.get('notice');
  if (params.has('notice') || params.has('task')) {
    params.delete('notice');
    params.delete('task');
    const query = params.toString();
    history.replaceState(null, '', `${location.pathname}${query ? `?${query}` : ''}${location.hash}`);
  }
  if (!region || !notice) return;
  // A live region announces changes, not what it held at load: put the message back in, once.
  notice.remove();
  setTimeout(() => region.append(notice), 150);
  region.addEventListener('click', (event) => {
    if (event.target instanceof Element && event.target.closest('[data-dismiss-notice]')) {
      event.preventDefault();
      notice.remove();
    }
  });
  if (kind !== 'moved' && kind !== 'saved') return;
  const card = document.querySelector<HTMLElement>('.card--highlight');
  if (!card) return;
  // After the browser's own jump to the fragment, which happens once the page has loaded.
  const settle = () =>
    requestAnimationFrame(() => {
      card.scrollIntoView({ block: 'center' });
      card.querySelector<HTMLElement>('h3 a')?.focus({ preventScroll: true });
    });
  if (document.readyState === 'complete') settle();
  else window.addEventListener('load', settle, { once: true });
}
