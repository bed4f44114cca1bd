import { expect, seedTasks, signUp, taskCard, test, uniqueEmail } from './support/fixtures.ts';

// Keyboard shortcuts (src/scripts/shortcuts.ts) on the desktop and at 360 px: each key, that they
// keep out of the way of typing, and what the live region says after a move.

/** The titles of a column's cards, top to bottom. */
async function titles(page: import('@playwright/test').Page, status: string): Promise<string[]> {
  const all = await page.locator(`#column-${status} li.card h3`).allTextContents();
  return all.map((s) => s.trim());
}

test.describe('keyboard shortcuts', () => {
  // Without scripts the Move buttons post a form: flow.spec.ts.
  test.skip(({ javaScriptEnabled }) => !javaScriptEnabled, 'Scripts only');

  test('n opens the new task, / the search; neither fires while typing in a field', async ({ page }) => {
    await signUp(page, uniqueEmail('keys-n'));
    await page.goto('/');
    const title = page.locator('#new-task-title');
    await page.locator('body').press('n');
    await expect(title).toBeFocused();
    await page.keyboard.type('nj/?');
    await expect(title).toHaveValue('nj/?');
    await expect(page.locator('dialog[open]')).toHaveCount(0);

    await title.blur();
    await page.keyboard.press('/');
    const search = page.getByRole('search').getByLabel('Search');
    await expect(search).toBeFocused();
    await page.keyboard.type('n');
    await expect(search).toHaveValue('n');
    await expect(title).toHaveValue('nj/?');
  });

  test('j and k walk the cards, e edits the focused one; a modifier key leaves the browser its shortcut', async ({
    page,
  }) => {
    await signUp(page, uniqueEmail('keys-jk'));
    await seedTasks(page, [{ title: 'Gamma' }, { title: 'Beta' }, { title: 'Alpha' }]);
    await page.goto('/');
    const link = (t: string) => taskCard(page, t).getByRole('link', { name: t, exact: true });
    await page.keyboard.press('j');
    await expect(link('Alpha')).toBeFocused();
    await page.keyboard.press('j');
    await expect(link('Beta')).toBeFocused();
    await page.keyboard.press('j');
    await expect(link('Gamma')).toBeFocused();
    await page.keyboard.press('k');
    await expect(link('Beta')).toBeFocused();
    await page.keyboard.press('Alt+j');
    await expect(link('Beta')).toBeFocused();
    await page.keyboard.press('e');
    await expect(page).toHaveURL(/\/w\/[^/]+\/tasks\/\d+/);
    await expect(page.getByRole('textbox', { name: 'Title' })).toHaveValue('Beta');
  });

  test('1, 2 and 3 move the focused card and the live region says where it went', async ({ page }) => {
    await signUp(page, uniqueEmail('keys-move'));
    await seedTasks(page, [{ title: 'Busy', status: 'doing' }, { title: 'Later' }, { title: 'Now' }]);
    await page.goto('/');
    const region = page.locator('[data-notice]');
    await expect(region).toHaveAttribute('role', 'status');
    const now = taskCard(page, 'Now').getByRole('link', { name: 'Now', exact: true });

    await page.keyboard.press('j');
    await expect(now).toBeFocused();
    await page.keyboard.press('2');
    await expect(region).toHaveText('Moved “Now” to Doing, position 1 of 2.');
    await expect(now).toBeFocused();
    expect(await titles(page, 'doing')).toEqual(['Now', 'Busy']);

    await page.keyboard.press('2');
    await expect(region).toHaveText('“Now” is already in Doing.');

    await page.keyboard.press('3');
    await expect(region).toHaveText('Moved “Now” to Done, position 1 of 1.');
    await page.keyboard.press('1');
    await expect(region).toHaveText('Moved “Now” to To do, position 1 of 2.');
    await page.reload();
    expect(await titles(page, 'todo')).toEqual(['Now', 'Later']);
    expect(await titles(page, 'done')).toEqual([]);
  });

  test('? lists the shortcuts in a dialog that Escape closes, giving focus back', async ({ page }) => {
    await signUp(page, uniqueEmail('keys-help'));
    await seedTasks(page, [{ title: 'Only' }]);
    await page.goto('/');
    await page.keyboard.press('j');
    const link = taskCard(page, 'Only').getByRole('link', { name: 'Only', exact: true });
    await expect(link).toBeFocused();
    await page.keyboard.press('?');
    const dialog = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await expect(dialog).toBeVisible();
    for (const text of [
      'New task',
      'Search',
      'Next / previous card',
      'Edit the focused card',
      'Show these shortcuts',
    ]) {
      await expect(dialog.getByText(text, { exact: true })).toBeVisible();
    }
    await expect(dialog.locator('kbd')).toHaveText(['n', '/', 'j', 'k', 'e', '1', '2', '3', '?']);
    // Keys inside the dialog are not shortcuts.
    await page.keyboard.press('j');
    await expect(dialog).toBeVisible();
    await page.keyboard.press('Escape');
    await expect(dialog).toBeHidden();
    await expect(link).toBeFocused();

    await page.keyboard.press('?');
    await dialog.getByRole('button', { name: 'Close' }).click();
    await expect(dialog).toBeHidden();
    await expect(link).toBeFocused();
  });
});
