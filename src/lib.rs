//! netcode: the netcode.io reference C implementation behind a safe Rust API (work in progress).
