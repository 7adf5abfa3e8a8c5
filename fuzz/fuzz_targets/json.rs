//! The strict JSON reader (`json::parse`) and its writer (`Value::to_json`).
//!
//! Input: the document bytes.
//! Oracle: what parses serialises to JSON that parses again; for documents whose numbers are
//! all safe integers the round trip is exact.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spa_oauth::core::json::{parse, Value};

fn exact(v: &Value) -> bool {
    match v {
        Value::Number(n) => n.is_finite() && n.fract() == 0.0 && n.abs() <= 9_007_199_254_740_991.0,
        Value::Array(items) => items.iter().all(exact),
        Value::Object(members) => members.iter().all(|(_, v)| exact(v)),
        _ => true,
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(v) = parse(data) else { return };
    let _ = (v.get("a"), v.as_str(), v.as_f64(), v.is_object());
    let text = v.to_json();
    let again = parse(text.as_bytes()).expect("to_json output must parse");
    if exact(&v) {
        assert_eq!(again, v, "round trip changed the value");
    }
});
