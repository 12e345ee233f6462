//! What a rule is: its declaration (code, name, category, defaults, doc) and its checks.
//!
//! A rule has up to three checks, each run at a different grain:
//!
//! - a **function check** runs once per function of a test file (tests, fixtures, `setUp`,
//!   helpers, and functions nested in them) and sees that function's syntax through a
//!   [`FunctionContext`]. It may read the file's skeleton only through position-free facts
//!   (imports, class names, kinds and bases), so its result depends on the unit's own text alone
//!   and can be reused when an edit elsewhere only moves the unit.
//! - a **module check** runs once per file over the statements outside every function.
//! - a **file check** runs once per file over the owned [`FunctionSummary`]s of every function
//!   and the skeleton; it never walks function bodies, so it stays cheap on every keystroke.

use std::fmt;

use tree_sitter::Node;

use crate::diagnostic::{Applicability, Diagnostic};
use crate::model::{Class, FileModel};
use crate::registry::RuleId;
use crate::settings::Settings;
use crate::summary::FunctionSummary;
use crate::unit::{Function, Unit};
use crate::workspace::Workspace;

/// The fixed categories of rules (they appear in JSON output).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Category {
    Docs,
    Naming,
    Typing,
    Timing,
    Mocking,
    Assertions,
    Structure,
    Fixtures,
    Security,
}

impl Category {
    pub const ALL: &'static [Category] = &[
        Category::Docs,
        Category::Naming,
        Category::Typing,
        Category::Timing,
        Category::Mocking,
        Category::Assertions,
        Category::Structure,
        Category::Fixtures,
        Category::Security,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Docs => "docs",
            Category::Naming => "naming",
            Category::Typing => "typing",
            Category::Timing => "timing",
            Category::Mocking => "mocking",
            Category::Assertions => "assertions",
            Category::Structure => "structure",
            Category::Fixtures => "fixtures",
            Category::Security => "security",
        }
    }

    /// A title for reports ("Timing").
    pub fn title(self) -> &'static str {
        match self {
            Category::Docs => "Documentation",
            Category::Naming => "Naming",
            Category::Typing => "Type hints",
            Category::Timing => "Timing",
            Category::Mocking => "Mocking",
            Category::Assertions => "Assertions",
            Category::Structure => "Structure",
            Category::Fixtures => "Fixtures",
            Category::Security => "Security",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

pub type FunctionCheck = fn(&FunctionContext, &mut Vec<Diagnostic>);
pub type ModuleCheck = fn(&ModuleContext, &mut Vec<Diagnostic>);
pub type FileCheck = fn(&FileContext, &mut Vec<Diagnostic>);

/// A rule's declaration. Each rule file defines one `pub const RULE: Rule`.
pub struct Rule {
    pub id: RuleId,
    pub code: &'static str,
    pub name: &'static str,
    pub category: Category,
    pub default_enabled: bool,
    pub severity: Severity,
    /// The kind of fix the rule offers, if any. A test checks every emitted fix against it.
    pub fix: Option<Applicability>,
    /// One line: what it flags (used in the rule table).
    pub summary: &'static str,
    /// Markdown with the sections `What it flags`, `Why it matters`, `Example`, `Use instead`,
    /// `Fix` and, where there are any, `Known limits`. Shown on hover, by `proctor rule`, and
    /// in `docs/rules/`.
    pub doc: &'static str,
    pub function_check: Option<FunctionCheck>,
    pub module_check: Option<ModuleCheck>,
    pub file_check: Option<FileCheck>,
}

impl Rule {
    /// The documentation page: a title, the facts table and the doc.
    pub fn render_markdown(&self) -> String {
        let fix = match self.fix {
            Some(applicability) => applicability.as_str(),
            None => "none",
        };
        format!(
            "# {code} {name}\n\n| category | default | severity | fix |\n|---|---|---|---|\n| {category} | {default} | {severity} | {fix} |\n\n{doc}\n",
            code = self.code,
            name = self.name,
            category = self.category,
            default = if self.default_enabled { "on" } else { "off" },
            severity = self.severity.as_str(),
            doc = self.doc.trim(),
        )
    }

    /// The hover text: the code and name in bold, then the doc.
    pub fn render_hover(&self) -> String {
        format!(
            "**{} {}** ({})\n\n{}",
            self.code,
            self.name,
            self.category,
            self.doc.trim()
        )
    }
}

impl fmt::Debug for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code, self.name)
    }
}

/// What a function check sees.
pub struct FunctionContext<'a, 't> {
    pub file: &'a FileModel<'t>,
    pub settings: &'a Settings,
    pub unit: &'a Unit<'t>,
    pub function: &'a Function<'t>,
}

impl<'a, 't> FunctionContext<'a, 't> {
    pub fn source(&self) -> &'t str {
        self.file.source
    }

    pub fn text(&self, node: Node) -> &'t str {
        self.file.text(node)
    }

    /// A node's source for a message: comments dropped, layout collapsed, at most `max` chars.
    pub fn snippet(&self, node: Node, max: usize) -> String {
        crate::model::snippet_of(self.source(), node, max)
    }

    /// The class the function (or the function it is nested in) belongs to.
    pub fn class(&self) -> Option<&'a Class> {
        self.file.class(self.unit.root().class)
    }

    pub fn parent(&self) -> Option<&'a Function<'t>> {
        self.function
            .parent
            .and_then(|p| self.unit.functions.get(p))
    }

    /// The functions enclosing this one, innermost first.
    pub fn ancestors(&self) -> impl Iterator<Item = &'a Function<'t>> {
        let functions = &self.unit.functions;
        std::iter::successors(self.parent(), move |f| {
            f.parent.and_then(|p| functions.get(p))
        })
    }

    /// Whether the function is a test or is nested in one.
    pub fn in_test(&self) -> bool {
        self.function.is_test() || self.ancestors().any(|f| f.is_test())
    }

    /// Resolves a name or attribute chain through the imports of this function, the functions
    /// around it, and the module.
    pub fn resolve(&self, node: Node) -> Option<String> {
        let scopes = std::iter::once(self.function).chain(self.ancestors());
        for function in scopes {
            if !function.local_imports.is_empty()
                && let Some(path) =
                    crate::model::resolve_with(&function.local_imports, self.source(), node)
            {
                return Some(path);
            }
        }
        self.file.resolve(node)
    }

    /// The resolved dotted path of the callee of a `call` node.
    pub fn callee(&self, call: Node) -> Option<String> {
        let function = crate::syntax::field(call, crate::syntax::Field::Function)?;
        self.resolve(function)
    }

    /// How messages name the function: ``test `test_x` ``, `` `stub` (in test `test_x`) ``,
    /// or `` `helper` ``.
    pub fn describe(&self) -> String {
        let function = self.function;
        if function.is_test() {
            return format!("test `{}`", function.name);
        }
        match self.ancestors().find(|f| f.is_test()) {
            Some(test) => format!("`{}` (in test `{}`)", function.name, test.name),
            None => format!("`{}`", function.name),
        }
    }

    /// Every function nested (at any depth) in this one.
    pub fn descendants(&self) -> Vec<&'a Function<'t>> {
        let mut out = Vec::new();
        let mut stack: Vec<usize> = self.function.children.iter().rev().copied().collect();
        while let Some(index) = stack.pop() {
            if let Some(f) = self.unit.functions.get(index) {
                out.push(f);
                stack.extend(f.children.iter().rev().copied());
            }
        }
        out
    }
}

/// What a module check sees: the statements outside every function.
pub struct ModuleContext<'a, 't> {
    pub file: &'a FileModel<'t>,
    pub settings: &'a Settings,
}

/// What a file check sees: the skeleton and the summaries of every function.
pub struct FileContext<'a, 't> {
    pub file: &'a FileModel<'t>,
    pub settings: &'a Settings,
    pub functions: &'a [FunctionSummary],
    pub workspace: &'a Workspace,
}
