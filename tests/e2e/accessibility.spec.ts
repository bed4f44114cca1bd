import { addTask, expect, signUp, taskCard, test, uniqueEmail } from './support/fixtures.ts';

test.describe('accessibility', () => {
  test('every field has a label, the page has landmarks and a skip link, and focus is visible', async ({
    page,
  }) => {
    await page.goto('/signup');
    await expectLabelledFields(page);
    await signUp(page, uniqueEmail('a11y'));
    await addTask(page, { title: 'Labelled task' });
    const href = (await taskCard(page, 'Labelled task').getByRole('link').getAttribute('href')) ?? '';

    for (const path of ['/', '/list', '/projects', href, `${href.split('?')[0]}/delete`]) {
      await page.goto(path);
      await expectLabelledFields(page);
      await expect(page.getByRole('banner')).toHaveCount(1);
      await expect(page.getByRole('main')).toHaveCount(1);
      await expect(page.getByRole('contentinfo')).toHaveCount(1);
      await expect(page.getByRole('heading', { level: 1 })).toHaveCount(1);
    }

    // The first Tab stop is the skip link; following it puts focus on the main content.
    await page.goto('/');
    await page.keyboard.press('Tab');
    const skip = page.getByRole('link', { name: 'Skip to content' });
    await expect(skip).toBeFocused();
    await expect(skip).toBeInViewport();
    await page.keyboard.press('Enter');
    await expect(page).toHaveURL(/#main$/);

    // Keyboard focus draws an outline.
    await page.getByLabel('Title').focus();
    await page.keyboard.press('Tab');
    const focused = page.locator(':focus');
    const outline = await focused.evaluate((el) => getComputedStyle(el).outlineStyle);
    expect(outline).not.toBe('none');
  });

  test('a task can be moved with the keyboard alone, and focus comes back to its card', async ({ page }) => {
    await signUp(page, uniqueEmail('keyboard'));
    await addTask(page, { title: 'Keyboard task' });
    await page.getByRole('button', { name: 'Move “Keyboard task” to Doing' }).focus();
    await page.keyboard.press('Enter');
    const card = page
      .getByRole('region', { name: /^Doing/ })
      .locator('li.card')
      .filter({ hasText: 'Keyboard task' });
    await expect(card).toBeVisible();
    await expect(card.getByRole('link', { name: 'Keyboard task' })).toBeFocused();
  });
});

async function expectLabelledFields(page: import('@playwright/test').Page): Promise<void> {
  const fields = page.locator('main input:not([type=hidden]), main select, main textarea');
  const count = await fields.count();
  for (let i = 0; i < count; i++) {
    const field = fields.nth(i);
    const labelled = await field.evaluate((el) => ((el as HTMLInputElement).labels?.length ?? 0) > 0);
    expect(labelled, `${await field.evaluate((el) => el.outerHTML)} has a <label>`).toBe(true);
  }
}
