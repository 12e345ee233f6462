//! Findings and fixes as plain data.

use crate::registry::RuleId;
use crate::text::TextRange;

/// How safe a fix is to apply without looking.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Applicability {
    /// Keeps behaviour: applied by `--fix` and `source.fixAll`.
    Safe,
    /// May change behaviour: applied only with `--unsafe-fixes`, or by hand in the editor.
    Unsafe,
    /// Rewrites a shape and leaves a marked place for the author: never applied by `--fix`.
    Refactor,
}

impl Applicability {
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::Safe => "safe",
            Applicability::Unsafe => "unsafe",
            Applicability::Refactor => "refactor",
        }
    }
}

/// Replace the bytes of `range` with `content` (an insertion when the range is empty).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Edit {
    pub range: TextRange,
    pub content: String,
}

impl Edit {
    pub fn insert(offset: usize, content: impl Into<String>) -> Self {
        Self {
            range: TextRange::empty(offset),
            content: content.into(),
        }
    }

    pub fn replace(range: TextRange, content: impl Into<String>) -> Self {
        Self {
            range,
            content: content.into(),
        }
    }

    pub fn delete(range: TextRange) -> Self {
        Self {
            range,
            content: String::new(),
        }
    }
}

/// A set of edits that together resolve (or start resolving) one finding.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Fix {
    pub applicability: Applicability,
    /// The action's title, e.g. "Add docstring stub".
    pub message: String,
    /// Non-overlapping edits, sorted by position.
    pub edits: Vec<Edit>,
    /// Modules the fixed code needs imported at module level (`threading`). A function check
    /// must not edit outside its unit (its output is reused when only other text changes), so
    /// it names the module here and [`crate::engine::finish`] turns the request into an
    /// `import` edit against the current text, or drops it when the module is imported
    /// already. Empty in every finished [`Diagnostic`].
    pub required_imports: Vec<String>,
}

impl Fix {
    pub fn new(
        applicability: Applicability,
        message: impl Into<String>,
        mut edits: Vec<Edit>,
    ) -> Self {
        edits.sort_by_key(|edit| (edit.range.start, edit.range.end));
        Self {
            applicability,
            message: message.into(),
            edits,
            required_imports: Vec::new(),
        }
    }

    /// Asks for `import <module>` at module level (see [`Fix::required_imports`]).
    pub fn with_import(mut self, module: impl Into<String>) -> Self {
        let module = module.into();
        if !self.required_imports.contains(&module) {
            self.required_imports.push(module);
        }
        self
    }

    pub fn safe(message: impl Into<String>, edits: Vec<Edit>) -> Self {
        Self::new(Applicability::Safe, message, edits)
    }

    pub fn unsafe_edit(message: impl Into<String>, edits: Vec<Edit>) -> Self {
        Self::new(Applicability::Unsafe, message, edits)
    }

    pub fn refactor(message: impl Into<String>, edits: Vec<Edit>) -> Self {
        Self::new(Applicability::Refactor, message, edits)
    }

    /// The smallest range covering every edit.
    pub fn range(&self) -> Option<TextRange> {
        let start = self.edits.iter().map(|e| e.range.start).min()?;
        let end = self.edits.iter().map(|e| e.range.end).max()?;
        Some(TextRange::new(start, end))
    }

    pub(crate) fn shift(&mut self, delta: isize) {
        for edit in &mut self.edits {
            edit.range = edit.range.shifted(delta);
        }
    }
}

/// One finding of one rule.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Diagnostic {
    pub rule: RuleId,
    pub range: TextRange,
    /// Names the thing, not the rule: "`self.glance` is set up for every test but used by none".
    pub message: String,
    pub fix: Option<Fix>,
}

impl Diagnostic {
    pub fn new(rule: RuleId, range: TextRange, message: impl Into<String>) -> Self {
        Self {
            rule,
            range,
            message: message.into(),
            fix: None,
        }
    }

    pub fn with_fix(mut self, fix: Fix) -> Self {
        self.fix = Some(fix);
        self
    }

    pub fn with_optional_fix(mut self, fix: Option<Fix>) -> Self {
        self.fix = fix;
        self
    }

    /// Moves the finding and its fix by `delta` bytes.
    pub fn shift(&mut self, delta: isize) {
        self.range = self.range.shifted(delta);
        if let Some(fix) = &mut self.fix {
            fix.shift(delta);
        }
    }
}
