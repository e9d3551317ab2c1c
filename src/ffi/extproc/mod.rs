//! Entry points shaped for Oracle's external-procedure agent (the MSGRAPH
//! PL/SQL package in sql/): Oracle's C types (INT, SHORT indicators, SB4
//! lengths, RAW buffers) rather than the general C API's.
//!
//! Conventions of every `msgraph_xp_*` function (the call specs in
//! sql/msgraph.pkb mirror them exactly; tests/oracle_callspec.rs checks it):
//! - Text travels as RAW: UTF-8 bytes that the package converts with
//!   UTL_I18N, so the agent's NLS settings never touch it. An IN RAW is three
//!   C parameters: `const uint8_t *x, int16_t x_ind, int32_t x_len`
//!   (`x RAW, x INDICATOR SHORT, x LENGTH SB4`); an indicator of -1 (or any
//!   negative value) is SQL NULL, and the pointer is then never read.
//! - An OUT RAW is four: `uint8_t *x, int16_t *x_ind, int32_t *x_len,
//!   int32_t *x_maxlen` (`x RAW, x INDICATOR SHORT, x LENGTH SB4, x MAXLEN
//!   SB4`); at most `*x_maxlen` bytes are written, `*x_len` and `*x_ind` are
//!   always set (a NULL for no value), and text is never cut inside a UTF-8
//!   character.
//! - Handles and counts are INT (`int32_t`); every function returns one.
//! - No function aborts, exits or lets a panic out (inside the agent that
//!   would be ORA-28576); a caught panic is MSGRAPH_ERR_INTERNAL.
//! - No WITH CONTEXT: errors are raised by the package from the status and
//!   the message these functions hand back, so the library needs no OCI
//!   symbol and loads in any C program.
//!
//! The entry points are split by concern, marshalling only: [`args`] reads
//! IN RAW and writes OUT RAW parameters; the decisions (options merging,
//! the ORA-20xxx table, messages, character sets, upload bodies) are the
//! core's (`crate::options`, `crate::outcome`, `crate::charset`,
//! `crate::upload`).

pub(crate) mod args;
pub mod body;
pub mod credential;
pub mod json;
pub mod request;
pub mod result;
pub mod status;
pub mod sync;

pub use body::*;
pub use credential::*;
pub use request::*;
pub use result::*;
pub use status::*;
