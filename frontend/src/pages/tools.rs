//! The Tools page (`/tools`): the four analysis tools, for the learner's own
//! files. They run in the browser, in a Web Worker loaded on first use:
//! nothing is uploaded.

use leptos::prelude::*;
use safelab_tools::Tool;

use crate::components::tool_panel::ToolPanel;
use crate::shell;

/// Every tool, in `Tool::ALL` order.
#[component]
pub fn ToolsPage() -> impl IntoView {
    // The page's shell painted a lesson; this page takes its place at once.
    shell::take_over();
    document().set_title("Tools · safelab");
    let panels = Tool::ALL
        .into_iter()
        .map(|tool| view! { <ToolPanel tool prefix="tools" /> })
        .collect_view();
    view! {
        <article class="tools-page" aria-labelledby="tools-title">
            <h1 id="tools-title">"Tools for your own files"</h1>
            <p class="lesson-summary">
                "Check a pickle before you load it, look for secrets before you commit, "
                "check your requirements against known advisories and lint your Python. "
                "Everything runs here, in your browser: "<strong>"your files are not uploaded"</strong>
                " and nothing about them is sent to the safelab program or anywhere else. "
                "The same tools run on the command line: "<code>"safelab pickle"</code>", "
                <code>"safelab secrets"</code>", "<code>"safelab audit"</code>" and "<code>"safelab lint"</code>"."
            </p>
            {panels}
        </article>
    }
}
