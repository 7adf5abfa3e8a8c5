//! Access to browser globals, looked up lazily (importing the package never touches `window`,
//! so server-side rendering can import it).

use wasm_bindgen::JsCast;

use crate::core::error::{Error, ErrorCode};

/// The `window`, or [`ErrorCode::NoBrowserContext`].
pub(crate) fn window() -> Result<web_sys::Window, Error> {
    js_sys::global().dyn_into::<web_sys::Window>().map_err(|_| ErrorCode::NoBrowserContext.into())
}

/// Seconds since the Unix epoch (whole seconds for the core's transaction clock).
pub(crate) fn now_secs() -> u64 {
    let ms = js_sys::Date::now();
    if ms.is_finite() && ms > 0.0 {
        (ms / 1000.0) as u64
    } else {
        0
    }
}

/// Seconds since the Unix epoch, fractional.
pub(crate) fn now_f64() -> f64 {
    js_sys::Date::now() / 1000.0
}

/// `n` bytes from `crypto.getRandomValues` (through getrandom's `wasm_js` backend).
pub(crate) fn random_bytes(n: usize) -> Result<alloc::vec::Vec<u8>, Error> {
    let mut buf = alloc::vec![0u8; n];
    getrandom::fill(&mut buf).map_err(|_| Error::new(ErrorCode::CryptoUnavailable))?;
    Ok(buf)
}
