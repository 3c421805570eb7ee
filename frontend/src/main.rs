//! The safelab app: lessons beside a live request builder, compiled to WASM and
//! served by the `safelab` program.

mod api;
mod app;
mod clipboard;
mod components;
mod draft;
mod explain;
mod pages;
mod snippets;

fn main() {
    console_error_panic_hook::set_once();
    components::projection_toggle::apply_remembered();
    // index.html paints a shell (the top bar and a loading line) before the
    // WASM has arrived; the app replaces it.
    if let Some(shell) = leptos::prelude::document().get_element_by_id("shell") {
        shell.remove();
    }
    leptos::mount::mount_to_body(app::App);
}
