// Hostile authorization server for the security catalogue (/work/shared/security-catalogue.md
// §4.1–4.11, §4.8 DPoP included) and the resource servers of auth.fetch (the suite's §4.12), plus the
// tiny same-machine app origin the SDK runs in and a sink origin that must never be reached.
//
// One node http server per origin, all on 127.0.0.1 only:
//   AS   http://127.0.0.1:<asPort>/case/<ID>/...   one issuer per case:
//          /.well-known/openid-configuration   discovery
//          /authorize                          302 straight back to the redirect URI (no login UI)
//          /token                              authorization_code grant (checks the request, TE-01);
//                                              refresh_token grant (rotation, reuse detection; recorded
//                                              as endpoint 'refresh')
//          /jwks, /jwks/<anything>             JWK Set
//          /userinfo                           UserInfo (Bearer header only, UI-07)
//          /revoke                             RFC 7009 revocation (advertised as revocation_endpoint)
//          /end-session                        RP-Initiated Logout (advertised as end_session_endpoint):
//                                              302 to the registered post_logout_redirect_uri
//          /par                                RFC 9126 pushed authorization requests (advertised as
//                                              pushed_authorization_request_endpoint for a case with
//                                              `par`): checks the pushed request like /authorize, keeps
//                                              it under the request_uri it answers (201); /authorize
//                                              with client_id + request_uri resolves it (single use)
//          /redirect-target                    where the 3xx cases point (must never be requested)
//          /rs, /rs/<anything>                 a resource server for auth.fetch (issue 12): answers
//                                              the case's `resource` hook (status + WWW-Authenticate,
//                                              CORS for the app origin, WWW-Authenticate exposed);
//                                              records whether each request carried a Bearer token
//                                              the case issued (which one, by index and fingerprint),
//                                              never the token itself
//   app  http://127.0.0.1:<appPort>/            a blank page (/app.html, /cb) + the built package (/pkg/);
//                                              requests outside /pkg/ are recorded (appRequests())
//   rs   http://127.0.0.1:<rsPort>/case/<ID>/rs  the resource server of a case on its own origin (the
//                                              case's `rsOrigin: true`, used by the DPoP cases: its
//                                              DPoP nonces are its own, RFC 9449 §9); nothing else
//   sink http://127.0.0.1:<sinkPort>/           another origin that must never receive anything
//                                              (lookalike URLs, redirect targets): answers 200 with
//                                              CORS for the app origin (so a leak would succeed and
//                                              show) and records every request (sinkRequests())
//
// Every case gets a *valid* protocol run by default — correct discovery, a correctly signed ID
// token with the nonce copied from the authorize request, correct iss/aud/exp/iat/at_hash, state
// echoed, CORS for the app origin — and its spec changes exactly the one thing under test:
//
//   defineCase(id, {
//     metadata(meta, ctx)        → meta (mutate/return), or a raw response (see below)
//     authorize(params, ctx)     → mutate the redirect's URLSearchParams; or return a raw response
//     fragment                   → string appended as '#…' to the redirect
//     token(ctx)                 → a raw response replacing the token response
//     tokenBody(body, ctx)       → the token response JSON (mutate/return); may return a raw response
//     idToken: { alg, keyName ('rs1', 'rs2', 'rs3', 'weak', 'es1', 'es384'), header(h, ctx),
//                claims(c, ctx), signature(buf, ctx), signOptions(ctx), raw(ctx) }
//     jwks(jwks, ctx)            → JWK Set (mutate/return), or a raw response
//     userinfo(body, ctx)        → UserInfo JSON (mutate/return), or a raw response
//     refresh: {                 → present: the code grant issues a refresh token (RT-*), and the
//                                  refresh_token grant answers with a rotated one; ctx.refreshCount
//                                  is the number of this refresh request (1, 2, ...)
//       loginExpiresIn           → expires_in of the code grant (default 3600)
//       expiresIn(n, ctx)        → expires_in of refresh n (default 7200)
//       response(ctx)            → a raw response replacing refresh n (invalid_grant, 5xx, 3xx, ...);
//                                  the presented refresh token stays valid
//       body(body, ctx)          → the refresh response JSON (mutate/return, e.g. drop refresh_token)
//       idToken(n, ctx)          → the idToken spec (as above) of the ID token of refresh n; null: none
//       tentative(ctx)           → true: the presented refresh token is not rotated away although a
//                                  new one was issued (a response the client has to discard, RT-09)
//       delayMs                  → answer refreshes after this delay (RT-04)
//     }
//     revoke(ctx)                → a raw response replacing the revocation response (default 200,
//                                  empty body; ctx.revocationCount = 1, 2, ...)
//     endSession(params, ctx)    → mutate the post-logout redirect's URLSearchParams (state)
//     par: {                     → a PAR case (RFC 9126): the metadata advertises /par
//       required                 → `require_pushed_authorization_requests: true`; an authorization
//                                  request that was not pushed is then refused (a redirect with
//                                  error=invalid_request, as RFC 9126 §5 has the AS do; not a
//                                  violation: the default build does not push)
//       answer(body, ctx)        → the push's answer: the 201 body { request_uri, expires_in: 60 }
//                                  (mutate/return; a string request_uri is what /authorize then
//                                  resolves), or a raw response; ctx.parCount = 1, 2, ...
//     }
//     resource(ctx)              → the resource server's answer (/rs...): a raw response (default
//                                  200 {"ok":true,"n":n}); ctx.resourceCount = n (1, 2, ...),
//                                  ctx.bearer = { scheme, known, issued (index in issued(id), -1),
//                                  id (fingerprint, as the SDK's tokenId) }. A raw response's
//                                  `expose: false` leaves WWW-Authenticate unexposed to the page.
//   })
//     rsOrigin: true             → the resource server is <rsOrigin>/case/<ID>/rs (rsUrl(id)), and a
//                                  request for /rs at the AS origin is a violation
//     dpop: {                    → a DPoP case (RFC 9449, §4.8 of the catalogue): every proof is
//                                  validated (below); `dpop_signing_alg_values_supported` advertised
//       tokenType(ctx)           → token_type of the code grant and refreshes (default `DPoP` when
//                                  a proof came, else `Bearer`)
//       as: policy, rs: policy   → the nonce policy of the AS origin (token endpoint + UserInfo)
//                                  and of the resource server: { require (the current nonce, else
//                                  use_dpop_nonce with it), refuse(ctx) (use_dpop_nonce with a NEW
//                                  nonce whatever came), invalidate(ctx) (a new current nonce
//                                  before this request is judged: the old one "expired"),
//                                  rotateOn200 (a new nonce on every 200, DP-09), expose (default
//                                  true; false or a false-returning fn(ctx): DPoP-Nonce not in
//                                  Access-Control-Expose-Headers, DP-06), scheme(ctx) (the
//                                  challenge's scheme, default `DPoP`) }; ctx.dpopN = the number of
//                                  this request at its endpoint label (token, refresh, userinfo, rs)
//     }
//   A proof (any request, any case) is checked as RFC 9449 §4.3 says: one `DPoP` header, a compact
//   JWS, typ dpop+jwt, alg ES256, a public P-256 `jwk` only (no `d` or other private member; the
//   header has typ/alg/jwk only, the jwk kty/crv/x/y only), its signature (64-byte r||s) verified
//   with that jwk, claims jti (22 base64url characters: 16 random bytes, unique in the case), htm
//   (the method), htu (the request URL without query and fragment), iat (within ±60 s), ath
//   (base64url SHA-256 of the presented access token: on UserInfo / the resource server only),
//   nonce (one this server issued; never the other server's, DP-08) and nothing else; the key of
//   every token-endpoint proof is the code exchange's (RFC 9449 §5, RT-10); a DPoP-bound token or
//   refresh token comes with a proof of its key and (access tokens) the DPoP scheme. Every defect
//   is a violation; a proof in a case without `dpop` is one too (DP-12). The request record gets
//   `dpop` (what the proof said, never the proof) and `nonceAnswered` (the DPoP-Nonce sent back);
//   each proof is a secret (secrets(id)); dpop(id) has the nonces each server issued.
//   refresh.resourceIndicators: true allows RFC 8707 `resource` on the refresh grant (else it is a
//   violation); a `scope` on the refresh grant must be within the grant's (else invalid_scope);
//   the issued record then has `resource` and `scope`.
//
// A raw response is { raw: true, status, headers, body, cors = true, hang, trickle, delayMs, reset,
// truncate }:
// `body` a string, Buffer or JSON-able value; `cors: false` omits Access-Control-Allow-Origin
// (TE-20); `hang` never answers; `trickle` sends headers then one byte every 500 ms (TE-19);
// `delayMs` answers after that delay; `reset` destroys the connection without an answer (a network
// failure; the browser may retry the request on its own); `truncate` sends the headers and half
// the body, then closes the connection (a failure while the body is read).
//
// Every request to a case is recorded (requests(id)): endpoint, method, path, query, form body,
// Authorization scheme, Origin/Referer/Cookie presence, so tests assert what the SDK sent and that
// it sent nothing after a rejection. Protocol violations by the client (bad PKCE, changed
// redirect_uri, a reused code, a token in the query, a rotated-away or revoked refresh token
// presented again, an id_token_hint that is not the session's, an unregistered
// post_logout_redirect_uri, ...) are recorded as violations(id). Every token response the case
// issued (code grant and refreshes, including those the client must discard) is in issued(id).
// Everything a case issued or received that must never leak (codes, tokens, verifier, nonce,
// state) is in secrets(id).
//
// Run on its own to poke at it: node tests/hostile/server.js   (cases: see hostile.test.js)

import { createHash, createHmac, createPublicKey, generateKeyPairSync, randomBytes, sign as cryptoSign, verify as cryptoVerify, constants } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, '..', '..');
export const PKG_DIR = path.resolve(ROOT, process.env.SPA_OAUTH_PKG_DIR ?? 'pkg');
export const CLIENT_ID = 'hostile-spa';

export const b64url = (buf) => Buffer.from(buf).toString('base64url');
export const b64json = (obj) => b64url(Buffer.from(JSON.stringify(obj)));
export const nowSecs = () => Math.floor(Date.now() / 1000);
/** A token's fingerprint as the SDK gives it (tokens()[].id, the fetch event's tokenId): the
 * first 48 bits of its SHA-256, base64url. */
export const fingerprint = (token) => b64url(createHash('sha256').update(token, 'utf8').digest().subarray(0, 6));
const rand = (n = 24) => randomBytes(n).toString('base64url');

/** `at_hash` (OIDC Core §3.1.3.6) with the hash of `alg`. */
export function atHash(accessToken, alg = 'RS256') {
  const bits = alg === 'EdDSA' ? 512 : Number(alg.slice(2)) || 256;
  const digest = createHash(`sha${bits}`).update(accessToken, 'ascii').digest();
  return b64url(digest.subarray(0, digest.length / 2));
}

// ---------------------------------------------------------------------------------------------
// Keys: generated once per server, public JWKs exported with node's crypto (no dependency).

function rsaKey(kid, bits = 2048) {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  return { kid, kind: 'RSA', privateKey, publicKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig' } };
}

function ecKey(kid, namedCurve) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve });
  return { kid, kind: 'EC', privateKey, publicKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig' } };
}

export function makeKeys() {
  return {
    rs1: rsaKey('rs1'),
    rs2: rsaKey('rs2'),
    rs3: rsaKey('rs3'), // never published (unknown kid)
    weak: rsaKey('weak', 1024),
    es1: ecKey('es1', 'prime256v1'),
    es384: ecKey('es384', 'secp384r1'),
  };
}

/** Signs `input` (the JWS signing input) with `alg`; `key` is one of makeKeys()'s entries. */
export function signRaw(alg, key, input, { dsaEncoding = 'ieee-p1363', hmacSecret } = {}) {
  const data = Buffer.from(input, 'ascii');
  if (alg.startsWith('HS')) {
    return createHmac(`sha${alg.slice(2)}`, hmacSecret ?? Buffer.alloc(32)).update(data).digest();
  }
  const hash = `sha${alg.slice(2)}`;
  if (alg.startsWith('RS')) return cryptoSign(hash, data, key.privateKey);
  if (alg.startsWith('PS')) {
    return cryptoSign(hash, data, { key: key.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(alg.slice(2)) / 8 });
  }
  if (alg.startsWith('ES')) return cryptoSign(hash, data, { key: key.privateKey, dsaEncoding });
  throw new Error(`signRaw: no signer for ${alg}`);
}

/** A compact JWS over header + claims. */
export function signJws(alg, key, header, claims, opts) {
  const input = `${b64json(header)}.${b64json(claims)}`;
  const sig = alg === 'none' ? Buffer.alloc(0) : signRaw(alg, key, input, opts);
  return `${input}.${b64url(sig)}`;
}

// ---------------------------------------------------------------------------------------------

const MIME = { '.js': 'text/javascript; charset=utf-8', '.wasm': 'application/wasm', '.json': 'application/json', '.ts': 'text/plain' };
const BLANK_PAGE = '<!doctype html><html><head><meta charset="utf-8"><title>hostile app</title>'
  + '<link rel="icon" href="data:,"></head><body><main id="app">hostile test app</main></body></html>';

function readBody(req) {
  return new Promise((resolve) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', () => resolve(Buffer.concat(chunks)));
  });
}

const raw = (r) => r && typeof r === 'object' && r.raw === true;

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const JWK_PRIVATE = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
/** RFC 7638 thumbprint of a P-256 public key. */
export const jktOf = (x, y) => b64url(createHash('sha256').update(`{"crv":"P-256","kty":"EC","x":"${x}","y":"${y}"}`, 'utf8').digest());
/** base64url SHA-256 of an access token (RFC 9449 §4.2 `ath`). */
export const athOf = (accessToken) => b64url(createHash('sha256').update(accessToken, 'ascii').digest());

/**
 * What a `DPoP` header value says (RFC 9449 §4.2, §4.3 checks 1–9 that need no request context):
 * { problems: [...], typ, alg, headerKeys, jwkKeys, claimKeys, x, y, jkt, signatureValid, jti,
 *   htm, htu, iat, ath, nonce } (never the proof itself).
 */
export function parseProof(value) {
  const info = { problems: [] };
  const p = (m) => info.problems.push(m);
  if (typeof value !== 'string') { p('no DPoP header'); return info; }
  if (value.includes(',')) { p('more than one DPoP header (or a comma in it)'); return info; }
  const parts = value.split('.');
  if (parts.length !== 3 || !parts.every((x) => /^[A-Za-z0-9_-]+$/.test(x))) { p('not a compact JWS (three base64url parts)'); return info; }
  let header;
  let claims;
  try {
    header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  } catch {
    p('header or claims are not JSON');
    return info;
  }
  if (!isObject(header) || !isObject(claims)) { p('header or claims are not JSON objects'); return info; }
  Object.assign(info, { typ: header.typ, alg: header.alg, headerKeys: Object.keys(header), claimKeys: Object.keys(claims) });
  if (header.typ !== 'dpop+jwt') p(`typ ${JSON.stringify(header.typ)} (not dpop+jwt)`);
  if (header.alg !== 'ES256') p(`alg ${JSON.stringify(header.alg)} (not ES256)`);
  const extraHeader = info.headerKeys.filter((k) => !['typ', 'alg', 'jwk'].includes(k));
  if (extraHeader.length) p(`header members besides typ, alg, jwk: ${extraHeader.join(', ')}`);
  const { jwk } = header;
  if (!isObject(jwk)) { p('no jwk object in the header'); return info; }
  info.jwkKeys = Object.keys(jwk);
  const priv = JWK_PRIVATE.filter((k) => k in jwk);
  if (priv.length) p(`DPoP Proof jwk contains private key information (${priv.join(', ')})`);
  const extraJwk = info.jwkKeys.filter((k) => !['kty', 'crv', 'x', 'y', ...JWK_PRIVATE].includes(k));
  if (extraJwk.length) p(`jwk members besides kty, crv, x, y: ${extraJwk.join(', ')}`);
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256') p(`jwk kty ${jwk.kty} crv ${jwk.crv} (not EC P-256)`);
  if (![jwk.x, jwk.y].every((c) => typeof c === 'string' && /^[A-Za-z0-9_-]{43}$/.test(c))) { p('jwk x / y are not 32-byte base64url coordinates'); return info; }
  Object.assign(info, { x: jwk.x, y: jwk.y, jkt: jktOf(jwk.x, jwk.y) });
  const sig = Buffer.from(parts[2], 'base64url');
  if (sig.length !== 64) p(`signature of ${sig.length} bytes (ES256 is r||s, 64 bytes)`);
  try {
    const key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y }, format: 'jwk' });
    info.signatureValid = cryptoVerify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`, 'ascii'), { key, dsaEncoding: 'ieee-p1363' }, sig);
  } catch (err) {
    info.signatureValid = false;
    p(`the jwk is not a usable P-256 key: ${err.message}`);
  }
  if (!info.signatureValid) p('the signature does not verify with the header\'s jwk');
  const extraClaims = info.claimKeys.filter((k) => !['jti', 'htm', 'htu', 'iat', 'ath', 'nonce'].includes(k));
  if (extraClaims.length) p(`claims besides jti, htm, htu, iat, ath, nonce: ${extraClaims.join(', ')}`);
  Object.assign(info, { jti: claims.jti, htm: claims.htm, htu: claims.htu, iat: claims.iat, ath: claims.ath, nonce: claims.nonce });
  if (typeof claims.jti !== 'string' || !/^[A-Za-z0-9_-]{22}$/.test(claims.jti)) p(`jti ${JSON.stringify(claims.jti)} is not 16 random bytes base64url`);
  if (!Number.isInteger(claims.iat)) p(`iat ${JSON.stringify(claims.iat)} is not whole seconds`);
  if ('ath' in claims && (typeof claims.ath !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(claims.ath))) p(`ath ${JSON.stringify(claims.ath)} is not a base64url SHA-256`);
  if ('nonce' in claims && (typeof claims.nonce !== 'string' || !claims.nonce)) p(`nonce ${JSON.stringify(claims.nonce)}`);
  return info;
}

/**
 * The built package, read once into memory: a whole run uses one consistent build even when
 * pkg/ is rebuilt meanwhile (scripts/build.sh removes and rewrites it).
 */
function snapshotPackage() {
  for (let attempt = 0; ; attempt += 1) {
    try {
      // scripts/build.sh starts with rm -rf pkg and writes package.json last.
      const stamp = statSync(path.join(PKG_DIR, 'package.json')).mtimeMs;
      const files = new Map();
      // The default build and the `full` one (pkg/full/).
      for (const dir of ['', 'full/']) {
        if (dir && !existsSync(path.join(PKG_DIR, dir))) continue;
        for (const name of readdirSync(path.join(PKG_DIR, dir))) {
          const full = path.join(PKG_DIR, dir, name);
          if (statSync(full).isFile()) files.set(dir + name, { bytes: readFileSync(full), type: MIME[path.extname(name)] ?? 'application/octet-stream' });
        }
      }
      const wasm = files.get('spa_oauth_bg.wasm')?.bytes;
      const js = files.get('spa_oauth.js')?.bytes;
      const unchanged = statSync(path.join(PKG_DIR, 'package.json')).mtimeMs === stamp;
      if (unchanged && wasm?.length > 8 && wasm.readUInt32BE(0) === 0x0061736d && js?.length) return files;
      throw new Error('incomplete package');
    } catch (err) {
      if (attempt >= 120) throw new Error(`${PKG_DIR} has no complete build (bash scripts/build.sh): ${err.message}`);
      // A build may be in progress: wait a little.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
    }
  }
}

/**
 * Starts the AS and the app server. Returns the handle the tests use.
 * Ports: 3500 (AS) and 5500 (app) by default (HOSTILE_AS_PORT / HOSTILE_APP_PORT).
 */
export async function startHostile({
  asPort = Number(process.env.HOSTILE_AS_PORT ?? 3500),
  appPort = Number(process.env.HOSTILE_APP_PORT ?? 5500),
  sinkPort = Number(process.env.HOSTILE_SINK_PORT ?? 3501),
  rsPort = Number(process.env.HOSTILE_RS_PORT ?? 3502),
  keys = makeKeys(),
} = {}) {
  const asOrigin = `http://127.0.0.1:${asPort}`;
  const appOrigin = `http://127.0.0.1:${appPort}`;
  const sinkOrigin = `http://127.0.0.1:${sinkPort}`;
  const rsOrigin = `http://127.0.0.1:${rsPort}`;
  const sinkLog = []; // every request to the sink origin
  const appLog = []; // every request to the app origin outside /pkg/
  const redirectUri = `${appOrigin}/cb`;
  // The registered post_logout_redirect_uri values (LO-03).
  const postLogoutRedirectUri = `${appOrigin}/logged-out`;
  const postLogoutRedirectUris = [postLogoutRedirectUri];
  const cases = new Map(); // id -> { spec, requests, violations, secrets, grants, tokens }
  const unknown = []; // requests to undefined cases
  let seq = 0;
  const sockets = new Set();
  const timers = new Set();
  const pkg = snapshotPackage();

  const issuerOf = (id) => `${asOrigin}/case/${encodeURIComponent(id)}`;
  const rsUrlOf = (id) => `${rsOrigin}/case/${encodeURIComponent(id)}/rs`;

  function state(id) {
    if (!cases.has(id)) {
      cases.set(id, {
        spec: {},
        requests: [],
        violations: [],
        secrets: {},
        grants: new Map(),
        tokens: new Set(), // access tokens issued (UserInfo accepts them)
        rts: new Map(), // refresh token -> { grant, used, issuedBy }
        issued: [], // the token responses sent: { grantType, n, seq, access_token, refresh_token, id_token, tentative }
        idTokens: [], // every ID token sent, in order (the last one is the session's)
        revoked: new Set(),
        // RFC 9126: request_uri -> { params (the pushed URLSearchParams), seq, expiresAt, used }.
        pushed: new Map(),
        parCount: 0,
        refreshCount: 0,
        revocationCount: 0,
        // RFC 9449: the nonces each server issued (current + all, in order), the jtis seen, the
        // code exchange's key (jkt), the tokens bound to a key (token -> jkt), request counts.
        dpop: { nonces: { as: { current: null, all: [] }, rs: { current: null, all: [] } }, jtis: new Set(), jkt: null, bound: new Map(), counts: {}, keys: new Map() },
      });
    }
    return cases.get(id);
  }

  function addSecret(c, name, value) {
    if (typeof value !== 'string' || !value) return;
    let n = name;
    for (let i = 2; c.secrets[n] !== undefined && c.secrets[n] !== value; i += 1) n = `${name}#${i}`;
    c.secrets[n] = value;
    if (name === 'id_token') {
      const [, payload, signature] = value.split('.');
      if (payload && payload.length > 16) c.secrets[`${n} payload`] = payload;
      if (signature && signature.length > 16) c.secrets[`${n} signature`] = signature;
    }
  }

  function defaultMetadata(id) {
    const iss = issuerOf(id);
    return {
      issuer: iss,
      authorization_endpoint: `${iss}/authorize`,
      token_endpoint: `${iss}/token`,
      jwks_uri: `${iss}/jwks`,
      userinfo_endpoint: `${iss}/userinfo`,
      revocation_endpoint: `${iss}/revoke`,
      end_session_endpoint: `${iss}/end-session`,
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      token_endpoint_auth_methods_supported: ['none'],
      revocation_endpoint_auth_methods_supported: ['none'],
      code_challenge_methods_supported: ['S256'],
      scopes_supported: ['openid', 'profile', 'email'],
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'name', 'email'],
      authorization_response_iss_parameter_supported: true,
    };
  }

  function send(req, res, c, response, { cors = true } = {}) {
    const r = raw(response) ? response : { status: 200, body: response };
    const headers = { 'cache-control': 'no-store', ...r.headers };
    const allowCors = r.cors ?? cors;
    if (allowCors) {
      headers['access-control-allow-origin'] = appOrigin;
      headers.vary = 'Origin';
    }
    if (res.dpop) dpopAnswerHeaders(res.dpop, r.status ?? 200, headers);
    let body = r.body;
    if (body !== undefined && typeof body !== 'string' && !Buffer.isBuffer(body)) {
      body = JSON.stringify(body);
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
    }
    if (r.hang) return; // never answer; the socket is destroyed at close()
    if (r.reset) { req.socket.destroy(); return; }
    if (r.truncate) {
      // The headers (Content-Length promising more) and part of the body, then the connection closes.
      const bytes = Buffer.from(body ?? '');
      res.writeHead(r.status ?? 200, { ...headers, 'content-length': String(bytes.length + 100) });
      res.write(bytes.subarray(0, Math.floor(bytes.length / 2)));
      const t = setTimeout(() => { timers.delete(t); req.socket.destroy(); }, 50);
      timers.add(t);
      return;
    }
    if (r.delayMs) {
      const t = setTimeout(() => {
        timers.delete(t);
        if (res.destroyed) return;
        res.writeHead(r.status ?? 200, headers);
        res.end(body ?? '');
      }, r.delayMs);
      timers.add(t);
      return;
    }
    if (r.trickle) {
      res.writeHead(r.status ?? 200, { 'content-type': 'application/json', ...headers });
      const text = typeof body === 'string' ? body : '{"access_token":"never-complete"}';
      let i = 0;
      const tick = () => {
        if (res.destroyed || i >= text.length) { res.end(); return; }
        res.write(text[i]);
        i += 1;
        const t = setTimeout(() => { timers.delete(t); tick(); }, 500);
        timers.add(t);
      };
      tick();
      return;
    }
    res.writeHead(r.status ?? 200, headers);
    res.end(body ?? '');
  }

  // --- DPoP (RFC 9449) ------------------------------------------------------------------------

  /** A new current nonce of server `srv` ('as' or 'rs') of case `c`. */
  function newNonce(c, srv) {
    const n = `${srv}-nonce-${rand(12)}`;
    c.dpop.nonces[srv].current = n;
    c.dpop.nonces[srv].all.push(n);
    return n;
  }

  /** The DPoP-Nonce of an answer (RFC 9449 §8.2: any answer may carry a new one) and its CORS
   * exposure. `d`: { c, srv, ctx }. */
  function dpopAnswerHeaders(d, status, headers) {
    const { c, srv, ctx } = d;
    const pol = c.spec.dpop?.[srv] ?? {};
    const st = c.dpop.nonces[srv];
    if (pol.rotateOn200 && status === 200) newNonce(c, srv);
    if (!st.current) return;
    headers['dpop-nonce'] = st.current;
    ctx.request.nonceAnswered = st.current;
    const expose = typeof pol.expose === 'function' ? pol.expose(ctx) : pol.expose ?? true;
    if (expose) headers['access-control-expose-headers'] = [headers['access-control-expose-headers'], 'DPoP-Nonce'].filter(Boolean).join(', ');
  }

  /**
   * The DPoP side of a request to the token endpoint (kind 'token'), UserInfo or the resource
   * server (kind 'resource', `accessToken` the one presented), or the revocation endpoint (kind
   * 'revoke': recorded only). Validates the proof (RFC 9449 §4.3), applies the nonce policy of
   * the request's server (§8, §9). Returns true when it answered (use_dpop_nonce).
   */
  function dpopCheck(req, res, c, ctx, { kind, srv, accessToken = null }) {
    const { url } = ctx;
    const e = ctx.request;
    const d = c.dpop;
    const spec = c.spec.dpop;
    const label = e.endpoint;
    const v = (msg) => c.violations.push(`dpop ${label} #${d.counts[label]}: ${msg}`);
    d.counts[label] = (d.counts[label] ?? 0) + 1;
    ctx.dpopN = d.counts[label];
    const header = req.headers.dpop;
    e.dpop = null;
    if (header !== undefined) {
      ctx.addSecret('dpop proof', header);
      const info = parseProof(header);
      e.dpop = { ...info, problems: undefined };
      for (const msg of info.problems) v(msg);
      if (info.jkt) d.keys.set(info.jkt, { x: info.x, y: info.y });
      if (info.htm !== undefined && info.htm !== req.method) v(`htm ${JSON.stringify(info.htm)} for a ${req.method}`);
      const htu = `${ctx.origin}${url.pathname}`;
      if (info.htu !== undefined && info.htu !== htu) v(`htu ${JSON.stringify(info.htu)}, the request is for ${htu}`);
      if (Number.isInteger(info.iat) && Math.abs(info.iat - nowSecs()) > 60) v(`iat ${info.iat} is ${info.iat - nowSecs()} s off`);
      if (typeof info.jti === 'string') {
        if (d.jtis.has(info.jti)) v('jti used before (a replayed or re-used proof)');
        d.jtis.add(info.jti);
      }
      if (kind === 'resource') {
        if (info.ath === undefined) v('no ath although an access token is presented');
        else if (accessToken !== null && info.ath !== athOf(accessToken)) v('ath is not the hash of the presented access token');
      } else if (info.ath !== undefined) {
        v('DPoP Proof request contains \'ath\' claim (no access token is presented)');
      }
      if (info.nonce !== undefined) {
        const other = srv === 'as' ? 'rs' : 'as';
        if (d.nonces[other].all.includes(info.nonce)) v(`the ${other === 'as' ? 'authorization server\'s' : 'resource server\'s'} nonce sent to the ${srv === 'as' ? 'authorization server' : 'resource server'} (DP-08)`);
        else if (!d.nonces[srv].all.includes(info.nonce)) v(`nonce ${JSON.stringify(info.nonce)} this server never issued`);
        e.dpop.nonceCurrent = info.nonce === d.nonces[srv].current;
      }
      if (kind === 'token' && info.jkt) {
        if (d.jkt === null) d.jkt = info.jkt;
        else if (info.jkt !== d.jkt) v('the proof\'s key is not the code exchange\'s (RFC 9449 §5: one key for the whole grant)');
      }
      if (!spec) v('DPoP proof sent although the client is not a DPoP client (no dpop option)');
    }
    if (accessToken !== null && d.bound.has(accessToken) && e.dpop?.jkt !== d.bound.get(accessToken)) {
      v(e.dpop ? 'the proof\'s key is not the one the access token is bound to' : 'a DPoP-bound access token presented without a proof');
    }
    if (!spec || kind === 'revoke') return false;
    res.dpop = { c, srv, ctx };
    if (!e.dpop) {
      v('no DPoP proof');
      return false;
    }
    const pol = spec[srv] ?? {};
    const st = d.nonces[srv];
    if (pol.invalidate?.(ctx)) newNonce(c, srv);
    let refuse = pol.refuse?.(ctx) ? 'new' : null;
    if (!refuse && pol.require && (e.dpop.nonce === undefined || e.dpop.nonce !== st.current)) refuse = 'current';
    if (!refuse) return false;
    if (refuse === 'new' || !st.current) newNonce(c, srv);
    e.refused = 'use_dpop_nonce';
    if (kind === 'token') {
      e.answered = 400;
      send(req, res, c, { raw: true, status: 400, body: { error: 'use_dpop_nonce', error_description: 'Authorization server requires nonce in DPoP proof' } });
    } else {
      e.answered = 401;
      const scheme = pol.scheme?.(ctx) ?? 'DPoP';
      send(req, res, c, { raw: true, status: 401, body: '', headers: { 'www-authenticate': `${scheme} error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof", algs="ES256"`, 'access-control-expose-headers': 'WWW-Authenticate' } });
    }
    return true;
  }

  /** token_type of a token response of case `c` (RFC 9449 §5). */
  const tokenTypeFor = (c, ctx) => c.spec.dpop?.tokenType?.(ctx) ?? (c.spec.dpop && ctx.request.dpop ? 'DPoP' : 'Bearer');

  /** Binds what a token response issued to the proof's key: the refresh token always (RFC 9449
   * §5, public client), the access token when its token_type is DPoP. */
  function bindIssued(c, ctx, body) {
    const jkt = ctx.request.dpop?.jkt;
    if (!jkt) return;
    if (typeof body.refresh_token === 'string') c.dpop.bound.set(body.refresh_token, jkt);
    if (typeof body.access_token === 'string' && typeof body.token_type === 'string' && body.token_type.toLowerCase() === 'dpop') c.dpop.bound.set(body.access_token, jkt);
  }

  // --- the authorization server ----------------------------------------------------------------

  async function handleAs(req, res, origin = asOrigin) {
    const url = new URL(req.url, origin);
    const m = /^\/case\/([^/]+)(\/.*)?$/.exec(url.pathname);
    // DS-02 bare-origin variant: a root discovery document whose issuer has a trailing slash.
    if (origin === asOrigin && url.pathname === '/.well-known/openid-configuration' && cases.has('@root')) {
      const c = state('@root');
      record(c, req, url, 'discovery', null);
      send(req, res, c, c.spec.rootMetadata?.() ?? { raw: true, status: 404, body: 'no' });
      return;
    }
    if (!m) {
      unknown.push({ method: req.method, path: url.pathname });
      send(req, res, null, { raw: true, status: 404, body: 'unknown path' });
      return;
    }
    const id = decodeURIComponent(m[1]);
    const rest = m[2] ?? '/';
    if (!cases.has(id)) {
      unknown.push({ method: req.method, path: url.pathname });
      send(req, res, null, { raw: true, status: 404, body: 'unknown case' });
      return;
    }
    const c = state(id);
    const endpoint = rest === '/.well-known/openid-configuration' ? 'discovery'
      : rest === '/authorize' ? 'authorize'
        : rest === '/token' ? 'token'
          : rest === '/jwks' || rest.startsWith('/jwks/') ? 'jwks'
            : rest === '/userinfo' ? 'userinfo'
              : rest === '/revoke' ? 'revoke'
                : rest === '/end-session' ? 'end-session'
                  : rest === '/redirect-target' ? 'redirect-target'
                    : rest === '/par' ? 'par'
                      : rest === '/rs' || rest.startsWith('/rs/') ? 'rs' : 'other';
    const body = req.method === 'POST' ? await readBody(req) : Buffer.alloc(0);
    const entry = record(c, req, url, endpoint, body);
    // The two grants of the token endpoint are told apart in the record.
    if (endpoint === 'token' && entry.form?.grant_type === 'refresh_token') entry.endpoint = 'refresh';
    const ctx = makeCtx(id, c, req, url, entry);
    ctx.origin = origin;
    ctx.url = url;
    try {
      if (origin === rsOrigin && endpoint !== 'rs') {
        c.violations.push(`request to ${rest} at the resource server's origin`);
        return send(req, res, c, { raw: true, status: 404, body: 'not here' });
      }
      if (req.method === 'OPTIONS') {
        entry.endpoint = `preflight:${endpoint}`;
        return preflight(req, res, c, endpoint);
      }
      switch (endpoint) {
        case 'discovery': return discovery(req, res, c, ctx);
        case 'authorize': return authorize(req, res, c, ctx, url);
        case 'token': return entry.endpoint === 'refresh' ? refreshGrant(req, res, c, ctx) : token(req, res, c, ctx, body);
        case 'jwks': return jwks(req, res, c, ctx);
        case 'userinfo': return userinfo(req, res, c, ctx, url);
        case 'revoke': return revoke(req, res, c, ctx);
        case 'end-session': return endSession(req, res, c, ctx, url);
        case 'par': return pushedRequest(req, res, c, ctx);
        case 'rs': return resource(req, res, c, ctx, url);
        default:
          c.violations.push(`request to ${rest}`);
          return send(req, res, c, { raw: true, status: 404, body: 'not here' });
      }
    } catch (err) {
      c.violations.push(`server error: ${err.stack}`);
      return send(req, res, c, { raw: true, status: 500, body: 'hostile server bug' });
    }
  }

  function record(c, req, url, endpoint, body) {
    const auth = req.headers.authorization;
    const ct = req.headers['content-type'] ?? null;
    let form = null;
    if (body && body.length && /^application\/x-www-form-urlencoded/i.test(ct ?? '')) {
      form = {};
      for (const [k, v] of new URLSearchParams(body.toString('utf8'))) form[k] = k in form ? [].concat(form[k], v) : v;
    }
    const entry = {
      seq: ++seq,
      at: Date.now(),
      endpoint,
      method: req.method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      rawQuery: url.search,
      queryKeys: [...url.searchParams.keys()],
      contentType: ct,
      form,
      rawBody: body && body.length ? body.toString('utf8') : '',
      authScheme: auth ? auth.split(' ')[0] : null,
      authorization: auth ?? null,
      host: req.headers.host ?? null,
      origin: req.headers.origin ?? null,
      referer: req.headers.referer ?? null,
      cookie: req.headers.cookie ?? null,
      accessControlRequestHeaders: req.headers['access-control-request-headers'] ?? null,
    };
    c.requests.push(entry);
    return entry;
  }

  function makeCtx(id, c, req, url, entry) {
    return {
      id,
      issuer: issuerOf(id),
      asOrigin,
      appOrigin,
      redirectUri,
      clientId: CLIENT_ID,
      keys,
      now: nowSecs(),
      request: entry,
      addSecret: (name, value) => addSecret(c, name, value),
      signJws,
      signRaw,
      atHash,
    };
  }

  function preflight(req, res, c, endpoint) {
    const cors = endpoint === 'token' ? c.spec.tokenCors ?? true : true;
    const headers = {
      'access-control-allow-methods': 'GET, POST',
      'access-control-allow-headers': req.headers['access-control-request-headers'] ?? '',
      'access-control-max-age': '0',
    };
    if (cors) {
      headers['access-control-allow-origin'] = appOrigin;
      headers.vary = 'Origin';
    }
    res.writeHead(204, headers);
    res.end();
  }

  function discovery(req, res, c, ctx) {
    if (req.method !== 'GET') c.violations.push(`discovery ${req.method}`);
    let meta = defaultMetadata(ctx.id);
    if (c.spec.dpop) meta.dpop_signing_alg_values_supported = ['ES256'];
    if (c.spec.par) {
      meta.pushed_authorization_request_endpoint = `${ctx.issuer}/par`;
      if (c.spec.par.required) meta.require_pushed_authorization_requests = true;
    }
    if (c.spec.metadata) meta = c.spec.metadata(meta, ctx) ?? meta;
    c.lastMetadata = raw(meta) ? null : meta;
    send(req, res, c, meta);
  }

  /** The checks of an authorization request's parameters (sent to /authorize or pushed to /par). */
  function checkAuthorizationParams(c, ctx, q, v) {
    for (const k of new Set(q.keys())) if (q.getAll(k).length > 1) v(`repeated ${k}`);
    if (q.get('response_type') !== 'code') v(`response_type=${q.get('response_type')}`);
    if (q.get('client_id') !== CLIENT_ID && !c.spec.anyClient) v(`client_id=${q.get('client_id')}`);
    if (q.get('redirect_uri') !== redirectUri) v(`redirect_uri=${q.get('redirect_uri')}`);
    if (q.get('code_challenge_method') !== 'S256') v(`code_challenge_method=${q.get('code_challenge_method')}`);
    if (!/^[A-Za-z0-9_-]{43}$/.test(q.get('code_challenge') ?? '')) v('code_challenge is not a base64url SHA-256');
    const st = q.get('state');
    if (!st || st.length < 22) v('state missing or short');
    const scope = q.get('scope') ?? '';
    const nonce = q.get('nonce');
    if (scope.split(' ').includes('openid') && (!nonce || nonce.length < 22)) v('nonce missing or short although openid is requested');
    for (const k of ['access_token', 'id_token', 'client_secret', 'code_verifier']) if (q.has(k)) v(`${k} sent in the authorization request`);
    ctx.addSecret('state', st);
    ctx.addSecret('nonce', nonce);
  }

  /**
   * RFC 9126 §2: the pushed authorization request (POST, form-encoded, a public client: client_id
   * in the body, no Authorization). Checked like /authorize's parameters, then kept under a fresh
   * request_uri (single use, expires_in 60 s) answered with 201, unless the case's par.answer
   * says otherwise. The record keeps the form (what the SDK pushed) and the request_uri answered.
   */
  function pushedRequest(req, res, c, ctx) {
    const e = ctx.request;
    const v = (msg) => c.violations.push(`par: ${msg}`);
    c.parCount += 1;
    ctx.parCount = c.parCount;
    if (!c.spec.par) v('push to a provider that advertises no PAR endpoint');
    if (req.method !== 'POST') v(`method ${req.method}`);
    if (!/^application\/x-www-form-urlencoded(\s*;.*)?$/i.test(e.contentType ?? '')) v(`content-type ${e.contentType}`);
    if (e.authorization) v('Authorization header sent (public client)');
    if (e.cookie) v('Cookie sent');
    if (e.rawQuery) v(`query string on the push: ${e.rawQuery}`);
    const q = new URLSearchParams(e.rawBody);
    if (!q.has('client_id')) v('no client_id in the push (RFC 9126 §2.1, public client)');
    for (const k of ['request_uri', 'request']) if (q.has(k)) v(`${k} in the push (RFC 9126 §2.1)`);
    checkAuthorizationParams(c, ctx, q, v);
    const expiresIn = 60;
    let body = { request_uri: `urn:ietf:params:oauth:request_uri:${rand()}`, expires_in: expiresIn };
    if (c.spec.par?.answer) body = c.spec.par.answer(body, ctx) ?? body;
    // Whatever request_uri the answer carries (a raw one's JSON body too) resolves to this push.
    let answered = body;
    if (raw(body)) {
      try { answered = typeof body.body === 'string' ? JSON.parse(body.body) : body.body; } catch { answered = null; }
    }
    if (typeof answered?.request_uri === 'string') {
      c.pushed.set(answered.request_uri, { params: q, seq: e.seq, expiresAt: Date.now() + expiresIn * 1000, used: false });
      e.requestUri = answered.request_uri;
    }
    if (raw(body)) {
      e.answered = body.status ?? 200;
      return send(req, res, c, body);
    }
    e.answered = 201;
    return send(req, res, c, { raw: true, status: 201, body });
  }

  function authorize(req, res, c, ctx, url) {
    let q = url.searchParams;
    const v = (msg) => c.violations.push(`authorize: ${msg}`);
    if (req.method !== 'GET') v(`method ${req.method}`);
    if (q.has('request_uri')) {
      // RFC 9126 §4: client_id + request_uri only; the request is the pushed one (single use).
      const others = [...new Set(q.keys())].filter((k) => k !== 'client_id' && k !== 'request_uri');
      if (others.length) v(`parameters besides client_id and request_uri next to a pushed request: ${others.join(', ')}`);
      for (const k of ['client_id', 'request_uri']) if (q.getAll(k).length > 1) v(`repeated ${k}`);
      const pushed = c.pushed.get(q.get('request_uri'));
      if (!pushed) {
        v('request_uri this case never issued');
        return send(req, res, c, { raw: true, status: 400, body: 'invalid_request_uri', cors: false });
      }
      if (pushed.used) v('request_uri used twice');
      if (Date.now() > pushed.expiresAt) v('request_uri used after it expired');
      if (q.get('client_id') !== pushed.params.get('client_id')) v(`client_id=${q.get('client_id')} is not the pushed request's`);
      pushed.used = true;
      ctx.request.pushedSeq = pushed.seq;
      q = pushed.params;
    } else if (c.spec.par?.required) {
      // RFC 9126 §5: a provider that requires PAR refuses any other authorization request.
      ctx.request.refused = 'not pushed';
      const back = new URLSearchParams({ error: 'invalid_request', error_description: 'pushed authorization requests required' });
      if (q.get('state') !== null) back.set('state', q.get('state'));
      back.set('iss', ctx.issuer);
      ctx.addSecret('state', q.get('state'));
      ctx.addSecret('nonce', q.get('nonce'));
      res.writeHead(302, { location: `${redirectUri}?${back}`, 'cache-control': 'no-store' });
      res.end();
      return undefined;
    }
    checkAuthorizationParams(c, ctx, q, v);
    const st = q.get('state');
    const scope = q.get('scope') ?? '';
    const nonce = q.get('nonce');

    const code = `code-${rand()}`;
    c.grants.set(code, {
      code,
      used: false,
      nonce,
      challenge: q.get('code_challenge'),
      redirectUri: q.get('redirect_uri'),
      clientId: q.get('client_id'),
      scope,
      maxAge: q.get('max_age'),
    });
    ctx.addSecret('code', code);
    ctx.grant = c.grants.get(code);

    const params = new URLSearchParams();
    params.set('code', code);
    if (st !== null) params.set('state', st);
    params.set('iss', ctx.issuer);
    if (c.spec.authorize) {
      const out = c.spec.authorize(params, ctx);
      if (raw(out)) return send(req, res, c, out, { cors: false });
    }
    const target = q.get('redirect_uri') ?? redirectUri;
    let location = `${target}${target.includes('?') ? '&' : '?'}${params}`;
    if (!params.toString()) location = target;
    if (c.spec.fragment) location += `#${typeof c.spec.fragment === 'function' ? c.spec.fragment(ctx) : c.spec.fragment}`;
    res.writeHead(302, { location, 'cache-control': 'no-store' });
    res.end();
  }

  function token(req, res, c, ctx, body) {
    const e = ctx.request;
    const v = (msg) => c.violations.push(`token: ${msg}`);
    const deny = (description) => send(req, res, c, { raw: true, status: 400, body: { error: 'invalid_grant', error_description: description } });
    if (dpopCheck(req, res, c, ctx, { kind: 'token', srv: 'as' })) return undefined;
    if (req.method !== 'POST') { v(`method ${req.method}`); return deny('method'); }
    if (!/^application\/x-www-form-urlencoded(\s*;.*)?$/i.test(e.contentType ?? '')) v(`content-type ${e.contentType}`);
    if (e.authorization) v('Authorization header sent (public client)');
    if (e.cookie) v('Cookie sent');
    if (e.rawQuery) v(`query string on the token request: ${e.rawQuery}`);
    const f = e.form ?? {};
    const allowed = ['grant_type', 'code', 'redirect_uri', 'client_id', 'code_verifier'];
    for (const k of Object.keys(f)) {
      if (!allowed.includes(k)) v(`unexpected form field ${k}`);
      if (Array.isArray(f[k])) v(`repeated form field ${k}`);
    }
    if (f.grant_type !== 'authorization_code') { v(`grant_type=${f.grant_type}`); return deny('grant_type'); }
    const grant = c.grants.get(f.code);
    if (!grant) { v('unknown code'); return deny('unknown code'); }
    if (grant.used) { v('authorization code sent twice'); return deny('code already used'); }
    grant.used = true;
    if (f.redirect_uri !== grant.redirectUri) v(`redirect_uri ${f.redirect_uri} differs from ${grant.redirectUri}`);
    if (f.client_id !== grant.clientId) v(`client_id ${f.client_id} differs from ${grant.clientId}`);
    const verifier = f.code_verifier ?? '';
    ctx.addSecret('code_verifier', verifier);
    if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier)) v('code_verifier is not 43-128 unreserved characters');
    if (b64url(createHash('sha256').update(verifier, 'ascii').digest()) !== grant.challenge) v('code_verifier does not match the S256 challenge');
    ctx.grant = grant;

    if (c.spec.token) {
      const out = c.spec.token(ctx);
      if (out) return send(req, res, c, out, { cors: c.spec.tokenCors ?? true });
    }
    const accessToken = `AT-${rand()}`;
    c.tokens.add(accessToken);
    ctx.accessToken = accessToken;
    ctx.addSecret('access_token', accessToken);
    grant.authTime = ctx.now - 5;
    let tokenBody = { access_token: accessToken, token_type: tokenTypeFor(c, ctx), expires_in: c.spec.refresh?.loginExpiresIn ?? 3600, scope: grant.scope };
    if (c.spec.refresh) {
      const rt = `RT-${rand()}`;
      c.rts.set(rt, { grant, used: false, issuedBy: 0 });
      tokenBody.refresh_token = rt;
    }
    const openid = grant.scope.split(' ').includes('openid');
    if (openid || c.spec.idTokenAlways) {
      tokenBody.id_token = idToken(c, ctx);
      ctx.addSecret('id_token', tokenBody.id_token);
    }
    if (c.spec.tokenBody) tokenBody = c.spec.tokenBody(tokenBody, ctx) ?? tokenBody;
    if (raw(tokenBody)) return send(req, res, c, tokenBody, { cors: c.spec.tokenCors ?? true });
    for (const k of ['id_token', 'refresh_token', 'access_token']) if (typeof tokenBody[k] === 'string') ctx.addSecret(k, tokenBody[k]);
    bindIssued(c, ctx, tokenBody);
    noteIssued(c, ctx, 'authorization_code', 0, tokenBody, false);
    return send(req, res, c, { raw: true, status: 200, body: tokenBody, headers: { pragma: 'no-cache' }, cors: c.spec.tokenCors ?? true });
  }

  function noteIssued(c, ctx, grantType, n, body, tentative) {
    const pick = (k) => (typeof body[k] === 'string' ? body[k] : undefined);
    c.issued.push({ grantType, n, seq: ctx.request.seq, access_token: pick('access_token'), refresh_token: pick('refresh_token'), id_token: pick('id_token'), expires_in: body.expires_in, scope: body.scope, resource: ctx.resource ?? null, tentative });
    if (pick('id_token')) c.idTokens.push(pick('id_token'));
  }

  /**
   * grant_type=refresh_token (RFC 6749 §6): checks the request like TE-01 does, then rotates:
   * a new access token, a new refresh token (the presented one is retired: presenting it again
   * is reuse, which revokes the whole grant, RFC 9700 §4.14.2), and a new ID token for the same
   * authentication (OIDC Core §12.2: same iss/sub/aud/auth_time, nonce copied, at_hash of the new
   * access token). A response without a refresh token leaves the presented one valid (RT-02).
   */
  function refreshGrant(req, res, c, ctx) {
    const e = ctx.request;
    const v = (msg) => c.violations.push(`refresh: ${msg}`);
    const deny = (description) => send(req, res, c, { raw: true, status: 400, body: { error: 'invalid_grant', error_description: description } });
    const spec = c.spec.refresh ?? {};
    if (dpopCheck(req, res, c, ctx, { kind: 'token', srv: 'as' })) return undefined;
    c.refreshCount += 1;
    const n = c.refreshCount;
    ctx.refreshCount = n;
    if (req.method !== 'POST') { v(`method ${req.method}`); return deny('method'); }
    if (!/^application\/x-www-form-urlencoded(\s*;.*)?$/i.test(e.contentType ?? '')) v(`content-type ${e.contentType}`);
    if (e.authorization) v('Authorization header sent (public client)');
    if (e.cookie) v('Cookie sent');
    if (e.rawQuery) v(`query string on the refresh request: ${e.rawQuery}`);
    const f = e.form ?? {};
    for (const k of Object.keys(f)) {
      if (!['grant_type', 'refresh_token', 'client_id', 'scope', ...(spec.resourceIndicators ? ['resource'] : [])].includes(k)) v(`unexpected form field ${k}`);
      if (Array.isArray(f[k])) v(`repeated form field ${k}`);
    }
    if (f.client_id !== CLIENT_ID) v(`client_id=${f.client_id}`);
    if (f.resource !== undefined && !/^https?:\/\/[^?#]+$/.test(f.resource)) v(`resource ${f.resource} is not an absolute URI without query or fragment (RFC 8707 §2)`);
    const presented = c.rts.get(f.refresh_token);
    if (!presented) { v('unknown refresh token'); return deny('unknown refresh token'); }
    if (presented.grant.revoked) { v('refresh token of a revoked grant presented'); return deny('grant revoked'); }
    if (c.revoked.has(f.refresh_token)) { v('revoked refresh token presented'); return deny('revoked'); }
    if (presented.used) {
      v('rotated-away refresh token presented again (reuse): the grant is revoked');
      presented.grant.revoked = true;
      return deny('refresh token reuse');
    }
    const rtKey = c.dpop.bound.get(f.refresh_token);
    if (rtKey && e.dpop?.jkt !== rtKey) v(e.dpop ? 'DPoP-bound refresh token presented with a proof of another key (RFC 9449 §5)' : 'DPoP-bound refresh token presented without a proof');
    ctx.grant = presented.grant;
    ctx.presentedRefreshToken = f.refresh_token;
    ctx.resource = f.resource;
    const delay = spec.delayMs ? { delayMs: spec.delayMs } : {};
    // RFC 6749 §6: a scope on a refresh is within the grant's (never beyond it, §3.3).
    const grantScope = ctx.grant.scope.split(' ');
    if (f.scope !== undefined && !f.scope.split(' ').filter(Boolean).every((t) => grantScope.includes(t))) {
      return send(req, res, c, { raw: true, status: 400, body: { error: 'invalid_scope', error_description: 'beyond the grant' } });
    }
    if (spec.response) {
      const out = spec.response(ctx);
      if (out) return send(req, res, c, { ...out, ...delay });
    }
    const accessToken = `AT-${rand()}`;
    c.tokens.add(accessToken);
    ctx.accessToken = accessToken;
    const newRt = `RT-${rand()}`;
    let body = { access_token: accessToken, token_type: tokenTypeFor(c, ctx), expires_in: spec.expiresIn?.(n, ctx) ?? 7200, scope: f.scope ?? ctx.grant.scope, refresh_token: newRt };
    const idSpec = spec.idToken ? spec.idToken(n, ctx) : {};
    if (idSpec !== null && ctx.grant.scope.split(' ').includes('openid')) body.id_token = idToken(c, ctx, idSpec ?? {});
    if (spec.body) body = spec.body(body, ctx) ?? body;
    if (raw(body)) return send(req, res, c, { ...body, ...delay });
    for (const k of ['id_token', 'refresh_token', 'access_token']) if (typeof body[k] === 'string') ctx.addSecret(k, body[k]);
    const tentative = Boolean(spec.tentative?.(ctx));
    if (typeof body.refresh_token === 'string') {
      c.rts.set(body.refresh_token, { grant: ctx.grant, used: false, issuedBy: n });
      if (!tentative) presented.used = true;
    }
    bindIssued(c, ctx, body);
    noteIssued(c, ctx, 'refresh_token', n, body, tentative);
    return send(req, res, c, { raw: true, status: 200, body, headers: { pragma: 'no-cache' }, ...delay });
  }

  /** RFC 7009 §2.1: POST token, token_type_hint, client_id (public client). */
  function revoke(req, res, c, ctx) {
    const e = ctx.request;
    const v = (msg) => c.violations.push(`revoke: ${msg}`);
    c.revocationCount += 1;
    ctx.revocationCount = c.revocationCount;
    dpopCheck(req, res, c, ctx, { kind: 'revoke', srv: 'as' });
    if (req.method !== 'POST') v(`method ${req.method}`);
    if (!/^application\/x-www-form-urlencoded(\s*;.*)?$/i.test(e.contentType ?? '')) v(`content-type ${e.contentType}`);
    if (e.authorization) v('Authorization header sent (public client)');
    if (e.cookie) v('Cookie sent');
    if (e.rawQuery) v(`query string on the revocation request: ${e.rawQuery}`);
    const f = e.form ?? {};
    for (const k of Object.keys(f)) {
      if (!['token', 'token_type_hint', 'client_id'].includes(k)) v(`unexpected form field ${k}`);
      if (Array.isArray(f[k])) v(`repeated form field ${k}`);
    }
    if (f.client_id !== CLIENT_ID) v(`client_id=${f.client_id}`);
    const kind = c.rts.has(f.token) ? 'refresh_token' : c.tokens.has(f.token) ? 'access_token' : null;
    if (!kind) v('revocation of a token this case never issued');
    else if (f.token_type_hint !== undefined && f.token_type_hint !== kind) v(`token_type_hint ${f.token_type_hint} for a ${kind}`);
    ctx.token = f.token;
    ctx.tokenKind = kind;
    const out = c.spec.revoke?.(ctx);
    const status = out ? out.status ?? 200 : 200;
    if (status === 200 && kind) {
      c.revoked.add(f.token);
      if (kind === 'refresh_token') c.rts.get(f.token).grant.revoked = true;
    }
    return send(req, res, c, out ?? { raw: true, status: 200, body: '' });
  }

  /** OIDC RP-Initiated Logout 1.0 §2: a top-level GET or form POST; 302 to the registered post-logout URI. */
  function endSession(req, res, c, ctx, url) {
    // A top-level form POST (issue 11.2: the ID token never in a URL); a GET is still answered.
    const q = req.method === 'POST' ? new URLSearchParams(ctx.request.rawBody) : url.searchParams;
    const v = (msg) => c.violations.push(`end-session: ${msg}`);
    if (req.method !== 'GET' && req.method !== 'POST') v(`method ${req.method}`);
    if (url.searchParams.has('id_token_hint')) v('id_token_hint in the URL (it would land in the browser history)');
    if (req.method === 'POST' && !/^application\/x-www-form-urlencoded/i.test(ctx.request.contentType ?? '')) v(`content-type ${ctx.request.contentType}`);
    for (const k of new Set(q.keys())) {
      if (q.getAll(k).length > 1) v(`repeated ${k}`);
      if (!['id_token_hint', 'client_id', 'post_logout_redirect_uri', 'state', 'logout_hint', 'ui_locales'].includes(k)) v(`unexpected parameter ${k}`);
    }
    if (q.has('client_id') && q.get('client_id') !== CLIENT_ID) v(`client_id=${q.get('client_id')}`);
    const hint = q.get('id_token_hint');
    if (hint !== null && hint !== c.idTokens.at(-1)) v(c.idTokens.includes(hint) ? 'id_token_hint is an older ID token, not the session\'s' : 'id_token_hint is not an ID token of this case');
    const target = q.get('post_logout_redirect_uri');
    const st = q.get('state');
    ctx.addSecret('logout state', st);
    if (target !== null) {
      if (!postLogoutRedirectUris.includes(target)) {
        v(`post_logout_redirect_uri ${target} is not registered`);
        return send(req, res, c, { raw: true, status: 400, body: 'unregistered post_logout_redirect_uri', cors: false });
      }
      if (!st || st.length < 22) v('state missing or short');
    }
    c.endedSession = true;
    const params = new URLSearchParams();
    if (st !== null) params.set('state', st);
    c.spec.endSession?.(params, ctx);
    if (target === null) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(BLANK_PAGE.replace('hostile test app', 'signed out'));
      return undefined;
    }
    const location = params.toString() ? `${target}${target.includes('?') ? '&' : '?'}${params}` : target;
    res.writeHead(302, { location, 'cache-control': 'no-store' });
    res.end();
    return undefined;
  }

  function idToken(c, ctx, spec = c.spec.idToken ?? {}) {
    if (spec.raw) return spec.raw(ctx);
    const alg = spec.alg ?? 'RS256';
    const key = spec.key ?? keys[spec.keyName] ?? (alg.startsWith('ES') ? keys.es1 : keys.rs1);
    let header = { alg, typ: 'JWT', kid: key.kid };
    if (spec.header) header = spec.header(header, ctx) ?? header;
    const now = ctx.now;
    let claims = {
      iss: ctx.issuer,
      sub: 'alice',
      aud: CLIENT_ID,
      exp: now + 300,
      iat: now,
      auth_time: ctx.grant.authTime ?? now - 5,
      ...(ctx.grant.nonce ? { nonce: ctx.grant.nonce } : {}),
      at_hash: atHash(ctx.accessToken, alg.startsWith('HS') || alg === 'none' ? 'RS256' : alg),
      name: 'Alice Hostile',
    };
    if (spec.claims) claims = spec.claims(claims, ctx) ?? claims;
    const input = `${b64json(header)}.${typeof claims === 'string' ? claims : b64json(claims)}`;
    let sig = alg === 'none' || spec.unsigned ? Buffer.alloc(0) : signRaw(alg, key, input, spec.signOptions?.(ctx));
    if (spec.signature) sig = spec.signature(sig, ctx) ?? sig;
    return `${input}.${b64url(sig)}`;
  }

  function jwks(req, res, c, ctx) {
    if (req.method !== 'GET') c.violations.push(`jwks ${req.method}`);
    let set = { keys: [keys.rs1.jwk, keys.es1.jwk] };
    if (c.spec.jwks) set = c.spec.jwks(set, ctx) ?? set;
    send(req, res, c, set);
  }

  function userinfo(req, res, c, ctx, url) {
    const e = ctx.request;
    const v = (msg) => c.violations.push(`userinfo: ${msg}`);
    if ([...url.searchParams.keys()].length) v(`query string ${url.search} (the access token belongs in the header)`);
    if (e.rawBody) v('request body on UserInfo');
    if (e.cookie) v('Cookie sent');
    // RFC 6750 §2.1 Bearer, or RFC 9449 §7.1 DPoP for a DPoP-bound token.
    const a = /^(Bearer|DPoP) (.+)$/i.exec(e.authorization ?? '');
    const m = a && [a[0], a[2]];
    if (!m || !c.tokens.has(m[1])) {
      v(`Authorization header ${e.authorization ? 'with an unknown token' : 'missing'}`);
      return send(req, res, c, { raw: true, status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' }, body: '' });
    }
    if (c.revoked.has(m[1])) v('revoked access token presented');
    const bound = c.dpop.bound.has(m[1]);
    if (bound ? a[1] !== 'DPoP' : !/^Bearer$/i.test(a[1])) v(`the ${a[1]} scheme for a ${bound ? 'DPoP-bound' : 'Bearer'} access token`);
    if (dpopCheck(req, res, c, ctx, { kind: 'resource', srv: 'as', accessToken: m[1] })) return undefined;
    ctx.accessToken = m[1];
    let info = { sub: 'alice', name: 'Alice from UserInfo', email: 'alice@hostile.test' };
    if (c.spec.userinfo) info = c.spec.userinfo(info, ctx) ?? info;
    send(req, res, c, info);
  }

  /**
   * The resource server of a case (auth.fetch, issue 12): RFC 6750 §2.1 (the token in the
   * Authorization header only), CORS for the app origin with WWW-Authenticate exposed (unless
   * the answer says `expose: false`). The record keeps which issued token came (never the token).
   */
  function resource(req, res, c, ctx, url) {
    const e = ctx.request;
    const v = (msg) => c.violations.push(`rs: ${msg}`);
    c.resourceCount = (c.resourceCount ?? 0) + 1;
    ctx.resourceCount = c.resourceCount;
    if (e.host !== new URL(c.spec.rsOrigin ? rsOrigin : asOrigin).host) v(`request under the Host ${e.host} (another origin than the resource server's)`);
    if (e.cookie) v('Cookie sent');
    if (url.searchParams.has('access_token') || [...c.tokens].some((t) => e.rawQuery.includes(t) || e.rawBody.includes(t))) v('access token in the URL or body (RFC 6750 §2.1: the header only)');
    const m = /^(\S+) (.+)$/.exec(e.authorization ?? '');
    const token = m?.[2];
    const issued = token ? c.issued.findIndex((i) => i.access_token === token) : -1;
    ctx.bearer = m ? { scheme: m[1], known: c.tokens.has(token), issued, id: fingerprint(token) } : null;
    e.bearer = ctx.bearer;
    // Never keep the token itself in the record.
    e.authorization = m ? `${m[1]} <${issued >= 0 ? `issued #${issued}` : 'unknown token'}>` : e.authorization && '<unparsable>';
    const scheme = token && c.dpop.bound.has(token) ? 'DPoP' : 'Bearer';
    if (!m) v('no Authorization header');
    else if (m[1] !== scheme) v(`Authorization scheme ${m[1]} (the token is a ${scheme} token)`);
    else if (!ctx.bearer.known) v('an access token this case never issued');
    else if (c.revoked.has(token)) v('revoked access token presented');
    if (dpopCheck(req, res, c, ctx, { kind: 'resource', srv: 'rs', accessToken: token ?? null })) return undefined;
    const out = c.spec.resource?.(ctx) ?? { raw: true, status: 200, body: { ok: true, n: ctx.resourceCount } };
    e.answered = out.status ?? 200;
    const expose = out.expose ?? true;
    return send(req, res, c, { ...out, headers: { ...(expose ? { 'access-control-expose-headers': 'WWW-Authenticate' } : {}), ...out.headers } });
  }

  // --- the app origin --------------------------------------------------------------------------

  function handleApp(req, res) {
    const url = new URL(req.url, appOrigin);
    if (!url.pathname.startsWith('/pkg/')) appLog.push({ method: req.method, path: url.pathname, rawQuery: url.search, authorization: Boolean(req.headers.authorization), at: Date.now() });
    if (url.pathname.startsWith('/pkg/')) {
      const file = pkg.get(url.pathname.slice('/pkg/'.length));
      if (!file) { res.writeHead(404); res.end('no such file'); return; }
      // Cacheable: the second document of a flow (and the other tabs of a context) reuse the
      // compiled module instead of compiling it again.
      res.writeHead(200, { 'content-type': file.type, 'cache-control': 'max-age=3600' });
      res.end(file.bytes);
      return;
    }
    // Every other path is the same blank page: /app.html (start), /cb (redirect URI),
    // /logged-out (post-logout redirect URI), /other.
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(BLANK_PAGE);
  }

  /** The sink origin: records everything; answers as a permissive resource server would. */
  function handleSink(req, res) {
    const url = new URL(req.url, sinkOrigin);
    sinkLog.push({ method: req.method, path: url.pathname, rawQuery: url.search, authorization: Boolean(req.headers.authorization), origin: req.headers.origin ?? null, at: Date.now() });
    res.writeHead(req.method === 'OPTIONS' ? 204 : 200, {
      'access-control-allow-origin': appOrigin,
      'access-control-allow-methods': 'GET, POST, PUT, DELETE',
      'access-control-allow-headers': req.headers['access-control-request-headers'] ?? '',
      'access-control-expose-headers': 'WWW-Authenticate',
      'content-type': 'application/json',
      'cache-control': 'no-store',
    });
    res.end(req.method === 'OPTIONS' ? '' : '{"sink":true}');
  }

  // ---------------------------------------------------------------------------------------------

  const track = (server) => server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  const asServer = http.createServer((req, res) => { handleAs(req, res).catch((err) => { res.writeHead(500); res.end(String(err)); }); });
  const rsServer = http.createServer((req, res) => { handleAs(req, res, rsOrigin).catch((err) => { res.writeHead(500); res.end(String(err)); }); });
  const appServer = http.createServer(handleApp);
  const sinkServer = http.createServer(handleSink);
  track(asServer);
  track(appServer);
  track(sinkServer);
  track(rsServer);
  await Promise.all([
    new Promise((resolve, reject) => { asServer.once('error', reject); asServer.listen(asPort, '127.0.0.1', resolve); }),
    new Promise((resolve, reject) => { appServer.once('error', reject); appServer.listen(appPort, '127.0.0.1', resolve); }),
    new Promise((resolve, reject) => { sinkServer.once('error', reject); sinkServer.listen(sinkPort, '127.0.0.1', resolve); }),
    new Promise((resolve, reject) => { rsServer.once('error', reject); rsServer.listen(rsPort, '127.0.0.1', resolve); }),
  ]);

  return {
    asOrigin,
    appOrigin,
    sinkOrigin,
    rsOrigin,
    redirectUri,
    postLogoutRedirectUri,
    clientId: CLIENT_ID,
    keys,
    issuer: issuerOf,
    /** The resource server of a case with `rsOrigin: true`. */
    rsUrl: rsUrlOf,
    /** DPoP state of a case: { nonces: { as: [...], rs: [...] } (every nonce each server issued,
     * in order), jkt (the code exchange's key thumbprint), keys (jkt -> { x, y }) }. */
    dpop(id) {
      const d = state(id).dpop;
      return { nonces: { as: [...d.nonces.as.all], rs: [...d.nonces.rs.all] }, jkt: d.jkt, keys: new Map(d.keys) };
    },
    /** Registers (or replaces) a case; returns its issuer. */
    defineCase(id, spec = {}) {
      const c = state(id);
      c.spec = spec;
      return issuerOf(id);
    },
    requests: (id) => state(id).requests,
    violations: (id) => state(id).violations,
    secrets: (id) => state(id).secrets,
    grants: (id) => [...state(id).grants.values()],
    /** The token responses the case sent (code grant first, then each refresh). */
    issued: (id) => state(id).issued,
    /** Whether the AS still honours a refresh token: 'valid', 'rotated', 'revoked' or 'unknown'. */
    refreshTokenState(id, rt) {
      const c = state(id);
      const r = c.rts.get(rt);
      if (!r) return 'unknown';
      if (r.grant.revoked || c.revoked.has(rt)) return 'revoked';
      return r.used ? 'rotated' : 'valid';
    },
    revoked: (id) => [...state(id).revoked],
    lastMetadata: (id) => state(id).lastMetadata,
    unknownRequests: () => unknown,
    /** Every request the sink origin received (must stay empty). */
    sinkRequests: () => sinkLog,
    /** Requests to the app origin outside /pkg/ (pages, and anything stray). */
    appRequests: () => appLog,
    /** Highest request sequence number so far (to slice "what came after"). */
    mark: () => seq,
    async close() {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      await Promise.all([asServer, appServer, sinkServer, rsServer].map((s) => new Promise((resolve) => { s.close(() => resolve()); })));
    },
  };
}

// Stand-alone: start with a baseline case for manual inspection.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const server = await startHostile();
  const issuer = server.defineCase('AR-01');
  console.log(`hostile AS on ${server.asOrigin}, app on ${server.appOrigin}`);
  console.log(`baseline issuer: ${issuer}  (discovery: ${issuer}/.well-known/openid-configuration)`);
}
