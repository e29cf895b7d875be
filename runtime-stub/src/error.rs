/// Why the stub could not start the app.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StubError {
    #[error("cannot read its own executable through /proc/self/exe ({0}); pyfreeze bundles need /proc mounted")]
    MapSelf(#[source] std::io::Error),

    #[error("cannot read its own executable {exe} ({source}); the bundle must be readable by whoever runs it (chmod a+r {exe})")]
    SelfUnreadable { exe: String, source: std::io::Error },

    #[error(
        "not enough memory to map the bundle ({source}{})",
        .ulimit.as_ref().map_or_else(String::new, |u| format!("; {u}"))
    )]
    NoMemoryToMap {
        ulimit: Option<String>,
        source: std::io::Error,
    },

    #[error("cannot read its own executable through /proc/self/exe ({0})")]
    ReadSelf(#[source] std::io::Error),

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

impl StubError {
    /// The error of reading its own executable, by its cause: no /proc, a file only
    /// executable, a memory limit, or another.
    pub(crate) fn reading_self(source: std::io::Error) -> StubError {
        match source.raw_os_error() {
            Some(libc::ENOENT) => StubError::MapSelf(source),
            Some(libc::EACCES | libc::EPERM) => StubError::SelfUnreadable {
                exe: std::env::current_exe()
                    .ok()
                    .map(std::path::PathBuf::into_os_string)
                    .or_else(|| std::env::args_os().next())
                    .map_or_else(|| "FILE".to_owned(), |p| p.to_string_lossy().into_owned()),
                source,
            },
            Some(libc::ENOMEM) => StubError::NoMemoryToMap {
                ulimit: crate::ffi::sys::ulimit_behind(libc::ENOMEM),
                source,
            },
            _ => StubError::ReadSelf(source),
        }
    }
}
