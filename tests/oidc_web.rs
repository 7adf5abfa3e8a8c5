//! Browser tests of ID-token verification: tokens signed with real WebCrypto keys of every
//! supported algorithm, verified through the adapter (`wasm::crypto::verify`, WebCrypto) and the
//! core claim checks — and failed with a flipped signature byte, a wrong key, a wrong alg.
#![cfg(target_arch = "wasm32")]

use spa_oauth::core::error::ErrorCode;
use spa_oauth::core::id_token::{self, Expectations};
use spa_oauth::core::jwk::{parse_jwks, select_key};
use spa_oauth::core::jws::{parse_compact, Alg};
use spa_oauth::wasm::crypto;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(module = "/tests/support/sign.js")]
extern "C" {
    #[wasm_bindgen(js_name = signToken)]
    async fn sign_token(alg: &str, label: &str, header_alg: &str, claims: JsValue, with_kid: bool) -> JsValue;
    #[wasm_bindgen(js_name = publicJwks)]
    async fn public_jwks(alg: &str, labels: js_sys::Array) -> JsValue;
}

const ALGS: [&str; 10] = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"];

fn now() -> u64 {
    (js_sys::Date::now() / 1000.0) as u64
}

fn claims(nonce: &str) -> JsValue {
    let json = format!(
        r#"{{"iss":"https://as.example","sub":"user-1","aud":"client-1","exp":{},"iat":{},"nonce":"{nonce}"}}"#,
        now() + 300,
        now()
    );
    js_sys::JSON::parse(&json).unwrap()
}

async fn jwks(alg: &str, labels: &[&str]) -> Vec<spa_oauth::core::jwk::Jwk> {
    let arr = js_sys::Array::new();
    for l in labels {
        arr.push(&JsValue::from_str(l));
    }
    let doc = public_jwks(alg, arr).await.as_string().unwrap();
    parse_jwks(doc.as_bytes()).unwrap()
}

fn expect<'a>(nonce: &'a str) -> Expectations<'a> {
    Expectations {
        issuer: "https://as.example", client_id: "client-1", trusted_audiences: &[], nonce: Some(nonce), nonce_optional: false,
        max_age: None, access_token: None, now: now(), clock_tolerance: 30, max_iat_age: 3600,
    }
}

async fn verify_code(token: &str, keys: &[spa_oauth::core::jwk::Jwk]) -> Result<(), ErrorCode> {
    let jws = parse_compact(token, &Alg::ALL).map_err(|e| e.code)?;
    let key = select_key(keys, &jws).map_err(|e| e.code)?.clone();
    let verified = crypto::verify(jws, &key).await.map_err(|e| e.code)?;
    id_token::validate(&verified, &expect("n-1")).map(|_| ()).map_err(|e| e.code)
}

#[wasm_bindgen_test]
async fn every_algorithm_verifies_and_fails_closed() {
    for alg in ALGS {
        let keys = jwks(alg, &["a"]).await;
        assert_eq!(keys.len(), 1, "{alg}: the exported public JWK is usable");
        let token = sign_token(alg, "a", alg, claims("n-1"), true).await.as_string().unwrap();
        assert_eq!(verify_code(&token, &keys).await, Ok(()), "{alg}: valid token");

        // IT-03 / IT-04: one flipped bit in the signature.
        let (input, sig) = token.rsplit_once('.').unwrap();
        let mut bytes = spa_oauth::core::base64url::decode(sig).unwrap();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0x01;
        let flipped = format!("{input}.{}", spa_oauth::core::base64url::encode(&bytes));
        assert_eq!(verify_code(&flipped, &keys).await, Err(ErrorCode::SignatureInvalid), "{alg}: flipped signature");

        // Wrong key: the token of key "a" checked against key "b" with the same kid rules.
        let other = sign_token(alg, "b", alg, claims("n-1"), false).await.as_string().unwrap();
        assert_eq!(verify_code(&other, &keys).await, Err(ErrorCode::SignatureInvalid), "{alg}: wrong key");

        // Payload tampering after signing.
        let parts: Vec<&str> = token.split('.').collect();
        let evil = spa_oauth::core::base64url::encode(
            format!(r#"{{"iss":"https://as.example","sub":"admin","aud":"client-1","exp":{},"iat":{},"nonce":"n-1"}}"#, now() + 300, now()).as_bytes(),
        );
        let tampered = format!("{}.{}.{}", parts[0], evil, parts[2]);
        assert_eq!(verify_code(&tampered, &keys).await, Err(ErrorCode::SignatureInvalid), "{alg}: tampered payload");
    }
}

#[wasm_bindgen_test]
async fn wrong_alg_in_header_is_refused() {
    // Signed with PS256 but the header claims RS256 (same RSA key): WebCrypto verifies with
    // PKCS#1 v1.5 and fails.
    let keys = jwks("PS256", &["a"]).await;
    let token = sign_token("PS256", "a", "RS256", claims("n-1"), true).await.as_string().unwrap();
    assert_eq!(verify_code(&token, &keys).await, Err(ErrorCode::SignatureInvalid));
    // An ES256 token against an RSA JWK Set: no applicable key.
    let token = sign_token("ES256", "a", "ES256", claims("n-1"), true).await.as_string().unwrap();
    assert_eq!(verify_code(&token, &keys).await, Err(ErrorCode::KeyNotFound));
    // HS256 with the RSA public key as MAC key (IT-02) never reaches a verifier.
    let token = sign_token("RS256", "a", "HS256", claims("n-1"), true).await.as_string().unwrap();
    assert_eq!(verify_code(&token, &keys).await, Err(ErrorCode::AlgUnsupported));
}

#[wasm_bindgen_test]
async fn claims_are_checked_after_the_signature() {
    let keys = jwks("ES256", &["a"]).await;
    // Valid signature, wrong nonce (IT-25): the claims check still refuses it.
    let token = sign_token("ES256", "a", "ES256", claims("other"), true).await.as_string().unwrap();
    assert_eq!(verify_code(&token, &keys).await, Err(ErrorCode::NonceMismatch));
    // No kid and two candidate keys (IT-32): ambiguous, never "try each".
    let two = jwks("ES256", &["a", "b"]).await;
    let token = sign_token("ES256", "a", "ES256", claims("n-1"), false).await.as_string().unwrap();
    assert_eq!(verify_code(&token, &two).await, Err(ErrorCode::KeyAmbiguous));
    // No kid and one key (IT-31): accepted.
    assert_eq!(verify_code(&token, &keys).await, Ok(()));
}

/// The data-driven vectors of `tests/vectors/*.json`, the same rows the native tests run.
#[wasm_bindgen_test]
fn vectors_pass_in_the_browser() {
    use spa_oauth::core::vectors;
    for (name, (failures, n)) in [
        ("jws", vectors::run_jws(include_str!("vectors/jws.json"))),
        ("claims", vectors::run_claims(include_str!("vectors/claims.json"))),
        ("keys", vectors::run_keys(include_str!("vectors/keys.json"))),
    ] {
        assert!(n >= 15, "{name}: only {n} vectors loaded");
        assert!(failures.is_empty(), "{name}: {failures:#?}");
    }
}
