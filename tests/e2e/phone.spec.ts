import type { Page } from '@playwright/test';
import {
  expect,
  hasScripts,
  isPhone,
  openFolded,
  seedTasks,
  signUp,
  taskCard,
  test,
  uniqueEmail,
} from './support/fixtures.ts';

// The board on a phone (360 px) and on a desktop, with and without JavaScript (see playwright.config.ts).

test.describe('the board on a phone and on a desktop', () => {
  test('a phone shows one column at a time behind tabs with counts, and tasks on the first screen', async ({
    page,
  }, testInfo) => {
    await signUp(page, uniqueEmail('tabs'));
    await seedTasks(page, [
      ...Array.from({ length: 3 }, (_, i) => ({ title: `Finished ${i}`, status: 'done' as const })),
      ...Array.from({ length: 5 }, (_, i) => ({ title: `Started ${i}`, status: 'doing' as const })),
      ...Array.from({ length: 20 }, (_, i) => ({ title: `Waiting ${i}` })),
    ]);
    await page.goto('/');
    const tabs = page.getByRole('navigation', { name: 'Columns' });
    const todo = page.locator('#column-todo');
    const doing = page.locator('#column-doing');
    const done = page.locator('#column-done');

    if (!isPhone(page)) {
      // Side by side, nothing folded.
      await expect(tabs).toBeHidden();
      for (const c of [todo, doing, done]) await expect(c).toBeVisible();
      await expect(page.locator('form.task-form--create').getByLabel('Title')).toBeVisible();
      await expect(page.getByRole('search').getByLabel('Search')).toBeVisible();
      await expect(taskCard(page, 'Waiting 19')).toBeInViewport();
      return;
    }

    await expect(tabs).toBeVisible();
    await expect(tabs.getByRole('link')).toHaveText([/To do\s*20/, /Doing\s*5/, /Done\s*3/]);
    await expect(todo).toBeVisible();
    await expect(doing).toBeHidden();
    await expect(done).toBeHidden();
    // The first screen shows tasks: the forms are folded behind two buttons.
    await expect(taskCard(page, 'Waiting 19')).toBeInViewport();
    await expect(page.locator('form.task-form--create').getByLabel('Title')).toBeHidden();
    await expect(page.getByRole('search').getByLabel('Search')).toBeHidden();

    await tabs.getByRole('link', { name: /Doing/ }).click();
    await expect(page).toHaveURL(/#column-doing$/);
    await expect(doing).toBeVisible();
    await expect(todo).toBeHidden();
    await expect(taskCard(page, 'Started 4')).toBeInViewport();
    if (hasScripts(testInfo)) {
      await expect(tabs.getByRole('link', { name: /Doing/ })).toHaveAttribute('aria-current', 'true');
    }
    await tabs.getByRole('link', { name: /Done/ }).click();
    await expect(done).toBeVisible();
    await expect(doing).toBeHidden();

    // "Add task" and "Filters" open their forms (links without scripts, toggles with them).
    const title = page.locator('form.task-form--create').getByLabel('Title');
    await openFolded(page, title, 'Add task');
    if (hasScripts(testInfo)) {
      await expect(title).toBeFocused();
      await expect(
        page.locator('.controls-toggles').getByRole('button', { name: 'Add task' }),
      ).toHaveAttribute('aria-expanded', 'true');
    }
    await openFolded(page, page.getByRole('search').getByLabel('Search'), 'Filters');
  });

  test('every control is at least 44 × 44 CSS px on a touch screen', async ({ page, browser }, testInfo) => {
    // On the desktop projects: the same pages on a touch screen at desktop size.
    let touch = page;
    if (!isPhone(page)) {
      const context = await browser.newContext({
        baseURL: testInfo.project.use.baseURL,
        viewport: page.viewportSize() ?? { width: 1280, height: 720 },
        hasTouch: true,
        javaScriptEnabled: hasScripts(testInfo),
      });
      touch = await context.newPage();
    }
    expect(await touch.evaluate(() => matchMedia('(pointer: coarse)').matches)).toBe(true);

    await touch.goto('/login');
    await expectTouchTargets(touch, '/login');
    await signUp(touch, uniqueEmail('targets'));
    const [id] = await seedTasks(touch, [
      { title: 'A task with every tag', description: 'Two\nlines', priority: 'high', dueDate: '2020-01-01' },
    ]);
    await touch.goto('/projects');
    await touch.getByLabel('Name', { exact: true }).fill('Garden');
    await touch.getByRole('button', { name: 'Add project' }).click();
    await expect(touch.getByRole('heading', { name: 'Garden' })).toBeVisible();

    for (const path of ['/', '/list?q=task', '/projects', `/tasks/${id}`, `/tasks/${id}/delete`]) {
      await touch.goto(path);
      // Open whatever is folded so its controls are measured too (without scripts only the
      // section the address points at is open, so each in turn).
      const toggles = touch.locator('.controls-toggles');
      const sections = (await toggles.isVisible()) ? ['Add task', 'Filters'] : [undefined];
      for (const section of sections) {
        if (section) await toggles.getByText(new RegExp(`^${section}`)).click();
        const closed = touch.locator('main details:not([open]) > summary').filter({ visible: true });
        for (let n = await closed.count(); n > 0; n--) await closed.first().click();
        await expectTouchTargets(touch, `${path} ${section ?? ''}`);
      }
    }
    if (touch !== page) await touch.context().close();
  });

  test('the filters fit: no select is clipped, and the board scrolls only downwards', async ({ page }) => {
    await signUp(page, uniqueEmail('fit'));
    for (const path of ['/', '/list']) {
      await page.goto(path);
      const search = page.getByRole('search', { name: 'Filter tasks' });
      await openFolded(page, search.getByLabel('Search'), 'Filters');
      // Whichever option is chosen, its text shows whole: the widest fits beside the arrow.
      for (const label of ['Status', 'Priority', 'Sort by']) {
        const { widest, text, room } = await search.getByLabel(label).evaluate((el) => {
          const s = el as HTMLSelectElement;
          const style = getComputedStyle(s);
          const ctx = document.createElement('canvas').getContext('2d') as CanvasRenderingContext2D;
          ctx.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
          const padding = Number.parseFloat(style.paddingLeft) + Number.parseFloat(style.paddingRight);
          // The drop-down arrow takes about 1.25em of the right-hand side.
          const arrow = 1.25 * Number.parseFloat(style.fontSize);
          const widths = [...s.options].map((o) => ({ text: o.text, width: ctx.measureText(o.text).width }));
          const max = widths.reduce((a, b) => (b.width > a.width ? b : a));
          return { widest: max.width, text: max.text, room: s.clientWidth - padding - arrow };
        });
        expect(
          widest,
          `${path}: "${text}" fits in ${label} (${Math.round(room)} px of room)`,
        ).toBeLessThanOrEqual(room);
      }
      const { scrollWidth, clientWidth } = await page.evaluate(() => ({
        scrollWidth: document.documentElement.scrollWidth,
        clientWidth: document.documentElement.clientWidth,
      }));
      expect(scrollWidth, `${path} scrolls sideways`).toBeLessThanOrEqual(clientWidth);
    }
  });
});

/**
 * Every visible control (links, buttons, fields, summaries) is at least 44 × 44 px, except links
 * inside a sentence (WCAG 2.5.5's "inline" exception).
 */
async function expectTouchTargets(page: Page, path: string): Promise<void> {
  const small = await page
    .locator('a, button, input:not([type=hidden]), select, textarea, summary')
    .evaluateAll((els) =>
      els.flatMap((el) => {
        const box = el.getBoundingClientRect();
        const style = getComputedStyle(el);
        if (box.width === 0 || box.height === 0 || style.visibility === 'hidden') return [];
        if (el.closest('[hidden], dialog:not([open])')) return [];
        if (el.classList.contains('skip-link') && document.activeElement !== el) return [];
        const parentText = el.parentElement?.textContent?.trim() ?? '';
        const inline = el.tagName === 'A' && parentText.length > (el.textContent?.trim().length ?? 0) + 3;
        const inSentence = inline && style.display === 'inline';
        if (inSentence) return [];
        if (box.width >= 43.5 && box.height >= 43.5) return [];
        return [
          `${el.tagName.toLowerCase()} "${(el.textContent ?? '').trim().slice(0, 30)}" ${Math.round(box.width)}×${Math.round(box.height)}`,
        ];
      }),
    );
  expect(small, `${path}: controls smaller than 44 × 44 px`).toEqual([]);
}
