//! Module names and where they live: the pure half of import resolution.
//!
//! A Python file inside a package (a directory with `__init__.py`, and its parents while they
//! have one too) has a dotted module name relative to its *source root*, the first directory
//! above the top package. A file outside any package is a top-level module and its own
//! directory is its source root, as when pytest or `python -m unittest` puts that directory on
//! `sys.path`. Asking whether a file exists is the caller's business: this module only computes
//! names and candidate paths.

use std::path::{Path, PathBuf};

/// Where a file sits: its source root and its dotted module name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ModuleLocation {
    pub root: PathBuf,
    /// `nova.tests.functional.integrated_helpers`; a package's `__init__.py` is the package.
    pub name: String,
    /// Whether the file is a package's `__init__.py`.
    pub is_package: bool,
}

impl ModuleLocation {
    /// The package relative imports of this module start from.
    pub fn package(&self) -> Vec<&str> {
        let mut parts: Vec<&str> = self.name.split('.').filter(|p| !p.is_empty()).collect();
        if !self.is_package {
            parts.pop();
        }
        parts
    }

    /// Turns a dotted path that may start with dots (`.base.Foo`, `..x.Y`, as the import table
    /// records relative imports) into an absolute one. `None` when it climbs above the top
    /// package.
    pub fn absolute(&self, dotted: &str) -> Option<String> {
        let level = dotted.chars().take_while(|c| *c == '.').count();
        if level == 0 {
            return Some(dotted.to_string());
        }
        let mut package = self.package();
        for _ in 1..level {
            package.pop()?;
        }
        if package.is_empty() {
            return None;
        }
        let rest = &dotted[level..];
        let mut out = package.join(".");
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        Some(out)
    }
}

/// The packages of `file`'s directory and above, given a test for "`dir` has `__init__.py`".
/// Stops after `MAX_DEPTH` levels (a pathological tree is treated as having no package).
pub fn locate(file: &Path, is_package_dir: impl Fn(&Path) -> bool) -> Option<ModuleLocation> {
    const MAX_DEPTH: usize = 64;
    let stem = file.file_stem()?.to_str()?;
    if !is_identifier(stem) {
        return None;
    }
    let mut packages: Vec<String> = Vec::new();
    let mut dir = file.parent()?;
    let mut depth = 0;
    while is_package_dir(dir) {
        let name = dir.file_name()?.to_str()?;
        if !is_identifier(name) || depth >= MAX_DEPTH {
            return None;
        }
        packages.push(name.to_string());
        depth += 1;
        dir = dir.parent()?;
    }
    packages.reverse();
    let is_package = stem == "__init__";
    if is_package && packages.is_empty() {
        // An `__init__.py` whose directory is not a package: nothing can import it by name.
        return None;
    }
    if !is_package {
        packages.push(stem.to_string());
    }
    Some(ModuleLocation {
        root: dir.to_path_buf(),
        name: packages.join("."),
        is_package,
    })
}

/// The files module `name` may live in under `root`: `a/b.py`, then `a/b/__init__.py`.
pub fn candidate_files(root: &Path, name: &str) -> Vec<PathBuf> {
    let parts: Vec<&str> = name.split('.').collect();
    if parts.is_empty() || parts.iter().any(|p| !is_identifier(p)) {
        return Vec::new();
    }
    let mut base = root.to_path_buf();
    for part in &parts {
        base.push(part);
    }
    let mut file = base.clone();
    file.set_extension("py");
    vec![file, base.join("__init__.py")]
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c == '_' || c.is_alphabetic())
        && chars.all(|c| c == '_' || c.is_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn in_packages<'a>(packages: &'a [&'a str]) -> impl Fn(&Path) -> bool + 'a {
        move |dir| packages.iter().any(|p| Path::new(p) == dir)
    }

    #[test]
    fn module_names_follow_the_packages() {
        let packages = ["/src/nova", "/src/nova/tests"];
        let location = locate(
            Path::new("/src/nova/tests/test_x.py"),
            in_packages(&packages),
        )
        .expect("located");
        assert_eq!(location.root, Path::new("/src"));
        assert_eq!(location.name, "nova.tests.test_x");
        assert_eq!(location.package(), vec!["nova", "tests"]);
        let init = locate(
            Path::new("/src/nova/tests/__init__.py"),
            in_packages(&packages),
        )
        .expect("located");
        assert_eq!(init.name, "nova.tests");
        assert_eq!(init.package(), vec!["nova", "tests"]);
        let flat = locate(
            Path::new("/project/tests/test_y.py"),
            in_packages(&packages),
        )
        .unwrap();
        assert_eq!(flat.root, Path::new("/project/tests"));
        assert_eq!(flat.name, "test_y");
        assert!(
            locate(
                Path::new("/project/tests/test-y.py"),
                in_packages(&packages)
            )
            .is_none()
        );
    }

    #[test]
    fn relative_paths_become_absolute() {
        let location = ModuleLocation {
            root: PathBuf::from("/src"),
            name: "pkg.sub.mod".into(),
            is_package: false,
        };
        assert_eq!(
            location.absolute(".base.Foo").as_deref(),
            Some("pkg.sub.base.Foo")
        );
        assert_eq!(location.absolute("..x.Y").as_deref(), Some("pkg.x.Y"));
        assert_eq!(location.absolute(".").as_deref(), Some("pkg.sub"));
        assert_eq!(location.absolute("....x"), None);
        assert_eq!(location.absolute("os.path").as_deref(), Some("os.path"));
        let top = ModuleLocation {
            root: PathBuf::from("/t"),
            name: "test_y".into(),
            is_package: false,
        };
        assert_eq!(top.absolute(".x"), None);
    }

    #[test]
    fn candidates() {
        assert_eq!(
            candidate_files(Path::new("/src"), "nova.test"),
            vec![
                PathBuf::from("/src/nova/test.py"),
                PathBuf::from("/src/nova/test/__init__.py")
            ]
        );
        assert!(candidate_files(Path::new("/src"), "a..b").is_empty());
    }
}
