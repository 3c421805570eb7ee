//! Lesson `secrets`'s integration tests. SKELETON: to be written.
