// End-to-end: the Rust example page (/rust/: examples/rust-spa built into www/rust/pkg/ by
// scripts/build-example.sh, using the crate's Rust API) + the real oidc-provider, in Debian's
// Chromium. Run: node --test --test-concurrency=1 tests/e2e/rust-example.test.js
//
// One provider + demo server for the file (portOffset 4), a fresh browser profile per test.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';

import {
  ROOT, checkPrerequisites, closeAllBrowsers, dumpBrowserState, findSecrets, providerConsent,
  providerLogin, secretsOf, shownError, startStack, storedPlaces, waitForAppState, withBrowserOf,
} from './harness.js';

const TEST_TIMEOUT = 30_000;
const RUST_PKG = path.join(ROOT, 'www', 'rust', 'pkg');
const WASM = 'spa_oauth_example_bg.wasm';

let stack;

const providerRequests = () => stack.provider.requests();

/** Callback navigations of real logins (not the first load's silent restore, login_required). */
const loginCallbacks = (rec) => rec.callbackUrls.filter((u) => new URL(u).searchParams.get('error') !== 'login_required');

const text = (page, selector) => page.locator(selector).textContent();
const data = (page, selector, name) => page.locator(selector).getAttribute(`data-${name}`);

/** Decoded JWT payload (of a token the test captured from the provider's response). */
const jwtPayload = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));

/**
 * Open /rust/, click "Log in", log in and consent at the provider. Returns the page's state
 * after the callback and what the logged-out page showed before the login.
 */
async function rustLogin(page, login) {
  await page.goto(stack.rustUrl, { waitUntil: 'commit' });
  const initial = await waitForAppState(page);
  if (initial !== 'ready') {
    assert.fail(`Rust page not ready before login: ${initial} ${JSON.stringify(await shownError(page))}`);
  }
  const before = {
    status: await text(page, '#status'),
    silentRestoreEvents: await data(page, '#events', 'silent-restore'),
    events: await text(page, '#events'),
  };
  await page.locator('#login').click();
  await providerLogin(page, stack, login);
  await providerConsent(page);
  await page.waitForURL((url) => url.href.startsWith(stack.rustUrl), { waitUntil: 'commit' });
  return { state: await waitForAppState(page), before };
}

/** A login that must succeed; returns the captured token response body. */
async function rustLoginOk({ page, rec }, login) {
  const { state, before } = await rustLogin(page, login);
  if (state !== 'authenticated') {
    assert.fail(`login did not authenticate: state=${state} error=${JSON.stringify(await shownError(page))}`);
  }
  await rec.settle();
  assert.equal(rec.tokenResponses.length, 1, 'exactly one token response');
  assert.equal(rec.tokenResponses[0].status, 200);
  return { tokens: rec.tokenResponses[0].body, before };
}

describe('Rust example page (examples/rust-spa, Rust API) + oidc-provider + Chromium', () => {
  before(async () => {
    checkPrerequisites();
    if (!existsSync(path.join(RUST_PKG, WASM))) {
      throw new Error(`e2e prerequisite missing: ${path.join(RUST_PKG, WASM)} (run \`bash scripts/build-example.sh\`)`);
    }
    stack = await startStack({ portOffset: 4 });
  });

  after(async () => {
    await closeAllBrowsers();
    await stack?.close();
  });

  beforeEach(() => {
    stack.provider.resetRequests();
  });

  test('the demo server serves /rust/ (strict CSP, application/wasm, its own config) and both pages link each other', { timeout: TEST_TIMEOUT }, async () => {
    const page = await fetch(stack.rustUrl);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type'), /^text\/html/);
    const csp = page.headers.get('content-security-policy');
    for (const directive of ["default-src 'self'", "script-src 'self' 'wasm-unsafe-eval'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"]) {
      assert.ok(csp.includes(directive), `CSP has ${directive}: ${csp}`);
    }
    assert.equal(csp.includes('unsafe-inline'), false, 'no unsafe-inline');
    assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
    const html = await page.text();
    assert.match(html, /<a id="js-demo-link" href="\/">/, 'the Rust page links the JS demo');
    assert.doesNotMatch(html, /<script>|<script [^>]*>[^<]/, 'no inline script');

    const wasm = await fetch(`${stack.demoOrigin}/rust/pkg/${WASM}`);
    assert.equal(wasm.status, 200);
    assert.equal(wasm.headers.get('content-type'), 'application/wasm');
    assert.deepEqual([...new Uint8Array(await wasm.arrayBuffer()).subarray(0, 4)], [0, 0x61, 0x73, 0x6d]);
    const glue = await fetch(`${stack.demoOrigin}/rust/pkg/spa_oauth_example.js`);
    assert.match(glue.headers.get('content-type'), /^text\/javascript/);

    const config = await (await fetch(`${stack.demoOrigin}/rust/config.json`)).json();
    assert.equal(config.redirectUri, stack.rustUrl);
    assert.equal(config.redirectUri, `${stack.demoOrigin}/rust/`);
    assert.equal(config.issuer, stack.issuer);
    assert.equal(config.clientId, stack.config.clientId);
    assert.equal(stack.config.redirectUri, `${stack.demoOrigin}/`, 'the JS demo keeps its redirect URI');

    const bare = await fetch(`${stack.demoOrigin}/rust`, { redirect: 'manual' });
    assert.equal(bare.status, 308);
    assert.equal(bare.headers.get('location'), '/rust/');

    const jsDemo = await (await fetch(stack.url)).text();
    assert.match(jsDemo, /<a id="rust-demo-link" href="\/rust\/">/, 'the JS demo links the Rust page');
  });

  test('login through the provider forms: sub shown, Get token and UserInfo succeed, no token on screen or stored, logout', { timeout: TEST_TIMEOUT }, async () => {
    await withBrowserOf(stack, async ({ page, context, rec }) => {
      const { tokens, before } = await rustLoginOk({ page, rec }, 'alice');
      // The first load in a fresh profile tried one silent restore (prompt=none), which the
      // provider answered with login_required: "not logged in", the code shown as an event.
      assert.equal(before.status, 'not logged in');
      assert.equal(before.silentRestoreEvents, '1');
      assert.equal(before.events, 'silent-restore (login_required)');
      const secrets = secretsOf(tokens);
      assert.ok(secrets.access_token && secrets.refresh_token && secrets.id_token,
        `token response has access, refresh and ID token (got ${Object.keys(secrets)})`);

      const requests = providerRequests();
      const authRequests = requests.filter((r) => r.method === 'GET' && r.path === '/auth');
      assert.deepEqual(authRequests.map((r) => r.query.prompt ?? ''), ['none', ''], 'silent restore, then the login');
      for (const r of authRequests) assert.equal(r.query.redirect_uri, stack.rustUrl, 'the Rust page\'s redirect URI');
      const tokenPosts = requests.filter((r) => r.method === 'POST' && r.path === '/token');
      assert.equal(tokenPosts.length, 1);
      assert.equal(tokenPosts[0].body.redirect_uri, stack.rustUrl);
      assert.equal(tokenPosts[0].origin, stack.demoOrigin);

      // The authenticated view, with the sub of the ID token the provider issued.
      const idToken = jwtPayload(tokens.id_token);
      assert.equal(idToken.sub, 'alice', 'the provider\'s subject for login alice');
      assert.equal(await text(page, '#status'), 'logged in as alice');
      assert.equal(await text(page, '#sub'), idToken.sub);
      assert.equal(await text(page, '#claims dd[data-claim="sub"]'), idToken.sub);
      assert.equal(await text(page, '#claims dd[data-claim="iss"]'), stack.issuer);
      assert.equal(await text(page, '#claims dd[data-claim="aud"]'), stack.config.clientId);
      assert.equal(await page.locator('#claims dd[data-claim="nonce"]').count(), 0, 'nonce not shown');
      assert.equal(await text(page, '#scope'), tokens.scope);
      assert.equal(await page.locator('#login').isHidden(), true);
      for (const id of ['#get-token', '#userinfo', '#logout']) assert.equal(await page.locator(id).isVisible(), true, id);

      // The callback parameters are gone from the address bar.
      const callback = new URL(loginCallbacks(rec)[0]);
      assert.ok(callback.href.startsWith(stack.rustUrl) && callback.searchParams.get('code'));
      const here = new URL(page.url());
      for (const param of ['code', 'state', 'iss']) assert.equal(here.searchParams.has(param), false, `${param} left in ${here}`);

      // "Get token": success, only the length and the expiry on screen.
      await page.locator('#get-token').click();
      await page.locator('#token-result[data-result]').waitFor();
      assert.equal(await data(page, '#token-result', 'result'), 'ok', await text(page, '#token-result'));
      assert.equal(await data(page, '#token-result', 'length'), String(secrets.access_token.length));
      assert.match(await text(page, '#token-result'), /^ok: an access token of \d+ characters, expires \d{4}-\d\d-\d\dT/);
      assert.equal(requests.length, providerRequests().length, 'the token in memory: no request');

      // "UserInfo": the provider's /me with the token in the Authorization header.
      await page.locator('#userinfo').click();
      await page.locator('#userinfo-result[data-result]').waitFor();
      assert.equal(await data(page, '#userinfo-result', 'result'), 'ok', await text(page, '#userinfo-result'));
      assert.equal(await data(page, '#userinfo-result', 'sub'), 'alice');
      assert.equal(await text(page, '#userinfo-result'), 'ok: sub alice, name User alice, email alice@example.test');
      const me = providerRequests().filter((r) => r.path === '/me');
      assert.equal(me.length, 1);
      assert.equal(me[0].authorizationScheme, 'Bearer');
      assert.deepEqual(me[0].query, {}, 'no token in the query');

      // No token, code or verifier on screen, in the DOM, stored, in a cookie or the URL.
      const allSecrets = {
        ...secrets,
        code: callback.searchParams.get('code'),
        code_verifier: tokenPosts[0].body.code_verifier,
      };
      assert.deepEqual(findSecrets(await page.locator('body').innerText(), allSecrets), [], 'secret on screen');
      assert.deepEqual(findSecrets(await page.content(), allSecrets), [], 'secret in the DOM');
      const state = await dumpBrowserState(page, context, stack);
      for (const [where, value] of Object.entries(storedPlaces(state))) {
        assert.deepEqual(findSecrets(value, allSecrets), [], `secret found in ${where}`);
      }
      assert.equal(state.documentCookie, '', 'no script-visible cookie on the demo origin');
      const foreign = state.demoCookies.filter((c) => !/^_(session|interaction|interaction_resume)(\.sig)?$/.test(c.name));
      assert.deepEqual(foreign, [], 'only the provider\'s own cookies exist for 127.0.0.1');
      assert.deepEqual(Object.keys(state.localStorage), [], 'nothing in localStorage');
      assert.deepEqual(Object.keys(state.sessionStorage).filter((k) => k.startsWith('spa-oauth:txn:')), [],
        'login transaction removed');

      // Log out: revocation, then the provider's end_session_endpoint and back to /rust/.
      stack.provider.resetRequests();
      await page.locator('#logout').click();
      await page.locator('#logout-result[data-result]').waitFor();
      assert.equal(await waitForAppState(page), 'ready', JSON.stringify(await shownError(page)));
      assert.equal(await data(page, '#logout-result', 'result'), 'ok', 'the logout state was ours');
      assert.equal(await text(page, '#status'), 'logged out');
      assert.equal(await text(page, '#sub'), '');
      assert.equal(await page.locator('#login').isVisible(), true);
      assert.equal(await page.locator('#logout').isHidden(), true);
      assert.equal(new URL(page.url()).href, stack.rustUrl, 'back at /rust/, state removed from the URL');
      const afterLogout = providerRequests();
      const revocations = afterLogout.filter((r) => r.method === 'POST' && r.path === '/token/revocation');
      assert.deepEqual(revocations.map((r) => r.body.token_type_hint).sort(), ['access_token', 'refresh_token']);
      const endSession = afterLogout.find((r) => r.path === '/session/end' && r.method === 'GET');
      assert.ok(endSession, 'RP-initiated logout at the provider');
      assert.equal(endSession.query.post_logout_redirect_uri, stack.rustUrl);
      assert.equal(endSession.query.client_id, stack.config.clientId);
      assert.ok(endSession.query.state);
      assert.equal(endSession.query.id_token_hint, undefined, 'no ID token in the URL (issue 11.2)');

      const final = await dumpBrowserState(page, context, stack);
      for (const [where, value] of Object.entries(storedPlaces(final))) {
        assert.deepEqual(findSecrets(value, allSecrets), [], `secret found in ${where} after logout`);
      }
      await rec.settle();
      assert.deepEqual(findSecrets(rec.console, allSecrets), [], 'secret in the console');
      assert.deepEqual(rec.console.filter((l) => l.startsWith('[pageerror]')), [], 'no page error');
    });
  });

  test('a failure is shown with its stable code: a replayed callback is state_mismatch, no token request', { timeout: TEST_TIMEOUT }, async () => {
    await withBrowserOf(stack, async ({ page, rec }) => {
      const { tokens } = await rustLoginOk({ page, rec }, 'bob');
      const [callbackUrl] = loginCallbacks(rec);
      assert.ok(callbackUrl);
      await page.goto(callbackUrl, { waitUntil: 'commit' });
      assert.equal(await waitForAppState(page), 'error');
      const err = await shownError(page);
      assert.equal(err.code, 'state_mismatch', JSON.stringify(err));
      assert.equal(err.error, '', 'not reported as a provider error');
      assert.equal(await text(page, '#status'), 'error (state_mismatch)');
      assert.equal(await page.locator('#login').isVisible(), true, 'the user can log in again');
      await rec.settle();
      assert.equal(rec.tokenRequests().length, 1, 'no second token request');
      assert.ok(rec.console.some((l) => l.includes('[rust example] state_mismatch')), JSON.stringify(rec.console));
      const secrets = { ...secretsOf(tokens), code: new URL(callbackUrl).searchParams.get('code') };
      assert.deepEqual(findSecrets(rec.console, secrets), [], 'secret in the console');
      assert.deepEqual(findSecrets(await page.content(), secrets), [], 'secret in the DOM');
    });
  });
});
