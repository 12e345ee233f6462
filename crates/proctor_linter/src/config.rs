//! Configuration files: `[tool.proctor]` in `pyproject.toml`, or `proctor.toml`.
//!
//! This module only turns text into [`Settings`]; finding the files is [`crate::discovery`]'s.

use std::fmt;
use std::path::{Path, PathBuf};

use globset::Glob;
use toml::{Table, Value};

use crate::registry::RuleSet;
use crate::settings::{PerFileIgnore, Selection, Settings};

/// A configuration file that cannot be used, with what was wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub path: PathBuf,
    /// The offending key (dotted for nested tables), empty for a file-level problem.
    pub key: String,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key.is_empty() {
            write!(f, "{}: {}", self.path.display(), self.message)
        } else {
            write!(
                f,
                "{}: `{}`: {}",
                self.path.display(),
                self.key,
                self.message
            )
        }
    }
}

impl std::error::Error for ConfigError {}

/// The keys of the `[tool.proctor]` table.
pub const KEYS: &[&str] = &[
    "select",
    "ignore",
    "extend-select",
    "per-file-ignores",
    "test-file-patterns",
    "assertion-helpers",
    "known-fixtures",
    "max-test-statements",
    "max-comment-block-lines",
    "max-unlabelled-assertions",
    "max-test-locals",
    "max-act-assert-cycles",
    "wait-timeout",
];

/// Which file a configuration came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigFormat {
    /// `proctor.toml`: keys at the top level (a `[tool.proctor]` table is accepted too).
    Proctor,
    /// `pyproject.toml`: keys under `[tool.proctor]`.
    Pyproject,
}

/// Extracts the Proctor table of a configuration file; `None` for a `pyproject.toml` without
/// a `[tool.proctor]` table.
pub fn proctor_table(
    path: &Path,
    text: &str,
    format: ConfigFormat,
) -> Result<Option<Table>, ConfigError> {
    let document: Table = text.parse().map_err(|e: toml::de::Error| ConfigError {
        path: path.to_path_buf(),
        key: String::new(),
        message: format!("not valid TOML: {}", e.message()),
    })?;
    let nested = document.get("tool").and_then(|t| t.get("proctor")).cloned();
    match (format, nested) {
        (_, Some(Value::Table(table))) => Ok(Some(table)),
        (_, Some(_)) => Err(ConfigError {
            path: path.to_path_buf(),
            key: "tool.proctor".into(),
            message: "expected a table".into(),
        }),
        (ConfigFormat::Pyproject, None) => Ok(None),
        (ConfigFormat::Proctor, None) => Ok(Some(document)),
    }
}

/// Builds settings from a Proctor table, on top of the defaults.
pub fn settings_from_table(path: &Path, table: &Table) -> Result<Settings, ConfigError> {
    let root = path.parent().map(Path::to_path_buf);
    let error = |key: &str, message: String| ConfigError {
        path: path.to_path_buf(),
        key: key.to_string(),
        message,
    };
    let mut settings = Settings::default();
    settings.root = root;
    let mut selection = Selection::default();
    for (key, value) in table {
        match key.as_str() {
            "select" => selection.select = Some(string_list(value).map_err(|m| error(key, m))?),
            "ignore" => selection.ignore = string_list(value).map_err(|m| error(key, m))?,
            "extend-select" => {
                selection.extend_select = string_list(value).map_err(|m| error(key, m))?
            }
            "per-file-ignores" => {
                let Value::Table(entries) = value else {
                    return Err(error(
                        key,
                        format!(
                            "expected a table of glob pattern = [rule codes], found {}",
                            value.type_str()
                        ),
                    ));
                };
                for (pattern, rules) in entries {
                    let full_key = format!("{key}.{pattern}");
                    let list = string_list(rules).map_err(|m| error(&full_key, m))?;
                    let mut set = RuleSet::empty();
                    for selector in &list {
                        set.extend(
                            RuleSet::parse_selector(selector).map_err(|m| error(&full_key, m))?,
                        );
                    }
                    let glob = Glob::new(pattern)
                        .map_err(|e| error(&full_key, format!("invalid glob pattern: {e}")))?;
                    settings.per_file_ignores.push(PerFileIgnore {
                        pattern: pattern.clone(),
                        matcher: glob.compile_matcher(),
                        rules: set,
                    });
                }
            }
            "test-file-patterns" => {
                let patterns = string_list(value).map_err(|m| error(key, m))?;
                settings
                    .set_test_file_patterns(patterns)
                    .map_err(|e| error(key, format!("invalid glob pattern: {e}")))?;
            }
            "assertion-helpers" => {
                let extra = string_list(value).map_err(|m| error(key, m))?;
                settings.assertion_helpers.extend(extra);
            }
            "known-fixtures" => {
                let extra = string_list(value).map_err(|m| error(key, m))?;
                settings.known_fixtures.extend(extra);
            }
            "max-test-statements" => {
                settings.thresholds.max_test_statements = count(value).map_err(|m| error(key, m))?
            }
            "max-comment-block-lines" => {
                settings.thresholds.max_comment_block_lines =
                    count(value).map_err(|m| error(key, m))?
            }
            "max-unlabelled-assertions" => {
                settings.thresholds.max_unlabelled_assertions =
                    count(value).map_err(|m| error(key, m))?
            }
            "max-test-locals" => {
                settings.thresholds.max_test_locals = count(value).map_err(|m| error(key, m))?
            }
            "max-act-assert-cycles" => {
                settings.thresholds.max_act_assert_cycles =
                    count(value).map_err(|m| error(key, m))?
            }
            "wait-timeout" => {
                let seconds = count(value).map_err(|m| error(key, m))?;
                settings.thresholds.wait_timeout = u32::try_from(seconds)
                    .ok()
                    .filter(|s| *s > 0)
                    .ok_or_else(|| {
                    error(key, "expected a positive number of seconds".into())
                })?;
            }
            _ => {
                return Err(error(
                    key,
                    format!("unknown key (expected one of: {})", KEYS.join(", ")),
                ));
            }
        }
    }
    settings.apply(&selection).map_err(|m| {
        let key = if selection
            .ignore
            .iter()
            .any(|s| m.contains(&format!("`{s}`")))
        {
            "ignore"
        } else if selection
            .extend_select
            .iter()
            .any(|s| m.contains(&format!("`{s}`")))
        {
            "extend-select"
        } else {
            "select"
        };
        error(key, m)
    })?;
    Ok(settings)
}

/// Reads settings from a configuration file's text.
pub fn settings_from_text(path: &Path, text: &str) -> Result<Option<Settings>, ConfigError> {
    let format = if path.file_name().is_some_and(|n| n == "pyproject.toml") {
        ConfigFormat::Pyproject
    } else {
        ConfigFormat::Proctor
    };
    match proctor_table(path, text, format)? {
        Some(table) => settings_from_table(path, &table).map(Some),
        None => Ok(None),
    }
}

fn string_list(value: &Value) -> Result<Vec<String>, String> {
    match value {
        Value::Array(items) => items
            .iter()
            .map(|item| match item {
                Value::String(s) => Ok(s.clone()),
                other => Err(format!(
                    "expected a list of strings, found a list holding {}",
                    other.type_str()
                )),
            })
            .collect(),
        other => Err(format!(
            "expected a list of strings, found {}",
            other.type_str()
        )),
    }
}

fn count(value: &Value) -> Result<usize, String> {
    match value {
        Value::Integer(n) if *n >= 0 => {
            usize::try_from(*n).map_err(|_| "number too large".to_string())
        }
        Value::Integer(_) => Err("expected a non-negative integer, found a negative one".into()),
        other => Err(format!(
            "expected a non-negative integer, found {}",
            other.type_str()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::find_rule;

    fn load(text: &str) -> Result<Option<Settings>, ConfigError> {
        settings_from_text(Path::new("/p/pyproject.toml"), text)
    }

    #[test]
    fn pyproject_without_a_proctor_table_is_skipped() {
        assert!(load("[tool.ruff]\nline-length = 99\n").unwrap().is_none());
    }

    #[test]
    fn selection_and_thresholds() {
        let settings = load(
            "[tool.proctor]\nignore = [\"TQ101\"]\nextend-select = [\"missing-test-docstring\"]\nmax-test-statements = 12\n",
        )
        .unwrap()
        .unwrap();
        let tq101 = find_rule("TQ101").unwrap().id;
        assert!(!settings.is_enabled(tq101));
        assert_eq!(settings.thresholds.max_test_statements, 12);
        assert_eq!(settings.root.as_deref(), Some(Path::new("/p")));
    }

    #[test]
    fn errors_name_the_file_and_key() {
        let error = load("[tool.proctor]\nselect = \"TQ1\"\n").unwrap_err();
        assert_eq!(error.key, "select");
        assert!(
            error
                .to_string()
                .contains("/p/pyproject.toml: `select`: expected a list of strings, found string")
        );
        let error = load("[tool.proctor]\nslect = []\n").unwrap_err();
        assert_eq!(error.key, "slect");
        assert!(error.message.starts_with("unknown key"));
        let error = load("[tool.proctor]\nignore = [\"TQ999\"]\n").unwrap_err();
        assert_eq!(error.key, "ignore");
        let error =
            load("[tool.proctor]\nper-file-ignores = { \"a/*.py\" = [\"nope\"] }\n").unwrap_err();
        assert_eq!(error.key, "per-file-ignores.a/*.py");
        let error = load("[tool.proctor\n").unwrap_err();
        assert!(error.message.starts_with("not valid TOML"));
    }

    #[test]
    fn per_file_ignores_apply_relative_to_the_config() {
        let settings =
            load("[tool.proctor]\nper-file-ignores = { \"tests/legacy/*.py\" = [\"docs\"] }\n")
                .unwrap()
                .unwrap();
        let tq101 = find_rule("TQ101").unwrap().id;
        assert!(
            !settings
                .rules_for(Some(Path::new("/p/tests/legacy/test_a.py")))
                .contains(tq101)
        );
        assert!(
            settings
                .rules_for(Some(Path::new("/p/tests/test_a.py")))
                .contains(tq101)
        );
    }
}
