//! Calls to resource servers: which requests may carry a token (RFC 6750 §2.1, RFC 8707 §2),
//! which token covers a call (RFC 6749 §3.3 scope sets), and what a refusal asks for (RFC 6750
//! §3.1 `invalid_token` / `insufficient_scope`, RFC 9470 §3 `insufficient_user_authentication`).

use alloc::string::String;

use super::authorize::normalize_scope;
use super::challenge;
use super::error::{Error, ErrorCode, ServerDetail};

/// Longest `WWW-Authenticate` value read; a longer one is [`ErrorCode::ChallengeInvalid`].
pub const MAX_CHALLENGE_BYTES: usize = 8 * 1024;

/// True when `url` (its origin and path, as the browser's URL parser gives them) is under the
/// resource server `prefix` (origin and path): same origin, and the path equal to the prefix's
/// or below it on a segment boundary (`/api` covers `/api` and `/api/x`, never `/api-x`).
pub fn is_under(prefix_origin: &str, prefix_path: &str, origin: &str, path: &str) -> bool {
    if prefix_origin != origin || prefix_origin == "null" {
        return false;
    }
    match path.strip_prefix(prefix_path) {
        Some(rest) => prefix_path.ends_with('/') || rest.is_empty() || rest.starts_with('/'),
        None => false,
    }
}

/// True when the space-separated scope `granted` holds every token of `required`.
pub fn covers(granted: &str, required: &str) -> bool {
    required.split(' ').filter(|t| !t.is_empty()).all(|t| granted.split(' ').any(|g| g == t))
}

/// The tokens of `required` that `granted` lacks, space-separated (empty when covered).
pub fn missing(granted: &str, required: &str) -> String {
    let mut out = String::new();
    for t in required.split(' ').filter(|t| !t.is_empty() && !granted.split(' ').any(|g| g == *t)) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(t);
    }
    out
}

/// What a resource server's answer to an authorized call means for the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Hand the response to the caller (success, or a refusal that is not about the token).
    Pass,
    /// `invalid_token` on a 401 (RFC 6750 §3.1): refresh once, retry once.
    InvalidToken,
    /// `insufficient_scope` on a 403 (RFC 6750 §3.1), with the scope the resource needs.
    InsufficientScope(String),
    /// `insufficient_user_authentication` on a 401 (RFC 9470 §3).
    StepUp {
        /// Acceptable authentication context classes, space-separated.
        acr_values: Option<String>,
        /// Maximum authentication age, seconds.
        max_age: Option<u64>,
    },
}

/// Reads the status and `WWW-Authenticate` of a resource server's answer. Only `Bearer` (and
/// `DPoP`, RFC 9449 §7.1) challenges count. Errors, [`ErrorCode::ChallengeInvalid`]: a header
/// over [`MAX_CHALLENGE_BYTES`]; challenges naming different errors, or one naming an `error`,
/// `scope`, `acr_values` or `max_age` twice with different values; `invalid_token` or
/// `insufficient_user_authentication` on another status than 401, `insufficient_scope` on another
/// than 403; a `scope` or `acr_values` that is not a space-separated list of RFC 6749 §3.3
/// tokens; a `max_age` that is not a whole number. Another `error` value is [`Answer::Pass`].
pub fn classify(status: u16, header: Option<&str>) -> Result<Answer, Error> {
    let Some(h) = header.filter(|_| status == 401 || status == 403) else { return Ok(Answer::Pass) };
    let invalid = || Error::with_detail(ErrorCode::ChallengeInvalid, ServerDetail { status: Some(status), ..Default::default() });
    if h.len() > MAX_CHALLENGE_BYTES {
        return Err(invalid());
    }
    let mut error: Option<String> = None;
    let mut params: [Option<String>; 3] = [None, None, None];
    const NAMES: [&str; 3] = ["scope", "acr_values", "max_age"];
    for c in challenge::parse(h).into_iter().filter(|c| c.scheme == "bearer" || c.scheme == "dpop") {
        for (name, value) in c.params {
            let slot = if name == "error" { Some(&mut error) } else { NAMES.iter().position(|n| *n == name).and_then(|i| params.get_mut(i)) };
            match slot {
                Some(s) if s.as_deref().is_some_and(|v| v != value) => return Err(invalid()),
                Some(s) => *s = Some(value),
                None => {}
            }
        }
    }
    let [scope, acr_values, max_age] = params;
    let list = |v: Option<String>| -> Result<Option<String>, Error> {
        match v {
            None => Ok(None),
            Some(v) => match normalize_scope(&v) {
                Ok(n) if !n.is_empty() => Ok(Some(n)),
                _ => Err(invalid()),
            },
        }
    };
    match (error.as_deref(), status) {
        (Some("invalid_token"), 401) => Ok(Answer::InvalidToken),
        (Some("insufficient_scope"), 403) => Ok(Answer::InsufficientScope(list(scope)?.unwrap_or_default())),
        (Some("insufficient_user_authentication"), 401) => {
            let max_age = match max_age {
                None => None,
                Some(m) if !m.is_empty() && m.len() <= 10 && m.bytes().all(|b| b.is_ascii_digit()) => m.parse().ok(),
                Some(_) => return Err(invalid()),
            };
            Ok(Answer::StepUp { acr_values: list(acr_values)?, max_age })
        }
        (Some("invalid_token" | "insufficient_scope" | "insufficient_user_authentication"), _) => Err(invalid()),
        _ => Ok(Answer::Pass),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_list_matching() {
        let o = "https://api.example.com";
        assert!(is_under(o, "/", o, "/"));
        assert!(is_under(o, "/", o, "/data"));
        assert!(is_under(o, "/v1", o, "/v1"));
        assert!(is_under(o, "/v1", o, "/v1/data"));
        assert!(is_under(o, "/v1/", o, "/v1/data"));
        assert!(!is_under(o, "/v1", o, "/v1-evil"));
        assert!(!is_under(o, "/v1/", o, "/v1"));
        assert!(!is_under(o, "/v1", o, "/v"));
        assert!(!is_under(o, "/", "https://api.example.com:444", "/"));
        assert!(!is_under(o, "/", "http://api.example.com", "/"));
        assert!(!is_under(o, "/", "https://api.example.com.evil", "/"));
        assert!(!is_under("null", "/", "null", "/"));
    }

    #[test]
    fn scope_sets() {
        assert!(covers("openid data:read data:write", "data:write  data:read"));
        assert!(covers("a", ""));
        assert!(!covers("data:read", "data:read data:write"));
        assert!(!covers("data:readx", "data:read"));
        assert_eq!(missing("a b", "b c d"), "c d");
        assert_eq!(missing("a b", "a"), "");
    }

    #[test]
    fn classifies_challenges() {
        assert_eq!(classify(200, Some("Bearer error=\"invalid_token\"")), Ok(Answer::Pass));
        assert_eq!(classify(401, None), Ok(Answer::Pass));
        assert_eq!(classify(401, Some("Bearer realm=\"api\"")), Ok(Answer::Pass));
        assert_eq!(classify(401, Some("Basic realm=\"x\", Bearer realm=\"api\", error=\"invalid_token\"")), Ok(Answer::InvalidToken));
        assert_eq!(classify(403, Some("Bearer error=\"insufficient_scope\", scope=\"data:write  data:read\"")), Ok(Answer::InsufficientScope("data:write data:read".into())));
        assert_eq!(classify(403, Some("Bearer error=\"insufficient_scope\"")), Ok(Answer::InsufficientScope(String::new())));
        assert_eq!(
            classify(401, Some("Bearer error=\"insufficient_user_authentication\", acr_values=\"urn:a urn:b\", max_age=300")),
            Ok(Answer::StepUp { acr_values: Some("urn:a urn:b".into()), max_age: Some(300) })
        );
        assert_eq!(classify(403, Some("Bearer error=\"invalid_request\"")), Ok(Answer::Pass));
        // A Basic challenge's error is not ours.
        assert_eq!(classify(401, Some("Basic error=\"invalid_token\"")), Ok(Answer::Pass));
    }

    #[test]
    fn refuses_contradictions_and_garbage() {
        let bad = |s: u16, h: &str| classify(s, Some(h)).map_err(|e| e.code);
        let c = Err(ErrorCode::ChallengeInvalid);
        // Two challenges, two errors.
        assert_eq!(bad(401, "Bearer error=\"invalid_token\", Bearer error=\"insufficient_user_authentication\""), c);
        assert_eq!(bad(401, "Bearer error=\"invalid_token\", DPoP error=\"insufficient_scope\""), c);
        // The same error twice is fine.
        assert_eq!(bad(401, "Bearer error=\"invalid_token\", DPoP error=\"invalid_token\""), Ok(Answer::InvalidToken));
        // A parameter twice with two values.
        assert_eq!(bad(403, "Bearer error=\"insufficient_scope\", scope=\"a\", scope=\"b\""), c);
        // Wrong status for the error.
        assert_eq!(bad(403, "Bearer error=\"invalid_token\""), c);
        assert_eq!(bad(401, "Bearer error=\"insufficient_scope\", scope=\"a\""), c);
        assert_eq!(bad(403, "Bearer error=\"insufficient_user_authentication\""), c);
        // Odd characters in the scope: a quote, a backslash, a control character, non-ASCII.
        for s in ["a\\\"b", "a\\\\b", "a\u{1}b", "dätä", "a,b\u{7f}"] {
            assert_eq!(bad(403, &["Bearer error=\"insufficient_scope\", scope=\"", s, "\""].concat()), c, "{s}");
        }
        assert_eq!(bad(403, "Bearer error=\"insufficient_scope\", scope=\"   \""), c);
        // max_age not a whole number.
        for m in ["-1", "1.5", "\"\"", "99999999999", "1e3"] {
            assert_eq!(bad(401, &["Bearer error=\"insufficient_user_authentication\", max_age=", m].concat()), c, "{m}");
        }
        // Huge header.
        let huge = ["Bearer error=\"invalid_token\", error_description=\"", &"x".repeat(MAX_CHALLENGE_BYTES), "\""].concat();
        assert_eq!(bad(401, &huge), c);
        // Garbage never panics.
        for g in ["", "\"", "Bearer error=", "Bearer error=\"insufficient_scope", ",,,", "Bearer scope=a b c"] {
            let _ = classify(403, Some(g));
        }
    }
}
