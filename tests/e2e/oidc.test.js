// End-to-end, OpenID Connect: ID-token signature and claim validation, discovery, JWKS key
// rotation and UserInfo, with the built package (pkg/) against the real oidc-provider in
// Debian's Chromium. Run: node --test tests/e2e/   (or tests/e2e/run.sh)
//
// These tests drive the SDK directly instead of through the demo page, so one AuthClient
// instance can be inspected and can do several logins:
//   page A (the browser's first tab) opens a document of the demo origin that runs no app code
//   (/config.json), imports /pkg/spa_oauth.js there and creates `window.__auth`;
//   auth.createAuthorizationUrl() stores the login transaction in page A's sessionStorage;
//   page B (a second tab of the same profile) opens that URL and logs in / consents at the
//   provider; the redirect to the redirect URI is captured and never loaded;
//   page A then runs auth.handleRedirectCallback(capturedUrl).
//
// One provider + demo server for the file (ports: the harness's base ports + 1, so that this
// file and login.test.js can run in parallel); a fresh browser profile per test.
// Catalogue ids (security-catalogue.md §4.3 ID Token, §4.4 Discovery, §4.5 JWKS, §4.6 UserInfo)
// are cited in the test names.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, beforeEach, describe, test } from 'node:test';

import {
  withBrowserOf,
  checkPrerequisites, closeAllBrowsers, startStack,
} from './harness.js';

const PORT_OFFSET = 1;
const SCOPE = 'openid profile email';
const TEST_TIMEOUT = 30_000;
const ES256_CLIENT_ID = 'spa-es256';

let stack;

const providerRequests = () => stack.provider.requests();
const providerGets = (path) => providerRequests().filter((r) => r.method === 'GET' && r.path === path);
const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

/** Decoded header and payload of a compact JWS (no verification: only to look at them). */
function decodeJws(jws) {
  const [header, payload] = jws.split('.');
  const json = (part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  return { header: json(header), payload: json(payload) };
}

/** Run fn with a fresh browser profile, always closed afterwards. */
const withBrowser = (fn) => withBrowserOf(stack, fn);

/**
 * Call `window.__auth[method](...args)` in page A. Resolves { ok: true, value } or
 * { ok: false, code, name, message } (SpaOAuthError properties do not survive serialisation).
 */
function authCall(page, method, ...args) {
  return page.evaluate(async ({ method: m, args: a }) => {
    try {
      return { ok: true, value: await window.__auth[m](...a) };
    } catch (e) {
      return { ok: false, code: e?.code ?? null, name: e?.name ?? null, message: String(e?.message ?? e) };
    }
  }, { method, args });
}

/** Expect an SDK rejection with `code`. */
async function expectReject(page, code, method, ...args) {
  const result = await authCall(page, method, ...args);
  assert.equal(result.ok, false, `${method} should reject with ${code}, resolved ${JSON.stringify(result.value)}`);
  assert.equal(result.code, code, `${method} rejected with ${JSON.stringify(result)}`);
  assert.equal(result.name, 'SpaOAuthError');
  return result;
}

/** Page A: a demo-origin document without app code; AuthClient.create(options) with discovery. */
async function createClient(page, { clientId = stack.config.clientId, issuer = stack.issuer, defaultAlgs = false } = {}) {
  if (!page.url().startsWith(`${stack.demoOrigin}/`)) {
    await page.goto(`${stack.demoOrigin}/config.json`, { waitUntil: 'load' });
  }
  return page.evaluate(async (options) => {
    const mod = await import('/pkg/spa_oauth.js');
    await mod.default();
    try {
      window.__auth = await mod.AuthClient.create(options);
      return { ok: true };
    } catch (e) {
      return { ok: false, code: e?.code ?? null, name: e?.name ?? null, message: String(e?.message ?? e) };
    }
  }, { issuer, clientId, redirectUri: stack.redirectUri, scope: SCOPE,
    // spa-es256 is registered with id_token_signed_response_alg ES256; the SDK accepts RS256 by default.
    ...(clientId === ES256_CLIENT_ID && !defaultAlgs ? { idTokenSigningAlgValues: ['ES256'] } : {}) });
}

/**
 * Page B: open authUrl in a new tab of the same profile, log in as `login` and consent when the
 * provider asks, and resolve the callback URL the provider redirects to (never loaded: the
 * redirect is taken over at the provider, see below). The tab is closed afterwards.
 *
 * Playwright routes only the first request of a redirect chain, so the requests that start a
 * chain at the provider (the GET /auth navigation, the form POSTs) are
 * replayed through the context's request API (same cookies) without following redirects; the
 * provider-internal resume redirects (/auth/<uid>) are followed the same way; a redirect to an
 * interaction page is handed to the browser; a redirect to the redirect URI is captured and
 * answered with a holding page.
 */
async function loginInSecondTab(context, authUrl, login) {
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  let captured = null;
  try {
    await page.route((url) => url.origin === stack.issuer, async (route) => {
      const request = route.request();
      const { pathname } = new URL(request.url());
      // GET /auth (the navigation) or a form POST (login, consent).
      const startsChain = (request.method() === 'GET' && pathname === '/auth') || request.method() === 'POST';
      if (!startsChain || captured) return route.continue();
      let response = await route.fetch({ maxRedirects: 0 });
      for (let hop = 0; hop < 5; hop += 1) {
        const location = response.headers().location;
        if (!location) break;
        const next = new URL(location, request.url());
        if (next.href.startsWith(stack.redirectUri)) {
          captured = next.href;
          return route.fulfill({ status: 200, contentType: 'text/plain', body: 'callback held by the test' });
        }
        if (next.origin !== stack.issuer || !next.pathname.startsWith('/auth/')) break;
        // eslint-disable-next-line no-await-in-loop
        response = await context.request.get(next.href, { maxRedirects: 0 });
      }
      return route.fulfill({ response });
    });

    await page.goto(authUrl, { waitUntil: 'commit' });
    const forms = page.locator('input[name="login"], input[name="prompt"][value="consent"]');
    const deadline = Date.now() + 15_000;
    while (!captured) {
      if (Date.now() > deadline) assert.fail(`no callback captured; tab B at ${page.url()}`);
      let formCount = 0;
      try {
        // eslint-disable-next-line no-await-in-loop
        formCount = await forms.count();
      } catch {
        // navigating
      }
      if (formCount) {
        // eslint-disable-next-line no-await-in-loop
        if (await page.locator('input[name="login"]').count()) {
          // eslint-disable-next-line no-await-in-loop
          await page.locator('input[name="login"]').fill(login);
          // eslint-disable-next-line no-await-in-loop
          await page.locator('input[name="password"]').fill('any-password');
        }
        // Mark this document, submit, wait until the next document replaced it.
        // eslint-disable-next-line no-await-in-loop
        await page.evaluate(() => { document.documentElement.dataset.e2eSubmitted = '1'; });
        // eslint-disable-next-line no-await-in-loop
        await page.locator('button[type="submit"]').click();
        // eslint-disable-next-line no-await-in-loop
        await page.locator('html[data-e2e-submitted]').waitFor({ state: 'detached' }).catch(() => {});
      } else {
        // eslint-disable-next-line no-await-in-loop
        await sleep(25);
      }
    }
    return captured;
  } finally {
    await page.close().catch(() => {});
  }
}

/**
 * One login of window.__auth (page A) as `login`: createAuthorizationUrl, tab B, then
 * handleRedirectCallback(callbackUrl) in page A. Resolves the callback result and the URLs.
 */
async function loginWithClient(browser, login, loginOptions = {}) {
  const { page, context } = browser;
  const created = await authCall(page, 'createAuthorizationUrl', loginOptions);
  assert.ok(created.ok, `createAuthorizationUrl: ${JSON.stringify(created)}`);
  const authUrl = created.value;
  assert.ok(authUrl.startsWith(`${stack.issuer}/auth?`), authUrl);
  const callbackUrl = await loginInSecondTab(context, authUrl, login);
  assert.ok(new URL(callbackUrl).searchParams.get('code'), `callback with a code: ${callbackUrl}`);
  const result = await authCall(page, 'handleRedirectCallback', callbackUrl);
  return { authUrl, callbackUrl, result };
}

/** The last captured token response body in page A (what the SDK received). */
async function lastTokenResponse(rec) {
  await rec.settle();
  assert.ok(rec.tokenResponses.length >= 1, 'a token response was captured');
  return rec.tokenResponses.at(-1).body;
}

const audiences = (aud) => (Array.isArray(aud) ? aud : [aud]);

describe('spa-oauth e2e: OpenID Connect (ID token, discovery, JWKS, UserInfo)', () => {
  before(async () => {
    checkPrerequisites();
    stack = await startStack({ portOffset: PORT_OFFSET });
  });

  after(async () => {
    await closeAllBrowsers();
    await stack?.close();
  });

  beforeEach(() => {
    stack.provider.resetRequests();
  });

  test('IT-03/IT-10/IT-12/IT-25 (controls): default client, the real RS256 ID token verifies; claims sub, iss, aud, nonce', { timeout: TEST_TIMEOUT }, async () => {
    await withBrowser(async (browser) => {
      const { page, rec } = browser;
      assert.deepEqual(await createClient(page), { ok: true });
      assert.equal(providerGets('/.well-known/openid-configuration').length, 1, 'one discovery request');

      const { authUrl, result } = await loginWithClient(browser, 'alice');
      assert.equal(result.ok, true, `handleRedirectCallback: ${JSON.stringify(result)}`);
      assert.equal(result.value.scope, SCOPE);
      assert.equal(await page.evaluate(() => location.href), `${stack.demoOrigin}/config.json`,
        'handleRedirectCallback(url) left page A\'s address alone');

      const idToken = (await lastTokenResponse(rec)).id_token;
      assert.equal(typeof idToken, 'string', 'the token response has an id_token');
      const { header, payload } = decodeJws(idToken);
      assert.equal(header.alg, 'RS256', `ID token header ${JSON.stringify(header)}`);
      assert.equal(header.kid, stack.provider.signingKids()[0], 'signed with the provider\'s RS256 key');

      const claims = (await authCall(page, 'getIdTokenClaims')).value;
      assert.equal(claims.sub, 'alice');
      assert.equal(claims.iss, stack.issuer);
      assert.ok(audiences(claims.aud).includes(stack.config.clientId), `aud ${JSON.stringify(claims.aud)}`);
      assert.equal(claims.nonce, new URL(authUrl).searchParams.get('nonce'), 'nonce of this login');
      assert.equal(typeof claims.iat, 'number');
      assert.equal(typeof claims.exp, 'number');
      assert.deepEqual(claims, payload, 'the claims are the ID token\'s payload');
      assert.equal((await authCall(page, 'isAuthenticated')).value, true);
      assert.equal(providerGets('/jwks').length, 1, 'one JWKS request');
    });
  });

  test('IT-05: an ES256 ID token is refused when the client did not say it expects ES256 (default RS256)', { timeout: TEST_TIMEOUT }, async () => {
    await withBrowser(async (browser) => {
      const { page, rec } = browser;
      assert.deepEqual(await createClient(page, { clientId: ES256_CLIENT_ID, defaultAlgs: true }), { ok: true });
      const { result } = await loginWithClient(browser, 'erin');
      assert.equal(result.ok, false, `handleRedirectCallback must reject, resolved ${JSON.stringify(result.value)}`);
      assert.equal(result.code, 'alg_unsupported', JSON.stringify(result));
      await rec.settle();
      assert.equal(decodeJws(rec.tokenResponses.at(-1).body.id_token).header.alg, 'ES256', 'the provider did sign with ES256');
      assert.equal((await authCall(page, 'isAuthenticated')).value, false);
      assert.equal((await authCall(page, 'getIdTokenClaims')).value, null);
    });
  });

  test('IT-04 (control): client spa-es256 (id_token_signed_response_alg ES256), the real ES256 ID token verifies', { timeout: TEST_TIMEOUT }, async () => {
    await withBrowser(async (browser) => {
      const { page, rec } = browser;
      assert.deepEqual(await createClient(page, { clientId: ES256_CLIENT_ID }), { ok: true });
      const { authUrl, result } = await loginWithClient(browser, 'bob');
      assert.equal(new URL(authUrl).searchParams.get('client_id'), ES256_CLIENT_ID);
      assert.equal(result.ok, true, `handleRedirectCallback: ${JSON.stringify(result)}`);

      const { header, payload } = decodeJws((await lastTokenResponse(rec)).id_token);
      assert.equal(header.alg, 'ES256', `ID token header ${JSON.stringify(header)}`);
      assert.equal(header.kid, stack.provider.signingKids()[1], 'signed with the provider\'s EC key');

      const claims = (await authCall(page, 'getIdTokenClaims')).value;
      assert.equal(claims.sub, 'bob');
      assert.equal(claims.iss, stack.issuer);
      assert.ok(audiences(claims.aud).includes(ES256_CLIENT_ID), `aud ${JSON.stringify(claims.aud)}`);
      assert.equal(claims.nonce, payload.nonce);
      assert.equal((await authCall(page, 'isAuthenticated')).value, true);
    });
  });

  test('IT-33: a key rotation between two logins of one AuthClient is survived by exactly one JWKS refetch', { timeout: TEST_TIMEOUT }, async () => {
    await withBrowser(async (browser) => {
      const { page, rec } = browser;
      assert.deepEqual(await createClient(page), { ok: true });

      const first = await loginWithClient(browser, 'carol');
      assert.equal(first.result.ok, true, `login 1: ${JSON.stringify(first.result)}`);
      const kid1 = decodeJws((await lastTokenResponse(rec)).id_token).header.kid;
      assert.equal(providerGets('/jwks').length, 1, 'login 1 fetched the JWKS once');

      // Rotate through the provider's test hook: new keys with new kids, the old ones are gone.
      const rotated = await (await fetch(`${stack.issuer}/__test/rotate-keys`, { method: 'POST' })).json();
      assert.equal(rotated.kids.includes(kid1), false, 'new kids');
      assert.deepEqual(rotated.kids, stack.provider.signingKids());

      // Login 2 with the same client instance, through the login form again (prompt=login; the
      // same user: an account switch makes the provider insert a logout confirmation that this
      // test's redirect take-over does not replay).
      const second = await loginWithClient(browser, 'carol', { extraParams: { prompt: 'login' } });
      assert.equal(second.result.ok, true, `login 2 after the rotation: ${JSON.stringify(second.result)}`);
      await rec.settle();
      assert.equal(rec.tokenResponses.length, 2, 'two token responses');
      const { header, payload } = decodeJws(rec.tokenResponses[1].body.id_token);
      assert.equal(header.kid, rotated.kids[0], 'login 2\'s ID token is signed with the new RS256 key');
      assert.notEqual(header.kid, kid1);

      const jwksGets = providerGets('/jwks');
      assert.equal(jwksGets.length, 2, `exactly one JWKS refetch (saw ${jwksGets.length} GET /jwks in all)`);
      assert.ok(jwksGets.every((r) => r.status === 200));

      const claims = (await authCall(page, 'getIdTokenClaims')).value;
      assert.equal(claims.sub, 'carol');
      assert.equal(claims.nonce, new URL(second.authUrl).searchParams.get('nonce'), 'claims of the second login');
      assert.notEqual(claims.nonce, new URL(first.authUrl).searchParams.get('nonce'));
      assert.deepEqual(claims, payload, 'the claims are the second ID token\'s payload');
    });
  });

  test('UI-07/UI-01: UserInfo matches the logged-in user; a /me answer with another sub is rejected (userinfo_sub_mismatch) and not merged', { timeout: TEST_TIMEOUT }, async (t) => {
    await withBrowser(async (browser) => {
      const { page, rec } = browser;
      assert.deepEqual(await createClient(page), { ok: true });
      const { result } = await loginWithClient(browser, 'erin');
      assert.equal(result.ok, true, `handleRedirectCallback: ${JSON.stringify(result)}`);
      const tokens = await lastTokenResponse(rec);

      const info = await authCall(page, 'getUserInfo');
      assert.equal(info.ok, true, `getUserInfo: ${JSON.stringify(info)}`);
      assert.equal(info.value.sub, 'erin');
      assert.equal(info.value.name, 'User erin');
      assert.equal(info.value.email, 'erin@example.test');
      const user = (await authCall(page, 'getUser')).value;
      assert.equal(user.sub, 'erin');
      assert.equal(user.name, 'User erin');
      assert.equal(user.email, 'erin@example.test');
      assert.equal(user.iss, stack.issuer, 'merged with the ID-token claims');

      // Bearer header, no query, no token in the URL (page and provider side).
      await rec.settle();
      const meCalls = rec.requests.filter((r) => r.method === 'GET' && r.url.split('?')[0] === stack.config.userinfoEndpoint);
      assert.equal(meCalls.length, 1, 'one GET /me from the page');
      assert.equal(meCalls[0].headers?.authorization, `Bearer ${tokens.access_token}`);
      assert.equal(meCalls[0].url, stack.config.userinfoEndpoint, 'no query, no token in the URL');
      const opMe = providerGets('/me');
      assert.equal(opMe.length, 1);
      assert.equal(opMe[0].authorizationScheme, 'Bearer');
      assert.deepEqual(opMe[0].query, {});
      assert.equal(opMe[0].status, 200);

      // The real /me answer with another sub (and other claims).
      await page.route(stack.config.userinfoEndpoint, async (route) => {
        if (route.request().method() !== 'GET') return route.continue();
        const response = await route.fetch();
        const body = await response.json();
        return route.fulfill({
          response,
          json: { ...body, sub: 'mallory', name: 'Mallory', email: 'mallory@attacker.test' },
        });
      });
      await expectReject(page, 'userinfo_sub_mismatch', 'getUserInfo');
      assert.equal(providerGets('/me').length, 2, 'the forged answer came from a real /me call');
      const after = (await authCall(page, 'getUser')).value;
      t.diagnostic(`getUser() after the mismatch: ${JSON.stringify(after && { sub: after.sub, name: after.name, email: after.email })}`);
      assert.equal(JSON.stringify(after ?? {}).toLowerCase().includes('mallory'), false, 'no forged claim in getUser()');
      if (after) {
        assert.equal(after.sub, 'erin');
      }
      t.diagnostic(`after the mismatch: isAuthenticated()=${(await authCall(page, 'isAuthenticated')).value}`);
    });
  });

  test('DS-01/DS-02: an issuer that differs from the metadata issuer (trailing slash) is rejected with discovery_issuer_mismatch', { timeout: TEST_TIMEOUT }, async (t) => {
    await withBrowser(async (browser) => {
      const { page } = browser;
      const created = await createClient(page, { issuer: `${stack.issuer}/` });
      assert.equal(created.ok, false, 'AuthClient.create must reject');
      assert.equal(created.code, 'discovery_issuer_mismatch', JSON.stringify(created));
      assert.equal(created.name, 'SpaOAuthError');
      // The real provider answered the metadata request (so this is the issuer check, not a 404).
      const discovery = providerRequests().filter((r) => r.path.endsWith('/.well-known/openid-configuration'));
      assert.equal(discovery.length, 1, `one discovery request: ${JSON.stringify(discovery.map((r) => r.path))}`);
      assert.equal(discovery[0].status, 200, `discovery at ${discovery[0].path}`);
      t.diagnostic(`metadata requested at ${discovery[0].path} for the issuer ${stack.issuer}/`);
      assert.deepEqual(providerRequests().filter((r) => !r.path.endsWith('/.well-known/openid-configuration')), [],
        'nothing else requested from the provider');

      // Control: the exact issuer works.
      assert.deepEqual(await createClient(page), { ok: true });
    });
  });

  test('IT-03/IT-04: an ID token with a forged signature (RS256, ES256) is rejected (signature_invalid); no session, no claims, no access token', { timeout: TEST_TIMEOUT }, async () => {
    await withBrowser(async (browser) => {
      const { page, rec } = browser;
      let genuineSignature;
      await page.route(stack.config.tokenEndpoint, async (route) => {
        if (route.request().method() !== 'POST') return route.continue();
        const response = await route.fetch();
        const body = await response.json();
        const [header, payload, signature] = body.id_token.split('.');
        genuineSignature = signature;
        // Another valid-looking base64url value of the same length (RS256 256 bytes, ES256 64).
        let forged;
        do {
          forged = randomBytes(Buffer.from(signature, 'base64url').length).toString('base64url');
        } while (forged === signature);
        return route.fulfill({ response, json: { ...body, id_token: `${header}.${payload}.${forged}` } });
      });

      // The same profile logs in twice (same user): with spa-demo (RS256), then spa-es256 (ES256).
      for (const [clientId, alg] of [[stack.config.clientId, 'RS256'], [ES256_CLIENT_ID, 'ES256']]) {
        stack.provider.resetRequests();
        genuineSignature = undefined;
        // eslint-disable-next-line no-await-in-loop
        assert.deepEqual(await createClient(page, { clientId }), { ok: true });
        // eslint-disable-next-line no-await-in-loop
        const { result } = await loginWithClient(browser, 'frank');
        assert.equal(result.ok, false, `${alg}: handleRedirectCallback must reject, resolved ${JSON.stringify(result.value)}`);
        assert.equal(result.code, 'signature_invalid', `${alg}: ${JSON.stringify(result)}`);
        assert.ok(genuineSignature, 'the token response was intercepted');
        // eslint-disable-next-line no-await-in-loop
        await rec.settle();
        const received = rec.tokenResponses.at(-1)?.body?.id_token;
        assert.equal(decodeJws(received).header.alg, alg);
        assert.notEqual(received.split('.')[2], genuineSignature, 'the SDK received the forged ID token');

        /* eslint-disable no-await-in-loop */
        assert.equal((await authCall(page, 'isAuthenticated')).value, false, 'isAuthenticated() stays false');
        assert.equal((await authCall(page, 'getIdTokenClaims')).value, null, 'getIdTokenClaims() is null');
        assert.equal((await authCall(page, 'getUser')).value, null, 'getUser() is null');
        assert.equal((await authCall(page, 'getGrantedScope')).value ?? null, null, 'no granted scope');
        await expectReject(page, 'login_required', 'getAccessToken');
        await expectReject(page, 'login_required', 'getUserInfo');
        /* eslint-enable no-await-in-loop */
        assert.equal(providerGets('/me').length, 0, 'no UserInfo request');
        assert.equal(providerGets('/jwks').length, 1, 'known kid: one JWKS fetch, no refetch for a bad signature');
      }
    });
  });
});
