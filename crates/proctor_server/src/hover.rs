//! Hover: the rule's documentation on a flagged range, why a framework-mandated name is
//! exempt from the naming rules, and where a requested pytest fixture comes from; and go to
//! definition on a requested fixture.

use std::path::Path;

use proctor_linter::LineIndex;
use proctor_linter::model::FileModel;
use proctor_linter::syntax::{Field, Kind, field, kind};
use proctor_linter::workspace::fixtures;
use tower_lsp_server::ls_types::{
    Hover, HoverContents, Location, MarkupContent, MarkupKind, Position, Range, Uri,
};
use tree_sitter::Node;

use crate::analysis::{Analysis, CheckConfig};
use crate::position::range;
use crate::server::Session;

pub fn hover(
    analysis: &Analysis,
    at: usize,
    session: &Session,
    config: &CheckConfig,
    folder: Option<&Path>,
) -> Option<Hover> {
    flagged(analysis, at, session)
        .or_else(|| exempt_name(analysis, at, session))
        .or_else(|| fixture(analysis, at, session, config, folder))
}

/// On a pytest fixture parameter (or a `usefixtures` name): where the fixture is defined,
/// its scope and its docstring.
fn fixture(
    analysis: &Analysis,
    at: usize,
    session: &Session,
    config: &CheckConfig,
    folder: Option<&Path>,
) -> Option<Hover> {
    let definition = fixture_definition(analysis, at, config)?;
    let tree = analysis.complete_tree()?;
    let text = analysis.text.as_str();
    let name = tree
        .root_node()
        .descendant_for_byte_range(at, at)
        .filter(|n| kind(*n) == Kind::Identifier || kind(*n) == Kind::StringContent);
    Some(Hover {
        contents: markup(definition.hover_markdown(folder), session),
        range: name.map(|n| {
            range(
                text,
                &analysis.lines,
                proctor_linter::TextRange::of(n),
                session.encoding,
            )
        }),
    })
}

/// The definition of the pytest fixture requested at `at` (a parameter or a `usefixtures`
/// name), if there is one.
pub fn fixture_definition(
    analysis: &Analysis,
    at: usize,
    config: &CheckConfig,
) -> Option<fixtures::FixtureDefinition> {
    // The fixture index reads the whole file's skeleton: a complete parse only.
    let tree = analysis.complete_tree()?;
    let file = FileModel::build_with_lines(
        tree,
        analysis.text.as_str(),
        config.path.as_deref(),
        (*analysis.lines).clone(),
    );
    fixtures::definition_at(config.workspace.fixtures(), &file, at, &config.settings)
}

/// Go to definition on a pytest fixture parameter (or a `usefixtures` name): the fixture's
/// function name in the module or `conftest.py` that defines it. Nothing for built-in and
/// plugin fixtures, which have no file in the workspace.
pub fn definition(
    analysis: &Analysis,
    at: usize,
    session: &Session,
    config: &CheckConfig,
) -> Option<Location> {
    let definition = fixture_definition(analysis, at, config)?;
    let path = definition.path.as_deref()?;
    let uri = Uri::from_file_path(path)?;
    let same_file = config.path.as_deref() == Some(path);
    let target = if same_file {
        // The open document's text, which the index read this definition from.
        Some((analysis.text.to_string(), (*analysis.lines).clone()))
    } else {
        // The index reads other files as saved on disk.
        std::fs::read_to_string(path).ok().map(|text| {
            let lines = LineIndex::new(&text);
            (text, lines)
        })
    };
    let target_range = match &target {
        Some((text, lines)) if definition.range.end <= text.len() => {
            range(text, lines, definition.range, session.encoding)
        }
        // The file changed or vanished since it was indexed: its line is what is known.
        _ => {
            let line = u32::try_from(definition.line).unwrap_or(u32::MAX);
            let start = Position::new(line, 0);
            Range::new(start, start)
        }
    };
    Some(Location::new(uri, target_range))
}

fn markup(value: String, session: &Session) -> HoverContents {
    HoverContents::Markup(MarkupContent {
        kind: if session.markdown {
            MarkupKind::Markdown
        } else {
            MarkupKind::PlainText
        },
        value,
    })
}

/// The docs of every rule flagging a range that holds `at`.
fn flagged(analysis: &Analysis, at: usize, session: &Session) -> Option<Hover> {
    let mut rules = Vec::new();
    let mut span = None;
    for diagnostic in &analysis.diagnostics {
        let r = diagnostic.range;
        if r.start <= at && at <= r.end {
            if !rules.contains(&diagnostic.rule) {
                rules.push(diagnostic.rule);
            }
            span.get_or_insert(r);
        }
    }
    let span = span?;
    let value = rules
        .iter()
        .map(|rule| rule.rule().render_hover())
        .collect::<Vec<_>>()
        .join("\n\n---\n\n");
    Some(Hover {
        contents: markup(value, session),
        range: Some(range(
            &analysis.text,
            &analysis.lines,
            span,
            session.encoding,
        )),
    })
}

/// Why the name the framework looks up is what it is.
fn mandated(name: &str) -> Option<&'static str> {
    Some(match name {
        "setUp" => "unittest calls it before each test method.",
        "tearDown" => "unittest calls it after each test method, even when the test fails.",
        "setUpClass" => "unittest calls it once, before the first test of the class.",
        "tearDownClass" => "unittest calls it once, after the last test of the class.",
        "setUpModule" => "unittest calls it once, before the first test of the module.",
        "tearDownModule" => "unittest calls it once, after the last test of the module.",
        "asyncSetUp" => "`IsolatedAsyncioTestCase` awaits it before each test method.",
        "asyncTearDown" => "`IsolatedAsyncioTestCase` awaits it after each test method.",
        "setUpTestData" => "Django's `TestCase` calls it once per class to create test data.",
        "addCleanup" | "addClassCleanup" | "addModuleCleanup" | "addAsyncCleanup" => {
            "It registers a function the framework calls after the test, even when the test fails."
        }
        "doCleanups" | "doClassCleanups" => "The framework calls it to run registered cleanups.",
        "useFixture" => {
            "testtools and oslotest: it sets up a fixture and registers its cleanup with the test."
        }
        "maxDiff" => {
            "`TestCase` reads it to decide how much of a failed comparison's diff to show."
        }
        "longMessage" => {
            "`TestCase` reads it to decide whether a custom assertion message extends the default one."
        }
        "failureException" => "The exception `TestCase`'s assertions raise.",
        "runTest" => "The method unittest runs when a `TestCase` is created without a method name.",
        "id" => "The test's identifier, which unittest and test runners call.",
        "shortDescription" => "The one-line description test runners print for the test.",
        _ if is_camel_assertion(name) => {
            "A custom assertion named like `TestCase`'s own `assert*`/`fail*` methods, so that it \
             reads as one of them."
        }
        _ => return None,
    })
}

/// `assertJsonEqual`, `failUnlessRaises`: the unittest assertion naming.
fn is_camel_assertion(name: &str) -> bool {
    ["assert", "fail"].iter().any(|prefix| {
        name.strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_uppercase()))
    })
}

/// On a framework-mandated name where it is defined or used as such: a `def` name, an
/// attribute of `self`/`cls`, or a class attribute assignment.
fn exempt_name(analysis: &Analysis, at: usize, session: &Session) -> Option<Hover> {
    let tree = analysis.tree_for(proctor_linter::TextRange::empty(at))?;
    let text = analysis.text.as_str();
    let identifier = [at, at.saturating_sub(1)].into_iter().find_map(|offset| {
        let node = tree.root_node().descendant_for_byte_range(offset, offset)?;
        (kind(node) == Kind::Identifier).then_some(node)
    })?;
    let name = text.get(identifier.byte_range())?;
    let why = mandated(name)?;
    if !mandated_position(text, identifier) {
        return None;
    }
    let value = format!(
        "**`{name}`** is a framework-mandated name\n\n{why} The framework looks it up by this \
         exact name (the unittest, testtools and oslotest API is camelCase), so it is exempt \
         from Proctor's naming rules."
    );
    Some(Hover {
        contents: markup(value, session),
        range: Some(range(
            text,
            &analysis.lines,
            proctor_linter::TextRange::of(identifier),
            session.encoding,
        )),
    })
}

fn mandated_position(text: &str, identifier: Node) -> bool {
    let Some(parent) = identifier.parent() else {
        return false;
    };
    match kind(parent) {
        Kind::FunctionDefinition => field(parent, Field::Name) == Some(identifier),
        Kind::Attribute => {
            field(parent, Field::Attribute) == Some(identifier)
                && field(parent, Field::Object).is_some_and(|object| {
                    matches!(text.get(object.byte_range()), Some("self" | "cls"))
                })
        }
        Kind::Assignment => {
            field(parent, Field::Left) == Some(identifier)
                && parent
                    .parent()
                    .and_then(|statement| statement.parent())
                    .and_then(|block| block.parent())
                    .is_some_and(|class| kind(class) == Kind::ClassDefinition)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mandated_names() {
        for name in [
            "setUp",
            "useFixture",
            "assertJsonEqual",
            "failIfEqual",
            "maxDiff",
        ] {
            assert!(mandated(name).is_some(), "{name}");
        }
        for name in ["set_up", "assert_called", "assertion", "helper"] {
            assert!(mandated(name).is_none(), "{name}");
        }
    }
}
