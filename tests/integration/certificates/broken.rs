//! Lesson 6: broken (filled in below).
