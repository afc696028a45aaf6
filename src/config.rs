//! config: placeholder.
