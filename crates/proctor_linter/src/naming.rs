//! Identifier styles: telling `snake_case` from `camelCase`, and spelling a name in the other.

/// The style of an identifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NameStyle {
    /// Lower-case words joined by underscores: `create_server`, `_vm_1_id`.
    Snake,
    /// Lower-case first word, later words capitalised, no underscores: `createServer`.
    Camel,
}

impl NameStyle {
    /// The style of `name`, or `None` when it fits both (`server`), neither (`ServerTest`,
    /// `MAX_WAIT`, `fake_getInfo`), or is a dunder.
    pub fn of(name: &str) -> Option<NameStyle> {
        if name.starts_with("__") && name.ends_with("__") {
            return None;
        }
        let core = name.trim_matches('_');
        if !core.chars().any(|c| c.is_alphabetic()) {
            return None;
        }
        let has_upper = core.chars().any(char::is_uppercase);
        let has_underscore = core.contains('_');
        if !has_upper {
            return has_underscore.then_some(NameStyle::Snake);
        }
        let first_lower = core.chars().next().is_some_and(char::is_lowercase);
        (first_lower && !has_underscore).then_some(NameStyle::Camel)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            NameStyle::Snake => "snake_case",
            NameStyle::Camel => "camelCase",
        }
    }

    pub fn other(self) -> NameStyle {
        match self {
            NameStyle::Snake => NameStyle::Camel,
            NameStyle::Camel => NameStyle::Snake,
        }
    }
}

/// `createServer` → `create_server`, `getHTTPResponse` → `get_http_response`,
/// `_vm1Id` → `_vm1_id`. Leading and trailing underscores are kept.
pub fn to_snake(name: &str) -> String {
    let (prefix, core, suffix) = split_affixes(name);
    let chars: Vec<char> = core.chars().collect();
    let mut out = String::with_capacity(core.len() + 4);
    for (i, c) in chars.iter().enumerate() {
        if c.is_uppercase() && i > 0 {
            let previous = chars.get(i - 1);
            let next = chars.get(i + 1);
            let after_lower = previous.is_some_and(|p| p.is_lowercase() || p.is_ascii_digit());
            let acronym_end = previous.is_some_and(|p| p.is_uppercase())
                && next.is_some_and(|n| n.is_lowercase());
            if (after_lower || acronym_end) && !out.ends_with('_') {
                out.push('_');
            }
        }
        out.extend(c.to_lowercase());
    }
    format!("{prefix}{out}{suffix}")
}

/// `create_server` → `createServer`, `_vm_1_id` → `_vm1Id`. Leading and trailing
/// underscores are kept.
pub fn to_camel(name: &str) -> String {
    let (prefix, core, suffix) = split_affixes(name);
    let mut out = String::with_capacity(core.len());
    for (i, word) in core.split('_').filter(|w| !w.is_empty()).enumerate() {
        if i == 0 {
            out.push_str(word);
        } else {
            let mut chars = word.chars();
            if let Some(first) = chars.next() {
                out.extend(first.to_uppercase());
                out.push_str(chars.as_str());
            }
        }
    }
    format!("{prefix}{out}{suffix}")
}

/// `name` spelled in `style`.
pub fn convert(name: &str, style: NameStyle) -> String {
    match style {
        NameStyle::Snake => to_snake(name),
        NameStyle::Camel => to_camel(name),
    }
}

fn split_affixes(name: &str) -> (&str, &str, &str) {
    let start = name.len() - name.trim_start_matches('_').len();
    let trimmed = &name[start..];
    let core = trimmed.trim_end_matches('_');
    let suffix = &trimmed[core.len()..];
    (&name[..start], core, suffix)
}

/// Python's keywords and soft keywords.
pub const KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield", "match", "case", "type", "_", "print", "exec",
];

/// Builtin names a rename must not shadow.
pub const BUILTINS: &[&str] = &[
    "abs",
    "all",
    "any",
    "ascii",
    "bin",
    "bool",
    "breakpoint",
    "bytearray",
    "bytes",
    "callable",
    "chr",
    "classmethod",
    "compile",
    "complex",
    "delattr",
    "dict",
    "dir",
    "divmod",
    "enumerate",
    "eval",
    "exec",
    "filter",
    "float",
    "format",
    "frozenset",
    "getattr",
    "globals",
    "hasattr",
    "hash",
    "help",
    "hex",
    "id",
    "input",
    "int",
    "isinstance",
    "issubclass",
    "iter",
    "len",
    "list",
    "locals",
    "map",
    "max",
    "memoryview",
    "min",
    "next",
    "object",
    "oct",
    "open",
    "ord",
    "pow",
    "print",
    "property",
    "range",
    "repr",
    "reversed",
    "round",
    "set",
    "setattr",
    "slice",
    "sorted",
    "staticmethod",
    "str",
    "sum",
    "super",
    "tuple",
    "type",
    "vars",
    "zip",
    "self",
    "cls",
];

/// Whether `name` can be a fresh Python name (not a keyword, not a builtin, an identifier).
pub fn is_usable_name(name: &str) -> bool {
    let valid = name
        .chars()
        .next()
        .is_some_and(|c| c == '_' || c.is_alphabetic())
        && name.chars().all(|c| c == '_' || c.is_alphanumeric());
    valid && !KEYWORDS.contains(&name) && !BUILTINS.contains(&name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn styles() {
        assert_eq!(NameStyle::of("create_server"), Some(NameStyle::Snake));
        assert_eq!(NameStyle::of("_create_server"), Some(NameStyle::Snake));
        assert_eq!(NameStyle::of("createServer"), Some(NameStyle::Camel));
        assert_eq!(NameStyle::of("_assertXml"), Some(NameStyle::Camel));
        assert_eq!(NameStyle::of("server"), None);
        assert_eq!(NameStyle::of("ServerTest"), None);
        assert_eq!(NameStyle::of("MAX_WAIT"), None);
        assert_eq!(NameStyle::of("fake_getInfo"), None);
        assert_eq!(NameStyle::of("__init__"), None);
        assert_eq!(NameStyle::of("_"), None);
        assert_eq!(NameStyle::of("vm1Id"), Some(NameStyle::Camel));
    }

    #[test]
    fn conversions() {
        assert_eq!(to_snake("createServer"), "create_server");
        assert_eq!(to_snake("getHTTPResponse"), "get_http_response");
        assert_eq!(to_snake("_vm1Id"), "_vm1_id");
        assert_eq!(to_snake("serverID"), "server_id");
        assert_eq!(to_camel("create_server"), "createServer");
        assert_eq!(to_camel("_vm_1_id"), "_vm1Id");
        assert_eq!(to_camel("class_"), "class_");
        assert_eq!(to_camel("a__b"), "aB");
    }

    #[test]
    fn usable_names() {
        assert!(is_usable_name("foo_bar"));
        assert!(!is_usable_name("type"));
        assert!(!is_usable_name("id"));
        assert!(!is_usable_name("1x"));
    }
}
