//! base64url without padding (RFC 4648 §5, as RFC 7515 §2 and RFC 7636 Appendix A use it).
//!
//! Decoding is strict: no padding, no whitespace, no characters outside the URL-safe alphabet,
//! no impossible length, and the unused bits of the last character must be zero (one encoding
//! per value, so a token cannot be altered without changing its bytes).

use alloc::string::String;
use alloc::vec::Vec;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn sextet_char(v: u32) -> char {
    ALPHABET.get((v & 63) as usize).copied().unwrap_or(b'A') as char
}

/// Encodes bytes as unpadded base64url.
pub fn encode(input: &[u8]) -> String {
    let mut out = Vec::with_capacity(input.len().div_ceil(3) * 4);
    let b = |i: usize| input.get(i).copied().unwrap_or(0) as u32;
    let mut i = 0;
    while i < input.len() {
        let n = (b(i) << 16) | (b(i + 1) << 8) | b(i + 2);
        // 4 characters for 3 bytes; 2 or 3 for a final 1 or 2 (no padding).
        let chars = (input.len() - i).min(3) + 1;
        let mut k = 0;
        while k < chars {
            out.push(sextet_char(n >> (18 - 6 * k)) as u8);
            k += 1;
        }
        i += 3;
    }
    // Only alphabet characters were written: always ASCII.
    String::from_utf8(out).unwrap_or_default()
}

fn value(c: u8) -> Option<u32> {
    Some(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'-' => 62,
        b'_' => 63,
        _ => return None,
    } as u32)
}

/// Decodes unpadded base64url; `None` on any deviation from the canonical encoding.
pub fn decode(input: &str) -> Option<Vec<u8>> {
    let bytes = input.as_bytes();
    if bytes.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3 + 2);
    for chunk in bytes.chunks(4) {
        let mut n = 0u32;
        for (k, &c) in chunk.iter().enumerate() {
            n |= value(c)? << (18 - 6 * k);
        }
        let produced = chunk.len() - 1; // 4 chars → 3 bytes, 3 → 2, 2 → 1
        let all = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        // Canonical: the bits beyond the produced bytes must be zero.
        if produced < 3 && (n & (0xff_ffff >> (8 * produced))) != 0 {
            return None;
        }
        out.extend_from_slice(all.get(..produced)?);
    }
    Some(out)
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
