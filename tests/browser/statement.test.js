// The account page's history: more pages on scroll, search, date range, CSV.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { server, browser, shareServerAndBrowser, newPage, uiLogin, apiAs } from './harness.js';

const EXTRA = 60;
let checking;
let seeded;

shareServerAndBrowser(async () => {
  const alice = await apiAs(server.url, 'alice');
  const accounts = await alice.accounts();
  checking = accounts.find((a) => a.kind === 'checking');
  const savings = accounts.find((a) => a.kind === 'savings');
  for (let i = 1; i <= EXTRA; i += 1) {
    const r = await alice.post('/api/transactions', { from_account: checking.id, to_account: savings.id, amount: 100 + i, description: `Pocket money ${i}` });
    assert.equal(r.status, 201);
  }
  seeded = (await alice.get(`/api/accounts/${checking.id}/transactions?limit=200`)).items.length;
});

test('the history loads more as it scrolls, and can be searched, narrowed and downloaded', async () => {
  const page = await newPage(browser);
  await uiLogin(page, server.url, 'alice');
  await page.goto(`${server.url}/accounts/${checking.id}`);
  const count = page.locator('.statement-count');
  await page.locator('.tx').first().waitFor();
  assert.match(await count.innerText(), /^50 transactions so far/);

  await page.locator('.statement-foot').scrollIntoViewIfNeeded();
  await page.getByText(`${seeded} transactions`, { exact: true }).waitFor();
  assert.equal(await page.locator('.tx').count(), seeded);
  await page.getByText('That is the whole history for these dates.').waitFor();

  await page.getByLabel('Search').fill('Dinner');
  await page.getByText(`1 of ${seeded} loaded transactions match`).waitFor();
  assert.equal(await page.locator('.tx').count(), 1);

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download CSV' }).click(),
  ]);
  assert.match(download.suggestedFilename(), new RegExp(`^bankbox-${checking.number}-\\d{4}-\\d{2}-\\d{2}\\.csv$`));
  const csv = (await readFile(await download.path(), 'utf8')).trim().split('\r\n');
  assert.equal(csv.length, 2);
  assert.match(csv[0], /^date,account,kind,direction,counterparty/);
  assert.match(csv[1], /,transfer,out,bob,\d{12},"Dinner, thanks!",-42\.50,EUR,/);

  // Today only: the seeded demo history is older, the pocket money is today's.
  await page.getByRole('button', { name: 'Clear filters' }).click();
  const today = await page.evaluate(() => {
    const d = new Date();
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  });
  await page.getByLabel('From').fill(today);
  await page.locator('.statement-foot').scrollIntoViewIfNeeded();
  await page.getByText(`${EXTRA} transactions`, { exact: true }).waitFor();
  assert.equal(await page.getByText('Pocket money').count(), EXTRA);
  assert.equal(await page.getByText('Salary').count(), 0);
  assert.deepEqual(page.pageErrors, []);
  await page.context().close();
});
