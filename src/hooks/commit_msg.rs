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
use crate::attest::stamp::{GitConfig, Prefetch};
use crate::git::Repo;
use crate::policy::Policy;
use crate::report::{self, Fix, Target};
use crate::scan::{ignore_file, Lines, Outcome, Scanner};
use crate::Status;

/// The name findings in a message carry in place of a path.
pub const MESSAGE_PATH: &[u8] = b"COMMIT_EDITMSG";

pub fn run(msg_file: &Path) -> anyhow::Result<Status> {
    let t0 = std::time::Instant::now();
    let repo = Repo::discover()?;
    let raw = read(msg_file)?;
    let (g, prefetch) = Gathered::read(&repo, true, true);
    let mut g = g?;
    tracing::debug!(
        "commit-msg: policy, config and process tree read at {:?}",
        t0.elapsed()
    );
    if scan_message(&repo, &mut g, msg_file, &raw, Hook::CommitMsg)? == Status::Blocked {
        return Ok(Status::Blocked);
    }
    if crate::ai::stamp(&g.input(&repo), msg_file, &raw, Hook::CommitMsg, true)? == Status::Blocked
    {
        return Ok(Status::Blocked);
    }
    tracing::debug!(
        "commit-msg: message scanned, assistants stamped at {:?}",
        t0.elapsed()
    );
    // --- attestation (issue 5): the last step; signs the message as the steps above
    // left it and adds the Vouchsafe-Attestation trailer (src/attest/stamp.rs).
    crate::attest::stamp(&repo, msg_file, &g.policy, g.git_config, prefetch)
}

/// prepare-commit-msg's part: git runs that hook even under `--no-verify`. Commits
/// git replays (rebase, cherry-pick, the merge of `git merge`) are left alone, as
/// the pre-commit backstop leaves them. The assistant policy applies before the
/// editor opens; the message is scanned and stamped only when it is final here
/// (`-m`/`-F` without an editor for the scan; any message but a template or an empty
/// one for trailers, which commit-msg adds after the editor otherwise).
///
/// `gathered` is what [`Gathered::read`] returned when prepare-commit-msg read it
/// alongside its backstop check; `None`: read here.
pub fn from_prepare_commit_msg(
    repo: &Repo,
    msg_file: &Path,
    source: Option<&str>,
    gathered: Option<anyhow::Result<Gathered>>,
) -> anyhow::Result<Status> {
    if crate::install::backstop::replay_in_progress(repo, source)?.is_some() {
        return Ok(Status::Ok);
    }
    let raw = read(msg_file)?;
    let scan = source == Some("message") && !message::editor_used();
    let mut g = gathered.unwrap_or_else(|| Gathered::read(repo, false, scan).0)?;
    if scan
        && scan_message(repo, &mut g, msg_file, &raw, Hook::PrepareCommitMsg)? == Status::Blocked
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

/// What both parts need, read at once: git is asked two things in parallel (the
/// committed policy; the configuration of messages and of the attestation, in one
/// `git config` call) while the process tree is read; the git and common dirs come
/// from the layout. The scanner for the message is built as soon as the policy is in.
pub struct Gathered {
    policy: Policy,
    /// Built alongside when the message will be scanned; taken by `scan_message`.
    scanner: Option<anyhow::Result<Scanner>>,
    config: MessageConfig,
    git_config: GitConfig,
    dirs: Option<(PathBuf, PathBuf)>,
    tree: Tree,
}

/// The keys [`MessageConfig`] and the attestation's [`GitConfig`] read, as one pattern.
fn config_re() -> String {
    format!("{}|{}", message::CONFIG_RE, crate::attest::stamp::CONFIG_RE)
}

impl Gathered {
    /// With `attest` (commit-msg), the attestation's own git reads start alongside
    /// when a key is likely (`attest::stamp::prefetch_if_likely`); with `scan`, the
    /// message's scanner is built.
    pub fn read(
        repo: &Repo,
        attest: bool,
        scan: bool,
    ) -> (anyhow::Result<Gathered>, Option<Prefetch>) {
        let join_err = || anyhow::anyhow!("a vouchsafe worker thread panicked");
        let t0 = std::time::Instant::now();
        let (policy, entries, dirs, tree, prefetch) = std::thread::scope(|s| {
            let policy = s.spawn(move || {
                let policy = crate::policy::load_committed(repo);
                let read = t0.elapsed();
                let scanner = match &policy {
                    Ok(p) if scan => Some(message_scanner(repo, p)),
                    _ => None,
                };
                tracing::debug!(
                    "hook reads: policy at {read:?}, message scanner built at {:?}",
                    t0.elapsed()
                );
                (policy, scanner)
            });
            let tree = s.spawn(move || {
                let tree = Tree::read();
                tracing::debug!("hook reads: process tree at {:?}", t0.elapsed());
                tree
            });
            let prefetch =
                attest.then(|| s.spawn(|| crate::attest::stamp::prefetch_if_likely(repo)));
            let dirs = repo.git_dirs_fast().ok();
            let entries = repo.config_regexp(&config_re());
            tracing::debug!("hook reads: configuration at {:?}", t0.elapsed());
            (
                policy.join().unwrap_or_else(|_| (Err(join_err()), None)),
                entries,
                dirs,
                tree.join().unwrap_or_default(),
                prefetch.and_then(|p| p.join().ok().flatten()),
            )
        });
        let g = (|| {
            let (policy, scanner) = policy;
            let policy = policy?;
            let entries = entries?;
            Ok(Gathered {
                policy,
                scanner,
                git_config: GitConfig::from_entries(&entries),
                config: MessageConfig::from_entries(entries),
                dirs,
                tree,
            })
        })();
        (g, prefetch)
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

/// The scanner of a commit message: the policy's rules and the repository's ignore file.
fn message_scanner(repo: &Repo, policy: &Policy) -> anyhow::Result<Scanner> {
    Scanner::new(
        policy,
        ignore_file::load(repo.work_tree.as_deref())?,
        crate::scan::Volume::Small,
    )
}

fn scan_message(
    repo: &Repo,
    g: &mut Gathered,
    msg_file: &Path,
    raw: &[u8],
    hook: Hook,
) -> anyhow::Result<Status> {
    let fmt = g.config.format(raw, message::editor_used());
    let text = message_body(raw, &fmt);
    let scanner = match g.scanner.take() {
        Some(built) => built?,
        None => message_scanner(repo, &g.policy)?,
    };
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

    /// The one `git config` call of the commit hooks reads what the two separate calls
    /// of the message configuration and the attestation read.
    #[test]
    fn one_config_call_reads_what_two_did() {
        let d = tempfile::tempdir().expect("tmp");
        let git = |args: &[&str]| {
            let out = std::process::Command::new("git")
                .current_dir(d.path())
                .args(args)
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("GIT_CONFIG_GLOBAL", "/dev/null")
                .env_remove("GIT_DIR")
                .env_remove("GIT_WORK_TREE")
                .output()
                .expect("git runs");
            assert!(out.status.success(), "git {args:?}: {out:?}");
        };
        git(&["init", "-q"]);
        for (k, v) in [
            ("core.commentChar", ";"),
            ("commit.cleanup", "scissors"),
            ("commit.template", "~/tmpl"),
            ("trailer.separators", ":="),
            ("trailer.sign.key", "Signed-off-by"),
            ("trailer.Fix.where", "end"),
            ("user.email", "a@example.org"),
            ("user.signingKey", "~/.ssh/id_ed25519.pub"),
            ("gpg.format", "ssh"),
            ("gpg.ssh.allowedSignersFile", "signers"),
            ("committer.email", "c@example.org"),
            ("user.name", "not read"),
            ("core.bare", "false"),
        ] {
            git(&["config", k, v]);
        }
        git(&["config", "--add", "user.email", "last@example.org"]);
        let repo = Repo {
            cwd: d.path().to_path_buf(),
            work_tree: Some(d.path().to_path_buf()),
        };
        let one = repo.config_regexp(&config_re()).expect("config");
        let msg = repo.config_regexp(message::CONFIG_RE).expect("config");
        assert_eq!(
            format!("{:?}", MessageConfig::from_entries(one.clone())),
            format!("{:?}", MessageConfig::from_entries(msg))
        );
        let joint = GitConfig::from_entries(&one);
        assert_eq!(joint.values, GitConfig::load(&repo).values);
        assert_eq!(joint.get("user.email"), Some("last@example.org"));
        assert_eq!(joint.get("gpg.format"), Some("ssh"));
    }

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
