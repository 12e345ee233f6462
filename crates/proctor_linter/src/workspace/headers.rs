//! A cheap textual scan of `class Name(Base, ...)` headers, to know which classes are
//! subclassed somewhere in the workspace without parsing every file.
//!
//! The scan is deliberately loose: a header-shaped line inside a string also counts. That only
//! ever makes a class look subclassed when it is not, which makes the rules that ask quieter,
//! never louder.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The longest base list the scan reads, in bytes.
const MAX_HEADER_BYTES: usize = 4096;

/// One class header: its name and the last component of each base (`test.TestCase` →
/// `TestCase`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    pub name: String,
    pub bases: Vec<String>,
}

/// Every `class` header of a text.
pub fn scan(text: &str) -> Vec<Header> {
    let mut out = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let trimmed = line.trim_start();
        let Some(rest) = trimmed.strip_prefix("class") else {
            continue;
        };
        if !rest.starts_with([' ', '\t']) {
            continue;
        }
        let rest = rest.trim_start();
        let name_len = rest
            .find(|c: char| !(c == '_' || c.is_alphanumeric()))
            .unwrap_or(rest.len());
        if name_len == 0 {
            continue;
        }
        let name = &rest[..name_len];
        let after = rest[name_len..].trim_start();
        let mut bases = Vec::new();
        if after.starts_with('(') {
            let list_start = start + (line.len() - after.len()) + 1;
            bases = base_names(text, list_start);
        }
        out.push(Header {
            name: name.to_string(),
            bases,
        });
    }
    out
}

/// The last components of the bases in the list starting at `from` (just after `(`).
fn base_names(text: &str, from: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut current = String::new();
    let end = crate::text::floor_char_boundary(text, from.saturating_add(MAX_HEADER_BYTES));
    let Some(list) = text.get(from..end.max(from)) else {
        return out;
    };
    for c in list.chars() {
        match c {
            '(' | '[' | '{' => {
                depth += 1;
                current.push(c);
            }
            ')' if depth == 0 => {
                push_base(&mut out, &current);
                return out;
            }
            ')' | ']' | '}' => {
                depth = depth.saturating_sub(1);
                current.push(c);
            }
            ',' if depth == 0 => {
                push_base(&mut out, &current);
                current.clear();
            }
            _ => current.push(c),
        }
    }
    push_base(&mut out, &current);
    out
}

/// Records the names a base expression mentions. A plain base (`test.TestCase`) gives its last
/// component; a call or subscript (`six.with_metaclass(Meta, Base)`) gives every name in it, so
/// `Base` counts as subclassed. Keyword names (`metaclass=`) are skipped.
fn push_base(out: &mut Vec<String>, written: &str) {
    let chars: Vec<char> = written.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '_' || c.is_alphabetic() {
            let start = i;
            while i < chars.len()
                && (chars[i] == '_' || chars[i] == '.' || chars[i].is_alphanumeric())
            {
                i += 1;
            }
            let token: String = chars[start..i].iter().collect();
            let mut j = i;
            while j < chars.len() && chars[j].is_whitespace() {
                j += 1;
            }
            let is_keyword = chars.get(j) == Some(&'=') && chars.get(j + 1) != Some(&'=');
            if !is_keyword && let Some(last) = token.rsplit('.').next().filter(|l| !l.is_empty()) {
                out.push(last.to_string());
            }
        } else {
            i += 1;
        }
    }
}

/// The headers of every file of one source root, by the names their bases use.
#[derive(Debug, Default)]
pub struct HeaderIndex {
    per_file: HashMap<PathBuf, Vec<Header>>,
    /// Base name → how many headers name it.
    base_counts: HashMap<String, usize>,
    /// Whether every file could be read (a listing cut short leaves the index partial).
    pub complete: bool,
}

impl HeaderIndex {
    /// Records (or replaces) the headers of one file.
    pub fn set_file(&mut self, path: &Path, headers: Vec<Header>) {
        self.remove_file(path);
        for header in &headers {
            for base in &header.bases {
                *self.base_counts.entry(base.clone()).or_default() += 1;
            }
        }
        self.per_file.insert(path.to_path_buf(), headers);
    }

    pub fn remove_file(&mut self, path: &Path) {
        if let Some(old) = self.per_file.remove(path) {
            for header in old {
                for base in header.bases {
                    if let Some(count) = self.base_counts.get_mut(&base) {
                        *count = count.saturating_sub(1);
                        if *count == 0 {
                            self.base_counts.remove(&base);
                        }
                    }
                }
            }
        }
    }

    pub fn contains_file(&self, path: &Path) -> bool {
        self.per_file.contains_key(path)
    }

    /// Whether a class of a file other than `except` names `name` as a base.
    pub fn is_base_elsewhere(&self, name: &str, except: Option<&Path>) -> bool {
        let total = self.base_counts.get(name).copied().unwrap_or(0);
        let own = except
            .and_then(|path| self.per_file.get(path))
            .map(|headers| {
                headers
                    .iter()
                    .flat_map(|h| &h.bases)
                    .filter(|b| *b == name)
                    .count()
            })
            .unwrap_or(0);
        total > own
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_with_multi_line_and_keyword_bases() {
        let text = "class A:\n    pass\n\nclass B(test.TestCase,\n        helpers.Mixin,\n):\n    class Inner(A, metaclass=abc.ABCMeta): pass\nclassic = 1\nclass C(six.with_metaclass(M, Base)): pass\n";
        let headers = scan(text);
        let names: Vec<&str> = headers.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(names, vec!["A", "B", "Inner", "C"]);
        assert!(headers[0].bases.is_empty());
        assert_eq!(headers[1].bases, vec!["TestCase", "Mixin"]);
        assert_eq!(headers[2].bases, vec!["A", "ABCMeta"]);
        assert_eq!(headers[3].bases, vec!["with_metaclass", "M", "Base"]);
    }

    #[test]
    fn unterminated_headers_are_bounded() {
        let text = format!("class X(Base, {}", "y".repeat(10_000));
        let headers = scan(&text);
        assert_eq!(headers[0].bases[0], "Base");
        assert!(headers[0].bases.iter().all(|b| b.len() <= MAX_HEADER_BYTES));
    }

    #[test]
    fn index_counts_other_files() {
        let mut index = HeaderIndex::default();
        index.set_file(Path::new("/a.py"), scan("class T(Base): pass\n"));
        assert!(index.is_base_elsewhere("Base", None));
        assert!(!index.is_base_elsewhere("Base", Some(Path::new("/a.py"))));
        index.set_file(Path::new("/b.py"), scan("class U(m.Base): pass\n"));
        assert!(index.is_base_elsewhere("Base", Some(Path::new("/a.py"))));
        index.remove_file(Path::new("/b.py"));
        assert!(!index.is_base_elsewhere("Base", Some(Path::new("/a.py"))));
    }
}
