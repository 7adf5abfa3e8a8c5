//! Provider metadata: `discovery::parse_metadata` for a fixed issuer, and `metadata_url` on
//! arbitrary issuer strings.
//!
//! Input: byte 0 selects the mode (even: the rest is a metadata document; odd: the rest is an
//! issuer string for `metadata_url`).
//! Oracle: accepted metadata has exactly the expected issuer and only secure endpoints.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spa_oauth::core::discovery::{metadata_url, parse_metadata, MetadataKind};
use spa_oauth::core::uri::check_endpoint;

const ISSUER: &str = "https://as.example/tenant";

fuzz_target!(|data: &[u8]| {
    let [mode, rest @ ..] = data else { return };
    if mode & 1 == 0 {
        if let Ok(m) = parse_metadata(rest, ISSUER) {
            assert_eq!(m.issuer, ISSUER);
            for e in [&m.authorization_endpoint, &m.token_endpoint, &m.jwks_uri, &m.userinfo_endpoint,
                      &m.revocation_endpoint, &m.end_session_endpoint].into_iter().flatten() {
                assert!(check_endpoint(e).is_ok(), "insecure endpoint accepted: {e}");
            }
        }
    } else if let Ok(issuer) = std::str::from_utf8(rest) {
        for kind in [MetadataKind::OpenIdConfiguration, MetadataKind::OAuthAuthorizationServer] {
            if let Ok(url) = metadata_url(issuer, kind) {
                assert!(check_endpoint(&url).is_ok(), "metadata URL not a secure endpoint: {url}");
                assert!(url.contains("/.well-known/"));
            }
        }
    }
});
