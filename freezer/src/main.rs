//! The `pyfreeze` command line: parses arguments, calls the library, reports.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use pyfreeze::build::{
    self, BuildOptions, BuildReport, CacheUse, LeftOut, LeftOutRule, Reuse, Unbundled, Via,
};
use pyfreeze::cache::{self, Hits};
use pyfreeze::check;
use pyfreeze::fault::{self, Fault};
use pyfreeze::ls;

#[derive(Parser)]
#[command(
    name = "pyfreeze",
    version,
    about = "Freeze a Python project into one standalone executable",
    after_help = "Exit status: 0 on success; 1 when the input is wrong (a missing app or entry \
                  point, a bad option, a syntax error in the app, a file that is not a bundle), \
                  and the message says what to fix; 2 when pyfreeze, the interpreter or the \
                  machine failed on input that was fine. `pyfreeze check` also exits 1 when the \
                  frozen app's run differs from CPython's."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build a standalone executable from a Python app.
    Build(Box<BuildArgs>),
    /// Build an app, run it under the build's Python and as the bundle, and compare.
    #[command(
        after_help = CHECK_HELP,
        mut_arg("output", |arg| arg.help("Where to write the executable [default: a temporary directory]"))
    )]
    Check(Box<CheckArgs>),
    /// List what a bundle contains.
    Ls {
        /// A bundle made by `pyfreeze build`.
        binary: PathBuf,
        /// Print JSON for scripts instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// The build cache: what earlier builds computed, reused when nothing it came from
    /// changed ($PYFREEZE_CACHE_DIR, else $XDG_CACHE_HOME/pyfreeze/build, else
    /// ~/.cache/pyfreeze/build).
    #[command(subcommand)]
    Cache(CacheCommand),
}

#[derive(Subcommand)]
enum CacheCommand {
    /// Print the cache directory.
    Dir,
    /// Remove everything in the cache.
    Clean,
}

const CHECK_HELP: &str = "Builds APP with the build options given (into a temporary directory \
    unless -o is given; that bundle also holds check's probe, so build the one to ship with \
    `pyfreeze build`), then runs it under the build's Python and as the bundle, both with ARGS, \
    the same working directory and environment, and stdin empty. Compares the exit status, \
    stdout, stderr (in tracebacks, the directories of Python's sys.path, the app's and the \
    bundle's path masked) and the modules in sys.modules at exit, and names each module and \
    data file CPython used that the bundle lacks, with the option that brings it in.\n\n\
    Exit status: 0 when the runs match and the bundle lacks nothing; 1 when they differ (or the \
    input is wrong, as for build); 2 when pyfreeze, the interpreter or the machine failed.";

#[derive(Args)]
struct CheckArgs {
    #[command(flatten)]
    build: BuildArgs,
    /// The app's arguments, for both runs.
    #[arg(last = true, value_name = "ARGS")]
    args: Vec<OsString>,
}

#[derive(Args)]
struct BuildArgs {
    /// The app: a project directory (entry __main__.py, else main.py) or a .py file.
    app: PathBuf,
    /// Where to write the executable [default: dist/<name>].
    #[arg(short, long, value_name = "OUT")]
    output: Option<PathBuf>,
    /// The interpreter to build with [default: the active virtualenv's, else python3].
    #[arg(long, value_name = "INTERP")]
    python: Option<PathBuf>,
    /// The entry point: FILE inside the app, MODULE (run as -m), or MODULE:FUNCTION.
    #[arg(long, value_name = "FILE|MODULE|MODULE:FUNC")]
    entry: Option<String>,
    /// Bundle a module no import statement shows; a package comes with all its
    /// submodules, whatever their file names (repeatable).
    #[arg(long = "include", value_name = "MOD")]
    includes: Vec<String>,
    /// Leave a module and its submodules out (repeatable).
    #[arg(long = "exclude", value_name = "MOD")]
    excludes: Vec<String>,
    /// Bundle a distribution (or top-level module) wherever a module imports it, even
    /// only inside functions of packages that do not require it (repeatable).
    #[arg(long = "with", value_name = "PKG")]
    with: Vec<String>,
    /// Compile with optimisation, like python -O; twice (-OO) also drops docstrings.
    #[arg(short = 'O', action = clap::ArgAction::Count)]
    optimize: u8,
    /// Leave module sources out (tracebacks then show no source lines).
    #[arg(long)]
    no_source: bool,
    /// The runtime stub to build on [default: pyfreeze-stub next to pyfreeze].
    #[arg(long, value_name = "PATH")]
    stub: Option<PathBuf>,
    /// Put a package's files (or, with `.`, the app directory's) on disk at run time, in a
    /// private per-user cache, for code that opens files next to __file__ (repeatable).
    #[arg(long = "collect-to-disk", value_name = "PKG|.")]
    collect_to_disk: Vec<String>,
    /// Keep a package in memory that the build would put on disk because its code names
    /// its data files next to __file__ (or gives jinja2's PackageLoader its name); the
    /// build summary says which it puts there (repeatable).
    #[arg(long = "no-collect-to-disk", value_name = "PKG")]
    no_collect_to_disk: Vec<String>,
    /// An interpreter option the bundle always starts with, as python takes it: -u, -b,
    /// -bb, -v, -O, -OO, "-W ARG", "-X OPT" (repeatable; e.g. --python-option=-Xutf8).
    #[arg(long = "python-option", value_name = "OPT", allow_hyphen_values = true)]
    python_options: Vec<String>,
    /// Neither reuse nor store anything in the build cache.
    #[arg(long)]
    no_cache: bool,
    /// Replace OUT even if it is a regular file that is not a pyfreeze bundle (never the
    /// app's files or the interpreter's, a directory, device, FIFO or socket).
    #[arg(long)]
    force: bool,
}

impl From<BuildArgs> for BuildOptions {
    fn from(args: BuildArgs) -> Self {
        BuildOptions {
            app: args.app,
            output: args.output,
            python: args.python,
            entry: args.entry,
            includes: args.includes,
            excludes: args.excludes,
            with: args.with,
            optimize: args.optimize.min(2),
            sources: !args.no_source,
            stub: args.stub,
            collect_to_disk: args.collect_to_disk,
            no_collect_to_disk: args.no_collect_to_disk,
            python_options: args.python_options,
            no_cache: args.no_cache,
            force: args.force,
            check_probe: false,
        }
    }
}

/// "distribution (by importer, ...)" for each distribution left out as optional, the
/// importers named by their top-level packages.
fn optional_left_out(left_out: &[LeftOut]) -> Vec<String> {
    let mut by: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for left in left_out {
        if let LeftOutRule::Optional { distribution } = &left.rule {
            let importers = by.entry(distribution).or_default();
            for importer in &left.imported_by {
                importers.insert(importer.split('.').next().unwrap_or(importer));
            }
        }
    }
    by.into_iter()
        .map(|(distribution, importers)| {
            let importers: Vec<&str> = importers.into_iter().collect();
            format!("{distribution} (by {})", importers.join(", "))
        })
        .collect()
}

fn report(report: &BuildReport) -> String {
    let mut out = String::new();
    let c = report.contents;
    out.push_str(&format!(
        "Built {} ({:.1} MB) with Python {}: {} modules, {} extension modules, {} shared libraries, {} data files, in {:.2}s\n",
        report.output.display(),
        report.size as f64 / 1e6,
        report.python_version,
        c.modules,
        c.extensions,
        c.libraries,
        c.data_files,
        report.elapsed.as_secs_f64(),
    ));
    for missing in &report.missing_in_app {
        let by = if missing.imported_by.is_empty() {
            "--include".to_owned()
        } else {
            missing.imported_by.join(", ")
        };
        out.push_str(&format!(
            "warning: module {} not found (imported by {by}); it is not bundled, and importing it will raise ImportError\n",
            missing.name
        ));
    }
    if !report.missing_elsewhere.is_empty() {
        let names: Vec<&str> = report
            .missing_elsewhere
            .iter()
            .map(|m| m.name.as_str())
            .collect();
        out.push_str(&format!(
            "note: {} imports in dependencies were not found (CPython fails only if they run; most are other platforms' modules): {}\n",
            names.len(),
            names.join(", ")
        ));
    }
    let standard: Vec<&str> = report
        .left_out
        .iter()
        .filter(|m| m.rule == LeftOutRule::StandardLibrary)
        .map(|m| m.name.as_str())
        .collect();
    if !standard.is_empty() {
        out.push_str(&format!(
            "note: left out by default, as only the standard library imports them (inside functions, or its tests): {}; --include NAME bundles one\n",
            standard.join(", ")
        ));
    }
    let optional = optional_left_out(&report.left_out);
    if !optional.is_empty() {
        out.push_str(&format!(
            "note: optional dependencies left out, as only functions of packages that do not require them import them: {}; --with NAME bundles one\n",
            optional.join(", ")
        ));
    }
    let not_bundled = |unloadable: bool| -> Vec<String> {
        report
            .not_bundled
            .iter()
            .filter_map(|m| match (&m.why, unloadable) {
                (Unbundled::Missing(needs), false) => {
                    Some(format!("{} ({})", m.module, needs.join(", ")))
                }
                (Unbundled::Unloadable(why), true) => {
                    Some(format!("{} ({})", m.module, why.join("; ")))
                }
                _ => None,
            })
            .collect()
    };
    let (missing, unloadable) = (not_bundled(false), not_bundled(true));
    if !missing.is_empty() {
        out.push_str(&format!(
            "warning: {} extension modules are not bundled because shared libraries they need are not on this machine; importing them will raise ImportError: {}\n",
            missing.len(),
            missing.join(", ")
        ));
    }
    if !unloadable.is_empty() {
        out.push_str(&format!(
            "warning: {} extension modules are not bundled because shared libraries they need could not be loaded from the bundle; importing them will raise ImportError: {}\n",
            unloadable.len(),
            unloadable.join(", ")
        ));
    }
    if !report.native_imports.is_empty() {
        let modules: Vec<String> = report
            .native_imports
            .iter()
            .map(|(module, by)| format!("{module} (by {})", by.join(", ")))
            .collect();
        out.push_str(&format!(
            "note: {} modules are bundled because extension modules import them from native code: {}\n",
            modules.len(),
            modules.join(", ")
        ));
    }
    for failure in &report.native_import_failures {
        out.push_str(&format!(
            "warning: what extension module {} imports from native code may not all be bundled: {}\n",
            failure.module, failure.reason
        ));
    }
    for put in &report.put_on_disk {
        let why = match put.via {
            Via::File => format!("{} opens '{}' next to __file__", put.module, put.constant),
            Via::PackageLoader => format!(
                "{} loads '{}' with jinja2's PackageLoader",
                put.module, put.constant
            ),
        };
        out.push_str(&format!(
            "put on disk: {} ({why}; --no-collect-to-disk {} keeps it in memory)\n",
            put.package, put.package
        ));
    }
    for path in &report.not_utf8 {
        out.push_str(&format!(
            "warning: {path} left out: its name is not UTF-8, as a bundle's names must be; rename it to bundle it\n"
        ));
    }
    if c.disk_files > 0 {
        out.push_str(&format!(
            "{} files are written to the per-user cache directory when the bundle starts (--collect-to-disk)\n",
            c.disk_files
        ));
    }
    match &report.cache {
        CacheUse::Off => {}
        CacheUse::Unavailable(error) => {
            out.push_str(&format!(
                "warning: built without the build cache: {error}\n"
            ));
        }
        CacheUse::Used(cache) => {
            let analysis = match cache.analysis {
                Reuse::Answer => "analysis cached".to_owned(),
                Reuse::Code { cached, compiled } => {
                    format!(
                        "analysis ran ({compiled} of {} modules compiled)",
                        cached + compiled
                    )
                }
                Reuse::None => "analysis ran".to_owned(),
            };
            let hits = |h: Hits| format!("{}/{}", h.hits, h.lookups);
            out.push_str(&format!(
                "cache: {analysis}, native code {} cached, compressed files {} cached ({})\n",
                hits(cache.native),
                hits(cache.deflated),
                cache.dir.display()
            ));
            if let Some(error) = &cache.write_error {
                out.push_str(&format!("warning: {error}\n"));
            }
        }
    }
    for hint in &report.hints {
        out.push_str(&format!("hint: {hint}\n"));
    }
    for error in &report.skipped {
        out.push_str(&format!(
            "warning: {} left out: {}:{}: {}\n",
            error.module,
            error.file.display(),
            error.line.map_or_else(|| "?".to_owned(), |l| l.to_string()),
            error.message
        ));
    }
    out
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Build(args) => {
            let built = build::build(&(*args).into())?;
            eprint!("{}", report(&built));
        }
        Command::Check(args) => {
            let CheckArgs { build, args } = *args;
            let checked = check::check(&build.into(), &args)?;
            eprint!("{}", report(&checked.build));
            print!("{}", checked.report);
            if !checked.passed {
                return Ok(ExitCode::from(Fault::User.exit_code()));
            }
        }
        Command::Ls { binary, json } => {
            let text = ls::list(&binary, json)?;
            let mut stdout = std::io::stdout().lock();
            if let Err(e) = stdout.write_all(text.as_bytes()) {
                // A closed pipe (`pyfreeze ls x | head`) is the reader's choice, not an error.
                if e.kind() != std::io::ErrorKind::BrokenPipe {
                    return Err(e.into());
                }
            }
        }
        Command::Cache(command) => {
            let dir = cache::default_dir(|name| std::env::var_os(name))?;
            match command {
                CacheCommand::Dir => println!("{}", dir.display()),
                CacheCommand::Clean => cache::clean(&dir)?,
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // --help and --version print to stdout and succeed; a bad command line is the
            // user's to fix.
            let _ = error.print();
            return if error.use_stderr() {
                ExitCode::from(Fault::User.exit_code())
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            let mut message = format!("error: {error}");
            for cause in error.chain().skip(1) {
                message.push_str(&format!("\n  caused by: {cause}"));
            }
            eprintln!("{message}");
            ExitCode::from(fault::of(&error).exit_code())
        }
    }
}
