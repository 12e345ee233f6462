//! Reading the workspace's Python files for the class index.
//!
//! [`FsSource`] is the file-system side of [`crate::workspace::SourceProvider`]: it reads
//! modules on demand and lists the Python files of a source root with their metadata, within
//! bounds (file size, number of files, depth) so that a stray huge file or an enormous tree
//! never stalls a run.

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use crate::workspace::{Listing, SourceProvider};

/// Files larger than this are not indexed (generated code, data dumps).
pub const MAX_FILE_BYTES: u64 = 2 * 1024 * 1024;
/// A source root listing stops after this many Python files.
pub const MAX_LISTED_FILES: usize = 50_000;
/// And does not descend deeper than this.
pub const MAX_DEPTH: usize = 32;

/// Directories a listing never enters.
const SKIPPED_DIRECTORIES: &[&str] = &[
    "__pycache__",
    "__pypackages__",
    "node_modules",
    "venv",
    "site-packages",
    "build",
    "dist",
    "_build",
    "buck-out",
];

/// Reads from the file system.
#[derive(Clone, Copy, Debug, Default)]
pub struct FsSource;

impl SourceProvider for FsSource {
    fn read(&self, path: &Path) -> Option<String> {
        let metadata = std::fs::metadata(path).ok()?;
        if !metadata.is_file() || metadata.len() > MAX_FILE_BYTES {
            return None;
        }
        let bytes = std::fs::read(path).ok()?;
        String::from_utf8(bytes).ok()
    }

    fn is_file(&self, path: &Path) -> bool {
        path.is_file()
    }

    fn stamp(&self, path: &Path) -> Option<u64> {
        let metadata = std::fs::metadata(path).ok()?;
        metadata.is_file().then(|| stamp_of(&metadata))
    }

    fn python_files(&self, root: &Path) -> Listing {
        let mut listing = Listing {
            files: Vec::new(),
            complete: true,
        };
        let mut stack: Vec<(PathBuf, usize)> = vec![(root.to_path_buf(), 0)];
        while let Some((dir, depth)) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let name = entry.file_name();
                let name = name.to_string_lossy();
                let Ok(file_type) = entry.file_type() else {
                    continue;
                };
                if file_type.is_dir() {
                    if name.starts_with('.') || SKIPPED_DIRECTORIES.contains(&name.as_ref()) {
                        continue;
                    }
                    if depth + 1 > MAX_DEPTH {
                        listing.complete = false;
                        continue;
                    }
                    stack.push((entry.path(), depth + 1));
                } else if file_type.is_file() && name.ends_with(".py") {
                    if listing.files.len() >= MAX_LISTED_FILES {
                        listing.complete = false;
                        return listing;
                    }
                    if let Ok(metadata) = entry.metadata() {
                        listing.files.push((entry.path(), stamp_of(&metadata)));
                    }
                }
            }
        }
        listing.files.sort();
        listing
    }
}

fn stamp_of(metadata: &std::fs::Metadata) -> u64 {
    let modified = metadata
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as u64);
    modified.rotate_left(20) ^ metadata.len()
}
