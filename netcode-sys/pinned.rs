//! What both build scripts that read upstream files need (netcode-sys/build.rs and
//! interop/build.rs, which includes this file by path): the checksum rule of the pin.

use sha2::{Digest, Sha256};

/// Git checkouts may carry CRLF or LF line endings; the registry copy carries CRLF. The pinned
/// checksums are of the LF form.
pub fn normalize(bytes: &[u8]) -> Vec<u8> {
    bytes.iter().copied().filter(|&b| b != b'\r').collect()
}

/// The SHA-256 of `bytes`, in lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .fold(String::new(), |mut s, b| {
            use std::fmt::Write as _;
            let _ = write!(s, "{b:02x}");
            s
        })
}
