//! The workspace fixture index over a small multi-folder pytest project
//! (`tests/fixtures/pytest_project`): fixtures resolved through nested `conftest.py` files,
//! overrides, class fixtures overridden in a subclass, built-ins, `parametrize` (direct and
//! indirect), `usefixtures` and plugin fixtures, with the TQ704/TQ705 findings and the
//! definition query the language server uses for hover and go-to-definition.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use proctor_linter::discovery::build_workspace;
use proctor_linter::discovery::fixtures::DiskSource;
use proctor_linter::fix::{FixMode, fix_source};
use proctor_linter::settings::Selection;
use proctor_linter::workspace::{FileSource, FixtureIndex, FixtureOrigin};
use proctor_linter::{LineIndex, Settings, Workspace, check_source};

fn project() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pytest_project")
}

fn python_files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)
            .expect("readable fixture dir")
            .flatten()
        {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "py") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn settings(extra_known: &[&str]) -> Settings {
    let mut settings = Settings::default();
    settings
        .apply(&Selection {
            select: Some(vec!["TQ704".into(), "TQ705".into()]),
            ..Selection::default()
        })
        .expect("valid selection");
    settings
        .known_fixtures
        .extend(extra_known.iter().map(|s| s.to_string()));
    settings
}

/// `relative path:line CODE message` for every finding in the project.
fn findings(workspace: &Workspace, settings: &Settings) -> Vec<String> {
    let root = project();
    let mut out = Vec::new();
    for path in python_files(&root) {
        let source = std::fs::read_to_string(&path).expect("readable");
        let output = check_source(&source, Some(&path), settings, workspace);
        assert!(output.panics.is_empty(), "{:?}", output.panics);
        let lines = LineIndex::new(&source);
        for d in output.diagnostics {
            out.push(format!(
                "{}:{} {} {}",
                path.strip_prefix(&root).unwrap().display(),
                lines.line_column(&source, d.range.start).line,
                d.rule.code(),
                d.message
            ));
        }
    }
    out
}

#[test]
fn findings_follow_pytest_resolution() {
    let root = project();
    let workspace = build_workspace(std::slice::from_ref(&root), &python_files(&root));
    let found = findings(&workspace, &settings(&["httpserver"]));
    let expected = [
        "tests/integration/test_flow.py:5 TQ705 Test `test_clock_is_unit_only` requests fixture `clock`, which no fixture in scope provides",
        "tests/unit/conftest.py:11 TQ704 Fixture `seeded` requests `tmp_path` but never uses it",
        "tests/unit/test_models.py:14 TQ704 Test `test_unused_api` requests fixture `api` only for its side effect: its value is never used",
        "tests/unit/test_models.py:33 TQ705 Test `test_typo` requests fixture `databse`, which no fixture in scope provides (did you mean `database`?)",
        "tests/unit/test_plain.py:6 TQ704 Test `test_seeded` requests fixture `seeded` only for its side effect: its value is never used",
    ];
    assert_eq!(found, expected);

    // Without `httpserver` in `known-fixtures`, the plugin fixture is unknown.
    let found = findings(&workspace, &settings(&[]));
    assert!(
        found
            .iter()
            .any(|f| f.contains("`httpserver`") && f.contains("TQ705"))
    );
}

#[test]
fn the_usefixtures_fix_adds_the_import() {
    let root = project();
    let workspace = build_workspace(std::slice::from_ref(&root), &python_files(&root));
    let path = root.join("tests/unit/test_plain.py");
    let source = std::fs::read_to_string(&path).unwrap();
    let fixed = fix_source(
        &source,
        Some(&path),
        &settings(&[]),
        &workspace,
        FixMode::Safe,
    );
    assert_eq!(
        fixed.source,
        "\"\"\"No pytest import here: the usefixtures fix adds it.\"\"\"\n\nimport pytest\nfrom shop import models\n\n\n@pytest.mark.usefixtures(\"seeded\")\ndef test_seeded():\n    assert models\n"
    );
}

/// The byte offset of the `nth` occurrence of `needle` in `source`.
fn offset_of(source: &str, needle: &str, nth: usize) -> usize {
    source
        .match_indices(needle)
        .nth(nth)
        .unwrap_or_else(|| panic!("{needle} #{nth} not found"))
        .0
}

#[test]
fn definitions_for_hover_and_go_to_definition() {
    let root = project();
    let workspace = build_workspace(std::slice::from_ref(&root), &python_files(&root));
    let settings = settings(&["httpserver"]);
    let path = root.join("tests/unit/test_models.py");
    let source = std::fs::read_to_string(&path).unwrap();
    let at = |needle: &str, nth: usize| {
        workspace.fixture_definition(
            &path,
            &source,
            offset_of(&source, needle, nth) + 1,
            &settings,
        )
    };

    // `database` resolves to the override in tests/conftest.py, not the root one.
    let database = at("database, clock", 0).expect("database");
    assert_eq!(
        database.path.as_deref(),
        Some(root.join("tests/conftest.py").as_path())
    );
    assert_eq!(database.line, 4);
    assert_eq!(database.scope, "function");
    assert_eq!(database.origin, FixtureOrigin::Conftest);
    assert_eq!(
        database.docstring.as_deref(),
        Some("The session database, emptied for each test.")
    );
    let hover = database.hover_markdown(Some(&root));
    assert!(
        hover.starts_with(
            "**fixture `database`** — defined in `tests/conftest.py:5`, scope `function`"
        ),
        "{hover}"
    );

    // `@pytest.fixture(name="clock")`: the definition is the function `fake_clock`.
    let clock = at("clock, tmp_path", 0).expect("clock");
    let unit_conftest = root.join("tests/unit/conftest.py");
    assert_eq!(clock.path.as_deref(), Some(unit_conftest.as_path()));
    let text = std::fs::read_to_string(&unit_conftest).unwrap();
    assert_eq!(&text[clock.range.start..clock.range.end], "fake_clock");

    // Built-ins and plugins.
    let tmp_path = at("tmp_path, monkeypatch", 0).expect("tmp_path");
    assert_eq!(tmp_path.origin, FixtureOrigin::Builtin);
    assert!(tmp_path.path.is_none());
    assert!(tmp_path.hover_markdown(None).contains("built into pytest"));
    assert_eq!(
        at("mocker, httpserver", 0).map(|d| d.origin),
        Some(FixtureOrigin::Plugin)
    );

    // A name inside `usefixtures`.
    let api = at("\"api\"", 0).expect("api in usefixtures");
    assert_eq!(
        api.path.as_deref(),
        Some(root.join("tests/conftest.py").as_path())
    );

    // `parametrize` arguments are not fixtures; an indirect one is.
    assert!(at("quantity, backend", 0).is_none());
    let backend = at("backend, order", 0).expect("indirect backend");
    assert_eq!(backend.name, "backend");

    // A class fixture overridden in a subclass resolves to the subclass's.
    let premium = at("account, seeded", 0).expect("account");
    assert_eq!(premium.origin, FixtureOrigin::Class("TestPremium".into()));
    assert_eq!(premium.docstring.as_deref(), Some("A premium account."));
    let base = at(
        "self, account):\n        assert account\n\n\nclass TestPremium",
        0,
    );
    assert!(base.is_none(), "`self` is not a fixture");
    let base = at(
        "account):\n        assert account\n\n\nclass TestPremium",
        0,
    )
    .expect("account");
    assert_eq!(base.origin, FixtureOrigin::Class("TestAccounts".into()));

    // An override requesting the fixture it overrides goes one level up.
    let conftest = root.join("tests/conftest.py");
    let text = std::fs::read_to_string(&conftest).unwrap();
    let outer = workspace
        .fixture_definition(
            &conftest,
            &text,
            offset_of(&text, "(database)", 0) + 1,
            &settings,
        )
        .expect("outer database");
    assert_eq!(
        outer.path.as_deref(),
        Some(root.join("conftest.py").as_path())
    );
    assert_eq!(outer.scope, "session");
    assert!(
        outer
            .docstring
            .unwrap()
            .starts_with("A session-wide database connection.\n\nRolled back")
    );

    // Unknown names and positions outside parameters give nothing.
    assert!(at("databse", 0).is_none());
    assert!(at("monkeypatch.setenv", 0).is_none());
}

/// A file source that counts reads and serves edited texts.
#[derive(Default)]
struct CountingSource {
    reads: Mutex<HashMap<PathBuf, usize>>,
}

impl FileSource for CountingSource {
    fn read(&self, path: &Path) -> Option<String> {
        *self
            .reads
            .lock()
            .unwrap()
            .entry(path.to_path_buf())
            .or_default() += 1;
        DiskSource.read(path)
    }

    fn is_project_root(&self, directory: &Path) -> bool {
        DiskSource.is_project_root(directory)
    }
}

#[test]
fn conftests_are_read_once_across_threads() {
    let root = project();
    let files = python_files(&root);
    let source = Arc::new(CountingSource::default());
    let index = FixtureIndex::new(source.clone(), vec![root.clone()], files.clone());
    let workspace = Workspace::empty().with_fixtures(index);
    let settings = settings(&["httpserver"]);
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                for path in &files {
                    let text = std::fs::read_to_string(path).unwrap();
                    workspace.fingerprint_for(path);
                    check_source(&text, Some(path), &settings, &workspace);
                }
            });
        }
    });
    let reads = source.reads.lock().unwrap();
    assert!(reads.contains_key(&root.join("tests/unit/conftest.py")));
    for (path, count) in reads.iter() {
        assert_eq!(*count, 1, "{} read {count} times", path.display());
    }
}

#[test]
fn editor_changes_to_a_conftest_are_seen() {
    let root = project();
    let workspace = build_workspace(std::slice::from_ref(&root), &python_files(&root));
    let settings = settings(&["httpserver"]);
    let test = root.join("tests/integration/test_flow.py");
    let conftest = root.join("tests/conftest.py");
    let text = std::fs::read_to_string(&test).unwrap();
    let before = workspace.fingerprint_for(&test);
    let codes = |workspace: &Workspace| -> Vec<String> {
        check_source(&text, Some(&test), &settings, workspace)
            .diagnostics
            .iter()
            .map(|d| d.message.clone())
            .collect()
    };
    assert_eq!(codes(&workspace).len(), 1);

    // An unsaved edit renames `api`: the test's request becomes unknown.
    let edited = std::fs::read_to_string(&conftest)
        .unwrap()
        .replace("def api(", "def api_client(");
    workspace.file_changed(&conftest, Some(&edited));
    assert_ne!(workspace.fingerprint_for(&test), before);
    let messages = codes(&workspace);
    assert!(
        messages
            .iter()
            .any(|m| m.contains("requests fixture `api`")),
        "{messages:?}"
    );

    // Closing the buffer without saving goes back to the disk's text.
    workspace.file_changed(&conftest, None);
    assert_eq!(workspace.fingerprint_for(&test), before);
    assert_eq!(codes(&workspace).len(), 1);

    // A new conftest in the test's folder provides `clock`.
    let local = root.join("tests/integration/conftest.py");
    workspace.file_changed(
        &local,
        Some("import pytest\n\n@pytest.fixture\ndef clock():\n    return 1\n"),
    );
    assert!(codes(&workspace).is_empty());
    let definition = workspace
        .fixture_definition(&test, &text, offset_of(&text, "clock)", 0), &settings)
        .expect("clock");
    assert_eq!(definition.path.as_deref(), Some(local.as_path()));
    workspace.file_removed(&local);
    assert_eq!(codes(&workspace).len(), 1);
    assert_eq!(workspace.fingerprint_for(&test), before);
}

#[test]
fn an_empty_workspace_stays_silent() {
    let root = project();
    let path = root.join("tests/integration/test_flow.py");
    let text = std::fs::read_to_string(&path).unwrap();
    let output = check_source(&text, Some(&path), &settings(&[]), &Workspace::empty());
    assert!(output.diagnostics.is_empty());
}
