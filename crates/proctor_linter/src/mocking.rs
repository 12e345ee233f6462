//! What the patching APIs look like: which calls patch something, what they patch, and what
//! they put in its place.
//!
//! Several rules read patches (TQ401 wants a spec, TQ402 a mock rather than a hand-written
//! function, TQ103 names what a nested stub stands in for). They all classify a call here,
//! from the dotted path its callee resolves to, so the spellings each API accepts live in one
//! place.

use tree_sitter::Node;

use crate::model::{call_arguments, dotted_name};
use crate::syntax::{Field, Kind, field, kind};

/// A patching API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PatchApi {
    /// `mock.patch(target, new, spec, create, spec_set, autospec, new_callable, **kwargs)`,
    /// and pytest-mock's `mocker.patch`.
    Patch,
    /// `mock.patch.object(target, attribute, new, spec, create, spec_set, autospec,
    /// new_callable, **kwargs)`, and `mocker.patch.object` / `mocker.patch.context_manager`.
    PatchObject,
    /// `mock.patch.multiple(target, spec, create, spec_set, autospec, new_callable,
    /// **attributes)`, and `mocker.patch.multiple`.
    PatchMultiple,
    /// `fixtures.MockPatch(obj, new, **kwargs)`: `mock.patch` as a fixture.
    MockPatch,
    /// `fixtures.MockPatchObject(obj, attr, new, **kwargs)`: `mock.patch.object` as a fixture.
    MockPatchObject,
    /// `fixtures.MonkeyPatch(name, new_value)`: a plain replacement, no mock.
    MonkeyPatch,
    /// `self.stub_out(old, new)`, the OpenStack test-base helper over `MonkeyPatch`.
    StubOut,
    /// pytest's `monkeypatch.setattr(target, name, value)` or `setattr("dotted.name", value)`.
    MonkeypatchSetattr,
}

impl PatchApi {
    /// Whether the API puts a `unittest.mock` object in place of the target unless told
    /// otherwise (the APIs that take `autospec`).
    pub fn creates_mock(self) -> bool {
        matches!(
            self,
            PatchApi::Patch
                | PatchApi::PatchObject
                | PatchApi::PatchMultiple
                | PatchApi::MockPatch
                | PatchApi::MockPatchObject
        )
    }

    fn from_path(path: &str) -> Option<PatchApi> {
        Some(match path {
            "unittest.mock.patch" => PatchApi::Patch,
            "unittest.mock.patch.object" => PatchApi::PatchObject,
            "unittest.mock.patch.multiple" => PatchApi::PatchMultiple,
            "fixtures.MockPatch" | "fixtures._fixtures.mockpatch.MockPatch" => PatchApi::MockPatch,
            "fixtures.MockPatchObject" | "fixtures._fixtures.mockpatch.MockPatchObject" => {
                PatchApi::MockPatchObject
            }
            "fixtures.MonkeyPatch" | "fixtures._fixtures.monkeypatch.MonkeyPatch" => {
                PatchApi::MonkeyPatch
            }
            _ => return None,
        })
    }

    /// Spellings that go through a fixture or attribute rather than an import.
    fn from_unresolved(dotted: &str) -> Option<PatchApi> {
        let (receiver, rest) = dotted.split_once('.')?;
        if MOCKER_FIXTURES.contains(&receiver) {
            return Some(match rest {
                "patch" => PatchApi::Patch,
                "patch.object" | "patch.context_manager" => PatchApi::PatchObject,
                "patch.multiple" => PatchApi::PatchMultiple,
                _ => return None,
            });
        }
        match (receiver, rest) {
            ("self", "stub_out") => Some(PatchApi::StubOut),
            ("monkeypatch", "setattr") => Some(PatchApi::MonkeypatchSetattr),
            _ => None,
        }
    }
}

/// pytest-mock's fixtures, one per scope.
const MOCKER_FIXTURES: &[&str] = &[
    "mocker",
    "class_mocker",
    "module_mocker",
    "package_mocker",
    "session_mocker",
];

/// What a patch puts in place of its target.
#[derive(Clone, Copy, Debug)]
pub struct Replacement<'t> {
    pub value: Node<'t>,
    /// The `new=...` keyword argument, when the replacement is passed by keyword.
    pub keyword: Option<Node<'t>>,
}

/// A call to a patching API.
#[derive(Clone, Debug)]
pub struct PatchCall<'t> {
    pub api: PatchApi,
    pub call: Node<'t>,
    /// The callee as written: `fixtures.MockPatch`, `mock.patch.object`.
    pub callee: &'t str,
    /// Positional arguments, up to the first keyword or splat.
    pub positional: Vec<Node<'t>>,
    /// `*args` or `**kwargs` among the arguments: any argument may be present.
    pub has_splat: bool,
    /// The replacement, when one is given (positionally or by keyword).
    pub new: Option<Replacement<'t>>,
    source: &'t str,
}

/// The last names of every patching callee: a cheap test that spares resolving the callee
/// of every other call.
const PATCH_NAMES: &[&str] = &[
    "patch",
    "object",
    "multiple",
    "context_manager",
    "MockPatch",
    "MockPatchObject",
    "MonkeyPatch",
    "stub_out",
    "setattr",
];

/// Classifies a call, resolving its callee with `resolve` (through the imports in scope) only
/// when its name could be a patching API's.
pub fn find_patch<'t>(
    source: &'t str,
    call: Node<'t>,
    resolve: impl Fn(Node) -> Option<String>,
) -> Option<PatchCall<'t>> {
    let function = field(call, Field::Function)?;
    match kind(function) {
        // `patch(...)` imported under any name.
        Kind::Identifier => {
            let resolved = resolve(function)?;
            patch_call(source, call, Some(&resolved))
        }
        Kind::Attribute => {
            let name = field(function, Field::Attribute).and_then(|a| source.get(a.byte_range()));
            if !name.is_some_and(|n| PATCH_NAMES.contains(&n)) {
                return None;
            }
            patch_call(source, call, resolve(function).as_deref())
        }
        _ => None,
    }
}

/// Classifies a call; `resolved` is its callee's dotted path through the imports, if any.
pub fn patch_call<'t>(
    source: &'t str,
    call: Node<'t>,
    resolved: Option<&str>,
) -> Option<PatchCall<'t>> {
    let function = field(call, Field::Function)?;
    let api = match resolved {
        Some(path) => PatchApi::from_path(path)?,
        None => PatchApi::from_unresolved(&dotted_name(source, function)?)?,
    };
    let arguments = call_arguments(call);
    let has_splat = arguments
        .iter()
        .any(|a| matches!(kind(*a), Kind::ListSplat | Kind::DictionarySplat));
    let positional: Vec<Node<'t>> = arguments
        .iter()
        .copied()
        .take_while(|a| {
            !matches!(
                kind(*a),
                Kind::KeywordArgument | Kind::ListSplat | Kind::DictionarySplat
            )
        })
        .collect();
    let mut patch = PatchCall {
        api,
        call,
        callee: source.get(function.byte_range()).unwrap_or(""),
        positional,
        has_splat,
        new: None,
        source,
    };
    patch.new = patch.find_new();
    Some(patch)
}

impl<'t> PatchCall<'t> {
    /// The value of keyword argument `name`.
    pub fn keyword(&self, name: &str) -> Option<Node<'t>> {
        self.keyword_argument(name)
            .and_then(|k| field(k, Field::Value))
    }

    /// The whole `name=value` argument.
    pub fn keyword_argument(&self, name: &str) -> Option<Node<'t>> {
        call_arguments(self.call).into_iter().find(|arg| {
            kind(*arg) == Kind::KeywordArgument
                && field(*arg, Field::Name)
                    .and_then(|n| self.source.get(n.byte_range()))
                    .is_some_and(|n| n == name)
        })
    }

    /// Whether the call names one of `keywords`.
    pub fn has_keyword(&self, keywords: &[&str]) -> bool {
        keywords.iter().any(|k| self.keyword_argument(k).is_some())
    }

    /// Where the replacement goes positionally, and its keyword name.
    fn new_slot(&self) -> Option<(usize, &'static str)> {
        Some(match self.api {
            PatchApi::Patch | PatchApi::MockPatch | PatchApi::StubOut => (1, "new"),
            PatchApi::PatchObject | PatchApi::MockPatchObject => (2, "new"),
            PatchApi::MonkeyPatch => (1, "new_value"),
            PatchApi::MonkeypatchSetattr => {
                let dotted_form = self.positional.len() == 2
                    && self.positional.first().is_some_and(|t| {
                        matches!(kind(*t), Kind::String | Kind::ConcatenatedString)
                    });
                (if dotted_form { 1 } else { 2 }, "value")
            }
            PatchApi::PatchMultiple => return None,
        })
    }

    fn find_new(&self) -> Option<Replacement<'t>> {
        let (position, name) = self.new_slot()?;
        if let Some(keyword) = self.keyword_argument(name) {
            return field(keyword, Field::Value).map(|value| Replacement {
                value,
                keyword: Some(keyword),
            });
        }
        self.positional.get(position).map(|value| Replacement {
            value: *value,
            keyword: None,
        })
    }

    /// The replacement, unless it is `mock.DEFAULT` (which means "make a mock").
    pub fn explicit_new(
        &self,
        resolve: impl Fn(Node) -> Option<String>,
    ) -> Option<Replacement<'t>> {
        self.new
            .filter(|r| resolve(r.value).as_deref() != Some("unittest.mock.DEFAULT"))
    }

    /// What is patched, as a dotted path when it can be read: the target string of
    /// `patch('a.b.C.m')`, or `obj.attr` for `patch.object(obj, 'attr')`.
    pub fn target(&self) -> Option<String> {
        let source = self.source;
        let first = self
            .positional
            .first()
            .copied()
            .or_else(|| self.keyword("target"))?;
        let object_and_attribute = match self.api {
            PatchApi::PatchObject | PatchApi::MockPatchObject => true,
            PatchApi::MonkeypatchSetattr => self.new_slot().is_some_and(|(p, _)| p == 2),
            _ => false,
        };
        if object_and_attribute {
            let attribute = string_value(source, *self.positional.get(1)?)?;
            // `patch.object(self.computes['src'].manager, 'x')`: the attribute alone.
            return Some(match dotted_name(source, first) {
                Some(object) => format!("{object}.{attribute}"),
                None => attribute,
            });
        }
        string_value(source, first).or_else(|| dotted_name(source, first))
    }
}

/// The last two parts of a dotted path: `nova.objects.instance.Instance.save` →
/// `Instance.save` — the short name a reader recognises.
pub fn short_target(target: &str) -> &str {
    let mut dots = target.rmatch_indices('.');
    dots.next();
    match dots.next() {
        Some((at, _)) => &target[at + 1..],
        None => target,
    }
}

/// The value of a string literal without interpolation (implicit concatenation joined), or
/// `None` for f-strings with placeholders and anything else.
pub fn string_value(source: &str, node: Node) -> Option<String> {
    match kind(node) {
        Kind::String => {
            let mut cursor = node.walk();
            let mut start = None;
            let mut end = None;
            for child in node.children(&mut cursor) {
                match kind(child) {
                    Kind::StringStart => start = Some(child.end_byte()),
                    Kind::StringEnd => end = Some(child.start_byte()),
                    Kind::Interpolation => return None,
                    _ => {}
                }
            }
            source.get(start?..end?).map(str::to_string)
        }
        // `'nova.virt.Driver' + '.method'`
        Kind::BinaryOperator => {
            let operator = field(node, Field::Operator)?;
            if operator.kind() != "+" {
                return None;
            }
            let left = string_value(source, field(node, Field::Left)?)?;
            let right = string_value(source, field(node, Field::Right)?)?;
            Some(left + &right)
        }
        Kind::ConcatenatedString => {
            let mut cursor = node.walk();
            let parts: Vec<Node> = node.named_children(&mut cursor).collect();
            let mut out = String::new();
            for part in parts {
                if kind(part) == Kind::Comment {
                    continue;
                }
                out.push_str(&string_value(source, part)?);
            }
            Some(out)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FileModel;
    use crate::parse::parse;

    fn first_call(source: &str) -> (String, Option<String>, Option<String>) {
        let tree = parse(source, None);
        let file = FileModel::build(&tree, source, None);
        let mut stack = vec![tree.root_node()];
        while let Some(node) = stack.pop() {
            if kind(node) == Kind::Call {
                let resolved = field(node, Field::Function).and_then(|f| file.resolve(f));
                let patch = patch_call(source, node, resolved.as_deref()).expect("a patch");
                return (
                    format!("{:?}", patch.api),
                    patch.target(),
                    patch.new.map(|n| file.text(n.value).to_string()),
                );
            }
            let mut cursor = node.walk();
            let children: Vec<Node> = node.named_children(&mut cursor).collect();
            stack.extend(children.into_iter().rev());
        }
        panic!("no call in {source}");
    }

    #[test]
    fn patches_are_classified() {
        assert_eq!(
            first_call("import fixtures\nfixtures.MockPatch(\n  'a.b.'\n  'C.m', new=f)\n"),
            ("MockPatch".into(), Some("a.b.C.m".into()), Some("f".into()))
        );
        assert_eq!(
            first_call(
                "from unittest import mock\nmock.patch.object(objects.Instance, 'save', g)\n"
            ),
            (
                "PatchObject".into(),
                Some("objects.Instance.save".into()),
                Some("g".into())
            )
        );
        assert_eq!(
            first_call("mocker.patch('os.getcwd', return_value='/')\n"),
            ("Patch".into(), Some("os.getcwd".into()), None)
        );
        assert_eq!(
            first_call("monkeypatch.setattr('os.getcwd', fake)\n"),
            (
                "MonkeypatchSetattr".into(),
                Some("os.getcwd".into()),
                Some("fake".into())
            )
        );
        assert_eq!(
            first_call("self.stub_out('nova.db.api.x', fake)\n"),
            (
                "StubOut".into(),
                Some("nova.db.api.x".into()),
                Some("fake".into())
            )
        );
    }

    #[test]
    fn short_targets() {
        assert_eq!(
            short_target("nova.objects.instance.Instance.drop_migration_context"),
            "Instance.drop_migration_context"
        );
        assert_eq!(short_target("time.sleep"), "time.sleep");
        assert_eq!(short_target("sleep"), "sleep");
    }
}
