//! `proctor check`: find the files, check them in parallel, fix, and report.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use proctor_linter::discovery::{ConfigResolver, build_workspace, read_source};
use proctor_linter::fix::{FixMode, FixResult, fix_source};
use proctor_linter::settings::Selection;
use proctor_linter::{Diagnostic, LineIndex, Settings, Workspace, check_source};
use rayon::prelude::*;

use crate::cache::Cache;
use crate::walk::{absolute, discover, display_path};
use crate::{CheckArgs, OutputFormat, diff, output};

/// What checking one file produced.
pub struct FileResult {
    /// The path as given or found, for reading and writing.
    pub path: PathBuf,
    /// The path for display (relative to the current directory when inside it).
    pub display: String,
    /// The text the findings refer to (after fixes, when fixing).
    pub source: String,
    pub lines: LineIndex,
    pub diagnostics: Vec<Diagnostic>,
    /// The fixes applied (or that would be, with `--diff`).
    pub fixed: Option<FixResult>,
    /// The text before fixing, for `--diff`.
    pub original: Option<String>,
}

/// A file that could not be checked.
pub struct FileError {
    pub display: String,
    pub message: String,
}

pub fn run(args: &CheckArgs) -> Result<ExitCode> {
    let selection = Selection {
        select: args.select.clone(),
        extend_select: args.extend_select.clone(),
        ignore: args.ignore.clone(),
    };
    // Unknown selectors on the command line are usage errors, reported before any work.
    Settings::default()
        .apply(&selection)
        .map_err(|m| anyhow::anyhow!("{m}"))?;
    let resolver = match &args.config {
        Some(path) => ConfigResolver::with_config_file(path)?,
        None => ConfigResolver::new(),
    };
    let resolver = resolver.with_overrides(move |settings| settings.apply(&selection));
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let discovered = discover(&paths, &resolver)?;
    let mut errors: Vec<FileError> = discovered
        .errors
        .iter()
        .map(|(path, message)| FileError {
            display: display_path(path),
            message: message.clone(),
        })
        .collect();

    let fixing = args.fix || args.diff;
    let fix_mode = if args.unsafe_fixes {
        FixMode::Unsafe
    } else {
        FixMode::Safe
    };
    let cache = (!args.no_cache && !fixing && !args.parse_only).then(Cache::load);
    let absolute_roots: Vec<PathBuf> = paths.iter().map(|p| absolute(p)).collect();
    let absolute_files: Vec<PathBuf> = discovered.files.iter().map(|p| absolute(p)).collect();
    let workspace = build_workspace(&absolute_roots, &absolute_files);
    let progress = progress_bar(discovered.files.len(), args.quiet);
    let parsed_bytes = AtomicUsize::new(0);

    let outcomes: Vec<Result<FileResult, FileError>> = discovered
        .files
        .par_iter()
        .map(|path| {
            let outcome = if args.parse_only {
                parse_only(path, &parsed_bytes)
            } else {
                check_file(
                    path,
                    &resolver,
                    &workspace,
                    cache.as_ref(),
                    fixing.then_some(fix_mode),
                )
            };
            progress.inc(1);
            outcome
        })
        .collect();
    progress.finish_and_clear();

    let mut results = Vec::with_capacity(outcomes.len());
    for outcome in outcomes {
        match outcome {
            Ok(result) => results.push(result),
            Err(error) => errors.push(error),
        }
    }
    if let Some(cache) = cache
        && let Err(e) = cache.save()
    {
        errors.push(FileError {
            display: ".proctor_cache".into(),
            message: format!("cannot write the cache: {e}"),
        });
    }

    if args.parse_only {
        if !args.quiet {
            eprintln!(
                "Parsed {} files ({} bytes)",
                results.len(),
                parsed_bytes.load(Ordering::Relaxed)
            );
        }
        return Ok(report_errors(&errors, ExitCode::SUCCESS));
    }

    if args.fix {
        for result in &results {
            if let Some(fixed) = &result.fixed
                && fixed.changed()
                && let Err(e) = write_atomically(&result.path, fixed.source.as_bytes())
            {
                errors.push(FileError {
                    display: result.display.clone(),
                    message: format!("cannot write fixes: {e}"),
                });
            }
        }
    }

    let mut stdout = std::io::stdout().lock();
    if args.diff {
        let mut would_fix = 0;
        for result in &results {
            if let (Some(fixed), Some(original)) = (&result.fixed, &result.original)
                && fixed.changed()
            {
                would_fix += fixed.applied_count();
                write!(
                    stdout,
                    "{}",
                    diff::unified(original, &fixed.source, &result.display)
                )?;
            }
        }
        if !args.quiet {
            eprintln!("Would fix {would_fix} finding{}.", plural(would_fix));
        }
        let code = if would_fix > 0 && !args.exit_zero {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        };
        return Ok(report_errors(&errors, code));
    }

    let total: usize = results.iter().map(|r| r.diagnostics.len()).sum();
    if args.statistics {
        output::statistics(&mut stdout, &results)?;
    } else {
        match args.output_format {
            OutputFormat::Text => output::text::write(&mut stdout, &results)?,
            OutputFormat::Concise => output::concise(&mut stdout, &results)?,
            OutputFormat::Json => output::json::write(&mut stdout, &results)?,
            OutputFormat::Sarif => output::sarif::write(&mut stdout, &results)?,
            OutputFormat::Github => output::github(&mut stdout, &results)?,
            OutputFormat::Review => output::review::write(&mut stdout, &results)?,
        }
    }
    stdout.flush()?;
    if !args.quiet
        && matches!(
            args.output_format,
            OutputFormat::Text | OutputFormat::Concise
        )
    {
        summary(&results, total, args.fix, fix_mode);
    }
    let code = if total > 0 && !args.exit_zero {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    };
    Ok(report_errors(&errors, code))
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn summary(results: &[FileResult], total: usize, fixed: bool, mode: FixMode) {
    let applied: usize = results
        .iter()
        .filter_map(|r| r.fixed.as_ref())
        .map(FixResult::applied_count)
        .sum();
    if fixed && applied > 0 {
        eprintln!("Fixed {applied} finding{}.", plural(applied));
    }
    if total == 0 {
        if !fixed || applied == 0 {
            eprintln!(
                "All checks passed ({} file{} checked).",
                results.len(),
                plural(results.len())
            );
        }
        return;
    }
    let fixable = results
        .iter()
        .flat_map(|r| &r.diagnostics)
        .filter(|d| d.fix.as_ref().is_some_and(|f| mode.allows(f.applicability)))
        .count();
    let unsafe_fixable = results
        .iter()
        .flat_map(|r| &r.diagnostics)
        .filter(|d| {
            d.fix
                .as_ref()
                .is_some_and(|f| f.applicability == proctor_linter::Applicability::Unsafe)
        })
        .count();
    let files = results.iter().filter(|r| !r.diagnostics.is_empty()).count();
    let mut line = format!(
        "Found {total} finding{} in {files} file{}",
        plural(total),
        plural(files)
    );
    if fixable > 0 {
        line.push_str(&format!(" ({fixable} fixable with `--fix`)"));
    }
    line.push('.');
    eprintln!("{line}");
    if mode == FixMode::Safe && unsafe_fixable > 0 {
        eprintln!("{unsafe_fixable} more fixable with `--fix --unsafe-fixes`.");
    }
}

/// Prints one line per file that could not be checked; errors make the exit code 2.
fn report_errors(errors: &[FileError], code: ExitCode) -> ExitCode {
    if errors.is_empty() {
        return code;
    }
    let mut stderr = std::io::stderr().lock();
    for error in errors {
        let _ = writeln!(stderr, "error: {}: {}", error.display, error.message);
    }
    ExitCode::from(2)
}

fn check_file(
    path: &Path,
    resolver: &ConfigResolver,
    workspace: &Workspace,
    cache: Option<&Cache>,
    fix: Option<FixMode>,
) -> Result<FileResult, FileError> {
    let display = display_path(path);
    let error = |message: String| FileError {
        display: display.clone(),
        message,
    };
    let source = read_source(path).map_err(error)?;
    let absolute = absolute(path);
    let resolved = resolver
        .settings_for(&absolute)
        .map_err(|e| error(e.to_string()))?;
    let settings = &resolved.settings;
    let key = settings.fingerprint() ^ workspace.fingerprint_for(&absolute).rotate_left(17);
    let content = Cache::content_hash(&source);
    if let Some(fix_mode) = fix {
        let fixed = fix_source(&source, Some(&absolute), settings, workspace, fix_mode);
        let remaining = check_source(&fixed.source, Some(&absolute), settings, workspace);
        log_panics(&display, &remaining.panics);
        return Ok(FileResult {
            path: path.to_path_buf(),
            display,
            lines: LineIndex::new(&fixed.source),
            source: fixed.source.clone(),
            diagnostics: remaining.diagnostics,
            fixed: Some(fixed),
            original: Some(source),
        });
    }
    let diagnostics = match cache.and_then(|c| c.get(&absolute, content, key)) {
        Some(diagnostics) => diagnostics,
        None => {
            let output = check_source(&source, Some(&absolute), settings, workspace);
            log_panics(&display, &output.panics);
            if output.panics.is_empty()
                && let Some(cache) = cache
            {
                cache.put(&absolute, content, key, &output.diagnostics);
            }
            output.diagnostics
        }
    };
    Ok(FileResult {
        path: path.to_path_buf(),
        display,
        lines: LineIndex::new(&source),
        source,
        diagnostics,
        fixed: None,
        original: None,
    })
}

fn log_panics(display: &str, panics: &[proctor_linter::engine::RulePanic]) {
    for panic in panics {
        eprintln!(
            "error: {display}: rule {} failed: {} (please report this)",
            panic.rule, panic.message
        );
    }
}

fn parse_only(path: &Path, bytes: &AtomicUsize) -> Result<FileResult, FileError> {
    let display = display_path(path);
    let source = read_source(path).map_err(|message| FileError {
        display: display.clone(),
        message,
    })?;
    let tree = proctor_linter::parse::parse(&source, None);
    bytes.fetch_add(tree.root_node().end_byte(), Ordering::Relaxed);
    Ok(FileResult {
        path: path.to_path_buf(),
        display,
        lines: LineIndex::default(),
        source: String::new(),
        diagnostics: Vec::new(),
        fixed: None,
        original: None,
    })
}

fn progress_bar(files: usize, quiet: bool) -> ProgressBar {
    use std::io::IsTerminal;
    if quiet || files < 100 || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(files as u64), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} checking {pos}/{len} files {wide_bar} {eta}")
    {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// Writes a file by writing a sibling temporary file and renaming it over the original, keeping
/// the original's permissions, so a crash never leaves a half-written file.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = dir.join(format!(".{name}.proctor-{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        if let Ok(metadata) = std::fs::metadata(path) {
            std::fs::set_permissions(&temporary, metadata.permissions())?;
        }
        std::fs::rename(&temporary, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result
        .with_context(|| format!("writing {}", path.display()))
        .map_err(std::io::Error::other)
}
