// End-to-end harness: the real provider + demo server (www/serve.js) and Debian's Chromium
// driven by playwright-core. Not a test file itself (node --test picks up *.test.js only).
//
// Each test file that starts its own stack must use its own ports: node --test runs files in
// parallel processes. Defaults: demo 5273, provider 3100 (E2E_DEMO_PORT / E2E_PROVIDER_PORT),
// agent API demo + 200 = 5473 (www/api.js; E2E_API_PORT); a file passes its own `portOffset`
// (login.test.js 0, oidc.test.js 1, lifecycle.test.js 2, client.test.js 3, rust-example.test.js
// 4, demo.test.js 5, api.test.js 6) added to all three.

import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

import { startDemo } from '../../www/serve.js';
import { collectBrowserState } from '../support/browser-state.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, '..', '..');
const PROFILES_DIR = path.join(HERE, '.profiles'); // git-ignored
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// The package under test (default: the repository's pkg/, built by `npm run build`).
export const PKG_DIR = path.resolve(ROOT, process.env.SPA_OAUTH_PKG_DIR ?? 'pkg');

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-dev-shm-usage',
  '--disable-breakpad',
];

/** Throws a readable error when the package or the browser is missing. */
export function checkPrerequisites() {
  const missing = [];
  if (!existsSync(path.join(PKG_DIR, 'spa_oauth.js'))) {
    missing.push(`${path.join(PKG_DIR, 'spa_oauth.js')} (run \`npm run build\`)`);
  }
  if (!existsSync(CHROMIUM)) missing.push(`${CHROMIUM} (apt-get install chromium)`);
  if (missing.length) throw new Error(`e2e prerequisites missing: ${missing.join(', ')}`);
}

/**
 * Provider (with test hooks) + demo server + agent API (with test hooks) on test ports (base
 * ports + portOffset). The result is startDemo's: also `api` (www/api.js: url, origin, audit(),
 * requests(), reset(), failNext(n)), `apiUrl` (the resource indicator), `agentUrl`,
 * `agentConfig`.
 */
export async function startStack({
  portOffset = 0,
  demoPort = Number(process.env.E2E_DEMO_PORT ?? 5273) + portOffset,
  providerPort = Number(process.env.E2E_PROVIDER_PORT ?? 3100) + portOffset,
  apiPort = Number(process.env.E2E_API_PORT ?? Number(process.env.E2E_DEMO_PORT ?? 5273) + 200) + portOffset,
  providerOptions = {},
  apiOptions = {},
  agentConnectSrc = [],
} = {}) {
  return startDemo({
    agentConnectSrc,
    demoPort,
    providerPort,
    apiPort,
    quiet: true,
    pkgDir: PKG_DIR,
    providerOptions: { testHooks: true, ...providerOptions },
    apiOptions: { testHooks: true, ...apiOptions },
  });
}

const openBrowsers = new Set();

/** Close every browser still open (e.g. after a test timed out while its browser was busy). */
export async function closeAllBrowsers() {
  await Promise.allSettled([...openBrowsers].map((b) => b.close()));
}

/**
 * A fresh Chromium profile (persistent context in a new temp dir) with recorders attached to its
 * page. close() also removes the profile directory.
 */
export async function openBrowser(stack) {
  await mkdir(PROFILES_DIR, { recursive: true });
  const userDataDir = await mkdtemp(path.join(PROFILES_DIR, 'profile-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
    });
  } catch (err) {
    await rm(userDataDir, { recursive: true, force: true });
    throw err;
  }
  // The provider's dev pages @import web fonts from the internet; fail those fast.
  await context.route((url) => url.hostname !== '127.0.0.1', (route) => route.abort());

  const page = context.pages()[0] ?? await context.newPage();
  page.setDefaultTimeout(10_000);
  const rec = record(page, stack);

  let closing;
  const browser = {
    context,
    page,
    rec,
    /** The persistent profile on disk (History, Sessions, ...): kept until close(). */
    userDataDir,
    /** Closes the browser but keeps the profile, so a test can read what Chromium wrote. */
    closeContext: () => context.close().catch(() => {}),
    close() {
      closing ??= (async () => {
        await context.close().catch(() => {});
        await rm(userDataDir, { recursive: true, force: true });
        openBrowsers.delete(browser);
      })();
      return closing;
    },
  };
  openBrowsers.add(browser);
  return browser;
}

/** Everything the page did that the tests look at. */
function record(page, stack) {
  const { tokenEndpoint } = stack.config;
  const rec = {
    requests: [], // { url, method, isNavigation, postData, headers }
    tokenResponses: [], // parsed JSON bodies of POST tokenEndpoint responses
    callbackUrls: [], // navigations to the redirect URI carrying code= or error=
    console: [], // console message texts + page errors
    consoleEntries: [], // { type, text, url } (url: the script/page the message came from)
    pending: [],
    /**
     * Wait (bounded) for the async captures (response bodies, headers). A body the page never
     * reads may never finish loading, so this never throws: what did not arrive is missing.
     */
    async settle(timeoutMs = 3000) {
      const until = Date.now() + timeoutMs;
      while (this.pending.length && Date.now() < until) {
        const batch = this.pending.splice(0);
        // eslint-disable-next-line no-await-in-loop
        const done = await Promise.race([
          Promise.allSettled(batch).then(() => true),
          new Promise((resolve) => { setTimeout(resolve, Math.max(0, until - Date.now()), false).unref(); }),
        ]);
        if (!done) return false;
      }
      return this.pending.length === 0;
    },
    tokenRequests() {
      return this.requests.filter((r) => r.method === 'POST' && r.url.split('?')[0] === tokenEndpoint);
    },
  };

  page.on('request', (request) => {
    const entry = {
      url: request.url(),
      method: request.method(),
      isNavigation: request.isNavigationRequest(),
      postData: request.postData(),
      headers: null,
    };
    rec.requests.push(entry);
    rec.pending.push(request.allHeaders().then((h) => { entry.headers = h; }, () => {}));
    if (entry.isNavigation && request.frame() === page.mainFrame()) {
      const url = new URL(entry.url);
      if (url.href.startsWith(stack.redirectUri.split('?')[0])
        && (url.searchParams.has('code') || url.searchParams.has('error'))) {
        rec.callbackUrls.push(entry.url);
      }
    }
  });
  page.on('response', (response) => {
    const request = response.request();
    if (request.method() === 'POST' && response.url().split('?')[0] === tokenEndpoint) {
      rec.pending.push(response.json().then(
        (body) => { rec.tokenResponses.push({ status: response.status(), body }); },
        () => { rec.tokenResponses.push({ status: response.status(), body: null }); },
      ));
    }
  });
  page.on('console', (msg) => {
    rec.console.push(`[${msg.type()}] ${msg.text()}`);
    rec.consoleEntries.push({ type: msg.type(), text: msg.text(), url: msg.location()?.url ?? '' });
  });
  page.on('pageerror', (err) => {
    rec.console.push(`[pageerror] ${err?.stack ?? err}`);
    rec.consoleEntries.push({ type: 'pageerror', text: String(err?.stack ?? err), url: page.url() });
  });
  return rec;
}

/** Wait until the demo app left the "loading" state; returns the state. */
/** Runs fn with a fresh browser profile of `stack`, always closed afterwards. */
export async function withBrowserOf(stack, fn) {
  const browser = await openBrowser(stack);
  try {
    return await fn(browser);
  } finally {
    await browser.close();
  }
}

export async function waitForAppState(page) {
  await page.waitForSelector('body[data-state="ready"], body[data-state="authenticated"], body[data-state="error"]');
  return page.evaluate(() => document.body.dataset.state);
}

/** The error the demo page shows. */
export async function shownError(page) {
  return page.evaluate(() => ({
    code: document.getElementById('error-code').textContent,
    error: document.getElementById('error-error').textContent,
    description: document.getElementById('error-description').textContent,
    message: document.getElementById('error-message').textContent,
  }));
}

/** Fill the provider's dev login form (any login/password is accepted). */
export async function providerLogin(page, stack, login) {
  await page.waitForURL((url) => url.origin === stack.issuer, { waitUntil: 'commit' });
  // Either the login form or the provider's error page (e.g. a rejected authorization request).
  await page.locator('input[name="login"], body > pre').first().waitFor();
  if (!(await page.locator('input[name="login"]').count())) {
    const text = (await page.locator('body').innerText()).replace(/\s+/g, ' ');
    throw new Error(`provider error page at ${page.url()}: ${text}`);
  }
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill('any-password');
  await page.locator('button[type="submit"]').click();
}

/** On the provider's consent form: "Continue" (consent) or the "[ Cancel ]" link (deny). */
export async function providerConsent(page, { deny = false } = {}) {
  await page.locator('input[name="prompt"][value="consent"]').waitFor({ state: 'attached' });
  if (deny) {
    await page.getByRole('link', { name: '[ Cancel ]' }).click();
  } else {
    await page.locator('button[type="submit"]').click();
  }
}

/** Open the demo, click "Log in", log in and consent at the provider; wait for the app. */
export async function fullLogin(page, stack, { login = 'alice', deny = false } = {}) {
  await page.goto(stack.url, { waitUntil: 'commit' });
  const initial = await waitForAppState(page);
  if (initial !== 'ready') {
    throw new Error(`demo page not ready before login: ${initial} ${JSON.stringify(await shownError(page))}`);
  }
  await page.locator('#login').click();
  await providerLogin(page, stack, login);
  await providerConsent(page, { deny });
  await page.waitForURL((url) => url.origin === stack.demoOrigin, { waitUntil: 'commit' });
  return waitForAppState(page);
}

/** Everything the demo origin persisted: web storage, IndexedDB contents, Cache Storage
 * (tests/support/browser-state.js), plus the context's cookies. */
export async function dumpBrowserState(page, context, stack) {
  const inPage = await page.evaluate(collectBrowserState);
  return {
    ...inPage,
    pageUrl: page.url(),
    demoCookies: await context.cookies(stack.demoOrigin),
    allCookies: await context.cookies(),
  };
}

/** Secret strings to search for: tokens from the captured token response (+ the ID token's parts). */
/** Where a browser could have kept something, from a dumpBrowserState() result: place -> value. */
export function storedPlaces(state) {
  return {
    localStorage: state.localStorage,
    sessionStorage: state.sessionStorage,
    indexedDB: state.indexedDB,
    cacheStorage: state.cacheStorage,
    documentCookie: state.documentCookie,
    demoCookies: state.demoCookies,
    allCookies: state.allCookies,
    url: [state.href, state.pageUrl],
    historyState: state.historyState,
  };
}

export function secretsOf(tokenResponse) {
  const secrets = {};
  for (const name of ['access_token', 'refresh_token', 'id_token']) {
    const value = tokenResponse?.[name];
    if (typeof value === 'string' && value) secrets[name] = value;
  }
  if (secrets.id_token) {
    const [, payload, signature] = secrets.id_token.split('.');
    if (payload) secrets['id_token payload'] = payload;
    if (signature) secrets['id_token signature'] = signature;
  }
  return secrets;
}

/** Names of the secrets found anywhere in haystack (any JSON-able value). */
export function findSecrets(haystack, secrets) {
  const text = typeof haystack === 'string' ? haystack : JSON.stringify(haystack);
  const decoded = safeDecode(text);
  return Object.entries(secrets)
    .filter(([, value]) => value && (text.includes(value) || decoded.includes(value)))
    .map(([name]) => name);
}

function safeDecode(text) {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Every file below `dir` (relative path) whose bytes contain one of `needles` (strings). */
export async function filesContaining(dir, needles) {
  const hits = [];
  const walk = async (d) => {
    for (const entry of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) {
        const bytes = await readFile(full).catch(() => null);
        if (bytes && needles.some((n) => bytes.includes(Buffer.from(n)))) hits.push(path.relative(dir, full));
      }
    }
  };
  await walk(dir);
  return hits;
}

// ---- a node-side authorization code + PKCE flow (no browser) ---------------------------------
// For tests of the provider and the agent API (tests/e2e/api.test.js): the provider's own dev
// login and consent forms are filled over HTTP with a small cookie jar. Only for 127.0.0.1.

/** A minimal cookie jar (name + path; no domain logic: every server here is 127.0.0.1). */
export class CookieJar {
  #cookies = new Map(); // `${name};${path}` -> { name, value, path }

  store(response, requestUrl) {
    for (const line of response.headers.getSetCookie?.() ?? []) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      let cookiePath = new URL(requestUrl).pathname.replace(/\/[^/]*$/, '') || '/';
      let expired = false;
      for (const attr of attrs) {
        const [k, v = ''] = attr.split('=');
        const key = k.trim().toLowerCase();
        if (key === 'path') cookiePath = v.trim() || '/';
        if (key === 'expires' && Date.parse(v) <= Date.now()) expired = true;
        if (key === 'max-age' && Number(v) <= 0) expired = true;
      }
      const id = `${name};${cookiePath}`;
      if (expired) this.#cookies.delete(id);
      else this.#cookies.set(id, { name, value, path: cookiePath });
    }
  }

  header(url) {
    const { pathname } = new URL(url);
    return [...this.#cookies.values()]
      .filter((c) => pathname === c.path || pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
      .sort((a, b) => b.path.length - a.path.length)
      .map((c) => `${c.name}=${c.value}`).join('; ');
  }
}

const b64url = (bytes) => Buffer.from(bytes).toString('base64url');

/** The provider's discovery document (cached per issuer). */
const metadataCache = new Map();
export async function providerMetadata(issuer) {
  if (!metadataCache.has(issuer)) {
    metadataCache.set(issuer, fetch(`${issuer}/.well-known/openid-configuration`).then((r) => r.json()));
  }
  return metadataCache.get(issuer);
}

/**
 * Runs an authorization request through the provider's dev forms and returns the callback:
 * { code, state, iss, error, errorDescription, steps, otpShown, verifier, jar, nonce }.
 * steps: the forms met, in order ('login', 'consent'); a refused one-time code ends the run
 * with 'login-otp-invalid' as the last step and no code. `login` is filled in
 * the login form (any password); `otp` goes into the one-time-code field when the form has one
 * (undefined: leave it empty, which the provider refuses). `deny: true` cancels at consent.
 * `resource` (string or array) and `extraParams` go into the authorization request; with
 * `par: true` they are pushed first (RFC 9126) and the browser leg carries client_id + request_uri
 * only (the result then has `pushed`: the PAR answer { status, body }).
 */
export async function authorizeNode({
  issuer, clientId = 'spa-demo', redirectUri, scope = 'openid', resource, extraParams = {},
  login = 'alice', otp, deny = false, jar = new CookieJar(), par = false,
}) {
  const { createHash, randomBytes } = await import('node:crypto');
  const metadata = await providerMetadata(issuer);
  const verifier = b64url(randomBytes(32));
  const state = b64url(randomBytes(16));
  const nonce = b64url(randomBytes(16));
  const url = new URL(metadata.authorization_endpoint);
  const params = {
    client_id: clientId, redirect_uri: redirectUri, response_type: 'code', scope, state, nonce,
    code_challenge: b64url(createHash('sha256').update(verifier).digest()), code_challenge_method: 'S256',
    ...extraParams,
  };
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  for (const r of [resource ?? []].flat()) url.searchParams.append('resource', r);
  let pushed = null;
  if (par) {
    // RFC 9126: the parameters go to the PAR endpoint; the browser gets client_id + request_uri.
    const res = await fetch(metadata.pushed_authorization_request_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: url.searchParams.toString(),
      redirect: 'manual',
    });
    pushed = { status: res.status, body: await res.json().catch(() => null) };
    if (res.status !== 201 || typeof pushed.body?.request_uri !== 'string') {
      throw new Error(`PAR failed: ${res.status} ${JSON.stringify(pushed.body)}`);
    }
    url.search = new URLSearchParams({ client_id: clientId, request_uri: pushed.body.request_uri }).toString();
  }

  const steps = [];
  let otpShown = false;
  let next = { url: url.href, init: { method: 'GET' } };
  for (let hop = 0; hop < 30; hop += 1) {
    // eslint-disable-next-line no-await-in-loop
    const res = await fetch(next.url, {
      ...next.init,
      redirect: 'manual',
      headers: { ...(next.init.headers ?? {}), cookie: jar.header(next.url) },
    });
    jar.store(res, next.url);
    if (res.status >= 300 && res.status < 400) {
      await res.arrayBuffer();
      const location = new URL(res.headers.get('location'), next.url);
      if (location.href.startsWith(redirectUri.split('?')[0])
        && (location.searchParams.has('code') || location.searchParams.has('error'))) {
        const q = location.searchParams;
        if (q.get('state') !== state) throw new Error('state mismatch in the node-side flow');
        return {
          code: q.get('code'), state, iss: q.get('iss'), error: q.get('error'),
          errorDescription: q.get('error_description'), steps, otpShown, verifier, jar, nonce, pushed,
        };
      }
      next = { url: location.href, init: { method: 'GET' } };
      continue;
    }
    // eslint-disable-next-line no-await-in-loop
    const html = await res.text();
    const here = new URL(next.url);
    const form = (fields) => ({
      url: `${here.origin}${here.pathname}`,
      init: {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(fields).toString(),
      },
    });
    if (res.status === 200 && html.includes('name="prompt" value="login"')) {
      const hasOtp = html.includes('name="otp"');
      otpShown ||= hasOtp;
      if (here.searchParams.get('otp') === 'invalid') {
        // The provider refused the one-time code and shows the form again: stop here.
        steps.push('login-otp-invalid');
        return { code: null, state, iss: null, error: null, errorDescription: null, steps, otpShown, verifier, jar, nonce };
      }
      steps.push('login');
      next = form({ prompt: 'login', login, password: 'any-password', ...(hasOtp && otp !== undefined ? { otp } : {}) });
    } else if (res.status === 200 && html.includes('name="prompt" value="consent"')) {
      steps.push('consent');
      next = deny
        ? { url: `${here.origin}${here.pathname}/abort`, init: { method: 'GET' } }
        : form({ prompt: 'consent' });
    } else {
      throw new Error(`unexpected provider answer ${res.status} at ${here.pathname}: ${html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').slice(0, 300)}`);
    }
  }
  throw new Error('too many redirects in the node-side flow');
}

/**
 * POST to the token endpoint (public client); resolves { status, body, headers }. `headers`:
 * extra request headers (e.g. { dpop: proof }).
 */
export async function tokenRequestNode(issuer, form, { headers = {} } = {}) {
  const metadata = await providerMetadata(issuer);
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(form)) {
    for (const item of [v].flat()) if (item !== undefined) body.append(k, item);
  }
  const res = await fetch(metadata.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...headers },
    body,
    redirect: 'manual',
  });
  return { status: res.status, body: await res.json().catch(() => null), headers: res.headers };
}

// ---- DPoP (RFC 9449) proofs made in node ------------------------------------------------------

/**
 * A DPoP key pair (jose; ES256 by default, or 'EdDSA' / 'Ed25519' with an Ed25519 key) with
 * { alg, privateKey, publicJwk, privateJwk, jkt (RFC 7638 SHA-256 thumbprint), proof(opts) }.
 * proof({ htm, htu, nonce, accessToken, iat, jti, header, payload }) signs a dpop+jwt: ath from
 * accessToken; `header` / `payload` override or add members (undefined removes one).
 */
export async function dpopKey(alg = 'ES256') {
  const { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair } = await import('jose');
  const { createHash, randomUUID } = await import('node:crypto');
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'ES256' ? {} : { crv: 'Ed25519' }) });
  const publicJwk = await exportJWK(publicKey);
  const privateJwk = await exportJWK(privateKey);
  const jkt = await calculateJwkThumbprint(publicJwk, 'sha256');
  const clean = (o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  return {
    alg,
    privateKey,
    publicJwk,
    privateJwk,
    jkt,
    async proof({
      htm = 'GET', htu, nonce, accessToken, iat = Math.floor(Date.now() / 1000), jti = randomUUID(),
      header = {}, payload = {}, signWith = privateKey,
    } = {}) {
      const claims = clean({
        jti, htm, htu, iat, nonce,
        ath: accessToken === undefined ? undefined : createHash('sha256').update(accessToken).digest('base64url'),
        ...payload,
      });
      return new SignJWT(claims)
        .setProtectedHeader(clean({ alg, typ: 'dpop+jwt', jwk: publicJwk, ...header }))
        .sign(signWith);
    },
  };
}

/**
 * A token request with a DPoP proof of `key`, RFC 9449 §8 nonce dance included: sent with the
 * last nonce this issuer gave (`nonces`, a Map kept by the caller), and once more with the
 * DPoP-Nonce of a 400 use_dpop_nonce answer. Resolves { status, body, headers, attempts }.
 */
export async function dpopTokenRequestNode(issuer, form, key, nonces = new Map()) {
  const metadata = await providerMetadata(issuer);
  let attempts = 0;
  for (;;) {
    attempts += 1;
    // eslint-disable-next-line no-await-in-loop
    const proof = await key.proof({ htm: 'POST', htu: metadata.token_endpoint, nonce: nonces.get(issuer) });
    // eslint-disable-next-line no-await-in-loop
    const r = await tokenRequestNode(issuer, form, { headers: { dpop: proof } });
    const nonce = r.headers.get('dpop-nonce');
    if (nonce) nonces.set(issuer, nonce);
    if (r.status === 400 && r.body?.error === 'use_dpop_nonce' && nonce && attempts < 2) continue;
    return { ...r, attempts };
  }
}

/**
 * authorizeNode + the code exchange (with `tokenResource` as the token request's resource).
 * With `dpop` (a dpopKey()), the code exchange carries DPoP proofs (dpopTokenRequestNode, with
 * the `dpopNonces` Map); the result then has `tokenAttempts`.
 */
export async function loginNode({
  issuer, clientId = 'spa-demo', redirectUri, tokenResource, dpop, dpopNonces, ...rest
}) {
  const cb = await authorizeNode({ issuer, clientId, redirectUri, ...rest });
  if (!cb.code) throw new Error(`authorization failed: ${cb.error} ${cb.errorDescription ?? ''}`);
  const form = {
    grant_type: 'authorization_code', code: cb.code, code_verifier: cb.verifier,
    redirect_uri: redirectUri, client_id: clientId, resource: tokenResource,
  };
  const token = dpop
    ? await dpopTokenRequestNode(issuer, form, dpop, dpopNonces)
    : await tokenRequestNode(issuer, form);
  if (token.status !== 200) throw new Error(`token request failed: ${token.status} ${JSON.stringify(token.body)}`);
  return { ...cb, tokens: token.body, tokenAttempts: token.attempts ?? 1 };
}

/** The payload of a JWT (no verification: for looking at what a test received). */
export function jwtPayload(jwt) {
  return JSON.parse(Buffer.from(String(jwt).split('.')[1] ?? '', 'base64url').toString('utf8'));
}
/** The protected header of a JWT. */
export function jwtHeader(jwt) {
  return JSON.parse(Buffer.from(String(jwt).split('.')[0] ?? '', 'base64url').toString('utf8'));
}
