//! A code sample from a lesson: the code as it is to be copied, its language,
//! whether it fails on purpose, and a Copy button.

use leptos::prelude::*;
use safelab_protocol::LessonCode;

use crate::clipboard;

/// Shows one code sample with a button that copies it.
#[component]
pub fn CodeSample(
    /// The sample.
    code: LessonCode,
) -> impl IntoView {
    let copied = RwSignal::new(None::<&'static str>);
    let caption = code.caption();
    let text = code.code.clone();
    let copy = move |_| {
        let text = text.clone();
        leptos::task::spawn_local(async move {
            let done = clipboard::copy(&text).await;
            copied.set(Some(if done { "Copied." } else { clipboard::REFUSED }));
        });
    };
    view! {
        <figure class="code-sample" class:fails=code.fails_with.is_some()>
            <figcaption>
                <span class="code-language">{caption}</span>
                <button type="button" class="copy-code" on:click=copy>"Copy"</button>
                <span class="copied" role="status">{move || copied.get().unwrap_or("")}</span>
            </figcaption>
            <pre tabindex="0"><code>{code.code}</code></pre>
        </figure>
    }
}
