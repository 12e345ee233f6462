use std::collections::{BTreeMap, HashMap, HashSet};

use crate::Applicability;
use crate::diagnostic::{Diagnostic, Edit, Fix};
use crate::model::{Class, FileModel, FunctionKind, SetupKind};
use crate::registry::RuleId;
use crate::rule::{Category, FileContext, Rule, Severity};
use crate::summary::{FunctionSummary, SelfWrite};
use crate::rules::inconsistent_naming::exemption_reason;
use crate::text::line_ending;
use crate::workspace::{FileClasses, MroEntry};

pub const RULE: Rule = Rule {
    id: RuleId::UntypedSetupAttribute,
    code: "TQ204",
    name: "untyped-setup-attribute",
    category: Category::Typing,
    default_enabled: true,
    severity: Severity::Info,
    fix: Some(Applicability::Safe),
    summary: "an attribute assigned in `setUp` with no annotation in the class body",
    doc: r#"
### What it flags
An attribute assigned on `self` in `setUp` or `asyncSetUp` (or on `cls` in `setUpClass`) that
has no annotation in the class body:
`self.neutron = self.useFixture(nova_fixtures.NeutronFixture(self))` in a class without
`neutron: nova_fixtures.NeutronFixture`.

Attributes that belong to a base class are left to it: those a base declares in its body or
sets up in its own `setUp` (in this file, or in another through the workspace), unittest's own
(`maxDiff`), and methods of the class or its bases replaced on the instance
(`self._start_compute = mock.Mock()`).

### Why it matters
The attributes made in `setUp` are the vocabulary of every test of the class:
`self.neutron`, `self.api`, `self.compute1`. Without a declaration, a reader has to open
`setUp` (or a base class in another file) to learn what they are, the editor cannot complete
`self.neutron.` and a type checker cannot see that a test uses the fixture wrongly. One
annotation line per attribute in the class body fixes all three.

### Example
```python
class TestEvacuateResourceTrackerRace(test.TestCase):
    """Demonstrate bug #1896463."""

    def setUp(self):
        super().setUp()
        self.neutron = self.useFixture(nova_fixtures.NeutronFixture(self))
        self.ctxt = context.get_admin_context()
```

### Use instead
```python
class TestEvacuateResourceTrackerRace(test.TestCase):
    """Demonstrate bug #1896463."""

    neutron: nova_fixtures.NeutronFixture
    ctxt: context.RequestContext

    def setUp(self):
        super().setUp()
        self.neutron = self.useFixture(nova_fixtures.NeutronFixture(self))
        self.ctxt = context.get_admin_context()
```

### Fix
Safe, when the type is evident from the assigned value: `X(...)` and
`self.useFixture(X(...))` give `X`, spelled as the file imports it; `mock.patch(...).start()`
and `mock.patch.object(...).start()` (without `new`, `new_callable` or `autospec`) give
`mock.MagicMock`; `mock.Mock()` gives `mock.Mock`; literals give their builtin type (`int`,
`str`, `list`…). The annotations go right after the class docstring, at the body's
indentation. Every finding of a class carries the same fix, adding all of the class's evident
annotations at once, so applying them never conflicts. Other values (a helper's result, an
attribute of a fixture) need a human to name the type.

### Known limits
Bases the workspace cannot resolve are not looked into. Attributes that already
have a class-level value (`api = None`) are reported without a fix: annotate that line. A
class whose body starts on its `class` line gets no fix.
"#,
    function_check: None,
    module_check: None,
    file_check: Some(check),
};

fn is_checked_setup(function: &FunctionSummary) -> bool {
    function.parent.is_none()
        && matches!(
            function.kind,
            FunctionKind::Setup(SetupKind::SetUp | SetupKind::SetUpClass | SetupKind::AsyncSetUp)
        )
}

fn check(ctx: &FileContext, out: &mut Vec<Diagnostic>) {
    // Per class, the first unannotated write of each attribute, in source order.
    let mut per_class: BTreeMap<usize, Vec<(&FunctionSummary, &SelfWrite)>> = BTreeMap::new();
    for function in ctx.functions {
        if !is_checked_setup(function) {
            continue;
        }
        let Some(class) = function.class else {
            continue;
        };
        let writes = per_class.entry(class).or_default();
        for write in &function.self_writes {
            if !write.annotated && !writes.iter().any(|(_, w)| w.name == write.name) {
                writes.push((function, write));
            }
        }
    }
    let classes = FileClasses::new(ctx.workspace, ctx.file, ctx.functions);
    let written: HashMap<usize, HashSet<&str>> = per_class
        .iter()
        .map(|(id, writes)| (*id, writes.iter().map(|(_, w)| w.name.as_str()).collect()))
        .collect();
    for (class_id, writes) in &per_class {
        let Some(class) = ctx.file.classes.get(*class_id) else {
            continue;
        };
        let mro = classes.mro(class.id);
        let mut declared = declared_names(ctx.file, class);
        // A method of the class or of a base replaced on the instance (a stub, a property
        // setter): not an attribute to declare.
        declared.extend(class.method_names.iter().map(String::as_str));
        // Declared (annotated or assigned) in the body of a base class of another file, or set
        // up by a base class of this file: the base is where it belongs.
        for entry in mro.entries.iter().skip(1) {
            if let MroEntry::Class(info) = entry {
                declared.extend(info.class_attributes.iter().map(String::as_str));
                declared.extend(info.methods.keys().map(String::as_str));
                if let Some(names) = info.local_id.and_then(|id| written.get(&id)) {
                    declared.extend(names.iter().copied());
                }
            }
        }
        let mut pending: Vec<(&FunctionSummary, &SelfWrite, Option<String>)> = writes
            .iter()
            .copied()
            .filter(|(_, w)| {
                !declared.contains(w.name.as_str())
                    && exemption_reason(&w.name).is_none()
                    && !mro.entries.iter().any(|e| {
                        matches!(e, MroEntry::Framework(framework) if framework.method(&w.name).is_some())
                    })
            })
            .map(|(f, w)| {
                let spelled = w
                    .evident_type
                    .clone()
                    .filter(|t| usable_in_class_body(ctx.file, class, t));
                (f, w, spelled)
            })
            .collect();
        pending.sort_by_key(|(_, w, _)| w.statement.start);
        let fix = class_fix(ctx.file, class, &pending);
        for (function, write, spelled) in &pending {
            let receiver = if function.kind == FunctionKind::Setup(SetupKind::SetUpClass) {
                "cls"
            } else {
                "self"
            };
            let class_value = class.class_attributes.contains(&write.name);
            let message = match spelled {
                Some(spelled) if class_value => format!(
                    "`{receiver}.{name}` is assigned in `{setup}` without a class-level annotation; annotate the class-level `{name} = ...` of `{class}` as `{name}: {spelled}`",
                    name = write.name,
                    setup = function.name,
                    class = class.name,
                ),
                Some(spelled) => format!(
                    "`{receiver}.{name}` is assigned in `{setup}` without a class-level annotation; add `{name}: {spelled}` to the body of `{class}`",
                    name = write.name,
                    setup = function.name,
                    class = class.name,
                ),
                None => format!(
                    "`{receiver}.{name}` is assigned in `{setup}` without a class-level annotation; declare `{name}: <type>` in the body of `{class}`",
                    name = write.name,
                    setup = function.name,
                    class = class.name,
                ),
            };
            let own_fix = spelled.as_ref().filter(|_| !class_value).and(fix.clone());
            out.push(
                Diagnostic::new(RuleId::UntypedSetupAttribute, write.target, message)
                    .with_optional_fix(own_fix),
            );
        }
    }
}

/// Names annotated in the class body or in the bodies of its base classes in this file.
fn declared_names<'a>(file: &'a FileModel, class: &'a Class) -> HashSet<&'a str> {
    let by_name: HashMap<&str, &Class> = file
        .classes
        .iter()
        .filter(|c| c.parent.is_none())
        .map(|c| (c.name.as_str(), c))
        .collect();
    let mut out = HashSet::new();
    let mut seen = HashSet::new();
    let mut stack = vec![class];
    while let Some(current) = stack.pop() {
        if !seen.insert(current.id) {
            continue;
        }
        out.extend(current.annotations.iter().map(|a| a.name.as_str()));
        for base in &current.bases {
            if let Some(parent) = by_name.get(base.text.as_str()) {
                stack.push(parent);
            }
        }
    }
    out
}

/// Whether a type spelled for a `setUp` value can be written in the class body: its first
/// name is a builtin type, imported at module level, or a class of the file defined above.
fn usable_in_class_body(file: &FileModel, class: &Class, spelled: &str) -> bool {
    let root = spelled.split('.').next().unwrap_or(spelled);
    if !spelled.contains('.')
        && file.imports.get(root).is_none()
        && !file.module_names.contains(root)
    {
        // A builtin type (the summary only spells builtins that nothing shadows).
        return true;
    }
    if file.imports.get(root).is_some() {
        return true;
    }
    file.classes
        .iter()
        .any(|c| c.parent.is_none() && c.name == root && c.range.end <= class.range.start)
}

/// One fix adding every evident annotation of the class, right after its docstring.
fn class_fix(
    file: &FileModel,
    class: &Class,
    pending: &[(&FunctionSummary, &SelfWrite, Option<String>)],
) -> Option<Fix> {
    let lines: Vec<(&str, &str)> = pending
        .iter()
        .filter(|(_, w, _)| !class.class_attributes.contains(&w.name))
        .filter_map(|(_, w, t)| t.as_deref().map(|t| (w.name.as_str(), t)))
        .collect();
    let (first, _) = lines.first()?;
    let header_line = file.lines.line_of(class.name_range.start);
    let at = class.after_docstring.unwrap_or(class.body_start);
    if file.lines.line_of(class.body.start) == header_line
        || file.lines.line_of(at) <= header_line
        || at > file.source.len()
    {
        return None;
    }
    let source = file.source;
    let eol = line_ending(source);
    // A blank line between the docstring and the annotations, and between the annotations
    // and code that follows them directly.
    let mut content = String::new();
    if class.after_docstring.is_some() {
        content.push_str(eol);
    }
    for (name, spelled) in &lines {
        content.push_str(&class.body_indent);
        content.push_str(&format!("{name}: {spelled}{eol}"));
    }
    let following = file.lines.line_range(file.lines.line_of(at), source);
    if !source[following.as_range()].trim().is_empty() {
        content.push_str(eol);
    }
    let title = match lines.len() {
        1 => format!("Annotate `{first}` in the body of `{}`", class.name),
        n => format!(
            "Annotate `{first}` and {} other `setUp` attribute{} in the body of `{}`",
            n - 1,
            if n == 2 { "" } else { "s" },
            class.name
        ),
    };
    Some(Fix::safe(title, vec![Edit::insert(at, content)]))
}
