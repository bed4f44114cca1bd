import type { Page } from '@playwright/test';
import {
  expect,
  hasScripts,
  openFolded,
  seedTasks,
  signUp,
  statusMessage,
  taskCard,
  test,
  uniqueEmail,
} from './support/fixtures.ts';

/** Creates labels through the JSON API with the page's session; returns their ids. */
async function seedLabels(page: Page, labels: { name: string; color: string }[]): Promise<number[]> {
  const ids: number[] = [];
  for (const label of labels) {
    const res = await page.request.post('/api/labels', { data: label });
    expect(res.status(), `creating label ${label.name}`).toBe(201);
    ids.push(((await res.json()) as { id: number }).id);
  }
  return ids;
}

async function openTask(page: Page, title: string): Promise<void> {
  await taskCard(page, title).getByRole('link', { name: title }).click();
  await expect(page.getByRole('heading', { level: 1, name: title })).toBeVisible();
}

test.describe('Markdown, checklists, labels and undo', () => {
  test('a description renders as Markdown, and script, javascript: links and raw HTML stay inert', async ({
    page,
  }) => {
    await signUp(page, uniqueEmail('markdown'));
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    const description = [
      '**Bold** and _soft_, see https://example.org/docs',
      '',
      '- [x] packed',
      '- [ ] labelled',
      '',
      '| Day | Plan |',
      '|-----|------|',
      '| Mon | Pack |',
      '',
      '<script>alert("script")</script>',
      '<img src=x onerror=alert("img")> <b>raw</b>',
      '[click me](javascript:alert("link"))',
    ].join('\n');
    await seedTasks(page, [{ title: 'Trip notes', description }]);
    await page.goto('/');
    // The card shows words, not marks.
    const card = taskCard(page, 'Trip notes');
    await expect(card.locator('.card__description')).toContainText('Bold and soft');
    await expect(card.locator('.card__description')).not.toContainText('**');

    await openTask(page, 'Trip notes');
    const body = page.locator('.markdown');
    await expect(body.locator('strong')).toHaveText('Bold');
    await expect(body.getByRole('table')).toContainText('Pack');
    await expect(body.getByRole('checkbox', { name: 'Done', exact: true })).toBeChecked();
    await expect(body.getByRole('checkbox', { name: 'Not done' })).not.toBeChecked();
    await expect(body.getByRole('link', { name: 'https://example.org/docs' })).toHaveAttribute(
      'rel',
      'noopener noreferrer nofollow ugc',
    );
    // Shown as text, never run or linked.
    await expect(body).toContainText('<script>alert("script")</script>');
    await expect(body).toContainText('<b>raw</b>');
    await expect(body.locator('script, img, b')).toHaveCount(0);
    await expect(body.getByRole('link', { name: 'click me' })).toHaveCount(0);
    await expect(page.locator('a[href^="javascript:"]')).toHaveCount(0);
    await body.getByText(/click me/).click();
    expect(dialogs).toEqual([]);
  });

  test('a checklist item is added, ticked, renamed and deleted, and the card shows progress', async ({
    page,
  }, testInfo) => {
    await signUp(page, uniqueEmail('checklist'));
    await seedTasks(page, [{ title: 'Pack for the trip' }]);
    await page.goto('/');
    await openTask(page, 'Pack for the trip');

    for (const text of ['Passport', 'Tickets', 'Charger']) {
      await page.getByLabel('Checklist item').fill(text);
      await page.getByRole('button', { name: 'Add item' }).click();
      await expect(page.getByRole('checkbox', { name: text })).toBeVisible();
    }
    // Ready for the next item.
    await expect(page.getByLabel('Checklist item')).toBeFocused();
    await expect(page.getByText('0 of 3 done')).toBeVisible();

    await page.getByRole('checkbox', { name: 'Tickets' }).check();
    if (!hasScripts(testInfo)) await page.getByRole('button', { name: 'Save checklist' }).click();
    await expect(page.getByText('1 of 3 done')).toBeVisible();
    await page.reload();
    await expect(page.getByRole('checkbox', { name: 'Tickets' })).toBeChecked();

    const charger = page.locator('.checklist__item').filter({ hasText: 'Charger' });
    await charger.getByText('Edit').click();
    await charger.getByLabel('Rename “Charger”').fill('Phone charger');
    await charger.getByRole('button', { name: 'Rename' }).click();
    await expect(page.getByRole('checkbox', { name: 'Phone charger' })).toBeVisible();

    const passport = page.locator('.checklist__item').filter({ hasText: 'Passport' });
    await passport.getByText('Edit').click();
    await passport.getByRole('button', { name: 'Delete “Passport”' }).click();
    await expect(page.getByRole('checkbox', { name: 'Passport' })).toHaveCount(0);
    await expect(page.getByText('1 of 2 done')).toBeVisible();

    // An empty item is refused next to the field, and nothing is added.
    await page.getByLabel('Checklist item').fill('   ');
    await page.getByRole('button', { name: 'Add item' }).click();
    if (!hasScripts(testInfo)) {
      // No script: the browser's own `required` check does not trim, so the server answers.
      await expect(page.getByText('Checklist item is required.')).toBeVisible();
    }
    await expect(page.locator('.checklist__item')).toHaveCount(2);

    await page.getByRole('link', { name: /Back to the board/ }).click();
    await expect(taskCard(page, 'Pack for the trip').getByText('1/2')).toBeVisible();
  });

  test('labels are made, set on a task, shown on its card in words, and filter the board', async ({
    page,
  }, testInfo) => {
    await signUp(page, uniqueEmail('labels'));
    await seedTasks(page, [{ title: 'Pay the rent' }, { title: 'Water the plants' }]);
    await page.goto('/');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Projects' }).click();
    await page.getByRole('main').getByRole('link', { name: 'Labels' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Urgent');
    await page.getByLabel('Colour', { exact: true }).selectOption({ label: 'Red' });
    await page.getByRole('button', { name: 'Add label' }).click();
    await expect(page.getByRole('link', { name: 'Urgent' })).toBeVisible();
    await page.getByLabel('Name', { exact: true }).fill('urgent');
    await page.getByRole('button', { name: 'Add label' }).click();
    await expect(page.getByText('This workspace already has a label called "urgent".')).toBeVisible();

    await page.goto('/');
    await openTask(page, 'Pay the rent');
    await page.getByRole('checkbox', { name: 'Urgent' }).check();
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expect(statusMessage(page)).toContainText('Saved “Pay the rent”');
    const chip = taskCard(page, 'Pay the rent').locator('.tag--label');
    await expect(chip).toHaveText('Urgent');
    // Read out as a label, not just a word: the alternative text of the chip's drawn dot.
    expect(await chip.evaluate((el) => getComputedStyle(el, '::before').content)).toContain('Label: ');
    await expect(taskCard(page, 'Water the plants').locator('.tag--label')).toHaveCount(0);

    const filter = page.getByLabel('Label', { exact: true });
    await openFolded(page, filter, 'Filters');
    await filter.selectOption({ label: 'Urgent' });
    if (!hasScripts(testInfo)) await page.getByRole('button', { name: 'Apply' }).click();
    await expect(page).toHaveURL(/[?&]label=\d+/);
    await expect(page.locator('li.card')).toHaveCount(1);
    await expect(taskCard(page, 'Pay the rent')).toBeVisible();
    // By name too, as the API takes it.
    await page.goto('/list?label=urgent');
    await expect(page.locator('li.card')).toHaveCount(1);
  });

  test('deleting a task offers Undo, which restores it with its checklist, labels and place', async ({
    page,
  }) => {
    await signUp(page, uniqueEmail('undo'));
    const [labelId] = await seedLabels(page, [{ name: 'Home', color: 'green' }]);
    const [, doomed] = await seedTasks(page, [
      { title: 'Below' },
      { title: 'Fix the gate' },
      { title: 'Above' },
    ]);
    expect((await page.request.patch(`/api/tasks/${doomed}`, { data: { labels: [labelId] } })).status()).toBe(
      200,
    );
    for (const text of ['Hinges', 'Paint']) {
      expect((await page.request.post(`/api/tasks/${doomed}/checklist`, { data: { text } })).status()).toBe(
        201,
      );
    }
    await page.goto('/');
    const titles = () => page.locator('li.card h3').allTextContents();
    const before = await titles();

    await openTask(page, 'Fix the gate');
    await page.getByRole('link', { name: 'Delete this task…' }).click();
    await page.getByRole('button', { name: 'Delete task', exact: true }).click();
    await expect(page).toHaveURL(/[?&]undo=\d+/);
    await expect(page.getByText('Deleted task “Fix the gate”.')).toBeVisible();
    await expect(taskCard(page, 'Fix the gate')).toHaveCount(0);

    await page.getByRole('button', { name: 'Undo deleting “Fix the gate”' }).click();
    await expect(statusMessage(page)).toContainText('Restored “Fix the gate”');
    const card = taskCard(page, 'Fix the gate');
    await expect(card).toContainText('0/2');
    await expect(card.locator('.tag--label')).toHaveText(/Home/);
    expect((await titles()).map((t) => t.trim())).toEqual(before.map((t) => t.trim()));
    // The Undo is spent: the same page again offers nothing.
    await expect(page.getByRole('button', { name: /^Undo/ })).toHaveCount(0);
  });
});
