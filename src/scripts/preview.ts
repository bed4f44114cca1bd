/**
 * The edit form's Preview: a toggle beside the description that shows the Markdown as the task
 * page will render it, asked of the server (POST /api/markdown, the page's own renderer, so what
 * the preview shows is what saving shows). Without JavaScript there is no toggle; the task page
 * shows the rendered description once saved.
 */
import { reasonOf } from './moves.ts';

/** Adds the toggle to every task edit form's description field on the page. */
export function enableDescriptionPreview(): void {
  for (const field of document.querySelectorAll<HTMLTextAreaElement>(
    '.task-form--edit textarea[name="description"]',
  )) {
    const toggle = document.createElement('button');
    toggle.type = 'button';
    toggle.className = 'button button--quiet button--small preview-toggle';
    toggle.textContent = 'Preview';
    toggle.setAttribute('aria-pressed', 'false');
    toggle.setAttribute('aria-controls', field.id);
    const shown = document.createElement('div');
    shown.className = 'preview';
    shown.hidden = true;
    shown.tabIndex = -1;
    shown.setAttribute('aria-label', 'Markdown preview');
    shown.setAttribute('role', 'region');
    const said = document.createElement('p');
    said.className = 'field-error preview-error';
    said.setAttribute('role', 'status');
    field.after(shown, said);
    field.before(toggle);

    const show = (previewing: boolean) => {
      field.hidden = previewing;
      shown.hidden = !previewing;
      toggle.setAttribute('aria-pressed', String(previewing));
      toggle.textContent = previewing ? 'Edit' : 'Preview';
    };
    toggle.addEventListener('click', async () => {
      said.textContent = '';
      if (toggle.getAttribute('aria-pressed') === 'true') {
        show(false);
        field.focus();
        return;
      }
      toggle.disabled = true;
      const res = await fetch('/api/markdown', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ text: field.value }),
      }).catch(() => undefined);
      toggle.disabled = false;
      if (!res?.ok) {
        said.textContent = `No preview: ${await reasonOf(res)} Your text is unchanged.`;
        return;
      }
      // Rendered by the server with raw HTML escaped and unsafe links dropped (markdown/render.ts).
      const { html } = (await res.json()) as { html: string };
      shown.innerHTML = html || '<p class="muted">Nothing to preview.</p>';
      show(true);
      shown.focus();
    });
  }
}
