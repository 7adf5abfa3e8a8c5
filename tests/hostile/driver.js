// Browser side of the hostile suite: one Debian Chromium (playwright-core, never a downloaded
// browser), a fresh browser context per flow, the SDK driven directly with page.evaluate on the
// blank app page, and the leak checks (security catalogue BR-01, BR-03, BR-05) run after every
// flow. Small helpers are copied from tests/e2e/harness.js rather than imported, so the suites
// stay independent; the in-page state collector is shared (tests/support/browser-state.js).

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';

import { chromium } from 'playwright-core';

import { PKG_DIR } from './server.js';
import { collectBrowserState } from '../support/browser-state.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

// The flags tests/e2e/harness.js uses for Debian's Chromium.
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

export const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

export function checkPrerequisites() {
  const missing = [];
  if (!existsSync(path.join(PKG_DIR, 'spa_oauth.js'))) missing.push(`${path.join(PKG_DIR, 'spa_oauth.js')} (run \`bash scripts/build.sh\`)`);
  if (!existsSync(CHROMIUM)) missing.push(`${CHROMIUM} (apt-get install chromium)`);
  if (missing.length) throw new Error(`hostile suite prerequisites missing: ${missing.join(', ')}`);
}

/**
 * One browser for the whole suite. playwright's chromium.launch() only refuses an explicit
 * --user-data-dir; without one it gives cheap, isolated contexts (fresh storage per flow).
 */
export async function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

// Installed in every document of a tab before its own scripts: an error serialiser (SpaOAuthError
// properties do not survive page.evaluate's structured clone), the package loader, and recorders
// for unhandled rejections and the canary the XSS probes would set.
const INIT_SCRIPT = () => {
  window.__unhandled = [];
  window.__ser = (e) => {
    if (!e || typeof e !== 'object') return { thrown: String(e) };
    const out = {
      isError: e instanceof Error,
      name: e.name,
      message: e.message,
      stack: e.stack,
      code: e.code,
      error: e.error,
      error_description: e.error_description,
      error_uri: e.error_uri,
      status: e.status,
      // auth.fetch's refusals (issue 12): consent_required, step_up_required.
      scope: e.scope,
      resource: e.resource,
      acrValues: e.acrValues,
      maxAge: e.maxAge,
      props: {},
      string: String(e),
    };
    for (const k of Object.getOwnPropertyNames(e)) {
      try { out.props[k] = typeof e[k] === 'object' ? JSON.stringify(e[k]) : String(e[k]); } catch { out.props[k] = '?'; }
    }
    try { out.json = JSON.stringify(e); } catch { out.json = null; }
    return out;
  };
  // The package's default build, or its `full` build (spa-oauth-wasm/full: resource servers, DPoP).
  window.__spa = async (full = window.__full) => {
    const m = await import(full ? '/pkg/full/spa_oauth.js' : '/pkg/spa_oauth.js');
    await m.default();
    return m;
  };
  window.addEventListener('unhandledrejection', (ev) => { window.__unhandled.push(window.__ser(ev.reason)); });
};

/** A context for a group of flows (its tabs share the HTTP cache, so the package compiles once). */
export function groupContext(browser) {
  return browser.newContext();
}

/**
 * A page with recorders: in a fresh context when given the browser (close() disposes of the
 * context), or a new tab of a group's context (close() closes the tab). sessionStorage, where the
 * SDK keeps its login transaction, is per tab either way. No request interception
 * (context.route would slow every request down): the blank app page loads nothing from elsewhere.
 */
export async function newTab(target) {
  const own = typeof target.newContext === 'function';
  const context = own ? await target.newContext() : target;
  const page = await context.newPage();
  await page.addInitScript(INIT_SCRIPT);
  page.setDefaultTimeout(20_000);
  const log = { console: [], dialogs: [], popups: [], navigations: [] };
  page.on('console', (m) => log.console.push(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => log.console.push(`[pageerror] ${e?.stack ?? e}`));
  page.on('dialog', (d) => { log.dialogs.push(d.message()); d.dismiss().catch(() => {}); });
  page.on('popup', (p) => log.popups.push(p.url()));
  page.on('framenavigated', (f) => { if (f === page.mainFrame()) log.navigations.push(f.url()); });
  return { context, page, log, close: () => (own ? context.close() : page.close()).catch(() => {}) };
}

export async function openApp(tab, server, pathname = '/app.html') {
  await tab.page.goto(`${server.appOrigin}${pathname}`, { waitUntil: 'load' });
}

/**
 * AuthClient.create(options) in the page; the client becomes window.__auth. The build: `full`
 * (true: pkg/full/, false: pkg/) when given, else the full build for options only it has
 * (resourceServers, dpop, par), else the one this document used before (the default at first).
 */
export function createClient(tab, options, { full } = {}) {
  return tab.page.evaluate(async ({ o, full: f }) => {
    // Options for resource servers, DPoP or PAR need the full build (and so does every later import here).
    if (f !== null) window.__full = f;
    else if (o.resourceServers || o.dpop || o.par) window.__full = true;
    const m = await window.__spa();
    try {
      window.__auth = await m.AuthClient.create(o);
      return { ok: true };
    } catch (e) {
      return { ok: false, error: window.__ser(e) };
    }
  }, { o: options, full: full ?? null });
}

/** loginWithRedirect → hostile /authorize → 302 → the redirect URI. Resolves the callback URL. */
export async function loginAndReturn(tab, server, loginOptions) {
  const arrived = tab.page.waitForURL((u) => u.href.startsWith(server.redirectUri), { waitUntil: 'load' });
  let started;
  try {
    started = await tab.page.evaluate(async (o) => {
      try {
        await window.__auth.loginWithRedirect(o ?? undefined);
        return { ok: true };
      } catch (e) {
        return { ok: false, error: window.__ser(e) };
      }
    }, loginOptions ?? null);
  } catch (err) {
    // The navigation may tear down the evaluating context first: that is the expected path.
    if (!/context was destroyed|navigation|Target closed/i.test(String(err))) throw err;
    started = { ok: true };
  }
  if (!started.ok) {
    arrived.catch(() => {});
    throw new Error(`loginWithRedirect rejected: ${JSON.stringify(started.error)}`);
  }
  await arrived;
  return tab.page.url();
}

/** The login transactions in the tab's sessionStorage (to learn the verifier, state, nonce). */
export async function transactions(tab) {
  const items = await tab.page.evaluate(() => Object.fromEntries(
    Array.from({ length: sessionStorage.length }, (_, i) => sessionStorage.key(i)).map((k) => [k, sessionStorage.getItem(k)]),
  ));
  return Object.entries(items)
    .filter(([k]) => k.startsWith('spa-oauth:'))
    .map(([k, v]) => ({ key: k, ...record(v) }));
}

/** A stored transaction (a JSON object); markers and anything unreadable give {}. */
function record(text) {
  try {
    const v = JSON.parse(text);
    return v && typeof v === 'object' ? v : {};
  } catch {
    return {};
  }
}

/** handleRedirectCallback(url?) on window.__auth: { ok, value } or { ok: false, error }. */
export function handleCallback(tab, url) {
  return tab.page.evaluate(async (u) => {
    try {
      return { ok: true, value: await window.__auth.handleRedirectCallback(u ?? undefined) };
    } catch (e) {
      return { ok: false, error: window.__ser(e) };
    }
  }, url ?? null);
}

/** Calls window.__auth[method](...args) (awaited). */
export function call(tab, method, ...args) {
  return tab.page.evaluate(async ({ m, a }) => {
    try {
      return { ok: true, value: await window.__auth[m](...a) };
    } catch (e) {
      return { ok: false, error: window.__ser(e) };
    }
  }, { m: method, a: args });
}

/**
 * Subscribes to the client's events (tokenRefreshed, sessionExpired, loggedOut, error, warning,
 * and auth.fetch's fetch, consentRequired, stepUpRequired) on
 * window.__auth; events(tab) reads what arrived: { name, at, detail } (errors serialised).
 */
export function recordEvents(tab) {
  return tab.page.evaluate(() => {
    window.__events = [];
    for (const name of ['tokenRefreshed', 'sessionExpired', 'loggedOut', 'error', 'warning', 'fetch', 'consentRequired', 'stepUpRequired']) {
      window.__auth.on(name, (d) => {
        const isError = d && typeof d === 'object' && (d instanceof Error || d.name === 'SpaOAuthError');
        window.__events.push({ name, at: Date.now(), detail: isError ? window.__ser(d) : JSON.parse(JSON.stringify(d ?? null)) });
      });
    }
  });
}

export function events(tab) {
  return tab.page.evaluate(() => window.__events ?? []);
}

/** The client's session as the app sees it. */
export function probe(tab) {
  return tab.page.evaluate(async () => {
    const a = window.__auth;
    const p = {
      isAuthenticated: a.isAuthenticated(),
      claims: a.getIdTokenClaims(),
      user: a.getUser(),
      expiry: a.getTokenExpiry(),
      scope: a.getGrantedScope(),
      href: location.href,
      bodyHtml: document.body.innerHTML,
      xss: window.__xss ?? null,
      unhandled: window.__unhandled,
    };
    try {
      p.accessToken = await a.getAccessToken();
    } catch (e) {
      p.accessTokenError = window.__ser(e);
    }
    return p;
  });
}

/** The callback URL the AS would redirect to for `authorizeUrl`, without a browser. */
export async function authorizeToCallback(authorizeUrl) {
  const r = await fetch(authorizeUrl, { redirect: 'manual' });
  const location = r.headers.get('location');
  if (r.status !== 302 || !location) throw new Error(`authorize answered ${r.status} ${await r.text()}`);
  return location;
}

// --- leak checks ---------------------------------------------------------------------------------

/** Everything the app origin persisted or shows: web storage, IndexedDB, Cache Storage, cookies,
 * URL, history (tests/support/browser-state.js) + CDP navigation history. */
export async function dumpBrowserState(tab, server) {
  const inPage = await tab.page.evaluate(collectBrowserState);
  let history = [];
  try {
    const cdp = await tab.context.newCDPSession(tab.page);
    const h = await cdp.send('Page.getNavigationHistory');
    history = h.entries.map((e) => e.url);
    await cdp.detach();
  } catch (err) {
    history = [`(navigation history unavailable: ${err.message})`];
  }
  return {
    ...inPage,
    pageUrl: tab.page.url(),
    history,
    cookies: await tab.context.cookies([server.appOrigin, server.asOrigin]),
  };
}

/** Names of the secrets (name → value) found in haystack (any JSON-able value), also URL-decoded. */
export function findSecrets(haystack, secrets) {
  const text = typeof haystack === 'string' ? haystack : JSON.stringify(haystack);
  let decoded = text;
  try { decoded = decodeURIComponent(text); } catch { /* keep */ }
  return Object.entries(secrets)
    .filter(([, value]) => typeof value === 'string' && value.length >= 8 && (text.includes(value) || decoded.includes(value)))
    .map(([name]) => name);
}

/**
 * BR-01 / BR-03 / BR-05 after a flow: no secret in any storage, cookie, URL or history entry, in
 * any error the SDK threw, or on the console; the login transaction is gone; the address bar has
 * no code/state/iss/session_state.
 */
export async function assertNoLeaks(tab, server, secrets, { errors = [], cleanUrl = true, label = '', keepSessionKeys = null } = {}) {
  const dump = await dumpBrowserState(tab, server);
  // Items a case expects to stay (e.g. the pending-logout marker after a foreign post-logout
  // state, LO-01): set aside, and returned for the case to judge.
  dump.kept = {};
  if (keepSessionKeys) {
    for (const k of Object.keys(dump.sessionStorage)) {
      if (keepSessionKeys.test(k)) {
        dump.kept[k] = dump.sessionStorage[k];
        delete dump.sessionStorage[k];
      }
    }
  }
  const where = (part, value) => {
    const found = findSecrets(value, secrets);
    assert.deepEqual(found, [], `${label}${part} contains ${found.join(', ')}: ${JSON.stringify(value).slice(0, 600)}`);
  };
  where('localStorage', dump.localStorage);
  where('sessionStorage', dump.sessionStorage);
  where('IndexedDB', dump.indexedDB);
  where('Cache Storage', dump.cacheStorage);
  where('cookies', [dump.documentCookie, dump.cookies]);
  where('history.state', dump.historyState);
  where('the address bar', [dump.href, dump.pageUrl]);
  where('the navigation history', dump.history);
  where('the console', tab.log.console);
  errors.forEach((e, i) => where(`error #${i} (message, stack, properties)`, e));
  const txns = Object.keys(dump.sessionStorage).filter((k) => k.startsWith('spa-oauth:'));
  assert.deepEqual(txns, [], `${label}login transaction left in sessionStorage after the flow`);
  if (cleanUrl) {
    const u = new URL(dump.href);
    const left = ['code', 'state', 'iss', 'session_state'].filter((p) => u.searchParams.has(p));
    assert.deepEqual(left, [], `${label}BR-01: ${left.join(', ')} still in the address bar: ${dump.href}`);
  }
  return dump;
}
