//! base64url without padding (RFC 4648 §5, as RFC 7515 §2 and RFC 7636 Appendix A use it).
//!
//! Decoding is strict: no padding, no whitespace, no characters outside the URL-safe alphabet,
//! no impossible length, and the unused bits of the last character must be zero (one encoding
//! per value, so a token cannot be altered without changing its bytes).

use alloc::string::String;
use alloc::vec::Vec;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

#[inline(always)]
fn sextet_char(v: u32) -> char {
    ALPHABET.get((v & 63) as usize).copied().unwrap_or(b'A') as char
}

/// Encodes bytes as unpadded base64url.
pub fn encode(input: &[u8]) -> String {
    // Written in place (index loops: iterator adapters and per-byte pushes are calls in the
    // size-optimized build).
    let tail = match input.len() % 3 {
        0 => 0,
        r => r + 1,
    };
    let mut out = alloc::vec![0u8; input.len() / 3 * 4 + tail];
    let b = |i: usize| input.get(i).copied().unwrap_or(0) as u32;
    let (mut i, mut j) = (0, 0);
    while i < input.len() {
        let n = (b(i) << 16) | (b(i + 1) << 8) | b(i + 2);
        let mut k = 0;
        while k < 4 {
            if let Some(o) = out.get_mut(j) {
                *o = sextet_char(n >> (18 - 6 * k)) as u8;
                j += 1;
            }
            k += 1;
        }
        i += 3;
    }
    // Only alphabet characters were written: always ASCII.
    String::from_utf8(out).unwrap_or_default()
}

#[inline(always)]
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
    let rem = bytes.len() % 4;
    if rem == 1 {
        return None;
    }
    // Written in place (see `encode`).
    let mut out = alloc::vec![0u8; bytes.len() / 4 * 3 + rem.saturating_sub(1)];
    let (mut i, mut j) = (0, 0);
    while i < bytes.len() {
        let chars = (bytes.len() - i).min(4);
        let mut n = 0u32;
        let mut k = 0;
        while k < chars {
            n |= value(*bytes.get(i + k)?)? << (18 - 6 * k);
            k += 1;
        }
        let produced = chars - 1; // 4 chars → 3 bytes, 3 → 2, 2 → 1
        // Canonical: the bits beyond the produced bytes must be zero.
        if produced < 3 && (n & (0xff_ffff >> (8 * produced))) != 0 {
            return None;
        }
        let mut k = 0;
        while k < produced {
            *out.get_mut(j)? = (n >> (16 - 8 * k)) as u8;
            j += 1;
            k += 1;
        }
        i += 4;
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
