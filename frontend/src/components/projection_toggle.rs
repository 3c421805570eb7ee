//! The projection setting: larger text and stronger contrast for a room that
//! reads the app from a projector. One click away, and remembered by the
//! browser (local storage), so it is still on after a reload.

use leptos::prelude::*;

const STORAGE_KEY: &str = "safelab.projection";
/// The attribute on `<html>` that the style sheet keys the setting on.
const ATTRIBUTE: &str = "data-projection";

/// Applies the remembered setting; called once before the app mounts, so the
/// first paint is already the right size.
pub fn apply_remembered() {
    apply(remembered());
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

fn remembered() -> bool {
    storage()
        .and_then(|storage| storage.get_item(STORAGE_KEY).ok().flatten())
        .as_deref()
        == Some("on")
}

fn apply(on: bool) {
    let Some(root) = web_sys::window()
        .and_then(|window| window.document())
        .and_then(|document| document.document_element())
    else {
        return;
    };
    let _ = if on {
        root.set_attribute(ATTRIBUTE, "on")
    } else {
        root.remove_attribute(ATTRIBUTE)
    };
}

/// The button that switches projection on and off.
#[component]
pub fn ProjectionToggle() -> impl IntoView {
    let on = RwSignal::new(remembered());
    let toggle = move |_| {
        let next = !on.get_untracked();
        on.set(next);
        apply(next);
        // Private windows may refuse storage: the setting then lasts until reload.
        if let Some(storage) = storage() {
            let _ = storage.set_item(STORAGE_KEY, if next { "on" } else { "off" });
        }
    };
    view! {
        <button
            type="button"
            id="projection"
            class="projection"
            title="Larger text and stronger contrast, for a projector"
            aria-pressed=move || on.get().to_string()
            on:click=toggle
        >
            "Projector mode"
        </button>
    }
}
