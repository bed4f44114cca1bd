import { addTask, expect, signUp, taskCard, test, uniqueEmail } from './support/fixtures.ts';

test.describe('accounts', () => {
  test("a second user sees none of the first user's tasks or projects", async ({ page }) => {
    await signUp(page, uniqueEmail('owner'));
    await page.goto('/projects');
    await page.getByLabel('Name', { exact: true }).fill('Secret project');
    await page.getByRole('button', { name: 'Add project' }).click();
    await page.goto('/');
    await addTask(page, { title: 'Private task of the first user', project: 'Secret project' });
    const href = await taskCard(page, 'Private task of the first user')
      .getByRole('link')
      .getAttribute('href');
    const taskPath = href?.split('?')[0] ?? '';
    expect(taskPath).toMatch(/^\/w\/[\w-]{22}\/tasks\/\d+$/);

    await page.context().clearCookies();
    await signUp(page, uniqueEmail('other'));
    await expect(page.getByText('Add a task above to get started.')).toBeVisible();
    await expect(page.locator('li.card')).toHaveCount(0);
    await page.goto('/list?q=Private');
    await expect(page.locator('li.card')).toHaveCount(0);
    await page.goto('/projects');
    await expect(page.getByText('Secret project')).toHaveCount(0);

    // Another user's workspace answers exactly like a missing page.
    for (const path of [taskPath, `${taskPath}/delete`]) {
      const response = await page.goto(path);
      expect(response?.status(), path).toBe(404);
      await expect(page.getByRole('heading', { name: 'We couldn’t find that page' })).toBeVisible();
      await expect(page.getByText('Private task of the first user')).toHaveCount(0);
    }
  });
});
