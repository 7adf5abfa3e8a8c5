// Type declarations of the spa-oauth package (hand-written; the implementation is
// src/wasm/driver.js over the Rust core in src/wasm/exports.rs). Documentation: docs/js-api.md.
/** Options of `AuthClient.create` (RFC 6749 §2, §3; RFC 8414 §2 names in camelCase). */
export interface AuthClientOptions {
  /** Issuer identifier, compared by exact string equality (RFC 8414 §2, RFC 9207). */
  issuer: string;
  /** `authorization_endpoint` (RFC 6749 §3.1). https, or http on a loopback host. Omit it
   * (and `tokenEndpoint`) to use discovery. */
  authorizationEndpoint?: string;
  /** `token_endpoint` (RFC 6749 §3.2). https, or http on a loopback host. */
  tokenEndpoint?: string;
  /** `client_id` of this public client (RFC 6749 §2.2). */
  clientId: string;
  /** `redirect_uri` registered for this client (RFC 6749 §3.1.2), sent exactly as given. */
  redirectUri: string;
  /** Default scope of `loginWithRedirect` (RFC 6749 §3.3). Default `"openid"`. */
  scope?: string;
  /** RFC 9207 §3 `authorization_response_iss_parameter_supported`: when true, a callback
   * without `iss` is rejected. Default: the metadata's value with discovery, true with explicit
   * endpoints. */
  authorizationResponseIssParameterSupported?: boolean;
  /** Timeout of back-channel requests in milliseconds. Default 30000. */
  timeoutMs?: number;
  /** Opt-in quirk: accept `expires_in` as a numeric string. Default false. */
  allowStringExpiresIn?: boolean;
  /** Which metadata to discover when endpoints are not given: OIDC Discovery (default) or
   * RFC 8414 (`/.well-known/oauth-authorization-server`, path-inserted). */
  discovery?: "openid-configuration" | "oauth-authorization-server";
  /** `jwks_uri` (RFC 8414 §2); needed to verify ID tokens when endpoints are explicit. */
  jwksUri?: string;
  /** `userinfo_endpoint` (OIDC Discovery §3). */
  userinfoEndpoint?: string;
  /** Accepted ID-token `alg`s (subset of RS256/384/512, PS256/384/512, ES256/384/512, EdDSA):
   * the client's registered `id_token_signed_response_alg`. Default `["RS256"]` (OIDC Core
   * §3.1.3.7): an algorithm the provider merely supports is not accepted. */
  idTokenSigningAlgValues?: string[];
  /** Audiences besides `clientId` accepted in ID tokens (then `azp` must be `clientId`). */
  trustedAudiences?: string[];
  /** Clock tolerance for `exp`/`iat`/`nbf`/`auth_time` in seconds. Default 30. */
  clockToleranceSeconds?: number;
  /** `getAccessToken()` refreshes when the token has less than this many seconds left; the
   * renewal timer fires at the same point. Default 60. */
  refreshMarginSeconds?: number;
  /** `revocation_endpoint` (RFC 7009) when endpoints are explicit. */
  revocationEndpoint?: string;
  /** `end_session_endpoint` (OIDC RP-Initiated Logout) when endpoints are explicit. */
  endSessionEndpoint?: string;
}

/** Options of `logout`. */
export interface LogoutOptions {
  /** Where the provider sends the browser after logout (must be registered). */
  postLogoutRedirectUri?: string;
  /** Revoke the refresh and access tokens (RFC 7009) when the provider supports it. Default true. */
  revoke?: boolean;
  /** Navigate to the provider's end_session_endpoint when it has one. Default true. */
  redirect?: boolean;
}

/** Options of `restoreSession`. */
export interface RestoreOptions {
  /** Fall back to one top-level `prompt=none` redirect when no other tab has the session. Default true. */
  silent?: boolean;
}

/** Events of `on` / `off`. */
export type AuthEvent = "tokenRefreshed" | "sessionExpired" | "loggedOut" | "error";

/** Validated ID-token claims (OIDC Core §2). */
export interface IdTokenClaims {
  iss: string;
  sub: string;
  aud: string | string[];
  exp: number;
  iat: number;
  auth_time?: number;
  nonce?: string;
  azp?: string;
  [claim: string]: unknown;
}

/** UserInfo claims (OIDC Core §5.1). */
export interface UserInfo {
  sub: string;
  name?: string;
  email?: string;
  [claim: string]: unknown;
}

/** Options of `loginWithRedirect` / `createAuthorizationUrl`. */
export interface LoginOptions {
  /** Scope for this login (RFC 6749 §3.3); defaults to the client's `scope`. */
  scope?: string;
  /** Extra authorization request parameters (`prompt`, `login_hint`, `max_age`, `resource`...).
   * Arrays send the parameter repeatedly (only `resource` may repeat, RFC 8707 §2). Protocol
   * parameters (`state`, `nonce`, `code_challenge`, `redirect_uri`...) are refused. */
  extraParams?: Record<string, string | string[]>;
}

/** Result of `handleRedirectCallback`. */
export interface CallbackResult {
  /** Granted scope (RFC 6749 §5.1; the requested scope when the server omitted it). */
  scope: string;
  /** Access-token expiry in milliseconds since the epoch, or null when the server gave none. */
  expiresAt: number | null;
}

/** Result of `createPkcePair` (RFC 7636 §4.1, §4.2). */
export interface PkcePair {
  codeVerifier: string;
  codeChallenge: string;
  codeChallengeMethod: "S256";
}

/** Options of `buildAuthorizationUrl`. */
export interface AuthorizationUrlOptions {
  issuer: string;
  authorizationEndpoint: string;
  clientId: string;
  redirectUri: string;
  scope?: string;
  extraParams?: Record<string, string | string[]>;
}

/** Options of `validateIdToken`. */
export interface ValidateIdTokenOptions {
  issuer: string;
  clientId: string;
  /** The provider's JWK Set (object or JSON text). */
  jwks: { keys: object[] } | string;
  /** The nonce sent in the authorization request; omit when none was sent. */
  nonce?: string;
  /** `max_age` sent in the authorization request, seconds. */
  maxAge?: number;
  /** The access token of the same response, for `at_hash`. */
  accessToken?: string;
  /** Accepted algorithms (default: all ten supported). */
  idTokenSigningAlgValues?: string[];
  trustedAudiences?: string[];
  clockToleranceSeconds?: number;
}

/** Result of `buildAuthorizationUrl`: keep `state`, `nonce`, `codeVerifier` for the callback. */
export interface AuthorizationUrl {
  url: string;
  state: string;
  nonce: string | null;
  codeVerifier: string;
}

/** Stable error codes (`error.code`). See docs/errors.md. */
export type ErrorCode =
  | "invalid_config" | "insecure_endpoint" | "protocol_parameter_override" | "unsupported_flow"
  | "insufficient_randomness" | "callback_malformed" | "state_missing" | "state_mismatch"
  | "transaction_expired" | "transaction_mismatch" | "redirect_uri_mismatch" | "iss_missing"
  | "iss_mismatch" | "authorization_error" | "code_missing" | "unexpected_callback_parameter"
  | "token_error" | "token_response_status" | "token_response_content_type"
  | "token_response_not_json" | "token_response_not_object" | "access_token_invalid"
  | "token_type_unsupported" | "expires_in_invalid" | "scope_invalid" | "refresh_token_invalid"
  | "id_token_invalid" | "id_token_missing" | "discovery_invalid" | "discovery_issuer_mismatch"
  | "metadata_missing" | "jwks_invalid" | "key_not_found" | "key_ambiguous" | "jws_malformed"
  | "jwe_unsupported" | "alg_unsupported" | "crit_unsupported" | "signature_invalid" | "claim_invalid"
  | "issuer_mismatch" | "audience_mismatch" | "azp_mismatch" | "token_expired" | "iat_invalid"
  | "not_yet_valid" | "nonce_mismatch" | "at_hash_mismatch" | "auth_time_invalid" | "id_token_changed"
  | "revocation_failed" | "userinfo_invalid"
  | "userinfo_sub_mismatch" | "network_error" | "timeout" | "redirect_refused"
  | "storage_unavailable" | "crypto_unavailable" | "no_browser_context" | "login_required"
  | "callback_in_progress" | "not_initialized";

/** Every promise of spa-oauth rejects with this shape. */
export interface SpaOAuthError extends Error {
  name: "SpaOAuthError";
  code: ErrorCode;
  /** The server's `error` (RFC 6749 §4.1.2.1, §5.2), untrusted. */
  error?: string;
  /** The server's `error_description`, untrusted text: render as text, never as HTML. */
  error_description?: string;
  /** The server's `error_uri`, untrusted: never navigate to it automatically. */
  error_uri?: string;
  /** HTTP status of the response that caused the error. */
  status?: number;
}

/**
 * An OAuth 2.0 / OpenID Connect client for one authorization server (RFC 6749 §4.1 with
 * RFC 7636 PKCE). Create it with `await AuthClient.create(options)`.
 */
export class AuthClient {
    private constructor();
    /** Detaches the client: removes its page listeners, channel and timer and drops the session from memory. */
    free(): void;
    /**
     * Like `loginWithRedirect` but returns the authorization URL instead of navigating, for
     * apps that navigate themselves. The transaction is stored the same way.
     */
    createAuthorizationUrl(options?: LoginOptions): Promise<string>;
    /**
     * Creates a client. Without `authorizationEndpoint` and `tokenEndpoint` it reads the
     * provider metadata first (OIDC Discovery §4, or RFC 8414 §3 with
     * `discovery: "oauth-authorization-server"`): the metadata `issuer` must equal `issuer`
     * exactly, endpoints must be https (loopback excepted), redirects are not followed.
     * Rejects with `invalid_config`, `insecure_endpoint`, `discovery_invalid`,
     * `discovery_issuer_mismatch`, `metadata_missing`, `network_error`, `timeout`.
     */
    static create(options: AuthClientOptions): Promise<AuthClient>;
    /**
     * The access token (send it only in the `Authorization` header, RFC 6750 §2.1): the one in
     * memory while it has more than `refreshMarginSeconds` left, else a refreshed one (RFC 6749
     * §6; one request however many callers and tabs ask at once). Rejects with
     * `login_required` when there is no session or the refresh token was refused (the
     * `sessionExpired` event fires); a transient failure hands out the still-valid token.
     */
    getAccessToken(): Promise<string>;
    /**
     * The granted scope (RFC 6749 §5.1, §3.3); `null` when logged out.
     */
    getGrantedScope(): string | null;
    /**
     * The validated claims of the current ID token (signature verified with WebCrypto, claims
     * checked per OIDC Core §3.1.3.7), or `null`.
     */
    getIdTokenClaims(): IdTokenClaims | null;
    /**
     * Access-token expiry in milliseconds since the epoch; `null` when unknown or logged out.
     */
    getTokenExpiry(): number | null;
    /**
     * Calls the UserInfo endpoint (OIDC Core §5.3) with the access token in the
     * `Authorization` header and resolves its claims; `sub` must equal the ID token's.
     * Rejects with `login_required`, `metadata_missing`, `userinfo_invalid`,
     * `userinfo_sub_mismatch`, `network_error`, `timeout`, `redirect_refused`.
     */
    getUserInfo(): Promise<UserInfo>;
    /**
     * The user: the validated ID-token claims merged with the last UserInfo response (which
     * wins for claims it carries), or `null` when logged out.
     */
    getUser(): UserInfo | null;
    /**
     * After an RP-initiated logout: true when `url` (default: the current location) carries
     * the `state` of a logout started in this tab; false for a missing or foreign state
     * (catalogue LO-01, LO-02: never trusted as our logout). Removes `state` from the address bar.
     */
    handleLogoutCallback(url?: string | null): boolean;
    /**
     * Completes a login (RFC 6749 §4.1.2, §4.1.3; RFC 9207): validates the response at `url`
     * (default: the current location) against the stored transaction, removes `code`, `state`,
     * `iss`, `session_state` from the address bar, exchanges the code (POST, no redirects, no
     * cookies) and keeps the tokens in memory. Resolves `{ scope, expiresAt }`.
     */
    handleRedirectCallback(url?: string | null): Promise<CallbackResult>;
    /**
     * True when an unexpired access token is in memory.
     */
    isAuthenticated(): boolean;
    /**
     * True when `url` (default: the current location) is an authorization response for this
     * client: it is at the redirect URI and carries `state` with `code` or `error`.
     */
    isRedirectCallback(url?: string | null): boolean;
    /**
     * Starts a login (RFC 6749 §4.1.1 + RFC 7636 §4.3): stores the transaction (state, nonce,
     * verifier; sessionStorage, 10 minutes, single use) and navigates to the authorization
     * endpoint. Rejects with `protocol_parameter_override`, `invalid_config`,
     * `storage_unavailable`, `crypto_unavailable`.
     */
    loginWithRedirect(options?: LoginOptions): Promise<void>;
    /**
     * Logs out (OIDC RP-Initiated Logout 1.0): clears the session from memory in every tab
     * first, revokes the refresh and access tokens at the RFC 7009 endpoint when the provider
     * has one (`revoke: false` skips it; a failure is reported by rejecting with
     * `revocation_failed` and the `error` event, the local logout stands), then navigates to the
     * `end_session_endpoint` with `id_token_hint`, `client_id`, `post_logout_redirect_uri` and a
     * `state` (`redirect: false` skips it).
     */
    logout(options?: LogoutOptions): Promise<void>;
    /**
     * Unsubscribes a handler given to `on`.
     */
    off(event: AuthEvent, handler: Function): void;
    /**
     * Subscribes `handler` to `event`: `tokenRefreshed` ({ expiresAt, source }),
     * `sessionExpired` ({ code }), `loggedOut` ({ code }), `error` (a SpaOAuthError).
     */
    on(event: AuthEvent, handler: Function): void;
    /**
     * Restores the session after a reload (tokens live in memory only): from another open tab
     * of this origin if one has it; otherwise, unless `silent: false`, with one top-level
     * `prompt=none` authorization redirect (no iframe, no third-party cookies), at most once per
     * two minutes (a `login_required` answer ends as unauthenticated, never in a loop). Resolves
     * true when a session is available now, false otherwise (or while the redirect starts).
     */
    restoreSession(options?: RestoreOptions): Promise<boolean>;
}

/**
 * Builds an authorization request URL (RFC 6749 §4.1.1, RFC 7636 §4.3, OIDC Core §3.1.2.1)
 * with fresh `state`, `nonce` (when `openid` is in scope) and PKCE S256, without storing
 * anything: the caller keeps `state`, `nonce` and `codeVerifier`. Throws
 * `protocol_parameter_override` when `extraParams` names a protocol parameter.
 */
export function buildAuthorizationUrl(options: AuthorizationUrlOptions): AuthorizationUrl;

/**
 * A fresh PKCE pair (RFC 7636 §4.1, §4.2): a 43-character verifier from 32 random bytes and
 * its S256 challenge. Throws `crypto_unavailable` without `crypto.getRandomValues`.
 */
export function createPkcePair(): PkcePair;

/**
 * Validates an ID token on its own (OIDC Core §3.1.3.7): compact JWS parsing with the
 * algorithm allow-list, key selection from `options.jwks` (a JWK Set object or JSON string),
 * signature verification with WebCrypto, then the claim checks (`iss`, `aud`/`azp`, `exp`,
 * `iat`, `nbf`, `nonce` — absent when `options.nonce` is absent —, `at_hash` with
 * `options.accessToken`, `auth_time` with `options.maxAge`). Resolves the claims.
 */
export function validateIdToken(id_token: string, options: ValidateIdTokenOptions): Promise<IdTokenClaims>;

export type InitInput = RequestInfo | URL | Response | BufferSource | WebAssembly.Module;

/** The instantiated WebAssembly module (internal exports are not part of the API). */
export interface InitOutput {
    readonly memory: WebAssembly.Memory;
}

export type SyncInitInput = BufferSource | WebAssembly.Module;

/**
 * Instantiates the given `module`, which can either be bytes or
 * a precompiled `WebAssembly.Module`.
 *
 * @param {{ module: SyncInitInput }} module - Passing `SyncInitInput` directly is deprecated.
 *
 * @returns {InitOutput}
 */
export function initSync(module: { module: SyncInitInput } | SyncInitInput): InitOutput;

/**
 * If `module_or_path` is {RequestInfo} or {URL}, makes a request and
 * for everything else, calls `WebAssembly.instantiate` directly.
 *
 * @param {{ module_or_path: InitInput | Promise<InitInput> }} module_or_path - Passing `InitInput` directly is deprecated.
 *
 * @returns {Promise<InitOutput>}
 */
export default function __wbg_init (module_or_path?: { module_or_path: InitInput | Promise<InitInput> } | InitInput | Promise<InitInput>): Promise<InitOutput>;
