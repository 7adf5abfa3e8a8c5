//! Errors as data: one [`Error`] type with a stable [`ErrorCode`] per failure
//! (ARCHITECTURE §4).
//!
//! Messages are static strings and never contain request or response data, so an error can be
//! logged without leaking a token, a code or a verifier. What the server said (RFC 6749
//! §4.1.2.1 and §5.2: `error`, `error_description`, `error_uri`) is carried in separate fields
//! and is untrusted text.

use alloc::string::String;
use core::fmt;

/// A stable, machine-readable error code. The string form ([`ErrorCode::as_str`]) is what the
/// JavaScript API exposes as `error.code`; it never changes once released.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    // ---- caller misuse / configuration ----
    /// A required option is missing or malformed (caller misuse, never caused by a server).
    InvalidConfig,
    /// An endpoint or redirect URI is not https (loopback hosts excepted), has a fragment,
    /// credentials, or is not an absolute URL (RFC 6749 §3.1, §3.1.2, §3.2).
    InsecureEndpoint,
    /// The caller tried to set a protocol parameter the SDK owns (`state`, `code_challenge`,
    /// `response_type`, ...) through extra parameters.
    ProtocolParameterOverride,
    /// A grant or response type the SDK refuses by design (implicit, password, hybrid).
    UnsupportedFlow,
    /// The random source gave too few bytes (caller misuse of the core API).
    InsufficientRandomness,

    // ---- authorization response (RFC 6749 §4.1.2, RFC 9207) ----
    /// The callback URL or its query could not be parsed (bad escape, invalid UTF-8,
    /// a parameter repeated, RFC 6749 §3.1).
    CallbackMalformed,
    /// The callback carries no `state` (RFC 6749 §4.1.2).
    StateMissing,
    /// The callback's `state` matches no pending login transaction (forged, replayed, foreign).
    StateMismatch,
    /// The login transaction is older than its time to live.
    TransactionExpired,
    /// The stored login transaction belongs to another issuer, client or redirect URI
    /// (RFC 9700 §4.4.2).
    TransactionMismatch,
    /// The callback URL is not the redirect URI this transaction was started with.
    RedirectUriMismatch,
    /// `iss` is missing although the provider advertises it (RFC 9207 §2.4).
    IssMissing,
    /// `iss` differs from the expected issuer (mix-up, RFC 9207 §2.4).
    IssMismatch,
    /// The provider answered with `error=` (RFC 6749 §4.1.2.1); see `error` field.
    AuthorizationError,
    /// The callback carries no (or an empty) `code`.
    CodeMissing,
    /// The callback carries `access_token`, `id_token` or `token` (implicit/hybrid shape,
    /// RFC 9700 §2.1.2), or an unrequested JARM `response`.
    UnexpectedCallbackParameter,

    // ---- token endpoint (RFC 6749 §5) ----
    /// The token endpoint answered an error body (RFC 6749 §5.2); see `error` field.
    TokenError,
    /// The token endpoint answered an HTTP status that is neither 200 nor an error body.
    TokenResponseStatus,
    /// The response is not `application/json` (RFC 6749 §5.1).
    TokenResponseContentType,
    /// The body is not valid JSON, or too large, or too deeply nested.
    TokenResponseNotJson,
    /// The body is JSON but not a top-level object.
    TokenResponseNotObject,
    /// `access_token` missing, not a string, or empty.
    AccessTokenInvalid,
    /// `token_type` missing or not Bearer (case-insensitive, RFC 6749 §7.1).
    TokenTypeUnsupported,
    /// `expires_in` negative, not finite, or not a number.
    ExpiresInInvalid,
    /// `scope` present but not a string.
    ScopeInvalid,
    /// `refresh_token` present but not a non-empty string.
    RefreshTokenInvalid,
    /// `id_token` present but not a three-part compact JWS.
    IdTokenInvalid,
    /// `openid` was requested but no `id_token` came back (OIDC Core §3.1.3.3).
    IdTokenMissing,

    // ---- discovery (RFC 8414, OIDC Discovery 1.0) ----
    /// The metadata document is not a JSON object, or a field has the wrong type.
    DiscoveryInvalid,
    /// The metadata `issuer` is not exactly the configured issuer (RFC 8414 §3.3).
    DiscoveryIssuerMismatch,
    /// Metadata the operation needs is absent (e.g. no `userinfo_endpoint`, no `jwks_uri`).
    MetadataMissing,

    // ---- JWKS (RFC 7517) ----
    /// The JWK Set is not a JSON object with a `keys` array.
    JwksInvalid,
    /// No key in the JWK Set can verify this token (unknown `kid`, wrong `kty`/`crv`/`use`/
    /// `key_ops`/`alg`, RSA below 2048 bits, symmetric keys).
    KeyNotFound,
    /// The token has no `kid` and several keys could verify it (policy 3).
    KeyAmbiguous,

    // ---- JWS / ID token (RFC 7515, OIDC Core §3.1.3.7) ----
    /// Not a compact JWS: wrong number of parts, bad base64url, header or payload not a JSON
    /// object.
    JwsMalformed,
    /// A JWE (5 parts): encrypted ID tokens are not supported.
    JweUnsupported,
    /// `alg` is `none`, HS*, unknown, or not one the client accepts for ID tokens.
    AlgUnsupported,
    /// The header carries `crit` (RFC 7515 §4.1.11): no extension is understood.
    CritUnsupported,
    /// The signature does not verify with the selected key.
    SignatureInvalid,
    /// A required claim is missing or has the wrong type.
    ClaimInvalid,
    /// `iss` is not the issuer.
    IssuerMismatch,
    /// `aud` does not contain the client, or contains an untrusted audience.
    AudienceMismatch,
    /// `azp` is present and not the client, or missing with several audiences.
    AzpMismatch,
    /// `exp` is in the past beyond the clock tolerance.
    TokenExpired,
    /// `iat` is in the future beyond the tolerance, or too old.
    IatInvalid,
    /// `nbf` is in the future beyond the tolerance.
    NotYetValid,
    /// `nonce` differs from, or is missing while, the one sent; or present though none was sent.
    NonceMismatch,
    /// `at_hash` does not match the access token.
    AtHashMismatch,
    /// `auth_time` missing although `max_age` was requested, or too old, or not a number.
    AuthTimeInvalid,

    /// A refreshed ID token names another issuer, subject, audience, `azp` or `auth_time` than
    /// the session's (OIDC Core §12.2): never a silent user switch.
    IdTokenChanged,
    /// The ID token's JOSE header `typ` names another kind of token (e.g. `at+jwt`).
    IdTokenTypInvalid,
    /// The revocation endpoint refused or failed (RFC 7009 §2.2.1); the local logout happened.
    RevocationFailed,

    // ---- UserInfo (OIDC Core §5.3) ----
    /// The UserInfo response is not a 200 JSON object (a JWT UserInfo is not supported).
    UserinfoInvalid,
    /// The UserInfo `sub` differs from the ID token's (OIDC Core §5.3.2).
    UserinfoSubMismatch,

    // ---- transport (adapter) ----
    /// `fetch` failed (network, CORS, aborted).
    NetworkError,
    /// The request timed out.
    Timeout,
    /// The server answered with a redirect, which is never followed.
    RedirectRefused,
    /// Browser storage needed for the login transaction is unavailable.
    StorageUnavailable,
    /// WebCrypto or `crypto.getRandomValues` is unavailable.
    CryptoUnavailable,
    /// The API is used outside a browser window (e.g. redirect during SSR).
    NoBrowserContext,

    // ---- session ----
    /// No valid access token in memory; the user must log in.
    LoginRequired,
    /// A login callback is already being handled by this client.
    CallbackInProgress,

    // ---- calls to resource servers (RFC 6750, RFC 8707, RFC 9470) ----
    /// The URL is not under a configured resource server: no token is sent to it (and no
    /// request is made).
    ResourceNotAllowed,
    /// The call needs scope the grant does not cover (RFC 6750 §3.1 `insufficient_scope`, or the
    /// provider refused the scope on refresh, RFC 6749 §5.2 `invalid_scope`/`invalid_target`):
    /// the missing `scope` and the `resource` are carried; ask with a login (incremental
    /// consent).
    ConsentRequired,
    /// The resource server asks for a stronger or more recent authentication (RFC 9470 §3
    /// `insufficient_user_authentication`): `acr_values` / `max_age` are carried.
    StepUpRequired,
    /// The resource server refused the access token (RFC 6750 §3.1 `invalid_token`) again after
    /// one refresh and one retry.
    InvalidToken,
    /// The ID token's `acr` is not one of the `acr_values` the login asked for (RFC 9470 §4,
    /// OIDC Core §3.1.2.1).
    AcrInvalid,
    /// A `WWW-Authenticate` challenge of a resource server is malformed, oversized or
    /// contradictory (RFC 9110 §11.6.1, RFC 6750 §3).
    ChallengeInvalid,

    // ---- pushed authorization requests (RFC 9126) ----
    /// The PAR endpoint refused the request with an error body (RFC 9126 §2.3); see `error`.
    ParError,
    /// The PAR endpoint's answer is not a `201` JSON object with a `request_uri` and a positive
    /// `expires_in` (RFC 9126 §2.2).
    ParResponseInvalid,
}

impl ErrorCode {
    /// The stable string form exposed to JavaScript as `error.code`.
    pub const fn as_str(self) -> &'static str {
        use ErrorCode::*;
        match self {
            InvalidConfig => "invalid_config",
            InsecureEndpoint => "insecure_endpoint",
            ProtocolParameterOverride => "protocol_parameter_override",
            UnsupportedFlow => "unsupported_flow",
            InsufficientRandomness => "insufficient_randomness",
            CallbackMalformed => "callback_malformed",
            StateMissing => "state_missing",
            StateMismatch => "state_mismatch",
            TransactionExpired => "transaction_expired",
            TransactionMismatch => "transaction_mismatch",
            RedirectUriMismatch => "redirect_uri_mismatch",
            IssMissing => "iss_missing",
            IssMismatch => "iss_mismatch",
            AuthorizationError => "authorization_error",
            CodeMissing => "code_missing",
            UnexpectedCallbackParameter => "unexpected_callback_parameter",
            TokenError => "token_error",
            TokenResponseStatus => "token_response_status",
            TokenResponseContentType => "token_response_content_type",
            TokenResponseNotJson => "token_response_not_json",
            TokenResponseNotObject => "token_response_not_object",
            AccessTokenInvalid => "access_token_invalid",
            TokenTypeUnsupported => "token_type_unsupported",
            ExpiresInInvalid => "expires_in_invalid",
            ScopeInvalid => "scope_invalid",
            RefreshTokenInvalid => "refresh_token_invalid",
            IdTokenInvalid => "id_token_invalid",
            IdTokenMissing => "id_token_missing",
            DiscoveryInvalid => "discovery_invalid",
            DiscoveryIssuerMismatch => "discovery_issuer_mismatch",
            MetadataMissing => "metadata_missing",
            JwksInvalid => "jwks_invalid",
            KeyNotFound => "key_not_found",
            KeyAmbiguous => "key_ambiguous",
            JwsMalformed => "jws_malformed",
            JweUnsupported => "jwe_unsupported",
            AlgUnsupported => "alg_unsupported",
            CritUnsupported => "crit_unsupported",
            SignatureInvalid => "signature_invalid",
            ClaimInvalid => "claim_invalid",
            IssuerMismatch => "issuer_mismatch",
            AudienceMismatch => "audience_mismatch",
            AzpMismatch => "azp_mismatch",
            TokenExpired => "token_expired",
            IatInvalid => "iat_invalid",
            NotYetValid => "not_yet_valid",
            NonceMismatch => "nonce_mismatch",
            AtHashMismatch => "at_hash_mismatch",
            AuthTimeInvalid => "auth_time_invalid",
            IdTokenChanged => "id_token_changed",
            IdTokenTypInvalid => "id_token_typ_invalid",
            RevocationFailed => "revocation_failed",
            UserinfoInvalid => "userinfo_invalid",
            UserinfoSubMismatch => "userinfo_sub_mismatch",
            NetworkError => "network_error",
            Timeout => "timeout",
            RedirectRefused => "redirect_refused",
            StorageUnavailable => "storage_unavailable",
            CryptoUnavailable => "crypto_unavailable",
            NoBrowserContext => "no_browser_context",
            LoginRequired => "login_required",
            CallbackInProgress => "callback_in_progress",
            ResourceNotAllowed => "resource_not_allowed",
            ConsentRequired => "consent_required",
            StepUpRequired => "step_up_required",
            InvalidToken => "invalid_token",
            AcrInvalid => "acr_invalid",
            ChallengeInvalid => "challenge_invalid",
            ParError => "par_error",
            ParResponseInvalid => "par_response_invalid",
        }
    }

    /// A short, static, human-readable message (never contains request or response data).
    pub const fn message(self) -> &'static str {
        use ErrorCode::*;
        match self {
            InvalidConfig => "a required option is missing or malformed",
            InsecureEndpoint => "URL must be absolute https (http only for loopback hosts), without credentials or fragment",
            ProtocolParameterOverride => "extra parameters may not override protocol parameters",
            UnsupportedFlow => "only the authorization code flow with PKCE S256 is supported",
            InsufficientRandomness => "not enough random bytes",
            CallbackMalformed => "the authorization response could not be parsed",
            StateMissing => "the authorization response has no state",
            StateMismatch => "the authorization response state matches no pending login",
            TransactionExpired => "the login transaction has expired",
            TransactionMismatch => "the login transaction belongs to another issuer or client",
            RedirectUriMismatch => "the authorization response arrived at another redirect URI",
            IssMissing => "the authorization response has no iss although the provider sends it",
            IssMismatch => "the authorization response iss is not the expected issuer",
            AuthorizationError => "the authorization server returned an error",
            CodeMissing => "the authorization response has no code",
            UnexpectedCallbackParameter => "the authorization response carries tokens or parameters of an unsupported flow",
            TokenError => "the token endpoint returned an error",
            TokenResponseStatus => "the token endpoint returned an unexpected HTTP status",
            TokenResponseContentType => "the token endpoint response is not application/json",
            TokenResponseNotJson => "the token endpoint response is not valid JSON",
            TokenResponseNotObject => "the token endpoint response is not a JSON object",
            AccessTokenInvalid => "the token response has no valid access_token",
            TokenTypeUnsupported => "the token response token_type is missing or unsupported",
            ExpiresInInvalid => "the token response expires_in is invalid",
            ScopeInvalid => "the token response scope is invalid",
            RefreshTokenInvalid => "the token response refresh_token is invalid",
            IdTokenInvalid => "the token response id_token is malformed",
            IdTokenMissing => "openid was requested but the token response has no id_token",
            DiscoveryInvalid => "the provider metadata is malformed",
            DiscoveryIssuerMismatch => "the provider metadata issuer is not the configured issuer",
            MetadataMissing => "the provider metadata lacks what this operation needs",
            JwksInvalid => "the JWK Set is malformed",
            KeyNotFound => "no key in the JWK Set can verify the token",
            KeyAmbiguous => "the token has no kid and several keys match",
            JwsMalformed => "the token is not a well-formed compact JWS",
            JweUnsupported => "encrypted ID tokens are not supported",
            AlgUnsupported => "the token's signing algorithm is not accepted",
            CritUnsupported => "the token's header has critical extensions",
            SignatureInvalid => "the token signature is invalid",
            ClaimInvalid => "a required claim is missing or malformed",
            IssuerMismatch => "the ID token iss is not the issuer",
            AudienceMismatch => "the ID token aud does not match this client",
            AzpMismatch => "the ID token azp does not match this client",
            TokenExpired => "the ID token has expired",
            IatInvalid => "the ID token iat is in the future or too old",
            NotYetValid => "the ID token is not valid yet (nbf)",
            NonceMismatch => "the ID token nonce does not match the login",
            AtHashMismatch => "the ID token at_hash does not match the access token",
            AuthTimeInvalid => "the ID token auth_time is missing, malformed or too old",
            IdTokenChanged => "the refreshed ID token does not match the session's user or client",
            IdTokenTypInvalid => "the ID token's typ header names another kind of token (RFC 8725 §3.11)",
            RevocationFailed => "token revocation failed; the session was cleared locally",
            UserinfoInvalid => "the UserInfo response is not a JSON object",
            UserinfoSubMismatch => "the UserInfo sub differs from the ID token sub",
            NetworkError => "the request failed (network or CORS)",
            Timeout => "the request timed out",
            RedirectRefused => "the server answered with a redirect, which is not followed",
            StorageUnavailable => "sessionStorage is unavailable",
            CryptoUnavailable => "WebCrypto is unavailable",
            NoBrowserContext => "this operation needs a browser window",
            LoginRequired => "no valid session; login required",
            CallbackInProgress => "a login callback is already being handled",
            ResourceNotAllowed => "the URL is not under a configured resource server; no token is sent to it",
            ConsentRequired => "the call needs scope the user has not granted; ask for it with a login",
            StepUpRequired => "the resource server asks for a stronger or more recent authentication",
            InvalidToken => "the resource server refused the access token again after a refresh",
            AcrInvalid => "the ID token acr is not one of the acr_values asked for",
            ChallengeInvalid => "the resource server's WWW-Authenticate challenge is malformed or contradictory",
            ParError => "the pushed authorization request endpoint returned an error",
            ParResponseInvalid => "the pushed authorization request endpoint's answer is malformed",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the server said about an error (RFC 6749 §4.1.2.1, §5.2), verbatim and untrusted.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct ServerDetail {
    /// `error`.
    pub error: Option<String>,
    /// `error_description`: untrusted text, never render it as HTML.
    pub error_description: Option<String>,
    /// `error_uri`: untrusted, never navigate to it automatically.
    pub error_uri: Option<String>,
    /// HTTP status of the response.
    pub status: Option<u16>,
    #[cfg(feature = "resource-servers")]
    /// The missing scope ([`ErrorCode::ConsentRequired`]) or the `scope` of an
    /// `insufficient_scope` challenge (RFC 6750 §3).
    pub scope: Option<String>,
    #[cfg(feature = "resource-servers")]
    /// The resource server (RFC 8707 resource indicator) a scoped call was for.
    pub resource: Option<String>,
    #[cfg(feature = "resource-servers")]
    /// `acr_values` of a step-up challenge (RFC 9470 §3), space-separated.
    pub acr_values: Option<String>,
    #[cfg(feature = "resource-servers")]
    /// `max_age` of a step-up challenge (RFC 9470 §3), seconds.
    pub max_age: Option<u64>,
}

impl ServerDetail {
    /// What an authorization server said: `error`, `error_description`, `error_uri`, status.
    #[allow(clippy::needless_update)] // the feature's fields, when enabled
    pub fn said(error: Option<String>, error_description: Option<String>, error_uri: Option<String>, status: Option<u16>) -> Self {
        ServerDetail { error, error_description, error_uri, status, ..Default::default() }
    }
}

/// The one error type of spa-oauth: a stable [`ErrorCode`] plus, when an authorization server
/// sent them, its `error`, `error_description` and `error_uri` (RFC 6749 §4.1.2.1, §5.2) and the
/// HTTP status. Two words wide (the server's details are boxed), so the many `Result`s of the
/// protocol code stay cheap.
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    /// Which rule failed.
    pub code: ErrorCode,
    detail: Option<alloc::boxed::Box<ServerDetail>>,
}

impl Error {
    /// An error with only a code.
    pub const fn new(code: ErrorCode) -> Self {
        Error { code, detail: None }
    }

    /// An error carrying what the server said.
    pub fn with_detail(code: ErrorCode, detail: ServerDetail) -> Self {
        Error { code, detail: Some(alloc::boxed::Box::new(detail)) }
    }

    /// The static message of the code.
    pub const fn message(&self) -> &'static str {
        self.code.message()
    }

    /// The server's `error` value, when it sent one.
    pub fn error(&self) -> Option<&str> {
        self.detail.as_ref()?.error.as_deref()
    }

    /// The server's `error_description`, untrusted text.
    pub fn error_description(&self) -> Option<&str> {
        self.detail.as_ref()?.error_description.as_deref()
    }

    /// The server's `error_uri`, untrusted.
    pub fn error_uri(&self) -> Option<&str> {
        self.detail.as_ref()?.error_uri.as_deref()
    }

    /// The HTTP status of the response that caused this error, when there was one.
    pub fn status(&self) -> Option<u16> {
        self.detail.as_ref()?.status
    }

    /// The detail, when there is one (scope, resource, step-up values).
    pub fn detail(&self) -> Option<&ServerDetail> {
        self.detail.as_deref()
    }

    pub(crate) fn with_status(self, status: u16) -> Self {
        let mut detail = self.detail.map(|d| *d).unwrap_or_default();
        detail.status = Some(status);
        Error::with_detail(self.code, detail)
    }
}

impl From<ErrorCode> for Error {
    fn from(code: ErrorCode) -> Self {
        Error::new(code)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Server fields are untrusted but contain no secret of ours; still keep Debug short.
        f.debug_struct("Error")
            .field("code", &self.code.as_str())
            .field("error", &self.error())
            .field("status", &self.status())
            .finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code.as_str())?;
        f.write_str(": ")?;
        f.write_str(self.code.message())
    }
}

impl core::error::Error for Error {}

/// Every code, in declaration order.
pub const ALL: &[ErrorCode] = {
    use ErrorCode::*;
    &[
        InvalidConfig, InsecureEndpoint, ProtocolParameterOverride, UnsupportedFlow, InsufficientRandomness,
        CallbackMalformed, StateMissing, StateMismatch, TransactionExpired, TransactionMismatch,
        RedirectUriMismatch, IssMissing, IssMismatch, AuthorizationError, CodeMissing,
        UnexpectedCallbackParameter, TokenError, TokenResponseStatus, TokenResponseContentType,
        TokenResponseNotJson, TokenResponseNotObject, AccessTokenInvalid, TokenTypeUnsupported,
        ExpiresInInvalid, ScopeInvalid, RefreshTokenInvalid, IdTokenInvalid, IdTokenMissing,
        DiscoveryInvalid, DiscoveryIssuerMismatch, MetadataMissing, JwksInvalid, KeyNotFound, KeyAmbiguous,
        JwsMalformed, JweUnsupported, AlgUnsupported, CritUnsupported, SignatureInvalid, ClaimInvalid,
        IssuerMismatch, AudienceMismatch, AzpMismatch, TokenExpired, IatInvalid, NotYetValid, NonceMismatch,
        AtHashMismatch, AuthTimeInvalid, IdTokenChanged, IdTokenTypInvalid, RevocationFailed, UserinfoInvalid, UserinfoSubMismatch, NetworkError,
        Timeout, RedirectRefused, StorageUnavailable, CryptoUnavailable, NoBrowserContext, LoginRequired,
        CallbackInProgress, ResourceNotAllowed, ConsentRequired, StepUpRequired, InvalidToken, AcrInvalid,
        ChallengeInvalid, ParError, ParResponseInvalid,
    ]
};

impl ErrorCode {
    /// The code whose [`as_str`](Self::as_str) is `name`.
    pub fn from_name(name: &str) -> Option<ErrorCode> {
        ALL.iter().copied().find(|c| c.as_str() == name)
    }
}

/// Result alias used across the crate.
pub type Result<T> = core::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;


    /// Every code is documented in docs/errors.md and in the TypeScript union, and codes are unique.
    #[test]
    fn codes_are_documented_and_unique() {
        let docs = include_str!("../../docs/errors.md");
        let ts = include_str!("../js/types.rs");
        for (i, c) in ALL.iter().enumerate() {
            let s = c.as_str();
            assert!(docs.contains(&alloc::format!("| `{s}` |")), "{s} missing from docs/errors.md");
            assert!(ts.contains(&alloc::format!("\"{s}\"")), "{s} missing from the TS ErrorCode union");
            assert!(ALL.iter().skip(i + 1).all(|o| o.as_str() != s), "{s} duplicated");
            assert!(!c.message().is_empty());
        }
        let documented = docs.lines().filter(|l| l.starts_with("| `")).count();
        assert_eq!(documented, ALL.len(), "docs/errors.md lists a code that does not exist");
    }
}
