/// Why the stub could not start the app.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StubError {
    #[error("cannot read its own executable through /proc/self/exe ({0}); pyfreeze bundles need /proc mounted")]
    MapSelf(#[source] std::io::Error),

    #[error("{0}")]
    Bundle(#[from] pyfreeze_archive::Error),

    #[error("this executable is the bare pyfreeze runtime stub; make a bundle with `pyfreeze build APP`")]
    BareStub,

    #[error("the bundle was made for Python {major}.{minor}, which this stub does not support (3.8 to 3.13)")]
    UnsupportedPython { major: u8, minor: u8 },

    #[error("the bundle has no libpython entry `{0}`; rebuild it with pyfreeze")]
    MissingLibPython(String),

    #[error("{0}")]
    Memfd(String),

    #[error("cannot load the bundled {what}: {message}")]
    Load { what: String, message: String },

    #[error("the bundled libpython is version {found}, but the bundle's bytecode is for {expected}; rebuild the bundle")]
    VersionMismatch { expected: String, found: String },

    #[error("bootstrap module `{0}` is stored compressed; rebuild the bundle with this pyfreeze")]
    CompressedBootstrap(String),

    #[error("{0}")]
    FrozenTable(String),

    #[error("{0}")]
    Init(String),

    #[error(
        "cannot put the files the bundle keeps on disk (--collect-to-disk) in {where_}: {reason}",
        where_ = .0.path().map_or_else(|| "the per-user cache".to_owned(), |p| p.display().to_string()),
        reason = .0
    )]
    Disk(#[source] crate::cache_dir::CacheError),
}
