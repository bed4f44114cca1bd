import { addTask, expect, hasScripts, signUp, taskCard, test, uniqueEmail } from './support/fixtures.ts';

test.describe('the description preview', () => {
  test('shows the Markdown as the page will, inert, and goes back to the text unchanged', async ({
    page,
  }, testInfo) => {
    test.skip(
      !hasScripts(testInfo),
      'the toggle is an enhancement: without scripts the saved page renders it',
    );
    await signUp(page, uniqueEmail('preview'));
    await addTask(page, { title: 'Write it up' });
    await taskCard(page, 'Write it up').getByRole('link', { name: 'Write it up' }).click();
    const text =
      '**Bold** and _soft_\n\n<script>window.hit = 1</script>\n\n[trap](javascript:window.hit=2)\n\n- [ ] a box';
    const field = page.getByLabel('Description', { exact: true });
    await field.fill(text);
    await page.getByRole('button', { name: 'Preview' }).click();
    const preview = page.getByRole('region', { name: 'Markdown preview' });
    await expect(preview.locator('strong')).toHaveText('Bold');
    await expect(preview).toContainText('<script>window.hit = 1</script>');
    await expect(preview.getByRole('link')).toHaveCount(0);
    await expect(preview.getByRole('checkbox')).toBeDisabled();
    await expect(field).toBeHidden();
    expect(await page.evaluate(() => (window as { hit?: number }).hit)).toBeUndefined();

    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    await expect(field).toBeVisible();
    await expect(field).toHaveValue(text);
    await expect(preview).toBeHidden();
  });
});
