//! The browser adapter: the only place with JavaScript, `fetch`, storage and the clock.
//! It turns core requests-as-data into `fetch` calls, feeds responses back to the core, and
//! exposes the [`client::AuthClient`] class and a few low-level helpers to JavaScript.

#[cfg(feature = "standalone")]
pub mod alloc;
pub mod client;
pub mod crypto;
mod error;
mod http;
mod options;
pub mod lowlevel;
mod storage;
mod sys;
mod tabs;
mod types;



#[cfg(feature = "standalone")]
#[global_allocator]
static ALLOCATOR: alloc::SizeClassAlloc = alloc::SizeClassAlloc::new();

/// Without `std`, a panic (unreachable from untrusted input by construction: no unwrap,
/// expect or indexing in this crate) traps at once, without formatting a message.
#[cfg(all(feature = "standalone", not(feature = "std")))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}

/// Every asynchronous export runs through this one function: `future_to_promise` is then
/// instantiated once for a boxed future instead of once per export (a size measure).
#[inline(never)]
pub(crate) fn spawn(
    f: core::pin::Pin<::alloc::boxed::Box<dyn core::future::Future<Output = Result<wasm_bindgen::JsValue, wasm_bindgen::JsValue>>>>,
) -> js_sys::Promise {
    wasm_bindgen_futures::future_to_promise(f)
}
