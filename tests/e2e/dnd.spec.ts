import type { Locator, Page } from '@playwright/test';
import {
  column,
  expect,
  isPhone,
  seedTasks,
  signUp,
  taskCard,
  test,
  uniqueEmail,
} from './support/fixtures.ts';

// Dragging cards on the board (src/scripts/drag.ts, moves.ts): with a mouse on the desktop, with a
// finger on a 360 px phone, and what a failed move looks like. The "Move to" buttons without
// JavaScript are tested in flow.spec.ts.

/** The titles of a column's cards, top to bottom. */
function titles(col: Locator): Promise<string[]> {
  return col
    .locator('li.card h3')
    .allTextContents()
    .then((t) => t.map((s) => s.trim()));
}

/** Drags `card` with the mouse until the pointer is at (x, y), in small steps as a hand would. */
async function mouseDrag(page: Page, card: Locator, x: number, y: number): Promise<void> {
  const box = await card.locator('h3').boundingBox();
  if (!box) throw new Error('card not on screen');
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(x, y, { steps: 12 });
  await page.mouse.up();
}

/** A point just inside the top of `target` (above its middle: a card dropped there goes before it). */
async function topOf(target: Locator): Promise<{ x: number; y: number }> {
  const box = await target.boundingBox();
  if (!box) throw new Error('target not on screen');
  return { x: box.x + box.width / 2, y: box.y + Math.min(6, box.height / 4) };
}

/** A real touch (Chromium's own touch events, from which it makes pointer events): press, hold, drag. */
async function touchDrag(
  page: Page,
  card: Locator,
  to: { x: number; y: number },
  holdMs: number,
): Promise<void> {
  const box = await card.locator('h3').boundingBox();
  if (!box) throw new Error('card not on screen');
  const cdp = await page.context().newCDPSession(page);
  const from = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [from] });
  await page.waitForTimeout(holdMs);
  for (let i = 1; i <= 10; i++) {
    const point = { x: from.x + ((to.x - from.x) * i) / 10, y: from.y + ((to.y - from.y) * i) / 10 };
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [point] });
  }
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  await cdp.detach();
}

test.describe('dragging cards on the board', () => {
  // Without scripts the Move buttons post a form: flow.spec.ts.
  test.skip(({ javaScriptEnabled }) => !javaScriptEnabled, 'Scripts only');

  test('a mouse drags a card into another column and reorders a column; a reload shows the same order', async ({
    page,
  }) => {
    test.skip(isPhone(page), 'A phone shows one column at a time: see the touch test');
    await signUp(page, uniqueEmail('drag'));
    // Each new task goes on top of its column.
    await seedTasks(page, [
      { title: 'Third' },
      { title: 'Second' },
      { title: 'First' },
      { title: 'Started later', status: 'doing' },
      { title: 'Started', status: 'doing' },
    ]);
    await page.goto('/');
    const todo = column(page, 'To do');
    const doing = column(page, 'Doing');
    expect(await titles(todo)).toEqual(['First', 'Second', 'Third']);
    expect(await titles(doing)).toEqual(['Started', 'Started later']);

    const patches: { body: unknown; key: string | null }[] = [];
    page.on('request', (r) => {
      if (r.method() === 'PATCH')
        patches.push({ body: r.postDataJSON(), key: r.headers()['idempotency-key'] ?? null });
    });
    const target = await topOf(taskCard(page, 'Started later'));
    await mouseDrag(page, taskCard(page, 'First'), target.x, target.y);
    await expect(page.locator('[data-notice]')).toHaveText('Moved “First” to Doing, position 2 of 3.');
    await expect.poll(() => titles(doing)).toEqual(['Started', 'First', 'Started later']);
    expect(await titles(todo)).toEqual(['Second', 'Third']);
    // The drag ended over the title link, which must not have been followed.
    await expect(page).toHaveURL(/\/w\/[^/]+\/$/);
    await expect(page.getByRole('heading', { name: /^Doing\s*3 tasks$/ })).toBeVisible();

    // Within a column: Third above Second.
    const above = await topOf(taskCard(page, 'Second'));
    await mouseDrag(page, taskCard(page, 'Third'), above.x, above.y);
    await expect(page.locator('[data-notice]')).toHaveText('Moved “Third” to To do, position 1 of 2.');
    await expect.poll(() => titles(todo)).toEqual(['Third', 'Second']);

    // One key per move, in the header the API's exactly-once writes read.
    expect(patches).toHaveLength(2);
    expect(patches[0]?.body).toMatchObject({ status: 'doing', position: { after: expect.any(Number) } });
    expect(patches[1]?.body).toMatchObject({ status: 'todo', position: { before: expect.any(Number) } });
    expect(new Set(patches.map((p) => p.key)).size).toBe(2);
    for (const p of patches) expect(p.key).toMatch(/^[0-9a-f-]{36}$/);

    await page.reload();
    expect(await titles(column(page, 'To do'))).toEqual(['Third', 'Second']);
    expect(await titles(column(page, 'Doing'))).toEqual(['Started', 'First', 'Started later']);
  });

  test('a card dropped into an empty column lands there, and Escape mid-drag puts it back', async ({
    page,
  }) => {
    test.skip(isPhone(page), 'A phone shows one column at a time: see the touch test');
    await signUp(page, uniqueEmail('drag-empty'));
    await seedTasks(page, [{ title: 'Lonely' }, { title: 'Stays' }]);
    await page.goto('/');
    const done = column(page, 'Done');
    await expect(done.getByText('No tasks in Done')).toBeVisible();

    // Escape cancels: nothing is sent.
    const box = await taskCard(page, 'Stays').locator('h3').boundingBox();
    const into = await topOf(done);
    if (!box) throw new Error('card not on screen');
    await page.mouse.move(box.x + 5, box.y + 5);
    await page.mouse.down();
    await page.mouse.move(into.x, into.y + 40, { steps: 8 });
    await page.keyboard.press('Escape');
    await page.mouse.up();
    expect(await titles(column(page, 'To do'))).toEqual(['Stays', 'Lonely']);
    // The column it passed over is empty again, and says so.
    await expect(done.getByText('No tasks in Done')).toBeVisible();

    await mouseDrag(page, taskCard(page, 'Lonely'), into.x, into.y + 40);
    await expect(page.locator('[data-notice]')).toHaveText('Moved “Lonely” to Done, position 1 of 1.');
    await page.reload();
    expect(await titles(column(page, 'Done'))).toEqual(['Lonely']);
    expect(await titles(column(page, 'To do'))).toEqual(['Stays']);
  });

  test('a finger holds a card, then drags it up its column or onto another column’s tab', async ({
    page,
  }) => {
    test.skip(!isPhone(page), 'Touch: the 360 px phone project');
    await signUp(page, uniqueEmail('touch'));
    await seedTasks(page, [{ title: 'Bottom' }, { title: 'Middle' }, { title: 'Top' }]);
    await page.goto('/');
    const todo = page.locator('#column-todo');
    expect(await titles(todo)).toEqual(['Top', 'Middle', 'Bottom']);

    // A quick swipe is a scroll, not a drag.
    await touchDrag(page, taskCard(page, 'Bottom'), await topOf(taskCard(page, 'Top')), 0);
    await page.waitForTimeout(300);
    expect(await titles(todo)).toEqual(['Top', 'Middle', 'Bottom']);

    await touchDrag(page, taskCard(page, 'Bottom'), await topOf(taskCard(page, 'Top')), 700);
    await expect(page.locator('[data-notice]')).toHaveText('Moved “Bottom” to To do, position 1 of 3.');
    expect(await titles(todo)).toEqual(['Bottom', 'Top', 'Middle']);

    const tab = page.getByRole('navigation', { name: 'Columns' }).getByRole('link', { name: /Doing/ });
    const tabBox = await tab.boundingBox();
    if (!tabBox) throw new Error('tab not on screen');
    await touchDrag(
      page,
      taskCard(page, 'Middle'),
      { x: tabBox.x + tabBox.width / 2, y: tabBox.y + tabBox.height / 2 },
      700,
    );
    await expect(page.locator('[data-notice]')).toHaveText('Moved “Middle” to Doing, position 1 of 1.');
    await expect(tab).toHaveText(/Doing\s*1/);

    await page.reload();
    expect(await titles(page.locator('#column-todo'))).toEqual(['Bottom', 'Top']);
    expect(await titles(page.locator('#column-doing'))).toEqual(['Middle']);
  });

  test('a move the server refuses (503) or never answers puts the card back and says so, after retrying with the same key', async ({
    page,
    consoleErrors,
  }) => {
    await signUp(page, uniqueEmail('drag-fail'));
    await seedTasks(page, [{ title: 'Second' }, { title: 'First' }]);
    await page.goto('/');
    const keys: (string | undefined)[] = [];
    let offline = false;
    await page.route('**/api/workspaces/*/tasks/*', (route) => {
      if (route.request().method() !== 'PATCH') return route.continue();
      keys.push(route.request().headers()['idempotency-key']);
      if (offline) return route.abort('internetdisconnected');
      return route.fulfill({
        status: 503,
        contentType: 'application/json',
        body: JSON.stringify({
          error: { code: 'unavailable', message: 'Storage is unavailable; try again.' },
        }),
      });
    });
    const card = taskCard(page, 'First');
    await card.getByRole('button', { name: 'Move “First” to Doing' }).click();
    const message = page.locator('[data-notice] .alert');
    await expect(message).toHaveText(
      'Could not move “First”: Storage is unavailable; try again. It is back in To do.',
    );
    await expect(message).toBeVisible();
    await expect(page.locator('#column-todo li.card').first()).toHaveId(/^task-/);
    expect(await titles(page.locator('#column-todo'))).toEqual(['First', 'Second']);
    await expect(page.locator('#column-doing li.card')).toHaveCount(0);
    // The card's buttons are the To do card's again.
    await expect(card.getByRole('button', { name: 'Move “First” to Doing' })).toBeVisible();
    // One attempt and two retries, all with the one key of this one action.
    expect(keys).toHaveLength(3);
    expect(new Set(keys).size).toBe(1);

    if (!isPhone(page)) {
      const target = await topOf(column(page, 'Doing'));
      await mouseDrag(page, taskCard(page, 'Second'), target.x, target.y + 40);
      await expect(message).toHaveText(
        'Could not move “Second”: Storage is unavailable; try again. It is back in To do.',
      );
      expect(await titles(page.locator('#column-todo'))).toEqual(['First', 'Second']);
      expect(new Set(keys).size).toBe(2);
    }
    // No answer at all (the network is down): the same, in other words.
    offline = true;
    keys.length = 0;
    await taskCard(page, 'Second').getByRole('button', { name: 'Move “Second” to Done' }).click();
    await expect(message).toHaveText(
      'Could not move “Second”: the server could not be reached. It is back in To do.',
    );
    expect(await titles(page.locator('#column-todo'))).toEqual(['First', 'Second']);
    expect(keys).toHaveLength(3);
    expect(new Set(keys).size).toBe(1);
    // Chromium logs each failed request; that is the failure under test.
    consoleErrors.splice(
      0,
      consoleErrors.length,
      ...consoleErrors.filter((e) => !/status of 503|ERR_INTERNET_DISCONNECTED/.test(e)),
    );
    await page.unroute('**/api/workspaces/*/tasks/*');
    await page.reload();
    expect(await titles(page.locator('#column-todo'))).toEqual(['First', 'Second']);
  });

  test('the Move buttons move the card in place, announce it and keep focus on it', async ({ page }) => {
    await signUp(page, uniqueEmail('move-button'));
    await seedTasks(page, [{ title: 'Old work', status: 'doing' }, { title: 'Next up' }]);
    await page.goto('/');
    await page.evaluate(() => {
      (window as unknown as { stayed: boolean }).stayed = true;
    });
    await taskCard(page, 'Next up').getByRole('button', { name: 'Move “Next up” to Doing' }).click();
    await expect(page.locator('[data-notice]')).toHaveText('Moved “Next up” to Doing, position 1 of 2.');
    expect(await titles(page.locator('#column-doing'))).toEqual(['Next up', 'Old work']);
    await expect(taskCard(page, 'Next up').getByRole('link', { name: 'Next up' })).toBeFocused();
    await expect(
      taskCard(page, 'Next up').getByRole('button', { name: 'Move “Next up” to To do' }),
    ).toBeVisible();
    // No page load happened.
    expect(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).toBe(true);
    await page.reload();
    expect(await titles(page.locator('#column-doing'))).toEqual(['Next up', 'Old work']);
  });

  test('sorted by due date, cards do not drag and the Move buttons post their form', async ({ page }) => {
    test.skip(isPhone(page), 'The same code on a phone; the desktop shows both columns');
    await signUp(page, uniqueEmail('drag-sorted'));
    await seedTasks(page, [
      { title: 'Due later', dueDate: '2099-01-02' },
      { title: 'Due sooner', dueDate: '2099-01-01' },
    ]);
    await page.goto('/?sort=due');
    const target = await topOf(column(page, 'Doing'));
    await mouseDrag(page, taskCard(page, 'Due later'), target.x, target.y + 40);
    expect(await titles(column(page, 'To do'))).toEqual(['Due sooner', 'Due later']);
    await expect(page.locator('#column-doing li.card')).toHaveCount(0);

    await taskCard(page, 'Due later').getByRole('button', { name: 'Move “Due later” to Doing' }).click();
    // The form's redirect, not a move in place: the server put the card where its sort says.
    await expect(page).toHaveURL(/\?sort=due(&notice=moved&task=\d+)?#task-\d+$/);
    await expect(column(page, 'Doing').getByRole('link', { name: 'Due later' })).toBeVisible();
  });
});
