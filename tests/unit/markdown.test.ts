import { describe, expect, it } from 'vitest';
import { LINK_REL, markdownPreview, renderMarkdown } from '../../src/server/markdown/render.ts';

describe('renderMarkdown', () => {
  it('renders CommonMark with GitHub tables, task lists and autolinks', () => {
    const html = renderMarkdown(
      '# Plan\n\n**bold** _it_\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n- [x] done\n- [ ] todo\n\nsee https://example.org/x',
    );
    expect(html).toContain('<h1>Plan</h1>');
    expect(html).toContain('<strong>bold</strong>');
    expect(html).toMatch(/<table>[\s\S]*<td>1<\/td>/);
    expect(html).toMatch(/<input type="checkbox" class="task-list__box" disabled checked[^>]*> done/);
    expect(html).toMatch(
      /<input type="checkbox" class="task-list__box" disabled aria-label="Not done"> todo/,
    );
    expect(html).toContain(`<a href="https://example.org/x" rel="${LINK_REL}">`);
  });

  it('escapes raw HTML and script instead of passing it through', () => {
    const html = renderMarkdown(
      '<script>alert(1)</script>\n\n<img src=x onerror=alert(1)> <b style="color:red">x</b>',
    );
    expect(html).not.toMatch(/<script|<img|<b |<[a-z][^>]*style=/i);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('leaves javascript:, data: and vbscript: links as plain text', () => {
    for (const url of [
      'javascript:alert(1)',
      'JaVaScRiPt:alert(1)',
      'data:text/html,<b>x</b>',
      'vbscript:msgbox(1)',
    ]) {
      const html = renderMarkdown(`[click](${url}) <${url}>`);
      expect(html).not.toContain('<a');
    }
  });

  it('turns images into links, so a description loads nothing from another origin', () => {
    const html = renderMarkdown('![a cat](https://example.org/cat.png)');
    expect(html).not.toContain('<img');
    expect(html).toContain(`<a href="https://example.org/cat.png" rel="${LINK_REL}">a cat</a>`);
  });

  it('puts the rel on every link, relative ones too', () => {
    const html = renderMarkdown('[here](/w/x/) [mail](mailto:a@example.org)');
    expect(html.match(/<a /g)?.length).toBe(2);
    expect(html.match(new RegExp(`rel="${LINK_REL}"`, 'g'))?.length).toBe(2);
  });
});

describe('markdownPreview', () => {
  it('gives the words without the marks, on one line', () => {
    expect(markdownPreview('# Title\n\n**Buy** `milk`\n- [ ] eggs\n\n<script>x</script>')).toBe(
      'Title Buy milk eggs <script>x</script>',
    );
  });

  it('cuts long text at a word with an ellipsis', () => {
    const text = 'word '.repeat(100);
    const preview = markdownPreview(text, 40);
    expect(preview.length).toBeLessThanOrEqual(41);
    expect(preview).toMatch(/word…$/);
    expect(markdownPreview('')).toBe('');
  });
});
