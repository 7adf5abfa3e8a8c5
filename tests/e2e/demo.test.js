// End-to-end: the demo SPA (www/app) as a developer evaluating the SDK sees it, in its
// short-lifetime mode (60 s access tokens, renewed 20 s before expiry): login through the
// provider's forms, the validated claims and UserInfo, a renewal in the event log, "Refresh
// now", "Call the API" (the demo resource server validates the token by introspection), the live
// storage panel free of tokens, logout, a replayed callback in plain language; and the newcomer
// traps (no bounce to the provider on a first visit, a cancelled consent shown as a cancel, a
// double click starting one login, another host name redirected, Back after login, a port
// already in use). Screenshots go to tests/e2e/output/ (git-ignored).
//
// Time: Playwright's fake clock (context.clock) is installed before the page loads; after the
// login the test fast-forwards it, so the SDK's renewal timer fires without waiting a minute.
//
// Ports: the harness base ports + 5.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { request } from 'node:http';
import path from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import {
  ROOT, checkPrerequisites, closeAllBrowsers, dumpBrowserState, findSecrets, providerConsent,
  providerLogin, secretsOf, shownError, startStack, storedPlaces, waitForAppState, withBrowserOf,
} from './harness.js';

const PORT_OFFSET = 5;
const SHORT_TTL = 60;
const TEST_TIMEOUT = 60_000;
const OUTPUT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'output');

let stack;
const withBrowser = (fn) => withBrowserOf(stack, fn);
const providerRequests = () => stack.provider.requests();

async function shot(page, name) {
  await mkdir(OUTPUT, { recursive: true });
  const file = path.join(OUTPUT, `demo-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

const countEvents = (page, name) => page.locator(`#session-events li[data-event="${name}"]`).count();

async function waitFor(fn, what, timeoutMs = 15_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    // eslint-disable-next-line no-await-in-loop
    const value = await fn();
    if (value) return value;
    if (Date.now() > until) assert.fail(`timed out waiting for: ${what}`);
    // eslint-disable-next-line no-await-in-loop
    await new Promise((r) => { setTimeout(r, 100); });
  }
}

/** Click "Log in" on a ready page and go through the provider's forms. */
async function login(page, who, { deny = false } = {}) {
  await page.locator('#login').click();
  await providerLogin(page, stack, who);
  await providerConsent(page, { deny });
  await page.waitForURL((url) => url.origin === stack.demoOrigin, { waitUntil: 'commit' });
  return waitForAppState(page);
}

describe('demo SPA (short-lifetime mode)', () => {
  before(async () => {
    checkPrerequisites();
    stack = await startStack({ portOffset: PORT_OFFSET, providerOptions: { accessTokenTTL: SHORT_TTL } });
  });

  after(async () => {
    await closeAllBrowsers();
    await stack?.close();
  });

  beforeEach(() => {
    stack.provider.resetRequests();
  });

  test('config: short-lifetime mode (60 s tokens, 20 s margin) and the API URL', async () => {
    assert.equal(stack.config.demo.accessTokenTTL, SHORT_TTL);
    assert.equal(stack.config.demo.shortLifetime, true);
    assert.equal(stack.config.demo.refreshMarginSeconds, 20);
    assert.equal(stack.config.demo.apiUrl, `${stack.demoOrigin}/api/profile`);
  });

  test('end to end: login, claims + UserInfo, renewal in the event log, Refresh now, Call the API, storage without tokens, logout, replayed callback in plain language', { timeout: TEST_TIMEOUT }, async (t) => {
    await withBrowser(async (browser) => {
      const { page, context, rec } = browser;
      await context.clock.install();
      await page.setViewportSize({ width: 1280, height: 900 });

      // First visit: no bounce to the provider before the user did anything.
      await page.goto(stack.url, { waitUntil: 'commit' });
      assert.equal(await waitForAppState(page), 'ready');
      assert.deepEqual(providerRequests().filter((r) => r.path === '/auth'), [], 'no /auth request on a first visit');
      assert.match(await page.locator('#mode').textContent(), /Short-lifetime mode: access tokens live 60 s/);
      t.diagnostic(await shot(page, '01-first-visit'));

      // Login through the provider's forms.
      assert.equal(await login(page, 'alice'), 'authenticated', JSON.stringify(await shownError(page)));
      assert.equal(await page.locator('#status').textContent(), 'logged in as alice');
      assert.equal(await page.locator('#id-token-claims dd[data-claim="iss"]').textContent(), stack.issuer);
      assert.equal(await page.locator('#id-token-claims dd[data-claim="aud"]').textContent(), stack.config.clientId);
      assert.equal(await page.locator('#id-token-claims dd[data-claim="sub"]').textContent(), 'alice');
      assert.equal(await page.locator('#userinfo-claims dd[data-claim="email"]').textContent(), 'alice@example.test');
      assert.equal(await countEvents(page, 'loginCompleted'), 1);
      // The login transaction was in sessionStorage when the page arrived, and is gone.
      await waitFor(async () => (await page.locator('#storage-history').textContent()).includes('− sessionStorage spa-oauth:txn:'),
        'the storage panel shows the transaction removed');
      assert.match(await page.locator('#next-renewal').textContent(), /next renewal in \d+ s/);

      // A renewal within the short lifetime: fast-forward the page's clock past the renewal
      // point (60 s - 20 s margin); the SDK's timer refreshes and the log shows it.
      const refreshesBefore = stack.provider.countRequests({ grantType: 'refresh_token', status: 200 });
      await context.clock.fastForward(42_000);
      await waitFor(async () => (await countEvents(page, 'tokenRefreshed')) >= 1, 'tokenRefreshed in the event log');
      const first = page.locator('#session-events li[data-event="tokenRefreshed"]').first();
      assert.match(await first.getAttribute('data-detail'), /^source: refresh/);
      assert.match(await first.locator('time').textContent(), /^\d{2}:\d{2}:\d{2}$/);
      assert.equal(stack.provider.countRequests({ grantType: 'refresh_token', status: 200 }), refreshesBefore + 1,
        'one refresh_token grant at the provider');
      t.diagnostic(await shot(page, '02-renewed'));

      // "Refresh now": a forced refresh.
      await page.locator('#refresh-now').click();
      await waitFor(async () => (await countEvents(page, 'tokenRefreshed')) >= 2, 'second tokenRefreshed');
      await page.waitForSelector('#token-result[data-result="ok"][data-source="refresh"]');
      assert.equal(stack.provider.countRequests({ grantType: 'refresh_token', status: 200 }), refreshesBefore + 2);

      // "Get token": from memory now (no request).
      await page.locator('#get-token').click();
      await page.waitForSelector('#token-result[data-source="memory"]');

      // "Call the API": the resource server introspects the token and shows the scopes.
      await page.locator('#call-api').click();
      await page.waitForSelector('#api-result[data-status]');
      assert.equal(await page.locator('#api-result').getAttribute('data-status'), '200',
        await page.locator('#api-result').textContent());
      const scopes = await page.locator('#api-scopes .chip').allTextContents();
      assert.deepEqual(scopes, ['openid', 'profile', 'email']);
      const introspections = providerRequests().filter((r) => r.path === '/token/introspection');
      assert.equal(introspections.length, 1, 'the API validated the token at the provider');
      assert.equal(introspections[0].status, 200);
      assert.equal(introspections[0].authorizationScheme, 'Basic', 'as the confidential resource server');

      // The storage panel: checked against the live token, nothing found.
      await page.waitForSelector('#storage-verdict[data-token-found="false"]');
      await waitFor(async () => /checked/.test(await page.locator('#storage-verdict').textContent()),
        'the storage check against the live token');
      await rec.settle();
      const secrets = Object.assign({}, ...rec.tokenResponses.map((r, i) => Object.fromEntries(
        Object.entries(secretsOf(r.body)).map(([k, v]) => [`${k} #${i}`, v]),
      )));
      assert.equal(rec.tokenResponses.length, 3, 'login + renewal + refresh now');
      assert.deepEqual(findSecrets(await page.locator('body').innerText(), secrets), [], 'no token on the page');
      assert.deepEqual(findSecrets(await page.locator('#storage').textContent(), secrets), [], 'no token in the storage panel');
      const state = await dumpBrowserState(page, context, stack);
      assert.deepEqual(findSecrets(storedPlaces(state), secrets), [], 'no token stored');
      t.diagnostic(await shot(page, '03-api-and-storage'));

      // The API refuses a request without a token.
      const noToken = await fetch(`${stack.demoOrigin}/api/profile`);
      assert.equal(noToken.status, 401);
      assert.match(noToken.headers.get('www-authenticate'), /^Bearer /);
      const badToken = await fetch(`${stack.demoOrigin}/api/profile`, { headers: { authorization: 'Bearer not-a-token' } });
      assert.equal(badToken.status, 401);
      assert.equal((await badToken.json()).error, 'invalid_token');

      // Logout (revocation + RP-initiated logout) and back.
      await page.locator('#logout').click();
      await page.waitForURL((url) => url.origin === stack.issuer, { waitUntil: 'commit' });
      await page.waitForURL((url) => url.origin === stack.demoOrigin, { waitUntil: 'commit' });
      await page.waitForSelector('body[data-state="ready"]');
      assert.equal(await page.locator('#logout-result').textContent(), 'logged out');
      assert.equal(await page.locator('#card-api').isHidden(), true, 'the API card is gone with the session');
      assert.equal(await page.locator('#token-row').isHidden(), true, 'the Get token result does not survive logout');
      t.diagnostic(await shot(page, '04-logged-out'));

      // The login callback again: a plain-language sentence with a next action.
      const [callbackUrl] = rec.callbackUrls;
      assert.ok(callbackUrl && new URL(callbackUrl).searchParams.has('code'));
      await page.goto(callbackUrl, { waitUntil: 'commit' });
      assert.equal(await waitForAppState(page), 'error');
      assert.equal((await shownError(page)).code, 'state_mismatch');
      assert.match(await page.locator('#error-explain').textContent(), /already used/);
      assert.match(await page.locator('#error-action').textContent(), /Log in/);
      assert.equal(await page.locator('#error').getAttribute('data-kind'), 'error');
      t.diagnostic(await shot(page, '05-replayed-callback'));
    });
  });

  test('newcomer traps: a cancelled consent is a cancel; a double click starts one login; Back after login', { timeout: TEST_TIMEOUT }, async (t) => {
    await withBrowser(async (browser) => {
      const { page } = browser;
      await page.goto(stack.url, { waitUntil: 'commit' });
      assert.equal(await waitForAppState(page), 'ready');

      // Cancel at the consent form.
      assert.equal(await login(page, 'bob', { deny: true }), 'ready');
      assert.equal(await page.locator('#error').getAttribute('data-kind'), 'cancel');
      assert.equal(await page.locator('#error-title').textContent(), 'Login cancelled');
      assert.equal(await page.locator('#status').textContent(), 'login cancelled');
      t.diagnostic(await shot(page, '06-cancelled'));
      // The same page in dark mode on a phone-sized screen (prefers-color-scheme, responsive grid).
      await page.emulateMedia({ colorScheme: 'dark' });
      await page.setViewportSize({ width: 390, height: 844 });
      t.diagnostic(await shot(page, '06-cancelled-dark-mobile'));
      await page.emulateMedia({ colorScheme: 'light' });
      await page.setViewportSize({ width: 1280, height: 720 });

      // Double click: one authorization request, one transaction.
      stack.provider.resetRequests();
      await page.locator('#login').dblclick();
      await page.waitForURL((url) => url.origin === stack.issuer, { waitUntil: 'commit' });
      // The provider still has bob's session from the cancelled attempt: consent comes directly.
      await page.locator('input[name="login"], input[name="prompt"][value="consent"]').first().waitFor({ state: 'attached' });
      if (await page.locator('input[name="login"]').count()) await providerLogin(page, stack, 'bob');
      const auths = providerRequests().filter((r) => r.method === 'GET' && r.path === '/auth');
      assert.equal(auths.length, 1, 'one authorization request for a double click');
      await providerConsent(page);
      await page.waitForURL((url) => url.origin === stack.demoOrigin, { waitUntil: 'commit' });
      assert.equal(await waitForAppState(page), 'authenticated');
      const txKeys = await page.evaluate(() => Object.keys(sessionStorage).filter((k) => k.startsWith('spa-oauth:txn:')));
      assert.deepEqual(txKeys, [], 'no orphaned login transaction');

      // Back after login: the provider's finished sign-in step explains itself and links the app.
      await page.goBack({ waitUntil: 'commit' }).catch(() => {});
      await page.waitForLoadState('domcontentloaded').catch(() => {});
      const landed = new URL(page.url());
      t.diagnostic(`Back after login landed on ${landed.origin}${landed.pathname}`);
      if (landed.origin === stack.issuer) {
        const link = page.locator('#back-to-app');
        assert.equal(await link.count(), 1, `a way back to the app: ${(await page.locator('body').innerText()).slice(0, 200)}`);
        t.diagnostic(await shot(page, '07-back-after-login'));
        await link.click();
        await page.waitForURL((url) => url.origin === stack.demoOrigin, { waitUntil: 'commit' });
        // A reload after a login in this tab: one silent restore.
        assert.equal(await waitForAppState(page), 'authenticated');
      } else {
        t.diagnostic(await shot(page, '07-back-after-login'));
      }
    });
  });

  test('another host name (localhost) is redirected to the configured origin', async () => {
    const port = new URL(stack.demoOrigin).port;
    const res = await new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/?x=1', headers: { host: `localhost:${port}` } }, resolve);
      req.on('error', reject);
      req.end();
    });
    res.resume();
    assert.equal(res.statusCode, 308);
    assert.equal(res.headers.location, `${stack.demoOrigin}/?x=1`);
  });

  test('a port already in use: one line, no stack trace, exit code 1', { timeout: 20_000 }, async () => {
    const demoPort = new URL(stack.demoOrigin).port; // taken by this file's stack
    const providerPort = String(Number(new URL(stack.issuer).port) + 40);
    const child = spawn(process.execPath, ['www/serve.js'], {
      cwd: ROOT,
      env: { ...process.env, DEMO_PORT: demoPort, PROVIDER_PORT: providerPort },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    const code = await new Promise((resolve) => { child.on('exit', resolve); });
    // (oidc-provider's own start-up warnings aside)
    const lines = stderr.split('\n').filter((l) => l && !l.startsWith('oidc-provider WARNING'));
    assert.equal(code, 1);
    assert.equal(lines.length, 1, stderr);
    assert.match(lines[0], new RegExp(`^error: port ${demoPort} on 127\\.0\\.0\\.1 is already in use.*DEMO_PORT=`));
  });
});
