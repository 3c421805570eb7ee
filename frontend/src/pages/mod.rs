//! Pages, one per file.

pub mod lesson;
pub mod tools;
pub mod workbench;
