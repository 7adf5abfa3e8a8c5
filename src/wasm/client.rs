//! The exported `AuthClient` class: one stateful client per authorization server, made by the
//! async factory `AuthClient.create(options)`. It owns the in-memory session; no token ever
//! leaves wasm memory except as the return value of `getAccessToken()`.

use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::{Cell, RefCell};

use js_sys::{Function, Object, Promise};
use wasm_bindgen::prelude::*;

use crate::core::authorize::{self, AuthorizationRequest, PendingAuthorization, RANDOM_BYTES};
use crate::core::callback::{AuthorizationResponse, CALLBACK_PARAMETERS};
use crate::core::config::ClientConfig;
use crate::core::discovery::{self, MetadataKind};
use crate::core::error::{Error, ErrorCode};
use crate::core::id_token::{self, IdTokenClaims, DEFAULT_MAX_IAT_AGE};
use crate::core::jwk::{self, Jwk};
use crate::core::jws::{self, Alg};
use crate::core::secret::IdToken;
use crate::core::session::Session;
use crate::core::token::{self, HttpRequest, HttpResponse, TokenResponsePolicy};
use crate::core::uri;
use crate::core::userinfo;

use super::error::to_js_error;
use super::options::{set, Options};
use super::{crypto, http, storage, sys};

/// Default timeout of back-channel requests (openid-client's default, catalogue TE-19).
const DEFAULT_TIMEOUT_MS: u32 = 30_000;
/// How long a fetched JWK Set is used before it is fetched again, seconds.
const JWKS_MAX_AGE: f64 = 600.0;
/// Minimum time between refetches caused by an unknown `kid`, seconds: a flood of tokens with
/// random `kid`s causes at most one JWKS request per cooldown.
const JWKS_REFETCH_COOLDOWN: f64 = 60.0;

#[path = "lifecycle.rs"]
mod lifecycle;

/// Default margin before expiry at which `getAccessToken()` refreshes, seconds.
const DEFAULT_REFRESH_MARGIN: f64 = 60.0;
/// First retry delay after a transient refresh failure, ms (doubles up to [`MAX_RETRY_MS`]).
const FIRST_RETRY_MS: f64 = 2_000.0;
const MAX_RETRY_MS: f64 = 60_000.0;
/// How long `restoreSession()` waits for another tab to answer, ms.
const TAB_ANSWER_MS: f64 = 250.0;
/// A silent (`prompt=none`) restore is not retried within this many seconds (loop guard).
const SILENT_GUARD_SECS: u64 = 120;


struct JwksCache {
    keys: Vec<Jwk>,
    fetched_at: f64,
}

struct Inner {
    config: ClientConfig,
    default_scope: String,
    timeout_ms: u32,
    policy: TokenResponsePolicy,
    session: RefCell<Option<Session>>,
    userinfo: RefCell<Option<String>>,
    jwks: RefCell<Option<JwksCache>>,
    last_kid_refetch: Cell<f64>,
    callback_in_progress: Cell<bool>,
    refresh_margin: f64,
    /// The refresh in flight in this tab: every caller shares it (single flight).
    refreshing: RefCell<Option<Promise>>,
    retry_ms: Cell<f64>,
    /// No refresh before this time (seconds) after a failed one: callers get the still-valid token.
    retry_not_before: Cell<f64>,
    /// Another tab of this origin has been heard from.
    peers: Cell<bool>,
    handlers: RefCell<Vec<(String, Function)>>,
    /// Identifies this tab in cross-tab messages.
    tab_id: String,
    /// `spa-oauth <issuer> <client_id>`: the Web Lock and BroadcastChannel name.
    scope_name: String,
    channel: RefCell<JsValue>,
    timer: RefCell<JsValue>,
    /// The JavaScript function of the wake-up closure (timer and page events). The closures hold
    /// only a weak reference to this client and are leaked on purpose: after `free()` they are
    /// harmless no-ops instead of "closure invoked after being dropped" errors in listeners.
    wake: RefCell<Option<Function>>,
}

/// An OAuth 2.0 / OpenID Connect client for one authorization server (RFC 6749 §4.1 with
/// RFC 7636 PKCE). Create it with `await AuthClient.create(options)`.
#[wasm_bindgen]
pub struct AuthClient {
    inner: Rc<Inner>,
}

fn reject(e: Error) -> Promise {
    Promise::reject(&to_js_error(e))
}

/// Options read from JavaScript before anything asynchronous happens.
struct Settings {
    issuer: String,
    client_id: String,
    redirect_uri: String,
    authorization_endpoint: Option<String>,
    token_endpoint: Option<String>,
    jwks_uri: Option<String>,
    userinfo_endpoint: Option<String>,
    revocation_endpoint: Option<String>,
    end_session_endpoint: Option<String>,
    require_iss: Option<bool>,
    discovery: MetadataKind,
    algs: Option<Vec<Alg>>,
    trusted_audiences: Vec<String>,
    clock_tolerance: u64,
    refresh_margin: f64,
    default_scope: String,
    timeout_ms: u32,
    policy: TokenResponsePolicy,
}

fn read_settings(options: JsValue) -> Result<Settings, Error> {
    let o = Options::new(options, true)?;
    let discovery = match o.string("discovery")?.as_deref() {
        None | Some("openid-configuration") => MetadataKind::OpenIdConfiguration,
        Some("oauth-authorization-server") => MetadataKind::OAuthAuthorizationServer,
        Some(_) => return Err(ErrorCode::InvalidConfig.into()),
    };
    let algs = match o.string_list("idTokenSigningAlgValues")? {
        None => None,
        Some(names) => Some(
            names.iter().map(|n| Alg::from_name(n).ok_or(ErrorCode::InvalidConfig)).collect::<Result<Vec<_>, _>>()?,
        ),
    };
    if algs.as_ref().is_some_and(|a| a.is_empty()) {
        return Err(ErrorCode::InvalidConfig.into());
    }
    Ok(Settings {
        issuer: o.required_string("issuer")?,
        client_id: o.required_string("clientId")?,
        redirect_uri: o.required_string("redirectUri")?,
        authorization_endpoint: o.string("authorizationEndpoint")?,
        token_endpoint: o.string("tokenEndpoint")?,
        jwks_uri: o.string("jwksUri")?,
        userinfo_endpoint: o.string("userinfoEndpoint")?,
        revocation_endpoint: o.string("revocationEndpoint")?,
        end_session_endpoint: o.string("endSessionEndpoint")?,
        require_iss: o.boolean("authorizationResponseIssParameterSupported")?,
        discovery,
        algs,
        trusted_audiences: o.string_list("trustedAudiences")?.unwrap_or_default(),
        clock_tolerance: o.u32_in("clockToleranceSeconds", 0, 600)?.unwrap_or(30) as u64,
        refresh_margin: o.u32_in("refreshMarginSeconds", 0, 3600)?.map_or(DEFAULT_REFRESH_MARGIN, f64::from),
        default_scope: authorize::normalize_scope(&o.string("scope")?.unwrap_or_else(|| "openid".into()))?,
        timeout_ms: o.u32_in("timeoutMs", 1, 600_000)?.unwrap_or(DEFAULT_TIMEOUT_MS),
        policy: TokenResponsePolicy {
            allow_string_expires_in: o.boolean("allowStringExpiresIn")?.unwrap_or(false),
            allow_any_content_type: false,
        },
    })
}

/// Builds the client from settings and (optional) discovered metadata.
fn build(s: Settings, metadata: Option<discovery::ProviderMetadata>) -> Result<Inner, Error> {
    let m = metadata.unwrap_or_default();
    let missing = || Error::new(ErrorCode::MetadataMissing);
    let mut config = ClientConfig::new(
        s.issuer,
        s.client_id,
        s.redirect_uri,
        s.authorization_endpoint.or(m.authorization_endpoint).ok_or_else(missing)?,
        s.token_endpoint.or(m.token_endpoint).ok_or_else(missing)?,
        // Explicit endpoints without metadata: strict by default (RFC 9207 iss required).
        s.require_iss.unwrap_or(if m.issuer.is_empty() { true } else { m.iss_parameter_supported }),
    )?;
    for endpoint in [&s.jwks_uri, &s.userinfo_endpoint].into_iter().flatten() {
        uri::check_endpoint(endpoint)?;
    }
    config.jwks_uri = s.jwks_uri.or(m.jwks_uri);
    config.userinfo_endpoint = s.userinfo_endpoint.or(m.userinfo_endpoint);
    config.revocation_endpoint = s.revocation_endpoint.or(m.revocation_endpoint);
    config.end_session_endpoint = s.end_session_endpoint.or(m.end_session_endpoint);
    for endpoint in [&config.revocation_endpoint, &config.end_session_endpoint].into_iter().flatten() {
        uri::check_endpoint(endpoint)?;
    }
    let tab_id = crate::core::pkce::base64url(&sys::random_bytes(12)?);
    let mut scope_name = String::from("spa-oauth ");
    scope_name.push_str(&config.issuer);
    scope_name.push(' ');
    scope_name.push_str(&config.client_id);
    // OIDC Core §3.1.3.7 step 7: RS256, or what the client registered (`id_token_signed_response_alg`,
    // given here as idTokenSigningAlgValues). What the provider merely supports is not accepted
    // by default (catalogue IT-05).
    config.id_token_algs = s.algs.unwrap_or_else(|| alloc::vec![Alg::RS256]);
    config.trusted_audiences = s.trusted_audiences;
    config.clock_tolerance = s.clock_tolerance;
    Ok(Inner {
        config,
        default_scope: s.default_scope,
        timeout_ms: s.timeout_ms,
        policy: s.policy,
        session: RefCell::new(None),
        userinfo: RefCell::new(None),
        jwks: RefCell::new(None),
        last_kid_refetch: Cell::new(f64::NEG_INFINITY),
        callback_in_progress: Cell::new(false),
        refresh_margin: s.refresh_margin,
        refreshing: RefCell::new(None),
        retry_ms: Cell::new(FIRST_RETRY_MS),
        retry_not_before: Cell::new(0.0),
        peers: Cell::new(false),
        handlers: RefCell::new(Vec::new()),
        tab_id,
        scope_name,
        channel: RefCell::new(JsValue::NULL),
        timer: RefCell::new(JsValue::NULL),
        wake: RefCell::new(None),
    })
}

async fn create_inner(options: JsValue) -> Result<Inner, Error> {
    let s = read_settings(options)?;
    if s.authorization_endpoint.is_some() && s.token_endpoint.is_some() {
        return build(s, None);
    }
    let url = discovery::metadata_url(&s.issuer, s.discovery)?;
    let fetched = http::send(&get_request(url), s.timeout_ms).await.map_err(|e| match e.code {
        ErrorCode::NetworkError | ErrorCode::Timeout | ErrorCode::RedirectRefused => e,
        _ => ErrorCode::DiscoveryInvalid.into(),
    })?;
    if fetched.status != 200 {
        return Err(Error::new(ErrorCode::DiscoveryInvalid));
    }
    let metadata = discovery::parse_metadata(&fetched.body, &s.issuer)?;
    build(s, Some(metadata))
}

fn get_request(url: String) -> HttpRequest {
    HttpRequest { method: "GET", url, headers: alloc::vec![("accept", "application/json".into())], body: String::new() }
}

pub(crate) fn login_request(default_scope: &str, options: JsValue) -> Result<AuthorizationRequest, Error> {
    let o = Options::new(options, false)?;
    let scope = o.string("scope")?.unwrap_or_else(|| default_scope.into());
    Ok(AuthorizationRequest { scope, extra: o.params("extraParams")? })
}

/// Removes the authorization response parameters from the address bar (BBA "Historic Note",
/// catalogue BR-01) when `url` is the current location.
fn clean_address_bar(url: &str) {
    let names = js_sys::Array::new();
    for name in CALLBACK_PARAMETERS {
        names.push(&JsValue::from_str(name));
    }
    let clear_hash = AuthorizationResponse::parse(url).is_ok_and(|r| r.fragment_has_tokens());
    http::replace_url_without(url, names, clear_hash);
}

impl Inner {
    /// Reads the session. `try_borrow` keeps RefCell's panic machinery out of the module; a
    /// failed borrow cannot happen (single thread, no re-entrant callers) and reads as "none".
    fn with_session<R>(&self, f: impl FnOnce(Option<&Session>) -> R) -> R {
        match self.session.try_borrow() {
            Ok(s) => f(s.as_ref()),
            Err(_) => f(None),
        }
    }

    /// Replaces the session as a whole (never half-updated).
    fn set_session(&self, session: Option<Session>) {
        if let Ok(mut s) = self.session.try_borrow_mut() {
            *s = session;
        }
    }

    /// Creates the login transaction, stores it, and returns the authorization URL.
    fn begin_login(&self, request: &AuthorizationRequest) -> Result<String, Error> {
        let random = sys::random_bytes(RANDOM_BYTES)?;
        let now = sys::now_secs();
        let (url, pending) = authorize::authorization_request(&self.config, request, &random, now)?;
        storage::sweep(now, None);
        storage::put(&pending)?;
        Ok(url)
    }

    /// Validates the callback and returns the pending transaction and the code; the
    /// transaction is removed from storage whatever the outcome (single use).
    fn accept_callback(&self, url: &str) -> Result<(PendingAuthorization, crate::core::secret::AuthorizationCode), Error> {
        let now = sys::now_secs();
        let response = AuthorizationResponse::parse(url)?;
        let pending = match response.state() {
            Ok(state) => storage::take(state)?,
            Err(e) => return Err(e),
        };
        let silent = pending.as_ref().is_some_and(|p| p.prompt_none);
        let code = response.validate(&self.config, pending.as_ref(), now).map_err(|e| {
            // OIDC Core §3.1.2.6: a silent restore answered "the user must interact" → not logged in.
            let interaction = matches!(e.error(), Some("login_required" | "interaction_required" | "consent_required" | "account_selection_required"));
            if silent && e.code == ErrorCode::AuthorizationError && interaction {
                Error::with_detail(ErrorCode::LoginRequired, crate::core::error::ServerDetail {
                    error: e.error().map(String::from),
                    error_description: e.error_description().map(String::from),
                    ..Default::default()
                })
            } else {
                e
            }
        })?;
        match pending {
            Some(p) => Ok((p, code)),
            None => Err(ErrorCode::StateMismatch.into()),
        }
    }

    async fn handle_callback(self: Rc<Self>, url: String) -> Result<JsValue, Error> {
        let accepted = self.accept_callback(&url);
        clean_address_bar(&url);
        let (pending, code) = match accepted {
            Ok(v) => v,
            Err(e) => {
                // The flow is spent: drop every transaction of this client in this tab.
                storage::sweep(sys::now_secs(), Some(&self.config.client_id));
                return Err(e);
            }
        };
        let request = token::authorization_code_request(&self.config, &pending, &code)?;
        drop(code);
        let fetched = http::send(&request, self.timeout_ms).await?;
        // One instant for the expiry and the session's start, so the lifetime is exact.
        let received_at = sys::now_f64();
        let response = token::process_token_response(
            HttpResponse { status: fetched.status, content_type: fetched.content_type.as_deref(), body: &fetched.body },
            &pending.scope,
            token::expects_id_token(&pending.scope),
            received_at,
            self.policy,
        )
        .map_err(|e| crate::core::challenge::with_challenge(e, fetched.www_authenticate.as_deref()))?;
        let id_claims = match &response.id_token {
            Some(raw) => Some(
                alloc::boxed::Box::pin(self.verify_id_token(
                    raw,
                    pending.nonce.as_ref().map(|n| n.expose()),
                    false,
                    pending.max_age,
                    response.access_token.expose(),
                ))
                .await?,
            ),
            None => None,
        };
        let session = Session::from_token_response(response, id_claims, received_at);
        storage::clear_silent_guard(&self.config.client_id);
        let result = Object::new();
        set(&result, "scope", &JsValue::from_str(&session.scope));
        set(&result, "expiresAt", &session.expires_at.map_or(JsValue::NULL, |s| JsValue::from_f64(s * 1000.0)));
        // Replace the session only now that everything checked out (no half-applied state).
        self.set_session(Some(session));
        if let Ok(mut u) = self.userinfo.try_borrow_mut() {
            *u = None;
        }
        self.broadcast_session();
        self.schedule();
        Ok(result.into())
    }

    /// Fetches the JWK Set (never following redirects) and caches it.
    async fn fetch_jwks(&self) -> Result<(), Error> {
        let url = self.config.jwks_uri.clone().ok_or(ErrorCode::MetadataMissing)?;
        uri::check_endpoint(&url)?;
        let fetched = http::send(&get_request(url), self.timeout_ms).await?;
        if fetched.status != 200 {
            // JW-08: fail closed, never skip verification.
            return Err(Error::new(ErrorCode::JwksInvalid).with_status(fetched.status));
        }
        let keys = jwk::parse_jwks(&fetched.body)?;
        if let Ok(mut c) = self.jwks.try_borrow_mut() {
            *c = Some(JwksCache { keys, fetched_at: sys::now_f64() });
        }
        Ok(())
    }

    fn cached_key(&self, jws: &jws::UnverifiedJws) -> Option<Result<Jwk, Error>> {
        let cache = self.jwks.try_borrow().ok()?;
        let c = cache.as_ref().filter(|c| sys::now_f64() - c.fetched_at < JWKS_MAX_AGE)?;
        Some(jwk::select_key(&c.keys, jws).cloned())
    }

    /// The key for `jws`: from the cache, else a fresh JWK Set; an unknown `kid` causes one
    /// refetch, at most once per cooldown (a key rotation is survived, a kid flood is not amplified).
    async fn key_for(&self, jws: &jws::UnverifiedJws) -> Result<Jwk, Error> {
        match self.cached_key(jws) {
            Some(Ok(key)) => return Ok(key),
            Some(Err(e)) if e.code != ErrorCode::KeyNotFound => return Err(e),
            Some(Err(e)) => {
                let now = sys::now_f64();
                if now - self.last_kid_refetch.get() < JWKS_REFETCH_COOLDOWN {
                    return Err(e);
                }
                self.last_kid_refetch.set(now);
            }
            None => {}
        }
        alloc::boxed::Box::pin(self.fetch_jwks()).await?;
        self.cached_key(jws).unwrap_or_else(|| Err(ErrorCode::KeyNotFound.into()))
    }

    /// Verifies an ID token: signature with WebCrypto, then the claims (OIDC Core §3.1.3.7;
    /// with `nonce_optional` for refreshed tokens, §12.2).
    async fn verify_id_token(&self, raw: &IdToken, nonce: Option<&str>, nonce_optional: bool, max_age: Option<u64>, access_token: &str) -> Result<IdTokenClaims, Error> {
        let parsed = jws::parse_compact(raw.expose(), &self.config.id_token_algs)?;
        let key = alloc::boxed::Box::pin(self.key_for(&parsed)).await?;
        let verified = alloc::boxed::Box::pin(crypto::verify(parsed, &key)).await?;
        let expect = id_token::Expectations {
            issuer: &self.config.issuer,
            client_id: &self.config.client_id,
            trusted_audiences: &self.config.trusted_audiences,
            nonce,
            nonce_optional,
            max_age,
            access_token: Some(access_token),
            now: sys::now_secs(),
            clock_tolerance: self.config.clock_tolerance,
            max_iat_age: DEFAULT_MAX_IAT_AGE,
        };
        id_token::validate(&verified, &expect)
    }

    async fn fetch_userinfo(self: Rc<Self>) -> Result<JsValue, Error> {
        let endpoint = self.config.userinfo_endpoint.clone().ok_or(ErrorCode::MetadataMissing)?;
        let (request, sub) = self.with_session(|s| {
            let s = s.filter(|s| s.is_fresh(sys::now_f64(), 0.0)).ok_or(ErrorCode::LoginRequired)?;
            let sub = s.id_claims.as_ref().map(|c| c.sub.clone()).ok_or(ErrorCode::LoginRequired)?;
            Ok::<_, Error>((userinfo::userinfo_request(&endpoint, &s.access_token)?, sub))
        })?;
        let fetched = http::send(&request, self.timeout_ms).await?;
        let json = userinfo::process_userinfo_response(
            HttpResponse { status: fetched.status, content_type: fetched.content_type.as_deref(), body: &fetched.body },
            &sub,
        )
        .map_err(|e| crate::core::challenge::with_challenge(e, fetched.www_authenticate.as_deref()))?;
        // The session may have changed while the request was in flight: keep only a match.
        let still = self.with_session(|s| s.and_then(|s| s.id_claims.as_ref()).is_some_and(|c| c.sub == sub));
        if !still {
            return Err(ErrorCode::LoginRequired.into());
        }
        let value = js_sys::JSON::parse(&json).map_err(|_| Error::new(ErrorCode::UserinfoInvalid))?;
        if let Ok(mut u) = self.userinfo.try_borrow_mut() {
            *u = Some(json);
        }
        Ok(value)
    }
}

impl AuthClient {
    fn attached(inner: Inner) -> AuthClient {
        let inner = Rc::new(inner);
        inner.attach();
        AuthClient { inner }
    }

    /// The synchronous core of `AuthClient.create`, for Rust callers and tests.
    /// Explicit endpoints only (no discovery); `metadata_missing` otherwise.
    pub fn from_options(options: JsValue) -> Result<AuthClient, JsValue> {
        read_settings(options)
            .and_then(|s| build(s, None))
            .map(AuthClient::attached)
            .map_err(to_js_error)
    }
}

#[wasm_bindgen]
impl AuthClient {
    /// Creates a client. Without `authorizationEndpoint` and `tokenEndpoint` it reads the
    /// provider metadata first (OIDC Discovery §4, or RFC 8414 §3 with
    /// `discovery: "oauth-authorization-server"`): the metadata `issuer` must equal `issuer`
    /// exactly, endpoints must be https (loopback excepted), redirects are not followed.
    /// Rejects with `invalid_config`, `insecure_endpoint`, `discovery_invalid`,
    /// `discovery_issuer_mismatch`, `metadata_missing`, `network_error`, `timeout`.
    #[wasm_bindgen(unchecked_return_type = "Promise<AuthClient>")]
    pub fn create(#[wasm_bindgen(unchecked_param_type = "AuthClientOptions")] options: JsValue) -> Promise {
        crate::wasm::spawn(alloc::boxed::Box::pin(async move {
            match create_inner(options).await {
                Ok(inner) => Ok(JsValue::from(AuthClient::attached(inner))),
                Err(e) => Err(to_js_error(e)),
            }
        }))
    }

    /// Starts a login (RFC 6749 §4.1.1 + RFC 7636 §4.3): stores the transaction (state, nonce,
    /// verifier; sessionStorage, 10 minutes, single use) and navigates to the authorization
    /// endpoint. Rejects with `protocol_parameter_override`, `invalid_config`,
    /// `storage_unavailable`, `crypto_unavailable`.
    #[wasm_bindgen(js_name = loginWithRedirect, unchecked_return_type = "Promise<void>")]
    pub fn login_with_redirect(&self, #[wasm_bindgen(unchecked_param_type = "LoginOptions")] options: Option<Object>) -> Promise {
        let url = login_request(&self.inner.default_scope, options.map_or(JsValue::UNDEFINED, JsValue::from)).and_then(|r| self.inner.begin_login(&r));
        match url.and_then(|u| sys::window()?.location().assign(&u).map_err(|_| ErrorCode::NoBrowserContext.into())) {
            Ok(()) => Promise::resolve(&JsValue::UNDEFINED),
            Err(e) => reject(e),
        }
    }

    /// Like `loginWithRedirect` but returns the authorization URL instead of navigating, for
    /// apps that navigate themselves. The transaction is stored the same way.
    #[wasm_bindgen(js_name = createAuthorizationUrl, unchecked_return_type = "Promise<string>")]
    pub fn create_authorization_url(&self, #[wasm_bindgen(unchecked_param_type = "LoginOptions")] options: Option<Object>) -> Promise {
        match login_request(&self.inner.default_scope, options.map_or(JsValue::UNDEFINED, JsValue::from)).and_then(|r| self.inner.begin_login(&r)) {
            Ok(u) => Promise::resolve(&JsValue::from_str(&u)),
            Err(e) => reject(e),
        }
    }

    /// True when `url` (default: the current location) is an authorization response for this
    /// client: it is at the redirect URI and carries `state` with `code` or `error`.
    #[wasm_bindgen(js_name = isRedirectCallback)]
    pub fn is_redirect_callback(&self, url: Option<String>) -> bool {
        let Some(url) = url.or_else(|| sys::window().ok()?.location().href().ok()) else { return false };
        let Ok(response) = AuthorizationResponse::parse(&url) else { return false };
        let Ok(redirect) = uri::split(&self.inner.config.redirect_uri, ErrorCode::InvalidConfig) else { return false };
        let Ok(here) = uri::split(&url, ErrorCode::CallbackMalformed) else { return false };
        response.looks_like_callback() && uri::base_for_comparison(&redirect) == uri::base_for_comparison(&here)
    }

    /// Completes a login (RFC 6749 §4.1.2, §4.1.3; RFC 9207): validates the response at `url`
    /// (default: the current location) against the stored transaction, removes `code`, `state`,
    /// `iss`, `session_state` from the address bar, exchanges the code (POST, no redirects, no
    /// cookies) and keeps the tokens in memory. Resolves `{ scope, expiresAt }`.
    #[wasm_bindgen(js_name = handleRedirectCallback, unchecked_return_type = "Promise<CallbackResult>")]
    pub fn handle_redirect_callback(&self, url: Option<String>) -> Promise {
        let url = match url.map(Ok).unwrap_or_else(|| {
            sys::window()?.location().href().map_err(|_| ErrorCode::NoBrowserContext.into())
        }) {
            Ok(u) => u,
            Err(e) => return reject(e),
        };
        if self.inner.callback_in_progress.get() {
            return reject(ErrorCode::CallbackInProgress.into());
        }
        self.inner.callback_in_progress.set(true);
        let inner = self.inner.clone();
        crate::wasm::spawn(alloc::boxed::Box::pin(async move {
            let result = inner.clone().handle_callback(url).await;
            inner.callback_in_progress.set(false);
            result.map_err(to_js_error)
        }))
    }

    /// The access token (send it only in the `Authorization` header, RFC 6750 §2.1): the one in
    /// memory while it has more than `refreshMarginSeconds` left, else a refreshed one (RFC 6749
    /// §6; one request however many callers and tabs ask at once). Rejects with
    /// `login_required` when there is no session or the refresh token was refused (the
    /// `sessionExpired` event fires); a transient failure hands out the still-valid token.
    #[wasm_bindgen(js_name = getAccessToken, unchecked_return_type = "Promise<string>")]
    pub fn get_access_token(&self) -> Promise {
        self.inner.access_token()
    }

    /// True when an unexpired access token is in memory.
    #[wasm_bindgen(js_name = isAuthenticated)]
    pub fn is_authenticated(&self) -> bool {
        self.inner.with_session(|s| s.is_some_and(|s| s.is_fresh(sys::now_f64(), 0.0)))
    }

    /// Access-token expiry in milliseconds since the epoch; `null` when unknown or logged out.
    #[wasm_bindgen(js_name = getTokenExpiry, unchecked_return_type = "number | null")]
    pub fn get_token_expiry(&self) -> JsValue {
        self.inner.with_session(|s| s.and_then(|s| s.expires_at).map_or(JsValue::NULL, |s| JsValue::from_f64(s * 1000.0)))
    }

    /// The granted scope (RFC 6749 §5.1, §3.3); `null` when logged out.
    #[wasm_bindgen(js_name = getGrantedScope, unchecked_return_type = "string | null")]
    pub fn get_granted_scope(&self) -> JsValue {
        self.inner.with_session(|s| s.map_or(JsValue::NULL, |s| JsValue::from_str(&s.scope)))
    }

    /// The validated claims of the current ID token (signature verified with WebCrypto, claims
    /// checked per OIDC Core §3.1.3.7), or `null`.
    #[wasm_bindgen(js_name = getIdTokenClaims, unchecked_return_type = "IdTokenClaims | null")]
    pub fn get_id_token_claims(&self) -> JsValue {
        self.inner
            .with_session(|s| s.and_then(|s| s.id_claims.as_ref()).map(|c| js_sys::JSON::parse(&c.json).ok()))
            .flatten()
            .unwrap_or(JsValue::NULL)
    }

    /// Calls the UserInfo endpoint (OIDC Core §5.3) with the access token in the
    /// `Authorization` header and resolves its claims; `sub` must equal the ID token's.
    /// Rejects with `login_required`, `metadata_missing`, `userinfo_invalid`,
    /// `userinfo_sub_mismatch`, `network_error`, `timeout`, `redirect_refused`.
    #[wasm_bindgen(js_name = getUserInfo, unchecked_return_type = "Promise<UserInfo>")]
    pub fn get_user_info(&self) -> Promise {
        let inner = self.inner.clone();
        crate::wasm::spawn(alloc::boxed::Box::pin(async move { inner.fetch_userinfo().await.map_err(to_js_error) }))
    }

    /// The user: the validated ID-token claims merged with the last UserInfo response (which
    /// wins for claims it carries), or `null` when logged out.
    #[wasm_bindgen(js_name = getUser, unchecked_return_type = "UserInfo | null")]
    pub fn get_user(&self) -> JsValue {
        let claims = self.get_id_token_claims();
        if claims.is_null() {
            return claims;
        }
        let info = self.inner.userinfo.try_borrow().ok().and_then(|u| u.as_ref().and_then(|j| js_sys::JSON::parse(j).ok()));
        match info {
            Some(info) => {
                let merged = Object::assign(&Object::new(), claims.unchecked_ref());
                Object::assign(&merged, info.unchecked_ref()).into()
            }
            None => claims,
        }
    }

    /// Logs out (OIDC RP-Initiated Logout 1.0): clears the session from memory in every tab
    /// first, revokes the refresh and access tokens at the RFC 7009 endpoint when the provider
    /// has one (`revoke: false` skips it; a failure is reported by rejecting with
    /// `revocation_failed` and the `error` event, the local logout stands), then navigates to the
    /// `end_session_endpoint` with `id_token_hint`, `client_id`, `post_logout_redirect_uri` and a
    /// `state` (`redirect: false` skips it).
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn logout(&self, #[wasm_bindgen(unchecked_param_type = "LogoutOptions")] options: Option<Object>) -> Promise {
        let read = || -> Result<(Option<String>, bool, bool), Error> {
            let o = Options::new(options.map_or(JsValue::UNDEFINED, JsValue::from), false)?;
            Ok((
                o.string("postLogoutRedirectUri")?,
                o.boolean("revoke")?.unwrap_or(true),
                o.boolean("redirect")?.unwrap_or(true),
            ))
        };
        match read() {
            Ok((uri, revoke, redirect)) => {
                let inner = self.inner.clone();
                crate::wasm::spawn(alloc::boxed::Box::pin(async move {
                    inner.logout(uri, revoke, redirect).await.map(|_| JsValue::UNDEFINED).map_err(to_js_error)
                }))
            }
            Err(e) => reject(e),
        }
    }

    /// After an RP-initiated logout: true when `url` (default: the current location) carries
    /// the `state` of a logout started in this tab; false for a missing or foreign state
    /// (catalogue LO-01, LO-02: never trusted as our logout). Removes `state` from the address bar.
    #[wasm_bindgen(js_name = handleLogoutCallback)]
    pub fn handle_logout_callback(&self, url: Option<String>) -> bool {
        let Some(url) = url.or_else(|| sys::window().ok()?.location().href().ok()) else { return false };
        let state = uri::split(&url, ErrorCode::CallbackMalformed)
            .ok()
            .and_then(|p| crate::core::form::parse_pairs(p.query.unwrap_or("")).ok())
            .and_then(|pairs| pairs.into_iter().find(|(n, _)| n == "state").map(|(_, v)| v));
        let names = js_sys::Array::of1(&JsValue::from_str("state"));
        http::replace_url_without(&url, names, false);
        state.is_some_and(|s| storage::take_logout_state(&s, sys::now_secs()))
    }

    /// Restores the session after a reload (tokens live in memory only): from another open tab
    /// of this origin if one has it; otherwise, unless `silent: false`, with one top-level
    /// `prompt=none` authorization redirect (no iframe, no third-party cookies), at most once per
    /// two minutes (a `login_required` answer ends as unauthenticated, never in a loop). Resolves
    /// true when a session is available now, false otherwise (or while the redirect starts).
    #[wasm_bindgen(js_name = restoreSession, unchecked_return_type = "Promise<boolean>")]
    pub fn restore_session(&self, #[wasm_bindgen(unchecked_param_type = "RestoreOptions")] options: Option<Object>) -> Promise {
        let silent = Options::new(options.map_or(JsValue::UNDEFINED, JsValue::from), false).and_then(|o| o.boolean("silent"));
        match silent {
            Ok(silent) => {
                let inner = self.inner.clone();
                crate::wasm::spawn(alloc::boxed::Box::pin(async move {
                    inner.restore(silent.unwrap_or(true)).await.map(JsValue::from_bool).map_err(to_js_error)
                }))
            }
            Err(e) => reject(e),
        }
    }

    /// Subscribes `handler` to `event`: `tokenRefreshed` ({ expiresAt, source }),
    /// `sessionExpired` ({ code }), `loggedOut` ({ code }), `error` (a SpaOAuthError).
    pub fn on(&self, #[wasm_bindgen(unchecked_param_type = "AuthEvent")] event: String, handler: Function) {
        if let Ok(mut h) = self.inner.handlers.try_borrow_mut() {
            h.push((event, handler));
        }
    }

    /// Unsubscribes a handler given to `on`.
    pub fn off(&self, #[wasm_bindgen(unchecked_param_type = "AuthEvent")] event: String, handler: Function) {
        if let Ok(mut h) = self.inner.handlers.try_borrow_mut() {
            h.retain(|(e, f)| !(e == &event && f == &handler));
        }
    }
}
