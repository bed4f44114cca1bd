import { addTask, expect, signUp, taskCard, test, uniqueEmail } from './support/fixtures.ts';

test.describe('projects', () => {
  test('are created, renamed and deleted with their tasks after a confirmation that counts them', async ({
    page,
  }) => {
    await signUp(page, uniqueEmail('projects'));
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Projects' }).click();
    await expect(page.getByRole('heading', { name: 'Inbox' })).toBeVisible();
    await expect(page.getByRole('link', { name: /^Delete Inbox/ })).toHaveCount(0);

    await page.getByLabel('Name', { exact: true }).fill('Home');
    await page.getByRole('button', { name: 'Add project' }).click();
    await expect(page.getByRole('heading', { name: 'Home' })).toBeVisible();

    // A duplicate name is refused next to the field, with the typed name kept.
    await page.getByLabel('Name', { exact: true }).fill('home');
    await page.getByRole('button', { name: 'Add project' }).click();
    await expect(page.getByText('This workspace already has a project called "home".')).toBeVisible();
    await expect(page.getByLabel('Name', { exact: true })).toHaveValue('home');

    // New tasks go to the project the board is filtered by.
    await page.getByRole('link', { name: 'Home' }).click();
    await expect(page).toHaveURL(/\/\?project=\d+$/);
    await addTask(page, { title: 'Fix the fence' });
    await addTask(page, { title: 'Paint the door', status: 'Done' });
    await expect(taskCard(page, 'Fix the fence')).toContainText('Home');
    await page.goto('/');
    await addTask(page, { title: 'Stays in the Inbox' });

    await page.goto('/projects');
    await expect(page.getByText('2 tasks, 1 open')).toBeVisible();
    const home = page.locator('li.project').filter({ has: page.getByRole('heading', { name: 'Home' }) });
    await home.getByText('Rename or delete').click();
    await home.getByLabel('New name for Home').fill('House');
    await home.getByRole('button', { name: 'Rename' }).click();
    await expect(page.getByRole('heading', { name: 'House' })).toBeVisible();

    const house = page.locator('li.project').filter({ has: page.getByRole('heading', { name: 'House' }) });
    await house.getByText('Rename or delete').click();
    await house.getByRole('link', { name: 'Delete House…' }).click();
    await expect(page.getByRole('heading', { name: 'Delete “House”?' })).toBeVisible();
    await expect(page.getByText('Its 2 tasks will be deleted with it (1 not done yet).')).toBeVisible();
    await page.getByRole('button', { name: 'Delete project' }).click();
    await expect(page).toHaveURL(/\/projects\?undo=\d+$/);
    await expect(page.getByRole('heading', { name: 'House' })).toHaveCount(0);

    await page.goto('/');
    await expect(page.locator('li.card')).toHaveCount(1);
    await expect(taskCard(page, 'Stays in the Inbox')).toBeVisible();
  });
});
