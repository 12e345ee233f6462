//! What Proctor knows about the other files of the workspace.
//!
//! Test classes inherit helpers from base classes and mixins in other files, and pytest tests
//! receive fixtures from `conftest.py` files up the tree. Rules that follow those links read
//! them from a [`Workspace`]. An empty workspace is always valid: it means "nothing is known
//! outside this file", and rules that would need to know stay silent rather than guess.

/// Facts gathered from the files around the one being checked.
///
/// Built once per command-line run (see [`crate::discovery::build_workspace`]) and kept
/// current by the language server as files change.
#[derive(Clone, Debug, Default)]
pub struct Workspace {}

impl Workspace {
    /// A workspace that knows nothing beyond the file being checked.
    pub fn empty() -> Self {
        Self::default()
    }

    /// A hash of the workspace facts that can change the findings of `path`, for caches.
    pub fn fingerprint_for(&self, _path: &std::path::Path) -> u64 {
        0
    }
}
