import {
  addTask,
  column,
  expect,
  isoDay,
  logOut,
  PASSWORD,
  signUp,
  taskCard,
  test,
  uniqueEmail,
} from './support/fixtures.ts';

// Runs twice: in the `chromium` project and in `chromium-no-js` (JavaScript disabled), where every
// step must work with plain links, forms and redirects.
test.describe('the core flow', () => {
  test('signs up, adds, edits, moves, searches and deletes tasks, then finds them again after logging back in', async ({
    page,
  }, testInfo) => {
    const scripts = testInfo.project.use.javaScriptEnabled !== false;
    const email = uniqueEmail(scripts ? 'flow' : 'flow-nojs');

    await signUp(page, email);
    await expect(page).toHaveURL(/\/$/);
    await expect(page.getByText('Add a task above to get started.')).toBeVisible();

    await addTask(page, { title: 'Write the report', description: 'Intro\nFindings', priority: 'High' });
    await addTask(page, { title: 'Buy milk' });
    await addTask(page, { title: 'Call the plumber', dueDate: isoDay(-2) });
    await expect(column(page, 'To do').locator('li.card')).toHaveCount(3);
    await expect(taskCard(page, 'Call the plumber').getByText('Overdue')).toBeVisible();

    // Edit one on its own page.
    await taskCard(page, 'Buy milk').getByRole('link', { name: 'Buy milk' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Buy milk' })).toBeVisible();
    await page.getByLabel('Title').fill('Buy oat milk');
    await page.getByLabel('Description').fill('Two litres');
    await page.getByLabel('Priority').selectOption({ label: 'Low' });
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expect(page).toHaveURL(/\/(\?notice=saved&task=\d+)?#task-\d+$/);
    await expect(taskCard(page, 'Buy oat milk')).toContainText('Two litres');
    await expect(taskCard(page, 'Buy oat milk')).toContainText('Low priority');
    await expect(taskCard(page, 'Buy milk')).toHaveCount(0);

    // Move one to Done from the board.
    await page.getByRole('button', { name: 'Move “Write the report” to Done' }).click();
    await expect(column(page, 'Done').getByRole('link', { name: 'Write the report' })).toBeVisible();
    await expect(column(page, 'To do').getByRole('link', { name: 'Write the report' })).toHaveCount(0);

    // Search: a GET form, so the result is a URL; the list view shares it.
    await page.getByLabel('Search').fill('plumber');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect(page).toHaveURL(/[?&]q=plumber/);
    await expect(page.locator('li.card')).toHaveCount(1);
    await expect(taskCard(page, 'Call the plumber')).toBeVisible();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'List' }).click();
    await expect(page).toHaveURL(/\/list\?q=plumber(&|$)/);
    await expect(page.locator('li.card')).toHaveCount(1);

    // Delete, after a confirmation (a dialog with scripts, a page without).
    await taskCard(page, 'Call the plumber').getByRole('link', { name: 'Call the plumber' }).click();
    await page.getByRole('link', { name: 'Delete this task…' }).click();
    if (scripts) {
      await expect(page.getByRole('dialog', { name: 'Delete this task?' })).toBeVisible();
    } else {
      await expect(page).toHaveURL(/\/tasks\/\d+\/delete/);
    }
    await page.getByRole('button', { name: 'Delete task', exact: true }).click();
    await expect(page).toHaveURL(/\/list\?q=plumber(&|$)/);
    await expect(page.getByText('No tasks match')).toBeVisible();

    // Log out; pages are no longer reachable; logging in again leads back to the page asked for,
    // and everything is still there.
    await logOut(page);
    await page.goto('/list?sort=due');
    await expect(page).toHaveURL(/\/login\?next=%2Flist%3Fsort%3Ddue$/);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page).toHaveURL(/\/list\?sort=due$/);
    await expect(page.locator('li.card')).toHaveCount(2);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Board' }).click();
    await expect(column(page, 'To do').getByRole('link', { name: 'Buy oat milk' })).toBeVisible();
    await expect(column(page, 'Done').getByRole('link', { name: 'Write the report' })).toBeVisible();
    await expect(taskCard(page, 'Call the plumber')).toHaveCount(0);
  });
});
