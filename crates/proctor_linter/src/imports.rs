//! The import table: which dotted path each imported name stands for.
//!
//! `from time import sleep as pause` binds `pause` to `time.sleep`; `import mock` and
//! `from unittest import mock` both bind `mock` to `unittest.mock` (the `mock` backport is the
//! same API, so rules match one spelling).

use std::collections::HashMap;

use tree_sitter::Node;

use crate::syntax::{Field, Kind, field, field_children, kind};

/// Names bound by import statements in one scope.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Imports {
    bindings: HashMap<String, String>,
    /// Modules imported with `from m import *`.
    pub wildcards: Vec<String>,
}

impl Imports {
    /// Records an `import_statement`, `import_from_statement` or `future_import_statement`.
    pub fn add_statement(&mut self, source: &str, statement: Node) {
        match kind(statement) {
            Kind::ImportStatement => {
                for name in field_children(statement, Field::Name) {
                    match kind(name) {
                        Kind::DottedName => {
                            let path = text(source, name);
                            let root = path.split('.').next().unwrap_or(path);
                            self.bind(root, root);
                        }
                        Kind::AliasedImport => {
                            if let (Some(target), Some(alias)) =
                                (field(name, Field::Name), field(name, Field::Alias))
                            {
                                self.bind(text(source, alias), text(source, target));
                            }
                        }
                        _ => {}
                    }
                }
            }
            Kind::ImportFromStatement => {
                let Some(module) = field(statement, Field::ModuleName) else {
                    return;
                };
                let module = compact(text(source, module));
                let mut cursor = statement.walk();
                if statement
                    .named_children(&mut cursor)
                    .any(|child| kind(child) == Kind::WildcardImport)
                {
                    self.wildcards.push(normalize(&module));
                }
                for name in field_children(statement, Field::Name) {
                    let (target, binding) = match kind(name) {
                        Kind::DottedName => (text(source, name), text(source, name)),
                        Kind::AliasedImport => {
                            match (field(name, Field::Name), field(name, Field::Alias)) {
                                (Some(target), Some(alias)) => {
                                    (text(source, target), text(source, alias))
                                }
                                _ => continue,
                            }
                        }
                        _ => continue,
                    };
                    let full = if module.ends_with('.') {
                        format!("{module}{target}")
                    } else {
                        format!("{module}.{target}")
                    };
                    self.bind(binding, &full);
                }
            }
            _ => {}
        }
    }

    fn bind(&mut self, name: &str, path: &str) {
        self.bindings
            .insert(name.to_string(), normalize(&compact(path)));
    }

    /// The dotted path `name` was imported as.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.bindings.get(name).map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.bindings.is_empty() && self.wildcards.is_empty()
    }

    /// [`Imports::imports_module`] for several top-level modules (names without a dot) at once:
    /// one pass over the imports instead of one per module.
    pub fn imports_any_top_level_module(&self, modules: &[&str]) -> bool {
        self.bindings.values().chain(&self.wildcards).any(|path| {
            let top = path.split('.').next().unwrap_or(path);
            modules.contains(&top)
        })
    }

    /// Whether any binding points at `path` or inside it (`imports_module("pytest")`).
    pub fn imports_module(&self, module: &str) -> bool {
        self.bindings.values().chain(&self.wildcards).any(|path| {
            path == module || (path.starts_with(module) && path[module.len()..].starts_with('.'))
        })
    }

    /// How this scope can spell the dotted `path`: a name bound to it (`MagicMock`), or a name
    /// bound to a module containing it followed by the rest (`mock.MagicMock`). The shortest
    /// spelling wins; `None` when nothing imported leads to it.
    pub fn spell(&self, path: &str) -> Option<String> {
        let mut best: Option<String> = None;
        for (name, bound) in self.sorted() {
            let spelled = if bound == path {
                name.to_string()
            } else if let Some(rest) = path
                .strip_prefix(bound)
                .and_then(|rest| rest.strip_prefix('.'))
            {
                format!("{name}.{rest}")
            } else {
                continue;
            };
            if best.as_ref().is_none_or(|b| spelled.len() < b.len()) {
                best = Some(spelled);
            }
        }
        best
    }

    /// All bindings, sorted by name (for summaries and hashing).
    pub fn sorted(&self) -> Vec<(&str, &str)> {
        let mut all: Vec<_> = self
            .bindings
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        all.sort_unstable();
        all
    }
}

/// Spells the `mock` backport as `unittest.mock`.
pub fn normalize(path: &str) -> String {
    if path == "mock" {
        "unittest.mock".to_string()
    } else if let Some(rest) = path.strip_prefix("mock.") {
        format!("unittest.mock.{rest}")
    } else {
        path.to_string()
    }
}

fn compact(path: &str) -> String {
    path.chars()
        .filter(|c| !c.is_whitespace() && *c != '\\')
        .collect()
}

fn text<'s>(source: &'s str, node: Node) -> &'s str {
    source.get(node.byte_range()).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse;

    fn imports_of(source: &str) -> Imports {
        let tree = parse(source, None);
        let mut imports = Imports::default();
        let root = tree.root_node();
        let mut cursor = root.walk();
        for statement in root.named_children(&mut cursor) {
            imports.add_statement(source, statement);
        }
        imports
    }

    #[test]
    fn aliases_resolve_to_their_full_path() {
        let imports = imports_of(
            "import os.path\nimport numpy as np\nfrom time import sleep as pause\n\
             from unittest import mock\nfrom nova.tests import fixtures as nova_fixtures\n\
             from . import base\nfrom ..x import y as z\n",
        );
        assert_eq!(imports.get("os"), Some("os"));
        assert_eq!(imports.get("np"), Some("numpy"));
        assert_eq!(imports.get("pause"), Some("time.sleep"));
        assert_eq!(imports.get("mock"), Some("unittest.mock"));
        assert_eq!(imports.get("nova_fixtures"), Some("nova.tests.fixtures"));
        assert_eq!(imports.get("base"), Some(".base"));
        assert_eq!(imports.get("z"), Some("..x.y"));
    }

    #[test]
    fn the_mock_backport_is_unittest_mock() {
        let imports = imports_of("import mock\nfrom mock import patch\n");
        assert_eq!(imports.get("mock"), Some("unittest.mock"));
        assert_eq!(imports.get("patch"), Some("unittest.mock.patch"));
        assert!(imports.imports_module("unittest.mock"));
        assert!(!imports.imports_module("unittest.mo"));
    }

    #[test]
    fn paths_are_spelled_through_imports() {
        let imports = imports_of("from unittest import mock\nimport unittest\n");
        assert_eq!(
            imports.spell("unittest.mock.MagicMock").as_deref(),
            Some("mock.MagicMock")
        );
        let direct = imports_of("from unittest.mock import MagicMock\n");
        assert_eq!(
            direct.spell("unittest.mock.MagicMock").as_deref(),
            Some("MagicMock")
        );
        assert_eq!(direct.spell("os.path"), None);
    }

    #[test]
    fn wildcards_are_recorded() {
        let imports = imports_of("from time import *\n");
        assert_eq!(imports.wildcards, vec!["time".to_string()]);
    }
}
