//! msgraph-extproc: Microsoft Entra ID client-credentials tokens and
//! Microsoft Graph calls behind a C ABI (`libmsgraph`), for Oracle external
//! procedures and C programs.
//!
//! The core modules are safe Rust; only [`ffi`] uses `unsafe`, to read C
//! strings and write C buffers (and `token::cache`, for `geteuid` and
//! `flock`, in two one-line functions). The C contract is `include/msgraph.h`,
//! generated from the `ffi` module's doc comments.

#![deny(unsafe_code)]
#![warn(missing_docs)]

// The safe core: private modules, read in one direction (tests/layers.rs).
mod api;
mod assertion;
mod batch;
mod charset;
mod config;
mod credentials;
mod error;
mod graph;
mod ids;
mod json_pointer;
mod json_text;
mod jwt;
mod mailbox;
mod options;
/// What a result means (reason, ORA- number, one-line message, hint):
/// decided once here for the C API, the Oracle entry points and the CLI.
pub mod outcome;
mod paging;
mod policy;
mod response;
mod results;
mod retry;
mod secret;
mod secure_file;
/// Status codes (`MSGRAPH_OK`, `MSGRAPH_ERR_*`), as in the header: the one
/// public module of the core (constants only), also re-exported at the root.
pub mod status;
mod sync;
mod sync_round;
mod token;
mod transport;
mod upload;

/// The C ABI (`include/msgraph.h`): the library's product. Rust callers
/// (the tests, the fuzz targets, examples) call it as a C program would.
#[macro_use]
pub mod ffi;

// The facade: what callers outside the crate use.

/// Status codes (`MSGRAPH_OK`, `MSGRAPH_ERR_*`), as in the header.
pub use status::*;

/// The safe Rust API the CLI uses: the same calls as the C API, with the
/// same credentials, token cache, retries and limits.
pub use api::{
    batch, credential_clear_tokens, credential_names, credential_remove, credential_set, credentials_load,
    request, request_with_progress, token_info,
};
pub use error::{Error, Result};
pub use graph::path_segment;
pub use paging::Page;
pub use response::Response;

/// The keys the header must document: credential keys and the option keys
/// of `msgraph_request`, `msgraph_batch` and `msgraph_token_info`.
pub use config::KEYS as CREDENTIAL_KEYS;
pub use options::{BATCH_KEYS, REQUEST_KEYS, TOKEN_INFO_KEYS};

/// Internals the fuzz targets drive directly. Not an API: hidden from the
/// documentation and free to change.
#[doc(hidden)]
pub mod __private {
    /// Credential configuration parsing.
    pub mod config {
        pub use crate::config::{is_loopback, CredentialConfig};
    }
    /// The credential registry.
    pub mod credentials {
        pub use crate::credentials::{get, set, Credential};
    }
    /// URL resolution against a credential's Graph base.
    pub mod graph {
        pub use crate::graph::{resolve, same_origin};
    }
    /// The JSON pointer reader.
    pub mod json_pointer {
        pub use crate::json_pointer::{count, raw_at};
    }
    /// Token claims.
    pub mod jwt {
        pub use crate::jwt::claims;
    }
    /// Call and token_info options.
    pub mod options {
        pub use crate::options::{CallOptions, TokenInfoOptions};
    }
    /// Responses.
    pub mod response {
        pub use crate::response::Response;
    }
    /// The result handle table.
    pub mod results {
        pub use crate::results::{free, get, insert};
    }
    /// Retry-After and HTTP dates.
    pub mod retry {
        pub use crate::retry::{parse_http_date, parse_retry_after};
    }
}
