//! Core [`HttpRequest`] → `fetch` → status, content type and body bytes back to the core.
//! Redirects are never followed (`redirect: "manual"`), cookies are never sent
//! (`credentials: "omit"`), nothing is cached, and every request has a timeout
//! (security catalogue TE-19, TE-20; ARCHITECTURE §5).

use alloc::string::String;
use alloc::vec::Vec;

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, Request, RequestCache, RequestCredentials, RequestInit, RequestMode, RequestRedirect, Response, ResponseType};

use crate::core::error::{Error, ErrorCode};
use crate::core::token::HttpRequest;

use super::sys;

/// What came back, owned.
pub(crate) struct Fetched {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

fn is_timeout(e: &JsValue) -> bool {
    e.dyn_ref::<web_sys::DomException>().is_some_and(|d| d.name() == "TimeoutError")
}

/// Sends `req` with `fetch`, giving up after `timeout_ms`.
pub(crate) async fn send(req: &HttpRequest, timeout_ms: u32) -> Result<Fetched, Error> {
    let window = sys::window()?;
    let headers = Headers::new().map_err(|_| Error::new(ErrorCode::NetworkError))?;
    for (name, value) in &req.headers {
        headers.set(name, value).map_err(|_| Error::new(ErrorCode::NetworkError))?;
    }
    let init = RequestInit::new();
    init.set_method(req.method);
    init.set_headers(&headers);
    init.set_body(&JsValue::from_str(&req.body));
    init.set_redirect(RequestRedirect::Manual);
    init.set_credentials(RequestCredentials::Omit);
    init.set_cache(RequestCache::NoStore);
    init.set_mode(RequestMode::Cors);
    init.set_signal(Some(&web_sys::AbortSignal::timeout_with_u32(timeout_ms)));
    let request = Request::new_with_str_and_init(&req.url, &init).map_err(|_| Error::new(ErrorCode::NetworkError))?;

    let response: Response = match JsFuture::from(window.fetch_with_request(&request)).await {
        Ok(r) => r.dyn_into().map_err(|_| Error::new(ErrorCode::NetworkError))?,
        Err(e) if is_timeout(&e) => return Err(ErrorCode::Timeout.into()),
        Err(_) => return Err(ErrorCode::NetworkError.into()),
    };
    if response.type_() == ResponseType::Opaqueredirect || (300..400).contains(&response.status()) {
        return Err(ErrorCode::RedirectRefused.into());
    }
    let status = response.status();
    let content_type = response.headers().get("content-type").ok().flatten();
    let buffer = match response.array_buffer() {
        Ok(p) => match JsFuture::from(p).await {
            Ok(b) => b,
            Err(e) if is_timeout(&e) => return Err(ErrorCode::Timeout.into()),
            Err(_) => return Err(ErrorCode::NetworkError.into()),
        },
        Err(_) => return Err(ErrorCode::NetworkError.into()),
    };
    let body = js_sys::Uint8Array::new(&buffer).to_vec();
    Ok(Fetched { status, content_type, body })
}
