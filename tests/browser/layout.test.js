// Phone width without sideways scrolling, dark mode, and the admin pages.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { server, browser, shareServerAndBrowser, newPage, uiLogin, apiAs, money, screenshot, hasHorizontalScroll } from './harness.js';

shareServerAndBrowser();

test('at 375 px the dashboard, account and transfer pages never scroll sideways', async () => {
  const [checking] = await (await apiAs(server.url, 'alice')).accounts();
  const page = await newPage(browser, { viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true });
  await uiLogin(page, server.url, 'alice');
  await page.getByTestId('total').waitFor();
  assert.equal(await hasHorizontalScroll(page), false, 'dashboard');
  await screenshot(page, 'phone-dashboard');

  await page.goto(`${server.url}/accounts/${checking.id}`);
  await page.locator('.tx').first().waitFor();
  assert.equal(await hasHorizontalScroll(page), false, 'account');
  await screenshot(page, 'phone-account');

  await page.goto(`${server.url}/transfer`);
  await page.getByRole('button', { name: 'Review transfer' }).waitFor();
  await page.getByText('Someone else').click();
  assert.equal(await hasHorizontalScroll(page), false, 'transfer');
  await screenshot(page, 'phone-transfer');
  // The tab bar is the phone's navigation.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Home' }).click();
  await page.getByTestId('total').waitFor();
  await page.context().close();
});

test('dark mode follows the system setting', async () => {
  const page = await newPage(browser, { colorScheme: 'dark' });
  await uiLogin(page, server.url, 'alice');
  await page.getByTestId('total').waitFor();
  const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const [r, g, b] = background.match(/\d+/g).map(Number);
  assert.ok(r + g + b < 120, `a dark background, got ${background}`);
  await screenshot(page, 'dark-dashboard');
  await page.context().close();
});

test('an admin sees every customer, books a deposit and freezes an account', async () => {
  const bob = await apiAs(server.url, 'bob');
  const [bobChecking] = await bob.accounts();
  const page = await newPage(browser);
  await uiLogin(page, server.url, 'admin');
  await page.getByRole('link', { name: 'Admin' }).click();
  await page.getByRole('heading', { name: 'Administration' }).waitFor();
  for (const name of ['alice', 'bob', 'admin']) await page.getByRole('heading', { level: 3, name }).waitFor();
  await screenshot(page, 'admin');

  await page.getByRole('button', { name: `Deposit to bob's ${bobChecking.name}` }).click();
  await page.getByLabel('Amount').fill('250');
  await page.getByLabel('Description').fill('Cash at the counter');
  await page.getByRole('button', { name: 'Book it' }).click();
  await page.getByText(`Deposited ${money(25000)}`).waitFor();
  const after = await bob.accounts();
  assert.equal(after[0].balance, bobChecking.balance + 25000);
  await page.getByText(money(after[0].balance)).first().waitFor();

  await page.getByRole('button', { name: `Freeze bob's ${bobChecking.name}`, exact: true }).click();
  await page.getByRole('button', { name: `Unfreeze bob's ${bobChecking.name}`, exact: true }).waitFor();
  assert.equal((await bob.accounts())[0].frozen, true);
  await page.getByRole('button', { name: `Unfreeze bob's ${bobChecking.name}`, exact: true }).click();
  await page.getByRole('button', { name: `Freeze bob's ${bobChecking.name}`, exact: true }).waitFor();
  assert.equal((await bob.accounts())[0].frozen, false);
  await page.context().close();
});

test('an admin makes a new customer, who can then log in', async () => {
  const page = await newPage(browser);
  await uiLogin(page, server.url, 'admin');
  await page.goto(`${server.url}/admin`);
  await page.getByRole('heading', { name: 'New customer' }).waitFor();
  await page.getByLabel('Username').fill('carol');
  await page.getByLabel('Email').fill('carol@example.com');
  await page.getByLabel('First password', { exact: true }).fill('carol-first-1');
  await page.getByRole('button', { name: 'Create customer' }).click();
  await page.getByText('carol can now log in, with a checking account.').waitFor();
  await page.getByRole('heading', { level: 3, name: 'carol' }).waitFor();
  const login = await fetch(`${server.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: 'carol', password: 'carol-first-1' }),
  });
  assert.equal(login.status, 200);

  // The same name again is refused in words, and nothing else is made.
  await page.getByLabel('Username').fill('carol');
  await page.getByLabel('Email').fill('carol2@example.com');
  await page.getByLabel('First password', { exact: true }).fill('carol-first-2');
  await page.getByRole('button', { name: 'Create customer' }).click();
  await page.locator('.new-customer [role=alert]').filter({ hasText: /\S/ }).waitFor();
  assert.equal(await page.getByRole('heading', { level: 3, name: 'carol' }).count(), 1);
  await page.context().close();
});

test('customers do not see the admin page', async () => {
  const page = await newPage(browser);
  await uiLogin(page, server.url, 'alice');
  assert.equal(await page.getByRole('link', { name: 'Admin' }).count(), 0);
  await page.goto(`${server.url}/admin`);
  await page.getByRole('heading', { name: 'This page does not exist' }).waitFor();
  await page.context().close();
});
