import { readFileSync } from 'node:fs';
import type { Browser, Page } from '@playwright/test';
import { expect, isPhone, PASSWORD, signUp, taskCard, test, uniqueEmail } from './support/fixtures.ts';

/**
 * The account page (issue 13): change password, log out everywhere, export, import, delete — each
 * on a desktop and on a 360 px phone, with scripts and without (every one of them is a plain form
 * or link).
 */

const VARIANTS = [
  { name: 'desktop', use: {} },
  { name: 'desktop without JavaScript', use: { javaScriptEnabled: false } },
  { name: '360 px', use: { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true } },
  {
    name: '360 px without JavaScript',
    use: { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, javaScriptEnabled: false },
  },
] as const;

/** Another browser (its own cookies), signed in to the same account. */
async function secondBrowser(
  browser: Browser,
  baseURL: string,
  email: string,
  password = PASSWORD,
): Promise<Page> {
  const context = await browser.newContext({ baseURL });
  const page = await context.newPage();
  await page.goto('/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('button', { name: 'Log out' })).toBeVisible();
  return page;
}

async function openAccount(page: Page): Promise<void> {
  await page.getByRole('banner').getByRole('link', { name: 'Account' }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByRole('heading', { name: 'Account', level: 1 })).toBeVisible();
}

/** The page fits the screen: nothing sticks out sideways (a wide table scrolls in its own box). */
async function expectNoSidewaysScroll(page: Page): Promise<void> {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
}

/** The card of a task on the board; a phone shows one column at a time, so open its tab first. */
async function cardIn(page: Page, status: 'To do' | 'Doing' | 'Done', title: string) {
  if (isPhone(page)) {
    await page
      .getByRole('navigation', { name: 'Columns' })
      .getByRole('link', { name: new RegExp(`^${status}`) })
      .click();
  }
  return taskCard(page, title);
}

async function preview(page: Page, file: { name: string; mimeType: string; text: string }): Promise<void> {
  await page
    .getByLabel('File')
    .setInputFiles({ name: file.name, mimeType: file.mimeType, buffer: Buffer.from(file.text) });
  await page.getByRole('button', { name: 'Preview import' }).click();
}

for (const variant of VARIANTS) {
  test.describe(`account page, ${variant.name}`, () => {
    test.use(variant.use);

    test('changes the password: a wrong current one is refused; then other sessions end and this one stays', async ({
      page,
      browser,
      baseURL,
    }) => {
      const email = uniqueEmail('password');
      await signUp(page, email);
      const other = await secondBrowser(browser, baseURL as string, email);
      await openAccount(page);
      await expectNoSidewaysScroll(page);

      await page.getByLabel('Current password').fill('not my password');
      await page.getByLabel('New password').fill('a brand new secret');
      await page.getByRole('button', { name: 'Change password' }).click();
      await expect(page.getByText('Your current password is not right.')).toBeVisible();
      await expect(page.getByLabel('Current password')).toHaveAttribute('aria-invalid', 'true');
      await expect(page.getByLabel('New password')).toHaveValue('');

      await page.getByLabel('Current password').fill(PASSWORD);
      await page.getByLabel('New password').fill('a brand new secret');
      await page.getByRole('button', { name: 'Change password' }).click();
      await expect(page.getByRole('status').filter({ hasText: 'Your password was changed.' })).toContainText(
        'One other session was logged out.',
      );
      // This browser is still signed in; the other one is not.
      await page.reload();
      await expect(page.getByRole('heading', { name: 'Account', level: 1 })).toBeVisible();
      await other.goto('/account');
      await expect(other).toHaveURL(/\/login\?next=%2Faccount$/);
      // The old password no longer opens the account; the new one does.
      await other.getByLabel('Email').fill(email);
      await other.getByLabel('Password').fill(PASSWORD);
      await other.getByRole('button', { name: 'Log in' }).click();
      await expect(other.getByText('Email or password is incorrect.')).toBeVisible();
      await other.getByLabel('Password').fill('a brand new secret');
      await other.getByRole('button', { name: 'Log in' }).click();
      await expect(other).toHaveURL(/\/account$/);
      await other.context().close();
    });

    test('logs out everywhere: another browser’s session ends too', async ({ page, browser, baseURL }) => {
      const email = uniqueEmail('everywhere');
      await signUp(page, email);
      const other = await secondBrowser(browser, baseURL as string, email);
      await openAccount(page);
      await expect(page.getByText('signed in on 2 browsers and apps')).toBeVisible();
      await page.getByRole('button', { name: 'Log out everywhere' }).click();
      await expect(page).toHaveURL(/\/login$/);
      await other.reload();
      await expect(other).toHaveURL(/\/login/);
      await expect(other.getByRole('button', { name: 'Log in' })).toBeVisible();
      await other.context().close();
    });

    test('exports everything as JSON and the tasks as CSV', async ({ page }) => {
      const email = uniqueEmail('export');
      await signUp(page, email);
      const made = await page.request.post('/api/tasks', {
        data: {
          title: 'Water the =plants',
          description: 'twice\na week',
          priority: 'high',
          dueDate: '2026-05-01',
        },
      });
      expect(made.status()).toBe(201);
      await openAccount(page);

      const [json] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('link', { name: 'Export my data' }).click(),
      ]);
      expect(json.suggestedFilename()).toMatch(/^code-canvas-export-\d{4}-\d{2}-\d{2}\.json$/);
      const data = JSON.parse(readFileSync(await json.path(), 'utf8'));
      expect(data).toMatchObject({ format: 'code-canvas-export', account: { email } });
      expect(data.workspaces[0].tasks[0]).toMatchObject({
        title: 'Water the =plants',
        description: 'twice\na week',
        priority: 'high',
        dueDate: '2026-05-01',
        project: 'Inbox',
      });

      const [csv] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('link', { name: 'Tasks as CSV' }).click(),
      ]);
      expect(csv.suggestedFilename()).toMatch(/\.csv$/);
      const lines = readFileSync(await csv.path(), 'utf8').split('\r\n');
      expect(lines[0]).toBe(
        '\uFEFFWorkspace,Project,Title,Description,Status,Priority,Due date,Labels,Checklist,Created at,Updated at',
      );
      // A line break stays inside its quoted cell.
      expect(lines[1]).toMatch(
        /^Personal,Inbox,Water the =plants,"twice\na week",To do,High,2026-05-01,,,\d{4}-/,
      );
    });

    test('imports a CSV after a preview, once however often the form is sent; bad rows are listed and nothing changes', async ({
      page,
      baseURL,
    }) => {
      await signUp(page, uniqueEmail('import'));
      await openAccount(page);

      await preview(page, {
        name: 'bad.csv',
        mimeType: 'text/csv',
        text: 'Title,Status,Due date\nFine,Done,\n,Doing,\nThird,someday,31/12/2026\n',
      });
      const alert = page.getByRole('alert');
      await expect(alert).toContainText('The file has 3 problems; nothing was imported.');
      await expect(alert.getByRole('listitem')).toHaveText([
        'Row 3 (Title): Title is required.',
        'Row 4 (Status): "someday" is not one of: To do, Doing, Done.',
        'Row 4 (Due date): Due date must be a date like 2026-12-31.',
      ]);
      await expect(page.getByRole('button', { name: /^Import/ })).toHaveCount(0);

      await preview(page, {
        name: 'tasks.csv',
        mimeType: 'text/csv',
        text: 'Title,Description,Status,Priority,Due date,Project,Labels,Checklist\r\nPlan the trip,"Book\ntrains",Doing,High,2026-07-01,Travel,"summer, fun","[x] pick dates\n[ ] book"\r\nPack,,To do,Low,,,,\r\n',
      });
      const table = page.getByRole('table', { name: 'Tasks for “Personal”' });
      await expect(table.getByRole('row')).toHaveCount(3);
      await expect(table.getByRole('row', { name: /Plan the trip/ })).toContainText(
        ['Doing', 'High', '2026-07-01', 'Travel', 'summer, fun', '1/2'].join(''),
      );
      await expect(page.getByText('new project: Travel')).toBeVisible();
      await expectNoSidewaysScroll(page);
      const confirm = page
        .locator('form')
        .filter({ has: page.getByRole('button', { name: 'Import 2 tasks' }) });
      // What the browser sends: multipart form data carries every line break as CRLF.
      const fields = Object.fromEntries(
        await confirm
          .locator('input[type="hidden"]')
          .evaluateAll((inputs) =>
            inputs.map((i) => [
              (i as HTMLInputElement).name,
              (i as HTMLInputElement).value.replace(/\r?\n/g, '\r\n'),
            ]),
          ),
      );
      await page.getByRole('button', { name: 'Import 2 tasks' }).click();
      await expect(page.getByRole('status').filter({ hasText: 'Imported 2 tasks into' })).toBeVisible();

      // The same confirmation sent again (a double click, a resubmitted page) imports nothing more.
      const again = await page.request.post('/account?_action=runImport', {
        multipart: fields,
        headers: { origin: baseURL as string },
        maxRedirects: 0,
      });
      expect(again.status()).toBe(303);
      await page.getByRole('status').getByRole('link', { name: 'Personal' }).click();
      await expect(taskCard(page, 'Pack')).toHaveCount(1);
      await expect(await cardIn(page, 'Doing', 'Plan the trip')).toHaveCount(1);
      const listed = await page.request.get('/api/tasks');
      expect(((await listed.json()) as { tasks: unknown[] }).tasks).toHaveLength(2);
    });

    test('imports an export into a fresh account: the personal part merges, a shared workspace comes back as new', async ({
      page,
      browser,
      baseURL,
    }) => {
      // Someone else's export, made through the API.
      const source = await browser.newContext({ baseURL });
      const api = source.request;
      expect(
        (
          await api.post('/api/signup', { data: { email: uniqueEmail('source'), password: PASSWORD } })
        ).status(),
      ).toBe(201);
      await api.post('/api/tasks', { data: { title: 'Mine alone' } });
      const team = (await (await api.post('/api/workspaces', { data: { name: 'Choir' } })).json()).workspace
        .id;
      await api.post(`/api/workspaces/${team}/tasks`, { data: { title: 'Book the hall', status: 'doing' } });
      const exported = await (await api.get('/api/export')).text();
      await source.close();

      await signUp(page, uniqueEmail('target'));
      await openAccount(page);
      await preview(page, { name: 'export.json', mimeType: 'application/json', text: exported });
      await expect(page.getByRole('heading', { name: 'Into “Personal”' })).toBeVisible();
      await expect(page.getByRole('heading', { name: 'New workspace “Choir”' })).toBeVisible();
      await page.getByRole('button', { name: 'Import 2 tasks' }).click();
      await expect(page.getByRole('status').filter({ hasText: 'Imported 2 tasks into' })).toBeVisible();
      await page.getByRole('status').getByRole('link', { name: 'Choir' }).click();
      await expect(await cardIn(page, 'Doing', 'Book the hall')).toBeVisible();
    });

    test('deletes the account after saying what goes, once the email is typed', async ({ page }) => {
      const email = uniqueEmail('delete');
      await signUp(page, email);
      expect((await page.request.post('/api/workspaces', { data: { name: 'Side project' } })).status()).toBe(
        201,
      );
      await openAccount(page);
      const section = page.getByRole('region', { name: 'Delete account' });
      await expect(section.getByRole('listitem')).toHaveText([
        'Personal — your personal workspace',
        'Side project — you are its only member',
      ]);
      await section.getByLabel('Type your email to confirm').fill('someone@example.com');
      await section.getByRole('button', { name: 'Delete account' }).click();
      await expect(page.getByText(`That is not your email address. Type ${email} to confirm.`)).toBeVisible();

      await page.getByLabel('Type your email to confirm').fill(email.toUpperCase());
      await page.getByRole('button', { name: 'Delete account' }).click();
      await expect(page).toHaveURL(/\/login\?deleted=1$/);
      await expect(page.getByRole('status')).toHaveText('Your account and its data were deleted.');
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Log in' }).click();
      await expect(page.getByText('Email or password is incorrect.')).toBeVisible();
    });
  });
}
