//! Core [`HttpRequest`] → `fetch` → status, content type, challenge and body bytes back to the
//! core. The SDK's fixed transport policy for every back-channel request (discovery, JWKS,
//! token, UserInfo, revocation): redirects are never followed (`redirect: "manual"`, catalogue
//! TE-20), cookies never sent (`credentials: "omit"`), nothing cached, no referrer, and every
//! request — body included — is aborted after the time-out (TE-19). The body is read as a
//! stream and never beyond [`crate::core::json::MAX_INPUT`] + 1 bytes: a larger answer is
//! cancelled at that point (the core then refuses it as too large), so a hostile server cannot
//! make the module's memory grow with its response.

use js_sys::{Array, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, ReadableStreamDefaultReader, Response};

use crate::core::error::{Error, ErrorCode};
use crate::core::json::MAX_INPUT;
use crate::core::token::{HttpRequest, HttpResponse};

use super::LocalFuture;

#[wasm_bindgen]
extern "C" {
    /// The global `fetch` (window, worker or Node).
    #[wasm_bindgen(js_name = fetch)]
    fn fetch_with_init(url: &str, init: &Object) -> Promise;
}

/// What came back, owned.
pub(crate) struct Fetched {
    /// HTTP status.
    pub status: u16,
    /// `Content-Type`.
    pub content_type: Option<String>,
    /// The body, at most `MAX_INPUT + 1` bytes.
    pub body: Vec<u8>,
    /// `WWW-Authenticate`, when the server exposed it (CORS).
    pub challenge: Option<String>,
    /// `DPoP-Nonce` (RFC 9449 §8), when the server exposed it (CORS).
    #[cfg(feature = "dpop")]
    pub dpop_nonce: Option<String>,
}

impl Fetched {
    /// The response as the core reads it.
    pub(crate) fn response(&self) -> HttpResponse<'_> {
        HttpResponse { status: self.status, content_type: self.content_type.as_deref(), body: &self.body }
    }
}

/// A GET for a JSON document (discovery, JWKS).
pub(crate) fn get(url: &str) -> HttpRequest {
    HttpRequest { method: "GET", url: url.into(), headers: vec![("accept", "application/json".into())], body: String::new() }
}

/// Maps a rejection of fetch or of a body read to the SDK's code.
fn failure(e: &JsValue) -> Error {
    let name = Reflect::get(e, &"name".into()).ok().and_then(|n| n.as_string());
    if name.as_deref() == Some("TimeoutError") {
        ErrorCode::Timeout.into()
    } else {
        ErrorCode::NetworkError.into()
    }
}

/// Sends `req` with the transport policy. Errors: [`ErrorCode::RedirectRefused`],
/// [`ErrorCode::Timeout`], [`ErrorCode::NetworkError`].
pub(crate) fn send(req: &HttpRequest, timeout_ms: u32) -> LocalFuture<'_, Result<Fetched, Error>> {
    Box::pin(send_inner(req, timeout_ms))
}

async fn send_inner(req: &HttpRequest, timeout_ms: u32) -> Result<Fetched, Error> {
    // The init dictionary as a plain object (one `Reflect.set` import instead of a web-sys
    // setter per member: a size measure).
    let init = Object::new();
    let set = |k: &str, v: &JsValue| {
        let _ = Reflect::set(&init, &JsValue::from_str(k), v);
    };
    set("method", &JsValue::from_str(req.method));
    let headers = Array::new();
    for (name, value) in &req.headers {
        let pair = Array::new();
        pair.push(&JsValue::from_str(name));
        pair.push(&JsValue::from_str(value));
        headers.push(&pair);
    }
    set("headers", &headers);
    if req.method != "GET" {
        set("body", &JsValue::from_str(&req.body));
    }
    set("redirect", &"manual".into());
    set("credentials", &"omit".into());
    set("cache", &"no-store".into());
    set("mode", &"cors".into());
    set("referrerPolicy", &"no-referrer".into());
    set("signal", &AbortSignal::timeout_with_u32(timeout_ms));
    let response: Response = JsFuture::from(fetch_with_init(&req.url, &init)).await.map_err(|e| failure(&e))?.unchecked_into();
    let status = response.status();
    let kind = Reflect::get(&response, &"type".into()).ok().and_then(|t| t.as_string());
    if kind.as_deref() == Some("opaqueredirect") || (300..400).contains(&status) {
        return Err(ErrorCode::RedirectRefused.into());
    }
    let headers = response.headers();
    let content_type = headers.get("content-type").ok().flatten();
    let challenge = headers.get("www-authenticate").ok().flatten();
    #[cfg(feature = "dpop")]
    let dpop_nonce = headers.get("dpop-nonce").ok().flatten();
    let body = read_capped(&response, MAX_INPUT + 1).await?;
    Ok(Fetched {
        status,
        content_type,
        body,
        challenge,
        #[cfg(feature = "dpop")]
        dpop_nonce,
    })
}

/// Reads at most `cap` bytes of the body, then cancels the stream. A body whose
/// `Content-Length` is within the cap is read whole (the browser holds it to that length).
async fn read_capped(response: &Response, cap: usize) -> Result<Vec<u8>, Error> {
    let declared = response.headers().get("content-length").ok().flatten().and_then(|l| l.trim().parse::<usize>().ok());
    if declared.is_some_and(|l| l <= cap) {
        let promise = response.array_buffer().map_err(|_| Error::new(ErrorCode::NetworkError))?;
        let buffer = JsFuture::from(promise).await.map_err(|e| failure(&e))?;
        let bytes = Uint8Array::new(&buffer);
        if bytes.length() as usize <= cap {
            return Ok(bytes.to_vec());
        }
        return Err(ErrorCode::NetworkError.into());
    }
    let Some(stream) = response.body() else { return Ok(Vec::new()) };
    let reader: ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    let mut out = Vec::new();
    loop {
        let chunk = JsFuture::from(reader.read()).await.map_err(|e| failure(&e))?;
        if Reflect::get(&chunk, &"done".into()).ok().and_then(|d| d.as_bool()).unwrap_or(true) {
            return Ok(out);
        }
        let Ok(bytes) = Reflect::get(&chunk, &"value".into()).and_then(|v| v.dyn_into::<Uint8Array>()) else {
            let _ = reader.cancel();
            return Err(ErrorCode::NetworkError.into());
        };
        let room = cap - out.len();
        let len = bytes.length() as usize;
        if len >= room {
            // Only what fits is copied into the module; the rest of the answer is not read.
            let start = out.len();
            out.resize(cap, 0);
            if let Some(dst) = out.get_mut(start..) {
                bytes.subarray(0, room as u32).copy_to(dst);
            }
            let _ = reader.cancel();
            return Ok(out);
        }
        let start = out.len();
        out.resize(start + len, 0);
        if let Some(dst) = out.get_mut(start..) {
            bytes.copy_to(dst);
        }
    }
}
