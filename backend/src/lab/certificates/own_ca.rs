//! The learner's own CA (see the parent module).
