// Harness of the Django OAuth Toolkit suite (tests/e2e-dot/): starts the DOT test provider
// (tests/dot/serve.py, from the venv of scripts/setup-dot.sh), a static app origin serving pkg/
// and a blank page, and Debian's Chromium through playwright-core. Not a test file itself.
//
// Ports (others run tests/e2e on 3100-3110 / 5273-5283):
//   DOT_E2E_PROVIDER_PORT (7300): the DOT provider; the second one (CORS only from DOT itself) on +1
//   DOT_E2E_APP_PORT (7400): the app origin (the page the SDK runs in)

import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, '..', '..');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const PKG_DIR = path.resolve(ROOT, process.env.SPA_OAUTH_PKG_DIR ?? 'pkg');
export const DOT_VENV = path.resolve(ROOT, process.env.DOT_VENV ?? '.tmp/dot-venv');
export const PROVIDER_PORT = Number(process.env.DOT_E2E_PROVIDER_PORT ?? 7300);
export const APP_PORT = Number(process.env.DOT_E2E_APP_PORT ?? 7400);
export const APP = `http://127.0.0.1:${APP_PORT}`;
export const CLIENT_ID = 'spa-dot';

export function checkPrerequisites() {
  const missing = [];
  if (!existsSync(path.join(PKG_DIR, 'spa_oauth.js'))) missing.push(`${PKG_DIR}/spa_oauth.js (run \`npm run build\`)`);
  if (!existsSync(CHROMIUM)) missing.push(`${CHROMIUM} (apt-get install chromium)`);
  if (!existsSync(path.join(DOT_VENV, 'bin', 'python'))) missing.push(`${DOT_VENV} (run \`bash scripts/setup-dot.sh\`)`);
  if (missing.length) throw new Error(`DOT e2e prerequisites missing: ${missing.join(', ')}`);
}

// The app page: loads the package, exposes window.__create(options) (an AuthClient of the DOT
// provider with every event recorded in window.__events) and window.__try(f).
const APP_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>spa-oauth x DOT</title></head>
<body><p id="state">app</p><script type="module">
import init, { AuthClient } from '/pkg/spa_oauth.js';
window.__events = [];
window.__errors = [];
addEventListener('unhandledrejection', (e) => window.__errors.push(String(e.reason?.stack ?? e.reason)));
window.__try = async (f) => {
  try { return { ok: true, value: await f() }; } catch (e) {
    return { ok: false, code: e?.code ?? null, error: e?.error ?? null, status: e?.status ?? null, message: String(e?.message ?? e) };
  }
};
window.__create = async (options) => {
  const auth = await AuthClient.create(options);
  for (const type of ['tokenRefreshed', 'sessionExpired', 'loggedOut', 'error', 'warning']) {
    try { auth.on(type, (d) => window.__events.push({ type, code: d?.code ?? null, error: d?.error ?? null })); } catch {}
  }
  window.__auth = auth;
  return true;
};
window.__ready = init().then(() => true);
</script></body></html>`;

/** The app origin: /pkg/* from PKG_DIR, every other GET the app page. */
export function startApp(port = APP_PORT) {
  const types = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json', '.ts': 'text/plain' };
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, APP);
    if (url.pathname.startsWith('/pkg/')) {
      const file = path.join(PKG_DIR, path.normalize(url.pathname.slice(5)).replace(/^(\.\.[/\\])+/, ''));
      try {
        const body = await readFile(file);
        res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
        res.end(body);
      } catch {
        res.writeHead(404).end();
      }
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(APP_PAGE);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve({ close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }) }));
  });
}

/**
 * A fresh DOT provider (new database, new key) on 127.0.0.1:port. cors: "headers" (django-cors-
 * headers everywhere) or "builtin" (the token endpoint's CORS from DOT itself: success only).
 */
export async function startDot({ port = PROVIDER_PORT, cors = 'headers', accessTokenSeconds = 3600 } = {}) {
  const args = [path.join(ROOT, 'tests/dot/serve.py'), '--port', String(port), '--app-origin', APP,
    '--cors', cors, '--access-token-seconds', String(accessTokenSeconds), '--test-hooks'];
  const child = spawn(path.join(DOT_VENV, 'bin', 'python'), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const log = [];
  child.stdout.on('data', (d) => log.push(String(d)));
  child.stderr.on('data', (d) => log.push(String(d)));
  let exited = false;
  child.on('exit', () => { exited = true; });
  const issuer = `http://127.0.0.1:${port}/o`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) throw new Error(`DOT exited at start-up:\n${log.join('')}`);
    try {
      // eslint-disable-next-line no-await-in-loop
      const r = await fetch(`http://127.0.0.1:${port}/health`);
      if (r.ok) break;
    } catch { /* not yet */ }
    if (Date.now() > deadline) { child.kill('SIGKILL'); throw new Error(`DOT did not start:\n${log.join('')}`); }
    // eslint-disable-next-line no-await-in-loop
    await new Promise((r) => { setTimeout(r, 100); });
  }
  return {
    issuer,
    origin: `http://127.0.0.1:${port}`,
    log,
    endpoints: {
      authorize: `${issuer}/authorize/`,
      token: `${issuer}/token/`,
      userinfo: `${issuer}/userinfo/`,
      revoke: `${issuer}/revoke_token/`,
      logout: `${issuer}/logout/`,
    },
    async close() {
      if (exited) return;
      const done = new Promise((r) => { child.once('exit', r); });
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await done;
      clearTimeout(t);
    },
  };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
  });
}

/** A fresh browser profile: every request of every page and the token responses are recorded. */
export async function newContext(browser, dot) {
  const context = await browser.newContext();
  // DOT's templates load Bootstrap from a CDN: fail everything that is not local, fast.
  await context.route((url) => url.hostname !== '127.0.0.1', (route) => route.abort());
  const rec = { requests: [], responses: [], tokenResponses: [], pending: [] };
  context.on('request', (req) => {
    rec.requests.push({ url: req.url(), method: req.method(), nav: req.isNavigationRequest(), page: req.frame()?.page() });
  });
  context.on('response', (res) => {
    const req = res.request();
    rec.responses.push({ url: res.url(), status: res.status(), nav: req.isNavigationRequest() });
    if (req.method() === 'POST' && res.url() === dot.endpoints.token) {
      rec.pending.push(res.json().then((body) => rec.tokenResponses.push({ status: res.status(), body }),
        () => rec.tokenResponses.push({ status: res.status(), body: null })));
    }
  });
  rec.settle = async () => { while (rec.pending.length) await Promise.allSettled(rec.pending.splice(0)); };
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  return { context, page, rec };
}
