//! `vouchsafe hook prepare-commit-msg`: git runs it even under `--no-verify`, so it
//! is the backstop that runs the pre-commit gate when that did not run for what is
//! staged (see `install::backstop` for how it knows, and which commits it leaves to
//! pre-push). It runs before the editor opens, so a block loses no typed message.

use std::path::Path;

use crate::git::Repo;
use crate::install::backstop;
use crate::Status;

pub fn run(msg_file: &Path, source: Option<&str>, _sha: Option<&str>) -> anyhow::Result<Status> {
    let repo = Repo::discover()?;
    let status = gate(&repo, source)?;
    if status != Status::Ok {
        return Ok(status);
    }
    // Who helped (assistant policy, Assisted-by trailers): commit-msg does not run
    // under --no-verify, so this hook does it too.
    crate::hooks::commit_msg::from_prepare_commit_msg(&repo, msg_file, source)
}

/// The pre-commit backstop.
fn gate(repo: &Repo, source: Option<&str>) -> anyhow::Result<Status> {
    if backstop::take_pass(repo)? {
        return Ok(Status::Ok);
    }
    if let Some(op) = backstop::replay_in_progress(repo, source)? {
        tracing::debug!("{op} in progress: its commits are scanned at pre-push");
        return Ok(Status::Ok);
    }
    let status = crate::hooks::pre_commit::run_gate("prepare-commit-msg")?;
    // The gate records its own pass; this commit needs no second look.
    let _ = backstop::take_pass(repo);
    if status == Status::Blocked {
        eprintln!(
            "(pre-commit did not run for this commit, as with `git commit --no-verify`, so vouchsafe ran \
             the same secret check from prepare-commit-msg, which git always runs.)"
        );
    }
    Ok(status)
}
