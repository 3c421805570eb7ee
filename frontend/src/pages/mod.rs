//! Pages, one per file.

pub mod workbench;
