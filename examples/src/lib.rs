//! Shared helpers for the example programs in `src/bin/`.
