//! Browser tests of the adapter, run in headless Chromium by wasm-bindgen-test-runner
//! (`cargo test --target wasm32-unknown-unknown`). They drive the exported JavaScript API
//! exactly as an app would (through the same Rust functions the bindings call), with real
//! `crypto.getRandomValues`, real WebCrypto, real `sessionStorage`, real `fetch`.
#![cfg(target_arch = "wasm32")]

use js_sys::{Object, Promise, Reflect};
use spa_oauth::wasm::client::AuthClient;
use spa_oauth::wasm::lowlevel::{build_authorization_url, create_pkce_pair};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

mod env {
    use wasm_bindgen::prelude::*;
    #[wasm_bindgen(module = "/tests/support/env.js")]
    extern "C" {
        #[wasm_bindgen(js_name = blockSessionStorage)]
        pub fn block_session_storage();
        #[wasm_bindgen(js_name = unblockSessionStorage)]
        pub fn unblock_session_storage();
        #[wasm_bindgen(js_name = breakRandom)]
        pub fn break_random();
        #[wasm_bindgen(js_name = restoreRandom)]
        pub fn restore_random();
    }
}

fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &JsValue::from_str(key)).unwrap()
}
fn get_str(v: &JsValue, key: &str) -> Option<String> {
    get(v, key).as_string()
}
fn obj(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in pairs {
        Reflect::set(&o, &JsValue::from_str(k), v).unwrap();
    }
    o.into()
}
fn s(v: &str) -> JsValue {
    JsValue::from_str(v)
}
fn origin() -> String {
    web_sys::window().unwrap().location().origin().unwrap()
}
fn session_storage() -> web_sys::Storage {
    web_sys::window().unwrap().session_storage().unwrap().unwrap()
}
fn txn_keys() -> Vec<String> {
    let st = session_storage();
    (0..st.length().unwrap()).filter_map(|i| st.key(i).unwrap()).filter(|k| k.starts_with("spa-oauth:")).collect()
}

/// Awaits a promise that must reject; returns the rejection, checking it is a real Error with
/// a string `.code` and a message that does not contain `secret` (if given).
async fn rejection(p: Promise) -> JsValue {
    let e = JsFuture::from(p).await.expect_err("promise should reject");
    assert!(e.is_instance_of::<js_sys::Error>(), "rejection is an Error");
    assert_eq!(get_str(&e, "name").as_deref(), Some("SpaOAuthError"));
    assert!(get_str(&e, "code").is_some());
    e
}

fn options(issuer: &str, token_endpoint: &str) -> JsValue {
    obj(&[
        ("issuer", s(issuer)),
        ("authorizationEndpoint", s(&format!("{issuer}/auth"))),
        ("tokenEndpoint", s(token_endpoint)),
        ("clientId", s("spa-test")),
        ("redirectUri", s(&format!("{}/cb", origin()))),
        ("scope", s("openid profile")),
    ])
}

async fn client() -> AuthClient {
    // The test runner's own server answers 404 for this path: a real fetch, a real response.
    let opts = options(&origin(), &format!("{}/__no_such_token_endpoint", origin()));
    AuthClient::from_options(opts).unwrap()
}

async fn start_login(c: &AuthClient) -> (String, web_sys::UrlSearchParams) {
    let url = JsFuture::from(c.create_authorization_url(None)).await.unwrap().as_string().unwrap();
    let parsed = web_sys::Url::new(&url).unwrap();
    (url, parsed.search_params())
}

#[wasm_bindgen_test]
async fn pkce_pair_matches_webcrypto_sha256() {
    let pair = create_pkce_pair().unwrap();
    let verifier = get_str(&pair, "codeVerifier").unwrap();
    let challenge = get_str(&pair, "codeChallenge").unwrap();
    assert_eq!(get_str(&pair, "codeChallengeMethod").as_deref(), Some("S256"));
    assert_eq!(verifier.len(), 43);
    assert!(verifier.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    // Independent check with the browser's own SHA-256.
    let subtle = get(&get(&js_sys::global(), "crypto"), "subtle");
    let digest_fn: js_sys::Function = get(&subtle, "digest").dyn_into().unwrap();
    let data = js_sys::Uint8Array::from(verifier.as_bytes());
    let p: Promise = digest_fn.call2(&subtle, &s("SHA-256"), &data).unwrap().dyn_into().unwrap();
    let digest = js_sys::Uint8Array::new(&JsFuture::from(p).await.unwrap()).to_vec();
    assert_eq!(challenge, spa_oauth::core::base64url::encode(&digest));
    // BR-13: fresh verifiers are never reused.
    let mut seen = std::collections::HashSet::new();
    for _ in 0..200 {
        assert!(seen.insert(get_str(&create_pkce_pair().unwrap(), "codeVerifier").unwrap()));
    }
}

#[wasm_bindgen_test]
fn build_authorization_url_parses_in_the_browser() {
    let opts = obj(&[
        ("issuer", s("https://as.example")),
        ("authorizationEndpoint", s("https://as.example/authorize?tenant=a%20b")),
        ("clientId", s("c&d")),
        ("redirectUri", s("https://app.example/cb?x=1")),
        ("scope", s("openid data:read")),
        ("extraParams", obj(&[("resource", js_sys::Array::of2(&s("https://api.a/"), &s("https://api.b/")).into()), ("login_hint", s("ü@x"))])),
    ]);
    let r = build_authorization_url(opts).unwrap();
    let url = web_sys::Url::new(&get_str(&r, "url").unwrap()).unwrap();
    let q = url.search_params();
    assert_eq!(q.get("tenant").as_deref(), Some("a b"));
    assert_eq!(q.get("response_type").as_deref(), Some("code"));
    assert_eq!(q.get("client_id").as_deref(), Some("c&d"));
    assert_eq!(q.get("redirect_uri").as_deref(), Some("https://app.example/cb?x=1"));
    assert_eq!(q.get("scope").as_deref(), Some("openid data:read"));
    assert_eq!(q.get("code_challenge_method").as_deref(), Some("S256"));
    assert_eq!(q.get("state"), get_str(&r, "state"));
    assert_eq!(q.get("nonce"), get_str(&r, "nonce"));
    assert_eq!(q.get("login_hint").as_deref(), Some("ü@x"));
    assert_eq!(q.get_all("resource").length(), 2);
    assert_eq!(get_str(&r, "state").unwrap().len(), 43);

    // The caller cannot override protocol parameters.
    let bad = obj(&[
        ("issuer", s("https://as.example")),
        ("authorizationEndpoint", s("https://as.example/authorize")),
        ("clientId", s("c")),
        ("redirectUri", s("https://app.example/cb")),
        ("extraParams", obj(&[("code_challenge_method", s("plain"))])),
    ]);
    let e = build_authorization_url(bad).unwrap_err();
    assert_eq!(get_str(&e, "code").as_deref(), Some("protocol_parameter_override"));
}

#[wasm_bindgen_test]
async fn create_rejects_bad_configuration_with_codes() {
    let e = rejection(AuthClient::create(options("http://as.example", "https://as.example/token"))).await;
    assert_eq!(get_str(&e, "code").as_deref(), Some("insecure_endpoint"));
    let e = rejection(AuthClient::create(options("https://as.example", "http://as.example/token"))).await;
    assert_eq!(get_str(&e, "code").as_deref(), Some("insecure_endpoint"));
    let e = rejection(AuthClient::create(JsValue::UNDEFINED)).await;
    assert_eq!(get_str(&e, "code").as_deref(), Some("invalid_config"));
    let e = rejection(AuthClient::create(obj(&[("issuer", JsValue::from_f64(1.0))]))).await;
    assert_eq!(get_str(&e, "code").as_deref(), Some("invalid_config"));
}

#[wasm_bindgen_test]
async fn login_stores_only_the_transaction_and_callback_exchanges_the_code() {
    session_storage().clear().unwrap();
    let c = client().await;
    let (_, q) = start_login(&c).await;
    let state = q.get("state").unwrap();
    assert_eq!(txn_keys(), vec![format!("spa-oauth:txn:{state}")]);
    let record = session_storage().get_item(&txn_keys()[0]).unwrap().unwrap();
    assert!(record.contains("code_verifier="));

    // A valid callback: the code goes to the token endpoint with real fetch; the runner's server
    // answers 404, which must surface as token_response_status with the status.
    let cb = format!("{}/cb?code=the-code&state={state}&iss={}", origin(), js_sys::encode_uri_component(&origin()));
    assert!(c.is_redirect_callback(Some(cb.clone())));
    let e = rejection(c.handle_redirect_callback(Some(cb.clone()))).await;
    assert_eq!(get_str(&e, "code").as_deref(), Some("token_response_status"));
    assert_eq!(get(&e, "status").as_f64(), Some(404.0));
    assert!(!get_str(&e, "message").unwrap().contains("the-code"));
    // Single use: the record is gone, nothing else was written, and no session exists.
    assert!(txn_keys().is_empty());
    assert!(!c.is_authenticated());
    assert_eq!(get_str(&rejection(c.get_access_token()).await, "code").as_deref(), Some("login_required"));

    // AR-06: the same callback again is a state failure and sends nothing.
    let e = rejection(c.handle_redirect_callback(Some(cb))).await;
    assert_eq!(get_str(&e, "code").as_deref(), Some("state_mismatch"));
}

#[wasm_bindgen_test]
async fn hostile_callbacks_are_rejected_before_any_token_request() {
    session_storage().clear().unwrap();
    let c = client().await;
    let iss = js_sys::encode_uri_component(&origin()).as_string().unwrap();
    let cases: Vec<(String, &str)> = vec![
        ("code=c&state=tampered&iss=ISS".into(), "state_mismatch"),      // AR-02
        ("code=c&iss=ISS".into(), "state_missing"),                      // AR-03
        ("code=c&state=STATE&iss=https%3A%2F%2Fevil.example".into(), "iss_mismatch"), // AR-08
        ("code=c&state=STATE".into(), "iss_missing"),                    // AR-09
        ("error=access_denied&error_description=%3Cimg%20src%3Dx%3E&state=STATE&iss=ISS".into(), "authorization_error"), // AR-12
        ("error=access_denied&state=wrong&iss=ISS".into(), "state_mismatch"), // AR-13
        ("state=STATE&iss=ISS".into(), "code_missing"),                  // AR-15
        ("code=c&access_token=at&state=STATE&iss=ISS".into(), "unexpected_callback_parameter"), // AR-17
        ("code=c&code=d&state=STATE&iss=ISS".into(), "callback_malformed"),
    ];
    for (query, want) in cases {
        let (_, q) = start_login(&c).await;
        let state = q.get("state").unwrap();
        let url = format!("{}/cb?{}", origin(), query.replace("STATE", &state).replace("ISS", &iss));
        let e = rejection(c.handle_redirect_callback(Some(url))).await;
        assert_eq!(get_str(&e, "code").as_deref(), Some(want), "{query}");
        if want == "authorization_error" {
            assert_eq!(get_str(&e, "error").as_deref(), Some("access_denied"));
            assert_eq!(get_str(&e, "error_description").as_deref(), Some("<img src=x>"));
        }
        // The flow is spent: no transaction of this client survives a failed callback.
        assert!(txn_keys().is_empty(), "{query}: {:?}", txn_keys());
        assert!(!c.is_authenticated());
    }
}

#[wasm_bindgen_test]
async fn expired_or_corrupted_transactions_are_refused() {
    session_storage().clear().unwrap();
    let c = client().await;
    let (_, q) = start_login(&c).await;
    let state = q.get("state").unwrap();
    let key = format!("spa-oauth:txn:{state}");
    let record = session_storage().get_item(&key).unwrap().unwrap();
    // Age the transaction by 11 minutes.
    let pairs = web_sys::UrlSearchParams::new_with_str(&record).unwrap();
    let created: u64 = pairs.get("created_at").unwrap().parse().unwrap();
    pairs.set("created_at", &(created - 660).to_string());
    session_storage().set_item(&key, &pairs.to_string().as_string().unwrap()).unwrap();
    let iss = js_sys::encode_uri_component(&origin()).as_string().unwrap();
    let url = format!("{}/cb?code=c&state={state}&iss={iss}", origin());
    let e = rejection(c.handle_redirect_callback(Some(url.clone()))).await;
    assert_eq!(get_str(&e, "code").as_deref(), Some("transaction_expired"));
    assert!(txn_keys().is_empty());

    // Same-origin script wrote garbage under the key: treated as no transaction.
    session_storage().set_item(&key, "v=1&state=zzz%").unwrap();
    let e = rejection(c.handle_redirect_callback(Some(url))).await;
    assert_eq!(get_str(&e, "code").as_deref(), Some("state_mismatch"));
    assert!(txn_keys().is_empty());
}

#[wasm_bindgen_test]
async fn login_options_are_validated() {
    let c = client().await;
    let e = rejection(c.create_authorization_url(Some(obj(&[("extraParams", obj(&[("state", s("x"))]))]).into()))).await;
    assert_eq!(get_str(&e, "code").as_deref(), Some("protocol_parameter_override"));
    let e = rejection(c.create_authorization_url(Some(obj(&[("scope", JsValue::from_f64(3.0))]).into()))).await;
    assert_eq!(get_str(&e, "code").as_deref(), Some("invalid_config"));
    let e = rejection(c.create_authorization_url(Some(obj(&[("extraParams", obj(&[("prompt", JsValue::TRUE)]))]).into()))).await;
    assert_eq!(get_str(&e, "code").as_deref(), Some("invalid_config"));
    assert!(!c.is_redirect_callback(Some(format!("{}/other?code=a&state=b", origin()))));
    assert!(!c.is_redirect_callback(Some(format!("{}/cb?foo=1", origin()))));
    assert!(!c.is_redirect_callback(Some("not a url".into())));
}

/// After `free()`, the page's wake-up listeners and the BroadcastChannel stay registered but
/// are harmless: no "closure invoked after being dropped" error reaches the page.
#[wasm_bindgen_test]
async fn freed_client_leaves_no_throwing_listeners() {
    let errors = js_sys::Array::new();
    let sink = errors.clone();
    let on_error = wasm_bindgen::closure::Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
        sink.push(&e);
    });
    let window = web_sys::window().unwrap();
    let add: js_sys::Function = get(&window, "addEventListener").dyn_into().unwrap();
    add.call2(&window, &s("error"), on_error.as_ref()).unwrap();
    let c = client().await;
    drop(c); // what free() does
    for event in ["visibilitychange", "focus", "online", "pageshow"] {
        let target: JsValue = if event == "visibilitychange" { get(&window, "document") } else { window.clone().into() };
        let ev = web_sys::Event::new(event).unwrap();
        let dispatch: js_sys::Function = get(&target, "dispatchEvent").dyn_into().unwrap();
        dispatch.call1(&target, &ev).unwrap();
    }
    // A message from "another tab" on the client's channel.
    let ctor: js_sys::Function = get(&js_sys::global(), "BroadcastChannel").dyn_into().unwrap();
    let bc = js_sys::Reflect::construct(&ctor, &js_sys::Array::of1(&s(&format!("spa-oauth {} spa-test", origin())))).unwrap();
    let post: js_sys::Function = get(&bc, "postMessage").dyn_into().unwrap();
    post.call1(&bc, &obj(&[("t", s("hello")), ("from", s("other-tab"))])).unwrap();
    // Let the events and the message be delivered.
    let p = Promise::new(&mut |resolve, _| {
        let set_timeout: js_sys::Function = get(&js_sys::global(), "setTimeout").dyn_into().unwrap();
        set_timeout.call2(&JsValue::NULL, &resolve, &JsValue::from_f64(100.0)).unwrap();
    });
    JsFuture::from(p).await.unwrap();
    assert_eq!(errors.length(), 0, "errors reached the page: {:?}", errors.to_vec());
    drop(on_error);
}

/// The remaining environment and misuse codes: `callback_in_progress` (a second call while the
/// first runs), `storage_unavailable` (sessionStorage throws), `crypto_unavailable`
/// (getRandomValues throws).
#[wasm_bindgen_test]
async fn environment_and_misuse_codes() {
    session_storage().clear().unwrap();
    let c = client().await;
    let (_, q) = start_login(&c).await;
    let state = q.get("state").unwrap();
    let iss = js_sys::encode_uri_component(&origin()).as_string().unwrap();
    let url = format!("{}/cb?code=c&state={state}&iss={iss}", origin());
    let first = c.handle_redirect_callback(Some(url.clone()));
    let second = rejection(c.handle_redirect_callback(Some(url))).await;
    assert_eq!(get_str(&second, "code").as_deref(), Some("callback_in_progress"));
    let _ = JsFuture::from(first).await; // the runner's 404 token endpoint: token_response_status

    // sessionStorage blocked (e.g. storage disabled by policy).
    env::block_session_storage();
    let e = rejection(c.create_authorization_url(None)).await;
    env::unblock_session_storage();
    assert_eq!(get_str(&e, "code").as_deref(), Some("storage_unavailable"));

    // crypto.getRandomValues unavailable.
    env::break_random();
    let e = rejection(c.create_authorization_url(None)).await;
    env::restore_random();
    assert_eq!(get_str(&e, "code").as_deref(), Some("crypto_unavailable"));
    // Nothing was stored by the failed attempts.
    assert!(txn_keys().is_empty(), "{:?}", txn_keys());
}
