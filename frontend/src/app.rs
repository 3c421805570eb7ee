//! The root component.

use leptos::prelude::*;

use crate::pages::workbench::Workbench;

/// The whole app.
#[component]
pub fn App() -> impl IntoView {
    view! { <Workbench /> }
}
