//! The `--no-verify` backstop. `git commit --no-verify` skips pre-commit and
//! commit-msg but not prepare-commit-msg, so prepare-commit-msg runs the pre-commit
//! gate itself unless that gate already passed for exactly this change.
//!
//! The record: when `hook pre-commit` passes it writes `<git-dir>/vouchsafe/gate/<key>`,
//! where the key is a hash of HEAD and the staged change list (paths, modes, blob ids;
//! `diff-index --cached --raw`, one quick git call). prepare-commit-msg computes the
//! same key, and when the file is there it removes it and passes; otherwise it runs
//! the gate. A key names content, not a process: a stale record can only ever skip a
//! scan of a change that was already scanned clean against the same HEAD (and so the
//! same committed policy). Records older than a day are pruned.
//!
//! Commits git replays rather than makes from new work are left to pre-push and CI,
//! which scan every commit that leaves: a cherry-pick or a rebase in progress
//! (`CHERRY_PICK_HEAD`, `REVERT_HEAD`, `rebase-merge/`, `rebase-apply/`; git does not
//! run pre-commit for those either) and the merge commit of `git merge` (the merged
//! commits were gated when they were made). A plain `git revert`, `--amend`, a squash
//! and a commit that concludes a conflicted merge are made by `git commit` and are
//! gated like any other commit.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};

use crate::git::Repo;

const MAX_AGE: Duration = Duration::from_secs(24 * 60 * 60);

fn key(repo: &Repo) -> anyhow::Result<String> {
    let head = repo.head()?;
    let base = match &head {
        Some(h) => h.clone(),
        None => repo.empty_tree()?,
    };
    let raw = repo.staged_raw(&base)?;
    let mut h = Sha256::new();
    h.update(head.as_deref().unwrap_or("unborn").as_bytes());
    h.update([0]);
    h.update(&raw);
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

fn dir(repo: &Repo) -> anyhow::Result<PathBuf> {
    Ok(repo.git_dir()?.join("vouchsafe").join("gate"))
}

/// Called by `hook pre-commit` after a clean pass. A failure only costs a second scan
/// in prepare-commit-msg, so it is logged, not raised.
pub fn record_pass(repo: &Repo) {
    let r = (|| -> anyhow::Result<()> {
        let d = dir(repo)?;
        std::fs::create_dir_all(&d)?;
        std::fs::write(d.join(key(repo)?), b"")?;
        if let Ok(entries) = std::fs::read_dir(&d) {
            let now = SystemTime::now();
            for e in entries.flatten() {
                let old = e
                    .metadata()
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| now.duration_since(t).ok())
                    .is_some_and(|age| age > MAX_AGE);
                if old {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
        Ok(())
    })();
    if let Err(e) = r {
        tracing::debug!("could not record the pre-commit pass: {e:#}");
    }
}

/// Whether pre-commit passed for exactly what is staged now; the record is consumed.
pub fn take_pass(repo: &Repo) -> anyhow::Result<bool> {
    let p = dir(repo)?.join(key(repo)?);
    match std::fs::remove_file(&p) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// The git operation replaying existing commits, when one is in progress.
pub fn replay_in_progress(
    repo: &Repo,
    source: Option<&str>,
) -> anyhow::Result<Option<&'static str>> {
    let gd = repo.git_dir()?;
    if gd.join("rebase-merge").is_dir() || gd.join("rebase-apply").is_dir() {
        return Ok(Some("rebase"));
    }
    if gd.join("CHERRY_PICK_HEAD").exists() {
        return Ok(Some("cherry-pick"));
    }
    if gd.join("REVERT_HEAD").exists() {
        return Ok(Some("revert"));
    }
    if source == Some("merge") {
        let action = std::env::var("GIT_REFLOG_ACTION").unwrap_or_default();
        if action.starts_with("merge") || action.starts_with("pull") {
            return Ok(Some("merge"));
        }
    }
    Ok(None)
}
