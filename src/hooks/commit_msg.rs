//! `vouchsafe hook commit-msg <file>`: the last look at a commit before git makes it.
//!
//! 1. A token pasted into a commit message leaks as surely as one in a file, so the
//!    message is scanned like a file. Left out: the lines git's cleanup strips as
//!    comments, and everything below the scissors line (`git commit -v` puts the diff
//!    there; the pre-commit gate scanned that).
//! 2. Who helped (`crate::ai`): the assistants seen, checked against `[agents]`, and
//!    an `Assisted-by` trailer for each, the file rewritten atomically. On a block or
//!    any error the file is left exactly as it was.
//!
//! `git commit --no-verify` skips this hook but not prepare-commit-msg, which calls
//! [`from_prepare_commit_msg`]: the same checks on the message when it is final
//! there. Trailers are added idempotently, so whichever hook runs last leaves one
//! per assistant.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::ai::message::{self, MessageConfig};
use crate::ai::process::Tree;
use crate::ai::trailers::Format;
use crate::ai::{Hook, HookInput};
use crate::git::Repo;
use crate::policy::Policy;
use crate::report::{self, Fix, Target};
use crate::scan::{ignore_file, Lines, Outcome, Scanner};
use crate::Status;

/// The name findings in a message carry in place of a path.
pub const MESSAGE_PATH: &[u8] = b"COMMIT_EDITMSG";

pub fn run(msg_file: &Path) -> anyhow::Result<Status> {
    let repo = Repo::discover()?;
    let raw = read(msg_file)?;
    let g = Gathered::read(&repo)?;
    if scan_message(&repo, &g, msg_file, &raw, Hook::CommitMsg)? == Status::Blocked {
        return Ok(Status::Blocked);
    }
    if crate::ai::stamp(&g.input(&repo), msg_file, &raw, Hook::CommitMsg, true)? == Status::Blocked
    {
        return Ok(Status::Blocked);
    }
    // --- attestation (issue 5): the last step; signs the message as the steps above
    // left it and adds the Vouchsafe-Attestation trailer (src/attest/stamp.rs).
    crate::attest::stamp(&repo, msg_file, &g.policy)
}

/// prepare-commit-msg's part: git runs that hook even under `--no-verify`. Commits
/// git replays (rebase, cherry-pick, the merge of `git merge`) are left alone, as
/// the pre-commit backstop leaves them. The assistant policy applies before the
/// editor opens; the message is scanned and stamped only when it is final here
/// (`-m`/`-F` without an editor for the scan; any message but a template or an empty
/// one for trailers, which commit-msg adds after the editor otherwise).
pub fn from_prepare_commit_msg(
    repo: &Repo,
    msg_file: &Path,
    source: Option<&str>,
) -> anyhow::Result<Status> {
    if crate::install::backstop::replay_in_progress(repo, source)?.is_some() {
        return Ok(Status::Ok);
    }
    let raw = read(msg_file)?;
    let g = Gathered::read(repo)?;
    if source == Some("message")
        && !message::editor_used()
        && scan_message(repo, &g, msg_file, &raw, Hook::PrepareCommitMsg)? == Status::Blocked
    {
        return Ok(Status::Blocked);
    }
    if source == Some("template") {
        crate::ai::note_template(&g.input(repo), &raw);
    }
    let write = matches!(source, Some("message" | "commit" | "merge" | "squash"));
    crate::ai::stamp(
        &g.input(repo),
        msg_file,
        &raw,
        Hook::PrepareCommitMsg,
        write,
    )
}

fn read(msg_file: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(msg_file)
        .with_context(|| format!("reading the commit message {}", msg_file.display()))
}

/// What both parts need, read at once: git is asked three things in parallel.
struct Gathered {
    policy: Policy,
    config: MessageConfig,
    dirs: Option<(PathBuf, PathBuf)>,
    tree: Tree,
}

impl Gathered {
    fn read(repo: &Repo) -> anyhow::Result<Gathered> {
        let (policy, config, dirs, tree) = std::thread::scope(|s| {
            let policy = s.spawn(|| crate::policy::load_committed(repo));
            let dirs = s.spawn(|| repo.git_dirs());
            let tree = s.spawn(Tree::read);
            let config = MessageConfig::read(repo);
            let join_err = || anyhow::anyhow!("a vouchsafe worker thread panicked");
            (
                policy.join().unwrap_or_else(|_| Err(join_err())),
                config,
                dirs.join().ok().and_then(Result::ok),
                tree.join().unwrap_or_default(),
            )
        });
        Ok(Gathered {
            policy: policy?,
            config: config?,
            dirs,
            tree,
        })
    }

    fn input<'a>(&'a self, repo: &'a Repo) -> HookInput<'a> {
        HookInput {
            repo,
            policy: &self.policy,
            config: &self.config,
            dirs: self.dirs.clone(),
            tree: &self.tree,
        }
    }
}

fn scan_message(
    repo: &Repo,
    g: &Gathered,
    msg_file: &Path,
    raw: &[u8],
    hook: Hook,
) -> anyhow::Result<Status> {
    let fmt = g.config.format(raw, message::editor_used());
    let text = message_body(raw, &fmt);
    let scanner = Scanner::new(&g.policy, ignore_file::load(repo.work_tree.as_deref())?)?;
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
    report::write(
        &mut stderr.lock(),
        report::Format::Human,
        &out,
        &target,
        color,
    )?;
    crate::hooks::pre_commit::block_footer(&g.policy, "The commit was stopped before it was made.");
    let incidents = crate::incident::Context::of(repo).secrets(hook.name(), &out.findings);
    crate::incident::record(&incidents, &g.policy);
    Ok(Status::Blocked)
}

/// The part of the message git will keep: above the scissors line, without the
/// comment lines its cleanup strips (under `strip`; other cleanup modes keep them,
/// so they are scanned). Line numbers of what remains are not the file's; findings
/// report the line within this text, which matches the file up to the first
/// comment line.
pub fn message_body(raw: &[u8], fmt: &Format) -> Vec<u8> {
    let raw = &raw[..fmt.scissors(raw)];
    let mut out = Vec::with_capacity(raw.len());
    for line in raw.split_inclusive(|&b| b == b'\n') {
        if fmt.comment.as_deref().is_some_and(|c| line.starts_with(c)) {
            continue;
        }
        out.extend_from_slice(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_comments_and_everything_below_scissors() {
        let hash = Format::default();
        let m = b"subject\n\nbody\n# comment\n# ------------------------ >8 ------------------------\ndiff --git a b\n+secret\n";
        assert_eq!(message_body(m, &hash), b"subject\n\nbody\n");
        let semi = Format {
            comment: Some(b";".to_vec()),
            cut: b";".to_vec(),
            ..Format::default()
        };
        let m = b"subject\n; note\n";
        assert_eq!(message_body(m, &semi), b"subject\n");
        // Cleanup that keeps comment lines keeps them in the commit: they are scanned.
        let kept = Format {
            comment: None,
            ..Format::default()
        };
        assert_eq!(
            message_body(b"subject\n# kept\n", &kept),
            b"subject\n# kept\n"
        );
    }
}
