//! Browser tests of the WebAssembly exports (`src/wasm/exports.rs`), run in headless Chromium by
//! wasm-bindgen-test-runner (`cargo test --target wasm32-unknown-unknown`). They call the
//! synchronous exports exactly as the JavaScript driver (`src/wasm/driver.js`) does — through the
//! same Rust functions its steps dispatch to — with the browser doing the I/O around them: real
//! `crypto.getRandomValues`, real WebCrypto, real `sessionStorage`, real `fetch`, and the browser's
//! own `URL` parser checking what the core writes.
//!
//! Every export answers JSON text or fails with the JSON of a core error
//! (`{code, error?, error_description?, error_uri?, status?}`); `thrown()` parses and checks it. The AuthClient-level behaviours (storage/crypto unavailable, callback_in_progress,
//! login_required, option validation of the public API, free()) are tested end to end in
//! `tests/e2e/client.test.js`.
#![cfg(target_arch = "wasm32")]

use js_sys::{Object, Reflect};
use spa_oauth::core::authorize::RANDOM_BYTES;
use spa_oauth::wasm::exports::{self as x, Client};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

mod io {
    use wasm_bindgen::prelude::*;
    #[wasm_bindgen(module = "/tests/support/web.js")]
    extern "C" {
        #[wasm_bindgen(js_name = randomBytes)]
        pub fn random_bytes(n: usize) -> Vec<u8>;
        pub async fn sha256(bytes: &[u8]) -> JsValue;
    }
    /// The driver's own transport (fixed fetch policy), as the driver calls it.
    #[wasm_bindgen(module = "/src/wasm/transport.js")]
    extern "C" {
        #[wasm_bindgen(catch)]
        pub async fn send(request: &JsValue, timeout_ms: u32) -> Result<JsValue, JsValue>;
    }
}

// ----------------------------------------------------------------------------- helpers

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
/// What the driver's `encode(options)` passes to the exports.
fn text(v: &JsValue) -> String {
    js_sys::JSON::stringify(v).unwrap().as_string().unwrap()
}
fn json(t: &str) -> JsValue {
    js_sys::JSON::parse(t).unwrap_or_else(|_| panic!("not JSON: {t}"))
}
/// The JSON of a thrown core error: a stable string `code`, and only the members of the error
/// contract (the server's own `error`, `error_description`, `error_uri`, the HTTP `status`, a
/// static `message`): nothing else of the request or the response is reflected.
fn thrown(e: &str) -> JsValue {
    let v = json(e);
    assert!(get_str(&v, "code").is_some_and(|c| !c.is_empty()), "no code in {e}");
    for key in Object::keys(&Object::from(v.clone())).iter() {
        let key = key.as_string().unwrap();
        assert!(["code", "message", "error", "error_description", "error_uri", "status"].contains(&key.as_str()), "unexpected member {key} in {e}");
    }
    v
}
/// The code of an export's failure; panics when it succeeded.
fn code(r: Result<String, String>) -> String {
    match r {
        Ok(v) => panic!("expected an error, got {v}"),
        Err(e) => get_str(&thrown(&e), "code").unwrap(),
    }
}
fn client_code(r: Result<Client, String>) -> String {
    match r {
        Ok(_) => panic!("expected Client::new to fail"),
        Err(e) => get_str(&thrown(&e), "code").unwrap(),
    }
}
fn now() -> f64 {
    js_sys::Date::now() / 1000.0
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
fn iss() -> String {
    js_sys::encode_uri_component(&origin()).as_string().unwrap()
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

/// A client for the test runner's own origin. Its server answers 404 to the token endpoint
/// path: a real fetch gets a real response.
fn client_for(client_id: &str) -> Client {
    let o = options(&origin(), &format!("{}/__no_such_token_endpoint", origin()));
    Reflect::set(&o, &s("clientId"), &s(client_id)).unwrap();
    Client::new(&text(&o), None).unwrap_or_else(|e| panic!("Client::new: {e}"))
}
fn client() -> Client {
    client_for("spa-test")
}

/// A started login as the driver does it (`#begin`): the authorization URL parsed by the
/// browser, and the transaction stored in sessionStorage under the key the export chose.
struct Login {
    url: web_sys::Url,
    key: String,
    value: String,
}
impl Login {
    fn state(&self) -> String {
        self.url.search_params().get("state").unwrap()
    }
}
fn start_login_with(c: &Client, login_options: &str, prompt_none: bool) -> Login {
    let a = json(&c.authorize(login_options, prompt_none, &io::random_bytes(RANDOM_BYTES), now()).unwrap());
    let (url, key, value) = (get_str(&a, "url").unwrap(), get_str(&a, "key").unwrap(), get_str(&a, "value").unwrap());
    session_storage().set_item(&key, &value).unwrap();
    Login { url: web_sys::Url::new(&url).unwrap(), key, value }
}
fn start_login(c: &Client) -> Login {
    start_login_with(c, "null", false)
}

/// The driver's `#callback` up to the token request: the key from the response's `state`, the
/// stored transaction taken (single use), then the core's validation. Ok: `{request, scope, …}`;
/// Err: the thrown error JSON, parsed.
fn callback(c: &Client, url: &str) -> Result<JsValue, JsValue> {
    let key = x::callback_key(url).map_err(|e| thrown(&e))?;
    let stored = session_storage().get_item(&key).unwrap();
    session_storage().remove_item(&key).unwrap();
    c.callback(url, stored, now()).map(|t| json(&t)).map_err(|e| thrown(&e))
}
fn callback_code(c: &Client, url: &str) -> String {
    match callback(c, url) {
        Ok(v) => panic!("callback {url} accepted: {}", text(&v)),
        Err(e) => get_str(&e, "code").unwrap(),
    }
}
fn form(body: &str) -> web_sys::UrlSearchParams {
    web_sys::UrlSearchParams::new_with_str(body).unwrap()
}

/// A stored transaction record, read the way a same-origin script could: a JSON object (earlier
/// builds wrote it form-encoded; both are read so the tests do not pin the format).
struct Record(JsValue);
impl Record {
    fn parse(value: &str) -> Record {
        match js_sys::JSON::parse(value) {
            Ok(v) if v.is_object() => Record(v),
            _ => {
                let o = Object::new();
                let q = form(value);
                for key in ["state", "code_verifier", "client_id", "nonce", "created_at"] {
                    if let Some(v) = q.get(key) {
                        let v = if key == "created_at" { JsValue::from_f64(v.parse().unwrap()) } else { s(&v) };
                        Reflect::set(&o, &s(key), &v).unwrap();
                    }
                }
                Record(o.into())
            }
        }
    }
    fn get(&self, key: &str) -> Option<String> {
        get_str(&self.0, key)
    }
    fn created_at(&self) -> u64 {
        get(&self.0, "created_at").as_f64().unwrap() as u64
    }
}

/// `value` with its `created_at` moved back by `seconds`, in the record's own format.
fn aged(value: &str, seconds: u64) -> String {
    let created = Record::parse(value).created_at();
    match js_sys::JSON::parse(value) {
        Ok(v) if v.is_object() => {
            Reflect::set(&v, &s("created_at"), &JsValue::from_f64((created - seconds) as f64)).unwrap();
            text(&v)
        }
        _ => {
            let q = form(value);
            q.set("created_at", &(created - seconds).to_string());
            q.to_string().as_string().unwrap()
        }
    }
}

// ----------------------------------------------------------------------------- tests

#[wasm_bindgen_test]
async fn pkce_pair_matches_webcrypto_sha256() {
    let pair = json(&x::pkce_pair(&io::random_bytes(32)).unwrap());
    let verifier = get_str(&pair, "codeVerifier").unwrap();
    let challenge = get_str(&pair, "codeChallenge").unwrap();
    assert_eq!(get_str(&pair, "codeChallengeMethod").as_deref(), Some("S256"));
    assert_eq!(verifier.len(), 43);
    assert!(verifier.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    // Independent check with the browser's own SHA-256.
    let digest = js_sys::Uint8Array::new(&io::sha256(verifier.as_bytes()).await).to_vec();
    assert_eq!(challenge, spa_oauth::core::base64url::encode(&digest));
    // The verifier is the base64url of the 32 random bytes it was given: all the entropy is used.
    let fixed: Vec<u8> = (0..32u8).collect();
    let p = json(&x::pkce_pair(&fixed).unwrap());
    assert_eq!(get_str(&p, "codeVerifier").unwrap(), spa_oauth::core::base64url::encode(&fixed));
    // Too little randomness is refused, not padded.
    assert_eq!(code(x::pkce_pair(&[7u8; 31])), "insufficient_randomness");
    // BR-13: fresh verifiers are never reused.
    let mut seen = std::collections::HashSet::new();
    for _ in 0..200 {
        let p = json(&x::pkce_pair(&io::random_bytes(32)).unwrap());
        assert!(seen.insert(get_str(&p, "codeVerifier").unwrap()));
    }
}

#[wasm_bindgen_test]
async fn authorization_url_parses_in_the_browser() {
    let opts = obj(&[
        ("issuer", s("https://as.example")),
        ("authorizationEndpoint", s("https://as.example/authorize?tenant=a%20b")),
        ("clientId", s("c&d")),
        ("redirectUri", s("https://app.example/cb?x=1")),
        ("scope", s("openid data:read")),
        ("extraParams", obj(&[("resource", js_sys::Array::of2(&s("https://api.a/"), &s("https://api.b/")).into()), ("login_hint", s("ü@x"))])),
    ]);
    let r = json(&x::authorization_url(&text(&opts), &io::random_bytes(RANDOM_BYTES), now()).unwrap());
    let url = web_sys::Url::new(&get_str(&r, "url").unwrap()).unwrap();
    assert_eq!(url.origin(), "https://as.example");
    assert_eq!(url.pathname(), "/authorize");
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
    let resources = q.get_all("resource");
    assert_eq!(resources.length(), 2);
    assert_eq!(resources.get(0).as_string().as_deref(), Some("https://api.a/"));
    assert_eq!(resources.get(1).as_string().as_deref(), Some("https://api.b/"));
    assert_eq!(get_str(&r, "state").unwrap().len(), 43);
    assert_ne!(get_str(&r, "state"), get_str(&r, "nonce"));
    // The challenge in the URL is S256 of the returned verifier (checked with WebCrypto).
    let verifier = get_str(&r, "codeVerifier").unwrap();
    let digest = js_sys::Uint8Array::new(&io::sha256(verifier.as_bytes()).await).to_vec();
    assert_eq!(q.get("code_challenge").unwrap(), spa_oauth::core::base64url::encode(&digest));

    // The caller cannot override protocol parameters.
    for name in ["code_challenge_method", "state", "redirect_uri", "response_type"] {
        let bad = obj(&[
            ("issuer", s("https://as.example")),
            ("authorizationEndpoint", s("https://as.example/authorize")),
            ("clientId", s("c")),
            ("redirectUri", s("https://app.example/cb")),
            ("extraParams", obj(&[(name, s("plain"))])),
        ]);
        let r = x::authorization_url(&text(&bad), &io::random_bytes(RANDOM_BYTES), now());
        assert_eq!(code(r), "protocol_parameter_override", "{name}");
    }
    // Missing or mistyped members, an insecure endpoint, too little randomness.
    let r = x::authorization_url("null", &io::random_bytes(RANDOM_BYTES), now());
    assert_eq!(code(r), "invalid_config");
    let no_client = obj(&[("issuer", s("https://as.example")), ("authorizationEndpoint", s("https://as.example/a")), ("redirectUri", s("https://app.example/cb"))]);
    assert_eq!(code(x::authorization_url(&text(&no_client), &io::random_bytes(RANDOM_BYTES), now())), "invalid_config");
    let insecure = obj(&[
        ("issuer", s("https://as.example")),
        ("authorizationEndpoint", s("http://as.example/authorize")),
        ("clientId", s("c")),
        ("redirectUri", s("https://app.example/cb")),
    ]);
    assert_eq!(code(x::authorization_url(&text(&insecure), &io::random_bytes(RANDOM_BYTES), now())), "insecure_endpoint");
    let ok = obj(&[
        ("issuer", s("https://as.example")),
        ("authorizationEndpoint", s("https://as.example/authorize")),
        ("clientId", s("c")),
        ("redirectUri", s("https://app.example/cb")),
    ]);
    assert_eq!(code(x::authorization_url(&text(&ok), &[1u8; RANDOM_BYTES - 1], now())), "insufficient_randomness");
}

#[wasm_bindgen_test]
fn settings_and_client_reject_bad_configuration_with_codes() {
    let bad: Vec<(JsValue, &str)> = vec![
        (options("http://as.example", "https://as.example/token"), "insecure_endpoint"),
        (options("https://as.example", "http://as.example/token"), "insecure_endpoint"),
        (JsValue::NULL, "invalid_config"),
        (obj(&[("issuer", JsValue::from_f64(1.0))]), "invalid_config"),
        (obj(&[("issuer", s("https://as.example")), ("clientId", s("c"))]), "invalid_config"), // no redirectUri
        (obj(&[("issuer", s("https://as.example")), ("clientId", s("")), ("redirectUri", s("https://app.example/"))]), "invalid_config"),
    ];
    for (o, want) in &bad {
        assert_eq!(&client_code(Client::new(&text(o), None)), want, "Client::new {}", text(o));
    }
    // settings() reads what AuthClient.create needs before discovery (the endpoints themselves
    // are judged by Client::new, with or without metadata).
    let http_issuer = obj(&[("issuer", s("http://as.example")), ("clientId", s("c")), ("redirectUri", s("https://app.example/"))]);
    assert_eq!(code(x::settings(&text(&http_issuer))), "insecure_endpoint");
    let query_issuer = obj(&[("issuer", s("https://as.example/?tenant=a")), ("clientId", s("c")), ("redirectUri", s("https://app.example/"))]);
    assert_eq!(code(x::settings(&text(&query_issuer))), "invalid_config");
    for (o, want) in &bad[2..] {
        assert_eq!(&code(x::settings(&text(o))), want, "settings {}", text(o));
    }
    assert_eq!(code(x::settings("not json")), "invalid_config");
    assert_eq!(code(x::settings("[]")), "invalid_config");
    // Mistyped or out-of-range members are refused, never guessed around.
    let base = || options("https://as.example", "https://as.example/token");
    for (name, value) in [
        ("timeoutMs", JsValue::from_f64(0.0)),
        ("timeoutMs", JsValue::from_f64(1.5)),
        ("timeoutMs", s("30000")),
        ("refreshMarginSeconds", JsValue::from_f64(-1.0)),
        ("clockToleranceSeconds", JsValue::from_f64(601.0)),
        ("discovery", s("webfinger")),
        ("idTokenSigningAlgValues", js_sys::Array::of1(&s("none")).into()),
        ("idTokenSigningAlgValues", js_sys::Array::of1(&s("HS256")).into()),
        ("idTokenSigningAlgValues", js_sys::Array::new().into()),
        ("authorizationResponseIssParameterSupported", s("yes")),
        ("scope", JsValue::from_f64(3.0)),
    ] {
        let o = base();
        Reflect::set(&o, &s(name), &value).unwrap();
        assert_eq!(code(x::settings(&text(&o))), "invalid_config", "settings {name}");
        assert_eq!(client_code(Client::new(&text(&o), None)), "invalid_config", "Client::new {name}");
    }
    // An optional endpoint that is not https is refused too.
    let o = base();
    Reflect::set(&o, &s("jwksUri"), &s("http://as.example/jwks")).unwrap();
    assert_eq!(client_code(Client::new(&text(&o), None)), "insecure_endpoint");

    // What settings() answers: the discovery URL unless both endpoints are given; defaults.
    let only_issuer = obj(&[("issuer", s("https://as.example/tenant")), ("clientId", s("c")), ("redirectUri", s("https://app.example/"))]);
    let st = json(&x::settings(&text(&only_issuer)).unwrap());
    assert_eq!(get_str(&st, "discovery").as_deref(), Some("https://as.example/tenant/.well-known/openid-configuration"));
    assert_eq!(get(&st, "timeoutMs").as_f64(), Some(30000.0));
    assert_eq!(get(&st, "refreshMargin").as_f64(), Some(60.0));
    Reflect::set(&only_issuer, &s("discovery"), &s("oauth-authorization-server")).unwrap();
    let st = json(&x::settings(&text(&only_issuer)).unwrap());
    assert_eq!(get_str(&st, "discovery").as_deref(), Some("https://as.example/.well-known/oauth-authorization-server/tenant"));
    let st = json(&x::settings(&text(&base())).unwrap());
    assert!(get(&st, "discovery").is_null());

    // Discovery: the metadata must name the configured issuer exactly and have the endpoints.
    let o = text(&obj(&[("issuer", s("https://as.example")), ("clientId", s("c")), ("redirectUri", s("https://app.example/"))]));
    let md = |issuer: &str, token: bool| {
        let m = obj(&[("issuer", s(issuer)), ("authorization_endpoint", s("https://as.example/auth")), ("jwks_uri", s("https://as.example/jwks"))]);
        if token {
            Reflect::set(&m, &s("token_endpoint"), &s("https://as.example/token")).unwrap();
        }
        text(&m).into_bytes()
    };
    assert_eq!(client_code(Client::new(&o, Some(md("https://as.example/", true)))), "discovery_issuer_mismatch");
    assert_eq!(client_code(Client::new(&o, Some(md("https://evil.example", true)))), "discovery_issuer_mismatch");
    assert_eq!(client_code(Client::new(&o, Some(md("https://as.example", false)))), "metadata_missing");
    assert_eq!(client_code(Client::new(&o, Some(b"<html>".to_vec()))), "discovery_invalid");
    assert_eq!(client_code(Client::new(&o, Some(b"[]".to_vec()))), "discovery_invalid");
    // No metadata and no endpoints: nothing to talk to.
    assert_eq!(client_code(Client::new(&o, None)), "metadata_missing");
    let c = Client::new(&o, Some(md("https://as.example", true))).unwrap_or_else(|e| panic!("{e}"));
    let info = json(&c.info());
    assert_eq!(get_str(&info, "issuer").as_deref(), Some("https://as.example"));
    assert_eq!(get_str(&info, "clientId").as_deref(), Some("c"));
    assert_eq!(get_str(&info, "jwksUri").as_deref(), Some("https://as.example/jwks"));
    assert_eq!(get(&info, "userinfo").as_bool(), Some(false));
}

#[wasm_bindgen_test]
async fn login_stores_only_the_transaction_and_callback_exchanges_the_code() {
    session_storage().clear().unwrap();
    let c = client();
    let login = start_login(&c);
    let state = login.state();
    assert_eq!(login.key, format!("spa-oauth:txn:{state}"));
    assert_eq!(txn_keys(), vec![login.key.clone()]);
    let record = Record::parse(&login.value);
    let verifier = record.get("code_verifier").unwrap();
    assert_eq!(record.get("state").as_deref(), Some(state.as_str()));
    assert_eq!(record.get("client_id").as_deref(), Some("spa-test"));
    assert_eq!(x::txn_client(&login.value, now()), "spa-test");
    assert_eq!(x::txn_client(&login.value, now() + 660.0), "", "expired: to sweep");
    assert_eq!(x::txn_client("garbage", now()), "", "unreadable: to sweep");
    // The URL carries the S256 challenge of the stored verifier (WebCrypto) and the stored nonce.
    let q = login.url.search_params();
    let digest = js_sys::Uint8Array::new(&io::sha256(verifier.as_bytes()).await).to_vec();
    assert_eq!(q.get("code_challenge").unwrap(), spa_oauth::core::base64url::encode(&digest));
    assert_eq!(q.get("nonce"), record.get("nonce"));
    assert_eq!(login.url.href().split('?').next(), Some(format!("{}/auth", origin()).as_str()));
    assert!(!login.url.href().contains(&verifier), "the verifier never leaves the browser");

    // A valid callback.
    let cb = format!("{}/cb?code=the-code&state={state}&iss={}&session_state=x", origin(), iss());
    assert!(c.is_callback(&cb));
    let cleanup = json(&x::cleanup(&cb));
    let names: Vec<String> = js_sys::Array::from(&get(&cleanup, "names")).iter().filter_map(|v| v.as_string()).collect();
    for n in ["code", "state", "iss", "session_state"] {
        assert!(names.iter().any(|m| m == n), "cleanup removes {n}");
    }
    assert_eq!(get(&cleanup, "hash").as_bool(), Some(false));
    let accepted = callback(&c, &cb).unwrap_or_else(|e| panic!("{}", text(&e)));
    // Single use: the record is gone, nothing else was written.
    assert!(txn_keys().is_empty());
    assert_eq!(get_str(&accepted, "scope").as_deref(), Some("openid profile"));
    assert_eq!(get(&accepted, "idToken").as_bool(), Some(true));
    assert_eq!(get(&accepted, "nonce").as_string(), record.get("nonce"));
    let request = get(&accepted, "request");
    assert_eq!(get_str(&request, "method").as_deref(), Some("POST"));
    assert_eq!(get_str(&request, "url"), Some(format!("{}/__no_such_token_endpoint", origin())));
    let body = form(&get_str(&request, "body").unwrap());
    assert_eq!(body.get("grant_type").as_deref(), Some("authorization_code"));
    assert_eq!(body.get("code").as_deref(), Some("the-code"));
    assert_eq!(body.get("code_verifier"), Some(verifier));
    assert_eq!(body.get("client_id").as_deref(), Some("spa-test"));
    assert_eq!(body.get("redirect_uri"), Some(format!("{}/cb", origin())));

    // The code goes to the token endpoint with real fetch; the runner's server answers 404,
    // which must surface as token_response_status with the status.
    let r = io::send(&request, 30_000).await.unwrap();
    let status = get(&r, "status").as_f64().unwrap() as u16;
    assert_eq!(status, 404);
    let body = js_sys::Uint8Array::new(&get(&r, "body")).to_vec();
    let e = c.token_response(status, get_str(&r, "type"), &body, None, "openid profile", true, now()).unwrap_err();
    let e = thrown(&e);
    assert_eq!(get_str(&e, "code").as_deref(), Some("token_response_status"));
    assert_eq!(get(&e, "status").as_f64(), Some(404.0));
    assert!(!text(&e).contains("the-code"), "the code is not in the error");

    // AR-06: the same callback again is a state failure (no transaction): no token request.
    assert_eq!(callback_code(&c, &cb), "state_mismatch");
}

#[wasm_bindgen_test]
fn hostile_callbacks_are_rejected_before_any_token_request() {
    session_storage().clear().unwrap();
    let c = client();
    let cases: Vec<(String, &str)> = vec![
        ("code=c&state=tampered&iss=ISS".into(), "state_mismatch"),      // AR-02
        ("code=c&iss=ISS".into(), "state_missing"),                      // AR-03
        ("code=c&state=&iss=ISS".into(), "state_missing"),
        ("code=c&state=STATE&iss=https%3A%2F%2Fevil.example".into(), "iss_mismatch"), // AR-08
        ("code=c&state=STATE".into(), "iss_missing"),                    // AR-09
        ("error=access_denied&error_description=%3Cimg%20src%3Dx%3E&error_uri=https%3A%2F%2Fas%2Fe&state=STATE&iss=ISS".into(), "authorization_error"), // AR-12
        ("error=access_denied&state=wrong&iss=ISS".into(), "state_mismatch"), // AR-13
        ("error=access_denied&state=STATE&iss=https%3A%2F%2Fevil.example".into(), "iss_mismatch"), // AR-13
        ("state=STATE&iss=ISS".into(), "code_missing"),                  // AR-15
        ("code=&state=STATE&iss=ISS".into(), "code_missing"),
        ("code=c&access_token=at&state=STATE&iss=ISS".into(), "unexpected_callback_parameter"), // AR-17
        ("code=c&id_token=x.y.z&state=STATE&iss=ISS".into(), "unexpected_callback_parameter"),
        ("code=c&state=STATE&iss=ISS#access_token=at".into(), "unexpected_callback_parameter"),
        ("code=c&code=d&state=STATE&iss=ISS".into(), "callback_malformed"),
        ("code=c&state=STATE&state=STATE&iss=ISS".into(), "callback_malformed"),
        ("code=%ZZ&state=STATE&iss=ISS".into(), "callback_malformed"),
    ];
    for (query, want) in cases {
        let login = start_login(&c);
        let url = format!("{}/cb?{}", origin(), query.replace("STATE", &login.state()).replace("ISS", &iss()));
        let e = match callback(&c, &url) {
            Ok(v) => panic!("{query}: accepted {}", text(&v)),
            Err(e) => e,
        };
        assert_eq!(get_str(&e, "code").as_deref(), Some(want), "{query}");
        if want == "authorization_error" {
            assert_eq!(get_str(&e, "error").as_deref(), Some("access_denied"));
            assert_eq!(get_str(&e, "error_description").as_deref(), Some("<img src=x>"));
            assert_eq!(get_str(&e, "error_uri").as_deref(), Some("https://as/e"));
        } else {
            assert!(get(&e, "error").is_undefined(), "{query}: no server detail");
        }
        if query.contains('#') {
            assert_eq!(get(&json(&x::cleanup(&url)), "hash").as_bool(), Some(true), "the fragment is removed too");
        }
        session_storage().clear().unwrap();
    }

    // RFC 9700 §4.7 / AR-10: a callback at another path than the transaction's redirect URI.
    let login = start_login(&c);
    let url = format!("{}/elsewhere?code=c&state={}&iss={}", origin(), login.state(), iss());
    assert!(!c.is_callback(&url));
    assert_eq!(callback_code(&c, &url), "redirect_uri_mismatch");
    // A transaction made by another client of this origin is not this client's.
    let other = client_for("other-client");
    let login = start_login(&other);
    let url = format!("{}/cb?code=c&state={}&iss={}", origin(), login.state(), iss());
    assert_eq!(callback_code(&c, &url), "transaction_mismatch");
    assert!(txn_keys().is_empty(), "{:?}", txn_keys());
}

#[wasm_bindgen_test]
fn expired_or_corrupted_transactions_are_refused() {
    session_storage().clear().unwrap();
    let c = client();
    let login = start_login(&c);
    let state = login.state();
    // Age the stored transaction by 11 minutes.
    let created = Record::parse(&login.value).created_at();
    assert!((created as f64 - now()).abs() < 5.0, "created_at is the time of the login");
    session_storage().set_item(&login.key, &aged(&login.value, 660)).unwrap();
    let url = format!("{}/cb?code=c&state={state}&iss={}", origin(), iss());
    assert_eq!(callback_code(&c, &url), "transaction_expired");
    assert!(txn_keys().is_empty());

    // A fresh record at a clock 11 minutes later: expired too; one from the far future as well.
    let login = start_login(&c);
    let url = format!("{}/cb?code=c&state={}&iss={}", origin(), login.state(), iss());
    let e = c.callback(&url, Some(login.value.clone()), now() + 660.0).unwrap_err();
    assert_eq!(get_str(&thrown(&e), "code").as_deref(), Some("transaction_expired"));
    let e = c.callback(&url, Some(login.value.clone()), now() - 3600.0).unwrap_err();
    assert_eq!(get_str(&thrown(&e), "code").as_deref(), Some("transaction_expired"));
    // Still fine just inside the time-to-live.
    assert!(c.callback(&url, Some(login.value.clone()), now() + spa_oauth::core::authorize::TRANSACTION_TTL as f64 - 30.0).is_ok());
    session_storage().clear().unwrap();

    // Same-origin script wrote garbage under the key: treated as no transaction.
    session_storage().set_item(&format!("spa-oauth:txn:{state}"), "v=1&state=zzz%").unwrap();
    let url = format!("{}/cb?code=c&state={state}&iss={}", origin(), iss());
    assert_eq!(callback_code(&c, &url), "state_mismatch");
    assert!(txn_keys().is_empty());
    // A well-formed record whose state differs from its key: refused as well.
    let a = start_login(&c);
    let b = start_login(&c);
    session_storage().set_item(&a.key, &b.value).unwrap();
    let url = format!("{}/cb?code=c&state={}&iss={}", origin(), a.state(), iss());
    assert_eq!(callback_code(&c, &url), "state_mismatch");
    session_storage().clear().unwrap();
}

#[wasm_bindgen_test]
fn login_options_are_validated() {
    let c = client();
    let random = || io::random_bytes(RANDOM_BYTES);
    let login = |o: JsValue| c.authorize(&text(&o), false, &random(), now());
    assert_eq!(code(login(obj(&[("extraParams", obj(&[("state", s("x"))]))]))), "protocol_parameter_override");
    assert_eq!(code(login(obj(&[("extraParams", obj(&[("code_challenge", s("x"))]))]))), "protocol_parameter_override");
    assert_eq!(code(login(obj(&[("scope", JsValue::from_f64(3.0))]))), "invalid_config");
    assert_eq!(code(login(obj(&[("extraParams", obj(&[("prompt", JsValue::TRUE)]))]))), "invalid_config");
    assert_eq!(code(login(obj(&[("extraParams", s("prompt=login"))]))), "invalid_config");
    assert_eq!(code(c.authorize("[1]", false, &random(), now())), "invalid_config");
    assert_eq!(code(c.authorize("{", false, &random(), now())), "invalid_config");
    assert_eq!(code(c.authorize("null", false, &random()[..RANDOM_BYTES - 1], now())), "insufficient_randomness");
    // Valid options reach the URL; no options use the configured scope.
    let ok = json(&login(obj(&[("scope", s("openid email")), ("extraParams", obj(&[("prompt", s("login"))]))])).unwrap());
    let q = web_sys::Url::new(&get_str(&ok, "url").unwrap()).unwrap().search_params();
    assert_eq!(q.get("scope").as_deref(), Some("openid email"));
    assert_eq!(q.get("prompt").as_deref(), Some("login"));
    let ok = json(&c.authorize("null", false, &random(), now()).unwrap());
    let q = web_sys::Url::new(&get_str(&ok, "url").unwrap()).unwrap().search_params();
    assert_eq!(q.get("scope").as_deref(), Some("openid profile"));

    // isRedirectCallback: only a response at the redirect URI with state and code/error.
    assert!(c.is_callback(&format!("{}/cb?code=a&state=b", origin())));
    assert!(c.is_callback(&format!("{}/cb?error=access_denied&state=b", origin())));
    assert!(!c.is_callback(&format!("{}/other?code=a&state=b", origin())));
    assert!(!c.is_callback(&format!("{}/cb?foo=1", origin())));
    assert!(!c.is_callback(&format!("{}/cb?code=a", origin())));
    assert!(!c.is_callback("not a url"));
}

/// OIDC Core §3.1.2.6: a silent (prompt=none) attempt answered "the user must interact" means
/// not logged in (`login_required`), not an authorization error.
#[wasm_bindgen_test]
fn silent_restore_answered_with_interaction_error_is_login_required() {
    session_storage().clear().unwrap();
    let c = client();
    for error in ["login_required", "interaction_required", "consent_required", "account_selection_required"] {
        let login = start_login_with(&c, "null", true);
        assert_eq!(login.url.search_params().get("prompt").as_deref(), Some("none"));
        let url = format!("{}/cb?error={error}&state={}&iss={}", origin(), login.state(), iss());
        let e = callback(&c, &url).unwrap_err();
        assert_eq!(get_str(&e, "code").as_deref(), Some("login_required"), "{error}");
        assert_eq!(get_str(&e, "error").as_deref(), Some(error));
    }
    // Other errors of a silent attempt stay authorization errors.
    let login = start_login_with(&c, "null", true);
    let url = format!("{}/cb?error=access_denied&state={}&iss={}", origin(), login.state(), iss());
    assert_eq!(callback_code(&c, &url), "authorization_error");
    // An interactive login answered login_required is the provider's error, reported as such.
    let login = start_login(&c);
    assert_eq!(login.url.search_params().get("prompt"), None);
    let url = format!("{}/cb?error=login_required&state={}&iss={}", origin(), login.state(), iss());
    assert_eq!(callback_code(&c, &url), "authorization_error");
    assert!(txn_keys().is_empty());
}
