import {
  addTask,
  expect,
  logOut,
  PASSWORD,
  signUp,
  taskCard,
  test,
  uniqueEmail,
} from './support/fixtures.ts';

// Issue 11 where the browser is the point: how Chromium reads a redirect, caches a page and counts
// characters in a form field.

test.describe('a link that tries to send the user to another site', () => {
  const disguised = `/login?next=${encodeURIComponent('/\t/evil.example/x')}`;

  test('keeps a signed-in user here when clicked', async ({ page, baseURL }) => {
    await signUp(page, uniqueEmail('redirect-in'));
    await page.goto(disguised);
    expect(new URL(page.url()).origin).toBe(new URL(baseURL ?? '').origin);
    await expect(page.getByRole('button', { name: 'Log out' })).toBeVisible();
  });

  test('keeps the user here after they log in through it', async ({ page, baseURL }) => {
    const email = uniqueEmail('redirect-login');
    await signUp(page, email);
    await logOut(page);
    await page.goto(disguised);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page.getByRole('button', { name: 'Log out' })).toBeVisible();
    expect(new URL(page.url()).origin).toBe(new URL(baseURL ?? '').origin);
  });
});

test('after logging out, Back does not bring the board back from a cache', async ({ page }) => {
  await signUp(page, uniqueEmail('back'));
  await addTask(page, { title: 'Private thing' });
  await logOut(page);
  await page.goBack();
  await expect(page.getByRole('button', { name: 'Log in' })).toBeVisible();
  await expect(page.getByText('Private thing')).toHaveCount(0);
});

test.describe('characters as a person counts them', () => {
  test('a title of 150 emoji is kept whole (the form does not cut it at 200 UTF-16 units)', async ({
    page,
  }) => {
    await signUp(page, uniqueEmail('emoji'));
    const title = '\u{1F469}\u200D\u{1F4BB}'.repeat(150);
    await addTask(page, { title });
    await expect(taskCard(page, title)).toHaveCount(1);
  });

  test('a title of only invisible characters is refused next to the field', async ({ page }) => {
    await signUp(page, uniqueEmail('invisible'));
    const form = page.locator('form.task-form--create');
    await form.getByLabel('Title').fill('\u200B\u200B\u3164');
    await form.getByRole('button', { name: 'Add task' }).click();
    const title = form.getByLabel('Title');
    await expect(title).toHaveAttribute('aria-invalid', 'true');
    const describedBy = (await title.getAttribute('aria-describedby')) ?? '';
    await expect(page.locator(`[id="${describedBy}"]`)).toHaveText(/at least one visible character/);
    await expect(page.locator('li.card')).toHaveCount(0);
  });
});
