//! Copying text to the clipboard, with a message for the learner either way.

/// Copies `text`; resolves to whether the browser allowed it.
pub async fn copy(text: &str) -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    let promise = window.navigator().clipboard().write_text(text);
    wasm_bindgen_futures::JsFuture::from(promise).await.is_ok()
}

/// What to tell the learner when the browser refused.
pub const REFUSED: &str = "The browser refused the clipboard: select the code and copy it by hand.";
