// Logging in, a refused login, and logging out for good.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { server, browser, shareServerAndBrowser, newPage, uiLogin, apiAs, money, screenshot } from './harness.js';

shareServerAndBrowser();

test('the login page offers the demo logins in development', async () => {
  const page = await newPage(browser);
  await page.goto(`${server.url}/`);
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  assert.equal(new URL(page.url()).pathname, '/login');
  await page.getByRole('heading', { name: 'Demo logins' }).waitFor();
  await page.getByRole('button', { name: 'Log in as bob' }).click();
  assert.equal(await page.getByLabel('Username').inputValue(), 'bob');
  await screenshot(page, 'login');
  await page.context().close();
});

test('the keyboard alone is enough to log in', async () => {
  const page = await newPage(browser);
  await page.goto(`${server.url}/login`);
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  const focused = () => page.evaluate(() => document.activeElement?.getAttribute('name') || document.activeElement?.textContent);
  for (let i = 0; i < 5 && (await focused()) !== 'username'; i += 1) await page.keyboard.press('Tab');
  assert.equal(await focused(), 'username');
  await page.keyboard.type('bob');
  await page.keyboard.press('Tab');
  assert.equal(await focused(), 'password');
  await page.keyboard.type('bob-demo-1');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { level: 1, name: /bob/ }).waitFor();
  await page.context().close();
});

test('a wrong password is refused with a clear message', async () => {
  const page = await newPage(browser);
  await page.goto(`${server.url}/login`);
  await page.getByLabel('Username').fill('alice');
  await page.getByLabel('Password', { exact: true }).fill('not-her-password');
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  const alert = page.getByRole('alert');
  await alert.waitFor();
  assert.match(await alert.innerText(), /Wrong username or password/);
  assert.equal(new URL(page.url()).pathname, '/login');
  await screenshot(page, 'login-error');
  await page.context().close();
});

test('alice logs in and sees each balance and her total', async () => {
  const api = await apiAs(server.url, 'alice');
  const accounts = await api.accounts();
  assert.ok(accounts.length >= 2, 'the demo gives alice checking and savings');
  const page = await newPage(browser);
  await uiLogin(page, server.url, 'alice');
  for (const a of accounts) {
    const card = page.getByRole('link', { name: new RegExp(a.name) }).filter({ hasText: money(a.balance) });
    await card.first().waitFor();
  }
  const total = accounts.reduce((sum, a) => sum + a.balance, 0);
  assert.equal(await page.getByTestId('total').innerText(), money(total));
  await page.getByRole('group', { name: /balance over the last 90 days/ }).waitFor();
  await page.getByRole('heading', { name: 'Latest transactions' }).waitFor();
  assert.deepEqual(page.pageErrors, []);
  await screenshot(page, 'dashboard');
  await page.context().close();
});

test('logging out ends the session and the back button brings no data back', async () => {
  const page = await newPage(browser);
  await uiLogin(page, server.url, 'alice');
  const [checking] = await (await apiAs(server.url, 'alice')).accounts();
  await page.getByRole('link', { name: new RegExp(checking.name) }).first().click();
  await page.getByTestId('balance').waitFor();
  await page.getByRole('button', { name: 'Log out' }).first().click();
  await page.getByRole('heading', { name: 'Log in' }).waitFor();

  await page.goBack();
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  assert.equal(await page.getByTestId('balance').count(), 0);
  assert.doesNotMatch(await page.locator('body').innerText(), /€/);

  await page.goForward().catch(() => {});
  await page.reload();
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  const status = await page.evaluate(() => fetch('/api/users/me').then((r) => r.status));
  assert.equal(status, 401, 'the session cookie no longer works');
  await page.context().close();
});
