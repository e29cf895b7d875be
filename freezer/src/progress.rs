//! What a build tells while it runs, for a display to show: the step it is at, and how
//! far the analysis's compiling has come. The build knows nothing of terminals; the
//! command line draws this ([`crate::terminal`]) or not.

/// The build's steps, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Finding the import closure and compiling it (skipped when the cache answers).
    Analysis,
    /// Collecting and stripping libpython, the extension modules and their libraries.
    Native,
    /// Laying out the archive's entries.
    Packing,
    /// Compressing the entries and writing the executable.
    Writing,
}

impl Step {
    pub fn name(self) -> &'static str {
        match self {
            Step::Analysis => "analysing imports",
            Step::Native => "collecting native code",
            Step::Packing => "packing",
            Step::Writing => "writing",
        }
    }
}

/// Told of a build's progress; the build calls it from the thread that runs it.
pub trait Progress {
    fn step(&self, step: Step);
    /// `done` of the `total` modules sent to the compilers so far are compiled; the
    /// total grows as the analysis finds more.
    fn compiled(&self, done: usize, total: usize);
}

/// Nothing shown.
pub struct Silent;

impl Progress for Silent {
    fn step(&self, _: Step) {}
    fn compiled(&self, _: usize, _: usize) {}
}
