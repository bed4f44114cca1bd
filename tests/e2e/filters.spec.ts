import type { Page } from '@playwright/test';
import { addTask, expect, isoDay, signUp, test, uniqueEmail } from './support/fixtures.ts';

/** The card titles in page order (a retrying assertion: the page may still be loading). */
const titles = (page: Page) => page.locator('li.card h3');

test.describe('search, filters and sort', () => {
  test('narrow and order the list and the board, as bookmarkable URLs', async ({ page }) => {
    await signUp(page, uniqueEmail('filters'));
    await addTask(page, { title: 'Later low', priority: 'Low', dueDate: isoDay(30) });
    await addTask(page, { title: 'Soon high', priority: 'High', dueDate: isoDay(3) });
    await addTask(page, { title: 'No date normal' });
    await addTask(page, { title: 'Overdue normal', dueDate: isoDay(-1), status: 'Doing' });

    await page.goto('/list?sort=due');
    await expect(titles(page)).toHaveText(['Overdue normal', 'Soon high', 'Later low', 'No date normal']);
    await page.goto('/list?sort=priority');
    await expect(titles(page).first()).toHaveText('Soon high');
    await expect(titles(page).last()).toHaveText('Later low');
    await page.goto('/list');
    await expect(titles(page)).toHaveText(['Overdue normal', 'No date normal', 'Soon high', 'Later low']);

    // The filter form builds the URL (a changed filter applies at once with JavaScript); the page
    // reads it back into the form.
    const filters = page.getByRole('search', { name: 'Filter tasks' });
    await filters.getByLabel('Priority').selectOption({ label: 'High' });
    await expect(page).toHaveURL(/priority=high/);
    await expect(titles(page)).toHaveText(['Soon high']);
    await expect(filters.getByLabel('Priority')).toHaveValue('high');

    await page.goto('/?status=doing');
    await expect(page.getByRole('region', { name: /^To do/ })).toHaveCount(0);
    await expect(titles(page)).toHaveText(['Overdue normal']);
    await expect(page.locator('li.card').getByText('Overdue', { exact: true })).toBeVisible();

    await page.goto('/list?q=normal&sort=due');
    await expect(titles(page)).toHaveText(['Overdue normal', 'No date normal']);
    await page.getByRole('link', { name: 'Clear' }).click();
    await expect(page.locator('li.card')).toHaveCount(4);
  });

  test('a malformed filter in the URL is explained instead of failing the page', async ({ page }) => {
    await signUp(page, uniqueEmail('bad-filter'));
    await addTask(page, { title: 'Still listed' });
    const response = await page.goto('/?status=someday&sort=random');
    expect(response?.status()).toBe(400);
    await expect(page.getByRole('alert')).toContainText('That filter did not work');
    await expect(page.getByRole('link', { name: 'Still listed' })).toBeVisible();
  });
});
