// Shared by the browser tests: a real bankbox server on a free local port with
// a fresh data directory, Debian's headless Chromium, and small helpers.

import { spawn } from 'node:child_process';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before } from 'node:test';
import { chromium } from 'playwright-core';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = process.env.BANKBOX_BIN || join(REPO, 'target/debug/bankbox');
const SHOTS = join(REPO, 'target/screenshots');
const READY_TIMEOUT_MS = 30_000;

function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Starts bankbox in development mode (demo users seeded); resolves once /ready is 200. */
export async function startServer() {
  const port = await freePort();
  const dataDir = await mkdtemp(join(tmpdir(), 'bankbox-browser-'));
  const child = spawn(BIN, ['--listen', `127.0.0.1:${port}`, '--data-dir', dataDir], {
    env: { ...process.env, ENVIRONMENT: 'development', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((r) => child.once('exit', r));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`bankbox exited early (${child.exitCode}): ${stderr}`);
    try {
      const res = await fetch(`${url}/ready`, { signal: AbortSignal.timeout(1000) });
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`bankbox not ready after ${READY_TIMEOUT_MS} ms: ${stderr}`);
    }
    await sleep(100);
  }
  return {
    url,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const killed = await Promise.race([exited.then(() => true), sleep(5000).then(() => false)]);
        if (!killed) {
          child.kill('SIGKILL');
          await exited;
        }
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-quic'],
    timeout: 30_000,
  });
}

/** A fresh browser context (own cookies) with a page whose waits are bounded. */
export async function newPage(browser, options = {}) {
  const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 }, ...options });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.setDefaultNavigationTimeout(15_000);
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (/Content Security Policy/.test(m.text())) errors.push(m.text());
  });
  page.pageErrors = errors;
  return page;
}

export const PASSWORDS = { alice: 'alice-demo-1', bob: 'bob-demo-1', admin: 'admin-demo-1' };

/** Logs in through the UI and waits for the dashboard. */
export async function uiLogin(page, url, username) {
  await page.goto(`${url}/login`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORDS[username]);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: new RegExp(username) }).waitFor();
}

/** A bearer-token API client, for reading and arranging state outside the UI. */
export async function apiAs(url, username) {
  const res = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password: PASSWORDS[username] }),
  });
  if (!res.ok) throw new Error(`login ${username}: ${res.status}`);
  const { token } = await res.json();
  const call = async (method, path, body) => {
    const r = await fetch(`${url}${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: r.status, body: r.status === 204 ? null : await r.json() };
  };
  return {
    get: (path) => call('GET', path).then((r) => r.body),
    post: (path, body) => call('POST', path, body),
    accounts: () => call('GET', '/api/accounts').then((r) => r.body.items),
  };
}

const eur = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'EUR' });
/** Minor units as the en-US page shows euros. */
export const money = (minor) => eur.format(minor / 100);

export async function screenshot(page, name) {
  await mkdir(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** Whether the page is wider than its viewport (it must never be). */
export function hasHorizontalScroll(page) {
  return page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth);
}

/** The server and browser a test file shares: started before its tests, closed
 * after them, with `setUp` run once both are up. node --test runs each file in
 * its own process, so each file gets its own pair. */
export let server;
export let browser;

export function shareServerAndBrowser(setUp = async () => {}) {
  before(async () => {
    [server, browser] = await Promise.all([startServer(), launchBrowser()]);
    await setUp();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });
}
