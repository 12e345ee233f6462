//! Workspace folders, their configuration files, and the editor's settings on top.
//!
//! Each workspace folder has its own [`ConfigResolver`] (configuration files found upward from
//! each document, cached per directory) and its own [`Workspace`] (what is known about the
//! folder's other files). The editor's settings — `select`, `ignore`, `extendSelect`, from
//! `initializationOptions` or `workspace/didChangeConfiguration`, flat or under a `proctor`
//! key — are applied on top of whatever the files say.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use proctor_linter::discovery::{ConfigResolver, build_workspace};
use proctor_linter::settings::Selection;
use proctor_linter::{Settings, Workspace};
use serde_json::Value;

use crate::analysis::CheckConfig;

/// The editor's settings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientSettings {
    pub select: Option<Vec<String>>,
    pub ignore: Vec<String>,
    pub extend_select: Vec<String>,
}

impl ClientSettings {
    /// Reads `{"select": [...], "ignore": [...], "extendSelect": [...]}`, also nested as
    /// `{"proctor": {...}}`. `Ok(None)` when the value holds none of these keys (a client
    /// sending settings meant for other servers); `Err` names the bad key.
    pub fn from_value(value: &Value) -> Result<Option<ClientSettings>, String> {
        let value = match value.get("proctor") {
            Some(inner) if inner.is_object() => inner,
            _ => value,
        };
        let Some(object) = value.as_object() else {
            return Ok(None);
        };
        let mut settings = ClientSettings::default();
        let mut found = false;
        for (key, item) in object {
            let slot = match key.as_str() {
                "select" => {
                    found = true;
                    if item.is_null() {
                        continue;
                    }
                    // An empty list is what editors send when the user set nothing (VS Code's
                    // default for `proctor.select`): it means "the configured rules".
                    let list = string_list(key, item)?;
                    settings.select = (!list.is_empty()).then_some(list);
                    continue;
                }
                "ignore" => &mut settings.ignore,
                "extendSelect" | "extend-select" | "extend_select" => &mut settings.extend_select,
                _ => continue,
            };
            found = true;
            if !item.is_null() {
                *slot = string_list(key, item)?;
            }
        }
        if !found {
            return Ok(None);
        }
        settings.selection_check()?;
        Ok(Some(settings))
    }

    pub fn selection(&self) -> Selection {
        Selection {
            select: self.select.clone(),
            extend_select: self.extend_select.clone(),
            ignore: self.ignore.clone(),
        }
    }

    /// Checks every selector names a rule, a prefix or a category.
    fn selection_check(&self) -> Result<(), String> {
        Settings::default()
            .apply(&self.selection())
            .map_err(|message| format!("editor settings: {message}"))
    }
}

fn string_list(key: &str, value: &Value) -> Result<Vec<String>, String> {
    let items = value
        .as_array()
        .ok_or_else(|| format!("editor setting `{key}`: expected a list of strings"))?;
    items
        .iter()
        .map(|item| {
            item.as_str()
                .map(str::to_string)
                .ok_or_else(|| format!("editor setting `{key}`: expected a list of strings"))
        })
        .collect()
}

/// One workspace folder (or the catch-all for documents outside every folder).
pub struct Folder {
    pub root: Option<PathBuf>,
    pub resolver: ConfigResolver,
    pub workspace: Arc<Workspace>,
}

/// The folders and the editor's settings.
pub struct Workspaces {
    folders: Vec<Folder>,
    outside: Folder,
    client: ClientSettings,
}

impl Workspaces {
    pub fn new(roots: Vec<PathBuf>, client: ClientSettings) -> Self {
        let folders = roots
            .into_iter()
            .map(|root| new_folder(Some(root), &client))
            .collect();
        Self {
            folders,
            outside: new_folder(None, &client),
            client,
        }
    }

    pub fn client(&self) -> &ClientSettings {
        &self.client
    }

    /// New editor settings: every resolver starts afresh with them.
    pub fn set_client(&mut self, client: ClientSettings) {
        self.client = client;
        self.reload();
    }

    /// Forgets every configuration file read (one changed). What the folders' workspaces know
    /// of their files stays.
    pub fn reload(&mut self) {
        for folder in self
            .folders
            .iter_mut()
            .chain(std::iter::once(&mut self.outside))
        {
            folder.resolver = resolver(&self.client);
        }
    }

    /// A Python file changed on disk (or was saved): the workspaces re-read it when needed.
    pub fn file_changed(&self, path: &Path) {
        for folder in self.folders_holding(path) {
            folder.workspace.file_changed(path, None);
        }
    }

    /// A Python file was deleted.
    pub fn file_removed(&self, path: &Path) {
        for folder in self.folders_holding(path) {
            folder.workspace.file_removed(path);
        }
    }

    /// The folders whose workspace may know `path`: those it is under, and the catch-all.
    fn folders_holding<'a>(&'a self, path: &'a Path) -> impl Iterator<Item = &'a Folder> {
        self.folders
            .iter()
            .filter(move |f| f.root.as_deref().is_some_and(|root| path.starts_with(root)))
            .chain(std::iter::once(&self.outside))
    }

    pub fn add_folder(&mut self, root: PathBuf) {
        if !self
            .folders
            .iter()
            .any(|f| f.root.as_deref() == Some(&root))
        {
            self.folders.push(new_folder(Some(root), &self.client));
        }
    }

    pub fn remove_folder(&mut self, root: &Path) {
        self.folders.retain(|f| f.root.as_deref() != Some(root));
    }

    pub fn roots(&self) -> Vec<PathBuf> {
        self.folders.iter().filter_map(|f| f.root.clone()).collect()
    }

    /// The folder holding `path`: the deepest root it is under.
    pub fn folder_of(&self, path: Option<&Path>) -> &Folder {
        path.and_then(|path| {
            self.folders
                .iter()
                .filter(|f| f.root.as_deref().is_some_and(|root| path.starts_with(root)))
                .max_by_key(|f| f.root.as_ref().map_or(0, |r| r.as_os_str().len()))
        })
        .unwrap_or(&self.outside)
    }

    /// The configuration of a document; the error of a bad configuration file (defaults
    /// then apply, with the editor's settings).
    pub fn config_for(&self, path: Option<&Path>) -> (CheckConfig, Option<String>) {
        let folder = self.folder_of(path);
        let (settings, error) = match path {
            Some(path) => match folder.resolver.settings_for(path) {
                Ok(resolved) => (resolved.settings, None),
                Err(error) => (self.defaults(), Some(error.to_string())),
            },
            None => (self.defaults(), None),
        };
        let is_test = path.is_some_and(|p| settings.is_test_file(p));
        (
            CheckConfig::new(
                settings,
                path.map(Path::to_path_buf),
                is_test,
                folder.workspace.clone(),
            ),
            error,
        )
    }

    fn defaults(&self) -> Arc<Settings> {
        let mut settings = Settings::default();
        // Checked when the settings arrived.
        let _ = settings.apply(&self.client.selection());
        Arc::new(settings)
    }
}

fn resolver(client: &ClientSettings) -> ConfigResolver {
    let selection = client.selection();
    ConfigResolver::new().with_overrides(move |settings: &mut Settings| settings.apply(&selection))
}

fn new_folder(root: Option<PathBuf>, client: &ClientSettings) -> Folder {
    // The folder's class index reads the folder's other files lazily, when a rule needs one.
    let roots: Vec<PathBuf> = root.iter().cloned().collect();
    Folder {
        workspace: Arc::new(build_workspace(&roots, &[])),
        root,
        resolver: resolver(client),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn settings_flat_or_nested() {
        let flat = ClientSettings::from_value(&json!({"select": ["TQ1"], "ignore": ["TQ101"]}))
            .unwrap()
            .unwrap();
        assert_eq!(flat.select, Some(vec!["TQ1".to_string()]));
        assert_eq!(flat.ignore, vec!["TQ101".to_string()]);
        let nested = ClientSettings::from_value(&json!({"proctor": {"extendSelect": ["docs"]}}))
            .unwrap()
            .unwrap();
        assert_eq!(nested.extend_select, vec!["docs".to_string()]);
        assert_eq!(
            ClientSettings::from_value(&json!({"python": {}})).unwrap(),
            None
        );
        assert_eq!(ClientSettings::from_value(&json!(null)).unwrap(), None);
        assert!(ClientSettings::from_value(&json!({"select": "TQ1"})).is_err());
        let unset = ClientSettings::from_value(&json!({"select": [], "ignore": []}))
            .unwrap()
            .unwrap();
        assert_eq!(
            unset.select, None,
            "an empty `select` leaves the configured rules"
        );
        assert!(ClientSettings::from_value(&json!({"ignore": ["TQ999"]})).is_err());
    }
}
