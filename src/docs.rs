//! The project's documents, as pages of this documentation (the same files as in the
//! repository and the package).
// The files are Markdown for GitHub as much as for rustdoc: `[::1]` is an address, not a link.
#![allow(
    rustdoc::broken_intra_doc_links,
    rustdoc::invalid_html_tags,
    rustdoc::bare_urls,
    rustdoc::invalid_rust_codeblocks
)]

/// What differs from netcode 0.3.1, for code moving to this crate (MIGRATING.md).
#[cfg_attr(not(doctest), doc = include_str!("../MIGRATING.md"))]
pub mod migrating {}

/// What the crate defends against, each claim with the test that shows it (SECURITY.md).
#[cfg_attr(not(doctest), doc = include_str!("../SECURITY.md"))]
pub mod security {}

/// The pinned reference C: which commit, why, where it comes from, and every patch with its
/// test (REFERENCE.md).
#[cfg_attr(not(doctest), doc = include_str!("../REFERENCE.md"))]
pub mod reference {}

/// The wire formats, NETCODE 1.00 and 1.02, checked against the reference byte for byte
/// (WIRE.md).
#[cfg_attr(not(doctest), doc = include_str!("../WIRE.md"))]
pub mod wire {}

/// How the crate is tested, and what each test shows (TESTING.md).
#[cfg_attr(not(doctest), doc = include_str!("../TESTING.md"))]
pub mod testing {}
