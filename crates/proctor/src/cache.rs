//! The content cache: an unchanged file with unchanged settings is not checked again.
//!
//! One JSON file under `.proctor_cache/<version>/` in the current directory maps each checked
//! file's absolute path to the hash of its content, the fingerprint of its settings (and of the
//! workspace facts it depends on) and its findings. A hit skips parsing and every rule; a miss
//! is checked and recorded. The file is written atomically at the end of a run.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use proctor_linter::{Applicability, Diagnostic, Edit, Fix, TextRange, find_rule};
use serde::{Deserialize, Serialize};

const DIRECTORY: &str = ".proctor_cache";

#[derive(Serialize, Deserialize, Default)]
struct CacheFile {
    entries: HashMap<String, Entry>,
}

#[derive(Serialize, Deserialize, Clone)]
struct Entry {
    content: u64,
    settings: u64,
    diagnostics: Vec<CachedDiagnostic>,
}

#[derive(Serialize, Deserialize, Clone)]
struct CachedDiagnostic {
    code: String,
    start: usize,
    end: usize,
    message: String,
    fix: Option<CachedFix>,
}

#[derive(Serialize, Deserialize, Clone)]
struct CachedFix {
    applicability: String,
    message: String,
    edits: Vec<(usize, usize, String)>,
}

/// A loaded cache, shared by the worker threads of one run.
pub struct Cache {
    path: PathBuf,
    old: HashMap<String, Entry>,
    new: Mutex<HashMap<String, Entry>>,
}

impl Cache {
    /// Loads the cache of the current directory (an unreadable or stale cache is empty).
    pub fn load() -> Cache {
        let path = PathBuf::from(DIRECTORY)
            .join(env!("CARGO_PKG_VERSION"))
            .join("cache.json");
        let old = std::fs::read(&path)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<CacheFile>(&bytes).ok())
            .map(|file| file.entries)
            .unwrap_or_default();
        Cache {
            path,
            old,
            new: Mutex::new(HashMap::new()),
        }
    }

    pub fn content_hash(source: &str) -> u64 {
        xxhash_rust::xxh3::xxh3_64(source.as_bytes())
    }

    /// The cached findings for a file, if its content and settings are unchanged.
    pub fn get(&self, file: &Path, content: u64, settings: u64) -> Option<Vec<Diagnostic>> {
        let key = file.to_string_lossy();
        let entry = self.old.get(key.as_ref())?;
        if entry.content != content || entry.settings != settings {
            return None;
        }
        let diagnostics: Option<Vec<Diagnostic>> = entry.diagnostics.iter().map(decode).collect();
        let diagnostics = diagnostics?;
        if let Ok(mut new) = self.new.lock() {
            new.insert(key.into_owned(), entry.clone());
        }
        Some(diagnostics)
    }

    pub fn put(&self, file: &Path, content: u64, settings: u64, diagnostics: &[Diagnostic]) {
        let entry = Entry {
            content,
            settings,
            diagnostics: diagnostics.iter().map(encode).collect(),
        };
        if let Ok(mut new) = self.new.lock() {
            new.insert(file.to_string_lossy().into_owned(), entry);
        }
    }

    /// Writes the cache: entries of this run, plus earlier entries for files not checked now.
    pub fn save(self) -> std::io::Result<()> {
        let mut entries = self.old;
        if let Ok(new) = self.new.into_inner() {
            entries.extend(new);
        }
        let Some(dir) = self.path.parent() else {
            return Ok(());
        };
        std::fs::create_dir_all(dir)?;
        let root = PathBuf::from(DIRECTORY);
        let ignore = root.join(".gitignore");
        if !ignore.exists() {
            std::fs::write(&ignore, "# Proctor's cache: never commit it.\n*\n")?;
        }
        let bytes = serde_json::to_vec(&CacheFile { entries }).map_err(std::io::Error::other)?;
        crate::check::write_atomically(&self.path, &bytes)
    }
}

fn encode(d: &Diagnostic) -> CachedDiagnostic {
    CachedDiagnostic {
        code: d.rule.code().to_string(),
        start: d.range.start,
        end: d.range.end,
        message: d.message.clone(),
        fix: d.fix.as_ref().map(|f| CachedFix {
            applicability: f.applicability.as_str().to_string(),
            message: f.message.clone(),
            edits: f
                .edits
                .iter()
                .map(|e| (e.range.start, e.range.end, e.content.clone()))
                .collect(),
        }),
    }
}

fn decode(d: &CachedDiagnostic) -> Option<Diagnostic> {
    let rule = find_rule(&d.code)?;
    let fix = match &d.fix {
        None => None,
        Some(f) => {
            let applicability = match f.applicability.as_str() {
                "safe" => Applicability::Safe,
                "unsafe" => Applicability::Unsafe,
                "refactor" => Applicability::Refactor,
                _ => return None,
            };
            let edits = f
                .edits
                .iter()
                .map(|(start, end, content)| {
                    Edit::replace(TextRange::new(*start, *end), content.clone())
                })
                .collect();
            Some(Fix::new(applicability, f.message.clone(), edits))
        }
    };
    Some(Diagnostic {
        rule: rule.id,
        range: TextRange::new(d.start, d.end),
        message: d.message.clone(),
        fix,
    })
}
