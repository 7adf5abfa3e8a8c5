// Local OpenID provider for the demo SPA and the end-to-end tests.
//
// A real, certified OpenID provider (npm `oidc-provider`), configured for one public browser
// client. FOR LOCAL DEVELOPMENT AND TESTS ONLY: the built-in development login/consent forms
// (`features.devInteractions`) accept ANY username and password, state is kept in memory, and
// keys are generated at every start.
//
//   node www/provider.js            # issuer http://127.0.0.1:3000
//   PORT=3100 node www/provider.js  # another port
//
// Programmatic use (tests, www/serve.js):
//   const op = await startProvider({ port: 3100, clientRedirectUris: ['http://127.0.0.1:5273/'],
//                                    testHooks: true });
//   op.issuer; op.requests(); op.resetRequests(); await op.close();
//   op.signingKids();            // kids of the current signing keys (RS256, ES256)
//   await op.rotateKeys();       // fresh keys with new kids (see rotateKeys below)
//   op.countRequests({ path: '/token', grantType: 'refresh_token' });   // recorder counts
//   op.setIgnoreAcrValues(true); // test hook: step-up requests complete at ACR_PWD (see below)
//   await op.rotateDpopNonce();  // test hook: a new DPoP nonce secret (old nonces refused)
//
// RP-initiated logout (end_session_endpoint): a request that carries a valid `id_token_hint`, or
// the `client_id` of a registered client (the SDK sends no id_token_hint by default: in a URL it
// would stay in the browser history), is signed out without the confirmation page (the form is
// submitted by the page itself; a <noscript> button remains), so the browser returns to the
// post_logout_redirect_uri at once. LOCAL USE ONLY: a real OP asks. `autoConfirmLogout: false`
// always asks.
//
// Clients (public, same redirect URIs, post-logout URIs, grants, scope and token settings):
// `spa-demo` (ID tokens RS256), `spa-es256` (ID tokens ES256, id_token_signed_response_alg),
// `spa-dpop` (DPOP_CLIENT_ID: dpop_bound_access_tokens, so every token request needs a DPoP
// proof, RFC 9449, and its access and refresh tokens are bound to the proof's key: cnf.jkt in the
// JWT access tokens and in introspection) and `spa-par` (PAR_CLIENT_ID:
// require_pushed_authorization_requests, RFC 9126). One confidential resource-server client,
// `demo-api` (a secret generated at every start, returned as `introspection`), which may only
// call the RFC 7662 introspection endpoint (`/token/introspection`): the demo server's
// GET /api/profile validates the SPA's access tokens with it.
//
// A stale sign-in step (the browser's *Back* onto a login or consent page whose interaction is
// already finished) gets a short page with a link back to the app instead of a bare 400 page.
//
// The agent API (www/api.js, RFC 8707 resource indicator `resourceIndicator`, default
// DEFAULT_API_RESOURCE; www/serve.js passes the API's base URL): an authorization or token
// request naming it gets its scopes (API_SCOPES: data:read data:write external:invoke
// exec:sandbox model:premium) and a JWT access token (RFC 9068: typ at+jwt, ES256 only,
// aud = the resource indicator) carrying, besides iss/sub/aud/exp/iat/jti/scope/client_id:
//   tenant        per account: alice -> "acme", bob -> "globex", anyone else -> "acme" (tenantOf)
//   token_budget  { per_request, per_day } model tokens (DEFAULT_TOKEN_BUDGET 500 / 2000;
//                 option tokenBudget), enforced by the API per request and per day
//   acr, auth_time  of the login the grant came from (the authorization code's, and the refresh
//                 token's on a refresh_token grant: the same login, never "now")
// An access token for no resource stays opaque (UserInfo only).
//
// DPoP (RFC 9449, oidc-provider's features.dPoP): ES256 / Ed25519 / EdDSA proofs, replay
// detection, and server nonces required for every proof (requireNonce: a proof without a nonce,
// or with an unknown one, gets 400 use_dpop_nonce (401 at UserInfo) and a `DPoP-Nonce` header).
// The nonce secret (32 random bytes) is made at every start; a nonce stays valid about 3-4
// minutes (oidc-provider's 60 s steps). The test hook rotateDpopNonce() replaces the secret:
// every nonce issued before is refused. CORS: oidc-provider itself exposes DPoP-Nonce (and
// WWW-Authenticate) at the token, PAR and UserInfo endpoints once a nonce secret is configured;
// the middleware below makes sure of it for every answer to an allowed origin. PAR (RFC 9126) is
// on (discovery: pushed_authorization_request_endpoint).
//
// Authentication context classes (acr_values_supported): ACR_PWD (the dev login form) and
// ACR_MFA (the same form plus a simulated second factor: the one-time code MFA_CODE, "123456",
// which the form itself shows). An authorization request whose acr_values contains ACR_MFA
// makes a session below it log in again (an extra check `acr_step_up` of the login prompt),
// and its login form then requires the code; the ID token, the code and the tokens of that
// login carry acr ACR_MFA and a fresh auth_time (every ID token states its acr). max_age works as oidc-provider does it (a
// session older than max_age logs in again, at the level acr_values asks for).

import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';

import Provider, { errors, interactionPolicy } from 'oidc-provider';

export const CLIENT_ID = 'spa-demo';
/** A second public client whose ID tokens are signed with ES256 (same redirect URIs). */
export const ES256_CLIENT_ID = 'spa-es256';
/** A public client whose tokens must all be DPoP-bound (dpop_bound_access_tokens). */
export const DPOP_CLIENT_ID = 'spa-dpop';
/** A public client that must use pushed authorization requests (RFC 9126). */
export const PAR_CLIENT_ID = 'spa-par';
/** DPoP proof algorithms the provider accepts (oidc-provider's default). */
export const DPOP_ALGS = ['ES256', 'Ed25519', 'EdDSA'];
export const OIDC_SCOPES = ['openid', 'profile', 'email', 'offline_access'];
/** Scopes of the agent API (the resource server of www/api.js). */
export const API_SCOPES = ['data:read', 'data:write', 'external:invoke', 'exec:sandbox', 'model:premium'];
/** The demo resource server's confidential client (introspection only). */
export const RESOURCE_SERVER_CLIENT_ID = 'demo-api';
/** The agent API's resource indicator when none is given: www/api.js at its demo port. */
export const DEFAULT_API_RESOURCE = 'http://127.0.0.1:5373/';
/** acr of a login with the dev form (password). */
export const ACR_PWD = 'urn:spa-oauth:acr:pwd';
/** acr of a login with the dev form plus the simulated second factor. */
export const ACR_MFA = 'urn:spa-oauth:acr:mfa';
/** acr_values_supported, lowest first. */
export const ACR_VALUES = [ACR_PWD, ACR_MFA];
/** The simulated second factor's one-time code (the login form shows it). */
export const MFA_CODE = '123456';
/** The `token_budget` claim of agent-API access tokens: model tokens per request / per day. */
export const DEFAULT_TOKEN_BUDGET = Object.freeze({ per_request: 500, per_day: 2000 });
/** Tenants of the known accounts; anyone else is in "acme". */
export const TENANTS = Object.freeze({ alice: 'acme', bob: 'globex' });
/** The `tenant` claim of an account. */
export const tenantOf = (accountId) => (Object.hasOwn(TENANTS, accountId) ? TENANTS[accountId] : 'acme');

const HOST = '127.0.0.1';

/** Fresh signing keys (RS256 + ES256) as a private JWKS; nothing is persisted. */
function generateJwks() {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  return {
    keys: [
      // The first RS256 key signs ID tokens by default (id_token_signed_response_alg RS256).
      { ...rsa, kid: `rs256-${randomUUID()}`, alg: 'RS256', use: 'sig' },
      { ...ec, kid: `es256-${randomUUID()}`, alg: 'ES256', use: 'sig' },
    ],
  };
}

/**
 * A tiny per-instance in-memory adapter (the library's default one prints a development warning
 * and is fine too; this one keeps each provider instance's state apart and dies with it).
 */
function createMemoryAdapterFactory() {
  const store = new Map(); // key -> { payload, expiresAt }
  const grantIndex = new Map(); // grantId -> Set<key>
  const uidIndex = new Map(); // session uid -> key
  const userCodeIndex = new Map(); // user code -> key

  const get = (key) => {
    const entry = store.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
      store.delete(key);
      return undefined;
    }
    return entry.payload;
  };

  return class MemoryAdapter {
    constructor(model) {
      this.model = model;
    }

    /** Ids of every stored grant (test hooks). */
    static async grantIds() {
      return [...store.keys()].filter((k) => k.startsWith('Grant:') && get(k))
        .map((k) => k.slice('Grant:'.length));
    }

    key(id) {
      return `${this.model}:${id}`;
    }

    async upsert(id, payload, expiresIn) {
      const key = this.key(id);
      const expiresAt = typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : undefined;
      store.set(key, { payload, expiresAt });
      if (payload.grantId) {
        if (!grantIndex.has(payload.grantId)) grantIndex.set(payload.grantId, new Set());
        grantIndex.get(payload.grantId).add(key);
      }
      if (this.model === 'Session' && payload.uid) uidIndex.set(payload.uid, key);
      if (payload.userCode) userCodeIndex.set(payload.userCode, key);
    }

    async find(id) {
      return get(this.key(id));
    }

    async findByUid(uid) {
      const key = uidIndex.get(uid);
      return key ? get(key) : undefined;
    }

    async findByUserCode(userCode) {
      const key = userCodeIndex.get(userCode);
      return key ? get(key) : undefined;
    }

    async consume(id) {
      const payload = get(this.key(id));
      if (payload) payload.consumed = Math.floor(Date.now() / 1000);
    }

    async destroy(id) {
      store.delete(this.key(id));
    }

    async revokeByGrantId(grantId) {
      for (const key of grantIndex.get(grantId) ?? []) store.delete(key);
      grantIndex.delete(grantId);
    }
  };
}

function page(title, body) {
  // Self-contained HTML (the library's default pages @import web fonts that cannot load here).
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${title}</title>
<style>body{font-family:sans-serif;max-width:32em;margin:2em auto}pre{white-space:pre-wrap}</style>
</head><body>${body}</body></html>`;
}

const htmlEscape = (value) => String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** An urlencoded request body (the dev login form), at most 16 kB. */
async function readForm(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 16 * 1024) throw new Error('form too large');
    chunks.push(chunk);
  }
  return Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
}

const INTERACTION_PATH = /^\/interaction\/[A-Za-z0-9_-]+$/;

/** Form params recorded for these routes (never the dev login form: it carries a password). */
const RECORD_BODY_ROUTES = new Set([
  'token', 'revocation', 'introspection', 'pushed_authorization_request', 'authorization',
  'end_session', 'end_session_confirm', 'userinfo',
]);

/**
 * Start the provider on 127.0.0.1.
 *
 * @param {object} [options]
 * @param {number} [options.port=3000]
 * @param {string[]} [options.clientRedirectUris=['http://127.0.0.1:5173/',
 *   'http://127.0.0.1:5173/rust/']] redirect URIs of `spa-demo` and `spa-es256` (also their
 *   post_logout_redirect_uris; their origins are the CORS allow-list): the JS demo's page and
 *   the Rust page (www/rust/); www/serve.js passes both for its port
 * @param {number} [options.accessTokenTTL=600] access token lifetime in seconds
 * @param {number} [options.idTokenTTL=3600]
 * @param {number} [options.refreshTokenTTL=86400]
 * @param {string} [options.resourceIndicator=DEFAULT_API_RESOURCE] the agent API's resource
 *   indicator (RFC 8707) and the audience of its JWT access tokens; www/serve.js passes the
 *   API's base URL
 * @param {{ per_request: number, per_day: number }} [options.tokenBudget=DEFAULT_TOKEN_BUDGET]
 *   the `token_budget` claim of agent-API access tokens
 * @param {boolean} [options.autoConfirmLogout=true] sign out without the confirmation page when
 *   the end-session request carries a valid id_token_hint or a registered client_id
 * @param {boolean} [options.testHooks=false] record requests; serve GET /__test/requests,
 *   GET /__test/counts, POST /__test/reset, POST /__test/rotate-keys,
 *   POST /__test/rotate-dpop-nonce, POST /__test/revoke-grants and
 *   POST /__test/ignore-acr-values[?enabled=0] (never enable outside tests)
 * @param {boolean} [options.quiet=false] do not print the listening line
 */
export async function startProvider({
  port = 3000,
  clientRedirectUris = ['http://127.0.0.1:5173/', 'http://127.0.0.1:5173/rust/'],
  accessTokenTTL = 600,
  idTokenTTL = 3600,
  refreshTokenTTL = 24 * 60 * 60,
  resourceIndicator = DEFAULT_API_RESOURCE,
  tokenBudget = DEFAULT_TOKEN_BUDGET,
  autoConfirmLogout = true,
  testHooks = false,
  quiet = false,
} = {}) {
  const issuer = `http://${HOST}:${port}`;
  const apiResource = resourceIndicator;
  const budget = { per_request: tokenBudget.per_request, per_day: tokenBudget.per_day };
  // Test hook (setIgnoreAcrValues): acr_values no longer asks for a second factor, so a step-up
  // request completes at ACR_PWD.
  let ignoreAcrValues = false;
  /** The authorization request (its stored params) asks for the second factor. */
  const wantsMfa = (params) => !ignoreAcrValues
    && String(params?.acr_values ?? '').split(' ').includes(ACR_MFA);
  const allowedOrigins = new Set(clientRedirectUris.map((uri) => new URL(uri).origin));

  // Shared by every Provider instance of this server (see rotateKeys): the stored sessions,
  // grants, codes and tokens, and the cookie signing keys.
  const Adapter = createMemoryAdapterFactory();
  const cookieKeys = [randomBytes(32).toString('base64url')];
  // The resource server's client secret: generated at every start, never persisted.
  const resourceServerSecret = randomBytes(32).toString('base64url');
  // The DPoP nonce secret: random at every start, replaced by rotateDpopNonce (test hook).
  let dpopNonceSecret = randomBytes(32);
  const appUrl = clientRedirectUris[0];

  const publicClient = {
    application_type: 'web',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: clientRedirectUris,
    post_logout_redirect_uris: clientRedirectUris,
    // Only the provider's own `scopes` may be listed here (API scopes come from resource
    // servers, see getResourceServerInfo); an API scope would make the client invalid.
    scope: OIDC_SCOPES.join(' '),
  };

  /** oidc-provider's default prompts plus a login check for the step-up (acr_values). */
  const interactionPolicyWithStepUp = () => {
    const policy = interactionPolicy.base();
    policy.get('login').checks.push(new interactionPolicy.Check(
      'acr_step_up',
      'the requested authentication context (acr_values) needs a second factor',
      'login_required',
      (ctx) => {
        const { oidc } = ctx;
        if (!wantsMfa(oidc.params) || oidc.result?.login) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
        return oidc.session.acr === ACR_MFA
          ? interactionPolicy.Check.NO_NEED_TO_PROMPT : interactionPolicy.Check.REQUEST_PROMPT;
      },
      () => ({ acr_values: ACR_MFA }),
    ));
    return policy;
  };

  // A fresh configuration object per Provider instance (the library mutates it).
  const configurationWith = (jwks) => ({
    adapter: Adapter,
    clients: [
      { ...publicClient, client_id: CLIENT_ID, client_name: 'spa-oauth demo' },
      {
        ...publicClient,
        client_id: ES256_CLIENT_ID,
        client_name: 'spa-oauth demo (ES256 ID tokens)',
        id_token_signed_response_alg: 'ES256',
      },
      {
        ...publicClient,
        client_id: DPOP_CLIENT_ID,
        client_name: 'spa-oauth demo (DPoP-bound tokens)',
        dpop_bound_access_tokens: true,
      },
      {
        ...publicClient,
        client_id: PAR_CLIENT_ID,
        client_name: 'spa-oauth demo (pushed authorization requests)',
        require_pushed_authorization_requests: true,
      },
      {
        // A resource server, not an app: no grants, no redirects; it authenticates with its
        // secret (HTTP Basic) to introspect the tokens it is shown (RFC 7662).
        client_id: RESOURCE_SERVER_CLIENT_ID,
        client_secret: resourceServerSecret,
        client_name: 'spa-oauth demo resource server',
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: [],
        response_types: [],
        redirect_uris: [],
      },
    ],
    scopes: OIDC_SCOPES,
    responseTypes: ['code'], // authorization code flow only (no implicit / hybrid)
    acrValues: ACR_VALUES,
    claims: {
      acr: null,
      auth_time: null,
      sid: null,
      // acr in every ID token (not only when acr_values asked for it): how the user logged in.
      openid: ['sub', 'acr'],
      profile: ['name', 'preferred_username'],
      email: ['email', 'email_verified'],
    },
    async findAccount(ctx, id) {
      return {
        accountId: id,
        async claims() {
          return {
            sub: id,
            name: `User ${id}`,
            preferred_username: id,
            email: `${id}@example.test`,
            email_verified: true,
          };
        },
      };
    },
    jwks,
    cookies: {
      keys: cookieKeys,
    },
    interactions: {
      policy: interactionPolicyWithStepUp(),
    },
    // Claims of the agent API's JWT access tokens (RFC 9068 §2.2: acr, auth_time; and this
    // demo's tenant and token_budget). Opaque (UserInfo) tokens get none.
    async extraTokenClaims(ctx, token) {
      if (token.kind !== 'AccessToken' || !token.resourceServer) return undefined;
      // The login the grant came from: the authorization code's, or on a refresh_token grant
      // the refresh token's (which carries the code's acr and auth_time through rotations).
      const source = ctx?.oidc?.entities?.AuthorizationCode ?? ctx?.oidc?.entities?.RefreshToken;
      return {
        tenant: tenantOf(token.accountId),
        token_budget: { ...budget },
        ...(typeof source?.acr === 'string' ? { acr: source.acr } : undefined),
        ...(typeof source?.authTime === 'number' ? { auth_time: source.authTime } : undefined),
      };
    },
    pkce: {
      // S256 is the only method oidc-provider supports; require PKCE for every client.
      required: () => true,
    },
    // CORS only for the origins of the client's redirect URIs.
    clientBasedCORS(ctx, origin, client) {
      if (!origin || origin === 'null') return false;
      return client.redirectUris.some((uri) => URL.parse(uri)?.origin === origin);
    },
    // A public SPA client gets a refresh token whenever it may use the grant (by default only
    // with offline_access + prompt=consent) ...
    async issueRefreshToken(ctx, client) {
      return client.grantTypeAllowed('refresh_token');
    },
    // ... and it is rotated on every use; re-use of a rotated one answers invalid_grant.
    rotateRefreshToken: true,
    ttl: {
      AccessToken: (ctx, token) => token.resourceServer?.accessTokenTTL ?? accessTokenTTL,
      AuthorizationCode: 60,
      IdToken: idTokenTTL,
      RefreshToken(ctx, token, client) {
        // Rotated tokens of a public client keep the remaining lifetime of the original one.
        if (ctx?.oidc?.entities.RotatedRefreshToken && client.clientAuthMethod === 'none'
          && !token.isSenderConstrained()) {
          return ctx.oidc.entities.RotatedRefreshToken.remainingTTL;
        }
        return refreshTokenTTL;
      },
      Interaction: 60 * 60,
      Session: 24 * 60 * 60,
      Grant: 24 * 60 * 60,
    },
    features: {
      devInteractions: { enabled: true }, // any login/password: LOCAL USE ONLY
      dPoP: {
        enabled: true,
        nonceSecret: dpopNonceSecret, // replaced by rotateDpopNonce (a new Provider instance)
        requireNonce: () => true,
        allowReplay: false,
      },
      pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: false },
      revocation: {
        enabled: true,
        // A client may revoke only its own tokens (what the default does, without its notice).
        allowedPolicy: async (ctx, client, token) => token.clientId === client.clientId,
      },
      introspection: {
        enabled: true,
        // Only the resource server may introspect (a public SPA client may not).
        allowedPolicy: async (ctx, client) => client.clientId === RESOURCE_SERVER_CLIENT_ID,
      },
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx, form) {
          // oidc-provider has validated the id_token_hint (signature, audience) or the
          // client_id and its registered post_logout_redirect_uri before this runs. This local
          // development provider signs out at once for a known client (the SDK sends no
          // id_token_hint by default: a token in a URL stays in the browser history). A real OP
          // asks the user unless the RP proves the session (id_token_hint by form POST).
          if (autoConfirmLogout && (ctx.oidc.params.id_token_hint || ctx.oidc.params.client_id)) {
            const confirmed = form.replace('</form>',
              '<input type="hidden" name="logout" value="yes"/><noscript><button autofocus type="submit">Continue signing out</button></noscript></form>');
            ctx.body = page('Signing out', `<h1>Signing out…</h1>${confirmed}
<script>document.getElementById('op.logoutForm').submit();</script>`);
            return;
          }
          ctx.body = page('Sign out', `<h1>Sign out from ${htmlEscape(ctx.host)}?</h1>${form}
<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>
<button type="submit" form="op.logoutForm">No, stay signed in</button>`);
        },
        async postLogoutSuccessSource(ctx) {
          ctx.body = page('Signed out', '<h1>Signed out</h1>');
        },
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => undefined, // no resource asked -> opaque AT for userinfo
        useGrantedResource: async () => false,
        async getResourceServerInfo(ctx, indicator) {
          if (indicator !== apiResource) throw new errors.InvalidTarget();
          return {
            audience: apiResource,
            scope: API_SCOPES.join(' '),
            accessTokenTTL,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'ES256' } },
          };
        },
      },
    },
    async renderError(ctx, out, error) {
      ctx.type = 'html';
      if (ctx.path.startsWith('/interaction/') && error?.name === 'SessionNotFound') {
        // Back onto a finished (or expired) login/consent step: say so and link the app.
        ctx.body = page('Sign-in step finished', `<h1>This sign-in step is already finished</h1>
<p>You probably pressed <em>Back</em> after signing in, or the sign-in page expired.
Nothing went wrong: return to the app and, if needed, sign in again there.</p>
<p><a id="back-to-app" href="${htmlEscape(appUrl)}">Back to the app</a></p>
<pre><strong>error</strong>: ${htmlEscape(out.error)}</pre>`);
        return;
      }
      ctx.body = page('Error', `<h1>Error</h1>${Object.entries(out)
        .map(([k, v]) => `<pre><strong>${htmlEscape(k)}</strong>: ${htmlEscape(v)}</pre>`).join('')}`);
    },
  });

  // ---- request recording (test hooks) -------------------------------------------------------
  const recorded = [];
  let rotateKeys; // defined below
  let rotateDpopNonce; // defined below
  const testHooksMiddleware = async (ctx, next) => {
    if (ctx.path === '/__test/requests' && ctx.method === 'GET') {
      ctx.set('Cache-Control', 'no-store');
      ctx.body = recorded;
      return;
    }
    if (ctx.path === '/__test/reset' && ctx.method === 'POST') {
      recorded.length = 0;
      ctx.status = 204;
      return;
    }
    if (ctx.path === '/__test/rotate-keys' && ctx.method === 'POST') {
      ctx.set('Cache-Control', 'no-store');
      ctx.body = { kids: await rotateKeys() };
      return;
    }
    if (ctx.path === '/__test/rotate-dpop-nonce' && ctx.method === 'POST') {
      ctx.set('Cache-Control', 'no-store');
      await rotateDpopNonce();
      ctx.body = { rotated: true };
      return;
    }
    if (ctx.path === '/__test/counts' && ctx.method === 'GET') {
      ctx.set('Cache-Control', 'no-store');
      ctx.body = countsByEndpoint();
      return;
    }
    if (ctx.path === '/__test/ignore-acr-values' && ctx.method === 'POST') {
      // ?enabled=0 (or false) switches it off again.
      ctx.set('Cache-Control', 'no-store');
      ignoreAcrValues = !['0', 'false'].includes(String(ctx.query.enabled ?? '1'));
      ctx.body = { ignoreAcrValues };
      return;
    }
    if (ctx.path === '/__test/revoke-grants' && ctx.method === 'POST') {
      // Revokes every grant (and with it every access and refresh token) of every account, as
      // an administrator or a reuse detector would. Sessions (the login cookie) stay.
      ctx.set('Cache-Control', 'no-store');
      ctx.body = { revoked: await revokeAllGrants() };
      return;
    }
    const entry = {
      time: Date.now(),
      method: ctx.method,
      path: ctx.path,
      query: Object.fromEntries(new URLSearchParams(ctx.querystring)),
      origin: ctx.get('origin') || null,
      authorizationScheme: ctx.get('authorization').split(' ')[0] || null,
      dpop: Boolean(ctx.get('dpop')), // a DPoP proof was sent (never the proof itself)
      dpopNonceIssued: false, // the answer carried a DPoP-Nonce header
      contentType: ctx.get('content-type') || null,
      route: null,
      body: null,
      status: null,
      error: null, // the OAuth `error` of a JSON error response (e.g. invalid_grant)
    };
    recorded.push(entry);
    try {
      await next();
    } finally {
      entry.status = ctx.status;
      entry.dpopNonceIssued = Boolean(ctx.response.get('DPoP-Nonce'));
      if (ctx.body && typeof ctx.body === 'object' && !Buffer.isBuffer(ctx.body)
        && typeof ctx.body.error === 'string') {
        entry.error = ctx.body.error;
      }
      // ctx.oidc exists only on provider routes; the body is parsed by the provider itself
      // (reading it here before next() would consume the stream), so pick it up afterwards.
      if (Object.getOwnPropertyDescriptor(ctx, 'oidc')) {
        entry.route = ctx.oidc.route ?? null;
        if (RECORD_BODY_ROUTES.has(entry.route) && ctx.oidc.body
          && typeof ctx.oidc.body === 'object') {
          entry.body = { ...ctx.oidc.body };
        }
      }
    }
  };

  // ---- the dev login form with a simulated second factor (step-up) --------------------------
  // oidc-provider's devInteractions render and submit the login and consent forms. This
  // middleware (in front of them) adds, when the authorization request asks for ACR_MFA, a
  // one-time-code field to the login form, and takes over the login form's POST to record how
  // the user authenticated: acr ACR_PWD (login + password), or ACR_MFA when the request asked for
  // it and the code was right. A wrong or missing code shows the form again (?otp=invalid).
  // The consent form and every other route are the library's.
  const stepUpLoginMiddleware = async (ctx, next) => {
    if (!INTERACTION_PATH.test(ctx.path) || (ctx.method !== 'GET' && ctx.method !== 'POST')) {
      await next();
      return;
    }
    const current = provider;
    let details;
    try {
      details = await current.interactionDetails(ctx.req, ctx.res);
    } catch {
      details = undefined; // no (or an expired) interaction: the library's route answers
    }
    if (ctx.method === 'POST' && details?.prompt?.name === 'login') {
      const form = await readForm(ctx.req);
      if (form.prompt !== 'login' || typeof form.login !== 'string' || !form.login) {
        ctx.status = 400;
        ctx.type = 'html';
        ctx.body = page('Error', '<h1>Error</h1><p>the sign-in form was incomplete</p>');
        return;
      }
      const mfa = wantsMfa(details.params);
      if (mfa && form.otp !== MFA_CODE) {
        ctx.set('Cache-Control', 'no-store');
        ctx.redirect(`${ctx.path}?otp=invalid`);
        ctx.status = 303;
        return;
      }
      await current.interactionFinished(ctx.req, ctx.res, {
        login: {
          accountId: form.login,
          acr: mfa ? ACR_MFA : ACR_PWD,
          amr: mfa ? ['pwd', 'otp'] : ['pwd'],
        },
      }, { mergeWithLastSubmission: false });
      ctx.respond = false;
      return;
    }
    await next();
    if (ctx.method === 'GET' && ctx.status === 200 && typeof ctx.body === 'string'
      && details?.prompt?.name === 'login' && wantsMfa(details.params)) {
      const submit = '<button type="submit" class="login login-submit">';
      const invalid = ctx.query.otp === 'invalid'
        ? '<p id="otp-error" role="alert" style="color:#b00020">That one-time code is not right.</p>' : '';
      ctx.body = ctx.body.replace(submit, `<p id="step-up-notice">This app asks for a second factor
(step-up, simulated): enter the one-time code <strong id="otp-hint">${MFA_CODE}</strong>.</p>${invalid}
  <input required type="text" name="otp" inputmode="numeric" autocomplete="one-time-code" placeholder="one-time code (use ${MFA_CODE})">
  ${submit}`);
    }
  };

  // ---- CORS: DPoP-Nonce readable by the app ---------------------------------------------------
  // oidc-provider already lists DPoP-Nonce in Access-Control-Expose-Headers at the token, PAR and
  // UserInfo endpoints (with a nonce secret configured). Any other answer to an allowed origin
  // that carries a DPoP-Nonce gets it exposed too (a no-op today; a guard against a library
  // change).
  const dpopNonceCorsMiddleware = async (ctx, next) => {
    await next();
    if (!ctx.response.get('DPoP-Nonce') || !ctx.response.get('Access-Control-Allow-Origin')) return;
    const exposed = ctx.response.get('Access-Control-Expose-Headers');
    const names = String(exposed || '').split(',').map((h) => h.trim()).filter(Boolean);
    if (!names.some((h) => h.toLowerCase() === 'dpop-nonce')) {
      ctx.set('Access-Control-Expose-Headers', [...names, 'DPoP-Nonce'].join(', '));
    }
  };

  /** Recorded requests per `METHOD path` (and per grant_type for POST /token), with statuses. */
  const countsByEndpoint = () => {
    const counts = {};
    for (const r of recorded) {
      const grant = r.method === 'POST' && r.route === 'token' ? ` ${r.body?.grant_type ?? '?'}` : '';
      const key = `${r.method} ${r.path}${grant}`;
      counts[key] ??= { total: 0, byStatus: {}, byError: {} };
      counts[key].total += 1;
      counts[key].byStatus[r.status] = (counts[key].byStatus[r.status] ?? 0) + 1;
      if (r.error) counts[key].byError[r.error] = (counts[key].byError[r.error] ?? 0) + 1;
    }
    return counts;
  };
  const countRequests = ({ method = 'POST', path = '/token', grantType, status, error } = {}) => recorded
    .filter((r) => r.method === method && r.path === path
      && (grantType === undefined || r.body?.grant_type === grantType)
      && (status === undefined || r.status === status)
      && (error === undefined || r.error === error)).length;
  let revokeAllGrants; // defined below (needs the current provider)

  // ---- the Provider instance, replaceable at runtime (key rotation) -------------------------
  // oidc-provider reads its signing keys once, at construction, and has no API to replace them.
  // A rotation therefore builds a new Provider with fresh keys and the same issuer, clients,
  // adapter storage and cookie keys, and the (still listening) HTTP server hands every later
  // request to it: sessions, grants, codes and tokens issued before carry over.
  // The same holds for the DPoP nonce secret (rotateDpopNonce keeps the keys).
  let currentJwks;
  let provider;
  let handler;
  const install = (jwks = generateJwks()) => {
    currentJwks = jwks;
    const next = new Provider(issuer, configurationWith(structuredClone(currentJwks)));
    if (testHooks) next.use(testHooksMiddleware);
    next.use(dpopNonceCorsMiddleware);
    next.use(stepUpLoginMiddleware);
    provider = next;
    handler = next.callback();
  };
  const signingKids = () => currentJwks.keys.map((k) => k.kid);
  rotateKeys = async () => {
    install();
    return signingKids();
  };
  rotateDpopNonce = async () => {
    dpopNonceSecret = randomBytes(32);
    install(currentJwks);
  };
  install();
  revokeAllGrants = async () => {
    // The adapter keeps the grant index; revoking through the Grant model's adapter removes the
    // grant and every token issued under it (what oidc-provider itself does on revocation).
    const grantIds = await Adapter.grantIds();
    const adapter = new Adapter('Grant');
    for (const id of grantIds) {
      // eslint-disable-next-line no-await-in-loop
      await adapter.revokeByGrantId(id);
      // eslint-disable-next-line no-await-in-loop
      await adapter.destroy(id);
    }
    return grantIds.length;
  };

  const server = createServer((req, res) => handler(req, res));
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Keep-alive sockets from browsers would otherwise hold close() open.
  const sockets = new Set();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  if (!quiet) {
    console.log(`OpenID provider (local, dev-only login: any username/password) at ${issuer}`);
  }

  return {
    issuer,
    port,
    clientId: CLIENT_ID,
    es256ClientId: ES256_CLIENT_ID,
    dpopClientId: DPOP_CLIENT_ID,
    parClientId: PAR_CLIENT_ID,
    resourceIndicator: apiResource,
    /** The resource server's client for RFC 7662 introspection (secret: this process only). */
    introspection: {
      endpoint: `${issuer}/token/introspection`,
      clientId: RESOURCE_SERVER_CLIENT_ID,
      clientSecret: resourceServerSecret,
    },
    allowedOrigins: [...allowedOrigins],
    /** The current oidc-provider instance (replaced by rotateKeys). */
    get provider() { return provider; },
    server,
    /** kids of the current signing keys ([RS256, ES256]). */
    signingKids,
    /**
     * Replace the signing keys with freshly generated ones (new kids): the old keys are gone from
     * /jwks and sign nothing anymore. Everything stored (sessions, grants, codes, tokens) is kept.
     * Resolves the new kids. Over HTTP (testHooks only): POST /__test/rotate-keys.
     */
    rotateKeys,
    /**
     * Test hook: a new DPoP nonce secret now (the signing keys and everything stored stay):
     * every DPoP nonce issued before is refused (use_dpop_nonce with a fresh one). Over HTTP
     * (testHooks only): POST /__test/rotate-dpop-nonce.
     */
    rotateDpopNonce: () => rotateDpopNonce(),
    /** Copy of the recorded requests (only with testHooks). */
    requests: () => structuredClone(recorded),
    resetRequests: () => { recorded.length = 0; },
    /**
     * Number of recorded requests matching { method = 'POST', path = '/token', grantType,
     * status, error } (only with testHooks). Over HTTP: GET /__test/counts (all endpoints).
     */
    countRequests,
    countsByEndpoint,
    /**
     * Test hook: while on, acr_values no longer asks for a second factor (no step-up login, no
     * one-time code), so a request for ACR_MFA completes at ACR_PWD. Over HTTP (testHooks
     * only): POST /__test/ignore-acr-values (?enabled=0 to switch it off).
     */
    setIgnoreAcrValues: (value = true) => { ignoreAcrValues = Boolean(value); },
    acrValues: [...ACR_VALUES],
    tokenBudget: { ...budget },
    /** Revoke every grant and its tokens (only with testHooks: POST /__test/revoke-grants). */
    revokeAllGrants: () => revokeAllGrants(),
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    }),
  };
}

// Standalone: node www/provider.js
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const port = Number(process.env.PORT ?? 3000);
  const redirects = process.env.REDIRECT_URIS?.split(',').filter(Boolean);
  const op = await startProvider({
    port,
    ...(redirects?.length ? { clientRedirectUris: redirects } : {}),
    testHooks: process.env.TEST_HOOKS === '1',
    ...(process.env.RESOURCE_INDICATOR ? { resourceIndicator: process.env.RESOURCE_INDICATOR } : {}),
  });
  const stop = () => op.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
