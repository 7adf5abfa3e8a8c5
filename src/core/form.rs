//! `application/x-www-form-urlencoded` encoding and decoding (RFC 6749 Appendix B, WHATWG URL
//! §5) and RFC 3986 §2.1 percent-encoding, for query strings and form bodies.
//!
//! Encoding is conservative: every byte outside the RFC 3986 §2.3 unreserved set is
//! percent-encoded (space as `%20`), which every server decodes the same way. Decoding is strict:
//! a malformed escape or invalid UTF-8 is an error, not a guess.

use alloc::string::String;
use alloc::vec::Vec;

use super::error::{ErrorCode, Result};

fn hex_digit(nibble: u8) -> char {
    match nibble {
        0..=9 => (b'0' + nibble) as char,
        _ => (b'A' + (nibble & 0x0f) - 10) as char,
    }
}

/// Appends `input` percent-encoded (RFC 3986 §2.1; unreserved characters of §2.3 kept).
pub fn percent_encode_into(out: &mut String, input: &str) {
    // Runs of unreserved characters are copied whole.
    // (Index loops: iterator adapters are not inlined in the size-optimized build.)
    let bytes = input.as_bytes();
    let (mut run, mut i) = (0, 0);
    while let Some(&b) = bytes.get(i) {
        i += 1;
        if !(b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')) {
            let i = i - 1;
            out.push_str(input.get(run..i).unwrap_or_default());
            out.push('%');
            out.push(hex_digit(b >> 4));
            out.push(hex_digit(b & 0x0f));
            run = i + 1;
        }
    }
    out.push_str(input.get(run..).unwrap_or_default());
}

/// Serializes name/value pairs as `application/x-www-form-urlencoded`.
pub fn encode_pairs<'a, I>(pairs: I) -> String
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    let mut out = String::new();
    for (name, value) in pairs {
        if !out.is_empty() {
            out.push('&');
        }
        percent_encode_into(&mut out, name);
        out.push('=');
        percent_encode_into(&mut out, value);
    }
    out
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes one form component: `+` is a space, `%XX` a byte; the result must be UTF-8.
pub fn decode_component(input: &str) -> Result<String> {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                let hi = bytes.get(i + 1).copied().and_then(hex_val);
                let lo = bytes.get(i + 2).copied().and_then(hex_val);
                match (hi, lo) {
                    (Some(h), Some(l)) => out.push((h << 4) | l),
                    _ => return Err(ErrorCode::CallbackMalformed.into()),
                }
                i += 3;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| ErrorCode::CallbackMalformed.into())
}

/// Parses a form-encoded string into ordered pairs. Empty segments (`a=1&&b=2`) are skipped;
/// a segment without `=` is a name with an empty value (as in WHATWG URLSearchParams).
/// Errors: [`ErrorCode::CallbackMalformed`] on a bad escape or invalid UTF-8.
pub fn parse_pairs(input: &str) -> Result<Vec<(String, String)>> {
    let mut pairs = Vec::new();
    for segment in input.split('&') {
        if segment.is_empty() {
            continue;
        }
        let (name, value) = match segment.split_once('=') {
            Some((n, v)) => (n, v),
            None => (segment, ""),
        };
        pairs.push((decode_component(name)?, decode_component(value)?));
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn encodes_reserved_and_unicode() {
        let s = encode_pairs([("redirect_uri", "http://127.0.0.1:5173/cb?x=1&y"), ("scope", "openid profile"), ("n", "é")]);
        assert_eq!(s, "redirect_uri=http%3A%2F%2F127.0.0.1%3A5173%2Fcb%3Fx%3D1%26y&scope=openid%20profile&n=%C3%A9");
    }

    #[test]
    fn round_trip() {
        let raw = "a b+c&d=e%f/é~";
        let enc = encode_pairs([("k", raw)]);
        let dec = parse_pairs(&enc).unwrap();
        assert_eq!(dec, vec![("k".into(), raw.into())]);
    }

    #[test]
    fn decodes_plus_and_percent() {
        assert_eq!(parse_pairs("a=x+y%20z&&b&c=").unwrap(), vec![
            ("a".into(), "x y z".into()),
            ("b".into(), "".into()),
            ("c".into(), "".into()),
        ]);
    }

    #[test]
    fn rejects_bad_escapes_and_utf8() {
        for bad in ["a=%", "a=%4", "a=%zz", "a=%FF", "%C3=1", "a=%C3%28"] {
            assert_eq!(parse_pairs(bad).unwrap_err().code, ErrorCode::CallbackMalformed, "{bad}");
        }
    }
}
