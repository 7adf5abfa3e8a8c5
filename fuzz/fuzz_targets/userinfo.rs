//! UserInfo response: `userinfo::process_userinfo_response` (OIDC Core §5.3.2).
//!
//! Input: byte 0 selects the status, byte 1 the content type; the rest is the body.
//! Oracle: an accepted response is a 200 JSON object whose `sub` is exactly the expected one,
//! and the returned text is the body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spa_oauth::core::json::parse;
use spa_oauth::core::token::HttpResponse;
use spa_oauth::core::userinfo::process_userinfo_response;

const STATUSES: [u16; 5] = [200, 200, 200, 401, 500];
const TYPES: [Option<&str>; 5] = [
    Some("application/json"),
    Some("application/json;charset=UTF-8"),
    Some("application/jwt"),
    Some("text/html"),
    None,
];

fuzz_target!(|data: &[u8]| {
    let [s, t, body @ ..] = data else { return };
    let status = STATUSES[*s as usize % STATUSES.len()];
    let content_type = TYPES[*t as usize % TYPES.len()];
    if let Ok(json) = process_userinfo_response(HttpResponse { status, content_type, body }, "u1") {
        assert_eq!(status, 200);
        assert_eq!(json.as_bytes(), body);
        let v = parse(body).expect("accepted body is JSON");
        assert_eq!(v.get("sub").and_then(|s| s.as_str()), Some("u1"));
    }
});
