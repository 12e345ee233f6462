//! Proctor's core: Python test code in, findings and fixes out.
//!
//! This crate is pure: it takes source text and [`Settings`] and returns [`Diagnostic`]s. It
//! knows nothing of terminals or the Language Server Protocol. The only file-system access —
//! finding configuration files, and reading the workspace's other modules for the class index
//! ([`workspace`]) — is in [`discovery`].
//!
//! The pipeline for one file: [`parse`] → [`model::FileModel`] (the skeleton) → one
//! [`unit::Unit`] per top-level function or method, where the function checks run →
//! [`summary::FunctionSummary`]s → the module and file checks → `noqa` filtering.

pub mod assertions;
pub mod comments;
pub mod config;
pub mod diagnostic;
pub mod discovery;
pub mod docs;
pub mod engine;
pub mod fix;
pub mod fixes;
pub mod imports;
pub mod mocking;
pub mod model;
pub mod naming;
pub mod noqa;
pub mod parse;
pub mod registry;
pub mod rule;
pub mod rules;
pub mod scope;
pub mod security;
pub mod settings;
pub mod summary;
pub mod syntax;
#[cfg(test)]
mod testing;
pub mod text;
pub mod unit;
pub mod workspace;

pub use diagnostic::{Applicability, Diagnostic, Edit, Fix};
pub use engine::{FileOutput, check_source, check_tree};
pub use registry::{RuleId, RuleSet, all_rules, find_rule};
pub use rule::{Category, Rule, Severity};
pub use settings::Settings;
pub use text::{LineColumn, LineIndex, TextRange};
pub use workspace::Workspace;
