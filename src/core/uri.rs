//! The little of RFC 3986 that a client needs without a URL crate: split an absolute
//! `http(s)` URI into its parts, check that an endpoint is safe to send secrets to, and compare
//! a callback URL with the redirect URI it must match.
//!
//! The browser adapter normalises user input with the WHATWG `URL` API first; these checks are
//! the protocol rules on top and work on any string without panicking.

use alloc::string::String;

use super::error::{ErrorCode, Result};

/// The parts of an absolute hierarchical URI (RFC 3986 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UriParts<'a> {
    /// Scheme as written (compare case-insensitively).
    pub scheme: &'a str,
    /// Host as written (an IPv6 literal keeps its brackets).
    pub host: &'a str,
    /// Port digits, when present.
    pub port: Option<&'a str>,
    /// Path, possibly empty.
    pub path: &'a str,
    /// Query without `?`, when present.
    pub query: Option<&'a str>,
    /// Fragment without `#`, when present.
    pub fragment: Option<&'a str>,
}

/// Splits an absolute `scheme://authority/path?query#fragment` URI.
/// Errors with `code` when the string is not one, has user information, or has a bad port.
pub fn split(uri: &str, code: ErrorCode) -> Result<UriParts<'_>> {
    if uri.bytes().any(|b| b <= b' ' || b == 0x7f || b == b'\\') {
        return Err(code.into());
    }
    // Positions are found on bytes and every piece is taken with `str::get`, which cannot
    // panic (and keeps core's panic formatting out of the wasm module).
    let bytes = uri.as_bytes();
    let find = |from: usize, to: usize, b: u8| -> Option<usize> {
        bytes.get(from..to)?.iter().position(|&x| x == b).map(|i| i + from)
    };
    let len = bytes.len();
    let colon = find(0, len, b':').ok_or(code)?;
    if bytes.get(colon + 1..colon + 3) != Some(&b"//"[..]) {
        return Err(code.into());
    }
    let scheme = uri.get(..colon).ok_or(code)?;
    if scheme.is_empty()
        || !scheme.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
    {
        return Err(code.into());
    }
    let auth_start = colon + 3;
    let hash = find(auth_start, len, b'#');
    let fragment = match hash {
        Some(h) => Some(uri.get(h + 1..).ok_or(code)?),
        None => None,
    };
    let before_hash = hash.unwrap_or(len);
    let qmark = find(auth_start, before_hash, b'?');
    let query = match qmark {
        Some(q) => Some(uri.get(q + 1..before_hash).ok_or(code)?),
        None => None,
    };
    let end = qmark.unwrap_or(before_hash);
    let slash = find(auth_start, end, b'/').unwrap_or(end);
    let authority = uri.get(auth_start..slash).ok_or(code)?;
    let path = uri.get(slash..end).ok_or(code)?;
    if authority.bytes().any(|b| b == b'@') {
        return Err(code.into());
    }
    let abytes = authority.as_bytes();
    let (host_end, port_start) = if abytes.first() == Some(&b'[') {
        let close = abytes.iter().position(|&b| b == b']').ok_or(code)?;
        match abytes.get(close + 1) {
            None => (close + 1, None),
            Some(b':') => (close + 1, Some(close + 2)),
            Some(_) => return Err(code.into()),
        }
    } else {
        match abytes.iter().rposition(|&b| b == b':') {
            Some(c) => (c, Some(c + 1)),
            None => (abytes.len(), None),
        }
    };
    let host = authority.get(..host_end).ok_or(code)?;
    let port = match port_start {
        Some(p) => Some(authority.get(p..).ok_or(code)?),
        None => None,
    };
    if host.is_empty() || host.bytes().any(|b| b == b':') && !host.starts_with('[') {
        return Err(code.into());
    }
    if let Some(p) = port {
        if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return Err(code.into());
        }
    }
    Ok(UriParts { scheme, host, port, path, query, fragment })
}

/// True for hosts that never leave the machine: `localhost`, `127.0.0.0/8`, `[::1]`
/// (RFC 8252 §8.3 treats loopback redirects as acceptable without TLS).
pub fn is_loopback_host(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") || host == "[::1]" {
        return true;
    }
    let mut octets = 0;
    for (i, part) in host.split('.').enumerate() {
        if part.is_empty() || part.len() > 3 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
        if i == 0 && part != "127" {
            return false;
        }
        match part.parse::<u16>() {
            Ok(v) if v <= 255 => octets += 1,
            _ => return false,
        }
    }
    octets == 4
}

/// Checks that `uri` may receive protocol messages: absolute, `https` (or `http` to a loopback
/// host), no user information, no fragment (RFC 6749 §3.1, §3.1.2, §3.2; RFC 9700 §2.6).
/// Errors: [`ErrorCode::InsecureEndpoint`].
pub fn check_endpoint(uri: &str) -> Result<UriParts<'_>> {
    let parts = split(uri, ErrorCode::InsecureEndpoint)?;
    if parts.fragment.is_some() {
        return Err(ErrorCode::InsecureEndpoint.into());
    }
    if parts.scheme.eq_ignore_ascii_case("https") {
        return Ok(parts);
    }
    if parts.scheme.eq_ignore_ascii_case("http") && is_loopback_host(parts.host) {
        return Ok(parts);
    }
    Err(ErrorCode::InsecureEndpoint.into())
}

/// `scheme://host[:port]/path` lower-cased where RFC 3986 §6.2.2 says case does not matter,
/// default ports dropped, empty path as `/` — the part of a callback URL that must equal the
/// redirect URI (the query may differ: the response adds parameters).
pub fn base_for_comparison(parts: &UriParts<'_>) -> String {
    let mut out = String::new();
    for c in parts.scheme.chars() {
        out.push(c.to_ascii_lowercase());
    }
    out.push_str("://");
    for c in parts.host.chars() {
        out.push(c.to_ascii_lowercase());
    }
    let default_port = match parts.scheme.to_ascii_lowercase().as_str() {
        "https" => Some("443"),
        "http" => Some("80"),
        _ => None,
    };
    if let Some(p) = parts.port {
        if Some(p) != default_port {
            out.push(':');
            out.push_str(p);
        }
    }
    if parts.path.is_empty() {
        out.push('/');
    } else {
        out.push_str(parts.path);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits() {
        let p = split("https://AS.example:8443/a/b?x=1#f", ErrorCode::InvalidConfig).unwrap();
        assert_eq!((p.scheme, p.host, p.port, p.path, p.query, p.fragment),
                   ("https", "AS.example", Some("8443"), "/a/b", Some("x=1"), Some("f")));
        let p = split("http://[::1]:80", ErrorCode::InvalidConfig).unwrap();
        assert_eq!((p.host, p.port, p.path), ("[::1]", Some("80"), ""));
    }

    #[test]
    fn rejects_bad() {
        for bad in ["", "noscheme", "https://", "https://u:p@h/", "https://h:x/", "https://h:/",
                    "https://h:123456/", "https://[::1/", "https://h h/", "https://a:b:c/",
                    "https://h\\@evil/", "://h/"] {
            assert!(split(bad, ErrorCode::InvalidConfig).is_err(), "{bad}");
        }
    }

    #[test]
    fn endpoint_policy() {
        assert!(check_endpoint("https://as.example/token").is_ok());
        assert!(check_endpoint("http://127.0.0.1:3000/token").is_ok());
        assert!(check_endpoint("http://localhost/token").is_ok());
        assert!(check_endpoint("http://[::1]:3000/token").is_ok());
        for bad in ["http://as.example/token", "http://127.0.0.1.evil.example/", "http://1270.0.0.1/",
                    "javascript://alert(1)", "https://as.example/token#frag", "ftp://127.0.0.1/"] {
            assert_eq!(check_endpoint(bad).unwrap_err().code, ErrorCode::InsecureEndpoint, "{bad}");
        }
    }

    #[test]
    fn comparison_base() {
        let a = split("HTTP://127.0.0.1:80?code=1", ErrorCode::InvalidConfig).unwrap();
        let b = split("http://127.0.0.1/", ErrorCode::InvalidConfig).unwrap();
        assert_eq!(base_for_comparison(&a), base_for_comparison(&b));
        let c = split("http://127.0.0.1/cb", ErrorCode::InvalidConfig).unwrap();
        assert_ne!(base_for_comparison(&c), base_for_comparison(&b));
    }
}

/// `url` without the query parameters named in `names` (names compared after percent-decoding)
/// and, when `drop_fragment`, without its fragment. Every other parameter stays byte for byte;
/// no `?` is left when none stays. (What an address bar should show after a front-channel
/// response was consumed.)
pub fn without_params(url: &str, names: &[&str], drop_fragment: bool) -> String {
    let (rest, fragment) = match url.split_once('#') {
        Some((r, f)) => (r, Some(f)),
        None => (url, None),
    };
    let (base, query) = match rest.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (rest, None),
    };
    let mut out = String::from(base);
    let mut first = true;
    for segment in query.into_iter().flat_map(|q| q.split('&')) {
        let raw_name = segment.split('=').next().unwrap_or_default();
        if super::form::decode_component(raw_name).is_ok_and(|n| names.contains(&n.as_str())) {
            continue;
        }
        out.push(if first { '?' } else { '&' });
        out.push_str(segment);
        first = false;
    }
    if let (Some(f), false) = (fragment, drop_fragment) {
        out.push('#');
        out.push_str(f);
    }
    out
}
