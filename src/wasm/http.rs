//! Core [`HttpRequest`] → `fetch` → status, content type and body bytes back to the core.
//! Redirects are never followed (`redirect: "manual"`), cookies are never sent
//! (`credentials: "omit"`), nothing is cached, and every request has a timeout
//! (security catalogue TE-19, TE-20; ARCHITECTURE §5). The `fetch` call itself is a few lines
//! of JavaScript in `browser.js` (smaller than the web-sys bindings it replaces).

use alloc::string::String;
use alloc::vec::Vec;

use js_sys::{Array, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::core::error::{Error, ErrorCode};
use crate::core::token::HttpRequest;

#[wasm_bindgen(module = "/src/wasm/browser.js")]
extern "C" {
    #[wasm_bindgen(js_name = httpSend)]
    async fn http_send(method: &str, url: &str, headers: Array, body: &str, timeout_ms: u32) -> JsValue;
    #[wasm_bindgen(js_name = replaceUrlWithout)]
    pub(crate) fn replace_url_without(url: &str, names: Array, clear_hash: bool);
}

/// What came back, owned.
pub(crate) struct Fetched {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
    /// `WWW-Authenticate`, when the server exposed it (CORS).
    pub www_authenticate: Option<String>,
}

/// A boxed future: awaiting it at several call sites does not copy its state machine into
/// each caller (a size measure; see BENCHMARKS.md).
pub(crate) type LocalFuture<'a, T> = core::pin::Pin<alloc::boxed::Box<dyn core::future::Future<Output = T> + 'a>>;

/// Sends `req` with `fetch`, giving up after `timeout_ms`.
pub(crate) fn send(req: &HttpRequest, timeout_ms: u32) -> LocalFuture<'_, Result<Fetched, Error>> {
    alloc::boxed::Box::pin(send_inner(req, timeout_ms))
}

async fn send_inner(req: &HttpRequest, timeout_ms: u32) -> Result<Fetched, Error> {
    let headers = Array::new();
    for (name, value) in &req.headers {
        headers.push(&Array::of2(&JsValue::from_str(name), &JsValue::from_str(value)));
    }
    let out = http_send(req.method, &req.url, headers, &req.body, timeout_ms).await;
    decode(out)
}

#[inline(never)]
fn decode(out: JsValue) -> Result<Fetched, Error> {
    match out.as_f64() {
        Some(1.0) => return Err(ErrorCode::Timeout.into()),
        Some(2.0) => return Err(ErrorCode::RedirectRefused.into()),
        Some(_) => return Err(ErrorCode::NetworkError.into()),
        None => {}
    }
    let parts: Array = out.dyn_into().map_err(|_| Error::new(ErrorCode::NetworkError))?;
    let status = parts.get(0).as_f64().filter(|s| (0.0..1000.0).contains(s)).ok_or(ErrorCode::NetworkError)? as u16;
    let body: Uint8Array = parts.get(2).dyn_into().map_err(|_| Error::new(ErrorCode::NetworkError))?;
    Ok(Fetched { status, content_type: parts.get(1).as_string(), body: body.to_vec(), www_authenticate: parts.get(3).as_string() })
}
