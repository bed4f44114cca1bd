/**
 * Dragging cards with a mouse, pen or finger (pointer events, no library): drop a card in another
 * column to move it there, or higher or lower in its own column to reorder it. The card follows
 * the pointer and the others make room as it goes, so where it lands is what the page shows.
 *
 * - A mouse drag starts once the pointer has moved a few pixels, so a click on the title is still
 *   a click. A finger has to rest on the card first (a long press), so a swipe still scrolls.
 * - On a phone only one column shows: dropping a card on a column's tab moves it there.
 * - Escape, or a pointer the browser takes back (pointercancel), puts the card back.
 * - Only on the board in its own order: sorted by due date, say, where a card goes is the
 *   server's to decide, and the Move buttons post their form.
 * The "Move to" buttons stay the way to do this by keyboard or without JavaScript.
 */
import {
  boardOf,
  commitMove,
  highlight,
  inOwnOrder,
  listFor,
  type Origin,
  restoreEmptyStates,
} from './moves.ts';

/** Pixels a mouse must move with the button down before a press becomes a drag. */
const MOUSE_SLOP = 5;
/** How long a finger rests on a card before it can be dragged (ms), and how far it may wander. */
const LONG_PRESS_MS = 350;
const TOUCH_SLOP = 10;

interface Drag {
  card: HTMLElement;
  pointerId: number;
  startX: number;
  startY: number;
  /** Where in the card it was grabbed. */
  grabX: number;
  grabY: number;
  origin: Origin;
  active: boolean;
  timer: number | undefined;
}

/** Lets the board's cards be dragged between and within columns (see the top of this file). */
export function enableDragging(): void {
  const board = boardOf();
  if (!board) return;
  let drag: Drag | undefined;
  // A drag that ends over the title link must not follow it.
  let swallowClick = false;

  const start = (d: Drag) => {
    d.active = true;
    d.card.classList.add('card--dragging');
    document.documentElement.classList.add('dragging');
  };
  const finish = async (keep: boolean) => {
    const d = drag;
    drag = undefined;
    if (!d) return;
    clearTimeout(d.timer);
    if (!d.active) return;
    swallowClick = true;
    setTimeout(() => {
      swallowClick = false;
    }, 0);
    d.card.classList.remove('card--dragging');
    d.card.style.transform = '';
    document.documentElement.classList.remove('dragging');
    document.querySelector('.board-tabs__tab--drop')?.classList.remove('board-tabs__tab--drop');
    if (!keep) {
      d.origin.list.insertBefore(d.card, d.origin.next);
      restoreEmptyStates();
      return;
    }
    restoreEmptyStates();
    // Dropped on a phone's tab, the card went to a column not on show: follow it there.
    if (d.card.offsetParent === null) highlight(d.card);
    await commitMove(d.card, d.origin);
  };

  board.addEventListener('pointerdown', (event) => {
    // Sorted by something else, the server decides where a card goes: the Move buttons do it.
    if (drag || !event.isPrimary || event.button !== 0 || !inOwnOrder()) return;
    const target = event.target as Element;
    const card = target.closest<HTMLElement>('.card');
    if (!card?.parentElement || target.closest('button, input, select, textarea')) return;
    const rect = card.getBoundingClientRect();
    drag = {
      card,
      pointerId: event.pointerId,
      startX: event.clientX,
      startY: event.clientY,
      grabX: event.clientX - rect.left,
      grabY: event.clientY - rect.top,
      origin: { list: card.parentElement, next: card.nextElementSibling },
      active: false,
      timer: undefined,
    };
    if (event.pointerType === 'touch') {
      const d = drag;
      d.timer = window.setTimeout(() => start(d), LONG_PRESS_MS);
    }
  });

  document.addEventListener('pointermove', (event) => {
    const d = drag;
    if (!d || event.pointerId !== d.pointerId) return;
    const moved = Math.hypot(event.clientX - d.startX, event.clientY - d.startY);
    if (!d.active) {
      if (event.pointerType === 'touch') {
        // Moving before the long press ends is a scroll: let the browser have it.
        if (moved > TOUCH_SLOP) finish(false);
        return;
      }
      if (moved < MOUSE_SLOP) return;
      start(d);
    }
    event.preventDefault();
    follow(d, event.clientX, event.clientY);
  });

  // Once a finger drag has started, the page must not scroll under it.
  document.addEventListener(
    'touchmove',
    (event) => {
      if (drag?.active) event.preventDefault();
    },
    { passive: false },
  );
  document.addEventListener('pointerup', (event) => {
    if (drag && event.pointerId === drag.pointerId) finish(true);
  });
  document.addEventListener('pointercancel', (event) => {
    if (drag && event.pointerId === drag.pointerId) finish(false);
  });
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && drag?.active) finish(false);
  });
  // The browser's own drag of a link or text would end the pointer events.
  board.addEventListener('dragstart', (event) => event.preventDefault());
  // A long press on a phone opens the context menu; not while it is a drag.
  board.addEventListener('contextmenu', (event) => {
    if (drag) event.preventDefault();
  });
  document.addEventListener(
    'click',
    (event) => {
      if (!swallowClick) return;
      swallowClick = false;
      event.preventDefault();
      event.stopPropagation();
    },
    true,
  );
}

/** Puts the card where the pointer is: into the column under it, between the cards it is over. */
function follow(d: Drag, x: number, y: number): void {
  const { card } = d;
  const under = document.elementFromPoint(x, y);
  const tab = under?.closest<HTMLElement>('.board-tabs__tab');
  document.querySelector('.board-tabs__tab--drop')?.classList.remove('board-tabs__tab--drop');
  let list: HTMLElement | null = null;
  if (tab?.dataset.tab) {
    tab.classList.add('board-tabs__tab--drop');
    list = listFor(tab.dataset.tab);
    if (list && list !== card.parentElement) list.prepend(card);
  } else {
    const column = under?.closest<HTMLElement>('.column');
    const status = column?.id.replace(/^column-/, '');
    list = status ? listFor(status) : null;
    if (list) place(card, list, y);
  }
  // Follow the pointer from wherever the card now sits in the page.
  card.style.transform = '';
  const rect = card.getBoundingClientRect();
  card.style.transform = `translate(${x - d.grabX - rect.left}px, ${y - d.grabY - rect.top}px)`;
}

/** Inserts `card` in `list` before the first other card whose middle is below `y`. */
function place(card: HTMLElement, list: HTMLElement, y: number): void {
  let before: Element | null = null;
  for (const other of list.children) {
    if (other === card) continue;
    const r = other.getBoundingClientRect();
    if (y < r.top + r.height / 2) {
      before = other;
      break;
    }
  }
  if (card.nextElementSibling !== before || card.parentElement !== list) list.insertBefore(card, before);
}
