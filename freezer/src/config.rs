//! The project's configuration: which `pyproject.toml` a build uses (APP's, else the
//! nearest one in the working directory or above it, as uv finds its project), what its
//! `[tool.pyfreeze]` and `[project.scripts]` say, and the builds they make once the
//! command line's flags are laid over them.
//!
//! A flag given replaces a single value of the configuration (`--entry`, `-o`,
//! `--python`, `-O`); a list flag (`--include`, `--exclude`, ...) adds to the key's list,
//! so a project's hidden imports stay bundled when a build adds one more.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::build::project::{is_identifier, is_module_name};
use crate::build::BuildOptions;
use crate::target::Version;

/// The file a project is configured in.
pub const FILE: &str = "pyproject.toml";
/// The table of that file pyfreeze reads.
const TABLE: &str = "[tool.pyfreeze]";

/// A key of `[tool.pyfreeze]`: the type it takes and an example of it, as the errors and
/// the README's reference say them.
#[derive(Debug, Clone, Copy)]
pub struct Key {
    pub name: &'static str,
    pub takes: &'static str,
    pub example: &'static str,
}

/// Every key of `[tool.pyfreeze]`, in the order of [`ToolConfig`]'s fields.
pub const KEYS: [Key; 13] = [
    Key {
        name: "entry",
        takes: "a string: FILE, MODULE or MODULE:FUNCTION",
        example: r#"entry = "app.cli:main""#,
    },
    Key {
        name: "output",
        takes: "a path (a string)",
        example: r#"output = "dist/app""#,
    },
    Key {
        name: "include",
        takes: "a list of module names",
        example: r#"include = ["app.plugins"]"#,
    },
    Key {
        name: "exclude",
        takes: "a list of module names",
        example: r#"exclude = ["tkinter"]"#,
    },
    Key {
        name: "with",
        takes: "a list of distribution names",
        example: r#"with = ["simplejson"]"#,
    },
    Key {
        name: "optimize",
        takes: "an integer: 0, 1 or 2",
        example: "optimize = 1",
    },
    Key {
        name: "sources",
        takes: "a boolean",
        example: "sources = false",
    },
    Key {
        name: "python",
        takes: "a path or a command name (a string)",
        example: r#"python = ".venv/bin/python""#,
    },
    Key {
        name: "python-options",
        takes: "a list of interpreter options",
        example: r#"python-options = ["-u", "-X utf8"]"#,
    },
    Key {
        name: "collect-to-disk",
        takes: "a list of package names (or \".\")",
        example: r#"collect-to-disk = ["certifi"]"#,
    },
    Key {
        name: "no-collect-to-disk",
        takes: "a list of package names",
        example: r#"no-collect-to-disk = ["jinja2"]"#,
    },
    Key {
        name: "copy-native",
        takes: "a list of native object names or patterns",
        example: r#"copy-native = ["libcrypto.so.*"]"#,
    },
    Key {
        name: "min-glibc",
        takes: "a glibc version (a string such as \"2.28\")",
        example: r#"min-glibc = "2.28""#,
    },
];

/// `[tool.pyfreeze]`; the keys are [`KEYS`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct ToolConfig {
    entry: Option<String>,
    output: Option<Spanned<PathBuf>>,
    #[serde(default)]
    include: Vec<String>,
    #[serde(default)]
    exclude: Vec<String>,
    #[serde(default)]
    with: Vec<String>,
    optimize: Option<Spanned<u8>>,
    sources: Option<bool>,
    python: Option<PathBuf>,
    #[serde(default)]
    python_options: Vec<String>,
    #[serde(default)]
    collect_to_disk: Vec<String>,
    #[serde(default)]
    no_collect_to_disk: Vec<String>,
    #[serde(default)]
    copy_native: Vec<String>,
    min_glibc: Option<Spanned<String>>,
}

/// What pyfreeze reads of a `pyproject.toml`; the rest is other tools' business.
#[derive(Debug, Default, Deserialize)]
struct PyProject {
    #[serde(default)]
    project: ProjectTable,
    #[serde(default)]
    tool: Tools,
}

#[derive(Debug, Default, Deserialize)]
struct ProjectTable {
    name: Option<String>,
    #[serde(default)]
    scripts: BTreeMap<String, Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
struct Tools {
    #[serde(default)]
    pyfreeze: ToolConfig,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {}", file.display())]
    Read {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}:{line}: unknown key `{key}` in {TABLE}", file.display())]
    UnknownKey {
        file: PathBuf,
        line: usize,
        key: String,
    },
    #[error("{}:{line}: `{}` in {TABLE} takes {}, not `{found}`", file.display(), key.name, key.takes)]
    WrongType {
        file: PathBuf,
        line: usize,
        key: Key,
        found: String,
    },
    /// Not TOML, or a table other than `[tool.pyfreeze]` that is not what the standard
    /// says: TOML's own message.
    #[error("{}:{line}: {message}", file.display())]
    Invalid {
        file: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{}:{line}: [project.scripts] {name} = {value:?} is not MODULE:FUNCTION", file.display())]
    BadScript {
        file: PathBuf,
        line: usize,
        name: String,
        value: String,
    },
    #[error("no {FILE} in {} or any directory above it", cwd.display())]
    NoProject { cwd: PathBuf },
    #[error("--script {name}: {} has no [project.scripts]", file.display())]
    NoScripts { name: String, file: PathBuf },
    #[error("--script {name}: no such script in {}", file.display())]
    UnknownScript {
        name: String,
        file: PathBuf,
        scripts: Vec<String>,
    },
    #[error("--script {name}: {} is not a project (it has no {FILE})", app.display())]
    ScriptWithoutProject { name: String, app: PathBuf },
    #[error("{given} names one executable, and {} lists {} scripts to build ({})", file.display(), scripts.len(), scripts.join(", "))]
    OneOutputForMany {
        /// `-o` or the key with its place.
        given: String,
        file: PathBuf,
        scripts: Vec<String>,
    },
}

impl crate::fault::Help for ConfigError {
    fn help(&self) -> Option<String> {
        Some(match self {
            ConfigError::Read { .. } | ConfigError::Invalid { .. } => return None,
            ConfigError::UnknownKey { .. } => format!("the keys are {}", key_names()),
            ConfigError::WrongType { key, .. } => format!("for example `{}`", key.example),
            ConfigError::BadScript { name, .. } => format!(
                "pyfreeze builds a script that names a function, e.g. `{name} = \"app.cli:main\"`"
            ),
            ConfigError::NoProject { .. } => format!(
                "run `pyfreeze build` in a Python project (a directory with a {FILE}), or name \
                 the app: `pyfreeze build path/to/app` (a directory or a .py file)"
            ),
            ConfigError::NoScripts { name, .. } => format!(
                "add `{name} = \"MODULE:FUNCTION\"` under [project.scripts], or build with --entry"
            ),
            ConfigError::UnknownScript { scripts, .. } => {
                format!("the scripts are {}", names(scripts))
            }
            ConfigError::ScriptWithoutProject { .. } => format!(
                "build a directory with a {FILE} that lists the script under [project.scripts]"
            ),
            ConfigError::OneOutputForMany { .. } => "build one with --script NAME, or leave the \
                                                     output out: each script is built to \
                                                     dist/<NAME>"
                .to_owned(),
        })
    }
}

impl crate::fault::Blame for ConfigError {
    fn fault(&self) -> crate::fault::Fault {
        match self {
            ConfigError::Read { .. } => crate::fault::Fault::Internal,
            _ => crate::fault::Fault::User,
        }
    }
}

fn key_names() -> String {
    names(&KEYS.map(|k| k.name))
}

fn names(names: &[impl fmt::Display]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The command line of `pyfreeze build`, as given: what was not given is `None` (or
/// empty), so that the configuration can fill it in.
#[derive(Debug, Clone, Default)]
pub struct Flags {
    pub app: Option<PathBuf>,
    pub script: Option<String>,
    pub output: Option<PathBuf>,
    pub python: Option<PathBuf>,
    pub entry: Option<String>,
    pub includes: Vec<String>,
    pub excludes: Vec<String>,
    pub with: Vec<String>,
    /// `-O` given once or twice; `None` without it.
    pub optimize: Option<u8>,
    pub no_source: bool,
    pub stub: Option<PathBuf>,
    pub collect_to_disk: Vec<String>,
    pub no_collect_to_disk: Vec<String>,
    pub copy_native: Vec<String>,
    pub python_options: Vec<String>,
    pub no_cache: bool,
    pub force: bool,
    pub min_glibc: Option<crate::target::Version>,
}

/// A project's `pyproject.toml`, read.
#[derive(Debug)]
struct Project {
    /// The directory that holds it: relative paths in it are taken from there.
    dir: PathBuf,
    /// How messages name it.
    file: PathBuf,
    /// The working directory: outputs under it are shown from there.
    cwd: PathBuf,
    name: Option<String>,
    scripts: BTreeMap<String, Spanned<String>>,
    tool: ToolConfig,
    /// The file's text, for the line numbers of the spans above.
    text: String,
}

/// The builds `pyfreeze build` makes of `flags` in the working directory `cwd` (absolute):
/// one, or one per console script.
pub fn builds(flags: Flags, cwd: &Path) -> Result<Vec<BuildOptions>, ConfigError> {
    let dir = match &flags.app {
        Some(app) if app.join(FILE).is_file() => app.clone(),
        Some(app) => {
            // Not a project: the app as the command line gives it.
            if let Some(name) = flags.script {
                return Err(ConfigError::ScriptWithoutProject {
                    name,
                    app: app.clone(),
                });
            }
            let app = app.clone();
            return Ok(vec![options(flags, app, ToolConfig::default(), None, None)]);
        }
        None => cwd
            .ancestors()
            .find(|dir| dir.join(FILE).is_file())
            .ok_or_else(|| ConfigError::NoProject {
                cwd: cwd.to_owned(),
            })?
            .to_owned(),
    };
    let file = dir.join(FILE);
    read(dir, file, cwd)?.builds(flags)
}

/// `path` as messages show it: from the working directory when it is under it.
fn shown(path: &Path, cwd: &Path) -> PathBuf {
    path.strip_prefix(cwd).unwrap_or(path).to_owned()
}

fn line_of(text: &str, span: &Range<usize>) -> usize {
    text[..span.start.min(text.len())].matches('\n').count() + 1
}

fn read(dir: PathBuf, file: PathBuf, cwd: &Path) -> Result<Project, ConfigError> {
    let text = fs_err::read_to_string(&file).map_err(|source| ConfigError::Read {
        file: file.clone(),
        source,
    })?;
    let file = shown(&file, cwd);
    let parsed: PyProject = toml::from_str(&text).map_err(|error| explain(&error, &text, &file))?;
    let project = Project {
        dir,
        file,
        cwd: cwd.to_owned(),
        name: parsed.project.name,
        scripts: parsed.project.scripts,
        tool: parsed.tool.pyfreeze,
        text,
    };
    if let Some(optimize) = &project.tool.optimize {
        if *optimize.get_ref() > 2 {
            return Err(project.wrong_type("optimize", &optimize.span()));
        }
    }
    if let Some(version) = &project.tool.min_glibc {
        if version.get_ref().parse::<Version>().is_err() {
            return Err(project.wrong_type("min-glibc", &version.span()));
        }
    }
    Ok(project)
}

/// TOML's error about `text`, said of the key of `[tool.pyfreeze]` it is about.
fn explain(error: &toml::de::Error, text: &str, file: &Path) -> ConfigError {
    let span = error.span().unwrap_or(0..0);
    let line = line_of(text, &span);
    let tool_entry = DeTable::parse(text).ok().and_then(|document| {
        let pyfreeze = table(table(document.get_ref(), "tool")?, "pyfreeze")?;
        pyfreeze.iter().find_map(|(key, value)| {
            let inside = |of: Range<usize>| of.start <= span.start && span.end <= of.end;
            inside(key.span())
                .then_some((key.get_ref().to_string(), false))
                .or_else(|| inside(value.span()).then_some((key.get_ref().to_string(), true)))
        })
    });
    let known = |key: &str| KEYS.iter().find(|k| k.name == key).copied();
    match tool_entry {
        Some((key, false)) if known(&key).is_none() => ConfigError::UnknownKey {
            file: file.to_owned(),
            line,
            key,
        },
        Some((key, true)) if known(&key).is_some() => ConfigError::WrongType {
            file: file.to_owned(),
            line,
            key: known(&key).expect("a known key"),
            found: text[span].to_owned(),
        },
        _ => ConfigError::Invalid {
            file: file.to_owned(),
            line,
            message: error.message().to_owned(),
        },
    }
}

fn table<'a, 'i>(table: &'a DeTable<'i>, name: &str) -> Option<&'a DeTable<'i>> {
    table.iter().find_map(|(key, value)| match value.get_ref() {
        DeValue::Table(inner) if key.get_ref() == name => Some(inner),
        _ => None,
    })
}

impl Project {
    fn wrong_type(&self, key: &str, span: &Range<usize>) -> ConfigError {
        ConfigError::WrongType {
            file: self.file.clone(),
            line: line_of(&self.text, span),
            key: *KEYS.iter().find(|k| k.name == key).expect("a known key"),
            found: self.text[span.clone()].to_owned(),
        }
    }

    /// The name of a build that is not a console script's: the project's, else its
    /// directory's.
    fn default_name(&self) -> String {
        self.name.clone().unwrap_or_else(|| {
            fs_err::canonicalize(&self.dir)
                .ok()
                .and_then(|dir| dir.file_name().map(|n| n.to_string_lossy().into_owned()))
                .unwrap_or_else(|| "app".to_owned())
        })
    }

    /// The console scripts to build: the one `--script` names, else all of them, unless
    /// an entry point is given; each as (name, MODULE:FUNCTION).
    fn scripts(&self, flags: &Flags) -> Result<Vec<(String, String)>, ConfigError> {
        let chosen: Vec<(&String, &Spanned<String>)> = match &flags.script {
            Some(name) => {
                let script = self.scripts.get_key_value(name);
                if self.scripts.is_empty() {
                    return Err(ConfigError::NoScripts {
                        name: name.clone(),
                        file: self.file.clone(),
                    });
                }
                vec![script.ok_or_else(|| ConfigError::UnknownScript {
                    name: name.clone(),
                    file: self.file.clone(),
                    scripts: self.scripts.keys().cloned().collect(),
                })?]
            }
            None if flags.entry.is_some() || self.tool.entry.is_some() => Vec::new(),
            None => self.scripts.iter().collect(),
        };
        chosen
            .into_iter()
            .map(|(name, value)| {
                let target = value.get_ref().trim();
                match target.split_once(':') {
                    Some((module, function))
                        if is_module_name(module) && is_identifier(function) =>
                    {
                        Ok((name.clone(), target.to_owned()))
                    }
                    _ => Err(ConfigError::BadScript {
                        file: self.file.clone(),
                        line: line_of(&self.text, &value.span()),
                        name: name.clone(),
                        value: value.get_ref().clone(),
                    }),
                }
            })
            .collect()
    }

    /// Where the app's modules are for an entry point: the `src/` of a src layout when
    /// the entry's top-level module is there and not beside the `pyproject.toml`.
    fn module_root(&self, entry: &str) -> PathBuf {
        let is_file = entry.ends_with(".py") || entry.contains('/');
        let top = entry.split([':', '.']).next().unwrap_or_default();
        let holds = |dir: &Path| dir.join(top).is_dir() || dir.join(format!("{top}.py")).is_file();
        let src = self.dir.join("src");
        if !is_file && !holds(&self.dir) && holds(&src) {
            src
        } else {
            self.dir.clone()
        }
    }

    fn builds(mut self, flags: Flags) -> Result<Vec<BuildOptions>, ConfigError> {
        let scripts = self.scripts(&flags)?;
        let output_given = match (&flags.output, &self.tool.output) {
            (Some(_), _) => Some("-o".to_owned()),
            (None, Some(output)) => Some(format!(
                "`output` ({}:{})",
                self.file.display(),
                line_of(&self.text, &output.span())
            )),
            (None, None) => None,
        };
        if let (Some(given), true) = (output_given, scripts.len() > 1) {
            return Err(ConfigError::OneOutputForMany {
                given,
                file: self.file.clone(),
                scripts: scripts.into_iter().map(|(name, _)| name).collect(),
            });
        }
        let mut tool = std::mem::take(&mut self.tool);
        let python = tool.python.take().map(|python| {
            // A bare name is a command on PATH, as --python takes it.
            if python.components().count() > 1 {
                self.dir.join(python)
            } else {
                python
            }
        });
        let venv = Some(self.dir.join(".venv")).filter(|venv| venv.exists());
        let configured_output = tool
            .output
            .take()
            .map(|output| self.dir.join(output.into_inner()));
        let configured_entry = tool.entry.take();
        let one = |entry: Option<String>, name: &str| {
            let app = match &entry {
                Some(entry) => self.module_root(entry),
                None => self.dir.clone(),
            };
            let output = flags.output.clone().unwrap_or_else(|| {
                let output = configured_output
                    .clone()
                    .unwrap_or_else(|| self.dir.join("dist").join(name));
                shown(&output, &self.cwd)
            });
            let given = Flags {
                entry,
                output: Some(output),
                ..flags.clone()
            };
            options(given, app, tool.clone(), python.clone(), venv.clone())
        };
        if scripts.is_empty() {
            let entry = flags.entry.clone().or(configured_entry);
            return Ok(vec![one(entry, &self.default_name())]);
        }
        Ok(scripts
            .iter()
            .map(|(name, target)| one(Some(target.clone()), name))
            .collect())
    }
}

/// The build of `app` that `flags` laid over `tool` ask for.
fn options(
    flags: Flags,
    app: PathBuf,
    tool: ToolConfig,
    configured_python: Option<PathBuf>,
    project_venv: Option<PathBuf>,
) -> BuildOptions {
    let extend = |mut configured: Vec<String>, given: Vec<String>| {
        configured.extend(given);
        configured
    };
    BuildOptions {
        app,
        output: flags.output,
        python: flags.python,
        configured_python,
        project_venv,
        entry: flags.entry,
        includes: extend(tool.include, flags.includes),
        excludes: extend(tool.exclude, flags.excludes),
        with: extend(tool.with, flags.with),
        optimize: flags
            .optimize
            .or(tool.optimize.map(Spanned::into_inner))
            .unwrap_or(0)
            .min(2),
        sources: !flags.no_source && tool.sources.unwrap_or(true),
        stub: flags.stub,
        collect_to_disk: extend(tool.collect_to_disk, flags.collect_to_disk),
        no_collect_to_disk: extend(tool.no_collect_to_disk, flags.no_collect_to_disk),
        copy_native: extend(tool.copy_native, flags.copy_native),
        python_options: extend(tool.python_options, flags.python_options),
        no_cache: flags.no_cache,
        force: flags.force,
        min_glibc: flags.min_glibc.or_else(|| {
            tool.min_glibc
                .and_then(|version| version.into_inner().parse().ok())
        }),
        check_probe: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO_SCRIPTS: &str = r#"[project]
name = "greeter"

[project.scripts]
greet = "greeter.cli:greet"
info = "greeter.cli:info"

[tool.pyfreeze]
optimize = 1
include = ["greeter.plugins"]
python-options = ["-u"]
"#;

    /// A project directory holding `files`, canonical (as the working directory is).
    fn project(files: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let root = fs_err::canonicalize(dir.path()).unwrap();
        for (path, text) in files {
            let path = root.join(path);
            fs_err::create_dir_all(path.parent().unwrap()).unwrap();
            fs_err::write(path, text).unwrap();
        }
        (dir, root)
    }

    fn src_layout(pyproject: &str) -> (tempfile::TempDir, PathBuf) {
        project(&[
            ("pyproject.toml", pyproject),
            ("src/greeter/__init__.py", ""),
            ("src/greeter/cli.py", ""),
        ])
    }

    /// The error and its help, as the command line shows them.
    fn error(pyproject: &str, flags: Flags) -> String {
        let (_dir, root) = src_layout(pyproject);
        shown(builds(flags, &root).unwrap_err())
    }

    fn shown(error: ConfigError) -> String {
        use crate::fault::Help;
        match error.help() {
            Some(help) => format!("{error}\nhelp: {help}"),
            None => error.to_string(),
        }
    }

    #[test]
    fn every_script_is_built_from_src_to_dist() {
        let (_dir, root) = src_layout(TWO_SCRIPTS);
        let built = builds(Flags::default(), &root).unwrap();
        let got: Vec<_> = built
            .iter()
            .map(|b| (b.entry.as_deref().unwrap(), b.output.clone().unwrap()))
            .collect();
        assert_eq!(
            got,
            [
                ("greeter.cli:greet", PathBuf::from("dist/greet")),
                ("greeter.cli:info", PathBuf::from("dist/info")),
            ]
        );
        for build in &built {
            assert_eq!(build.app, root.join("src"));
            assert_eq!(build.optimize, 1);
            assert_eq!(build.includes, ["greeter.plugins"]);
            assert!(build.sources);
            assert_eq!(build.project_venv, None);
        }
    }

    #[test]
    fn flags_replace_values_and_extend_lists() {
        let (_dir, root) = src_layout(TWO_SCRIPTS);
        fs_err::create_dir(root.join(".venv")).unwrap();
        let flags = Flags {
            script: Some("info".to_owned()),
            output: Some(PathBuf::from("out/info")),
            optimize: Some(2),
            includes: vec!["json".to_owned()],
            python_options: vec!["-X utf8".to_owned()],
            no_source: true,
            ..Flags::default()
        };
        let [build] = &builds(flags, &root).unwrap()[..] else {
            panic!("one build");
        };
        assert_eq!(build.entry.as_deref(), Some("greeter.cli:info"));
        assert_eq!(build.output.as_deref(), Some(Path::new("out/info")));
        assert_eq!(build.optimize, 2);
        assert_eq!(build.includes, ["greeter.plugins", "json"]);
        assert_eq!(build.python_options, ["-u", "-X utf8"]);
        assert!(!build.sources);
        assert_eq!(build.project_venv, Some(root.join(".venv")));
    }

    #[test]
    fn the_project_is_found_from_a_subdirectory() {
        let (_dir, root) = src_layout(TWO_SCRIPTS);
        let built = builds(Flags::default(), &root.join("src/greeter")).unwrap();
        assert_eq!(built[0].output, Some(root.join("dist/greet")));
        assert_eq!(built[0].app, root.join("src"));
    }

    #[test]
    fn an_entry_builds_one_executable_named_after_the_project() {
        let (_dir, root) = project(&[
            (
                "pyproject.toml",
                "[project]\nname = \"tool\"\n[project.scripts]\na = \"tool:a\"\nb = \"tool:b\"\n\
                 [tool.pyfreeze]\nentry = \"tool.cli\"\npython = \"bin/py\"\nsources = false\n",
            ),
            ("tool/__init__.py", ""),
        ]);
        let [build] = &builds(Flags::default(), &root).unwrap()[..] else {
            panic!("one build");
        };
        assert_eq!(build.entry.as_deref(), Some("tool.cli"));
        assert_eq!(build.app, root);
        assert_eq!(build.output.as_deref(), Some(Path::new("dist/tool")));
        assert_eq!(build.configured_python, Some(root.join("bin/py")));
        assert!(!build.sources);
        let flags = Flags {
            entry: Some("tool.other:main".to_owned()),
            ..Flags::default()
        };
        assert_eq!(
            builds(flags, &root).unwrap()[0].entry.as_deref(),
            Some("tool.other:main")
        );
    }

    #[test]
    fn min_glibc_is_read_and_a_flag_overrides_it() {
        let configured = "[project.scripts]\ngreet = \"greeter.cli:greet\"\n\n[tool.pyfreeze]\nmin-glibc = \"2.28\"\n";
        let (_dir, root) = src_layout(configured);
        let version = |flags| {
            builds(flags, &root).unwrap()[0]
                .min_glibc
                .as_ref()
                .map(ToString::to_string)
        };
        assert_eq!(version(Flags::default()).as_deref(), Some("2.28"));
        let flags = Flags {
            min_glibc: Some("2.31".parse().unwrap()),
            ..Flags::default()
        };
        assert_eq!(version(flags).as_deref(), Some("2.31"));
        let bad = error("[tool.pyfreeze]\n\nmin-glibc = \"2.x\"\n", Flags::default());
        assert!(
            bad.starts_with(
                "pyproject.toml:3: `min-glibc` in [tool.pyfreeze] takes a glibc version"
            ),
            "{bad}"
        );
    }

    #[test]
    fn an_app_without_a_pyproject_is_built_as_given() {
        let (_dir, root) = project(&[("main.py", "")]);
        let flags = Flags {
            app: Some(root.clone()),
            optimize: Some(1),
            ..Flags::default()
        };
        let [build] = &builds(flags, &root).unwrap()[..] else {
            panic!("one build");
        };
        assert_eq!(
            (build.app.as_path(), build.output.as_deref()),
            (root.as_path(), None)
        );
        assert_eq!((build.optimize, build.sources), (1, true));
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let unknown = error(
            "[project]\nname = \"x\"\n\n[tool.pyfreeze]\noptimize = 1\noptimise = 1\n",
            Flags::default(),
        );
        assert!(
            unknown.starts_with(
                "pyproject.toml:6: unknown key `optimise` in [tool.pyfreeze]\nhelp: the keys are `entry`, "
            ),
            "{unknown}"
        );
        let wrong = error("[tool.pyfreeze]\n\noptimize = \"1\"\n", Flags::default());
        assert_eq!(
            wrong,
            "pyproject.toml:3: `optimize` in [tool.pyfreeze] takes an integer: 0, 1 or 2, not `\"1\"`\n\
             help: for example `optimize = 1`"
        );
        let high = error("[tool.pyfreeze]\noptimize = 3\n", Flags::default());
        assert!(high.starts_with("pyproject.toml:2: `optimize`"), "{high}");
        let element = error(
            "[tool.pyfreeze]\ninclude = [\n  \"a\",\n  3,\n]\n",
            Flags::default(),
        );
        assert!(element.starts_with("pyproject.toml:4: `include` in [tool.pyfreeze] takes a list of module names, not `3`"), "{element}");
        let syntax = error("[tool.pyfreeze\n", Flags::default());
        assert!(syntax.starts_with("pyproject.toml:1: "), "{syntax}");
        let script = error(
            "[project.scripts]\nx = \"app.cli:Main.run\"\n",
            Flags::default(),
        );
        assert!(script.starts_with("pyproject.toml:2: [project.scripts] x = \"app.cli:Main.run\" is not MODULE:FUNCTION"), "{script}");
    }

    #[test]
    fn script_choice_errors() {
        let script = |name: &str| Flags {
            script: Some(name.to_owned()),
            ..Flags::default()
        };
        let unknown = error(TWO_SCRIPTS, script("nope"));
        assert_eq!(
            unknown,
            "--script nope: no such script in pyproject.toml\nhelp: the scripts are `greet`, `info`"
        );
        assert!(matches!(
            builds(script("x"), &src_layout("[project]\n").1),
            Err(ConfigError::NoScripts { .. })
        ));
        let (_dir, root) = project(&[("main.py", "")]);
        let flags = Flags {
            app: Some(root.clone()),
            ..script("x")
        };
        assert!(matches!(
            builds(flags, &root),
            Err(ConfigError::ScriptWithoutProject { .. })
        ));
        let flags = Flags {
            output: Some(PathBuf::from("out")),
            ..Flags::default()
        };
        assert!(error(TWO_SCRIPTS, flags).starts_with(
            "-o names one executable, and pyproject.toml lists 2 scripts to build (greet, info)"
        ));
        let configured = format!("{TWO_SCRIPTS}output = \"bin/app\"\n");
        let message = error(&configured, Flags::default());
        assert!(
            message.starts_with("`output` (pyproject.toml:12) names one executable"),
            "{message}"
        );
    }

    #[test]
    fn without_a_project_or_an_app_the_error_says_what_to_do() {
        let (_dir, root) = project(&[("main.py", "")]);
        let message = shown(builds(Flags::default(), &root).unwrap_err());
        assert!(message.starts_with("no pyproject.toml in "), "{message}");
        assert!(message.contains("help: run `pyfreeze build` in a Python project"));
    }

    #[test]
    fn the_readme_documents_every_key() {
        let readme = include_str!("../../README.md");
        for key in KEYS {
            assert!(
                readme.contains(&format!("| `{}` |", key.name)),
                "{}",
                key.name
            );
        }
    }
}
