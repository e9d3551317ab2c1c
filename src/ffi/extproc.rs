//! Entry points shaped for Oracle's external-procedure agent (the MSGRAPH
//! PL/SQL package in sql/): Oracle's C types (INT, SHORT indicators, SB4
//! lengths, RAW buffers) rather than the general C API's.
