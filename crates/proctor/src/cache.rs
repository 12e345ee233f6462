//! The content cache: an unchanged file with unchanged settings is not checked again.
//!
//! One file under `.proctor_cache/<version>/` in the current directory maps each checked file's
//! absolute path to the hash of its content, the fingerprint of its settings (and of the
//! workspace facts it depends on) and its findings. A hit skips parsing and every rule; a miss
//! is checked and recorded. The file is written atomically at the end of a run, and only when
//! the run recorded something new.
//!
//! # Format
//!
//! A warm run reads the whole cache before checking anything, so the format is made to be read
//! fast: a small binary layout (all integers little-endian), where loading only indexes the
//! entries and each entry's findings are decoded when a worker thread asks for them.
//!
//! ```text
//! file    = MAGIC entry*
//! entry   = str(path) u64(content) u64(settings) u32(payload length) payload
//! payload = u32(count) finding*
//! finding = str(code) u64(start) u64(end) str(message) u8(fix: 0 none, 1 safe, 2 unsafe,
//!           3 refactor) [str(fix message) u32(count) (u64(start) u64(end) str(content))*]
//! str     = u32(length) UTF-8 bytes
//! ```
//!
//! A file that does not start with [`MAGIC`], or that ends inside an entry, loads as far as it
//! is whole; a payload that does not decode is a miss.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use proctor_linter::{Applicability, Diagnostic, Edit, Fix, TextRange, find_rule};

const DIRECTORY: &str = ".proctor_cache";
const FILE_NAME: &str = "cache.bin";
/// The name of the cache file of earlier builds, removed when the cache is written.
const LEGACY_FILE_NAME: &str = "cache.json";
const MAGIC: &[u8; 8] = b"PRCACHE\x01";

/// One file's record.
struct Entry {
    content: u64,
    settings: u64,
    /// The encoded findings, in the loaded bytes or owned.
    payload: Payload,
}

enum Payload {
    Loaded(Range<usize>),
    Owned(Vec<u8>),
}

/// A loaded cache, shared by the worker threads of one run.
pub struct Cache {
    path: PathBuf,
    bytes: Vec<u8>,
    old: HashMap<String, Entry>,
    new: Mutex<HashMap<String, Entry>>,
}

impl Cache {
    /// Loads the cache of the current directory (an unreadable or stale cache is empty).
    pub fn load() -> Cache {
        let path = PathBuf::from(DIRECTORY)
            .join(env!("CARGO_PKG_VERSION"))
            .join(FILE_NAME);
        let bytes = std::fs::read(&path).unwrap_or_default();
        let old = index(&bytes);
        Cache {
            path,
            bytes,
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
        let payload = match &entry.payload {
            Payload::Loaded(range) => self.bytes.get(range.clone())?,
            Payload::Owned(bytes) => bytes.as_slice(),
        };
        decode(payload)
    }

    pub fn put(&self, file: &Path, content: u64, settings: u64, diagnostics: &[Diagnostic]) {
        let entry = Entry {
            content,
            settings,
            payload: Payload::Owned(encode(diagnostics)),
        };
        if let Ok(mut new) = self.new.lock() {
            new.insert(file.to_string_lossy().into_owned(), entry);
        }
    }

    /// Writes the cache: entries of this run, plus earlier entries for files not checked now.
    /// A run that only read from the cache leaves the file as it is.
    pub fn save(self) -> std::io::Result<()> {
        let Ok(new) = self.new.into_inner() else {
            return Ok(());
        };
        if new.is_empty() {
            return Ok(());
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
        let mut out = Vec::with_capacity(self.bytes.len());
        out.extend_from_slice(MAGIC);
        let kept = self.old.iter().filter(|(path, _)| !new.contains_key(*path));
        for (path, entry) in kept.chain(new.iter()) {
            let payload = match &entry.payload {
                Payload::Loaded(range) => self.bytes.get(range.clone()).unwrap_or_default(),
                Payload::Owned(bytes) => bytes.as_slice(),
            };
            put_str(&mut out, path);
            put_u64(&mut out, entry.content);
            put_u64(&mut out, entry.settings);
            put_u32(&mut out, payload.len());
            out.extend_from_slice(payload);
        }
        crate::check::write_atomically(&self.path, &out)?;
        let legacy = dir.join(LEGACY_FILE_NAME);
        if legacy.exists() {
            let _ = std::fs::remove_file(legacy);
        }
        Ok(())
    }
}

/// The entries of a cache file, their findings left encoded.
fn index(bytes: &[u8]) -> HashMap<String, Entry> {
    let mut entries = HashMap::new();
    let mut reader = Reader {
        bytes,
        at: MAGIC.len(),
    };
    if bytes.get(..MAGIC.len()) != Some(MAGIC.as_slice()) {
        return entries;
    }
    while reader.at < bytes.len() {
        let entry = (|| {
            let path = reader.str()?.to_string();
            let content = reader.u64()?;
            let settings = reader.u64()?;
            let length = reader.u32()?;
            let start = reader.at;
            reader.take(length)?;
            Some((
                path,
                Entry {
                    content,
                    settings,
                    payload: Payload::Loaded(start..start + length),
                },
            ))
        })();
        let Some((path, entry)) = entry else { break };
        entries.insert(path, entry);
    }
    entries
}

fn encode(diagnostics: &[Diagnostic]) -> Vec<u8> {
    let mut out = Vec::new();
    put_u32(&mut out, diagnostics.len());
    for d in diagnostics {
        put_str(&mut out, d.rule.code());
        put_u64(&mut out, d.range.start as u64);
        put_u64(&mut out, d.range.end as u64);
        put_str(&mut out, &d.message);
        match &d.fix {
            None => out.push(0),
            Some(fix) => {
                out.push(match fix.applicability {
                    Applicability::Safe => 1,
                    Applicability::Unsafe => 2,
                    Applicability::Refactor => 3,
                });
                put_str(&mut out, &fix.message);
                put_u32(&mut out, fix.edits.len());
                for edit in &fix.edits {
                    put_u64(&mut out, edit.range.start as u64);
                    put_u64(&mut out, edit.range.end as u64);
                    put_str(&mut out, &edit.content);
                }
            }
        }
    }
    out
}

fn decode(payload: &[u8]) -> Option<Vec<Diagnostic>> {
    let mut reader = Reader {
        bytes: payload,
        at: 0,
    };
    let count = reader.u32()?;
    // Every finding takes at least this many bytes: a corrupt count cannot reserve much.
    let mut out = Vec::with_capacity(count.min(payload.len() / 29));
    for _ in 0..count {
        let rule = find_rule(reader.str()?)?;
        let start = usize::try_from(reader.u64()?).ok()?;
        let end = usize::try_from(reader.u64()?).ok()?;
        let message = reader.str()?.to_string();
        let applicability = match reader.u8()? {
            0 => None,
            1 => Some(Applicability::Safe),
            2 => Some(Applicability::Unsafe),
            3 => Some(Applicability::Refactor),
            _ => return None,
        };
        let fix = match applicability {
            None => None,
            Some(applicability) => {
                let title = reader.str()?.to_string();
                let edits = reader.u32()?;
                let mut list = Vec::with_capacity(edits.min(payload.len() / 20));
                for _ in 0..edits {
                    let start = usize::try_from(reader.u64()?).ok()?;
                    let end = usize::try_from(reader.u64()?).ok()?;
                    let content = reader.str()?.to_string();
                    list.push(Edit::replace(TextRange::new(start, end), content));
                }
                Some(Fix::new(applicability, title, list))
            }
        };
        out.push(Diagnostic {
            rule: rule.id,
            range: TextRange::new(start, end),
            message,
            fix,
        });
    }
    Some(out)
}

fn put_u32(out: &mut Vec<u8>, value: usize) {
    // Lengths and counts of one file's findings stay far below 4 GiB.
    out.extend_from_slice(&(value.min(u32::MAX as usize) as u32).to_le_bytes());
}

fn put_u64(out: &mut Vec<u8>, value: u64) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put_str(out: &mut Vec<u8>, text: &str) {
    put_u32(out, text.len());
    out.extend_from_slice(text.as_bytes());
}

/// Reads the cache's integers and strings; every read is bounds-checked.
struct Reader<'b> {
    bytes: &'b [u8],
    at: usize,
}

impl<'b> Reader<'b> {
    fn take(&mut self, length: usize) -> Option<&'b [u8]> {
        let end = self.at.checked_add(length)?;
        let taken = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(taken)
    }

    fn u8(&mut self) -> Option<u8> {
        self.take(1)?.first().copied()
    }

    fn u32(&mut self) -> Option<usize> {
        let bytes: [u8; 4] = self.take(4)?.try_into().ok()?;
        usize::try_from(u32::from_le_bytes(bytes)).ok()
    }

    fn u64(&mut self) -> Option<u64> {
        let bytes: [u8; 8] = self.take(8)?.try_into().ok()?;
        Some(u64::from_le_bytes(bytes))
    }

    fn str(&mut self) -> Option<&'b str> {
        let length = self.u32()?;
        std::str::from_utf8(self.take(length)?).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proctor_linter::RuleId;

    fn sample() -> Vec<Diagnostic> {
        let fix = Fix::new(
            Applicability::Unsafe,
            "Add docstring stub",
            vec![
                Edit::replace(TextRange::new(10, 10), "    \"\"\"Doc.\"\"\"\n"),
                Edit::replace(TextRange::new(2, 5), "é"),
            ],
        );
        vec![
            Diagnostic::new(
                RuleId::MissingTestDocstring,
                TextRange::new(1, 9),
                "Test `test_é` has no docstring",
            )
            .with_optional_fix(Some(fix)),
            Diagnostic::new(RuleId::MissingTestDocstring, TextRange::new(20, 30), ""),
        ]
    }

    #[test]
    fn findings_survive_encoding() {
        let diagnostics = sample();
        assert_eq!(decode(&encode(&diagnostics)), Some(diagnostics));
        assert_eq!(decode(&encode(&[])), Some(Vec::new()));
    }

    #[test]
    fn damaged_payloads_and_files_are_misses() {
        let encoded = encode(&sample());
        for cut in 0..encoded.len() {
            assert_eq!(decode(&encoded[..cut]), None, "cut at {cut}");
        }
        let mut unknown = encode(&sample());
        // The first code's first letter: `TQ101` becomes `XQ101`.
        unknown[8] = b'X';
        assert_eq!(decode(&unknown), None);
        assert!(index(b"not a cache").is_empty());
        let mut file = MAGIC.to_vec();
        put_str(&mut file, "/a.py");
        put_u64(&mut file, 1);
        put_u64(&mut file, 2);
        put_u32(&mut file, encoded.len());
        file.extend_from_slice(&encoded);
        let whole = file.len();
        put_str(&mut file, "/b.py");
        file.extend_from_slice(&[1, 2, 3]);
        let entries = index(&file);
        assert_eq!(entries.len(), 1, "the cut entry is dropped");
        let entry = &entries["/a.py"];
        assert_eq!((entry.content, entry.settings), (1, 2));
        assert!(matches!(&entry.payload, Payload::Loaded(r) if r.end == whole));
    }
}
