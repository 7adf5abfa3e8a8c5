// End-to-end, no browser: the real provider (www/provider.js) and the agent API (www/api.js) as
// a browser app that fronts an AI agent uses them. Tokens come from real authorization code +
// PKCE flows through the provider's own dev login and consent forms, driven over HTTP
// (harness.js authorizeNode / loginNode), with the resource indicator of the API (RFC 8707).
//
// Checked: the JWT access tokens' header and claims (tenant, token_budget, acr, auth_time, also
// after a refresh); down-scoped refresh and a refresh asking for more than the grant; incremental
// consent; step-up with the simulated second factor and the ignore-acr-values hook; the API's
// token checks (audience of another resource server, expiry, alg none, HS256, a tampered or
// foreign signature, an opaque token, a token in the query, key rotation), its RFC 6750 / RFC
// 9470 challenges, scopes per route, tenant isolation, budgets per request and per day, the
// audit log, CORS, and its test hooks (fail-next, redirect, request log without tokens).
//
// The agent console (www/agent/) in Chromium, the whole table row by row (login, read, write
// with incremental consent, external call with the human's approval, exec with consent and
// step-up, premium model until the budget is spent, another tenant, a foreign URL): it needs
// the SDK's resource-server API (the package's full build, pkg/full/: AuthClient.fetch, tokens(),
// loginWithRedirect returnTo).
//
// Ports: the harness base ports + 6 (demo 5279, provider 3106, agent API 5479); a second API
// instance on the agent API's port + 100.

import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync, sign as cryptoSign } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import {
  CookieJar, authorizeNode, closeAllBrowsers, findSecrets, jwtHeader,
  jwtPayload, loginNode, openBrowser, providerConsent, providerLogin, providerMetadata, secretsOf,
  startStack, tokenRequestNode, waitForAppState,
} from './harness.js';
import { startApi } from '../../www/api.js';
import { ACR_MFA, ACR_PWD, MFA_CODE } from '../../www/provider.js';

const PORT_OFFSET = 6;
const OUTPUT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'output');
const ALL_API = 'data:read data:write external:invoke exec:sandbox model:premium';

let stack;
let api; // stack.api
let API; // the resource indicator = the API's base URL
let redirectUri;

const login = (opts) => loginNode({ issuer: stack.issuer, redirectUri, resource: API, tokenResource: API, ...opts });
const refresh = (refreshToken, extra = {}) => tokenRequestNode(stack.issuer, {
  grant_type: 'refresh_token', refresh_token: refreshToken, client_id: stack.config.clientId, ...extra,
});

/** A call to the agent API; resolves { status, headers, body }. */
async function call(path, { token, method = 'GET', body, headers = {}, base = API } = {}) {
  const res = await fetch(new URL(path, base), {
    method,
    redirect: 'manual',
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = text;
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

const challengeOf = (r) => r.headers.get('www-authenticate');
const hook = (path, init = { method: 'POST' }) => fetch(new URL(`__test/${path}`, API), init).then((r) => r.json());

const b64json = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');

// Tokens shared by the tests (made in before()).
const t = {};

describe('agent API + provider (resource indicators, scopes, step-up, budgets, tenants)', () => {
  before(async () => {
    stack = await startStack({ portOffset: PORT_OFFSET, apiOptions: { jwksCooldownMs: 1000 } });
    api = stack.api;
    API = stack.apiUrl;
    redirectUri = stack.agentUrl;
    // alice (tenant acme): read only; every API scope (password login); every scope after a
    // step-up. bob (tenant globex): read + premium model.
    t.aliceJar = new CookieJar();
    t.aliceRead = await login({ scope: 'openid profile offline_access data:read', jar: t.aliceJar });
    t.aliceAll = await login({ scope: `openid offline_access ${ALL_API}`, login: 'alice', jar: new CookieJar() });
    t.aliceMfa = await login({
      scope: `openid offline_access ${ALL_API}`, jar: new CookieJar(), otp: MFA_CODE,
      extraParams: { acr_values: ACR_MFA },
    });
    t.bob = await login({ scope: 'openid offline_access data:read model:premium exec:sandbox', login: 'bob', jar: new CookieJar() });
  });

  after(async () => {
    await closeAllBrowsers();
    await stack?.close();
  });

  test('discovery advertises both acr values; the API is a resource of its own origin', async () => {
    const md = await providerMetadata(stack.issuer);
    assert.deepEqual(md.acr_values_supported, [ACR_PWD, ACR_MFA]);
    assert.equal(API, `http://127.0.0.1:${Number(new URL(stack.demoOrigin).port) + 200}/`);
    assert.equal(stack.provider.resourceIndicator, API);
    assert.deepEqual(stack.config.resourceServers, [API]);
    assert.equal(stack.config.demo.agentApi, API);
    const agentConfig = await (await fetch(`${stack.demoOrigin}/agent/config.json`)).json();
    assert.equal(agentConfig.redirectUri, `${stack.demoOrigin}/agent/`);
    assert.deepEqual(agentConfig.resourceServers, [API]);
    assert.equal(agentConfig.scope, 'openid profile offline_access data:read');
    const page = await fetch(`${stack.demoOrigin}/agent/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-security-policy'), new RegExp(`connect-src 'self' ${stack.issuer} ${api.origin};`));
    const demo = await fetch(`${stack.demoOrigin}/`);
    assert.doesNotMatch(demo.headers.get('content-security-policy'), new RegExp(api.origin), 'only the agent pages may connect to the API');
  });

  test('JWT access tokens (RFC 9068): ES256, typ at+jwt, aud = the resource, tenant, token_budget, acr, auth_time; the same login after a refresh', async () => {
    const at = t.aliceRead.tokens.access_token;
    const header = jwtHeader(at);
    assert.equal(header.alg, 'ES256');
    assert.equal(header.typ, 'at+jwt');
    assert.ok(header.kid);
    const claims = jwtPayload(at);
    assert.equal(claims.iss, stack.issuer);
    assert.equal(claims.aud, API);
    assert.equal(claims.sub, 'alice');
    assert.equal(claims.client_id, 'spa-demo');
    assert.equal(claims.scope, 'data:read');
    assert.equal(claims.tenant, 'acme');
    assert.deepEqual(claims.token_budget, { per_request: 500, per_day: 2000 });
    assert.equal(claims.acr, ACR_PWD);
    assert.equal(typeof claims.auth_time, 'number');
    assert.equal(jwtPayload(t.aliceRead.tokens.id_token).acr, ACR_PWD, 'every ID token states its acr');
    assert.equal(t.aliceRead.tokens.scope, 'data:read');
    assert.equal(jwtPayload(t.bob.tokens.access_token).tenant, 'globex');

    // A refresh: new token, same login (acr, auth_time), same tenant and budget.
    const r = await refresh(t.aliceMfa.tokens.refresh_token, { resource: API });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    t.aliceMfa.tokens = { ...t.aliceMfa.tokens, ...r.body };
    const before = jwtPayload(t.aliceMfa.tokens.access_token);
    const mfaLogin = jwtPayload(t.aliceMfa.tokens.id_token);
    assert.equal(before.acr, ACR_MFA);
    assert.equal(mfaLogin.acr, ACR_MFA, 'the refreshed ID token keeps the login acr');
    assert.equal(before.tenant, 'acme');
    assert.deepEqual(before.token_budget, { per_request: 500, per_day: 2000 });

    // No resource: an opaque token for UserInfo.
    const o = await refresh(t.aliceRead.tokens.refresh_token);
    assert.equal(o.status, 200);
    t.aliceRead.tokens.refresh_token = o.body.refresh_token;
    t.opaque = o.body.access_token;
    assert.equal(t.opaque.split('.').length, 1, 'opaque');
    assert.equal(o.body.scope, 'openid profile');
    const me = await fetch(`${stack.issuer}/me`, { headers: { authorization: `Bearer ${t.opaque}` } });
    assert.equal(me.status, 200);
  });

  test('refresh: down-scoped with resource works; a scope the grant lacks is invalid_scope', async () => {
    const down = await refresh(t.aliceAll.tokens.refresh_token, { resource: API, scope: 'data:read' });
    assert.equal(down.status, 200, JSON.stringify(down.body));
    assert.equal(down.body.scope, 'data:read');
    assert.equal(jwtPayload(down.body.access_token).scope, 'data:read');
    assert.equal(jwtPayload(down.body.access_token).aud, API);
    t.aliceAll.tokens.refresh_token = down.body.refresh_token;
    // The refresh token still covers the whole grant.
    const again = await refresh(t.aliceAll.tokens.refresh_token, { resource: API, scope: 'data:write model:premium' });
    assert.equal(again.status, 200);
    assert.equal(again.body.scope, 'data:write model:premium');
    t.aliceAll.tokens.refresh_token = again.body.refresh_token;

    const more = await refresh(t.aliceRead.tokens.refresh_token, { resource: API, scope: 'data:read data:write' });
    assert.equal(more.status, 400);
    assert.deepEqual(more.body, {
      error: 'invalid_scope', error_description: 'refresh token missing requested scope', scope: 'data:write',
    });
    // Refused without rotating: the refresh token still works.
    const still = await refresh(t.aliceRead.tokens.refresh_token, { resource: API });
    assert.equal(still.status, 200);
    t.aliceRead.tokens = { ...t.aliceRead.tokens, ...still.body };
  });

  test('incremental consent: more scope asks for consent only (the session stays); the new refresh token covers the union', async () => {
    const r = await login({ scope: 'openid profile offline_access data:read data:write', jar: t.aliceJar });
    assert.deepEqual(r.steps, ['consent'], 'no login again, a consent page for the new scope');
    assert.equal(r.tokens.scope, 'data:read data:write');
    const w = await refresh(r.tokens.refresh_token, { resource: API, scope: 'data:write' });
    assert.equal(w.status, 200);
    assert.equal(w.body.scope, 'data:write');
    // Asked again with nothing new: no page at all.
    const same = await authorizeNode({ issuer: stack.issuer, redirectUri, scope: 'openid data:read', resource: API, jar: t.aliceJar });
    assert.deepEqual(same.steps, []);
    assert.ok(same.code);
  });

  test('step-up: acr_values mfa makes a password session log in again with the one-time code; acr mfa in the ID and access tokens, fresh auth_time', async () => {
    const jar = new CookieJar();
    const first = await login({ scope: 'openid data:read', jar });
    assert.equal(jwtPayload(first.tokens.access_token).acr, ACR_PWD);
    const wrong = await authorizeNode({
      issuer: stack.issuer, redirectUri, scope: 'openid data:read exec:sandbox', resource: API, jar,
      otp: '000000', extraParams: { acr_values: ACR_MFA },
    });
    assert.deepEqual(wrong.steps, ['login', 'login-otp-invalid'], 'a wrong code is refused');
    assert.equal(wrong.code, null);
    const started = Math.floor(Date.now() / 1000);
    const up = await login({
      scope: 'openid data:read exec:sandbox', jar, otp: MFA_CODE,
      extraParams: { acr_values: ACR_MFA, max_age: '300' },
    });
    assert.equal(up.steps[0], 'login');
    assert.equal(up.otpShown, true);
    const id = jwtPayload(up.tokens.id_token);
    const at = jwtPayload(up.tokens.access_token);
    assert.equal(id.acr, ACR_MFA);
    assert.equal(at.acr, ACR_MFA);
    assert.ok(id.auth_time >= started, 'fresh auth_time');
    assert.equal(at.auth_time, id.auth_time);
    // The session is at mfa now: another mfa request needs no login.
    const again = await authorizeNode({ issuer: stack.issuer, redirectUri, scope: 'openid data:read exec:sandbox', resource: API, jar, extraParams: { acr_values: ACR_MFA } });
    assert.deepEqual(again.steps, []);
    // max_age the session exceeds: a login again (at the level asked: password here).
    await new Promise((r) => { setTimeout(r, 1100); });
    const aged = await login({ scope: 'openid data:read', jar, extraParams: { max_age: '0' } });
    assert.deepEqual(aged.steps, ['login']);
    assert.equal(aged.otpShown, false);
    assert.equal(jwtPayload(aged.tokens.access_token).acr, ACR_PWD);
    assert.ok(jwtPayload(aged.tokens.id_token).auth_time > id.auth_time);
  });

  test('test hook ignore-acr-values: a step-up request completes at the password level', async () => {
    const jar = new CookieJar();
    await login({ scope: 'openid data:read exec:sandbox', jar });
    assert.deepEqual(await (await fetch(`${stack.issuer}/__test/ignore-acr-values`, { method: 'POST' })).json(), { ignoreAcrValues: true });
    try {
      const r = await login({ scope: 'openid data:read exec:sandbox', jar, extraParams: { acr_values: ACR_MFA } });
      assert.deepEqual(r.steps, [], 'no step-up login');
      assert.equal(jwtPayload(r.tokens.id_token).acr, ACR_PWD, 'the ID token says pwd, not the mfa asked for');
      assert.equal(jwtPayload(r.tokens.access_token).acr, ACR_PWD);
      const exec = await call('exec', { token: r.tokens.access_token, method: 'POST', body: { command: 'ls' } });
      assert.equal(exec.status, 401);
      assert.match(challengeOf(exec), /error="insufficient_user_authentication"/);
    } finally {
      await fetch(`${stack.issuer}/__test/ignore-acr-values?enabled=0`, { method: 'POST' });
    }
    stack.provider.setIgnoreAcrValues(false);
  });

  test('API: a valid token reads its tenant\'s data; Bearer only, RFC 6750 challenges', async () => {
    const ok = await call('data', { token: t.aliceRead.tokens.access_token });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.tenant, 'acme');
    assert.ok(ok.body.records.every((r) => r.id.startsWith('acme-')));

    const none = await call('data');
    assert.equal(none.status, 401);
    assert.equal(challengeOf(none), 'Bearer realm="agent-api"');

    const basic = await call('data', { headers: { authorization: 'Basic YTpi' } });
    assert.equal(basic.status, 401);
    assert.equal(challengeOf(basic), 'Bearer realm="agent-api"');

    const query = await call(`data?access_token=${t.aliceRead.tokens.access_token}`);
    assert.equal(query.status, 400, 'a token in the URL is refused, not used');
    assert.equal(query.body.error, 'invalid_request');
    assert.match(challengeOf(query), /^Bearer realm="agent-api", error="invalid_request", error_description="[^"]+"$/);

    const malformed = await call('data', { headers: { authorization: 'Bearer a b' } });
    assert.equal(malformed.status, 400);
  });

  test('API: invalid tokens are 401 invalid_token (opaque, another resource, expired, alg none, HS256, tampered, foreign key)', async (tc) => {
    const at = t.aliceRead.tokens.access_token;
    const [h, p, s] = at.split('.');
    const claims = jwtPayload(at);
    const expectInvalid = async (token, what, description) => {
      const r = await call('data', { token });
      assert.equal(r.status, 401, what);
      assert.equal(r.body.error, 'invalid_token', what);
      const header = challengeOf(r);
      assert.match(header, /^Bearer realm="agent-api", error="invalid_token", error_description="[^"\\]+"$/, what);
      if (description) assert.match(r.body.error_description, description, what);
      tc.diagnostic(`${what}: ${r.body.error_description}`);
    };

    await expectInvalid(t.opaque, 'opaque UserInfo token', /malformed/);
    await expectInvalid(t.aliceRead.tokens.id_token, 'ID token (RS256, aud client)', /algorithm/);
    await expectInvalid(`${b64json({ alg: 'none', typ: 'at+jwt' })}.${p}.`, 'alg none');
    const hsHeader = b64json({ alg: 'HS256', typ: 'at+jwt', kid: jwtHeader(at).kid });
    const hs = createHmac('sha256', 'guessed-secret').update(`${hsHeader}.${p}`).digest('base64url');
    await expectInvalid(`${hsHeader}.${p}.${hs}`, 'HS256 forged', /algorithm/);
    const elevated = b64json({ ...claims, scope: ALL_API, tenant: 'globex' });
    await expectInvalid(`${h}.${elevated}.${s}`, 'payload tampered (scope, tenant)', /signature/);
    const foreign = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const fs = cryptoSign('sha256', Buffer.from(`${h}.${p}`), { key: foreign, dsaEncoding: 'ieee-p1363' }).toString('base64url');
    await expectInvalid(`${h}.${p}.${fs}`, 'signed with a foreign key and the provider\'s kid', /signature/);

    // The same issuer's token for another resource server: a second API with its own resource.
    const otherPort = api.port + 100;
    const other = await startApi({ port: otherPort, issuer: stack.issuer, quiet: true });
    try {
      const r = await call('data', { token: at, base: other.url });
      assert.equal(r.status, 401);
      assert.equal(r.body.error_description, 'the access token is not for this resource');
    } finally {
      await other.close();
    }

    // Expired: the API's clock 11 minutes ahead (tokens live 600 s, 5 s tolerance).
    api.setClockOffset(660);
    try {
      await expectInvalid(at, 'expired', /expired/);
    } finally {
      api.setClockOffset(0);
    }
    assert.equal((await call('data', { token: at })).status, 200, 'valid again at the real time');
  });

  test('API: key rotation at the provider: an unknown kid refetches the JWKS (cooldown), the old key\'s tokens fail', async () => {
    const old = t.aliceRead.tokens.access_token;
    assert.equal((await call('data', { token: old })).status, 200);
    await stack.provider.rotateKeys();
    await new Promise((r) => { setTimeout(r, 1100); }); // the test stack's 1 s cooldown
    const fresh = await login({ scope: 'openid data:read', jar: new CookieJar() });
    assert.notEqual(jwtHeader(fresh.tokens.access_token).kid, jwtHeader(old).kid);
    assert.equal((await call('data', { token: fresh.tokens.access_token })).status, 200);
    const r = await call('data', { token: old });
    assert.equal(r.status, 401);
    assert.equal(r.body.error_description, 'the access token signing key is unknown');
    // Every token of the suite from before the rotation: new ones.
    const renew = async (entry, extra = {}) => {
      const x = await refresh(entry.tokens.refresh_token, { resource: API, ...extra });
      assert.equal(x.status, 200, JSON.stringify(x.body));
      entry.tokens = { ...entry.tokens, ...x.body };
    };
    await renew(t.aliceRead);
    await renew(t.aliceAll);
    await renew(t.aliceMfa);
    await renew(t.bob);
  });

  test('API: a missing scope is 403 insufficient_scope naming the scope', async () => {
    const token = t.aliceRead.tokens.access_token;
    for (const [method, path, scope, body] of [
      ['POST', 'data', 'data:write', { text: 'x' }],
      ['POST', 'external/invoke', 'external:invoke', {}],
      ['POST', 'exec', 'exec:sandbox', { command: 'ls' }],
      ['POST', 'models/premium/complete', 'model:premium', { prompt: 'hi', max_tokens: 10 }],
    ]) {
      // eslint-disable-next-line no-await-in-loop
      const r = await call(path, { token, method, body });
      assert.equal(r.status, 403, path);
      assert.equal(challengeOf(r), `Bearer realm="agent-api", error="insufficient_scope", scope="${scope}"`);
      assert.equal(r.body.error, 'insufficient_scope');
      assert.equal(r.body.scope, scope);
    }
    const write = await call('data', { token: t.aliceAll.tokens.access_token, method: 'POST', body: { text: 'written by the agent' } });
    assert.equal(write.status, 201);
    assert.equal(write.body.record.createdBy, 'alice');
    const invoke = await call('external/invoke', { token: t.aliceAll.tokens.access_token, method: 'POST', body: { target: 'weather-api' } });
    assert.equal(invoke.status, 200);
    assert.equal(invoke.body.invoked, true);
  });

  test('API: exec needs acr mfa and a recent auth_time (RFC 9470 challenge); every exec:sandbox call is an audit line of its tenant', async () => {
    await hook('reset');
    const pwd = await call('exec', { token: t.aliceAll.tokens.access_token, method: 'POST', body: { command: 'rm -rf /tmp/x' } });
    assert.equal(pwd.status, 401);
    assert.equal(challengeOf(pwd), `Bearer realm="agent-api", error="insufficient_user_authentication", error_description="a second factor (step-up authentication) is required", acr_values="${ACR_MFA}", max_age="300"`);
    assert.equal(pwd.body.acr_values, ACR_MFA);
    assert.equal(pwd.body.max_age, 300);

    const mfa = await call('exec', { token: t.aliceMfa.tokens.access_token, method: 'POST', body: { command: 'python analyse.py' } });
    assert.equal(mfa.status, 200, JSON.stringify(mfa.body));
    assert.equal(mfa.body.audit.result, 'executed');

    // Too old a login: the API's clock 400 s ahead (auth_time > 300 s ago, token still valid).
    api.setClockOffset(400);
    const stale = await call('exec', { token: t.aliceMfa.tokens.access_token, method: 'POST', body: { command: 'python analyse.py' } });
    api.setClockOffset(0);
    assert.equal(stale.status, 401);
    assert.match(challengeOf(stale), /error="insufficient_user_authentication", error_description="a more recent authentication is required", acr_values="urn:spa-oauth:acr:mfa", max_age="300"$/);

    const bobExec = await call('exec', { token: t.bob.tokens.access_token, method: 'POST', body: { command: 'whoami' } });
    assert.equal(bobExec.status, 401);

    const audit = await call('audit', { token: t.aliceRead.tokens.access_token });
    assert.equal(audit.status, 200);
    assert.deepEqual(audit.body.lines.map((l) => [l.sub, l.tenant, l.command, l.result]), [
      ['alice', 'acme', 'rm -rf /tmp/x', 'step_up_required'],
      ['alice', 'acme', 'python analyse.py', 'executed'],
      ['alice', 'acme', 'python analyse.py', 'step_up_required'],
    ]);
    const line = audit.body.lines[1];
    assert.equal(line.jti, jwtPayload(t.aliceMfa.tokens.access_token).jti);
    assert.equal(line.acr, ACR_MFA);
    assert.ok(Date.parse(line.time));
    const bobAudit = await call('audit', { token: t.bob.tokens.access_token });
    assert.deepEqual(bobAudit.body.lines.map((l) => [l.sub, l.tenant, l.result]), [['bob', 'globex', 'step_up_required']]);
    assert.equal(api.audit().length, 4);
  });

  test('API: tenant isolation', async () => {
    const alice = t.aliceRead.tokens.access_token;
    const mine = await call('tenants/acme/data', { token: alice });
    assert.equal(mine.status, 200);
    assert.equal(mine.body.tenant, 'acme');
    const theirs = await call('tenants/globex/data', { token: alice });
    assert.equal(theirs.status, 403);
    assert.equal(theirs.body.error, 'tenant_mismatch');
    assert.equal(theirs.headers.get('www-authenticate'), null, 'not a token problem: no challenge');
    assert.doesNotMatch(JSON.stringify(theirs.body), /globex-1|Merger/);
    const bob = await call('data', { token: t.bob.tokens.access_token });
    assert.equal(bob.body.tenant, 'globex');
    assert.deepEqual(bob.body.records.map((r) => r.id), ['globex-1']);
    assert.equal((await call('tenants/acme/data', { token: t.bob.tokens.access_token })).status, 403);
  });

  test('API: token budget per request (403) and per day (429 + Retry-After), per sub + tenant', async () => {
    await hook('reset');
    const token = t.aliceAll.tokens.access_token; // has model:premium (and data:read)
    const premium = (max_tokens, tok = token) => call('models/premium/complete', { token: tok, method: 'POST', body: { prompt: 'summarise', max_tokens } });

    const over = await premium(501);
    assert.equal(over.status, 403);
    assert.deepEqual({ ...over.body, error_description: undefined }, {
      error: 'budget_exceeded', scope: 'per_request', limit: 500, requested: 501, error_description: undefined,
    });
    assert.equal(over.headers.get('www-authenticate'), null);

    const remaining = [];
    for (let i = 0; i < 4; i += 1) {
      // eslint-disable-next-line no-await-in-loop
      const r = await premium(500);
      assert.equal(r.status, 200);
      remaining.push(r.body.remaining);
    }
    assert.deepEqual(remaining, [1500, 1000, 500, 0]);
    const spent = await premium(1);
    assert.equal(spent.status, 429);
    assert.equal(spent.body.error, 'budget_exhausted');
    assert.equal(spent.body.remaining, 0);
    const retryAfter = Number(spent.headers.get('retry-after'));
    assert.ok(retryAfter > 0 && retryAfter <= 86400, `Retry-After ${retryAfter}`);
    // The standard model draws on the same daily budget; another token of the same user too.
    const standard = await call('models/standard/complete', { token: t.aliceMfa.tokens.access_token, method: 'POST', body: { prompt: 'x', max_tokens: 10 } });
    assert.equal(standard.status, 429);
    // Bob (another tenant and user) has his own.
    const bob = await premium(500, t.bob.tokens.access_token);
    assert.equal(bob.status, 200);
    assert.equal(bob.body.remaining, 1500);
    // Invalid max_tokens.
    assert.equal((await premium(0, t.bob.tokens.access_token)).status, 400);
    // The reset hook starts a new day.
    await hook('reset');
    assert.equal((await premium(100)).body.remaining, 1900);
  });

  test('API: CORS for the app origin only (preflight and requests)', async () => {
    const preflight = (origin, headers = 'authorization, content-type', method = 'POST') => fetch(new URL('data', API), {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': headers },
    });
    const good = await preflight(stack.demoOrigin);
    assert.equal(good.status, 204);
    assert.equal(good.headers.get('access-control-allow-origin'), stack.demoOrigin);
    assert.match(good.headers.get('access-control-allow-headers'), /^Authorization, Content-Type$/);
    assert.match(good.headers.get('access-control-allow-methods'), /POST/);
    assert.equal(good.headers.get('access-control-allow-credentials'), null);

    const evil = await preflight('http://127.0.0.1:9');
    assert.equal(evil.status, 403);
    assert.equal(evil.headers.get('access-control-allow-origin'), null);
    const extraHeader = await preflight(stack.demoOrigin, 'authorization, x-debug');
    assert.equal(extraHeader.status, 403);
    assert.equal((await preflight(stack.demoOrigin, 'authorization', 'DELETE')).status, 403);

    const token = t.aliceRead.tokens.access_token;
    const fromApp = await call('data', { token, headers: { origin: stack.demoOrigin } });
    assert.equal(fromApp.status, 200);
    assert.equal(fromApp.headers.get('access-control-allow-origin'), stack.demoOrigin);
    assert.match(fromApp.headers.get('access-control-expose-headers'), /WWW-Authenticate/);
    const refused = await call('data', { headers: { origin: stack.demoOrigin } });
    assert.equal(refused.headers.get('access-control-allow-origin'), stack.demoOrigin, 'a challenge is readable by the app');
    const fromEvil = await call('data', { token, headers: { origin: 'http://127.0.0.1:9' } });
    assert.equal(fromEvil.status, 403);
    assert.equal(fromEvil.body.error, 'origin_not_allowed');
    assert.equal(fromEvil.headers.get('access-control-allow-origin'), null);
  });

  test('API test hooks: fail-next, a cross-origin redirect, a request log without any token', async () => {
    const token = t.aliceRead.tokens.access_token;
    await hook('reset');
    assert.deepEqual(await hook('fail-next?count=1'), { failNext: 1 });
    const refused = await call('data', { token });
    assert.equal(refused.status, 401);
    assert.equal(refused.body.error, 'invalid_token');
    assert.equal((await call('data', { token })).status, 200);

    const target = 'http://127.0.0.1:9/collect';
    const redirect = await call(`__test/redirect?to=${encodeURIComponent(target)}`, { token, headers: { origin: stack.demoOrigin } });
    assert.equal(redirect.status, 307);
    assert.equal(redirect.headers.get('location'), target);
    assert.equal(redirect.headers.get('access-control-allow-origin'), stack.demoOrigin);

    const log = await (await fetch(new URL('__test/requests', API))).json();
    assert.deepEqual(log.map((e) => [e.method, e.path, e.status, e.error]), [
      ['GET', '/data', 401, 'invalid_token'],
      ['GET', '/data', 200, null],
      ['GET', '/__test/redirect', 307, null],
    ]);
    const { jti, scope, aud } = jwtPayload(token);
    for (const e of log) {
      assert.deepEqual(e.authorization, { present: true, scheme: 'Bearer' });
      assert.equal(e.token.jti, jti);
      assert.equal(e.token.scope, scope);
      assert.equal(e.token.aud, aud);
    }
    // No token value anywhere in what the API kept.
    const kept = JSON.stringify([api.requests(), api.audit()]);
    for (const entry of [t.aliceRead, t.aliceAll, t.aliceMfa, t.bob]) {
      for (const name of ['access_token', 'refresh_token', 'id_token']) {
        const value = entry.tokens[name];
        if (value) {
          assert.equal(kept.includes(value), false, name);
          assert.equal(kept.includes(value.split('.').at(-1)), false, `${name} signature`);
        }
      }
    }
  });
  test('agent console in Chromium: the table row by row, a token id per call, no token on the page', {
    timeout: 60_000,
  }, async (tc) => {
    await hook('reset');
    const browser = await openBrowser(stack);
    const { page, rec } = browser;
    const origin = stack.demoOrigin;
    const backHome = async () => {
      await page.waitForURL((u) => u.origin === origin, { waitUntil: 'commit' });
      assert.equal(await waitForAppState(page), 'authenticated', await page.locator('#error').innerText().catch(() => ''));
    };
    const outcome = (step) => page.locator(`#result-${step}`);
    const waitOutcome = async (step, attr) => {
      await page.waitForSelector(`#result-${step}${attr}`);
      return outcome(step).textContent();
    };
    /** Grant button -> the provider's consent page (the session is kept) -> back, step re-run. */
    const grant = async (step, scope) => {
      const button = page.locator(`#grant-${step}`);
      assert.equal(await button.textContent(), `Grant ${scope}`);
      await button.click();
      await page.waitForURL((u) => u.origin === stack.issuer, { waitUntil: 'commit' });
      await providerConsent(page);
      await backHome();
    };
    try {
      await page.goto(stack.agentUrl, { waitUntil: 'commit' });
      assert.equal(await waitForAppState(page), 'ready');
      await page.locator('#login').click();
      await providerLogin(page, stack, 'alice');
      await providerConsent(page);
      await backHome();
      assert.equal(await page.locator('#acr').textContent(), ACR_PWD);

      // 1. read: automatic.
      await page.locator('#step-read').click();
      tc.diagnostic(`read: ${await waitOutcome('read', '[data-status="200"]')}`);

      // 2. write: consent required -> grant -> back -> retried.
      await page.locator('#step-write').click();
      await waitOutcome('write', '[data-code="consent_required"]');
      await grant('write', 'data:write');
      tc.diagnostic(`write: ${await waitOutcome('write', '[data-status="201"]')}`);

      // 3. external: the human denies (no request), then allows.
      const externalCalls = () => api.requests().filter((r) => r.path === '/external/invoke').length;
      await page.locator('#step-external').click();
      await page.locator('#hitl-deny').click();
      await waitOutcome('external', '[data-code="denied_by_human"]');
      assert.equal(externalCalls(), 0, 'a denied call makes no request');
      await page.locator('#step-external').click();
      await page.locator('#hitl-approve').click();
      await waitOutcome('external', '[data-code="consent_required"]');
      await grant('external', 'external:invoke');
      await page.locator('#hitl-approve').click(); // the resumed call asks again
      tc.diagnostic(`external: ${await waitOutcome('external', '[data-status="200"]')}`);

      // 4. exec: consent, then step-up with the second factor, then the audit line.
      await page.locator('#step-exec').click();
      await waitOutcome('exec', '[data-code="consent_required"]');
      await grant('exec', 'exec:sandbox');
      await waitOutcome('exec', '[data-code="step_up_required"]');
      await page.locator('#stepup-exec').click();
      await page.waitForURL((u) => u.origin === stack.issuer, { waitUntil: 'commit' });
      await page.locator('input[name="otp"]').waitFor();
      assert.equal(await page.locator('#otp-hint').textContent(), MFA_CODE);
      await page.locator('input[name="login"]').fill('alice');
      await page.locator('input[name="password"]').fill('any-password');
      await page.locator('input[name="otp"]').fill(MFA_CODE);
      await page.locator('button[type="submit"]').click();
      await backHome();
      tc.diagnostic(`exec: ${await waitOutcome('exec', '[data-status="200"]')}`);
      assert.equal(await page.locator('#acr').textContent(), ACR_MFA);
      assert.match(await page.locator('#exec-audit').textContent(), /executed/);
      await page.waitForSelector('#audit-lines li[data-result="executed"]');
      assert.ok(await page.locator('#audit-lines li[data-result="step_up_required"]').count() >= 1);

      // 5. premium model until the budget is spent; over the per-request limit.
      await page.locator('#step-premium').click();
      await waitOutcome('premium', '[data-code="consent_required"]');
      await grant('premium', 'model:premium');
      await waitOutcome('premium', '[data-status="200"]');
      for (const left of ['1000', '500', '0']) {
        await page.locator('#step-premium').click(); // eslint-disable-line no-await-in-loop
        await page.waitForSelector(`#budget-remaining[data-remaining="${left}"]`); // eslint-disable-line no-await-in-loop
      }
      await page.locator('#step-premium').click();
      tc.diagnostic(`premium: ${await waitOutcome('premium', '[data-status="429"]')}`);
      await page.locator('#step-premium-over').click();
      await waitOutcome('premium', '[data-code="budget_exceeded"]');

      // 6. another tenant; 7. a foreign URL.
      await page.locator('#step-tenant').click();
      await waitOutcome('tenant', '[data-code="tenant_mismatch"][data-tone="good"]');
      await page.locator('#step-foreign').click();
      await waitOutcome('foreign', '[data-code="resource_not_allowed"][data-tone="good"]');

      // The token table and the call log: ids only.
      const rows = await page.locator('#token-rows tr[data-testid="token-row"]').count();
      assert.ok(rows >= 1);
      const used = await page.locator('#call-log li[data-testid="call-log-entry"]').evaluateAll((lis) => lis.map((li) => li.dataset.tokenId));
      assert.ok(used.length >= 8 && used.every(Boolean), JSON.stringify(used));
      await rec.settle();
      const secrets = Object.assign({}, ...rec.tokenResponses.map((r, i) => Object.fromEntries(
        Object.entries(secretsOf(r.body)).map(([k, v]) => [`${k} #${i}`, v]),
      )));
      assert.ok(Object.keys(secrets).length > 0, 'token responses captured');
      assert.deepEqual(findSecrets(await page.content(), secrets), [], 'no token on the page');
      // The API saw every token only in the Authorization header.
      assert.ok(api.requests().filter((r) => r.token).every((r) => r.authorization.scheme === 'Bearer'));
      await mkdir(OUTPUT, { recursive: true });
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.screenshot({ path: path.join(OUTPUT, 'agent-console.png'), fullPage: true });
      tc.diagnostic(path.join(OUTPUT, 'agent-console.png'));
    } catch (err) {
      tc.diagnostic(`page state: ${(await page.locator('body').innerText().catch(() => '')).slice(0, 3000)}`);
      tc.diagnostic(`console: ${rec.console.join('\n')}`);
      throw err;
    } finally {
      await browser.close();
    }
  });
});
