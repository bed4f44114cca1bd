import { renderMarkdown } from '../../markdown/render.ts';
import { parseDescription } from '../../tasks/validation.ts';
import { apiRoute, readBody } from '../api.ts';
import { json } from '../respond.ts';

/**
 * POST /api/markdown {text} → {html}: a description rendered exactly as the task page will show it
 * (the same renderer, so the same rules: raw HTML escaped, unsafe links left as text), for the
 * edit form's Preview. Reads and writes nothing; the text obeys the description's rules (length,
 * characters), so a preview that renders is a description that saves.
 */
export const previewMarkdownRoute = apiRoute(async (ctx) => {
  const text = parseDescription((await readBody(ctx)).text);
  return json({ html: renderMarkdown(text) });
});
