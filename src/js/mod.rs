//! The JavaScript face of the client (`#[wasm_bindgen]`): the npm package's `AuthClient` class
//! and the low-level helpers, with camelCase names and the API of docs/js-api.md. Everything
//! here converts: option objects in ([`options`]), values out (`serde-wasm-bindgen`), errors out
//! ([`to_js_error`]), promises around the Rust futures. The behaviour is the Rust
//! [`AuthClient`](crate::AuthClient)'s.

mod lowlevel;
mod options;
mod types;

use std::cell::RefCell;

use js_sys::{Function, Promise, Reflect};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::client::{spawn, LocalFuture};
use crate::client::{AuthClient, ClientOptions, Event, LoginOptions, LogoutOptions, RefreshSource, Restored, Revocation, Started, Subscription};
use crate::core::discovery::MetadataKind;
use crate::core::error::{Error, ErrorCode};
use crate::core::jws::Alg;
use crate::core::json::Value;


use options::Options;

fn set(obj: &JsValue, key: &str, value: &JsValue) {
    // Setting a property on a fresh Error object cannot fail; ignore the impossible case.
    let _ = Reflect::set(obj, &JsValue::from_str(key), value);
}

/// A core error as a JavaScript `Error` named `SpaOAuthError`: the stable `code` (also in the
/// message, `spa-oauth: <code>`; docs/errors.md explains each), and the server's `error`,
/// `error_description`, `error_uri` and the HTTP `status` when there are any (untrusted text,
/// never in the message; ARCHITECTURE §4).
pub(crate) fn to_js_error(e: &Error) -> JsValue {
    let code = e.code.as_str();
    let err: JsValue = js_sys::Error::new(&["spa-oauth: ", code].concat()).into();
    set(&err, "name", &"SpaOAuthError".into());
    set(&err, "code", &code.into());
    if let Some(v) = e.error() {
        set(&err, "error", &v.into());
    }
    if let Some(v) = e.error_description() {
        set(&err, "error_description", &v.into());
    }
    if let Some(v) = e.error_uri() {
        set(&err, "error_uri", &v.into());
    }
    if let Some(s) = e.status() {
        set(&err, "status", &JsValue::from_f64(f64::from(s)));
    }
    #[cfg(feature = "resource-servers")]
    if let Some(d) = e.detail() {
        for (k, v) in [("scope", &d.scope), ("resource", &d.resource), ("acrValues", &d.acr_values)] {
            if let Some(v) = v {
                set(&err, k, &v.as_str().into());
            }
        }
        if let Some(m) = d.max_age {
            set(&err, "maxAge", &JsValue::from_f64(m as f64));
        }
    }
    err
}

fn js_err(e: Error) -> JsValue {
    to_js_error(&e)
}

/// A value out to JavaScript as plain objects (`null` for `None`).
pub(crate) fn to_js<T: Serialize + ?Sized>(v: &T) -> JsValue {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).unwrap_or(JsValue::NULL)
}

/// A core JSON value, serializable (claims, UserInfo).
pub(crate) struct Json<'a>(pub(crate) &'a Value);

impl Serialize for Json<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self.0 {
            Value::Null => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Number(n) => s.serialize_f64(*n),
            Value::String(v) => s.serialize_str(v),
            Value::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for i in items {
                    seq.serialize_element(&Json(i))?;
                }
                seq.end()
            }
            Value::Object(members) => {
                let mut map = s.serialize_map(Some(members.len()))?;
                for (k, v) in members {
                    map.serialize_entry(k, &Json(v))?;
                }
                map.end()
            }
        }
    }
}

fn json_or_null(v: Option<Value>) -> JsValue {
    v.as_ref().map_or(JsValue::NULL, |v| to_js(&Json(v)))
}

/// A promise of a Rust future's outcome (rejections are `SpaOAuthError`s). Not generic: one
/// instantiation of the promise glue for every export (a size measure).
fn promise(f: LocalFuture<'static, Result<JsValue, Error>>) -> Promise {
    spawn(Box::pin(async move { f.await.map_err(js_err) }))
}

/// A plain object `{key: value, ...}` out to JavaScript (through the same serializer as
/// claims: struct serialization would add serde-wasm-bindgen's key-interning cache, ~2 kB).
pub(crate) fn object(members: Vec<(&str, Value)>) -> JsValue {
    to_js(&Json(&Value::Object(members.into_iter().map(|(k, v)| (String::from(k), v)).collect())))
}

/// A string value, or `null`.
pub(crate) fn text_or_null(v: Option<&str>) -> Value {
    v.map_or(Value::Null, |s| Value::String(s.into()))
}

fn number_or_null(v: Option<f64>) -> Value {
    v.map_or(Value::Null, Value::Number)
}

/// `AuthClient.create` options → [`ClientOptions`].
fn client_options(o: &Options) -> Result<ClientOptions, Error> {
    let invalid = || Error::new(ErrorCode::InvalidConfig);
    let mut c = ClientOptions::new(o.required_string("issuer")?, o.required_string("clientId")?, o.required_string("redirectUri")?);
    let s = |k: &str| o.string(k).map(|v| v.map(String::from));
    c.scope = s("scope")?;
    c.authorization_endpoint = s("authorizationEndpoint")?;
    c.token_endpoint = s("tokenEndpoint")?;
    c.jwks_uri = s("jwksUri")?;
    c.userinfo_endpoint = s("userinfoEndpoint")?;
    c.revocation_endpoint = s("revocationEndpoint")?;
    c.end_session_endpoint = s("endSessionEndpoint")?;
    c.authorization_response_iss_parameter_supported = o.boolean("authorizationResponseIssParameterSupported")?;
    c.discovery = match o.string("discovery")? {
        None | Some("openid-configuration") => MetadataKind::OpenIdConfiguration,
        Some("oauth-authorization-server") => MetadataKind::OAuthAuthorizationServer,
        Some(_) => return Err(invalid()),
    };
    c.id_token_signing_alg_values = o.string_list("idTokenSigningAlgValues")?.map(|names| names.iter().map(|n| Alg::from_name(n).ok_or_else(invalid)).collect()).transpose()?;
    c.trusted_audiences = o.string_list("trustedAudiences")?.unwrap_or_default().into_iter().map(String::from).collect();
    c.clock_tolerance_seconds = o.u32_in("clockToleranceSeconds", 0, 600)?.unwrap_or(30);
    c.refresh_margin_seconds = o.u32_in("refreshMarginSeconds", 0, 3600)?.unwrap_or(60);
    c.timeout_ms = o.u32_in("timeoutMs", 1, 600_000)?.unwrap_or(30_000);
    c.allow_string_expires_in = o.boolean("allowStringExpiresIn")?.unwrap_or(false);
    c.allow_any_content_type = o.boolean("allowAnyContentType")?.unwrap_or(false);
    c.allow_auth_time_change = o.boolean("allowAuthTimeChange")?.unwrap_or(false);
    c.allow_error_without_iss = o.boolean("allowErrorWithoutIss")?.unwrap_or(false);
    // Options of the full build given to the default one: refused, never silently ignored.
    #[cfg(not(all(feature = "dpop", feature = "par", feature = "resource-servers")))]
    for (key, built) in [("dpop", cfg!(feature = "dpop")), ("dpopAlgorithm", cfg!(feature = "dpop")), ("dpopPersist", cfg!(feature = "dpop")), ("par", cfg!(feature = "par")), ("resourceServers", cfg!(feature = "resource-servers")), ("resourceIndicators", cfg!(feature = "resource-servers"))] {
        if !built && o.get(key).is_some() {
            return Err(invalid());
        }
    }
    #[cfg(feature = "dpop")]
    {
        c.dpop = o.boolean("dpop")?.unwrap_or(false);
        c.dpop_ed25519 = match o.string("dpopAlgorithm")? {
            None | Some("ES256") => false,
            Some("EdDSA") => true,
            Some(_) => return Err(invalid()),
        };
        c.dpop_persist = o.boolean("dpopPersist")?.unwrap_or(false);
    }
    #[cfg(feature = "par")]
    {
        c.par = o.boolean("par")?.unwrap_or(false);
    }
    #[cfg(feature = "resource-servers")]
    {
        c.resource_servers = o.string_list("resourceServers")?.unwrap_or_default().into_iter().map(String::from).collect();
        c.resource_indicators = o.boolean("resourceIndicators")?.unwrap_or(true);
    }
    Ok(c)
}

/// `loginWithRedirect` options → [`LoginOptions`].
pub(crate) fn login_options(o: &Options) -> Result<LoginOptions, Error> {
    Ok(LoginOptions { scope: o.string("scope")?.map(String::from), extra_params: o.params("extraParams")?, return_to: o.string("returnTo")?.map(String::from) })
}

/// An OAuth 2.0 / OpenID Connect client for one authorization server (RFC 6749 §4.1 with
/// RFC 7636 PKCE). Create it with `await AuthClient.create(options)`. Tokens live in the
/// WebAssembly module's memory only: nothing on this object carries one.
#[wasm_bindgen(js_name = AuthClient)]
pub struct JsAuthClient {
    inner: AuthClient,
    handlers: RefCell<Vec<(String, Function, Subscription)>>,
}

impl Drop for JsAuthClient {
    fn drop(&mut self) {
        // free(), or the object was garbage-collected: listeners, channel, timer and session go.
        self.inner.close();
    }
}

#[wasm_bindgen(js_class = AuthClient)]
impl JsAuthClient {
    /// Use `AuthClient.create(options)`: `new AuthClient()` throws `invalid_config`.
    #[wasm_bindgen(constructor)]
    pub fn new() -> Result<JsAuthClient, JsValue> {
        Err(js_err(ErrorCode::InvalidConfig.into()))
    }

    /// Creates a client. Without `authorizationEndpoint` and `tokenEndpoint` it reads the
    /// provider metadata first (OIDC Discovery §4, or RFC 8414 §3 with
    /// `discovery: "oauth-authorization-server"`): the metadata `issuer` must equal `issuer`
    /// exactly, endpoints must be https (loopback excepted), redirects are not followed.
    /// Rejects with `invalid_config`, `insecure_endpoint`, `discovery_invalid`,
    /// `discovery_issuer_mismatch`, `metadata_missing`, `network_error`, `timeout`.
    #[wasm_bindgen(unchecked_return_type = "Promise<AuthClient>")]
    pub fn create(#[wasm_bindgen(unchecked_param_type = "AuthClientOptions")] options: JsValue) -> Promise {
        let o = Options::read(&options, true).and_then(|o| client_options(&o));
        promise(Box::pin(async move {
            let inner = AuthClient::create(o?).await?;
            Ok(JsValue::from(JsAuthClient { inner, handlers: RefCell::new(Vec::new()) }))
        }))
    }

    /// Starts a login (RFC 6749 §4.1.1 + RFC 7636 §4.3): stores the transaction (state, nonce,
    /// verifier; sessionStorage, 10 minutes, single use) and navigates to the authorization
    /// endpoint. Rejects with `protocol_parameter_override`, `invalid_config`,
    /// `storage_unavailable`, `crypto_unavailable`, `no_browser_context`.
    #[wasm_bindgen(js_name = loginWithRedirect, unchecked_return_type = "Promise<void>")]
    pub fn login_with_redirect(&self, #[wasm_bindgen(unchecked_optional_param_type = "LoginOptions")] options: JsValue) -> Promise {
        #[cfg(feature = "par")]
        {
            // A pushed request when the client uses PAR (RFC 9126), else the plain one.
            let (inner, l) = (self.inner.clone(), self.login(&options));
            promise(Box::pin(async move { inner.login_with_par(&l?).await.map(|()| JsValue::UNDEFINED) }))
        }
        #[cfg(not(feature = "par"))]
        {
            let r = self.login(&options).and_then(|l| self.inner.login_with_redirect(&l));
            settled(r.map(|()| JsValue::UNDEFINED))
        }
    }

    /// Like `loginWithRedirect` but resolves the authorization URL instead of navigating, for
    /// apps that navigate themselves. The transaction is stored the same way.
    #[wasm_bindgen(js_name = createAuthorizationUrl, unchecked_return_type = "Promise<string>")]
    pub fn create_authorization_url(&self, #[wasm_bindgen(unchecked_optional_param_type = "LoginOptions")] options: JsValue) -> Promise {
        #[cfg(feature = "par")]
        {
            let (inner, l) = (self.inner.clone(), self.login(&options));
            promise(Box::pin(async move { inner.par_authorization_url(&l?).await.map(JsValue::from) }))
        }
        #[cfg(not(feature = "par"))]
        {
            let r = self.login(&options).and_then(|l| self.inner.create_authorization_url(&l));
            settled(r.map(JsValue::from))
        }
    }

    /// True when `url` (default: the current location) is an authorization response for this
    /// client: it is at the redirect URI and carries `state` with `code` or `error`.
    #[wasm_bindgen(js_name = isRedirectCallback)]
    pub fn is_redirect_callback(&self, url: Option<String>) -> bool {
        self.inner.is_redirect_callback(url.as_deref())
    }

    /// Completes a login (RFC 6749 §4.1.2, §4.1.3; RFC 9207): validates the response at `url`
    /// (default: the current location) against the stored transaction, removes `code`, `state`,
    /// `iss`, `session_state` from the address bar, exchanges the code (POST, no redirects, no
    /// cookies) and keeps the tokens in memory. Resolves `{ scope, expiresAt }`.
    #[wasm_bindgen(js_name = handleRedirectCallback, unchecked_return_type = "Promise<CallbackResult>")]
    pub fn handle_redirect_callback(&self, url: Option<String>) -> Promise {
        let inner = self.inner.clone();
        promise(Box::pin(async move {
            let r = inner.handle_redirect_callback(url.as_deref()).await?;
            Ok(object(vec![("scope", Value::String(r.scope)), ("expiresAt", number_or_null(r.expires_at))]))
        }))
    }

    /// True when an unexpired access token is in memory.
    #[wasm_bindgen(js_name = isAuthenticated)]
    pub fn is_authenticated(&self) -> bool {
        self.inner.is_authenticated()
    }

    /// Access-token expiry in milliseconds since the epoch; `null` when unknown or logged out.
    #[wasm_bindgen(js_name = getTokenExpiry, unchecked_return_type = "number | null")]
    pub fn get_token_expiry(&self) -> JsValue {
        self.inner.token_expiry().map_or(JsValue::NULL, JsValue::from_f64)
    }

    /// The granted scope (RFC 6749 §5.1, §3.3); `null` when logged out.
    #[wasm_bindgen(js_name = getGrantedScope, unchecked_return_type = "string | null")]
    pub fn get_granted_scope(&self) -> JsValue {
        self.inner.granted_scope().map_or(JsValue::NULL, JsValue::from)
    }

    /// The validated claims of the current ID token (signature verified with WebCrypto, claims
    /// checked per OIDC Core §3.1.3.7), or `null`.
    #[wasm_bindgen(js_name = getIdTokenClaims, unchecked_return_type = "IdTokenClaims | null")]
    pub fn get_id_token_claims(&self) -> JsValue {
        json_or_null(self.inner.id_token_claims())
    }

    /// The user: the validated ID-token claims merged with the last UserInfo response (which
    /// wins for claims it carries), or `null` when logged out.
    #[wasm_bindgen(js_name = getUser, unchecked_return_type = "UserInfo | null")]
    pub fn get_user(&self) -> JsValue {
        let claims = json_or_null(self.inner.id_token_claims());
        match self.inner.last_user_info() {
            Some(info) if claims.is_object() => {
                let target: &js_sys::Object = claims.unchecked_ref();
                let source: js_sys::Object = to_js(&Json(&info)).unchecked_into();
                js_sys::Object::assign(target, &source).into()
            }
            _ => claims,
        }
    }

    /// Calls the UserInfo endpoint (OIDC Core §5.3) with the access token in the
    /// `Authorization` header and resolves its claims; `sub` must equal the ID token's.
    /// Rejects with `login_required`, `metadata_missing`, `userinfo_invalid`,
    /// `userinfo_sub_mismatch`, `network_error`, `timeout`, `redirect_refused`.
    #[wasm_bindgen(js_name = getUserInfo, unchecked_return_type = "Promise<UserInfo>")]
    pub fn get_user_info(&self) -> Promise {
        let inner = self.inner.clone();
        promise(Box::pin(async move { inner.user_info().await.map(|v| to_js(&Json(&v))) }))
    }

    /// The access token (send it only in the `Authorization` header, RFC 6750 §2.1): the one in
    /// memory while it has more than `refreshMarginSeconds` left, else a refreshed one (RFC 6749
    /// §6; one request however many callers and tabs ask at once). Rejects with
    /// `login_required` when there is no session or the refresh token was refused (the
    /// `sessionExpired` event fires); a transient failure hands out the still-valid token.
    /// `{ forceRefresh: true }`: a new token even when the one in memory has time left (an API
    /// refused it), single-flighted like any refresh; a failure rejects.
    #[wasm_bindgen(js_name = getAccessToken, unchecked_return_type = "Promise<string>")]
    pub fn get_access_token(&self, #[wasm_bindgen(unchecked_optional_param_type = "AccessTokenOptions")] options: JsValue) -> Promise {
        let o = match read(&options) {
            Ok(o) => o,
            Err(e) => return settled(Err(e)),
        };
        let force = match o.boolean("forceRefresh") {
            Ok(f) => f.unwrap_or(false),
            Err(e) => return settled(Err(e)),
        };
        let inner = self.inner.clone();
        #[cfg(feature = "resource-servers")]
        {
            let (resource, scope) = match (o.string("resource"), o.string("scope")) {
                (Ok(r), Ok(s)) => (r.map(String::from), s.map(String::from)),
                (Err(e), _) | (_, Err(e)) => return settled(Err(e)),
            };
            if resource.is_some() || scope.is_some() {
                return promise(Box::pin(async move { inner.access_token_for(resource.as_deref(), scope.as_deref()).await.map(|t| JsValue::from_str(t.expose())) }));
            }
        }
        if force {
            return promise(Box::pin(async move { inner.refresh_access_token().await.map(|t| JsValue::from_str(t.expose())) }));
        }
        // The common case, a token with time left, without a future: one call, one promise.
        if let Some(t) = inner.fresh_access_token() {
            return Promise::resolve(&JsValue::from_str(t.expose()));
        }
        promise(Box::pin(async move { inner.access_token().await.map(|t| JsValue::from_str(t.expose())) }))
    }

    /// Subscribes `handler` to `event`: `tokenRefreshed` ({ expiresAt, source }),
    /// `sessionExpired` ({ code }), `loggedOut` ({ code }), `error` (a SpaOAuthError). (Typed
    /// per event by the `AuthClient` interface in the declarations.)
    #[wasm_bindgen(skip_typescript)]
    pub fn on(&self, event: &str, handler: JsValue) -> Result<(), JsValue> {
        let Some(f) = crate::client::is_function(&handler).then(|| Function::from(handler)) else {
            return Err(js_err(ErrorCode::InvalidConfig.into()));
        };
        let name = String::from(event);
        let (target, wanted) = (f.clone(), name.clone());
        let sub = self.inner.on(move |e: &Event| {
            let (kind, payload) = match e {
                Event::TokenRefreshed { expires_at, source } => {
                    let source = if *source == RefreshSource::Tab { "tab" } else { "refresh" };
                    ("tokenRefreshed", object(vec![("expiresAt", number_or_null(*expires_at)), ("source", Value::String(source.into()))]))
                }
                Event::SessionExpired => ("sessionExpired", object(vec![("code", Value::String("login_required".into()))])),
                Event::LoggedOut => ("loggedOut", object(vec![("code", Value::String("logged_out".into()))])),
                Event::Error(e) => ("error", to_js_error(e)),
                Event::Warning(code) => ("warning", object(vec![("code", Value::String((*code).into()))])),
                #[cfg(feature = "resource-servers")]
                Event::Fetch(r) => (
                    "fetch",
                    object(vec![
                        ("url", Value::String(r.url.clone())),
                        ("method", Value::String(r.method.clone())),
                        ("status", Value::Number(f64::from(r.status))),
                        ("resource", Value::String(r.resource.clone())),
                        ("scope", Value::String(r.scope.clone())),
                        ("tokenId", Value::String(r.token_id.clone())),
                        ("retried", Value::Bool(r.retried)),
                    ]),
                ),
                #[cfg(feature = "resource-servers")]
                Event::ConsentRequired(e) => ("consentRequired", to_js_error(e)),
                #[cfg(feature = "resource-servers")]
                Event::StepUpRequired(e) => ("stepUpRequired", to_js_error(e)),
            };
            if kind == wanted {
                // A throwing handler never breaks the client.
                let _ = target.call1(&JsValue::UNDEFINED, &payload);
            }
        });
        self.handlers.borrow_mut().push((name, f, sub));
        Ok(())
    }

    /// Unsubscribes a handler given to `on`.
    #[wasm_bindgen(skip_typescript)]
    pub fn off(&self, event: &str, handler: JsValue) {
        let mut hs = self.handlers.borrow_mut();
        hs.retain(|(e, f, sub)| {
            let same = e == event && JsValue::from(f.clone()) == handler;
            if same {
                self.inner.off(*sub);
            }
            !same
        });
    }

    /// Restores the session after a reload (tokens live in memory only): from another open tab
    /// of this origin if one has it; otherwise, unless `silent: false`, with one top-level
    /// `prompt=none` authorization redirect (no iframe, no third-party cookies), at most once per
    /// two minutes (a `login_required` answer ends as unauthenticated, never in a loop). Resolves
    /// true when a session is available now, false otherwise (or while the redirect starts).
    #[wasm_bindgen(js_name = restoreSession, unchecked_return_type = "Promise<boolean>")]
    pub fn restore_session(&self, #[wasm_bindgen(unchecked_optional_param_type = "RestoreOptions")] options: JsValue) -> Promise {
        let silent = match read(&options).and_then(|o| o.boolean("silent")) {
            Ok(s) => s.unwrap_or(true),
            Err(e) => return settled(Err(e)),
        };
        let inner = self.inner.clone();
        promise(Box::pin(async move { inner.restore_session(silent).await.map(|r| JsValue::from(r == Restored::Session)) }))
    }

    /// Logs out (OIDC RP-Initiated Logout 1.0): clears the session from memory in every tab
    /// first, revokes the refresh and access tokens at the RFC 7009 endpoint when the provider
    /// has one (`revoke: false` skips it; a failure is reported by rejecting with
    /// `revocation_failed` and the `error` event, the local logout stands), then navigates to the
    /// `end_session_endpoint` with `client_id`, `post_logout_redirect_uri` and a `state`
    /// (`redirect: false` skips it) — never with `id_token_hint`: the ID token in that URL would
    /// stay in the browser history. Resolves what happened: `{ revoked, redirecting, revocation:
    /// "revoked" | "no_endpoint" | "not_asked" | "no_session" | "failed" }`.
    #[wasm_bindgen(unchecked_return_type = "Promise<LogoutResult>")]
    pub fn logout(&self, #[wasm_bindgen(unchecked_optional_param_type = "LogoutOptions")] options: JsValue) -> Promise {
        let o = read(&options).and_then(|o| {
            Ok(LogoutOptions {
                post_logout_redirect_uri: o.string("postLogoutRedirectUri")?.map(String::from),
                revoke: o.boolean("revoke")?.unwrap_or(true),
                redirect: o.boolean("redirect")?.unwrap_or(true),
            })
        });
        let o = match o {
            Ok(o) => o,
            Err(e) => return settled(Err(e)),
        };
        let inner = self.inner.clone();
        promise(Box::pin(async move {
            let out = inner.logout(&o).await?;
            let revocation = match out.revocation {
                Revocation::Revoked => "revoked",
                Revocation::NoEndpoint => "no_endpoint",
                Revocation::NotAsked => "not_asked",
                Revocation::NoSession => "no_session",
                Revocation::Failed => "failed",
            };
            Ok(object(vec![
                ("revoked", Value::Bool(out.revoked)),
                ("redirecting", Value::Bool(out.redirecting)),
                ("revocation", Value::String(revocation.into())),
            ]))
        }))
    }

    /// The one call an app makes at start-up: completes a login when the page is the redirect
    /// callback, recognises the return from its own logout, else restores the session (another
    /// tab, else one silent `prompt=none` redirect, loop-guarded). Resolves `"authenticated"`,
    /// `"redirecting"` (a silent redirect is under way: render nothing) or `"anonymous"`; a silent
    /// attempt the provider answered with `login_required` resolves `"anonymous"`. Rejects with
    /// the callback's codes (e.g. `authorization_error` when the user cancelled).
    #[wasm_bindgen(unchecked_return_type = "Promise<\"authenticated\" | \"redirecting\" | \"anonymous\">")]
    pub fn start(&self) -> Promise {
        let inner = self.inner.clone();
        promise(Box::pin(async move {
            Ok(JsValue::from_str(match inner.start().await? {
                Started::Authenticated => "authenticated",
                Started::Redirecting => "redirecting",
                Started::Anonymous => "anonymous",
            }))
        }))
    }

    /// After an RP-initiated logout: true when `url` (default: the current location) carries
    /// the `state` of a logout started in this tab; false for a missing or foreign state
    /// (catalogue LO-01, LO-02: never trusted as our logout). Removes `state` from the address bar.
    #[wasm_bindgen(js_name = handleLogoutCallback)]
    pub fn handle_logout_callback(&self, url: Option<String>) -> bool {
        self.inner.handle_logout_callback(url.as_deref())
    }
}

/// DPoP (feature `dpop`: the package's `full` build).
#[cfg(feature = "dpop")]
#[wasm_bindgen(js_class = AuthClient)]
impl JsAuthClient {
    /// The RFC 7638 thumbprint of the key the session's tokens are bound to (RFC 9449 §6: the
    /// `jkt` in their `cnf`), or `null` (no session, or `dpop` is off).
    #[wasm_bindgen(js_name = dpopThumbprint, unchecked_return_type = "string | null")]
    pub fn dpop_thumbprint(&self) -> JsValue {
        self.inner.dpop_thumbprint().map_or(JsValue::NULL, JsValue::from)
    }
}

/// Calls to resource servers (feature `resource-servers`: the package's `full` build).
#[cfg(feature = "resource-servers")]
#[wasm_bindgen(js_class = AuthClient)]
impl JsAuthClient {
    /// Like the browser's `fetch(input, init)`, for a resource server of `resourceServers`: sends
    /// the request with `Authorization: Bearer <token>` (RFC 6750 §2.1) — a token for that
    /// resource server (RFC 8707) whose scope covers `init.scope` (the space-separated scope the
    /// call needs) — and resolves the `Response`. A URL under no resource server rejects with
    /// `resource_not_allowed` (no request); redirects are not followed (`redirect_refused`);
    /// `401 invalid_token` → one refresh and one retry (then `invalid_token`); `403
    /// insufficient_scope` → `consent_required` with `scope` and `resource` (and the
    /// `consentRequired` event); `401 insufficient_user_authentication` → `step_up_required` with
    /// `acrValues` and `maxAge` (and `stepUpRequired`); a malformed challenge →
    /// `challenge_invalid`. Nothing is ever retried more than once. Every answer fires `fetch`.
    #[wasm_bindgen(unchecked_return_type = "Promise<Response>")]
    pub fn fetch(&self, #[wasm_bindgen(unchecked_param_type = "RequestInfo | URL")] input: JsValue, #[wasm_bindgen(unchecked_optional_param_type = "AuthorizedRequestInit")] init: JsValue) -> Promise {
        let request = request_of(&input, &init);
        let scope = if init.is_object() { Reflect::get(&init, &"scope".into()).ok().filter(|v| !v.is_undefined()) } else { None };
        let scope = match scope.map(|v| v.as_string().ok_or_else(|| Error::new(ErrorCode::InvalidConfig))).transpose() {
            Ok(s) => s,
            Err(e) => return settled(Err(e)),
        };
        let inner = self.inner.clone();
        promise(Box::pin(async move {
            let r = inner.fetch(&request?, scope.as_deref()).await?;
            Ok(r.into())
        }))
    }

    /// The tokens in memory, without their values: `[{ id, resource, scope, expiresAt }]`, the
    /// session's first (`resource: null`). `id` is a fingerprint (48 bits of SHA-256) for logs.
    #[wasm_bindgen(unchecked_return_type = "TokenInfo[]")]
    pub fn tokens(&self) -> JsValue {
        let list = self.inner.tokens().into_iter().map(|t| {
            Value::Object(vec![
                ("id".into(), Value::String(t.id)),
                ("resource".into(), text_or_null(t.resource.as_deref())),
                ("scope".into(), Value::String(t.scope)),
                ("expiresAt".into(), number_or_null(t.expires_at)),
            ])
        });
        to_js(&Json(&Value::Array(list.collect())))
    }
}

impl JsAuthClient {
    fn login(&self, options: &JsValue) -> Result<LoginOptions, Error> {
        read(options).and_then(|o| login_options(&o))
    }
}

#[cfg(feature = "resource-servers")]
/// `new Request(input, init)`: the browser resolves a relative URL and reads `init` (its
/// `scope` member is ours; the browser ignores it). Errors: `invalid_config`.
fn request_of(input: &JsValue, init: &JsValue) -> Result<web_sys::Request, Error> {
    let invalid = || Error::new(ErrorCode::InvalidConfig);
    let class: Function = Reflect::get(&js_sys::global(), &"Request".into()).map_err(|_| invalid())?.dyn_into().map_err(|_| invalid())?;
    let args = js_sys::Array::of2(input, init);
    Reflect::construct(&class, &args).map_err(|_| invalid())?.dyn_into().map_err(|_| invalid())
}

fn read(options: &JsValue) -> Result<Options, Error> {
    Options::read(options, false)
}

/// A promise already settled with `r`.
fn settled(r: Result<JsValue, Error>) -> Promise {
    match r {
        Ok(v) => Promise::resolve(&v),
        Err(e) => Promise::reject(&to_js_error(&e)),
    }
}
