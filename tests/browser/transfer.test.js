// Paying bob by account number, refusals shown inline, and a double click
// that pays once.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { server, browser, shareServerAndBrowser, newPage, uiLogin, apiAs, money, screenshot } from './harness.js';

let alice;
let bob;

shareServerAndBrowser(async () => {
  [alice, bob] = await Promise.all([apiAs(server.url, 'alice'), apiAs(server.url, 'bob')]);
});

const checkingOf = async (api) => (await api.accounts()).find((a) => a.kind === 'checking');
const spaced = (n) => n.replace(/(\d{4})(?=\d)/g, '$1 ');

/** Opens the transfer form and fills it in for an account number. */
async function fillTransfer(page, number, amount, description) {
  await page.goto(`${server.url}/transfer`);
  await page.getByText('Someone else').click();
  await page.getByLabel('Account number').fill(number);
  await page.getByLabel('Amount').fill(amount);
  await page.getByLabel('Description').fill(description);
}

test('alice pays bob by account number; both histories show it with the right balances', async () => {
  const from = await checkingOf(alice);
  const to = await checkingOf(bob);
  const page = await newPage(browser);
  await uiLogin(page, server.url, 'alice');

  await page.goto(`${server.url}/transfer`);
  await page.getByText('Someone else').click();
  const number = page.getByLabel('Account number');
  // A typo in the check digits is caught while typing.
  const typo = to.number.slice(0, 11) + String((Number(to.number[11]) + 1) % 10);
  await number.fill(typo);
  await page.getByText('These digits do not add up').waitFor();
  await number.fill(spaced(to.number));
  assert.equal(await page.getByTestId('payee-name').innerText(), 'bob');
  await page.getByLabel('Amount').fill('12.34');
  await page.getByLabel('Description').fill('Lunch on Friday');
  await screenshot(page, 'transfer');
  await page.getByRole('button', { name: 'Review transfer' }).click();
  assert.match(await page.getByTestId('review-to').innerText(), /^bob/);
  await page.getByRole('button', { name: `Send ${money(1234)}` }).click();
  await page.getByRole('heading', { name: `${money(1234)} sent to bob` }).waitFor();

  const fromAfter = from.balance - 1234;
  const toAfter = to.balance + 1234;
  assert.equal((await checkingOf(alice)).balance, fromAfter);
  assert.equal((await checkingOf(bob)).balance, toAfter);

  await page.getByRole('link', { name: `View ${from.name}` }).click();
  await page.getByTestId('balance').waitFor();
  assert.equal(await page.getByTestId('balance').innerText(), money(fromAfter));
  const mine = page.locator('.tx').first();
  assert.match(await mine.innerText(), /bob[\s\S]*Lunch on Friday[\s\S]*-€12\.34[\s\S]*/);
  assert.match(await mine.innerText(), new RegExp(money(fromAfter).replace(/[$.]/g, '\\$&')));
  await screenshot(page, 'account');
  await page.context().close();

  const bobPage = await newPage(browser);
  await uiLogin(bobPage, server.url, 'bob');
  await bobPage.goto(`${server.url}/accounts/${to.id}`);
  await bobPage.getByTestId('balance').waitFor();
  assert.equal(await bobPage.getByTestId('balance').innerText(), money(toAfter));
  const theirs = bobPage.locator('.tx').first();
  assert.match(await theirs.innerText(), /alice[\s\S]*Lunch on Friday[\s\S]*\+€12\.34/);
  assert.match(await theirs.innerText(), new RegExp(money(toAfter).replace(/[$.]/g, '\\$&')));
  await bobPage.context().close();
});

test('a transfer over the balance is refused inline and nothing moves', async () => {
  const from = await checkingOf(alice);
  const to = await checkingOf(bob);
  const page = await newPage(browser);
  await uiLogin(page, server.url, 'alice');

  // Caught in the form, before anything is sent.
  await fillTransfer(page, to.number, ((from.balance + 100) / 100).toFixed(2), 'Too much');
  await page.getByRole('button', { name: 'Review transfer' }).click();
  await page.getByText(`That is more than the ${money(from.balance)} available`).waitFor();
  assert.equal(await page.getByRole('button', { name: /^Send/ }).count(), 0);

  // Refused by the server when the balance drops after the form was filled in.
  await fillTransfer(page, to.number, (from.balance / 100).toFixed(2), 'All of it');
  await page.getByTestId('payee-name').waitFor();
  await page.getByRole('button', { name: 'Review transfer' }).click();
  const send = page.getByRole('button', { name: `Send ${money(from.balance)}` });
  await send.waitFor();
  const savings = (await alice.accounts()).find((a) => a.kind === 'savings');
  const moved = await alice.post('/api/transactions', { from_account: from.id, to_account: savings.id, amount: 1, description: 'meanwhile' });
  assert.equal(moved.status, 201);
  await send.click();
  const alert = page.getByRole('alert').filter({ hasText: 'not enough money' });
  await alert.waitFor();
  assert.match(await alert.innerText(), /There is not enough money in this account/);
  assert.equal((await checkingOf(alice)).balance, from.balance - 1);
  assert.equal((await checkingOf(bob)).balance, to.balance);
  await page.context().close();
});

test('a double click on send pays once', async () => {
  const from = await checkingOf(alice);
  const to = await checkingOf(bob);
  const page = await newPage(browser);
  await uiLogin(page, server.url, 'alice');
  let posts = 0;
  page.on('request', (r) => {
    if (r.method() === 'POST' && new URL(r.url()).pathname === '/api/transactions') posts += 1;
  });
  await fillTransfer(page, to.number, '5.00', 'Double click');
  await page.getByTestId('payee-name').waitFor();
  await page.getByRole('button', { name: 'Review transfer' }).click();
  await page.getByRole('button', { name: `Send ${money(500)}` }).dblclick();
  await page.getByRole('heading', { name: `${money(500)} sent to bob` }).waitFor();
  assert.equal(posts, 1);
  assert.equal((await checkingOf(alice)).balance, from.balance - 500);
  assert.equal((await checkingOf(bob)).balance, to.balance + 500);
  const history = await alice.get(`/api/accounts/${from.id}/transactions?limit=20`);
  assert.equal(history.items.filter((t) => t.description === 'Double click').length, 1);
  await page.context().close();
});

test('a retry after a lost answer reuses the Idempotency-Key and pays once', async () => {
  const from = await checkingOf(alice);
  const to = await checkingOf(bob);
  const page = await newPage(browser);
  await uiLogin(page, server.url, 'alice');
  const keys = [];
  page.on('request', (r) => {
    if (r.method() === 'POST' && new URL(r.url()).pathname === '/api/transactions') keys.push(r.headers()['idempotency-key']);
  });
  // The server books the first attempt, but its answer never reaches the page.
  await page.route('**/api/transactions', async (route) => {
    await route.fetch();
    await route.abort('connectionreset');
  }, { times: 1 });
  await fillTransfer(page, to.number, '7.00', 'Lost answer');
  await page.getByTestId('payee-name').waitFor();
  await page.getByRole('button', { name: 'Review transfer' }).click();
  await page.getByRole('button', { name: `Send ${money(700)}` }).click();
  await page.getByRole('alert').filter({ hasText: 'will not pay twice' }).waitFor();
  await page.getByRole('button', { name: `Try again: send ${money(700)}` }).click();
  await page.getByRole('heading', { name: `${money(700)} sent to bob` }).waitFor();
  assert.equal(keys.length, 2);
  assert.ok(keys[0], 'an Idempotency-Key is sent');
  assert.equal(keys[1], keys[0], 'the retry reuses the key');
  assert.equal((await checkingOf(alice)).balance, from.balance - 700);
  assert.equal((await checkingOf(bob)).balance, to.balance + 700);
  await page.context().close();
});
