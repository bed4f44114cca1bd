/**
 * Progressive enhancements, bundled by Astro into one same-origin module (the CSP allows no inline
 * script). Every page works without this file: each enhancement only shortens a path that plain
 * links and forms already provide.
 */

const SCROLL_KEY = 'code-canvas:restore';

interface Restore {
  path: string;
  y: number;
  focusId: string | undefined;
}

/** A link with `data-opens-dialog="ID"` opens that <dialog> instead of going to the confirmation page. */
function enhanceDialogLinks(): void {
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

/**
 * Submitting a form reloads the page (POST → 303 → GET). For the small "Move to" forms, remember
 * where the user was and which card they moved, so the reloaded board does not jump to the top
 * and keyboard focus lands back on that card.
 */
function keepPlaceAcrossMoves(): void {
  document.addEventListener('submit', (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute('data-keep-scroll')) return;
    const id = new FormData(form).get('id');
    const restore: Restore = {
      path: location.pathname + location.search,
      y: window.scrollY,
      focusId: typeof id === 'string' ? `task-${id}-title` : undefined,
    };
    try {
      sessionStorage.setItem(SCROLL_KEY, JSON.stringify(restore));
    } catch {
      // Storage may be disabled; the move still works.
    }
  });

  let saved: Restore | undefined;
  try {
    const raw = sessionStorage.getItem(SCROLL_KEY);
    sessionStorage.removeItem(SCROLL_KEY);
    saved = raw ? (JSON.parse(raw) as Restore) : undefined;
  } catch {
    saved = undefined;
  }
  if (!saved || saved.path !== location.pathname + location.search) return;
  window.scrollTo(0, saved.y);
  const focusTarget = saved.focusId ? document.getElementById(saved.focusId) : null;
  focusTarget?.focus({ preventScroll: true });
}

/** A second click on a submit button while the first request is on its way does not send it twice. */
function preventDoubleSubmit(): void {
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
function searchShortcut(): void {
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
    search.focus();
    search.select();
  });
}

/**
 * A search form leaves out the fields left on "any" (and a sort left on its default), so the URL
 * it produces is short and readable: `/list?q=milk` rather than `/list?q=milk&status=&…`.
 */
function tidySearchUrls(): void {
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

enhanceDialogLinks();
tidySearchUrls();
keepPlaceAcrossMoves();
preventDoubleSubmit();
searchShortcut();
