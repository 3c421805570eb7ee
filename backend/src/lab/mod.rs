//! The lab: the endpoints lessons send requests to, on every lab listener.
//!
//! One module per lesson. Where a lesson teaches a vulnerability, its module holds
//! `insecure.rs` and `secure.rs` with the same routes under `/lab/insecure/…` and
//! `/lab/secure/…`, so one edit of the URL switches between them. Every handler
//! works on lab resources only, never on the host's files, processes or network.

mod basics;

use axum::Router;

use crate::AppState;

/// Every lab route, merged.
pub fn routes() -> Router<AppState> {
    Router::new().merge(basics::routes())
}
