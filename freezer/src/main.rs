//! The `pyfreeze` command line: parses arguments, calls the library, reports.

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use pyfreeze::build;
use pyfreeze::cache;
use pyfreeze::check;
use pyfreeze::config::{self, Flags};
use pyfreeze::fault::{self, Fault};
use pyfreeze::progress::Silent;
use pyfreeze::terminal::{self, Spinner};
use pyfreeze::{ls, summary, version, why};

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
    /// When to colour what pyfreeze prints: auto (on a terminal, unless NO_COLOR is set),
    /// always, or never.
    // Listed last among each command's options, where clap would put it in the middle.
    #[arg(
        long,
        global = true,
        value_name = "WHEN",
        default_value = "auto",
        display_order = 1000
    )]
    color: clap::ColorChoice,
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
    /// List what a bundle contains, print one of its modules or data files, or write
    /// them out.
    Ls(Box<LsArgs>),
    /// Say why a module, extension module, shared library or data file is in a bundle
    /// (the chain of imports, with the file and line of each, or the extension modules
    /// that need the library), or why a module is not.
    Why {
        /// A bundle made by `pyfreeze build`.
        binary: PathBuf,
        /// A module, extension module, library soname, or data file path in the bundle.
        name: String,
    },
    /// The build cache: what earlier builds computed, reused when nothing it came from
    /// changed ($PYFREEZE_CACHE_DIR, else $XDG_CACHE_HOME/pyfreeze/build, else
    /// ~/.cache/pyfreeze/build).
    #[command(subcommand)]
    Cache(CacheCommand),
    /// Print a completion script for SHELL, e.g. `pyfreeze completions bash >
    /// ~/.local/share/bash-completion/completions/pyfreeze`.
    Completions { shell: clap_complete::Shell },
    /// Print the manual page (roff), e.g. `pyfreeze man | man -l -`.
    Man,
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
struct LsArgs {
    /// A bundle made by `pyfreeze build`.
    binary: PathBuf,
    /// A pattern ('json*', 'shop.*') to list the entries it matches, or a module's name to
    /// print its source (else its disassembly), or a data file's to print its bytes.
    #[arg(value_name = "PATTERN|NAME")]
    what: Option<String>,
    /// Print JSON for scripts instead of a table (docs/ls-json.md).
    #[arg(long)]
    json: bool,
    /// Nest modules under their packages and data files under their directories, with
    /// subtotals.
    #[arg(long, conflicts_with = "json")]
    tree: bool,
    /// Sizes in bytes rather than kB and MB.
    #[arg(long)]
    bytes: bool,
    /// List only the entries whose name matches this glob (repeatable).
    #[arg(long = "name", value_name = "PATTERN")]
    patterns: Vec<String>,
    /// List only the entries of this kind (repeatable).
    #[arg(long = "kind", value_name = "KIND",
          value_parser = clap::builder::PossibleValuesParser::new(ls::kind_labels()))]
    kinds: Vec<String>,
    /// Print the module's disassembly, even when its source is bundled.
    #[arg(long, requires = "what")]
    dis: bool,
    /// The Python to disassemble with, of the bundle's version [default: python3.X on
    /// PATH, else pyenv's].
    #[arg(long, value_name = "INTERP", requires = "what")]
    python: Option<PathBuf>,
    /// Write the bundle's sources (else bytecode, as .pyc) and data files into DIR, which
    /// must be new or an empty directory.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["what", "json", "tree", "patterns", "kinds"])]
    extract: Option<PathBuf>,
}

impl From<LsArgs> for ls::Request {
    fn from(args: LsArgs) -> Self {
        ls::Request {
            binary: args.binary,
            what: args.what,
            patterns: args.patterns,
            kinds: args.kinds,
            json: args.json,
            tree: args.tree,
            bytes: args.bytes,
            dis: args.dis,
            python: args.python,
            extract: args.extract,
        }
    }
}

#[derive(Args)]
struct BuildArgs {
    /// The app: a project directory (its pyproject.toml configures the build; else the
    /// entry is __main__.py, else main.py), a .py file, or a zipapp (.pyz, as `python -m
    /// zipapp`, shiv or pex make) [default: the project of the working directory, whose pyproject.toml is there
    /// or in a directory above].
    app: Option<PathBuf>,
    /// Build this console script of the project's [project.scripts] [default: all of
    /// them, each to dist/<NAME>, unless an entry point is given].
    #[arg(long, value_name = "NAME", conflicts_with = "entry")]
    script: Option<String>,
    /// Where to write the executable [default: dist/<name>, in the project's directory
    /// for a project with a pyproject.toml].
    #[arg(short, long, value_name = "OUT")]
    output: Option<PathBuf>,
    /// The interpreter to build with [default: the active virtualenv's ($VIRTUAL_ENV),
    /// else [tool.pyfreeze] python, else the project's .venv beside its pyproject.toml,
    /// else python3 on PATH].
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
    /// Copy a native object (libpython's soname, a library's, an extension module's name;
    /// a glob such as '*') whole into memory at start, instead of running its code from
    /// the bundle's pages (repeatable).
    #[arg(long = "copy-native", value_name = "NAME")]
    copy_native: Vec<String>,
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
    /// Fail if the bundle needs a newer glibc than this (e.g. 2.28): the oldest glibc
    /// the machines it must run on have.
    #[arg(long, value_name = "VERSION")]
    min_glibc: Option<pyfreeze::target::Version>,
    /// Print nothing but errors and warnings.
    #[arg(short, long, conflicts_with = "verbose")]
    quiet: bool,
    /// Say more in the summary: the imports of dependencies that were not found (otherwise
    /// counted), other platforms' modules among them, and what was left out as a fallback.
    #[arg(short, long, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Print the summary as JSON on stdout (docs/build-json.md) instead of text on stderr.
    #[arg(long)]
    json: bool,
    /// After the summary, say why NAME is in the bundle or not, as `pyfreeze why` does
    /// (repeatable).
    #[arg(long = "why", value_name = "NAME")]
    why: Vec<String>,
}

impl From<BuildArgs> for Flags {
    fn from(args: BuildArgs) -> Self {
        Flags {
            app: args.app,
            script: args.script,
            output: args.output,
            python: args.python,
            entry: args.entry,
            includes: args.includes,
            excludes: args.excludes,
            with: args.with,
            optimize: (args.optimize > 0).then_some(args.optimize.min(2)),
            no_source: args.no_source,
            stub: args.stub,
            collect_to_disk: args.collect_to_disk,
            no_collect_to_disk: args.no_collect_to_disk,
            copy_native: args.copy_native,
            python_options: args.python_options,
            no_cache: args.no_cache,
            force: args.force,
            min_glibc: args.min_glibc,
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Build(mut args) => {
            let (quiet, verbose, json) = (args.quiet, args.verbose, args.json);
            let names = std::mem::take(&mut args.why);
            for options in config::builds((*args).into(), &std::env::current_dir()?)? {
                let spinner = (!quiet && !json).then(Spinner::for_stderr).flatten();
                let progress = spinner.as_ref().map_or(&Silent as _, |s| s as _);
                let built = build::build(&options, progress)?;
                drop(spinner);
                if json {
                    println!("{}", summary::json(&built)?);
                } else {
                    let text = summary::report(&built, verbose);
                    terminal::eprint_styled(&if quiet {
                        summary::warnings(&text)
                    } else {
                        text
                    });
                }
                for name in &names {
                    eprint!("{}", why::explain(&built.output, name)?);
                }
            }
        }
        Command::Check(args) => {
            let CheckArgs { build, args } = *args;
            let (output, verbose) = (build.output.clone(), build.verbose);
            let mut passed = true;
            for mut options in config::builds(build.into(), &std::env::current_dir()?)? {
                // A project's configured output is the one to ship: check builds its own
                // bundle, with the probe, into a temporary directory unless -o names one.
                options.output.clone_from(&output);
                let checked = check::check(&options, &args)?;
                terminal::eprint_styled(&summary::report(&checked.build, verbose));
                print!("{}", checked.report);
                passed &= checked.passed;
            }
            if !passed {
                return Ok(ExitCode::from(Fault::User.exit_code()));
            }
        }
        Command::Why { binary, name } => print!("{}", why::explain(&binary, &name)?),
        Command::Ls(args) => {
            let output = ls::run(&(*args).into())?;
            let mut stdout = std::io::stdout().lock();
            if let Err(e) = stdout.write_all(&output) {
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
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "pyfreeze",
                &mut std::io::stdout(),
            );
        }
        Command::Man => clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout())?,
    }
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    let parsed = Cli::command()
        .version(version::long())
        .try_get_matches()
        .and_then(|matches| Cli::from_arg_matches(&matches));
    let cli = match parsed {
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
    terminal::choose_colours(cli.color);
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            terminal::eprint_styled(&terminal::error_text(&error));
            ExitCode::from(fault::of(&error).exit_code())
        }
    }
}
