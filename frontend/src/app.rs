//! The root component.

use leptos::prelude::*;
use leptos_router::components::Router;

use crate::pages::workbench::Workbench;

/// The whole app.
#[component]
pub fn App() -> impl IntoView {
    view! {
        <Router>
            <Workbench />
        </Router>
    }
}
