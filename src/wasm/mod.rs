//! The WebAssembly side of the browser adapter: [`exports`], the synchronous protocol steps the
//! JavaScript driver (`src/wasm/driver.js`, the package's entry) calls around its I/O. The
//! driver owns fetch, WebCrypto, storage, Web Locks, BroadcastChannel and timers; every
//! decision about what to send and whether to accept what came back is made here, by the core.

#[cfg(feature = "standalone")]
pub mod alloc;
pub mod abi;
pub mod exports;
mod options;

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
