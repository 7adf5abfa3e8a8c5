//! # spa-oauth
//!
//! An OAuth 2.0 / OpenID Connect client for browser single-page apps, compiled to WebAssembly.
//! Authorization Code + PKCE (S256) only; access, refresh and ID tokens live in memory only.
//!
//! ```text
//!  SPA ──loginWithRedirect──▶ core::authorize ──URL──▶ browser ──▶ authorization server
//!                              │ PendingAuthorization (state, nonce, verifier) → sessionStorage
//!  SPA ◀─handleRedirectCallback─ core::callback (state, iss, error, code)
//!                              │ core::token::authorization_code_request ──fetch──▶ token endpoint
//!                              ▼ core::token::process_token_response → session (driver memory)
//! ```
//!
//! * [`core`] — the sans-IO protocol: every rule as a pure function, unit-tested natively.
//! * `wasm` (only on `wasm32`) — the module's side of the browser adapter: every protocol step
//!   as a synchronous call behind one C-ABI entry point (`wasm::abi`, `wasm::exports`). The
//!   other side is `src/wasm/driver.js` (the package's `AuthClient`), which does the I/O:
//!   `fetch`, WebCrypto, `sessionStorage` for the login transaction only, tabs and timers.
//!
//! Security notes: `state` and `nonce` carry 256 bits, are compared in constant time and are
//! single-use; the transaction expires after 10 minutes; RFC 9207 `iss` is checked; implicit
//! and hybrid responses are refused; redirects are never followed on back-channel requests;
//! error messages are static and never contain a token, code or verifier.
#![cfg_attr(not(any(test, feature = "std")), no_std)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)
)]

extern crate alloc;

pub mod core;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use crate::core::error::{Error, ErrorCode};
