//! Pages, one per file.

pub mod lesson;
pub mod workbench;
