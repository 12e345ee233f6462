//! The class index over a small tree on disk (`tests/fixtures/workspace`), built the way the
//! command line builds it (`discovery::build_workspace`).

use std::path::{Path, PathBuf};

use proctor_linter::Settings;
use proctor_linter::discovery::build_workspace;
use proctor_linter::engine::UnitOutput;
use proctor_linter::model::FileModel;
use proctor_linter::parse::parse;
use proctor_linter::registry::RuleSet;
use proctor_linter::summary::FunctionSummary;
use proctor_linter::workspace::{FileClasses, MethodLookup, MroEntry, Workspace};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/workspace")
}

/// Checks one file's classes against the workspace: `f(classes, class id by name)`.
fn with_classes(
    workspace: &Workspace,
    path: &Path,
    f: impl FnOnce(&FileClasses, &dyn Fn(&str) -> usize),
) {
    let source = std::fs::read_to_string(path).expect("fixture exists");
    with_source(workspace, path, &source, f);
}

fn with_source(
    workspace: &Workspace,
    path: &Path,
    source: &str,
    f: impl FnOnce(&FileClasses, &dyn Fn(&str) -> usize),
) {
    let tree = parse(source, None);
    let file = FileModel::build(&tree, source, Some(path));
    let settings = Settings::default();
    let summaries: Vec<FunctionSummary> = file
        .units
        .iter()
        .flat_map(|node| UnitOutput::evaluate(&file, &settings, RuleSet::empty(), *node).summaries)
        .collect();
    let classes = FileClasses::new(workspace, &file, &summaries);
    let id = |name: &str| {
        file.classes
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("no class {name}"))
            .id
    };
    f(&classes, &id);
}

fn names(classes: &FileClasses, id: usize) -> Vec<String> {
    classes
        .mro(id)
        .entries
        .iter()
        .map(|e| match e {
            MroEntry::Class(c) => c.qualified_name(),
            MroEntry::Framework(f) => f.path.to_string(),
            MroEntry::Unknown(text) => format!("?{text}"),
        })
        .collect()
}

fn test_things() -> PathBuf {
    root().join("proj/tests/test_things.py")
}

fn workspace() -> Workspace {
    build_workspace(&[root()], &[test_things()])
}

#[test]
fn a_base_class_in_another_module_and_a_mixin_resolve() {
    let workspace = workspace();
    with_classes(&workspace, &test_things(), |classes, id| {
        let thing = id("ThingTest");
        assert_eq!(
            names(classes, thing),
            vec![
                "proj.tests.test_things.ThingTest",
                "proj.base.BaseTest",
                "unittest.TestCase",
                "proj.mixins.HelperMixin",
            ]
        );
        let mro = classes.mro(thing);
        assert!(mro.is_complete());
        let MethodLookup::Found(found) = mro.lookup("_create_thing") else {
            panic!("inherited from BaseTest");
        };
        assert_eq!(found.facts.self_reads, vec!["api"]);
        assert!(matches!(mro.lookup("_make"), MethodLookup::Found(_)));
        assert!(matches!(mro.lookup("flavor"), MethodLookup::Attribute));
        assert!(matches!(
            mro.lookup("no_such_helper"),
            MethodLookup::NotDefined
        ));
        // Following the test through the inherited helper reaches `self.api`.
        let MethodLookup::Found(test) = mro.lookup("test_create") else {
            panic!("the test itself");
        };
        let reach = mro.reach([test]);
        assert!(reach.reads("api"));
        assert!(!reach.reads("client"));
        assert!(!reach.unknown && !reach.escapes);
    });
}

#[test]
fn inherited_helpers_that_assert_are_seen() {
    let workspace = workspace();
    let settings = Settings::default();
    with_classes(&workspace, &test_things(), |classes, id| {
        let mro = classes.mro(id("LocalChild"));
        // `_checked_create` asserts through `_verify`, two classes and a file away.
        assert_eq!(mro.method_asserts("_checked_create", &settings), Some(true));
        // `_check_thing` matches the default assertion-helper patterns and asserts anyway.
        assert_eq!(mro.method_asserts("_check_thing", &settings), Some(true));
        assert_eq!(mro.method_asserts("_create_thing", &settings), Some(false));
        assert_eq!(mro.method_asserts("assertEqual", &settings), Some(true));
        assert_eq!(mro.method_asserts("useFixture", &settings), Some(false));
        // `_make_via_property` reads a property whose body reads `self.catalog`.
        let MethodLookup::Found(found) = mro.lookup("_make_via_property") else {
            panic!("from the mixin");
        };
        assert!(mro.reach([found]).reads("catalog"));
        // A helper that hands `self` to a function may read anything.
        let MethodLookup::Found(found) = mro.lookup("_hands_self_over") else {
            panic!("from the mixin");
        };
        assert!(mro.reach([found]).escapes);
        assert_eq!(mro.method_asserts("_hands_self_over", &settings), None);
    });
}

#[test]
fn super_calls_continue_after_the_defining_class() {
    let workspace = workspace();
    let base = root().join("proj/base.py");
    with_classes(&workspace, &base, |classes, id| {
        let mro = classes.mro(id("ChildOfBase"));
        let MethodLookup::Found(found) = mro.lookup("_create_thing") else {
            panic!("overridden");
        };
        assert_eq!(found.owner, 0);
        let reach = mro.reach([found]);
        assert!(
            reach.reads("api"),
            "the base version, reached through super(), reads self.api"
        );
    });
}

#[test]
fn import_aliases_reexports_and_relative_imports_resolve() {
    let workspace = workspace();
    with_classes(&workspace, &test_things(), |classes, id| {
        for (class, through) in [
            ("AliasTest", "proj.mixins.HelperMixin"),
            ("ExportedTest", "proj.mixins.HelperMixin"),
            ("RelativeTest", "proj.tests.helpers.LocalBase"),
            ("StarTest", "proj.tests.helpers.LocalBase"),
        ] {
            let names = names(classes, id(class));
            assert!(names.contains(&through.to_string()), "{class}: {names:?}");
            assert!(classes.mro(id(class)).is_complete(), "{class}: {names:?}");
        }
        let mro = classes.mro(id("RelativeTest"));
        assert!(matches!(
            mro.lookup("_create_thing"),
            MethodLookup::Found(_)
        ));
    });
}

#[test]
fn unresolvable_bases_cycles_and_broken_files_stay_unknown() {
    let workspace = workspace();
    with_classes(&workspace, &test_things(), |classes, id| {
        let third = classes.mro(id("ThirdPartyTest"));
        assert!(!third.is_complete());
        assert!(matches!(third.lookup("_anything"), MethodLookup::Unknown));
        // The test's own methods are still found before the unknown base.
        assert!(matches!(third.lookup("test_third"), MethodLookup::Found(_)));

        let cycle = classes.mro(id("CycleTest"));
        assert!(
            !cycle.is_complete(),
            "{:?}",
            names(classes, id("CycleTest"))
        );
        assert!(matches!(cycle.lookup("helper"), MethodLookup::Unknown));

        // The parser cannot recover the broken file's class: its base stays unknown.
        let broken = classes.mro(id("BrokenTest"));
        assert!(!broken.is_complete());
        assert!(matches!(broken.lookup("helper"), MethodLookup::Unknown));
    });
}

#[test]
fn flat_directories_are_their_own_source_root() {
    let workspace = workspace();
    let flat = root().join("flat/test_flat.py");
    with_classes(&workspace, &flat, |classes, id| {
        assert_eq!(
            names(classes, id("FlatTest")),
            vec![
                "test_flat.FlatTest",
                "flat_base.FlatBase",
                "unittest.TestCase"
            ]
        );
    });
}

#[test]
fn subclasses_are_seen_in_the_file_and_elsewhere() {
    let workspace = workspace();
    with_classes(&workspace, &test_things(), |classes, id| {
        assert_eq!(
            classes.is_subclassed(id("ThingTest")),
            Some(true),
            "LocalChild in the file"
        );
        assert_eq!(classes.is_subclassed(id("AliasTest")), Some(false));
    });
    let base = root().join("proj/base.py");
    with_classes(&workspace, &base, |classes, id| {
        // ChildOfBase in the same file; LocalBase and ThingTest elsewhere.
        assert_eq!(classes.is_subclassed(id("BaseTest")), Some(true));
        assert_eq!(classes.is_subclassed(id("ChildOfBase")), Some(false));
    });
    let empty = Workspace::empty();
    with_classes(&empty, &base, |classes, id| {
        assert_eq!(classes.is_subclassed(id("BaseTest")), Some(true));
        assert_eq!(
            classes.is_subclassed(id("ChildOfBase")),
            None,
            "nothing known outside"
        );
    });
}

#[test]
fn the_server_keeps_the_index_current() {
    let workspace = workspace();
    let test = test_things();
    let mixins = root().join("proj/mixins.py");
    let before = workspace.fingerprint_for(&test);
    assert_eq!(
        before,
        workspace.fingerprint_for(&test),
        "stable while nothing changes"
    );
    let edited = std::fs::read_to_string(&mixins)
        .expect("fixture")
        .replace("self.client.post", "self.other_client.post");
    workspace.file_changed(&mixins, Some(&edited));
    assert_ne!(workspace.fingerprint_for(&test), before);
    with_classes(&workspace, &test, |classes, id| {
        let mro = classes.mro(id("AliasTest"));
        let MethodLookup::Found(found) = mro.lookup("_make") else {
            panic!("from the mixin");
        };
        assert!(found.facts.self_reads.contains(&"other_client".to_string()));
    });
    // A new subclass typed in an editor buffer is seen before it is saved.
    let new_file = root().join("proj/tests/test_new.py");
    workspace.file_changed(
        &new_file,
        Some(
            "from proj.tests import test_things\n\nclass More(test_things.AliasTest):\n    pass\n",
        ),
    );
    with_classes(&workspace, &test, |classes, id| {
        assert_eq!(classes.is_subclassed(id("AliasTest")), Some(true));
    });
    workspace.file_removed(&new_file);
    with_classes(&workspace, &test, |classes, id| {
        assert_eq!(classes.is_subclassed(id("AliasTest")), Some(false));
    });
    // Back to the text on disk.
    workspace.file_changed(&mixins, None);
    assert_eq!(workspace.fingerprint_for(&test), before);
    with_classes(&workspace, &test, |classes, id| {
        let mro = classes.mro(id("AliasTest"));
        let MethodLookup::Found(found) = mro.lookup("_make") else {
            panic!("from the mixin");
        };
        assert!(found.facts.self_reads.contains(&"client".to_string()));
    });
}

#[test]
fn the_file_being_checked_wins_over_its_copy_on_disk() {
    let workspace = workspace();
    let base = root().join("proj/base.py");
    let edited = std::fs::read_to_string(&base).expect("fixture").replace(
        "return self.api.post(name)",
        "return self.edited_api.post(name)",
    );
    with_source(&workspace, &base, &edited, |classes, id| {
        let mro = classes.mro(id("ChildOfBase"));
        let MethodLookup::Found(found) = mro.lookup("_create_thing") else {
            panic!("overridden");
        };
        assert!(mro.reach([found]).reads("edited_api"));
    });
}

#[test]
fn module_files_are_parsed_once_per_run() {
    // Two lookups through the same base share the parsed module.
    let workspace = workspace();
    let base = root().join("proj/base.py");
    let first = workspace.module(&base).expect("parsed");
    let second = workspace.module(&base).expect("parsed");
    assert!(std::sync::Arc::ptr_eq(&first, &second));
    assert!(workspace.module(&root().join("proj/missing.py")).is_none());
}
