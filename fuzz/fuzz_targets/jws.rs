//! Compact JWS parsing (`jws::parse_compact`) and, for what parses, the claim checks of
//! `id_token::validate` (as if the signature had verified: the claims are untrusted JSON too)
//! and key selection against a fixed JWK Set.
//!
//! Input: a UTF-8 string, the token. Byte 0 chooses the accepted algorithm list.
//! Oracle: a parsed token's `alg` is in the accepted list, its signing input is exactly the
//! first two segments, it has three segments; validated claims match the expectations.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spa_oauth::core::id_token::{self, Expectations};
use spa_oauth::core::jwk::{parse_jwks, select_key};
use spa_oauth::core::jws::{parse_compact, Alg, VerifiedJws};

const NOW: u64 = 1_700_000_000;
fn jwks() -> String {
    let n = format!("AP{}", "_".repeat(342)); // > 2048 bits
    let c = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE";
    format!(r#"{{"keys":[{{"kty":"RSA","kid":"r1","n":"{n}","e":"AQAB"}},
      {{"kty":"EC","kid":"e1","crv":"P-256","x":"{c}","y":"{c}"}},
      {{"kty":"OKP","kid":"d1","crv":"Ed25519","x":"{c}"}}]}}"#)
}

fuzz_target!(|data: &[u8]| {
    let [sel, rest @ ..] = data else { return };
    let Ok(token) = std::str::from_utf8(rest) else { return };
    let accepted: &[Alg] = match sel % 3 {
        0 => &Alg::ALL,
        1 => &[Alg::RS256],
        _ => &[Alg::ES256, Alg::EdDSA],
    };
    let Ok(jws) = parse_compact(token, accepted) else { return };
    assert!(accepted.contains(&jws.alg));
    let mut parts = token.split('.');
    let (h, p) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    assert!(parts.next().is_some() && parts.next().is_none(), "not three segments");
    assert_eq!(jws.signing_input, format!("{h}.{p}").into_bytes());
    assert!(!jws.signature.is_empty());

    let keys = parse_jwks(jwks().as_bytes()).expect("fixed JWKS");
    if let Ok(key) = select_key(&keys, &jws) {
        assert!(key.fits(jws.alg));
        if let Some(kid) = &jws.kid {
            assert_eq!(key.kid.as_ref(), Some(kid));
        }
    }

    let at_digest = spa_oauth::core::id_token::access_token_hash("at", jws.alg);
    let expect = Expectations {
        issuer: "https://as.example",
        client_id: "c",
        trusted_audiences: &[],
        nonce: if sel & 4 == 0 { Some("n-1") } else { None },
        nonce_optional: sel & 16 != 0,
        max_age: if sel & 8 == 0 { None } else { Some(60) },
        access_token_hash: Some(&at_digest),
        now: NOW,
        clock_tolerance: 30,
        max_iat_age: 3600,
    };
    // Fuzzing only: the claim checks on a token whose signature was never verified.
    let verified = VerifiedJws::after_signature_check(jws);
    if let Ok(c) = id_token::validate(&verified, &expect) {
        assert_eq!(c.iss, "https://as.example");
        assert!(!c.sub.is_empty());
        assert!(c.aud.iter().any(|a| a == "c") && c.aud.iter().all(|a| a == "c"));
        assert!(c.exp + 30.0 >= NOW as f64);
        assert!(c.iat <= (NOW + 30) as f64);
        let claims = &verified.jws().claims;
        match expect.nonce {
            Some(n) => match claims.get("nonce") {
                None => assert!(expect.nonce_optional, "missing nonce accepted"),
                got => assert_eq!(got.and_then(|v| v.as_str()), Some(n)),
            },
            None => assert!(claims.get("nonce").is_none()),
        }
    }
});
