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
    UndocumentedHelper => undocumented_helper,
    UndocumentedFixture => undocumented_fixture,
    RestatingComment => restating_comment,
    NarrativeCommentInTest => narrative_comment_in_test,
    InconsistentNaming => inconsistent_naming,
    MixedTestNameStyle => mixed_test_name_style,
    UntypedHelper => untyped_helper,
    UntypedSetupAttribute => untyped_setup_attribute,
    SleepInTest => sleep_in_test,
    SleepPollingLoop => sleep_polling_loop,
    UnboundedWait => unbounded_wait,
    NetworkInTest => network_in_test,
    PatchWithoutAutospec => patch_without_autospec,
    HandwrittenPatchReplacement => handwritten_patch_replacement,
    MockAssertionMisuse => mock_assertion_misuse,
    MonkeypatchByAssignment => monkeypatch_by_assignment,
    MockWithoutSpec => mock_without_spec,
    TestWithoutAssertion => test_without_assertion,
    AssertionRoulette => assertion_roulette,
    SuboptimalAssert => suboptimal_assert,
    RedundantAssertion => redundant_assertion,
    DuplicateAssertion => duplicate_assertion,
    BroadExceptionAssertion => broad_exception_assertion,
    MagicNumberAssertion => magic_number_assertion,
    ExceptionHandlingInTest => exception_handling_in_test,
    CompositeAssertion => composite_assertion,
    LongTest => long_test,
    MultiScenarioTest => multi_scenario_test,
    ConditionalTestLogic => conditional_test_logic,
    EmptyTest => empty_test,
    SkipWithoutReason => skip_without_reason,
    PrintInTest => print_in_test,
    ConstructorInTestClass => constructor_in_test_class,
    ObscureInlineSetup => obscure_inline_setup,
    UndiscoverableTest => undiscoverable_test,
    DuplicateTestName => duplicate_test_name,
    GeneralFixture => general_fixture,
    ResourceWithoutCleanup => resource_without_cleanup,
    MissingSuperSetup => missing_super_setup,
    UnusedFixtureArgument => unused_fixture_argument,
    UnknownFixture => unknown_fixture,
    InsecureTempFile => insecure_temp_file,
    HardcodedTmpPath => hardcoded_tmp_path,
    ShellInjection => shell_injection,
    UnsafeDeserialization => unsafe_deserialization,
    TlsVerificationDisabled => tls_verification_disabled,
    LeakedSecret => leaked_secret,
}
