//! pipeline: placeholder.
