// Demo: the local OpenID provider + a tiny static server for the demo SPA, the agent console,
// the built package and a small resource server (the demo's API), plus the agent API
// (www/api.js) on its own origin.
//
//   npm run demo          (set-up + `bash scripts/build.sh` for pkg/, then this file)
//   node www/serve.js     (pkg/ must already be built)
//
// Environment:
//   DEMO_PORT (default 5173), PROVIDER_PORT (default 3000), API_PORT (default DEMO_PORT + 200,
//                         i.e. 5373: the agent API's origin http://127.0.0.1:<API_PORT>)
//   DEMO_SHORT_TOKENS=1   short-lifetime mode: the provider issues 60 s access tokens and the
//                         demo page renews them 20 s before expiry (refreshMarginSeconds 20), so
//                         a renewal shows up in the event log within a minute. Also selectable
//                         per start with DEMO_ACCESS_TOKEN_TTL=<seconds> (>= 30).
//   SPA_OAUTH_PKG_DIR     serve another build of the package at /pkg/
//
// Serves, on 127.0.0.1 only (a request for another host name, e.g. localhost:5173, is redirected
// to http://127.0.0.1:<DEMO_PORT>: the provider only knows that origin, and the browser keeps
// the login transaction per origin):
//   /              www/app/            (index.html, app.js, app.css)
//   /pkg/          pkg/                (the npm package spa-oauth-wasm as built by
//                                       scripts/build.sh: wasm-pack --target web output)
//   /config.json   issuer, clientId, redirectUri, scope for the demo page (which discovers the
//                  endpoints itself through the SDK), the demo's settings (token lifetime,
//                  refresh margin, API URL), plus the endpoints from the provider's discovery
//                  document (used by the end-to-end tests)
//   /api/profile   the demo resource server: GET with `Authorization: Bearer <access token>`;
//                  validates the token by RFC 7662 introspection at the provider (as the
//                  confidential client `demo-api`) and answers 200 { active, sub, scope,
//                  client_id, exp } or 401 with a WWW-Authenticate challenge. It never echoes
//                  or logs the token.
//   /rust/         www/rust/           the same demo written in Rust against the crate's Rust API
//                                      (index.html, boot.js; pkg/ = examples/rust-spa built by
//                                      scripts/build-example.sh)
//   /rust/config.json  the same as /config.json with the Rust page's redirectUri (/rust/)
//   /agent/        www/agent/          the agent console (index.html, agent.js; styles from
//                                      /app.css): walks the agent scenarios (scopes per call,
//                                      incremental consent, human in the loop, step-up, token
//                                      budgets, tenant isolation) against the agent API
//   /agent/config.json  the same as /config.json with redirectUri /agent/, the agent's scope
//                  (AGENT_SCOPE) and resourceServers [the agent API's URL], plus dpopClientId
//                  (spa-dpop: the console's ?client=dpop, DPoP-bound tokens) and parClientId
//                  (spa-par)
// and, on http://127.0.0.1:<API_PORT>/, the agent API (www/api.js): JWT access tokens for the
// resource indicator http://127.0.0.1:<API_PORT>/ (the provider's resourceIndicator), CORS for
// the demo origin. /config.json carries its URL as demo.agentApi and resourceServers.
//
// FOR LOCAL USE ONLY: the provider's development login form accepts any username/password.

import { existsSync } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { startApi } from './api.js';
import { CLIENT_ID, startProvider } from './provider.js';

const HOST = '127.0.0.1';
const HERE = path.dirname(fileURLToPath(import.meta.url));
const APP_DIR = path.join(HERE, 'app');
const RUST_DIR = path.join(HERE, 'rust');
const AGENT_DIR = path.join(HERE, 'agent');
const DEFAULT_PKG_DIR = path.resolve(HERE, '..', 'pkg');

const CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.ts': 'text/plain; charset=utf-8', // .d.ts
  '.map': 'application/json; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

export const DEFAULT_SCOPE = 'openid profile email';
/** The agent console's base scope (more is asked for incrementally). */
export const AGENT_SCOPE = 'openid profile offline_access data:read';
/** The agent API's port is the demo's + this (5173 -> 5373). */
export const API_PORT_OFFSET = 200;
/** Access-token lifetime of the short-lifetime mode (DEMO_SHORT_TOKENS=1), seconds. */
export const SHORT_ACCESS_TOKEN_TTL = 60;
/** The provider's default access-token lifetime (www/provider.js), seconds. */
const DEFAULT_ACCESS_TOKEN_TTL = 600;
/** The SDK's default refreshMarginSeconds. */
const DEFAULT_REFRESH_MARGIN = 60;

function contentSecurityPolicy(providerOrigin, ...apiOrigins) {
  return [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    `connect-src ${['\'self\'', providerOrigin, ...apiOrigins].join(' ')}`,
    "style-src 'self'",
    "img-src 'self'",
    "font-src 'none'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * Map a URL path to a file below one of the roots, or null. Rejects anything that could leave the
 * root: encoded or literal `..`, backslashes, NUL, dot files, and symlinks pointing outside.
 */
async function resolveFile(urlPath, pkgDir) {
  let decoded;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const segments = decoded.split('/');
  if (segments.some((s) => s === '..' || s.startsWith('.'))) return null;

  let root;
  let rel;
  if (decoded === '/pkg' || decoded.startsWith('/pkg/')) {
    root = pkgDir;
    rel = decoded.slice('/pkg/'.length);
  } else if (decoded.startsWith('/rust/')) {
    root = RUST_DIR;
    rel = decoded.slice('/rust/'.length);
  } else if (decoded.startsWith('/agent/')) {
    root = AGENT_DIR;
    rel = decoded.slice('/agent/'.length);
  } else {
    root = APP_DIR;
    rel = decoded.slice(1);
  }
  if (rel === '' || rel.endsWith('/')) rel += 'index.html';

  const candidate = path.resolve(root, rel);
  if (!candidate.startsWith(root + path.sep)) return null;
  try {
    const [realRoot, realFile] = await Promise.all([realpath(root), realpath(candidate)]);
    if (!realFile.startsWith(realRoot + path.sep)) return null;
    const info = await stat(realFile);
    return info.isFile() ? realFile : null;
  } catch {
    return null;
  }
}

/**
 * The demo resource server: validates a Bearer access token by RFC 7662 introspection and
 * answers what it learned (never the token). RFC 6750 §3 challenges on failure.
 */
async function apiProfile(authorization, introspection) {
  const challenge = (error, description) => ({
    'WWW-Authenticate': error
      ? `Bearer realm="demo-api", error="${error}", error_description="${description}"`
      : 'Bearer realm="demo-api"',
  });
  const match = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/.exec(authorization ?? '');
  if (!match) {
    return {
      status: 401,
      body: { error: 'invalid_request', error_description: 'send the access token as Authorization: Bearer' },
      headers: challenge(authorization ? 'invalid_request' : null, 'malformed Authorization header'),
    };
  }
  const basic = Buffer.from(
    `${encodeURIComponent(introspection.clientId)}:${encodeURIComponent(introspection.clientSecret)}`,
  ).toString('base64');
  let result;
  try {
    const response = await fetch(introspection.endpoint, {
      method: 'POST',
      headers: {
        authorization: `Basic ${basic}`,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: new URLSearchParams({ token: match[1], token_type_hint: 'access_token' }),
      redirect: 'manual',
      signal: AbortSignal.timeout(5000),
    });
    if (!response.ok) throw new Error(`introspection HTTP ${response.status}`);
    result = await response.json();
  } catch {
    return { status: 503, body: { error: 'temporarily_unavailable', error_description: 'introspection failed' }, headers: {} };
  }
  const now = Math.floor(Date.now() / 1000);
  if (result?.active !== true || (typeof result.exp === 'number' && result.exp <= now)) {
    return {
      status: 401,
      body: { error: 'invalid_token', error_description: 'the access token is not active (expired, revoked or unknown)' },
      headers: challenge('invalid_token', 'the access token is not active'),
    };
  }
  return {
    status: 200,
    body: {
      active: true,
      sub: typeof result.sub === 'string' ? result.sub : null,
      scope: typeof result.scope === 'string' ? result.scope : '',
      client_id: typeof result.client_id === 'string' ? result.client_id : null,
      exp: typeof result.exp === 'number' ? result.exp : null,
      validated_by: 'RFC 7662 introspection',
    },
    headers: {},
  };
}

function listen(server, port) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * Start the provider and the static server.
 *
 * @param {object} [options]
 * @param {number} [options.demoPort=5173]
 * @param {number} [options.providerPort=3000]
 * @param {number} [options.apiPort=demoPort + 200] the agent API's port (www/api.js)
 * @param {object} [options.apiOptions] extra options for startApi (testHooks follows
 *   providerOptions.testHooks unless given here)
 * @param {string} [options.scope] default scope the demo page logs in with
 * @param {string} [options.pkgDir] directory served at /pkg/ (default: the repository's pkg/)
 * @param {object} [options.providerOptions] extra options for startProvider (e.g. testHooks,
 *   accessTokenTTL)
 * @param {number} [options.accessTokenTTL] access-token lifetime in seconds (the provider's
 *   `accessTokenTTL`; DEMO_SHORT_TOKENS=1 sets 60). The page's refreshMarginSeconds follows: the
 *   SDK default 60 s, or a third of the lifetime when that is shorter than 2 minutes.
 * @param {boolean} [options.quiet=false]
 * @returns {Promise<{ url: string, demoOrigin: string, redirectUri: string, issuer: string,
 *   provider: object, config: object, rustUrl: string, rustConfig: object, api: object,
 *   apiUrl: string, agentUrl: string, agentConfig: object, close(): Promise<void> }>}
 */
export async function startDemo({
  demoPort = 5173,
  providerPort = 3000,
  apiPort = demoPort + API_PORT_OFFSET,
  scope = DEFAULT_SCOPE,
  pkgDir = DEFAULT_PKG_DIR,
  providerOptions = {},
  apiOptions = {},
  accessTokenTTL,
  agentConnectSrc = [],
  quiet = false,
} = {}) {
  const tokenTTL = Number(accessTokenTTL ?? providerOptions.accessTokenTTL ?? DEFAULT_ACCESS_TOKEN_TTL);
  if (!Number.isInteger(tokenTTL) || tokenTTL < 30) {
    throw new Error(`access-token lifetime must be an integer >= 30 s, got ${accessTokenTTL}`);
  }
  const refreshMarginSeconds = tokenTTL < 2 * DEFAULT_REFRESH_MARGIN
    ? Math.floor(tokenTTL / 3) : DEFAULT_REFRESH_MARGIN;
  const demoOrigin = `http://${HOST}:${demoPort}`;
  const redirectUri = `${demoOrigin}/`;
  // The Rust page (www/rust/) is the same client at its own redirect URI (also its
  // post-logout redirect URI).
  const rustRedirectUri = `${demoOrigin}/rust/`;
  // The agent console: the same client at /agent/.
  const agentRedirectUri = `${demoOrigin}/agent/`;
  // The agent API's origin and resource indicator (its base URL).
  const apiOrigin = `http://${HOST}:${apiPort}`;
  const apiUrl = `${apiOrigin}/`;

  const provider = await startProvider({
    port: providerPort,
    clientRedirectUris: [redirectUri, rustRedirectUri, agentRedirectUri],
    resourceIndicator: apiUrl,
    quiet: true,
    ...providerOptions,
    accessTokenTTL: tokenTTL,
  });

  let server;
  let api;
  try {
    // Endpoints come from the provider's own discovery document, as a real deployment would.
    const discoveryUrl = `${provider.issuer}/.well-known/openid-configuration`;
    const metadata = await (await fetch(discoveryUrl)).json();
    if (metadata.issuer !== provider.issuer) throw new Error('discovery issuer mismatch');
    const config = {
      issuer: metadata.issuer,
      authorizationEndpoint: metadata.authorization_endpoint,
      tokenEndpoint: metadata.token_endpoint,
      userinfoEndpoint: metadata.userinfo_endpoint,
      revocationEndpoint: metadata.revocation_endpoint,
      endSessionEndpoint: metadata.end_session_endpoint,
      jwksUri: metadata.jwks_uri,
      authorizationResponseIssParameterSupported:
        metadata.authorization_response_iss_parameter_supported === true,
      clientId: CLIENT_ID,
      redirectUri,
      scope,
      // The demo page's own settings (not SDK options except refreshMarginSeconds).
      demo: {
        accessTokenTTL: tokenTTL,
        shortLifetime: tokenTTL < DEFAULT_ACCESS_TOKEN_TTL,
        refreshMarginSeconds,
        apiUrl: `${demoOrigin}/api/profile`,
        rustUrl: rustRedirectUri,
        agentUrl: agentRedirectUri,
        agentApi: apiUrl,
      },
      // The resource servers the SDK may send access tokens to (the agent console uses them).
      resourceServers: [apiUrl],
    };
    const introspection = provider.introspection;
    if (metadata.introspection_endpoint) introspection.endpoint = metadata.introspection_endpoint;
    const configBody = JSON.stringify(config, null, 2);
    const rustConfig = { ...config, redirectUri: rustRedirectUri };
    const rustConfigBody = JSON.stringify(rustConfig, null, 2);
    // The agent console may run as spa-dpop (DPoP-bound tokens); spa-par is there for PAR.
    const agentConfig = {
      ...config,
      redirectUri: agentRedirectUri,
      scope: AGENT_SCOPE,
      dpopClientId: provider.dpopClientId,
      parClientId: provider.parClientId,
    };
    const agentConfigBody = JSON.stringify(agentConfig, null, 2);
    const providerOrigin = new URL(provider.issuer).origin;
    const canonicalHost = `${HOST}:${demoPort}`;
    // The agent console calls the agent API (another origin): only its pages may connect there.
    // (agentConnectSrc: more origins for tests that check what an SDK sends elsewhere.)
    const agentCsp = contentSecurityPolicy(providerOrigin, apiOrigin, ...agentConnectSrc);
    const baseHeaders = {
      'Cache-Control': 'no-store',
      'Content-Security-Policy': contentSecurityPolicy(providerOrigin),
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'X-Frame-Options': 'DENY',
    };

    server = createServer(async (req, res) => {
      const send = (status, body, headers = {}) => {
        res.writeHead(status, { ...baseHeaders, ...headers });
        res.end(req.method === 'HEAD' ? undefined : body);
      };
      try {
        // One host spelling: the provider knows only 127.0.0.1 redirect URIs and the browser
        // keeps the login transaction per origin (localhost:5173 would fail with
        // state_mismatch after the login). Redirect any other Host to the canonical origin.
        if (req.headers.host !== canonicalHost && (req.method === 'GET' || req.method === 'HEAD')) {
          send(308, '', { Location: `${demoOrigin}${req.url?.startsWith('/') ? req.url : '/'}` });
          return;
        }
        if (req.method === 'OPTIONS' && req.url?.startsWith('/api/')) {
          // Same-origin API: no CORS (a cross-origin page gets no preflight approval).
          send(405, 'method not allowed', { Allow: 'GET', 'Content-Type': 'text/plain' });
          return;
        }
        if (req.method !== 'GET' && req.method !== 'HEAD') {
          send(405, 'method not allowed', { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' });
          return;
        }
        const { pathname } = new URL(req.url, demoOrigin);
        if (pathname === '/config.json') {
          send(200, configBody, { 'Content-Type': CONTENT_TYPES['.json'] });
          return;
        }
        if (pathname === '/api/profile') {
          const { status, body, headers } = await apiProfile(req.headers.authorization, introspection);
          send(status, JSON.stringify(body), { 'Content-Type': CONTENT_TYPES['.json'], ...headers });
          return;
        }
        if (pathname === '/rust/config.json') {
          send(200, rustConfigBody, { 'Content-Type': CONTENT_TYPES['.json'] });
          return;
        }
        if (pathname === '/rust') {
          send(308, '', { Location: '/rust/' });
          return;
        }
        if (pathname === '/agent/config.json') {
          send(200, agentConfigBody, { 'Content-Type': CONTENT_TYPES['.json'], 'Content-Security-Policy': agentCsp });
          return;
        }
        if (pathname === '/agent') {
          send(308, '', { Location: '/agent/' });
          return;
        }
        const file = await resolveFile(pathname, pkgDir);
        if (!file) {
          send(404, 'not found', { 'Content-Type': 'text/plain; charset=utf-8' });
          return;
        }
        const type = CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream';
        send(200, await readFile(file), {
          'Content-Type': type,
          ...(pathname.startsWith('/agent/') ? { 'Content-Security-Policy': agentCsp } : {}),
        });
      } catch {
        if (!res.headersSent) send(500, 'internal error', { 'Content-Type': 'text/plain' });
        else res.destroy();
      }
    });
    const sockets = new Set();
    server.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await listen(server, demoPort);
    // After the demo server: a demo port in use is reported as such (not as the API's port).
    api = await startApi({
      port: apiPort,
      issuer: provider.issuer,
      resource: apiUrl,
      allowedOrigins: [demoOrigin],
      testHooks: Boolean(providerOptions.testHooks),
      quiet: true,
      ...apiOptions,
    });

    if (!quiet) {
      if (!existsSync(path.join(pkgDir, 'spa_oauth.js'))) {
        console.warn('warning: pkg/spa_oauth.js not found: run `npm run build` first');
      }
      if (!existsSync(path.join(RUST_DIR, 'pkg', 'spa_oauth_example.js'))) {
        console.warn('warning: www/rust/pkg/ not found: run `bash scripts/build-example.sh` for the Rust page');
      }
      console.log(`Demo SPA:  ${demoOrigin}/   <- open this`);
      console.log(`Rust page: ${rustRedirectUri}   (the same demo, written in Rust)`);
      console.log(`Agent console: ${agentRedirectUri}   (scopes per call, consent, step-up, budgets)`);
      console.log(`Agent API: ${apiUrl}   (resource server, JWT access tokens)`);
      console.log(`Provider:  ${provider.issuer}  (local development OpenID provider)`);
      console.log('Any username/password works on the provider\'s dev login form (local use only).');
    }

    return {
      url: `${demoOrigin}/`,
      demoOrigin,
      redirectUri,
      issuer: provider.issuer,
      provider,
      config,
      rustUrl: rustRedirectUri,
      rustConfig,
      agentUrl: agentRedirectUri,
      agentConfig,
      api,
      apiUrl,
      apiOrigin,
      server,
      close: async () => {
        await Promise.all([
          new Promise((resolve) => {
            server.close(() => resolve());
            for (const socket of sockets) socket.destroy();
          }),
          provider.close(),
          api.close(),
        ]);
      },
    };
  } catch (err) {
    server?.close();
    await api?.close();
    await provider.close();
    throw err;
  }
}

// Standalone: node www/serve.js
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const demoPort = Number(process.env.DEMO_PORT ?? 5173);
  const providerPort = Number(process.env.PROVIDER_PORT ?? 3000);
  const apiPort = Number(process.env.API_PORT ?? demoPort + API_PORT_OFFSET);
  const ttlEnv = process.env.DEMO_ACCESS_TOKEN_TTL;
  const accessTokenTTL = ttlEnv ? Number(ttlEnv)
    : (process.env.DEMO_SHORT_TOKENS === '1' ? SHORT_ACCESS_TOKEN_TTL : undefined);
  let demo;
  try {
    demo = await startDemo({
      demoPort,
      ...(process.env.SPA_OAUTH_PKG_DIR ? { pkgDir: path.resolve(process.env.SPA_OAUTH_PKG_DIR) } : {}),
      providerPort,
      apiPort,
      accessTokenTTL,
    });
  } catch (err) {
    if (err?.code === 'EADDRINUSE' || err?.code === 'EACCES') {
      const which = { [providerPort]: 'PROVIDER_PORT', [apiPort]: 'API_PORT' }[err.port] ?? 'DEMO_PORT';
      const why = err.code === 'EADDRINUSE' ? 'is already in use (is the demo already running?)' : 'is not allowed';
      console.error(`error: port ${err.port} on ${HOST} ${why}: stop the other process or set ${which}=<free port>`);
    } else {
      console.error(`error: ${err?.message ?? err}`);
    }
    process.exit(1);
  }
  if (accessTokenTTL) {
    console.log(`Short-lifetime mode: ${demo.config.demo.accessTokenTTL} s access tokens, renewed ${demo.config.demo.refreshMarginSeconds} s before expiry.`);
  }
  console.log('Stop with Ctrl+C.');
  const stop = () => demo.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
