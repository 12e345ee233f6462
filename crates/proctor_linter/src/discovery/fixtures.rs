//! Reading the files the fixture index needs: `conftest.py` files and project markers.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::workspace::{FileSource, FixtureIndex};

/// Reads from the local disk.
#[derive(Clone, Copy, Debug, Default)]
pub struct DiskSource;

impl FileSource for DiskSource {
    fn read(&self, path: &Path) -> Option<String> {
        let bytes = std::fs::read(path).ok()?;
        Some(String::from_utf8_lossy(&bytes).into_owned())
    }

    fn is_project_root(&self, directory: &Path) -> bool {
        ["pyproject.toml", "setup.cfg", "setup.py", ".git"]
            .iter()
            .any(|marker| directory.join(marker).exists())
    }
}

/// The fixture index for a run over `roots`, knowing the `conftest.py` files among `files`.
pub fn fixture_index(roots: &[PathBuf], files: &[PathBuf]) -> FixtureIndex {
    FixtureIndex::new(
        Arc::new(DiskSource),
        roots.to_vec(),
        files
            .iter()
            .filter(|p| p.file_name().is_some_and(|n| n == "conftest.py"))
            .cloned(),
    )
}
