//! Reusable components, one per file.

pub mod challenge;
pub mod code_sample;
pub mod copy_snippets;
pub mod history_list;
pub mod insights_panel;
pub mod lesson_view;
pub mod lint_report;
pub mod listener_buttons;
pub mod own_ca;
pub mod packages_report;
pub mod pickle_report;
pub mod progress_controls;
pub mod projection_toggle;
pub mod raw_editor;
pub mod request_builder;
pub mod response_view;
pub mod secrets_report;
pub mod solved_banner;
pub mod tls_panel;
pub mod tool_panel;
pub mod twin_compare;
