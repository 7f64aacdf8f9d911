//! `vouchsafe hook commit-msg <file>`: a token pasted into a commit message leaks as
//! surely as one in a file, so the message is scanned like a file. Comment lines and
//! everything below the scissors line (`git commit -v` puts the diff there; the
//! pre-commit gate scanned that) are left out. The message file is never modified.

use std::io::IsTerminal;
use std::path::Path;

use anyhow::Context;

use crate::git::Repo;
use crate::report::{self, Fix, Format, Target};
use crate::scan::{ignore_file, Lines, Outcome, Scanner};
use crate::Status;

/// The name findings in a message carry in place of a path.
pub const MESSAGE_PATH: &[u8] = b"COMMIT_EDITMSG";

pub fn run(msg_file: &Path) -> anyhow::Result<Status> {
    let repo = Repo::discover()?;
    let raw = std::fs::read(msg_file)
        .with_context(|| format!("reading the commit message {}", msg_file.display()))?;
    let (comment, policy) = std::thread::scope(|s| {
        let policy = s.spawn(|| crate::policy::load_committed(&repo));
        let comment = comment_char(&repo);
        (
            comment,
            policy
                .join()
                .unwrap_or_else(|_| Err(anyhow::anyhow!("policy loader panicked"))),
        )
    });
    let text = message_body(&raw, comment);
    let scanner = Scanner::new(&policy?, ignore_file::load(repo.work_tree.as_deref())?)?;
    let mut out = Outcome::default();
    scanner.scan_chunk(&text, MESSAGE_PATH, Lines::Whole, None, &mut out);
    if out.findings.is_empty() {
        return Ok(Status::Ok);
    }
    let shown = msg_file.display().to_string();
    let target = Target {
        what: "the commit message".into(),
        rerun: String::new(),
        fix: Fix::Message(shown),
    };
    let stderr = std::io::stderr();
    let color = report::use_color(stderr.is_terminal());
    report::write(&mut stderr.lock(), Format::Human, &out, &target, color)?;
    Ok(Status::Blocked)
}

/// `core.commentChar` (default `#`); `None` for `auto`, where git picks a character
/// per message and every line is scanned.
fn comment_char(repo: &Repo) -> Option<u8> {
    let v = repo
        .try_run(&["config", "--get", "core.commentChar"])
        .ok()
        .flatten();
    match v
        .as_deref()
        .map(|b| String::from_utf8_lossy(b).trim().to_string())
    {
        None => Some(b'#'),
        Some(s) if s == "auto" => None,
        Some(s) => s.bytes().next().or(Some(b'#')),
    }
}

/// The part of the message git will keep: above the scissors line, without comment
/// lines. Line numbers of what remains are not the file's; findings report the line
/// within this text, which matches the file up to the first comment line.
pub fn message_body(raw: &[u8], comment: Option<u8>) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    for line in raw.split_inclusive(|&b| b == b'\n') {
        let trimmed = line.strip_suffix(b"\n").unwrap_or(line);
        if is_scissors(trimmed) {
            break;
        }
        if let Some(c) = comment {
            if trimmed.first() == Some(&c) {
                continue;
            }
        }
        out.extend_from_slice(line);
    }
    out
}

fn is_scissors(line: &[u8]) -> bool {
    line.len() > 2
        && crate::scan::filter::contains(
            &line[1..],
            b" ------------------------ >8 ------------------------",
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_comments_and_everything_below_scissors() {
        let m = b"subject\n\nbody\n# comment\n# ------------------------ >8 ------------------------\ndiff --git a b\n+secret\n";
        assert_eq!(message_body(m, Some(b'#')), b"subject\n\nbody\n");
        let m = b"subject\n; note\n";
        assert_eq!(message_body(m, Some(b';')), b"subject\n");
        assert_eq!(message_body(m, None), m.to_vec());
    }
}
