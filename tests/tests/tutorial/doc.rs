//! The tutorial's marked blocks and how their expected output is matched.
//!
//! - ```` ```sh stack ```` — the command that starts the stack. The runner
//!   starts that same command itself (on free ports, in a temporary folder).
//! - ```` ```sh tutorial ```` — commands, run in order in one bash session.
//! - ```` ```text expect ```` — right after either: each of its lines must
//!   appear, in order, each within one line of the output, with runs of
//!   spaces counted as one (a table's columns widen with its values).
//!   Addresses on the default ports (`127.0.0.1:8000`, …) read as where this
//!   run's stack listens.
//! - `<!-- screenshot FILE PATH -->` on a line of its own — at that point of
//!   the run, a picture of the dashboard page PATH (shell variables expanded
//!   in the session) is taken for `docs/FILE`.
//!
//! Every other fenced block is prose to the runner.

/// What a marked block is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// ```` ```sh stack ````.
    Stack,
    /// ```` ```sh tutorial ````.
    Command,
    /// `<!-- screenshot FILE PATH -->`: the text is `FILE PATH`.
    Screenshot,
}

/// A marked block, with its expected output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// Stack or command.
    pub kind: Kind,
    /// 1-based line of its opening fence in the doc.
    pub line: usize,
    /// The commands.
    pub text: String,
    /// The expected lines, with their 1-based line in the doc.
    pub expect: Vec<(usize, String)>,
}

/// The marked blocks of `doc`, in order; an expect block that follows no
/// marked block is an error, so a typo cannot make a check vanish.
pub fn blocks(doc: &str) -> Result<Vec<Block>, String> {
    let mut out: Vec<Block> = Vec::new();
    let mut lines = doc.lines().enumerate();
    let mut last_was_marked = false;
    while let Some((i, line)) = lines.next() {
        let Some(info) = line.trim_start().strip_prefix("```") else {
            if let Some(shot) = screenshot(line) {
                out.push(Block {
                    kind: Kind::Screenshot,
                    line: i + 1,
                    text: shot.to_owned(),
                    expect: Vec::new(),
                });
            }
            if !line.trim().is_empty() {
                last_was_marked = false;
            }
            continue;
        };
        let mut body = Vec::new();
        for (j, inner) in lines.by_ref() {
            if inner.trim_start().starts_with("```") {
                break;
            }
            body.push((j + 1, inner.to_owned()));
        }
        let words: Vec<&str> = info.split_whitespace().collect();
        match words.as_slice() {
            ["sh", "stack"] | ["sh", "tutorial"] => {
                let kind = if words[1] == "stack" {
                    Kind::Stack
                } else {
                    Kind::Command
                };
                let text = body.iter().map(|(_, l)| l.as_str()).collect::<Vec<_>>();
                out.push(Block {
                    kind,
                    line: i + 1,
                    text: text.join("\n"),
                    expect: Vec::new(),
                });
                last_was_marked = true;
            }
            ["text", "expect"] => {
                let target = out.last_mut().filter(|_| last_was_marked);
                let target = target.ok_or_else(|| {
                    format!(
                        "line {}: an expect block must follow a marked command block",
                        i + 1
                    )
                })?;
                if !target.expect.is_empty() {
                    return Err(format!(
                        "line {}: a second expect block for one command",
                        i + 1
                    ));
                }
                target.expect = body
                    .into_iter()
                    .filter(|(_, l)| !l.trim().is_empty())
                    .collect();
            }
            _ => last_was_marked = false,
        }
    }
    Ok(out)
}

/// `FILE PATH` of a `<!-- screenshot FILE PATH -->` line.
fn screenshot(line: &str) -> Option<&str> {
    let inner = line.trim().strip_prefix("<!-- screenshot ")?;
    let inner = inner.strip_suffix("-->")?.trim();
    (inner.split_whitespace().count() == 2).then_some(inner)
}

/// Checks that every expected line appears in `output`, in order. `Err`
/// names the first one missing (its doc line) and where the search was.
pub fn check(
    expect: &[(usize, String)],
    output: &str,
    rewrite: impl Fn(&str) -> String,
) -> Result<(), String> {
    let lines: Vec<&str> = output.lines().collect();
    let squeezed: Vec<String> = lines.iter().map(|l| squeeze(l)).collect();
    let mut from = 0;
    for (doc_line, wanted) in expect {
        let wanted = squeeze(&rewrite(wanted));
        match squeezed[from..].iter().position(|l| l.contains(&wanted)) {
            Some(found) => from += found + 1,
            None => {
                let after = match from {
                    0 => "anywhere in the output".to_owned(),
                    _ => format!("after output line {from} (`{}`)", lines[from - 1].trim()),
                };
                return Err(format!(
                    "expected line {doc_line} `{wanted}` not found {after}"
                ));
            }
        }
    }
    Ok(())
}

/// `text` trimmed, with every run of whitespace made one space.
fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Moves addresses on the default ports (`127.0.0.1:80xx`) to `base`.
pub fn on_base(text: &str, base: u16) -> String {
    let re = regex::Regex::new(r"127\.0\.0\.1:(8\d\d\d)\b").unwrap();
    re.replace_all(text, |c: &regex::Captures| {
        let port: u16 = c[1].parse().unwrap();
        format!("127.0.0.1:{}", port - 8000 + base)
    })
    .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "# A doc\n\
<!-- convention -->\n\
```sh stack\n\
cargo run -p stack\n\
```\n\
```text expect\n\
proxy is healthy\n\
ready\n\
```\n\
Prose.\n\
```sh\n\
not run\n\
```\n\
```sh tutorial\n\
echo one\n\
echo two\n\
```\n\
\n\
```text expect\n\
one\n\
\n\
two\n\
```\n\
```text\n\
not an expectation\n\
```\n\
<!-- screenshot tutorial/a.png /dashboard/routes/$R -->\n\
```sh tutorial\n\
true\n\
```\n";

    #[test]
    fn marked_blocks_come_out_in_order_with_their_expectations() {
        let blocks = blocks(DOC).unwrap();
        assert_eq!(blocks.len(), 4);
        assert_eq!((blocks[0].kind, blocks[0].line), (Kind::Stack, 3));
        assert_eq!(blocks[0].text, "cargo run -p stack");
        assert_eq!(
            blocks[0].expect,
            [(7, "proxy is healthy".into()), (8, "ready".into())]
        );
        assert_eq!((blocks[1].kind, blocks[1].line), (Kind::Command, 14));
        assert_eq!(blocks[1].text, "echo one\necho two");
        assert_eq!(blocks[1].expect, [(20, "one".into()), (22, "two".into())]);
        assert_eq!((blocks[2].kind, blocks[2].line), (Kind::Screenshot, 27));
        assert_eq!(blocks[2].text, "tutorial/a.png /dashboard/routes/$R");
        assert_eq!(blocks[3].text, "true");
        assert!(blocks[3].expect.is_empty());
    }

    #[test]
    fn an_expectation_after_prose_is_refused() {
        let doc = "```sh tutorial\ntrue\n```\nSome prose.\n```text expect\nx\n```\n";
        let err = blocks(doc).unwrap_err();
        assert!(
            err.starts_with("line 5: an expect block must follow"),
            "{err}"
        );
    }

    #[test]
    fn lines_must_appear_in_order() {
        let expect = [(10, "alpha".to_owned()), (11, "gamma".to_owned())];
        assert!(check(&expect, "x alpha y\nbeta\ngamma\n", str::to_owned).is_ok());
        let table = [(1, "NAME   MODE".to_owned())];
        assert!(check(&table, "NAME        MODE\n", str::to_owned).is_ok());
        let err = check(&expect, "gamma\nalpha\n", str::to_owned).unwrap_err();
        assert_eq!(
            err,
            "expected line 11 `gamma` not found after output line 2 (`alpha`)"
        );
        let err = check(&expect, "beta\n", str::to_owned).unwrap_err();
        assert_eq!(
            err,
            "expected line 10 `alpha` not found anywhere in the output"
        );
    }

    #[test]
    fn default_ports_move_with_the_base() {
        assert_eq!(
            on_base(
                "at http://127.0.0.1:8000 and 127.0.0.1:8083/x, not :8000",
                21000
            ),
            "at http://127.0.0.1:21000 and 127.0.0.1:21083/x, not :8000"
        );
    }
}
