//! Browser tests of the Rust client API (`spa_oauth::AuthClient`), run in headless Chromium by
//! wasm-bindgen-test-runner: `CHROMEDRIVER=/usr/bin/chromedriver cargo test --target
//! wasm32-unknown-unknown --test web --test oidc_web` (or `wasm-pack test --headless --chrome`,
//! which also builds the library's unit tests). The client does its real I/O:
//! `crypto.getRandomValues`, WebCrypto, `sessionStorage`, Web Locks, the browser's `URL`, and
//! `fetch` — either the real one against the test runner's own server (which answers 404), or
//! a scripted replacement of `globalThis.fetch` (`tests/support/web.js`, through `FakeServer` /
//! `Provider` in `tests/support/harness.rs`) that answers discovery, token, JWKS, UserInfo and
//! revocation requests with real `Response` objects and records every request the client makes.
//!
//! Covered: configuration and discovery errors of `AuthClient::create`; the authorization URL
//! and the stored login transaction; `LoginOptions` validation; hostile, expired, replayed and
//! foreign callbacks (refused before any token request); a full login; token endpoint failures;
//! single-flight refresh with rotation, `invalid_grant` and 5xx; UserInfo; logout with
//! revocation; `close()`. ID-token verification is in `tests/oidc_web.rs`.
//!
//! Every test starts with `fresh_page()` (empty storage, the real fetch), restores the fetch it
//! replaced when its `FakeServer` drops, closes its clients, and gives them a client id of their
//! own (clients of one issuer and client id talk to each other over a BroadcastChannel).
#![cfg(target_arch = "wasm32")]

#[path = "support/harness.rs"]
mod harness;

use harness::*;
use js_sys::{Array, Promise};
use spa_oauth::{AuthClient, ClientOptions, ErrorCode, Event, LoginOptions, LogoutOptions, MetadataKind, RefreshSource};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::{future_to_promise, JsFuture};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Options of a client of `https://as.example` with explicit endpoints (no network needed).
fn as_example(client_id: &str) -> ClientOptions {
    ClientOptions::new("https://as.example", client_id, "https://app.example/cb").endpoints("https://as.example/authorize", "https://as.example/token")
}

async fn create(options: ClientOptions) -> AuthClient {
    AuthClient::create(options).await.unwrap_or_else(|e| panic!("AuthClient::create: {e:?}"))
}

fn iss_param(issuer: &str) -> String {
    js_sys::encode_uri_component(issuer).as_string().unwrap()
}

/// `n` concurrent `access_token()` calls (each its own promise, joined with `Promise.all`):
/// the token, or `error:<code>`, of each.
async fn concurrent_access_tokens(c: &AuthClient, n: usize) -> Vec<String> {
    let promises = Array::new();
    for _ in 0..n {
        let c = c.clone();
        promises.push(&future_to_promise(async move {
            Ok(match c.access_token().await {
                Ok(t) => JsValue::from_str(t.expose()),
                Err(e) => JsValue::from_str(&format!("error:{}", e.code.as_str())),
            })
        }));
    }
    let all = JsFuture::from(Promise::all(&promises)).await.unwrap();
    Array::from(&all).iter().map(|v| v.as_string().unwrap()).collect()
}

fn refresh_requests(p: &Provider) -> Vec<Recorded> {
    p.server.requests_to(&p.token_url()).into_iter().filter(|r| r.form("grant_type").as_deref() == Some("refresh_token")).collect()
}

fn count(events: &[Event], pred: impl Fn(&Event) -> bool) -> usize {
    events.iter().filter(|e| pred(e)).count()
}

// ============================================================================ configuration

#[wasm_bindgen_test]
async fn create_rejects_bad_configuration_with_codes() {
    fresh_page();
    let server = FakeServer::install();
    let cases: Vec<(&str, ClientOptions, ErrorCode)> = vec![
        ("empty issuer", ClientOptions::new("", "c", "https://app.example/cb"), ErrorCode::InvalidConfig),
        ("empty client_id", ClientOptions::new("https://as.example", "", "https://app.example/cb"), ErrorCode::InvalidConfig),
        ("empty redirect_uri", ClientOptions::new("https://as.example", "c", ""), ErrorCode::InvalidConfig),
        ("control character in client_id", as_example("a\nb"), ErrorCode::InvalidConfig),
        ("timeout 0", as_example("c").timeout_ms(0), ErrorCode::InvalidConfig),
        ("timeout > 600000", as_example("c").timeout_ms(600_001), ErrorCode::InvalidConfig),
        ("refresh margin > 3600", as_example("c").refresh_margin_seconds(3601), ErrorCode::InvalidConfig),
        ("no algorithm", as_example("c").id_token_signing_alg_values(vec![]), ErrorCode::InvalidConfig),
        ("bad scope token", as_example("c").scope("openid \"profile\""), ErrorCode::InvalidConfig),
        ("issuer with a query (discovery)", ClientOptions::new("https://as.example/?tenant=a", "c", "https://app.example/cb"), ErrorCode::InvalidConfig),
        (
            "issuer with a query (explicit endpoints)",
            ClientOptions::new("https://as.example/?tenant=a", "c", "https://app.example/cb").endpoints("https://as.example/authorize", "https://as.example/token"),
            ErrorCode::InvalidConfig,
        ),
        ("http issuer (discovery)", ClientOptions::new("http://as.example", "c", "https://app.example/cb"), ErrorCode::InsecureEndpoint),
        (
            "http issuer (explicit endpoints)",
            ClientOptions::new("http://as.example", "c", "https://app.example/cb").endpoints("https://as.example/authorize", "https://as.example/token"),
            ErrorCode::InsecureEndpoint,
        ),
        ("http token endpoint", as_example("c").endpoints("https://as.example/authorize", "http://as.example/token"), ErrorCode::InsecureEndpoint),
        ("http authorization endpoint", as_example("c").endpoints("http://as.example/authorize", "https://as.example/token"), ErrorCode::InsecureEndpoint),
        ("credentials in the token endpoint", as_example("c").endpoints("https://as.example/authorize", "https://u:p@as.example/token"), ErrorCode::InsecureEndpoint),
        ("http redirect_uri", ClientOptions::new("https://as.example", "c", "http://app.example/cb").endpoints("https://as.example/a", "https://as.example/t"), ErrorCode::InsecureEndpoint),
        ("redirect_uri with a fragment", ClientOptions::new("https://as.example", "c", "https://app.example/cb#x").endpoints("https://as.example/a", "https://as.example/t"), ErrorCode::InsecureEndpoint),
        ("http jwks_uri", as_example("c").jwks_uri("http://as.example/jwks"), ErrorCode::InsecureEndpoint),
        ("relative token endpoint", as_example("c").endpoints("https://as.example/authorize", "/token"), ErrorCode::InsecureEndpoint),
    ];
    let mut clock = as_example("c");
    clock.clock_tolerance_seconds = 601;
    let mut revocation = as_example("c");
    revocation.revocation_endpoint = Some("http://as.example/revoke".into());
    let mut userinfo = as_example("c");
    userinfo.userinfo_endpoint = Some("javascript:alert(1)".into());
    let more = vec![
        ("clock tolerance > 600", clock, ErrorCode::InvalidConfig),
        ("http revocation endpoint", revocation, ErrorCode::InsecureEndpoint),
        ("javascript: userinfo endpoint", userinfo, ErrorCode::InsecureEndpoint),
    ];
    for (what, options, want) in cases.into_iter().chain(more) {
        let e = err(AuthClient::create(options).await);
        assert_eq!(e.code, want, "{what}");
        assert_eq!(e.error(), None, "{what}: a configuration error carries no server detail");
    }
    // Limits are inclusive; loopback hosts may use http (local development).
    let ok = as_example("c").timeout_ms(600_000).refresh_margin_seconds(3600);
    create(ok).await.close();
    let loopback = ClientOptions::new("http://127.0.0.1:9", "c", "http://localhost:8080/cb").endpoints("http://127.0.0.1:9/auth", "http://[::1]:9/token");
    create(loopback).await.close();
    assert!(server.requests_off_origin().is_empty(), "configuration is judged before any request: {:?}", server.requests());
    assert!(storage_entries().is_empty());
}

#[wasm_bindgen_test]
async fn discovery_reads_the_metadata_and_fails_closed() {
    fresh_page();
    // The runner's own server has no metadata: a real fetch gets a real 404.
    let missing = ClientOptions::new(format!("{}/no-such-issuer", origin()), "c", format!("{}/cb", origin()));
    assert_eq!(code(AuthClient::create(missing).await), ErrorCode::DiscoveryInvalid, "404 from the runner");

    let server = FakeServer::install();
    let issuer = "https://as.example/tenant";
    let well_known = "https://as.example/tenant/.well-known/openid-configuration";
    let options = || ClientOptions::new(issuer, "c", "https://app.example/cb");
    let metadata = |issuer: &str, token: bool, extra: &str| {
        let token = if token { r#","token_endpoint":"https://as.example/token""# } else { "" };
        format!(r#"{{"issuer":"{issuer}","authorization_endpoint":"https://as.example/auth?x=1"{token},"jwks_uri":"https://as.example/jwks"{extra}}}"#)
    };

    // Success: the metadata's endpoints are used; the request follows the transport policy.
    server.json_once(well_known, 200, &metadata(issuer, true, r#","authorization_response_iss_parameter_supported":false"#));
    let c = create(options().scope("openid")).await;
    let reqs = server.requests_off_origin();
    assert_eq!(reqs.len(), 1);
    assert_eq!((reqs[0].method.as_str(), reqs[0].url.as_str()), ("GET", well_known));
    assert_eq!(reqs[0].header("accept"), Some("application/json"));
    reqs[0].assert_transport_policy();
    let login = start(&c, &LoginOptions::default());
    assert_eq!(login.url.origin(), "https://as.example");
    assert_eq!(login.url.pathname(), "/auth");
    assert_eq!(login.param("x").as_deref(), Some("1"), "the endpoint's own query is kept");
    // The metadata said iss is not sent: a callback without iss passes validation and reaches
    // the token endpoint (which refuses the code here).
    server.json_once("https://as.example/token", 400, r#"{"error":"invalid_grant"}"#);
    let cb = format!("https://app.example/cb?code=c&state={}", login.state);
    let e = err(c.handle_redirect_callback(Some(&cb)).await);
    assert_eq!((e.code, e.error(), e.status()), (ErrorCode::TokenError, Some("invalid_grant"), Some(400)));
    c.close();

    // When the metadata advertises iss (RFC 9207), it is required.
    server.json_once(well_known, 200, &metadata(issuer, true, r#","authorization_response_iss_parameter_supported":true"#));
    let c = create(options()).await;
    let login = start(&c, &LoginOptions::default());
    let cb = format!("https://app.example/cb?code=c&state={}", login.state);
    assert_eq!(code(c.handle_redirect_callback(Some(&cb)).await), ErrorCode::IssMissing);
    c.close();

    // RFC 8414 path insertion.
    let mut rfc8414 = options();
    rfc8414.discovery = MetadataKind::OAuthAuthorizationServer;
    let url8414 = "https://as.example/.well-known/oauth-authorization-server/tenant";
    server.json_once(url8414, 200, &metadata(issuer, true, ""));
    create(rfc8414).await.close();
    assert_eq!(server.requests_off_origin().last().unwrap().url, url8414);

    // Failures, each with its code: (what, status, content type, body; None = network failure).
    let cases: Vec<(&str, u16, &str, Option<String>, ErrorCode)> = vec![
        ("issuer with a trailing slash", 200, "application/json", Some(metadata("https://as.example/tenant/", true, "")), ErrorCode::DiscoveryIssuerMismatch),
        ("another issuer", 200, "application/json", Some(metadata("https://evil.example", true, "")), ErrorCode::DiscoveryIssuerMismatch),
        ("no token endpoint", 200, "application/json", Some(metadata(issuer, false, "")), ErrorCode::MetadataMissing),
        ("http endpoint in the metadata", 200, "application/json", Some(metadata(issuer, true, r#","userinfo_endpoint":"http://as.example/me""#)), ErrorCode::DiscoveryInvalid),
        ("HTML", 200, "text/html", Some("<html>".into()), ErrorCode::DiscoveryInvalid),
        ("an array", 200, "application/json", Some("[]".into()), ErrorCode::DiscoveryInvalid),
        ("500", 500, "application/json", Some(metadata(issuer, true, "")), ErrorCode::DiscoveryInvalid),
        ("302", 302, "", Some(String::new()), ErrorCode::RedirectRefused),
        ("network failure", 0, "", None, ErrorCode::NetworkError),
    ];
    for (what, status, content_type, body, want) in cases {
        match body {
            Some(body) => server.once(well_known, status, content_type, &body),
            None => server.network_error(well_known),
        }
        assert_eq!(code(AuthClient::create(options()).await), want, "{what}");
    }
    // The time-out aborts the request.
    js::route(well_known, 200, "application/json", &metadata(issuer, true, ""), 2_000, false);
    assert_eq!(code(AuthClient::create(options().timeout_ms(50)).await), ErrorCode::Timeout);
    // An explicit endpoint wins over the metadata, and is judged the same way.
    server.json_once(well_known, 200, &metadata(issuer, true, ""));
    assert_eq!(code(AuthClient::create(options().jwks_uri("http://as.example/keys")).await), ErrorCode::InsecureEndpoint);
    assert!(server.requests_off_origin().iter().all(|r| !r.unrouted), "{:?}", server.requests());
}

// ============================================================================ login

#[wasm_bindgen_test]
async fn authorization_url_parses_in_the_browser_and_only_the_transaction_is_stored() {
    fresh_page();
    let server = FakeServer::install();
    let options = ClientOptions::new("https://as.example", "c&d", "https://app.example/cb?x=1")
        .endpoints("https://as.example/authorize?tenant=a%20b", "https://as.example/token")
        .scope("openid data:read");
    let c = create(options).await;
    let login_options = LoginOptions::default().param("resource", "https://api.a/").param("resource", "https://api.b/").param("login_hint", "ü@x");
    let href = c.create_authorization_url(&login_options).unwrap();
    let url = web_sys::Url::new(&href).unwrap();
    assert_eq!(url.origin(), "https://as.example");
    assert_eq!(url.pathname(), "/authorize");
    assert_eq!(url.hash(), "");
    let q = url.search_params();
    assert_eq!(q.get("tenant").as_deref(), Some("a b"));
    assert_eq!(q.get("response_type").as_deref(), Some("code"));
    assert_eq!(q.get("client_id").as_deref(), Some("c&d"));
    assert_eq!(q.get("redirect_uri").as_deref(), Some("https://app.example/cb?x=1"));
    assert_eq!(q.get("scope").as_deref(), Some("openid data:read"));
    assert_eq!(q.get("code_challenge_method").as_deref(), Some("S256"));
    assert_eq!(q.get("login_hint").as_deref(), Some("ü@x"));
    let resources: Vec<String> = q.get_all("resource").iter().map(|v| v.as_string().unwrap()).collect();
    assert_eq!(resources, ["https://api.a/", "https://api.b/"]);
    assert_eq!(q.get("prompt"), None);
    let state = q.get("state").unwrap();
    let nonce = q.get("nonce").unwrap();
    let b64url = |s: &str| s.len() == 43 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    assert!(b64url(&state) && b64url(&nonce), "256-bit state and nonce");
    assert_ne!(state, nonce);

    // Exactly one thing stored: the transaction, under spa-oauth:txn:<state>, in sessionStorage.
    let key = format!("spa-oauth:txn:{state}");
    let entries = storage_entries();
    assert_eq!(entries.len(), 1, "{:?}", entries.iter().map(|(s, k, _)| (s, k)).collect::<Vec<_>>());
    assert_eq!((entries[0].0, entries[0].1.as_str()), ("sessionStorage", key.as_str()));
    let record = json(&entries[0].2);
    assert_eq!(get_str(&record, "state").as_deref(), Some(state.as_str()));
    assert_eq!(get_str(&record, "nonce").as_deref(), Some(nonce.as_str()));
    assert_eq!(get_str(&record, "client_id").as_deref(), Some("c&d"));
    assert_eq!(get_str(&record, "issuer").as_deref(), Some("https://as.example"));
    assert_eq!(get_str(&record, "redirect_uri").as_deref(), Some("https://app.example/cb?x=1"));
    assert_eq!(get_str(&record, "scope").as_deref(), Some("openid data:read"));
    let created = get(&record, "created_at").as_f64().unwrap();
    assert!((created - now_s()).abs() < 5.0, "created_at is the time of the login");
    // The URL carries the S256 challenge of the stored verifier (SHA-256 and base64url by the
    // browser), never the verifier.
    let verifier = get_str(&record, "code_verifier").unwrap();
    assert!(b64url(&verifier), "43-char verifier from 32 random bytes");
    let challenge = js::sha256_base64url(&verifier).await.as_string().unwrap();
    assert_eq!(q.get("code_challenge"), Some(challenge));
    assert!(!href.contains(&verifier));

    // Fresh values every time (BR-13); the transactions pile up until used or expired.
    let mut seen = std::collections::HashSet::new();
    for _ in 0..50 {
        let l = start(&c, &LoginOptions::default());
        assert!(seen.insert(l.state.clone()) && seen.insert(l.nonce.clone().unwrap()) && seen.insert(l.verifier()));
        assert_eq!(l.param("scope").as_deref(), Some("openid data:read"), "the client's scope by default");
    }
    assert_eq!(session_keys().len(), 51);

    // The core's PKCE pair: the verifier is the base64url of the 32 bytes it is given (all the
    // entropy is used); too little randomness is refused, not padded.
    let fixed: Vec<u8> = (0..32u8).collect();
    let pair = spa_oauth::core::pkce::pkce_pair(&fixed).unwrap();
    assert_eq!(pair.verifier.expose(), spa_oauth::core::base64url::encode(&fixed));
    assert_eq!(Some(pair.challenge), js::sha256_base64url(pair.verifier.expose()).await.as_string());
    assert_eq!(code(spa_oauth::core::pkce::pkce_pair(&[7u8; 31])), ErrorCode::InsufficientRandomness);
    assert!(server.requests_off_origin().is_empty(), "starting a login sends nothing");
    c.close();
}

#[wasm_bindgen_test]
async fn login_options_are_validated() {
    fresh_page();
    let c = create(as_example("c").scope("openid profile")).await;
    // Extra parameters may not override protocol parameters, nor repeat (resource excepted).
    for name in ["state", "nonce", "code_challenge", "code_challenge_method", "redirect_uri", "response_type", "client_id", "scope", "response_mode", "request_uri", "code_verifier"] {
        let r = c.create_authorization_url(&LoginOptions::default().param(name, "x"));
        assert_eq!(code(r), ErrorCode::ProtocolParameterOverride, "{name}");
    }
    assert_eq!(code(c.create_authorization_url(&LoginOptions::default().param("prompt", "login").param("prompt", "consent"))), ErrorCode::ProtocolParameterOverride);
    for (what, options) in [
        ("scope token with a quote", LoginOptions::default().scope("openid \"x\"")),
        ("max_age not a number", LoginOptions::default().param("max_age", "abc")),
        ("negative max_age", LoginOptions::default().param("max_age", "-1")),
        ("empty parameter name", LoginOptions::default().param("", "x")),
        ("control character in a name", LoginOptions::default().param("a\nb", "x")),
    ] {
        assert_eq!(code(c.create_authorization_url(&options)), ErrorCode::InvalidConfig, "{what}");
    }
    assert!(storage_entries().is_empty(), "a refused login stores nothing");

    // Valid options reach the URL and the transaction.
    // A login's scope is added to the client's (incremental authorization), normalised.
    let l = start(&c, &LoginOptions::default().scope("openid  email").param("prompt", "login").param("max_age", "0"));
    assert_eq!(l.param("scope").as_deref(), Some("openid profile email"), "scope added and normalised");
    assert_eq!(l.param("prompt").as_deref(), Some("login"));
    assert_eq!(l.param("max_age").as_deref(), Some("0"));
    assert_eq!(get(&l.record, "max_age").as_f64(), Some(0.0));
    assert_eq!(get_str(&l.record, "scope").as_deref(), Some("openid profile email"));
    let l = start(&c, &LoginOptions::default().scope("api:read").param("acr_values", "urn:mfa"));
    assert_eq!(l.param("scope").as_deref(), Some("openid profile api:read"));
    assert_eq!(get_str(&l.record, "acr_values").as_deref(), Some("urn:mfa"), "acr_values kept for the acr check");
    let oauth_only = create(as_example("c").scope("api:read")).await;
    let l = start(&oauth_only, &LoginOptions::default());
    assert_eq!(l.nonce, None, "no nonce without openid");
    assert_eq!(l.param("scope").as_deref(), Some("api:read"));
    // returnTo: the redirect URI's origin only; kept in the transaction.
    assert_eq!(code(c.create_authorization_url(&LoginOptions::default().return_to("https://evil.example/"))), ErrorCode::InvalidConfig);
    let l = start(&c, &LoginOptions::default().return_to("https://app.example/page?x=1#y"));
    assert_eq!(get_str(&l.record, "return_to").as_deref(), Some("https://app.example/page?x=1#y"));

    // is_redirect_callback: a response at the redirect URI with state and code or error.
    assert!(c.is_redirect_callback(Some("https://app.example/cb?code=a&state=b")));
    assert!(c.is_redirect_callback(Some("https://APP.example:443/cb?error=access_denied&state=b")));
    assert!(!c.is_redirect_callback(Some("https://app.example/other?code=a&state=b")));
    assert!(!c.is_redirect_callback(Some("https://evil.example/cb?code=a&state=b")));
    assert!(!c.is_redirect_callback(Some("https://app.example/cb?foo=1")));
    assert!(!c.is_redirect_callback(Some("https://app.example/cb?code=a")));
    assert!(!c.is_redirect_callback(Some("not a url")));
    assert!(!c.is_redirect_callback(None), "the test page itself is no callback");
    c.close();
}

// ============================================================================ callbacks

#[wasm_bindgen_test]
async fn hostile_callbacks_are_rejected_before_any_token_request() {
    fresh_page();
    let p = Provider::new("RS256").await;
    let id = unique_client("hostile");
    let c = p.client(&id).await;
    let iss = iss_param(&p.issuer);
    let cases: Vec<(&str, ErrorCode)> = vec![
        ("code=c&state=tampered&iss=ISS", ErrorCode::StateMismatch),  // AR-02
        ("code=c&iss=ISS", ErrorCode::StateMissing),                   // AR-03
        ("code=c&state=&iss=ISS", ErrorCode::StateMissing),
        ("code=c&state=STATE&iss=https%3A%2F%2Fevil.example", ErrorCode::IssMismatch), // AR-08
        ("code=c&state=STATE&iss=ISS%2F", ErrorCode::IssMismatch),     // exact comparison
        ("code=c&state=STATE", ErrorCode::IssMissing),                 // AR-09
        ("error=access_denied&error_description=%3Cimg%20src%3Dx%3E&error_uri=https%3A%2F%2Fas%2Fe&state=STATE&iss=ISS", ErrorCode::AuthorizationError), // AR-12
        ("error=access_denied&state=wrong&iss=ISS", ErrorCode::StateMismatch), // AR-13
        ("error=access_denied&state=STATE&iss=https%3A%2F%2Fevil.example", ErrorCode::IssMismatch),
        ("state=STATE&iss=ISS", ErrorCode::CodeMissing),               // AR-15
        ("code=&state=STATE&iss=ISS", ErrorCode::CodeMissing),
        ("code=c&access_token=at&state=STATE&iss=ISS", ErrorCode::UnexpectedCallbackParameter), // AR-17
        ("code=c&id_token=x.y.z&state=STATE&iss=ISS", ErrorCode::UnexpectedCallbackParameter),
        ("code=c&refresh_token=rt&state=STATE&iss=ISS", ErrorCode::UnexpectedCallbackParameter),
        ("code=c&state=STATE&iss=ISS#access_token=at&token_type=bearer", ErrorCode::UnexpectedCallbackParameter),
        ("code=c&code=d&state=STATE&iss=ISS", ErrorCode::CallbackMalformed),
        ("code=c&state=STATE&state=STATE&iss=ISS", ErrorCode::CallbackMalformed),
        ("code=%ZZ&state=STATE&iss=ISS", ErrorCode::CallbackMalformed),
    ];
    for (query, want) in cases {
        let login = start(&c, &LoginOptions::default());
        let url = format!("{}?{}", p.redirect_uri(), query.replace("STATE", &login.state).replace("ISS", &iss));
        let e = err(c.handle_redirect_callback(Some(&url)).await);
        assert_eq!(e.code, want, "{query}");
        if want == ErrorCode::AuthorizationError {
            assert_eq!(e.error(), Some("access_denied"));
            assert_eq!(e.error_description(), Some("<img src=x>"));
            assert_eq!(e.error_uri(), Some("https://as/e"));
        } else {
            assert_eq!(e.error(), None, "{query}: no server detail");
        }
        assert!(session_keys().is_empty(), "{query}: the flow is spent, no transaction left: {:?}", session_keys());
    }

    // RFC 9700 §4.7 / AR-10: a callback at another path than the transaction's redirect URI.
    let login = start(&c, &LoginOptions::default());
    let url = format!("{}/elsewhere?code=c&state={}&iss={iss}", origin(), login.state);
    assert!(!c.is_redirect_callback(Some(&url)));
    assert_eq!(code(c.handle_redirect_callback(Some(&url)).await), ErrorCode::RedirectUriMismatch);
    // A transaction started by another client of this origin is not this client's.
    let other = p.client(&unique_client("other")).await;
    let login = start(&other, &LoginOptions::default());
    assert_eq!(code(c.handle_redirect_callback(Some(&p.callback_url(&login, "c"))).await), ErrorCode::TransactionMismatch);
    other.close();

    assert!(session_keys().is_empty(), "{:?}", session_keys());
    assert!(p.requests().is_empty(), "no token (or any) request for a refused callback: {:?}", p.requests());
    assert_no_session(&c, "after hostile callbacks").await;
    c.close();
}

#[wasm_bindgen_test]
async fn expired_corrupted_and_replayed_transactions_are_refused() {
    fresh_page();
    let p = Provider::new("RS256").await;
    let id = unique_client("txn");
    let c = p.client(&id).await;
    let aged = |login: &Started, by: f64| {
        let created = get(&login.record, "created_at").as_f64().unwrap();
        set(&login.record, "created_at", created - by);
        session_storage().set_item(&login.key, &text(&login.record)).unwrap();
    };
    // Older than the 10 minute time to live; or from the far future (a clock set back).
    for by in [660.0, -3600.0] {
        let login = start(&c, &LoginOptions::default());
        aged(&login, by);
        assert_eq!(code(c.handle_redirect_callback(Some(&p.callback_url(&login, "c"))).await), ErrorCode::TransactionExpired, "aged by {by}");
        assert!(session_keys().is_empty(), "an expired transaction is deleted");
    }
    // Garbage under the key (same-origin script): no transaction.
    let login = start(&c, &LoginOptions::default());
    session_storage().set_item(&login.key, "v=1&state=zzz%").unwrap();
    assert_eq!(code(c.handle_redirect_callback(Some(&p.callback_url(&login, "c"))).await), ErrorCode::StateMismatch);
    // A well-formed record whose state differs from its key.
    let a = start(&c, &LoginOptions::default());
    let b = start(&c, &LoginOptions::default());
    session_storage().set_item(&a.key, &text(&b.record)).unwrap();
    assert_eq!(code(c.handle_redirect_callback(Some(&p.callback_url(&a, "c"))).await), ErrorCode::StateMismatch);
    assert!(session_keys().is_empty());
    assert!(p.requests().is_empty(), "no token request: {:?}", p.requests());

    // Just inside the time to live the response is accepted and the code is exchanged (the
    // token endpoint refuses it here) — and then the transaction is spent: a replay of the same
    // callback is a state failure, with no second token request (AR-06).
    let login = start(&c, &LoginOptions::default());
    aged(&login, 570.0);
    p.server.json_once(&p.token_url(), 400, r#"{"error":"invalid_grant","error_description":"code reused"}"#);
    let cb = p.callback_url(&login, "c");
    let e = err(c.handle_redirect_callback(Some(&cb)).await);
    assert_eq!((e.code, e.error(), e.error_description(), e.status()), (ErrorCode::TokenError, Some("invalid_grant"), Some("code reused"), Some(400)));
    assert_eq!(p.server.requests_to(&p.token_url()).len(), 1);
    assert_eq!(code(c.handle_redirect_callback(Some(&cb)).await), ErrorCode::StateMismatch);
    assert_eq!(p.server.requests_to(&p.token_url()).len(), 1);
    assert_no_session(&c, "after refused transactions").await;
    c.close();
}

/// OIDC Core §3.1.2.6: a silent (prompt=none) attempt answered "the user must interact" means
/// not logged in (`login_required`), not an authorization error.
#[wasm_bindgen_test]
async fn silent_login_answered_with_interaction_error_is_login_required() {
    fresh_page();
    let p = Provider::new("RS256").await;
    let c = p.client(&unique_client("silent")).await;
    let iss = iss_param(&p.issuer);
    let silent = || LoginOptions::default().param("prompt", "none");
    for error in ["login_required", "interaction_required", "consent_required", "account_selection_required"] {
        let login = start(&c, &silent());
        assert_eq!(login.param("prompt").as_deref(), Some("none"));
        assert_eq!(get(&login.record, "prompt_none").as_bool(), Some(true));
        let url = format!("{}?error={error}&state={}&iss={iss}", p.redirect_uri(), login.state);
        let e = err(c.handle_redirect_callback(Some(&url)).await);
        assert_eq!((e.code, e.error()), (ErrorCode::LoginRequired, Some(error)));
    }
    // Other errors of a silent attempt stay authorization errors.
    let login = start(&c, &silent());
    let url = format!("{}?error=access_denied&state={}&iss={iss}", p.redirect_uri(), login.state);
    assert_eq!(code(c.handle_redirect_callback(Some(&url)).await), ErrorCode::AuthorizationError);
    // An interactive login answered login_required is the provider's error, reported as such.
    let login = start(&c, &LoginOptions::default());
    assert_eq!(login.param("prompt"), None);
    let url = format!("{}?error=login_required&state={}&iss={iss}", p.redirect_uri(), login.state);
    let e = err(c.handle_redirect_callback(Some(&url)).await);
    assert_eq!((e.code, e.error()), (ErrorCode::AuthorizationError, Some("login_required")));
    assert!(session_keys().is_empty());
    assert!(p.requests().is_empty());
    c.close();
}

// ============================================================================ full login

#[wasm_bindgen_test]
async fn full_login_with_real_fetch_and_webcrypto() {
    fresh_page();
    let p = Provider::new("RS256").await;
    let id = unique_client("login");
    let c = p.client(&id).await;
    let events = record_events(&c);
    assert_no_session(&c, "before login").await;

    let login = start(&c, &LoginOptions::default());
    let verifier = login.verifier();
    let nonce = login.nonce.clone().expect("openid login has a nonce");
    let claims = p.claims(&id, Some(&nonce));
    set(&claims, "at_hash", at_hash("RS256", "at-1").await);
    set(&claims, "name", "Ada");
    let idt = p.id_token(&claims).await;
    let before = js_sys::Date::now();
    let result = p.finish(&c, &login, &token_body("at-1", Some("rt-1"), Some(&idt), Some(3600.0), Some("openid profile"))).await.unwrap();
    let after = js_sys::Date::now();

    // What the callback resolved with, and the session.
    assert_eq!(result.scope, "openid profile");
    let exp = result.expires_at.expect("expires_in was given");
    assert!(exp >= before + 3_600_000.0 - 1.0 && exp <= after + 3_600_000.0 + 1.0, "expires_at {exp}");
    assert!(c.is_authenticated());
    assert_eq!(c.token_expiry(), Some(exp));
    assert_eq!(c.granted_scope().as_deref(), Some("openid profile"));
    let got = c.id_token_claims().expect("validated claims");
    assert_eq!(got.get("sub").and_then(|v| v.as_str()), Some("user-1"));
    assert_eq!(got.get("nonce").and_then(|v| v.as_str()), Some(nonce.as_str()));
    assert_eq!(got.get("iss").and_then(|v| v.as_str()), Some(p.issuer.as_str()));
    assert_eq!(got.get("aud").and_then(|v| v.as_str()), Some(id.as_str()));
    assert_eq!(c.user().and_then(|u| u.get("name").and_then(|v| v.as_str()).map(String::from)).as_deref(), Some("Ada"));
    assert_eq!(c.access_token().await.unwrap().expose(), "at-1");

    // The requests: the code exchange, then the JWK Set; both with the transport policy.
    let reqs = p.requests();
    assert_eq!(reqs.iter().map(|r| r.url.as_str()).collect::<Vec<_>>(), [p.token_url(), p.jwks_url()]);
    let token = &reqs[0];
    assert_eq!(token.method, "POST");
    assert_eq!(token.header("content-type"), Some("application/x-www-form-urlencoded"));
    assert_eq!(token.header("accept"), Some("application/json"));
    assert_eq!(token.header("authorization"), None, "public client: no secret");
    assert_eq!(token.form("grant_type").as_deref(), Some("authorization_code"));
    assert_eq!(token.form("code").as_deref(), Some("the-code"));
    assert_eq!(token.form("code_verifier"), Some(verifier.clone()), "the stored verifier");
    assert_eq!(token.form("redirect_uri"), Some(p.redirect_uri()));
    assert_eq!(token.form("client_id"), Some(id.clone()));
    assert_eq!(token.form("client_secret"), None);
    assert_eq!(token.body.split('&').count(), 5, "nothing else in the body: {}", token.body);
    token.assert_transport_policy();
    assert_eq!(reqs[1].method, "GET");
    reqs[1].assert_transport_policy();

    // Nothing token-like anywhere in web storage; the transaction is gone.
    assert!(session_keys().is_empty(), "{:?}", session_keys());
    assert_storage_free_of(&["at-1", "rt-1", &idt, "the-code", &verifier, &nonce]);

    // Single use: the same callback again is a state failure, without a token request, and the
    // session stands.
    assert_eq!(code(c.handle_redirect_callback(Some(&p.callback_url(&login, "the-code"))).await), ErrorCode::StateMismatch);
    assert_eq!(p.server.requests_to(&p.token_url()).len(), 1);
    assert!(c.is_authenticated());
    assert!(events.borrow().is_empty(), "a login fires no session event: {:?}", events.borrow());
    c.close();
}

#[wasm_bindgen_test]
async fn callback_is_handled_once_at_a_time() {
    fresh_page();
    let p = Provider::new("RS256").await;
    let id = unique_client("inprogress");
    let c = p.client(&id).await;
    let login = start(&c, &LoginOptions::default());
    let idt = p.id_token(&p.claims(&id, login.nonce.as_deref())).await;
    p.server.once_delayed(&p.token_url(), 200, "application/json", &token_body("at-1", None, Some(&idt), Some(3600.0), None), 300);
    let url = p.callback_url(&login, "the-code");
    let (c2, url2) = (c.clone(), url.clone());
    let first = future_to_promise(async move {
        c2.handle_redirect_callback(Some(&url2)).await.map(|r| JsValue::from_str(&r.scope)).map_err(|e| JsValue::from_str(e.code.as_str()))
    });
    sleep(50.0).await;
    assert_eq!(code(c.handle_redirect_callback(Some(&url)).await), ErrorCode::CallbackInProgress);
    assert_eq!(JsFuture::from(first).await.map(|v| v.as_string()), Ok(Some("openid profile".into())), "the first call completes");
    assert!(c.is_authenticated());
    assert_eq!(p.server.requests_to(&p.token_url()).len(), 1);
    c.close();
}

#[wasm_bindgen_test]
async fn token_endpoint_failures_leave_no_session() {
    fresh_page();
    // The runner's own server: a real fetch of a path it does not have answers 404.
    let mut options = ClientOptions::new(origin(), unique_client("real"), format!("{}/cb", origin()))
        .endpoints(format!("{}/auth", origin()), format!("{}/__no_such_token_endpoint", origin()));
    options.authorization_response_iss_parameter_supported = Some(false);
    let c = create(options).await;
    let login = start(&c, &LoginOptions::default());
    let e = err(c.handle_redirect_callback(Some(&format!("{}/cb?code=the-code&state={}", origin(), login.state))).await);
    assert_eq!((e.code, e.status(), e.error()), (ErrorCode::TokenResponseStatus, Some(404), None));
    assert!(!format!("{e:?} {e}").contains("the-code"), "the code is not in the error");
    assert_no_session(&c, "404").await;
    c.close();

    let p = Provider::new("RS256").await;
    let id = unique_client("tokenfail");
    let c = p.client(&id).await;
    let cases: Vec<(&str, u16, &str, String, ErrorCode)> = vec![
        ("error body", 400, "application/json", r#"{"error":"invalid_grant","error_description":"<b>no</b>"}"#.into(), ErrorCode::TokenError),
        ("redirect", 302, "", String::new(), ErrorCode::RedirectRefused),
        ("HTML", 200, "text/html", "<html></html>".into(), ErrorCode::TokenResponseContentType),
        ("not JSON", 200, "application/json", "{".into(), ErrorCode::TokenResponseNotJson),
        ("array", 200, "application/json", "[]".into(), ErrorCode::TokenResponseNotObject),
        ("no id_token for openid", 200, "application/json", token_body("at-x", Some("rt-x"), None, Some(60.0), None), ErrorCode::IdTokenMissing),
        ("token_type mac", 200, "application/json", token_body("at-x", None, None, None, None).replace("Bearer", "mac"), ErrorCode::TokenTypeUnsupported),
        ("negative expires_in", 200, "application/json", token_body("at-x", None, None, Some(-1.0), None), ErrorCode::ExpiresInInvalid),
        ("expires_in as a string", 200, "application/json", token_body("at-x", None, None, None, None).replace('}', r#","expires_in":"3600"}"#), ErrorCode::ExpiresInInvalid),
        ("empty access_token", 200, "application/json", token_body("", None, None, None, None), ErrorCode::AccessTokenInvalid),
    ];
    for (what, status, ct, body, want) in cases {
        let login = start(&c, &LoginOptions::default());
        p.server.once(&p.token_url(), status, ct, &body);
        let e = err(c.handle_redirect_callback(Some(&p.callback_url(&login, "the-code"))).await);
        assert_eq!(e.code, want, "{what}");
        if want == ErrorCode::TokenError {
            assert_eq!((e.error(), e.error_description(), e.status()), (Some("invalid_grant"), Some("<b>no</b>"), Some(400)));
        }
        assert_no_session(&c, what).await;
        assert!(session_keys().is_empty(), "{what}: transaction spent");
        assert_storage_free_of(&["at-x", "rt-x", "the-code"]);
    }
    assert!(p.requests().iter().all(|r| r.url == p.token_url()), "no JWKS fetched for a refused response");
    c.close();
}

// ============================================================================ refresh

#[wasm_bindgen_test]
async fn fifty_concurrent_callers_share_one_refresh_and_rotation_is_used() {
    fresh_page();
    let p = Provider::new("RS256").await;
    let id = unique_client("refresh");
    let c = p.client(&id).await;
    let events = record_events(&c);
    // Two-second tokens: with the 60 s default margin the client renews at half the lifetime.
    let (_, first) = p.login(&c, &id, "at-1", Some("rt-1"), 2.0).await;
    assert!(c.is_authenticated());
    assert!(first.expires_at.unwrap() - js_sys::Date::now() <= 2000.0);
    // The answers of the next three refreshes, queued now (the renewal timer may ask first).
    p.server.once_delayed(&p.token_url(), 200, "application/json", &token_body("at-2", Some("rt-2"), None, Some(2.0), Some("openid")), 300);
    p.token_response(&token_body("at-3", None, None, Some(2.0), None));
    p.token_response(&token_body("at-4", Some("rt-4"), None, Some(3600.0), None));
    sleep_until_due(&c, 2000.0).await;
    assert!(c.is_authenticated(), "still valid, but inside the margin");

    let tokens = concurrent_access_tokens(&c, 50).await;
    assert!(tokens.iter().all(|t| t == "at-2"), "{tokens:?}");
    let refreshes = refresh_requests(&p);
    assert_eq!(refreshes.len(), 1, "single flight: {refreshes:?}");
    let r = &refreshes[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.form("refresh_token").as_deref(), Some("rt-1"));
    assert_eq!(r.form("client_id"), Some(id.clone()));
    assert_eq!(r.form("scope"), None, "the grant keeps its scope");
    r.assert_transport_policy();
    assert_eq!(c.granted_scope().as_deref(), Some("openid"), "the refreshed scope");
    assert_eq!(c.id_token_claims().and_then(|v| v.get("sub").and_then(|s| s.as_str()).map(String::from)).as_deref(), Some("user-1"), "claims kept");
    let refreshed = |e: &Event| matches!(e, Event::TokenRefreshed { source: RefreshSource::Refresh, .. });
    assert_eq!(count(&events.borrow(), refreshed), 1, "{:?}", events.borrow());
    assert_eq!(events.borrow().len(), 1, "{:?}", events.borrow());
    if let Some(Event::TokenRefreshed { expires_at, .. }) = events.borrow().first() {
        assert_eq!(*expires_at, c.token_expiry());
    }

    // Rotation: the next refresh presents the new refresh token; a response without one keeps it.
    sleep_until_due(&c, 2000.0).await;
    assert_eq!(c.access_token().await.unwrap().expose(), "at-3");
    sleep_until_due(&c, 2000.0).await;
    assert_eq!(c.access_token().await.unwrap().expose(), "at-4");
    let presented: Vec<Option<String>> = refresh_requests(&p).iter().map(|r| r.form("refresh_token")).collect();
    assert_eq!(presented, [Some("rt-1".into()), Some("rt-2".into()), Some("rt-2".into())]);
    assert_eq!(count(&events.borrow(), refreshed), 3);
    assert_eq!(events.borrow().len(), 3, "no error, no expiry: {:?}", events.borrow());
    assert!(p.server.requests_to(&p.token_url()).iter().all(|r| !r.unrouted), "every token request was answered");
    assert_storage_free_of(&["at-1", "at-2", "at-3", "at-4", "rt-1", "rt-2", "rt-4"]);
    c.close();
}

/// The in-tab single flight on its own: without Web Locks (which would also serialise the
/// refreshes of one tab) concurrent callers still make one request.
#[wasm_bindgen_test]
async fn single_flight_holds_without_web_locks() {
    fresh_page();
    let _no_locks = NoWebLocks::hide();
    let p = Provider::new("RS256").await;
    let id = unique_client("nolocks");
    let c = p.client(&id).await;
    let events = record_events(&c);
    p.login(&c, &id, "at-1", Some("rt-1"), 2.0).await;
    p.server.once_delayed(&p.token_url(), 200, "application/json", &token_body("at-2", Some("rt-2"), None, Some(3600.0), None), 300);
    sleep_until_due(&c, 2000.0).await;
    let tokens = concurrent_access_tokens(&c, 20).await;
    assert!(tokens.iter().all(|t| t == "at-2"), "{tokens:?}");
    assert_eq!(refresh_requests(&p).len(), 1, "single flight without Web Locks");
    assert_eq!(count(&events.borrow(), |e| matches!(e, Event::TokenRefreshed { source: RefreshSource::Refresh, .. })), 1, "{:?}", events.borrow());
    c.close();
}

#[wasm_bindgen_test]
async fn refused_refresh_token_ends_the_session() {
    fresh_page();
    let p = Provider::new("RS256").await;
    let id = unique_client("invalid-grant");
    let c = p.client(&id).await;
    let events = record_events(&c);
    p.login(&c, &id, "at-1", Some("rt-1"), 2.0).await;
    p.server.json_once(&p.token_url(), 400, r#"{"error":"invalid_grant","error_description":"revoked"}"#);
    sleep_until_due(&c, 2000.0).await;
    let e = err(c.access_token().await);
    assert_eq!((e.code, e.error(), e.error_description()), (ErrorCode::LoginRequired, Some("invalid_grant"), Some("revoked")));
    assert_eq!(refresh_requests(&p).len(), 1, "no retry");
    assert_eq!(count(&events.borrow(), |e| matches!(e, Event::SessionExpired)), 1, "{:?}", events.borrow());
    assert_eq!(count(&events.borrow(), |e| matches!(e, Event::Error(_) | Event::TokenRefreshed { .. })), 0, "{:?}", events.borrow());
    assert_no_session(&c, "after invalid_grant").await;
    assert_eq!(refresh_requests(&p).len(), 1, "no session, no refresh");
    c.close();
}

#[wasm_bindgen_test]
async fn server_error_on_refresh_keeps_the_valid_token() {
    fresh_page();
    let p = Provider::new("RS256").await;
    let id = unique_client("refresh-500");
    let c = p.client(&id).await;
    let events = record_events(&c);
    p.login(&c, &id, "at-1", Some("rt-1"), 2.0).await;
    p.server.json_once(&p.token_url(), 500, r#"{"error":"server_error"}"#);
    sleep_until_due(&c, 2000.0).await;
    assert_eq!(c.access_token().await.unwrap().expose(), "at-1", "the still-valid token");
    // During the backoff, callers get the valid token without a new request.
    assert_eq!(c.access_token().await.unwrap().expose(), "at-1");
    assert_eq!(refresh_requests(&p).len(), 1);
    assert!(c.is_authenticated());
    assert!(c.id_token_claims().is_some());
    let errors: Vec<(ErrorCode, Option<u16>)> = events.borrow().iter().filter_map(|e| if let Event::Error(e) = e { Some((e.code, e.status())) } else { None }).collect();
    assert_eq!(errors, [(ErrorCode::TokenResponseStatus, Some(500))], "{:?}", events.borrow());
    assert_eq!(count(&events.borrow(), |e| matches!(e, Event::SessionExpired | Event::LoggedOut)), 0);
    c.close();
}

// ============================================================================ UserInfo

#[wasm_bindgen_test]
async fn user_info_sends_the_token_only_in_the_authorization_header() {
    fresh_page();
    let p = Provider::new("RS256").await;
    let id = unique_client("userinfo");
    let mut options = p.options(&id);
    options.userinfo_endpoint = Some(p.userinfo_url());
    let c = create(options).await;
    assert_eq!(code(c.user_info().await), ErrorCode::LoginRequired, "no session");
    p.login(&c, &id, "at-1", None, 3600.0).await;
    p.server.json_once(&p.userinfo_url(), 200, r#"{"sub":"user-1","email":"ada@example.com"}"#);
    let info = c.user_info().await.unwrap();
    assert_eq!(info.get("email").and_then(|v| v.as_str()), Some("ada@example.com"));
    let user = c.user().unwrap();
    assert_eq!(user.get("email").and_then(|v| v.as_str()), Some("ada@example.com"));
    assert_eq!(user.get("iss").and_then(|v| v.as_str()), Some(p.issuer.as_str()), "merged with the ID token claims");
    let reqs = p.server.requests_to(&p.userinfo_url());
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].method, "GET");
    assert_eq!(reqs[0].header("authorization"), Some("Bearer at-1"));
    assert!(!reqs[0].url.contains("at-1") && reqs[0].body.is_empty(), "never in the URL or a body");
    reqs[0].assert_transport_policy();
    // Another subject, or a refusal.
    p.server.json_once(&p.userinfo_url(), 200, r#"{"sub":"someone-else"}"#);
    assert_eq!(code(c.user_info().await), ErrorCode::UserinfoSubMismatch);
    p.server.json_once(&p.userinfo_url(), 401, r#"{"error":"invalid_token"}"#);
    assert_eq!(code(c.user_info().await), ErrorCode::UserinfoInvalid);
    assert!(c.is_authenticated(), "a UserInfo failure does not end the session");
    c.close();
    // Without a userinfo_endpoint.
    let c = p.client(&unique_client("no-userinfo")).await;
    assert_eq!(code(c.user_info().await), ErrorCode::MetadataMissing);
    c.close();
}

// ============================================================================ logout, close

#[wasm_bindgen_test]
async fn logout_clears_the_session_and_revokes_refresh_then_access_token() {
    fresh_page();
    let p = Provider::new("RS256").await;
    let id = unique_client("logout");
    let mut options = p.options(&id);
    options.revocation_endpoint = Some(p.revocation_url());
    options.end_session_endpoint = Some(format!("{}/op/session/end", p.issuer));
    let c = create(options).await;
    let events = record_events(&c);
    let (_, _) = p.login(&c, &id, "at-1", Some("rt-1"), 3600.0).await;
    p.server.once(&p.revocation_url(), 200, "", "");
    p.server.once(&p.revocation_url(), 200, "", "");
    let here = window().location().href().unwrap();
    c.logout(&LogoutOptions::default().redirect(false)).await.unwrap();
    assert_eq!(window().location().href().unwrap(), here, "redirect(false): no navigation");
    assert_no_session(&c, "after logout").await;
    assert_eq!(events.borrow().len(), 1, "{:?}", events.borrow());
    assert!(matches!(events.borrow()[0], Event::LoggedOut));
    let revocations = p.server.requests_to(&p.revocation_url());
    assert_eq!(revocations.len(), 2);
    let sent: Vec<(Option<String>, Option<String>)> = revocations.iter().map(|r| (r.form("token"), r.form("token_type_hint"))).collect();
    assert_eq!(sent, [(Some("rt-1".into()), Some("refresh_token".into())), (Some("at-1".into()), Some("access_token".into()))]);
    for r in &revocations {
        assert_eq!(r.method, "POST");
        assert_eq!(r.form("client_id"), Some(id.clone()));
        assert_eq!(r.header("content-type"), Some("application/x-www-form-urlencoded"));
        r.assert_transport_policy();
    }
    assert!(p.server.requests().iter().all(|r| !r.url.contains("session/end")), "the end-session endpoint is a navigation, never a fetch");
    // Logging out again: nothing to revoke, no event.
    c.logout(&LogoutOptions::default().redirect(false)).await.unwrap();
    assert_eq!(p.server.requests_to(&p.revocation_url()).len(), 2);
    assert_eq!(events.borrow().len(), 1);

    // revoke(false): local logout only.
    p.login(&c, &id, "at-2", Some("rt-2"), 3600.0).await;
    c.logout(&LogoutOptions::default().redirect(false).revoke(false)).await.unwrap();
    assert_eq!(p.server.requests_to(&p.revocation_url()).len(), 2);
    assert_no_session(&c, "after local logout").await;
    assert_storage_free_of(&["at-1", "rt-1", "at-2", "rt-2"]);
    c.close();

    // No revocation endpoint: local logout only.
    let id = unique_client("logout-local");
    let c = p.client(&id).await;
    let events = record_events(&c);
    p.login(&c, &id, "at-3", Some("rt-3"), 3600.0).await;
    c.logout(&LogoutOptions::default().redirect(false)).await.unwrap();
    assert_eq!(p.server.requests_to(&p.revocation_url()).len(), 2);
    assert!(matches!(events.borrow().as_slice(), [Event::LoggedOut]));
    assert_no_session(&c, "after logout without revocation").await;
    c.close();
}

#[wasm_bindgen_test]
async fn failed_revocation_is_reported_after_the_local_logout() {
    fresh_page();
    let p = Provider::new("RS256").await;
    let id = unique_client("revoke-fail");
    let mut options = p.options(&id);
    options.revocation_endpoint = Some(p.revocation_url());
    let c = create(options).await;
    let events = record_events(&c);

    // The refresh token's revocation fails (503); the access token is still revoked.
    p.login(&c, &id, "at-1", Some("rt-1"), 3600.0).await;
    p.server.json_once(&p.revocation_url(), 503, r#"{"error":"temporarily_unavailable"}"#);
    p.server.once(&p.revocation_url(), 200, "", "");
    let e = err(c.logout(&LogoutOptions::default().redirect(false)).await);
    assert_eq!((e.code, e.status(), e.error()), (ErrorCode::RevocationFailed, Some(503), Some("temporarily_unavailable")));
    assert_eq!(p.server.requests_to(&p.revocation_url()).len(), 2, "both tokens were tried");
    assert_no_session(&c, "after a failed revocation").await;
    {
        let ev = events.borrow();
        assert!(matches!(ev.first(), Some(Event::LoggedOut)), "{ev:?}");
        let errors: Vec<ErrorCode> = ev.iter().filter_map(|e| if let Event::Error(e) = e { Some(e.code) } else { None }).collect();
        assert_eq!(errors, [ErrorCode::RevocationFailed]);
    }

    // The network fails for both: both reported, the first returned.
    events.borrow_mut().clear();
    p.login(&c, &id, "at-2", Some("rt-2"), 3600.0).await;
    p.server.network_error(&p.revocation_url());
    p.server.network_error(&p.revocation_url());
    let e = err(c.logout(&LogoutOptions::default().redirect(false)).await);
    assert_eq!((e.code, e.error()), (ErrorCode::RevocationFailed, Some("network_error")));
    assert_eq!(count(&events.borrow(), |e| matches!(e, Event::Error(x) if x.code == ErrorCode::RevocationFailed)), 2);
    assert_no_session(&c, "after revocation network failures").await;
    c.close();
}

#[wasm_bindgen_test]
async fn closed_client_is_inert() {
    fresh_page();
    let p = Provider::new("RS256").await;
    let id = unique_client("close");
    let c = p.client(&id).await;
    let events = record_events(&c);
    p.login(&c, &id, "at-1", Some("rt-1"), 3600.0).await;
    let pending = start(&c, &LoginOptions::default());
    let requests_before = p.requests().len();
    let clone = c.clone();
    c.close();

    assert!(!c.is_authenticated());
    assert!(!clone.is_authenticated(), "clones share the client");
    assert!(c.id_token_claims().is_none() && c.granted_scope().is_none() && c.token_expiry().is_none());
    assert_eq!(code(c.create_authorization_url(&LoginOptions::default())), ErrorCode::InvalidConfig);
    assert_eq!(code(clone.create_authorization_url(&LoginOptions::default())), ErrorCode::InvalidConfig);
    let cb = p.callback_url(&pending, "the-code");
    assert!(!c.is_redirect_callback(Some(&cb)));
    assert_eq!(code(c.handle_redirect_callback(Some(&cb)).await), ErrorCode::InvalidConfig);
    assert_eq!(code(c.access_token().await), ErrorCode::LoginRequired);
    assert_eq!(code(c.logout(&LogoutOptions::default().redirect(false)).await), ErrorCode::InvalidConfig);
    assert_eq!(p.requests().len(), requests_before, "a closed client sends nothing");
    assert!(events.borrow().is_empty(), "handlers are detached: {:?}", events.borrow());
    c.close(); // twice is fine
}

/// The Rust API's authorized fetch (feature resource-servers, issue 12): the allow-list, the
/// token per resource server from a refresh grant with RFC 8707 `resource` and `scope`, the
/// header, one refresh and one retry on invalid_token, consent_required and step_up_required.
#[cfg(feature = "resource-servers")]
#[wasm_bindgen_test]
async fn rust_fetch_sends_a_token_per_resource_server_only_where_allowed() {
    fresh_page();
    let p = Provider::new("RS256").await;
    let id = unique_client("fetch");
    let api = [origin().as_str(), "/api-", id.as_str(), "/"].concat();
    let c = create(p.options(&id).resource_server(api.clone())).await;
    p.login(&c, &id, "at-session", Some("rt-1"), 600.0).await;
    let request = |url: &str| web_sys::Request::new_with_str(url).unwrap();

    // Not under the resource server: no request, no token.
    let before = p.requests().len();
    for url in ["https://elsewhere.example/data".to_string(), [origin().as_str(), "/api-", &id, "-evil/x"].concat()] {
        assert_eq!(code(c.fetch(&request(&url), None).await), ErrorCode::ResourceNotAllowed, "{url}");
    }
    assert_eq!(code(c.access_token_for(Some("https://elsewhere.example/"), None).await), ErrorCode::ResourceNotAllowed);
    assert_eq!(p.requests().len(), before, "nothing sent");

    // A token for the API from one refresh grant naming it; the call carries it in the header.
    let data = [api.as_str(), "data"].concat();
    p.token_response(&token_body("at-api-1", Some("rt-2"), None, Some(600.0), Some("data:read")));
    p.server.once(&data, 200, "application/json", "{}");
    assert_eq!(c.fetch(&request(&data), Some("data:read")).await.unwrap().status(), 200);
    let grants = refresh_requests(&p);
    assert_eq!(grants.len(), 1);
    assert_eq!(grants[0].form("resource").as_deref(), Some(api.as_str()));
    assert_eq!(grants[0].form("scope").as_deref(), Some("data:read"));
    let sent = p.server.requests_to(&data);
    assert_eq!(sent.last().and_then(|q| q.header("authorization")), Some("Bearer at-api-1"));
    assert_eq!(sent.last().map(|q| q.redirect.as_str()), Some("manual"), "redirects are not followed");
    assert_eq!(c.tokens().iter().map(|t| t.resource.as_deref()).collect::<Vec<_>>(), [None, Some(api.as_str())]);
    assert_eq!(c.access_token_for(Some(&api), Some("data:read")).await.unwrap().expose(), "at-api-1", "cached");

    // invalid_token: the API's token is dropped, one refresh, one retry with the new one.
    js::route_challenge(&data, 401, "Bearer error=\"invalid_token\"");
    p.token_response(&token_body("at-api-2", Some("rt-3"), None, Some(600.0), Some("data:read")));
    p.server.once(&data, 200, "application/json", "{}");
    assert_eq!(c.fetch(&request(&data), Some("data:read")).await.unwrap().status(), 200);
    assert_eq!(refresh_requests(&p).len(), 2);
    let sent = p.server.requests_to(&data);
    assert_eq!(sent.iter().rev().take(2).filter_map(|q| q.header("authorization")).collect::<Vec<_>>(), ["Bearer at-api-2", "Bearer at-api-1"]);
    // Twice: invalid_token, after exactly one more refresh and two requests.
    js::route_challenge(&data, 401, "Bearer error=\"invalid_token\"");
    p.token_response(&token_body("at-api-3", Some("rt-4"), None, Some(600.0), Some("data:read")));
    js::route_challenge(&data, 401, "Bearer error=\"invalid_token\"");
    let n = p.server.requests_to(&data).len();
    let e = err(c.fetch(&request(&data), Some("data:read")).await);
    assert_eq!((e.code, e.status()), (ErrorCode::InvalidToken, Some(401)));
    assert_eq!((p.server.requests_to(&data).len() - n, refresh_requests(&p).len()), (2, 3));

    // insufficient_scope → consent_required with the scope and the resource; one request.
    js::route_challenge(&data, 403, "Bearer error=\"insufficient_scope\", scope=\"data:write\"");
    let events = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let seen = events.clone();
    c.on(move |e| seen.borrow_mut().push(e.clone()));
    let e = err(c.fetch(&request(&data), Some("data:read")).await);
    assert_eq!(e.code, ErrorCode::ConsentRequired);
    let d = e.detail().unwrap();
    assert_eq!((d.scope.as_deref(), d.resource.as_deref(), d.status), (Some("data:write"), Some(api.as_str()), Some(403)));
    // Step-up (RFC 9470): the values asked for.
    js::route_challenge(&data, 401, "Bearer error=\"insufficient_user_authentication\", acr_values=\"urn:mfa\", max_age=300");
    let e = err(c.fetch(&request(&data), Some("data:read")).await);
    let d = e.detail().unwrap();
    assert_eq!((e.code, d.acr_values.as_deref(), d.max_age), (ErrorCode::StepUpRequired, Some("urn:mfa"), Some(300)));
    let got = events.borrow();
    assert_eq!(count(&got, |e| matches!(e, Event::ConsentRequired(_))), 1);
    assert_eq!(count(&got, |e| matches!(e, Event::StepUpRequired(_))), 1);
    assert_eq!(count(&got, |e| matches!(e, Event::Fetch(r) if r.resource == api && r.status >= 401)), 2);
}
