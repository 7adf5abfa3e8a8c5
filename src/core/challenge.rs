//! `WWW-Authenticate` challenges (RFC 9110 §11.6.1; RFC 6750 §3 Bearer, RFC 9449 §7.1 DPoP):
//! the `error` a resource or token endpoint gives with a 401. Parsing is lenient about what it
//! skips and never fails or panics: garbage yields no challenge.

use alloc::string::String;
use alloc::vec::Vec;

use super::error::{Error, ServerDetail};

/// One challenge: its scheme (lower-cased) and auth-params (names lower-cased).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// Auth scheme, lower-cased (`bearer`, `dpop`, ...).
    pub scheme: String,
    /// Auth parameters in order.
    pub params: Vec<(String, String)>,
}

impl Challenge {
    /// The value of parameter `name` (case-insensitive name).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn skip_ws(&mut self) {
        while matches!(self.s.get(self.i), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }
    fn token(&mut self) -> Option<String> {
        let start = self.i;
        while self.s.get(self.i).copied().is_some_and(|b| is_tchar(b) || b == b'/') {
            self.i += 1;
        }
        let t = self.s.get(start..self.i)?;
        if t.is_empty() {
            return None;
        }
        core::str::from_utf8(t).ok().map(String::from)
    }
    fn quoted(&mut self) -> Option<String> {
        // Caller saw the opening quote.
        self.i += 1;
        let mut out = Vec::new();
        loop {
            match self.s.get(self.i).copied()? {
                b'"' => {
                    self.i += 1;
                    return String::from_utf8(out).ok();
                }
                b'\\' => {
                    out.push(*self.s.get(self.i + 1)?);
                    self.i += 2;
                }
                b => {
                    out.push(b);
                    self.i += 1;
                }
            }
        }
    }
}

/// Parses a `WWW-Authenticate` header value into challenges (several may share one header).
pub fn parse(header: &str) -> Vec<Challenge> {
    let mut c = Cursor { s: header.as_bytes(), i: 0 };
    let mut out: Vec<Challenge> = Vec::new();
    loop {
        c.skip_ws();
        while c.s.get(c.i) == Some(&b',') {
            c.i += 1;
            c.skip_ws();
        }
        if c.i >= c.s.len() {
            return out;
        }
        let Some(word) = c.token() else {
            // Unparseable byte: skip it (lenient, never loops forever).
            c.i += 1;
            continue;
        };
        c.skip_ws();
        if c.s.get(c.i) == Some(&b'=') && !out.is_empty() && !word.contains('/') {
            // auth-param of the current challenge: name = token / quoted-string
            c.i += 1;
            c.skip_ws();
            let value = if c.s.get(c.i) == Some(&b'"') { c.quoted() } else { c.token() };
            if let (Some(v), Some(ch)) = (value, out.last_mut()) {
                ch.params.push((word.to_ascii_lowercase(), v));
            }
            continue;
        }
        // A new challenge; a token68 after it is skipped.
        out.push(Challenge { scheme: word.to_ascii_lowercase(), params: Vec::new() });
        if c.s.get(c.i).is_some_and(|&b| is_tchar(b)) {
            let save = c.i;
            let _ = c.token();
            while c.s.get(c.i) == Some(&b'=') {
                c.i += 1;
            }
            c.skip_ws();
            // It was a param name after all (`Bearer realm="x"`, `Bearer error=x`): rewind.
            let value_follows = c.s.get(c.i).is_some_and(|&b| b == b'"' || is_tchar(b)) && c.s.get(c.i.saturating_sub(1)) != Some(&b',');
            let had_equals = c.s.get(save..c.i).is_some_and(|t| t.contains(&b'=')) && c.s.get(c.i) != Some(&b',');
            if value_follows || had_equals {
                c.i = save;
            }
        }
    }
}

/// Adds the `error` / `error_description` of a Bearer or DPoP challenge to an error that has
/// none from the body (catalogue TE-03, UI-03). The status stays.
pub fn with_challenge(e: Error, header: Option<&str>) -> Error {
    if e.error().is_some() {
        return e;
    }
    let Some(h) = header else { return e };
    let found = parse(h).into_iter().find(|c| (c.scheme == "bearer" || c.scheme == "dpop") && c.param("error").is_some());
    match found {
        Some(ch) => Error::with_detail(e.code, ServerDetail::said(ch.param("error").map(String::from), ch.param("error_description").map(String::from), ch.param("error_uri").map(String::from), e.status())),
        None => e,
    }
}


#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::error::ErrorCode;

    #[test]
    fn parses_bearer_and_dpop() {
        let c = parse(r#"Bearer realm="api", error="invalid_token", error_description="The access token expired""#);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].scheme, "bearer");
        assert_eq!(c[0].param("error"), Some("invalid_token"));
        assert_eq!(c[0].param("ERROR_DESCRIPTION"), Some("The access token expired"));
        // Several challenges in one header, case variants of the scheme (DP-04).
        let c = parse(r#"dPoP algs="ES256 PS256", error="use_dpop_nonce", Bearer realm="x""#);
        assert_eq!(c.iter().map(|c| c.scheme.as_str()).collect::<Vec<_>>(), ["dpop", "bearer"]);
        assert_eq!(c[0].param("algs"), Some("ES256 PS256"));
        assert_eq!(c[0].param("error"), Some("use_dpop_nonce"));
        // Unquoted token value, escaped quote.
        let c = parse(r#"Bearer error=invalid_token, error_description="say \"hi\"""#);
        assert_eq!(c[0].param("error"), Some("invalid_token"));
        assert_eq!(c[0].param("error_description"), Some(r#"say "hi""#));
        // token68 scheme.
        let c = parse("Basic dXNlcjpwYXNz, Bearer error=\"x\"");
        assert_eq!(c.iter().map(|c| c.scheme.as_str()).collect::<Vec<_>>(), ["basic", "bearer"]);
    }

    #[test]
    fn garbage_never_fails() {
        for g in ["", ",,,", "=", "\"", "Bearer error=\"unterminated", "Bearer ,=,=\"", "\u{1}\u{2}", "Bearer error", "é=é"] {
            let _ = parse(g);
        }
        assert!(parse("").is_empty());
    }

    #[test]
    fn enriches_errors() {
        let e = Error::new(ErrorCode::UserinfoInvalid).with_status(401);
        let e = with_challenge(e, Some(r#"Bearer error="invalid_token""#));
        assert_eq!((e.code, e.error(), e.status()), (ErrorCode::UserinfoInvalid, Some("invalid_token"), Some(401)));
        let plain = with_challenge(Error::new(ErrorCode::UserinfoInvalid), Some("Basic realm=x"));
        assert_eq!(plain.error(), None);
    }
}
