import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openLab, startLabBrowser, type LabBrowser } from '../helpers/appServer.ts';

/**
 * The Data step's one-click path in headless Chromium: the bundled Chorus catalogue (public/data/chorus, four
 * zips) and its dev judgments, fetched, parsed in the pipeline worker and summarised on the page. No model is
 * loaded, so this stays fast. Counts are the catalogue's own: 19,406 products, 67 judged queries, 1,960
 * judgments (the same numbers loadLabData gives in Node).
 */

let lab: LabBrowser;

beforeAll(async () => {
  lab = await startLabBrowser('bundled-');
}, 180_000);

afterAll(async () => {
  await lab?.close();
});

/** The number shown under a label of the "What was loaded" counts. */
const count = (page: Page, label: string) =>
  page
    .locator('.counts > div', { has: page.locator('dt', { hasText: new RegExp(`^${label}$`) }) })
    .locator('dd')
    .textContent();

describe('the bundled Chorus catalogue', () => {
  it('loads with one click: 19,406 products, the 67 dev queries, a preview; the quick-run slice is cut in the worker', async () => {
    const { page, errors } = await openLab(lab.browser, lab.url, { backend: 'wasm', hub: 'http://127.0.0.1:9' });
    await page.getByRole('button', { name: 'Load the Chorus catalogue and judgments' }).click();
    // one click also moves on to Configure; the Data step keeps the summary
    await page.getByRole('heading', { name: /Step 2 Configure/ }).waitFor({ timeout: 120_000 });
    await page.getByRole('navigation', { name: 'Kata steps' }).getByRole('button', { name: /Data/ }).click();
    await page.getByRole('heading', { name: 'What was loaded' }).waitFor();
    expect(await count(page, 'Products')).toBe('19,406');
    expect(await count(page, 'Searchable documents')).toBe('19,406');
    expect(await count(page, 'Judged queries')).toBe('67');
    expect(await count(page, 'Judgments')).toBe('1,960');
    expect(await count(page, 'Rejected records')).toBe('0');
    const rows = page.locator('table.preview tbody tr');
    expect(await rows.count()).toBe(20);
    expect((await rows.first().locator('td').nth(1).textContent())?.trim()).not.toBe('');
    await lab.shot(page, '1-data');

    // every judged product plus the first 100 others: 1,556 judged products are in the catalogue
    await page.getByText('Options: product text and corpus size').click();
    await page.getByLabel(/Quick run/).check();
    await page.getByLabel('Other products to keep').fill('100');
    await page.getByRole('button', { name: 'Load the Chorus catalogue and judgments' }).click();
    await page.getByRole('heading', { name: /Step 2 Configure/ }).waitFor({ timeout: 120_000 });
    await page.getByRole('navigation', { name: 'Kata steps' }).getByRole('button', { name: /Data/ }).click();
    await expect.poll(() => count(page, 'Products'), { timeout: 10_000 }).toBe('1,656');
    expect(await count(page, 'Judged queries')).toBe('67');
    expect(errors).toEqual([]);
    await page.context().close();
  }, 240_000);
});
