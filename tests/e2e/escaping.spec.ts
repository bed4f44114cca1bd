import { addTask, expect, signUp, taskCard, test, uniqueEmail } from './support/fixtures.ts';

const TITLE = `<img src=x onerror="window.__xss=1">Hi <b>there</b><script>window.__xss=2</script>`;
const DESCRIPTION = `<i>not italic</i>\n<script>window.__xss=3</script>\n  indented "quotes" & 'ampersands'`;

test.describe('user text', () => {
  test('HTML and script in a title and description render as text, line breaks kept', async ({ page }) => {
    await signUp(page, uniqueEmail('xss'));
    await addTask(page, { title: TITLE, description: DESCRIPTION });

    const card = taskCard(page, TITLE);
    await expect(card.getByRole('link', { name: TITLE })).toHaveText(TITLE);
    const description = card.locator('.card__description');
    // innerText, not textContent: it is the text as rendered, so it proves the line breaks show.
    // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what is under test
    expect(await description.evaluate((el) => (el as HTMLElement).innerText)).toBe(DESCRIPTION);
    expect(await description.evaluate((el) => getComputedStyle(el).whiteSpace)).toBe('pre-wrap');
    await expect(page.locator('main img, main b, main i, main script')).toHaveCount(0);

    await card.getByRole('link', { name: TITLE }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(TITLE);
    await expect(page.getByLabel('Title')).toHaveValue(TITLE);
    await expect(page.getByLabel('Description')).toHaveValue(DESCRIPTION);
    await expect(page.locator('main img, main b, main i, main script')).toHaveCount(0);
    expect(await page.evaluate(() => (window as { __xss?: number }).__xss)).toBeUndefined();

    await page.goto(`/list?q=${encodeURIComponent('<b>there</b>')}`);
    await expect(page.getByLabel('Search')).toHaveValue('<b>there</b>');
    await expect(page.locator('li.card')).toHaveCount(1);
  });
});
