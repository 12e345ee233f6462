//! The only place the linter touches the file system: finding configuration files, and
//! reading the workspace's other files for the facts rules need from them.
//!
//! Settings for a file come from the nearest `proctor.toml`, or `pyproject.toml` with a
//! `[tool.proctor]` table, in the file's directory or above it. A resolver caches what it
//! found per directory, so checking a tree reads each configuration file once.

pub mod classes;
pub mod fixtures;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::config::{ConfigError, settings_from_text};
use crate::settings::Settings;
use crate::workspace::Workspace;

/// Builds the workspace facts for a run over `roots` (the checked paths) and the test files
/// found under them.
///
/// Nothing is read yet: the class index reads and parses a module the first time a check
/// needs one of its classes, and lists a source root the first time a fingerprint or a
/// subclass query needs it; `conftest.py` files are parsed the first time a file below them
/// is checked (see [`crate::workspace`]).
pub fn build_workspace(roots: &[PathBuf], files: &[PathBuf]) -> Workspace {
    Workspace::new(classes::FsSource).with_fixtures(fixtures::fixture_index(roots, files))
}

/// Settings and the file they came from (`None` for built-in defaults).
#[derive(Clone, Debug)]
pub struct Resolved {
    pub settings: Arc<Settings>,
    pub source: Option<PathBuf>,
}

/// Finds and caches the settings for the files of a tree.
#[derive(Default)]
pub struct ConfigResolver {
    /// Directory → resolved settings (or the error of the file found for it).
    cache: Mutex<HashMap<PathBuf, Result<Resolved, ConfigError>>>,
    /// An explicit `--config` file, used for every path.
    fixed: Option<Resolved>,
    /// Applied after loading each file (command-line or editor selection).
    overrides: Option<Overrides>,
}

type Overrides = Arc<dyn Fn(&mut Settings) -> Result<(), String> + Send + Sync>;

impl std::fmt::Debug for ConfigResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfigResolver")
            .field("fixed", &self.fixed)
            .field("overrides", &self.overrides.is_some())
            .finish()
    }
}

impl ConfigResolver {
    pub fn new() -> Self {
        Self::default()
    }

    /// Uses one explicit configuration file for every path.
    pub fn with_config_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            path: path.to_path_buf(),
            key: String::new(),
            message: format!("cannot read: {e}"),
        })?;
        let settings = settings_from_text(path, &text)?.ok_or_else(|| ConfigError {
            path: path.to_path_buf(),
            key: String::new(),
            message: "has no [tool.proctor] table".into(),
        })?;
        Ok(Self {
            fixed: Some(Resolved {
                settings: Arc::new(settings),
                source: Some(path.to_path_buf()),
            }),
            ..Self::default()
        })
    }

    /// Adjusts every loaded settings (selection from the command line or an editor).
    pub fn with_overrides(
        mut self,
        overrides: impl Fn(&mut Settings) -> Result<(), String> + Send + Sync + 'static,
    ) -> Self {
        self.overrides = Some(Arc::new(overrides));
        self
    }

    /// Forgets cached results (after a configuration file changed).
    pub fn clear(&self) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.clear();
        }
    }

    /// The settings for a file.
    pub fn settings_for(&self, file: &Path) -> Result<Resolved, ConfigError> {
        if let Some(fixed) = &self.fixed {
            return self.overridden(fixed.clone());
        }
        let directory = file.parent().map(Path::to_path_buf).unwrap_or_default();
        self.settings_for_directory(&directory)
    }

    fn settings_for_directory(&self, directory: &Path) -> Result<Resolved, ConfigError> {
        if let Some(hit) = self
            .cache
            .lock()
            .ok()
            .and_then(|c| c.get(directory).cloned())
        {
            return hit;
        }
        let result = match find_config_file(directory) {
            Some(found) => match found.settings {
                Ok(settings) => self.overridden(Resolved {
                    settings: Arc::new(settings),
                    source: Some(found.path),
                }),
                Err(error) => Err(error),
            },
            None => self.overridden(Resolved {
                settings: Arc::new(Settings::default()),
                source: None,
            }),
        };
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(directory.to_path_buf(), result.clone());
        }
        result
    }

    fn overridden(&self, resolved: Resolved) -> Result<Resolved, ConfigError> {
        let Some(overrides) = &self.overrides else {
            return Ok(resolved);
        };
        let mut settings = (*resolved.settings).clone();
        overrides(&mut settings).map_err(|message| ConfigError {
            path: resolved
                .source
                .clone()
                .unwrap_or_else(|| PathBuf::from("<command line>")),
            key: String::new(),
            message,
        })?;
        Ok(Resolved {
            settings: Arc::new(settings),
            source: resolved.source,
        })
    }
}

/// A configuration file found for a directory.
pub struct FoundConfig {
    pub path: PathBuf,
    pub settings: Result<Settings, ConfigError>,
}

/// Looks for `proctor.toml` or a `pyproject.toml` with `[tool.proctor]` from `directory` up.
pub fn find_config_file(directory: &Path) -> Option<FoundConfig> {
    let mut current = Some(directory);
    while let Some(dir) = current {
        for name in ["proctor.toml", "pyproject.toml"] {
            let path = dir.join(name);
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            match settings_from_text(&path, &text) {
                Ok(Some(settings)) => {
                    return Some(FoundConfig {
                        path,
                        settings: Ok(settings),
                    });
                }
                Ok(None) => {}
                Err(error) => {
                    return Some(FoundConfig {
                        path,
                        settings: Err(error),
                    });
                }
            }
        }
        current = dir.parent();
    }
    None
}

/// Reads a source file, distinguishing unreadable files from non-UTF-8 ones.
pub fn read_source(path: &Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read file: {e}"))?;
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "not valid UTF-8 (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        )
    })
}
