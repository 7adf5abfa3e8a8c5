//! The browser adapter: the only place with JavaScript, `fetch`, storage and the clock.
//! It turns core requests-as-data into `fetch` calls, feeds responses back to the core, and
//! exposes the [`client::AuthClient`] class and a few low-level helpers to JavaScript.

pub mod client;
mod error;
mod http;
mod options;
pub mod lowlevel;
mod storage;
mod sys;
mod types;


