import { addTask, column, expect, signUp, taskCard, test, uniqueEmail } from './support/fixtures.ts';

// Runs with scripts on and off (`chromium-no-js`): the one-time token is a plain hidden field.
test.describe('a form sent twice', () => {
  test('creates one task and lands where the first submission did, the task highlighted', async ({
    page,
  }) => {
    await signUp(page, uniqueEmail('once'));
    await addTask(page, { title: 'Already on the board' });

    // What the browser posts when "Add task" is clicked: the same bytes again are what a double
    // click or a resubmitted page sends.
    let sent: { url: string; body: string; headers: Record<string, string> } | undefined;
    await page.route(
      (url) => url.searchParams.has('_action'),
      async (route) => {
        const request = route.request();
        if (request.method() === 'POST' && !sent) {
          sent = { url: request.url(), body: request.postData() ?? '', headers: request.headers() };
        }
        await route.continue();
      },
    );
    // Where the first submission sent the browser (scripts tidy the address bar afterwards).
    const answered = page.waitForResponse(
      (res) => res.request().method() === 'POST' && new URL(res.url()).searchParams.has('_action'),
    );
    await addTask(page, { title: 'Pay the rent' });
    await page.unroute((url) => url.searchParams.has('_action'));
    expect(sent, 'the browser posted the form').toBeDefined();
    const first = sent as NonNullable<typeof sent>;
    expect(first.body).toContain('_once=');
    const firstAnswer = await answered;
    expect(firstAnswer.status()).toBe(303);
    const landed = new URL(firstAnswer.headers().location ?? '', page.url());
    expect(landed.searchParams.get('task')).toMatch(/^\d+$/);
    const todo = column(page, 'To do');
    await expect(todo.locator('li.card')).toHaveCount(2);

    // The headers the browser sent that the server reads for a form post (the cookie goes with the context).
    const resend = {
      'content-type': first.headers['content-type'] ?? '',
      origin: first.headers.origin ?? landed.origin,
    };
    const again = await page.request.post(first.url, {
      headers: resend,
      data: first.body,
      maxRedirects: 0,
    });
    expect(again.status()).toBe(303);
    const location = new URL(again.headers().location ?? '', landed);
    expect(`${location.pathname}${location.search}`).toBe(`${landed.pathname}${landed.search}`);

    await page.goto(location.href);
    await expect(todo.locator('li.card')).toHaveCount(2);
    await expect(taskCard(page, 'Pay the rent')).toHaveCount(1);
    await expect(taskCard(page, 'Pay the rent')).toHaveClass(/card--highlight/);

    // The same form with other values is another change: it applies.
    const changed = first.body.replace(/Pay(\+| )the(\+| )rent/, 'Pay$1the$2gas');
    expect(changed).not.toBe(first.body);
    const other = await page.request.post(first.url, {
      headers: resend,
      data: changed,
      maxRedirects: 0,
    });
    expect(other.status()).toBe(303);
    await page.reload();
    await expect(todo.locator('li.card')).toHaveCount(3);
    await expect(taskCard(page, 'Pay the gas')).toHaveCount(1);
  });
});
