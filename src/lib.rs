//! msgraph-extproc: Microsoft Entra ID client-credentials tokens and
//! Microsoft Graph calls behind a C ABI (`libmsgraph`), for Oracle external
//! procedures and C programs.
//!
//! The core modules are safe Rust; only [`ffi`] uses `unsafe`, to read C
//! strings and write C buffers (and [`token_cache`], for `geteuid` and
//! `flock`, in two one-line functions). The C contract is `include/msgraph.h`,
//! generated from the `ffi` module's doc comments.

#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod api;
pub mod assertion;
pub mod batch;
pub mod charset;
pub mod config;
pub mod credentials;
pub mod error;
pub mod graph;
pub mod ids;
pub mod json_pointer;
pub mod jwt;
pub mod mailbox;
pub mod options;
pub mod outcome;
pub mod paging;
pub mod policy;
pub mod response;
pub mod results;
pub mod retry;
pub mod secret;
pub mod secure_file;
pub mod status;
pub mod sync;
pub mod sync_round;
pub mod token;
pub mod token_cache;
pub mod transport;
pub mod upload;

#[macro_use]
pub mod ffi;

pub use status::*;
