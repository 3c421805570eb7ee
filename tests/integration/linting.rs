//! Lesson `linting`'s integration tests. SKELETON: to be written.
