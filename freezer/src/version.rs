//! What `pyfreeze --version` says: the version, and what a bundle it builds is made of.

/// "0.1.0 (bundle format 7; CPython 3.8–3.13)".
pub fn long() -> String {
    format!(
        "{} (bundle format {}; CPython {})",
        env!("CARGO_PKG_VERSION"),
        pyfreeze_archive::FORMAT_VERSION,
        crate::build::supported_versions()
    )
}
