import { addTask, expect, PASSWORD, signUp, taskCard, test, uniqueEmail } from './support/fixtures.ts';

test.describe('validation errors', () => {
  test('a rejected new task shows the error next to Title and keeps everything typed', async ({ page }) => {
    await signUp(page, uniqueEmail('invalid-task'));
    const newTask = page.locator('form.task-form--create');
    // Spaces pass the browser's `required` check but not the server's.
    await newTask.getByLabel('Title').fill('   ');
    await newTask.locator('summary').click();
    await newTask.getByLabel('Description').fill('Keep this text\nand this line');
    await newTask.getByLabel('Priority').selectOption({ label: 'High' });
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST'),
      newTask.getByRole('button', { name: 'Add task' }).click(),
    ]);
    expect(response.status()).toBe(400);

    const form = page.locator('form.task-form--create');
    const title = form.getByLabel('Title');
    await expect(title).toHaveAttribute('aria-invalid', 'true');
    const describedBy = (await title.getAttribute('aria-describedby')) ?? '';
    await expect(page.locator(`[id="${describedBy}"]`)).toHaveText(/Title is required\./);
    await expect(title).toBeFocused();
    await expect(form.getByLabel('Description')).toHaveValue('Keep this text\nand this line');
    await expect(form.getByLabel('Priority')).toHaveValue('high');
    await expect(page.locator('li.card')).toHaveCount(0);

    // Fixing the title is enough: nothing else needs retyping.
    await title.fill('Fixed title');
    await form.getByRole('button', { name: 'Add task' }).click();
    await expect(taskCard(page, 'Fixed title')).toContainText('Keep this text');
    await expect(taskCard(page, 'Fixed title')).toContainText('High priority');
  });

  test('a rejected edit keeps the changes the user typed', async ({ page }) => {
    await signUp(page, uniqueEmail('invalid-edit'));
    await addTask(page, { title: 'Original title' });
    await taskCard(page, 'Original title').getByRole('link').click();
    await page.getByLabel('Title').fill(' ');
    await page.getByLabel('Description').fill('A new description');
    await page.getByLabel('Status').selectOption({ label: 'Doing' });
    await page.getByRole('button', { name: 'Save changes' }).click();

    await expect(page.getByText('Title is required.')).toBeVisible();
    await expect(page.getByLabel('Title')).toHaveAttribute('aria-invalid', 'true');
    await expect(page.getByLabel('Description')).toHaveValue('A new description');
    await expect(page.getByLabel('Status')).toHaveValue('doing');
    await expect(page.getByRole('heading', { level: 1, name: 'Original title' })).toBeVisible();
  });

  test('signing up with a taken email says so next to Email and keeps the address', async ({ page }) => {
    const email = uniqueEmail('taken');
    await signUp(page, email);
    await page.context().clearCookies();
    await page.goto('/signup');
    await page.getByLabel('Email').fill(email.toUpperCase());
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign up' }).click();
    await expect(page.getByText('An account with this email already exists.')).toBeVisible();
    await expect(page.getByLabel('Email')).toHaveValue(email.toUpperCase());
    await expect(page.getByLabel('Email')).toHaveAttribute('aria-invalid', 'true');
    await expect(page.getByLabel('Password')).toHaveValue('');
  });

  test('a wrong password is refused with one message for the whole form, keeping the email', async ({
    page,
  }) => {
    const email = uniqueEmail('wrong-password');
    await signUp(page, email);
    await page.context().clearCookies();
    await page.goto('/login');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page.getByRole('alert')).toHaveText(/Email or password is incorrect\./);
    await expect(page.getByLabel('Email')).toHaveValue(email);
    await expect(page.getByRole('button', { name: 'Log out' })).toHaveCount(0);
  });
});
