//! Shared harness of the browser tests (`tests/web.rs`, `tests/oidc_web.rs`; included with
//! `#[path]`): the JavaScript helpers of `tests/support/*.js`, a [`FakeServer`] that replaces
//! `globalThis.fetch` for one test (restored when dropped), a [`Provider`] that plays the
//! authorization server (token, JWKS, UserInfo, revocation endpoints on the test runner's own
//! origin, ID tokens signed with WebCrypto keys), and small readers for what the client left in
//! the page (storage, events).
#![allow(dead_code)]

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Array, Object, Reflect};
use spa_oauth::{AuthClient, CallbackResult, ClientOptions, Error, ErrorCode, Event, LoginOptions};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

pub mod js {
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen(module = "/tests/support/web.js")]
    extern "C" {
        #[wasm_bindgen(js_name = randomBytes)]
        pub fn random_bytes(n: usize) -> Vec<u8>;
        pub async fn sha256(bytes: &[u8]) -> JsValue;
        pub async fn sleep(ms: f64) -> JsValue;
        #[wasm_bindgen(js_name = sha256Base64url)]
        pub async fn sha256_base64url(text: &str) -> JsValue;
        #[wasm_bindgen(js_name = installFetch)]
        pub fn install_fetch();
        #[wasm_bindgen(js_name = restoreFetch)]
        pub fn restore_fetch();
        #[wasm_bindgen(js_name = fetchIsFake)]
        pub fn fetch_is_fake() -> bool;
        pub fn route(url: &str, status: u16, content_type: &str, body: &str, delay_ms: u32, repeat: bool);
        #[wasm_bindgen(js_name = routeNetworkError)]
        pub fn route_network_error(url: &str, repeat: bool);
        #[wasm_bindgen(js_name = routeChallenge)]
        pub fn route_challenge(url: &str, status: u16, challenge: &str);
        #[wasm_bindgen(js_name = clearRoute)]
        pub fn clear_route(url: &str);
        pub fn requests() -> js_sys::Array;
        #[wasm_bindgen(js_name = hideWebLocks)]
        pub fn hide_web_locks() -> bool;
        #[wasm_bindgen(js_name = restoreWebLocks)]
        pub fn restore_web_locks() -> bool;
    }

    #[wasm_bindgen(module = "/tests/support/sign.js")]
    extern "C" {
        #[wasm_bindgen(js_name = signToken)]
        pub async fn sign_token(alg: &str, label: &str, header_alg: &str, claims: JsValue, with_kid: bool) -> JsValue;
        #[wasm_bindgen(js_name = publicJwks)]
        pub async fn public_jwks(alg: &str, labels: js_sys::Array) -> JsValue;
        #[wasm_bindgen(js_name = atHash)]
        pub async fn at_hash(alg: &str, access_token: &str) -> JsValue;
    }
}

// ------------------------------------------------------------------------------ page

pub fn window() -> web_sys::Window {
    web_sys::window().unwrap()
}
pub fn origin() -> String {
    window().location().origin().unwrap()
}
pub fn session_storage() -> web_sys::Storage {
    window().session_storage().unwrap().unwrap()
}
pub fn local_storage() -> web_sys::Storage {
    window().local_storage().unwrap().unwrap()
}
/// Every test starts here: empty web storage, the browser's own fetch and Web Locks.
pub fn fresh_page() {
    js::restore_fetch();
    assert!(js::restore_web_locks(), "this browser has Web Locks");
    session_storage().clear().unwrap();
    local_storage().clear().unwrap();
}
/// `(storage, key, value)` of everything in sessionStorage and localStorage.
pub fn storage_entries() -> Vec<(&'static str, String, String)> {
    let mut out = Vec::new();
    for (name, st) in [("sessionStorage", session_storage()), ("localStorage", local_storage())] {
        for i in 0..st.length().unwrap() {
            let key = st.key(i).unwrap().unwrap();
            let value = st.get_item(&key).unwrap().unwrap_or_default();
            out.push((name, key, value));
        }
    }
    out
}
/// The keys of sessionStorage.
pub fn session_keys() -> Vec<String> {
    storage_entries().into_iter().filter(|(s, _, _)| *s == "sessionStorage").map(|(_, k, _)| k).collect()
}
/// Panics when any key or value of web storage contains one of `secrets`.
pub fn assert_storage_free_of(secrets: &[&str]) {
    for (store, key, value) in storage_entries() {
        for s in secrets.iter().filter(|s| !s.is_empty()) {
            assert!(!key.contains(s) && !value.contains(s), "{store} {key} holds a secret");
        }
    }
}
pub fn now_s() -> f64 {
    js_sys::Date::now() / 1000.0
}
pub async fn sleep(ms: f64) {
    js::sleep(ms).await;
}

thread_local! {
    static COUNTER: Cell<u32> = const { Cell::new(0) };
}
/// A client id no other client of this page uses: clients of one issuer and client id talk to
/// each other over a BroadcastChannel (as tabs), so tests never share one.
pub fn unique_client(prefix: &str) -> String {
    let n = COUNTER.with(|c| {
        c.set(c.get() + 1);
        c.get()
    });
    format!("{prefix}-{n}-{}", spa_oauth::core::base64url::encode(&js::random_bytes(6)))
}

// ------------------------------------------------------------------------------ JS values

pub fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &JsValue::from_str(key)).unwrap()
}
pub fn get_str(v: &JsValue, key: &str) -> Option<String> {
    get(v, key).as_string()
}
pub fn set(o: &JsValue, key: &str, value: impl Into<JsValue>) {
    Reflect::set(o, &JsValue::from_str(key), &value.into()).unwrap();
}
pub fn unset(o: &JsValue, key: &str) {
    Reflect::delete_property(o.unchecked_ref::<Object>(), &JsValue::from_str(key)).unwrap();
}
pub fn obj(pairs: &[(&str, JsValue)]) -> JsValue {
    let o: JsValue = Object::new().into();
    for (k, v) in pairs {
        set(&o, k, v.clone());
    }
    o
}
pub fn text(v: &JsValue) -> String {
    js_sys::JSON::stringify(v).unwrap().as_string().unwrap()
}
pub fn json(t: &str) -> JsValue {
    js_sys::JSON::parse(t).unwrap_or_else(|_| panic!("not JSON: {t}"))
}
pub fn form(body: &str) -> web_sys::UrlSearchParams {
    web_sys::UrlSearchParams::new_with_str(body).unwrap()
}

/// The code of a failure; panics on success.
pub fn code<T>(r: Result<T, Error>) -> ErrorCode {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.code,
    }
}
/// The error of a failure; panics on success.
pub fn err<T>(r: Result<T, Error>) -> Error {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => e,
    }
}

// ------------------------------------------------------------------------------ fake fetch

/// One request the fake server received.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub redirect: String,
    pub credentials: String,
    pub cache: String,
    pub mode: String,
    pub referrer_policy: String,
    pub has_signal: bool,
    pub unrouted: bool,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    /// A member of the form-encoded body.
    pub fn form(&self, name: &str) -> Option<String> {
        form(&self.body).get(name)
    }
    /// The fixed transport policy of the client: never follow redirects, never send cookies,
    /// never cache, no referrer, always a time-out signal.
    pub fn assert_transport_policy(&self) {
        assert_eq!(self.redirect, "manual", "{} {}: redirect", self.method, self.url);
        assert_eq!(self.credentials, "omit", "{} {}: credentials", self.method, self.url);
        assert_eq!(self.cache, "no-store", "{} {}: cache", self.method, self.url);
        assert_eq!(self.mode, "cors", "{} {}: mode", self.method, self.url);
        assert_eq!(self.referrer_policy, "no-referrer", "{} {}: referrerPolicy", self.method, self.url);
        assert!(self.has_signal, "{} {}: no abort signal", self.method, self.url);
    }
}

/// `globalThis.fetch` replaced by a scripted server for the life of the value (the original
/// is put back on drop, and by [`fresh_page`] should a test die before its drop).
pub struct FakeServer(());

impl FakeServer {
    pub fn install() -> FakeServer {
        js::install_fetch();
        assert!(js::fetch_is_fake());
        FakeServer(())
    }
    /// Answers the next request to `url` once.
    pub fn once(&self, url: &str, status: u16, content_type: &str, body: &str) {
        js::route(url, status, content_type, body, 0, false);
    }
    /// Answers the next request to `url` once, after `delay_ms`.
    pub fn once_delayed(&self, url: &str, status: u16, content_type: &str, body: &str, delay_ms: u32) {
        js::route(url, status, content_type, body, delay_ms, false);
    }
    /// Answers every request to `url` (after the answers queued before it).
    pub fn always(&self, url: &str, status: u16, content_type: &str, body: &str) {
        js::route(url, status, content_type, body, 0, true);
    }
    pub fn json_once(&self, url: &str, status: u16, body: &str) {
        self.once(url, status, "application/json", body);
    }
    pub fn network_error(&self, url: &str) {
        js::route_network_error(url, false);
    }
    pub fn clear(&self, url: &str) {
        js::clear_route(url);
    }
    pub fn requests(&self) -> Vec<Recorded> {
        js::requests()
            .iter()
            .map(|r| {
                let headers = get(&r, "headers");
                let names = Object::keys(headers.unchecked_ref::<Object>());
                Recorded {
                    method: get_str(&r, "method").unwrap(),
                    url: get_str(&r, "url").unwrap(),
                    headers: names.iter().map(|n| (n.as_string().unwrap(), get(&headers, &n.as_string().unwrap()).as_string().unwrap())).collect(),
                    body: get_str(&r, "body").unwrap(),
                    redirect: get_str(&r, "redirect").unwrap(),
                    credentials: get_str(&r, "credentials").unwrap(),
                    cache: get_str(&r, "cache").unwrap(),
                    mode: get_str(&r, "mode").unwrap(),
                    referrer_policy: get_str(&r, "referrerPolicy").unwrap(),
                    has_signal: get(&r, "hasSignal").as_bool().unwrap(),
                    unrouted: get(&r, "unrouted").as_bool().unwrap(),
                }
            })
            .collect()
    }
    /// The requests to other origins than the test page's (clients that earlier, failed tests
    /// left running only talk to the page's origin).
    pub fn requests_off_origin(&self) -> Vec<Recorded> {
        let here = format!("{}/", origin());
        self.requests().into_iter().filter(|r| !r.url.starts_with(&here)).collect()
    }
    pub fn requests_to(&self, url: &str) -> Vec<Recorded> {
        self.requests().into_iter().filter(|r| r.url == url).collect()
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        js::restore_fetch();
    }
}

/// `navigator.locks` hidden for the life of the value.
pub struct NoWebLocks(());

impl NoWebLocks {
    pub fn hide() -> NoWebLocks {
        assert!(js::hide_web_locks(), "navigator.locks could not be hidden");
        NoWebLocks(())
    }
}

impl Drop for NoWebLocks {
    fn drop(&mut self) {
        js::restore_web_locks();
    }
}

// ------------------------------------------------------------------------------ JOSE

pub async fn sign(alg: &str, label: &str, header_alg: &str, claims: &JsValue, with_kid: bool) -> String {
    js::sign_token(alg, label, header_alg, claims.clone(), with_kid).await.as_string().unwrap()
}
pub async fn jwks(alg: &str, labels: &[&str]) -> String {
    let arr = Array::new();
    for l in labels {
        arr.push(&JsValue::from_str(l));
    }
    js::public_jwks(alg, arr).await.as_string().unwrap()
}
pub async fn at_hash(alg: &str, access_token: &str) -> String {
    js::at_hash(alg, access_token).await.as_string().unwrap()
}
/// `token` with one bit of its signature flipped.
pub fn flip_signature_bit(token: &str) -> String {
    let (input, sig) = token.rsplit_once('.').unwrap();
    let mut bytes = spa_oauth::core::base64url::decode(sig).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x01;
    format!("{input}.{}", spa_oauth::core::base64url::encode(&bytes))
}

/// A token endpoint success body (RFC 6749 §5.1).
pub fn token_body(access_token: &str, refresh_token: Option<&str>, id_token: Option<&str>, expires_in: Option<f64>, scope: Option<&str>) -> String {
    let o = obj(&[("access_token", access_token.into()), ("token_type", "Bearer".into())]);
    if let Some(v) = refresh_token {
        set(&o, "refresh_token", v);
    }
    if let Some(v) = id_token {
        set(&o, "id_token", v);
    }
    if let Some(v) = expires_in {
        set(&o, "expires_in", v);
    }
    if let Some(v) = scope {
        set(&o, "scope", v);
    }
    text(&o)
}

// ------------------------------------------------------------------------------ login

/// A login started with [`AuthClient::create_authorization_url`]: the URL parsed by the
/// browser, and the transaction the client stored.
pub struct Started {
    pub url: web_sys::Url,
    pub state: String,
    pub nonce: Option<String>,
    pub key: String,
    pub record: JsValue,
}

impl Started {
    pub fn param(&self, name: &str) -> Option<String> {
        self.url.search_params().get(name)
    }
    pub fn verifier(&self) -> String {
        get_str(&self.record, "code_verifier").expect("the stored transaction has a code_verifier")
    }
}

pub fn start(c: &AuthClient, options: &LoginOptions) -> Started {
    let href = c.create_authorization_url(options).unwrap_or_else(|e| panic!("create_authorization_url: {e:?}"));
    let url = web_sys::Url::new(&href).unwrap();
    let state = url.search_params().get("state").expect("state in the URL");
    let nonce = url.search_params().get("nonce");
    let key = format!("spa-oauth:txn:{state}");
    let stored = session_storage().get_item(&key).unwrap().unwrap_or_else(|| panic!("no transaction under {key}"));
    Started { url, state, nonce, key, record: json(&stored) }
}

/// The authorization server behind the fake fetch: endpoints on the runner's origin under
/// `/op-<n>-<random>`, the issuer is the origin itself, ID tokens signed with the key `(alg, "a")`.
pub struct Provider {
    pub server: FakeServer,
    pub issuer: String,
    pub alg: &'static str,
    /// `<origin>/op-<n>-<random>`: endpoints of their own, so a client a failed test left running cannot
    /// take the answers queued for a later test.
    base: String,
}

impl Provider {
    /// Installs the fake fetch and serves the JWK Set of `(alg, "a")` on every request.
    pub async fn new(alg: &'static str) -> Provider {
        let server = FakeServer::install();
        let base = format!("{}/{}", origin(), unique_client("op"));
        let p = Provider { server, issuer: origin(), alg, base };
        p.serve_jwks(&jwks(alg, &["a"]).await);
        p
    }
    /// Serves `doc` (200, JSON) as the JWK Set from now on.
    pub fn serve_jwks(&self, doc: &str) {
        self.server.clear(&self.jwks_url());
        self.server.always(&self.jwks_url(), 200, "application/json", doc);
    }
    /// The requests made to this provider's endpoints (not those of clients other tests left).
    pub fn requests(&self) -> Vec<Recorded> {
        let prefix = format!("{}/", self.base);
        self.server.requests().into_iter().filter(|r| r.url.starts_with(&prefix)).collect()
    }
    pub fn auth_url(&self) -> String {
        format!("{}/auth", self.base)
    }
    pub fn token_url(&self) -> String {
        format!("{}/token", self.base)
    }
    pub fn jwks_url(&self) -> String {
        format!("{}/jwks", self.base)
    }
    pub fn userinfo_url(&self) -> String {
        format!("{}/me", self.base)
    }
    pub fn revocation_url(&self) -> String {
        format!("{}/revoke", self.base)
    }
    pub fn redirect_uri(&self) -> String {
        format!("{}/cb", origin())
    }
    /// Options of a client of this provider (explicit endpoints: no discovery, `iss` required).
    pub fn options(&self, client_id: &str) -> ClientOptions {
        ClientOptions::new(self.issuer.clone(), client_id, self.redirect_uri())
            .endpoints(self.auth_url(), self.token_url())
            .jwks_uri(self.jwks_url())
            .scope("openid profile")
    }
    pub async fn client(&self, client_id: &str) -> AuthClient {
        AuthClient::create(self.options(client_id)).await.unwrap_or_else(|e| panic!("AuthClient::create: {e:?}"))
    }
    /// Valid ID token claims for `client_id` and `nonce` (sub `user-1`, 5 minutes).
    pub fn claims(&self, client_id: &str, nonce: Option<&str>) -> JsValue {
        let now = now_s().floor();
        let o = obj(&[
            ("iss", self.issuer.as_str().into()),
            ("sub", "user-1".into()),
            ("aud", client_id.into()),
            ("exp", (now + 300.0).into()),
            ("iat", now.into()),
        ]);
        if let Some(n) = nonce {
            set(&o, "nonce", n);
        }
        o
    }
    pub async fn id_token(&self, claims: &JsValue) -> String {
        sign(self.alg, "a", self.alg, claims, true).await
    }
    /// The callback URL of `login` with `code`, carrying `iss`.
    pub fn callback_url(&self, login: &Started, code: &str) -> String {
        let q = web_sys::UrlSearchParams::new().unwrap();
        q.append("code", code);
        q.append("state", &login.state);
        q.append("iss", &self.issuer);
        format!("{}?{}", self.redirect_uri(), q.to_string().as_string().unwrap())
    }
    /// Queues the token endpoint's answer to one request.
    pub fn token_response(&self, body: &str) {
        self.server.json_once(&self.token_url(), 200, body);
    }
    /// Completes `login` at the client: the token endpoint answers `body` (200, JSON), then
    /// the callback URL with `code=the-code` is handled.
    pub async fn finish(&self, c: &AuthClient, login: &Started, body: &str) -> Result<CallbackResult, Error> {
        self.token_response(body);
        c.handle_redirect_callback(Some(&self.callback_url(login, "the-code"))).await
    }
    /// A login whose token response carries `at`, `rt`, a valid ID token (with `at_hash`) and
    /// `expires_in`; panics unless it succeeds.
    pub async fn login(&self, c: &AuthClient, client_id: &str, at: &str, rt: Option<&str>, expires_in: f64) -> (Started, CallbackResult) {
        let login = start(c, &LoginOptions::default());
        let claims = self.claims(client_id, login.nonce.as_deref());
        set(&claims, "at_hash", at_hash(self.alg, at).await);
        let idt = self.id_token(&claims).await;
        self.token_response(&token_body(at, rt, Some(&idt), Some(expires_in), None));
        let r = c.handle_redirect_callback(Some(&self.callback_url(&login, "the-code"))).await;
        (login, r.unwrap_or_else(|e| panic!("login failed: {e:?}")))
    }
}

/// Sleeps until 30 ms after the access token of `c` (issued for `lifetime_ms`) is due for
/// renewal: with the default 60 s margin and a short lifetime that is half the lifetime. The
/// client's own renewal timer fires about 100 ms after that instant, so the test's call comes
/// first (either way exactly one refresh request is made).
pub async fn sleep_until_due(c: &AuthClient, lifetime_ms: f64) {
    let exp = c.token_expiry().expect("the token has an expiry");
    let due = exp - lifetime_ms / 2.0;
    sleep((due + 30.0 - js_sys::Date::now()).max(0.0)).await;
}

// ------------------------------------------------------------------------------ events

/// The events a client fires, in order.
pub fn record_events(c: &AuthClient) -> Rc<RefCell<Vec<Event>>> {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let sink = seen.clone();
    c.on(move |e: &Event| sink.borrow_mut().push(e.clone()));
    seen
}

/// Panics unless the client holds no session at all (and asking for a token is
/// `login_required`, answered without a request).
pub async fn assert_no_session(c: &AuthClient, what: &str) {
    assert!(!c.is_authenticated(), "{what}: authenticated");
    assert!(c.id_token_claims().is_none(), "{what}: claims kept");
    assert!(c.granted_scope().is_none(), "{what}: scope kept");
    assert!(c.token_expiry().is_none(), "{what}: expiry kept");
    assert_eq!(code(c.access_token().await), ErrorCode::LoginRequired, "{what}: access_token()");
}
