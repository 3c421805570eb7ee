//! Lesson 6: browser_trust (filled in below).
