/**
 * Keyboard shortcuts on the board and the list, as in other task managers: `n` new task, `/`
 * search (forms.ts), `j`/`k` next/previous card, `e` edit it, `1`/`2`/`3` move it to To do /
 * Doing / Done, `?` a dialog that lists them. They are skipped while typing in a field, with a
 * modifier key held, or while a dialog is open, so they never eat a character or a browser's own
 * shortcut. Moving presses the card's own "Move to" button, so it works wherever that does.
 */
import { openFoldable } from './forms.ts';
import { announce } from './moves.ts';

const STATUS_KEYS: Record<string, string> = { '1': 'todo', '2': 'doing', '3': 'done' };
const LABELS: Record<string, string> = { todo: 'To do', doing: 'Doing', done: 'Done' };

/** What the `?` dialog lists: key(s) and what they do. */
const HELP: [string[], string][] = [
  [['n'], 'New task'],
  [['/'], 'Search'],
  [['j', 'k'], 'Next / previous card'],
  [['e'], 'Edit the focused card'],
  [['1', '2', '3'], 'Move the focused card to To do / Doing / Done'],
  [['?'], 'Show these shortcuts'],
];

/** Turns the shortcuts on, on pages with cards or a new-task form (see the top of this file). */
export function enableShortcuts(): void {
  if (!document.querySelector('.cards, #new-task')) return;
  document.addEventListener('keydown', (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || isTyping()) return;
    if (document.querySelector('dialog[open]')) return;
    const card = currentCard();
    switch (event.key) {
      case 'n':
        return run(event, newTask);
      case 'j':
      case 'k':
        return run(event, () => step(card, event.key === 'j' ? 1 : -1));
      case 'e':
        if (card) run(event, () => card.querySelector<HTMLAnchorElement>('h3 a')?.click());
        return;
      case '?':
        return run(event, showHelp);
      default: {
        const status = STATUS_KEYS[event.key];
        if (status && card) run(event, () => moveCard(card, status));
      }
    }
  });
}

function run(event: KeyboardEvent, action: () => void): void {
  event.preventDefault();
  action();
}

/** Whether keys are going into a field (or an editable element) rather than to the page. */
function isTyping(): boolean {
  const el = document.activeElement;
  if (!(el instanceof HTMLElement)) return false;
  if (el.isContentEditable || el instanceof HTMLTextAreaElement || el instanceof HTMLSelectElement)
    return true;
  return (
    el instanceof HTMLInputElement && !['checkbox', 'radio', 'button', 'submit', 'reset'].includes(el.type)
  );
}

/** The card that has keyboard focus, or holds it. */
function currentCard(): HTMLElement | null {
  return document.activeElement?.closest<HTMLElement>('.cards .card') ?? null;
}

/** All cards that are shown (on a phone, those of the column on show), in reading order. */
function visibleCards(): HTMLElement[] {
  return [...document.querySelectorAll<HTMLElement>('.cards .card')].filter((c) => c.offsetParent !== null);
}

function step(from: HTMLElement | null, by: 1 | -1): void {
  const cards = visibleCards();
  const at = from ? cards.indexOf(from) : -1;
  const next = at === -1 ? cards[by === 1 ? 0 : cards.length - 1] : cards[at + by];
  if (!next) return;
  next.querySelector<HTMLElement>('h3 a')?.focus();
  next.scrollIntoView({ block: 'nearest' });
}

function newTask(): void {
  const title = document.getElementById('new-task-title');
  if (!title) return;
  openFoldable(title.closest<HTMLElement>('.foldable'));
  title.focus();
}

function moveCard(card: HTMLElement, status: string): void {
  const button = card.querySelector<HTMLButtonElement>(`button[name="move"][value$=":${status}"]`);
  if (button) button.click();
  else announce(`“${card.querySelector('h3')?.textContent?.trim()}” is already in ${LABELS[status]}.`);
}

let help: HTMLDialogElement | undefined;

/** Opens the list of shortcuts; Escape or Close shuts it and focus goes back where it was. */
function showHelp(): void {
  if (!help) {
    help = document.createElement('dialog');
    help.className = 'dialog shortcuts';
    help.setAttribute('aria-labelledby', 'shortcuts-heading');
    const heading = document.createElement('h2');
    heading.id = 'shortcuts-heading';
    heading.textContent = 'Keyboard shortcuts';
    const list = document.createElement('dl');
    for (const [keys, text] of HELP) {
      const dt = document.createElement('dt');
      keys.forEach((key, i) => {
        const kbd = document.createElement('kbd');
        kbd.textContent = key;
        dt.append(...(i > 0 ? [' ', kbd] : [kbd]));
      });
      const dd = document.createElement('dd');
      dd.textContent = text;
      list.append(dt, dd);
    }
    const form = document.createElement('form');
    form.method = 'dialog';
    const close = document.createElement('button');
    close.className = 'button';
    close.textContent = 'Close';
    form.append(close);
    help.append(heading, list, form);
    document.body.append(help);
  }
  const returnTo = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  help.addEventListener('close', () => returnTo?.focus(), { once: true });
  help.showModal();
}
