// End-to-end: the demo SPA (www/app) + the built package (pkg/) + the real oidc-provider, in
// Debian's Chromium. Run: node --test tests/e2e/   (or tests/e2e/run.sh)
//
// One provider + demo server for the whole file; a fresh browser profile per test.
// Catalogue ids (see security-catalogue.md) are cited in the test names.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, beforeEach, describe, test } from 'node:test';

import {
  storedPlaces, withBrowserOf,
  checkPrerequisites, closeAllBrowsers, dumpBrowserState, findSecrets, fullLogin, providerConsent,
  providerLogin, secretsOf, shownError, startStack, waitForAppState,
} from './harness.js';

const EXPECTED_SCOPE = 'openid profile email';
const ACCESS_TOKEN_TTL = 600;
const TEST_TIMEOUT = 30_000;

let stack;

/**
 * Callback navigations of the logins the tests make. (On a first visit the demo makes no silent
 * prompt=none redirect any more: restoreSession({ silent: false }); a silent attempt, answered
 * with error=login_required, only follows a reload after a login in the same tab. Such
 * callbacks are left out.)
 */
const loginCallbacks = (rec) => rec.callbackUrls.filter((u) => new URL(u).searchParams.get('error') !== 'login_required');

/** Provider-side requests since the last reset. */
const providerRequests = () => stack.provider.requests();
const providerTokenPosts = () => providerRequests().filter((r) => r.method === 'POST' && r.path === '/token');

/** Run fn with a fresh browser profile, always closed afterwards. */
const withBrowser = (fn) => withBrowserOf(stack, fn);

/** Full login that must succeed; returns the captured token response body. */
async function loginOk(browser, login) {
  const { page, rec } = browser;
  const state = await fullLogin(page, stack, { login });
  if (state !== 'authenticated') {
    assert.fail(`login did not authenticate: state=${state} error=${JSON.stringify(await shownError(page))}`);
  }
  await rec.settle();
  assert.equal(rec.tokenResponses.length, 1, 'exactly one token response');
  assert.equal(rec.tokenResponses[0].status, 200);
  return rec.tokenResponses[0].body;
}

describe('spa-oauth e2e (demo SPA + oidc-provider + Chromium)', () => {
  before(async () => {
    checkPrerequisites();
    stack = await startStack({ providerOptions: { accessTokenTTL: ACCESS_TOKEN_TTL } });
  });

  after(async () => {
    await closeAllBrowsers();
    await stack?.close();
  });

  beforeEach(() => {
    stack.provider.resetRequests();
  });

  test('AR-01/UI-07: full login lands authenticated; Bearer token, granted scope, user from /me (SDK getUserInfo)', { timeout: TEST_TIMEOUT }, async () => {
    await withBrowser(async (browser) => {
      const { page, rec } = browser;
      const startedAt = Date.now();
      const tokens = await loginOk(browser, 'alice');

      assert.match(tokens.token_type, /^bearer$/i, 'token_type Bearer');
      assert.equal(typeof tokens.access_token, 'string');
      assert.equal(tokens.scope, EXPECTED_SCOPE);

      assert.equal(await page.locator('#scope').textContent(), EXPECTED_SCOPE);
      assert.equal(await page.locator('#sub').textContent(), 'alice');
      assert.equal(await page.locator('#user').textContent(), 'User alice <alice@example.test>');
      // The validated ID-token claims the page shows (getIdTokenClaims()).
      assert.equal(await page.locator('#id-token-sub').textContent(), 'alice');
      const iat = Number(await page.locator('#id-token-iat').getAttribute('data-value'));
      assert.ok(iat >= Math.floor(startedAt / 1000) - 5 && iat <= Date.now() / 1000 + 5, `iat ${iat}`);
      assert.equal(await page.evaluate(() => document.getElementById('login').hidden), true);
      assert.equal(await page.evaluate(() => document.getElementById('logout').hidden), false);

      // Expiry ~ now + expires_in (ms epoch).
      const expiresAt = Number(await page.locator('#expiry').getAttribute('data-expires-at'));
      assert.equal(tokens.expires_in, ACCESS_TOKEN_TTL);
      assert.ok(expiresAt >= startedAt + (ACCESS_TOKEN_TTL - 30) * 1000
        && expiresAt <= Date.now() + ACCESS_TOKEN_TTL * 1000 + 5000, `expiry ${expiresAt}`);

      // The user shown came from the userinfo endpoint, which the SDK (auth.getUserInfo(), the
      // page no longer fetches it itself) called with the access token in the Authorization
      // header (BR-04 / UI-07), never in the URL, and without cookies.
      await rec.settle();
      const meCalls = rec.requests.filter((r) => r.method === 'GET' && r.url.split('?')[0] === stack.config.userinfoEndpoint);
      assert.equal(meCalls.length, 1, 'one GET /me from the page (made by the SDK)');
      assert.equal(meCalls[0].headers?.authorization, `Bearer ${tokens.access_token}`);
      assert.ok(!meCalls[0].url.includes('?'), '/me without query');
      assert.equal(meCalls[0].url.includes(tokens.access_token), false, 'no access token in the /me URL');
      assert.equal(meCalls[0].headers?.cookie, undefined, 'no cookie sent to /me');
      assert.deepEqual(findSecrets(rec.requests.map((r) => r.url), secretsOf(tokens)), [],
        'no token in any URL the page requested');
      const opMe = providerRequests().filter((r) => r.path === '/me' && r.method === 'GET');
      assert.equal(opMe.length, 1);
      assert.equal(opMe[0].authorizationScheme, 'Bearer');
      assert.equal(opMe[0].status, 200);
      assert.deepEqual(opMe[0].query, {});

      // No errors on the demo origin (e.g. CSP violations: the page runs under a strict CSP
      // with only 'wasm-unsafe-eval' added for the module).
      const demoErrors = rec.consoleEntries.filter((m) => (m.type === 'error' || m.type === 'pageerror')
        && m.url.startsWith(stack.demoOrigin));
      assert.deepEqual(demoErrors, [], 'console errors on the demo origin');

      // Logging out clears the session, goes through the provider's end_session_endpoint
      // (RP-initiated logout) and comes back with the logout's state (handleLogoutCallback).
      await page.locator('#logout').click();
      await page.waitForURL((url) => url.origin === stack.issuer, { waitUntil: 'commit' });
      await page.waitForURL((url) => url.origin === stack.demoOrigin, { waitUntil: 'commit' });
      await page.waitForSelector('body[data-state="ready"]');
      assert.equal(await page.evaluate(() => document.getElementById('login').hidden), false);
      assert.equal(await page.locator('#scope').textContent(), '');
      assert.equal(await page.locator('#logout-result').textContent(), 'logged out');
      assert.equal(new URL(page.url()).search, '', 'state removed from the address bar');
    });
  });

  test('BR-01: after login the address bar holds no code, state or iss', { timeout: TEST_TIMEOUT }, async () => {
    await withBrowser(async (browser) => {
      const { page, rec } = browser;
      await loginOk(browser, 'bob');
      assert.equal(loginCallbacks(rec).length, 1, 'one login callback navigation');
      assert.equal(rec.callbackUrls.length, 1, 'no silent restore on the first visit');
      const callback = new URL(loginCallbacks(rec)[0]);
      assert.ok(callback.searchParams.get('code'), 'provider sent a code');
      assert.ok(callback.searchParams.get('state'), 'provider echoed state');
      assert.equal(callback.searchParams.get('iss'), stack.issuer, 'provider sent iss (RFC 9207)');

      for (const href of [page.url(), await page.evaluate(() => location.href)]) {
        const url = new URL(href);
        for (const param of ['code', 'state', 'iss', 'session_state']) {
          assert.equal(url.searchParams.has(param), false, `${param} still in ${href}`);
        }
        assert.equal(url.hash.includes('code='), false);
        assert.equal(href.includes(callback.searchParams.get('code')), false);
      }
    });
  });

  test('BR-03: no token in localStorage, sessionStorage, IndexedDB, Cache Storage, cookies or URL; transaction removed', { timeout: TEST_TIMEOUT }, async () => {
    await withBrowser(async (browser) => {
      const { page, context, rec } = browser;
      const tokens = await loginOk(browser, 'carol');
      const secrets = secretsOf(tokens);
      assert.ok(secrets.access_token && secrets.refresh_token && secrets.id_token,
        `token response has access, refresh and ID token (got ${Object.keys(secrets)})`);
      const code = new URL(loginCallbacks(rec)[0]).searchParams.get('code');
      const verifier = providerTokenPosts()[0]?.body?.code_verifier;
      assert.ok(code && verifier);
      const allSecrets = { ...secrets, code, code_verifier: verifier };

      const state = await dumpBrowserState(page, context, stack);
      for (const [where, value] of Object.entries(storedPlaces(state))) {
        assert.deepEqual(findSecrets(value, allSecrets), [], `secret found in ${where}`);
      }
      // Cookies are not isolated by port: the provider's (127.0.0.1:<providerPort>) httpOnly
      // session/interaction cookies show up for the demo origin too. The SPA itself sets none.
      assert.equal(state.documentCookie, '', 'no script-visible cookie on the demo origin');
      const foreign = state.demoCookies.filter((c) => !/^_(session|interaction|interaction_resume)(\.sig)?$/.test(c.name));
      assert.deepEqual(foreign, [], 'only the provider\'s own cookies exist for 127.0.0.1');
      const txKeys = Object.keys(state.sessionStorage).filter((k) => k.startsWith('spa-oauth:'));
      assert.deepEqual(txKeys, [], 'login transaction removed from sessionStorage after use');
    });
  });

  test('AR-05/AR-06: replaying the callback URL is rejected with state_mismatch and no token request', { timeout: TEST_TIMEOUT }, async () => {
    await withBrowser(async (browser) => {
      const { page, rec } = browser;
      await loginOk(browser, 'dave');
      const [callbackUrl] = loginCallbacks(rec);
      assert.ok(callbackUrl);
      const pageTokenPostsBefore = rec.tokenRequests().length;
      const opTokenPostsBefore = providerTokenPosts().length;
      assert.equal(pageTokenPostsBefore, 1);
      assert.equal(opTokenPostsBefore, 1);

      await page.goto(callbackUrl, { waitUntil: 'commit' });
      assert.equal(await waitForAppState(page), 'error');
      const err = await shownError(page);
      assert.equal(err.code, 'state_mismatch', JSON.stringify(err));
      assert.equal(err.error, '', 'not reported as a provider error');

      await rec.settle();
      assert.equal(rec.tokenRequests().length, pageTokenPostsBefore, 'no token request from the page');
      assert.equal(providerTokenPosts().length, opTokenPostsBefore, 'no token request at the provider');
      assert.equal(await page.evaluate(() => document.getElementById('logout').hidden), true);
    });
  });

  test('AR-02: a tampered state is rejected with state_mismatch before any token request', { timeout: TEST_TIMEOUT }, async (t) => {
    await withBrowser(async (browser) => {
      const { page, rec } = browser;
      // Playwright routes only the first request of a redirect chain, so take over the consent
      // form POST: replay it (and the provider's resume redirect) through the context's request
      // API (same cookies) without following the final redirect, keep the genuine callback URL,
      // and leave the browser on a holding page.
      let genuine;
      const isConsentPost = (request) => request.method() === 'POST'
        && new URLSearchParams(request.postData() ?? '').get('prompt') === 'consent';
      await page.route(`${stack.issuer}/interaction/**`, async (route) => {
        if (!isConsentPost(route.request()) || genuine) return route.continue();
        const submitted = await route.fetch({ maxRedirects: 0 });
        const resumeUrl = new URL(submitted.headers().location, stack.issuer).href;
        const resumed = await page.context().request.get(resumeUrl, { maxRedirects: 0 });
        genuine = new URL(resumed.headers().location, stack.issuer).href;
        return route.fulfill({ status: 200, contentType: 'text/plain', body: 'callback held by the test' });
      });

      await page.goto(stack.url, { waitUntil: 'commit' });
      assert.equal(await waitForAppState(page), 'ready');
      await page.locator('#login').click();
      await providerLogin(page, stack, 'erin');
      await providerConsent(page);
      await expectPoll(() => genuine, 'callback redirect captured');
      await page.unrouteAll();
      assert.ok(genuine.startsWith(stack.redirectUri) && new URL(genuine).searchParams.has('code'),
        `captured callback ${genuine}`);

      // A login transaction is pending for this tab (so this is AR-02, not AR-05).
      await page.goto(`${stack.demoOrigin}/config.json`, { waitUntil: 'load' });
      const pendingBefore = await page.evaluate(() => Object.keys(sessionStorage).filter((k) => k.startsWith('spa-oauth:txn:')));
      assert.ok(pendingBefore.length >= 1, 'a pending login transaction before the callback');

      const tampered = new URL(genuine);
      const state = tampered.searchParams.get('state');
      const flipped = (state.at(-1) === 'A' ? 'B' : 'A');
      tampered.searchParams.set('state', state.slice(0, -1) + flipped);
      assert.notEqual(tampered.searchParams.get('state'), state);

      await page.goto(tampered.href, { waitUntil: 'commit' });
      assert.equal(await waitForAppState(page), 'error');
      const err = await shownError(page);
      assert.equal(err.code, 'state_mismatch', JSON.stringify(err));

      await rec.settle();
      assert.equal(rec.tokenRequests().length, 0, 'no token request from the page');
      assert.equal(providerTokenPosts().length, 0, 'no token request at the provider');
      const pending = await page.evaluate(() => Object.keys(sessionStorage).filter((k) => k.startsWith('spa-oauth:txn:')));
      t.diagnostic(`after the tampered callback, pending transaction keys: ${JSON.stringify(pending)}`);

      // Control, reported rather than asserted (AR-02 says "clear the transaction"; keeping it
      // would not help an attacker either): the untampered callback afterwards.
      await page.goto(genuine, { waitUntil: 'commit' });
      const outcome = await waitForAppState(page);
      t.diagnostic(`the genuine callback after the tampered one: ${outcome}${outcome === 'error' ? ` ${(await shownError(page)).code}` : ''}`);
    });
  });

  test('AR-12: denying consent shows authorization_error / access_denied (as a cancel, not a failure), no token request', { timeout: TEST_TIMEOUT }, async () => {
    await withBrowser(async (browser) => {
      const { page, rec } = browser;
      const state = await fullLogin(page, stack, { login: 'frank', deny: true });
      assert.equal(state, 'ready', 'a cancelled login leaves the page logged out, not in error');
      assert.equal(await page.locator('#error').getAttribute('data-kind'), 'cancel');
      assert.equal(loginCallbacks(rec).length, 1);
      const callback = new URL(loginCallbacks(rec)[0]);
      assert.equal(callback.searchParams.get('error'), 'access_denied', 'provider redirected with error');

      const err = await shownError(page);
      assert.equal(err.code, 'authorization_error', JSON.stringify(err));
      assert.equal(err.error, 'access_denied');
      assert.equal(err.description, callback.searchParams.get('error_description'));

      await rec.settle();
      assert.equal(rec.tokenRequests().length, 0, 'no token request from the page');
      assert.equal(providerTokenPosts().length, 0, 'no token request at the provider');
      // (The silent-restore loop guard, spa-oauth:silent:<client>, stays for two minutes.)
      const txKeys = await page.evaluate(() => Object.keys(sessionStorage).filter((k) => k.startsWith('spa-oauth:txn:')));
      assert.deepEqual(txKeys, [], 'transaction cleared after the error response');
    });
  });

  test('TE-01/BR-13: PKCE S256 on /auth; 43-char verifier, identical redirect_uri, no secret on /token', { timeout: TEST_TIMEOUT }, async () => {
    await withBrowser(async (browser) => {
      await loginOk(browser, 'grace');
      const requests = providerRequests();
      const silent = requests.filter((r) => r.path === '/auth' && r.method === 'GET' && r.query.prompt === 'none');
      assert.equal(silent.length, 0, 'no silent restore attempt (prompt=none) on the demo\'s first load');
      const auth = requests.filter((r) => r.path === '/auth' && r.method === 'GET' && r.query.prompt !== 'none');
      assert.equal(auth.length, 1, 'one authorization request');
      const q = auth[0].query;
      assert.equal(q.response_type, 'code');
      assert.equal(q.client_id, stack.config.clientId);
      assert.equal(q.redirect_uri, stack.redirectUri);
      assert.equal(q.code_challenge_method, 'S256');
      assert.match(q.code_challenge, /^[A-Za-z0-9_-]{43}$/);
      assert.ok(q.state && q.state.length >= 22, 'state carries >= 128 bits');
      assert.ok(q.scope.split(' ').includes('openid'));
      assert.ok(q.nonce, 'nonce sent with openid');

      const tokenPosts = providerTokenPosts();
      assert.equal(tokenPosts.length, 1, 'one token request');
      const [tok] = tokenPosts;
      assert.equal(tok.status, 200);
      assert.match(tok.contentType, /^application\/x-www-form-urlencoded/);
      assert.equal(tok.origin, stack.demoOrigin, 'CORS request from the SPA origin');
      assert.equal(tok.authorizationScheme, null, 'no Authorization header (public client)');
      const b = tok.body;
      assert.equal(b.grant_type, 'authorization_code');
      assert.ok(b.code);
      assert.equal(b.redirect_uri, q.redirect_uri, 'identical redirect_uri');
      assert.equal(b.client_id, stack.config.clientId);
      assert.match(b.code_verifier, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(createHash('sha256').update(b.code_verifier).digest('base64url'), q.code_challenge,
        'verifier matches the S256 challenge');
      assert.equal('client_secret' in b, false, 'no client_secret');
      assert.equal('client_assertion' in b, false, 'no client_assertion');
    });
  });

  test('BR-05: the page console holds no token, code or verifier (login, then an error path)', { timeout: TEST_TIMEOUT }, async () => {
    await withBrowser(async (browser) => {
      const { page, rec } = browser;
      const tokens = await loginOk(browser, 'heidi');
      const [callbackUrl] = loginCallbacks(rec);
      // An error path too: replay the callback (state_mismatch), then log out.
      await page.goto(callbackUrl, { waitUntil: 'commit' });
      assert.equal(await waitForAppState(page), 'error');
      await rec.settle();

      const secrets = {
        ...secretsOf(tokens),
        code: new URL(callbackUrl).searchParams.get('code'),
        code_verifier: providerTokenPosts()[0]?.body?.code_verifier,
      };
      assert.ok(secrets.access_token && secrets.code && secrets.code_verifier);
      assert.ok(rec.console.some((line) => line.includes('state_mismatch')),
        `the demo logged the error code (console capture works): ${JSON.stringify(rec.console)}`);
      assert.deepEqual(findSecrets(rec.console, secrets), [], 'secret found in console output');
    });
  });
});

async function expectPoll(fn, what, timeoutMs = 10_000) {
  const until = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > until) assert.fail(`timed out waiting for: ${what}`);
    // eslint-disable-next-line no-await-in-loop
    await new Promise((r) => { setTimeout(r, 25); });
  }
}
