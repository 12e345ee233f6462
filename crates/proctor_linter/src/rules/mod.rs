//! The rules, one file each, and the registry that lists them.
//!
//! To add a rule: write `rules/<name>.rs` with a `pub const RULE: Rule` (see any rule here),
//! then add one line to the `registry!` list below, in code order.

use crate::rule::Rule;

macro_rules! registry {
    ($($variant:ident => $module:ident,)*) => {
        $(pub mod $module;)*

        /// Identifies a rule; its value is its index in [`RULES`].
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum RuleId {
            $($variant,)*
        }

        /// Every rule, in code order.
        pub static RULES: &[&Rule] = &[$(&$module::RULE,)*];
    };
}

registry! {
    MissingTestDocstring => missing_test_docstring,
    MissingTestClassDocstring => missing_test_class_docstring,
    UndocumentedFixture => undocumented_fixture,
    RestatingComment => restating_comment,
    NarrativeCommentInTest => narrative_comment_in_test,
    InconsistentNaming => inconsistent_naming,
    MixedTestNameStyle => mixed_test_name_style,
    UntypedHelper => untyped_helper,
    UntypedSetupAttribute => untyped_setup_attribute,
    AssertionRoulette => assertion_roulette,
    RedundantAssertion => redundant_assertion,
    DuplicateAssertion => duplicate_assertion,
    BroadExceptionAssertion => broad_exception_assertion,
    MagicNumberAssertion => magic_number_assertion,
    ExceptionHandlingInTest => exception_handling_in_test,
    CompositeAssertion => composite_assertion,
    ConditionalTestLogic => conditional_test_logic,
    PrintInTest => print_in_test,
    ConstructorInTestClass => constructor_in_test_class,
    ObscureInlineSetup => obscure_inline_setup,
}
