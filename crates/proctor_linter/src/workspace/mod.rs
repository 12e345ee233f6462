//! What Proctor knows about the other files of the workspace.
//!
//! Test classes inherit helpers from base classes and mixins in other files, and pytest tests
//! receive fixtures from `conftest.py` files up the tree. Rules that follow those links read
//! them from a [`Workspace`]. An empty workspace is always valid: it means "nothing is known
//! outside this file", and rules that would need to know stay silent rather than guess.

pub mod fixtures;
pub mod pytest_syntax;

use std::path::Path;
use std::sync::Arc;

pub use fixtures::{FileSource, FixtureDefinition, FixtureIndex, FixtureOrigin};

use crate::settings::Settings;

/// Facts gathered from the files around the one being checked.
///
/// Built once per command-line run (see [`crate::discovery::build_workspace`]) and kept
/// current by the language server as files change. Clones share the same indexes.
#[derive(Clone, Debug, Default)]
pub struct Workspace {
    fixtures: Arc<FixtureIndex>,
}

impl Workspace {
    /// A workspace that knows nothing beyond the file being checked.
    pub fn empty() -> Self {
        Self::default()
    }

    /// A workspace with a fixture index.
    pub fn with_fixtures(mut self, fixtures: FixtureIndex) -> Self {
        self.fixtures = Arc::new(fixtures);
        self
    }

    /// The `conftest.py` index (see [`fixtures`]).
    pub fn fixtures(&self) -> &FixtureIndex {
        &self.fixtures
    }

    /// A hash of the workspace facts that can change the findings of `path`, for caches.
    pub fn fingerprint_for(&self, path: &Path) -> u64 {
        self.fixtures.fingerprint_for(path)
    }

    /// Tells the workspace that a file changed: `text` is an editor's unsaved buffer; `None`
    /// means "read it from disk again when needed" (saved, or closed without saving).
    /// Thread-safe; checks already running keep the facts they started with.
    pub fn file_changed(&self, path: &Path, text: Option<&str>) {
        self.fixtures.file_changed(path, text);
    }

    /// Tells the workspace that a file was deleted.
    pub fn file_removed(&self, path: &Path) {
        self.fixtures.file_removed(path);
    }

    /// The fixture a parameter (or a `usefixtures` name) at `offset` of `source` requests:
    /// where it is defined, its scope and docstring. For hover and go-to-definition.
    pub fn fixture_definition(
        &self,
        path: &Path,
        source: &str,
        offset: usize,
        settings: &Settings,
    ) -> Option<FixtureDefinition> {
        let tree = crate::parse::parse(source, None);
        let file = crate::model::FileModel::build(&tree, source, Some(path));
        fixtures::definition_at(&self.fixtures, &file, offset, settings)
    }
}
