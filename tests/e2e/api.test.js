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
// DPoP (RFC 9449, issue 13), proofs made in node (harness dpopKey, jose): the provider's
// spa-dpop client (DPoP-bound tokens only, server nonces, cnf.jkt in JWT and opaque tokens, a
// refresh needs a proof of the same key, the rotate-dpop-nonce hook, CORS exposing DPoP-Nonce),
// spa-par (PAR required); the agent API's DPoP checks (scheme, proof key = cnf.jkt, private jwk,
// signature, typ, htm, htu, iat on its clock, jti replay, ath, its own nonces and their rotation,
// ES256 and Ed25519 keys, DPoP challenges, the request log's dpop entries). The agent console
// as spa-dpop in Chromium: "tokens bound to key <jkt>", the
// SDK's calls with proofs, a copied token refused without the key (DPoP scheme without a proof,
// Bearer scheme), nonce rotation mid-session at the API and at the provider; as spa-demo the
// copied Bearer token works.
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
  CookieJar, authorizeNode, closeAllBrowsers, dpopKey, dpopTokenRequestNode, findSecrets, jwtHeader,
  jwtPayload, loginNode, openBrowser, providerConsent, providerLogin, providerMetadata, secretsOf,
  startStack, tokenRequestNode, waitForAppState,
} from './harness.js';
import { startApi } from '../../www/api.js';
import {
  ACR_MFA, ACR_PWD, DPOP_CLIENT_ID, MFA_CODE, PAR_CLIENT_ID,
} from '../../www/provider.js';

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
const DPOP_ALGS = 'ES256 EdDSA Ed25519';
const NO_TOKEN_CHALLENGE = `Bearer realm="agent-api", DPoP realm="agent-api", algs="${DPOP_ALGS}"`;

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
    assert.equal(agentConfig.dpopClientId, DPOP_CLIENT_ID);
    assert.equal(agentConfig.parClientId, PAR_CLIENT_ID);
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

    // No token: both schemes offered (RFC 9449 §7.1), no error.
    const none = await call('data');
    assert.equal(none.status, 401);
    assert.equal(challengeOf(none), NO_TOKEN_CHALLENGE);
    assert.equal(none.headers.get('dpop-nonce'), null, 'not a DPoP request: no nonce');

    const basic = await call('data', { headers: { authorization: 'Basic YTpi' } });
    assert.equal(basic.status, 401);
    assert.equal(challengeOf(basic), NO_TOKEN_CHALLENGE);

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
    assert.match(good.headers.get('access-control-allow-headers'), /^Authorization, Content-Type, DPoP$/);
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
  // ---- DPoP (RFC 9449): the provider's spa-dpop client and the agent API's DPoP checks ----------

  test('provider: spa-dpop gets DPoP-bound tokens only (proof + server nonce), cnf.jkt in the JWT and the opaque token; a refresh needs a proof of the same key; the rotate-dpop-nonce hook', async () => {
    const md = await providerMetadata(stack.issuer);
    assert.deepEqual(md.dpop_signing_alg_values_supported, ['ES256', 'Ed25519', 'EdDSA']);
    assert.equal(md.pushed_authorization_request_endpoint, `${stack.issuer}/request`);
    assert.equal(stack.provider.dpopClientId, DPOP_CLIENT_ID);
    assert.equal(stack.provider.parClientId, PAR_CLIENT_ID);
    assert.equal(DPOP_CLIENT_ID, 'spa-dpop');
    assert.equal(PAR_CLIENT_ID, 'spa-par');

    // A code exchange without a proof is refused (dpop_bound_access_tokens).
    const cb = await authorizeNode({ issuer: stack.issuer, clientId: DPOP_CLIENT_ID, redirectUri, scope: 'openid data:read', resource: API, jar: new CookieJar() });
    const bare = await tokenRequestNode(stack.issuer, {
      grant_type: 'authorization_code', code: cb.code, code_verifier: cb.verifier, redirect_uri: redirectUri, client_id: DPOP_CLIENT_ID, resource: API,
    });
    assert.equal(bare.status, 400);
    assert.equal(bare.body.error, 'invalid_grant');

    // With a proof: first 400 use_dpop_nonce + DPoP-Nonce, then 200 with the nonce.
    stack.provider.resetRequests();
    t.dpopKey = await dpopKey();
    t.opNonces = new Map();
    t.dpop = await login({ clientId: DPOP_CLIENT_ID, scope: 'openid profile offline_access data:read', jar: new CookieJar(), dpop: t.dpopKey, dpopNonces: t.opNonces });
    assert.equal(t.dpop.tokenAttempts, 2, 'a nonce was asked for first');
    const tokenCalls = stack.provider.requests().filter((r) => r.path === '/token');
    assert.deepEqual(tokenCalls.map((r) => [r.status, r.error, r.dpop, r.dpopNonceIssued]), [
      [400, 'use_dpop_nonce', true, true],
      [200, null, true, false],
    ]);
    assert.equal(t.dpop.tokens.token_type, 'DPoP');
    const claims = jwtPayload(t.dpop.tokens.access_token);
    assert.deepEqual(claims.cnf, { jkt: t.dpopKey.jkt });
    assert.equal(claims.client_id, DPOP_CLIENT_ID);
    assert.equal(claims.aud, API);
    assert.equal(claims.tenant, 'acme');
    assert.equal(claims.acr, ACR_PWD);
    assert.equal(jwtHeader(t.dpop.tokens.id_token).alg, 'RS256');

    // A refresh without a proof, or with another key's proof: refused; the refresh token stays.
    const refreshForm = (extra = {}) => ({ grant_type: 'refresh_token', refresh_token: t.dpop.tokens.refresh_token, client_id: DPOP_CLIENT_ID, ...extra });
    const noProof = await tokenRequestNode(stack.issuer, refreshForm({ resource: API }));
    assert.equal(noProof.status, 400);
    assert.equal(noProof.body.error, 'invalid_grant');
    const otherKey = await dpopTokenRequestNode(stack.issuer, refreshForm({ resource: API }), await dpopKey(), t.opNonces);
    assert.equal(otherKey.status, 400);
    assert.equal(otherKey.body.error, 'invalid_grant');
    // The right key, for the API: a new JWT bound to the same key (the nonce is reused: 1 attempt).
    const jwtRefresh = await dpopTokenRequestNode(stack.issuer, refreshForm({ resource: API }), t.dpopKey, t.opNonces);
    assert.equal(jwtRefresh.status, 200, JSON.stringify(jwtRefresh.body));
    assert.equal(jwtRefresh.attempts, 1);
    assert.equal(jwtRefresh.body.token_type, 'DPoP');
    assert.deepEqual(jwtPayload(jwtRefresh.body.access_token).cnf, { jkt: t.dpopKey.jkt });
    assert.equal(jwtPayload(jwtRefresh.body.access_token).acr, ACR_PWD, 'the same login');
    t.dpop.tokens = { ...t.dpop.tokens, ...jwtRefresh.body };

    // Without a resource: an opaque token for UserInfo, bound as well (introspection: cnf.jkt).
    const opaque = await dpopTokenRequestNode(stack.issuer, refreshForm(), t.dpopKey, t.opNonces);
    assert.equal(opaque.status, 200, JSON.stringify(opaque.body));
    assert.equal(opaque.body.token_type, 'DPoP');
    assert.equal(opaque.body.access_token.split('.').length, 1, 'opaque');
    t.dpop.tokens.refresh_token = opaque.body.refresh_token;
    const { endpoint, clientId, clientSecret } = stack.provider.introspection;
    const introspected = await (await fetch(endpoint, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: opaque.body.access_token }),
    })).json();
    assert.equal(introspected.active, true);
    assert.deepEqual(introspected.cnf, { jkt: t.dpopKey.jkt });
    assert.equal(introspected.token_type, 'DPoP');
    // UserInfo: DPoP scheme + proof (with ath and the provider's nonce) from the app origin;
    // DPoP-Nonce and WWW-Authenticate readable by the app (oidc-provider's own CORS).
    const userinfo = async (scheme, proof) => fetch(md.userinfo_endpoint, {
      headers: { origin: stack.demoOrigin, authorization: `${scheme} ${opaque.body.access_token}`, ...(proof ? { dpop: proof } : {}) },
    });
    const proofFor = (nonce) => t.dpopKey.proof({ htu: md.userinfo_endpoint, accessToken: opaque.body.access_token, nonce });
    const me = await userinfo('DPoP', await proofFor(t.opNonces.get(stack.issuer)));
    assert.equal(me.status, 200);
    assert.equal((await me.json()).sub, 'alice');
    const asBearer = await userinfo('Bearer');
    assert.equal(asBearer.status, 401);
    const noNonce = await userinfo('DPoP', await proofFor(undefined));
    assert.equal(noNonce.status, 401);
    assert.match(noNonce.headers.get('www-authenticate'), /^DPoP .*error="use_dpop_nonce"/);
    assert.ok(noNonce.headers.get('dpop-nonce'));
    assert.match(noNonce.headers.get('access-control-expose-headers'), /(^|,\s*)DPoP-Nonce(,|$)/);
    assert.match(noNonce.headers.get('access-control-expose-headers'), /WWW-Authenticate/);

    // The token endpoint from the app origin: the nonce is readable too; the preflight allows DPoP.
    const tokenAnswer = await fetch(md.token_endpoint, {
      method: 'POST',
      headers: { origin: stack.demoOrigin, 'content-type': 'application/x-www-form-urlencoded', dpop: await t.dpopKey.proof({ htm: 'POST', htu: md.token_endpoint }) },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: t.dpop.tokens.refresh_token, client_id: DPOP_CLIENT_ID }),
    });
    assert.equal(tokenAnswer.status, 400);
    assert.equal((await tokenAnswer.json()).error, 'use_dpop_nonce');
    assert.equal(tokenAnswer.headers.get('access-control-allow-origin'), stack.demoOrigin);
    assert.match(tokenAnswer.headers.get('access-control-expose-headers'), /(^|,\s*)DPoP-Nonce(,|$)/);
    const preflight = await fetch(md.token_endpoint, {
      method: 'OPTIONS',
      headers: { origin: stack.demoOrigin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, dpop' },
    });
    assert.equal(preflight.status, 204);
    assert.match(preflight.headers.get('access-control-allow-headers'), /dpop/i);

    // The rotate-dpop-nonce hook (HTTP and function): the nonce held is refused once, then the
    // fresh one works; keys and tokens stay.
    const kids = stack.provider.signingKids();
    for (const rotate of [
      () => fetch(`${stack.issuer}/__test/rotate-dpop-nonce`, { method: 'POST' }).then((r) => r.json()),
      () => stack.provider.rotateDpopNonce(),
    ]) {
      const held = t.opNonces.get(stack.issuer);
      // eslint-disable-next-line no-await-in-loop
      const answer = await rotate();
      if (answer) assert.deepEqual(answer, { rotated: true });
      // eslint-disable-next-line no-await-in-loop
      const r = await dpopTokenRequestNode(stack.issuer, refreshForm({ resource: API }), t.dpopKey, t.opNonces);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.attempts, 2, 'the old nonce was refused (use_dpop_nonce), the new one taken');
      assert.notEqual(t.opNonces.get(stack.issuer), held);
      t.dpop.tokens = { ...t.dpop.tokens, ...r.body };
    }
    assert.deepEqual(stack.provider.signingKids(), kids, 'the signing keys stay');
    assert.equal((await call('data', { token: t.aliceRead.tokens.access_token })).status, 200, 'tokens from before stay valid');
  });

  test('provider: spa-par must push its authorization request (RFC 9126); pushed, it logs in', async () => {
    const direct = await authorizeNode({ issuer: stack.issuer, clientId: PAR_CLIENT_ID, redirectUri, scope: 'openid', jar: new CookieJar() });
    assert.equal(direct.code, null);
    assert.equal(direct.error, 'invalid_request');
    assert.match(direct.errorDescription, /pushed authorization request/i);
    const pushed = await loginNode({ issuer: stack.issuer, clientId: PAR_CLIENT_ID, redirectUri, scope: 'openid data:read', resource: API, tokenResource: API, par: true, jar: new CookieJar() });
    assert.equal(pushed.pushed.status, 201);
    assert.match(pushed.pushed.body.request_uri, /^urn:ietf:params:oauth:request_uri:/);
    assert.equal(jwtPayload(pushed.tokens.access_token).client_id, PAR_CLIENT_ID);
    assert.equal(pushed.tokens.token_type, 'Bearer');
    // spa-demo may push too (PAR is on for everyone, required only for spa-par).
    const demo = await authorizeNode({ issuer: stack.issuer, redirectUri, scope: 'openid', par: true, jar: new CookieJar() });
    assert.ok(demo.code);
  });

  test('API: DPoP-bound tokens (RFC 9449 §7): the DPoP scheme with a proof of the bound key, the API\'s own nonces, every proof check', async (tc) => {
    await hook('reset');
    const key = t.dpopKey;
    const token = t.dpop.tokens.access_token;
    assert.deepEqual(jwtPayload(token).cnf, { jkt: key.jkt });
    const dataUrl = new URL('data', API).href;
    let nonce; // the API's, harvested from its DPoP-Nonce answers
    /** A DPoP request; proof options override the defaults (GET data, this token, the nonce). */
    const dpopCall = async (path = 'data', {
      method = 'GET', tok = token, scheme = 'DPoP', proof, proofKey = key, body, headers = {}, ...opts
    } = {}) => {
      const htu = new URL(path, API);
      htu.search = '';
      const dpop = proof === undefined
        ? await proofKey.proof({ htm: method, htu: htu.href, accessToken: tok, nonce, ...opts })
        : proof;
      const r = await call(path, {
        method, body, headers: { authorization: `${scheme} ${tok}`, ...(dpop === null ? {} : { dpop }), ...headers },
      });
      if (r.headers.get('dpop-nonce')) nonce = r.headers.get('dpop-nonce');
      return r;
    };
    const refused = (r, error, description, what) => {
      assert.equal(r.status, 401, `${what}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error, error, what);
      if (description) assert.match(r.body.error_description, description, what);
      assert.equal(challengeOf(r), `DPoP realm="agent-api", error="${error}", error_description="${r.body.error_description}", algs="${DPOP_ALGS}"`, what);
      assert.ok(r.headers.get('dpop-nonce'), `${what}: a nonce on every answer to a DPoP request`);
      tc.diagnostic(`${what}: ${r.status} ${error}: ${r.body.error_description}`);
    };

    // No nonce yet: use_dpop_nonce + DPoP-Nonce; the same request with it: 200 (and a nonce again).
    const first = await dpopCall();
    refused(first, 'use_dpop_nonce', /nonce is required/, 'no nonce');
    assert.equal(nonce, api.dpopNonce());
    const ok = await dpopCall();
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.tenant, 'acme');
    assert.equal(ok.headers.get('dpop-nonce'), nonce);

    // The token without the key.
    refused(await dpopCall('data', { proof: null }), 'invalid_dpop_proof', /DPoP proof \(the DPoP header\) is required/, 'DPoP scheme without a proof');
    const bearer = await call('data', { token });
    refused(bearer, 'invalid_token', /DPoP-bound/, 'a bound token as Bearer');
    const bearerWithProof = await dpopCall('data', { scheme: 'Bearer' });
    refused(bearerWithProof, 'invalid_token', /DPoP-bound/, 'a bound token as Bearer beside a valid proof');

    // Another key (a valid proof of it): not the token's cnf.jkt.
    const other = await dpopKey();
    refused(await dpopCall('data', { proofKey: other }), 'invalid_dpop_proof', /cnf\.jkt/, 'proof of another key');
    // The public key of the bound key, signed by another one.
    refused(await dpopCall('data', { signWith: other.privateKey }), 'invalid_dpop_proof', /signature/, 'signed by another key');
    // The private key in the header.
    refused(await dpopCall('data', { header: { jwk: key.privateJwk } }), 'invalid_dpop_proof', /public key/, 'private jwk in the header');
    refused(await dpopCall('data', { header: { jwk: undefined } }), 'invalid_dpop_proof', /no jwk/, 'no jwk');
    refused(await dpopCall('data', { header: { typ: 'JWT' } }), 'invalid_dpop_proof', /typ/, 'typ JWT');
    refused(await dpopCall('data', { proof: `${b64json({ alg: 'none', typ: 'dpop+jwt', jwk: key.publicJwk })}.${b64json({ jti: 'x', htm: 'GET', htu: dataUrl, iat: Math.floor(Date.now() / 1000) })}.` }), 'invalid_dpop_proof', /compact JWS/, 'alg none');
    refused(await dpopCall('data', { proof: 'not-a-jws' }), 'invalid_dpop_proof', /compact JWS/, 'garbage');

    // htm / htu.
    refused(await dpopCall('data', { htm: 'POST' }), 'invalid_dpop_proof', /htm/, 'htm POST for a GET');
    refused(await dpopCall('data', { htu: new URL('audit', API).href }), 'invalid_dpop_proof', /htu/, 'htu of another path');
    refused(await dpopCall('data', { htu: `http://localhost:${api.port}/data` }), 'invalid_dpop_proof', /htu/, 'htu of another host name');
    refused(await dpopCall('data', { htu: '/data' }), 'invalid_dpop_proof', /htu/, 'a relative htu');
    // RFC 9449 §4.3: query and fragment are ignored (of the request and of htu); URLs compare
    // normalised.
    assert.equal((await dpopCall('data?limit=1')).status, 200, 'the request\'s query is not part of htu');
    assert.equal((await dpopCall('data', { htu: `${dataUrl}?limit=1#x` })).status, 200, 'a query in htu is ignored');
    assert.equal((await dpopCall('data', { htu: dataUrl.replace('http://', 'HTTP://') })).status, 200, 'normalised');

    // iat: 60 s either way, on the API's clock.
    const nowS = Math.floor(Date.now() / 1000);
    refused(await dpopCall('data', { iat: nowS - 120 }), 'invalid_dpop_proof', /iat/, 'iat 2 minutes old');
    refused(await dpopCall('data', { iat: nowS + 120 }), 'invalid_dpop_proof', /iat/, 'iat 2 minutes ahead');
    refused(await dpopCall('data', { payload: { iat: undefined } }), 'invalid_dpop_proof', /iat/, 'no iat');
    api.setClockOffset(120);
    try {
      refused(await dpopCall('data'), 'invalid_dpop_proof', /iat/, 'a fresh proof, the API clock 2 minutes ahead');
      assert.equal((await dpopCall('data', { iat: nowS + 120 })).status, 200, 'iat on the API clock');
    } finally {
      api.setClockOffset(0);
    }

    // jti: once.
    const proof = await key.proof({ htu: dataUrl, accessToken: token, nonce });
    assert.equal((await dpopCall('data', { proof })).status, 200);
    refused(await dpopCall('data', { proof }), 'invalid_dpop_proof', /replay/, 'the same proof again');
    const jti = 'a-fixed-jti';
    assert.equal((await dpopCall('data', { jti })).status, 200);
    refused(await dpopCall('data', { jti }), 'invalid_dpop_proof', /replay/, 'a new proof with a used jti');
    refused(await dpopCall('data', { payload: { jti: undefined } }), 'invalid_dpop_proof', /jti/, 'no jti');

    // ath.
    refused(await dpopCall('data', { accessToken: undefined }), 'invalid_dpop_proof', /ath/, 'no ath');
    refused(await dpopCall('data', { accessToken: t.aliceRead.tokens.access_token }), 'invalid_dpop_proof', /ath/, 'ath of another token');

    // Nonces: a wrong one; the hook's rotation (old refused); the 5-minute rotation keeps the
    // previous one.
    refused(await dpopCall('data', { nonce: 'made-up' }), 'use_dpop_nonce', /unknown or expired/, 'a made-up nonce');
    const held = nonce;
    assert.deepEqual(await hook('rotate-dpop-nonce'), { rotated: true, previousAccepted: false });
    refused(await dpopCall('data', { nonce: held }), 'use_dpop_nonce', /unknown or expired/, 'the nonce before the rotation');
    assert.notEqual(nonce, held);
    assert.equal((await dpopCall('data')).status, 200, 'the new nonce');
    const beforeSoft = nonce;
    api.rotateDpopNonce({ keepPrevious: true });
    assert.equal((await dpopCall('data', { nonce: beforeSoft })).status, 200, 'the previous nonce still works');
    assert.notEqual(nonce, beforeSoft, 'and the answer hands out the new one');
    api.rotateDpopNonce();
    refused(await dpopCall('data', { nonce: beforeSoft }), 'use_dpop_nonce', undefined, 'two rotations ago');

    // A token without cnf with the DPoP scheme (and a valid proof of some key): invalid_token.
    const plain = t.aliceRead.tokens.access_token;
    refused(await dpopCall('data', { tok: plain, proofKey: other }), 'invalid_token', /not DPoP-bound/, 'a Bearer token with the DPoP scheme');
    // A Bearer token stays a Bearer token, a proof beside it ignored (and a nonce handed out).
    const plainBearer = await call('data', { token: plain, headers: { dpop: await other.proof({ htu: dataUrl, accessToken: plain, nonce }) } });
    assert.equal(plainBearer.status, 200);
    assert.ok(plainBearer.headers.get('dpop-nonce'));
    const plainOnly = await call('data', { token: plain });
    assert.equal(plainOnly.headers.get('dpop-nonce'), null);

    // Two DPoP headers.
    const two = await fetch(dataUrl, {
      headers: [['authorization', `DPoP ${token}`], ['dpop', await key.proof({ htu: dataUrl, accessToken: token, nonce })], ['dpop', await key.proof({ htu: dataUrl, accessToken: token, nonce })]],
    });
    assert.equal(two.status, 401);
    assert.equal((await two.json()).error, 'invalid_dpop_proof');

    // Scope and step-up challenges of a DPoP request use the DPoP scheme.
    const write = await dpopCall('data', { method: 'POST', body: { text: 'x' } });
    assert.equal(write.status, 403);
    assert.equal(challengeOf(write), `DPoP realm="agent-api", error="insufficient_scope", scope="data:write", algs="${DPOP_ALGS}"`);
    assert.ok(write.headers.get('dpop-nonce'));
    const bob = await call('tenants/globex/data', { headers: { authorization: `DPoP ${token}`, dpop: await key.proof({ htu: new URL('tenants/globex/data', API).href, accessToken: token, nonce }) } });
    assert.equal(bob.status, 403);
    assert.equal(bob.body.error, 'tenant_mismatch');

    // The request log: scheme, proof present / valid / jkt / nonce / error; never a token or proof.
    const log = api.requests();
    const valid = log.filter((e) => e.dpop.valid === true);
    assert.ok(valid.length >= 8);
    assert.ok(valid.every((e) => e.authorization.scheme === 'DPoP' && e.dpop.present && e.dpop.jkt === key.jkt
      && ['current', 'previous'].includes(e.dpop.nonce) && e.dpop.error === null && e.token.jkt === key.jkt));
    assert.deepEqual(log[0].dpop, { present: true, valid: false, jkt: key.jkt, nonce: 'missing', error: first.body.error_description });
    assert.deepEqual(log[1].dpop, { present: true, valid: true, jkt: key.jkt, nonce: 'current', error: null });
    assert.deepEqual(log[2].dpop, { present: false, valid: false, jkt: null, nonce: null, error: 'a DPoP proof (the DPoP header) is required with the DPoP scheme' });
    assert.deepEqual([log[3].authorization.scheme, log[3].dpop.present, log[3].dpop.valid, log[3].token.jkt], ['Bearer', false, null, key.jkt]);
    const mismatch = log.find((e) => e.dpop.jkt === other.jkt && e.token?.jkt === key.jkt);
    assert.equal(mismatch.dpop.valid, false);
    assert.match(mismatch.dpop.error, /cnf\.jkt/);
    const kept = JSON.stringify(log);
    assert.equal(kept.includes(token), false, 'no token');
    assert.equal(kept.includes(token.split('.')[2]), false, 'no token signature');
    assert.equal(kept.includes(proof.split('.')[2]), false, 'no proof');
  });

  test('API: an Ed25519 (EdDSA) DPoP key; CORS lets the app send DPoP and read DPoP-Nonce', async () => {
    for (const alg of ['EdDSA', 'Ed25519']) {
      const key = await dpopKey(alg);
      // eslint-disable-next-line no-await-in-loop
      const r = await login({ clientId: DPOP_CLIENT_ID, scope: 'openid data:read', jar: new CookieJar(), dpop: key, dpopNonces: t.opNonces });
      const token = r.tokens.access_token;
      assert.deepEqual(jwtPayload(token).cnf, { jkt: key.jkt }, alg);
      const htu = new URL('data', API).href;
      const send = async (nonce) => call('data', { headers: { authorization: `DPoP ${token}`, dpop: await key.proof({ htu, accessToken: token, nonce }), origin: stack.demoOrigin } });
      // eslint-disable-next-line no-await-in-loop
      const first = await send(undefined);
      assert.equal(first.status, 401, alg);
      assert.equal(first.body.error, 'use_dpop_nonce');
      assert.equal(first.headers.get('access-control-allow-origin'), stack.demoOrigin);
      assert.match(first.headers.get('access-control-expose-headers'), /(^|, )DPoP-Nonce(,|$)/);
      assert.match(first.headers.get('access-control-expose-headers'), /WWW-Authenticate/);
      // eslint-disable-next-line no-await-in-loop
      const second = await send(first.headers.get('dpop-nonce'));
      assert.equal(second.status, 200, `${alg}: ${JSON.stringify(second.body)}`);
    }
    const preflight = await fetch(new URL('data', API), {
      method: 'OPTIONS',
      headers: { origin: stack.demoOrigin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization, dpop' },
    });
    assert.equal(preflight.status, 204);
    assert.match(preflight.headers.get('access-control-allow-headers'), /\bDPoP\b/);
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

      // spa-demo: no key binding; a copied Bearer token works for whoever holds it.
      assert.equal(await page.locator('#client-id').textContent(), 'spa-demo');
      assert.equal(await page.locator('#dpop-binding').getAttribute('data-bound'), 'false');
      assert.equal(await page.locator('#dpop-thumbprint').textContent(), '');
      await page.locator('#replay-without-key').click();
      await page.waitForSelector('#replay-sdk[data-status="200"]');
      const replay = async (id) => page.locator(`#${id}`).evaluate((o) => ({ ...o.dataset }));
      assert.deepEqual(await replay('replay-bearer'), { testid: 'replay-bearer', status: '200', code: '', tone: 'bad' });
      assert.deepEqual(await replay('replay-dpop'), { testid: 'replay-dpop', status: '401', code: 'invalid_dpop_proof', tone: 'good' });
      tc.diagnostic(`replay (spa-demo), Bearer: ${await page.locator('#replay-bearer').textContent()}`);

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

  test('agent console as spa-dpop in Chromium: tokens bound to the SDK key, a copied token refused without the key, nonce rotation mid-session', {
    timeout: 60_000,
  }, async (tc) => {
    await hook('reset');
    stack.provider.resetRequests();
    const browser = await openBrowser(stack);
    const { page, rec } = browser;
    const backHome = async () => {
      await page.waitForURL((u) => u.origin === stack.demoOrigin, { waitUntil: 'commit' });
      assert.equal(await waitForAppState(page), 'authenticated', await page.locator('#error').innerText().catch(() => ''));
    };
    const dataCalls = () => api.requests().filter((r) => r.path === '/data' && r.method === 'GET');
    try {
      await page.goto(`${stack.agentUrl}?client=dpop`, { waitUntil: 'commit' });
      assert.equal(await waitForAppState(page), 'ready');
      assert.equal(await page.locator('#client-choice').inputValue(), 'dpop');
      assert.equal(await page.locator('#client-id').textContent(), DPOP_CLIENT_ID);
      await page.locator('#login').click();
      await providerLogin(page, stack, 'alice');
      await providerConsent(page);
      await backHome();
      assert.equal(await page.locator('#client-id').textContent(), DPOP_CLIENT_ID, 'the same client after the return');

      await page.waitForSelector('#dpop-binding[data-bound="true"]');
      const jkt = await page.locator('#dpop-thumbprint').textContent();
      assert.match(jkt, /^[A-Za-z0-9_-]{43}$/);
      assert.match(await page.locator('#dpop-binding').innerText(), new RegExp(`^tokens bound to key ${jkt}$`));
      const tokenCalls = stack.provider.requests().filter((r) => r.path === '/token');
      assert.ok(tokenCalls.length >= 1 && tokenCalls.every((r) => r.dpop), 'every token request carried a proof');
      assert.ok(tokenCalls.some((r) => r.status === 200));

      // A call through the SDK: the DPoP scheme, a valid proof of the bound key.
      await page.locator('#step-read').click();
      await page.waitForSelector('#result-read[data-status="200"]');
      const read = dataCalls().at(-1);
      assert.equal(read.status, 200);
      assert.equal(read.authorization.scheme, 'DPoP');
      assert.deepEqual({ ...read.dpop, error: undefined }, { present: true, valid: true, jkt, nonce: 'current', error: undefined });
      assert.equal(read.token.jkt, jkt);
      assert.equal(read.token.client_id, DPOP_CLIENT_ID);

      // The copied token without the key: refused twice; the SDK's call works.
      await page.locator('#replay-without-key').click();
      await page.waitForSelector('#replay-sdk[data-status="200"]');
      const outcome = async (id) => page.locator(`#${id}`).evaluate((o) => ({ ...o.dataset, text: o.textContent }));
      const asDpop = await outcome('replay-dpop');
      const asBearer = await outcome('replay-bearer');
      tc.diagnostic(`DPoP scheme, no proof: ${asDpop.text}`);
      tc.diagnostic(`Bearer scheme: ${asBearer.text}`);
      assert.deepEqual([asDpop.status, asDpop.code, asDpop.tone], ['401', 'invalid_dpop_proof', 'good']);
      assert.deepEqual([asBearer.status, asBearer.code, asBearer.tone], ['401', 'invalid_token', 'good']);
      const replays = dataCalls().slice(-3);
      assert.deepEqual(replays.map((r) => [r.authorization.scheme, r.dpop.present, r.status, r.error]), [
        ['DPoP', false, 401, 'invalid_dpop_proof'],
        ['Bearer', false, 401, 'invalid_token'],
        ['DPoP', true, 200, null],
      ]);

      // Nonce rotation mid-session, at the API and at the provider; then an invalid_token makes
      // the SDK refresh (the provider's nonce is stale by then) and retry.
      await hook('rotate-dpop-nonce');
      await fetch(`${stack.issuer}/__test/rotate-dpop-nonce`, { method: 'POST' });
      const before = dataCalls().length;
      await page.locator('#step-read').click();
      await page.waitForSelector('#result-read[data-status="200"]');
      assert.deepEqual(dataCalls().slice(before).map((r) => [r.status, r.error, r.dpop.nonce]), [
        [401, 'use_dpop_nonce', 'invalid'],
        [200, null, 'current'],
      ], 'one retry with the new API nonce');
      stack.provider.resetRequests();
      await hook('fail-next?count=1');
      const beforeRefresh = dataCalls().length;
      await page.locator('#result-read').evaluate((o) => { o.dataset.status = ''; });
      await page.locator('#step-read').click();
      await page.waitForSelector('#result-read[data-status="200"]');
      const refreshes = stack.provider.requests().filter((r) => r.path === '/token');
      assert.deepEqual(refreshes.map((r) => [r.status, r.error, r.dpop]), [
        [400, 'use_dpop_nonce', true],
        [200, null, true],
      ], 'the refresh: once more with the provider\'s new nonce');
      assert.deepEqual(dataCalls().slice(beforeRefresh).map((r) => [r.status, r.error]), [
        [401, 'invalid_token'],
        [200, null],
      ]);
      assert.equal(await page.locator('#dpop-thumbprint').textContent(), jkt, 'the same key after the refresh');
      assert.equal(dataCalls().at(-1).token.jkt, jkt);

      await rec.settle();
      const secrets = Object.assign({}, ...rec.tokenResponses.map((r, i) => Object.fromEntries(
        Object.entries(secretsOf(r.body)).map(([k, v]) => [`${k} #${i}`, v]),
      )));
      assert.ok(Object.keys(secrets).length > 0, 'token responses captured');
      assert.deepEqual(findSecrets(await page.content(), secrets), [], 'no token on the page');
      await mkdir(OUTPUT, { recursive: true });
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.screenshot({ path: path.join(OUTPUT, 'agent-console-dpop.png'), fullPage: true });
      tc.diagnostic(path.join(OUTPUT, 'agent-console-dpop.png'));
    } catch (err) {
      tc.diagnostic(`page state: ${(await page.locator('body').innerText().catch(() => '')).slice(0, 3000)}`);
      tc.diagnostic(`console: ${rec.console.join('\n')}`);
      throw err;
    } finally {
      await browser.close();
    }
  });
});
