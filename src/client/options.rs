//! Options of the client (Rust API; the JavaScript face reads its option objects into these).

use crate::core::authorize::{self, AuthorizationRequest};
use crate::core::config::ClientConfig;
use crate::core::discovery::{self, MetadataKind, ProviderMetadata};
use crate::core::error::{Error, ErrorCode};
use crate::core::jws::Alg;
use crate::core::token::TokenResponsePolicy;
use crate::core::uri;

/// Options of [`AuthClient::create`](super::AuthClient::create): the client's registration
/// (RFC 6749 §2, §3) and the provider's endpoints (RFC 8414 §2), or discovery.
///
/// ```no_run
/// # use spa_oauth::ClientOptions;
/// let options = ClientOptions::new("https://login.example.com", "my-spa", "https://app.example.com/")
///     .scope("openid profile")
///     .refresh_margin_seconds(120);
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ClientOptions {
    /// Issuer identifier, compared by exact string equality (RFC 8414 §2, RFC 9207).
    pub issuer: String,
    /// `client_id` of this public client (RFC 6749 §2.2).
    pub client_id: String,
    /// `redirect_uri` registered for this client (RFC 6749 §3.1.2), sent exactly as given.
    pub redirect_uri: String,
    /// Default scope of logins (RFC 6749 §3.3). Default `"openid"`.
    pub scope: Option<String>,
    /// `authorization_endpoint` (RFC 6749 §3.1). With [`Self::token_endpoint`]: no discovery.
    pub authorization_endpoint: Option<String>,
    /// `token_endpoint` (RFC 6749 §3.2).
    pub token_endpoint: Option<String>,
    /// `jwks_uri` (RFC 8414 §2).
    pub jwks_uri: Option<String>,
    /// `userinfo_endpoint` (OIDC Discovery §3).
    pub userinfo_endpoint: Option<String>,
    /// `revocation_endpoint` (RFC 7009; RFC 8414 §2).
    pub revocation_endpoint: Option<String>,
    /// `end_session_endpoint` (OIDC RP-Initiated Logout 1.0 §2.1).
    pub end_session_endpoint: Option<String>,
    /// RFC 9207 §3: require `iss` on authorization responses. Default: the metadata's
    /// `authorization_response_iss_parameter_supported` with discovery, true without.
    pub authorization_response_iss_parameter_supported: Option<bool>,
    /// Which metadata document discovery reads (OIDC Discovery §4 or RFC 8414 §3).
    pub discovery: MetadataKind,
    /// Accepted ID-token `alg`s: the client's registered `id_token_signed_response_alg`
    /// (OIDC Core §3.1.3.7 step 7). Default `[RS256]`.
    pub id_token_signing_alg_values: Option<Vec<Alg>>,
    /// Audiences besides `client_id` accepted in ID tokens (then `azp` must be `client_id`).
    pub trusted_audiences: Vec<String>,
    /// Tolerance for `exp`/`iat`/`nbf`/`auth_time`, seconds (0..=600). Default 30.
    pub clock_tolerance_seconds: u32,
    /// Renew when the access token has less than this left, seconds (0..=3600). Default 60.
    pub refresh_margin_seconds: u32,
    /// Time-out of every back-channel request, milliseconds (1..=600000). Default 30000.
    pub timeout_ms: u32,
    /// Opt-in provider quirk: accept `expires_in` as a numeric string (RFC 6749 §5.1 says
    /// number). Default false.
    pub allow_string_expires_in: bool,
    /// Opt-in provider quirk: accept a token response whose `Content-Type` is not
    /// `application/json` (e.g. `text/plain`) when its body is a valid JSON object (RFC 6749
    /// §5.1 says `application/json`). Default false.
    pub allow_any_content_type: bool,
    /// Opt-in provider quirk: a refreshed ID token whose `auth_time` moved (a provider that
    /// reports the user's latest login; OIDC Core §12.2 requires the original) keeps the session
    /// and its original claims, and fires [`Event::Warning`](super::Event::Warning)
    /// `auth_time_changed`, when `sub`, audiences and `azp` are the same. Default false: the
    /// session ends with `id_token_changed`.
    pub allow_auth_time_change: bool,
    /// Opt-in provider quirk: an authorization error response without `iss` from a provider that
    /// advertises RFC 9207 is reported as that error, not as `iss_missing` (a success without
    /// `iss` is still refused). Default false.
    pub allow_error_without_iss: bool,
    #[cfg(feature = "resource-servers")]
    /// The resource servers [`AuthClient::fetch`](super::AuthClient::fetch) may send tokens to
    /// (RFC 6750 §2.1): absolute URLs (https, or http on a loopback host; no query, fragment or
    /// credentials). A request URL is under one when it has the same origin and its path is the
    /// entry's or below it on a segment boundary. Each entry is also the RFC 8707 `resource`
    /// indicator of its tokens (see [`Self::resource_indicators`]). Default: none (the
    /// authorized fetch refuses every URL).
    pub resource_servers: Vec<String>,
    /// Send RFC 8707 `resource` indicators: every login asks for the resource servers, and the
    /// token of a call comes from a refresh grant naming its resource server (an audience-
    /// restricted token per API). Off: calls use the session's token (or a down-scoped one) for
    /// every resource server, for providers without RFC 8707. Default true.
    #[cfg(feature = "resource-servers")]
    pub resource_indicators: bool,
    /// Sender-constrained tokens (RFC 9449 DPoP): a non-extractable P-256 key per session
    /// (WebCrypto, memory only, shared with the other tabs), a proof on every token, UserInfo and
    /// resource request, `token_type` `DPoP` required (a Bearer answer is refused). Default false.
    #[cfg(feature = "dpop")]
    pub dpop: bool,
    /// With [`Self::dpop`]: an Ed25519 key and `EdDSA` proofs (RFC 8037) where the browser's
    /// WebCrypto has Ed25519, else P-256 / `ES256`. Default false (P-256: every browser).
    #[cfg(feature = "dpop")]
    pub dpop_ed25519: bool,
    /// With [`Self::dpop`]: keep the non-extractable key and the DPoP-bound refresh token in
    /// IndexedDB, so a reload with no other tab open keeps the session without a redirect (never
    /// an access or ID token; gone at logout and when the session ends). A same-origin script can
    /// read the refresh token there but cannot use it anywhere else: it is bound to the key,
    /// which cannot be exported. Default false: memory only.
    #[cfg(feature = "dpop")]
    pub dpop_persist: bool,
    /// Pushed authorization requests (RFC 9126): every login's parameters go to the provider's
    /// `pushed_authorization_request_endpoint` first ([`AuthClient::login_with_par`](super::AuthClient::login_with_par)).
    /// Also on when the metadata says `require_pushed_authorization_requests`. Default false.
    #[cfg(feature = "par")]
    pub par: bool,
}

impl ClientOptions {
    /// Options with the three required values and every default.
    pub fn new(issuer: impl Into<String>, client_id: impl Into<String>, redirect_uri: impl Into<String>) -> Self {
        ClientOptions {
            issuer: issuer.into(),
            client_id: client_id.into(),
            redirect_uri: redirect_uri.into(),
            scope: None,
            authorization_endpoint: None,
            token_endpoint: None,
            jwks_uri: None,
            userinfo_endpoint: None,
            revocation_endpoint: None,
            end_session_endpoint: None,
            authorization_response_iss_parameter_supported: None,
            discovery: MetadataKind::OpenIdConfiguration,
            id_token_signing_alg_values: None,
            trusted_audiences: Vec::new(),
            clock_tolerance_seconds: 30,
            refresh_margin_seconds: 60,
            timeout_ms: 30_000,
            allow_string_expires_in: false,
            allow_any_content_type: false,
            allow_auth_time_change: false,
            allow_error_without_iss: false,
            #[cfg(feature = "resource-servers")]
            resource_servers: Vec::new(),
            #[cfg(feature = "resource-servers")]
            resource_indicators: true,
            #[cfg(feature = "dpop")]
            dpop: false,
            #[cfg(feature = "dpop")]
            dpop_ed25519: false,
            #[cfg(feature = "dpop")]
            dpop_persist: false,
            #[cfg(feature = "par")]
            par: false,
        }
    }

    /// Adds a resource server (see [`Self::resource_servers`]).
    #[cfg(feature = "resource-servers")]
    pub fn resource_server(mut self, url: impl Into<String>) -> Self {
        self.resource_servers.push(url.into());
        self
    }

    /// Sets the default scope (RFC 6749 §3.3).
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// Sets explicit authorization and token endpoints (no discovery).
    pub fn endpoints(mut self, authorization: impl Into<String>, token: impl Into<String>) -> Self {
        self.authorization_endpoint = Some(authorization.into());
        self.token_endpoint = Some(token.into());
        self
    }

    /// Sets the JWK Set URL (RFC 8414 §2 `jwks_uri`).
    pub fn jwks_uri(mut self, url: impl Into<String>) -> Self {
        self.jwks_uri = Some(url.into());
        self
    }

    /// Sets the accepted ID-token algorithms.
    pub fn id_token_signing_alg_values(mut self, algs: Vec<Alg>) -> Self {
        self.id_token_signing_alg_values = Some(algs);
        self
    }

    /// Sets the renewal margin in seconds.
    pub fn refresh_margin_seconds(mut self, seconds: u32) -> Self {
        self.refresh_margin_seconds = seconds;
        self
    }

    /// Sets the back-channel time-out in milliseconds.
    pub fn timeout_ms(mut self, ms: u32) -> Self {
        self.timeout_ms = ms;
        self
    }

    /// The validated pieces the client needs before any request: checks ranges and the scope,
    /// and gives the discovery URL unless both endpoints are explicit. Errors:
    /// [`ErrorCode::InvalidConfig`], [`ErrorCode::InsecureEndpoint`].
    pub(crate) fn check(&self) -> Result<(String, Option<String>), Error> {
        let invalid = || Error::new(ErrorCode::InvalidConfig);
        if self.issuer.is_empty() || self.client_id.is_empty() || self.redirect_uri.is_empty() {
            return Err(invalid());
        }
        if self.clock_tolerance_seconds > 600 || self.refresh_margin_seconds > 3600 || !(1..=600_000).contains(&self.timeout_ms) {
            return Err(invalid());
        }
        if self.id_token_signing_alg_values.as_ref().is_some_and(Vec::is_empty) {
            return Err(invalid());
        }
        #[cfg(feature = "resource-servers")]
        for r in &self.resource_servers {
            // RFC 8707 §2: an absolute URI without fragment (and, here, without query).
            if uri::check_endpoint(r)?.query.is_some() {
                return Err(Error::new(ErrorCode::InsecureEndpoint));
            }
        }
        let scope = authorize::normalize_scope(self.scope.as_deref().unwrap_or("openid"))?;
        let discovery = match (&self.authorization_endpoint, &self.token_endpoint) {
            (Some(_), Some(_)) => None,
            _ => Some(discovery::metadata_url(&self.issuer, self.discovery)?),
        };
        Ok((scope, discovery))
    }

    /// The client configuration from these options and, with discovery, the metadata document
    /// (its `issuer` must equal the configured one exactly). An explicit option wins over the
    /// metadata; every endpoint must be https (loopback excepted).
    pub(crate) fn config(&self, metadata: Option<&[u8]>) -> Result<ClientConfig, Error> {
        let m = match metadata {
            Some(body) => discovery::parse_metadata(body, &self.issuer)?,
            None => ProviderMetadata::default(),
        };
        let pick = |explicit: &Option<String>, discovered: Option<String>| -> Result<Option<String>, Error> {
            match explicit.clone().or(discovered) {
                Some(url) => {
                    uri::check_endpoint(&url)?;
                    Ok(Some(url))
                }
                None => Ok(None),
            }
        };
        let jwks_uri = pick(&self.jwks_uri, m.jwks_uri)?;
        let userinfo_endpoint = pick(&self.userinfo_endpoint, m.userinfo_endpoint)?;
        let revocation_endpoint = pick(&self.revocation_endpoint, m.revocation_endpoint)?;
        let end_session_endpoint = pick(&self.end_session_endpoint, m.end_session_endpoint)?;
        let missing = || Error::new(ErrorCode::MetadataMissing);
        let authorization_endpoint = self.authorization_endpoint.clone().or(m.authorization_endpoint).ok_or_else(missing)?;
        let token_endpoint = self.token_endpoint.clone().or(m.token_endpoint).ok_or_else(missing)?;
        let mut config = ClientConfig::new(
            self.issuer.clone(),
            self.client_id.clone(),
            self.redirect_uri.clone(),
            authorization_endpoint,
            token_endpoint,
            // Explicit endpoints without metadata: strict by default (RFC 9207 iss required).
            self.authorization_response_iss_parameter_supported.unwrap_or(if m.issuer.is_empty() { true } else { m.iss_parameter_supported }),
        )?;
        config.jwks_uri = jwks_uri;
        config.userinfo_endpoint = userinfo_endpoint;
        config.revocation_endpoint = revocation_endpoint;
        config.end_session_endpoint = end_session_endpoint;
        // OIDC Core §3.1.3.7 step 7: RS256, or what the client registered. What the provider
        // merely supports is not accepted by default (catalogue IT-05).
        config.id_token_algs = self.id_token_signing_alg_values.clone().unwrap_or_else(|| vec![Alg::RS256]);
        config.trusted_audiences = self.trusted_audiences.clone();
        config.clock_tolerance = u64::from(self.clock_tolerance_seconds);
        config.allow_error_without_iss = self.allow_error_without_iss;
        #[cfg(feature = "par")]
        if self.par || m.par_required {
            // RFC 9126 §5: required by the provider, or asked for: without an endpoint, no login.
            config.par_endpoint = Some(m.par_endpoint.clone().ok_or(Error::new(ErrorCode::MetadataMissing))?);
        }
        Ok(config)
    }

    pub(crate) fn policy(&self) -> TokenResponsePolicy {
        TokenResponsePolicy {
            allow_string_expires_in: self.allow_string_expires_in,
            allow_any_content_type: self.allow_any_content_type,
            #[cfg(feature = "dpop")]
            dpop: self.dpop,
            #[cfg(not(feature = "dpop"))]
            dpop: false,
        }
    }
}

/// Options of a login ([`AuthClient::login_with_redirect`](super::AuthClient::login_with_redirect)).
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct LoginOptions {
    /// Scope this login asks for besides the client's (RFC 6749 §3.3): incremental
    /// authorization, e.g. the `scope` of a `consent_required` error.
    pub scope: Option<String>,
    /// Extra authorization request parameters (`prompt`, `login_hint`, `max_age`, `resource`...;
    /// only `resource` may repeat, RFC 8707 §2). Protocol parameters (`state`, `nonce`,
    /// `code_challenge`, `redirect_uri`...) are refused with
    /// [`ErrorCode::ProtocolParameterOverride`].
    pub extra_params: Vec<(String, String)>,
    /// Where the address bar goes once the login completed (e.g. the page that asked for more
    /// scope or a step-up): an absolute URL of the redirect URI's origin. Default: the redirect
    /// URI, cleaned.
    pub return_to: Option<String>,
}

impl LoginOptions {
    /// Sets the scope this login adds to the client's (RFC 6749 §3.3).
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// Adds an extra parameter.
    pub fn param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.extra_params.push((name.into(), value.into()));
        self
    }

    /// Sets where the address bar goes after the callback.
    pub fn return_to(mut self, url: impl Into<String>) -> Self {
        self.return_to = Some(url.into());
        self
    }

    /// The request: the client's scope plus this login's (incremental authorization), the extra
    /// parameters, and a `resource` per resource server unless the extras name some.
    pub(crate) fn request(&self, default_scope: &str, resources: &[String]) -> Result<AuthorizationRequest, Error> {
        let mut extra = self.extra_params.clone();
        if !extra.iter().any(|(n, _)| n == "resource") {
            extra.extend(resources.iter().map(|r| (String::from("resource"), r.clone())));
        }
        let scope = match &self.scope {
            Some(s) => authorize::scope_union(default_scope, s)?,
            None => default_scope.into(),
        };
        Ok(AuthorizationRequest { scope, extra })
    }
}

/// Options of [`AuthClient::logout`](super::AuthClient::logout).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct LogoutOptions {
    /// Where the provider sends the browser after logout (must be registered).
    pub post_logout_redirect_uri: Option<String>,
    /// Revoke the refresh and access tokens (RFC 7009) when the provider can. Default true.
    pub revoke: bool,
    /// Navigate to the `end_session_endpoint` when there is one. Default true.
    pub redirect: bool,
}

impl Default for LogoutOptions {
    fn default() -> Self {
        LogoutOptions { post_logout_redirect_uri: None, revoke: true, redirect: true }
    }
}

impl LogoutOptions {
    /// Sets the post-logout redirect URI.
    pub fn post_logout_redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.post_logout_redirect_uri = Some(uri.into());
        self
    }

    /// Whether to revoke the tokens.
    pub fn revoke(mut self, revoke: bool) -> Self {
        self.revoke = revoke;
        self
    }

    /// Whether to navigate to the provider's logout endpoint.
    pub fn redirect(mut self, redirect: bool) -> Self {
        self.redirect = redirect;
        self
    }
}
