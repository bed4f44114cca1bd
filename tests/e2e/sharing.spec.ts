import type { Browser, Page } from '@playwright/test';
import { addTask, column, expect, signUp, taskCard, test, uniqueEmail } from './support/fixtures.ts';

/** A fresh browser context (its own cookies): another person at another computer. */
async function person(browser: Browser, label: string): Promise<{ page: Page; email: string }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const email = uniqueEmail(label);
  await signUp(page, email);
  return { page, email };
}

test.describe('shared workspaces', () => {
  test('two people share a board: invite, accept, both add and move tasks; others and the removed get 404', async ({
    browser,
  }) => {
    const alice = await person(browser, 'alice');
    const bob = await person(browser, 'bob');

    // Alice makes a workspace and invites Bob.
    await alice.page.goto('/workspaces');
    await alice.page.getByLabel('Workspace name').fill('Garden club');
    await alice.page.getByRole('button', { name: 'New workspace' }).click();
    await expect(alice.page.getByRole('heading', { name: 'Board', level: 1 })).toBeVisible();
    const boardUrl = alice.page.url();
    expect(boardUrl).toMatch(/\/w\/[\w-]{22}\/$/);
    const switcher = alice.page.getByRole('navigation', { name: 'Workspaces' });
    await expect(switcher.getByRole('link', { name: 'Garden club' })).toHaveAttribute('aria-current', 'true');
    await expect(switcher.getByRole('link', { name: 'Personal' })).toBeVisible();
    await alice.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Members' }).click();
    await alice.page.getByLabel('Email').fill(bob.email);
    await alice.page.getByRole('button', { name: 'Invite' }).click();
    await expect(alice.page.getByText(`Invited ${bob.email}`)).toBeVisible();

    // Bob sees the invitation and accepts it.
    await bob.page.reload();
    await bob.page
      .getByRole('navigation', { name: 'Workspaces' })
      .getByRole('link', { name: /1 invitation/ })
      .click();
    await expect(bob.page.getByText('Garden club')).toBeVisible();
    await bob.page.getByRole('button', { name: 'Accept the invitation to Garden club' }).click();
    await expect(bob.page).toHaveURL(boardUrl);

    // Both add and move tasks; each sees the other's changes on the next page load.
    await addTask(bob.page, { title: 'Buy seeds' });
    await alice.page.goto(boardUrl);
    await expect(taskCard(alice.page, 'Buy seeds')).toBeVisible();
    await taskCard(alice.page, 'Buy seeds')
      .getByRole('button', { name: 'Move “Buy seeds” to Doing' })
      .click();
    await expect(column(alice.page, 'Doing').getByText('Buy seeds')).toBeVisible();
    await addTask(alice.page, { title: 'Water the beds' });
    await bob.page.reload();
    await expect(column(bob.page, 'Doing').getByText('Buy seeds')).toBeVisible();
    await expect(column(bob.page, 'To do').getByText('Water the beds')).toBeVisible();
    await taskCard(bob.page, 'Buy seeds').getByRole('link', { name: 'Buy seeds' }).click();
    await expect(
      bob.page.getByText(new RegExp(`Created .* by ${bob.email}.*changed .* by ${alice.email}`)),
    ).toBeVisible();

    // A third person gets a 404 for the board and the API alike.
    const carol = await person(browser, 'carol');
    const page = await carol.page.goto(boardUrl);
    expect(page?.status()).toBe(404);
    await expect(carol.page.getByText('Buy seeds')).toHaveCount(0);
    const workspaceId = boardUrl.split('/w/')[1]?.replace('/', '');
    const api = await carol.page.request.get(`/api/workspaces/${workspaceId}/tasks`);
    expect(api.status()).toBe(404);

    // Alice removes Bob: his next request is a 404.
    await alice.page.goto(boardUrl.replace(/\/$/, '/members'));
    await alice.page.getByRole('button', { name: `Remove ${bob.email}` }).click();
    await expect(alice.page.getByText(bob.email)).toHaveCount(0);
    const after = await bob.page.goto(boardUrl);
    expect(after?.status()).toBe(404);
    await expect(bob.page.getByText('Buy seeds')).toHaveCount(0);
  });
});
