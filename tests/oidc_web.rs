//! Browser tests of ID-token verification through the Rust client API (`spa_oauth::AuthClient`),
//! run in headless Chromium by wasm-bindgen-test-runner. ID tokens are signed with real
//! WebCrypto keys of every supported algorithm (`tests/support/sign.js`), served with their JWK
//! Set by a scripted replacement of `globalThis.fetch` (`tests/support/web.js`, through
//! `Provider` in `tests/support/harness.rs`), and verified the way an application meets them:
//! `handle_redirect_callback` exchanges the code, the client fetches the JWK Set, WebCrypto
//! checks the signature and the core the claims.
//!
//! Covered: every algorithm (RS/PS/ES 256/384/512, EdDSA) verifies, and fails closed on a
//! flipped signature bit, a wrong key, a tampered payload and a wrong `at_hash`; claim checks
//! (nonce, aud, azp, iss, exp, iat, nbf, sub); algorithm policy (only the client's algorithms,
//! never HS*/none, checked before any key is fetched); key selection by `kid` and JWK Set
//! failures; the refetch on an unknown `kid`; a refreshed ID token naming another user; the
//! data-driven vectors of `tests/vectors/*.json`. After every refusal the session stays empty.
#![cfg(target_arch = "wasm32")]

#[path = "support/harness.rs"]
mod harness;

use harness::*;
use spa_oauth::{Alg, AuthClient, ErrorCode, Event, LoginOptions, RefreshSource};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const ALGS: [&str; 10] = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"];

fn algs(names: &[&str]) -> Vec<Alg> {
    names.iter().map(|n| Alg::from_name(n).unwrap()).collect()
}

async fn client_with(p: &Provider, id: &str, accepted: &[&str]) -> AuthClient {
    AuthClient::create(p.options(id).id_token_signing_alg_values(algs(accepted))).await.unwrap()
}

/// A login whose token response carries access token `at-1`, refresh token `rt-1` and the ID
/// token `make(claims)` builds from valid claims for this login (nonce included).
async fn login_with_token<F, Fut>(p: &Provider, c: &AuthClient, id: &str, make: F) -> Result<spa_oauth::CallbackResult, spa_oauth::Error>
where
    F: FnOnce(JsValue) -> Fut,
    Fut: std::future::Future<Output = String>,
{
    let login = start(c, &LoginOptions::default());
    let claims = p.claims(id, login.nonce.as_deref());
    let idt = make(claims).await;
    let r = p.finish(c, &login, &token_body("at-1", Some("rt-1"), Some(&idt), Some(3600.0), None)).await;
    assert!(session_keys().is_empty(), "the transaction is spent whatever happened");
    assert_storage_free_of(&["at-1", "rt-1", &idt, "the-code"]);
    r
}

/// Like [`login_with_token`] for a refusal: its code, after checking that no session exists.
async fn refused<F, Fut>(p: &Provider, c: &AuthClient, id: &str, what: &str, make: F) -> ErrorCode
where
    F: FnOnce(JsValue) -> Fut,
    Fut: std::future::Future<Output = String>,
{
    let e = code(login_with_token(p, c, id, make).await);
    assert_no_session(c, what).await;
    e
}

#[wasm_bindgen_test]
async fn every_algorithm_verifies_through_the_client_and_fails_closed() {
    fresh_page();
    for alg in ALGS {
        let p = Provider::new(alg).await;
        let id = unique_client(alg);
        let c = client_with(&p, &id, &[alg]).await;

        // IT-03 / IT-04: one flipped bit in the signature.
        let code = refused(&p, &c, &id, alg, |claims| async move { flip_signature_bit(&sign(alg, "a", alg, &claims, true).await) }).await;
        assert_eq!(code, ErrorCode::SignatureInvalid, "{alg}: flipped signature bit");
        // Signed by another key of the same type (no kid: the only key of the set is tried).
        let code = refused(&p, &c, &id, alg, |claims| async move { sign(alg, "b", alg, &claims, false).await }).await;
        assert_eq!(code, ErrorCode::SignatureInvalid, "{alg}: wrong key");
        // The payload replaced after signing.
        let code = refused(&p, &c, &id, alg, |claims| async move {
            let token = sign(alg, "a", alg, &claims, true).await;
            set(&claims, "sub", "admin");
            let parts: Vec<&str> = token.split('.').collect();
            format!("{}.{}.{}", parts[0], spa_oauth::core::base64url::encode(text(&claims).as_bytes()), parts[2])
        })
        .await;
        assert_eq!(code, ErrorCode::SignatureInvalid, "{alg}: tampered payload");
        // A signature cut in half, or removed.
        for (what, cut) in [("truncated", true), ("empty", false)] {
            let code = refused(&p, &c, &id, alg, |claims| async move {
                let token = sign(alg, "a", alg, &claims, true).await;
                let (input, sig) = token.rsplit_once('.').unwrap();
                format!("{input}.{}", if cut { &sig[..sig.len() / 2] } else { "" })
            })
            .await;
            assert!(matches!(code, ErrorCode::SignatureInvalid | ErrorCode::JwsMalformed), "{alg}: {what} signature: {code:?}");
        }
        // IT-28: at_hash (hashed with the alg's SHA-2 by WebCrypto) of another access token.
        let code = refused(&p, &c, &id, alg, |claims| async move {
            set(&claims, "at_hash", at_hash(alg, "another-access-token").await);
            sign(alg, "a", alg, &claims, true).await
        })
        .await;
        assert_eq!(code, ErrorCode::AtHashMismatch, "{alg}: at_hash of another token");

        // The valid token, with the at_hash of its access token.
        let r = login_with_token(&p, &c, &id, |claims| async move {
            set(&claims, "at_hash", at_hash(alg, "at-1").await);
            sign(alg, "a", alg, &claims, true).await
        })
        .await;
        assert!(r.is_ok(), "{alg}: valid token refused: {r:?}");
        assert!(c.is_authenticated(), "{alg}");
        let claims = c.id_token_claims().unwrap();
        assert_eq!(claims.get("sub").and_then(|v| v.as_str()), Some("user-1"), "{alg}");
        assert_eq!(claims.get("at_hash").and_then(|v| v.as_str()).map(String::from), Some(at_hash(alg, "at-1").await), "{alg}");
        assert_eq!(p.server.requests_to(&p.jwks_url()).len(), 1, "{alg}: the JWK Set is fetched once and cached");
        c.close();
    }
}

#[wasm_bindgen_test]
async fn claims_are_checked_after_the_signature() {
    fresh_page();
    let p = Provider::new("ES256").await;
    let id = unique_client("claims");
    let c = client_with(&p, &id, &["ES256"]).await;
    let now = now_s().floor();
    // (what, claims set, claims removed, expected code)
    type Case<'a> = (&'a str, Vec<(&'a str, JsValue)>, Vec<&'a str>, ErrorCode);
    let cases: Vec<Case> = vec![
        ("another nonce (IT-25)", vec![("nonce", "other".into())], vec![], ErrorCode::NonceMismatch),
        ("no nonce (IT-26)", vec![], vec!["nonce"], ErrorCode::NonceMismatch),
        ("another audience", vec![("aud", "someone-else".into())], vec![], ErrorCode::AudienceMismatch),
        ("an untrusted extra audience", vec![("aud", js_sys::Array::of2(&id.as_str().into(), &"untrusted".into()).into()), ("azp", id.as_str().into())], vec![], ErrorCode::AudienceMismatch),
        ("azp of another client", vec![("azp", "other-client".into())], vec![], ErrorCode::AzpMismatch),
        ("another issuer", vec![("iss", "https://evil.example".into())], vec![], ErrorCode::IssuerMismatch),
        ("issuer with a trailing slash", vec![("iss", format!("{}/", p.issuer).into())], vec![], ErrorCode::IssuerMismatch),
        ("expired", vec![("exp", (now - 3600.0).into()), ("iat", (now - 4000.0).into())], vec![], ErrorCode::TokenExpired),
        ("issued in the future", vec![("iat", (now + 3600.0).into())], vec![], ErrorCode::IatInvalid),
        ("not yet valid", vec![("nbf", (now + 3600.0).into())], vec![], ErrorCode::NotYetValid),
        ("no sub", vec![], vec!["sub"], ErrorCode::ClaimInvalid),
        ("no exp", vec![], vec!["exp"], ErrorCode::ClaimInvalid),
    ];
    for (what, overrides, removed, want) in cases {
        let got = refused(&p, &c, &id, what, |claims| async move {
            for (k, v) in overrides {
                set(&claims, k, v);
            }
            for k in removed {
                unset(&claims, k);
            }
            sign("ES256", "a", "ES256", &claims, true).await
        })
        .await;
        assert_eq!(got, want, "{what}");
    }
    // Unknown claims are ignored (RFC 7519 §4) and kept in the claims.
    let r = login_with_token(&p, &c, &id, |claims| async move {
        set(&claims, "extra", "fine");
        sign("ES256", "a", "ES256", &claims, true).await
    })
    .await;
    assert!(r.is_ok(), "{r:?}");
    assert_eq!(c.id_token_claims().unwrap().get("extra").and_then(|v| v.as_str()), Some("fine"));
    c.close();

    // A trusted extra audience is accepted when azp names the client.
    let id = unique_client("trusted");
    let mut options = p.options(&id).id_token_signing_alg_values(vec![Alg::ES256]);
    options.trusted_audiences = vec!["https://api.example".into()];
    let c = AuthClient::create(options).await.unwrap();
    let (api, me) = ("https://api.example", id.clone());
    let r = login_with_token(&p, &c, &id, |claims| async move {
        set(&claims, "aud", js_sys::Array::of2(&me.as_str().into(), &api.into()));
        set(&claims, "azp", me.as_str());
        sign("ES256", "a", "ES256", &claims, true).await
    })
    .await;
    assert!(r.is_ok(), "{r:?}");
    c.close();
}

#[wasm_bindgen_test]
async fn only_the_clients_algorithms_are_accepted_before_any_key_is_fetched() {
    fresh_page();
    let p = Provider::new("RS256").await;
    // IT-05: RS256 by default; a valid ES256 token is refused before the JWK Set is fetched.
    let id = unique_client("rs-only");
    let c = p.client(&id).await;
    for (what, key_alg, header_alg) in [("ES256, not registered", "ES256", "ES256"), ("HS256 (IT-02)", "RS256", "HS256"), ("none", "RS256", "none"), ("HS512", "RS256", "HS512")] {
        let got = refused(&p, &c, &id, what, |claims| async move { sign(key_alg, "a", header_alg, &claims, true).await }).await;
        assert_eq!(got, ErrorCode::AlgUnsupported, "{what}");
    }
    assert!(p.server.requests_to(&p.jwks_url()).is_empty(), "no key fetched for a refused alg");
    c.close();
    // Even a client listing every algorithm never accepts HS256 or none.
    let id = unique_client("all");
    let c = client_with(&p, &id, &ALGS).await;
    for header_alg in ["HS256", "none"] {
        let got = refused(&p, &c, &id, header_alg, |claims| async move { sign("RS256", "a", header_alg, &claims, true).await }).await;
        assert_eq!(got, ErrorCode::AlgUnsupported, "{header_alg}");
    }
    // An ES256 token against an RSA-only JWK Set: no applicable key.
    let got = refused(&p, &c, &id, "ES256 vs RSA keys", |claims| async move { sign("ES256", "a", "ES256", &claims, false).await }).await;
    assert_eq!(got, ErrorCode::KeyNotFound);
    c.close();

    // Signed with PS256 but the header says RS256 (same RSA key): PKCS#1 v1.5 verification fails.
    p.serve_jwks(&jwks("PS256", &["a"]).await);
    let id = unique_client("ps-rs");
    let c = client_with(&p, &id, &["RS256", "PS256"]).await;
    let got = refused(&p, &c, &id, "PS256 signed, RS256 claimed", |claims| async move { sign("PS256", "a", "RS256", &claims, false).await }).await;
    assert_eq!(got, ErrorCode::SignatureInvalid);
    c.close();
    // An ES256 signature whose header claims ES384, against its own P-256 key: refused (the
    // key's curve does not fit), never verified with a mismatched curve.
    p.serve_jwks(&jwks("ES256", &["a"]).await);
    let id = unique_client("es-curve");
    let c = client_with(&p, &id, &["ES256", "ES384"]).await;
    let got = refused(&p, &c, &id, "ES384 claimed on P-256", |claims| async move { sign("ES256", "a", "ES384", &claims, false).await }).await;
    assert!(matches!(got, ErrorCode::KeyNotFound | ErrorCode::SignatureInvalid), "{got:?}");
    c.close();
}

#[wasm_bindgen_test]
async fn keys_are_selected_by_kid_and_jwks_failures_fail_closed() {
    fresh_page();
    let p = Provider::new("ES256").await;
    p.serve_jwks(&jwks("ES256", &["a", "b"]).await);
    let id = unique_client("kid");
    let c = client_with(&p, &id, &["ES256"]).await;
    // IT-32: no kid and two candidate keys: ambiguous, never "try each".
    let got = refused(&p, &c, &id, "no kid, two keys", |claims| async move { sign("ES256", "a", "ES256", &claims, false).await }).await;
    assert_eq!(got, ErrorCode::KeyAmbiguous);
    // With a kid, the right one of two keys is used.
    let r = login_with_token(&p, &c, &id, |claims| async move { sign("ES256", "b", "ES256", &claims, true).await }).await;
    assert!(r.is_ok(), "{r:?}");
    c.close();

    // The JWK Set endpoint fails or serves garbage: refused, no session.
    for (what, status, body) in [("500", 500, r#"{"keys":[]}"#), ("not a JWK Set", 200, "{}"), ("keys not an array", 200, r#"{"keys":{}}"#), ("not JSON", 200, "<html>")] {
        p.server.clear(&p.jwks_url());
        p.server.json_once(&p.jwks_url(), status, body);
        let id = unique_client("jwks");
        let c = client_with(&p, &id, &["ES256"]).await;
        let got = refused(&p, &c, &id, what, |claims| async move { sign("ES256", "a", "ES256", &claims, true).await }).await;
        assert_eq!(got, ErrorCode::JwksInvalid, "{what}");
        c.close();
    }
    // No jwks_uri at all: the ID token cannot be verified.
    let id = unique_client("no-jwks");
    let mut options = p.options(&id).id_token_signing_alg_values(vec![Alg::ES256]);
    options.jwks_uri = None;
    let c = AuthClient::create(options).await.unwrap();
    let got = refused(&p, &c, &id, "no jwks_uri", |claims| async move { sign("ES256", "a", "ES256", &claims, true).await }).await;
    assert_eq!(got, ErrorCode::MetadataMissing);
    c.close();
}

#[wasm_bindgen_test]
async fn an_unknown_kid_refetches_the_jwks_once() {
    fresh_page();
    let p = Provider::new("ES256").await;
    let id = unique_client("rotation");
    let c = client_with(&p, &id, &["ES256"]).await;
    let ok = login_with_token(&p, &c, &id, |claims| async move { sign("ES256", "a", "ES256", &claims, true).await }).await;
    assert!(ok.is_ok(), "{ok:?}");
    assert_eq!(p.server.requests_to(&p.jwks_url()).len(), 1);
    // The provider rotates to key "c": the cached set does not have it, one refetch does.
    p.serve_jwks(&jwks("ES256", &["a", "c"]).await);
    let ok = login_with_token(&p, &c, &id, |claims| async move { sign("ES256", "c", "ES256", &claims, true).await }).await;
    assert!(ok.is_ok(), "{ok:?}");
    assert_eq!(p.server.requests_to(&p.jwks_url()).len(), 2);
    // Another unknown kid right after: refused from the cache, no refetch flood (cooldown).
    let e = login_with_token(&p, &c, &id, |claims| async move { sign("ES256", "d", "ES256", &claims, true).await }).await;
    assert_eq!(code(e), ErrorCode::KeyNotFound);
    assert_eq!(p.server.requests_to(&p.jwks_url()).len(), 2);
    c.close();
}

#[wasm_bindgen_test]
async fn a_refreshed_id_token_must_name_the_same_user() {
    fresh_page();
    let p = Provider::new("RS256").await;
    let id = unique_client("refresh-idt");
    let c = p.client(&id).await;
    let events = record_events(&c);
    p.login(&c, &id, "at-1", Some("rt-1"), 2.0).await;
    // Refreshed ID tokens carry no nonce (OIDC Core §12.2). The first names the same user...
    let same = p.claims(&id, None);
    set(&same, "at_hash", at_hash("RS256", "at-2").await);
    p.token_response(&token_body("at-2", Some("rt-2"), Some(&p.id_token(&same).await), Some(2.0), None));
    // ...the second another one (RT-05): never a silent user switch.
    let other = p.claims(&id, None);
    set(&other, "sub", "user-2");
    p.token_response(&token_body("at-3", Some("rt-3"), Some(&p.id_token(&other).await), Some(2.0), None));

    sleep_until_due(&c, 2000.0).await;
    assert_eq!(c.access_token().await.unwrap().expose(), "at-2");
    assert_eq!(c.id_token_claims().unwrap().get("sub").and_then(|v| v.as_str()), Some("user-1"));
    assert!(matches!(events.borrow().as_slice(), [Event::TokenRefreshed { source: RefreshSource::Refresh, .. }]), "{:?}", events.borrow());

    sleep_until_due(&c, 2000.0).await;
    let e = c.access_token().await;
    // The caller of the refresh gets the refusal; had the renewal timer asked first, the
    // session is gone and the caller is told to log in.
    assert!(matches!(code(e), ErrorCode::IdTokenChanged | ErrorCode::LoginRequired));
    assert_eq!(events.borrow().iter().filter(|e| matches!(e, Event::SessionExpired)).count(), 1, "{:?}", events.borrow());
    assert_no_session(&c, "after another user's ID token").await;
    assert_storage_free_of(&["at-1", "at-2", "at-3", "rt-1", "rt-2", "rt-3"]);
    c.close();
}

/// The data-driven vectors of `tests/vectors/*.json`, the same rows the native tests run.
#[wasm_bindgen_test]
fn vectors_pass_in_the_browser() {
    use spa_oauth::core::vectors;
    fresh_page();
    for (name, (failures, n)) in [
        ("jws", vectors::run_jws(include_str!("vectors/jws.json"))),
        ("claims", vectors::run_claims(include_str!("vectors/claims.json"))),
        ("keys", vectors::run_keys(include_str!("vectors/keys.json"))),
    ] {
        assert!(n >= 15, "{name}: only {n} vectors loaded");
        assert!(failures.is_empty(), "{name}: {failures:#?}");
    }
}
