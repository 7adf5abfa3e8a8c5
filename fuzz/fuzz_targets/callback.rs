//! Callback URL (authorization response at the redirect URI): `AuthorizationResponse::parse`
//! then `validate` against a fixed transaction, with and without one.
//!
//! Input: a UTF-8 string. First byte selects the shape: b'U' → the rest is a whole URL;
//! otherwise the rest is the query of `http://127.0.0.1:5173/?…`. The placeholder `{S}` is
//! replaced by the transaction's real `state` and `{I}` by the percent-encoded issuer, so the
//! seeds (and mutations of them) get past the state check into the later rules.
//! Oracle beyond "no panic": an accepted response really carried the transaction's `state`,
//! a non-empty `code`, no refused front-channel parameter, and a matching `iss`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spa_oauth::core::authorize::{authorization_request, AuthorizationRequest, PendingAuthorization, RANDOM_BYTES};
use spa_oauth::core::callback::AuthorizationResponse;
use spa_oauth::core::config::ClientConfig;

const NOW: u64 = 1_700_000_000;
const ISSUER: &str = "http://127.0.0.1:3000";
const ISSUER_ENC: &str = "http%3A%2F%2F127.0.0.1%3A3000";

fn fixture() -> (ClientConfig, PendingAuthorization) {
    let config = ClientConfig::new(
        ISSUER.into(),
        "spa-demo".into(),
        "http://127.0.0.1:5173/".into(),
        "http://127.0.0.1:3000/auth".into(),
        "http://127.0.0.1:3000/token".into(),
        true,
    )
    .expect("fixed config");
    let random: Vec<u8> = (0..RANDOM_BYTES).map(|i| (i * 7 + 3) as u8).collect();
    let request = AuthorizationRequest { scope: "openid".into(), extra: Vec::new() };
    let (_, pending) = authorization_request(&config, &request, &random, NOW - 5).expect("fixed request");
    (config, pending)
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (mut config, pending) = fixture();
    let state = pending.state.expose().to_string();
    let expanded = text.replace("{S}", &state).replace("{I}", ISSUER_ENC);
    let url = match expanded.strip_prefix('U') {
        Some(rest) => rest.to_string(),
        None => format!("http://127.0.0.1:5173/?{expanded}"),
    };
    let Ok(response) = AuthorizationResponse::parse(&url) else { return };
    let _ = response.state();
    let _ = response.looks_like_callback();
    for require_iss in [true, false] {
        config.require_iss = require_iss;
        let _ = response.validate(&config, None, NOW).map(|_| panic!("accepted without a transaction"));
        for now in [NOW, NOW + 10_000, 0] {
            if let Ok(code) = response.validate(&config, Some(&pending), now) {
                assert_eq!(response.param("state"), Some(state.as_str()), "accepted a foreign state");
                assert!(!code.expose().is_empty(), "accepted an empty code");
                assert_eq!(response.param("code"), Some(code.expose()));
                assert!(response.param("error").is_none(), "accepted an error response");
                for refused in ["access_token", "id_token", "token", "response"] {
                    assert!(response.param(refused).is_none(), "accepted a front-channel {refused}");
                }
                match response.param("iss") {
                    Some(iss) => assert_eq!(iss, ISSUER),
                    None => assert!(!require_iss, "accepted a missing iss"),
                }
                assert!(!pending.is_expired(now), "accepted an expired transaction");
            }
        }
    }
});
