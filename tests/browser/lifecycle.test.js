// A new customer: registers, opens and closes an account, changes password.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { server, browser, shareServerAndBrowser, newPage, screenshot } from './harness.js';

shareServerAndBrowser();

test('register, open and close an account, change the password, log in again', async () => {
  const page = await newPage(browser);
  await page.goto(`${server.url}/login`);
  await page.getByRole('link', { name: 'Create an account' }).click();
  await page.getByRole('heading', { name: 'Create your account' }).waitFor();
  await page.getByLabel('Username').fill('carol');
  await page.getByLabel('Email').fill('carol@example.com');
  await page.getByLabel('Password', { exact: true }).fill('short');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByText('Use 8 to 128 characters.').waitFor();
  await page.getByLabel('Password', { exact: true }).fill('carol-secret-1');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { level: 1, name: /carol/ }).waitFor();
  assert.equal(await page.getByTestId('total').innerText(), '€0.00');

  await page.getByRole('link', { name: 'Open account' }).click();
  await page.getByRole('heading', { name: 'Open an account' }).waitFor();
  await page.getByText('Savings', { exact: true }).click();
  await page.getByLabel('Currency').selectOption('USD');
  await page.getByLabel('Account name').fill('Travel');
  await screenshot(page, 'open-account');
  await page.getByRole('button', { name: 'Open account' }).click();
  await page.getByRole('heading', { level: 1, name: 'Travel' }).waitFor();
  assert.equal(await page.getByTestId('balance').innerText(), '$0.00');
  await page.getByText('No transactions yet.').waitFor();

  await page.getByRole('button', { name: 'Close account' }).click();
  await page.getByRole('button', { name: 'Yes, close it' }).click();
  await page.getByText('Closed', { exact: true }).first().waitFor();
  assert.equal(await page.getByRole('button', { name: 'Close account' }).count(), 0);

  await page.getByRole('link', { name: 'Profile' }).click();
  await page.getByRole('heading', { level: 1, name: 'Profile' }).waitFor();
  await page.getByLabel('Current password').fill('not-it-at-all');
  await page.getByLabel('New password', { exact: true }).fill('carol-secret-2');
  await page.getByLabel('Repeat new password').fill('carol-secret-2');
  await page.getByRole('button', { name: 'Change password' }).click();
  await page.getByRole('alert').filter({ hasText: 'current password is not right' }).waitFor();
  await page.getByLabel('Current password').fill('carol-secret-1');
  await page.getByLabel('New password', { exact: true }).fill('carol-secret-2');
  await page.getByLabel('Repeat new password').fill('carol-secret-2');
  await page.getByRole('button', { name: 'Change password' }).click();
  await page.getByText('Your password has been changed.').waitFor();
  await screenshot(page, 'profile');

  await page.locator('.logout-card').getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  await page.getByLabel('Username').fill('carol');
  await page.getByLabel('Password', { exact: true }).fill('carol-secret-2');
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: /carol/ }).waitFor();
  assert.deepEqual(page.pageErrors, []);
  await page.context().close();
});
