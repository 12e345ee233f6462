//! The `proctor` command: `check`, `review`, `rule` and `server`.

mod alloc;
mod cache;
mod check;
mod diff;
mod output;
mod walk;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[global_allocator]
static ALLOCATOR: alloc::ProcessAllocator = alloc::ProcessAllocator;

/// Routes the parser's allocations (tree-sitter is C, and allocates every node of every syntax
/// tree) to mimalloc as well, when the process allocates through it (see `alloc`).
fn use_mimalloc_for_the_parser() {
    use libmimalloc_sys::{mi_calloc, mi_free, mi_malloc, mi_realloc};
    // SAFETY: this runs first thing in `main`, before any tree-sitter object exists and before
    // any other thread starts, and it is never called again; the four functions are mimalloc's
    // C allocation functions, with the C library's signatures and semantics.
    unsafe {
        tree_sitter::set_allocator(Some(tree_sitter::Allocator {
            malloc: mi_malloc,
            calloc: mi_calloc,
            realloc: mi_realloc,
            free: mi_free,
        }));
    }
}

/// Reviews Python test code: as a checker, a written review, or a language server.
#[derive(Parser, Debug)]
#[command(name = "proctor", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check test files and report findings.
    Check(CheckArgs),
    /// Write a review of test files, in the shape a human reviewer writes.
    Review(CheckArgs),
    /// Print the documentation of a rule, or of all rules.
    Rule(RuleArgs),
    /// Run the language server on standard input and output.
    Server,
}

#[derive(Args, Debug, Clone)]
pub struct CheckArgs {
    /// Files or directories to check (default: the current directory).
    pub paths: Vec<PathBuf>,
    /// Rules to enable, replacing the configured set: codes, prefixes, names, categories, or ALL.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub select: Option<Vec<String>>,
    /// Rules to disable.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub ignore: Vec<String>,
    /// Rules to enable on top of the configured set.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub extend_select: Vec<String>,
    /// Apply safe fixes and write the files.
    #[arg(long)]
    pub fix: bool,
    /// With --fix or --diff, also apply unsafe fixes.
    #[arg(long)]
    pub unsafe_fixes: bool,
    /// Print the changes fixes would make as a unified diff, without writing.
    #[arg(long, conflicts_with = "fix")]
    pub diff: bool,
    /// How to print findings.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub output_format: OutputFormat,
    /// Print a count of findings per rule instead of the findings.
    #[arg(long)]
    pub statistics: bool,
    /// Exit 0 even when there are findings (errors still exit 2).
    #[arg(long)]
    pub exit_zero: bool,
    /// Use this configuration file for every checked file.
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Check every file even if it has not changed since the last run.
    #[arg(long)]
    pub no_cache: bool,
    /// Print only the findings: no summary, no progress.
    #[arg(long, short)]
    pub quiet: bool,
    /// Only read and parse the files (for benchmarks).
    #[arg(long, hide = true)]
    pub parse_only: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    /// Findings with source snippets.
    Text,
    /// One line per finding.
    Concise,
    /// A JSON array of findings.
    Json,
    /// SARIF 2.1.0.
    Sarif,
    /// GitHub Actions annotations.
    Github,
    /// A written review per file (as `proctor review`).
    Review,
}

#[derive(Args, Debug)]
struct RuleArgs {
    /// A rule code (TQ301) or name (sleep-in-test).
    #[arg(required_unless_present = "all")]
    rule: Option<String>,
    /// Print every rule.
    #[arg(long, conflicts_with = "rule")]
    all: bool,
}

fn main() -> ExitCode {
    if alloc::uses_mimalloc() {
        use_mimalloc_for_the_parser();
    }
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check(args) => check::run(&args),
        Command::Review(mut args) => {
            args.output_format = OutputFormat::Review;
            check::run(&args)
        }
        Command::Rule(args) => rule(&args),
        Command::Server => proctor_server::run_stdio().map(|()| ExitCode::SUCCESS),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            let _ = writeln!(std::io::stderr(), "error: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn rule(args: &RuleArgs) -> anyhow::Result<ExitCode> {
    let mut stdout = std::io::stdout().lock();
    if args.all {
        for rule in proctor_linter::all_rules() {
            writeln!(stdout, "{}", rule.render_markdown())?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let wanted = args.rule.as_deref().unwrap_or_default();
    match proctor_linter::find_rule(wanted) {
        Some(rule) => {
            write!(stdout, "{}", rule.render_markdown())?;
            Ok(ExitCode::SUCCESS)
        }
        None => anyhow::bail!(
            "unknown rule `{wanted}`: expected a code such as TQ301 or a name such as sleep-in-test (see `proctor rule --all`)"
        ),
    }
}
