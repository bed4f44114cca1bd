import { addTask, expect, signUp, taskCard, test, uniqueEmail } from './support/fixtures.ts';

test.describe('pages under the Content-Security-Policy', () => {
  test('carry the policy and nothing inline: no inline scripts or styles, no event-handler attributes', async ({
    page,
  }) => {
    await signUp(page, uniqueEmail('csp'));
    await addTask(page, { title: 'Inline check' });
    const href = (await taskCard(page, 'Inline check').getByRole('link').getAttribute('href')) ?? '';
    const paths = ['/', '/list?q=x', '/projects', href, `${href.split('?')[0]}/delete`, '/no-such-page'];
    for (const path of paths) {
      const response = await page.request.get(path);
      const csp = response.headers()['content-security-policy'] ?? '';
      expect(csp, path).toContain("script-src 'self'");
      expect(csp, path).toContain("style-src 'self'");
      const html = await response.text();
      expect(html, path).toMatch(/<link rel="stylesheet" href="\/_astro\/[^"]+\.css">/);
      expect(html.match(/<script(?![^>]*\bsrc=)[^>]*>/g) ?? [], `${path}: inline <script>`).toEqual([]);
      expect(html.match(/<style[\s>]/g) ?? [], `${path}: <style>`).toEqual([]);
      expect(html.match(/\sstyle=/g) ?? [], `${path}: style attribute`).toEqual([]);
      expect(html.match(/\son[a-z]+=/g) ?? [], `${path}: event-handler attribute`).toEqual([]);
    }
  });

  test('unknown pages and tasks get a friendly 404', async ({ page }) => {
    await signUp(page, uniqueEmail('not-found'));
    for (const path of ['/no-such-page', '/tasks/999999999', '/tasks/abc', '/projects/999999999/delete']) {
      const response = await page.goto(path);
      expect(response?.status(), path).toBe(404);
      await expect(page.getByRole('heading', { name: 'We couldn’t find that page' })).toBeVisible();
      await expect(page.getByRole('link', { name: 'Go to your board' })).toBeVisible();
    }
  });
});
