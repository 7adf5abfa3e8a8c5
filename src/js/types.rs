//! TypeScript declarations of the values that cross the boundary (`typescript_custom_section`):
//! they go into the generated `spa_oauth.d.ts` next to the class and functions, whose
//! signatures wasm-bindgen writes from the Rust exports (`unchecked_*_type` names these
//! interfaces). Documentation: docs/js-api.md.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
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
  /** Opt-in quirk: accept a token response whose Content-Type is not application/json (e.g.
   * text/plain) when its body is a valid JSON object (RFC 6749 §5.1). Default false. */
  allowAnyContentType?: boolean;
  /** Opt-in quirk: a refreshed ID token whose `auth_time` moved (a provider reporting the user's
   * latest login) keeps the session and its original claims and fires `warning`
   * (`{ code: "auth_time_changed" }`) when sub, audiences and azp are the same. Default false:
   * the session ends with `id_token_changed` (OIDC Core §12.2). */
  allowAuthTimeChange?: boolean;
  /** Opt-in quirk: an authorization error response without `iss` from a provider that advertises
   * RFC 9207 is reported as that error, not `iss_missing` (a success without `iss` is still
   * refused). Default false. */
  allowErrorWithoutIss?: boolean;
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

/** Options of `getAccessToken`. */
export interface AccessTokenOptions {
  /** A new token even when the one in memory has time left (e.g. an API refused it): one
   * refresh request shared with concurrent calls and other tabs; a failure rejects, never the
   * old token. Default false. */
  forceRefresh?: boolean;
}

/** What `logout()` did (it rejects with `revocation_failed` when revocation failed and the page
 * does not navigate away). */
export interface LogoutResult {
  /** Every token of the session was revoked (RFC 7009). */
  revoked: boolean;
  /** The browser is on its way to the provider's end_session_endpoint. */
  redirecting: boolean;
  /** Why the tokens were or were not revoked: `no_endpoint` (the provider has no revocation
   * endpoint in its metadata — set `revocationEndpoint`, which also completes discovered
   * metadata), `not_asked` (`revoke: false`), `no_session`, `failed` (the `error` event fired). */
  revocation: "revoked" | "no_endpoint" | "not_asked" | "no_session" | "failed";
}

/** Options of `restoreSession`. */
export interface RestoreOptions {
  /** Fall back to one top-level `prompt=none` redirect when no other tab has the session. Default true. */
  silent?: boolean;
}

/** Events of `on` / `off`. */
export type AuthEvent = "tokenRefreshed" | "sessionExpired" | "loggedOut" | "error" | "warning";

/** Payload of `warning`: a provider quirk the app opted into was met and tolerated. */
export interface WarningEvent {
  code: "auth_time_changed";
}

/** Payload of `tokenRefreshed`: new tokens from this tab's refresh or from another tab. */
export interface TokenRefreshedEvent {
  /** Access-token expiry in milliseconds since the epoch, or null when unknown. */
  expiresAt: number | null;
  source: "refresh" | "tab";
}

/** Payload of `sessionExpired` (`code: "login_required"`) and `loggedOut` (`code: "logged_out"`). */
export interface SessionEndedEvent {
  code: "login_required" | "logged_out";
}

/** A handler given to `on` / `off`. */
export type AuthEventHandler =
  | ((payload: TokenRefreshedEvent) => void)
  | ((payload: SessionEndedEvent) => void)
  | ((error: SpaOAuthError) => void)
  | ((payload: WarningEvent) => void);

export interface AuthClient {
  /** Subscribes `handler` to `tokenRefreshed` ({ expiresAt, source }). Throws `invalid_config`
   * when `handler` is not a function. */
  on(event: "tokenRefreshed", handler: (payload: TokenRefreshedEvent) => void): void;
  /** Subscribes `handler` to `sessionExpired` (the refresh token was refused or the user
   * changed: the session is over in every tab) or `loggedOut` (this or another tab logged out). */
  on(event: "sessionExpired" | "loggedOut", handler: (payload: SessionEndedEvent) => void): void;
  /** Subscribes `handler` to `error`: background failures (refresh, revocation) that did not end
   * the session. */
  on(event: "error", handler: (error: SpaOAuthError) => void): void;
  /** Subscribes `handler` to `warning`: a provider quirk the app opted into was met
   * (`auth_time_changed`). */
  on(event: "warning", handler: (payload: WarningEvent) => void): void;
  /** Unsubscribes a handler given to `on` for `event`. */
  off(event: AuthEvent, handler: AuthEventHandler): void;
}

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
  /** Scope this login asks for besides the client's `scope` (RFC 6749 §3.3; incremental
   * consent, e.g. a `consent_required` error's `scope`). */
  scope?: string;
  /** Where the address bar goes once the login completed (same origin as `redirectUri`), e.g.
   * `location.href` of the page that asked for consent or a step-up. */
  returnTo?: string;
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
  | "id_token_typ_invalid"
  | "revocation_failed" | "userinfo_invalid"
  | "userinfo_sub_mismatch" | "network_error" | "timeout" | "redirect_refused"
  | "storage_unavailable" | "crypto_unavailable" | "no_browser_context" | "login_required"
  | "callback_in_progress"
  | "resource_not_allowed"
  | "consent_required"
  | "step_up_required"
  | "invalid_token"
  | "acr_invalid"
  | "challenge_invalid"
  | "par_error"
  | "par_response_invalid";

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
"#;

/// The declarations of the `full` build (feature `resource-servers`): they merge into the
/// interfaces above (TypeScript declaration merging).
#[cfg(feature = "resource-servers")]
#[wasm_bindgen(typescript_custom_section)]
const RESOURCE_SERVER_TYPES: &'static str = r#"
export interface AuthClientOptions {
  /** The resource servers `fetch` may send tokens to (RFC 6750 §2.1): absolute URLs (https, or
   * http on a loopback host; no query or fragment). A request URL is under one when it has the
   * same origin and its path is the entry's or below it on a segment boundary. Each entry is
   * also the RFC 8707 `resource` indicator of its tokens. Default: none. */
  resourceServers?: string[];
  /** Send RFC 8707 `resource` indicators (logins ask for every resource server; each call's
   * token names its resource server). false: the session's token (or a down-scoped one) for
   * every resource server, for providers without RFC 8707. Default true. */
  resourceIndicators?: boolean;
}

export interface AccessTokenOptions {
  /** A token for this resource server (a `resourceServers` entry, exactly; RFC 8707). */
  resource?: string;
  /** A token whose scope covers this space-separated scope (RFC 6749 §3.3, §6 down-scoping). */
  scope?: string;
}

export interface SpaOAuthError {
  /** `consent_required`: the missing scope to ask for (`loginWithRedirect({ scope })`). */
  scope?: string;
  /** `consent_required`, `step_up_required`, `invalid_token`: the resource server. */
  resource?: string;
  /** `step_up_required`: the `acr_values` the resource server asks for (RFC 9470 §3). */
  acrValues?: string;
  /** `step_up_required`: the `max_age` the resource server asks for, seconds. */
  maxAge?: number;
}

export interface AuthClient {
  /** Subscribes `handler` to `fetch`: every answer to `auth.fetch` (which token, never the token). */
  on(event: "fetch", handler: (payload: FetchEvent) => void): void;
  /** Subscribes `handler` to `consentRequired` (the `consent_required` error: `scope`,
   * `resource`) or `stepUpRequired` (the `step_up_required` error: `acrValues`, `maxAge`). */
  on(event: "consentRequired" | "stepUpRequired", handler: (error: SpaOAuthError) => void): void;
  /** Unsubscribes a handler given to `on` for one of these events. */
  off(event: "fetch", handler: (payload: FetchEvent) => void): void;
  off(event: "consentRequired" | "stepUpRequired", handler: (error: SpaOAuthError) => void): void;
}

/** `init` of `fetch`: the browser's `RequestInit` plus the scope the call needs. */
export interface AuthorizedRequestInit extends RequestInit {
  /** Space-separated scope the call needs (RFC 6749 §3.3): the token sent covers it. */
  scope?: string;
}

/** A token in memory, without its value (`tokens()`). */
export interface TokenInfo {
  /** Fingerprint: 48 bits of the token's SHA-256, base64url (not secret). */
  id: string;
  /** The resource server (RFC 8707 indicator) it is for; null for the session's token. */
  resource: string | null;
  /** Its granted scope. */
  scope: string;
  /** Expiry in milliseconds since the epoch, or null when unknown. */
  expiresAt: number | null;
}

/** Payload of `fetch`: an answer to `auth.fetch`, and which token the call used. */
export interface FetchEvent {
  url: string;
  method: string;
  status: number;
  /** The resource server's URL. */
  resource: string;
  /** Scope of the token sent. */
  scope: string;
  /** Fingerprint of the token sent (`TokenInfo.id`). */
  tokenId: string;
  /** This was the one retry after `401 invalid_token`. */
  retried: boolean;
}
"#;

/// The DPoP option (feature `dpop`: the package's full build).
#[cfg(feature = "dpop")]
#[wasm_bindgen(typescript_custom_section)]
const DPOP_TYPES: &'static str = r#"
export interface AuthClientOptions {
  /** Sender-constrained tokens (RFC 9449 DPoP): a non-extractable P-256 key per session
   * (WebCrypto, memory only, shared with the other tabs), a proof on every token, UserInfo and
   * `fetch` request, nonces per server with one retry, `token_type` `DPoP` required (a Bearer
   * answer is refused: `token_type_unsupported`). The provider must support DPoP (RFC 9449
   * `dpop_signing_alg_values_supported` with ES256). Default false. */
  dpop?: boolean;
  /** With `dpop`: `"EdDSA"` for an Ed25519 key (RFC 8037) where the browser's WebCrypto has
   * Ed25519 (else P-256 is used), `"ES256"` (default) for P-256. */
  dpopAlgorithm?: "ES256" | "EdDSA";
  /** With `dpop`: keep the non-extractable key and the DPoP-bound refresh token in IndexedDB, so
   * a reload with no other tab open keeps the session without a redirect (never an access or ID
   * token; removed at logout and when the session ends). Default false: memory only. */
  dpopPersist?: boolean;
  /** Pushed authorization requests (RFC 9126): every login's parameters go to the provider's
   * `pushed_authorization_request_endpoint` first; the browser carries `client_id` and
   * `request_uri` only. Also on when the metadata says `require_pushed_authorization_requests`.
   * Default false. Errors of the push: `par_error`, `par_response_invalid`. */
  par?: boolean;
}
"#;
