//! Finding the files to check: gitignore-aware, test files only.

use std::path::{Path, PathBuf};

use anyhow::Result;
use ignore::WalkBuilder;
use proctor_linter::discovery::ConfigResolver;

/// Directories never worth walking into.
const SKIPPED_DIRECTORIES: &[&str] = &[
    "__pycache__",
    "__pypackages__",
    "node_modules",
    "venv",
    ".venv",
    ".tox",
    ".nox",
    ".git",
    ".hg",
    ".svn",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".proctor_cache",
    "site-packages",
    "build",
    "dist",
    "_build",
    "buck-out",
    ".eggs",
];

/// The files to check, sorted, and the paths that could not be used.
#[derive(Debug, Default)]
pub struct Discovered {
    pub files: Vec<PathBuf>,
    pub errors: Vec<(PathBuf, String)>,
}

/// Expands the command-line paths. Files named explicitly are always checked; files found by
/// walking a directory are checked when they match the test-file patterns of their settings.
pub fn discover(paths: &[PathBuf], resolver: &ConfigResolver) -> Result<Discovered> {
    let mut found = Discovered::default();
    for path in paths {
        let metadata = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) => {
                found.errors.push((path.clone(), describe_io(&e)));
                continue;
            }
        };
        if metadata.is_file() {
            found.files.push(path.clone());
            continue;
        }
        let walker = WalkBuilder::new(path)
            .hidden(true)
            .git_ignore(true)
            .git_exclude(true)
            .require_git(false)
            .filter_entry(|entry| {
                let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
                !(is_dir
                    && entry.depth() > 0
                    && entry
                        .file_name()
                        .to_str()
                        .is_some_and(|n| SKIPPED_DIRECTORIES.contains(&n)))
            })
            .build();
        for entry in walker {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    let path = match &e {
                        ignore::Error::WithPath { path, .. } => path.clone(),
                        _ => path.clone(),
                    };
                    found.errors.push((path, e.to_string()));
                    continue;
                }
            };
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                continue;
            }
            let file = entry.path();
            if file.extension().is_none_or(|e| e != "py") {
                continue;
            }
            let resolved = resolver.settings_for(&absolute(file))?;
            if resolved.settings.is_test_file(&absolute(file)) {
                found.files.push(file.to_path_buf());
            }
        }
    }
    found.files.sort();
    found.files.dedup();
    Ok(found)
}

/// The path made absolute against the current directory (without resolving symlinks).
pub fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    }
}

/// A path for display: relative to the current directory when it is inside it.
pub fn display_path(path: &Path) -> String {
    let cwd = std::env::current_dir().ok();
    let shown = cwd
        .as_deref()
        .and_then(|cwd| absolute(path).strip_prefix(cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf());
    let text = shown.to_string_lossy().into_owned();
    text.strip_prefix("./").map(str::to_string).unwrap_or(text)
}

fn describe_io(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => error.to_string(),
    }
}
