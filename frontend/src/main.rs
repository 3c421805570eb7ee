//! The safelab app: lessons beside a live request builder, compiled to WASM and
//! served by the `safelab` program.

mod api;
mod app;
mod components;
mod draft;
mod explain;
mod pages;
mod snippets;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
