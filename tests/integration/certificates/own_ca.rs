//! Lesson 6: own_ca (filled in below).
