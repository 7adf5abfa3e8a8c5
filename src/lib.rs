//! # spa-oauth
//!
//! An OAuth 2.0 / OpenID Connect client for browser single-page apps, written in Rust and
//! compiled to WebAssembly. Authorization Code + PKCE (S256) only; access, refresh and ID tokens
//! live in the module's memory only.
//!
//! ```text
//!  app ──login_with_redirect──▶ core::authorize ──URL──▶ browser ──▶ authorization server
//!                                │ PendingAuthorization (state, nonce, verifier) → sessionStorage
//!  app ◀─handle_redirect_callback─ core::callback (state, iss, error, code)
//!                                │ core::token::authorization_code_request ──fetch──▶ token endpoint
//!                                ▼ core::token::process_token_response, WebCrypto + core::id_token
//!                                  → the session, in the AuthClient's memory
//! ```
//!
//! * [`core`] — the sans-IO protocol: every rule as a pure function (no clock, no randomness,
//!   no I/O, no browser bindings), unit-tested natively and fuzzed.
//! * [`AuthClient`] (on `wasm32`) — the client: discovery, login, code exchange, refresh with
//!   rotation, single flight, one refresher across tabs (Web Locks + `BroadcastChannel`),
//!   renewal, restore, UserInfo, revocation and logout, through `web-sys`/`js-sys`. This is the
//!   **Rust API** for Rust front-ends (Leptos, Yew, Dioxus, plain `web-sys`): `async` methods,
//!   `Result<_, spa_oauth::Error>` everywhere, events as a callback ([`AuthClient::on`]).
//! * The **JavaScript API** of the npm package (`#[wasm_bindgen]`, module `js`, feature `js`,
//!   which the npm build enables; a Rust app leaves it off and ships ~13 kB gzip less): the same client
//!   as a camelCase `AuthClient` class plus `createPkcePair`, `buildAuthorizationUrl`,
//!   `validateIdToken` (docs/js-api.md).
//!
//! Security notes: `state` and `nonce` carry 256 bits, are compared in constant time and are
//! single-use; the transaction expires after 10 minutes; RFC 9207 `iss` is checked; implicit
//! and hybrid responses are refused; redirects are never followed on back-channel requests;
//! error messages are static and never contain a token, code or verifier.
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)
)]

extern crate alloc;

pub mod core;

#[cfg(target_arch = "wasm32")]
mod client;
#[cfg(all(target_arch = "wasm32", feature = "js"))]
mod js;

#[cfg(target_arch = "wasm32")]
pub use client::{AuthClient, CallbackResult, ClientOptions, Event, LoggedOut, LoginOptions, LogoutOptions, RefreshSource, Restored, Revocation, Started, Subscription};
#[cfg(all(target_arch = "wasm32", feature = "resource-servers"))]
pub use client::{FetchRecord, TokenInfo};
pub use crate::core::discovery::MetadataKind;
pub use crate::core::error::{Error, ErrorCode};
pub use crate::core::json::Value;
pub use crate::core::jws::Alg;
pub use crate::core::secret::AccessToken;
