import {
  addTask,
  column,
  expect,
  seedTasks,
  signUp,
  taskCard,
  test,
  uniqueEmail,
} from './support/fixtures.ts';

// The server compresses what it sends (nothing in front of a Function URL does): Brotli for a
// browser, gzip for a client that takes only gzip, nothing for one that takes neither. Run by the
// parity test against the container too.

test.describe('compressed responses', () => {
  test('pages, styles, scripts and JSON arrive compressed as the client asks, and still read right', async ({
    page,
  }) => {
    await signUp(page, uniqueEmail('compressed'));
    await seedTasks(
      page,
      Array.from({ length: 12 }, (_, i) => ({ title: `Compressed task ${i}`, description: 'x'.repeat(80) })),
    );
    const board = await page.goto('/');
    const headers = await board?.allHeaders();
    expect(headers?.['content-encoding']).toBe('br');
    expect(headers?.vary).toMatch(/Accept-Encoding/i);
    await expect(page.locator('li.card')).toHaveCount(12);

    const html = await page.content();
    const assets = [...html.matchAll(/(?:href|src)="(\/_astro\/[^"]+\.(?:css|js))"/g)].map((m) => m[1] ?? '');
    expect(assets.length).toBeGreaterThanOrEqual(2);
    for (const asset of [...assets, '/', '/api/tasks']) {
      const br = await page.request.get(asset, { headers: { 'accept-encoding': 'br' } });
      expect(br.headers()['content-encoding'], `${asset} with br`).toBe('br');
      const gzip = await page.request.get(asset, { headers: { 'accept-encoding': 'gzip' } });
      expect(gzip.headers()['content-encoding'], `${asset} with gzip`).toBe('gzip');
      const plain = await page.request.get(asset, { headers: { 'accept-encoding': 'identity' } });
      expect(plain.headers()['content-encoding'], `${asset} with identity`).toBeUndefined();
      // Whatever the encoding, the same bytes once decoded (pages differ only in their request id).
      if (asset.startsWith('/_astro/')) expect(await br.body()).toEqual(await plain.body());
    }
    // A static bundle goes out as built: its pre-compressed sibling, with a length, cached for good.
    const css = await page.request.get(assets.find((a) => a.endsWith('.css')) ?? '', {
      headers: { 'accept-encoding': 'br' },
    });
    expect(css.headers()['cache-control']).toContain('immutable');
    expect(Number(css.headers()['content-length'])).toBeGreaterThan(0);
  });

  test('a board loaded again while nothing changed comes from memory as gzip, and works like a render', async ({
    page,
  }) => {
    await signUp(page, uniqueEmail('kept'));
    await addTask(page, { title: 'On the board before' });
    const rendered = await page.reload();
    expect(rendered?.headers()['x-page-cache']).toBeUndefined();
    const kept = await page.reload();
    // A page kept by the server (src/server/http/page-cache.ts): spliced gzip, fresh form tokens.
    expect(kept?.headers()['x-page-cache']).toBe('hit');
    expect(kept?.headers()['content-encoding']).toBe('gzip');
    await expect(taskCard(page, 'On the board before')).toHaveCount(1);
    // Its forms carry tokens of their own: adding from it works, and the board shows the write.
    await addTask(page, { title: 'Added from a kept page' });
    await expect(column(page, 'To do').locator('li.card')).toHaveCount(2);
    await expect(taskCard(page, 'Added from a kept page')).toHaveCount(1);
  });
});
