//! JWK Set parsing (`jwk::parse_jwks`) and key selection for a few fixed tokens.
//!
//! Input: the JWKS document bytes.
//! Oracle: every parsed key is usable (RSA ≥ 2048 bits is enforced inside; here: a selected key
//! fits the token's algorithm and has its `kid`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use spa_oauth::core::base64url;
use spa_oauth::core::jwk::{parse_jwks, select_key};
use spa_oauth::core::jws::{parse_compact, Alg};

// Headers {"alg":A,"kid":K} / {"alg":A}; payload {"sub":"x"}; signatures of the right length.
fn tokens() -> Vec<String> {
    let b64 = |s: &str| base64url::encode(s.as_bytes());
    let sig = |len: usize| b64(&"s".repeat(len));
    let mut out = Vec::new();
    for (alg, len) in [("RS256", 256), ("PS384", 256), ("ES256", 64), ("ES384", 96), ("ES512", 132), ("EdDSA", 64)] {
        for kid in [None, Some("k1"), Some("")] {
            let header = match kid {
                Some(k) => format!(r#"{{"alg":"{alg}","kid":"{k}"}}"#),
                None => format!(r#"{{"alg":"{alg}"}}"#),
            };
            out.push(format!("{}.{}.{}", b64(&header), b64(r#"{"sub":"x"}"#), sig(len)));
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let Ok(keys) = parse_jwks(data) else { return };
    for token in tokens() {
        let jws = parse_compact(&token, &Alg::ALL).expect("fixed token");
        if let Ok(key) = select_key(&keys, &jws) {
            assert!(key.fits(jws.alg));
            if jws.kid.is_some() {
                assert_eq!(key.kid, jws.kid);
            }
        }
    }
});
