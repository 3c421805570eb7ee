//! Lesson `pickle`'s integration tests. SKELETON: to be written.
