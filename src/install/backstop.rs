//! The `--no-verify` backstop. `git commit --no-verify` skips pre-commit and
//! commit-msg but not prepare-commit-msg, so prepare-commit-msg runs the pre-commit
//! gate itself unless that gate already passed for exactly this change.
//!
//! The record: when `hook pre-commit` passes it writes `<git-dir>/vouchsafe/gate/<key>`,
//! where the key is the SHA-256 of the staged patch against HEAD that the scan read
//! (so recording costs no git call). prepare-commit-msg reads the same patch, and
//! when the file is there it removes it and passes; otherwise it runs the gate. A key
//! names content, not a process: a stale record can only ever skip a scan of the very
//! change that was already scanned clean. Records older than a day are pruned.
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

use crate::git::Repo;

const MAX_AGE: Duration = Duration::from_secs(24 * 60 * 60);

/// The record's name: the digest of the staged patch, which the staged scan computes
/// as it reads it (no extra git call in pre-commit).
fn key(repo: &Repo) -> anyhow::Result<String> {
    Ok(crate::scan::staged::staged_diff(repo, 0)?.digest)
}

fn dir(repo: &Repo) -> anyhow::Result<PathBuf> {
    Ok(repo.git_dir()?.join("vouchsafe").join("gate"))
}

/// Called by `hook pre-commit` after a clean pass. A failure only costs a second scan
/// in prepare-commit-msg, so it is logged, not raised.
pub fn record_pass(repo: &Repo, digest: &str) {
    let r = (|| -> anyhow::Result<()> {
        let d = dir(repo)?;
        std::fs::create_dir_all(&d)?;
        std::fs::write(d.join(digest), b"")?;
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
