//! base64url without padding (RFC 4648 §5, as RFC 7515 §2 and RFC 7636 Appendix A use it),
//! through the `base64` crate's URL-safe, unpadded engine.
//!
//! Decoding is strict: no padding, no whitespace, no characters outside the URL-safe alphabet,
//! no impossible length, and the unused bits of the last character must be zero (one encoding
//! per value, so a token cannot be altered without changing its bytes). The crate's
//! `URL_SAFE_NO_PAD` engine refuses all of these (`decode_allow_trailing_bits` is false and
//! padding is `RequireNone`); the tests below pin that.

use alloc::string::String;
use alloc::vec::Vec;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

/// Encodes bytes as unpadded base64url.
///
/// Through `encode_slice` rather than `Engine::encode`: the latter ends in
/// `String::from_utf8(..).expect(..)`, which links `FromUtf8Error`'s `Debug` (with `Vec<u8>`'s
/// and the struct formatting machinery) into the module for a failure that cannot happen; the
/// output is ASCII, so the fallbacks below are never taken. Same bytes out.
pub fn encode(input: &[u8]) -> String {
    let mut buf = alloc::vec![0u8; base64::encoded_len(input.len(), false).unwrap_or(0)];
    let len = URL_SAFE_NO_PAD.encode_slice(input, &mut buf).unwrap_or(0);
    buf.truncate(len);
    String::from_utf8(buf).unwrap_or_default()
}

/// Decodes unpadded base64url; `None` on any deviation from the canonical encoding.
pub fn decode(input: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(input).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4648_vectors_url_safe() {
        let cases: [(&[u8], &str); 8] = [
            (b"", ""), (b"f", "Zg"), (b"fo", "Zm8"), (b"foo", "Zm9v"), (b"foob", "Zm9vYg"),
            (b"fooba", "Zm9vYmE"), (b"foobar", "Zm9vYmFy"), (&[0xfb, 0xff, 0xfe], "-__-"),
        ];
        for (raw, enc) in cases {
            assert_eq!(encode(raw), enc);
            assert_eq!(decode(enc).unwrap(), raw);
        }
    }

    #[test]
    fn strict_decoding() {
        // Padding, bad length, other alphabets, whitespace, and non-canonical trailing bits
        // ("Zh" and "Zm9" decode to "f" and "fo" with stray bits set).
        for bad in ["Zg==", "Zm9v=", "Z", "Zm9vY", "Zh", "Zm9", "Zm+v", "Zm/v", "Zm9 v", "Zm9v\n", "Zm8="] {
            assert!(decode(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn round_trip_all_lengths() {
        let data: Vec<u8> = (0..=255u8).collect();
        for n in 0..data.len() {
            assert_eq!(decode(&encode(&data[..n])).unwrap(), &data[..n]);
        }
    }
}
