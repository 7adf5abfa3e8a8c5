//! WWW-Authenticate challenge parsing (spa_oauth::core::challenge): any bytes, no panic, and
//! every parsed scheme and parameter name is a non-empty lower-case token.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spa_oauth::core::challenge::parse;

fuzz_target!(|data: &[u8]| {
    let Ok(header) = core::str::from_utf8(data) else { return };
    for c in parse(header) {
        assert!(!c.scheme.is_empty());
        assert_eq!(c.scheme, c.scheme.to_ascii_lowercase());
        for (name, _) in &c.params {
            assert!(!name.is_empty());
            assert_eq!(*name, name.to_ascii_lowercase());
        }
    }
});
