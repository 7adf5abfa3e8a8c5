// Hostile authorization server suite: one test per applicable case of the security catalogue
// (/work/shared/security-catalogue.md §4.1 authorization response, §4.2 token endpoint, §4.3 ID
// token, §4.4 discovery, §4.5 JWKS, §4.6 UserInfo, §4.7 refresh, §4.8 DPoP, §4.9 revocation, §4.10 logout,
// §4.11 browser/storage/leakage; §4.12 auth.fetch to resource servers, issue 12, the suite's own
// RS-* cases; §4.13 pushed authorization requests, RFC 9126, the suite's own PAR-* cases), each
// named by its case id. The built package (pkg/) runs in
// Debian's Chromium against tests/hostile/server.js.
//
//   node --test --test-concurrency=1 tests/hostile/      (needs `bash scripts/build.sh` first)
//
// Oracle for every negative case (the OpenID conformance suite's): the SDK rejects with the stable
// code, sends nothing further to the server for that flow, and its session is what it was before
// (here: logged out — isAuthenticated() false, getIdTokenClaims() null, getAccessToken() rejects
// login_required). After every flow, whatever the outcome: no token, code, verifier, nonce or
// state in any storage, cookie, URL, history entry, console line or error (BR-01, BR-03, BR-05),
// the login transaction is gone, and the server saw no protocol violation (TE-01 checks run on
// every token request). Cases whose feature does not exist yet are in PENDING.md.
//
// Lifecycle cases (§4.7, §4.9, §4.10) start from a good login that issued a refresh token and
// judge what happens next against the README "Token lifecycle" contract: a refresh refused with
// invalid_grant or answered with an ID token of another authentication ends the session
// (sessionExpired, everything cleared, login_required) and nothing is retried; any other failed
// or invalid refresh response is discarded whole (the still-valid access token stays, `error`
// fires, one retry after the 2 s backoff); a logout clears memory before it sends anything. The
// server flags every refresh token presented after rotation or revocation as a violation.
//
// Where the SDK's behaviour differs from the catalogue's required behaviour the test still asserts
// the required behaviour and is marked { todo } (it runs, and its failure is reported, but the
// suite stays green).

import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, randomBytes, sign as cryptoSign } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import {
  assertNoLeaks, authorizeToCallback, call, checkPrerequisites, createClient, events, groupContext, handleCallback,
  launchBrowser, loginAndReturn, newTab, openApp, probe, recordEvents, sleep, transactions,
} from './driver.js';
import { athOf, atHash, b64json, b64url, fingerprint, jktOf, parseProof, signJws, startHostile } from './server.js';

let server;
let browser;
// Flows are independent (one issuer per case, one browser context per flow), so each section runs
// several at once: the suite is mostly waiting on the browser and the network.
const CONCURRENCY = Number(process.env.HOSTILE_CONCURRENCY ?? 4);
const SECTION = { concurrency: CONCURRENCY };
// The refresh cases mostly wait (for the due time, the 2 s backoff): twice as many at once.
const WAITING_SECTION = { concurrency: CONCURRENCY === 1 ? 1 : CONCURRENCY * 2 };
// One browser context per section (the catalogue's "fresh context per group"); each flow gets its
// own tab. Flows that need separate browsers (AR-05) make fresh contexts.
let group;
function section() {
  before(async () => { group = await groupContext(browser); });
  after(async () => { await group?.close(); });
}

before(async () => {
  checkPrerequisites();
  server = await startHostile();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

// --- case helpers ----------------------------------------------------------------------------

const raw = (status, body, headers = {}, extra = {}) => ({ raw: true, status, body, headers, ...extra });
const json = (status, body, headers = {}) => raw(status, typeof body === 'string' ? body : JSON.stringify(body), { 'content-type': 'application/json', ...headers });
const claims = (f) => ({ idToken: { claims: (c, ctx) => f(c, ctx) ?? c } });
const withClaims = (patch) => claims((c, ctx) => ({ ...c, ...(typeof patch === 'function' ? patch(ctx) : patch) }));
const withoutClaims = (...names) => claims((c) => { for (const n of names) delete c[n]; return c; });
const tokenBody = (f) => ({ tokenBody: (b, ctx) => f(b, ctx) ?? b });
const authz = (f) => ({ authorize: (p, ctx) => f(p, ctx) });
const meta = (f) => ({ metadata: (m, ctx) => f(m, ctx) ?? m });
const jwksOf = (f) => ({ jwks: (set, ctx) => f(set, ctx) ?? set });
const rand43 = () => randomBytes(32).toString('base64url');

// Expected requests after the callback started, in order; a trailing '?' marks an optional one
// (e.g. a token rejected before its key was fetched is as good as one rejected after).
const CALLBACK = [];
const TOKEN = ['token'];
const ID_TOKEN = ['token', 'jwks'];
const ID_TOKEN_EARLY = ['token', 'jwks?'];

function matchRequests(actual, expected) {
  let i = 0;
  for (const e of expected) {
    const optional = e.endsWith('?');
    const name = optional ? e.slice(0, -1) : e;
    if (actual[i] === name) i += 1;
    else if (!optional) return false;
  }
  return i === actual.length;
}

const endpoints = (key, sinceSeq = 0) => server.requests(key)
  .filter((r) => r.seq > sinceSeq && !r.endpoint.startsWith('preflight:'))
  .map((r) => r.endpoint);

function assertCode(error, expected, label = '') {
  assert.ok(error, `${label}expected a rejection with ${expected}`);
  const codes = [].concat(expected);
  assert.ok(codes.includes(error.code), `${label}rejected with ${JSON.stringify(error.code)} (${error.message}), expected ${codes.join(' or ')}`);
  assert.equal(error.isError, true, `${label}the rejection is not an Error`);
  assert.equal(error.name, 'SpaOAuthError');
}

function assertLoggedOut(p, label = '') {
  assert.equal(p.isAuthenticated, false, `${label}isAuthenticated() after a rejection`);
  assert.equal(p.claims, null, `${label}getIdTokenClaims() after a rejection`);
  assert.equal(p.user, null, `${label}getUser() after a rejection`);
  assert.equal(p.accessToken, undefined, `${label}getAccessToken() resolved after a rejection`);
  assert.equal(p.accessTokenError?.code, 'login_required', `${label}getAccessToken() rejection`);
}

function assertLoggedIn(p, key, label = '') {
  assert.equal(p.isAuthenticated, true, `${label}isAuthenticated()`);
  assert.equal(p.claims?.sub, 'alice', `${label}getIdTokenClaims().sub`);
  assert.equal(p.claims?.iss, server.issuer(key), `${label}getIdTokenClaims().iss`);
  assert.equal(p.accessToken, server.secrets(key).access_token, `${label}getAccessToken()`);
}

/** Secrets the SDK holds for a case: the server's plus the transaction's verifier/nonce/state. */
function secretsFor(keys, txns = []) {
  const out = {};
  for (const k of [].concat(keys)) for (const [n, v] of Object.entries(server.secrets(k))) out[`${k} ${n}`] = v;
  txns.forEach((t, i) => {
    for (const n of ['code_verifier', 'nonce', 'state']) if (t[n]) out[`txn${i} ${n}`] = t[n];
  });
  return out;
}

function assertServerSide(keys, secrets) {
  for (const k of [].concat(keys)) {
    assert.deepEqual(server.violations(k), [], `protocol violations seen by the server for ${k}`);
    for (const r of server.requests(k)) {
      if (r.endpoint === 'authorize') continue; // the navigation's Referer is the app page
      assert.equal(r.cookie, null, `cookie sent to ${r.endpoint}`);
      assert.ok(!r.referer || !Object.values(secrets).some((s) => s.length >= 8 && r.referer.includes(s)), `secret in the Referer of ${r.endpoint}`);
    }
  }
  assert.deepEqual(server.unknownRequests(), [], 'requests to unknown cases or paths');
}

async function settled(keys, counts) {
  await sleep(60);
  for (const k of [].concat(keys)) {
    assert.equal(server.requests(k).length, counts[k], `the SDK sent something further to ${k} after the flow had ended: ${JSON.stringify(server.requests(k).slice(counts[k]).map((r) => `${r.method} ${r.path}`))}`);
  }
}

const counts = (keys) => Object.fromEntries([].concat(keys).map((k) => [k, server.requests(k).length]));

let keySeq = 0;
const keyFor = (id) => `${id}.${++keySeq}`;

/**
 * The standard flow for a case: create (discovery) → loginWithRedirect → hostile /authorize →
 * 302 back to /cb → create again → handleRedirectCallback() → assertions → def.after (e.g.
 * getUserInfo) → leak checks → nothing further sent.
 *
 * def: { server: spec, client: extra create options, clientFor(issuer): more of them,
 *        full: the build (true pkg/full/, false pkg/; default: by the options, see createClient),
 *        login: loginWithRedirect options, secrets(ctx): more secrets, checkDump(dump, ctx, tab),
 *        expect: { create: code(s) | code: code(s) | ok: true, requests, error: {field: value},
 *                  authenticated, check(ctx) }, after(ctx), skipUrlCheck }
 */
async function runCase(def) {
  const key = def.key ?? keyFor(def.id);
  const issuer = server.defineCase(key, def.server ?? {});
  const options = { issuer, clientId: server.clientId, redirectUri: server.redirectUri, scope: 'openid', ...def.client, ...def.clientFor?.(issuer) };
  const tab = await newTab(group);
  const errors = [];
  let txns = [];
  const x = def.expect ?? {};
  try {
    await openApp(tab, server);
    const created = await createClient(tab, typeof def.createOptions === 'function' ? def.createOptions(options) : options, { full: def.full });
    if (x.create) {
      assert.equal(created.ok, false, `AuthClient.create resolved; expected ${x.create}`);
      assertCode(created.error, x.create, 'AuthClient.create: ');
      errors.push(created.error);
      const seen = endpoints(key);
      assert.ok(matchRequests(seen, x.requests ?? ['discovery']), `requests ${JSON.stringify(seen)}, expected ${JSON.stringify(x.requests ?? ['discovery'])}`);
      const secrets = secretsFor(key);
      await assertNoLeaks(tab, server, secrets, { errors, cleanUrl: false });
      assertServerSide(key, secrets);
      await settled(key, counts(key));
      return { key };
    }
    assert.ok(created.ok, `AuthClient.create rejected: ${JSON.stringify(created.error)}`);
    const callbackUrl = await loginAndReturn(tab, server, def.login);
    txns = await transactions(tab);
    assert.equal(txns.length, 1, 'one login transaction in sessionStorage across the redirect');

    const again = await createClient(tab, options, { full: def.full });
    assert.ok(again.ok, `AuthClient.create at the redirect URI rejected: ${JSON.stringify(again.error)}`);
    const mark = server.mark();
    const result = await handleCallback(tab);
    const p = await probe(tab);
    const ctx = { key, issuer, tab, result, probe: p, callbackUrl, txns, mark, options };

    if (x.code) {
      assert.equal(result.ok, false, `handleRedirectCallback resolved ${JSON.stringify(result.value)}; expected ${x.code}`);
      assertCode(result.error, x.code);
      errors.push(result.error);
      for (const [field, value] of Object.entries(x.error ?? {})) {
        assert.equal(result.error[field], value, `error.${field}`);
      }
      if (x.authenticated === undefined) assertLoggedOut(p);
    } else {
      assert.equal(result.ok, true, `handleRedirectCallback rejected: ${JSON.stringify(result.error && { code: result.error.code, message: result.error.message })}`);
      if (x.authenticated !== false) assertLoggedIn(p, key);
    }
    const expected = x.requests ?? (x.code ? def.defaultRequests ?? CALLBACK : ID_TOKEN);
    const seen = endpoints(key, mark);
    assert.ok(matchRequests(seen, expected), `requests after the callback started: ${JSON.stringify(seen)}, expected ${JSON.stringify(expected)}`);
    assert.deepEqual(p.unhandled, [], 'unhandled promise rejections in the page');
    assert.equal(p.xss, null, 'injected script ran');
    await x.check?.(ctx);
    if (def.after) errors.push(...((await def.after(ctx)) ?? []));

    const secrets = { ...secretsFor(key, txns), ...def.secrets?.(ctx) };
    const dump = await assertNoLeaks(tab, server, secrets, { errors, cleanUrl: !def.skipUrlCheck });
    await def.checkDump?.(dump, ctx, tab);
    assertServerSide(key, secrets);
    await settled(key, counts(key));
    return ctx;
  } finally {
    await tab.close();
  }
}

/** Registers one node:test test per case definition (defaults: e.g. { defaultRequests }). */
function cases(defs, defaults = {}) {
  for (const d of defs) {
    const def = { ...defaults, ...d };
    const outcome = def.expect?.create ?? def.expect?.code;
    const name = `${def.id} ${def.title} → ${outcome ? [].concat(outcome).join(' | ') : 'accepted'}`;
    test(name, def.todo ? { todo: def.todo } : {}, () => runCase(def));
  }
}

// --- token lifecycle (§4.7 refresh, §4.9 revocation, §4.10 logout, UI-03) --------------------

// refreshMarginSeconds = expires_in − 2: the login's access token (expires_in 3600, the server's
// default) is due for renewal one to two seconds after the login (the SDK's renewal timer is set
// for then); a refreshed one (expires_in 7200 by default) is not due for another hour.
// Not expires_in − 1: a margin at or above the lifetime falls back to half the lifetime (README
// "Token lifecycle"), and the SDK's lifetime (expiry from whole seconds at the token response,
// minus the fractional time the session was stored, after the ID token was verified) can be just
// under expires_in − 1.
// The cases drive renewals with getAccessToken() at the due time (the catalogue's contract); the
// SDK's own renewal timer may fire then too (single flight: one request either way), but the
// cases do not rely on it: it can fire up to 1 ms before the due instant (a fractional delay
// truncated by setTimeout), and then that renewal is dropped (see PENDING.md, "Observed").
const DUE_SOON = { refreshMarginSeconds: 3598 };
const BACKOFF_MS = 2000; // the SDK's first retry delay after a failed refresh (README)

async function waitFor(fn, label, timeoutMs = 8000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn(); // eslint-disable-line no-await-in-loop
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof label === 'function' ? await label() : label}`);
    await sleep(25); // eslint-disable-line no-await-in-loop
  }
}

const refreshes = (key, sinceSeq = 0) => server.requests(key).filter((r) => r.endpoint === 'refresh' && r.seq > sinceSeq);
const revocations = (key, sinceSeq = 0) => server.requests(key).filter((r) => r.endpoint === 'revoke' && r.seq > sinceSeq);
const endSessions = (key, sinceSeq = 0) => server.requests(key).filter((r) => r.endpoint === 'end-session' && r.seq > sinceSeq);
const named = async (tab, name) => (await events(tab)).filter((e) => e.name === name);
const payload = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));

/** The session as the app sees it, without asking for a token (which could start a refresh). */
const sessionView = (tab) => tab.page.evaluate(() => {
  const a = window.__auth;
  return { isAuthenticated: a.isAuthenticated(), claims: a.getIdTokenClaims(), user: a.getUser(), expiry: a.getTokenExpiry(), scope: a.getGrantedScope() };
});

/** Sleeps in the page until the access token is due for renewal (expiry − margin), + 30 ms. */
const untilDue = (tab, marginSeconds = DUE_SOON.refreshMarginSeconds) => tab.page.evaluate(async (m) => {
  const due = window.__auth.getTokenExpiry() - m * 1000;
  await new Promise((resolve) => { setTimeout(resolve, Math.max(0, due - Date.now()) + 30); });
}, marginSeconds);

/** getAccessToken() once the token is due: starts (or joins) the renewal. */
async function renewWhenDue(tab) {
  await untilDue(tab);
  return call(tab, 'getAccessToken');
}

/** A second tab of the same browser context that takes the session over from the first one. */
async function restoredTab(ctx) {
  const tab = await newTab(group);
  ctx.tabs.push(tab);
  await openApp(tab, server);
  assert.ok((await createClient(tab, ctx.options)).ok);
  await recordEvents(tab);
  const restored = await call(tab, 'restoreSession', { silent: false });
  assert.deepEqual(restored, { ok: true, value: true }, 'restoreSession() in the second tab (from the first one)');
  return tab;
}

/**
 * A session flow: create → login (the server issues a refresh token) → /cb → create → events
 * recorded → handleRedirectCallback() → logged in. def.run(ctx) drives the case and returns
 * the errors it saw; then, for every tab of the case: no secret anywhere (the leak checks, with
 * every token the case issued — the discarded ones too — among the secrets), no protocol
 * violation at the server (a rotated-away, revoked or unknown refresh token presented, a wrong
 * id_token_hint, ...), and nothing further sent.
 *
 * ctx: { key, issuer, options, tab, tabs, txns, first (the code grant's tokens), login (the
 *        session view after the login), t }
 */
async function runSession(def, t) {
  const key = def.key ?? keyFor(def.id);
  const issuer = server.defineCase(key, { refresh: {}, ...def.server });
  const options = { issuer, clientId: server.clientId, redirectUri: server.redirectUri, scope: 'openid', ...(typeof def.client === 'function' ? def.client(issuer) : def.client) };
  const tab = await newTab(group);
  const ctx = { key, issuer, options, tab, tabs: [tab], t };
  try {
    await openApp(tab, server);
    const created = await createClient(tab, options);
    assert.ok(created.ok, `AuthClient.create rejected: ${JSON.stringify(created.error)}`);
    await loginAndReturn(tab, server);
    ctx.txns = await transactions(tab);
    assert.ok((await createClient(tab, options)).ok);
    await recordEvents(tab);
    const result = await handleCallback(tab);
    assert.equal(result.ok, true, `handleRedirectCallback rejected: ${JSON.stringify(result.error && { code: result.error.code, message: result.error.message })}`);
    [ctx.first] = server.issued(key);
    assert.ok(ctx.first?.refresh_token && ctx.first.id_token, 'the login issued a refresh token and an ID token');
    ctx.login = await sessionView(tab);
    assert.equal(ctx.login.isAuthenticated, true);
    assert.equal(ctx.login.claims?.sub, 'alice');

    const errors = (await def.run(ctx)) ?? [];
    for (const tb of ctx.tabs) errors.push(...(await events(tb)).filter((e) => e.name === 'error').map((e) => e.detail)); // eslint-disable-line no-await-in-loop
    const secrets = { ...secretsFor(key, ctx.txns), ...def.secrets?.(ctx) };
    for (const tb of ctx.tabs) {
      // eslint-disable-next-line no-await-in-loop
      const dump = await assertNoLeaks(tb, server, secrets, { errors, keepSessionKeys: def.keepSessionKeys ?? null });
      def.checkKept?.(dump.kept, ctx);
      await def.checkDump?.(dump, ctx, tb); // eslint-disable-line no-await-in-loop
      assert.deepEqual(await tb.page.evaluate(() => window.__unhandled), [], 'unhandled promise rejections in the page'); // eslint-disable-line no-await-in-loop
      assert.deepEqual(tb.log.console.filter((l) => l.startsWith('[pageerror]')), [], 'uncaught errors in the page');
    }
    assertServerSide(key, secrets);
    await settled(key, counts(key));
    return ctx;
  } finally {
    for (const tb of ctx.tabs) await tb.close(); // eslint-disable-line no-await-in-loop
  }
}

function sessionCases(defs) {
  for (const def of defs) {
    test(`${def.id} ${def.title}`, def.todo ? { todo: def.todo } : {}, (t) => runSession(def, t));
  }
}

/** The refreshed ID token of the first refresh gets `spec`; that response has to be discarded,
 * so the server does not rotate the presented refresh token away (the retry presents it again). */
const firstRefreshIdToken = (spec, extra = {}) => ({
  refresh: { idToken: (n) => (n === 1 ? spec : undefined), tentative: (ctx) => ctx.refreshCount === 1, ...extra },
});
const firstRefreshClaims = (patch) => firstRefreshIdToken({ claims: (c, ctx) => ({ ...c, ...(typeof patch === 'function' ? patch(c, ctx) : patch) }) });
const firstRefreshAnswers = (make) => ({ refresh: { response: (ctx) => (ctx.refreshCount === 1 ? make(ctx) : undefined) } });

/** The app's view after the session ended: everything cleared, no token (and no request). */
async function assertSessionGone(tab, key, label = '') {
  const before = server.requests(key).length;
  assertLoggedOut(await probe(tab), label);
  assert.equal(server.requests(key).length, before, `${label}getAccessToken() after the session ended made a request`);
}

/**
 * RT-05/07/09 (an invalid refreshed ID token), RT-03+ (5xx, 3xx, network, another refusal): the
 * response is discarded; the still-valid access token stays and is handed out without a new
 * request; the claims are the login's; `error` fires with `code`; the one retry comes only after
 * the 2 s backoff, presents the same refresh token, and (answered correctly) renews the session.
 */
const keptWithBackoff = (code, check) => async (ctx) => {
  const { key, tab, first } = ctx;
  const firstCall = await renewWhenDue(tab);
  const r1 = await waitFor(() => refreshes(key)[0], 'the first refresh request');
  const failure = await waitFor(async () => (await named(tab, 'error'))[0], 'the error event');
  assertCode(failure.detail, code, 'error event: ');
  assert.equal(firstCall.ok, true, `getAccessToken() when the refresh failed: ${JSON.stringify(firstCall.error)}`);
  assert.equal(firstCall.value, first.access_token, 'getAccessToken() hands out the still-valid access token');
  const view = await sessionView(tab);
  assert.equal(view.isAuthenticated, true, 'the session stands');
  assert.deepEqual(view.claims, ctx.login.claims, 'the claims are still the login\'s (nothing of the response applied)');
  assert.deepEqual(view.user, ctx.login.user);
  assert.equal(r1.form.refresh_token, first.refresh_token);

  // The app keeps asking (every 200 ms): the old token until the backoff is over, then one retry.
  const handedOut = new Set();
  const r2 = await waitFor(async () => {
    const got = await call(tab, 'getAccessToken');
    if (got.ok) handedOut.add(got.value);
    const second = refreshes(key)[1];
    if (!second) {
      assert.equal(got.value, first.access_token, 'getAccessToken() during the backoff');
      await sleep(175);
    }
    return second;
  }, 'the retry after the backoff', BACKOFF_MS + 4000);
  const gap = r2.at - failure.at;
  ctx.t?.diagnostic(`${code}: retry ${gap} ms after the error event`);
  assert.ok(gap >= BACKOFF_MS - 100, `the retry came ${gap} ms after the failure, before the ${BACKOFF_MS} ms backoff`);
  // Issue 11.4: a response refused for its ID token still came from the token endpoint; when it
  // rotated the refresh token, the retry presents the new one (never the retired one), else the same.
  const failed = server.issued(key).find((i) => i.n === 1 && i.grantType === 'refresh_token');
  const expectedRt = failed?.refresh_token || first.refresh_token;
  assert.equal(r2.form.refresh_token, expectedRt, failed?.refresh_token
    ? 'the retry presents the refresh token of the refused 200 response (rotation-safe)'
    : 'the retry presents the same refresh token (the failed response carried none)');
  await waitFor(async () => (await named(tab, 'tokenRefreshed')).length === 1, 'tokenRefreshed after the retry');
  const issued = server.issued(key);
  const good = issued.at(-1);
  assert.equal(good.n, 2);
  const after = await call(tab, 'getAccessToken');
  assert.equal(after.value, good.access_token, 'the retry\'s access token');
  const discarded = issued.find((i) => i.n === 1);
  if (discarded) assert.ok(!handedOut.has(discarded.access_token) && after.value !== discarded.access_token, 'the discarded response\'s access token was handed out');
  assert.equal(refreshes(key).length, 2);
  const evs = await events(tab);
  assert.deepEqual(evs.filter((e) => e.name === 'error').map((e) => e.detail.code), [code], 'one error event');
  assert.deepEqual(evs.filter((e) => e.name === 'sessionExpired'), [], 'the session did not end');
  await check?.(ctx, { failure, r1, r2 });
  return [];
};

/**
 * RT-03 (invalid_grant), RT-06/07 (a refreshed ID token of another authentication): the
 * session ends — sessionExpired, everything cleared, getAccessToken() rejects login_required —
 * after exactly one refresh request, and nothing is retried (waited past the backoff).
 */
const sessionEnds = (code) => async (ctx) => {
  const { key, tab } = ctx;
  // The renewal timer may fire at the same moment: this call starts the refresh, joins it, or
  // comes after it.
  const r = await renewWhenDue(tab);
  assert.equal(r.ok, false, `getAccessToken() resolved ${JSON.stringify(r.value)} after the refresh ended the session`);
  assertCode(r.error, [code, 'login_required']);
  if (code === 'login_required' && r.error.error !== undefined) assert.equal(r.error.error, 'invalid_grant');
  await waitFor(async () => (await named(tab, 'sessionExpired')).length, 'the sessionExpired event');
  await assertSessionGone(tab, key);
  await sleep(BACKOFF_MS + 600);
  const attempts = refreshes(key);
  assert.equal(attempts.length, 1, 'exactly one refresh attempt: nothing retried');
  assert.equal(attempts[0].form.refresh_token, ctx.first.refresh_token);
  const evs = await events(tab);
  assert.deepEqual(evs.filter((e) => e.name === 'sessionExpired').map((e) => e.detail), [{ code: 'login_required' }], 'one sessionExpired event');
  assert.deepEqual(evs.filter((e) => e.name === 'tokenRefreshed'), []);
  if (code !== 'login_required') {
    assert.deepEqual(evs.filter((e) => e.name === 'error').map((e) => e.detail.code), [code], `an error event with ${code}`);
  }
  await assertSessionGone(tab, key, 'later: ');
  return [r.error];
};

/** A successful refresh: waits for it and returns the new tokens. */
async function refreshedOnce(ctx) {
  const { key, tab } = ctx;
  await renewWhenDue(tab);
  await waitFor(async () => (await named(tab, 'tokenRefreshed')).length === 1, 'tokenRefreshed');
  const got = await call(tab, 'getAccessToken');
  const issued = server.issued(key).filter((i) => i.grantType === 'refresh_token');
  assert.equal(issued.length, 1, 'one refresh');
  assert.equal(got.value, issued[0].access_token, 'getAccessToken() after the refresh: the new access token');
  return issued[0];
}

/** logout({ redirect: false }): { result, mark }, after which the local session must be gone. */
async function localLogout(ctx, options = { redirect: false }) {
  const mark = server.mark();
  const result = await call(ctx.tab, 'logout', options);
  await assertSessionGone(ctx.tab, ctx.key, 'after logout(): ');
  const evs = await events(ctx.tab);
  assert.deepEqual(evs.filter((e) => e.name === 'loggedOut').map((e) => e.detail), [{ code: 'logged_out' }], 'one loggedOut event');
  return { result, mark };
}

/** The two RFC 7009 requests of a logout: refresh token first, then access token, each well formed. */
function assertRevocationRequests(key, mark, tokens) {
  const rv = revocations(key, mark);
  assert.deepEqual(rv.map((r) => [r.form?.token_type_hint, r.form?.token]), [['refresh_token', tokens.refresh_token], ['access_token', tokens.access_token]],
    'the refresh token, then the access token, revoked with their type hints');
  for (const r of rv) {
    assert.equal(r.method, 'POST');
    assert.match(r.contentType, /^application\/x-www-form-urlencoded/);
    assert.deepEqual(Object.keys(r.form).sort(), ['client_id', 'token', 'token_type_hint']);
    assert.equal(r.form.client_id, server.clientId);
    assert.equal(r.authorization, null, 'no client authentication (public client)');
    assert.equal(r.rawQuery, '', 'nothing in the revocation URL');
    assert.equal(r.cookie, null);
  }
  return rv;
}

/**
 * logout({ postLogoutRedirectUri }) → revocation → end_session_endpoint → 302 back to
 * /logged-out. With `probeDuringRevocation` the revocation answers slowly and the app is probed
 * meanwhile (the session must already be gone: memory is cleared before anything is sent).
 * Then a new client in the returned document runs handleLogoutCallback() (twice: single use).
 */
async function logoutThroughProvider(ctx, { probeDuringRevocation = false } = {}) {
  const { key, tab } = ctx;
  const mark = server.mark();
  const arrived = tab.page.waitForURL((u) => u.href.startsWith(server.postLogoutRedirectUri), { waitUntil: 'load' });
  await tab.page.evaluate((u) => {
    window.__logout = window.__auth.logout({ postLogoutRedirectUri: u }).then(() => ({ ok: true }), (e) => ({ ok: false, error: window.__ser(e) }));
  }, server.postLogoutRedirectUri);
  let during = null;
  if (probeDuringRevocation) {
    await waitFor(() => revocations(key, mark)[0], 'the first revocation request');
    during = await tab.page.evaluate(async () => {
      const a = window.__auth;
      let token;
      try { token = { ok: true, value: await a.getAccessToken() }; } catch (e) { token = { ok: false, error: window.__ser(e) }; }
      return { isAuthenticated: a.isAuthenticated(), claims: a.getIdTokenClaims(), user: a.getUser(), token, events: window.__events.map((e) => e.name) };
    });
  }
  await arrived;
  const landedAt = tab.page.url();
  assert.ok((await createClient(tab, ctx.options)).ok, 'AuthClient.create on the post-logout page');
  const back = await tab.page.evaluate(() => {
    const url = location.href;
    const first = window.__auth.handleLogoutCallback();
    const again = window.__auth.handleLogoutCallback(url);
    return { first, again, href: location.href, session: window.__auth.isAuthenticated() };
  });
  return { mark, during, landedAt, back, endSession: endSessions(key, mark) };
}

// ---------------------------------------------------------------------------------------------
describe('4.1 Authorization response', SECTION, () => {
  section();
  cases([
    {
      id: 'AR-01',
      title: 'baseline code + state + iss',
      expect: {
        ok: true,
        check: ({ result, key }) => {
          assert.equal(result.value.scope, 'openid');
          const expiresIn = (result.value.expiresAt - Date.now()) / 1000;
          assert.ok(expiresIn > 3500 && expiresIn <= 3600, `expiresAt ${result.value.expiresAt}`);
          assert.equal(server.grants(key)[0].used, true, 'the code was exchanged');
        },
      },
    },
    { id: 'AR-02', title: 'state differs from the one sent', server: authz((p) => { p.set('state', rand43()); }), expect: { code: 'state_mismatch' } },
    { id: 'AR-02', title: 'state altered by one character', server: authz((p) => { const s = p.get('state'); p.set('state', `${s.slice(0, -1)}${s.endsWith('A') ? 'B' : 'A'}`); }), expect: { code: 'state_mismatch' } },
    { id: 'AR-03', title: 'state omitted', server: authz((p) => { p.delete('state'); }), expect: { code: 'state_missing' } },
    { id: 'AR-03', title: 'state empty', server: authz((p) => { p.set('state', ''); }), expect: { code: 'state_missing' } },
    { id: 'AR-08', title: 'iss is another issuer (mix-up)', server: authz((p, ctx) => { p.set('iss', `${ctx.asOrigin}/case/evil`); }), expect: { code: 'iss_mismatch' } },
    { id: 'AR-08', title: 'iss differs by a trailing slash', server: authz((p, ctx) => { p.set('iss', `${ctx.issuer}/`); }), expect: { code: 'iss_mismatch' } },
    { id: 'AR-09', title: 'iss missing although advertised', server: authz((p) => { p.delete('iss'); }), expect: { code: 'iss_missing' } },
    {
      id: 'AR-11',
      title: 'iss present and correct, support not advertised',
      server: meta((m) => { delete m.authorization_response_iss_parameter_supported; }),
      expect: { ok: true },
    },
    {
      id: 'AR-11',
      title: 'iss present and wrong, support not advertised',
      server: { ...meta((m) => { m.authorization_response_iss_parameter_supported = false; }), ...authz((p, ctx) => { p.set('iss', `${ctx.asOrigin}/case/evil`); }) },
      expect: { code: 'iss_mismatch' },
    },
    ...['access_denied', 'login_required', 'interaction_required', 'invalid_scope'].map((error) => ({
      id: 'AR-12',
      title: `error=${error} with correct state and iss`,
      server: authz((p) => {
        p.delete('code');
        p.set('error', error);
        p.set('error_description', 'The <b>user</b> said "no" & left');
        p.set('error_uri', 'https://as.example.test/errors/1');
      }),
      expect: {
        code: 'authorization_error',
        error: { error, error_description: 'The <b>user</b> said "no" & left', error_uri: 'https://as.example.test/errors/1' },
      },
    })),
    {
      id: 'AR-09',
      title: 'error response without iss although advertised, allowErrorWithoutIss (issue 15 quirk) → the provider\'s error',
      server: authz((p) => { p.delete('code'); p.delete('iss'); p.set('error', 'access_denied'); }),
      client: { allowErrorWithoutIss: true },
      expect: { code: 'authorization_error', error: { error: 'access_denied' } },
    },
    {
      id: 'AR-09',
      title: 'error response without iss although advertised (default) → iss_missing',
      server: authz((p) => { p.delete('code'); p.delete('iss'); p.set('error', 'access_denied'); }),
      expect: { code: 'iss_missing' },
    },
    {
      id: 'AR-09',
      title: 'success without iss, allowErrorWithoutIss → still iss_missing',
      server: authz((p) => { p.delete('iss'); }),
      client: { allowErrorWithoutIss: true },
      expect: { code: 'iss_missing' },
    },
    {
      id: 'AR-13',
      title: 'error response with a wrong state',
      server: authz((p) => { p.delete('code'); p.set('error', 'access_denied'); p.set('state', rand43()); }),
      expect: { code: 'state_mismatch' },
    },
    {
      id: 'AR-13',
      title: 'error response without state',
      server: authz((p) => { p.delete('code'); p.set('error', 'access_denied'); p.delete('state'); }),
      expect: { code: 'state_missing' },
    },
    {
      id: 'AR-13',
      title: 'error response with a wrong iss',
      server: authz((p, ctx) => { p.delete('code'); p.set('error', 'access_denied'); p.set('iss', `${ctx.asOrigin}/case/evil`); }),
      expect: { code: 'iss_mismatch' },
    },
    {
      id: 'AR-14',
      title: 'both code and error',
      server: authz((p) => { p.set('error', 'login_required'); }),
      expect: { code: 'authorization_error', error: { error: 'login_required' } },
    },
    { id: 'AR-15', title: 'no code', server: authz((p) => { p.delete('code'); }), expect: { code: 'code_missing' } },
    { id: 'AR-15', title: 'empty code', server: authz((p) => { p.set('code', ''); }), expect: { code: 'code_missing' } },
    // The injected values are not registered as secrets here (the address-bar part is BR-01's
    // own todo test below): these tests are about the rejection itself.
    { id: 'AR-17', title: 'access_token injected in the query', server: authz((p) => { p.set('access_token', 'front-channel-at'); p.set('token_type', 'Bearer'); }), expect: { code: 'unexpected_callback_parameter' } },
    {
      id: 'AR-17',
      title: 'id_token injected in the query (hybrid shape)',
      server: authz((p, ctx) => { p.set('id_token', signJws('RS256', ctx.keys.rs1, { alg: 'RS256', kid: 'rs1' }, { iss: ctx.issuer, sub: 'mallory', aud: ctx.clientId, exp: ctx.now + 300, iat: ctx.now })); }),
      expect: { code: 'unexpected_callback_parameter' },
    },
    { id: 'AR-17', title: 'token injected in the query', server: authz((p) => { p.set('token', 'front-channel-token'); }), expect: { code: 'unexpected_callback_parameter' } },
    { id: 'AR-17', title: 'access_token in the fragment (implicit shape)', server: { fragment: 'access_token=front-channel-at&token_type=bearer&expires_in=3600' }, expect: { code: 'unexpected_callback_parameter' } },
    {
      id: 'AR-18',
      title: 'JARM response=<jwt> not requested',
      server: authz((p, ctx) => {
        const jarm = signJws('RS256', ctx.keys.rs1, { alg: 'RS256', kid: 'rs1' }, { iss: ctx.issuer, aud: ctx.clientId, exp: ctx.now + 60, code: p.get('code'), state: p.get('state') });
        for (const k of [...p.keys()]) p.delete(k);
        p.set('response', jarm);
      }),
      // Without state the response fails the first check: state_missing is as good a rejection.
      expect: { code: ['unexpected_callback_parameter', 'state_missing'] },
    },
    {
      id: 'AR-18',
      title: 'JARM response=<jwt> next to code and state',
      server: authz((p, ctx) => { p.set('response', signJws('RS256', ctx.keys.rs1, { alg: 'RS256' }, { iss: ctx.issuer })); }),
      expect: { code: 'unexpected_callback_parameter' },
    },
    {
      id: 'AR-19',
      title: 'unknown parameters (session_state, script markup) are ignored and never reflected',
      server: authz((p) => {
        p.set('session_state', 'sess-123.abc');
        p.set('foo', '<script>window.__xss=1</script>');
        p.set('<img src=x onerror=window.__xss=2>', '1');
      }),
      expect: {
        ok: true,
        check: ({ probe: pr }) => {
          assert.equal(pr.bodyHtml, '<main id="app">hostile test app</main>', 'the page DOM changed');
          assert.ok(!new URL(pr.href).searchParams.has('session_state'), 'session_state left in the address bar');
        },
      },
    },
  ]);

  test('AR-04 forged, unsolicited callback (state the SDK never issued) → state_mismatch', async () => {
    const key = keyFor('AR-04');
    const issuer = server.defineCase(key, {});
    const options = { issuer, clientId: server.clientId, redirectUri: server.redirectUri, scope: 'openid' };
    const tab = await newTab(group);
    try {
      const forged = `${server.redirectUri}?code=attacker-code-${rand43()}&state=${rand43()}&iss=${encodeURIComponent(issuer)}`;
      await tab.page.goto(forged);
      assert.ok((await createClient(tab, options)).ok);
      const mark = server.mark();
      const r = await handleCallback(tab);
      assertCode(r.error, 'state_mismatch');
      assertLoggedOut(await probe(tab));
      assert.deepEqual(endpoints(key, mark), CALLBACK);
      await assertNoLeaks(tab, server, { forgedCode: new URL(forged).searchParams.get('code') }, { errors: [r.error] });
      assertServerSide(key, {});
      await settled(key, counts(key));
    } finally {
      await tab.close();
    }
  });

  test('AR-05 genuine callback delivered to a browser with no pending transaction (login CSRF) → state_mismatch', async () => {
    const key = keyFor('AR-05');
    const issuer = server.defineCase(key, {});
    const options = { issuer, clientId: server.clientId, redirectUri: server.redirectUri, scope: 'openid' };
    const attacker = await newTab(browser);
    const victim = await newTab(browser);
    try {
      // The attacker starts a login in their own browser and keeps the callback URL.
      await openApp(attacker, server);
      assert.ok((await createClient(attacker, options)).ok);
      const url = await call(attacker, 'createAuthorizationUrl');
      const callbackUrl = await authorizeToCallback(url.value);
      // ... and makes the victim's browser load it.
      await victim.page.goto(callbackUrl);
      assert.ok((await createClient(victim, options)).ok);
      const mark = server.mark();
      const r = await handleCallback(victim);
      assertCode(r.error, 'state_mismatch');
      assertLoggedOut(await probe(victim));
      assert.deepEqual(endpoints(key, mark), CALLBACK);
      assert.equal(server.grants(key)[0].used, false, "the attacker's code was redeemed");
      await assertNoLeaks(victim, server, secretsFor(key), { errors: [r.error] });
      assertServerSide(key, secretsFor(key));
      await settled(key, counts(key));
    } finally {
      await attacker.close();
      await victim.close();
    }
  });

  test('AR-06 the same callback delivered twice (same client, then a reload) → state_mismatch; the code is sent once', async () => {
    const key = keyFor('AR-06');
    const issuer = server.defineCase(key, {});
    const options = { issuer, clientId: server.clientId, redirectUri: server.redirectUri, scope: 'openid' };
    const tab = await newTab(group);
    try {
      await openApp(tab, server);
      assert.ok((await createClient(tab, options)).ok);
      const callbackUrl = await loginAndReturn(tab, server);
      const txns = await transactions(tab);
      assert.ok((await createClient(tab, options)).ok);
      const first = await handleCallback(tab);
      assert.equal(first.ok, true, JSON.stringify(first.error));
      const before = await probe(tab);
      assertLoggedIn(before, key);

      // Replay into the same client: rejected, and the session is what it was.
      const mark = server.mark();
      const replay = await handleCallback(tab, callbackUrl);
      assertCode(replay.error, 'state_mismatch', 'replay into the same client: ');
      const afterReplay = await probe(tab);
      assertLoggedIn(afterReplay, key, 'after the replay: ');
      assert.deepEqual(afterReplay.claims, before.claims);

      // Reload / back button: the callback URL loads again in a fresh document.
      await tab.page.goto(callbackUrl);
      assert.ok((await createClient(tab, options)).ok);
      const reload = await handleCallback(tab);
      assertCode(reload.error, 'state_mismatch', 'reloaded callback: ');
      assertLoggedOut(await probe(tab), 'reloaded page: ');
      assert.deepEqual(endpoints(key, mark), ['discovery'], 'requests after the first callback (the reloaded page\'s discovery only)');
      assert.equal(endpoints(key).filter((e) => e === 'token').length, 1, 'token requests');
      const secrets = secretsFor(key, txns);
      await assertNoLeaks(tab, server, secrets, { errors: [replay.error, reload.error] });
      assertServerSide(key, secrets);
      await settled(key, counts(key));
    } finally {
      await tab.close();
    }
  });

  for (const variant of ['issuer', 'client_id']) {
    test(`AR-21 response for a transaction started against another ${variant} → transaction_mismatch`, async () => {
      const keyA = keyFor('AR-21');
      const keyB = keyFor('AR-21');
      const issuerA = server.defineCase(keyA, { anyClient: true });
      const issuerB = server.defineCase(keyB, {});
      const optionsA = { issuer: issuerA, clientId: server.clientId, redirectUri: server.redirectUri, scope: 'openid' };
      const optionsB = variant === 'issuer' ? { ...optionsA, issuer: issuerB } : { ...optionsA, clientId: 'another-client' };
      const tab = await newTab(group);
      try {
        await openApp(tab, server);
        assert.ok((await createClient(tab, optionsA)).ok);
        await loginAndReturn(tab, server);
        const txns = await transactions(tab);
        assert.ok((await createClient(tab, optionsB)).ok);
        const mark = server.mark();
        const r = await handleCallback(tab);
        assertCode(r.error, 'transaction_mismatch');
        assertLoggedOut(await probe(tab));
        assert.deepEqual(endpoints(keyA, mark), CALLBACK);
        assert.deepEqual(endpoints(keyB, mark), CALLBACK);
        const secrets = secretsFor([keyA, keyB], txns);
        await assertNoLeaks(tab, server, secrets, { errors: [r.error] });
        assertServerSide([keyA, keyB], secrets);
        await settled([keyA, keyB], counts([keyA, keyB]));
      } finally {
        await tab.close();
      }
    });
  }
});

// ---------------------------------------------------------------------------------------------
describe('4.2 Token endpoint', SECTION, () => {
  section();
  const ok = (extra = {}) => ({ ok: true, ...extra });
  cases([
    {
      id: 'TE-01',
      title: 'the token request: POST form, authorization_code, same redirect_uri, S256 verifier, client_id, no secret',
      expect: ok({
        check: ({ key, txns }) => {
          const [authorize] = server.requests(key).filter((r) => r.endpoint === 'authorize');
          const [tokenReq] = server.requests(key).filter((r) => r.endpoint === 'token');
          assert.equal(authorize.query.response_type, 'code');
          assert.equal(authorize.query.code_challenge_method, 'S256');
          assert.ok(authorize.query.state.length >= 43, 'state carries ≥ 256 bits');
          assert.ok(authorize.query.nonce.length >= 43, 'nonce carries ≥ 256 bits');
          assert.equal(authorize.query.redirect_uri, server.redirectUri);
          assert.equal(tokenReq.method, 'POST');
          assert.match(tokenReq.contentType, /^application\/x-www-form-urlencoded/);
          assert.deepEqual(Object.keys(tokenReq.form).sort(), ['client_id', 'code', 'code_verifier', 'grant_type', 'redirect_uri']);
          assert.equal(tokenReq.form.grant_type, 'authorization_code');
          assert.equal(tokenReq.form.code, server.grants(key)[0].code);
          assert.equal(tokenReq.form.redirect_uri, authorize.query.redirect_uri, 'identical redirect_uri');
          assert.equal(tokenReq.form.client_id, server.clientId);
          const verifier = tokenReq.form.code_verifier;
          assert.match(verifier, /^[A-Za-z0-9._~-]{43,128}$/);
          assert.equal(verifier, txns[0].code_verifier, 'the stored verifier');
          assert.equal(b64url(createHash('sha256').update(verifier).digest()), authorize.query.code_challenge, 'S256(verifier) = challenge');
          assert.equal(tokenReq.authorization, null, 'no client authentication');
          assert.equal(tokenReq.cookie, null, 'no cookies');
          assert.equal(tokenReq.referer, null, 'no Referer (it would carry the callback URL)');
          assert.equal(tokenReq.rawQuery, '', 'nothing in the token request URL');
        },
      }),
    },
    {
      id: 'TE-02',
      title: '400 invalid_grant',
      server: { token: () => json(400, { error: 'invalid_grant', error_description: 'code expired', error_uri: 'https://as.example.test/e' }) },
      expect: { code: 'token_error', requests: TOKEN, error: { error: 'invalid_grant', error_description: 'code expired', error_uri: 'https://as.example.test/e', status: 400 } },
    },
    {
      id: 'TE-03',
      title: '401 with a valid WWW-Authenticate challenge and an OAuth error body',
      server: { token: () => json(401, { error: 'invalid_client' }, { 'www-authenticate': 'Bearer realm="as", error="invalid_client"' }) },
      expect: { code: 'token_error', requests: TOKEN, error: { error: 'invalid_client', status: 401 } },
    },
    {
      id: 'TE-03',
      title: '401 with a malformed WWW-Authenticate and no body',
      server: { token: () => raw(401, '', { 'www-authenticate': 'Bearer error="unterminated, ,,= realm' }) },
      expect: { code: 'token_response_status', requests: TOKEN, error: { status: 401 } },
    },
    {
      id: 'TE-03',
      title: '401 with several challenges and an HTML body',
      server: { token: () => raw(401, '<h1>denied</h1>', { 'content-type': 'text/html', 'www-authenticate': 'Basic realm="a", DPoP algs="ES256", Bearer error="invalid_token"' }) },
      expect: { code: 'token_response_status', requests: TOKEN, error: { status: 401 } },
    },
    {
      id: 'TE-04',
      title: '201 with an otherwise valid token body',
      server: tokenBody((b) => json(201, b)),
      expect: { code: 'token_response_status', requests: TOKEN, error: { status: 201 } },
    },
    { id: 'TE-04', title: '204 no content', server: { token: () => raw(204, '') }, expect: { code: 'token_response_status', requests: TOKEN, error: { status: 204 } } },
    { id: 'TE-04', title: '500 with an HTML body', server: { token: () => raw(500, '<html>oops</html>', { 'content-type': 'text/html' }) }, expect: { code: 'token_response_status', requests: TOKEN, error: { status: 500 } } },
    { id: 'TE-04', title: '404 text/plain', server: { token: () => raw(404, 'not found', { 'content-type': 'text/plain' }) }, expect: { code: 'token_response_status', requests: TOKEN, error: { status: 404 } } },
    { id: 'TE-04', title: '503 JSON without an error member', server: { token: () => json(503, { message: 'busy' }) }, expect: { code: 'token_response_status', requests: TOKEN, error: { status: 503 } } },
    { id: 'TE-06', title: '200 truncated JSON {"', server: { token: () => json(200, '{"') }, expect: { code: 'token_response_not_json', requests: TOKEN } },
    { id: 'TE-06', title: '200 HTML, text/html', server: { token: () => raw(200, '<html><body>login</body></html>', { 'content-type': 'text/html' }) }, expect: { code: 'token_response_content_type', requests: TOKEN } },
    {
      id: 'TE-07',
      title: '200 valid JSON with Content-Type text/plain (policy 7: reject)',
      server: tokenBody((b) => raw(200, JSON.stringify(b), { 'content-type': 'text/plain' })),
      expect: { code: 'token_response_content_type', requests: TOKEN },
    },
    {
      id: 'TE-07',
      title: '200 valid JSON with Content-Type text/plain, allowAnyContentType (issue 11.7: named opt-in)',
      server: tokenBody((b) => raw(200, JSON.stringify(b), { 'content-type': 'text/plain' })),
      client: { allowAnyContentType: true },
      expect: { ok: true },
    },
    {
      id: 'TE-07',
      title: 'HTML with Content-Type text/html, allowAnyContentType: still not JSON',
      server: { token: () => raw(200, '<html><body>login</body></html>', { 'content-type': 'text/html' }) },
      client: { allowAnyContentType: true },
      expect: { code: 'token_response_not_json', requests: TOKEN },
    },
    ...['null', '[]', '"str"', '1'].map((body) => ({
      id: 'TE-08', title: `top-level ${body}`, server: { token: () => json(200, body) }, expect: { code: 'token_response_not_object', requests: TOKEN },
    })),
    { id: 'TE-09', title: 'access_token missing', server: tokenBody((b) => { delete b.access_token; }), expect: { code: 'access_token_invalid', requests: TOKEN } },
    { id: 'TE-09', title: 'access_token a number', server: tokenBody((b) => { b.access_token = 12345; }), expect: { code: 'access_token_invalid', requests: TOKEN } },
    { id: 'TE-09', title: 'access_token ""', server: tokenBody((b) => { b.access_token = ''; }), expect: { code: 'access_token_invalid', requests: TOKEN } },
    { id: 'TE-10', title: 'token_type missing', server: tokenBody((b) => { delete b.token_type; }), expect: { code: 'token_type_unsupported', requests: TOKEN } },
    { id: 'TE-10', title: 'token_type "mac"', server: tokenBody((b) => { b.token_type = 'mac'; }), expect: { code: 'token_type_unsupported', requests: TOKEN } },
    { id: 'TE-10', title: 'token_type "unrecognized"', server: tokenBody((b) => { b.token_type = 'unrecognized'; }), expect: { code: 'token_type_unsupported', requests: TOKEN } },
    { id: 'TE-10', title: 'token_type "dpop" although no proof was sent (DP-12)', server: tokenBody((b) => { b.token_type = 'dpop'; }), expect: { code: 'token_type_unsupported', requests: TOKEN } },
    { id: 'TE-10', title: 'token_type "bEARER" (case-insensitive)', server: tokenBody((b) => { b.token_type = 'bEARER'; }), expect: ok() },
    {
      id: 'TE-11',
      title: 'expires_in absent (unknown lifetime)',
      server: tokenBody((b) => { delete b.expires_in; }),
      expect: ok({ check: ({ result, probe: p }) => { assert.equal(result.value.expiresAt, null); assert.equal(p.expiry, null); } }),
    },
    {
      id: 'TE-11',
      title: 'expires_in "3600" without the opt-in (project policy: quirks only by named opt-in, ARCHITECTURE §5)',
      server: tokenBody((b) => { b.expires_in = '3600'; }),
      expect: { code: 'expires_in_invalid', requests: TOKEN },
    },
    {
      id: 'TE-11',
      title: 'expires_in "3600" with allowStringExpiresIn',
      server: tokenBody((b) => { b.expires_in = '3600'; }),
      client: { allowStringExpiresIn: true },
      expect: ok({ check: ({ result }) => { assert.ok(Math.abs(result.value.expiresAt - (Date.now() + 3600_000)) < 10_000); } }),
    },
    {
      id: 'TE-11',
      title: 'expires_in 0 (accepted, already expired)',
      server: tokenBody((b) => { b.expires_in = 0; }),
      expect: {
        ok: true,
        authenticated: false,
        check: ({ probe: p }) => {
          assert.equal(p.isAuthenticated, false);
          assert.equal(p.accessTokenError?.code, 'login_required');
        },
      },
    },
    { id: 'TE-11', title: 'expires_in -1', server: tokenBody((b) => { b.expires_in = -1; }), expect: { code: 'expires_in_invalid', requests: TOKEN } },
    { id: 'TE-11', title: 'expires_in "abc"', server: tokenBody((b) => { b.expires_in = 'abc'; }), client: { allowStringExpiresIn: true }, expect: { code: 'expires_in_invalid', requests: TOKEN } },
    { id: 'TE-11', title: 'expires_in 1e309 (infinite)', server: tokenBody((b) => raw(200, JSON.stringify(b).replace('"expires_in":3600', '"expires_in":1e309'), { 'content-type': 'application/json' })), expect: { code: 'expires_in_invalid', requests: TOKEN } },
    {
      id: 'TE-11',
      title: 'expires_in 1.0e-2147483647 (a number ≈ 0: accepted, already expired)',
      server: tokenBody((b) => raw(200, JSON.stringify(b).replace('"expires_in":3600', '"expires_in":1.0e-2147483647'), { 'content-type': 'application/json' })),
      expect: {
        ok: true,
        authenticated: false,
        check: ({ result }) => { assert.ok(result.value.expiresAt <= Date.now() + 1000, `expiresAt is ${(result.value.expiresAt - Date.now()) / 1000} s from now`); },
      },
    },
    { id: 'TE-11', title: 'expires_in NaN (not JSON)', server: tokenBody((b) => raw(200, JSON.stringify(b).replace('"expires_in":3600', '"expires_in":NaN'), { 'content-type': 'application/json' })), expect: { code: 'token_response_not_json', requests: TOKEN } },
    { id: 'TE-11', title: 'expires_in a Date string', server: tokenBody((b) => { b.expires_in = new Date(Date.now() + 3600_000).toUTCString(); }), client: { allowStringExpiresIn: true }, expect: { code: 'expires_in_invalid', requests: TOKEN } },
    {
      id: 'TE-12',
      title: 'scope absent → the requested scope is assumed',
      server: tokenBody((b) => { delete b.scope; }),
      client: { scope: 'openid profile' },
      expect: ok({ check: ({ result, probe: p }) => { assert.equal(result.value.scope, 'openid profile'); assert.equal(p.scope, 'openid profile'); } }),
    },
    { id: 'TE-12', title: 'scope null', server: tokenBody((b) => { b.scope = null; }), expect: { code: 'scope_invalid', requests: TOKEN } },
    {
      id: 'TE-12',
      title: 'scope reduced → the granted scope is exposed',
      server: tokenBody((b) => { b.scope = 'openid'; }),
      client: { scope: 'openid profile email' },
      expect: ok({ check: ({ result, probe: p }) => { assert.equal(result.value.scope, 'openid'); assert.equal(p.scope, 'openid'); } }),
    },
    { id: 'TE-13', title: 'refresh_token null', server: tokenBody((b) => { b.refresh_token = null; }), expect: { code: 'refresh_token_invalid', requests: TOKEN } },
    { id: 'TE-13', title: 'refresh_token a number', server: tokenBody((b) => { b.refresh_token = 42; }), expect: { code: 'refresh_token_invalid', requests: TOKEN } },
    { id: 'TE-14', title: 'id_token a number', server: tokenBody((b) => { b.id_token = 42; }), expect: { code: 'id_token_invalid', requests: TOKEN } },
    { id: 'TE-14', title: 'id_token "something.resembling.anid_token"', server: tokenBody((b) => { b.id_token = 'something.resembling.anid_token'; }), expect: { code: 'jws_malformed', requests: TOKEN } },
    { id: 'TE-15', title: 'openid requested, no id_token returned', server: tokenBody((b) => { delete b.id_token; }), expect: { code: 'id_token_missing', requests: TOKEN } },
    { id: 'TE-19', title: 'token response headers never arrive (timeoutMs 1500)', server: { token: () => raw(200, '', {}, { hang: true }) }, client: { timeoutMs: 1500 }, expect: { code: 'timeout', requests: TOKEN } },
    { id: 'TE-19', title: 'token response body trickles 1 byte / 500 ms (timeoutMs 1500)', server: { token: () => raw(200, '{"access_token":"slow-at-0123456789","token_type":"Bearer"}', {}, { trickle: true }) }, client: { timeoutMs: 1500 }, expect: { code: 'timeout', requests: TOKEN } },
    { id: 'TE-20', title: 'token response without CORS headers', server: { tokenCors: false }, expect: { code: 'network_error', requests: TOKEN } },
    { id: 'TE-21', title: 'metadata token_endpoint is http:// (not loopback)', server: meta((m) => { m.token_endpoint = 'http://as.example.test/token'; }), expect: { create: 'discovery_invalid' } },
    { id: 'TE-21', title: 'metadata token_endpoint is http:// on a name that only starts like loopback', server: meta((m) => { m.token_endpoint = 'http://127.0.0.1.as.example.test/token'; }), expect: { create: 'discovery_invalid' } },
  ]);
});

// ---------------------------------------------------------------------------------------------
describe('4.3 ID token', SECTION, () => {
  section();
  // The client accepts RS256 unless configured otherwise (OIDC Core §3.1.3.7 step 7; what the
  // provider merely advertises is not enough), so the ES256 cases configure it.
  const es256 = meta((m) => { m.id_token_signing_alg_values_supported = ['ES256']; });
  const ES256_CLIENT = { idTokenSigningAlgValues: ['ES256'] };
  const flipLast = (sig) => { const s = Buffer.from(sig); s[s.length - 1] ^= 0x01; return s; };
  const garbageSig = () => b64url(randomBytes(256));
  const headerOnly = (header) => ({
    idToken: {
      raw: (ctx) => `${b64json(header)}.${b64json({ iss: ctx.issuer, sub: 'alice', aud: ctx.clientId, exp: ctx.now + 300, iat: ctx.now, nonce: ctx.grant.nonce })}.${garbageSig()}`,
    },
  });
  const hsWithPublicKey = (material) => ({
    idToken: {
      alg: 'HS256',
      header: (h) => ({ ...h, alg: 'HS256', kid: 'rs1' }),
      signOptions: (ctx) => ({ hmacSecret: material(ctx.keys.rs1) }),
    },
  });
  cases([
    {
      id: 'IT-01',
      title: 'alg "none", empty signature (an unsecured JWS, RFC 7515 §A.5)',
      server: { idToken: { alg: 'none', header: () => ({ alg: 'none', typ: 'JWT' }) } },
      expect: { code: 'alg_unsupported', requests: TOKEN },
    },
    ...['none', 'None', 'NONE'].map((alg) => ({
      id: 'IT-01', title: `alg "${alg}" with a non-empty signature`, server: headerOnly({ alg, typ: 'JWT' }), expect: { code: 'alg_unsupported', requests: TOKEN },
    })),
    { id: 'IT-02', title: 'HS256 keyed with the AS RSA public key (PEM)', server: hsWithPublicKey((k) => Buffer.from(k.publicKey.export({ type: 'spki', format: 'pem' }))), expect: { code: 'alg_unsupported', requests: TOKEN } },
    { id: 'IT-02', title: 'HS256 keyed with the AS RSA public key (DER)', server: hsWithPublicKey((k) => k.publicKey.export({ type: 'spki', format: 'der' })), expect: { code: 'alg_unsupported', requests: TOKEN } },
    { id: 'IT-02', title: 'HS256 keyed with the AS RSA public key (JWK JSON)', server: hsWithPublicKey((k) => Buffer.from(JSON.stringify(k.jwk))), expect: { code: 'alg_unsupported', requests: TOKEN } },
    { id: 'IT-03', title: 'RS256 signature with a flipped bit', server: { idToken: { signature: flipLast } }, expect: { code: 'signature_invalid', requests: ID_TOKEN } },
    { id: 'IT-03', title: 'RS256 signature of another token (valid signature, other payload)', server: { idToken: { signature: (sig, ctx) => Buffer.from(signJws('RS256', ctx.keys.rs1, { alg: 'RS256', kid: 'rs1' }, { sub: 'x' }).split('.')[2], 'base64url') } }, expect: { code: 'signature_invalid', requests: ID_TOKEN } },
    { id: 'IT-04', title: 'ES256 signature corrupted', server: { ...es256, idToken: { alg: 'ES256', signature: flipLast } }, client: ES256_CLIENT, expect: { code: 'signature_invalid', requests: ID_TOKEN } },
    { id: 'IT-04', title: 'ES256 signature DER-encoded instead of r‖s', server: { ...es256, idToken: { alg: 'ES256', signOptions: () => ({ dsaEncoding: 'der' }) } }, client: ES256_CLIENT, expect: { code: 'signature_invalid', requests: ID_TOKEN_EARLY } },
    { id: 'IT-04', title: 'ES256 baseline (valid r‖s signature)', server: { ...es256, idToken: { alg: 'ES256' } }, client: ES256_CLIENT, expect: { ok: true } },
    { id: 'IT-05', title: 'valid PS256 signature, metadata lists only RS256', server: { idToken: { alg: 'PS256' } }, expect: { code: 'alg_unsupported', requests: TOKEN } },
    { id: 'IT-05', title: 'valid ES256 signature, metadata lists only RS256', server: { idToken: { alg: 'ES256' } }, expect: { code: 'alg_unsupported', requests: TOKEN } },
    { id: 'IT-05', title: 'valid ES256 signature, metadata advertises ES256 but the client did not register it', server: { ...es256, idToken: { alg: 'ES256' } }, expect: { code: 'alg_unsupported', requests: TOKEN } },
    {
      id: 'IT-05',
      title: 'valid RS256 signature, client configured for ES256 only (configuration beats metadata)',
      server: meta((m) => { m.id_token_signing_alg_values_supported = ['RS256', 'ES256']; }),
      client: { idTokenSigningAlgValues: ['ES256'] },
      expect: { code: 'alg_unsupported', requests: TOKEN },
    },
    ...['RS1', 'HS512', 'ES256K'].map((alg) => ({
      id: 'IT-06', title: `weak or unsupported alg "${alg}"`, server: headerOnly({ alg, kid: 'rs1' }), expect: { code: 'alg_unsupported', requests: TOKEN },
    })),
    // Issue 11.1 (RFC 8725 §3.11, RFC 9068 §4): an access token in JWT form, signed by the AS
    // with the same key, with every claim an ID token needs, is not an ID token.
    ...['at+jwt', 'application/at+jwt'].map((typ) => ({
      id: 'IT-typ', title: `typ "${typ}" (an RFC 9068 access token offered as the ID token)`, server: { idToken: { header: (h) => ({ ...h, typ }) } }, expect: { code: 'id_token_typ_invalid', requests: ID_TOKEN },
    })),
    { id: 'IT-typ', title: 'typ "JWT" (control)', server: { idToken: { header: (h) => ({ ...h, typ: 'JWT' }) } }, expect: { ok: true } },
    { id: 'IT-07', title: 'crit: ["x-unknown"] (signed)', server: { idToken: { header: (h) => ({ ...h, crit: ['x-unknown'], 'x-unknown': true }) } }, expect: { code: 'crit_unsupported', requests: TOKEN } },
    {
      id: 'IT-08',
      title: '5-segment JWE ID token',
      server: { idToken: { raw: () => [b64json({ alg: 'RSA-OAEP', enc: 'A256GCM', kid: 'rs1' }), b64url(randomBytes(256)), b64url(randomBytes(12)), b64url(randomBytes(64)), b64url(randomBytes(16))].join('.') } },
      expect: { code: 'jwe_unsupported', requests: TOKEN },
    },
    ...[
      ['2 segments', (h, p) => `${h}.${p}`],
      ['4 segments', (h, p, s) => `${h}.${p}.${s}.${s}`],
      ['bad base64url in the payload', (h, p, s) => `${h}.${p}*!.${s}`],
      ['header not JSON', (h, p, s) => `${b64url(Buffer.from('{alg:RS256'))}.${p}.${s}`],
      ['header a JSON array', (h, p, s) => `${b64url(Buffer.from('["RS256"]'))}.${p}.${s}`],
      ['payload a JSON string', (h, p, s) => `${h}.${b64url(Buffer.from('"alice"'))}.${s}`],
      ['extra dots', (h, p, s) => `${h}..${p}.${s}`],
      ['empty signature', (h, p) => `${h}.${p}.`],
    ].map(([what, make]) => ({
      id: 'IT-09',
      title: `malformed: ${what}`,
      server: {
        idToken: {
          raw: (ctx) => {
            const good = signJws('RS256', ctx.keys.rs1, { alg: 'RS256', kid: 'rs1' }, { iss: ctx.issuer, sub: 'alice', aud: ctx.clientId, exp: ctx.now + 300, iat: ctx.now, nonce: ctx.grant.nonce });
            return make(...good.split('.'));
          },
        },
      },
      expect: { code: ['id_token_invalid', 'jws_malformed'], requests: TOKEN },
    })),
    { id: 'IT-10', title: 'iss is another issuer', server: withClaims((ctx) => ({ iss: `${ctx.asOrigin}/case/evil` })), expect: { code: 'issuer_mismatch' } },
    { id: 'IT-10', title: 'iss differs by a trailing slash', server: withClaims((ctx) => ({ iss: `${ctx.issuer}/` })), expect: { code: 'issuer_mismatch' } },
    { id: 'IT-11', title: 'iss missing', server: withoutClaims('iss'), expect: { code: 'claim_invalid' } },
    { id: 'IT-11', title: 'iss a number', server: withClaims({ iss: 42 }), expect: { code: 'claim_invalid' } },
    { id: 'IT-12', title: 'aud is another client', server: withClaims({ aud: 'another-client' }), expect: { code: 'audience_mismatch' } },
    { id: 'IT-12', title: 'aud has an untrusted extra audience (policy 8)', server: withClaims((ctx) => ({ aud: [ctx.clientId, 'api.hostile.test'], azp: ctx.clientId })), expect: { code: 'audience_mismatch' } },
    { id: 'IT-13', title: 'aud missing', server: withoutClaims('aud'), expect: { code: 'claim_invalid' } },
    { id: 'IT-14', title: 'aud a one-element array', server: withClaims((ctx) => ({ aud: [ctx.clientId] })), expect: { ok: true } },
    {
      id: 'IT-14',
      title: 'aud with a configured trusted audience and azp = client_id',
      server: withClaims((ctx) => ({ aud: [ctx.clientId, 'api.hostile.test'], azp: ctx.clientId })),
      client: { trustedAudiences: ['api.hostile.test'] },
      expect: { ok: true },
    },
    {
      id: 'IT-16',
      title: 'several audiences (trusted) without azp',
      server: withClaims((ctx) => ({ aud: [ctx.clientId, 'api.hostile.test'] })),
      client: { trustedAudiences: ['api.hostile.test'] },
      expect: { code: 'azp_mismatch' },
    },
    { id: 'IT-16', title: 'single aud, azp is another client', server: withClaims({ azp: 'another-client' }), expect: { code: 'azp_mismatch' } },
    { id: 'IT-17', title: 'exp missing', server: withoutClaims('exp'), expect: { code: 'claim_invalid' } },
    { id: 'IT-18', title: 'exp 5 minutes ago', server: withClaims((ctx) => ({ exp: ctx.now - 300, iat: ctx.now - 600 })), expect: { code: 'token_expired' } },
    { id: 'IT-18', title: 'exp 10 s ago (within the 30 s tolerance)', server: withClaims((ctx) => ({ exp: ctx.now - 10, iat: ctx.now - 60 })), expect: { ok: true } },
    { id: 'IT-20', title: 'iat missing', server: withoutClaims('iat'), expect: { code: 'claim_invalid' } },
    { id: 'IT-21', title: 'iat a week old', server: withClaims((ctx) => ({ iat: ctx.now - 7 * 86400, auth_time: ctx.now - 7 * 86400 })), expect: { code: 'iat_invalid' } },
    { id: 'IT-22', title: 'iat 10 minutes in the future', server: withClaims((ctx) => ({ iat: ctx.now + 600, exp: ctx.now + 900 })), expect: { code: 'iat_invalid' } },
    { id: 'IT-22', title: 'iat 10 s in the future (within tolerance)', server: withClaims((ctx) => ({ iat: ctx.now + 10 })), expect: { ok: true } },
    {
      id: 'IT-22',
      title: 'iat 10 minutes in the future with clockToleranceSeconds 600 (the maximum)',
      server: withClaims((ctx) => ({ iat: ctx.now + 590, exp: ctx.now + 900 })),
      client: { clockToleranceSeconds: 600 },
      expect: { ok: true },
    },
    { id: 'IT-23', title: 'nbf 10 minutes in the future', server: withClaims((ctx) => ({ nbf: ctx.now + 600 })), expect: { code: 'not_yet_valid' } },
    { id: 'IT-23', title: 'nbf 10 s in the future (within tolerance)', server: withClaims((ctx) => ({ nbf: ctx.now + 10 })), expect: { ok: true } },
    { id: 'IT-24', title: 'sub missing', server: withoutClaims('sub'), expect: { code: 'claim_invalid' } },
    { id: 'IT-24', title: 'sub ""', server: withClaims({ sub: '' }), expect: { code: 'claim_invalid' } },
    { id: 'IT-24', title: 'sub a number', server: withClaims({ sub: 42 }), expect: { code: 'claim_invalid' } },
    { id: 'IT-25', title: 'nonce differs from the one sent', server: withClaims({ nonce: rand43() }), expect: { code: 'nonce_mismatch' } },
    { id: 'IT-26', title: 'nonce missing though sent', server: withoutClaims('nonce'), expect: { code: 'nonce_mismatch' } },
    {
      id: 'IT-27',
      title: 'nonce present though none was sent (scope without openid)',
      client: { scope: 'profile' },
      server: { idTokenAlways: true, ...withClaims({ nonce: 'unsolicited-nonce-value' }) },
      expect: { code: 'nonce_mismatch' },
    },
    { id: 'IT-28', title: 'wrong at_hash', server: withClaims({ at_hash: atHash('another-access-token') }), expect: { code: 'at_hash_mismatch' } },
    { id: 'IT-28', title: 'at_hash missing', server: withoutClaims('at_hash'), expect: { ok: true } },
    { id: 'IT-29', title: 'c_hash / s_hash present (ignored in the code flow)', server: withClaims({ c_hash: 'not-the-code-hash', s_hash: 'not-the-state-hash' }), expect: { ok: true } },
    ...[['-1', -1], ['null', null], ['"1"', '1'], ['[]', []], ['{}', {}], ['true', true]].map(([label, value]) => ({
      id: 'IT-30', title: `auth_time ${label}`, server: withClaims({ auth_time: value }), expect: { code: 'auth_time_invalid' },
    })),
    { id: 'IT-30', title: 'auth_time an hour old with max_age=60', login: { extraParams: { max_age: '60' } }, server: withClaims((ctx) => ({ auth_time: ctx.now - 3600 })), expect: { code: 'auth_time_invalid' } },
    { id: 'IT-30', title: 'auth_time missing with max_age=60', login: { extraParams: { max_age: '60' } }, server: withoutClaims('auth_time'), expect: { code: 'auth_time_invalid' } },
    { id: 'IT-30', title: 'auth_time recent with max_age=600', login: { extraParams: { max_age: '600' } }, expect: { ok: true } },
    { id: 'IT-31', title: 'no kid, exactly one key in the JWKS', server: { idToken: { header: (h) => { delete h.kid; return h; } }, ...jwksOf((s, ctx) => ({ keys: [ctx.keys.rs1.jwk] })) }, expect: { ok: true } },
    { id: 'IT-31', title: 'no kid, one RSA key among keys of other types', server: { idToken: { header: (h) => { delete h.kid; return h; } } }, expect: { ok: true } },
    { id: 'IT-32', title: 'no kid, several RS256 keys', server: { idToken: { header: (h) => { delete h.kid; return h; } }, ...jwksOf((s, ctx) => ({ keys: [ctx.keys.rs1.jwk, ctx.keys.rs2.jwk] })) }, expect: { code: 'key_ambiguous' } },
    {
      id: 'IT-32',
      title: 'two keys with the same kid',
      server: jwksOf((s, ctx) => ({ keys: [ctx.keys.rs1.jwk, { ...ctx.keys.rs2.jwk, kid: 'rs1' }] })),
      expect: { code: ['key_ambiguous', 'signature_invalid'] },
    },
    {
      // Catalogue: "not exhaustive". Keys offered in the token header are never used (RFC 8725 §3.10).
      id: 'IT-02+',
      title: 'token signed by an unpublished key that the header embeds (jwk, jku, x5u)',
      server: {
        idToken: {
          keyName: 'rs3',
          header: (h, ctx) => ({ ...h, kid: 'rs3', jwk: ctx.keys.rs3.jwk, jku: `${ctx.issuer}/jwks/attacker`, x5u: `${ctx.issuer}/jwks/x5u` }),
        },
      },
      expect: {
        code: 'key_not_found',
        requests: ID_TOKEN,
        check: ({ key }) => {
          const paths = server.requests(key).filter((r) => r.endpoint === 'jwks').map((r) => r.path);
          assert.deepEqual(paths, [`/case/${encodeURIComponent(key)}/jwks`], 'only the discovered jwks_uri is fetched, never jku/x5u');
        },
      },
    },
  ], { defaultRequests: ID_TOKEN });

  test('IT-33 unknown kid after a key rotation → one JWKS refetch, then accepted; still unknown → key_not_found without another fetch', async () => {
    const key = keyFor('IT-33');
    // Phase 1: JWKS [rs1], tokens signed by rs1. Phase 2 (rotation): JWKS [rs2], tokens by rs2.
    // Phase 3: tokens signed by rs3, which no JWKS ever publishes.
    const setPhase = (n) => server.defineCase(key, {
      jwks: (set, ctx) => ({ keys: [n === 1 ? ctx.keys.rs1.jwk : ctx.keys.rs2.jwk] }),
      idToken: { keyName: ['rs1', 'rs2', 'rs3'][n - 1] },
    });
    const issuer = setPhase(1);
    const options = { issuer, clientId: server.clientId, redirectUri: server.redirectUri, scope: 'openid' };
    const tab = await newTab(group);
    const loginOnce = async () => {
      const url = await call(tab, 'createAuthorizationUrl');
      assert.ok(url.ok, JSON.stringify(url.error));
      return handleCallback(tab, await authorizeToCallback(url.value));
    };
    try {
      await openApp(tab, server);
      assert.ok((await createClient(tab, options)).ok);
      setPhase(1);
      const first = await loginOnce();
      assert.equal(first.ok, true, JSON.stringify(first.error));
      assert.deepEqual(endpoints(key).filter((e) => e === 'jwks').length, 1);

      setPhase(2); // rotation: the JWKS now has only rs2, and the token is signed by rs2
      const mark2 = server.mark();
      const second = await loginOnce();
      assert.equal(second.ok, true, `after rotation: ${JSON.stringify(second.error)}`);
      assert.deepEqual(endpoints(key, mark2), ['authorize', 'token', 'jwks'], 'exactly one refetch of the JWKS');
      const p2 = await probe(tab);
      assert.equal(p2.isAuthenticated, true);

      setPhase(3); // a kid nobody published: no second refetch within the cooldown
      const mark3 = server.mark();
      const third = await loginOnce();
      assertCode(third.error, 'key_not_found');
      assert.deepEqual(endpoints(key, mark3), ['authorize', 'token'], 'the JWKS refetch is rate-limited');
      // Nothing half-applied: the previous session stands.
      const p3 = await probe(tab);
      assert.equal(p3.isAuthenticated, true);
      assert.equal(p3.accessToken, p2.accessToken);
      const secrets = secretsFor(key);
      await assertNoLeaks(tab, server, secrets, { errors: [third.error], cleanUrl: false });
      assertServerSide(key, secrets);
      await settled(key, counts(key));
    } finally {
      await tab.close();
    }
  });
});

// Issue 11.3: a 50 MB token response must not reach the module's memory. The body is read as a
// stream and cancelled after 256 KiB + 1 (the core's JSON limit), with and without a declared
// Content-Length; the module's linear memory (which never shrinks) grows by at most a few MiB.
describe('4.2 Token endpoint: unbounded bodies', SECTION, () => {
  section();
  for (const declared of [true, false]) {
    test(`TE-huge a 50 MB token response (${declared ? 'Content-Length declared' : 'chunked'}) → refused, memory bounded, nothing kept`, async () => {
      const key = keyFor('TE-huge');
      const huge = `{"access_token":"${'a'.repeat(50 * 1024 * 1024)}","token_type":"Bearer"}`;
      const issuer = server.defineCase(key, {
        token: () => raw(200, huge, { 'content-type': 'application/json', ...(declared ? { 'content-length': String(Buffer.byteLength(huge)) } : {}) }),
      });
      const tab = await newTab(group);
      try {
        await openApp(tab, server);
        assert.ok((await createClient(tab, { issuer, clientId: server.clientId, redirectUri: server.redirectUri, scope: 'openid' })).ok);
        const before = await tab.page.evaluate(async () => (await (await window.__spa()).default()).memory.buffer.byteLength);
        const url = await call(tab, 'createAuthorizationUrl');
        assert.ok(url.ok, JSON.stringify(url.error));
        const result = await handleCallback(tab, await authorizeToCallback(url.value));
        assert.equal(result.ok, false, 'refused');
        assert.ok(['token_response_not_json', 'token_response_too_large'].includes(result.error.code), JSON.stringify(result.error));
        const after = await tab.page.evaluate(async () => (await (await window.__spa()).default()).memory.buffer.byteLength);
        const grown = (after - before) / (1024 * 1024);
        assert.ok(grown <= 4, `linear memory grew by ${grown.toFixed(1)} MiB (before ${before}, after ${after})`);
        assert.deepEqual(endpoints(key).filter((e) => e === 'token'), ['token'], 'one token request, no retry');
        const p = await probe(tab);
        assert.equal(p.isAuthenticated, false);
      } finally {
        await tab.close();
      }
    });
  }
});

// ---------------------------------------------------------------------------------------------
describe('4.4 Discovery', SECTION, () => {
  section();
  const plainHttp = (field) => meta((m) => { m[field] = `http://as.example.test/${field}`; });
  cases([
    { id: 'DS-01', title: 'metadata issuer is another issuer', server: meta((m, ctx) => { m.issuer = `${ctx.asOrigin}/case/evil`; }), expect: { create: 'discovery_issuer_mismatch' } },
    { id: 'DS-02', title: 'metadata issuer has a trailing slash', server: meta((m) => { m.issuer += '/'; }), expect: { create: 'discovery_issuer_mismatch' } },
    { id: 'DS-02', title: 'metadata issuer has another path', server: meta((m) => { m.issuer += '/tenant'; }), expect: { create: 'discovery_issuer_mismatch' } },
    { id: 'DS-02', title: 'configured issuer has a trailing slash, metadata none', createOptions: (o) => ({ ...o, issuer: `${o.issuer}/` }), expect: { create: 'discovery_issuer_mismatch' } },
    { id: 'DS-03', title: 'issuer missing', server: meta((m) => { delete m.issuer; }), expect: { create: 'discovery_invalid' } },
    { id: 'DS-03', title: 'issuer a number', server: meta((m) => { m.issuer = 42; }), expect: { create: 'discovery_invalid' } },
    { id: 'DS-04', title: 'token_endpoint http://', server: plainHttp('token_endpoint'), expect: { create: 'discovery_invalid' } },
    { id: 'DS-04', title: 'jwks_uri http://', server: plainHttp('jwks_uri'), expect: { create: 'discovery_invalid' } },
    { id: 'DS-04', title: 'userinfo_endpoint http://', server: plainHttp('userinfo_endpoint'), expect: { create: 'discovery_invalid' } },
    { id: 'DS-04', title: 'revocation_endpoint http://', server: plainHttp('revocation_endpoint'), expect: { create: 'discovery_invalid' } },
    { id: 'DS-04', title: 'authorization_endpoint javascript:', server: meta((m) => { m.authorization_endpoint = 'javascript:alert(1)//'; }), expect: { create: ['discovery_invalid', 'insecure_endpoint'] } },
    { id: 'DS-06', title: 'discovery answers 302 to another host', server: meta((m, ctx) => raw(302, '', { location: `http://localhost:${new URL(ctx.asOrigin).port}/case/${encodeURIComponent(ctx.id)}/redirect-target` })), expect: { create: ['redirect_refused', 'discovery_invalid'] } },
    { id: 'DS-06', title: 'discovery answers 404', server: meta(() => raw(404, 'not found', { 'content-type': 'text/plain' })), expect: { create: 'discovery_invalid' } },
    { id: 'DS-06', title: 'discovery answers 500 with a JSON body', server: meta((m) => json(500, m)), expect: { create: 'discovery_invalid' } },
    { id: 'DS-06', title: 'discovery answers 200 HTML', server: meta(() => raw(200, '<html>hello</html>', { 'content-type': 'text/html' })), expect: { create: 'discovery_invalid' } },
    { id: 'DS-07', title: 'invalid JSON', server: meta((m) => json(200, `${JSON.stringify(m).slice(0, -1)},}`)), expect: { create: 'discovery_invalid' } },
    { id: 'DS-07', title: 'top-level array', server: meta((m) => json(200, [m])), expect: { create: 'discovery_invalid' } },
    { id: 'DS-07', title: 'duplicate issuer member', server: meta((m, ctx) => json(200, `{"issuer":"${ctx.asOrigin}/case/evil",${JSON.stringify(m).slice(1)}`)), expect: { create: 'discovery_invalid' } },
    { id: 'DS-08', title: 'token_endpoint absent', server: meta((m) => { delete m.token_endpoint; }), expect: { create: 'metadata_missing' } },
    { id: 'DS-08', title: 'authorization_endpoint absent', server: meta((m) => { delete m.authorization_endpoint; }), expect: { create: 'metadata_missing' } },
    { id: 'DS-09', title: 'jwks_uri absent while an ID token must be verified', server: meta((m) => { delete m.jwks_uri; }), expect: { code: 'metadata_missing', requests: TOKEN } },
    ...[['absent', (m) => { delete m.code_challenge_methods_supported; }], ['["plain"]', (m) => { m.code_challenge_methods_supported = ['plain']; }]].map(([label, f]) => ({
      id: 'DS-10',
      title: `code_challenge_methods_supported ${label} → still S256 with state and nonce`,
      server: meta(f),
      expect: {
        ok: true,
        check: ({ key }) => {
          const [a] = server.requests(key).filter((r) => r.endpoint === 'authorize');
          assert.equal(a.query.code_challenge_method, 'S256');
          assert.ok(a.query.state && a.query.nonce);
        },
      },
    })),
    {
      id: 'DS-11',
      title: 'jwks_uri changes on every discovery → the discovered one is used',
      server: meta((m) => { m.jwks_uri = `${m.issuer}/jwks/${rand43()}`; }),
      expect: {
        ok: true,
        check: ({ key }) => {
          const [j] = server.requests(key).filter((r) => r.endpoint === 'jwks');
          assert.equal(`${server.asOrigin}${j.path}`, server.lastMetadata(key).jwks_uri);
        },
      },
    },
    { id: 'DS-12', title: 'iss support not advertised, no iss → accepted', server: { ...meta((m) => { m.authorization_response_iss_parameter_supported = false; }), ...authz((p) => { p.delete('iss'); }) }, expect: { ok: true } },
    { id: 'DS-12', title: 'iss support advertised, no iss → required', server: authz((p) => { p.delete('iss'); }), expect: { code: 'iss_missing' } },
    { id: 'DS-13', title: 'configured issuer with ?query', createOptions: (o) => ({ ...o, issuer: `${o.issuer}?tenant=1` }), expect: { create: 'invalid_config', requests: [] } },
    { id: 'DS-13', title: 'configured issuer with #fragment', createOptions: (o) => ({ ...o, issuer: `${o.issuer}#frag` }), expect: { create: ['insecure_endpoint', 'invalid_config'], requests: [] } },
    { id: 'DS-13', title: 'configured issuer http:// (not loopback)', createOptions: (o) => ({ ...o, issuer: 'http://as.example.test' }), expect: { create: 'insecure_endpoint', requests: [] } },
  ]);

  test('DS-02 bare-origin issuer vs metadata issuer with a trailing slash → discovery_issuer_mismatch', async () => {
    server.defineCase('@root', { rootMetadata: () => ({ issuer: `${server.asOrigin}/`, authorization_endpoint: `${server.asOrigin}/authorize`, token_endpoint: `${server.asOrigin}/token` }) });
    const tab = await newTab(group);
    try {
      await openApp(tab, server);
      const r = await createClient(tab, { issuer: server.asOrigin, clientId: server.clientId, redirectUri: server.redirectUri });
      assertCode(r.error, 'discovery_issuer_mismatch');
      assert.deepEqual(endpoints('@root'), ['discovery']);
      await assertNoLeaks(tab, server, {}, { errors: [r.error], cleanUrl: false });
    } finally {
      await tab.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------
describe('4.5 JWKS', SECTION, () => {
  section();
  const es256 = meta((m) => { m.id_token_signing_alg_values_supported = ['ES256']; });
  cases([
    { id: 'JW-01', title: 'keys is an object', server: jwksOf(() => ({ keys: {} })), expect: { code: 'jwks_invalid' } },
    { id: 'JW-01', title: 'keys members are not objects', server: jwksOf(() => ({ keys: ['rs1', 1, null] })), expect: { code: ['jwks_invalid', 'key_not_found'] } },
    { id: 'JW-01', title: 'invalid JSON', server: jwksOf(() => json(200, '{"keys":[')), expect: { code: 'jwks_invalid' } },
    { id: 'JW-01', title: 'top-level array of keys', server: jwksOf((s) => json(200, s.keys)), expect: { code: 'jwks_invalid' } },
    { id: 'JW-01', title: 'non-200 (404) with a valid JWK Set', server: jwksOf((s) => json(404, s)), expect: { code: 'jwks_invalid' } },
    { id: 'JW-02', title: 'text/html, non-JSON body', server: jwksOf(() => raw(200, '<html>keys</html>', { 'content-type': 'text/html' })), expect: { code: 'jwks_invalid' } },
    { id: 'JW-03', title: 'only EC keys for an RS256 token', server: jwksOf((s, ctx) => ({ keys: [{ ...ctx.keys.es1.jwk, kid: 'rs1' }] })), expect: { code: 'key_not_found' } },
    { id: 'JW-05', title: 'EC key with the wrong crv (P-384 for ES256)', server: { ...es256, idToken: { alg: 'ES256' }, ...jwksOf((s, ctx) => ({ keys: [{ ...ctx.keys.es384.jwk, kid: 'es1' }] })) }, client: { idTokenSigningAlgValues: ['ES256'] }, expect: { code: 'key_not_found' } },
    { id: 'JW-05', title: 'use "enc"', server: jwksOf((s, ctx) => ({ keys: [{ ...ctx.keys.rs1.jwk, use: 'enc' }] })), expect: { code: 'key_not_found' } },
    { id: 'JW-05', title: 'key_ops without "verify"', server: jwksOf((s, ctx) => { const k = { ...ctx.keys.rs1.jwk, key_ops: ['encrypt'] }; delete k.use; return { keys: [k] }; }), expect: { code: 'key_not_found' } },
    { id: 'JW-05', title: 'jwk alg RS512 for an RS256 token', server: jwksOf((s, ctx) => ({ keys: [{ ...ctx.keys.rs1.jwk, alg: 'RS512' }] })), expect: { code: 'key_not_found' } },
    { id: 'JW-05', title: 'jwk alg RS256 matches (positive)', server: jwksOf((s, ctx) => ({ keys: [{ ...ctx.keys.rs1.jwk, alg: 'RS256', key_ops: ['verify'] }] })), expect: { ok: true } },
    { id: 'JW-06', title: 'RSA modulus of 1024 bits', server: { idToken: { keyName: 'weak' }, ...jwksOf((s, ctx) => ({ keys: [ctx.keys.weak.jwk] })) }, expect: { code: 'key_not_found' } },
    { id: 'JW-07', title: 'only an oct key with the token\'s kid', server: jwksOf(() => ({ keys: [{ kty: 'oct', kid: 'rs1', k: b64url(randomBytes(32)) }] })), expect: { code: 'key_not_found' } },
    {
      id: 'JW-07',
      title: 'private members (d, p, q, ...) on the RSA key are ignored',
      server: jwksOf((s, ctx) => ({ keys: [{ ...ctx.keys.rs1.privateKey.export({ format: 'jwk' }), kid: 'rs1', use: 'sig' }] })),
      expect: { ok: true },
    },
    { id: 'JW-08', title: 'jwks_uri answers 503', server: jwksOf(() => raw(503, 'unavailable', { 'content-type': 'text/plain' })), expect: { code: 'jwks_invalid' } },
    { id: 'JW-08', title: 'jwks_uri never answers (timeoutMs 1500)', server: jwksOf(() => raw(200, '', {}, { hang: true })), client: { timeoutMs: 1500 }, expect: { code: 'timeout' } },
    {
      id: 'JW-10',
      title: 'jwks_uri answers 302 to another host',
      server: jwksOf((s, ctx) => raw(302, '', { location: `http://localhost:${new URL(ctx.asOrigin).port}/case/${encodeURIComponent(ctx.id)}/redirect-target` })),
      expect: { code: 'redirect_refused' },
    },
  ], { defaultRequests: ID_TOKEN });
});

// ---------------------------------------------------------------------------------------------
describe('4.6 UserInfo', SECTION, () => {
  section();
  /** After a good login: getUserInfo() → expectation. */
  const userinfoCase = (id, title, spec, check) => ({
    id,
    title,
    server: spec,
    expect: { ok: true },
    after: async (ctx) => {
      const mark = server.mark();
      const r = await call(ctx.tab, 'getUserInfo');
      const user = await ctx.tab.page.evaluate(() => window.__auth.getUser());
      const p = await probe(ctx.tab);
      await check({ ...ctx, r, user, probe: p });
      const seen = endpoints(ctx.key, mark);
      assert.deepEqual(seen, ['userinfo'], `requests of getUserInfo: ${JSON.stringify(seen)}`);
      return r.ok ? [] : [r.error];
    },
  });
  const rejects = (code, extra) => ({ r, user, probe: p }) => {
    assertCode(r.error, code, 'getUserInfo: ');
    assert.equal(user.email, undefined, 'UserInfo claims were merged after a rejection');
    assert.equal(user.name, 'Alice Hostile', 'getUser() keeps the ID token claims');
    assert.equal(p.isAuthenticated, true, 'the login itself stands');
    extra?.(r);
  };
  const defs = [
    userinfoCase('UI-01', 'sub differs from the ID token sub → userinfo_sub_mismatch', { userinfo: (b) => ({ ...b, sub: 'bob' }) }, rejects('userinfo_sub_mismatch')),
    userinfoCase('UI-02', 'sub missing → userinfo_invalid', { userinfo: (b) => { delete b.sub; return b; } }, rejects('userinfo_invalid')),
    userinfoCase('UI-02', 'sub a number → userinfo_invalid', { userinfo: (b) => ({ ...b, sub: 42 }) }, rejects('userinfo_invalid')),
    userinfoCase('UI-03', '401 WWW-Authenticate: Bearer error="invalid_token" → userinfo_invalid (status 401), no retry loop', { userinfo: () => raw(401, '', { 'www-authenticate': 'Bearer error="invalid_token", error_description="expired"' }) }, rejects('userinfo_invalid', (r) => assert.equal(r.error.status, 401))),
    userinfoCase('UI-04', '500 → userinfo_invalid', { userinfo: (b) => json(500, b) }, rejects('userinfo_invalid', (r) => assert.equal(r.error.status, 500))),
    userinfoCase('UI-04', '201 with valid claims → userinfo_invalid', { userinfo: (b) => json(201, b) }, rejects('userinfo_invalid')),
    userinfoCase('UI-04', '302 to another host → redirect_refused', { userinfo: (b, ctx) => raw(302, '', { location: `http://localhost:${new URL(ctx.asOrigin).port}/case/${encodeURIComponent(ctx.id)}/redirect-target` }) }, rejects('redirect_refused')),
    userinfoCase('UI-05', 'application/jwt with alg none → userinfo_invalid', { userinfo: (b) => raw(200, `${b64json({ alg: 'none' })}.${b64json(b)}.`, { 'content-type': 'application/jwt' }) }, rejects('userinfo_invalid')),
    userinfoCase('UI-05', 'application/jwt correctly signed (signed UserInfo unsupported) → userinfo_invalid', { userinfo: (b, ctx) => raw(200, signJws('RS256', ctx.keys.rs1, { alg: 'RS256', kid: 'rs1' }, { ...b, iss: ctx.issuer, aud: ctx.clientId }), { 'content-type': 'application/jwt' }) }, rejects('userinfo_invalid')),
    userinfoCase('UI-05', 'HTML with a JSON-looking body → userinfo_invalid', { userinfo: (b) => raw(200, JSON.stringify(b), { 'content-type': 'text/html' }) }, rejects('userinfo_invalid')),
    userinfoCase('UI-07', 'baseline: access token in the Authorization header only, claims merged', {}, ({ r, user, key }) => {
      assert.equal(r.ok, true, JSON.stringify(r.error));
      assert.equal(r.value.sub, 'alice');
      assert.equal(user.email, 'alice@hostile.test');
      assert.equal(user.name, 'Alice from UserInfo', 'UserInfo wins for the claims it carries');
      const [u] = server.requests(key).filter((x) => x.endpoint === 'userinfo');
      assert.equal(u.method, 'GET');
      assert.equal(u.authorization, `Bearer ${server.secrets(key).access_token}`);
      assert.equal(u.rawQuery, '', 'nothing in the UserInfo URL');
      assert.equal(u.rawBody, '');
      assert.equal(u.referer, null);
    }),
  ];
  for (const def of defs) {
    test(`${def.id} ${def.title}`, def.todo ? { todo: def.todo } : {}, () => runCase(def));
  }

  // Catalogue UI-03: "surface the challenge; at most one refresh-and-retry". The SDK does not
  // retry (one UserInfo request, no refresh): that is within the bound, which is what is asserted,
  // so that a future refresh-and-retry passes as long as it stops after one.
  test('UI-03 (retry part) 401 invalid_token from UserInfo with a refresh token in hand → userinfo_invalid (status 401), at most one refresh-and-retry, no loop', (t) => runSession({
    id: 'UI-03',
    server: { userinfo: () => raw(401, '', { 'www-authenticate': 'Bearer error="invalid_token", error_description="revoked"', 'access-control-expose-headers': 'WWW-Authenticate' }) },
    run: async (ctx) => {
      const mark = server.mark();
      const r = await call(ctx.tab, 'getUserInfo');
      assertCode(r.error, 'userinfo_invalid', 'getUserInfo: ');
      assert.equal(r.error.status, 401);
      await sleep(BACKOFF_MS + 500); // a retry loop (or a delayed retry) would show by now
      const seen = endpoints(ctx.key, mark);
      const ui = server.requests(ctx.key).filter((x) => x.seq > mark && x.endpoint === 'userinfo');
      const rf = refreshes(ctx.key, mark);
      t.diagnostic(`requests after the 401: ${JSON.stringify(seen)}; error.error: ${r.error.error ?? '(none)'}`);
      assert.ok(rf.length <= 1, `${rf.length} refresh requests after the 401`);
      assert.ok(ui.length <= 1 + rf.length, `${ui.length} UserInfo requests for ${rf.length} refresh(es)`);
      assert.ok(matchRequests(seen, ['userinfo', 'refresh?', 'userinfo?']), `requests after the 401: ${JSON.stringify(seen)}`);
      if (ui.length === 2) assert.equal(ui[1].authorization, `Bearer ${server.issued(ctx.key).at(-1).access_token}`, 'the retry uses the refreshed access token');
      const view = await sessionView(ctx.tab);
      assert.equal(view.isAuthenticated, true, 'a UserInfo 401 does not end the session');
      assert.equal(view.user.email, undefined, 'no UserInfo claims merged');
      return [r.error];
    },
  }, t));
});

// ---------------------------------------------------------------------------------------------
describe('4.7 Refresh', WAITING_SECTION, () => {
  section();
  const flipLast = (sig) => { const s = Buffer.from(sig); s[s.length - 1] ^= 0x01; return s; };
  const elsewhere = (ctx) => `http://localhost:${new URL(ctx.asOrigin).port}/case/${encodeURIComponent(ctx.id)}/redirect-target`;
  const refreshRequestShape = (r, rt) => {
    assert.equal(r.method, 'POST');
    assert.match(r.contentType, /^application\/x-www-form-urlencoded/);
    assert.deepEqual(r.form, { grant_type: 'refresh_token', refresh_token: rt, client_id: server.clientId }, 'the refresh request (RFC 6749 §6, public client)');
    assert.equal(r.authorization, null, 'no client authentication');
    assert.equal(r.cookie, null, 'no cookies');
    assert.equal(r.referer, null, 'no Referer');
    assert.equal(r.rawQuery, '', 'nothing in the token request URL');
  };
  sessionCases([
    {
      id: 'RT-01',
      title: 'rotation on every refresh: the new refresh token replaces the old one, which is never presented again',
      client: DUE_SOON,
      // The first refresh's token is due again at once (expires_in 3600, margin 3598): two
      // renewals in a row, the second must present the rotated refresh token.
      server: { refresh: { expiresIn: (n) => (n === 1 ? 3600 : 7200) } },
      run: async ({ key, tab, first }) => {
        const got1 = await renewWhenDue(tab);
        const got2 = await renewWhenDue(tab);
        const [r1, r2] = refreshes(key);
        const [, i1, i2] = server.issued(key);
        assert.deepEqual([got1.value, got2.value], [i1.access_token, i2.access_token], 'getAccessToken(): each renewal\'s access token');
        refreshRequestShape(r1, first.refresh_token);
        assert.notEqual(i1.refresh_token, first.refresh_token, 'the server rotated the refresh token');
        refreshRequestShape(r2, i1.refresh_token);
        assert.equal(server.refreshTokenState(key, first.refresh_token), 'rotated');
        assert.equal(server.refreshTokenState(key, i1.refresh_token), 'rotated');
        assert.equal(server.refreshTokenState(key, i2.refresh_token), 'valid');
        const got = await call(tab, 'getAccessToken');
        assert.equal(got.value, i2.access_token, 'getAccessToken(): the latest access token');
        const view = await sessionView(tab);
        assert.equal(view.claims.iat, payload(i2.id_token).iat, 'the claims of the latest ID token');
        assert.equal(view.claims.sub, 'alice');
        assert.ok(Math.abs(view.expiry - (Date.now() + 7200_000)) < 5000, 'getTokenExpiry() of the latest token');
        const evs = await named(tab, 'tokenRefreshed');
        assert.deepEqual(evs.map((e) => e.detail.source), ['refresh', 'refresh']);
        assert.equal(refreshes(key).length, 2, 'two refresh requests');
        return [];
      },
    },
    {
      id: 'RT-02',
      title: 'refresh response without refresh_token → the current one is kept and presented again',
      client: DUE_SOON,
      server: { refresh: { expiresIn: (n) => (n === 1 ? 3600 : 7200), body: (b, ctx) => { if (ctx.refreshCount === 1) delete b.refresh_token; } } },
      run: async ({ key, tab, first }) => {
        await renewWhenDue(tab);
        await renewWhenDue(tab);
        const [r1, r2] = refreshes(key);
        const [, i1, i2] = server.issued(key);
        assert.equal(i1.refresh_token, undefined);
        refreshRequestShape(r1, first.refresh_token);
        refreshRequestShape(r2, first.refresh_token);
        assert.equal((await call(tab, 'getAccessToken')).value, i2.access_token);
        assert.equal(refreshes(key).length, 2);
        return [];
      },
    },
    {
      id: 'RT-03',
      title: 'invalid_grant on refresh → sessionExpired, tokens cleared, login_required, exactly one attempt',
      client: DUE_SOON,
      server: firstRefreshAnswers(() => json(400, { error: 'invalid_grant', error_description: 'refresh token revoked' })),
      run: sessionEnds('login_required'),
    },
    {
      id: 'RT-03',
      title: 'invalid_grant after a successful rotation (the grant was revoked meanwhile) → session ends, no retry',
      client: DUE_SOON,
      server: { refresh: { expiresIn: (n) => (n === 1 ? 3600 : 7200), response: (ctx) => (ctx.refreshCount === 2 ? json(400, { error: 'invalid_grant' }) : undefined) } },
      run: async (ctx) => {
        assert.equal((await renewWhenDue(ctx.tab)).value, server.issued(ctx.key)[1].access_token, 'the first renewal');
        const refused = await renewWhenDue(ctx.tab);
        assertCode(refused.error, 'login_required');
        await waitFor(async () => (await named(ctx.tab, 'sessionExpired')).length, 'sessionExpired');
        await assertSessionGone(ctx.tab, ctx.key);
        await sleep(BACKOFF_MS + 600);
        const [, r2] = refreshes(ctx.key);
        assert.equal(refreshes(ctx.key).length, 2, 'one refresh, then one refused attempt, then nothing');
        assert.equal(r2.form.refresh_token, server.issued(ctx.key)[1].refresh_token, 'the refused attempt presented the rotated token');
        assert.equal((await named(ctx.tab, 'sessionExpired')).length, 1);
        return [];
      },
    },
    ...[
      ['another issuer', (c, ctx) => ({ iss: `${ctx.asOrigin}/case/evil` })],
      ['the issuer with a trailing slash', (c) => ({ iss: `${c.iss}/` })],
    ].map(([what, patch]) => ({
      id: 'RT-05',
      title: `refreshed ID token with ${what} → rejected (issuer_mismatch): response discarded, old token kept, retry after the backoff`,
      client: DUE_SOON,
      server: firstRefreshClaims(patch),
      run: keptWithBackoff('issuer_mismatch'),
    })),
    {
      id: 'RT-06',
      title: 'refreshed ID token for another sub → id_token_changed: session cleared, never a silent user switch',
      client: DUE_SOON,
      server: firstRefreshClaims({ sub: 'mallory' }),
      run: sessionEnds('id_token_changed'),
    },
    {
      id: 'RT-07',
      title: 'refreshed ID token for another aud → rejected (audience_mismatch): discarded, old token kept, retry after the backoff',
      client: DUE_SOON,
      server: firstRefreshClaims({ aud: 'another-client' }),
      run: keptWithBackoff('audience_mismatch'),
    },
    {
      id: 'RT-07',
      title: 'refreshed ID token with an added (trusted) audience and azp → id_token_changed, session cleared',
      client: { ...DUE_SOON, trustedAudiences: ['api.hostile.test'] },
      server: firstRefreshClaims((c, ctx) => ({ aud: [ctx.clientId, 'api.hostile.test'], azp: ctx.clientId })),
      run: sessionEnds('id_token_changed'),
    },
    {
      id: 'RT-07',
      title: 'refreshed ID token with azp added when the login token had none → id_token_changed, session cleared',
      client: DUE_SOON,
      server: firstRefreshClaims((c, ctx) => ({ azp: ctx.clientId })),
      run: sessionEnds('id_token_changed'),
    },
    {
      id: 'RT-07',
      title: 'refreshed ID token with azp another client → rejected (azp_mismatch): discarded, old token kept, retry after the backoff',
      client: DUE_SOON,
      server: firstRefreshClaims({ azp: 'another-client' }),
      run: keptWithBackoff('azp_mismatch'),
    },
    {
      id: 'RT-07',
      title: 'refreshed ID token with a changed auth_time → id_token_changed, session cleared',
      client: DUE_SOON,
      server: firstRefreshClaims((c) => ({ auth_time: c.auth_time + 60 })),
      run: sessionEnds('id_token_changed'),
    },
    {
      id: 'RT-07',
      title: 'refreshed ID token with a changed auth_time, allowAuthTimeChange (issue 15 quirk) → session kept with the login\'s claims, warning event',
      client: { ...DUE_SOON, allowAuthTimeChange: true },
      server: firstRefreshClaims((c) => ({ auth_time: c.auth_time + 60 })),
      run: async (ctx) => {
        const { key, tab } = ctx;
        const r = await renewWhenDue(tab);
        assert.equal(r.ok, true, JSON.stringify(r.error));
        await waitFor(async () => (await named(tab, 'tokenRefreshed')).length === 1, 'tokenRefreshed');
        const evs = await events(tab);
        assert.deepEqual(evs.filter((e) => e.name === 'warning').map((e) => e.detail), [{ code: 'auth_time_changed' }], 'one warning event');
        assert.deepEqual(evs.filter((e) => e.name === 'sessionExpired' || e.name === 'error'), []);
        const view = await sessionView(tab);
        assert.equal(view.isAuthenticated, true);
        assert.deepEqual(view.claims, ctx.login.claims, 'the original claims (auth_time of the login) are kept');
        const good = server.issued(key).at(-1);
        assert.equal((await call(tab, 'getAccessToken')).value, good.access_token, 'the refreshed access token');
        return [];
      },
    },
    {
      id: 'RT-07',
      title: 'refreshed ID token with a different nonce → rejected (nonce_mismatch): discarded, old token kept, retry after the backoff',
      client: DUE_SOON,
      server: firstRefreshClaims({ nonce: rand43() }),
      run: keptWithBackoff('nonce_mismatch'),
    },
    {
      id: 'RT-08',
      title: 'refreshed ID token without nonce → accepted',
      client: DUE_SOON,
      server: firstRefreshIdToken({ claims: (c) => { delete c.nonce; return c; } }),
      run: async (ctx) => {
        const i1 = await refreshedOnce(ctx);
        assert.equal(payload(i1.id_token).nonce, undefined);
        const view = await sessionView(ctx.tab);
        assert.equal(view.isAuthenticated, true);
        assert.equal(view.claims.sub, 'alice');
        assert.equal(view.claims.nonce, undefined, 'the claims of the refreshed ID token');
        assert.equal(view.claims.iat, payload(i1.id_token).iat);
        assert.deepEqual((await events(ctx.tab)).filter((e) => e.name !== 'tokenRefreshed'), []);
        return [];
      },
    },
    {
      id: 'RT-08',
      title: 'refreshed ID token with the original nonce → accepted',
      client: DUE_SOON,
      run: async (ctx) => {
        const i1 = await refreshedOnce(ctx);
        assert.equal(payload(i1.id_token).nonce, ctx.txns[0].nonce);
        assert.equal((await sessionView(ctx.tab)).claims.iat, payload(i1.id_token).iat);
        return [];
      },
    },
    {
      id: 'RT-08',
      title: 'refresh response without an ID token → accepted, the login\'s claims kept',
      client: DUE_SOON,
      server: { refresh: { idToken: () => null } },
      run: async (ctx) => {
        const i1 = await refreshedOnce(ctx);
        assert.equal(i1.id_token, undefined);
        assert.deepEqual((await sessionView(ctx.tab)).claims, ctx.login.claims);
        return [];
      },
    },
    ...[
      ['a flipped signature bit', { signature: flipLast }, 'signature_invalid'],
      ['alg "none"', { alg: 'none', header: () => ({ alg: 'none', typ: 'JWT' }) }, 'alg_unsupported'],
      ['HS256 keyed with the AS RSA public key', { alg: 'HS256', header: (h) => ({ ...h, alg: 'HS256', kid: 'rs1' }), signOptions: (ctx) => ({ hmacSecret: Buffer.from(ctx.keys.rs1.publicKey.export({ type: 'spki', format: 'pem' })) }) }, 'alg_unsupported'],
      ['exp 5 minutes ago', { claims: (c, ctx) => ({ ...c, exp: ctx.now - 300, iat: ctx.now - 600 }) }, 'token_expired'],
      ['a key the JWKS does not publish', { keyName: 'rs3' }, 'key_not_found'],
      ['a wrong at_hash', { claims: (c) => ({ ...c, at_hash: atHash('another-access-token') }) }, 'at_hash_mismatch'],
    ].map(([what, spec, code]) => ({
      id: 'RT-09',
      title: `refreshed ID token with ${what} → ${code}: response discarded, old token kept and handed out, error event, retry only after the backoff`,
      client: DUE_SOON,
      server: firstRefreshIdToken(spec),
      run: keptWithBackoff(code),
    })),
    // Catalogue: "not exhaustive". Only invalid_grant ends the session (RT-03): every other
    // failure keeps the still-valid token and backs off (README "Token lifecycle").
    {
      id: 'RT-03+',
      title: 'refresh answered 200 without access_token but with a rotated refresh token (the presented one retired) → access_token_invalid: token kept, the retry presents the NEW refresh token (issue 11.4), no reuse',
      client: DUE_SOON,
      server: { refresh: { body: (b, ctx) => { if (ctx.refreshCount === 1) delete b.access_token; } } },
      run: keptWithBackoff('access_token_invalid'),
    },
    {
      id: 'RT-03+',
      title: 'refresh answered 503 → token_response_status: token kept, error event, retry after the backoff',
      client: DUE_SOON,
      server: firstRefreshAnswers(() => json(503, { error: 'temporarily_unavailable' })),
      run: keptWithBackoff('token_response_status', (ctx, { failure }) => { assert.equal(failure.detail.status, 503); }),
    },
    {
      id: 'RT-03+',
      title: 'refresh answered 302 to another host → redirect_refused (not followed): token kept, retry after the backoff',
      client: DUE_SOON,
      server: firstRefreshAnswers((ctx) => raw(302, '', { location: elsewhere(ctx) })),
      run: keptWithBackoff('redirect_refused'),
    },
    {
      id: 'RT-03+',
      title: 'refresh response without CORS headers → network_error: token kept, retry after the backoff',
      client: DUE_SOON,
      server: firstRefreshAnswers(() => ({ ...json(200, { access_token: 'AT-unreadable', token_type: 'Bearer' }), cors: false })),
      run: keptWithBackoff('network_error'),
    },
    {
      id: 'RT-03+',
      title: 'refresh refused with invalid_request (not invalid_grant) → token_error: token kept, retry after the backoff',
      client: DUE_SOON,
      server: firstRefreshAnswers(() => json(400, { error: 'invalid_request', error_description: 'try later' })),
      run: keptWithBackoff('token_error', (ctx, { failure }) => { assert.equal(failure.detail.error, 'invalid_request'); }),
    },
    {
      id: 'RT-04',
      title: '100 concurrent getAccessToken() calls when a refresh is due (slow answer) → one request, one new token for all',
      client: DUE_SOON,
      server: { refresh: { delayMs: 400 } },
      run: async ({ key, tab }) => {
        const values = await tab.page.evaluate(async (m) => {
          const due = window.__auth.getTokenExpiry() - m * 1000;
          await new Promise((resolve) => { setTimeout(resolve, Math.max(0, due - Date.now()) + 30); });
          const results = await Promise.allSettled(Array.from({ length: 100 }, () => window.__auth.getAccessToken()));
          return results.map((r) => (r.status === 'fulfilled' ? r.value : `rejected: ${r.reason?.code}`));
        }, DUE_SOON.refreshMarginSeconds);
        const [, i1] = server.issued(key);
        assert.deepEqual([...new Set(values)], [i1.access_token], 'all 100 callers got the one new access token');
        assert.equal(refreshes(key).length, 1, 'exactly one refresh request');
        assert.equal((await named(tab, 'tokenRefreshed')).length, 1);
        return [];
      },
    },
    {
      id: 'RT-04',
      title: 'two tabs sharing the session, both due at once → one refresh request (Web Lock), both get the new token, no reuse',
      client: DUE_SOON,
      server: { refresh: { delayMs: 300 } },
      run: async (ctx) => {
        const { key, tab } = ctx;
        const other = await restoredTab(ctx);
        const burst = (tb) => tb.page.evaluate(async (m) => {
          const due = window.__auth.getTokenExpiry() - m * 1000;
          await new Promise((resolve) => { setTimeout(resolve, Math.max(0, due - Date.now()) + 30); });
          const results = await Promise.allSettled(Array.from({ length: 20 }, () => window.__auth.getAccessToken()));
          return results.map((r) => (r.status === 'fulfilled' ? r.value : `rejected: ${r.reason?.code}`));
        }, DUE_SOON.refreshMarginSeconds);
        // tab 2 adopted the session when it joined (a tokenRefreshed 'tab' event, possibly
        // recorded): only what happens from the due time on counts.
        const before = (await named(tab, 'tokenRefreshed')).length + (await named(other, 'tokenRefreshed')).length;
        const [a, b] = await Promise.all([burst(tab), burst(other)]);
        await sleep(500);
        const [, i1] = server.issued(key);
        assert.deepEqual([...new Set(a)], [i1.access_token], 'tab 1: the new access token');
        assert.deepEqual([...new Set(b)], [i1.access_token], 'tab 2: the same new access token');
        assert.equal(refreshes(key).length, 1, 'exactly one refresh request for the two tabs');
        const all = [...await named(tab, 'tokenRefreshed'), ...await named(other, 'tokenRefreshed')];
        // The renewed token lives 7200 s, the login's 3600 s.
        const sources = all.filter((e) => e.detail.expiresAt > Date.now() + 3700_000).map((e) => e.detail.source).sort();
        assert.equal(all.length - before, 2, 'two tokenRefreshed events for the renewal (one per tab)');
        assert.deepEqual(sources, ['refresh', 'tab'], 'one tab refreshed, the other adopted its session');
        return [];
      },
    },
  ]);
});

// ---------------------------------------------------------------------------------------------
// §4.8 DPoP (RFC 9449): the package's full build with `dpop: true`. The hostile AS validates every
// proof it receives (server.js: typ, alg ES256, a public P-256 jwk only, the signature with that
// jwk, a unique jti, htm, htu without query and fragment, iat ±60 s, ath on UserInfo / resource
// requests only and correct, the nonce one this server issued and never the other server's, one
// key for the code exchange and every refresh); each defect is a protocol violation, and the
// cases assert there is none. The resource server of a DPoP case is on its own origin
// (server.rsOrigin) with nonces of its own (RFC 9449 §9). Nonce policies and token_type per case.
// Every case also asserts, for every request that must carry a proof (token, refresh, UserInfo,
// resource), that it did, with the session's key (dpopThumbprint()); no dpop_jkt on the
// authorization request (DP-13); no proof on revocation; and the leak checks with every proof
// and the key's public coordinates among the secrets, no IndexedDB at all and no JWK or PEM in
// any storage or on the console (the key is memory-only and not extractable: DP-14).
describe('4.8 DPoP (RFC 9449)', SECTION, () => {
  section();
  const SCOPE = 'openid data:read';
  const PROOF_ENDPOINTS = ['token', 'refresh', 'userinfo', 'rs'];
  const rsOf = (issuer) => `${issuer.replace(server.asOrigin, server.rsOrigin)}/rs`;
  const byEp = (key, ep, since = 0) => server.requests(key).filter((r) => r.endpoint === ep && r.seq > since);
  const asSide = (key, since = 0) => server.requests(key).filter((r) => ['token', 'refresh', 'userinfo'].includes(r.endpoint) && r.seq > since);
  const thumbprint = (tab) => tab.page.evaluate(() => window.__auth.dpopThumbprint());
  /** auth.fetch(url, init) in the page: { ok, status, body, wwwAuthenticate } or { ok: false, error }. */
  const dpFetch = (tab, url, init) => tab.page.evaluate(async ({ u, i }) => {
    try {
      const r = await window.__auth.fetch(u, i ?? undefined);
      return { ok: true, status: r.status, body: await r.text(), wwwAuthenticate: r.headers.get('www-authenticate') };
    } catch (e) {
      return { ok: false, error: window.__ser(e) };
    }
  }, { u: url, i: init ?? null });

  /** The key's public coordinates: a persisted key (JWK, or anything derived) would carry them. */
  const keySecrets = (key) => {
    const out = {};
    for (const [jkt, { x, y }] of server.dpop(key).keys) Object.assign(out, { [`dpop key ${jkt} x`]: x, [`dpop key ${jkt} y`]: y });
    return out;
  };
  /** Memory-only key (DP-14): no IndexedDB at all, no JWK or PEM in storage or on the console. */
  function assertKeyMemoryOnly(dump, ctx, tab) {
    assert.deepEqual(dump.indexedDB.databases, [], 'IndexedDB databases exist (the DPoP key must stay in memory)');
    const text = JSON.stringify([dump.localStorage, dump.sessionStorage, dump.indexedDB, dump.cacheStorage, dump.documentCookie, dump.historyState, tab.log.console]);
    assert.doesNotMatch(text, /\\?"(d|kty|crv)\\?"\s*:|PRIVATE KEY/, 'key material (a JWK or a PEM) in storage or on the console');
  }

  /**
   * What every DPoP case asserts about the requests it made: a proof on every token, refresh,
   * UserInfo and resource request, of key `jkt`, well formed (the server validated the rest and
   * recorded violations), ath exactly on UserInfo / resource requests, the DPoP scheme there,
   * unique jti; no proof on revocation; no dpop_jkt on the authorization request (DP-13); every
   * nonce sent is one its own server issued (DP-08).
   */
  function assertProofs(key, jkt) {
    const reqs = server.requests(key);
    const { nonces } = server.dpop(key);
    const jtis = [];
    for (const r of reqs.filter((q) => PROOF_ENDPOINTS.includes(q.endpoint))) {
      const where = `${r.endpoint} request #${r.seq}: `;
      assert.ok(r.dpop, `${where}no DPoP proof`);
      const d = r.dpop;
      assert.deepEqual({ typ: d.typ, alg: d.alg, header: [...d.headerKeys].sort(), jwk: [...d.jwkKeys].sort(), signatureValid: d.signatureValid }, { typ: 'dpop+jwt', alg: 'ES256', header: ['alg', 'jwk', 'typ'], jwk: ['crv', 'kty', 'x', 'y'], signatureValid: true }, `${where}proof header`);
      assert.equal(d.jkt, jkt, `${where}the proof is not signed with the session's key`);
      assert.equal(d.htm, r.method, `${where}htm`);
      assert.equal(d.htu, `${r.endpoint === 'rs' ? server.rsOrigin : server.asOrigin}${r.path}`, `${where}htu`);
      assert.ok(Math.abs(d.iat - r.at / 1000) <= 5, `${where}iat ${d.iat} vs ${r.at / 1000}`);
      const resource = r.endpoint === 'userinfo' || r.endpoint === 'rs';
      assert.equal(d.ath !== undefined, resource, `${where}ath ${resource ? 'missing' : 'present on a token request'}`);
      if (resource) assert.match(r.authorization ?? '', /^DPoP /, `${where}the DPoP scheme`);
      assert.deepEqual(d.claimKeys.filter((k) => !['jti', 'htm', 'htu', 'iat', 'ath', 'nonce'].includes(k)), [], `${where}claims`);
      if (d.nonce !== undefined) {
        assert.ok((r.endpoint === 'rs' ? nonces.rs : nonces.as).includes(d.nonce), `${where}nonce ${d.nonce} is not one its server issued (DP-08)`);
      }
      jtis.push(d.jti);
    }
    assert.equal(new Set(jtis).size, jtis.length, 'every proof has its own jti');
    assert.deepEqual(reqs.filter((r) => r.endpoint === 'revoke' && r.dpop).map((r) => r.seq), [], 'a proof on a revocation request');
    for (const a of reqs.filter((r) => r.endpoint === 'authorize')) assert.ok(!a.queryKeys.includes('dpop_jkt'), 'DP-13: dpop_jkt on the authorization request (see PENDING.md)');
  }

  const dpDefaults = (def) => ({
    secrets: (ctx) => keySecrets(ctx.key),
    checkDump: (dump, ctx, tab) => assertKeyMemoryOnly(dump, ctx, tab),
  });

  /** A DPoP session: login (refresh token issued), def.run(ctx, t), then the checks above. */
  function dpCase(def) {
    test(`${def.id} ${def.title}`, def.todo ? { todo: def.todo } : {}, (t) => runSession({
      id: def.id,
      server: { rsOrigin: true, dpop: def.dpop ?? {}, ...def.server },
      client: (issuer) => ({ scope: SCOPE, dpop: true, resourceServers: [rsOf(issuer)], resourceIndicators: false, ...def.client }),
      ...dpDefaults(def),
      run: async (ctx) => {
        ctx.rs = rsOf(ctx.issuer);
        ctx.jkt = await thumbprint(ctx.tab);
        assert.match(ctx.jkt ?? '', /^[A-Za-z0-9_-]{43}$/, `dpopThumbprint() after the login: ${ctx.jkt}`);
        assert.equal(server.dpop(ctx.key).jkt, ctx.jkt, 'the code exchange\'s proof key is the session\'s (dpopThumbprint())');
        assert.equal(server.issued(ctx.key)[0].grantType, 'authorization_code');
        const errors = (await def.run(ctx, t)) ?? [];
        assertProofs(ctx.key, ctx.jkt);
        return errors;
      },
    }, t));
  }

  /** A DPoP login that fails: runCase with `dpop: true`, then the proof checks (no session: no thumbprint). */
  function dpLoginCase(def) {
    test(`${def.id} ${def.title}`, def.todo ? { todo: def.todo } : {}, () => runCase({
      ...dpDefaults(def),
      ...def,
      client: { dpop: true, ...def.client },
      server: { dpop: {}, ...def.server },
      expect: {
        ...def.expect,
        check: async (ctx) => {
          assert.equal(await thumbprint(ctx.tab), null, 'dpopThumbprint() without a session');
          await def.check?.(ctx);
          // No loop: nothing more, even a while later.
          const n = server.requests(ctx.key).length;
          await sleep(800);
          assert.equal(server.requests(ctx.key).length, n, 'requests after the failed login');
          assertProofs(ctx.key, server.dpop(ctx.key).jkt);
        },
      },
    }));
  }

  /** The n-th refusal / retry pair: r1 refused with use_dpop_nonce, r2 the one retry with its nonce. */
  function assertNonceRetry(r1, r2, status, label) {
    assert.equal(r1.refused, 'use_dpop_nonce', `${label}: the first request was not refused with use_dpop_nonce`);
    assert.equal(r1.answered, status, `${label}: the refusal's status`);
    assert.ok(r1.nonceAnswered, `${label}: the refusal carried a DPoP-Nonce`);
    assert.equal(r2.dpop.nonce, r1.nonceAnswered, `${label}: the retry carries the nonce of the refusal`);
    assert.notEqual(r2.dpop.jti, r1.dpop.jti, `${label}: the retry is a new proof (new jti)`);
    assert.equal(r2.dpop.jkt, r1.dpop.jkt, `${label}: the retry is signed with the same key`);
    assert.equal(r2.refused, undefined, `${label}: the retry was refused too`);
  }

  test('DP-10 (self-check) the hostile server\'s proof validator refuses defective proofs and accepts a good one', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const pub = publicKey.export({ format: 'jwk' });
    const priv = privateKey.export({ format: 'jwk' });
    const make = (header, claims, { der = false, tamper = false } = {}) => {
      const input = `${b64json(header)}.${b64json(claims)}`;
      const sig = cryptoSign('sha256', Buffer.from(input, 'ascii'), { key: privateKey, dsaEncoding: der ? 'der' : 'ieee-p1363' });
      if (tamper) sig[7] ^= 1;
      return `${input}.${b64url(sig)}`;
    };
    const H = { typ: 'dpop+jwt', alg: 'ES256', jwk: { kty: 'EC', crv: 'P-256', x: pub.x, y: pub.y } };
    const C = { jti: randomBytes(16).toString('base64url'), htm: 'POST', htu: 'http://127.0.0.1/token', iat: Math.floor(Date.now() / 1000), ath: athOf('AT-x') };
    const good = parseProof(make(H, C));
    assert.deepEqual(good.problems, []);
    assert.equal(good.jkt, jktOf(pub.x, pub.y));
    assert.equal(good.signatureValid, true);
    for (const [label, proof, re] of [
      ['typ JWT', make({ ...H, typ: 'JWT' }, C), /typ/],
      ['alg RS256', make({ ...H, alg: 'RS256' }, C), /alg/],
      ['private d in the jwk', make({ ...H, jwk: { ...H.jwk, d: priv.d } }, C), /private key information/],
      ['a kid in the header', make({ ...H, kid: 'k' }, C), /header members/],
      ['a DER signature', make(H, C, { der: true }), /signature/],
      ['a tampered signature', make(H, C, { tamper: true }), /does not verify/],
      ['another key in the header', make({ ...H, jwk: { ...H.jwk, x: generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ format: 'jwk' }).x } }, C), /does not verify|usable/],
      ['a short jti', make(H, { ...C, jti: 'abc' }), /jti/],
      ['iat 1.5', make(H, { ...C, iat: 1.5 }), /iat/],
      ['an unknown claim', make(H, { ...C, extra: 1 }), /claims besides/],
      ['two headers', `${make(H, C)}, ${make(H, C)}`, /more than one/],
      ['not a JWS', 'abc', /compact JWS/],
    ]) {
      const { problems } = parseProof(proof);
      assert.ok(problems.some((p) => re.test(p)), `${label}: ${JSON.stringify(problems)}`);
    }
  });

  dpCase({
    id: 'DP-01',
    title: 'token endpoint 400 use_dpop_nonce + DPoP-Nonce → exactly one retry with that nonce in a new proof (new jti, same key, same code); UserInfo on the same origin then reuses the nonce (one request)',
    dpop: { as: { require: true } },
    run: async (ctx) => {
      const tok = byEp(ctx.key, 'token');
      assert.equal(tok.length, 2, 'the refused code exchange and its one retry');
      assert.equal(tok[0].dpop.nonce, undefined, 'the first proof carries no nonce (none known yet)');
      assertNonceRetry(tok[0], tok[1], 400, 'code exchange');
      assert.equal(tok[1].form.code, tok[0].form.code, 'the retry presents the same code');
      const r = await call(ctx.tab, 'getUserInfo');
      assert.equal(r.ok, true, `getUserInfo: ${JSON.stringify(r.error)}`);
      const ui = byEp(ctx.key, 'userinfo');
      assert.equal(ui.length, 1, 'one UserInfo request');
      assert.equal(ui[0].dpop.nonce, tok[0].nonceAnswered, 'UserInfo (the AS origin) carries the AS nonce');
      assert.equal(ui[0].dpop.ath, athOf(ctx.first.access_token));
      return [];
    },
  });

  dpLoginCase({
    id: 'DP-02',
    title: 'token endpoint answers use_dpop_nonce forever (a new nonce each time) → exactly 2 code-exchange requests',
    server: { dpop: { as: { refuse: () => true } } },
    expect: { code: 'token_error', error: { error: 'use_dpop_nonce' }, requests: ['token', 'token'] },
    check: (ctx) => {
      const tok = byEp(ctx.key, 'token');
      assert.equal(tok[0].dpop.nonce, undefined);
      assertNonceRetry(tok[0], { ...tok[1], refused: undefined }, 400, 'code exchange');
      assert.equal(tok[1].refused, 'use_dpop_nonce');
      assert.ok(tok[1].nonceAnswered && tok[1].nonceAnswered !== tok[0].nonceAnswered, 'the second refusal brought yet another new nonce (and still no third request)');
    },
  });

  dpCase({
    id: 'DP-02',
    title: 'refresh answered use_dpop_nonce twice (new nonces) → exactly 2 requests, error event token_error / use_dpop_nonce, the still-valid token kept; after the backoff one request with the last nonce → renewed',
    dpop: { as: { refuse: (ctx) => ctx.request.endpoint === 'refresh' && ctx.dpopN <= 2 } },
    client: DUE_SOON,
    run: async (ctx) => {
      const { key, tab, first } = ctx;
      const got = await renewWhenDue(tab);
      const failure = await waitFor(async () => (await named(tab, 'error'))[0], 'the error event');
      assertCode(failure.detail, 'token_error', 'error event: ');
      assert.equal(failure.detail.error, 'use_dpop_nonce', 'error event: .error');
      assert.deepEqual(got, { ok: true, value: first.access_token }, 'getAccessToken() hands out the still-valid token');
      let rf = refreshes(key);
      assert.equal(rf.length, 2, `${rf.length} refresh requests for the first renewal (one retry only)`);
      assert.equal(rf[0].dpop.nonce, undefined);
      assertNonceRetry(rf[0], { ...rf[1], refused: undefined }, 400, 'refresh');
      assert.equal(rf[1].form.refresh_token, first.refresh_token, 'the retry presents the same refresh token');
      const view = await sessionView(tab);
      assert.equal(view.isAuthenticated, true, 'the session stands');
      // The app keeps asking: nothing during the backoff, then one request with the last nonce.
      const r3 = await waitFor(async () => {
        const a = await call(tab, 'getAccessToken');
        const third = refreshes(key)[2];
        if (!third) {
          assert.equal(a.value, first.access_token, 'getAccessToken() during the backoff');
          await sleep(175);
        }
        return third;
      }, 'the retry after the backoff', BACKOFF_MS + 4000);
      assert.ok(r3.at - failure.at >= BACKOFF_MS - 100, `the retry came ${r3.at - failure.at} ms after the failure`);
      assert.equal(r3.dpop.nonce, rf[1].nonceAnswered, 'the later retry carries the last nonce');
      assert.equal(r3.form.refresh_token, first.refresh_token);
      await waitFor(async () => (await named(tab, 'tokenRefreshed')).length === 1, 'tokenRefreshed');
      await sleep(300);
      rf = refreshes(key);
      assert.equal(rf.length, 3, 'three refresh requests in all');
      assert.equal((await call(tab, 'getAccessToken')).value, server.issued(key).at(-1).access_token);
      assert.deepEqual((await events(tab)).filter((e) => e.name === 'error').map((e) => e.detail.code), ['token_error'], 'one error event');
      return [];
    },
  });

  dpCase({
    id: 'DP-02',
    title: 'resource server answers use_dpop_nonce forever → exactly 2 requests per call, the 401 Response returned, no refresh, no loop',
    dpop: { rs: { refuse: () => true } },
    run: async (ctx) => {
      const out = [];
      for (const n of [1, 2]) {
        const mark = server.mark();
        const r = await dpFetch(ctx.tab, `${ctx.rs}/data`); // eslint-disable-line no-await-in-loop
        out.push(r);
        assert.equal(r.ok, true, `call ${n}: ${JSON.stringify(r.error)}`);
        assert.equal(r.status, 401, `call ${n}: the 401 Response`);
        assert.match(r.wwwAuthenticate ?? '', /use_dpop_nonce/);
        const rs = byEp(ctx.key, 'rs', mark);
        assert.equal(rs.length, 2, `call ${n}: ${rs.length} requests`);
        assertNonceRetry(rs[0], { ...rs[1], refused: undefined }, 401, `call ${n}`);
        assert.equal(refreshes(ctx.key).length, 0, 'no refresh');
      }
      return [];
    },
  });

  dpCase({
    id: 'DP-03',
    title: 'resource server 401 WWW-Authenticate: DPoP error="use_dpop_nonce" + DPoP-Nonce → one retry with it (new jti, ath), 200; the next call carries the nonce at once',
    dpop: { rs: { require: true } },
    run: async (ctx) => {
      const r1 = await dpFetch(ctx.tab, `${ctx.rs}/data`);
      assert.deepEqual({ ok: r1.ok, status: r1.status }, { ok: true, status: 200 }, JSON.stringify(r1.error ?? r1.body));
      let rs = byEp(ctx.key, 'rs');
      assert.equal(rs.length, 2);
      assert.equal(rs[0].dpop.nonce, undefined, 'no nonce on the first request (the AS has none either)');
      assertNonceRetry(rs[0], rs[1], 401, 'resource');
      for (const q of rs) assert.equal(q.dpop.ath, athOf(ctx.first.access_token), 'ath of the presented token');
      const r2 = await dpFetch(ctx.tab, `${ctx.rs}/data`);
      assert.equal(r2.status, 200);
      rs = byEp(ctx.key, 'rs');
      assert.equal(rs.length, 3, 'the next call: one request');
      assert.equal(rs[2].dpop.nonce, rs[0].nonceAnswered);
      assert.equal(refreshes(ctx.key).length, 0, 'no refresh');
      return [];
    },
  });

  dpCase({
    id: 'DP-03',
    title: 'UserInfo 401 DPoP use_dpop_nonce (its nonce expired) + a new DPoP-Nonce → one retry with the new nonce, claims returned',
    dpop: { as: { require: true, invalidate: (ctx) => ctx.request.endpoint === 'userinfo' && ctx.dpopN === 1 } },
    run: async (ctx) => {
      const r = await call(ctx.tab, 'getUserInfo');
      assert.equal(r.ok, true, `getUserInfo: ${JSON.stringify(r.error)}`);
      assert.equal(r.value.email, 'alice@hostile.test');
      const ui = byEp(ctx.key, 'userinfo');
      assert.equal(ui.length, 2);
      assert.equal(ui[0].dpop.nonce, byEp(ctx.key, 'token')[1].dpop.nonce, 'the first UserInfo proof carries the login\'s nonce');
      assertNonceRetry(ui[0], ui[1], 401, 'UserInfo');
      return [];
    },
  });

  dpCase({
    id: 'DP-04',
    title: 'use_dpop_nonce challenges with the scheme `dpop`, `dPoP`, `DPOP` (resource server) and `dpop` (UserInfo) are recognised: one retry each',
    dpop: {
      rs: { require: true, invalidate: (ctx) => ctx.dpopN > 1 && ctx.dpopN % 2 === 1, scheme: (ctx) => ({ 1: 'dpop', 3: 'dPoP', 5: 'DPOP' })[ctx.dpopN] ?? 'DPoP' },
      as: { require: true, invalidate: (ctx) => ctx.request.endpoint === 'userinfo' && ctx.dpopN === 1, scheme: () => 'dpop' },
    },
    run: async (ctx) => {
      for (const [n, scheme] of [[1, 'dpop'], [2, 'dPoP'], [3, 'DPOP']]) {
        const mark = server.mark();
        const r = await dpFetch(ctx.tab, `${ctx.rs}/data`); // eslint-disable-line no-await-in-loop
        assert.equal(r.status, 200, `call ${n} (${scheme}): ${JSON.stringify(r.error ?? r.status)}`);
        const rs = byEp(ctx.key, 'rs', mark);
        assert.equal(rs.length, 2, `call ${n} (${scheme}): ${rs.length} requests`);
        assertNonceRetry(rs[0], rs[1], 401, `call ${n} (${scheme})`);
      }
      const u = await call(ctx.tab, 'getUserInfo');
      assert.equal(u.ok, true, `getUserInfo: ${JSON.stringify(u.error)}`);
      const ui = byEp(ctx.key, 'userinfo');
      assert.equal(ui.length, 2);
      assertNonceRetry(ui[0], ui[1], 401, 'UserInfo (dpop)');
      return [];
    },
  });

  dpCase({
    id: 'DP-05',
    title: 'no nonce ever required or sent → login, refresh, UserInfo and a resource call each one request, no nonce in any proof',
    client: DUE_SOON,
    run: async (ctx) => {
      await refreshedOnce(ctx);
      assert.equal((await call(ctx.tab, 'getUserInfo')).ok, true);
      assert.equal((await dpFetch(ctx.tab, `${ctx.rs}/data`)).status, 200);
      const seen = server.requests(ctx.key).filter((r) => PROOF_ENDPOINTS.includes(r.endpoint));
      assert.deepEqual(seen.map((r) => r.endpoint), ['token', 'refresh', 'userinfo', 'rs']);
      assert.deepEqual(seen.filter((r) => r.dpop.nonce !== undefined || r.nonceAnswered).map((r) => r.endpoint), [], 'a nonce sent or answered');
      assert.deepEqual(server.dpop(ctx.key).nonces, { as: [], rs: [] });
      return [];
    },
  });

  dpLoginCase({
    id: 'DP-06',
    title: 'token endpoint use_dpop_nonce with DPoP-Nonce not exposed by CORS (invisible) → exactly one request',
    server: { dpop: { as: { require: true, expose: false } } },
    expect: { code: 'token_error', error: { error: 'use_dpop_nonce' }, requests: ['token'] },
    check: (ctx) => {
      const [tok] = byEp(ctx.key, 'token');
      assert.equal(tok.refused, 'use_dpop_nonce');
      assert.ok(tok.nonceAnswered, 'the nonce was in the answer (unexposed)');
    },
  });

  dpCase({
    id: 'DP-06',
    title: 'resource server / UserInfo use_dpop_nonce with DPoP-Nonce not exposed → one request each: the 401 Response, userinfo_invalid (status 401); no loop',
    dpop: {
      rs: { require: true, expose: false },
      as: { require: true, invalidate: (ctx) => ctx.request.endpoint === 'userinfo' && ctx.dpopN === 1, expose: (ctx) => ctx.request.endpoint !== 'userinfo' },
    },
    run: async (ctx, t) => {
      for (const n of [1, 2]) {
        const mark = server.mark();
        const r = await dpFetch(ctx.tab, `${ctx.rs}/data`); // eslint-disable-line no-await-in-loop
        assert.deepEqual({ ok: r.ok, status: r.status }, { ok: true, status: 401 }, `call ${n}: ${JSON.stringify(r.error)}`);
        assert.match(r.wwwAuthenticate ?? '', /use_dpop_nonce/, 'the challenge is readable');
        assert.equal(byEp(ctx.key, 'rs', mark).length, 1, `call ${n}: exactly one request`);
      }
      const mark = server.mark();
      const u = await call(ctx.tab, 'getUserInfo');
      assertCode(u.error, 'userinfo_invalid', 'getUserInfo: ');
      assert.equal(u.error.status, 401);
      t.diagnostic(`UserInfo error: code ${u.error.code}, error ${u.error.error ?? '(none)'}, message ${u.error.message}`);
      assert.equal(byEp(ctx.key, 'userinfo', mark).length, 1, 'exactly one UserInfo request');
      await sleep(500);
      assert.equal(byEp(ctx.key, 'userinfo').length + byEp(ctx.key, 'rs').length, 3, 'nothing retried later');
      assert.equal(refreshes(ctx.key).length, 0);
      return [u.error];
    },
  });

  dpCase({
    id: 'DP-08',
    title: 'AS and resource server both require their own nonces → nonces cached per origin: the AS nonce never reaches the resource server, nor its nonce the AS (refresh, UserInfo, calls interleaved)',
    dpop: { as: { require: true }, rs: { require: true } },
    client: DUE_SOON,
    run: async (ctx) => {
      await refreshedOnce(ctx);
      assert.equal((await call(ctx.tab, 'getUserInfo')).ok, true);
      assert.equal((await dpFetch(ctx.tab, `${ctx.rs}/a`)).status, 200);
      assert.equal((await dpFetch(ctx.tab, `${ctx.rs}/b`)).status, 200);
      assert.equal((await call(ctx.tab, 'getUserInfo')).ok, true);
      const { nonces } = server.dpop(ctx.key);
      assert.equal(nonces.as.length, 1);
      assert.equal(nonces.rs.length, 1);
      const as = asSide(ctx.key);
      const rs = byEp(ctx.key, 'rs');
      assert.deepEqual(as.map((r) => r.endpoint), ['token', 'token', 'refresh', 'userinfo', 'userinfo']);
      assert.deepEqual(as.map((r) => r.dpop.nonce), [undefined, ...Array(4).fill(nonces.as[0])], 'AS-origin proofs: the AS nonce only');
      assert.deepEqual(rs.map((r) => r.dpop.nonce), [undefined, nonces.rs[0], nonces.rs[0]], 'resource proofs: none (not the AS\'s) on the first, then its own');
      return [];
    },
  });

  dpCase({
    id: 'DP-09',
    title: 'a new DPoP-Nonce on every 200 (AS and resource server) → the next request to that server carries the newest one (no refusal after the first of each)',
    dpop: { as: { require: true, rotateOn200: true }, rs: { require: true, rotateOn200: true } },
    client: DUE_SOON,
    run: async (ctx) => {
      await refreshedOnce(ctx);
      for (let i = 0; i < 2; i += 1) assert.equal((await call(ctx.tab, 'getUserInfo')).ok, true); // eslint-disable-line no-await-in-loop
      for (let i = 0; i < 3; i += 1) assert.equal((await dpFetch(ctx.tab, `${ctx.rs}/data`)).status, 200); // eslint-disable-line no-await-in-loop
      for (const [label, list] of [['AS origin', asSide(ctx.key)], ['resource server', byEp(ctx.key, 'rs')]]) {
        assert.deepEqual(list.filter((r) => r.refused).map((r) => r.seq), [list[0].seq], `${label}: only the first request is refused`);
        for (let i = 1; i < list.length; i += 1) {
          assert.ok(list[i - 1].nonceAnswered, `${label}: answer ${i} carried a nonce`);
          assert.equal(list[i].dpop.nonce, list[i - 1].nonceAnswered, `${label}: request ${i + 1} carries the nonce of answer ${i}`);
        }
      }
      assert.deepEqual(asSide(ctx.key).map((r) => r.endpoint), ['token', 'token', 'refresh', 'userinfo', 'userinfo']);
      assert.equal(byEp(ctx.key, 'rs').length, 4);
      return [];
    },
  });

  dpCase({
    id: 'DP-10',
    title: 'every proof of a full session (login with a nonce, refresh, UserInfo, GET with query + fragment, POST, logout) validated by the server; htu without query/fragment; ath of the token presented; no proof on revocation',
    dpop: { as: { require: true }, rs: { require: true } },
    client: DUE_SOON,
    run: async (ctx) => {
      const renewed = await refreshedOnce(ctx);
      assert.equal((await call(ctx.tab, 'getUserInfo')).ok, true);
      const g = await dpFetch(ctx.tab, `${ctx.rs}/data?q=1&x=%2F#frag`);
      assert.equal(g.status, 200);
      const p = await dpFetch(ctx.tab, `${ctx.rs}/items?y=2`, { method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json' } });
      assert.equal(p.status, 200);
      const [ui] = byEp(ctx.key, 'userinfo');
      assert.equal(ui.dpop.ath, athOf(renewed.access_token), 'UserInfo: ath of the refreshed token');
      const rs = byEp(ctx.key, 'rs');
      assert.deepEqual(rs.map((r) => [r.method, r.rawQuery, r.dpop.htm, r.dpop.htu]), [
        ['GET', '?q=1&x=%2F', 'GET', `${ctx.rs}/data`],
        ['GET', '?q=1&x=%2F', 'GET', `${ctx.rs}/data`],
        ['POST', '?y=2', 'POST', `${ctx.rs}/items`],
      ]);
      for (const r of rs) assert.equal(r.dpop.ath, athOf(renewed.access_token));
      for (const r of [...byEp(ctx.key, 'token'), ...refreshes(ctx.key)]) assert.deepEqual([r.dpop.htm, r.dpop.htu, r.dpop.ath], ['POST', `${ctx.issuer}/token`, undefined]);
      assertProofs(ctx.key, ctx.jkt);
      const { result, mark } = await localLogout(ctx);
      assert.equal(result.ok, true, JSON.stringify(result.error));
      const rv = revocations(ctx.key, mark);
      assert.equal(rv.length, 2, 'refresh token and access token revoked');
      assert.deepEqual(rv.map((r) => r.dpop), [null, null], 'revocation carries no proof');
      assert.equal(await thumbprint(ctx.tab), null, 'dpopThumbprint() after logout');
      return [];
    },
  });

  dpLoginCase({
    id: 'DP-11',
    title: 'token_type Bearer answered to a code exchange with a proof → token_type_unsupported, no session',
    server: { dpop: { tokenType: () => 'Bearer' } },
    expect: { code: 'token_type_unsupported', requests: TOKEN },
  });

  dpCase({
    id: 'DP-11',
    title: 'token_type Bearer answered to a refresh with a proof → token_type_unsupported, the response discarded, the still-valid DPoP token kept, one retry after the backoff',
    client: DUE_SOON,
    server: { refresh: { body: (b, ctx) => (ctx.refreshCount === 1 ? { ...b, token_type: 'Bearer' } : b) } },
    run: async (ctx) => {
      const errors = await keptWithBackoff('token_type_unsupported')(ctx);
      // The discarded Bearer token is never presented; the renewed DPoP one is.
      assert.equal((await call(ctx.tab, 'getUserInfo')).ok, true);
      const [ui] = byEp(ctx.key, 'userinfo');
      assert.equal(ui.authorization, `DPoP ${server.issued(ctx.key).at(-1).access_token}`);
      return errors;
    },
  });

  const DPOP_TOKEN_TYPE = tokenBody((b) => { b.token_type = 'DPoP'; });
  cases([
    { id: 'DP-12', title: 'token_type DPoP without dpop: true (default build; no proof sent)', server: DPOP_TOKEN_TYPE, expect: { code: 'token_type_unsupported', requests: TOKEN } },
    { id: 'DP-12', title: 'token_type DPoP without dpop (full build)', server: { ...DPOP_TOKEN_TYPE, rsOrigin: true }, clientFor: (issuer) => ({ resourceServers: [rsOf(issuer)] }), expect: { code: 'token_type_unsupported', requests: TOKEN } },
    { id: 'DP-12', title: 'token_type DPoP with dpop: false (full build)', server: { ...DPOP_TOKEN_TYPE, rsOrigin: true }, clientFor: (issuer) => ({ dpop: false, resourceServers: [rsOf(issuer)] }), expect: { code: 'token_type_unsupported', requests: TOKEN } },
  ].map((d) => ({ ...d, expect: { ...d.expect, check: (ctx) => assert.deepEqual(server.requests(ctx.key).filter((r) => r.dpop).map((r) => r.endpoint), [], 'a DPoP proof sent without dpop: true') } })));

  dpCase({
    id: 'DP-13',
    title: 'no dpop_jkt on the authorization request (the key is made at the callback: PENDING.md); the code exchange\'s key is the one of every later proof',
    client: DUE_SOON,
    run: async (ctx) => {
      const [az] = byEp(ctx.key, 'authorize');
      assert.ok(!az.queryKeys.includes('dpop_jkt'), `authorization request parameters: ${az.queryKeys.join(', ')}`);
      await refreshedOnce(ctx);
      assert.equal((await dpFetch(ctx.tab, `${ctx.rs}/data`)).status, 200);
      const keys = new Set(server.requests(ctx.key).filter((r) => r.dpop).map((r) => r.dpop.jkt));
      assert.deepEqual([...keys], [ctx.jkt], 'one key for the whole session');
      return [];
    },
  });

  dpCase({
    id: 'DP-14',
    title: 'the key that reaches a same-origin BroadcastChannel listener is a non-extractable private CryptoKey (exportKey and wrapKey reject); the other tab adopts it: same thumbprint, its proofs verify',
    run: async (ctx, t) => {
      const name = `spa-oauth ${ctx.issuer} ${server.clientId}`;
      const spy = await ctx.tab.page.evaluate(async (n) => {
        const ch = new BroadcastChannel(n);
        const got = new Promise((resolve) => {
          ch.onmessage = (ev) => { if (ev.data?.t === 'session') resolve(ev.data); };
          setTimeout(() => resolve(null), 3000);
        });
        ch.postMessage({ t: 'hello', from: 'spy' });
        const m = await got;
        ch.close();
        if (!m) return null;
        const k = m.s?.k;
        const out = {
          members: Object.keys(m.s ?? {}).sort(),
          isCryptoKey: k instanceof CryptoKey,
          type: k?.type,
          extractable: k?.extractable,
          algorithm: k && { name: k.algorithm?.name, namedCurve: k.algorithm?.namedCurve },
          usages: k?.usages,
          kx: m.s.kx,
          ky: m.s.ky,
          json: JSON.stringify(k),
          exports: {},
        };
        for (const f of ['jwk', 'pkcs8', 'raw', 'spki']) {
          try { await crypto.subtle.exportKey(f, k); out.exports[f] = 'resolved'; } catch (e) { out.exports[f] = e.name; } // eslint-disable-line no-await-in-loop
        }
        try {
          const w = await crypto.subtle.generateKey({ name: 'AES-KW', length: 256 }, false, ['wrapKey']);
          await crypto.subtle.wrapKey('jwk', k, w, 'AES-KW');
          out.wrap = 'resolved';
        } catch (e) { out.wrap = e.name; }
        return out;
      }, name);
      assert.ok(spy, 'no session message on the channel');
      t.diagnostic(`session message members: ${spy.members.join(', ')}; key ${JSON.stringify({ type: spy.type, extractable: spy.extractable, algorithm: spy.algorithm, usages: spy.usages })}`);
      assert.deepEqual({ isCryptoKey: spy.isCryptoKey, type: spy.type, extractable: spy.extractable, algorithm: spy.algorithm, json: spy.json }, { isCryptoKey: true, type: 'private', extractable: false, algorithm: { name: 'ECDSA', namedCurve: 'P-256' }, json: '{}' });
      assert.deepEqual(spy.usages, ['sign'], 'the private key signs only');
      assert.deepEqual(spy.exports, { jwk: 'InvalidAccessError', pkcs8: 'InvalidAccessError', raw: 'InvalidAccessError', spki: 'InvalidAccessError' }, 'exportKey of the private key');
      assert.equal(spy.wrap, 'InvalidAccessError', 'wrapKey of the private key');
      assert.equal(jktOf(spy.kx, spy.ky), ctx.jkt, 'the public coordinates sent with it are the session key\'s');
      // The other tab takes the session over (restoreSession) with the key.
      const other = await restoredTab(ctx);
      assert.equal(await thumbprint(other), ctx.jkt, 'the other tab\'s dpopThumbprint()');
      const r = await dpFetch(other, `${ctx.rs}/data`);
      assert.equal(r.status, 200, JSON.stringify(r.error));
      const [q] = byEp(ctx.key, 'rs');
      assert.equal(q.dpop.jkt, ctx.jkt, 'the other tab signs with the same key');
      return [];
    },
  });

  dpCase({
    id: 'RT-10',
    title: 'DPoP-bound refresh token: use_dpop_nonce on refresh (the login\'s nonce expired) → one retry with the new nonce and the same key, same refresh token; the next refresh one request; every token-endpoint proof of the code exchange\'s key',
    dpop: { as: { require: true, invalidate: (ctx) => ctx.request.endpoint === 'refresh' && ctx.dpopN === 1 } },
    client: DUE_SOON,
    run: async (ctx) => {
      const { key, tab, first } = ctx;
      await renewWhenDue(tab);
      await waitFor(async () => (await named(tab, 'tokenRefreshed')).length === 1, 'tokenRefreshed');
      let rf = refreshes(key);
      assert.equal(rf.length, 2, 'the refused refresh and its one retry');
      assert.equal(rf[0].dpop.nonce, byEp(key, 'token')[1].dpop.nonce, 'the first refresh carries the login\'s (now expired) nonce');
      assertNonceRetry(rf[0], rf[1], 400, 'refresh');
      assert.deepEqual(rf.map((r) => r.form.refresh_token), [first.refresh_token, first.refresh_token], 'the same refresh token both times');
      const forced = await call(tab, 'getAccessToken', { forceRefresh: true });
      assert.equal(forced.ok, true, JSON.stringify(forced.error));
      rf = refreshes(key);
      assert.equal(rf.length, 3, 'the next refresh: one request');
      assert.equal(rf[2].dpop.nonce, rf[0].nonceAnswered);
      const issued = server.issued(key);
      assert.equal(rf[2].form.refresh_token, issued[1].refresh_token, 'the rotated refresh token');
      assert.equal(forced.value, issued[2].access_token);
      assert.deepEqual([...new Set([...byEp(key, 'token'), ...rf].map((r) => r.dpop.jkt))], [ctx.jkt], 'every token-endpoint proof is signed with the code exchange\'s key');
      assert.equal((await call(tab, 'getUserInfo')).ok, true);
      assert.equal(byEp(key, 'userinfo')[0].authorization, `DPoP ${issued[2].access_token}`);
      assert.deepEqual((await events(tab)).filter((e) => e.name === 'error'), [], 'no error event (the nonce retry is silent)');
      return [];
    },
  });
});

// ---------------------------------------------------------------------------------------------
describe('4.9 Revocation', SECTION, () => {
  section();
  const elsewhere = (ctx) => `http://localhost:${new URL(ctx.asOrigin).port}/case/${encodeURIComponent(ctx.id)}/redirect-target`;
  /** logout({ redirect: false }) against a revocation endpoint answering `answer`: expectations. */
  const revokeCase = (id, title, answer, expectResult) => ({
    id,
    title,
    server: answer ? { revoke: answer } : {},
    run: async (ctx) => {
      const { result, mark } = await localLogout(ctx);
      assertRevocationRequests(ctx.key, mark, ctx.first);
      assert.deepEqual(endpoints(ctx.key, mark), ['revoke', 'revoke'], 'the two revocation requests only (no end-session with redirect: false)');
      await expectResult(result, await events(ctx.tab), ctx);
      return result.ok ? [] : [result.error];
    },
  });
  const noErrors = (result, evs) => {
    assert.equal(result.ok, true, `logout() rejected: ${JSON.stringify(result.error)}`);
    assert.deepEqual(evs.filter((e) => e.name === 'error'), [], 'no error event');
  };
  const failed = (error, status, errorEvents = 2) => (result, evs) => {
    assert.equal(result.ok, false, 'logout() resolved although the revocation failed');
    assertCode(result.error, 'revocation_failed', 'logout(): ');
    assert.equal(result.error.error, error);
    assert.equal(result.error.status, status);
    const errs = evs.filter((e) => e.name === 'error').map((e) => e.detail);
    assert.equal(errs.length, errorEvents, 'one error event per failed revocation');
    for (const e of errs) assertCode(e, 'revocation_failed', 'error event: ');
  };
  sessionCases([
    revokeCase('RV-01', 'revocation 200 with an empty body → success, cleared locally', null, noErrors),
    revokeCase('RV-01', 'revocation 200 with a garbage HTML body → success (body ignored), cleared locally', () => raw(200, '<html><body>{"error":', { 'content-type': 'text/html' }), noErrors),
    revokeCase('RV-01', 'revocation 200 with an OAuth error body → success (RFC 7009: 200 means revoked), cleared locally', () => json(200, { error: 'invalid_token' }), noErrors),
    revokeCase('RV-02', 'revocation 400 unsupported_token_type → revocation_failed surfaced (rejection + error events), still cleared locally', () => json(400, { error: 'unsupported_token_type' }), failed('unsupported_token_type', 400)),
    revokeCase('RV-02', 'only refresh-token revocation unsupported → surfaced once, the access token still revoked, cleared locally',
      (ctx) => (ctx.tokenKind === 'refresh_token' ? json(400, { error: 'unsupported_token_type' }) : undefined),
      async (result, evs, ctx) => {
        failed('unsupported_token_type', 400, 1)(result, evs);
        assert.deepEqual(server.revoked(ctx.key), [ctx.first.access_token], 'the access token was revoked at the server');
      }),
    revokeCase('RV-03', 'revocation 503 → revocation_failed (status 503), still cleared locally', () => json(503, { error: 'temporarily_unavailable' }), failed('temporarily_unavailable', 503)),
    revokeCase('RV-03', 'revocation 503 with an HTML body → revocation_failed (status 503), still cleared locally', () => raw(503, '<h1>down</h1>', { 'content-type': 'text/html' }), failed(undefined, 503)),
    revokeCase('RV-05', 'revocation answered 302 to another host → not followed, revocation_failed (redirect_refused), cleared locally', (ctx) => raw(302, '', { location: elsewhere(ctx) }), failed('redirect_refused', undefined)),
    {
      id: 'RV-03',
      title: 'revocation 503 during an RP-initiated logout → the logout still completes at the end-session endpoint',
      server: { revoke: () => json(503, { error: 'temporarily_unavailable' }) },
      run: async (ctx) => {
        const out = await logoutThroughProvider(ctx);
        const rv = assertRevocationRequests(ctx.key, out.mark, ctx.first);
        assert.equal(out.endSession.length, 1, 'the end-session request');
        assert.ok(rv.every((r) => r.seq < out.endSession[0].seq), 'revocation before the navigation');
        assert.deepEqual(out.back, { first: true, again: false, href: server.postLogoutRedirectUri, session: false });
        assert.deepEqual(server.revoked(ctx.key), [], 'nothing revoked at the server (503)');
        return [];
      },
    },
    {
      id: 'RV-04',
      title: 'no revocation_endpoint in the metadata → local-only logout, no revocation request, no error',
      server: meta((m) => { delete m.revocation_endpoint; }),
      run: async (ctx) => {
        const { result, mark } = await localLogout(ctx);
        noErrors(result, await events(ctx.tab));
        assert.deepEqual(endpoints(ctx.key, mark), [], 'no request at all');
        return [];
      },
    },
    {
      id: 'RV-04',
      title: 'no revocation_endpoint, RP-initiated logout → no revocation request, straight to the end-session endpoint',
      server: meta((m) => { delete m.revocation_endpoint; }),
      run: async (ctx) => {
        const out = await logoutThroughProvider(ctx);
        assert.deepEqual(endpoints(ctx.key, out.mark), ['end-session', 'discovery'], 'end-session, then the new page\'s discovery');
        assert.equal(out.back.first, true);
        return [];
      },
    },
  ]);
});

// ---------------------------------------------------------------------------------------------
describe('4.10 Logout', SECTION, () => {
  section();
  const pendingLogoutMarker = /^spa-oauth:logout:/;
  /** LO-01 / LO-02: the foreign or missing state is not our logout; at most our own pending marker is left. */
  const notOurs = (mutate) => ({
    server: { endSession: mutate },
    keepSessionKeys: pendingLogoutMarker,
    checkKept: (kept, ctx) => {
      const ours = `spa-oauth:logout:${ctx.sentState}`;
      for (const [k, v] of Object.entries(kept)) {
        assert.equal(k, ours, `unexpected pending-logout item ${k}`);
        assert.ok(v.length < 20, 'the pending-logout marker holds a timestamp only');
      }
    },
    run: async (ctx) => {
      const out = await logoutThroughProvider(ctx);
      assert.equal(out.endSession.length, 1);
      ctx.sentState = out.endSession[0].query.state;
      assert.match(ctx.sentState, /^[A-Za-z0-9_-]{43}$/, 'the SDK sent a state');
      assert.equal(out.back.first, false, 'handleLogoutCallback() accepted a post-logout redirect without our state');
      assert.equal(out.back.again, false);
      assert.equal(out.back.session, false, 'the tokens are gone (cleared before the navigation)');
      assert.ok(!new URL(out.back.href).searchParams.has('state'), `state left in the address bar: ${out.back.href}`);
      await assertSessionGone(ctx.tab, ctx.key);
      return [];
    },
  });
  sessionCases([
    {
      id: 'LO-03',
      title: 'end-session request (default): client_id, registered post_logout_redirect_uri, state and no id_token_hint; memory cleared before anything is sent; our state → handleLogoutCallback() true once',
      // Slow revocation answers: the app is probed while the logout is under way.
      server: { revoke: () => ({ raw: true, status: 200, body: '', delayMs: 500 }) },
      run: async (ctx) => {
        const out = await logoutThroughProvider(ctx, { probeDuringRevocation: true });
        // While the revocation is in flight, before the navigation, the session is already gone.
        assert.equal(out.during.isAuthenticated, false, 'isAuthenticated() during the logout');
        assert.equal(out.during.claims, null, 'getIdTokenClaims() during the logout');
        assert.equal(out.during.user, null, 'getUser() during the logout');
        assert.equal(out.during.token.ok, false, 'getAccessToken() resolved during the logout');
        assertCode(out.during.token.error, 'login_required', 'getAccessToken() during the logout: ');
        assert.deepEqual(out.during.events, ['loggedOut']);
        const rv = assertRevocationRequests(ctx.key, out.mark, ctx.first);
        assert.equal(out.endSession.length, 1, 'one end-session request');
        const [es] = out.endSession;
        assert.ok(rv.every((r) => r.seq < es.seq), 'revocations before the navigation');
        // Issue 11.2 (default idTokenHint "none"): a GET without the ID token.
        assert.equal(es.method, 'GET');
        assert.deepEqual(Object.keys(es.query).sort(), ['client_id', 'post_logout_redirect_uri', 'state'], 'no id_token_hint by default');
        assert.equal(es.query.client_id, server.clientId);
        assert.equal(es.query.post_logout_redirect_uri, server.postLogoutRedirectUri);
        assert.match(es.query.state, /^[A-Za-z0-9_-]{43}$/, 'state of 256 bits');
        assert.equal(new URL(out.landedAt).searchParams.get('state'), es.query.state, 'the provider sent our state back');
        assert.deepEqual(out.back, { first: true, again: false, href: server.postLogoutRedirectUri, session: false },
          'handleLogoutCallback(): true for our state, false when replayed; state removed from the address bar');
        assert.deepEqual(server.revoked(ctx.key).sort(), [ctx.first.access_token, ctx.first.refresh_token].sort());
        return [];
      },
    },
    {
      id: 'LO-03',
      title: 'after a refresh: the rotated refresh token and the new access token are revoked; no ID token in the end-session URL',
      client: DUE_SOON,
      run: async (ctx) => {
        const i1 = await refreshedOnce(ctx);
        const out = await logoutThroughProvider(ctx);
        assertRevocationRequests(ctx.key, out.mark, i1);
        assert.equal(out.endSession[0].method, 'GET');
        assert.equal(out.endSession[0].query.id_token_hint, undefined, 'no ID token in the end-session URL (issue 11.2)');
        assert.equal(out.back.first, true);
        return [];
      },
    },
    { id: 'LO-01', title: 'post-logout redirect with a different state → handleLogoutCallback() false, no crash, tokens already gone', ...notOurs((p) => { p.set('state', rand43()); }) },
    { id: 'LO-02', title: 'post-logout redirect without state → handleLogoutCallback() false, no crash, tokens already gone', ...notOurs((p) => { p.delete('state'); }) },
    { id: 'LO-02', title: 'post-logout redirect with an empty state → handleLogoutCallback() false', ...notOurs((p) => { p.set('state', ''); }) },
    {
      id: 'LO-04',
      title: 'no end_session_endpoint → local logout only (revocation, no navigation, no pending logout state)',
      server: meta((m) => { delete m.end_session_endpoint; }),
      run: async (ctx) => {
        const url = ctx.tab.page.url();
        const navigations = ctx.tab.log.navigations.length;
        const { result, mark } = await localLogout(ctx, { postLogoutRedirectUri: server.postLogoutRedirectUri });
        assert.equal(result.ok, true, JSON.stringify(result.error));
        await sleep(300);
        assert.equal(ctx.tab.page.url(), url, 'navigated away');
        assert.equal(ctx.tab.log.navigations.length, navigations, 'navigated');
        assertRevocationRequests(ctx.key, mark, ctx.first);
        assert.deepEqual(endpoints(ctx.key, mark), ['revoke', 'revoke']);
        return [];
      },
    },
  ]);
  cases([
    { id: 'LO-04', title: 'end_session_endpoint javascript: in the metadata', server: meta((m) => { m.end_session_endpoint = 'javascript:alert(1)//'; }), expect: { create: 'discovery_invalid' } },
    { id: 'LO-04', title: 'end_session_endpoint http:// (not loopback) in the metadata', server: meta((m) => { m.end_session_endpoint = 'http://as.example.test/logout'; }), expect: { create: 'discovery_invalid' } },
    { id: 'LO-04', title: 'end_session_endpoint data: in the metadata', server: meta((m) => { m.end_session_endpoint = 'data:text/html,<script>window.__xss=1</script>'; }), expect: { create: 'discovery_invalid' } },
  ]);
});

// ---------------------------------------------------------------------------------------------
describe('4.11 Browser, redirect handling, storage, leakage', SECTION, () => {
  section();
  cases([
    {
      id: 'BR-01',
      title: 'after a successful callback the address bar and history hold no code/state/iss/session_state',
      server: authz((p) => { p.set('session_state', 'sess-state-value-123'); }),
      expect: {
        ok: true,
        check: async ({ tab, probe: p }) => {
          assert.equal(p.href, server.redirectUri, 'the address bar is exactly the redirect URI');
          const cdp = await tab.context.newCDPSession(tab.page);
          const { entries } = await cdp.send('Page.getNavigationHistory');
          await cdp.detach();
          for (const e of entries) assert.ok(!/[?&](code|state|iss|session_state)=/.test(e.url), `history entry ${e.url}`);
        },
      },
    },
    {
      id: 'BR-01',
      title: 'after an error callback the address bar holds no error/error_description/state/iss',
      server: authz((p) => { p.delete('code'); p.set('error', 'access_denied'); p.set('error_description', 'no'); }),
      expect: {
        code: 'authorization_error',
        check: ({ probe: p }) => { assert.equal(p.href, server.redirectUri); },
      },
    },
    {
      id: 'BR-01',
      title: 'a front-channel access_token / id_token (query and fragment) is removed from the address bar and history',
      server: {
        ...authz((p, ctx) => {
          const at = `front-channel-at-${rand43()}`;
          ctx.addSecret('injected access_token', at);
          p.set('access_token', at);
          const idt = signJws('RS256', ctx.keys.rs1, { alg: 'RS256', kid: 'rs1' }, { iss: ctx.issuer, sub: 'alice', aud: ctx.clientId, exp: ctx.now + 300, iat: ctx.now });
          ctx.addSecret('id_token', idt);
          p.set('id_token', idt);
        }),
        fragment: (ctx) => {
          const at = `fragment-at-${rand43()}`;
          ctx.addSecret('injected fragment access_token', at);
          return `access_token=${at}&token_type=bearer`;
        },
      },
      expect: { code: 'unexpected_callback_parameter' },
    },
    {
      id: 'BR-03',
      title: 'after a login with a refresh token and a UserInfo call, nothing persistent was written at all',
      server: tokenBody((b) => { b.refresh_token = `RT-${rand43()}`; }),
      expect: { ok: true },
      after: async ({ tab, key }) => {
        const r = await call(tab, 'getUserInfo');
        assert.equal(r.ok, true, JSON.stringify(r.error));
        const state = await tab.page.evaluate(async () => ({
          local: localStorage.length,
          session: Array.from({ length: sessionStorage.length }, (_, i) => sessionStorage.key(i)),
          idb: indexedDB.databases ? (await indexedDB.databases()).map((d) => d.name) : [],
          caches: globalThis.caches ? await caches.keys() : [],
          cookie: document.cookie,
        }));
        assert.deepEqual(state, { local: 0, session: [], idb: [], caches: [], cookie: '' });
        assert.deepEqual(await tab.context.cookies(), []);
        assert.ok(server.secrets(key).refresh_token, 'the refresh token is among the secrets looked for');
        return [];
      },
    },
    {
      id: 'BR-05',
      title: 'error paths after a login (replay, parameter override, UserInfo 500) leak nothing; the client object exposes no token',
      server: { ...tokenBody((b) => { b.refresh_token = `RT-${rand43()}`; }), userinfo: () => raw(500, 'oops') },
      expect: { ok: true },
      after: async ({ tab, callbackUrl }) => {
        const errors = [];
        const replay = await handleCallback(tab, callbackUrl);
        assertCode(replay.error, 'state_mismatch');
        errors.push(replay.error);
        const override = await call(tab, 'createAuthorizationUrl', { extraParams: { code_challenge: 'plain-value' } });
        assertCode(override.error, 'protocol_parameter_override');
        errors.push(override.error);
        const ui = await call(tab, 'getUserInfo');
        assertCode(ui.error, 'userinfo_invalid');
        errors.push(ui.error);
        // The exported object: nothing enumerable, printable or serialisable carries a token.
        errors.push(await tab.page.evaluate(() => {
          const a = window.__auth;
          const keys = [];
          for (const k in a) keys.push(k); // eslint-disable-line guard-for-in
          let json = null;
          try { json = JSON.stringify(a); } catch (e) { json = String(e); }
          return { string: String(a), json, keys, own: Object.getOwnPropertyNames(a), proto: Object.getOwnPropertyNames(Object.getPrototypeOf(a)) };
        }));
        // The pending transactions of the failed override were cleaned up or never written.
        await tab.page.evaluate(() => window.__auth.logout({ redirect: false, revoke: false }));
        return errors;
      },
    },
    {
      id: 'BR-06',
      title: 'error_description with HTML and error_uri javascript: are returned as text, never rendered or followed',
      server: authz((p) => {
        p.delete('code');
        p.set('error', 'access_denied');
        p.set('error_description', '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>');
        p.set('error_uri', 'javascript:window.__xss=3');
      }),
      expect: {
        code: 'authorization_error',
        error: { error_description: '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>', error_uri: 'javascript:window.__xss=3' },
        check: ({ tab, probe: p }) => {
          assert.equal(p.bodyHtml, '<main id="app">hostile test app</main>');
          assert.equal(p.href, server.redirectUri, 'navigated away');
          assert.deepEqual(tab.log.dialogs, []);
          assert.deepEqual(tab.log.popups, []);
        },
      },
    },
    {
      id: 'BR-06',
      title: 'token endpoint error with HTML description and javascript: error_uri',
      server: { token: () => json(400, { error: 'invalid_grant', error_description: '<svg onload="window.__xss=4">', error_uri: 'javascript:window.__xss=5' }) },
      expect: {
        code: 'token_error',
        requests: TOKEN,
        error: { error_description: '<svg onload="window.__xss=4">', error_uri: 'javascript:window.__xss=5' },
        check: ({ tab, probe: p }) => {
          assert.equal(p.bodyHtml, '<main id="app">hostile test app</main>');
          assert.deepEqual(tab.log.popups, []);
        },
      },
    },
    {
      id: 'BR-06',
      title: 'ID token claims with markup are returned verbatim as data',
      server: withClaims({ name: '<img src=x onerror="window.__xss=6">', picture: 'javascript:window.__xss=7' }),
      expect: {
        ok: true,
        check: ({ probe: p }) => {
          assert.equal(p.claims.name, '<img src=x onerror="window.__xss=6">');
          assert.equal(p.bodyHtml, '<main id="app">hostile test app</main>');
        },
      },
    },
  ]);

  test('BR-04 UserInfo gets the access token in the Authorization header, never in the URL (see UI-07)', async () => {
    const ctx = await runCase({
      id: 'BR-04',
      expect: { ok: true },
      after: async ({ tab }) => {
        const r = await call(tab, 'getUserInfo');
        assert.equal(r.ok, true);
        return [];
      },
    });
    const [u] = server.requests(ctx.key).filter((x) => x.endpoint === 'userinfo');
    assert.equal(u.authScheme, 'Bearer');
    assert.ok(!u.rawQuery.includes(server.secrets(ctx.key).access_token));
  });

  test('BR-13 / BR-14 200 login transactions: unique 256-bit state, nonce and verifier; S256 challenge; all bound to this tab', async () => {
    const key = keyFor('BR-13');
    const issuer = server.defineCase(key, {});
    const tab = await newTab(group);
    try {
      await openApp(tab, server);
      assert.ok((await createClient(tab, { issuer, clientId: server.clientId, redirectUri: server.redirectUri, scope: 'openid' })).ok);
      const urls = await tab.page.evaluate(async () => {
        const out = [];
        for (let i = 0; i < 200; i += 1) out.push(await window.__auth.createAuthorizationUrl()); // eslint-disable-line no-await-in-loop
        return out;
      });
      const txns = await transactions(tab);
      assert.equal(txns.length, 200);
      const byState = new Map(txns.map((t) => [t.state, t]));
      const seen = { state: new Set(), nonce: new Set(), code_challenge: new Set(), verifier: new Set() };
      for (const u of urls) {
        const q = new URL(u).searchParams;
        assert.equal(q.get('code_challenge_method'), 'S256');
        const t = byState.get(q.get('state'));
        assert.ok(t, 'a transaction per request');
        assert.match(t.code_verifier, /^[A-Za-z0-9_-]{43,128}$/);
        assert.equal(b64url(createHash('sha256').update(t.code_verifier).digest()), q.get('code_challenge'));
        assert.equal(t.nonce, q.get('nonce'));
        for (const [k, v] of [['state', q.get('state')], ['nonce', q.get('nonce')], ['code_challenge', q.get('code_challenge')], ['verifier', t.code_verifier]]) {
          assert.ok(v.length >= 43, `${k} shorter than 256 bits`);
          assert.ok(!seen[k].has(v), `${k} repeated`);
          seen[k].add(v);
        }
      }
      // BR-14: another tab of the same browser cannot use them (sessionStorage is per tab).
      const other = await tab.context.newPage();
      await other.goto(`${server.appOrigin}/app.html`);
      assert.equal(await other.evaluate(() => Object.keys(sessionStorage).filter((k) => k.startsWith('spa-oauth:')).length), 0);
      await other.close();
      await tab.page.evaluate(() => window.__auth.logout({ redirect: false, revoke: false }));
      assert.equal((await transactions(tab)).length, 0, 'logout() drops the pending transactions');
      assert.deepEqual(endpoints(key), ['discovery']);
    } finally {
      await tab.close();
    }
  });

  test('BR-15 a hostile AS sharing the redirect URI replays an honest code with the honest iss → iss_mismatch, no token request anywhere', async () => {
    const honest = keyFor('BR-15');
    const hostile = keyFor('BR-15');
    server.defineCase(honest, {});
    const honestIssuer = server.issuer(honest);
    const issuer = server.defineCase(hostile, authz((p) => { p.set('code', 'code-stolen-from-the-honest-as'); p.set('iss', honestIssuer); }));
    const tab = await newTab(group);
    try {
      const options = { issuer, clientId: server.clientId, redirectUri: server.redirectUri, scope: 'openid' };
      await openApp(tab, server);
      assert.ok((await createClient(tab, options)).ok);
      await loginAndReturn(tab, server);
      const txns = await transactions(tab);
      assert.ok((await createClient(tab, options)).ok);
      const mark = server.mark();
      const r = await handleCallback(tab);
      assertCode(r.error, 'iss_mismatch');
      assertLoggedOut(await probe(tab));
      assert.deepEqual(endpoints(hostile, mark), CALLBACK);
      assert.deepEqual(endpoints(honest), CALLBACK);
      await assertNoLeaks(tab, server, { ...secretsFor(hostile, txns), stolen: 'code-stolen-from-the-honest-as' }, { errors: [r.error] });
    } finally {
      await tab.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Issue 12: auth.fetch to resource servers (RFC 6750 §2.1/§3.1, RFC 8707, RFC 9470). The hostile
// server is the resource server too (`<issuer>/rs`, on the AS origin: CORS for the app origin,
// WWW-Authenticate exposed unless a case says otherwise, every request recorded with which issued
// token it presented, never the token); the sink origin (server.sinkOrigin) and the app origin
// must never receive anything of it. `resourceIndicators: false` (the session's token for every
// resource server, login scope "openid data:read data:write") except RS-05.
//
// Per call: the exact outcome (the Response's status, or the code and the error's fields), the
// exact number of resource requests and refresh grants, which issued token each request presented,
// one `fetch` event per answer (url, method, status, resource, scope, tokenId = the presented
// token's fingerprint, retried on the retry only), consentRequired / stepUpRequired exactly once
// per such refusal. Per case: nothing further sent (waited past the refresh backoff), the session
// still stands (a resource server's refusal does not end it), `tokens()` describes the tokens in
// memory, and the leak checks with the fetch events, `tokens()` and every error among the places
// searched for tokens.
describe('4.12 Resource servers (issue 12)', SECTION, () => {
  section();
  const SCOPE = 'openid data:read data:write';
  const www = (status, header, extra = {}) => raw(status, '', { 'www-authenticate': header }, extra);
  const OK = raw(200, '{"ok":true}', { 'content-type': 'application/json' });
  const INVALID_TOKEN = www(401, 'Bearer realm="rs", error="invalid_token", error_description="expired"');
  /** The n-th answer of the resource server: list[n − 1] (the last one repeats); functions get ctx. */
  const answers = (list) => (ctx) => {
    const a = list[Math.min(ctx.resourceCount, list.length) - 1];
    return typeof a === 'function' ? a(ctx) : a;
  };
  const PAGES = new Set(['/app.html', '/cb', '/logged-out']);

  /** auth.fetch(url, init) in the page (with `asRequest`: auth.fetch(new Request(url, init))). */
  const rsFetch = (tab, url, init, asRequest) => tab.page.evaluate(async ({ u, i, q }) => {
    try {
      const r = q ? await window.__auth.fetch(new Request(u, i ?? undefined)) : await window.__auth.fetch(u, i ?? undefined);
      return { ok: true, status: r.status, type: r.type, body: await r.text(), wwwAuthenticate: r.headers.get('www-authenticate') };
    } catch (e) {
      return { ok: false, error: window.__ser(e) };
    }
  }, { u: url, i: init ?? null, q: Boolean(asRequest) });

  /** Nothing reached the sink origin, nothing but pages reached the app origin (all cases). */
  function assertNothingElsewhere() {
    assert.deepEqual(server.sinkRequests(), [], 'the sink origin (another origin, a lookalike or a redirect target) received requests');
    const stray = server.appRequests().filter((r) => r.authorization || !PAGES.has(r.path));
    assert.deepEqual(stray, [], 'stray requests at the app origin');
  }

  /** Index (in issued(key)) of the session's own access token: the last one issued without a resource. */
  const sessionTokenIndex = (key) => server.issued(key).findLastIndex((i) => i.resource === null);

  /**
   * call: { url(u) | undefined (→ <rs>/data), init, asRequest, label,
   *         expect: { status, body } | { code, error: { field: value } },
   *         rs (resource requests, default 1), refreshes (default 0),
   *         presents(u) → issued indices the requests present (default: the session's token,
   *           then each retry the token of the refresh made during the call),
   *         fetchEvents (default rs; null: not checked), check(r, info) }
   */
  async function runCalls(ctx, def, t) {
    const { key, tab } = ctx;
    const rs = `${ctx.issuer}/rs`;
    const u = { rs, path: new URL(rs).pathname, as: server.asOrigin, asPort: new URL(server.asOrigin).port, sink: server.sinkOrigin, sinkPort: new URL(server.sinkOrigin).port, app: server.appOrigin };
    const haystack = [];
    for (const [i, c] of def.calls.entries()) {
      const url = c.url ? c.url(u) : `${rs}/data`;
      const label = `call ${i + 1} (${c.label ?? url}): `;
      const mark = server.mark();
      const sessionBefore = sessionTokenIndex(key);
      const issuedBefore = server.issued(key).length;
      const evBefore = (await events(tab)).length; // eslint-disable-line no-await-in-loop
      const r = await rsFetch(tab, url, c.init, c.asRequest); // eslint-disable-line no-await-in-loop
      const all = server.requests(key).filter((x) => x.seq > mark);
      const reqs = all.filter((x) => x.endpoint === 'rs');
      const rf = refreshes(key, mark);
      const x = c.expect;
      t.diagnostic(`${label}${r.ok ? `resolved ${r.status}` : `rejected ${r.error.code} (${r.error.message})`}; requests ${JSON.stringify(all.map((q) => `${q.endpoint}${q.answered ? ` ${q.answered}` : ''}`))}`);
      if (x.code) {
        assert.equal(r.ok, false, `${label}resolved ${r.status} ${r.body}; expected a rejection with ${x.code}`);
        assertCode(r.error, x.code, label);
        haystack.push(r.error);
        for (const [f, v] of Object.entries(x.error ?? {})) assert.deepEqual(r.error[f], v, `${label}error.${f}`);
      } else {
        assert.equal(r.ok, true, `${label}rejected ${JSON.stringify(r.error && { code: r.error.code, message: r.error.message, status: r.error.status })}; expected the ${x.status} response`);
        assert.equal(r.status, x.status, `${label}the Response's status`);
        if (x.body !== undefined) assert.equal(r.body, x.body, `${label}the Response's body`);
      }
      const nRs = c.rs ?? 1;
      assert.equal(reqs.length, nRs, `${label}${reqs.length} requests to the resource server, expected ${nRs}`);
      assert.equal(rf.length, c.refreshes ?? 0, `${label}${rf.length} refresh grants, expected ${c.refreshes ?? 0}`);
      const others = all.filter((q) => !['rs', 'preflight:rs', 'refresh', 'preflight:token'].includes(q.endpoint));
      assert.deepEqual(others.map((q) => `${q.method} ${q.path}`), [], `${label}requests elsewhere at the case`);
      if (nRs === 0) assert.deepEqual(all.map((q) => q.endpoint), [], `${label}nothing sent at all (not even a preflight)`);
      const expected = c.presents ? c.presents({ ...u, issuedBefore, sessionBefore }) : reqs.map((_, k) => (k === 0 ? sessionBefore : issuedBefore + k - 1));
      assert.deepEqual(reqs.map((q) => q.bearer?.issued), expected, `${label}the issued tokens the requests presented (indices in issued())`);
      for (const q of reqs) {
        assert.equal(q.bearer?.scheme, 'Bearer', `${label}Authorization scheme`);
        assert.equal(q.bearer?.known, true, `${label}a token the case issued`);
        assert.equal(q.rawQuery, new URL(url, server.appOrigin).search, `${label}the request's query`);
      }
      // Events of this call.
      const evs = (await events(tab)).slice(evBefore); // eslint-disable-line no-await-in-loop
      const fetchEvs = evs.filter((e) => e.name === 'fetch').map((e) => e.detail);
      haystack.push(evs);
      if (c.fetchEvents !== null) {
        const issued = server.issued(key);
        assert.deepEqual(fetchEvs, reqs.map((q, k) => ({
          url: new URL(url, server.appOrigin).href,
          method: c.init?.method ?? 'GET',
          status: q.answered,
          resource: rs,
          scope: issued[q.bearer.issued].scope,
          tokenId: q.bearer.id,
          retried: k > 0,
        })), `${label}one fetch event per answer`);
      }
      const consent = evs.filter((e) => e.name === 'consentRequired').map((e) => e.detail);
      const stepUp = evs.filter((e) => e.name === 'stepUpRequired').map((e) => e.detail);
      assert.equal(consent.length, x.code === 'consent_required' ? 1 : 0, `${label}consentRequired events`);
      assert.equal(stepUp.length, x.code === 'step_up_required' ? 1 : 0, `${label}stepUpRequired events`);
      for (const e of [...consent, ...stepUp]) {
        for (const f of ['code', 'scope', 'resource', 'acrValues', 'maxAge', 'error', 'status']) assert.deepEqual(e[f], r.error[f], `${label}the event's ${f}`);
      }
      await c.check?.(r, { ...u, reqs, rf, evs, ctx, t }); // eslint-disable-line no-await-in-loop
    }
    // Nothing further: no late retry, no late refresh (past the SDK's 2 s refresh backoff when a
    // refresh was involved).
    const before = server.requests(ctx.key).length;
    await sleep(refreshes(key).length ? BACKOFF_MS + 300 : 400);
    assert.deepEqual(server.requests(ctx.key).slice(before).map((q) => `${q.endpoint} ${q.method} ${q.path}`), [], 'the SDK sent something after the last call had settled');
    assertNothingElsewhere();
    const view = await sessionView(tab);
    if (def.sessionEnds) {
      assert.equal(view.isAuthenticated, false, 'the session ended');
    } else {
      assert.equal(view.isAuthenticated, true, 'a resource server\'s answer does not end the session');
      const tokens = await tab.page.evaluate(() => window.__auth.tokens());
      haystack.push(tokens);
      const issued = server.issued(key);
      const own = issued[sessionTokenIndex(key)];
      assert.deepEqual(tokens[0] && { ...tokens[0], expiresAt: typeof tokens[0].expiresAt }, { id: fingerprint(own.access_token), resource: null, scope: own.scope, expiresAt: 'number' }, 'tokens()[0]: the session\'s token');
      if (def.tokens) def.tokens(tokens, { rs, issued });
      else assert.equal(tokens.length, 1, `tokens(): ${JSON.stringify(tokens)}`);
    }
    return haystack;
  }

  /** One session (login with a refresh token), then def.calls in order. */
  function rsCase(def) {
    test(`${def.id} ${def.title}`, def.todo ? { todo: def.todo } : {}, (t) => runSession({
      id: def.id,
      server: { resource: answers(def.answers ?? [OK]), ...def.server },
      client: (issuer) => ({ scope: SCOPE, resourceServers: [`${issuer}/rs`], resourceIndicators: false, ...def.client }),
      run: (ctx) => runCalls(ctx, def, t),
    }, t));
  }
  const passes = (status, label) => ({ label, expect: { status }, rs: 1 });
  const invalid = (status, label) => ({ label, expect: { code: 'challenge_invalid', error: { status } } });

  rsCase({
    id: 'RS-01',
    title: 'baseline: 200 → the Response; the session\'s token in the Authorization header only; a POST keeps its method and body; fetch event; tokens() without values',
    answers: [OK, (ctx) => raw(201, JSON.stringify({ got: ctx.request.rawBody }), { 'content-type': 'application/json' })],
    calls: [
      {
        expect: { status: 200, body: '{"ok":true}' },
        check: (r, { reqs, ctx }) => {
          assert.equal(reqs[0].method, 'GET');
          assert.equal(reqs[0].authorization, 'Bearer <issued #0>');
          assert.equal(reqs[0].bearer.id, fingerprint(ctx.first.access_token));
          assert.equal(reqs[0].origin, server.appOrigin);
          assert.equal(reqs[0].cookie, null);
        },
      },
      {
        url: (u) => `${u.rs}/items?x=1`,
        init: { method: 'POST', body: '{"name":"n"}', headers: { 'content-type': 'application/json' }, scope: 'data:write' },
        expect: { status: 201, body: JSON.stringify({ got: '{"name":"n"}' }) },
        check: (r, { reqs }) => {
          assert.equal(reqs[0].method, 'POST');
          assert.equal(reqs[0].contentType, 'application/json');
        },
      },
    ],
  });

  rsCase({
    id: 'RS-02',
    title: '401 invalid_token on every answer → exactly one refresh and one retry (with the new token), then invalid_token (status 401); never a third request',
    answers: [INVALID_TOKEN],
    calls: [{
      expect: { code: 'invalid_token', error: { status: 401, error: 'invalid_token' } },
      rs: 2,
      refreshes: 1,
      check: (r, { rf, ctx }) => {
        assert.equal(rf[0].form.refresh_token, ctx.first.refresh_token);
        assert.equal(rf[0].form.resource, undefined, 'no resource indicator (resourceIndicators: false)');
      },
    }],
  });

  rsCase({
    id: 'RS-03',
    title: '401 invalid_token once → one refresh, the retry presents the rotated access token and its 200 is the Response',
    answers: [INVALID_TOKEN, OK],
    calls: [{
      expect: { status: 200, body: '{"ok":true}' },
      rs: 2,
      refreshes: 1,
      check: async (r, { evs, ctx }) => {
        assert.equal(evs.filter((e) => e.name === 'tokenRefreshed').length, 1, 'tokenRefreshed');
        const got = await call(ctx.tab, 'getAccessToken');
        assert.equal(got.value, server.issued(ctx.key)[1].access_token, 'getAccessToken(): the refreshed token');
      },
    }],
  });

  rsCase({
    id: 'RS-03+',
    title: 'scheme and parameter names in other case (`dpop`, `ERROR=`, unquoted) still count: invalid_token once → refresh, retry, 200',
    answers: [www(401, 'dpop ERROR=invalid_token'), OK],
    calls: [{ expect: { status: 200 }, rs: 2, refreshes: 1 }],
  });

  rsCase({
    id: 'RS-04',
    title: '401 invalid_token for a call declaring a scope the session\'s token covers → the token is refreshed and the retry presents the new one (not the refused one again)',
    // The resource server refuses the login's token, and only that one.
    answers: [(ctx) => (ctx.bearer?.issued === 0 ? INVALID_TOKEN : OK)],
    calls: [{ init: { scope: 'data:read' }, expect: { status: 200 }, rs: 2, refreshes: 1 }],
  });

  rsCase({
    id: 'RS-05',
    title: 'resourceIndicators: a token per resource (refresh with resource + scope), reused; invalid_token → that token dropped, one refresh for the resource, the retry presents the new one',
    client: { resourceIndicators: true },
    server: { refresh: { resourceIndicators: true } },
    answers: [OK, OK, INVALID_TOKEN, OK],
    calls: [
      {
        init: { scope: 'data:read' },
        expect: { status: 200 },
        refreshes: 1,
        presents: (u) => [u.issuedBefore],
        check: (r, { rf, rs, ctx }) => {
          assert.deepEqual({ resource: rf[0].form.resource, scope: rf[0].form.scope }, { resource: rs, scope: 'data:read' }, 'RFC 8707 resource + scope on the refresh grant');
          const login = server.requests(ctx.key).find((q) => q.endpoint === 'authorize');
          assert.equal(login.query.resource, rs, 'the login asked for the resource server (RFC 8707 §2.1)');
        },
      },
      { init: { scope: 'data:read' }, expect: { status: 200 }, presents: () => [1] },
      { init: { scope: 'data:read' }, expect: { status: 200 }, rs: 2, refreshes: 1, presents: () => [1, 2] },
    ],
    tokens: (tokens, { rs, issued }) => {
      assert.deepEqual(tokens.slice(1).map((x) => ({ ...x, expiresAt: typeof x.expiresAt })), [{ id: fingerprint(issued[2].access_token), resource: rs, scope: 'data:read', expiresAt: 'number' }], 'tokens(): the resource\'s current token, the refused one gone');
    },
  });

  rsCase({
    id: 'RS-06',
    title: '403 insufficient_scope naming a scope the token already has → consent_required (that scope, resource, status 403), consentRequired; one request per call, no refresh, no loop when the app calls again',
    answers: [www(403, 'Bearer error="insufficient_scope", scope="data:read"')],
    calls: [1, 2, 3].map((n) => ({
      label: `call #${n}`,
      init: { scope: 'data:read' },
      expect: { code: 'consent_required', error: { scope: 'data:read', error: 'insufficient_scope', status: 403 } },
      check: (r, { rs }) => assert.equal(r.error.resource, rs),
    })),
  });

  rsCase({
    id: 'RS-07',
    title: '403 insufficient_scope naming scopes the token partly lacks → consent_required with the missing scope only',
    answers: [www(403, 'Bearer error="insufficient_scope", scope="data:read admin:all  audit"')],
    calls: [{ expect: { code: 'consent_required', error: { scope: 'admin:all audit', error: 'insufficient_scope', status: 403 } } }],
  });

  rsCase({
    id: 'RS-08',
    title: '403 insufficient_scope without a scope: the call\'s declared scope is asked for; with no declared scope either → challenge_invalid (status 403)',
    answers: [www(403, 'Bearer error="insufficient_scope"')],
    calls: [
      { init: { scope: 'data:write' }, expect: { code: 'consent_required', error: { scope: 'data:write', status: 403 } } },
      invalid(403, 'no scope anywhere'),
    ],
  });

  rsCase({
    id: 'RS-09',
    title: '401 insufficient_user_authentication with acr_values and max_age → step_up_required (acrValues, maxAge), stepUpRequired; no refresh, one request per call',
    answers: [www(401, 'Bearer error="insufficient_user_authentication", error_description="mfa", acr_values="urn:mfa urn:hw", max_age=300')],
    calls: [1, 2].map((n) => ({
      label: `call #${n}`,
      expect: { code: 'step_up_required', error: { acrValues: 'urn:mfa urn:hw', maxAge: 300, status: 401, error: 'insufficient_user_authentication' } },
      check: (r, { rs }) => assert.equal(r.error.resource, rs),
    })),
  });

  rsCase({
    id: 'RS-10',
    title: 'a 401 without a readable challenge (no header; invalid_token not exposed to the page by CORS) → the 401 Response as is, no refresh',
    answers: [raw(401, 'no'), { ...INVALID_TOKEN, expose: false }],
    calls: [passes(401, 'no WWW-Authenticate'), passes(401, 'WWW-Authenticate not exposed')],
  });

  rsCase({
    id: 'RS-11',
    title: 'challenges that are not Bearer/DPoP errors pass through as the Response, no refresh: Basic error="invalid_token", other schemes, other errors, no error, garbage, the right error on a status that is not 401/403',
    answers: [
      www(401, 'Basic error="invalid_token"'),
      www(401, 'Basic realm="x", error="invalid_token"'),
      www(401, 'Bearerx error="invalid_token"'),
      www(401, 'error="invalid_token"'),
      www(401, 'Bearer error="invalid_request"'),
      www(403, 'Bearer error="access_denied", scope="data:read"'),
      www(401, 'Bearer realm="rs"'),
      www(401, 'Bearer ,=,="'),
      www(401, 'Basic realm="Bearer error=\\"invalid_token\\""'),
      www(200, 'Bearer error="invalid_token"'),
      www(400, 'Bearer error="invalid_token"'),
      www(404, 'Bearer error="insufficient_scope", scope="x"'),
      raw(500, 'boom'),
    ],
    calls: [
      passes(401, 'Basic error="invalid_token"'),
      passes(401, 'Basic realm, error="invalid_token"'),
      passes(401, 'Bearerx scheme'),
      passes(401, 'no scheme'),
      passes(401, 'invalid_request'),
      passes(403, 'access_denied'),
      passes(401, 'no error'),
      passes(401, 'garbage'),
      passes(401, 'a Bearer error inside a quoted parameter'),
      passes(200, '200 with invalid_token'),
      passes(400, '400 with invalid_token'),
      passes(404, '404 with insufficient_scope'),
      passes(500, '500'),
    ],
  });

  rsCase({
    id: 'RS-12',
    title: 'challenges naming different errors (one header, two header lines, across Bearer and DPoP) → challenge_invalid, no refresh, one request each',
    answers: [
      www(401, 'Bearer error="invalid_token", Bearer error="insufficient_scope"'),
      www(401, ['Bearer error="invalid_token"', 'Bearer error="insufficient_user_authentication"']),
      www(401, 'Bearer error="invalid_token", DPoP error="insufficient_user_authentication"'),
      www(403, 'DPoP error="insufficient_scope", scope="data:read", Bearer error="invalid_token"'),
    ],
    calls: [invalid(401, 'two Bearer'), invalid(401, 'two header lines'), invalid(401, 'Bearer + DPoP'), invalid(403, 'DPoP + Bearer on 403')],
  });

  rsCase({
    id: 'RS-13',
    title: 'one challenge with error, scope, acr_values or max_age twice with different values → challenge_invalid',
    answers: [
      www(401, 'Bearer error="invalid_token", error="insufficient_user_authentication"'),
      www(403, 'Bearer error="insufficient_scope", scope="data:read", scope="admin"'),
      www(401, 'Bearer error="insufficient_user_authentication", acr_values="urn:a", acr_values="urn:b"'),
      www(401, 'Bearer error="insufficient_user_authentication", max_age=300, max_age=60'),
    ],
    calls: [invalid(401, 'error twice'), invalid(403, 'scope twice'), invalid(401, 'acr_values twice'), invalid(401, 'max_age twice')],
  });

  rsCase({
    id: 'RS-14',
    title: 'the error on the wrong status (invalid_token on 403, insufficient_scope on 401, insufficient_user_authentication on 403) → challenge_invalid with that status',
    answers: [
      www(403, 'Bearer error="invalid_token"'),
      www(401, 'Bearer error="insufficient_scope", scope="data:read"'),
      www(403, 'Bearer error="insufficient_user_authentication", acr_values="urn:mfa"'),
    ],
    calls: [invalid(403, 'invalid_token on 403'), invalid(401, 'insufficient_scope on 401'), invalid(403, 'insufficient_user_authentication on 403')],
  });

  rsCase({
    id: 'RS-15',
    title: 'scope / acr_values that are not RFC 6749 §3.3 token lists (quote, backslash, tab, non-ASCII, empty) → challenge_invalid',
    answers: [
      www(403, 'Bearer error="insufficient_scope", scope="data:read a\\"b"'),
      www(403, 'Bearer error="insufficient_scope", scope="a\\\\b"'),
      www(403, 'Bearer error="insufficient_scope", scope="a\tb"'),
      www(403, 'Bearer error="insufficient_scope", scope="d\u00e4t\u00e4"'),
      www(403, 'Bearer error="insufficient_scope", scope=""'),
      www(403, 'Bearer error="insufficient_scope", scope="   "'),
      www(401, 'Bearer error="insufficient_user_authentication", acr_values="urn:a\\"b"'),
      www(401, 'Bearer error="insufficient_user_authentication", acr_values="urn:\u00e9"'),
      www(401, 'Bearer error="insufficient_user_authentication", acr_values=""'),
    ],
    calls: [
      { ...invalid(403, 'scope with a quote'), init: { scope: 'data:read' } },
      invalid(403, 'scope with a backslash'),
      invalid(403, 'scope with a tab'),
      invalid(403, 'scope with non-ASCII'),
      { ...invalid(403, 'empty scope'), init: { scope: 'data:read' } },
      invalid(403, 'blank scope'),
      invalid(401, 'acr_values with a quote'),
      invalid(401, 'acr_values with non-ASCII'),
      invalid(401, 'empty acr_values'),
    ],
  });

  const badMaxAge = ['-1', '1.5', '1e3', '""', 'abc', '99999999999', '0x10', '"3 00"'];
  rsCase({
    id: 'RS-16',
    title: `max_age not a whole number of at most 10 digits (${badMaxAge.join(', ')}) → challenge_invalid; 0 and 9999999999 are fine`,
    answers: [
      ...badMaxAge.map((m) => www(401, `Bearer error="insufficient_user_authentication", acr_values="urn:mfa", max_age=${m}`)),
      www(401, 'Bearer error="insufficient_user_authentication", max_age=0'),
      www(401, 'Bearer error="insufficient_user_authentication", max_age="9999999999"'),
    ],
    calls: [
      ...badMaxAge.map((m) => invalid(401, `max_age=${m}`)),
      { label: 'max_age=0', expect: { code: 'step_up_required', error: { maxAge: 0, acrValues: undefined } } },
      { label: 'max_age="9999999999"', expect: { code: 'step_up_required', error: { maxAge: 9999999999 } } },
    ],
  });

  const challengeOf = (bytes) => {
    const head = 'Bearer error="invalid_token", error_description="';
    return `${head}${'x'.repeat(bytes - head.length - 1)}"`;
  };
  rsCase({
    id: 'RS-17',
    title: 'a WWW-Authenticate over 8 KiB (64 KiB; 8 KiB + 1) → challenge_invalid, no refresh; exactly 8 KiB is read (invalid_token → refresh, retry)',
    answers: [www(401, challengeOf(64 * 1024)), www(401, challengeOf(8 * 1024 + 1)), www(401, challengeOf(8 * 1024)), OK],
    calls: [
      invalid(401, '64 KiB'),
      invalid(401, '8 KiB + 1'),
      { label: '8 KiB exactly', expect: { status: 200 }, rs: 2, refreshes: 1 },
    ],
  });

  rsCase({
    id: 'RS-18',
    title: '3xx (302/307/308 to another origin, 303 to another host, 301 to a sibling path) → redirect_refused; the targets get nothing',
    answers: [
      (ctx) => raw(302, '', { location: `${server.sinkOrigin}/case/${encodeURIComponent(ctx.id)}/rs/stolen` }),
      (ctx) => raw(307, '', { location: `${server.sinkOrigin}/case/${encodeURIComponent(ctx.id)}/rs/stolen` }),
      (ctx) => raw(308, '', { location: `${server.sinkOrigin}/case/${encodeURIComponent(ctx.id)}/rs/stolen` }),
      (ctx) => raw(303, '', { location: `http://localhost:${new URL(ctx.asOrigin).port}/case/${encodeURIComponent(ctx.id)}/redirect-target` }),
      raw(301, '', { location: '../other' }),
      raw(302, '', { location: 'data/2' }),
    ],
    calls: ['302', '307', '308', '303', '301 ../other', '302 to a path under the resource server'].map((label) => ({
      label,
      init: label === '307' ? { method: 'POST', body: 'payload' } : undefined,
      expect: { code: 'redirect_refused' },
      fetchEvents: null, // checked here: the browser's opaque-redirect answer has status 0
      check: (r, { evs }) => assert.deepEqual(evs.filter((e) => e.name === 'fetch').map((e) => [e.detail.status, e.detail.retried]), [[0, false]], `${label}: one fetch event, status 0`),
    })),
  });

  rsCase({
    id: 'RS-19',
    title: 'lookalike URLs (another port, host or scheme; a sibling path; ../ and %2e%2e and backslashes normalised outside; other case; the parent; relative; blob:; a Request object) → resource_not_allowed, nothing sent anywhere; then an allowed call works',
    calls: [
      ...[
        ['another port (the sink)', (u) => `${u.sink}${u.path}/data`],
        ['another host, same port', (u) => `http://localhost:${u.asPort}${u.path}/data`],
        ['[::1], same port', (u) => `http://[::1]:${u.asPort}${u.path}/data`],
        ['https', (u) => `https://127.0.0.1:${u.asPort}${u.path}/data`],
        ['127.0.0.1.evil', (u) => `http://127.0.0.1.evil:${u.asPort}${u.path}/data`],
        ['sibling /rs-evil', (u) => `${u.as}${u.path}-evil`],
        ['sibling /rs-evil/data', (u) => `${u.as}${u.path}-evil/data`],
        ['/rs/../other', (u) => `${u.as}${u.path}/../other`],
        ['/rs/%2e%2e/other', (u) => `${u.as}${u.path}/%2e%2e/other`],
        ['/rs/.%2E/.%2e/x', (u) => `${u.as}${u.path}/.%2E/.%2e/x`],
        ['/rs\\..\\other', (u) => `${u.as}${u.path}\\..\\other`],
        ['/RS', (u) => `${u.as}${u.path.replace(/\/rs$/, '/RS')}/data`],
        ['the parent', (u) => `${u.as}${u.path.replace(/\/rs$/, '')}`],
        ['the parent with a trailing slash', (u) => `${u.as}${u.path.replace(/\/rs$/, '/')}`],
        ['relative (the app origin)', (u) => `${u.path}/data`],
        ['blob: of the resource server\'s origin', (u) => `blob:${u.as}${u.path}/data`],
      ].map(([label, url]) => ({ label, url, expect: { code: 'resource_not_allowed' }, rs: 0 })),
      { label: 'a Request object for the sink', url: (u) => `${u.sink}${u.path}/data`, asRequest: true, expect: { code: 'resource_not_allowed' }, rs: 0 },
      { label: 'a Request object for the sink, POST', url: (u) => `${u.sink}${u.path}/data`, init: { method: 'POST', body: 'x' }, asRequest: true, expect: { code: 'resource_not_allowed' }, rs: 0 },
      { label: 'allowed: the entry itself', url: (u) => u.rs, expect: { status: 200 } },
      { label: 'allowed: ..%2F stays under /rs', url: (u) => `${u.rs}/a/..%2Fb`, expect: { status: 200 } },
      { label: 'allowed: with a query and a fragment', url: (u) => `${u.rs}/data?q=1#frag`, expect: { status: 200 } },
    ],
  });

  rsCase({
    id: 'RS-20',
    title: 'URLs the browser will not make a Request of, though they look like the resource server (credentials, a port with a suffix) → invalid_config (the browser refuses them before the allow-list), nothing sent',
    calls: [
      ['user@host', (u) => `http://user@127.0.0.1:${u.asPort}${u.path}/data`],
      ['user:password@host', (u) => `http://user:pw@127.0.0.1:${u.asPort}${u.path}/data`],
      ['<rs host:port>@<sink>', (u) => `http://127.0.0.1:${u.asPort}@127.0.0.1:${u.sinkPort}${u.path}/data`],
      ['127.0.0.1:<port>.evil', (u) => `http://127.0.0.1:${u.asPort}.evil${u.path}/data`],
    ].map(([label, url]) => ({ label, url, expect: { code: 'invalid_config' }, rs: 0 })),
  });

  rsCase({
    id: 'RS-21',
    title: '401 invalid_token and the refresh refused with invalid_grant → login_required, the session ends, the request is not retried',
    server: { refresh: { response: () => json(400, { error: 'invalid_grant', error_description: 'revoked' }) } },
    answers: [INVALID_TOKEN],
    sessionEnds: true,
    calls: [{ expect: { code: 'login_required' }, refreshes: 1 }],
  });
});

// ---------------------------------------------------------------------------------------------
// §4.13 Pushed authorization requests (RFC 9126, the suite's own section): the full build with
// `par: true`, or with the provider's `require_pushed_authorization_requests`. The hostile AS
// advertises its /par endpoint, checks every push like an authorization request (public client:
// client_id in the body, no Authorization, no cookie), keeps it under the request_uri it answers,
// and resolves that request_uri (single use) when the browser arrives with client_id + request_uri
// only. A good push is followed by the whole login (authorize → callback → token → ID token). A
// push answer the SDK must refuse: loginWithRedirect() and createAuthorizationUrl() each reject
// with the stable code after exactly one push, nothing is navigated, the login transaction is
// removed from sessionStorage, and nothing further is sent (nor to the sink a redirect points at).
describe('4.13 Pushed authorization requests (RFC 9126)', SECTION, () => {
  section();
  const PAR = { par: {} };
  const USES_PAR = { par: true };
  const PAR_FIELDS = ['client_id', 'code_challenge', 'code_challenge_method', 'nonce', 'redirect_uri', 'response_type', 'scope', 'state'];
  const byEndpoint = (key, ep, since = 0) => server.requests(key).filter((r) => r.endpoint === ep && r.seq > since);
  const appUrl = () => `${server.appOrigin}/app.html`;
  const sinkFor = (key) => server.sinkRequests().filter((r) => r.path.includes(`/case/${encodeURIComponent(key)}/`));

  /**
   * The one push of a login and the authorization request that carried its reference: POST,
   * form-encoded, no Authorization / query; exactly the request's parameters (+ `extra`), those
   * of the stored transaction `txn` (state, nonce, the S256 challenge of its verifier); the
   * authorization request after it has client_id and request_uri only, the one the AS answered,
   * and the AS resolved it to this push.
   */
  function assertPushed(key, { extra = {}, txn, scope = 'openid' } = {}) {
    const [push, ...more] = byEndpoint(key, 'par');
    assert.ok(push, 'no push to the PAR endpoint');
    assert.deepEqual(more.map((r) => r.seq), [], 'more than one push');
    assert.equal(push.method, 'POST', 'the push\'s method');
    assert.match(push.contentType ?? '', /^application\/x-www-form-urlencoded(\s*;.*)?$/, 'the push\'s content-type');
    assert.equal(push.authorization, null, 'Authorization on the push (a public client)');
    assert.equal(push.rawQuery, '', 'a query string on the push');
    const f = push.form ?? {};
    assert.deepEqual(Object.keys(f).sort(), [...PAR_FIELDS, ...Object.keys(extra)].sort(), 'the pushed fields');
    assert.deepEqual(
      { response_type: f.response_type, client_id: f.client_id, redirect_uri: f.redirect_uri, scope: f.scope, code_challenge_method: f.code_challenge_method },
      { response_type: 'code', client_id: server.clientId, redirect_uri: server.redirectUri, scope, code_challenge_method: 'S256' },
      'the pushed request',
    );
    assert.match(f.code_challenge, /^[A-Za-z0-9_-]{43}$/, 'code_challenge');
    assert.ok(f.state?.length >= 22 && f.nonce?.length >= 22, 'state and nonce pushed');
    for (const [k, v] of Object.entries(extra)) assert.equal(f[k], v, `extra parameter ${k}`);
    if (txn) {
      assert.equal(f.state, txn.state, 'the pushed state is the stored transaction\'s');
      if (txn.nonce) assert.equal(f.nonce, txn.nonce, 'the pushed nonce is the stored transaction\'s');
      if (txn.code_verifier) assert.equal(f.code_challenge, b64url(createHash('sha256').update(txn.code_verifier, 'ascii').digest()), 'code_challenge is S256 of the stored verifier');
    }
    assert.equal(typeof push.requestUri, 'string', 'the AS answered a request_uri');
    const [a, ...again] = byEndpoint(key, 'authorize');
    assert.ok(a, 'no authorization request');
    assert.deepEqual(again.map((r) => r.seq), [], 'more than one authorization request');
    assert.ok(a.seq > push.seq, 'the authorization request came before the push');
    assert.deepEqual(a.queryKeys, ['client_id', 'request_uri'], `the authorization request carries client_id and request_uri only: ${a.queryKeys.join(', ')}`);
    assert.deepEqual(a.query, { client_id: server.clientId, request_uri: push.requestUri }, 'the authorization request');
    assert.equal(a.pushedSeq, push.seq, 'the AS resolved request_uri to the push');
    const order = endpoints(key).slice(0, 3);
    assert.deepEqual(order, ['discovery', 'par', 'authorize'], 'discovery, then the push, then the authorization request');
    return { push, authorize: a };
  }

  const pushedLogin = (extra = {}) => ({ ok: true, check: ({ key, txns }) => { assertPushed(key, { txn: txns[0], extra }); } });
  // Every printable ASCII character (RFC 9126 lets the AS mint any URI; the SDK must encode it).
  const PRINTABLE = Array.from({ length: 0x7f - 0x21 }, (_, i) => String.fromCharCode(0x21 + i)).join('');
  const uriOf = (length) => { const head = `urn:ietf:params:oauth:request_uri:${PRINTABLE}`; return head + 'x'.repeat(length - head.length); };

  cases([
    { id: 'PAR-01', title: 'par: true: the request pushed (state, nonce, S256 challenge, redirect_uri, scope), the browser carries client_id + request_uri only, the AS resolves it, the login completes', server: PAR, client: USES_PAR, expect: pushedLogin() },
    { id: 'PAR-01', title: 'par: true with extraParams (ui_locales, login_hint): pushed, not in the URL', server: PAR, client: USES_PAR, login: { extraParams: { ui_locales: 'de fr', login_hint: 'alice@hostile.test' } }, expect: pushedLogin({ ui_locales: 'de fr', login_hint: 'alice@hostile.test' }) },
    {
      id: 'PAR-03',
      title: 'a request_uri of exactly 2048 characters with every printable ASCII character, expires_in 1 → accepted, carried exactly (encoded), the login completes',
      server: { par: { answer: (b) => ({ ...b, request_uri: uriOf(2048), expires_in: 1 }) } },
      client: USES_PAR,
      expect: { ok: true, check: ({ key, txns }) => { const { push } = assertPushed(key, { txn: txns[0] }); assert.equal(push.requestUri.length, 2048); } },
    },
    {
      id: 'PAR-03',
      title: 'a 201 with more members, a fractional expires_in and a charset → accepted',
      server: { par: { answer: (b) => json(201, { ...b, expires_in: 59.5, extra: { nested: [1] } }, { 'content-type': 'application/json; charset=utf-8' }) } },
      client: USES_PAR,
      expect: { ok: true, check: ({ key, txns }) => { assertPushed(key, { txn: txns[0] }); } },
    },
  ]);

  // createAuthorizationUrl (a promise with PAR): the URL only, nothing navigated; the app navigates.
  test('PAR-02 createAuthorizationUrl with par: true → resolves <authorization_endpoint>?client_id&request_uri (one push, no cookie on it though the AS host has one, nothing navigated, the transaction stored); navigating to it completes the login → accepted', async () => {
    const key = keyFor('PAR-02');
    const issuer = server.defineCase(key, PAR);
    const options = { issuer, clientId: server.clientId, redirectUri: server.redirectUri, scope: 'openid', par: true };
    const tab = await newTab(group);
    try {
      await openApp(tab, server);
      assert.ok((await createClient(tab, options)).ok);
      // Cookies are per host, not per port: this one is the AS's too (the navigation sends it);
      // the push (credentials: 'omit') must not.
      await tab.page.evaluate(() => { document.cookie = 'hostile_as_sid=as-session-cookie; path=/; SameSite=Lax'; });
      const navs = tab.log.navigations.length;
      const mark = server.mark();
      const r = await call(tab, 'createAuthorizationUrl');
      assert.equal(r.ok, true, `createAuthorizationUrl rejected: ${JSON.stringify(r.error)}`);
      await sleep(150);
      assert.deepEqual(endpoints(key, mark), ['par'], 'one push, nothing else');
      assert.equal(tab.log.navigations.length, navs, 'createAuthorizationUrl navigated');
      assert.equal(tab.page.url(), appUrl());
      const [push] = byEndpoint(key, 'par');
      const u = new URL(r.value);
      assert.equal(`${u.origin}${u.pathname}`, `${issuer}/authorize`, 'the authorization endpoint');
      assert.deepEqual([...u.searchParams.keys()], ['client_id', 'request_uri'], 'client_id and request_uri only');
      assert.equal(u.searchParams.get('client_id'), server.clientId);
      assert.equal(u.searchParams.get('request_uri'), push.requestUri);
      assert.equal(u.hash, '');
      const txns = await transactions(tab);
      assert.equal(txns.length, 1, 'the login transaction is stored');
      await tab.page.goto(r.value, { waitUntil: 'load' });
      assert.ok(tab.page.url().startsWith(server.redirectUri), `arrived at ${tab.page.url()}`);
      assert.ok((await createClient(tab, options)).ok);
      const cb = await handleCallback(tab);
      assert.equal(cb.ok, true, `handleRedirectCallback rejected: ${JSON.stringify(cb.error)}`);
      const p = await probe(tab);
      assertLoggedIn(p, key);
      const { push: pushed, authorize } = assertPushed(key, { txn: txns[0] });
      assert.equal(pushed.cookie, null, 'a cookie on the push');
      assert.match(authorize.cookie ?? '', /hostile_as_sid=/, 'the cookie applies to the AS (the navigation carried it)');
      const secrets = secretsFor(key, txns);
      await assertNoLeaks(tab, server, secrets);
      assertServerSide(key, secrets);
      await settled(key, counts(key));
    } finally {
      // The section's other tabs share this context's cookie jar.
      await tab.context.clearCookies({ name: 'hostile_as_sid' }).catch(() => {});
      await tab.close();
    }
  });

  /**
   * A push answer the SDK must refuse (`answer(body, ctx)`: the AS's answer): loginWithRedirect()
   * and then createAuthorizationUrl() each reject with `expect.code` (and `expect.error`'s
   * fields) after exactly one push and nothing else; nothing navigated, no transaction left in
   * sessionStorage; the client stays logged out; nothing reaches the sink; no secret (the pushed
   * state and nonce included) in any error, storage or console line.
   */
  function parFailure({ id, title, answer, expect, client = {}, server: spec = {}, browserRetries = false }) {
    test(`${id} ${title} → ${expect.code}`, async () => {
      const key = keyFor(id);
      const issuer = server.defineCase(key, { ...spec, par: { ...spec.par, answer } });
      const options = { issuer, clientId: server.clientId, redirectUri: server.redirectUri, scope: 'openid', par: true, ...client };
      const tab = await newTab(group);
      try {
        await openApp(tab, server);
        const created = await createClient(tab, options);
        assert.ok(created.ok, `AuthClient.create rejected: ${JSON.stringify(created.error)}`);
        const errors = [];
        for (const method of ['loginWithRedirect', 'createAuthorizationUrl']) {
          const navs = tab.log.navigations.length;
          const mark = server.mark();
          const r = await call(tab, method);
          assert.equal(r.ok, false, `${method} resolved ${JSON.stringify(r.value)}; expected ${expect.code}`);
          assertCode(r.error, expect.code, `${method}: `);
          errors.push(r.error);
          for (const [field, value] of Object.entries(expect.error ?? {})) assert.equal(r.error[field], value, `${method}: error.${field}`);
          await sleep(150);
          const sent = endpoints(key, mark);
          // A connection closed before any answer: Chromium itself may send the request again
          // (its network stack retries a request whose connection was reset), one fetch still.
          if (browserRetries) assert.ok(sent.length >= 1 && sent.every((ep) => ep === 'par'), `${method}: pushes only, nothing after them: ${JSON.stringify(sent)}`);
          else assert.deepEqual(sent, ['par'], `${method}: one push and nothing after it`);
          assert.equal(tab.log.navigations.length, navs, `${method}: navigated after a refused push`);
          assert.equal(tab.page.url(), appUrl(), `${method}: the page moved`);
          assert.deepEqual((await transactions(tab)).map((t) => t.key), [], `${method}: the login transaction is still in sessionStorage`);
        }
        if (!browserRetries) assert.equal(byEndpoint(key, 'par').length, 2);
        const p = await probe(tab);
        assertLoggedOut(p);
        assert.deepEqual(p.unhandled, [], 'unhandled promise rejections in the page');
        assert.deepEqual(sinkFor(key), [], 'the sink received a request');
        const secrets = secretsFor(key);
        assert.ok(Object.keys(secrets).some((n) => n.endsWith(' state')) && Object.keys(secrets).some((n) => n.endsWith(' nonce')), 'the pushed state and nonce are among the secrets searched');
        await assertNoLeaks(tab, server, secrets, { errors, cleanUrl: false });
        assertServerSide(key, secrets);
        await settled(key, counts(key));
      } finally {
        await tab.close();
      }
    });
  }

  const GOOD = (b) => b;
  const body201 = (patch) => (b) => { const out = { ...b, ...patch }; for (const [k, v] of Object.entries(patch)) if (v === undefined) delete out[k]; return out; };
  const rawBody = (status, text, type = 'application/json') => () => raw(status, text, { 'content-type': type });
  const parError = (status, body) => ({ code: 'par_error', error: { error: body.error, error_description: body.error_description, status } });
  const invalid = (status) => ({ code: 'par_response_invalid', error: { status } });

  // RFC 6749 §5.2 error bodies on a non-201 → par_error with error, error_description, status.
  for (const [status, body] of [
    [400, { error: 'invalid_request', error_description: 'redirect_uri is not registered' }],
    [401, { error: 'invalid_client', error_description: 'unknown client' }],
    [400, { error: 'invalid_scope' }],
    [500, { error: 'server_error', error_description: 'try later' }],
    [503, { error: 'temporarily_unavailable' }],
    [200, { error: 'invalid_request', error_description: 'a 200 with an error body' }],
  ]) {
    parFailure({ id: 'PAR-04', title: `${status} ${JSON.stringify(body)}`, answer: () => json(status, body), expect: parError(status, body) });
  }

  // Another status with a good body.
  parFailure({ id: 'PAR-05', title: '200 (not 201) with a good request_uri / expires_in', answer: (b) => json(200, b), expect: invalid(200) });
  parFailure({ id: 'PAR-05', title: '202 with a good request_uri / expires_in', answer: (b) => json(202, b), expect: invalid(202) });
  parFailure({ id: 'PAR-05', title: '204, no body', answer: () => raw(204, ''), expect: invalid(204) });

  // request_uri defects in a 201.
  for (const [label, value] of [
    ['missing', undefined],
    ['empty', ''],
    ['a number', 42],
    ['null', null],
    ['an array', ['urn:ietf:params:oauth:request_uri:abc']],
    ['an object', { uri: 'urn:ietf:params:oauth:request_uri:abc' }],
    ['2049 characters', uriOf(2049)],
    ['64 KiB', uriOf(64 * 1024)],
    ['with a space', 'urn:ietf:params:oauth:request_uri:abc def'],
    ['a leading space', ' urn:ietf:params:oauth:request_uri:abc'],
    ['with a tab', 'urn:ietf:params:oauth:request_uri:abc\tdef'],
    ['with a newline', 'urn:ietf:params:oauth:request_uri:abc\r\nLocation: x'],
    ['with NUL', 'urn:ietf:params:oauth:request_uri:abc\u0000'],
    ['with DEL', 'urn:ietf:params:oauth:request_uri:abc\u007f'],
    ['with a non-ASCII character', 'urn:ietf:params:oauth:request_uri:abé'],
  ]) {
    parFailure({ id: 'PAR-06', title: `201 with request_uri ${label}`, answer: body201({ request_uri: value }), expect: invalid(201) });
  }

  // expires_in defects in a 201.
  for (const [label, value] of [['missing', undefined], ['0', 0], ['negative', -60], ['a string', '60'], ['null', null], ['true', true]]) {
    parFailure({ id: 'PAR-07', title: `201 with expires_in ${label}`, answer: body201({ expires_in: value }), expect: invalid(201) });
  }
  parFailure({ id: 'PAR-07', title: '201 with expires_in 1e999 (not finite)', answer: (b) => raw(201, `{"request_uri":${JSON.stringify(b.request_uri)},"expires_in":1e999}`, { 'content-type': 'application/json' }), expect: invalid(201) });

  // Other shapes.
  parFailure({ id: 'PAR-08', title: '201 not JSON (text/plain)', answer: rawBody(201, 'request_uri=urn:x&expires_in=60', 'text/plain'), expect: invalid(201) });
  parFailure({ id: 'PAR-08', title: '201 truncated JSON', answer: (b) => raw(201, JSON.stringify(b).slice(0, -1), { 'content-type': 'application/json' }), expect: invalid(201) });
  parFailure({ id: 'PAR-08', title: '201 empty body', answer: rawBody(201, ''), expect: invalid(201) });
  parFailure({ id: 'PAR-08', title: '201 a JSON array holding a good answer', answer: (b) => json(201, [b]), expect: invalid(201) });
  parFailure({ id: 'PAR-08', title: '201 a JSON string', answer: (b) => json(201, JSON.stringify(JSON.stringify(b))), expect: invalid(201) });
  parFailure({ id: 'PAR-08', title: '201 with request_uri twice', answer: (b) => raw(201, `{"request_uri":"urn:ietf:params:oauth:request_uri:a","request_uri":${JSON.stringify(b.request_uri)},"expires_in":60}`, { 'content-type': 'application/json' }), expect: invalid(201) });
  parFailure({ id: 'PAR-08', title: '201 with an error body and no request_uri', answer: () => json(201, { error: 'invalid_request' }), expect: invalid(201) });
  parFailure({ id: 'PAR-08', title: '400 HTML', answer: rawBody(400, '<html>bad request</html>', 'text/html'), expect: invalid(400) });
  parFailure({ id: 'PAR-08', title: '400 with a non-string error', answer: () => json(400, { error: 42 }), expect: invalid(400) });
  parFailure({ id: 'PAR-08', title: '400 with an empty error', answer: () => json(400, { error: '' }), expect: invalid(400) });
  parFailure({ id: 'PAR-08', title: '400 a JSON array', answer: () => json(400, [{ error: 'invalid_request' }]), expect: invalid(400) });
  parFailure({ id: 'PAR-08', title: '500 without an error body', answer: rawBody(500, 'oops', 'text/plain'), expect: invalid(500) });
  parFailure({ id: 'PAR-08', title: '502 empty', answer: rawBody(502, ''), expect: invalid(502) });

  // Redirects are never followed (the pushed request would go along with a 307/308).
  for (const [status, where] of [[302, 'the sink'], [307, 'the sink'], [308, 'the sink'], [303, 'the AS\'s /redirect-target']]) {
    parFailure({
      id: 'PAR-09',
      title: `${status} to ${where}`,
      answer: (b, ctx) => raw(status, '', { location: where === 'the sink' ? `${server.sinkOrigin}/case/${encodeURIComponent(ctx.id)}/par` : `${ctx.issuer}/redirect-target` }),
      expect: { code: 'redirect_refused' },
    });
  }

  // Transport failures.
  parFailure({ id: 'PAR-10', title: 'the connection closed before an answer (the browser may resend it)', answer: () => ({ raw: true, reset: true }), expect: { code: 'network_error' }, browserRetries: true });
  parFailure({ id: 'PAR-10', title: 'the connection closed while the 201 body is read', answer: (b) => ({ ...json(201, b), truncate: true }), expect: { code: 'network_error' } });
  parFailure({ id: 'PAR-10', title: 'a good 201 without CORS (unreadable)', answer: (b) => ({ ...json(201, b), cors: false }), expect: { code: 'network_error' } });
  parFailure({ id: 'PAR-11', title: 'no answer (timeoutMs 1000)', answer: () => ({ raw: true, hang: true }), client: { timeoutMs: 1000 }, expect: { code: 'timeout' } });
  parFailure({ id: 'PAR-11', title: 'a body trickling one byte every 500 ms (timeoutMs 1000)', answer: (b) => ({ ...json(201, b), trickle: true }), client: { timeoutMs: 1000 }, expect: { code: 'timeout' } });

  // Metadata (AuthClient.create, the full build).
  const requirePar = (value) => meta((m) => { m.require_pushed_authorization_requests = value; });
  const parEndpoint = (value) => ({ par: {}, ...meta((m) => { m.pushed_authorization_request_endpoint = value; }) });
  cases([
    { id: 'PAR-12', title: 'require_pushed_authorization_requests true, no pushed_authorization_request_endpoint (par: true)', server: requirePar(true), client: USES_PAR, expect: { create: 'metadata_missing' } },
    { id: 'PAR-12', title: 'require_pushed_authorization_requests true, no pushed_authorization_request_endpoint (full build, no par option)', server: requirePar(true), full: true, expect: { create: 'metadata_missing' } },
    { id: 'PAR-12', title: 'par: true, the provider advertises no pushed_authorization_request_endpoint', client: USES_PAR, expect: { create: 'metadata_missing' } },
    ...[['"true"', 'true'], ['1', 1], ['null', null], ['an object', {}], ['["true"]', ['true']]].flatMap(([label, value]) => [
      { id: 'PAR-13', title: `require_pushed_authorization_requests ${label} (par: true)`, server: { par: {}, ...requirePar(value) }, client: USES_PAR, expect: { create: 'discovery_invalid' } },
      { id: 'PAR-13', title: `require_pushed_authorization_requests ${label} (full build, no par option)`, server: { par: {}, ...requirePar(value) }, full: true, expect: { create: 'discovery_invalid' } },
    ]),
    ...[['http:// (not loopback)', 'http://as.example.test/par'], ['javascript:', 'javascript:alert(1)//'], ['a number', 42], ['relative', '/par']].flatMap(([label, value]) => [
      { id: 'PAR-14', title: `pushed_authorization_request_endpoint ${label} (par: true)`, server: parEndpoint(value), client: USES_PAR, expect: { create: 'discovery_invalid' } },
      { id: 'PAR-14', title: `pushed_authorization_request_endpoint ${label} (full build, no par option)`, server: parEndpoint(value), full: true, expect: { create: 'discovery_invalid' } },
    ]),
  ]);

  // The provider's requirement alone makes the full build push; PAR is opt-in otherwise; the
  // default build has no PAR (a full-build feature, docs/dpop.md): it sends the plain request,
  // which a provider that requires PAR refuses (RFC 9126 §5) — see PENDING.md.
  const notPushed = ({ key }) => {
    assert.deepEqual(byEndpoint(key, 'par').map((r) => r.seq), [], 'a push');
    const [a] = byEndpoint(key, 'authorize');
    assert.ok(!a.queryKeys.includes('request_uri'), 'request_uri on the authorization request');
    for (const k of PAR_FIELDS) assert.ok(a.queryKeys.includes(k), `${k} missing from the (plain) authorization request`);
  };
  cases([
    { id: 'PAR-15', title: 'require_pushed_authorization_requests true without the par option (full build) → pushed, the login completes', server: { par: { required: true } }, full: true, expect: pushedLogin() },
    { id: 'PAR-15', title: 'require_pushed_authorization_requests true with par: false (full build) → pushed all the same, the login completes', server: { par: { required: true } }, client: { par: false }, full: true, expect: pushedLogin() },
    { id: 'PAR-15', title: 'require_pushed_authorization_requests true and par: true → pushed, the login completes', server: { par: { required: true } }, client: USES_PAR, expect: pushedLogin() },
    { id: 'PAR-15', title: 'PAR endpoint advertised, not required, no par option (full build) → not pushed (opt-in), the login completes', server: PAR, full: true, expect: { ok: true, check: notPushed } },
    {
      id: 'PAR-16',
      title: 'default build, require_pushed_authorization_requests true → create resolves, the plain request is sent (no push), the provider refuses it (error=invalid_request)',
      server: { par: { required: true } },
      full: false,
      expect: {
        code: 'authorization_error',
        error: { error: 'invalid_request' },
        check: (ctx) => {
          notPushed(ctx);
          assert.equal(byEndpoint(ctx.key, 'authorize')[0].refused, 'not pushed');
        },
      },
    },
    {
      id: 'PAR-16',
      title: 'default build with par: true in the options → create rejects invalid_config (an option of the full build is refused, never ignored)',
      server: { par: { required: true } },
      client: USES_PAR,
      full: false,
      expect: { create: 'invalid_config', requests: [] }, // refused before any request
    },
    { id: 'PAR-16', title: 'default build, PAR endpoint advertised, not required → not pushed, the login completes', server: PAR, full: false, expect: { ok: true, check: notPushed } },
    { id: 'PAR-16', title: 'default build, require_pushed_authorization_requests "true" (not a boolean) and an http:// PAR endpoint → not read: create resolves, not pushed, the login completes', server: { ...meta((m) => { m.require_pushed_authorization_requests = 'true'; m.pushed_authorization_request_endpoint = 'http://as.example.test/par'; }) }, full: false, expect: { ok: true, check: notPushed } },
  ]);

  /** start() on the app page with par: true and no session: a silent (prompt=none) login. */
  async function silentStart(tab) {
    const arrived = tab.page.waitForURL((u) => u.href.startsWith(server.redirectUri), { waitUntil: 'load' });
    arrived.catch(() => {});
    let r;
    try {
      r = await tab.page.evaluate(async () => {
        try { return { ok: true, value: await window.__auth.start() }; } catch (e) { return { ok: false, error: window.__ser(e) }; }
      });
    } catch (err) {
      if (!/context was destroyed|navigation|Target closed/i.test(String(err))) throw err;
      r = { ok: true, value: '(navigated)' };
    }
    return { r, arrived };
  }

  test('PAR-17 par: true: the silent restore (start() → prompt=none) is pushed too; the browser carries client_id + request_uri only; start() at the callback completes it → accepted', async () => {
    const key = keyFor('PAR-17');
    const issuer = server.defineCase(key, PAR);
    const options = { issuer, clientId: server.clientId, redirectUri: server.redirectUri, scope: 'openid', par: true };
    const tab = await newTab(group);
    try {
      await openApp(tab, server);
      assert.ok((await createClient(tab, options)).ok);
      const { r, arrived } = await silentStart(tab);
      assert.equal(r.ok, true, `start() rejected: ${JSON.stringify(r.error)}`);
      assert.ok(['redirecting', '(navigated)'].includes(r.value), `start() resolved ${r.value}`);
      await arrived;
      const txns = (await transactions(tab)).filter((t) => t.key.startsWith('spa-oauth:txn:'));
      assert.equal(txns.length, 1, 'one login transaction across the redirect');
      assertPushed(key, { txn: txns[0], extra: { prompt: 'none' } });
      assert.ok((await createClient(tab, options)).ok);
      const s = await call(tab, 'start');
      assert.deepEqual(s, { ok: true, value: 'authenticated' }, 'start() at the callback');
      assertLoggedIn(await probe(tab), key);
      const secrets = secretsFor(key, txns);
      const dump = await assertNoLeaks(tab, server, secrets, { keepSessionKeys: /^spa-oauth:silent:/ });
      for (const v of Object.values(dump.kept)) assert.match(v, /^\d+$/, 'the silent marker holds a time only');
      assertServerSide(key, secrets);
      await settled(key, counts(key));
    } finally {
      await tab.close();
    }
  });

  test('PAR-18 par: true: the silent restore\'s push refused (400 invalid_request) → start() rejects par_error, nothing navigated, no transaction nor loop-guard marker left; a second start() pushes once more', async () => {
    const key = keyFor('PAR-18');
    const issuer = server.defineCase(key, { par: { answer: () => json(400, { error: 'invalid_request', error_description: 'prompt=none not allowed' }) } });
    const options = { issuer, clientId: server.clientId, redirectUri: server.redirectUri, scope: 'openid', par: true };
    const tab = await newTab(group);
    try {
      await openApp(tab, server);
      assert.ok((await createClient(tab, options)).ok);
      const navs = tab.log.navigations.length;
      const errors = [];
      for (const round of ['first', 'second']) {
        const mark = server.mark();
        const { r } = await silentStart(tab);
        assert.equal(r.ok, false, `${round} start() resolved ${JSON.stringify(r.value)}`);
        assertCode(r.error, 'par_error', `${round} start(): `);
        assert.deepEqual([r.error.error, r.error.status], ['invalid_request', 400], `${round} start(): error, status`);
        errors.push(r.error);
        await sleep(150);
        assert.deepEqual(endpoints(key, mark), ['par'], `${round} start(): one push and nothing after it`);
        const [push] = byEndpoint(key, 'par', mark);
        assert.equal(push.form?.prompt, 'none', 'the silent request is pushed with prompt=none');
        assert.equal(tab.log.navigations.length, navs, `${round} start(): navigated`);
        assert.equal(tab.page.url(), appUrl());
        assert.deepEqual((await transactions(tab)).map((t) => t.key), [], `${round} start(): sessionStorage holds spa-oauth items`);
      }
      const p = await probe(tab);
      assertLoggedOut(p);
      assert.deepEqual(p.unhandled, [], 'unhandled promise rejections in the page');
      const secrets = secretsFor(key);
      await assertNoLeaks(tab, server, secrets, { errors, cleanUrl: false });
      assertServerSide(key, secrets);
      await settled(key, counts(key));
    } finally {
      await tab.close();
    }
  });
});
