//! Lesson `packages`'s integration tests. SKELETON: to be written.
