//! The integration test binary: each module is one feature, run over real HTTP
//! against the app started on port 0 with a fresh database.
#![allow(clippy::unwrap_used, missing_docs)]

mod helpers;

mod errors;
mod http_surface;
mod mutations;
mod queries;
mod schema;
mod statements;
mod store;
