//! sink: placeholder.
