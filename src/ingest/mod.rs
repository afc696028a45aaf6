//! Ingest: where mail comes from. Placeholder, filled by the pipeline work.
