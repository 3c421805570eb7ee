//! safelab's integration tests: one binary, a module per area.
//! Every test drives real sockets on loopback; see `safelab_tests` for support.

mod api;
mod authentication;
mod basics;
mod browser;
mod certificates;
mod files;
mod hardening;
mod injection;
mod inspector;
mod lessons;
mod linting;
mod packages;
mod parameters;
mod pickle;
mod program;
mod progress;
mod secrets;
mod tools_page;
