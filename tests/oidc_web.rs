//! Browser tests of ID-token verification: tokens signed with real WebCrypto keys of every
//! supported algorithm (tests/support/sign.js), verified the way the package does it — the core
//! parses the token and selects the key (`Client::key`, `check_key`), WebCrypto verifies the
//! signature (`verifySignature` of src/wasm/webcrypto.js, the driver's own module), and only then
//! the core checks the claims (`Client::claims`, `check_claims`) — and refused with a flipped
//! signature byte, a wrong key, a wrong alg, a tampered payload.
#![cfg(target_arch = "wasm32")]

use js_sys::Reflect;
use spa_oauth::wasm::exports::{self as x, Client};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(module = "/tests/support/sign.js")]
extern "C" {
    #[wasm_bindgen(js_name = signToken)]
    async fn sign_token(alg: &str, label: &str, header_alg: &str, claims: JsValue, with_kid: bool) -> JsValue;
    #[wasm_bindgen(js_name = publicJwks)]
    async fn public_jwks(alg: &str, labels: js_sys::Array) -> JsValue;
    #[wasm_bindgen(js_name = accessTokenHash)]
    async fn access_token_hash(input_json: &str, access_token: &str) -> JsValue;
}

#[wasm_bindgen(module = "/src/wasm/webcrypto.js")]
extern "C" {
    /// Resolves true only when WebCrypto accepts the signature; false on any failure.
    #[wasm_bindgen(js_name = verifySignature)]
    async fn verify_signature(input: JsValue) -> JsValue;
}

const ALGS: [&str; 10] = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"];
const ISSUER: &str = "https://as.example";
const CLIENT: &str = "client-1";

fn now() -> f64 {
    js_sys::Date::now() / 1000.0
}
fn secs() -> u64 {
    now() as u64
}
fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &JsValue::from_str(key)).unwrap()
}
fn json(t: &str) -> JsValue {
    js_sys::JSON::parse(t).unwrap_or_else(|_| panic!("not JSON: {t}"))
}
/// The code of a thrown core error JSON.
fn code_of(e: &str) -> String {
    get(&json(e), "code").as_string().unwrap_or_else(|| panic!("no code in {e}"))
}

fn claims_json(sub: &str, nonce: &str) -> String {
    format!(r#"{{"iss":"{ISSUER}","sub":"{sub}","aud":"{CLIENT}","exp":{},"iat":{},"nonce":"{nonce}"}}"#, secs() + 300, secs())
}
fn claims(nonce: &str) -> JsValue {
    json(&claims_json("user-1", nonce))
}
async fn sign(alg: &str, label: &str, header_alg: &str, claims: JsValue, with_kid: bool) -> String {
    sign_token(alg, label, header_alg, claims, with_kid).await.as_string().unwrap()
}
async fn jwks(alg: &str, labels: &[&str]) -> String {
    let arr = js_sys::Array::new();
    for l in labels {
        arr.push(&JsValue::from_str(l));
    }
    let doc = public_jwks(alg, arr).await.as_string().unwrap();
    // The document the driver would cache must pass the core's JWK Set check.
    x::jwks(doc.as_bytes()).unwrap_or_else(|e| panic!("{alg}: jwks refused: {e}"));
    doc
}

/// A client that accepts `algs` (idTokenSigningAlgValues), as the driver's AuthClient holds it.
fn client(algs: &[&str]) -> Client {
    let algs = algs.iter().map(|a| format!("\"{a}\"")).collect::<Vec<_>>().join(",");
    let options = format!(
        r#"{{"issuer":"{ISSUER}","clientId":"{CLIENT}","redirectUri":"https://app.example/cb","authorizationEndpoint":"{ISSUER}/auth","tokenEndpoint":"{ISSUER}/token","idTokenSigningAlgValues":[{algs}]}}"#
    );
    Client::new(&options, None).unwrap_or_else(|e| panic!("Client::new: {e}"))
}

/// The hash of `access_token` the driver computes with WebCrypto for the at_hash check, with the
/// function the verification input names.
async fn hash_for(input: &str, access_token: &str) -> Vec<u8> {
    js_sys::Uint8Array::new(&access_token_hash(input, access_token).await).to_vec()
}

/// The driver's `#verify`: key selection by the core, the signature by WebCrypto
/// (`signature_invalid` when it says false), then the core's claim checks with the WebCrypto
/// hash of the access token. Ok: the claims JSON.
async fn verify_with_client_at(c: &Client, token: &str, jwks: &str, nonce: &str, access_token: &str) -> Result<JsValue, String> {
    // Parsing alone (before any JWK Set is fetched) refuses what no key could help with.
    c.key(token, None).map_err(|e| code_of(&e))?;
    let input = c.key(token, Some(jwks.as_bytes().to_vec())).map_err(|e| code_of(&e))?;
    if verify_signature(JsValue::from_str(&input)).await.as_bool() != Some(true) {
        return Err("signature_invalid".into());
    }
    let hash = hash_for(&input, access_token).await;
    c.claims(token, Some(nonce.into()), false, None, Some(&hash), now()).map(|t| json(&t)).map_err(|e| code_of(&e))
}
async fn verify_with_client(c: &Client, token: &str, jwks: &str, nonce: &str) -> Result<JsValue, String> {
    verify_with_client_at(c, token, jwks, nonce, "an-access-token").await
}

/// `validateIdToken`: `check_key` → `verifySignature` (with the parsed object, as an app's
/// options may be) → `check_claims`.
async fn verify_standalone(token: &str, jwks: &str, nonce: &str) -> Result<JsValue, String> {
    let options = js_sys::Object::new();
    for (k, v) in [("issuer", ISSUER), ("clientId", CLIENT), ("jwks", jwks), ("nonce", nonce)] {
        Reflect::set(&options, &JsValue::from_str(k), &JsValue::from_str(v)).unwrap();
    }
    let options = js_sys::JSON::stringify(&options).unwrap().as_string().unwrap();
    let input = x::check_key(token, &options).map_err(|e| code_of(&e))?;
    if verify_signature(json(&input)).await.as_bool() != Some(true) {
        return Err("signature_invalid".into());
    }
    x::check_claims(token, &options, None, now()).map(|t| json(&t)).map_err(|e| code_of(&e))
}

/// Both paths must agree; the code of the refusal, or Ok(sub).
async fn verify_code(token: &str, jwks: &str) -> Result<String, String> {
    let a = verify_with_client(&client(&ALGS), token, jwks, "n-1").await;
    let b = verify_standalone(token, jwks, "n-1").await;
    let sub = |r: Result<JsValue, String>| r.map(|c| get(&c, "sub").as_string().unwrap());
    let (a, b) = (sub(a), sub(b));
    assert_eq!(a, b, "Client::key/claims and check_key/check_claims disagree");
    a
}

fn flip_signature_bit(token: &str) -> String {
    let (input, sig) = token.rsplit_once('.').unwrap();
    let mut bytes = spa_oauth::core::base64url::decode(sig).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x01;
    format!("{input}.{}", spa_oauth::core::base64url::encode(&bytes))
}

#[wasm_bindgen_test]
async fn every_algorithm_verifies_and_fails_closed() {
    for alg in ALGS {
        let keys = jwks(alg, &["a"]).await;
        let token = sign(alg, "a", alg, claims("n-1"), true).await;
        assert_eq!(verify_code(&token, &keys).await, Ok("user-1".into()), "{alg}: valid token");

        // What the core hands to WebCrypto: the algorithm parameters of RFC 7518 / RFC 8037.
        let input = json(&client(&ALGS).key(&token, Some(keys.as_bytes().to_vec())).unwrap());
        let verify_name = get(&get(&input, "verifyAlg"), "name").as_string().unwrap();
        let want = match &alg[..2] {
            "RS" => "RSASSA-PKCS1-v1_5",
            "PS" => "RSA-PSS",
            "ES" => "ECDSA",
            _ => "Ed25519",
        };
        assert_eq!(verify_name, want, "{alg}");
        if alg.starts_with("PS") {
            let salt = get(&get(&input, "verifyAlg"), "saltLength").as_f64().unwrap();
            assert_eq!(salt, alg[2..].parse::<f64>().unwrap() / 8.0, "{alg}: salt = hash length");
        }

        // IT-03 / IT-04: one flipped bit in the signature.
        assert_eq!(verify_code(&flip_signature_bit(&token), &keys).await, Err("signature_invalid".into()), "{alg}: flipped signature");

        // Wrong key: a token of key "b" (no kid) checked against the JWK Set of key "a".
        let other = sign(alg, "b", alg, claims("n-1"), false).await;
        assert_eq!(verify_code(&other, &keys).await, Err("signature_invalid".into()), "{alg}: wrong key");

        // Payload tampering after signing.
        let parts: Vec<&str> = token.split('.').collect();
        let evil = spa_oauth::core::base64url::encode(claims_json("admin", "n-1").as_bytes());
        let tampered = format!("{}.{}.{}", parts[0], evil, parts[2]);
        assert_eq!(verify_code(&tampered, &keys).await, Err("signature_invalid".into()), "{alg}: tampered payload");

        // A signature cut short or removed.
        let cut = format!("{}.{}.{}", parts[0], parts[1], &parts[2][..parts[2].len() / 2]);
        assert!(verify_code(&cut, &keys).await.is_err(), "{alg}: truncated signature");
        let none = format!("{}.{}.", parts[0], parts[1]);
        assert!(verify_code(&none, &keys).await.is_err(), "{alg}: empty signature");
    }
}

#[wasm_bindgen_test]
async fn wrong_alg_in_header_is_refused() {
    // Signed with PS256 but the header claims RS256 (same RSA key): WebCrypto verifies with
    // PKCS#1 v1.5 and fails.
    let keys = jwks("PS256", &["a"]).await;
    let token = sign("PS256", "a", "RS256", claims("n-1"), true).await;
    assert_eq!(verify_code(&token, &keys).await, Err("signature_invalid".into()));
    // An ES256 token against an RSA JWK Set: no applicable key.
    let token = sign("ES256", "a", "ES256", claims("n-1"), true).await;
    assert_eq!(verify_code(&token, &keys).await, Err("key_not_found".into()));
    // An ES256 token whose header says ES384, against its own P-256 key: refused (the key's
    // curve does not fit the alg), never verified with a mismatched curve.
    let p256 = jwks("ES256", &["a"]).await;
    let token = sign("ES256", "a", "ES384", claims("n-1"), true).await;
    assert!(verify_code(&token, &p256).await.is_err());
    // HS256 with the RSA public key as MAC key (IT-02) never reaches a verifier; nor does none.
    let token = sign("RS256", "a", "HS256", claims("n-1"), true).await;
    assert_eq!(verify_code(&token, &keys).await, Err("alg_unsupported".into()));
    let token = sign("RS256", "a", "none", claims("n-1"), true).await;
    assert_eq!(verify_code(&token, &keys).await, Err("alg_unsupported".into()));

    // IT-05: a client accepts only its registered algorithms (RS256 by default); a valid ES256
    // token is refused before any key is fetched.
    let es_keys = jwks("ES256", &["a"]).await;
    let token = sign("ES256", "a", "ES256", claims("n-1"), true).await;
    let rs_only = client(&["RS256"]);
    assert_eq!(rs_only.key(&token, None).map_err(|e| code_of(&e)), Err("alg_unsupported".into()));
    assert_eq!(verify_with_client(&rs_only, &token, &es_keys, "n-1").await.map(|_| ()), Err("alg_unsupported".into()));
    assert!(verify_with_client(&client(&["ES256"]), &token, &es_keys, "n-1").await.is_ok());
}

#[wasm_bindgen_test]
async fn claims_are_checked_after_the_signature() {
    let keys = jwks("ES256", &["a"]).await;
    // Valid signature, wrong nonce (IT-25): the claims check still refuses it.
    let token = sign("ES256", "a", "ES256", claims("other"), true).await;
    assert_eq!(verify_code(&token, &keys).await, Err("nonce_mismatch".into()));
    // Valid signature, another issuer / audience / expired.
    let c = |extra: &str| json(&claims_json("user-1", "n-1").replace("}", &format!(",{extra}}}")));
    let wrong = [
        (format!(r#""iss":"https://evil.example","sub":"user-1","aud":"{CLIENT}","exp":{},"iat":{},"nonce":"n-1""#, secs() + 300, secs()), "issuer_mismatch"),
        (format!(r#""iss":"{ISSUER}","sub":"user-1","aud":"someone-else","exp":{},"iat":{},"nonce":"n-1""#, secs() + 300, secs()), "audience_mismatch"),
        (format!(r#""iss":"{ISSUER}","sub":"user-1","aud":"{CLIENT}","exp":{},"iat":{},"nonce":"n-1""#, secs() - 3600, secs() - 4000), "token_expired"),
    ];
    for (body, want) in wrong {
        let token = sign("ES256", "a", "ES256", json(&format!("{{{body}}}")), true).await;
        assert_eq!(verify_code(&token, &keys).await, Err(want.into()), "{want}");
    }
    // Unknown claims are ignored (RFC 7519 §4).
    let token = sign("ES256", "a", "ES256", c(r#""extra":"fine""#), true).await;
    assert_eq!(verify_code(&token, &keys).await, Ok("user-1".into()));
    // No kid and two candidate keys (IT-32): ambiguous, never "try each".
    let two = jwks("ES256", &["a", "b"]).await;
    let token = sign("ES256", "a", "ES256", claims("n-1"), false).await;
    assert_eq!(verify_code(&token, &two).await, Err("key_ambiguous".into()));
    // No kid and one key (IT-31): accepted.
    assert_eq!(verify_code(&token, &keys).await, Ok("user-1".into()));
    // With a kid, the right one of two keys is used.
    let token = sign("ES256", "b", "ES256", claims("n-1"), true).await;
    assert_eq!(verify_code(&token, &two).await, Ok("user-1".into()));
    // The claims JSON is what the core validated.
    let claims = verify_with_client(&client(&["ES256"]), &token, &two, "n-1").await.unwrap();
    assert_eq!(get(&claims, "iss").as_string().as_deref(), Some(ISSUER));
    assert_eq!(get(&claims, "nonce").as_string().as_deref(), Some("n-1"));
}

/// IT-28: `at_hash` binds the ID token to the access token of the same response. The driver
/// hashes the access token with WebCrypto using the function the core names in the verification
/// input (SHA-256/384/512 by alg); the core compares the left half.
#[wasm_bindgen_test]
async fn at_hash_is_checked_with_the_webcrypto_hash() {
    use spa_oauth::core::jws::Alg;
    let c = client(&ALGS);
    for alg in ALGS {
        let keys = jwks(alg, &["a"]).await;
        let at_hash = spa_oauth::core::id_token::at_hash("the-access-token", Alg::from_name(alg).unwrap());
        let body = claims_json("user-1", "n-1").replace('}', &format!(r#","at_hash":"{at_hash}"}}"#));
        let token = sign(alg, "a", alg, json(&body), true).await;
        let input = c.key(&token, Some(keys.as_bytes().to_vec())).unwrap();
        let want_hash = match alg {
            "RS384" | "PS384" | "ES384" => "SHA-384",
            "RS512" | "PS512" | "ES512" | "EdDSA" => "SHA-512",
            _ => "SHA-256",
        };
        assert_eq!(get(&json(&input), "hash").as_string().as_deref(), Some(want_hash), "{alg}");
        let claims = verify_with_client_at(&c, &token, &keys, "n-1", "the-access-token").await;
        assert_eq!(claims.map(|v| get(&v, "at_hash").as_string()), Ok(Some(at_hash.clone())), "{alg}: matching access token");
        assert_eq!(verify_with_client_at(&c, &token, &keys, "n-1", "another-access-token").await.map(|_| ()), Err("at_hash_mismatch".into()), "{alg}: another access token");
        // A hash made with another function than the alg's (wrong length) fails closed.
        let other_fn = if want_hash == "SHA-256" { "SHA-512" } else { "SHA-256" };
        let wrong = hash_for(&input.replace(want_hash, other_fn), "the-access-token").await;
        let r = c.claims(&token, Some("n-1".into()), false, None, Some(&wrong), now()).map_err(|e| code_of(&e));
        assert_eq!(r.map(|_| ()), Err("at_hash_mismatch".into()), "{alg}: hash of the wrong length");
        // validateIdToken: with options.accessToken the same check applies.
        let options = format!(r#"{{"issuer":"{ISSUER}","clientId":"{CLIENT}","jwks":{},"nonce":"n-1","accessToken":"another-access-token"}}"#, json_string(&keys));
        let input = x::check_key(&token, &options).unwrap();
        let bad = hash_for(&input, "another-access-token").await;
        assert_eq!(x::check_claims(&token, &options, Some(&bad), now()).map_err(|e| code_of(&e)).map(|_| ()), Err("at_hash_mismatch".into()), "{alg}");
        let good = hash_for(&input, "the-access-token").await;
        assert!(x::check_claims(&token, &options.replace("another-access-token", "the-access-token"), Some(&good), now()).is_ok(), "{alg}");
    }
}

fn json_string(s: &str) -> String {
    js_sys::JSON::stringify(&JsValue::from_str(s)).unwrap().as_string().unwrap()
}

/// `verifySignature` fails closed: anything it cannot use is `false`, never an exception.
#[wasm_bindgen_test]
async fn verify_signature_fails_closed() {
    let keys = jwks("RS256", &["a"]).await;
    let token = sign("RS256", "a", "RS256", claims("n-1"), true).await;
    let input = client(&ALGS).key(&token, Some(keys.as_bytes().to_vec())).unwrap();
    assert_eq!(verify_signature(JsValue::from_str(&input)).await.as_bool(), Some(true));
    assert_eq!(verify_signature(json(&input)).await.as_bool(), Some(true), "object input");
    for bad in [
        "not json".to_string(),
        "{}".to_string(),
        "null".to_string(),
        input.replace("RSASSA-PKCS1-v1_5", "HMAC"),
        input.replace("\"kty\":\"RSA\"", "\"kty\":\"oct\""),
        input.replace("\"signature\":\"", "\"signature\":\"!!"),
    ] {
        assert_eq!(verify_signature(JsValue::from_str(&bad)).await.as_bool(), Some(false), "{bad}");
    }
    // Other data under the same signature.
    let v = json(&input);
    Reflect::set(&v, &JsValue::from_str("data"), &JsValue::from_str("x.y")).unwrap();
    assert_eq!(verify_signature(v).await.as_bool(), Some(false));
    // A JWK Set the core refuses is refused before any WebCrypto call.
    for bad in [&b"{}"[..], b"[]", b"{\"keys\":{}}", b"not json"] {
        assert_eq!(x::jwks(bad).map_err(|e| code_of(&e)), Err("jwks_invalid".into()), "{:?}", core::str::from_utf8(bad));
    }
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
