//! The exported `AuthClient` class: one stateful client per authorization server, made by the
//! async factory `AuthClient.create(options)`. It owns the in-memory session; no token ever
//! leaves wasm memory except as the return value of `getAccessToken()`.

use alloc::rc::Rc;
use alloc::string::String;
use core::cell::{Cell, RefCell};

use js_sys::{Object, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::core::authorize::{self, AuthorizationRequest, PendingAuthorization, RANDOM_BYTES};
use crate::core::callback::{AuthorizationResponse, CALLBACK_PARAMETERS};
use crate::core::config::ClientConfig;
use crate::core::error::{Error, ErrorCode};
use crate::core::session::Session;
use crate::core::token::{self, HttpResponse, TokenResponsePolicy};
use crate::core::uri;

use super::error::to_js_error;
use super::options::{set, Options};
use super::{http, storage, sys};

/// Default timeout of back-channel requests (openid-client's default, catalogue TE-19).
const DEFAULT_TIMEOUT_MS: u32 = 30_000;

struct Inner {
    config: ClientConfig,
    default_scope: String,
    timeout_ms: u32,
    policy: TokenResponsePolicy,
    session: RefCell<Option<Session>>,
    callback_in_progress: Cell<bool>,
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

fn read_config(options: JsValue) -> Result<Inner, Error> {
    let o = Options::new(options, true)?;
    let config = ClientConfig::new(
        o.required_string("issuer")?,
        o.required_string("clientId")?,
        o.required_string("redirectUri")?,
        o.required_string("authorizationEndpoint")?,
        o.required_string("tokenEndpoint")?,
        o.boolean("authorizationResponseIssParameterSupported")?.unwrap_or(true),
    )?;
    let default_scope = authorize::normalize_scope(&o.string("scope")?.unwrap_or_else(|| "openid".into()))?;
    let timeout_ms = o.u32_in("timeoutMs", 1, 600_000)?.unwrap_or(DEFAULT_TIMEOUT_MS);
    let policy = TokenResponsePolicy {
        allow_string_expires_in: o.boolean("allowStringExpiresIn")?.unwrap_or(false),
        allow_any_content_type: false,
    };
    Ok(Inner {
        config,
        default_scope,
        timeout_ms,
        policy,
        session: RefCell::new(None),
        callback_in_progress: Cell::new(false),
    })
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
    http::replace_url_without(url, names);
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
        let code = response.validate(&self.config, pending.as_ref(), now)?;
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
        let response = token::process_token_response(
            HttpResponse { status: fetched.status, content_type: fetched.content_type.as_deref(), body: &fetched.body },
            &pending.scope,
            token::expects_id_token(&pending.scope),
            sys::now_secs(),
            self.policy,
        )?;
        let session = Session::from_token_response(response);
        let result = Object::new();
        set(&result, "scope", &JsValue::from_str(&session.scope));
        set(&result, "expiresAt", &session.expires_at.map_or(JsValue::NULL, |s| JsValue::from_f64(s * 1000.0)));
        // Replace the session only now that everything checked out (no half-applied state).
        self.set_session(Some(session));
        Ok(result.into())
    }
}

impl AuthClient {
    /// The synchronous core of `AuthClient.create`, for Rust callers and tests.
    pub fn from_options(options: JsValue) -> Result<AuthClient, JsValue> {
        read_config(options).map(|inner| AuthClient { inner: Rc::new(inner) }).map_err(to_js_error)
    }
}

#[wasm_bindgen]
impl AuthClient {
    /// Creates a client from explicit endpoints (RFC 8414 §2 metadata names in camelCase).
    /// Rejects with `invalid_config` or `insecure_endpoint` (endpoints must be https, or http on
    /// a loopback host).
    #[wasm_bindgen(unchecked_return_type = "Promise<AuthClient>")]
    pub fn create(#[wasm_bindgen(unchecked_param_type = "AuthClientOptions")] options: JsValue) -> Promise {
        match read_config(options) {
            Ok(inner) => Promise::resolve(&JsValue::from(AuthClient { inner: Rc::new(inner) })),
            Err(e) => reject(e),
        }
    }

    /// Starts a login (RFC 6749 §4.1.1 + RFC 7636 §4.3): stores the transaction (state, nonce,
    /// verifier; sessionStorage, 10 minutes, single use) and navigates to the authorization
    /// endpoint. Rejects with `protocol_parameter_override`, `invalid_config`,
    /// `storage_unavailable`, `crypto_unavailable`.
    #[wasm_bindgen(js_name = loginWithRedirect, unchecked_return_type = "Promise<void>")]
    pub fn login_with_redirect(&self, #[wasm_bindgen(unchecked_param_type = "LoginOptions")] options: JsValue) -> Promise {
        let url = login_request(&self.inner.default_scope, options).and_then(|r| self.inner.begin_login(&r));
        match url.and_then(|u| sys::window()?.location().assign(&u).map_err(|_| ErrorCode::NoBrowserContext.into())) {
            Ok(()) => Promise::resolve(&JsValue::UNDEFINED),
            Err(e) => reject(e),
        }
    }

    /// Like `loginWithRedirect` but returns the authorization URL instead of navigating, for
    /// apps that navigate themselves. The transaction is stored the same way.
    #[wasm_bindgen(js_name = createAuthorizationUrl, unchecked_return_type = "Promise<string>")]
    pub fn create_authorization_url(&self, #[wasm_bindgen(unchecked_param_type = "LoginOptions")] options: JsValue) -> Promise {
        match login_request(&self.inner.default_scope, options).and_then(|r| self.inner.begin_login(&r)) {
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
        future_to_promise(async move {
            let result = inner.clone().handle_callback(url).await;
            inner.callback_in_progress.set(false);
            result.map_err(to_js_error)
        })
    }

    /// The access token, when one is in memory and not expired; otherwise rejects with
    /// `login_required`. Send it only in the `Authorization` header (RFC 6750 §2.1).
    #[wasm_bindgen(js_name = getAccessToken, unchecked_return_type = "Promise<string>")]
    pub fn get_access_token(&self) -> Promise {
        let token = self.inner.with_session(|s| s.and_then(|s| s.access_token_at(sys::now_f64(), 0.0)).map(|t| JsValue::from_str(t.expose())));
        match token {
            Some(t) => Promise::resolve(&t),
            None => reject(ErrorCode::LoginRequired.into()),
        }
    }

    /// True when an unexpired access token is in memory.
    #[wasm_bindgen(js_name = isAuthenticated)]
    pub fn is_authenticated(&self) -> bool {
        self.inner.with_session(|s| s.is_some_and(|s| s.is_fresh(sys::now_f64(), 0.0)))
    }

    /// Access-token expiry in milliseconds since the epoch; `null` when unknown or logged out.
    #[wasm_bindgen(js_name = getTokenExpiry)]
    pub fn get_token_expiry(&self) -> Option<f64> {
        self.inner.with_session(|s| s.and_then(|s| s.expires_at).map(|s| s * 1000.0))
    }

    /// The granted scope (RFC 6749 §5.1, §3.3); `null` when logged out.
    #[wasm_bindgen(js_name = getGrantedScope)]
    pub fn get_granted_scope(&self) -> Option<String> {
        self.inner.with_session(|s| s.map(|s| s.scope.clone()))
    }

    /// Ends the session locally: drops every token from memory and every pending login
    /// transaction of this client. (Revocation and RP-initiated logout come with the token
    /// lifecycle work.)
    pub fn logout(&self) {
        self.inner.set_session(None);
        storage::sweep(sys::now_secs(), Some(&self.inner.config.client_id));
    }
}
