// End-to-end, token lifecycle: refresh with rotation (single flight in a tab, one refresher
// across tabs), renewal on wake-up, restore after a reload, refresh-token revocation, logout
// with revocation and RP-initiated logout, the logout callback's state check, and a network
// failure during a refresh. The built package (pkg/) against the real oidc-provider (refresh
// tokens rotate on every use; a rotated-away one answers invalid_grant and revokes the grant) in
// Debian's Chromium. Run: node --test tests/e2e/   (or tests/e2e/run.sh)
//
// Two kinds of pages:
//  - the demo SPA (www/app) for what an application sees: reload restore, logout;
//  - "SDK pages": a document of the demo origin that runs no app code, where the test creates
//    `window.__auth` itself (AuthClient.create with refreshMarginSeconds 30) to call it directly.
//    Their login is a real top-level redirect: the callback navigation back to the redirect URI
//    is answered with /config.json (page.route) instead of the demo app, then
//    handleRedirectCallback() runs there. Tokens stay in the page: only short SHA-256 digests of
//    them are compared by the test.
//
// Time: the provider's access tokens live 120 s. Rather than waiting for a refresh to become
// due, the SDK-page tests install Playwright's fake clock (context.clock: Date.now, which the SDK
// reads through js Date.now(), and the timers) and jump the wall clock forward with
// setSystemTime(+95 s): the token then has 25 s left (< the 30 s margin: a refresh is due, the
// token is still valid) while the renewal timer, scheduled in timer ticks, has not fired — the
// state of a tab that slept. One test runs on the real clock (the renewal timer itself).
//
// Ports: the harness base ports + 2 (E2E_DEMO_PORT / E2E_PROVIDER_PORT move all files together).
// Catalogue ids (security-catalogue.md §4.7 Refresh, §4.9 Revocation, §4.10 Logout, §4.11) are
// cited in the test names.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, beforeEach, describe, test } from 'node:test';

import {
  storedPlaces, withBrowserOf, filesContaining,
  checkPrerequisites, closeAllBrowsers, dumpBrowserState, findSecrets, fullLogin,
  providerConsent, providerLogin, secretsOf, shownError, startStack, waitForAppState,
} from './harness.js';

const PORT_OFFSET = 2;
const SCOPE = 'openid profile email';
const ACCESS_TOKEN_TTL = 120; // s, provider
const MARGIN = 30; // s, refreshMarginSeconds of the SDK pages
const JUMP_MS = (ACCESS_TOKEN_TTL - MARGIN + 5) * 1000; // due, 25 s of validity left
const TEST_TIMEOUT = 30_000;

let stack;

const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });
const refreshCount = (filter = {}) => stack.provider.countRequests({ grantType: 'refresh_token', ...filter });
const providerRequests = () => stack.provider.requests();

/** Run fn with a fresh browser profile, always closed afterwards. */
const withBrowser = (fn) => withBrowserOf(stack, fn);

/** POST to the provider's token endpoint from node (a form body). */
async function tokenPost(params) {
  const response = await fetch(stack.config.tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params),
  });
  return { status: response.status, body: await response.json().catch(() => null) };
}

/** RFC 7009 revocation from node (as the provider's administrator or another client would). */
async function revokeFromNode(token, hint) {
  const response = await fetch(stack.config.revocationEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token, token_type_hint: hint, client_id: stack.config.clientId }),
  });
  return response.status;
}

/**
 * SDK page: creates window.__auth in the current document (demo origin, no app code), records
 * the SDK's events in window.__events, and defines window.__digest (first 16 hex digits of
 * SHA-256: lets the test compare tokens without seeing them).
 */
async function createClient(page, { margin = MARGIN } = {}) {
  if (!page.url().startsWith(`${stack.demoOrigin}/`)) {
    await page.goto(`${stack.demoOrigin}/config.json`, { waitUntil: 'load' });
  }
  const created = await page.evaluate(async (options) => {
    window.__digest = async (text) => Array.from(new Uint8Array(
      await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)),
    )).map((b) => b.toString(16).padStart(2, '0')).join('').slice(0, 16);
    window.__events = [];
    try {
      const mod = await import('/pkg/spa_oauth.js');
      await mod.default();
      const auth = await mod.AuthClient.create(options);
      for (const name of ['tokenRefreshed', 'sessionExpired', 'loggedOut', 'error']) {
        auth.on(name, (detail) => {
          window.__events.push({
            name,
            source: detail?.source ?? null,
            code: detail?.code ?? null,
            expiresAt: detail?.expiresAt ?? null,
          });
        });
      }
      window.__auth = auth;
      return { ok: true };
    } catch (e) {
      return { ok: false, code: e?.code ?? null, message: String(e?.message ?? e) };
    }
  }, {
    issuer: stack.issuer,
    clientId: stack.config.clientId,
    redirectUri: stack.redirectUri,
    scope: SCOPE,
    refreshMarginSeconds: margin,
  });
  assert.deepEqual(created, { ok: true }, 'AuthClient.create in the SDK page');
}

/** Call window.__auth[method](...args): { ok, value } or { ok: false, code, name, message }. */
function authCall(page, method, ...args) {
  return page.evaluate(async ({ method: m, args: a }) => {
    try {
      return { ok: true, value: await window.__auth[m](...a) };
    } catch (e) {
      return { ok: false, code: e?.code ?? null, name: e?.name ?? null, error: e?.error ?? null, message: String(e?.message ?? e) };
    }
  }, { method, args });
}

/** getAccessToken() in the page: { ok, digest } (the token itself stays in the page). */
function tokenDigest(page) {
  return page.evaluate(async () => {
    try {
      return { ok: true, digest: await window.__digest(await window.__auth.getAccessToken()) };
    } catch (e) {
      return { ok: false, code: e?.code ?? null };
    }
  });
}

const events = (page) => page.evaluate(() => window.__events.slice());

/**
 * SDK page login as `login`: createAuthorizationUrl in a blank demo-origin document, the real
 * top-level navigation to the provider (login and consent forms in this tab), then the callback
 * URL loaded with the content of /config.json (not the demo app), where a new client runs
 * handleRedirectCallback(). Playwright routes only the first request of a redirect chain, so the
 * consent POST (which the provider answers with redirects to /auth/<uid> and then to the
 * callback) is replayed through the context's request API (same cookies) without following
 * redirects; the callback URL is kept and then opened with page.goto (a new navigation, which
 * the route serves with /config.json).
 */
async function sdkLogin(page, login, { margin = MARGIN } = {}) {
  await createClient(page, { margin });
  const created = await authCall(page, 'createAuthorizationUrl');
  assert.ok(created.ok, `createAuthorizationUrl: ${JSON.stringify(created)}`);
  let callbackUrl;
  const isConsentPost = (request) => request.method() === 'POST'
    && new URLSearchParams(request.postData() ?? '').get('prompt') === 'consent';
  const holdCallback = async (route) => {
    if (!isConsentPost(route.request()) || callbackUrl) return route.continue();
    const submitted = await route.fetch({ maxRedirects: 0 });
    const resumeUrl = new URL(submitted.headers().location, stack.issuer).href;
    const resumed = await page.context().request.get(resumeUrl, { maxRedirects: 0 });
    callbackUrl = new URL(resumed.headers().location, stack.issuer).href;
    return route.fulfill({ status: 200, contentType: 'text/plain', body: 'callback held by the test' });
  };
  const isCallback = (url) => url.origin === stack.demoOrigin && url.pathname === '/'
    && url.searchParams.has('state') && (url.searchParams.has('code') || url.searchParams.has('error'));
  // Served by the demo server (a document without app code), so the page keeps the loopback
  // address space (a fulfilled response would count as public: Local Network Access would
  // then block its requests to the provider).
  const blank = (route) => route.continue({ url: `${stack.demoOrigin}/config.json` });
  const interactions = `${stack.issuer}/interaction/**`;
  await page.route(interactions, holdCallback);
  await page.route(isCallback, blank);
  try {
    await page.goto(created.value, { waitUntil: 'commit' });
    await providerLogin(page, stack, login);
    await providerConsent(page);
    await waitFor(() => callbackUrl, 'the callback URL');
    assert.ok(isCallback(new URL(callbackUrl)) && new URL(callbackUrl).searchParams.has('code'), `callback ${callbackUrl}`);
    await page.goto(callbackUrl, { waitUntil: 'load' });
  } finally {
    await page.unroute(interactions, holdCallback);
    await page.unroute(isCallback, blank);
  }
  await createClient(page, { margin });
  const result = await authCall(page, 'handleRedirectCallback');
  assert.ok(result.ok, `handleRedirectCallback: ${JSON.stringify(result)}`);
  assert.equal((await authCall(page, 'isAuthenticated')).value, true);
}

/** Jump the wall clock of every page of the context (timers do not fire). */
async function jumpClock(context, page, ms = JUMP_MS) {
  const now = await page.evaluate(() => Date.now());
  await context.clock.setSystemTime(now + ms);
}

/** Seconds of validity the SDK sees left on its access token. */
const secondsLeft = (page) => page.evaluate(() => (window.__auth.getTokenExpiry() - Date.now()) / 1000);

async function waitFor(fn, what, timeoutMs = 10_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    // eslint-disable-next-line no-await-in-loop
    const value = await fn();
    if (value) return value;
    if (Date.now() > until) assert.fail(`timed out waiting for: ${what}`);
    // eslint-disable-next-line no-await-in-loop
    await sleep(50);
  }
}

/** Everything persisted must be free of the tokens in `tokenResponses`. */
async function assertNoTokenStored(page, context, tokenResponses, label) {
  const secrets = Object.assign({}, ...tokenResponses.map((r, i) => Object.fromEntries(
    Object.entries(secretsOf(r.body)).map(([k, v]) => [`${k} #${i}`, v]),
  )));
  assert.ok(Object.keys(secrets).length >= 3, 'secrets to look for');
  const state = await dumpBrowserState(page, context, stack);
  for (const [where, value] of Object.entries(storedPlaces(state))) {
    assert.deepEqual(findSecrets(value, secrets), [], `${label}: token found in ${where}`);
  }
  return state;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

describe('spa-oauth e2e: token lifecycle (refresh, tabs, restore, revocation, logout)', () => {
  before(async () => {
    checkPrerequisites();
    stack = await startStack({ portOffset: PORT_OFFSET, providerOptions: { accessTokenTTL: ACCESS_TOKEN_TTL } });
  });

  after(async () => {
    await closeAllBrowsers();
    await stack?.close();
  });

  beforeEach(() => {
    stack.provider.resetRequests();
  });

  test('RT-04/RT-01: 1000 concurrent getAccessToken() calls when a refresh is due make ONE refresh request; all get the same new token; the refresh token rotates', { timeout: TEST_TIMEOUT }, async (t) => {
    await withBrowser(async (browser) => {
      const { page, context, rec } = browser;
      await context.clock.install();
      await sdkLogin(page, 'alice');
      await page.evaluate(async () => { window.__t0 = await window.__auth.getAccessToken(); });
      assert.equal(refreshCount(), 0, 'no refresh yet');

      await jumpClock(context, page);
      const left = await secondsLeft(page);
      assert.ok(left > 0 && left < MARGIN, `refresh due, token still valid (${left.toFixed(1)} s left)`);

      const outcome = await page.evaluate(async () => {
        const results = await Promise.allSettled(Array.from({ length: 1000 }, () => window.__auth.getAccessToken()));
        const values = results.filter((r) => r.status === 'fulfilled').map((r) => r.value);
        const distinct = new Set(values);
        const [token] = distinct;
        window.__t1 = token;
        return {
          fulfilled: values.length,
          rejected: results.filter((r) => r.status === 'rejected').map((r) => r.reason?.code ?? String(r.reason)),
          distinct: distinct.size,
          isOld: distinct.has(window.__t0),
          now: await window.__auth.getAccessToken() === token,
        };
      });
      assert.deepEqual(outcome, { fulfilled: 1000, rejected: [], distinct: 1, isOld: false, now: true },
        'all 1000 callers got the same, new token');
      const refreshes = providerRequests().filter((r) => r.path === '/token' && r.body?.grant_type === 'refresh_token');
      t.diagnostic(`1000 concurrent callers: ${refreshes.length} refresh_token request(s) at the provider`);
      assert.equal(refreshes.length, 1, 'exactly one refresh_token grant request');
      assert.equal(refreshes[0].status, 200);
      const refreshedEvents = (await events(page)).filter((e) => e.name === 'tokenRefreshed');
      assert.deepEqual(refreshedEvents.map((e) => e.source), ['refresh'], 'one tokenRefreshed event');

      // RT-01: the refresh presented the login's refresh token and got a new one...
      await rec.settle();
      const [login, refreshed] = rec.tokenResponses;
      assert.equal(rec.tokenResponses.length, 2);
      const rt1 = login.body.refresh_token;
      const rt2 = refreshed.body.refresh_token;
      assert.ok(rt1 && rt2 && rt1 !== rt2, 'the provider rotated the refresh token');
      assert.equal(refreshes[0].body.refresh_token, rt1, 'the refresh presented the login refresh token');
      // ... which the next refresh presents (the old one is discarded).
      await jumpClock(context, page);
      const second = await tokenDigest(page);
      assert.ok(second.ok, JSON.stringify(second));
      const all = providerRequests().filter((r) => r.path === '/token' && r.body?.grant_type === 'refresh_token');
      assert.equal(all.length, 2, 'the second due refresh: one more request');
      assert.equal(all[1].body.refresh_token, rt2, 'the second refresh presented the rotated refresh token');
      assert.equal(all[1].status, 200);
      // The provider refuses the rotated-away refresh token (and, as reuse, revokes the grant).
      const reuse = await tokenPost({ grant_type: 'refresh_token', refresh_token: rt1, client_id: stack.config.clientId });
      assert.equal(reuse.status, 400);
      assert.equal(reuse.body?.error, 'invalid_grant', 'the old refresh token is dead');
    });
  });

  test('issue 11.5: 20 concurrent getAccessToken({ forceRefresh: true }) with a fresh token make ONE refresh request; all get the same new token; a plain call afterwards makes none', { timeout: TEST_TIMEOUT }, async (t) => {
    await withBrowser(async (browser) => {
      const { page, rec } = browser;
      await sdkLogin(page, 'grace');
      assert.ok(await secondsLeft(page) > MARGIN, 'the token in memory has time left (no refresh due)');
      const outcome = await page.evaluate(async () => {
        const before = await window.__auth.getAccessToken();
        const results = await Promise.allSettled(Array.from({ length: 20 }, () => window.__auth.getAccessToken({ forceRefresh: true })));
        const values = results.filter((r) => r.status === 'fulfilled').map((r) => r.value);
        const distinct = new Set(values);
        const after = await window.__auth.getAccessToken();
        return {
          fulfilled: values.length,
          rejected: results.filter((r) => r.status === 'rejected').map((r) => r.reason?.code ?? String(r.reason)),
          distinct: distinct.size,
          isOld: distinct.has(before),
          plainIsNew: distinct.has(after),
          badOption: await window.__auth.getAccessToken({ forceRefresh: 'yes' }).then(() => 'resolved', (e) => e.code),
        };
      });
      assert.deepEqual(outcome, { fulfilled: 20, rejected: [], distinct: 1, isOld: false, plainIsNew: true, badOption: 'invalid_config' });
      t.diagnostic(`forced refreshes: ${refreshCount()} request(s)`);
      assert.equal(refreshCount(), 1, 'one refresh_token request for 20 forced callers');
      assert.equal(refreshCount({ status: 200 }), 1);
      const refreshedEvents = (await events(page)).filter((e) => e.name === 'tokenRefreshed');
      assert.deepEqual(refreshedEvents.map((e) => e.source), ['refresh']);
      await rec.settle();
      const [login] = rec.tokenResponses;
      const refreshes = providerRequests().filter((r) => r.path === '/token' && r.body?.grant_type === 'refresh_token');
      assert.equal(refreshes[0].body.refresh_token, login.body.refresh_token, 'the forced refresh presented the login refresh token');
      // A second forced call: one more request (the fresh token is not enough for it).
      const again = await authCall(page, 'getAccessToken', { forceRefresh: true });
      assert.ok(again.ok, JSON.stringify(again));
      assert.equal(refreshCount(), 2);
    });
  });

  test('issue 11.6: getUserInfo() with an expired access token renews it first (one refresh), then calls UserInfo with the new token', { timeout: TEST_TIMEOUT }, async () => {
    await withBrowser(async (browser) => {
      const { page, context } = browser;
      await context.clock.install();
      await sdkLogin(page, 'heidi');
      await jumpClock(context, page, (ACCESS_TOKEN_TTL + 10) * 1000);
      assert.ok(await secondsLeft(page) < 0, 'the access token in memory has expired');
      stack.provider.resetRequests();
      const info = await authCall(page, 'getUserInfo');
      assert.ok(info.ok, `getUserInfo: ${JSON.stringify(info)}`);
      assert.equal(info.value.sub, 'heidi');
      assert.equal(refreshCount(), 1, 'one refresh before the UserInfo call');
      const me = providerRequests().filter((r) => r.path === '/me' && r.method === 'GET');
      assert.equal(me.length, 1, 'one UserInfo request');
      assert.equal(me[0].status, 200, 'the provider accepted the renewed token');
    });
  });

  // Can fail intermittently (observed in ~1 of 15 due refreshes on a loaded machine) because of
  // the SDK ordering defect the next test reproduces deterministically: the failure diagnostic
  // then shows a second refresh request presenting the rotated-away refresh token.
  test('RT-04 across tabs: 4 tabs (one login, three restoreSession() from it, nothing stored) refresh with ONE request per due refresh, no invalid_grant, same working token everywhere (3 rounds)', { timeout: TEST_TIMEOUT }, async (t) => {
    await withBrowser(async (browser) => {
      const { page, context, rec } = browser;
      await context.clock.install();
      await sdkLogin(page, 'bob');
      const authRequestsAfterLogin = providerRequests().filter((r) => r.path === '/auth').length;

      const others = [];
      for (let i = 0; i < 3; i += 1) {
        // eslint-disable-next-line no-await-in-loop
        const tab = await context.newPage();
        tab.setDefaultTimeout(10_000);
        others.push(tab);
        // eslint-disable-next-line no-await-in-loop
        await createClient(tab);
        // eslint-disable-next-line no-await-in-loop
        const restored = await authCall(tab, 'restoreSession');
        assert.deepEqual(restored, { ok: true, value: true }, `tab ${i + 2}: restoreSession() from tab 1`);
        assert.equal(tab.url(), `${stack.demoOrigin}/config.json`, 'no redirect');
      }
      const tabs = [page, ...others];
      assert.equal(providerRequests().filter((r) => r.path === '/auth').length, authRequestsAfterLogin,
        'the other tabs restored without an authorization request');
      const digests0 = await Promise.all(tabs.map((p) => tokenDigest(p)));
      assert.ok(digests0.every((d) => d.ok && d.digest === digests0[0].digest), `one session in all tabs ${JSON.stringify(digests0)}`);
      await rec.settle();
      for (const [i, tab] of tabs.entries()) {
        // eslint-disable-next-line no-await-in-loop
        await assertNoTokenStored(tab, context, rec.tokenResponses, `tab ${i + 1}`);
      }

      // Every tab gets the "go" at once over a BroadcastChannel of its own and calls
      // getAccessToken() (plus 25 concurrent callers each).
      await Promise.all(tabs.map((tab) => tab.evaluate(() => {
        window.__go = new BroadcastChannel('e2e-go');
        window.__go.onmessage = () => {
          window.__round = Promise.all(Array.from({ length: 25 }, () => window.__auth.getAccessToken()))
            .then(async (tokens) => ({ ok: true, distinct: new Set(tokens).size, digest: await window.__digest(tokens[0]) }),
              (e) => ({ ok: false, code: e?.code ?? null }));
        };
      })));
      const perRound = [];
      let previous = digests0[0].digest;
      for (let round = 1; round <= 3; round += 1) {
        const before = refreshCount();
        // eslint-disable-next-line no-await-in-loop
        await jumpClock(context, page);
        // eslint-disable-next-line no-await-in-loop
        await page.evaluate(() => {
          const go = new BroadcastChannel('e2e-go');
          go.postMessage('go');
          go.close();
        });
        // eslint-disable-next-line no-await-in-loop
        const results = await Promise.all(tabs.map((tab) => waitFor(() => tab.evaluate(() => window.__round), 'the round\'s tokens')));
        // eslint-disable-next-line no-await-in-loop
        await Promise.all(tabs.map((tab) => tab.evaluate(() => { window.__round = undefined; })));
        const requests = refreshCount() - before;
        perRound.push(requests);
        if (!results.every((r) => r.ok) || requests !== 1) {
          // What happened: each refresh request of the round (which refresh token it presented:
          // #n = the one presented by the n-th refresh request of the test) and each tab's events.
          await sleep(300);
          const presented = [];
          const detail = providerRequests().filter((r) => r.path === '/token' && r.body?.grant_type === 'refresh_token')
            .map((r) => {
              const seen = presented.indexOf(r.body.refresh_token);
              presented.push(r.body.refresh_token);
              return `${r.status}${r.error ? ` ${r.error}` : ''} rt=${seen === -1 ? 'new' : `same as request #${seen + 1}`} origin=${r.origin}`;
            });
          const tabEvents = await Promise.all(tabs.map(async (tab) => (await events(tab)).map((e) => `${e.name}:${e.source ?? e.code}`)));
          t.diagnostic(`round ${round} failed: results ${JSON.stringify(results)}; refresh requests of the test ${JSON.stringify(detail)}; events per tab ${JSON.stringify(tabEvents)}`);
        }
        assert.ok(results.every((r) => r.ok && r.distinct === 1), `round ${round}: ${JSON.stringify(results)}`);
        assert.ok(results.every((r) => r.digest === results[0].digest), `round ${round}: the same token in all tabs ${JSON.stringify(results)}`);
        assert.notEqual(results[0].digest, previous, `round ${round}: a new token`);
        previous = results[0].digest;
        assert.equal(requests, 1, `round ${round}: exactly one refresh request for 4 tabs`);
      }
      t.diagnostic(`4 tabs, refresh_token requests per due refresh: ${JSON.stringify(perRound)}`);
      assert.equal(refreshCount({ error: 'invalid_grant' }), 0, 'no invalid_grant');
      assert.equal(refreshCount({ status: 200 }), 3);

      // The token works in every tab (UserInfo with it) and each tab knows whether it refreshed.
      for (const [i, tab] of tabs.entries()) {
        /* eslint-disable no-await-in-loop */
        const info = await authCall(tab, 'getUserInfo');
        assert.equal(info.ok, true, `tab ${i + 1} getUserInfo: ${JSON.stringify(info)}`);
        assert.equal(info.value.sub, 'bob');
        const evs = await events(tab);
        assert.deepEqual(evs.filter((e) => e.name === 'error' || e.name === 'sessionExpired' || e.name === 'loggedOut'), [],
          `tab ${i + 1}: no error/sessionExpired/loggedOut events`);
        /* eslint-enable no-await-in-loop */
      }
      const sources = await Promise.all(tabs.map(async (tab) => (await events(tab))
        .filter((e) => e.name === 'tokenRefreshed' && e.source === 'refresh').length));
      t.diagnostic(`tokenRefreshed{source:"refresh"} per tab over 3 rounds: ${JSON.stringify(sources)}`);
      assert.equal(sources.reduce((a, b) => a + b, 0), 3, 'one refreshing tab per round');
      await rec.settle();
      await assertNoTokenStored(page, context, rec.tokenResponses, 'after the refreshes');
    });
  });

  test('RT-04 across tabs, ordering: the refresher\'s session message reaches a waiting tab only after that tab got the Web Lock -> it must still not present the rotated-away refresh token', {
    timeout: TEST_TIMEOUT,
    // Observed before the fix in ~1 of 10 due refreshes without any delay (the lock was granted
    // 1-3 ms before the BroadcastChannel message arrived): the waiting tab refreshed with the
    // rotated-away refresh token, the provider answered invalid_grant (revoking the grant as
    // reuse), and every tab was logged out. Here the message is delayed by 50 ms to make that
    // ordering certain; the SDK now catches up with a hello round trip after taking the lock.
  }, async (t) => {
    await withBrowser(async (browser) => {
      const { page, context } = browser;
      await context.addInitScript(() => {
        // Deliver the SDK's "session" messages 50 ms late (a busy or slow tab).
        const desc = Object.getOwnPropertyDescriptor(BroadcastChannel.prototype, 'onmessage');
        Object.defineProperty(BroadcastChannel.prototype, 'onmessage', {
          configurable: true,
          get() { return desc.get.call(this); },
          set(handler) {
            desc.set.call(this, (event) => {
              if (this.name.startsWith('spa-oauth') && event.data?.t === 'session') {
                setTimeout(() => handler(event), 50);
              } else {
                handler(event);
              }
            });
          },
        });
      });
      await context.clock.install();
      await sdkLogin(page, 'judy');
      const tab2 = await context.newPage();
      await createClient(tab2);
      assert.deepEqual(await authCall(tab2, 'restoreSession'), { ok: true, value: true });

      await jumpClock(context, page);
      const [r1, r2] = await Promise.all([tokenDigest(page), tokenDigest(tab2)]);
      await sleep(300);
      const refreshes = providerRequests().filter((r) => r.path === '/token' && r.body?.grant_type === 'refresh_token');
      t.diagnostic(`tab 1 ${JSON.stringify(r1)}, tab 2 ${JSON.stringify(r2)}; refresh requests ${JSON.stringify(refreshes.map((r) => `${r.status}${r.error ? ` ${r.error}` : ''}`))}`);
      assert.equal(refreshCount({ error: 'invalid_grant' }), 0, 'no rotated-away refresh token presented');
      assert.equal(refreshes.length, 1, 'one refresh request');
      assert.ok(r1.ok && r2.ok && r1.digest === r2.digest, 'both tabs got the same new token');
    });
  });

  test('renewal timer (real clock): with refreshMarginSeconds = TTL - 4 the SDK renews by itself ~4 s after login, once, without any call', { timeout: TEST_TIMEOUT }, async (t) => {
    await withBrowser(async (browser) => {
      const { page } = browser;
      const margin = ACCESS_TOKEN_TTL - 4;
      await sdkLogin(page, 'carol', { margin });
      const loggedInAt = Date.now();
      const before = await tokenDigest(page);
      const event = await waitFor(async () => (await events(page)).find((e) => e.name === 'tokenRefreshed'),
        'a tokenRefreshed event from the renewal timer', 9_000);
      const after = Date.now() - loggedInAt;
      t.diagnostic(`timer renewal observed ${after} ms after login (due ~4000 ms after the token response)`);
      assert.equal(event.source, 'refresh');
      assert.equal(refreshCount(), 1, 'one refresh request, made by the timer');
      const now = await tokenDigest(page);
      assert.ok(now.ok && now.digest !== before.digest, 'getAccessToken() hands out the renewed token');
      assert.equal(refreshCount(), 1, 'getAccessToken() did not refresh again');
    });
  });

  test('a refreshMarginSeconds at or above the token lifetime falls back to half the lifetime: no refresh with 70 s of 120 left, one with 55 s left', { timeout: TEST_TIMEOUT }, async () => {
    await withBrowser(async (browser) => {
      const { page, context } = browser;
      await context.clock.install();
      await sdkLogin(page, 'erin', { margin: 3600 });
      const first = await tokenDigest(page);
      assert.ok(first.ok, 'a token right after login');
      assert.equal(refreshCount(), 0, 'no refresh with the whole lifetime left (a margin above it would refresh on every call)');
      await jumpClock(context, page, 50_000);
      const still = await tokenDigest(page);
      assert.equal(still.digest, first.digest, 'same token with 70 s of 120 left (more than half)');
      assert.equal(refreshCount(), 0);
      await jumpClock(context, page, 15_000);
      const renewed = await tokenDigest(page);
      assert.ok(renewed.ok && renewed.digest !== first.digest, 'renewed with 55 s left (less than half)');
      assert.equal(refreshCount(), 1, 'exactly one refresh');
    });
  });

  test('sleeping tab: the timer did not fire (wall clock jumped); visibilitychange, focus, pageshow and online each renew on wake-up, without a call', { timeout: TEST_TIMEOUT }, async (t) => {
    await withBrowser(async (browser) => {
      const { page, context } = browser;
      await context.clock.install();
      await sdkLogin(page, 'dave');
      let previous = (await tokenDigest(page)).digest;

      // Control: after the jump nothing happens by itself (the renewal timer counts ticks, which
      // did not pass: what a frozen or throttled tab experiences).
      await jumpClock(context, page);
      await sleep(1500);
      assert.equal(refreshCount(), 0, 'no refresh while the tab "sleeps"');
      assert.deepEqual((await events(page)).filter((e) => e.name === 'tokenRefreshed'), []);

      const wakeUps = {
        visibilitychange: () => document.dispatchEvent(new Event('visibilitychange')),
        focus: () => window.dispatchEvent(new FocusEvent('focus')),
        pageshow: () => window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true })),
        online: () => window.dispatchEvent(new Event('online')),
      };
      let round = 0;
      for (const [name, wake] of Object.entries(wakeUps)) {
        round += 1;
        /* eslint-disable no-await-in-loop */
        if (round > 1) await jumpClock(context, page);
        const left = await secondsLeft(page);
        assert.ok(left > 0 && left < MARGIN, `${name}: refresh due (${left.toFixed(1)} s left)`);
        await page.evaluate(wake);
        await waitFor(async () => (await events(page)).filter((e) => e.name === 'tokenRefreshed').length === round,
          `tokenRefreshed after ${name}`);
        assert.equal(refreshCount(), round, `${name}: one refresh request`);
        const evs = (await events(page)).filter((e) => e.name === 'tokenRefreshed');
        assert.equal(evs.at(-1).source, 'refresh');
        assert.ok(evs.at(-1).expiresAt > await page.evaluate(() => Date.now()) + (ACCESS_TOKEN_TTL - 10) * 1000,
          `${name}: the event carries the new expiry`);
        const now = await tokenDigest(page);
        assert.ok(now.ok && now.digest !== previous, `${name}: the next access token is fresh`);
        assert.equal(refreshCount(), round, `${name}: getAccessToken() did not need another refresh`);
        previous = now.digest;
        /* eslint-enable no-await-in-loop */
      }
      t.diagnostic(`wake-up events that renewed: ${Object.keys(wakeUps).join(', ')}`);
    });
  });

  test('reload: restoreSession() with no other tab makes one silent prompt=none redirect and lands authenticated; nothing stored; time from reload to authenticated', { timeout: TEST_TIMEOUT }, async (t) => {
    await withBrowser(async (browser) => {
      const { page, context, rec } = browser;
      assert.equal(await fullLogin(page, stack, { login: 'erin' }), 'authenticated');
      const times = [];
      for (let i = 0; i < 5; i += 1) {
        /* eslint-disable no-await-in-loop */
        stack.provider.resetRequests();
        const started = Date.now();
        await page.reload({ waitUntil: 'commit' });
        await page.waitForSelector('body[data-state="authenticated"], body[data-state="error"], body[data-state="ready"]');
        const state = await page.evaluate(() => document.body.dataset.state);
        const elapsed = Date.now() - started;
        assert.equal(state, 'authenticated', `reload ${i + 1}: ${state} ${JSON.stringify(await shownError(page))}`);
        times.push(elapsed);
        const auths = providerRequests().filter((r) => r.method === 'GET' && r.path === '/auth');
        assert.equal(auths.length, 1, `reload ${i + 1}: one authorization request`);
        assert.equal(auths[0].query.prompt, 'none', 'silent (prompt=none)');
        assert.equal(auths[0].status, 303);
        assert.equal(stack.provider.countRequests({ grantType: 'authorization_code', status: 200 }), 1);
        assert.equal(await page.locator('#sub').textContent(), 'erin');
        /* eslint-enable no-await-in-loop */
      }
      t.diagnostic(`reload -> authenticated (ms): ${JSON.stringify(times)}; median ${median(times)} ms`);

      // The restored session works ("Get token": ok, only the expiry shown) and nothing is stored.
      await page.locator('#get-token').click();
      await page.waitForSelector('#token-result[data-result]');
      assert.equal(await page.locator('#token-result').getAttribute('data-result'), 'ok');
      await rec.settle();
      assert.equal(rec.tokenResponses.length, 6, 'login + 5 silent restores');
      const state = await assertNoTokenStored(page, context, rec.tokenResponses, 'after the reloads');
      assert.deepEqual(Object.keys(state.sessionStorage).filter((k) => k.startsWith('spa-oauth:')), [],
        'no login transaction or silent-restore guard left');
      assert.equal(new URL(state.href).search, '', 'clean address bar');
      const pageText = await page.locator('body').innerText();
      assert.deepEqual(findSecrets(pageText, Object.assign({}, ...rec.tokenResponses.map((r) => secretsOf(r.body)))), [],
        'no token on the page');
    });
  });

  test('RT-03: the refresh token is revoked at the provider -> the next due refresh ends the session (sessionExpired in both tabs, login_required), exactly one attempt, no retry loop', { timeout: TEST_TIMEOUT }, async (t) => {
    await withBrowser(async (browser) => {
      const { page, context, rec } = browser;
      await context.clock.install();
      await sdkLogin(page, 'frank');
      const tab2 = await context.newPage();
      await createClient(tab2);
      assert.deepEqual(await authCall(tab2, 'restoreSession'), { ok: true, value: true });

      await rec.settle();
      const rt = rec.tokenResponses[0].body.refresh_token;
      assert.equal(await revokeFromNode(rt, 'refresh_token'), 200, 'RFC 7009 revocation from node');
      stack.provider.resetRequests();

      await jumpClock(context, page);
      const first = await authCall(page, 'getAccessToken');
      assert.equal(first.ok, false, 'getAccessToken() rejects');
      assert.equal(first.code, 'login_required', JSON.stringify(first));
      t.diagnostic(`rejection: code=${first.code} error=${first.error}`);
      assert.equal((await authCall(page, 'isAuthenticated')).value, false);
      assert.equal((await authCall(page, 'getIdTokenClaims')).value, null);
      const again = await authCall(page, 'getAccessToken');
      assert.equal(again.code, 'login_required');

      await waitFor(async () => (await events(tab2)).some((e) => e.name === 'sessionExpired'), 'sessionExpired in tab 2');
      assert.equal((await authCall(tab2, 'isAuthenticated')).value, false, 'tab 2 cleared too');
      assert.equal((await authCall(tab2, 'getAccessToken')).code, 'login_required');

      // No retry loop: wait (the backoff would retry after 2 s), still exactly one attempt.
      await sleep(3000);
      const attempts = providerRequests().filter((r) => r.path === '/token' && r.body?.grant_type === 'refresh_token');
      assert.equal(attempts.length, 1, 'exactly one refresh attempt');
      assert.equal(attempts[0].status, 400);
      assert.equal(attempts[0].error, 'invalid_grant');
      assert.equal(attempts[0].body.refresh_token, rt);

      const evs1 = await events(page);
      const evs2 = await events(tab2);
      t.diagnostic(`tab 1 events: ${JSON.stringify(evs1.map((e) => `${e.name}:${e.code ?? e.source}`))}; tab 2: ${JSON.stringify(evs2.map((e) => `${e.name}:${e.code ?? e.source}`))}`);
      assert.deepEqual(evs1.filter((e) => e.name === 'sessionExpired').map((e) => e.code), ['login_required'], 'one sessionExpired in tab 1');
      assert.deepEqual(evs2.filter((e) => e.name === 'sessionExpired').map((e) => e.code), ['login_required'], 'one sessionExpired in tab 2');
      assert.equal(evs1.filter((e) => e.name === 'tokenRefreshed').length, 0);
    });
  });

  test('LO-03/RV: logout() clears memory in every tab (loggedOut in tab 2), revokes refresh + access token (RFC 7009), goes to end_session with client_id/post_logout_redirect_uri/state (no id_token_hint) and back; handleLogoutCallback() true; old refresh token dead; later reloads: one silent attempt, then the loop guard', { timeout: TEST_TIMEOUT }, async (t) => {
    await withBrowser(async (browser) => {
      const { page, context, rec } = browser;
      assert.equal(await fullLogin(page, stack, { login: 'grace' }), 'authenticated');
      await rec.settle();
      const tokens = rec.tokenResponses[0].body;
      assert.ok(tokens.refresh_token && tokens.access_token && tokens.id_token);

      // Tab 2: the demo restores the session from tab 1 (no redirect).
      const tab2 = await context.newPage();
      tab2.setDefaultTimeout(10_000);
      const before = providerRequests().filter((r) => r.path === '/auth').length;
      await tab2.goto(stack.url, { waitUntil: 'commit' });
      assert.equal(await waitForAppState(tab2), 'authenticated');
      assert.equal(providerRequests().filter((r) => r.path === '/auth').length, before, 'tab 2 restored from tab 1');
      assert.equal(await tab2.locator('#sub').textContent(), 'grace');

      stack.provider.resetRequests();
      const navigations = [];
      page.on('framenavigated', (frame) => { if (frame === page.mainFrame()) navigations.push(frame.url()); });
      await page.locator('#logout').click();
      await page.waitForURL((url) => url.origin === stack.demoOrigin && url.searchParams.has('state'), { waitUntil: 'commit' });
      assert.equal(await waitForAppState(page), 'ready');
      assert.equal(await page.locator('#logout-result').getAttribute('data-result'), 'ok', 'handleLogoutCallback() true');
      assert.equal(await page.locator('#logout-result').textContent(), 'logged out');
      assert.equal(new URL(page.url()).searchParams.has('state'), false, 'state removed from the address bar');

      // RV: both tokens revoked before the end-session navigation.
      const requests = providerRequests();
      const revocations = requests.filter((r) => r.method === 'POST' && r.path === '/token/revocation');
      assert.deepEqual(revocations.map((r) => [r.body.token_type_hint, r.status]), [['refresh_token', 200], ['access_token', 200]]);
      assert.equal(revocations[0].body.token, tokens.refresh_token, 'the refresh token was revoked');
      assert.equal(revocations[1].body.token, tokens.access_token, 'the access token was revoked');
      assert.equal(revocations[0].origin, stack.demoOrigin);
      // LO-03: the end-session request.
      // Issue 11.2: by default no id_token_hint (it would stay in the browser history).
      const endSession = requests.filter((r) => r.path === '/session/end');
      assert.deepEqual(endSession.map((r) => r.method), ['GET']);
      const q = endSession[0].query;
      assert.equal(q.id_token_hint, undefined, 'no ID token in the end-session URL');
      assert.equal(q.client_id, stack.config.clientId);
      assert.equal(q.post_logout_redirect_uri, `${stack.demoOrigin}/`);
      assert.match(q.state, /^[A-Za-z0-9_-]{43}$/, 'state of 256 bits');
      assert.ok(revocations.every((r) => r.time <= endSession[0].time), 'revocation before the navigation');
      const back = navigations.find((u) => u.startsWith(`${stack.demoOrigin}/?`));
      assert.equal(new URL(back).searchParams.get('state'), q.state, 'the provider returned our state');
      assert.equal(stack.provider.countRequests({ method: 'POST', path: '/session/end/confirm', status: 303 }), 1,
        'signed out at the provider without a confirmation click');

      // The old refresh token is dead at the provider.
      const reuse = await tokenPost({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: stack.config.clientId });
      assert.equal(reuse.status, 400);
      assert.equal(reuse.body?.error, 'invalid_grant');

      // Tab 2: memory cleared by tab 1's logout.
      await tab2.waitForSelector('#session-events[data-logged-out]');
      assert.equal(await waitForAppState(tab2), 'ready');
      assert.equal(await tab2.locator('#status').textContent(), 'logged out (in another tab)');
      assert.equal(await tab2.locator('#logout').isHidden(), true);
      await tab2.locator('#login').waitFor();
      t.diagnostic(`tab 2 events: ${await tab2.locator('#session-events').textContent()}`);
      await assertNoTokenStored(page, context, rec.tokenResponses, 'after logout');

      // A reload after the logout: one silent attempt (the provider has no session:
      // login_required, shown as "not logged in"), and a second reload within two minutes makes
      // none (the SDK's loop guard).
      stack.provider.resetRequests();
      await page.reload({ waitUntil: 'commit' });
      await page.waitForSelector('#session-events[data-silent-restore]');
      assert.equal(await waitForAppState(page), 'ready');
      assert.equal(await page.locator('#error').isHidden(), true, 'login_required is not shown as an error');
      await page.reload({ waitUntil: 'commit' });
      assert.equal(await waitForAppState(page), 'ready');
      const silent = providerRequests().filter((r) => r.path === '/auth');
      assert.equal(silent.length, 1, 'one silent attempt for two reloads (loop guard)');
      assert.equal(silent[0].query.prompt, 'none');
    });
  });

  test('issue 11.2: after logout, no file of the persistent Chromium profile (History, Sessions, caches) contains the ID token; the end-session request carried none', { timeout: TEST_TIMEOUT }, async (t) => {
    await withBrowser(async (browser) => {
      const { page, rec } = browser;
      assert.equal(await fullLogin(page, stack, { login: 'kim' }), 'authenticated');
      await rec.settle();
      const idToken = rec.tokenResponses[0].body.id_token;
      assert.ok(idToken);
      stack.provider.resetRequests();
      await page.locator('#logout').click();
      await page.waitForURL((url) => url.origin === stack.demoOrigin && url.searchParams.has('state'), { waitUntil: 'commit' });
      assert.equal(await waitForAppState(page), 'ready');
      const endSession = providerRequests().filter((r) => r.path === '/session/end');
      assert.deepEqual(endSession.map((r) => r.method), ['GET']);
      assert.equal(endSession[0].query.id_token_hint, undefined, 'no id_token_hint in the URL');
      assert.equal(endSession[0].query.client_id, stack.config.clientId);
      // Chromium writes History and the session files when it closes.
      await browser.closeContext();
      const control = await filesContaining(browser.userDataDir, [`${stack.demoOrigin}/`]);
      assert.ok(control.some((f) => /History$/.test(f)), `the profile's History was written and scanned (${control.join(', ')})`);
      const [, , signature] = idToken.split('.');
      const leaked = await filesContaining(browser.userDataDir, [idToken, signature, 'id_token_hint=']);
      t.diagnostic(`profile files mentioning the demo origin: ${control.length}; with the ID token: ${leaked.length}`);
      assert.deepEqual(leaked, [], 'no profile file holds the ID token');
    });
  });

  test('LO-01/LO-02: a foreign state or no state on the way back from logout -> handleLogoutCallback() false (our own state: true, once); the demo shows "logout state did not match" and does not crash', { timeout: TEST_TIMEOUT }, async () => {
    await withBrowser(async (browser) => {
      const { page, context, rec } = browser;
      await sdkLogin(page, 'heidi');
      const tab2 = await context.newPage();
      await createClient(tab2);
      assert.deepEqual(await authCall(tab2, 'restoreSession'), { ok: true, value: true });

      // Hold the end-session navigation; at that moment tab 2 must already be logged out (LO-03).
      let endSessionUrl;
      let tab2AuthenticatedAtNavigation;
      await page.route((url) => url.origin === stack.issuer && url.pathname === '/session/end', async (route) => {
        endSessionUrl = route.request().url();
        tab2AuthenticatedAtNavigation = (await authCall(tab2, 'isAuthenticated')).value;
        return route.fulfill({ status: 200, contentType: 'text/plain', body: 'end session held by the test' });
      });
      const loggedOut = await authCall(page, 'logout', { postLogoutRedirectUri: `${stack.demoOrigin}/` });
      assert.equal(loggedOut.ok, true, JSON.stringify(loggedOut));
      await waitFor(() => endSessionUrl, 'the end-session navigation');
      await page.unrouteAll();
      assert.equal(tab2AuthenticatedAtNavigation, false, 'memory cleared in every tab before navigating');
      await rec.settle();
      const ourState = new URL(endSessionUrl).searchParams.get('state');
      assert.ok(ourState);

      // Back on the demo origin in the same tab (sessionStorage holds the logout state).
      await createClient(page);
      const foreign = randomBytes(32).toString('base64url');
      assert.deepEqual(await authCall(page, 'handleLogoutCallback', `${stack.demoOrigin}/?state=${foreign}`), { ok: true, value: false }, 'LO-01 foreign state');
      assert.deepEqual(await authCall(page, 'handleLogoutCallback', `${stack.demoOrigin}/`), { ok: true, value: false }, 'LO-02 no state');
      assert.deepEqual(await authCall(page, 'handleLogoutCallback', `${stack.demoOrigin}/?state=`), { ok: true, value: false }, 'empty state');
      assert.deepEqual(await authCall(page, 'handleLogoutCallback', `${stack.demoOrigin}/?state=${ourState}`), { ok: true, value: true }, 'control: our state');
      assert.deepEqual(await authCall(page, 'handleLogoutCallback', `${stack.demoOrigin}/?state=${ourState}`), { ok: true, value: false }, 'single use');
      assert.equal((await authCall(page, 'isAuthenticated')).value, false);

      // The demo landing with a foreign state: "logout state did not match", no silent redirect.
      stack.provider.resetRequests();
      rec.consoleEntries.length = 0;
      await page.goto(`${stack.demoOrigin}/?state=${foreign}`, { waitUntil: 'commit' });
      assert.equal(await waitForAppState(page), 'ready');
      assert.equal(await page.locator('#logout-result').getAttribute('data-result'), 'mismatch');
      assert.equal(await page.locator('#logout-result').textContent(), 'logout state did not match');
      assert.equal(await page.locator('#error').isHidden(), true);
      assert.equal(new URL(page.url()).searchParams.has('state'), false, 'state removed from the address bar');
      assert.deepEqual(providerRequests().filter((r) => r.path === '/auth'), [], 'no silent redirect after a foreign state');
      const demoErrors = rec.consoleEntries.filter((m) => (m.type === 'error' || m.type === 'pageerror') && m.url.startsWith(stack.demoOrigin));
      assert.deepEqual(demoErrors, [], 'no errors on the demo page');
    });
  });

  test('issue 11.4: a refresh response refused for its ID token (signature tampered in transit by the test) — the provider had rotated: the retry presents the NEW refresh token, no invalid_grant, the session lives', { timeout: TEST_TIMEOUT }, async (t) => {
    await withBrowser(async (browser) => {
      const { page, context, rec } = browser;
      await context.clock.install();
      await sdkLogin(page, 'judy');
      const old = await tokenDigest(page);
      await rec.settle();
      const rt0 = rec.tokenResponses[0].body.refresh_token;

      let rotated = null;
      const tamper = async (route) => {
        const request = route.request();
        if (request.method() !== 'POST' || rotated || new URLSearchParams(request.postData() ?? '').get('grant_type') !== 'refresh_token') return route.continue();
        const response = await route.fetch();
        const body = await response.json();
        rotated = body.refresh_token;
        const [h, p, sig] = body.id_token.split('.');
        body.id_token = `${h}.${p}.${sig.startsWith('A') ? 'B' : 'A'}${sig.slice(1)}`;
        return route.fulfill({ response, body: JSON.stringify(body) });
      };
      await page.route(stack.config.tokenEndpoint, tamper);
      await jumpClock(context, page);
      const during = await tokenDigest(page);
      assert.deepEqual(during, old, 'the still-valid access token is handed out');
      assert.ok(rotated && rotated !== rt0, 'the provider rotated the refresh token in the refused response');
      const errors = (await events(page)).filter((e) => e.name === 'error');
      assert.deepEqual(errors.map((e) => e.code), ['signature_invalid']);
      assert.equal((await authCall(page, 'isAuthenticated')).value, true);

      // After the backoff the retry must present the refresh token the provider issued last.
      await context.clock.fastForward(2500);
      const later = await waitFor(async () => {
        const d = await tokenDigest(page);
        return d.ok && d.digest !== old.digest ? d : null;
      }, 'the token renewed after the backoff', 5_000);
      assert.ok(later.ok);
      await page.unroute(stack.config.tokenEndpoint, tamper);
      const refreshes = providerRequests().filter((r) => r.path === '/token' && r.body?.grant_type === 'refresh_token');
      t.diagnostic(`refreshes: ${refreshes.map((r) => `${r.status}${r.error ? ` ${r.error}` : ''}`).join(', ')}`);
      assert.equal(refreshes.length, 2);
      assert.equal(refreshes[0].body.refresh_token, rt0);
      assert.equal(refreshes[1].body.refresh_token, rotated, 'the retry presented the rotated refresh token');
      assert.equal(refreshes[1].status, 200, 'accepted: no reuse detected');
      assert.equal(refreshCount({ error: 'invalid_grant' }), 0, 'no invalid_grant');
      assert.deepEqual((await events(page)).filter((e) => e.name === 'sessionExpired'), []);
    });
  });

  test('network failure during a due refresh keeps the still-valid token (error event), and after the network is back a later call refreshes', { timeout: TEST_TIMEOUT }, async (t) => {
    await withBrowser(async (browser) => {
      const { page, context } = browser;
      await context.clock.install();
      await sdkLogin(page, 'ivan');
      const old = await tokenDigest(page);

      let blocked = 0;
      const block = (route) => {
        if (route.request().method() !== 'POST') return route.continue();
        blocked += 1;
        return route.abort('internetdisconnected');
      };
      await page.route(stack.config.tokenEndpoint, block);
      await jumpClock(context, page);
      const during = await tokenDigest(page);
      assert.deepEqual(during, old, 'getAccessToken() resolves with the still-valid token');
      const errors = (await events(page)).filter((e) => e.name === 'error');
      assert.deepEqual(errors.map((e) => e.code), ['network_error'], 'one error event (network_error)');
      assert.equal((await authCall(page, 'isAuthenticated')).value, true);
      assert.equal(blocked, 1, 'one attempt was made');
      // Calls during the backoff (2 s after the first failure) get the still-valid token at once,
      // without a new attempt.
      assert.deepEqual(await tokenDigest(page), old);
      assert.deepEqual(await tokenDigest(page), old);
      assert.equal(blocked, 1, 'no new attempt during the backoff');
      assert.equal(refreshCount(), 0, 'nothing reached the provider');

      await page.unroute(stack.config.tokenEndpoint, block);
      // The backoff ends: the retry timer renews by itself (a call after it gets the new token).
      await context.clock.fastForward(2500);
      const later = await waitFor(async () => {
        const d = await tokenDigest(page);
        return d.ok && d.digest !== old.digest ? d : null;
      }, 'the token renewed after the backoff', 5_000);
      assert.ok(later.ok && later.digest !== old.digest, 'a later call refreshes');
      await sleep(500);
      assert.equal(refreshCount({ status: 200 }), 1, 'one successful refresh');
      const refreshed = (await events(page)).filter((e) => e.name === 'tokenRefreshed');
      assert.equal(refreshed.length, 1);
      // The backoff timer must not refresh again once renewed.
      await sleep(2500);
      assert.equal(refreshCount(), 1, 'no further refresh from the backoff timer');
    });
  });
});
