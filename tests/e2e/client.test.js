// End-to-end, the public JavaScript API on its own: the built package (pkg/spa_oauth.js: the
// JavaScript driver + the wasm core) loaded into a blank document of the demo origin in Debian's
// Chromium, called directly — no app code, no provider round trip. What only the driver does is
// tested here: option validation of the public API, the environment and misuse codes
// (`storage_unavailable`, `crypto_unavailable`, `callback_in_progress`, `login_required`), the
// login transaction in sessionStorage and the code exchange with real fetch, the sweep of a spent
// flow, the silent restore, and free(). (The Rust exports underneath are tested in tests/web.rs
// and tests/oidc_web.rs; real logins against oidc-provider in login.test.js, oidc.test.js,
// lifecycle.test.js.)
//
// The clients here name the demo server itself as their authorization server (loopback http is
// allowed): its /authorize is a 404 page the test only looks at, and it answers every POST with
// 405, so the code exchange is a real same-origin fetch with a real refusal. The redirect URI is
// /config.json, a document without app code. The stack's provider runs (startStack) but is not
// used.
//
// Ports: the harness base ports + 3. Run: node --test --test-concurrency=1 tests/e2e/client.test.js

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { checkPrerequisites, closeAllBrowsers, startStack, withBrowserOf } from './harness.js';

const PORT_OFFSET = 3;
const TEST_TIMEOUT = 20_000;
const CLIENT_ID = 'spa-e2e';

let stack;

const withBrowser = (fn) => withBrowserOf(stack, fn);
const blankUrl = () => `${stack.demoOrigin}/config.json`;
const redirectUri = () => `${stack.demoOrigin}/config.json`;
const tokenEndpoint = () => `${stack.demoOrigin}/no-token-endpoint`;

/** Options of AuthClient.create for a client of the demo server (explicit endpoints: no discovery). */
const clientOptions = (extra = {}) => ({
  issuer: stack.demoOrigin,
  authorizationEndpoint: `${stack.demoOrigin}/authorize`,
  tokenEndpoint: tokenEndpoint(),
  userinfoEndpoint: `${stack.demoOrigin}/userinfo`,
  clientId: CLIENT_ID,
  redirectUri: redirectUri(),
  scope: 'openid profile',
  ...extra,
});

const b64url = (buf) => buf.toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const s256 = (verifier) => b64url(createHash('sha256').update(verifier).digest());
const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

/**
 * Loads the package into the current blank document: window.__m (the module), window.__try(f)
 * ({ ok, value } or the error's { ok: false, code, name, isError, error, status, message }),
 * window.__errors (uncaught errors and unhandled rejections of the page).
 */
async function loadPackage(page, url = blankUrl()) {
  await page.goto(url, { waitUntil: 'load' });
  await page.evaluate(async () => {
    window.__errors = [];
    addEventListener('error', (e) => window.__errors.push(String(e.message)));
    addEventListener('unhandledrejection', (e) => window.__errors.push(String(e.reason?.stack ?? e.reason)));
    const mod = await import('/pkg/spa_oauth.js');
    await mod.default();
    window.__m = mod;
    window.__try = async (f) => {
      try {
        return { ok: true, value: await f() };
      } catch (e) {
        return {
          ok: false,
          code: e?.code ?? null,
          name: e?.name ?? null,
          isError: e instanceof Error,
          error: e?.error ?? null,
          status: e?.status ?? null,
          message: String(e?.message ?? e),
        };
      }
    };
  });
}

/** AuthClient.create(options) in the page as window.__auth. */
async function createClient(page, options = clientOptions()) {
  const r = await page.evaluate(async (o) => window.__try(async () => {
    window.__auth = await window.__m.AuthClient.create(o);
    return true;
  }), options);
  assert.deepEqual(r, { ok: true, value: true }, `AuthClient.create: ${JSON.stringify(r)}`);
}

/** Asserts `r` is the failure of a SpaOAuthError with `code`. */
function assertCode(r, code, what) {
  assert.equal(r.ok, false, `${what}: expected ${code}, got success ${JSON.stringify(r)}`);
  assert.equal(r.code, code, `${what}: ${JSON.stringify(r)}`);
  assert.equal(r.name, 'SpaOAuthError', `${what}: ${JSON.stringify(r)}`);
  assert.equal(r.isError, true, `${what}: an Error instance`);
  assert.ok(r.message && r.message !== 'undefined', `${what}: a message`);
}

/** Every spa-oauth key/value of the page's sessionStorage, plus localStorage's size and cookies. */
const storageOf = (page) => page.evaluate(() => ({
  session: Object.fromEntries(Object.keys(sessionStorage).filter((k) => k.startsWith('spa-oauth:')).map((k) => [k, sessionStorage.getItem(k)])),
  sessionOther: Object.keys(sessionStorage).filter((k) => !k.startsWith('spa-oauth:')),
  localLength: localStorage.length,
}));

const txnKeys = async (page) => Object.keys((await storageOf(page)).session).filter((k) => k.startsWith('spa-oauth:txn:'));

/** createAuthorizationUrl() in the page: the URL, parsed. */
async function startLogin(page, auth = '__auth') {
  const r = await page.evaluate((name) => window.__try(() => window[name].createAuthorizationUrl()), auth);
  assert.equal(r.ok, true, `createAuthorizationUrl: ${JSON.stringify(r)}`);
  return new URL(r.value);
}

/** A stored transaction record: a JSON object (form-encoded in earlier builds; both are read). */
function parseRecord(text) {
  try {
    const v = JSON.parse(text);
    if (v && typeof v === 'object') return v;
  } catch {
    // not JSON
  }
  return Object.fromEntries(new URLSearchParams(text));
}

const callbackUrl = (params) => `${redirectUri()}?${new URLSearchParams(params)}`;

const tokenPosts = (rec) => rec.requests.filter((r) => r.method === 'POST' && r.url === tokenEndpoint());

describe('spa-oauth e2e: the public API in a blank page (driver + wasm, Chromium)', () => {
  before(async () => {
    checkPrerequisites();
    stack = await startStack({ portOffset: PORT_OFFSET });
  });

  after(async () => {
    await closeAllBrowsers();
    await stack?.close();
  });

  test('invalid_config / insecure_endpoint / protocol_parameter_override: bad configuration and options are refused, nothing is stored', { timeout: TEST_TIMEOUT }, async () => {
    await withBrowser(async ({ page, rec }) => {
      await loadPackage(page);
      const good = clientOptions();
      const creates = await page.evaluate(async (g) => {
        const create = (o) => window.__try(() => window.__m.AuthClient.create(o).then(() => 'created'));
        const cyclic = { ...g };
        cyclic.self = cyclic;
        return {
          undefinedOptions: await create(undefined),
          nullOptions: await create(null),
          stringOptions: await create('https://as.example'),
          issuerNumber: await create({ issuer: 1 }),
          noClientId: await create({ ...g, clientId: undefined }),
          emptyRedirect: await create({ ...g, redirectUri: '' }),
          timeoutZero: await create({ ...g, timeoutMs: 0 }),
          marginString: await create({ ...g, refreshMarginSeconds: '60' }),
          algNone: await create({ ...g, idTokenSigningAlgValues: ['none'] }),
          algsEmpty: await create({ ...g, idTokenSigningAlgValues: [] }),
          discoveryKind: await create({ ...g, discovery: 'webfinger' }),
          cyclic: await create(cyclic),
          httpIssuer: await create({ ...g, issuer: 'http://as.example', authorizationEndpoint: undefined, tokenEndpoint: undefined }),
          httpTokenEndpoint: await create({ ...g, tokenEndpoint: 'http://as.example/token' }),
          httpAuthorizationEndpoint: await create({ ...g, authorizationEndpoint: 'http://as.example/auth' }),
          httpJwksUri: await create({ ...g, jwksUri: 'http://as.example/jwks' }),
          ctor: await window.__try(() => new window.__m.AuthClient()),
          ok: await create(g),
        };
      }, good);
      for (const name of ['undefinedOptions', 'nullOptions', 'stringOptions', 'issuerNumber', 'noClientId', 'emptyRedirect',
        'timeoutZero', 'marginString', 'algNone', 'algsEmpty', 'discoveryKind', 'cyclic', 'ctor']) {
        assertCode(creates[name], 'invalid_config', name);
      }
      for (const name of ['httpIssuer', 'httpTokenEndpoint', 'httpAuthorizationEndpoint', 'httpJwksUri']) {
        assertCode(creates[name], 'insecure_endpoint', name);
      }
      assert.deepEqual(creates.ok, { ok: true, value: 'created' }, 'the same options without the mistake work');

      await createClient(page);
      const calls = await page.evaluate(async () => {
        const a = window.__auth;
        const m = window.__m;
        return {
          scopeNumber: await window.__try(() => a.createAuthorizationUrl({ scope: 3 })),
          promptBoolean: await window.__try(() => a.createAuthorizationUrl({ extraParams: { prompt: true } })),
          extraString: await window.__try(() => a.createAuthorizationUrl({ extraParams: 'prompt=login' })),
          optionsString: await window.__try(() => a.createAuthorizationUrl('openid')),
          overrideState: await window.__try(() => a.createAuthorizationUrl({ extraParams: { state: 'x' } })),
          overrideChallenge: await window.__try(() => a.loginWithRedirect({ extraParams: { code_challenge_method: 'plain' } })),
          overrideRedirect: await window.__try(() => a.createAuthorizationUrl({ extraParams: { redirect_uri: 'https://evil.example/' } })),
          onNotFunction: await window.__try(() => a.on('error', 'not a function')),
          logoutRevokeString: await window.__try(() => a.logout({ revoke: 'yes' })),
          logoutString: await window.__try(() => a.logout('now')),
          logoutRedirectUriNumber: await window.__try(() => a.logout({ postLogoutRedirectUri: 5 })),
          restoreSilentNumber: await window.__try(() => a.restoreSession({ silent: 1 })),
          buildNoOptions: await window.__try(() => m.buildAuthorizationUrl()),
          buildOverride: await window.__try(() => m.buildAuthorizationUrl({
            issuer: 'https://as.example',
            authorizationEndpoint: 'https://as.example/authorize',
            clientId: 'c',
            redirectUri: 'https://app.example/cb',
            extraParams: { code_challenge_method: 'plain' },
          })),
          buildInsecure: await window.__try(() => m.buildAuthorizationUrl({
            issuer: 'https://as.example',
            authorizationEndpoint: 'http://as.example/authorize',
            clientId: 'c',
            redirectUri: 'https://app.example/cb',
          })),
          validateNoJwks: await window.__try(() => m.validateIdToken('a.b.c', { issuer: 'https://as.example', clientId: 'c' })),
          href: location.href,
        };
      });
      for (const name of ['scopeNumber', 'promptBoolean', 'extraString', 'optionsString', 'onNotFunction', 'logoutRevokeString',
        'logoutString', 'logoutRedirectUriNumber', 'restoreSilentNumber', 'buildNoOptions', 'validateNoJwks']) {
        assertCode(calls[name], 'invalid_config', name);
      }
      for (const name of ['overrideState', 'overrideChallenge', 'overrideRedirect', 'buildOverride']) {
        assertCode(calls[name], 'protocol_parameter_override', name);
      }
      assertCode(calls.buildInsecure, 'insecure_endpoint', 'buildInsecure');
      assert.equal(calls.href, blankUrl(), 'a refused loginWithRedirect does not navigate');
      const stored = await storageOf(page);
      assert.deepEqual(stored.session, {}, 'no failed attempt stored a transaction');
      assert.equal(stored.localLength, 0);
      assert.deepEqual(await page.evaluate(() => window.__errors), []);
      const sent = rec.requests.filter((r) => r.method !== 'GET' || new URL(r.url).origin !== stack.demoOrigin
        || new URL(r.url).pathname === '/authorize');
      assert.deepEqual(sent, [], 'nothing was sent to any endpoint');
    });
  });

  test('AR-01/AR-06: login stores only the transaction in sessionStorage; the callback cleans the URL, exchanges the code with real fetch (token_response_status), is single use', { timeout: TEST_TIMEOUT }, async () => {
    await withBrowser(async ({ page, rec }) => {
      await loadPackage(page);
      // A cookie of the app's origin: the token request must not carry it (credentials: omit).
      await page.evaluate(() => { document.cookie = 'app-cookie=1; path=/'; });
      await createClient(page);

      // loginWithRedirect: the transaction is stored, then the browser goes to /authorize.
      await Promise.all([
        page.waitForURL((u) => u.pathname === '/authorize', { waitUntil: 'commit' }),
        page.evaluate(() => { setTimeout(() => window.__auth.loginWithRedirect({ extraParams: { login_hint: 'a@b' } }), 0); }),
      ]);
      await page.waitForLoadState('load');
      const authUrl = new URL(page.url());
      const q = authUrl.searchParams;
      assert.equal(`${authUrl.origin}${authUrl.pathname}`, `${stack.demoOrigin}/authorize`);
      assert.equal(q.get('response_type'), 'code');
      assert.equal(q.get('client_id'), CLIENT_ID);
      assert.equal(q.get('redirect_uri'), redirectUri());
      assert.equal(q.get('scope'), 'openid profile');
      assert.equal(q.get('login_hint'), 'a@b');
      assert.equal(q.get('code_challenge_method'), 'S256');
      assert.equal(q.get('prompt'), null);
      const state = q.get('state');
      assert.match(state, /^[A-Za-z0-9_-]{43}$/);

      const stored = await storageOf(page);
      assert.deepEqual(Object.keys(stored.session), [`spa-oauth:txn:${state}`], 'only the transaction, keyed by its state');
      assert.deepEqual(stored.sessionOther, []);
      assert.equal(stored.localLength, 0, 'nothing in localStorage');
      const record = parseRecord(stored.session[`spa-oauth:txn:${state}`]);
      const verifier = record.code_verifier;
      assert.match(verifier, /^[A-Za-z0-9_-]{43,128}$/);
      assert.equal(q.get('code_challenge'), s256(verifier), 'the URL carries S256 of the stored verifier');
      assert.equal(q.get('nonce'), record.nonce);
      assert.ok(!authUrl.href.includes(verifier), 'the verifier is not in the URL');

      // The provider redirects back with the code.
      const cb = callbackUrl({ code: 'the-code', state, iss: stack.demoOrigin, session_state: 'ss' });
      await loadPackage(page, cb);
      await createClient(page);
      assert.equal(await page.evaluate(() => window.__auth.isRedirectCallback()), true);
      const result = await page.evaluate(() => window.__try(() => window.__auth.handleRedirectCallback()));
      // The demo server answers the POST with 405: a real response the SDK refuses.
      assertCode(result, 'token_response_status', 'handleRedirectCallback');
      assert.equal(result.status, 405);
      assert.ok(!result.message.includes('the-code'), 'the code is not in the message');

      const posts = tokenPosts(rec);
      assert.equal(posts.length, 1, 'one token request');
      await rec.settle();
      const body = new URLSearchParams(posts[0].postData);
      assert.equal(body.get('grant_type'), 'authorization_code');
      assert.equal(body.get('code'), 'the-code');
      assert.equal(body.get('code_verifier'), verifier);
      assert.equal(body.get('redirect_uri'), redirectUri());
      assert.equal(body.get('client_id'), CLIENT_ID);
      assert.equal(posts[0].headers?.cookie, undefined, 'no cookie on the token request');
      assert.match(posts[0].headers?.['content-type'] ?? '', /^application\/x-www-form-urlencoded/);

      const after = await page.evaluate(() => ({
        href: location.href,
        authenticated: window.__auth.isAuthenticated(),
        expiry: window.__auth.getTokenExpiry(),
        scope: window.__auth.getGrantedScope(),
        claims: window.__auth.getIdTokenClaims(),
      }));
      assert.deepEqual(after, { href: redirectUri(), authenticated: false, expiry: null, scope: null, claims: null },
        'code, state, iss, session_state removed from the address bar; no session');
      assert.deepEqual(await txnKeys(page), [], 'the transaction is gone (single use)');
      assertCode(await page.evaluate(() => window.__try(() => window.__auth.getAccessToken())), 'login_required', 'getAccessToken');

      // AR-06: the same response again is a state failure and sends nothing.
      const again = await page.evaluate((u) => window.__try(() => window.__auth.handleRedirectCallback(u)), cb);
      assertCode(again, 'state_mismatch', 'replayed callback');
      assert.equal(tokenPosts(rec).length, 1, 'no second token request');
      assert.deepEqual(await page.evaluate(() => window.__errors), []);
    });
  });

  test('AR-02/AR-08/AR-17: a failed callback spends every transaction of this client (not of others) and sends nothing', { timeout: TEST_TIMEOUT }, async () => {
    await withBrowser(async ({ page, rec }) => {
      await loadPackage(page);
      await createClient(page);
      await page.evaluate(async (o) => { window.__other = await window.__m.AuthClient.create(o); }, clientOptions({ clientId: 'other-client' }));
      const cases = [
        [(s) => ({ code: 'c', state: 'tampered', iss: stack.demoOrigin }), 'state_mismatch'],
        [(s) => ({ code: 'c', state: s, iss: 'https://evil.example' }), 'iss_mismatch'],
        [(s) => ({ code: 'c', state: s }), 'iss_missing'],
        [(s) => ({ code: 'c', access_token: 'at', state: s, iss: stack.demoOrigin }), 'unexpected_callback_parameter'],
        [(s) => ({ error: 'access_denied', error_description: 'no', state: s, iss: stack.demoOrigin }), 'authorization_error'],
        [(s) => ({ code: 'c', iss: stack.demoOrigin }), 'state_missing'],
      ];
      for (const [params, want] of cases) {
        const mine = await startLogin(page);
        await startLogin(page); // a second login of this client (another attempt, same tab)
        const others = await startLogin(page, '__other');
        const url = callbackUrl(params(mine.searchParams.get('state')));
        const r = await page.evaluate((u) => window.__try(() => window.__auth.handleRedirectCallback(u)), url);
        assertCode(r, want, url);
        if (want === 'authorization_error') {
          assert.equal(r.error, 'access_denied');
        }
        assert.deepEqual(await txnKeys(page), [`spa-oauth:txn:${others.searchParams.get('state')}`],
          `${want}: only the other client's transaction is left`);
        await page.evaluate(() => sessionStorage.clear());
      }
      assert.equal(tokenPosts(rec).length, 0, 'no token request');
      assert.deepEqual(await page.evaluate(() => window.__errors), []);
    });
  });

  test('callback_in_progress, storage_unavailable, crypto_unavailable, login_required: environment and misuse codes', { timeout: TEST_TIMEOUT }, async () => {
    await withBrowser(async ({ page, rec }) => {
      await loadPackage(page);
      await createClient(page);

      // A second handleRedirectCallback while the first one runs.
      const state = (await startLogin(page)).searchParams.get('state');
      const url = callbackUrl({ code: 'c', state, iss: stack.demoOrigin });
      const twice = await page.evaluate(async (u) => {
        const first = window.__try(() => window.__auth.handleRedirectCallback(u));
        const second = await window.__try(() => window.__auth.handleRedirectCallback(u));
        return { first: await first, second, third: await window.__try(() => window.__auth.handleRedirectCallback(u)) };
      }, url);
      assertCode(twice.second, 'callback_in_progress', 'second call');
      assertCode(twice.first, 'token_response_status', 'the first call ran to the token endpoint');
      assertCode(twice.third, 'state_mismatch', 'after the first finished: not in progress any more');
      assert.equal(tokenPosts(rec).length, 1, 'the second call sent nothing');

      // No session: login_required.
      const none = await page.evaluate(async () => ({
        token: await window.__try(() => window.__auth.getAccessToken()),
        userinfo: await window.__try(() => window.__auth.getUserInfo()),
        authenticated: window.__auth.isAuthenticated(),
      }));
      assertCode(none.token, 'login_required', 'getAccessToken');
      assertCode(none.userinfo, 'login_required', 'getUserInfo');
      assert.equal(none.authenticated, false);

      // sessionStorage blocked (storage disabled by policy), then full (setItem throws).
      const storage = await page.evaluate(async (u) => {
        const own = Object.getOwnPropertyDescriptor(window, 'sessionStorage');
        Object.defineProperty(window, 'sessionStorage', { configurable: true, get() { throw new DOMException('blocked', 'SecurityError'); } });
        const blocked = {
          create: await window.__try(() => window.__auth.createAuthorizationUrl()),
          login: await window.__try(() => window.__auth.loginWithRedirect()),
          callback: await window.__try(() => window.__auth.handleRedirectCallback(u)),
          href: location.href,
        };
        if (own) Object.defineProperty(window, 'sessionStorage', own); else delete window.sessionStorage;
        const setItem = Storage.prototype.setItem;
        Storage.prototype.setItem = () => { throw new DOMException('full', 'QuotaExceededError'); };
        const full = await window.__try(() => window.__auth.createAuthorizationUrl());
        Storage.prototype.setItem = setItem;
        return { blocked, full, restored: await window.__try(async () => typeof (await window.__auth.createAuthorizationUrl())) };
      }, url);
      assertCode(storage.blocked.create, 'storage_unavailable', 'createAuthorizationUrl, storage blocked');
      assertCode(storage.blocked.login, 'storage_unavailable', 'loginWithRedirect, storage blocked');
      assertCode(storage.blocked.callback, 'storage_unavailable', 'handleRedirectCallback, storage blocked');
      assert.equal(storage.blocked.href, blankUrl(), 'no navigation without a stored transaction');
      assertCode(storage.full, 'storage_unavailable', 'createAuthorizationUrl, storage full');
      assert.deepEqual(storage.restored, { ok: true, value: 'string' }, 'works again with storage back');
      await page.evaluate(() => sessionStorage.clear());

      // crypto.getRandomValues unavailable.
      const random = await page.evaluate(async (o) => {
        const saved = crypto.getRandomValues;
        crypto.getRandomValues = () => { throw new Error('no entropy'); };
        const r = {
          login: await window.__try(() => window.__auth.createAuthorizationUrl()),
          pkce: await window.__try(() => window.__m.createPkcePair()),
          build: await window.__try(() => window.__m.buildAuthorizationUrl({
            issuer: 'https://as.example', authorizationEndpoint: 'https://as.example/a', clientId: 'c', redirectUri: 'https://app.example/cb',
          })),
          create: await window.__try(() => window.__m.AuthClient.create(o)),
        };
        crypto.getRandomValues = saved;
        r.restored = await window.__try(() => window.__m.createPkcePair().codeVerifier.length);
        return r;
      }, clientOptions());
      for (const name of ['login', 'pkce', 'build', 'create']) assertCode(random[name], 'crypto_unavailable', name);
      assert.deepEqual(random.restored, { ok: true, value: 43 });
      assert.deepEqual(await txnKeys(page), [], 'nothing was stored by the failed attempts');
      assert.equal(tokenPosts(rec).length, 1);
      assert.deepEqual(await page.evaluate(() => window.__errors), []);
    });
  });

  test('restoreSession: one prompt=none redirect; the silent answer error=login_required is login_required; no second redirect within the guard', { timeout: TEST_TIMEOUT }, async () => {
    await withBrowser(async ({ page }) => {
      await loadPackage(page);
      await createClient(page);
      // No other tab answers: after a short wait the SDK makes a top-level prompt=none request.
      await Promise.all([
        page.waitForURL((u) => u.pathname === '/authorize', { waitUntil: 'commit', timeout: 5000 }),
        page.evaluate(() => { window.__auth.restoreSession().catch(() => {}); }),
      ]);
      const silent = new URL(page.url());
      assert.equal(silent.searchParams.get('prompt'), 'none');
      const state = silent.searchParams.get('state');
      assert.deepEqual(await txnKeys(page), [`spa-oauth:txn:${state}`]);

      // The provider answers that the user must log in.
      await loadPackage(page, callbackUrl({ error: 'login_required', state, iss: stack.demoOrigin }));
      await createClient(page);
      const r = await page.evaluate(() => window.__try(() => window.__auth.handleRedirectCallback()));
      assertCode(r, 'login_required', 'silent callback');
      assert.equal(r.error, 'login_required');
      assert.equal(await page.evaluate(() => location.href), redirectUri(), 'error and state removed from the address bar');

      // Within the guard no second redirect: restoreSession resolves false and stays.
      const again = await page.evaluate(() => window.__try(() => window.__auth.restoreSession()));
      assert.deepEqual(again, { ok: true, value: false });
      await sleep(100);
      assert.equal(page.url(), redirectUri(), 'no navigation');
      assert.deepEqual(await txnKeys(page), []);
      assert.deepEqual(await page.evaluate(() => window.__errors), []);
    });
  });

  test('issue 11.8: start() — "redirecting" for the silent attempt, "anonymous" for its login_required answer and within the guard, the callback handled on a code, the logout return recognised', { timeout: TEST_TIMEOUT }, async () => {
    await withBrowser(async ({ page, rec }) => {
      await loadPackage(page);
      await createClient(page);
      // No session, no other tab: one silent prompt=none redirect; start() says so before the page leaves.
      await page.evaluate(() => {
        window.__started = null;
        window.__auth.start().then((v) => { window.__started = v; }, (e) => { window.__started = `error:${e.code}`; });
      });
      await page.waitForURL((u) => u.pathname === '/authorize', { waitUntil: 'commit', timeout: 5000 });
      const silent = new URL(page.url());
      assert.equal(silent.searchParams.get('prompt'), 'none');
      const state = silent.searchParams.get('state');

      // The answer login_required: start() handles the callback and resolves "anonymous" (no rejection).
      await loadPackage(page, callbackUrl({ error: 'login_required', state, iss: stack.demoOrigin }));
      await createClient(page);
      assert.deepEqual(await page.evaluate(() => window.__try(() => window.__auth.start())), { ok: true, value: 'anonymous' });
      assert.equal(await page.evaluate(() => location.href), redirectUri(), 'the answer left the address bar');
      // Again (a reload): within the loop guard, no redirect: "anonymous".
      assert.deepEqual(await page.evaluate(() => window.__try(() => window.__auth.start())), { ok: true, value: 'anonymous' });
      await sleep(100);
      assert.equal(page.url(), redirectUri(), 'no navigation within the guard');

      // A code for a login this tab started: start() exchanges it (the demo server refuses the
      // token request: the callback's code is the answer, not "anonymous").
      const login = await startLogin(page);
      const s2 = login.searchParams.get('state');
      await loadPackage(page, callbackUrl({ code: 'c-1', state: s2, iss: stack.demoOrigin }));
      await createClient(page);
      const exchanged = await page.evaluate(() => window.__try(() => window.__auth.start()));
      assertCode(exchanged, 'token_response_status', 'start() on a code');
      assert.equal(tokenPosts(rec).length, 1, 'the code went to the token endpoint once');

      // A cancelled consent is the callback's error, not "anonymous".
      const l3 = await startLogin(page);
      await loadPackage(page, callbackUrl({ error: 'access_denied', state: l3.searchParams.get('state'), iss: stack.demoOrigin }));
      await createClient(page);
      const denied = await page.evaluate(() => window.__try(() => window.__auth.start()));
      assertCode(denied, 'authorization_error', 'start() on access_denied');
      assert.equal(denied.error, 'access_denied');

      // Back from our own logout (its state): "anonymous" at once, no silent attempt.
      assert.deepEqual(await page.evaluate(() => window.__auth.logout({ revoke: false, redirect: false })),
        { revoked: false, redirecting: false, revocation: 'no_session' }, 'logout() says what happened (issue 15)');
      await page.evaluate(() => sessionStorage.setItem('spa-oauth:logout:st-1', String(Math.floor(Date.now() / 1000))));
      await loadPackage(page, `${redirectUri()}?state=st-1`);
      await createClient(page);
      assert.deepEqual(await page.evaluate(() => window.__try(() => window.__auth.start())), { ok: true, value: 'anonymous' });
      assert.equal(await page.evaluate(() => location.href), redirectUri(), 'state removed from the address bar');
      assert.deepEqual(await page.evaluate(() => window.__errors), []);
    });
  });

  test('issue 15: logout() resolves what happened — no revocation endpoint, not asked — without navigating when redirect is false', { timeout: TEST_TIMEOUT }, async () => {
    await withBrowser(async ({ page, rec }) => {
      await loadPackage(page);
      const channelName = `spa-oauth ${stack.demoOrigin} ${CLIENT_ID}`;
      const withPeerSession = async () => {
        await createClient(page);
        await page.evaluate((name) => {
          const peer = new BroadcastChannel(name);
          peer.postMessage({ t: 'session', from: 'other-tab', s: { at: 'peer-token', obtained: Date.now(), exp: Date.now() + 600000, scope: 'openid', claims: null } });
          setTimeout(() => peer.close(), 200);
        }, channelName);
        for (let i = 0; i < 40 && !(await page.evaluate(() => window.__auth.isAuthenticated())); i++) await sleep(25);
        assert.equal(await page.evaluate(() => window.__auth.isAuthenticated()), true);
      };
      await withPeerSession();
      // The client has no revocation endpoint (explicit endpoints without one): said, not silent.
      assert.deepEqual(await page.evaluate(() => window.__try(() => window.__auth.logout({ redirect: false }))),
        { ok: true, value: { revoked: false, redirecting: false, revocation: 'no_endpoint' } });
      await withPeerSession();
      assert.deepEqual(await page.evaluate(() => window.__try(() => window.__auth.logout({ redirect: false, revoke: false }))),
        { ok: true, value: { revoked: false, redirecting: false, revocation: 'not_asked' } });
      assert.equal(rec.requests.filter((r) => r.method === 'POST').length, 0, 'nothing was sent');
      assert.deepEqual(await page.evaluate(() => window.__errors), []);
    });
  });

  test('free(): page listeners and the BroadcastChannel are removed; later events and messages are harmless', { timeout: TEST_TIMEOUT }, async () => {
    await withBrowser(async ({ page, rec }) => {
      await loadPackage(page);
      // Record what the SDK registers on window/document and which channels it opens.
      await page.evaluate(() => {
        const live = new Set();
        window.__live = live;
        for (const target of [window, document]) {
          const add = target.addEventListener;
          const remove = target.removeEventListener;
          const name = target === window ? 'window' : 'document';
          target.addEventListener = function (type, fn, ...rest) {
            if (['focus', 'online', 'pageshow', 'visibilitychange'].includes(type)) live.add(`${name}:${type}`);
            return add.call(this, type, fn, ...rest);
          };
          target.removeEventListener = function (type, fn, ...rest) {
            live.delete(`${name}:${type}`);
            return remove.call(this, type, fn, ...rest);
          };
        }
        const Native = BroadcastChannel;
        window.__NativeChannel = Native;
        window.__channels = [];
        window.BroadcastChannel = class extends Native {
          constructor(name) {
            super(name);
            this.closedByClient = false;
            window.__channels.push(this);
          }
          close() {
            this.closedByClient = true;
            super.close();
          }
        };
      });
      await createClient(page);
      const channelName = `spa-oauth ${stack.demoOrigin} ${CLIENT_ID}`;
      const before = await page.evaluate(() => ({ live: [...window.__live].sort(), channels: window.__channels.map((c) => [c.name, c.closedByClient]) }));
      assert.deepEqual(before.live, ['document:visibilitychange', 'window:focus', 'window:online', 'window:pageshow']);
      assert.deepEqual(before.channels, [[channelName, false]]);

      // The channel is live: a session from "another tab" reaches this client.
      const peerSession = () => page.evaluate((name) => {
        const peer = new window.__NativeChannel(name);
        peer.postMessage({ t: 'hello', from: 'other-tab' });
        peer.postMessage({ t: 'session', from: 'other-tab', s: { at: 'peer-token', obtained: Date.now(), exp: Date.now() + 600000, scope: 'openid', claims: null } });
        setTimeout(() => peer.close(), 500);
      }, channelName);
      await peerSession();
      const waitAuthenticated = async () => {
        for (let i = 0; i < 40; i++) {
          // eslint-disable-next-line no-await-in-loop
          if (await page.evaluate(() => window.__auth.isAuthenticated())) return true;
          // eslint-disable-next-line no-await-in-loop
          await sleep(25);
        }
        return false;
      };
      assert.equal(await waitAuthenticated(), true, 'a live client takes the session another tab sends');

      // free() is wasm-bindgen's: it drops the Rust object (whose Drop detaches the client) and
      // every later method call throws instead of half-working (docs/js-api.md "free()").
      const freed = await page.evaluate(async () => {
        window.__auth.free();
        const threw = (f) => {
          try {
            f();
            return false;
          } catch (e) {
            return e instanceof Error;
          }
        };
        return {
          live: [...window.__live],
          channels: window.__channels.map((c) => c.closedByClient),
          authenticated: threw(() => window.__auth.isAuthenticated()),
          token: threw(() => window.__auth.getAccessToken()),
          secondFree: threw(() => window.__auth.free()),
          login: threw(() => window.__auth.createAuthorizationUrl()),
          isCallback: threw(() => window.__auth.isRedirectCallback(`${location.origin}/config.json?code=c&state=s`)),
          stored: Object.keys(sessionStorage).filter((k) => k.startsWith('spa-oauth:')),
        };
      });
      assert.equal(freed.login, true, 'createAuthorizationUrl after free() throws');
      assert.equal(freed.isCallback, true, 'isRedirectCallback after free() throws');
      assert.deepEqual(freed.stored, [], 'nothing stored after free()');
      assert.deepEqual(freed.live, [], 'no page listener left');
      assert.deepEqual(freed.channels, [true], 'the channel is closed');
      assert.equal(freed.authenticated, true, 'isAuthenticated after free() throws: the session is gone with the object');
      assert.equal(freed.token, true, 'getAccessToken after free() throws');
      assert.equal(freed.secondFree, true, 'a second free() throws like every other call on a freed object');

      // Wake-up events and messages from other tabs after free(): nothing throws, nothing revives.
      await page.evaluate(() => {
        document.dispatchEvent(new Event('visibilitychange'));
        for (const type of ['focus', 'online', 'pageshow']) window.dispatchEvent(new Event(type));
      });
      await peerSession();
      await sleep(200);
      const afterEvents = await page.evaluate(() => ({ errors: window.__errors }));
      assert.deepEqual(afterEvents, { errors: [] });
      const pageErrors = rec.consoleEntries.filter((m) => m.type === 'pageerror');
      assert.deepEqual(pageErrors, [], 'no error reached the page');
    });
  });

  test('createPkcePair and buildAuthorizationUrl: S256 of the verifier, fresh values, nothing stored', { timeout: TEST_TIMEOUT }, async () => {
    await withBrowser(async ({ page }) => {
      await loadPackage(page);
      const r = await page.evaluate(() => {
        const pairs = Array.from({ length: 50 }, () => window.__m.createPkcePair());
        const built = window.__m.buildAuthorizationUrl({
          issuer: 'https://as.example',
          authorizationEndpoint: 'https://as.example/authorize?tenant=t',
          clientId: 'c',
          redirectUri: 'https://app.example/cb',
          scope: 'openid email',
          extraParams: { resource: ['https://api.a/', 'https://api.b/'] },
        });
        const u = new URL(built.url);
        return {
          pairs,
          built,
          query: [...u.searchParams.entries()],
          stored: Object.keys(sessionStorage).length,
        };
      });
      for (const p of r.pairs) {
        assert.match(p.codeVerifier, /^[A-Za-z0-9_-]{43}$/);
        assert.equal(p.codeChallenge, s256(p.codeVerifier));
        assert.equal(p.codeChallengeMethod, 'S256');
      }
      assert.equal(new Set(r.pairs.map((p) => p.codeVerifier)).size, r.pairs.length, 'fresh verifiers');
      const q = new URLSearchParams(r.query);
      assert.equal(q.get('tenant'), 't');
      assert.equal(q.get('client_id'), 'c');
      assert.equal(q.get('scope'), 'openid email');
      assert.deepEqual(q.getAll('resource'), ['https://api.a/', 'https://api.b/']);
      assert.equal(q.get('state'), r.built.state);
      assert.equal(q.get('nonce'), r.built.nonce);
      assert.equal(q.get('code_challenge'), s256(r.built.codeVerifier));
      assert.equal(r.stored, 0, 'buildAuthorizationUrl stores nothing');
    });
  });
});
