// The agent API: a small resource server on its own origin for the agent console (www/agent/)
// and the end-to-end tests. It checks JWT access tokens (RFC 9068) itself, as a careful resource
// server does, and guards each operation an AI agent might perform with its own scope:
//
//   GET  /data                      data:read      the caller's tenant's records
//   POST /data                      data:write     add a record { text } to the caller's tenant
//   POST /external/invoke           external:invoke  call an external API { target, payload }
//                                                  (simulated; the app asks a human first)
//   POST /exec                      exec:sandbox + acr urn:spa-oauth:acr:mfa + auth_time at most
//                                  300 s old { command } (simulated); every exec:sandbox call,
//                                  allowed or refused, is an audit line
//   GET  /audit                     data:read      the caller's tenant's audit lines
//   POST /models/standard/complete  data:read      { prompt, max_tokens }: cost = max_tokens,
//   POST /models/premium/complete   model:premium  charged to the token_budget claim
//   GET  /tenants/:tenant/data      data:read      another tenant's data: 403 tenant_mismatch
//
// Access tokens: only from `Authorization: Bearer` (a token in the query is refused); ES256 only
// (what the provider signs them with); header typ at+jwt (RFC 9068 §2.1: oidc-provider sets
// it); iss exactly the issuer; aud containing this server's resource indicator (its base URL,
// ending in '/'); exp / nbf with 5 s of clock skew; keys from the issuer's jwks_uri (discovered,
// cached, refetched for an unknown kid at most every 30 s); the claims sub, jti, scope, tenant
// present. Claims used: scope, tenant, token_budget { per_request, per_day }, acr, auth_time.
//
// Answers are JSON. Refusals (RFC 6750 §3, RFC 9470 §3), realm "agent-api":
//   no token            401  WWW-Authenticate: Bearer realm="agent-api"
//   malformed request   400  ... error="invalid_request", error_description="..."
//   bad/expired token   401  ... error="invalid_token", error_description="..."
//   missing scope       403  ... error="insufficient_scope", scope="data:write"
//   step-up             401  ... error="insufficient_user_authentication",
//                            error_description="...", acr_values="urn:spa-oauth:acr:mfa",
//                            max_age="300"
//   budget              403  { error: "budget_exceeded", scope: "per_request", limit, requested }
//                       429  Retry-After: <s to UTC midnight>
//                            { error: "budget_exhausted", scope: "per_day", limit, requested,
//                              remaining }
//   other tenant        403  { error: "tenant_mismatch" }
// The body repeats error / error_description (and scope, acr_values, max_age).
//
// CORS for the allowed app origins only (no `*`, no credentials): Authorization and
// Content-Type allowed, WWW-Authenticate and Retry-After exposed; a request or preflight from
// another origin is refused (403, no CORS headers).
//
// Test hooks (testHooks only, under <base>/__test/):
//   POST /__test/reset                 budgets, audit lines, records, request log, fail-next
//   POST /__test/fail-next?count=N     the next N requests with a valid token: 401 invalid_token
//   ANY  /__test/redirect?to=<url>     307 to <url> (an SDK must not follow it with the token)
//   GET  /__test/requests              the request log: method, path, origin, authorization
//                                      { present, scheme }, token { jti, sub, tenant, scope, aud,
//                                      acr, client_id } of a valid token (never the token),
//                                      tokenError, status, error
//   GET  /__test/audit                 every audit line (all tenants)
//   POST /__test/clock?offset=S        the API's clock runs S seconds ahead (expiry, auth_time
//                                      age, budget day); offset=0 restores it
// It never logs or echoes a token.
//
//   node www/api.js   (ISSUER=http://127.0.0.1:3000 API_PORT=5373 ALLOWED_ORIGINS=http://127.0.0.1:5173)

import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';

import { createRemoteJWKSet, jwtVerify } from 'jose';

import { ACR_MFA } from './provider.js';

const HOST = '127.0.0.1';
export const REALM = 'agent-api';
/** The API's port when the demo runs on its default port (DEMO_PORT + 200). */
export const DEFAULT_API_PORT = 5373;
const MAX_BODY = 16 * 1024;
const MAX_LOG = 2000;

/** Seed data per tenant (restored by the reset hook). */
const SEED = {
  acme: [
    { id: 'acme-1', text: 'Q3 roadmap: ship the agent console', createdBy: 'seed' },
    { id: 'acme-2', text: 'Support rota: alice on Mondays', createdBy: 'seed' },
  ],
  globex: [
    { id: 'globex-1', text: 'Merger notes (confidential to globex)', createdBy: 'seed' },
  ],
};

/** Routes: `METHOD path` -> { scope, handler name }. */
const ROUTES = {
  'GET /data': { scope: 'data:read', op: 'listData' },
  'POST /data': { scope: 'data:write', op: 'addData' },
  'POST /external/invoke': { scope: 'external:invoke', op: 'invoke' },
  'POST /exec': { scope: 'exec:sandbox', op: 'exec' },
  'GET /audit': { scope: 'data:read', op: 'audit' },
  'POST /models/standard/complete': { scope: 'data:read', op: 'complete', model: 'standard' },
  'POST /models/premium/complete': { scope: 'model:premium', op: 'complete', model: 'premium' },
};
const TENANT_DATA = /^\/tenants\/([^/]+)\/data$/;

const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/; // RFC 6749 §3.3 scope-token
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/; // RFC 6750 §2.1 b64token

class HttpError extends Error {
  constructor(status, body, headers = {}) {
    super(body.error);
    this.status = status;
    this.body = body;
    this.headers = headers;
  }
}

/** `Bearer realm="agent-api", k="v", ...` (every value a quoted-string; none holds `"` or `\`). */
function challenge(params = {}) {
  return [`Bearer realm="${REALM}"`, ...Object.entries(params).map(([k, v]) => `${k}="${v}"`)].join(', ');
}

function oauthError(status, error, description, extra = {}) {
  return new HttpError(status, { error, error_description: description, ...extra },
    { 'WWW-Authenticate': challenge({ error, error_description: description, ...extra }) });
}

const invalidToken = (description) => oauthError(401, 'invalid_token', description);

/** Seconds until the next UTC midnight (when the daily budget starts again). */
function secondsToUtcMidnight(now = Date.now()) {
  const d = new Date(now);
  const next = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
  return Math.max(1, Math.ceil((next - now) / 1000));
}

const isPositiveInt = (v) => Number.isSafeInteger(v) && v > 0;

/**
 * Start the agent API on 127.0.0.1.
 *
 * @param {object} options
 * @param {number} [options.port=DEFAULT_API_PORT]
 * @param {string} options.issuer the provider (discovery at <issuer>/.well-known/openid-configuration)
 * @param {string} [options.resource] this server's resource indicator = its base URL, ending in
 *   '/' (default `http://127.0.0.1:<port>/`); the audience its tokens must carry
 * @param {string[]} [options.allowedOrigins=[]] app origins allowed by CORS
 * @param {boolean} [options.testHooks=false] serve <base>/__test/ (never outside tests)
 * @param {number} [options.clockToleranceSeconds=5]
 * @param {number} [options.stepUpMaxAge=300] seconds an exec:sandbox login may be old
 * @param {number} [options.jwksCooldownMs=30000] least time between two JWKS fetches for an
 *   unknown kid
 * @param {boolean} [options.quiet=false]
 */
export async function startApi({
  port = DEFAULT_API_PORT,
  issuer,
  resource,
  allowedOrigins = [],
  testHooks = false,
  clockToleranceSeconds = 5,
  stepUpMaxAge = 300,
  jwksCooldownMs = 30_000,
  quiet = false,
} = {}) {
  if (!issuer) throw new Error('startApi: issuer is required');
  const origin = `http://${HOST}:${port}`;
  const url = resource ?? `${origin}/`;
  const base = new URL(url);
  if (base.origin !== origin || !base.pathname.endsWith('/') || base.search || base.hash) {
    throw new Error(`startApi: resource ${url} must be a URL of ${origin} ending in '/'`);
  }
  const basePath = base.pathname;
  const allowed = new Set(allowedOrigins.map((o) => new URL(o).origin));

  // ---- state (in memory) --------------------------------------------------------------------
  let records;
  let auditLines;
  let spent; // `${tenant}\0${sub}\0${UTC day}` -> tokens spent
  let failNext;
  let requestLog;
  let nextRecordId;
  let clockOffsetMs = 0; // test hook only
  const now = () => Date.now() + clockOffsetMs;
  const reset = () => {
    records = Object.fromEntries(Object.entries(SEED).map(([t, rs]) => [t, rs.map((r) => ({ ...r }))]));
    auditLines = [];
    spent = new Map();
    failNext = 0;
    requestLog = [];
    nextRecordId = 1;
  };
  reset();

  // ---- token verification -------------------------------------------------------------------
  let keysPromise;
  const keys = () => {
    keysPromise ??= (async () => {
      const response = await fetch(`${issuer}/.well-known/openid-configuration`, {
        redirect: 'manual', signal: AbortSignal.timeout(5000),
      });
      if (!response.ok) throw new Error(`discovery HTTP ${response.status}`);
      const metadata = await response.json();
      if (metadata.issuer !== issuer || typeof metadata.jwks_uri !== 'string') {
        throw new Error('discovery: issuer mismatch or no jwks_uri');
      }
      return createRemoteJWKSet(new URL(metadata.jwks_uri), {
        cooldownDuration: jwksCooldownMs,
        timeoutDuration: 5000,
      });
    })();
    keysPromise.catch(() => { keysPromise = undefined; }); // retry discovery next time
    return keysPromise;
  };

  /** The Bearer token of the request, or null when there is none; HttpError when malformed. */
  const bearerOf = (req, reqUrl) => {
    const header = req.headers.authorization;
    if (reqUrl.searchParams.has('access_token')) {
      // RFC 6750 §2.3 is not offered: a token in a URL ends up in logs and histories.
      throw oauthError(400, 'invalid_request', 'send the access token in the Authorization header, never in the URL');
    }
    if (header === undefined) return null;
    const [scheme, ...rest] = header.split(' ');
    if (scheme.toLowerCase() !== 'bearer') return null;
    const value = rest.join(' ');
    if (rest.length !== 1 || !B64TOKEN.test(value)) {
      throw oauthError(400, 'invalid_request', 'malformed Authorization header');
    }
    return value;
  };

  const verify = async (token) => {
    let jwks;
    try {
      jwks = await keys();
    } catch {
      throw new HttpError(503, { error: 'temporarily_unavailable', error_description: 'the issuer keys are unavailable' });
    }
    let payload;
    try {
      ({ payload } = await jwtVerify(token, jwks, {
        issuer,
        audience: url,
        algorithms: ['ES256'],
        typ: 'at+jwt',
        clockTolerance: clockToleranceSeconds,
        requiredClaims: ['exp', 'iat', 'sub', 'jti', 'client_id'],
        currentDate: new Date(now()),
      }));
    } catch (err) {
      switch (err?.code) {
        case 'ERR_JWT_EXPIRED':
          throw invalidToken('the access token expired');
        case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
          if (err.claim === 'aud') throw invalidToken('the access token is not for this resource');
          if (err.claim === 'iss') throw invalidToken('the access token is from another issuer');
          if (err.claim === 'typ') throw invalidToken('not a JWT access token (typ)');
          if (err.claim === 'nbf') throw invalidToken('the access token is not valid yet');
          throw invalidToken('the access token lacks a required claim');
        case 'ERR_JOSE_ALG_NOT_ALLOWED':
          throw invalidToken('the access token signing algorithm is not accepted');
        case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
          throw invalidToken('the access token signature is invalid');
        case 'ERR_JWKS_NO_MATCHING_KEY':
        case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
          throw invalidToken('the access token signing key is unknown');
        case 'ERR_JWKS_TIMEOUT':
        case 'ERR_JWKS_INVALID':
          throw new HttpError(503, { error: 'temporarily_unavailable', error_description: 'the issuer keys are unavailable' });
        default:
          throw invalidToken('the access token is malformed');
      }
    }
    if (typeof payload.scope !== 'string' || !payload.scope.split(' ').every((s) => SCOPE_TOKEN.test(s))) {
      throw invalidToken('the access token has no valid scope');
    }
    if (typeof payload.tenant !== 'string' || !payload.tenant) {
      throw invalidToken('the access token has no tenant');
    }
    return payload;
  };

  const tokenSummary = (c) => ({
    jti: c.jti, sub: c.sub, tenant: c.tenant, scope: c.scope, aud: c.aud, acr: c.acr ?? null,
    client_id: c.client_id,
  });

  // ---- operations ---------------------------------------------------------------------------
  const auditLine = (claims, command, result) => {
    const line = {
      time: new Date(now()).toISOString(),
      sub: claims.sub,
      tenant: claims.tenant,
      jti: claims.jti,
      client_id: claims.client_id,
      acr: claims.acr ?? null,
      command,
      result,
    };
    auditLines.push(line);
    return line;
  };

  const ops = {
    listData: (claims) => ({ status: 200, body: { tenant: claims.tenant, records: records[claims.tenant] ?? [] } }),

    addData: (claims, body) => {
      const text = body?.text;
      if (typeof text !== 'string' || !text.trim() || text.length > 500) {
        throw new HttpError(400, { error: 'invalid_request', error_description: 'text must be a non-empty string (at most 500 characters)' });
      }
      const record = {
        id: `${claims.tenant}-new-${nextRecordId++}`, text, createdBy: claims.sub, createdAt: new Date(now()).toISOString(),
      };
      (records[claims.tenant] ??= []).push(record);
      return { status: 201, body: { tenant: claims.tenant, record } };
    },

    invoke: (claims, body) => {
      const target = typeof body?.target === 'string' ? body.target.slice(0, 200) : 'weather-api';
      return {
        status: 200,
        body: { tenant: claims.tenant, invoked: true, target, result: `simulated call to ${target}`, jti: claims.jti },
      };
    },

    exec: (claims, body) => {
      const command = typeof body?.command === 'string' ? body.command.slice(0, 200) : null;
      if (!command) {
        auditLine(claims, null, 'invalid_request');
        throw new HttpError(400, { error: 'invalid_request', error_description: 'command must be a non-empty string' });
      }
      // RFC 9470: the operation needs a second factor, not older than stepUpMaxAge.
      const nowSeconds = Math.floor(now() / 1000);
      let refusal = null;
      if (claims.acr !== ACR_MFA) {
        refusal = 'a second factor (step-up authentication) is required';
      } else if (typeof claims.auth_time !== 'number'
        || nowSeconds - claims.auth_time > stepUpMaxAge + clockToleranceSeconds) {
        refusal = 'a more recent authentication is required';
      }
      if (refusal) {
        auditLine(claims, command, 'step_up_required');
        throw oauthError(401, 'insufficient_user_authentication', refusal,
          { acr_values: ACR_MFA, max_age: stepUpMaxAge });
      }
      const line = auditLine(claims, command, 'executed');
      return {
        status: 200,
        body: { tenant: claims.tenant, command, exitCode: 0, output: `sandbox (simulated): ${command}`, audit: line },
      };
    },

    audit: (claims) => ({
      status: 200,
      body: { tenant: claims.tenant, lines: auditLines.filter((l) => l.tenant === claims.tenant) },
    }),

    complete: (claims, body, route) => {
      const maxTokens = body?.max_tokens;
      if (!isPositiveInt(maxTokens) || maxTokens > 1_000_000) {
        throw new HttpError(400, { error: 'invalid_request', error_description: 'max_tokens must be a positive integer' });
      }
      const budget = claims.token_budget;
      if (!budget || !isPositiveInt(budget.per_request) || !isPositiveInt(budget.per_day)) {
        throw new HttpError(403, { error: 'budget_missing', error_description: 'the access token carries no token_budget' });
      }
      const cost = maxTokens;
      if (cost > budget.per_request) {
        throw new HttpError(403, {
          error: 'budget_exceeded', scope: 'per_request', limit: budget.per_request, requested: cost,
          error_description: 'max_tokens is over the per-request budget',
        });
      }
      const day = new Date(now()).toISOString().slice(0, 10);
      const key = `${claims.tenant}\0${claims.sub}\0${day}`;
      const used = spent.get(key) ?? 0;
      if (used + cost > budget.per_day) {
        const retry = secondsToUtcMidnight(now());
        throw new HttpError(429, {
          error: 'budget_exhausted', scope: 'per_day', limit: budget.per_day, requested: cost,
          remaining: Math.max(0, budget.per_day - used), retry_after: retry,
          error_description: 'the daily token budget is spent',
        }, { 'Retry-After': String(retry) });
      }
      spent.set(key, used + cost);
      return {
        status: 200,
        body: {
          tenant: claims.tenant,
          model: route.model,
          completion: `(${route.model} model, simulated) ${cost} tokens for: ${String(body.prompt ?? '').slice(0, 80)}`,
          cost,
          remaining: budget.per_day - used - cost,
          limit: { per_request: budget.per_request, per_day: budget.per_day },
        },
      };
    },

    tenantData: (claims, body, route) => {
      if (route.tenant !== claims.tenant) {
        // Never served, whatever the scopes: tenant isolation.
        throw new HttpError(403, { error: 'tenant_mismatch', error_description: 'the access token belongs to another tenant' });
      }
      return ops.listData(claims);
    },
  };

  const readJson = async (req) => {
    const chunks = [];
    let size = 0;
    for await (const chunk of req) {
      size += chunk.length;
      if (size > MAX_BODY) throw new HttpError(413, { error: 'invalid_request', error_description: 'body too large' });
      chunks.push(chunk);
    }
    const text = Buffer.concat(chunks).toString('utf8').trim();
    if (!text) return {};
    try {
      const value = JSON.parse(text);
      if (value && typeof value === 'object' && !Array.isArray(value)) return value;
    } catch {
      // fall through
    }
    throw new HttpError(400, { error: 'invalid_request', error_description: 'the body must be a JSON object' });
  };

  // ---- HTTP ---------------------------------------------------------------------------------
  const corsHeaders = (requestOrigin) => (requestOrigin && allowed.has(requestOrigin)
    ? {
      'Access-Control-Allow-Origin': requestOrigin,
      'Access-Control-Expose-Headers': 'WWW-Authenticate, Retry-After',
      Vary: 'Origin',
    }
    : { Vary: 'Origin' });

  const handle = async (req, res) => {
    const reqUrl = new URL(req.url ?? '/', origin);
    const requestOrigin = req.headers.origin;
    const entry = {
      time: Date.now(),
      method: req.method,
      path: reqUrl.pathname,
      origin: requestOrigin ?? null,
      authorization: {
        present: req.headers.authorization !== undefined,
        scheme: req.headers.authorization?.split(' ')[0] || null,
      },
      token: null,
      tokenError: null,
      status: null,
      error: null,
    };
    const send = (status, body, headers = {}) => {
      entry.status = status;
      entry.error = body?.error ?? null;
      res.writeHead(status, {
        'Content-Type': 'application/json; charset=utf-8',
        'Cache-Control': 'no-store',
        'X-Content-Type-Options': 'nosniff',
        ...corsHeaders(requestOrigin),
        ...headers,
      });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };

    const inBase = reqUrl.pathname.startsWith(basePath);
    const route = inBase ? `/${reqUrl.pathname.slice(basePath.length)}` : null;
    const isHook = testHooks && route?.startsWith('/__test/');
    if (!(isHook && route !== '/__test/redirect')) {
      requestLog.push(entry);
      if (requestLog.length > MAX_LOG) requestLog.shift();
    }

    try {
      if (requestOrigin !== undefined && !allowed.has(requestOrigin)) {
        // Another origin: no CORS approval, and no work done for it.
        send(403, { error: 'origin_not_allowed', error_description: 'this origin may not call the API' });
        return;
      }
      if (req.method === 'OPTIONS') {
        const method = req.headers['access-control-request-method'];
        const asked = (req.headers['access-control-request-headers'] ?? '')
          .split(',').map((h) => h.trim().toLowerCase()).filter(Boolean);
        if (!requestOrigin || !['GET', 'POST'].includes(method)
          || asked.some((h) => h !== 'authorization' && h !== 'content-type')) {
          send(403, { error: 'preflight_refused', error_description: 'method or headers not allowed' });
          return;
        }
        send(204, undefined, {
          'Access-Control-Allow-Methods': 'GET, POST',
          'Access-Control-Allow-Headers': 'Authorization, Content-Type',
          'Access-Control-Max-Age': '600',
        });
        return;
      }

      if (isHook) {
        await hook(route, req, reqUrl, entry, send);
        return;
      }

      let spec;
      let key = `${req.method} ${route}`;
      const tenantMatch = route ? TENANT_DATA.exec(route) : null;
      if (route && ROUTES[key]) {
        spec = ROUTES[key];
      } else if (tenantMatch && req.method === 'GET') {
        let tenant;
        try {
          tenant = decodeURIComponent(tenantMatch[1]);
        } catch {
          tenant = tenantMatch[1];
        }
        spec = { scope: 'data:read', op: 'tenantData', tenant };
        key = 'GET /tenants/:tenant/data';
      } else {
        const known = route && (Object.keys(ROUTES).some((k) => k.endsWith(` ${route}`)) || tenantMatch);
        if (known) send(405, { error: 'method_not_allowed' }, { Allow: Object.keys(ROUTES).filter((k) => k.endsWith(` ${route}`)).map((k) => k.split(' ')[0]).join(', ') || 'GET' });
        else send(404, { error: 'not_found' });
        return;
      }

      const token = bearerOf(req, reqUrl);
      if (token === null) {
        send(401, { error: 'unauthorized', error_description: 'an access token is required' },
          { 'WWW-Authenticate': challenge() });
        return;
      }
      let claims;
      try {
        claims = await verify(token);
      } catch (err) {
        entry.tokenError = err?.body?.error_description ?? 'invalid';
        throw err;
      }
      entry.token = tokenSummary(claims);
      if (failNext > 0) {
        failNext -= 1;
        throw invalidToken('the access token was refused (test hook)');
      }
      const granted = claims.scope.split(' ');
      if (!granted.includes(spec.scope)) {
        throw new HttpError(403, {
          error: 'insufficient_scope', error_description: `this call needs the scope ${spec.scope}`, scope: spec.scope,
        }, { 'WWW-Authenticate': challenge({ error: 'insufficient_scope', scope: spec.scope }) });
      }
      const body = req.method === 'POST' ? await readJson(req) : undefined;
      const result = ops[spec.op](claims, body, spec);
      send(result.status, result.body);
    } catch (err) {
      if (err instanceof HttpError) {
        send(err.status, err.body, err.headers);
      } else {
        send(500, { error: 'server_error' });
      }
    }
  };

  const hook = async (route, req, reqUrl, entry, send) => {
    if (route === '/__test/reset' && req.method === 'POST') {
      reset();
      send(200, { reset: true });
    } else if (route === '/__test/fail-next' && req.method === 'POST') {
      const count = Number(reqUrl.searchParams.get('count') ?? 1);
      failNext = Number.isSafeInteger(count) && count >= 0 ? count : 1;
      send(200, { failNext });
    } else if (route === '/__test/redirect') {
      // Record which token (if any) reached this route, then redirect elsewhere.
      try {
        const token = bearerOf(req, reqUrl);
        if (token) entry.token = tokenSummary(await verify(token));
      } catch (err) {
        entry.tokenError = err?.body?.error_description ?? 'invalid';
      }
      const to = reqUrl.searchParams.get('to');
      if (!to || !URL.canParse(to)) {
        send(400, { error: 'invalid_request', error_description: 'to must be an absolute URL' });
        return;
      }
      send(307, { redirect: to }, { Location: to });
    } else if (route === '/__test/clock' && req.method === 'POST') {
      const offset = Number(reqUrl.searchParams.get('offset') ?? 0);
      clockOffsetMs = Number.isFinite(offset) ? offset * 1000 : 0;
      send(200, { offsetSeconds: clockOffsetMs / 1000 });
    } else if (route === '/__test/requests' && req.method === 'GET') {
      send(200, requestLog);
    } else if (route === '/__test/audit' && req.method === 'GET') {
      send(200, auditLines);
    } else {
      send(404, { error: 'not_found' });
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) {
        res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end('{"error":"server_error"}');
      } else {
        res.destroy();
      }
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const sockets = new Set();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  if (!quiet) console.log(`Agent API (resource server) at ${url}`);

  return {
    origin,
    url,
    port,
    resource: url,
    server,
    /** Copy of every audit line (all tenants). */
    audit: () => structuredClone(auditLines),
    /** Copy of the request log (never a token). */
    requests: () => structuredClone(requestLog),
    resetRequests: () => { requestLog.length = 0; },
    /** Budgets, audit, records, request log, fail-next: as at start (not the clock). */
    reset,
    /** Run the API's clock `seconds` ahead (0: real time). */
    setClockOffset: (seconds = 0) => { clockOffsetMs = seconds * 1000; },
    /** The next `count` requests with a valid token are refused with 401 invalid_token. */
    failNext: (count = 1) => { failNext = count; },
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    }),
  };
}

// Standalone: node www/api.js
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const api = await startApi({
    port: Number(process.env.API_PORT ?? DEFAULT_API_PORT),
    issuer: process.env.ISSUER ?? 'http://127.0.0.1:3000',
    allowedOrigins: (process.env.ALLOWED_ORIGINS ?? 'http://127.0.0.1:5173').split(',').filter(Boolean),
    testHooks: process.env.TEST_HOOKS === '1',
  });
  const stop = () => api.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
