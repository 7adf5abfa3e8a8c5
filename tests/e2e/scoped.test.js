// End-to-end, scoped calls (issue 12): `auth.fetch` and tokens per resource server and scope,
// incremental consent, step-up — the built package (pkg/) in Debian's Chromium against the real
// oidc-provider (www/provider.js: RFC 8707 resource indicators, JWT access tokens for the agent
// API, acr_values step-up with a simulated second factor) and the real agent API (www/api.js on
// its own origin: verifies the JWTs, scopes per route, RFC 6750 / RFC 9470 challenges).
//
// "SDK pages": a document of the demo origin without app code (/agent/config.json, whose CSP
// lets it connect to the agent API) where the test
// creates `window.__auth` itself. Logins are real top-level redirects through the provider's dev
// forms; the callback is held by the test and reopened as that document (see authorize()).
// Tokens never leave the page: the API's request log names tokens by jti/scope/aud, the SDK by a
// fingerprint.
//
// Ports: the harness base ports + 7 (demo, provider, agent API); plus one more server of the
// test's own on demo port + 300 + 7 that records whether anything reached it.

import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, beforeEach, describe, test } from 'node:test';

import { checkPrerequisites, closeAllBrowsers, providerLogin, startStack, withBrowserOf } from './harness.js';

const PORT_OFFSET = 7;
const SCOPE = 'openid profile offline_access data:read';
const TEST_TIMEOUT = 45_000;

let stack;
let elsewhere; // { origin, hits: [{ method, path, authorization }] }

const api = () => stack.api;
const refreshGrants = (filter = {}) => stack.provider.countRequests({ grantType: 'refresh_token', ...filter });
const apiRequests = () => api().requests().filter((r) => !r.path.includes('/__test/'));

/** A server on another origin that records every request (and whether it carried a token). */
async function startElsewhere(port) {
  const hits = [];
  const server = createServer((req, res) => {
    hits.push({ method: req.method, path: req.url, authorization: req.headers.authorization ?? null });
    res.writeHead(200, {
      'access-control-allow-origin': stack.demoOrigin,
      'access-control-allow-headers': 'authorization, content-type',
      'content-type': 'application/json',
    });
    res.end('{"elsewhere":true}');
  });
  await new Promise((resolve) => { server.listen(port, '127.0.0.1', resolve); });
  return { origin: `http://127.0.0.1:${port}`, hits, close: () => new Promise((r) => { server.close(r); server.closeAllConnections(); }) };
}

/** Creates window.__auth in a demo-origin document without app code; events go to __events. */
async function createClient(page, extra = {}) {
  if (!page.url().startsWith(`${stack.demoOrigin}/agent/`)) {
    await page.goto(`${stack.demoOrigin}/agent/config.json`, { waitUntil: 'load' });
  }
  // (On /agent/ itself the console's script is blocked by authorize(): no app code runs.)
  const created = await page.evaluate(async (options) => {
    window.__events = [];
    try {
      const mod = await import('/pkg/full/spa_oauth.js');
      await mod.default();
      const auth = await mod.AuthClient.create(options);
      for (const name of ['fetch', 'consentRequired', 'stepUpRequired', 'tokenRefreshed', 'error']) {
        auth.on(name, (d) => {
          window.__events.push({
            name,
            code: d?.code ?? null,
            scope: d?.scope ?? null,
            resource: d?.resource ?? null,
            acrValues: d?.acrValues ?? null,
            maxAge: d?.maxAge ?? null,
            status: d?.status ?? null,
            tokenId: d?.tokenId ?? null,
            retried: d?.retried ?? null,
            url: d?.url ?? null,
          });
        });
      }
      window.__auth = auth;
      window.__call = async (url, init) => {
        try {
          const r = await window.__auth.fetch(url, init);
          return { ok: true, status: r.status, body: await r.json().catch(() => null) };
        } catch (e) {
          return {
            ok: false, code: e?.code ?? null, name: e?.name ?? null, error: e?.error ?? null, status: e?.status ?? null,
            scope: e?.scope ?? null, resource: e?.resource ?? null, acrValues: e?.acrValues ?? null, maxAge: e?.maxAge ?? null,
          };
        }
      };
      return { ok: true };
    } catch (e) {
      return { ok: false, code: e?.code ?? null, message: String(e?.message ?? e) };
    }
  }, {
    issuer: stack.issuer,
    clientId: stack.config.clientId,
    redirectUri: stack.agentUrl,
    scope: SCOPE,
    resourceServers: [stack.apiUrl],
    ...extra,
  });
  assert.deepEqual(created, { ok: true }, 'AuthClient.create in the SDK page');
}

/** window.__auth[method](...args) → { ok, value } | { ok: false, code, ... }. */
function authCall(page, method, ...args) {
  return page.evaluate(async ({ method: m, args: a }) => {
    try {
      return { ok: true, value: await window.__auth[m](...a) };
    } catch (e) {
      return { ok: false, code: e?.code ?? null, error: e?.error ?? null, scope: e?.scope ?? null, resource: e?.resource ?? null };
    }
  }, { method, args });
}

const call = (page, url, init) => page.evaluate(({ u, i }) => window.__call(u, i), { u: url, i: init });
const events = (page, name) => page.evaluate((n) => window.__events.filter((e) => !n || e.name === n), name);
const tokens = (page) => page.evaluate(() => window.__auth.tokens());

/**
 * A real login from the SDK page: createAuthorizationUrl(options), the top-level navigation to
 * the provider, its login form (plus the one-time code when it asks for one) and consent form
 * when they come, and the callback at /agent/ — with the agent console's script blocked, so the
 * document runs no app code and a new client of the test completes it. Returns the result of
 * handleRedirectCallback plus the forms met and the callback URL.
 */
async function authorize(page, options = {}, { login = 'alice', otp = null, clientOptions = {} } = {}) {
  // The page's client when it has one (it knows what the session's login asked for).
  if (!(await page.evaluate(() => Boolean(window.__auth)).catch(() => false))) await createClient(page, clientOptions);
  const created = await authCall(page, 'createAuthorizationUrl', options);
  assert.ok(created.ok, `createAuthorizationUrl: ${JSON.stringify(created)}`);
  const forms = [];
  const app = `${stack.demoOrigin}/agent/agent.js`;
  const noApp = (route) => route.abort();
  await page.route(app, noApp);
  const atCallback = () => {
    const u = new URL(page.url());
    return u.origin === stack.demoOrigin && u.pathname === '/agent/' && u.searchParams.has('state');
  };
  let callbackUrl;
  try {
    await page.goto(created.value, { waitUntil: 'commit' });
    for (let step = 0; step < 8 && !atCallback(); step += 1) {
      // eslint-disable-next-line no-await-in-loop
      await waitFor(async () => atCallback() || (await page.locator('input[name="login"], input[name="prompt"][value="consent"], body > pre').count()) > 0, 'a form or the callback');
      if (atCallback()) break;
      // eslint-disable-next-line no-await-in-loop
      if (await page.locator('input[name="login"]').count()) {
        forms.push('login');
        // eslint-disable-next-line no-await-in-loop
        const hasOtp = await page.locator('input[name="otp"]').count();
        if (hasOtp) forms.push('otp');
        if (hasOtp && otp !== null) {
          // eslint-disable-next-line no-await-in-loop
          await page.locator('input[name="otp"]').fill(otp);
        }
        // eslint-disable-next-line no-await-in-loop
        await Promise.all([page.waitForNavigation({ waitUntil: 'commit' }), providerLogin(page, stack, login)]);
      } else if (await page.locator('input[name="prompt"][value="consent"]').count()) {
        forms.push('consent');
        // eslint-disable-next-line no-await-in-loop
        await Promise.all([page.waitForNavigation({ waitUntil: 'commit' }), page.locator('button[type="submit"]').click()]);
      } else {
        throw new Error(`provider error page: ${(await page.locator('body').innerText()).replace(/\s+/g, ' ')}`);
      }
    }
    await waitFor(atCallback, 'the callback');
    callbackUrl = page.url();
    await page.waitForLoadState('load');
  } finally {
    await page.unroute(app, noApp);
  }
  await createClient(page, clientOptions);
  const result = await authCall(page, 'handleRedirectCallback');
  return { ...result, forms, callbackUrl };
}

async function waitFor(fn, what, timeoutMs = 10_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    // eslint-disable-next-line no-await-in-loop
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    // eslint-disable-next-line no-await-in-loop
    await new Promise((r) => { setTimeout(r, 50); });
  }
}

before(async () => {
  checkPrerequisites();
  const elsewherePort = Number(process.env.E2E_DEMO_PORT ?? 5273) + 300 + PORT_OFFSET;
  // The SDK pages may connect to the recording server (CSP): what does not reach it was not sent.
  stack = await startStack({ portOffset: PORT_OFFSET, agentConnectSrc: [`http://127.0.0.1:${elsewherePort}`] });
  elsewhere = await startElsewhere(elsewherePort);
});

after(async () => {
  await closeAllBrowsers();
  await elsewhere?.close();
  await stack?.close();
});

beforeEach(() => {
  api().reset();
  stack.provider.resetRequests();
  stack.provider.setIgnoreAcrValues(false);
  elsewhere.hits.length = 0;
});

describe('scoped calls: auth.fetch against the agent API', { timeout: 180_000 }, () => {
  test('the token goes only to allow-listed resource servers, in the header, never across a redirect', { timeout: TEST_TIMEOUT }, async () => {
    await withBrowserOf(stack, async ({ page, rec }) => {
      // Two resource servers; the login names only the one the provider knows (RFC 8707: the
      // provider refuses an authorization request for a resource it does not know).
      const clientOptions = { resourceServers: [stack.apiUrl, `${elsewhere.origin}/public/`] };
      const login = await authorize(page, { extraParams: { resource: stack.apiUrl } }, { clientOptions });
      assert.ok(login.ok, JSON.stringify(login));

      // Before any request: a URL under no resource server is refused, nothing is sent.
      for (const url of [`${elsewhere.origin}/data`, `${elsewhere.origin}/publicity`, `${stack.demoOrigin}/api/profile`, 'https://evil.example/']) {
        // eslint-disable-next-line no-await-in-loop
        const r = await call(page, url);
        assert.equal(r.code, 'resource_not_allowed', url);
      }
      assert.equal(elsewhere.hits.length, 0, 'no request reached a non-allow-listed origin');

      // An allow-listed read: 200, Bearer in the header, a token whose audience is the API.
      const read = await call(page, `${stack.apiUrl}data`, { scope: 'data:read' });
      assert.equal(read.status, 200, JSON.stringify(read) + JSON.stringify(rec.console) + JSON.stringify(rec.requests.slice(-6).map((r) => [r.method, r.url])) + JSON.stringify(stack.provider.requests().slice(-3)));
      const seen = apiRequests().filter((r) => r.path === '/data');
      assert.equal(seen.length, 1);
      assert.equal(seen[0].authorization.scheme, 'Bearer');
      assert.deepEqual([seen[0].token.aud].flat(), [stack.apiUrl]);
      assert.match(seen[0].token.scope, /data:read/);
      assert.equal(seen[0].token.acr, 'urn:spa-oauth:acr:pwd');
      // One refresh grant named the resource (RFC 8707 §2.2).
      const grant = stack.provider.requests().find((r) => r.body?.grant_type === 'refresh_token');
      assert.ok(grant, 'a refresh grant');
      assert.equal(grant.body.resource, stack.apiUrl);
      assert.equal(grant.body.scope, 'data:read');

      // Never in a URL: the request the API saw had no access_token parameter.
      assert.ok(apiRequests().every((r) => !/access_token/.test(r.path)));

      // A redirect to another origin is not followed: nothing reaches it, redirect_refused.
      const redirected = await call(page, `${stack.apiUrl}__test/redirect?to=${encodeURIComponent(`${elsewhere.origin}/public/x`)}`);
      assert.equal(redirected.code, 'redirect_refused');
      assert.equal(elsewhere.hits.length, 0, 'the redirect target got no request');

      // The second entry (another origin, not a resource the provider knows): its token would
      // need a resource the grant lacks — refused, and the agent API's token never goes there.
      const other = await call(page, `${elsewhere.origin}/public/x`);
      assert.equal(other.code, 'consent_required', JSON.stringify(other));
      assert.equal(other.resource, `${elsewhere.origin}/public/`);
      assert.equal(elsewhere.hits.length, 0, "the API's token never reached the other resource server");

      // Which token each call used, never the token: the fetch event and tokens() agree.
      const list = await tokens(page);
      const fetched = await events(page, 'fetch');
      const apiToken = list.find((t) => t.resource === stack.apiUrl);
      assert.ok(apiToken && /^[A-Za-z0-9_-]{8}$/.test(apiToken.id), JSON.stringify(list));
      assert.equal(fetched[0].tokenId, apiToken.id);
      assert.equal(list[0].resource, null, "the session's token comes first");
      assert.notEqual(list[0].id, apiToken.id, "the API's token is not the session's");
      assert.ok(!JSON.stringify(list).includes('eyJ'), 'no JWT in tokens()');
    });
  });

  test('cached per (resource, scope): reuse without a request; 20 concurrent calls make 1 refresh grant', { timeout: TEST_TIMEOUT }, async () => {
    await withBrowserOf(stack, async ({ page }) => {
      assert.ok((await authorize(page)).ok);
      stack.provider.resetRequests();
      const results = await page.evaluate(async (url) => Promise.all(
        Array.from({ length: 20 }, () => window.__call(url, { scope: 'data:read' })),
      ), `${stack.apiUrl}data`);
      assert.ok(results.every((r) => r.status === 200), JSON.stringify(results.slice(0, 2)));
      assert.equal(refreshGrants(), 1, 'one refresh grant for 20 concurrent calls');
      const again = await call(page, `${stack.apiUrl}data`);
      assert.equal(again.status, 200);
      assert.equal(refreshGrants(), 1, 'the cached token is reused (a call without scope)');
      // getAccessToken for the resource gives the same cached token; the session's token differs.
      const same = await page.evaluate(async (resource) => {
        const a = await window.__auth.getAccessToken({ resource, scope: 'data:read' });
        const b = await window.__auth.getAccessToken();
        return { differ: a !== b };
      }, stack.apiUrl);
      assert.deepEqual(same, { differ: true });
      assert.equal(refreshGrants(), 1);
      const bad = await authCall(page, 'getAccessToken', { resource: `${elsewhere.origin}/` });
      assert.equal(bad.code, 'resource_not_allowed');
    });
  });

  test('401 invalid_token: exactly one refresh and one retry; a second 401 is invalid_token, no loop', { timeout: TEST_TIMEOUT }, async () => {
    await withBrowserOf(stack, async ({ page }) => {
      assert.ok((await authorize(page)).ok);
      assert.equal((await call(page, `${stack.apiUrl}data`, { scope: 'data:read' })).status, 200);
      stack.provider.resetRequests();
      api().resetRequests();
      api().failNext(1);
      const once = await call(page, `${stack.apiUrl}data`, { scope: 'data:read' });
      assert.equal(once.status, 200, JSON.stringify(once));
      assert.equal(refreshGrants(), 1, 'one refresh');
      const seen = apiRequests();
      assert.equal(seen.length, 2, 'one retry');
      assert.notEqual(seen[0].token.jti, seen[1].token.jti, 'the retry carried a new token');
      const fetched = await events(page, 'fetch');
      assert.deepEqual(fetched.slice(-2).map((e) => [e.status, e.retried]), [[401, false], [200, true]]);

      stack.provider.resetRequests();
      api().resetRequests();
      api().failNext(5);
      const twice = await call(page, `${stack.apiUrl}data`, { scope: 'data:read' });
      assert.equal(twice.code, 'invalid_token');
      assert.equal(twice.status, 401);
      assert.equal(apiRequests().length, 2, 'two requests, never a third');
      assert.equal(refreshGrants(), 1, 'one refresh, never a second');
    });
  });

  test('insufficient scope: consent_required with the missing scope, nothing retried; consent then succeeds and returns to the page', { timeout: TEST_TIMEOUT }, async () => {
    await withBrowserOf(stack, async ({ page }) => {
      assert.ok((await authorize(page)).ok);
      // The grant lacks data:write: the refresh grant is refused, before any API request.
      const write = await call(page, `${stack.apiUrl}data`, { method: 'POST', scope: 'data:write', headers: { 'content-type': 'application/json' }, body: '{"text":"from the agent"}' });
      assert.equal(write.code, 'consent_required', JSON.stringify(write));
      assert.equal(write.scope, 'data:write');
      assert.equal(write.resource, stack.apiUrl);
      assert.equal(apiRequests().filter((r) => r.method === 'POST').length, 0, 'no write reached the API');
      // The API itself answers 403 insufficient_scope when the call declared too little.
      api().resetRequests();
      const undeclared = await call(page, `${stack.apiUrl}data`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"x"}' });
      assert.equal(undeclared.code, 'consent_required', JSON.stringify(undeclared));
      assert.equal(undeclared.error, 'insufficient_scope');
      assert.equal(undeclared.status, 403);
      assert.equal(undeclared.scope, 'data:write');
      assert.equal(apiRequests().length, 1, 'one request, no automatic retry or loop');
      const consentEvents = await events(page, 'consentRequired');
      assert.equal(consentEvents.length, 2);

      // Incremental consent: the login adds data:write to the client's scope and returns here.
      const returnTo = `${stack.demoOrigin}/agent/?row=write#step-2`;
      const consent = await authorize(page, { scope: write.scope, returnTo });
      assert.ok(consent.ok, JSON.stringify(consent));
      const asked = new URL(consent.callbackUrl);
      assert.ok(asked.searchParams.has('code'));
      assert.equal(page.url(), returnTo, 'the address bar is back where the app asked');
      // The login asked for the client's scope plus data:write (the session's token keeps only
      // the provider's own scopes: the API's go to the API's tokens).
      assert.deepEqual(asked.searchParams.get('scope'), null, 'the callback carries no scope');
      const retried = await call(page, `${stack.apiUrl}data`, { method: 'POST', scope: 'data:write', headers: { 'content-type': 'application/json' }, body: '{"text":"from the agent"}' });
      assert.ok(retried.ok && retried.status < 300, JSON.stringify(retried));
    });
  });

  test('step-up: step_up_required with acr_values; the mfa login is checked and exec is audited; a lower acr is refused', { timeout: 60_000 }, async () => {
    await withBrowserOf(stack, async ({ page }) => {
      const first = await authorize(page, { scope: 'exec:sandbox' });
      assert.ok(first.ok, JSON.stringify(first));
      const exec = await call(page, `${stack.apiUrl}exec`, { method: 'POST', scope: 'exec:sandbox', headers: { 'content-type': 'application/json' }, body: '{"command":"echo hi"}' });
      assert.equal(exec.code, 'step_up_required', JSON.stringify(exec));
      assert.equal(exec.error, 'insufficient_user_authentication');
      assert.equal(exec.acrValues, 'urn:spa-oauth:acr:mfa');
      assert.equal(typeof exec.maxAge, 'number');
      assert.equal((await events(page, 'stepUpRequired')).length, 1);

      // A provider that completes the step-up at the password level: refused, no session.
      stack.provider.setIgnoreAcrValues(true);
      const weak = await authorize(page, { extraParams: { acr_values: exec.acrValues, max_age: String(exec.maxAge) } });
      assert.equal(weak.code, 'acr_invalid', JSON.stringify(weak));
      assert.equal((await authCall(page, 'isAuthenticated')).value, false, 'no session from the weaker login');
      stack.provider.setIgnoreAcrValues(false);

      // The real step-up: login again with the one-time code. (The first login's exec:sandbox
      // is asked for again by the SDK: that session was lost with the weak login, so here it
      // comes from a fresh login that asks for it.)
      assert.ok((await authorize(page, { scope: 'exec:sandbox' })).ok);
      const strong = await authorize(page, { extraParams: { acr_values: exec.acrValues, max_age: String(exec.maxAge) } }, { otp: '123456' });
      const askedScope = new URL(strong.callbackUrl).searchParams.get('scope');
      assert.equal(askedScope, null);
      assert.ok(strong.ok, JSON.stringify(strong));
      assert.ok(strong.forms.includes('otp'), `the provider asked for the second factor: ${strong.forms}`);
      const claims = await authCall(page, 'getIdTokenClaims');
      assert.equal(claims.value.acr, 'urn:spa-oauth:acr:mfa');
      const done = await call(page, `${stack.apiUrl}exec`, { method: 'POST', scope: 'exec:sandbox', headers: { 'content-type': 'application/json' }, body: '{"command":"echo hi"}' });
      assert.ok(done.ok && done.status === 200, JSON.stringify(done));
      const audit = api().audit();
      assert.deepEqual(audit.map((l) => [l.command, l.result, l.acr]), [
        ['echo hi', 'step_up_required', 'urn:spa-oauth:acr:pwd'],
        ['echo hi', 'executed', 'urn:spa-oauth:acr:mfa'],
      ]);
    });
  });

  test('two tabs share the tokens per resource: the second tab reuses the first one\'s, concurrent needs make one refresh grant', { timeout: TEST_TIMEOUT }, async () => {
    await withBrowserOf(stack, async ({ page, context }) => {
      assert.ok((await authorize(page, { scope: 'model:premium external:invoke' })).ok);
      assert.equal((await call(page, `${stack.apiUrl}data`, { scope: 'data:read' })).status, 200);
      const second = await context.newPage();
      await createClient(second);
      assert.equal((await authCall(second, 'restoreSession', { silent: false })).value, true, 'the second tab got the session');
      const [a, b] = [await tokens(page), await tokens(second)];
      assert.deepEqual(b, a, 'the same tokens, by id, in both tabs');
      stack.provider.resetRequests();
      assert.equal((await call(second, `${stack.apiUrl}data`, { scope: 'data:read' })).status, 200);
      assert.equal(refreshGrants(), 0, "the second tab used the first tab's token for the API");
      // Both tabs need a token for another scope at once: one refresh grant across the tabs.
      const need = (p, scope) => p.evaluate(async ({ resource, s }) => {
        try { await window.__auth.getAccessToken({ resource, scope: s }); return 'ok'; } catch (e) { return e.code; }
      }, { resource: stack.apiUrl, s: scope });
      const both = await Promise.all([need(page, 'model:premium'), need(second, 'model:premium'), need(page, 'model:premium'), need(second, 'model:premium')]);
      assert.deepEqual(both, ['ok', 'ok', 'ok', 'ok']);
      assert.equal(refreshGrants(), 1, 'one refresh grant for both tabs');
      assert.deepEqual((await tokens(second)).map((t) => t.id), (await tokens(page)).map((t) => t.id));
      // The rotated refresh token went to both tabs: the other tab's next grant is accepted.
      assert.equal(await need(second, 'external:invoke'), 'ok');
      assert.equal(stack.provider.requests().filter((r) => r.error === 'invalid_grant').length, 0);
      await second.close();
    });
  });

  test('tenant isolation and token budgets answer as the API says, with the right token', { timeout: TEST_TIMEOUT }, async () => {
    await withBrowserOf(stack, async ({ page }) => {
      assert.ok((await authorize(page, { scope: 'model:premium' })).ok);
      const foreign = await call(page, `${stack.apiUrl}tenants/globex/data`, { scope: 'data:read' });
      assert.equal(foreign.status, 403);
      assert.equal(foreign.body?.error, 'tenant_mismatch');
      assert.ok(!JSON.stringify(foreign.body).includes('Merger'), "another tenant's data is never served");
      const own = await call(page, `${stack.apiUrl}tenants/acme/data`, { scope: 'data:read' });
      assert.equal(own.status, 200);
      // Budgets: a call over the per-request limit, then calls until the day's budget is spent.
      const big = await call(page, `${stack.apiUrl}models/premium/complete`, { method: 'POST', scope: 'model:premium', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: 'x', max_tokens: 100000 }) });
      assert.equal(big.status, 403, JSON.stringify(big));
      assert.equal(big.body?.error, 'budget_exceeded');
      let last;
      for (let i = 0; i < 50; i += 1) {
        // eslint-disable-next-line no-await-in-loop
        last = await call(page, `${stack.apiUrl}models/premium/complete`, { method: 'POST', scope: 'model:premium', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: 'x', max_tokens: 400 }) });
        if (last.status !== 200) break;
      }
      assert.equal(last.status, 429, JSON.stringify(last));
      assert.equal(last.body?.error, 'budget_exhausted');
      // The premium calls used a token for model:premium; reads used one for data:read.
      const seen = apiRequests();
      assert.ok(seen.filter((r) => r.path.startsWith('/models/')).every((r) => / model:premium|^model:premium/.test(r.token?.scope ?? '')));
    });
  });
});

// ---- DPoP (issue 13): the full build with `dpop: true`, the provider's `spa-dpop` client
// (dpop_bound_access_tokens, nonces required) and the agent API checking proofs.
describe('DPoP: sender-constrained tokens against the real provider and API', { timeout: 180_000 }, () => {
  const DPOP = () => ({ clientId: stack.provider.dpopClientId ?? 'spa-dpop', dpop: true });
  const tokenRequests = () => stack.provider.requests().filter((r) => r.path === '/token');

  test('login, refresh, UserInfo and API calls are bound to one non-extractable key; nonces are fetched and rotated; a copied token is refused', { timeout: 90_000 }, async () => {
    await withBrowserOf(stack, async ({ page }) => {
      const login = await authorize(page, {}, { clientOptions: DPOP() });
      assert.ok(login.ok, JSON.stringify(login));
      // The code exchange carried a proof; the provider asked for a nonce once (RFC 9449 §8).
      const exchange = tokenRequests().filter((r) => r.body?.grant_type === 'authorization_code');
      assert.deepEqual(exchange.map((r) => [r.status, r.error]), [[400, 'use_dpop_nonce'], [200, null]]);
      const jkt = await page.evaluate(() => window.__auth.dpopThumbprint());
      assert.match(jkt, /^[A-Za-z0-9_-]{43}$/);

      // UserInfo with the DPoP scheme and a proof (ath): accepted by oidc-provider.
      const info = await authCall(page, 'getUserInfo');
      assert.ok(info.ok, JSON.stringify(info));
      assert.equal(info.value.sub, 'alice');

      // An API call: DPoP scheme, a valid proof of the same key; the API asked for its own
      // nonce first (one retry), and the provider's nonce never went to the API.
      api().resetRequests();
      const read = await call(page, `${stack.apiUrl}data`, { scope: 'data:read' });
      assert.equal(read.status, 200, JSON.stringify(read));
      const seen = apiRequests().filter((r) => r.path === '/data');
      assert.ok(seen.length >= 1 && seen.length <= 2, `${seen.length} requests`);
      const last = seen.at(-1);
      assert.equal(last.authorization.scheme, 'DPoP');
      assert.equal(last.dpop?.valid, true, JSON.stringify(last.dpop));
      assert.equal(last.dpop?.jkt, jkt, 'the proof key is the session key');
      if (seen.length === 2) assert.deepEqual([seen[0].status, seen[0].error], [401, 'use_dpop_nonce']);

      // Refresh (forced): a proof of the same key; still bound to it.
      const before = tokenRequests().length;
      assert.ok((await page.evaluate(async () => { try { await window.__auth.getAccessToken({ forceRefresh: true }); return true; } catch (e) { return e.code; } })) === true);
      const refreshes = tokenRequests().slice(before).filter((r) => r.body?.grant_type === 'refresh_token');
      assert.equal(refreshes.at(-1).status, 200);
      assert.equal(await page.evaluate(() => window.__auth.dpopThumbprint()), jkt, 'same key after a refresh');

      // Nonce rotation mid-session, at the provider and at the API: one retry each.
      await stack.provider.rotateDpopNonce();
      const n = tokenRequests().length;
      assert.ok((await page.evaluate(async () => { try { await window.__auth.getAccessToken({ forceRefresh: true }); return true; } catch (e) { return e.code; } })) === true);
      assert.deepEqual(tokenRequests().slice(n).map((r) => [r.status, r.error]), [[400, 'use_dpop_nonce'], [200, null]]);
      api().rotateDpopNonce();
      api().resetRequests();
      assert.equal((await call(page, `${stack.apiUrl}data`, { scope: 'data:read' })).status, 200);
      assert.deepEqual(apiRequests().map((r) => r.status), [401, 200], 'one retry with the new API nonce');

      // A copied token is useless without the key (the page hands it to plain fetch).
      const copied = await page.evaluate(async (url) => {
        const token = await window.__auth.getAccessToken({ resource: url, scope: 'data:read' });
        const dpopNoProof = await fetch(`${url}data`, { headers: { authorization: `DPoP ${token}` } });
        const bearer = await fetch(`${url}data`, { headers: { authorization: `Bearer ${token}` } });
        return [dpopNoProof.status, bearer.status];
      }, stack.apiUrl);
      assert.deepEqual(copied, [401, 401]);

      // DP-14: even a same-origin script that gets hold of the key (the tabs' channel carries
      // it) cannot export the private key.
      const exported = await page.evaluate(async ({ name }) => {
        const ch = new BroadcastChannel(name);
        const got = new Promise((resolve) => { ch.onmessage = (e) => { if (e.data?.s?.k) resolve(e.data.s.k); }; });
        ch.postMessage({ t: 'hello', from: 'probe' });
        const key = await Promise.race([got, new Promise((r) => setTimeout(() => r(null), 2000))]);
        ch.close();
        if (!key) return 'no key';
        try { await crypto.subtle.exportKey('jwk', key); return 'exported'; } catch (e) { return `${key.extractable}:${e.name}`; }
      }, { name: `spa-oauth ${stack.issuer} ${DPOP().clientId}` });
      assert.equal(exported, 'false:InvalidAccessError');
    });
  });

  test('dpopAlgorithm EdDSA: an Ed25519 key (Chromium has it), EdDSA proofs accepted by the provider and the API', { timeout: 60_000 }, async () => {
    await withBrowserOf(stack, async ({ page }) => {
      const options = { ...DPOP(), dpopAlgorithm: 'EdDSA' };
      const login = await authorize(page, {}, { clientOptions: options });
      assert.ok(login.ok, JSON.stringify(login));
      const jkt = await page.evaluate(() => window.__auth.dpopThumbprint());
      api().resetRequests();
      assert.equal((await call(page, `${stack.apiUrl}data`, { scope: 'data:read' })).status, 200);
      assert.equal(apiRequests().at(-1).dpop?.jkt, jkt);
      assert.ok((await authCall(page, 'getUserInfo')).ok);
      // The key the tabs share is an Ed25519 CryptoKey, not extractable.
      const kind = await page.evaluate(async ({ name }) => {
        const ch = new BroadcastChannel(name);
        const got = new Promise((resolve) => { ch.onmessage = (e) => { if (e.data?.s?.k) resolve(e.data.s.k); }; });
        ch.postMessage({ t: 'hello', from: 'probe' });
        const key = await Promise.race([got, new Promise((r) => setTimeout(() => r(null), 2000))]);
        ch.close();
        return key ? `${key.algorithm.name}:${key.extractable}` : 'no key';
      }, { name: `spa-oauth ${stack.issuer} ${options.clientId}` });
      assert.equal(kind, 'Ed25519:false');
      assert.equal((await authCall(page, 'getAccessToken', { forceRefresh: true })).ok, true, 'refresh with an EdDSA proof');
    });
  });

  test('a second tab gets the session with its key (same thumbprint) and calls the API with it', { timeout: 60_000 }, async () => {
    await withBrowserOf(stack, async ({ page, context }) => {
      assert.ok((await authorize(page, {}, { clientOptions: DPOP() })).ok);
      const jkt = await page.evaluate(() => window.__auth.dpopThumbprint());
      const second = await context.newPage();
      await createClient(second, DPOP());
      assert.equal((await authCall(second, 'restoreSession', { silent: false })).value, true);
      assert.equal(await second.evaluate(() => window.__auth.dpopThumbprint()), jkt);
      api().resetRequests();
      assert.equal((await call(second, `${stack.apiUrl}data`, { scope: 'data:read' })).status, 200);
      assert.equal(apiRequests().at(-1).dpop?.jkt, jkt);
      // The second tab refreshes with the same key (the refresh token is bound to it).
      assert.equal(await second.evaluate(async () => { try { await window.__auth.getAccessToken({ forceRefresh: true }); return 'ok'; } catch (e) { return e.code; } }), 'ok');
      assert.equal(stack.provider.requests().filter((r) => r.error === 'invalid_grant' || r.error === 'invalid_dpop_proof').length, 0);
      // Logout revokes the DPoP-bound tokens.
      const out = await authCall(second, 'logout', { redirect: false });
      assert.equal(out.value?.revocation, 'revoked', JSON.stringify(out));
      await second.close();
    });
  });
});

describe('DPoP across a reload (memory-only keys)', { timeout: 120_000 }, () => {
  test('a reload with another tab open keeps the key; a reload of the only tab gets a new session and key by one silent login', { timeout: 60_000 }, async () => {
    await withBrowserOf(stack, async ({ page, context }) => {
      const options = { clientId: stack.provider.dpopClientId ?? 'spa-dpop', dpop: true };
      assert.ok((await authorize(page, {}, { clientOptions: options })).ok);
      const jkt = await page.evaluate(() => window.__auth.dpopThumbprint());
      // Another tab keeps the session while this one reloads.
      const other = await context.newPage();
      await createClient(other, options);
      assert.equal((await authCall(other, 'restoreSession', { silent: false })).value, true);
      const noApp = (route) => route.abort();
      await context.route(`${stack.demoOrigin}/agent/agent.js`, noApp);
      await page.reload({ waitUntil: 'load' });
      await createClient(page, options);
      assert.equal((await authCall(page, 'restoreSession', { silent: false })).value, true);
      assert.equal(await page.evaluate(() => window.__auth.dpopThumbprint()), jkt, 'the key came from the other tab');
      assert.equal((await call(page, `${stack.apiUrl}data`, { scope: 'data:read' })).status, 200);
      await other.close();
      // Alone now: a reload restores by one top-level prompt=none login, with a new key.
      await page.goto(`${stack.demoOrigin}/agent/config.json`, { waitUntil: 'load' });
      await createClient(page, options);
      assert.equal((await authCall(page, 'start')).value, 'redirecting');
      await page.waitForURL((u) => u.pathname === '/agent/' && u.searchParams.has('state'), { waitUntil: 'load' });
      await createClient(page, options);
      assert.equal((await authCall(page, 'start')).value, 'authenticated');
      const renewed = await page.evaluate(() => window.__auth.dpopThumbprint());
      assert.match(renewed, /^[A-Za-z0-9_-]{43}$/);
      assert.notEqual(renewed, jkt, 'a new session, a new key');
      api().resetRequests();
      assert.equal((await call(page, `${stack.apiUrl}data`, { scope: 'data:read' })).status, 200);
      assert.equal(apiRequests().at(-1).dpop?.jkt, renewed);
      await context.unroute(`${stack.demoOrigin}/agent/agent.js`, noApp);
    });
  });
});

describe('DPoP, opt-in persistent mode (dpopPersist)', { timeout: 120_000 }, () => {
  const readRecord = (page, name) => page.evaluate(async (n) => new Promise((resolve) => {
    const open = indexedDB.open('spa-oauth', 1);
    open.onupgradeneeded = () => open.result.createObjectStore('dpop');
    open.onsuccess = () => {
      const req = open.result.transaction('dpop', 'readonly').objectStore('dpop').get(n);
      req.onsuccess = () => {
        const r = req.result;
        open.result.close();
        resolve(r ? { keys: Object.keys(r).sort(), rt: typeof r.rt, key: r.k ? `${r.k.type}:${r.k.extractable}` : null } : null);
      };
    };
  }), name);

  test('a reload alone keeps the session without a redirect: the key and the bound refresh token come from IndexedDB, never an access token; logout removes them', { timeout: 60_000 }, async () => {
    await withBrowserOf(stack, async ({ page }) => {
      const options = { ...{ clientId: stack.provider.dpopClientId ?? 'spa-dpop', dpop: true }, dpopPersist: true };
      const name = `spa-oauth ${stack.issuer} ${options.clientId}`;
      stack.provider.resetRequests();
      assert.ok((await authorize(page, {}, { clientOptions: options })).ok);
      const jkt = await page.evaluate(() => window.__auth.dpopThumbprint());
      // The key was made before the redirect: the authorization request named it (RFC 9449 §10
      // dpop_jkt), the provider bound the code to it, and the exchange proved it.
      const asked = stack.provider.requests().find((r) => r.path === '/auth' && r.query?.client_id === options.clientId);
      assert.equal(asked?.query?.dpop_jkt, jkt, 'dpop_jkt is the session key');
      let record;
      for (let i = 0; i < 40 && !record; i += 1) {
        // eslint-disable-next-line no-await-in-loop
        record = await readRecord(page, name);
        // eslint-disable-next-line no-await-in-loop
        if (!record) await new Promise((r) => { setTimeout(r, 50); });
      }
      assert.ok(record, 'a record');
      assert.equal(record.key, 'private:false', 'the private CryptoKey, not extractable');
      assert.equal(record.rt, 'string');
      assert.ok(!record.keys.includes('at') && !record.keys.includes('x'), `no access token: ${record.keys}`);
      // Alone, reloaded: the session is back with a refresh grant, no authorization request.
      stack.provider.resetRequests();
      await page.goto(`${stack.demoOrigin}/agent/config.json`, { waitUntil: 'load' });
      await createClient(page, options);
      assert.equal((await authCall(page, 'start')).value, 'authenticated');
      const seen = stack.provider.requests();
      assert.equal(seen.filter((r) => r.path.startsWith('/auth')).length, 0, 'no redirect to the provider');
      assert.ok(seen.some((r) => r.body?.grant_type === 'refresh_token' && r.status === 200), 'one refresh grant');
      assert.equal(await page.evaluate(() => window.__auth.dpopThumbprint()), jkt, 'the same key');
      assert.equal((await call(page, `${stack.apiUrl}data`, { scope: 'data:read' })).status, 200);
      // Logout removes the record.
      await authCall(page, 'logout', { redirect: false });
      let gone = false;
      for (let i = 0; i < 40 && !gone; i += 1) {
        // eslint-disable-next-line no-await-in-loop
        gone = (await readRecord(page, name)) === null;
        // eslint-disable-next-line no-await-in-loop
        if (!gone) await new Promise((r) => { setTimeout(r, 50); });
      }
      assert.ok(gone, 'the record is gone after logout');
      // Without the option nothing is written.
      await createClient(page, { clientId: options.clientId, dpop: true });
      assert.ok((await authorize(page, {}, { clientOptions: { clientId: options.clientId, dpop: true } })).ok);
      await new Promise((r) => { setTimeout(r, 300); });
      assert.equal(await readRecord(page, name), null, 'memory only by default');
    });
  });
});

// ---- PAR (issue 13, RFC 9126): the provider's `spa-par` client requires pushed requests.
describe('PAR: pushed authorization requests against the real provider', { timeout: 120_000 }, () => {
  test('with par: true the request is pushed and the browser carries client_id and request_uri only; with DPoP too', { timeout: 60_000 }, async () => {
    await withBrowserOf(stack, async ({ page }) => {
      const clientId = stack.provider.parClientId ?? 'spa-par';
      await createClient(page, { clientId, par: true });
      const url = await authCall(page, 'createAuthorizationUrl', { extraParams: { login_hint: 'alice' } });
      assert.ok(url.ok, JSON.stringify(url));
      const u = new URL(url.value);
      assert.deepEqual([...u.searchParams.keys()].sort(), ['client_id', 'request_uri']);
      assert.equal(u.searchParams.get('client_id'), clientId);
      assert.match(u.searchParams.get('request_uri'), /^urn:ietf:params:oauth:request_uri:/);
      const pushed = stack.provider.requests().filter((r) => r.method === 'POST' && /\/request$|\/par$/.test(r.path));
      assert.equal(pushed.length, 1, 'one push');
      assert.equal(pushed[0].status, 201);
      // The pushed login completes (the transaction and the code exchange as usual).
      const login = await authorize(page, {}, { clientOptions: { clientId, par: true } });
      assert.ok(login.ok, JSON.stringify(login));
      assert.equal((await call(page, `${stack.apiUrl}data`, { scope: 'data:read' })).status, 200);
      // DPoP and PAR together (spa-dpop, pushed).
      await page.evaluate(() => window.__auth.free());
      await page.evaluate(() => { delete window.__auth; });
      const both = await authorize(page, {}, { clientOptions: { clientId: stack.provider.dpopClientId ?? 'spa-dpop', dpop: true, par: true } });
      assert.ok(both.ok, JSON.stringify(both));
      assert.match(await page.evaluate(() => window.__auth.dpopThumbprint()), /^[A-Za-z0-9_-]{43}$/);
    });
  });
});
