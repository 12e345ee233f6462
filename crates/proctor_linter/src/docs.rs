//! The rule documentation pages under `docs/rules/`, generated from the rules' own docs.

use crate::registry::all_rules;

/// The sections every rule doc has, in order (`Known limits` is optional).
pub const REQUIRED_SECTIONS: &[&str] = &[
    "### What it flags",
    "### Why it matters",
    "### Example",
    "### Use instead",
    "### Fix",
];

/// `(file name, contents)` of every generated page: one per rule and an index.
pub fn generated_pages() -> Vec<(String, String)> {
    let mut pages: Vec<(String, String)> = all_rules()
        .map(|rule| (format!("{}.md", rule.code), rule.render_markdown()))
        .collect();
    pages.push(("README.md".to_string(), rule_table(true)));
    pages
}

/// The table of all rules, as Markdown. With `links`, codes link to their pages.
pub fn rule_table(links: bool) -> String {
    let mut out = String::from(
        "# Rules\n\nGenerated from the rules' own documentation; `proctor rule CODE` prints the same text.\n\n\
         | code | name | category | default | severity | fix | what it flags |\n|---|---|---|---|---|---|---|\n",
    );
    if !links {
        out = String::from(
            "| code | name | category | default | severity | fix | what it flags |\n|---|---|---|---|---|---|---|\n",
        );
    }
    for rule in all_rules() {
        let code = if links {
            format!("[{0}]({0}.md)", rule.code)
        } else {
            rule.code.to_string()
        };
        out.push_str(&format!(
            "| {code} | {} | {} | {} | {} | {} | {} |\n",
            rule.name,
            rule.category,
            if rule.default_enabled { "on" } else { "off" },
            rule.severity.as_str(),
            rule.fix.map_or("—", |f| f.as_str()),
            rule.summary,
        ));
    }
    out
}
