//! The broken listeners (see the parent module).
