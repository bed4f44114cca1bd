import { addTask, expect, signUp, taskCard, test, uniqueEmail } from './support/fixtures.ts';

const TITLE = `<img src=x onerror="window.__xss=1">Hi <b>there</b><script>window.__xss=2</script>`;
const DESCRIPTION = `<i>not italic</i>\n<script>window.__xss=3</script>\n  indented "quotes" & 'ampersands'`;

test.describe('user text', () => {
  test('HTML and script in a title and description render as text, line breaks kept on the task page', async ({
    page,
  }) => {
    await signUp(page, uniqueEmail('xss'));
    await addTask(page, { title: TITLE, description: DESCRIPTION });

    const card = taskCard(page, TITLE);
    await expect(card.getByRole('link', { name: TITLE })).toHaveText(TITLE);
    // The card's preview is the description's words on one line (it is Markdown, rendered on the task page).
    await expect(card.locator('.card__description')).toHaveText(
      `<i>not italic</i> <script>window.__xss=3</script> indented "quotes" & 'ampersands'`,
    );
    await expect(page.locator('main img, main b, main i, main script')).toHaveCount(0);

    await card.getByRole('link', { name: TITLE }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(TITLE);
    await expect(page.getByLabel('Title')).toHaveValue(TITLE);
    await expect(page.getByLabel('Description')).toHaveValue(DESCRIPTION);
    // innerText, not textContent: it is the text as rendered, so it proves the line breaks show
    // (Markdown drops a line's leading spaces).
    const rendered = page.locator('.markdown');
    // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what is under test
    expect(await rendered.evaluate((el) => (el as HTMLElement).innerText.trim())).toBe(
      `<i>not italic</i>\n<script>window.__xss=3</script>\nindented "quotes" & 'ampersands'`,
    );
    await expect(page.locator('main img, main b, main i, main script')).toHaveCount(0);
    expect(await page.evaluate(() => (window as { __xss?: number }).__xss)).toBeUndefined();

    await page.goto(`/list?q=${encodeURIComponent('<b>there</b>')}`);
    await expect(page.getByLabel('Search')).toHaveValue('<b>there</b>');
    await expect(page.locator('li.card')).toHaveCount(1);
  });
});
