//! route: placeholder.
