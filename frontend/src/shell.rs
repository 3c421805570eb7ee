//! The page's shell: what `index.html` paints before the app runs (the top bar
//! and the first lesson, which the safelab program puts there), and the moment
//! the app takes over from it.

use leptos::prelude::document;
use wasm_bindgen::JsCast;

/// The element the app mounts into: hidden until [`take_over`].
pub fn app_root() -> web_sys::HtmlElement {
    document()
        .get_element_by_id("app")
        .and_then(|element| element.dyn_into::<web_sys::HtmlElement>().ok())
        .or_else(|| document().body())
        .expect("a page has a body")
}

/// The lesson the shell shows (`data-lesson`), so the app can fetch it at once
/// instead of after the list of lessons.
pub fn lesson_id() -> Option<String> {
    document()
        .query_selector("#shell [data-lesson]")
        .ok()
        .flatten()
        .and_then(|article| article.get_attribute("data-lesson"))
}

/// Shows the app in place of the shell, in one step so nothing flickers, and
/// marks the moment for the first-paint benchmark (`safelab-interactive`).
pub fn take_over() {
    if let Some(shell) = document().get_element_by_id("shell") {
        shell.remove();
    }
    if let Some(app) = document().get_element_by_id("app") {
        let _ = app.remove_attribute("hidden");
    }
    if let Some(performance) = web_sys::window().and_then(|window| window.performance()) {
        let _ = performance.mark("safelab-interactive");
    }
}
