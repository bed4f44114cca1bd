import MarkdownIt from 'markdown-it';

/**
 * Task descriptions are Markdown (CommonMark, with GitHub's tables, strikethrough, task lists and
 * autolinks), rendered on the server so the page needs no script and the CSP can stay strict.
 *
 * What makes it safe to put in a page, whoever typed it:
 * 1. Raw HTML is escaped, never passed through (`html: false`): `<script>` shows as text.
 * 2. Link and image URLs go through markdown-it's validateLink, narrowed further here to http(s),
 *    mailto and relative URLs: `javascript:`, `vbscript:`, `data:`, `file:` and anything else
 *    leaves the text unlinked.
 * 3. Every link gets `rel="noopener noreferrer nofollow ugc"`: it cannot reach back into this
 *    page, tells the other site nothing, and lends it no ranking.
 * 4. Images render as links to the image: an `<img>` would load a third-party origin on the
 *    board (the CSP allows none) and leak who looked at the task.
 * 5. Task list items (`- [x] done`) render as disabled checkboxes: a picture of the list, not a
 *    control (the task's checklist is the control).
 */

export const LINK_REL = 'noopener noreferrer nofollow ugc';
const SAFE_URL = /^(https?:|mailto:|[^a-z0-9+.-]*[/?#]|[^:]*$)/i;

const md = new MarkdownIt('default', { html: false, linkify: true, typographer: false, breaks: true });
const validate = md.validateLink.bind(md);
// GitHub links bare www. addresses too.
md.linkify.set({ fuzzyLink: true });
md.validateLink = (url) => validate(url) && SAFE_URL.test(url.trim());

const renderToken = md.renderer.renderToken.bind(md.renderer);
md.renderer.rules.link_open = (tokens, idx, options) => {
  const token = tokens[idx];
  token?.attrSet('rel', LINK_REL);
  return renderToken(tokens, idx, options);
};
md.renderer.rules.image = (tokens, idx) => {
  const token = tokens[idx];
  const src = md.utils.escapeHtml(String(token?.attrGet('src') ?? ''));
  const alt = md.utils.escapeHtml(token?.children?.map((c) => String(c.content)).join('') || 'image');
  return `<a href="${src}" rel="${LINK_REL}">${alt}</a>`;
};
md.core.ruler.after('inline', 'task_lists', (state) => {
  const tokens = state.tokens;
  for (let i = 2; i < tokens.length; i++) {
    const inline = tokens[i];
    if (inline?.type !== 'inline' || tokens[i - 1]?.type !== 'paragraph_open') continue;
    if (tokens[i - 2]?.type !== 'list_item_open') continue;
    const first = inline.children?.[0];
    const m = first?.type === 'text' ? /^\[([ xX])\] /.exec(first.content) : null;
    if (!first || !m) continue;
    first.content = first.content.slice(m[0].length);
    const box = new state.Token('html_inline', '', 0);
    box.content = `<input type="checkbox" class="task-list__box" disabled${m[1] === ' ' ? '' : ' checked'} aria-label="${m[1] === ' ' ? 'Not done' : 'Done'}"> `;
    inline.children?.unshift(box);
    tokens[i - 2]?.attrJoin('class', 'task-list__item');
  }
});

/** `text` (Markdown) as safe HTML (see the top of this file). */
export function renderMarkdown(text: string): string {
  return md.render(text);
}

/**
 * `text` (Markdown) as plain text for a card's preview: the words people would read, formatting
 * marks gone, on one line, at most `max` characters (cut at a word, with "…").
 */
export function markdownPreview(text: string, max = 160): string {
  if (text === '') return '';
  const words: string[] = [];
  for (const block of md.parse(text, {})) {
    if (block.type === 'fence' || block.type === 'code_block') words.push(block.content);
    for (const t of block.children ?? []) {
      if (t.type === 'text' || t.type === 'code_inline') words.push(t.content);
      else if (t.type === 'softbreak' || t.type === 'hardbreak') words.push(' ');
    }
    if (block.type.endsWith('_close') && block.block) words.push(' ');
  }
  const plain = words.join('').replace(/\s+/g, ' ').trim();
  if (plain.length <= max) return plain;
  const cut = plain.slice(0, max);
  const atWord = cut.replace(/\s+\S*$/, '');
  return `${(atWord.length > max / 2 ? atWord : cut).trimEnd()}…`;
}
