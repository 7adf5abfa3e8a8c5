//! The sans-IO protocol core: no JavaScript, no clock, no randomness, no I/O. Time enters as
//! `now` (seconds since the Unix epoch), randomness as bytes, HTTP as [`token::HttpRequest`] out
//! and [`token::HttpResponse`] in. Every function is synchronous, deterministic and total: it
//! returns an [`error::Error`] with a stable code for any input, never panics.

pub mod authorize;
pub mod base64url;
pub mod callback;
pub mod challenge;
pub mod config;
pub mod discovery;
#[cfg(feature = "dpop")]
pub mod dpop;
pub mod error;
pub mod form;
pub mod id_token;
pub mod json;
pub mod jwk;
pub mod jws;
pub mod logout;
#[cfg(feature = "par")]
pub mod par;
pub mod pkce;
pub mod refresh;
#[cfg(feature = "resource-servers")]
pub mod resource;
pub mod secret;
pub mod token;
pub mod uri;
pub mod userinfo;
#[doc(hidden)]
pub mod vectors;
