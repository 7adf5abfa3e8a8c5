//! Core [`Error`] → JavaScript `Error` with `.code` (stable string), and, when the server sent
//! them, `.error`, `.error_description`, `.error_uri`, `.status` (ARCHITECTURE §4).
//! The message is the code's static message: it never contains a token, a code or a verifier.

use js_sys::Reflect;
use wasm_bindgen::JsValue;

use crate::core::error::Error;

fn set(obj: &JsValue, key: &str, value: &JsValue) {
    // Setting a property on a fresh Error object cannot fail; ignore the impossible case.
    let _ = Reflect::set(obj, &JsValue::from_str(key), value);
}

/// Converts a core error into a JavaScript `Error` named `SpaOAuthError`.
pub fn to_js_error(e: Error) -> JsValue {
    let err: JsValue = js_sys::Error::new(e.message()).into();
    set(&err, "name", &JsValue::from_str("SpaOAuthError"));
    set(&err, "code", &JsValue::from_str(e.code.as_str()));
    if let Some(v) = e.error() {
        set(&err, "error", &JsValue::from_str(v));
    }
    if let Some(v) = e.error_description() {
        set(&err, "error_description", &JsValue::from_str(v));
    }
    if let Some(v) = e.error_uri() {
        set(&err, "error_uri", &JsValue::from_str(v));
    }
    if let Some(s) = e.status() {
        set(&err, "status", &JsValue::from_f64(s as f64));
    }
    err
}
