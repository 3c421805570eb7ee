//! Lesson `api`, "API security".

mod cors;
