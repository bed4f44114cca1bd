import {
  expect,
  hasScripts,
  seedTasks,
  signUp,
  statusMessage,
  taskCard,
  test,
  uniqueEmail,
} from './support/fixtures.ts';

// A board or list never renders every task: a page of cards per column (CC_PAGE_SIZE, 30 by
// default), "Show more", and list pages; counts stay right whatever is shown.

const MANY = 35;

test.describe('boards and lists a page at a time', () => {
  test('a column shows a page of cards, "Show more" adds the rest, and the counts stay right', async ({
    page,
  }, testInfo) => {
    await signUp(page, uniqueEmail('more'));
    // Created in order, so "most recently updated first" shows Task 34 first.
    await seedTasks(
      page,
      Array.from({ length: MANY }, (_, i) => ({ title: `Task ${i}` })),
    );
    await seedTasks(page, [{ title: 'Under way', status: 'doing' }]);
    await page.goto('/');
    const todo = page.locator('#column-todo');
    const cards = todo.locator('li.card');
    const shown = await cards.count();
    expect(shown).toBeLessThan(MANY);
    await expect(todo.locator('.column__count')).toHaveText(`${MANY} tasks`);
    await expect(page.locator('.page-head__summary')).toContainText(`${MANY + 1} tasks`);
    await expect(todo.getByText(`Showing ${shown} of ${MANY}`)).toBeVisible();

    // Scripts load the next cards into this page; without, the link loads the longer column and
    // lands on the first new card.
    await page.evaluate(() => {
      (window as { stayed?: boolean }).stayed = true;
    });
    const firstNew = `Task ${MANY - 1 - shown}`;
    await todo.getByRole('link', { name: `Show ${MANY - shown} more` }).click();
    await expect(cards).toHaveCount(MANY);
    await expect(taskCard(page, firstNew)).toBeInViewport();
    await expect(todo.getByText(/^Showing/)).toHaveCount(0);
    if (hasScripts(testInfo)) {
      expect(await page.evaluate(() => (window as { stayed?: boolean }).stayed)).toBe(true);
      await expect(page).toHaveURL(/\/\?todo=\d+$/);
      await expect(taskCard(page, firstNew).getByRole('link')).toBeFocused();
    } else {
      await expect(page).toHaveURL(/\/\?todo=\d+#task-\d+$/);
    }
    // A reload keeps them; a card's move buttons still work after loading in place.
    await page.reload();
    await expect(cards).toHaveCount(MANY);
    await page.getByRole('button', { name: 'Move “Task 0” to Doing' }).click();
    await expect(statusMessage(page)).toHaveText(/Moved “Task 0” to Doing/);
    await expect(page.locator('#column-todo .column__count')).toHaveText(`${MANY - 1} tasks`);

    // Counts follow the search, not the page.
    await page.goto('/?q=Task 3');
    await expect(page.locator('#column-todo .column__count')).toHaveText('6 tasks'); // Task 3 and 30–34
    await expect(page.locator('#column-doing .column__count')).toHaveText('0 tasks');
  });

  test('the list goes page by page, with positions that add up', async ({ page }) => {
    await signUp(page, uniqueEmail('pages'));
    await seedTasks(
      page,
      Array.from({ length: MANY }, (_, i) => ({ title: `Item ${i}` })),
    );
    await page.goto('/list');
    const pager = page.getByRole('navigation', { name: 'Pages' });
    const first = await page.locator('li.card').count();
    expect(first).toBeLessThan(MANY);
    await expect(pager).toContainText(`1–${first} of ${MANY} · page 1 of 2`);
    await pager.getByRole('link', { name: 'Next →' }).click();
    await expect(page).toHaveURL(/\/list\?page=2$/);
    await expect(page.locator('li.card')).toHaveCount(MANY - first);
    await expect(pager).toContainText(`${first + 1}–${MANY} of ${MANY} · page 2 of 2`);
    await expect(page.locator('.page-head__summary')).toContainText(`${MANY} tasks`);
    await pager.getByRole('link', { name: '← Previous' }).click();
    await expect(page).toHaveURL(/\/list$/);
    await expect(page.locator('li.card')).toHaveCount(first);
  });

  test('a task beyond the page is shown first when the last action was about it', async ({ page }) => {
    await signUp(page, uniqueEmail('pinned'));
    const [oldest] = await seedTasks(
      page,
      Array.from({ length: MANY }, (_, i) => ({ title: `Task ${i}` })),
    );
    // Sorted by due date (none has one), the oldest task comes last, beyond the first page; a save
    // would bring it to the top of "most recently updated", so the board goes back to that order.
    await page.goto(`/tasks/${oldest}?back=${encodeURIComponent('/?sort=due')}`);
    await page.getByLabel('Priority').selectOption({ label: 'High' });
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expect(page).toHaveURL(/\/\?sort=due(&notice=saved&task=\d+)?#task-\d+$/);
    const card = taskCard(page, 'Task 0');
    await expect(card).toBeInViewport();
    await expect(card).toHaveClass(/card--highlight/);
    await expect(page.locator('#column-todo li.card').first()).toHaveId(`task-${oldest}`);
  });
});
