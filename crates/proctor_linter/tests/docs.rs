//! `docs/rules/` is generated from the rules' own docs; this test fails when it is stale.
//!
//! Regenerate with `PROCTOR_UPDATE_DOCS=1 cargo test -p proctor_linter --test docs`.

use std::path::{Path, PathBuf};

fn docs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/rules")
}

fn readme() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md")
}

/// The README's rule table sits between these markers.
const START: &str = "<!-- rules:start -->\n";
const END: &str = "<!-- rules:end -->";

#[test]
fn readme_rule_table_is_fresh() {
    let text = std::fs::read_to_string(readme()).expect("README.md");
    let (Some(start), Some(end)) = (text.find(START), text.find(END)) else {
        panic!("README.md lacks the rule table markers");
    };
    let table = proctor_linter::docs::rule_table(false);
    let current = &text[start + START.len()..end];
    if current != table && std::env::var_os("PROCTOR_UPDATE_DOCS").is_some() {
        let updated = format!("{}{}{}", &text[..start + START.len()], table, &text[end..]);
        std::fs::write(readme(), updated).expect("write README.md");
        return;
    }
    assert_eq!(
        current, table,
        "the README's rule table is stale; run PROCTOR_UPDATE_DOCS=1 cargo test -p proctor_linter --test docs"
    );
}

#[test]
fn generated_rule_docs_are_fresh() {
    let dir = docs_dir();
    let pages = proctor_linter::docs::generated_pages();
    if std::env::var_os("PROCTOR_UPDATE_DOCS").is_some() {
        std::fs::create_dir_all(&dir).expect("create docs/rules");
        for entry in std::fs::read_dir(&dir).expect("read docs/rules").flatten() {
            if entry.path().extension().is_some_and(|e| e == "md") {
                std::fs::remove_file(entry.path()).expect("remove stale page");
            }
        }
        for (name, contents) in &pages {
            std::fs::write(dir.join(name), contents).expect("write page");
        }
    }
    let mut stale = Vec::new();
    for (name, contents) in &pages {
        match std::fs::read_to_string(dir.join(name)) {
            Ok(existing) if existing == *contents => {}
            _ => stale.push(name.clone()),
        }
    }
    let expected: std::collections::HashSet<&String> = pages.iter().map(|(n, _)| n).collect();
    for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".md") && !expected.contains(&name) {
            stale.push(format!("{name} (no such rule)"));
        }
    }
    assert!(
        stale.is_empty(),
        "docs/rules is stale: {stale:?}; run PROCTOR_UPDATE_DOCS=1 cargo test -p proctor_linter --test docs"
    );
}
