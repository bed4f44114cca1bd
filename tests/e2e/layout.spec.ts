import { mkdirSync } from 'node:fs';
import { addTask, expect, isoDay, signUp, test, uniqueEmail } from './support/fixtures.ts';

const ARTIFACTS = 'artifacts';

test.describe('layout', () => {
  test('nothing scrolls sideways at 360 px wide', async ({ page }) => {
    await page.setViewportSize({ width: 360, height: 740 });
    await page.goto('/login');
    await expectNoSidewaysScroll(page, '/login');
    await signUp(page, uniqueEmail('narrow'));
    await addTask(page, {
      title: 'A rather long task title that has to wrap on a narrow phone screen without overflowing',
      description: 'Averyveryverylongwordwithoutanyspacesthatcouldpushthelayoutwiderthanthescreen',
      priority: 'High',
      dueDate: isoDay(-3),
    });
    const href = (await page.locator('li.card h3 a').first().getAttribute('href')) ?? '';
    for (const path of ['/', '/list', '/projects', href, `${href.split('?')[0]}/delete`, '/no-such-page']) {
      await page.goto(path);
      await expectNoSidewaysScroll(page, path);
    }
    await page.goto('/');
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: `${ARTIFACTS}/board-360.png`, fullPage: true });
  });

  test('the board, in light and dark, is saved as a screenshot', async ({ page }, testInfo) => {
    await page.setViewportSize({ width: 1280, height: 860 });
    await signUp(page, uniqueEmail('screenshot'));
    await page.goto('/projects');
    await page.getByLabel('Name', { exact: true }).fill('Website');
    await page.getByRole('button', { name: 'Add project' }).click();
    await page.goto('/');
    await addTask(page, {
      title: 'Draft the launch announcement',
      description: 'Short and friendly.\nMention the new board view.',
      priority: 'High',
      dueDate: isoDay(2),
      project: 'Website',
    });
    await addTask(page, { title: 'Renew the domain', dueDate: isoDay(-1), project: 'Website' });
    await addTask(page, { title: 'Water the plants', priority: 'Low' });
    await addTask(page, { title: 'Review pull requests', status: 'Doing', dueDate: isoDay(0) });
    await addTask(page, { title: 'Set up the new laptop', status: 'Done', project: 'Website' });

    // Every stylesheet part arrived: the panels, cards and icons are styled, not bare HTML.
    const styled = await page.evaluate(() => {
      const css = (selector: string) => getComputedStyle(document.querySelector(selector) as Element);
      return {
        panel: css('.panel').borderTopStyle,
        card: css('.card').borderTopLeftRadius,
        icon: getComputedStyle(document.querySelector('.tag--overdue') as Element, '::before').width,
        board: css('.board').display,
      };
    });
    expect(styled).toEqual({
      panel: 'solid',
      card: '10px',
      icon: expect.stringMatching(/^1\d(\.\d+)?px$/),
      board: 'grid',
    });

    mkdirSync(ARTIFACTS, { recursive: true });
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      const path = `${ARTIFACTS}/board-${scheme}.png`;
      await page.screenshot({ path, fullPage: true });
      await testInfo.attach(`board-${scheme}`, { path, contentType: 'image/png' });
    }
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await page.emulateMedia({ colorScheme: 'light' });
    expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).not.toBe(background);
  });
});

async function expectNoSidewaysScroll(page: import('@playwright/test').Page, path: string): Promise<void> {
  const { scrollWidth, clientWidth } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
  }));
  expect(scrollWidth, `${path} is ${scrollWidth}px wide in a ${clientWidth}px window`).toBeLessThanOrEqual(
    clientWidth,
  );
}
