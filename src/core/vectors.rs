//! Runner for the data-driven vectors in `tests/vectors/*.json` (one case per row: input and
//! expected code), shared by the native tests and the browser tests so both run the same cases.
//! Test support: not part of the API, removed from the shipped module as unused code.
#![doc(hidden)]

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::base64url;
use super::id_token::{self, Expectations};
use super::json::{self, Value};
use super::jwk;
use super::jws::{self, Alg, VerifiedJws};

/// The fixed clock of the claim vectors.
pub const NOW: u64 = 1_700_000_000;

fn outcome<T>(r: super::error::Result<T>) -> &'static str {
    match r {
        Ok(_) => "ok",
        Err(e) => e.code.as_str(),
    }
}

fn rows(doc: &str) -> Vec<Value> {
    match json::parse(doc.as_bytes()) {
        Ok(Value::Array(rows)) => rows,
        _ => Vec::new(),
    }
}

fn id_of(row: &Value) -> String {
    row.get("id").and_then(Value::as_str).unwrap_or("?").into()
}

fn check(row: &Value, got: &str, failures: &mut Vec<String>) {
    let want = row.get("expect").and_then(Value::as_str).unwrap_or("?");
    if got != want {
        failures.push(format!("{}: expected {want}, got {got}", id_of(row)));
    }
}

fn token(header: &Value, payload: &Value, sig_len: usize) -> String {
    format!(
        "{}.{}.{}",
        base64url::encode(header.to_json().as_bytes()),
        base64url::encode(payload.to_json().as_bytes()),
        base64url::encode(&alloc::vec![1u8; sig_len])
    )
}

/// Runs `jws.json`: compact JWS parsing and header policy. Returns the failures; the number of
/// rows is the second value.
pub fn run_jws(doc: &str) -> (Vec<String>, usize) {
    let rows = rows(doc);
    let mut failures = Vec::new();
    for row in &rows {
        let accepted: Vec<Alg> = match row.get("accepted") {
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).filter_map(Alg::from_name).collect(),
            _ => Alg::ALL.to_vec(),
        };
        let t = row.get("token").and_then(Value::as_str).unwrap_or("");
        check(row, outcome(jws::parse_compact(t, &accepted)), &mut failures);
    }
    (failures, rows.len())
}

/// Runs `claims.json`: ID-token claim validation at [`NOW`] with client `c`, issuer
/// `https://as.example`, nonce `n-1` unless the row says otherwise.
pub fn run_claims(doc: &str) -> (Vec<String>, usize) {
    let rows = rows(doc);
    let mut failures = Vec::new();
    let header = Value::Object(alloc::vec![("alg".into(), Value::String("RS256".into()))]);
    for row in &rows {
        let claims = row.get("claims").cloned().unwrap_or(Value::Null);
        let parsed = match jws::parse_compact(&token(&header, &claims, 256), &Alg::ALL) {
            Ok(p) => p,
            Err(e) => {
                check(row, e.code.as_str(), &mut failures);
                continue;
            }
        };
        let digest = row.get("access_token").and_then(Value::as_str).map(|at| id_token::access_token_hash(at, parsed.alg));
        // The vectors test the claim rules; the signature is covered by the browser tests.
        let verified = VerifiedJws::after_signature_check(parsed);
        let trusted: Vec<String> = match row.get("trusted") {
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(String::from).collect(),
            _ => Vec::new(),
        };
        let nonce = match row.get("nonce") {
            Some(Value::Null) => None,
            Some(Value::String(n)) => Some(n.as_str()),
            _ => Some("n-1"),
        };
        let expect = Expectations {
            issuer: "https://as.example",
            client_id: "c",
            trusted_audiences: &trusted,
            nonce,
            nonce_optional: false,
            max_age: row.get("max_age").and_then(Value::as_f64).map(|m| m as u64),
            access_token_hash: digest.as_deref(),
            now: NOW,
            clock_tolerance: 30,
            max_iat_age: 3600,
        };
        check(row, outcome(id_token::validate(&verified, &expect)), &mut failures);
    }
    (failures, rows.len())
}

/// Runs `keys.json`: JWK Set parsing and key selection.
pub fn run_keys(doc: &str) -> (Vec<String>, usize) {
    let rows = rows(doc);
    let mut failures = Vec::new();
    for row in &rows {
        let jwks = row.get("jwks").map(Value::to_json).unwrap_or_default();
        let header = row.get("header").cloned().unwrap_or(Value::Null);
        let alg = header.get("alg").and_then(Value::as_str).and_then(Alg::from_name);
        let sig_len = alg.and_then(Alg::fixed_signature_len).unwrap_or(256);
        let got = match (jwk::parse_jwks(jwks.as_bytes()), jws::parse_compact(&token(&header, &Value::Object(Vec::new()), sig_len), &Alg::ALL)) {
            (Err(e), _) | (_, Err(e)) => e.code.as_str(),
            (Ok(keys), Ok(t)) => outcome(jwk::select_key(&keys, &t)),
        };
        check(row, got, &mut failures);
    }
    (failures, rows.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_pass_natively() {
        for (name, (failures, n)) in [
            ("jws", run_jws(include_str!("../../tests/vectors/jws.json"))),
            ("claims", run_claims(include_str!("../../tests/vectors/claims.json"))),
            ("keys", run_keys(include_str!("../../tests/vectors/keys.json"))),
        ] {
            assert!(n >= 15, "{name}: only {n} vectors loaded");
            assert!(failures.is_empty(), "{name}: {failures:#?}");
        }
    }

    /// The proof type's constructor is called in one place, `claims_after_verification` of the
    /// exports, and the driver reaches that only right after `crypto.subtle.verify` said yes.
    #[test]
    fn only_the_verifier_constructs_verified_jws() {
        let sources = [
            ("src/core/id_token.rs", include_str!("id_token.rs").split("#[cfg(test)]").next().unwrap_or("")),
            ("src/core/jwk.rs", include_str!("jwk.rs")),
            ("src/core/token.rs", include_str!("token.rs")),
            ("src/core/refresh.rs", include_str!("refresh.rs")),
        ];
        for (name, src) in sources {
            assert!(!src.contains("after_signature_check"), "{name} constructs VerifiedJws");
        }
        // The browser client: the only constructor is `crypto::verify`, which runs WebCrypto's
        // `verify` and constructs the proof only when it resolved `true`.
        let crypto = include_str!("../client/crypto.rs");
        assert_eq!(crypto.matches("after_signature_check").count(), 1);
        let at = crypto.find("after_signature_check").unwrap();
        let owner = crypto[..at].rfind("\nasync fn ").unwrap();
        assert!(crypto[owner..].starts_with("\nasync fn verify_inner("));
        let body = &crypto[owner..at];
        assert!(body.contains("Ok(v) if v.as_bool() == Some(true) => Ok(VerifiedJws::"), "the proof is built only after verify() resolved true");
        for other in [include_str!("../client/mod.rs"), include_str!("../js/lowlevel.rs"), include_str!("../js/mod.rs")] {
            assert!(!other.contains("after_signature_check"));
        }
    }
}
