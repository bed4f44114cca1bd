/**
 * Form enhancements: confirmation dialogs, no double submits, tidy search URLs, filters that apply
 * on change, and the phone's "Add task" / "Filters" toggles. Each only shortens a path that plain
 * links and forms already provide.
 */
const FOCUS_KEY = 'code-canvas:focus';

/** A link with `data-opens-dialog="ID"` opens that <dialog> instead of going to the confirmation page. */
export function enhanceDialogLinks(): void {
  document.addEventListener('click', (event) => {
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return; // new tab/window
    const target = event.target;
    if (!(target instanceof Element)) return;
    const link = target.closest<HTMLAnchorElement>('a[data-opens-dialog]');
    const dialog = link ? document.getElementById(link.dataset.opensDialog ?? '') : null;
    if (!(dialog instanceof HTMLDialogElement) || typeof dialog.showModal !== 'function') return;
    event.preventDefault();
    dialog.showModal();
  });
}

/** A second click on a submit button while the first request is on its way does not send it twice. */
export function preventDoubleSubmit(): void {
  document.addEventListener('submit', (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    // A dialog's Cancel button (formmethod="dialog") submits only to close the dialog.
    const method = event.submitter?.getAttribute('formmethod') ?? form.method;
    if (method.toLowerCase() !== 'post') return;
    if (form.dataset.submitting === 'true') {
      event.preventDefault();
      return;
    }
    form.dataset.submitting = 'true';
    form.setAttribute('aria-busy', 'true');
  });
  // Coming back with the Back button restores the page from memory, flags included: clear them.
  window.addEventListener('pageshow', () => {
    for (const form of document.querySelectorAll<HTMLFormElement>('form[data-submitting]')) {
      delete form.dataset.submitting;
      form.removeAttribute('aria-busy');
    }
  });
}

/** "/" jumps to the search box, as in many apps, unless the user is typing somewhere. */
export function searchShortcut(): void {
  document.addEventListener('keydown', (event) => {
    if (event.key !== '/' || event.ctrlKey || event.metaKey || event.altKey) return;
    const active = document.activeElement;
    if (
      active instanceof HTMLInputElement ||
      active instanceof HTMLTextAreaElement ||
      active instanceof HTMLSelectElement ||
      (active instanceof HTMLElement && active.isContentEditable)
    ) {
      return;
    }
    const search = document.querySelector<HTMLInputElement>('input[data-search-shortcut]');
    if (!search) return;
    event.preventDefault();
    openFoldable(search.closest<HTMLElement>('.foldable'));
    search.focus();
    search.select();
  });
}

/**
 * A search form leaves out the fields left on "any" (and a sort left on its default), so the URL
 * it produces is short and readable: `/list?q=milk` rather than `/list?q=milk&status=&…`.
 */
export function tidySearchUrls(): void {
  document.addEventListener('submit', (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || form.method.toLowerCase() !== 'get') return;
    for (const field of form.querySelectorAll<HTMLInputElement | HTMLSelectElement>(
      'input[name], select[name]',
    )) {
      if (field.value.trim() === '' || field.value === field.dataset.default) {
        // Disabled fields are not sent; the form data is collected after this event.
        field.disabled = true;
        field.dataset.tidied = 'true';
      }
    }
  });
  window.addEventListener('pageshow', () => {
    for (const field of document.querySelectorAll<HTMLInputElement | HTMLSelectElement>('[data-tidied]')) {
      field.disabled = false;
      delete field.dataset.tidied;
    }
  });
}

/**
 * Filters apply as soon as one changes (a select, or clearing the search box); the Apply button
 * stays for typing a search. The field keeps keyboard focus across the reload.
 */
export function applyFiltersOnChange(): void {
  const submit = (field: HTMLInputElement | HTMLSelectElement) => {
    const form = field.form;
    if (!form?.hasAttribute('data-auto-submit')) return;
    try {
      sessionStorage.setItem(FOCUS_KEY, JSON.stringify({ path: location.pathname, id: field.id }));
    } catch {
      // Storage may be disabled; the filter still applies.
    }
    form.requestSubmit();
  };
  document.addEventListener('change', (event) => {
    const t = event.target;
    // A checklist's boxes save as they are ticked; the Save button stays for no JavaScript.
    if (t instanceof HTMLSelectElement || (t instanceof HTMLInputElement && t.type === 'checkbox')) submit(t);
  });
  document.addEventListener('search', (event) => {
    if (event.target instanceof HTMLInputElement && event.target.value === '') submit(event.target);
  });
  let saved: { path: string; id: string } | undefined;
  try {
    const raw = sessionStorage.getItem(FOCUS_KEY);
    sessionStorage.removeItem(FOCUS_KEY);
    saved = raw ? JSON.parse(raw) : undefined;
  } catch {
    saved = undefined;
  }
  if (saved?.path !== location.pathname) return;
  const field = document.getElementById(saved.id);
  if (field) {
    openFoldable(field.closest<HTMLElement>('.foldable'));
    field.focus({ preventScroll: true });
  }
}

/**
 * The phone's "Add task" and "Filters" are links to the folded sections (`#new-task`), which open
 * them without JavaScript; here they become toggle buttons that open and close them in place.
 */
export function enhanceToggles(): void {
  // Opened by the address (`#filters`)? From here on the class alone opens a section (phone.css):
  // `:target` cannot be undone in place. (Only then: the class restyles the whole page.)
  const targeted = location.hash ? document.getElementById(location.hash.slice(1)) : null;
  if (targeted?.classList.contains('foldable')) {
    targeted.classList.add('foldable--open');
    document.documentElement.classList.add('js');
  }
  for (const link of document.querySelectorAll<HTMLAnchorElement>('a[data-toggle]')) {
    const section = document.getElementById(link.dataset.toggle ?? '');
    if (!section) continue;
    const button = document.createElement('button');
    button.type = 'button';
    button.className = link.className;
    button.append(...link.childNodes);
    button.setAttribute('aria-controls', section.id);
    const sync = () => button.setAttribute('aria-expanded', String(isOpen(section)));
    sync();
    button.addEventListener('click', () => {
      const opening = !isOpen(section);
      section.classList.toggle('foldable--open', opening);
      sync();
      if (opening) section.querySelector<HTMLElement>('input:not([type=hidden]), select')?.focus();
    });
    link.replaceWith(button);
  }
}

function isOpen(section: HTMLElement): boolean {
  return section.classList.contains('foldable--open');
}

/** Unfolds a phone-folded section (new task, filters) and marks its toggle expanded. */
export function openFoldable(section: HTMLElement | null): void {
  if (!section) return;
  section.classList.add('foldable--open');
  document.querySelector(`[aria-controls="${section.id}"]`)?.setAttribute('aria-expanded', 'true');
}
