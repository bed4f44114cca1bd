/**
 * Moving cards on the board without a page load, for the "Move to" buttons, dragging and the
 * `1`/`2`/`3` shortcuts alike: the card moves at once, the JSON API is told (PATCH with `status`
 * and `position`), and the move is announced in the page's status region. A move the server
 * refuses or never answers puts the card back where it was and says so.
 *
 * 1. One user action is one Idempotency-Key: a retry after a network error or a 503 sends the same
 *    key, so a move that did land but whose answer was lost is not applied twice.
 * 2. The position sent names the card's new neighbour (`{after: id}`, else `{before: id}`), the
 *    same order the server renders after a reload; with no neighbour the card goes first.
 * 3. Only on the board in its own order (`data-order="manual"`): sorted by something else, the
 *    server alone knows where a card goes, so the buttons post their form as without JavaScript.
 */

const LABELS: Record<string, string> = { todo: 'To do', doing: 'Doing', done: 'Done' };
/** Waits before each retry of a failed request (ms): two retries, then the move is undone. */
const RETRY_DELAYS = [400, 1200];

/** Where a card sat before a move: enough to put it back exactly. */
export interface Origin {
  list: HTMLElement;
  next: Element | null;
}

/** The board element, when this page has one that the API can reorder. */
export function boardOf(): HTMLElement | null {
  return document.querySelector<HTMLElement>('[data-tasks-api]');
}

/** The card's task id (`task-7` → 7). */
export function taskIdOf(card: Element): number {
  return Number(card.id.replace(/^task-/, ''));
}

/** The card's title as shown. */
export function titleOf(card: Element): string {
  return card.querySelector('h3')?.textContent?.trim() ?? '';
}

/** The status of the column a card list belongs to. */
export function statusOf(list: Element): string {
  return (list as HTMLElement).dataset.cards ?? '';
}

/** The empty states that made way for a card list, to put back if the list is left empty. */
const emptyStates = new WeakMap<HTMLElement, Element>();

/** The card list of `status`'s column, made when the column was empty (its empty state goes). */
export function listFor(status: string): HTMLElement | null {
  const existing = document.querySelector<HTMLElement>(`.board [data-cards="${status}"]`);
  if (existing) return existing;
  const column = document.getElementById(`column-${status}`);
  if (!column) return null;
  const list = document.createElement('ul');
  list.className = 'cards';
  list.dataset.cards = status;
  const empty = column.querySelector(':scope > .empty');
  if (empty) {
    empty.replaceWith(list);
    emptyStates.set(list, empty);
  } else column.querySelector('h2')?.after(list);
  return list;
}

/** Gives a column its empty state back when a drag passed through it, or a move there failed. */
export function restoreEmptyStates(): void {
  for (const list of document.querySelectorAll<HTMLElement>('.board [data-cards]')) {
    const empty = emptyStates.get(list);
    if (!empty || list.children.length > 0) continue;
    list.replaceWith(empty);
    emptyStates.delete(list);
  }
}

/**
 * After `card` was moved in the page from `origin`, tells the server (one key for this move) and
 * announces the outcome, or puts the card back. Resolves to whether the move was kept.
 */
export async function commitMove(card: HTMLElement, origin: Origin, key = newKey()): Promise<boolean> {
  const board = boardOf();
  const list = card.parentElement;
  if (!board || !list) return false;
  const status = statusOf(list);
  const from = statusOf(origin.list);
  if (list === origin.list && card.nextElementSibling === origin.next) return true;
  const prev = card.previousElementSibling;
  const next = card.nextElementSibling;
  const position = prev ? { after: taskIdOf(prev) } : next ? { before: taskIdOf(next) } : 'first';
  syncCard(card, status, from);
  try {
    await patch(`${board.dataset.tasksApi}/${taskIdOf(card)}`, { status, position }, key);
  } catch (err) {
    origin.list.insertBefore(card, origin.next);
    syncCard(card, from, status);
    restoreEmptyStates();
    const reason = err instanceof Error ? err.message : 'the server did not answer';
    announce(`Could not move “${titleOf(card)}”: ${reason} It is back in ${LABELS[from]}.`, true);
    return false;
  }
  const cards = [...list.children];
  announce(
    `Moved “${titleOf(card)}” to ${LABELS[status]}, position ${cards.indexOf(card) + 1} of ${countOf(status)}.`,
  );
  return true;
}

/** A fresh Idempotency-Key for one user action. */
export function newKey(): string {
  // randomUUID exists only in secure contexts (HTTPS, localhost); a plain-HTTP address gets a
  // random key from getRandomValues instead.
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  return [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Says `message` in the page's status region (polite), as an error when `failed`. */
export function announce(message: string, failed = false): void {
  const region = document.querySelector<HTMLElement>('[data-notice]');
  if (!region) return;
  const p = document.createElement('p');
  p.className = failed ? 'alert alert--error' : 'notice';
  p.textContent = message;
  region.replaceChildren(p);
}

/** PATCHes `body` to `url`, retrying network errors, 503s and in-use keys with the same key. */
async function patch(url: string, body: unknown, key: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    let res: Response | undefined;
    try {
      res = await fetch(url, {
        method: 'PATCH',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'Idempotency-Key': key },
        body: JSON.stringify(body),
      });
    } catch {
      res = undefined;
    }
    if (res?.ok) return;
    const retryable = !res || res.status === 503 || res.status === 409 || res.status === 429;
    const delay = RETRY_DELAYS[attempt];
    if (!retryable || delay === undefined) throw new Error(await reasonOf(res));
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

/** Why an API call failed, in words: the API's own error message, else what the status means. */
export async function reasonOf(res: Response | undefined): Promise<string> {
  if (!res) return 'the server could not be reached.';
  try {
    const message = (await res.json())?.error?.message;
    if (typeof message === 'string' && message) return message;
  } catch {
    // Not the API's JSON (a proxy's page, say): say what the status means instead.
  }
  return res.status === 503
    ? 'the server is busy; try again in a moment.'
    : `the server answered ${res.status}.`;
}

/** Updates what a card and the columns show for a move `from` → `to`: buttons, counts, class. */
function syncCard(card: HTMLElement, to: string, from: string): void {
  card.classList.toggle('card--done', to === 'done');
  const others = Object.keys(LABELS).filter((s) => s !== to);
  const title = titleOf(card);
  card.querySelectorAll<HTMLButtonElement>('button[name="move"]').forEach((button, i) => {
    const status = others[i];
    if (!status) return;
    button.value = `${taskIdOf(card)}:${status}`;
    button.textContent = LABELS[status] ?? status;
    button.setAttribute('aria-label', `Move “${title}” to ${LABELS[status]}`);
  });
  if (to !== from) {
    addCount(from, -1);
    addCount(to, 1);
  }
}

/** How many tasks the column of `status` holds (its heading's count). */
function countOf(status: string): number {
  return Number(document.querySelector(`#column-${status} .column__count`)?.firstChild?.textContent ?? 0);
}

function addCount(status: string, delta: number): void {
  const n = countOf(status) + delta;
  for (const count of document.querySelectorAll(
    `#column-${status} .column__count, .board-tabs__tab--${status} .board-tabs__count`,
  )) {
    const text = count.firstChild;
    if (text?.nodeType === Node.TEXT_NODE) text.textContent = String(n);
    const unit = count.querySelector('.visually-hidden');
    if (unit) unit.textContent = n === 1 ? ' task' : ' tasks';
  }
}

/**
 * The cards' "Move to" buttons move the card in place (to the top of the other column, as the
 * form does) instead of posting the page's move form. Where the page cannot show the result
 * itself, the form is posted as without JavaScript: a column that is not on the page (a status
 * filter), or a board sorted by something other than its own order (the server places the card).
 */
export function enhanceMoveButtons(): void {
  document.addEventListener('click', (event) => {
    const button =
      event.target instanceof Element ? event.target.closest<HTMLButtonElement>('button[name="move"]') : null;
    const card = button?.closest<HTMLElement>('.card');
    if (!button || !card || !inOwnOrder()) return;
    const list = listFor(button.value.split(':')[1] ?? '');
    if (!list) return;
    event.preventDefault();
    moveToTop(card, list);
  });
}

/** Whether this page is a board in its own order, where the script can place cards itself. */
export function inOwnOrder(): boolean {
  return boardOf()?.dataset.order === 'manual';
}

/**
 * Moves `card` to the top of `list` and commits it. Like the form's redirect to `#task-7`, the
 * address then names the card, so it is highlighted, scrolled to, and on a phone its column shows;
 * keyboard focus stays on it.
 */
export async function moveToTop(card: HTMLElement, list: HTMLElement): Promise<boolean> {
  const origin = { list: card.parentElement as HTMLElement, next: card.nextElementSibling };
  list.prepend(card);
  highlight(card);
  const kept = await commitMove(card, origin);
  // Put back, it is still the card the address names: its old column shows again by itself.
  card.querySelector<HTMLElement>('h3 a')?.focus({ preventScroll: true });
  return kept;
}

/** Marks `card` as the one the last action was about, in the address too (see moveToTop). */
export function highlight(card: HTMLElement): void {
  for (const other of document.querySelectorAll('.card--highlight'))
    other.classList.remove('card--highlight');
  card.classList.add('card--highlight');
  location.replace(`#${card.id}`);
  card.scrollIntoView({ block: 'center' });
  card.querySelector<HTMLElement>('h3 a')?.focus({ preventScroll: true });
}
