//! The safelab app: lessons beside a live request builder, compiled to WASM and
//! served by the `safelab` program.

mod api;
mod app;
mod certificates;
mod clipboard;
mod compare;
mod components;
mod draft;
mod explain;
mod history;
mod insights;
mod pages;
mod progress;
mod shell;
mod snippets;
mod tool_messages;
mod tool_runner;

fn main() {
    console_error_panic_hook::set_once();
    components::projection_toggle::apply_remembered();
    // Hidden behind the shell until the lesson is on screen (shell::take_over).
    leptos::mount::mount_to(shell::app_root(), app::App).forget();
}
