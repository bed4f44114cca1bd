import { randomUUID } from 'node:crypto';
import { test as base, expect, type Locator, type Page, type TestInfo } from '@playwright/test';

/**
 * The e2e test object: every page fails its test on a console error, an uncaught script error or a
 * Content-Security-Policy violation (Chromium reports those on the console), so an inline style or
 * script slipping into the markup is caught by every test, with or without JavaScript.
 */
export const test = base.extend<{ consoleErrors: string[] }>({
  consoleErrors: [
    async ({ page }, use) => {
      const errors: string[] = [];
      // A form re-rendered with its validation error answers 4xx on purpose, and Chromium logs the
      // status of every such document; only a failed sub-resource (CSS, script, icon) is an error.
      // Documents are told apart by their navigation request, which always precedes the message.
      // The request's URL has no fragment but the console's does (a form posted to /account#import).
      const documents = new Set<string>();
      page.on('request', (request) => {
        if (request.isNavigationRequest()) documents.add(request.url());
      });
      page.on('console', (msg) => {
        const text = msg.text();
        if (msg.type() !== 'error' && !/content security policy/i.test(text)) return;
        const status4xx = /Failed to load resource: the server responded with a status of 4\d\d/.test(text);
        if (status4xx && documents.has(msg.location().url.split('#')[0] ?? '')) return;
        errors.push(`${msg.type()}: ${text} (${msg.location().url})`);
      });
      page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
      await use(errors);
      expect(errors, 'console errors or CSP violations on the page').toEqual([]);
    },
    { auto: true },
  ],
});
export { expect };

/** An address nobody else uses, so the suite can run again and again against a long-lived server. */
export function uniqueEmail(label: string): string {
  return `e2e-${label}-${randomUUID().slice(0, 12)}@example.test`;
}

export const PASSWORD = 'correct horse battery';

export async function signUp(page: Page, email: string, password = PASSWORD): Promise<void> {
  await page.goto('/signup');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await expect(page.getByRole('button', { name: 'Log out' })).toBeVisible();
}

export async function logOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole('button', { name: 'Log in' })).toBeVisible();
}

export interface NewTask {
  title: string;
  description?: string;
  priority?: 'Low' | 'Normal' | 'High';
  dueDate?: string;
  project?: string;
  status?: 'To do' | 'Doing' | 'Done';
}

/** Adds a task from the form on the current board or list page and waits for its card. */
export async function addTask(page: Page, task: NewTask): Promise<void> {
  const form = page.locator('form.task-form--create');
  await openFolded(page, form.getByLabel('Title'), 'Add task');
  await form.getByLabel('Title').fill(task.title);
  if (task.description || task.priority || task.dueDate || task.project || task.status) {
    const details = form.locator('details');
    if (!(await details.evaluate((d) => (d as HTMLDetailsElement).open))) {
      await details.locator('summary').click();
    }
    if (task.description) await form.getByLabel('Description').fill(task.description);
    if (task.status) await form.getByLabel('Status').selectOption({ label: task.status });
    if (task.priority) await form.getByLabel('Priority').selectOption({ label: task.priority });
    if (task.dueDate) await form.getByLabel('Due date').fill(task.dueDate);
    if (task.project) await form.getByLabel('Project').selectOption({ label: task.project });
  }
  await form.getByRole('button', { name: 'Add task' }).click();
  await expect(taskCard(page, task.title)).toBeAttached();
}

/**
 * On a phone the new-task form and the filters are folded behind "Add task" and "Filters"; opens
 * the one holding `field` when it is hidden (a link without JavaScript, a toggle button with it).
 */
export async function openFolded(page: Page, field: Locator, toggle: 'Add task' | 'Filters'): Promise<void> {
  if (await field.isVisible()) return;
  await page
    .locator('.controls-toggles')
    .getByText(new RegExp(`^${toggle}`))
    .click();
  await expect(field).toBeVisible();
}

/** The card (board or list) whose title is exactly `title`. */
export function taskCard(page: Page, title: string): Locator {
  return page.locator('li.card').filter({ has: page.getByRole('heading', { name: title, exact: true }) });
}

/** A board column by its status label. */
export function column(page: Page, status: 'To do' | 'Doing' | 'Done'): Locator {
  return page.getByRole('region', { name: new RegExp(`^${status}\\s*\\d+ tasks?$`) });
}

/** A calendar day `days` from today (UTC, as the server counts), as YYYY-MM-DD. */
export function isoDay(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

/** Whether the test's project runs scripts (the `-no-js` projects do not). */
export function hasScripts(testInfo: TestInfo): boolean {
  return testInfo.project.use.javaScriptEnabled !== false;
}

/** Whether the page is phone-sized (the board shows one column at a time up to 56rem). */
export function isPhone(page: Page): boolean {
  return (page.viewportSize()?.width ?? 1280) <= 600;
}

export interface SeedTask {
  title: string;
  status?: 'todo' | 'doing' | 'done';
  priority?: 'low' | 'normal' | 'high';
  dueDate?: string;
  description?: string;
}

/**
 * Creates tasks through the JSON API with the page's own session (the browser context's cookies),
 * in order, and returns their ids. Faster than the form when a test needs many.
 */
export async function seedTasks(page: Page, tasks: SeedTask[]): Promise<number[]> {
  const ids: number[] = [];
  for (const task of tasks) {
    const res = await page.request.post('/api/tasks', { data: task });
    expect(res.status(), `creating ${task.title}`).toBe(201);
    ids.push(((await res.json()) as { id: number }).id);
  }
  return ids;
}

/** The board or list status message (role=status). */
export function statusMessage(page: Page): Locator {
  return page.locator('[data-notice]');
}
