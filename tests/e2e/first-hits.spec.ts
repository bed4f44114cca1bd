import {
  addTask,
  column,
  expect,
  hasScripts,
  isPhone,
  openFolded,
  PASSWORD,
  seedTasks,
  signUp,
  statusMessage,
  taskCard,
  test,
  uniqueEmail,
} from './support/fixtures.ts';

// "What people hit first" (issue 12), one test per item. Runs on the desktop and at 360 px, with
// and without JavaScript (playwright.config.ts); where the two differ, the test says which is which.

/** A day `days` from today in `timeZone`, as YYYY-MM-DD. */
function dayIn(timeZone: string, days = 0): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(new Date(Date.now() + days * 86_400_000));
}

test.describe('what people hit first', () => {
  test('1. a moved card is brought into view and highlighted, and a status message says where it went', async ({
    page,
  }, testInfo) => {
    await signUp(page, uniqueEmail('move'));
    await seedTasks(page, [
      ...Array.from({ length: 6 }, (_, i) => ({ title: `Filler ${i}`, status: 'done' as const })),
      { title: 'Pay the rent' },
    ]);
    await page.goto('/');
    await page.getByRole('button', { name: 'Move “Pay the rent” to Done' }).click();

    await expect(page).toHaveURL(/#task-\d+$/);
    const card = taskCard(page, 'Pay the rent');
    await expect(column(page, 'Done').getByRole('link', { name: 'Pay the rent' })).toBeVisible();
    await expect(card).toBeInViewport();
    await expect(card).toHaveClass(/card--highlight/);
    await expect(statusMessage(page)).toHaveText(/Moved “Pay the rent” to Done/);
    if (isPhone(page)) {
      // One column at a time: the board switched to Done, where the card went.
      await expect(page.locator('#column-todo')).toBeHidden();
    }
    if (hasScripts(testInfo)) {
      await expect(card.getByRole('link', { name: 'Pay the rent' })).toBeFocused();
      // The notice is said once: it leaves the address, so a reload does not repeat it.
      await expect(page).not.toHaveURL(/notice=/);
      if (isPhone(page)) {
        await expect(
          page.getByRole('navigation', { name: 'Columns' }).getByRole('link', { name: /^Done/ }),
        ).toHaveAttribute('aria-current', 'true');
      }
    }
  });

  test('2. after "Add task" the cursor is back in Title; a task the filter hides says so, with a link to show it', async ({
    page,
  }) => {
    await signUp(page, uniqueEmail('quick-add'));
    const title = page.locator('form.task-form--create').getByLabel('Title');
    await addTask(page, { title: 'First quick one' });
    await expect(title).toBeFocused();
    await expect(statusMessage(page)).toHaveText(/Added “First quick one” to To do\./);

    // Ready for the next one straight away: type, Enter.
    await page.keyboard.type('Second quick one');
    await page.keyboard.press('Enter');
    await expect(taskCard(page, 'Second quick one')).toBeVisible();
    await expect(title).toBeFocused();

    await page.goto('/?status=done');
    await openFolded(page, title, 'Add task');
    await title.fill('Hidden by the filter');
    await page.locator('form.task-form--create').getByRole('button', { name: 'Add task' }).click();
    await expect(statusMessage(page)).toHaveText(
      /Added “Hidden by the filter” to To do — hidden by the current filter\. Show it/,
    );
    await expect(taskCard(page, 'Hidden by the filter')).toHaveCount(0);
    await statusMessage(page).getByRole('link', { name: 'Show it' }).click();
    await expect(page).toHaveURL(/\/(\?task=\d+)?#task-\d+$/);
    await expect(taskCard(page, 'Hidden by the filter')).toBeInViewport();
    await expect(taskCard(page, 'Hidden by the filter')).toHaveClass(/card--highlight/);
  });

  test.describe('3. the user’s own calendar day and language', () => {
    // A zone whose calendar day is not UTC's right now: Kiritimati (UTC+14) or Pago Pago (UTC−11).
    const zone = ['Pacific/Kiritimati', 'Pacific/Pago_Pago'].find((z) => dayIn(z) !== dayIn('UTC')) ?? 'UTC';
    test.use({ timezoneId: zone, locale: 'de-DE' });

    test('decide "Due today" and "Overdue", and dates are written the browser’s way', async ({
      page,
    }, testInfo) => {
      await signUp(page, uniqueEmail('clock'));
      await seedTasks(page, [
        { title: 'Due on my day', dueDate: dayIn(zone) },
        { title: 'Due on the UTC day', dueDate: dayIn('UTC') },
      ]);
      await page.goto('/');
      const mine = taskCard(page, 'Due on my day');
      const utc = taskCard(page, 'Due on the UTC day');
      if (hasScripts(testInfo)) {
        // The page script told the server the browser's zone (a cookie, not a session write).
        await expect(mine).toContainText('Due today');
        await expect(utc).not.toContainText('Due today');
        const cookies = await page.context().cookies();
        expect(cookies.find((c) => c.name === 'cc_tz')?.value).toBe(encodeURIComponent(zone));
      } else {
        // Nothing can tell the server the zone without scripts: its default (UTC) decides.
        await expect(utc).toContainText('Due today');
        await expect(mine).not.toContainText('Due today');
      }
      // One format everywhere, in the browser's language (de-DE here): card and task page agree.
      // (A date in another year than the user's today also shows the year; skip that edge.)
      const day = dayIn(zone);
      const today = hasScripts(testInfo) ? day : dayIn('UTC');
      if (day.slice(0, 4) === today.slice(0, 4)) {
        const german = new Intl.DateTimeFormat('de-DE', { weekday: 'short', day: 'numeric', month: 'short' });
        await expect(mine.locator('time')).toHaveText(german.format(new Date(`${day}T12:00:00`)));
      }
      const shown = await mine.locator('time').textContent();
      await mine.getByRole('link', { name: 'Due on my day' }).click();
      await expect(page.getByRole('heading', { level: 1, name: 'Due on my day' })).toBeVisible();
      await expect(page.locator('main time').first()).toHaveText(shown ?? '');
    });
  });

  test('4. filters apply on change, "Open" is To do and Doing, due-date order puts Done last, search marks the match', async ({
    page,
  }, testInfo) => {
    await signUp(page, uniqueEmail('filters4'));
    await seedTasks(page, [
      { title: 'Alpha finished', status: 'done', dueDate: dayIn('UTC', 1) },
      { title: 'Beta to do', dueDate: dayIn('UTC', 5) },
      { title: 'Gamma doing', status: 'doing', dueDate: dayIn('UTC', 3) },
      { title: 'Delta without date' },
    ]);
    await page.goto('/list');
    const filters = page.getByRole('search', { name: 'Filter tasks' });
    const sort = filters.getByLabel('Sort by');
    await openFolded(page, sort, 'Filters');
    await sort.selectOption({ label: 'Due date' });
    if (!hasScripts(testInfo)) await filters.getByRole('button', { name: 'Apply' }).click();
    await expect(page).toHaveURL(/sort=due/);
    await expect(page.locator('li.card h3')).toHaveText([
      'Gamma doing',
      'Beta to do',
      'Delta without date',
      'Alpha finished',
    ]);
    // With scripts the changed select applied itself and keeps the focus.
    if (hasScripts(testInfo)) await expect(filters.getByLabel('Sort by')).toBeFocused();

    const status = filters.getByLabel('Status');
    await openFolded(page, status, 'Filters');
    await status.selectOption({ label: 'Open (not done)' });
    if (!hasScripts(testInfo)) await filters.getByRole('button', { name: 'Apply' }).click();
    await expect(page).toHaveURL(/status=open/);
    await expect(page.locator('li.card h3')).toHaveText(['Gamma doing', 'Beta to do', 'Delta without date']);

    await page.goto('/?status=open');
    await expect(page.locator('#column-todo')).toHaveCount(1);
    await expect(page.locator('#column-doing')).toHaveCount(1);
    await expect(page.locator('#column-done')).toHaveCount(0);

    await page.goto('/list?q=AMM');
    await expect(taskCard(page, 'Gamma doing').locator('mark')).toHaveText(['amm']);
  });

  test('5. after saving an edit you land back where you were, the card highlighted and "Saved"', async ({
    page,
  }, testInfo) => {
    await signUp(page, uniqueEmail('edit'));
    await seedTasks(page, [{ title: 'Edit me please' }, { title: 'Something else' }]);
    await page.goto('/list?q=edit');
    await taskCard(page, 'Edit me please').getByRole('link').click();
    await page.getByLabel('Title').fill('Edited with care');
    await page.getByRole('button', { name: 'Save changes' }).click();

    await expect(page).toHaveURL(/\/list\?q=edit(&notice=saved&task=\d+)?#task-\d+$/);
    const card = taskCard(page, 'Edited with care');
    await expect(card).toBeInViewport();
    await expect(card).toHaveClass(/card--highlight/);
    await expect(statusMessage(page)).toHaveText(/Saved “Edited with care”/);
    if (hasScripts(testInfo)) await expect(card.getByRole('link')).toBeFocused();
  });

  test('6. deleting a project confirms like deleting a task: a dialog with scripts, a page without', async ({
    page,
  }, testInfo) => {
    await signUp(page, uniqueEmail('project-delete'));
    await page.goto('/projects');
    await page.getByLabel('Name', { exact: true }).fill('Garden');
    await page.getByRole('button', { name: 'Add project' }).click();
    const garden = page.locator('li.project').filter({ has: page.getByRole('heading', { name: 'Garden' }) });
    await garden.getByText('Rename or delete').click();
    await garden.getByRole('link', { name: 'Delete Garden…' }).click();

    if (hasScripts(testInfo)) {
      const dialog = page.getByRole('dialog', { name: 'Delete “Garden”?' });
      await expect(dialog).toBeVisible();
      await expect(dialog).toContainText('It has no tasks.');
      await expect(page).toHaveURL(/\/projects$/);
      // Cancel deletes nothing.
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await expect(dialog).toBeHidden();
      await expect(page.getByRole('heading', { name: 'Garden' })).toBeVisible();
      await garden.getByRole('link', { name: 'Delete Garden…' }).click();
      await dialog.getByRole('button', { name: 'Delete project' }).click();
    } else {
      await expect(page).toHaveURL(/\/projects\/\d+\/delete$/);
      await expect(page.getByRole('heading', { name: 'Delete “Garden”?' })).toBeVisible();
      await page.getByRole('button', { name: 'Delete project' }).click();
    }
    await expect(page).toHaveURL(/\/projects\?undo=\d+$/);
    await expect(page.getByRole('heading', { name: 'Garden' })).toHaveCount(0);
  });

  test('7. /robots.txt is served, pages describe themselves, and errors carry the right reason phrase', async ({
    page,
    playwright,
    baseURL,
  }) => {
    const robots = await page.request.get('/robots.txt', { maxRedirects: 0 });
    expect(robots.status()).toBe(200);
    expect(robots.headers()['content-type']).toMatch(/^text\/plain/);
    expect(await robots.text()).toContain('User-agent: *');

    const anonymous = await playwright.request.newContext({ baseURL });
    const api = await anonymous.get('/api/tasks');
    expect(`${api.status()} ${api.statusText()}`).toBe('401 Unauthorized');
    await anonymous.dispose();

    // A failed log-in page: 401 Unauthorized, not 401 OK.
    const email = uniqueEmail('reasons');
    await signUp(page, email);
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(`${PASSWORD} but wrong`);
    const [failed] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && r.url().includes('/login')),
      page.getByRole('button', { name: 'Log in' }).click(),
    ]);
    expect(`${failed.status()} ${failed.statusText()}`).toBe('401 Unauthorized');

    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page.getByRole('button', { name: 'Log out' })).toBeVisible();
    const bad = await page.goto('/?status=someday');
    expect(`${bad?.status()} ${bad?.statusText()}`).toBe('400 Bad Request');

    for (const path of ['/', '/list', '/projects']) {
      await page.goto(path);
      const description = await page.locator('meta[name="description"]').getAttribute('content');
      expect(description?.length ?? 0, path).toBeGreaterThan(50);
    }
  });

  test('8. moving a card far down the board comes back to the card, not the top of the page', async ({
    page,
  }) => {
    await signUp(page, uniqueEmail('far-down'));
    // Sorted by due date, the card lands last in Done, below a dozen others.
    await seedTasks(page, [
      ...Array.from({ length: 12 }, (_, i) => ({
        title: `Done ${i}`,
        status: 'done' as const,
        dueDate: dayIn('UTC', i + 1),
      })),
      ...Array.from({ length: 12 }, (_, i) => ({ title: `To do ${i}`, dueDate: dayIn('UTC', i + 1) })),
      { title: 'Far down the list', dueDate: dayIn('UTC', 40) },
    ]);
    await page.goto('/?sort=due');
    const move = page.getByRole('button', { name: 'Move “Far down the list” to Done' });
    await move.scrollIntoViewIfNeeded();
    await move.click();

    await expect(page).toHaveURL(/\/\?sort=due(&notice=moved&task=\d+)?#task-\d+$/);
    const card = taskCard(page, 'Far down the list');
    await expect(card).toBeInViewport();
    const { scrollY, top } = await card.evaluate((el) => ({
      scrollY: window.scrollY,
      top: el.getBoundingClientRect().top + window.scrollY,
    }));
    expect(top, 'the card is far down the page').toBeGreaterThan(1500);
    expect(scrollY, 'the page is scrolled to it, not at the top').toBeGreaterThan(1000);
  });
});
