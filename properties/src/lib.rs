//! Property tests only: see `tests/`.
