//! safelab's integration tests: one binary, a module per area.
//! Every test drives real sockets on loopback; see `safelab_tests` for support.

mod authentication;
mod basics;
mod browser;
mod certificates;
mod files;
mod hardening;
mod inspector;
mod lessons;
mod parameters;
mod program;
mod progress;
