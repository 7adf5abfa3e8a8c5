//! Browser globals, looked up lazily: importing the package never touches `window`, so
//! server-side rendering can import it. Randomness comes from `getrandom` (its `wasm_js`
//! backend: `crypto.getRandomValues`), time from `Date.now()`.

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::core::error::{Error, ErrorCode};

#[wasm_bindgen]
extern "C" {
    /// The global `setTimeout` (window, worker or Node).
    #[wasm_bindgen(js_name = setTimeout)]
    pub(crate) fn set_timeout(handler: &Function, ms: f64) -> JsValue;
    /// The global `clearTimeout`.
    #[wasm_bindgen(js_name = clearTimeout)]
    pub(crate) fn clear_timeout(id: &JsValue);
}

/// The `window`, or [`ErrorCode::NoBrowserContext`] (a worker, Node).
pub(crate) fn window() -> Result<web_sys::Window, Error> {
    js_sys::global().dyn_into::<web_sys::Window>().map_err(|_| ErrorCode::NoBrowserContext.into())
}

/// The current location, or [`ErrorCode::NoBrowserContext`].
pub(crate) fn here() -> Result<String, Error> {
    window()?.location().href().map_err(|_| ErrorCode::NoBrowserContext.into())
}

/// The current location when there is a window.
pub(crate) fn here_opt() -> Option<String> {
    here().ok()
}

/// Top-level navigation to `url`.
pub(crate) fn navigate(url: &str) -> Result<(), Error> {
    window()?.location().assign(url).map_err(|_| ErrorCode::NoBrowserContext.into())
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// Seconds since the Unix epoch, fractional (the core's clock input).
pub(crate) fn now_secs() -> f64 {
    now_ms() / 1000.0
}

/// Whole seconds for the core's transaction clock (negative or non-finite reads as 0).
pub(crate) fn secs(now: f64) -> u64 {
    if now.is_finite() && now > 0.0 {
        now as u64
    } else {
        0
    }
}

/// `n` bytes from the browser's CSPRNG, or [`ErrorCode::CryptoUnavailable`].
pub(crate) fn random(n: usize) -> Result<Vec<u8>, Error> {
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf).map_err(|_| Error::new(ErrorCode::CryptoUnavailable))?;
    Ok(buf)
}

/// A promise resolved after `ms` milliseconds.
pub(crate) fn sleep(ms: f64) -> super::LocalFuture<'static, ()> {
    Box::pin(sleep_inner(ms))
}

async fn sleep_inner(ms: f64) {
    let p = Promise::new(&mut |resolve, _| {
        set_timeout(&resolve, ms);
    });
    let _ = JsFuture::from(p).await;
}

/// Replaces the address bar with `cleaned` (`history.replaceState`: no new history entry) when
/// `url` is the current location.
pub(crate) fn replace_url(url: &str, cleaned: &str) {
    let Ok(w) = window() else { return };
    if w.location().href().ok().as_deref() != Some(url) || url == cleaned {
        return;
    }
    if let Ok(history) = w.history() {
        let state = history.state().unwrap_or(JsValue::NULL);
        let _ = history.replace_state_with_url(&state, "", Some(cleaned));
    }
}

#[wasm_bindgen]
extern "C" {
    /// `navigator.locks` (Web Locks API); web-sys has it only behind an unstable cfg.
    type LockManager;
    #[wasm_bindgen(method, catch)]
    fn request(this: &LockManager, name: &str, callback: &Function) -> Result<Promise, JsValue>;
}

/// Holds the origin-wide Web Lock `name` until the returned function is called (one refresher
/// across the tabs of an origin). Without Web Locks: at once (each tab on its own; README
/// "Across tabs").
pub(crate) fn lock(name: &str) -> super::LocalFuture<'_, Function> {
    Box::pin(lock_inner(name))
}

async fn lock_inner(name: &str) -> Function {
    let noop = noop_function;
    let locks = js_sys::Reflect::get(&js_sys::global(), &"navigator".into())
        .and_then(|n| js_sys::Reflect::get(&n, &"locks".into()))
        .unwrap_or_default();
    let has_request = js_sys::Reflect::get(&locks, &"request".into()).map(|f| f.is_function()).unwrap_or(false);
    if !has_request {
        return noop();
    }
    let locks: LockManager = locks.unchecked_into();
    // The lock is held while the promise the callback returns is pending; the callback hands
    // that promise's resolve function (the release) out through `held`.
    let held = Promise::new(&mut |held_resolve, _| {
        let held_resolve2 = held_resolve.clone();
        let cb = Closure::once_into_js(move |_lock: JsValue| -> Promise {
            Promise::new(&mut |release, _| {
                let _ = held_resolve.call1(&JsValue::UNDEFINED, &release);
            })
        });
        match locks.request(name, cb.unchecked_ref()) {
            Ok(p) => {
                // A refused request (e.g. an opaque origin): proceed without the lock.
                wasm_bindgen_futures::spawn_local(async move {
                    if JsFuture::from(p).await.is_err() {
                        let _ = held_resolve2.call1(&JsValue::UNDEFINED, &noop_function());
                    }
                });
            }
            Err(_) => {
                let _ = held_resolve2.call1(&JsValue::UNDEFINED, &noop_function());
            }
        }
    });
    match JsFuture::from(held).await {
        Ok(f) => f.dyn_into::<Function>().unwrap_or_else(|_| noop()),
        Err(_) => noop(),
    }
}

/// A function that does nothing (a release for "no lock"). Not `new Function`: the strict CSP
/// of an app forbids eval.
fn noop_function() -> Function {
    Closure::<dyn FnMut()>::new(|| {}).into_js_value().unchecked_into()
}

/// A `RefCell` whose borrow panics share one source location. `RefCell::borrow` and
/// `borrow_mut` are `#[track_caller]`: through them every call site adds its own panic
/// `Location` (16 bytes of data and the code passing it) to the module; through these methods
/// (no `#[track_caller]`) the location is always this file's. Same semantics otherwise: a
/// conflicting borrow still panics (a bug, never reached). A size measure for the client's state.
pub(crate) struct Shared<T>(core::cell::RefCell<T>);

impl<T> Shared<T> {
    pub(crate) fn new(value: T) -> Self {
        Shared(core::cell::RefCell::new(value))
    }

    pub(crate) fn borrow(&self) -> core::cell::Ref<'_, T> {
        self.0.borrow()
    }

    pub(crate) fn borrow_mut(&self) -> core::cell::RefMut<'_, T> {
        self.0.borrow_mut()
    }
}
