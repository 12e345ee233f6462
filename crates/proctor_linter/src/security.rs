//! Helpers the security rules share: is a value literal or built at run time, is a node an
//! expected value in an assertion, and does a string have the shape of a real credential.

use tree_sitter::Node;

use crate::rule::FunctionContext;
use crate::syntax::{Field, Kind, field, kind};

/// What is known about where a value comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A constant written in the code (a string without interpolation, a list of them, or a
    /// local variable only ever assigned such constants).
    Literal,
    /// Built at run time: interpolation, concatenation or formatting with a variable, a
    /// parameter, an attribute or a call.
    Dynamic,
    /// A name bound outside the function (a module constant, a loop variable).
    Unknown,
}

/// Where the value of `node` comes from, following local assignments a few steps.
pub fn origin(ctx: &FunctionContext, node: Node) -> Origin {
    origin_at_depth(ctx, node, 0)
}

fn origin_at_depth(ctx: &FunctionContext, node: Node, depth: usize) -> Origin {
    if depth > 4 {
        return Origin::Unknown;
    }
    let source = ctx.source();
    match kind(node) {
        Kind::String => {
            if crate::syntax::named_children(node).any(|c| kind(c) == Kind::Interpolation) {
                Origin::Dynamic
            } else {
                Origin::Literal
            }
        }
        Kind::ConcatenatedString | Kind::List | Kind::Tuple | Kind::ParenthesizedExpression => {
            combine(crate::syntax::named_children(node).map(|c| origin_at_depth(ctx, c, depth + 1)))
        }
        Kind::BinaryOperator => {
            let parts = [field(node, Field::Left), field(node, Field::Right)];
            combine(
                parts
                    .into_iter()
                    .flatten()
                    .map(|c| origin_at_depth(ctx, c, depth + 1)),
            )
        }
        Kind::Integer | Kind::Float | Kind::True | Kind::False | Kind::None => Origin::Literal,
        Kind::Identifier => {
            let Some(name) = source.get(node.byte_range()) else {
                return Origin::Unknown;
            };
            let scopes = std::iter::once(ctx.function).chain(ctx.ancestors());
            let mut values = Vec::new();
            for function in scopes {
                if function
                    .parameter_list(source)
                    .iter()
                    .any(|p| p.name == name)
                {
                    return Origin::Dynamic;
                }
                for assignment in function.nodes(Kind::Assignment) {
                    let Some(left) = field(*assignment, Field::Left) else {
                        continue;
                    };
                    if kind(left) == Kind::Identifier && source.get(left.byte_range()) == Some(name)
                    {
                        match field(*assignment, Field::Right) {
                            Some(right) => values.push(right),
                            None => return Origin::Unknown,
                        }
                    }
                }
                if !values.is_empty() {
                    break;
                }
            }
            if values.is_empty() {
                return Origin::Unknown;
            }
            combine(
                values
                    .into_iter()
                    .map(|v| origin_at_depth(ctx, v, depth + 1)),
            )
        }
        Kind::Attribute | Kind::Call | Kind::Subscript | Kind::Await => Origin::Dynamic,
        _ => Origin::Unknown,
    }
}

fn combine(parts: impl Iterator<Item = Origin>) -> Origin {
    let mut all_literal = true;
    for part in parts {
        match part {
            Origin::Dynamic => return Origin::Dynamic,
            Origin::Unknown => all_literal = false,
            Origin::Literal => {}
        }
    }
    if all_literal {
        Origin::Literal
    } else {
        Origin::Unknown
    }
}

/// Whether `node` sits where a test states an expected value: in a comparison, the arguments
/// of an assertion call (`assertEqual`, `assert_called_once_with`) or of `mock.call(...)`.
/// (A call inside a bare `assert` still runs, so `assert` alone does not count.)
pub fn in_expectation(ctx: &FunctionContext, node: Node) -> bool {
    let stop = ctx.function.node;
    let mut current = node.parent();
    while let Some(parent) = current {
        if parent == stop {
            return false;
        }
        match kind(parent) {
            Kind::ComparisonOperator => return true,
            Kind::Call
                if crate::summary::is_assertion_call(ctx, parent)
                    || ctx.callee(parent).as_deref() == Some("unittest.mock.call") =>
            {
                return true;
            }
            Kind::Block | Kind::FunctionDefinition | Kind::Lambda => return false,
            _ => {}
        }
        current = parent.parent();
    }
    false
}

/// The last name of a call's callee as written (`loads` for `pickle.loads(...)`), for cheap
/// filtering before resolving imports.
pub fn callee_name<'t>(source: &'t str, call: Node) -> Option<&'t str> {
    let function = field(call, Field::Function)?;
    match kind(function) {
        Kind::Identifier => source.get(function.byte_range()),
        Kind::Attribute => {
            field(function, Field::Attribute).and_then(|a| source.get(a.byte_range()))
        }
        _ => None,
    }
}

/// Whether a call may resolve to a function named one of `names`: its callee's last name is
/// one of them, or is an imported alias (resolving is left to the caller).
pub fn may_call(ctx: &FunctionContext, call: Node, names: &[&str]) -> bool {
    let Some(name) = callee_name(ctx.source(), call) else {
        return false;
    };
    names.contains(&name)
        || ctx.file.imports.get(name).is_some()
        || std::iter::once(ctx.function)
            .chain(ctx.ancestors())
            .any(|f| f.local_imports.get(name).is_some())
}

/// The arguments passed positionally at `index`, or by keyword as one of `names`.
pub fn argument<'t>(
    source: &str,
    call: Node<'t>,
    index: usize,
    names: &[&str],
) -> Option<Node<'t>> {
    names
        .iter()
        .find_map(|name| crate::model::keyword_argument(source, call, name))
        .or_else(|| crate::model::positional_arguments(call).get(index).copied())
}

// ---------------------------------------------------------------------------------------------
// Credentials

/// A kind of credential a string can hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Secret {
    pub label: &'static str,
    /// What the message shows of it (a prefix, never the secret).
    pub shown: &'static str,
}

/// A quick test: does `text` contain the prefix of any credential [`find_secret`] knows?
///
/// The prefixes are `-----BEGIN `, `AKIA`, `ASIA`, `ABIA`, `ACCA`, `ghp_`, `gho_`, `ghu_`,
/// `ghs_`, `ghr_`, `github_pat_`, `glpat-`, `xox` and `eyJ`. One pass over the text looks for
/// all of them, by their first byte, instead of one search per prefix.
pub fn may_hold_secret(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.iter().enumerate().any(|(i, first)| {
        let rest = bytes.get(i + 1..).unwrap_or_default();
        match first {
            b'-' => rest.starts_with(b"----BEGIN "),
            b'A' => [b"KIA", b"SIA", b"BIA", b"CCA"]
                .iter()
                .any(|tail| rest.starts_with(*tail)),
            b'g' => {
                matches!(rest, [b'h', b'p' | b'o' | b'u' | b's' | b'r', b'_', ..])
                    || rest.starts_with(b"ithub_pat_")
                    || rest.starts_with(b"lpat-")
            }
            b'x' => rest.starts_with(b"ox"),
            b'e' => rest.starts_with(b"yJ"),
            _ => false,
        }
    })
}

/// The first real-looking credential in `text`.
pub fn find_secret(text: &str) -> Option<Secret> {
    if !may_hold_secret(text) {
        return None;
    }
    if let Some(secret) = private_key(text) {
        return Some(secret);
    }
    let bytes = text.as_bytes();
    let mut start = 0;
    while start < bytes.len() {
        // Tokens: runs of characters credentials are made of.
        if !is_token_char(bytes[start]) {
            start += 1;
            continue;
        }
        let mut end = start;
        while end < bytes.len() && is_token_char(bytes[end]) {
            end += 1;
        }
        // Try each start inside the token that follows a non-alphanumeric character
        // (`aws_key=AKIA…`, `token:ghp_…`).
        for at in start..end {
            let boundary = at == start || !bytes[at - 1].is_ascii_alphanumeric();
            if boundary
                && let Some(token) = text.get(at..end)
                && let Some(secret) = classify_token(token)
            {
                return Some(secret);
            }
        }
        start = end;
    }
    None
}

fn is_token_char(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'-' | b'.')
}

fn classify_token(token: &str) -> Option<Secret> {
    let token = token.trim_end_matches('.');
    for prefix in ["AKIA", "ASIA", "ABIA", "ACCA"] {
        if let Some(rest) = token.strip_prefix(prefix)
            && rest.len() == 16
            && rest
                .bytes()
                .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
            && !token.contains("EXAMPLE")
            && looks_random(rest, 8)
        {
            return Some(Secret {
                label: "an AWS access key id",
                shown: "AKIA…",
            });
        }
    }
    for prefix in ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"] {
        if let Some(rest) = token.strip_prefix(prefix)
            && rest.len() == 36
            && rest.bytes().all(|b| b.is_ascii_alphanumeric())
            && github_checksum_ok(rest)
        {
            return Some(Secret {
                label: "a GitHub token",
                shown: "gh*_…",
            });
        }
    }
    if let Some(rest) = token.strip_prefix("github_pat_")
        && rest.len() >= 70
        && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && looks_random(rest, 30)
    {
        return Some(Secret {
            label: "a GitHub fine-grained token",
            shown: "github_pat_…",
        });
    }
    if let Some(rest) = token.strip_prefix("glpat-")
        && (20..=64).contains(&rest.len())
        && rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        && looks_random(rest, 14)
    {
        return Some(Secret {
            label: "a GitLab personal access token",
            shown: "glpat-…",
        });
    }
    if token.starts_with("xox") && slack_token(token) {
        return Some(Secret {
            label: "a Slack token",
            shown: "xox*-…",
        });
    }
    if token.starts_with("eyJ") && jwt(token) {
        return Some(Secret {
            label: "a signed JSON Web Token",
            shown: "eyJ…",
        });
    }
    None
}

/// Whether `text` has the variety of a random string: at least `min_distinct` distinct
/// characters, letters and digits mixed, no long runs or counting sequences, no placeholder
/// words.
pub fn looks_random(text: &str, min_distinct: usize) -> bool {
    let mut seen = [false; 128];
    let mut distinct = 0;
    for b in text.bytes() {
        if let Some(slot) = seen.get_mut(usize::from(b))
            && !*slot
        {
            *slot = true;
            distinct += 1;
        }
    }
    if distinct < min_distinct {
        return false;
    }
    let has_digit = text.bytes().any(|b| b.is_ascii_digit());
    let has_letter = text.bytes().any(|b| b.is_ascii_alphabetic());
    if !has_digit || !has_letter {
        return false;
    }
    let bytes = text.as_bytes();
    for window in bytes.windows(4) {
        let same = window.iter().all(|b| *b == window[0]);
        let counting = window
            .windows(2)
            .all(|pair| pair[1] == pair[0].wrapping_add(1));
        if same || counting {
            return false;
        }
    }
    let lower = text.to_ascii_lowercase();
    const PLACEHOLDERS: &[&str] = &[
        "example",
        "fake",
        "dummy",
        "test",
        "sample",
        "xxxx",
        "redacted",
        "secret",
        "token",
        "placeholder",
        "changeme",
        "your",
    ];
    !PLACEHOLDERS.iter().any(|p| lower.contains(p))
}

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// GitHub tokens end with six base62 characters encoding the CRC-32 of the 30 before them.
fn github_checksum_ok(rest: &str) -> bool {
    let (entropy, checksum) = rest.split_at(30);
    let mut value: u64 = 0;
    for b in checksum.bytes() {
        let Some(digit) = BASE62.iter().position(|c| *c == b) else {
            return false;
        };
        value = value * 62 + digit as u64;
    }
    value == u64::from(crc32(entropy.as_bytes()))
}

/// CRC-32 (IEEE 802.3, reflected, as zlib computes it).
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for byte in data {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

/// `xoxb-<digits>-<digits>-<24+ random>` and the other Slack token shapes.
fn slack_token(token: &str) -> bool {
    let mut parts = token.split('-');
    let Some(prefix) = parts.next() else {
        return false;
    };
    if !matches!(
        prefix,
        "xoxb" | "xoxp" | "xoxa" | "xoxr" | "xoxs" | "xoxe" | "xoxo"
    ) {
        return false;
    }
    let rest: Vec<&str> = parts.collect();
    let Some((last, numbers)) = rest.split_last() else {
        return false;
    };
    numbers.len() >= 2
        && numbers
            .iter()
            .all(|n| n.len() >= 8 && n.bytes().all(|b| b.is_ascii_digit()))
        && last.len() >= 24
        && last.bytes().all(|b| b.is_ascii_alphanumeric())
        && looks_random(last, 14)
}

/// `header.payload.signature` where the header names a real algorithm and the signature is
/// long and random enough to come from one.
fn jwt(token: &str) -> bool {
    let parts: Vec<&str> = token.split('.').collect();
    let [header, payload, signature] = parts.as_slice() else {
        return false;
    };
    let (Some(header), Some(payload)) = (base64_decode(header), base64_decode(payload)) else {
        return false;
    };
    let header = String::from_utf8_lossy(&header);
    let payload = String::from_utf8_lossy(&payload);
    if !header.contains("\"alg\"") || header.contains("\"none\"") || !payload.starts_with('{') {
        return false;
    }
    // The example token of the JWT introduction.
    if payload.contains("John Doe") {
        return false;
    }
    signature.len() >= 40
        && signature
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && looks_random(signature, 20)
}

/// Decodes standard or URL-safe base64, padding optional; whitespace is not allowed.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut buffer = 0u32;
    let mut bits = 0;
    for b in text.bytes() {
        let value = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            _ => return None,
        };
        buffer = (buffer << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// A PEM private key block with a complete, real-looking body.
fn private_key(text: &str) -> Option<Secret> {
    let begin = text.find("-----BEGIN ")?;
    let after_begin = &text[begin + "-----BEGIN ".len()..];
    let header_end = after_begin.find("-----")?;
    let label = &after_begin[..header_end];
    if !label.ends_with("PRIVATE KEY") && !label.ends_with("PRIVATE KEY BLOCK") {
        return None;
    }
    let body = &after_begin[header_end + 5..];
    let body = match body.find("-----END") {
        Some(end) => &body[..end],
        None => body,
    };
    // Encrypted legacy PEM: header lines before the base64.
    let body: String = body
        .replace("\\n", "\n")
        .replace("\\r", "\n")
        .lines()
        .filter(|line| !line.contains(':'))
        .collect::<String>()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if body.len() < 120
        || !body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
    {
        return None;
    }
    let der = body.starts_with("MI") || body.starts_with("b3BlbnNzaC1rZXktdjE");
    let pgp = label.starts_with("PGP");
    if !(der || pgp) || !looks_random_body(&body) {
        return None;
    }
    Some(Secret {
        label: "a private key",
        shown: "-----BEGIN … PRIVATE KEY-----",
    })
}

/// Long base64 bodies: many distinct characters and no placeholder runs.
fn looks_random_body(body: &str) -> bool {
    let mut seen = [false; 128];
    let mut distinct = 0;
    for b in body.bytes() {
        if let Some(slot) = seen.get_mut(usize::from(b))
            && !*slot
        {
            *slot = true;
            distinct += 1;
        }
    }
    let lower = body.to_ascii_lowercase();
    distinct >= 40
        && !lower.contains("aaaaaaaa")
        && !lower.contains("xxxx")
        && !lower.contains("fake")
        && !lower.contains("example")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The one-pass test finds exactly the texts holding one of the prefixes.
    #[test]
    fn may_hold_secret_is_a_search_for_each_prefix() {
        const MARKERS: &[&str] = &[
            "-----BEGIN ",
            "AKIA",
            "ASIA",
            "ABIA",
            "ACCA",
            "ghp_",
            "gho_",
            "ghu_",
            "ghs_",
            "ghr_",
            "github_pat_",
            "glpat-",
            "xox",
            "eyJ",
        ];
        let mut texts: Vec<String> = vec![
            String::new(),
            "plain text".into(),
            "----BEGIN ".into(),
            "-----BEGIN".into(),
            "AKI".into(),
            "gh_".into(),
            "ghx_".into(),
            "github_pa".into(),
            "glpat".into(),
            "xo".into(),
            "ey".into(),
            "éAKIA".into(),
            "ghp".into(),
        ];
        for marker in MARKERS {
            texts.push((*marker).to_string());
            texts.push(format!("key = '{marker}0123'"));
            texts.push(format!("ü{}", &marker[..marker.len() - 1]));
        }
        for text in &texts {
            let expected = MARKERS.iter().any(|m| text.contains(m));
            assert_eq!(may_hold_secret(text), expected, "{text:?}");
        }
    }

    /// A checksummed GitHub-style token for `entropy` (30 characters).
    fn github_token(entropy: &str) -> String {
        let mut value = u64::from(crc32(entropy.as_bytes()));
        let mut digits = Vec::new();
        for _ in 0..6 {
            digits.push(BASE62[(value % 62) as usize]);
            value /= 62;
        }
        digits.reverse();
        format!("ghp_{entropy}{}", String::from_utf8(digits).unwrap())
    }

    #[test]
    fn crc32_matches_zlib() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn github_tokens_need_a_valid_checksum() {
        let real = github_token("q8Rz2LmWx4Tb7Nc1Vk9Hs3Jd6Fg0Pa");
        assert!(find_secret(&format!("token = '{real}'")).is_some());
        let mut broken = real.clone();
        broken.pop();
        broken.push('x');
        assert!(find_secret(&broken).is_none());
        assert!(find_secret("ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx").is_none());
        assert!(find_secret("ghp_1234567890abcdefghijklmnopqrstuvwxyz").is_none());
    }

    #[test]
    fn aws_keys_must_be_base32_and_not_examples() {
        assert!(find_secret("AKIAQ3EGRK5SJXT7ZL2W").is_some());
        assert!(find_secret("AKIAIOSFODNN7EXAMPLE").is_none());
        assert!(find_secret("AKIA1234567890ABCDEF").is_none());
        assert!(find_secret("AKIAAAAAAAAAAAAAAAAA").is_none());
        assert!(find_secret("XAKIAQ3EGRK5SJXT7ZL2W").is_none());
    }

    #[test]
    fn slack_and_gitlab_shapes() {
        assert!(find_secret("xoxb-1234567890123-9876543210987-Qm3vR8tLx2NpZ7wK4yHc9JdF").is_some());
        assert!(find_secret("xoxb-1234-5678-abcdef").is_none());
        assert!(find_secret("xoxb-not-a-token").is_none());
        assert!(find_secret("glpat-Rk7vQ2mXz9LpT4wN8cYb").is_some());
        assert!(find_secret("glpat-xxxxxxxxxxxxxxxxxxxx").is_none());
    }

    #[test]
    fn jwts_need_an_algorithm_and_a_real_signature() {
        // {"alg":"HS256","typ":"JWT"} . {"sub":"42","role":"admin"}
        let header = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";
        let payload = "eyJzdWIiOiI0MiIsInJvbGUiOiJhZG1pbiJ9";
        let signed = format!("{header}.{payload}.Xk2vQ9mLr7TzW4pN1cYbH8sJd3Fg6Ka0Ue5Vi2Ro9Mw");
        assert!(find_secret(&signed).is_some());
        assert!(find_secret(&format!("{header}.{payload}.signature")).is_none());
        // {"alg":"none"}
        assert!(
            find_secret(&format!(
                "eyJhbGciOiJub25lIn0.{payload}.Xk2vQ9mLr7TzW4pN1cYbH8sJd3Fg6Ka0Ue5Vi2Ro9Mw"
            ))
            .is_none()
        );
        // The JWT introduction's example.
        assert!(find_secret("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c").is_none());
    }

    #[test]
    fn private_keys_need_a_complete_body() {
        assert!(find_secret("-----BEGIN RSA PRIVATE KEY-----").is_none());
        assert!(find_secret("-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA...\n-----END RSA PRIVATE KEY-----").is_none());
        assert!(find_secret("-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBaMQswCQYDVQQGEwJJRTESMBAGA1UEChMJQmFsdGltb3JlMRMwEQYDVQQLEwpDeWJlclRydXN0MSIwIAYDVQQDExlCYWx0aW1vcmUgQ3liZXJUcnVzdCBSb290MB4XDTAwMDUxMjE4NDYwMFoXDTI1MDUxMjIzNTkwMFowWjELMAkGA1UEBhMCSUUxEjAQBgNVBAoTCUJhbHRpbW9yZTETMBEGA1UECxMKQ3liZXJUcnVzdDEiMCAGA1UEAxMZQmFsdGltb3JlIEN5YmVyVHJ1c3QgUm9vdDCCASIw\n-----END CERTIFICATE-----").is_none());
        let body = "MIIEpQIBAAKCAQEAwK7YK3wbv4NqNvKPh9p4P3K784BEvdYvzTTzxUzrrV3payfU\\nIj0z05vgfMrKS7F4n5m7Jl87TTpQUIEF7OrrMW+H5ySjVGfOFZKeXrG6ivy+3ska\\n";
        assert!(
            find_secret(&format!(
                "-----BEGIN RSA PRIVATE KEY-----\\n{body}-----END RSA PRIVATE KEY-----"
            ))
            .is_some()
        );
    }

    #[test]
    fn base64() {
        assert_eq!(base64_decode("eyJhIjoxfQ").unwrap(), b"{\"a\":1}");
        assert_eq!(base64_decode("aGk=").unwrap(), b"hi");
        assert!(base64_decode("a b").is_none());
    }
}
