//! Unified diffs of fixed files (`--diff`).

/// A unified diff from `old` to `new` with three lines of context, labelled with `path`.
pub fn unified(old: &str, new: &str, path: &str) -> String {
    let a: Vec<&str> = old.split_inclusive('\n').collect();
    let b: Vec<&str> = new.split_inclusive('\n').collect();
    let ops = line_diff(&a, &b);
    let label = path.trim_start_matches('/');
    let mut out = format!("--- a/{label}\n+++ b/{label}\n");
    const CONTEXT: usize = 3;
    // Group operations into hunks.
    let mut i = 0;
    while i < ops.len() {
        if matches!(ops[i], Op::Equal(..)) {
            i += 1;
            continue;
        }
        let start = i.saturating_sub(CONTEXT);
        let mut end = i;
        let mut equal_run = 0;
        while end < ops.len() {
            if matches!(ops[end], Op::Equal(..)) {
                equal_run += 1;
                if equal_run > 2 * CONTEXT {
                    break;
                }
            } else {
                equal_run = 0;
            }
            end += 1;
        }
        let end = (end - equal_run.min(end))
            .saturating_add(equal_run.min(CONTEXT))
            .min(ops.len());
        let (mut a_start, mut b_start) = (None, None);
        let (mut a_len, mut b_len) = (0, 0);
        let mut body = String::new();
        for op in &ops[start..end] {
            match *op {
                Op::Equal(x, y) => {
                    a_start.get_or_insert(x);
                    b_start.get_or_insert(y);
                    a_len += 1;
                    b_len += 1;
                    push_line(&mut body, ' ', a[x]);
                }
                Op::Delete(x, y) => {
                    a_start.get_or_insert(x);
                    b_start.get_or_insert(y);
                    a_len += 1;
                    push_line(&mut body, '-', a[x]);
                }
                Op::Insert(x, y) => {
                    a_start.get_or_insert(x);
                    b_start.get_or_insert(y);
                    b_len += 1;
                    push_line(&mut body, '+', b[y]);
                }
            }
        }
        let a_line = if a_len == 0 {
            a_start.unwrap_or(0)
        } else {
            a_start.unwrap_or(0) + 1
        };
        let b_line = if b_len == 0 {
            b_start.unwrap_or(0)
        } else {
            b_start.unwrap_or(0) + 1
        };
        out.push_str(&format!("@@ -{a_line},{a_len} +{b_line},{b_len} @@\n"));
        out.push_str(&body);
        i = end;
    }
    out
}

fn push_line(out: &mut String, marker: char, line: &str) {
    out.push(marker);
    out.push_str(line);
    if !line.ends_with('\n') {
        out.push_str("\n\\ No newline at end of file\n");
    }
}

/// One step of a line diff, with the line's index in the old and new text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Equal(usize, usize),
    Delete(usize, usize),
    Insert(usize, usize),
}

/// A shortest line diff (Myers' algorithm) after trimming the common prefix and suffix, which
/// for fixes is nearly the whole file.
fn line_diff(a: &[&str], b: &[&str]) -> Vec<Op> {
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (a_mid, b_mid) = (&a[prefix..a.len() - suffix], &b[prefix..b.len() - suffix]);
    let mut ops: Vec<Op> = (0..prefix).map(|i| Op::Equal(i, i)).collect();
    for op in myers(a_mid, b_mid) {
        ops.push(match op {
            Op::Equal(x, y) => Op::Equal(x + prefix, y + prefix),
            Op::Delete(x, y) => Op::Delete(x + prefix, y + prefix),
            Op::Insert(x, y) => Op::Insert(x + prefix, y + prefix),
        });
    }
    let (a_tail, b_tail) = (a.len() - suffix, b.len() - suffix);
    ops.extend((0..suffix).map(|i| Op::Equal(a_tail + i, b_tail + i)));
    ops
}

fn myers(a: &[&str], b: &[&str]) -> Vec<Op> {
    let (n, m) = (a.len() as isize, b.len() as isize);
    let max = (n + m) as usize;
    let offset = max as isize + 1;
    let mut v = vec![0isize; 2 * max + 3];
    let mut trace: Vec<Vec<isize>> = Vec::new();
    'outer: for d in 0..=max as isize {
        trace.push(v.clone());
        let mut k = -d;
        while k <= d {
            let index = (k + offset) as usize;
            let mut x = if k == -d || (k != d && v[index - 1] < v[index + 1]) {
                v[index + 1]
            } else {
                v[index - 1] + 1
            };
            let mut y = x - k;
            while x < n && y < m && a[x as usize] == b[y as usize] {
                x += 1;
                y += 1;
            }
            v[index] = x;
            if x >= n && y >= m {
                trace.push(v.clone());
                break 'outer;
            }
            k += 2;
        }
    }
    // Walk the trace backwards.
    let mut ops = Vec::new();
    let (mut x, mut y) = (n, m);
    for d in (1..trace.len() as isize - 1).rev() {
        let v = &trace[d as usize];
        let k = x - y;
        let index = (k + offset) as usize;
        let previous_k = if k == -d || (k != d && v[index - 1] < v[index + 1]) {
            k + 1
        } else {
            k - 1
        };
        let previous_x = v[(previous_k + offset) as usize];
        let previous_y = previous_x - previous_k;
        while x > previous_x && y > previous_y {
            x -= 1;
            y -= 1;
            ops.push(Op::Equal(x as usize, y as usize));
        }
        if x == previous_x {
            y -= 1;
            ops.push(Op::Insert(x as usize, y as usize));
        } else {
            x -= 1;
            ops.push(Op::Delete(x as usize, y as usize));
        }
    }
    while x > 0 && y > 0 {
        x -= 1;
        y -= 1;
        ops.push(Op::Equal(x as usize, y as usize));
    }
    ops.reverse();
    ops
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(a: &[&str], b: &[&str], ops: &[Op]) -> Vec<String> {
        let mut out = Vec::new();
        for op in ops {
            match *op {
                Op::Equal(x, _) => out.push(a[x].to_string()),
                Op::Insert(_, y) => out.push(b[y].to_string()),
                Op::Delete(..) => {}
            }
        }
        out
    }

    #[test]
    fn diff_reconstructs_the_new_text() {
        let cases: &[(&str, &str)] = &[
            ("a\nb\nc\n", "a\nx\nb\nc\n"),
            ("a\nb\nc\n", "c\n"),
            ("", "x\n"),
            ("a\nb\n", ""),
            ("a\nb\nc\nd\ne\n", "b\nc\nx\ne\nf\n"),
        ];
        for (old, new) in cases {
            let a: Vec<&str> = old.split_inclusive('\n').collect();
            let b: Vec<&str> = new.split_inclusive('\n').collect();
            let ops = line_diff(&a, &b);
            assert_eq!(apply(&a, &b, &ops).concat(), *new, "{old:?} -> {new:?}");
        }
    }

    #[test]
    fn unified_output() {
        let old = "def test_a():\n    assert 1\n";
        let new = "def test_a():\n    \"\"\"A.\"\"\"\n    assert 1\n";
        let diff = unified(old, new, "t.py");
        assert_eq!(
            diff,
            "--- a/t.py\n+++ b/t.py\n@@ -1,2 +1,3 @@\n def test_a():\n+    \"\"\"A.\"\"\"\n     assert 1\n"
        );
    }
}
