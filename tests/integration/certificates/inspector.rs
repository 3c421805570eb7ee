//! Lesson 6: inspector (filled in below).
