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
// Access tokens: only from the Authorization header (a token in the query is refused); ES256 only
// (what the provider signs them with); header typ at+jwt (RFC 9068 §2.1: oidc-provider sets
// it); iss exactly the issuer; aud containing this server's resource indicator (its base URL,
// ending in '/'); exp / nbf with 5 s of clock skew; keys from the issuer's jwks_uri (discovered,
// cached, refetched for an unknown kid at most every 30 s); the claims sub, jti, scope, tenant
// present. Claims used: scope, tenant, token_budget { per_request, per_day }, acr, auth_time.
//
// DPoP (RFC 9449 §7): an access token with `cnf.jkt` (DPoP-bound) is accepted only as
// `Authorization: DPoP <token>` with one `DPoP` header: a proof (compact JWS) with header typ
// dpop+jwt, alg ES256 / EdDSA / Ed25519, jwk a public key (no private members) whose signature
// holds and whose RFC 7638 SHA-256 thumbprint is cnf.jkt; claims jti (used once: a replay cache
// for the proof lifetime), htm = the method, htu = this request's URL (both without query and
// fragment, compared normalised: RFC 9449 §4.3 ignores a query in htu), iat within 60 s of the
// API's clock (the clock hook moves it), ath = base64url(SHA-256(token)), and nonce = a nonce of
// this API (issued in `DPoP-Nonce`; a new one every 5 minutes, the previous one still accepted).
// Every answer to a DPoP request (DPoP scheme or a DPoP header), and every DPoP challenge,
// carries `DPoP-Nonce`. A token
// without cnf stays a Bearer token (a DPoP header beside it is ignored); presented with the DPoP
// scheme it is refused. Answers to DPoP requests use DPoP challenges (RFC 9449 §7.1).
//
// Answers are JSON. Refusals (RFC 6750 §3, RFC 9470 §3, RFC 9449 §7.1), realm "agent-api":
//   no token            401  WWW-Authenticate: Bearer realm="agent-api", DPoP realm="agent-api",
//                            algs="ES256 EdDSA Ed25519"
//   DPoP-bound token as Bearer, or a plain token with the DPoP scheme
//                       401  DPoP realm="agent-api", error="invalid_token",
//                            error_description="...", algs="ES256 EdDSA Ed25519"
//   bad/missing proof   401  DPoP realm="agent-api", error="invalid_dpop_proof", ... (also a
//                            proof key that is not the token's cnf.jkt)
//   no/unknown nonce    401  DPoP realm="agent-api", error="use_dpop_nonce", ... + DPoP-Nonce
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
// The body repeats error / error_description (and scope, acr_values, max_age). Challenges of a
// DPoP request (or a DPoP-bound token) use the DPoP scheme with algs; all others Bearer.
//
// CORS for the allowed app origins only (no `*`, no credentials): Authorization, Content-Type
// and DPoP allowed, WWW-Authenticate, Retry-After and DPoP-Nonce exposed; a request or preflight
// from another origin is refused (403, no CORS headers).
//
// Test hooks (testHooks only, under <base>/__test/):
//   POST /__test/reset                 budgets, audit lines, records, request log, fail-next
//   POST /__test/fail-next?count=N     the next N requests with a valid token: 401 invalid_token
//   ANY  /__test/redirect?to=<url>     307 to <url> (an SDK must not follow it with the token)
//   GET  /__test/requests              the request log: method, path, origin, authorization
//                                      { present, scheme }, dpop { present, valid, jkt, nonce,
//                                      error } (nonce: current / previous / invalid / missing;
//                                      valid null when no proof was checked), token { jti, sub,
//                                      tenant, scope, aud, acr, client_id, jkt } of a valid token
//                                      (never the token or the proof), tokenError, status, error
//   POST /__test/rotate-dpop-nonce[?keepPrevious=1]  a new DPoP nonce now; the old one is
//                                      refused (use_dpop_nonce) unless keepPrevious
//   GET  /__test/audit                 every audit line (all tenants)
//   POST /__test/clock?offset=S        the API's clock runs S seconds ahead (expiry, auth_time
//                                      age, budget day); offset=0 restores it
// It never logs or echoes a token.
//
//   node www/api.js   (ISSUER=http://127.0.0.1:3000 API_PORT=5373 ALLOWED_ORIGINS=http://127.0.0.1:5173)

import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';

import {
  EmbeddedJWK, calculateJwkThumbprint, createRemoteJWKSet, decodeProtectedHeader, jwtVerify,
} from 'jose';

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

/** DPoP proof algorithms accepted (RFC 9449; `algs` of the DPoP challenge). */
export const DPOP_ALGS = ['ES256', 'EdDSA', 'Ed25519'];
/** A DPoP proof's iat may be this far from the API's clock, seconds. */
export const DPOP_IAT_WINDOW_SECONDS = 60;
/** The API's DPoP nonce changes this often (the previous one is still accepted), seconds. */
export const DPOP_NONCE_LIFETIME_SECONDS = 300;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const MAX_PROOF = 8 * 1024;
/** JWK members of private (or symmetric) keys: never in a DPoP proof's header. */
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'r', 't', 'k'];

class HttpError extends Error {
  /**
   * @param {object} [challengeParams] params of the WWW-Authenticate challenge, rendered when the
   *   answer is sent in the request's scheme (Bearer, or DPoP for a DPoP request or a
   *   DPoP-bound token)
   */
  constructor(status, body, headers = {}, challengeParams = undefined) {
    super(body.error);
    this.status = status;
    this.body = body;
    this.headers = headers;
    this.challengeParams = challengeParams;
  }
}

/**
 * `Bearer realm="agent-api", k="v", ...` or `DPoP realm="agent-api", k="v", ..., algs="..."`
 * (every value a quoted-string; none holds `"` or `\`).
 */
function challenge(params = {}, scheme = 'Bearer') {
  const all = scheme === 'DPoP' ? { ...params, algs: DPOP_ALGS.join(' ') } : params;
  return [`${scheme} realm="${REALM}"`, ...Object.entries(all).map(([k, v]) => `${k}="${v}"`)].join(', ');
}

function oauthError(status, error, description, extra = {}) {
  return new HttpError(status, { error, error_description: description, ...extra }, {},
    { error, error_description: description, ...extra });
}

const invalidToken = (description) => oauthError(401, 'invalid_token', description);
const invalidProof = (description) => oauthError(401, 'invalid_dpop_proof', description);
const useDpopNonce = (description) => oauthError(401, 'use_dpop_nonce', description);
const sha256 = (value) => createHash('sha256').update(value).digest('base64url');

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
 * @param {number} [options.dpopNonceLifetimeSeconds=DPOP_NONCE_LIFETIME_SECONDS]
 * @param {number} [options.dpopIatWindowSeconds=DPOP_IAT_WINDOW_SECONDS]
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
  dpopNonceLifetimeSeconds = DPOP_NONCE_LIFETIME_SECONDS,
  dpopIatWindowSeconds = DPOP_IAT_WINDOW_SECONDS,
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

  // ---- DPoP: nonces and the proof replay cache (not cleared by reset) ----------------------
  // Nonces rotate on real time (not the clock hook): the current one and the one before.
  let nonces = null; // { current, previous, issuedAt }
  const rotateNonce = ({ keepPrevious = true } = {}) => {
    nonces = {
      current: randomBytes(24).toString('base64url'),
      previous: keepPrevious ? nonces?.current ?? null : null,
      issuedAt: Date.now(),
    };
    return nonces.current;
  };
  rotateNonce();
  const currentNonce = () => {
    const age = Date.now() - nonces.issuedAt;
    if (age >= dpopNonceLifetimeSeconds * 1000) rotateNonce({ keepPrevious: age < 2 * dpopNonceLifetimeSeconds * 1000 });
    return nonces.current;
  };
  const nonceStatus = (value) => {
    if (value === undefined) return 'missing';
    currentNonce();
    if (value === nonces.current) return 'current';
    if (nonces.previous !== null && value === nonces.previous) return 'previous';
    return 'invalid';
  };
  const seenJti = new Map(); // jti -> until (API clock, ms)
  const replayed = (jti, iat) => {
    const t = now();
    if (seenJti.size > 1000) {
      for (const [k, until] of seenJti) if (until <= t) seenJti.delete(k);
    }
    const until = seenJti.get(jti);
    if (until !== undefined && until > t) return true;
    seenJti.set(jti, (iat + dpopIatWindowSeconds + clockToleranceSeconds) * 1000);
    return false;
  };

  /**
   * Checks the request's DPoP proof for `token` (RFC 9449 §4.3, §7.1) and fills `log`
   * ({ present, valid, jkt, nonce, error }). Resolves the proof key's thumbprint; throws
   * invalid_dpop_proof or use_dpop_nonce.
   */
  const checkProof = async (req, reqUrl, token, log) => {
    const values = req.headersDistinct?.dpop ?? (req.headers.dpop === undefined ? [] : [req.headers.dpop]);
    if (values.length === 0) throw invalidProof('a DPoP proof (the DPoP header) is required with the DPoP scheme');
    if (values.length > 1) throw invalidProof('more than one DPoP header');
    const proof = values[0];
    if (proof.length > MAX_PROOF || !COMPACT_JWS.test(proof)) throw invalidProof('the DPoP proof is not a compact JWS');
    let header;
    try {
      header = decodeProtectedHeader(proof);
    } catch {
      throw invalidProof('the DPoP proof header is malformed');
    }
    if (header.typ !== 'dpop+jwt') throw invalidProof('the DPoP proof typ must be dpop+jwt');
    if (!DPOP_ALGS.includes(header.alg)) throw invalidProof(`the DPoP proof alg must be one of ${DPOP_ALGS.join(' ')}`);
    const { jwk } = header;
    if (!jwk || typeof jwk !== 'object' || Array.isArray(jwk)) throw invalidProof('the DPoP proof header has no jwk');
    if (PRIVATE_JWK_MEMBERS.some((m) => Object.hasOwn(jwk, m))) {
      throw invalidProof('the DPoP proof jwk must be a public key (it has private key members)');
    }
    const fits = header.alg === 'ES256'
      ? jwk.kty === 'EC' && jwk.crv === 'P-256'
      : jwk.kty === 'OKP' && jwk.crv === 'Ed25519';
    if (!fits) throw invalidProof(`the DPoP proof jwk is not a key for ${header.alg}`);
    let payload;
    try {
      ({ payload } = await jwtVerify(proof, EmbeddedJWK, {
        algorithms: DPOP_ALGS, typ: 'dpop+jwt', currentDate: new Date(now()), clockTolerance: clockToleranceSeconds,
      }));
    } catch (err) {
      if (err?.code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') throw invalidProof('the DPoP proof signature is invalid');
      if (err?.code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' || err?.code === 'ERR_JWT_EXPIRED') {
        throw invalidProof(`the DPoP proof claim ${err.claim ?? ''} is invalid`);
      }
      throw invalidProof('the DPoP proof is malformed');
    }
    log.jkt = await calculateJwkThumbprint(jwk, 'sha256');
    if (typeof payload.jti !== 'string' || !payload.jti || payload.jti.length > 256) {
      throw invalidProof('the DPoP proof has no valid jti');
    }
    if (payload.htm !== req.method) throw invalidProof('the DPoP proof htm is not the request method');
    const htu = typeof payload.htu === 'string' ? URL.parse(payload.htu) : null;
    if (!htu) throw invalidProof('the DPoP proof htu is not a URL');
    htu.search = '';
    htu.hash = '';
    const target = new URL(reqUrl.pathname, origin);
    if (htu.href !== target.href) throw invalidProof('the DPoP proof htu is not this request\'s URL');
    if (typeof payload.iat !== 'number' || !Number.isFinite(payload.iat)) throw invalidProof('the DPoP proof has no iat');
    if (Math.abs(now() / 1000 - payload.iat) > dpopIatWindowSeconds) {
      throw invalidProof('the DPoP proof iat is not recent (or in the future)');
    }
    if (typeof payload.ath !== 'string') throw invalidProof('the DPoP proof has no ath (access token hash)');
    if (payload.ath !== sha256(token)) throw invalidProof('the DPoP proof ath is not the hash of this access token');
    if (payload.nonce !== undefined && typeof payload.nonce !== 'string') throw invalidProof('the DPoP proof nonce must be a string');
    log.nonce = nonceStatus(payload.nonce);
    if (log.nonce === 'missing') throw useDpopNonce('a DPoP nonce is required: sign a new proof with the DPoP-Nonce of this answer');
    if (log.nonce === 'invalid') throw useDpopNonce('the DPoP nonce is unknown or expired: sign a new proof with the DPoP-Nonce of this answer');
    if (replayed(payload.jti, payload.iat)) throw invalidProof('the DPoP proof was already used (jti replay)');
    return log.jkt;
  };

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

  /**
   * The access token of the request and its scheme, { scheme: 'Bearer' | 'DPoP', token }, or
   * null when there is none; HttpError when malformed.
   */
  const credentialsOf = (req, reqUrl) => {
    const header = req.headers.authorization;
    if (reqUrl.searchParams.has('access_token')) {
      // RFC 6750 §2.3 is not offered: a token in a URL ends up in logs and histories.
      throw oauthError(400, 'invalid_request', 'send the access token in the Authorization header, never in the URL');
    }
    if (header === undefined) return null;
    const [scheme, ...rest] = header.split(' ');
    const name = { bearer: 'Bearer', dpop: 'DPoP' }[scheme.toLowerCase()];
    if (!name) return null;
    const value = rest.join(' ');
    if (rest.length !== 1 || !B64TOKEN.test(value)) {
      throw oauthError(400, 'invalid_request', 'malformed Authorization header');
    }
    return { scheme: name, token: value };
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
    client_id: c.client_id, jkt: typeof c.cnf?.jkt === 'string' ? c.cnf.jkt : null,
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
      'Access-Control-Expose-Headers': 'WWW-Authenticate, Retry-After, DPoP-Nonce',
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
      dpop: {
        present: req.headers.dpop !== undefined, valid: null, jkt: null, nonce: null, error: null,
      },
      token: null,
      tokenError: null,
      status: null,
      error: null,
    };
    // A DPoP request (the DPoP scheme or a DPoP header): every answer carries a fresh nonce, and
    // its challenges use the DPoP scheme (so does a DPoP-bound token presented as Bearer).
    const dpopRequest = entry.dpop.present || entry.authorization.scheme?.toLowerCase() === 'dpop';
    let challengeScheme = entry.authorization.scheme?.toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer';
    let originRefused = false;
    const send = (status, body, headers = {}) => {
      entry.status = status;
      entry.error = body?.error ?? null;
      res.writeHead(status, {
        'Content-Type': 'application/json; charset=utf-8',
        'Cache-Control': 'no-store',
        'X-Content-Type-Options': 'nosniff',
        ...corsHeaders(requestOrigin),
        ...((dpopRequest || challengeScheme === 'DPoP') && !originRefused ? { 'DPoP-Nonce': currentNonce() } : {}),
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
        originRefused = true;
        send(403, { error: 'origin_not_allowed', error_description: 'this origin may not call the API' });
        return;
      }
      if (req.method === 'OPTIONS') {
        const method = req.headers['access-control-request-method'];
        const asked = (req.headers['access-control-request-headers'] ?? '')
          .split(',').map((h) => h.trim().toLowerCase()).filter(Boolean);
        if (!requestOrigin || !['GET', 'POST'].includes(method)
          || asked.some((h) => !['authorization', 'content-type', 'dpop'].includes(h))) {
          send(403, { error: 'preflight_refused', error_description: 'method or headers not allowed' });
          return;
        }
        send(204, undefined, {
          'Access-Control-Allow-Methods': 'GET, POST',
          'Access-Control-Allow-Headers': 'Authorization, Content-Type, DPoP',
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

      const credentials = credentialsOf(req, reqUrl);
      if (credentials === null) {
        send(401, { error: 'unauthorized', error_description: 'an access token is required' },
          { 'WWW-Authenticate': `${challenge()}, ${challenge({}, 'DPoP')}` });
        return;
      }
      const { token } = credentials;
      let proofJkt = null;
      if (credentials.scheme === 'DPoP') {
        // RFC 9449 §7.1: the proof first (its nonce too), then the token and its binding.
        entry.dpop.valid = false;
        try {
          proofJkt = await checkProof(req, reqUrl, token, entry.dpop);
        } catch (err) {
          entry.dpop.error = err?.body?.error_description ?? 'invalid';
          throw err;
        }
      }
      let claims;
      try {
        claims = await verify(token);
      } catch (err) {
        entry.tokenError = err?.body?.error_description ?? 'invalid';
        throw err;
      }
      entry.token = tokenSummary(claims);
      const jkt = claims.cnf === undefined ? null : claims.cnf?.jkt;
      if (jkt !== null && typeof jkt !== 'string') {
        throw invalidToken('the access token is bound to a key this API cannot check (cnf)');
      }
      if (credentials.scheme === 'DPoP') {
        if (jkt === null) throw invalidToken('the access token is not DPoP-bound: send it with the Bearer scheme');
        if (jkt !== proofJkt) {
          entry.dpop.error = 'the DPoP proof key is not the key the access token is bound to (cnf.jkt)';
          throw invalidProof(entry.dpop.error);
        }
        entry.dpop.valid = true;
      } else if (jkt !== null) {
        challengeScheme = 'DPoP';
        throw invalidToken('the access token is DPoP-bound: send it as Authorization: DPoP with a DPoP proof');
      }
      if (failNext > 0) {
        failNext -= 1;
        throw invalidToken('the access token was refused (test hook)');
      }
      const granted = claims.scope.split(' ');
      if (!granted.includes(spec.scope)) {
        throw new HttpError(403, {
          error: 'insufficient_scope', error_description: `this call needs the scope ${spec.scope}`, scope: spec.scope,
        }, {}, { error: 'insufficient_scope', scope: spec.scope });
      }
      const body = req.method === 'POST' ? await readJson(req) : undefined;
      const result = ops[spec.op](claims, body, spec);
      send(result.status, result.body);
    } catch (err) {
      if (err instanceof HttpError) {
        send(err.status, err.body, {
          ...err.headers,
          ...(err.challengeParams ? { 'WWW-Authenticate': challenge(err.challengeParams, challengeScheme) } : {}),
        });
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
        const credentials = credentialsOf(req, reqUrl);
        if (credentials) entry.token = tokenSummary(await verify(credentials.token));
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
    } else if (route === '/__test/rotate-dpop-nonce' && req.method === 'POST') {
      rotateNonce({ keepPrevious: ['1', 'true'].includes(reqUrl.searchParams.get('keepPrevious') ?? '') });
      send(200, { rotated: true, previousAccepted: nonces.previous !== null });
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
    /**
     * A new DPoP nonce now: the old one is refused (use_dpop_nonce) unless keepPrevious (what the
     * 5-minute rotation does). Over HTTP (testHooks only): POST /__test/rotate-dpop-nonce.
     * Resolves nothing secret.
     */
    rotateDpopNonce: ({ keepPrevious = false } = {}) => { rotateNonce({ keepPrevious }); },
    /** The DPoP nonce the API issues now (what its DPoP-Nonce header carries). */
    dpopNonce: () => currentNonce(),
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
