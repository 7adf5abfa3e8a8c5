//! The module's exports as a plain C ABI: the shipped module imports nothing and needs no
//! generated bindings (a size measure: wasm-bindgen's glue and shims were ~2 kB gzip). The driver
//! (`driver.js`) writes each argument (UTF-8 JSON, or bytes) into memory it reserved with
//! [`spa_alloc`], calls [`spa_run`], reads the result text and releases it with [`spa_free`].
//!
//! Ownership: an argument buffer belongs to `spa_run` once passed (it frees it); a result
//! belongs to the driver until it calls `spa_free`; a client lives from the `NEW_CLIENT` step to
//! [`spa_drop_client`].

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use super::exports::{self, Client};

/// The step that creates a [`Client`]: arguments `[options]`, bytes: the discovery document (if
/// any). Its result is the client's handle (a number) for later calls.
pub const NEW_CLIENT: u32 = 100;

/// Reserves `len` bytes for one argument of [`spa_run`].
#[no_mangle]
pub extern "C" fn spa_alloc(len: usize) -> *mut u8 {
    let mut buffer = Vec::<u8>::with_capacity(len);
    let ptr = buffer.as_mut_ptr();
    core::mem::forget(buffer);
    ptr
}

/// Releases a result of [`spa_run`].
///
/// # Safety
/// `(ptr, len)` must be a result of `spa_run` not yet released.
#[no_mangle]
pub unsafe extern "C" fn spa_free(ptr: *mut u8, len: usize) {
    // SAFETY: per the contract, a boxed str of exactly `len` bytes made by `spa_run`.
    drop(unsafe { Box::from_raw(core::ptr::slice_from_raw_parts_mut(ptr, len)) });
}

/// Frees a client made by the `NEW_CLIENT` step.
///
/// # Safety
/// `client` must be a live handle from `NEW_CLIENT`, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn spa_drop_client(client: usize) {
    // SAFETY: per the contract, a pointer from Box::into_raw in `spa_run`.
    drop(unsafe { Box::from_raw(client as *mut Client) });
}

/// # Safety
/// `(ptr, len)` must come from [`spa_alloc`]`(len)`, with all `len` bytes written.
unsafe fn take(ptr: *mut u8, len: usize) -> Vec<u8> {
    // SAFETY: per the contract, a Vec's buffer of capacity `len`, now initialized.
    unsafe { Vec::from_raw_parts(ptr, len, len) }
}

/// Runs step `op` of `client` (a handle from `NEW_CLIENT`), or with `client == 0` a step that
/// needs none (see [`exports::run`] and [`Client::run`]). `args`: UTF-8 JSON array; `bytes`:
/// absent when `bytes_len == usize::MAX`. Returns the result text as `ptr | len << 32`.
///
/// # Safety
/// Each argument buffer must come from [`spa_alloc`] with its length, fully written; `client`
/// must be zero or a live handle.
#[no_mangle]
pub unsafe extern "C" fn spa_run(client: usize, op: u32, args: *mut u8, args_len: usize, bytes: *mut u8, bytes_len: usize) -> u64 {
    // SAFETY: the caller's contract (see above).
    let args = String::from_utf8(unsafe { take(args, args_len) }).unwrap_or_default();
    // SAFETY: as above.
    let bytes = (bytes_len != usize::MAX).then(|| unsafe { take(bytes, bytes_len) });
    let out = if client != 0 {
        // SAFETY: a live handle per the contract.
        unsafe { &*(client as *const Client) }.run(op, &args, bytes)
    } else if op == NEW_CLIENT {
        match exports::new_client(&args, bytes) {
            Ok(c) => exports::number(Box::into_raw(Box::new(c)) as usize as f64),
            Err(e) => exports::failure(e),
        }
    } else {
        exports::run(op, &args, bytes)
    };
    let out = out.into_boxed_str();
    let len = out.len();
    let ptr = Box::into_raw(out) as *mut u8 as usize;
    (ptr as u64) | ((len as u64) << 32)
}
