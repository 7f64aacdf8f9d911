//! `vouchsafe hook prepare-commit-msg`: git runs it even under `--no-verify`, so it
//! is the backstop that runs the pre-commit gate when that did not run for what is
//! staged (see `install::backstop` for how it knows, and which commits it leaves to
//! pre-push). It runs before the editor opens, so a block loses no typed message.
//!
//! Everything git is asked runs in one round: the backstop's read of the staged patch
//! alongside what the assistant step needs (`commit_msg::Gathered`), which is used
//! only once the backstop has let the commit through.

use std::path::Path;

use crate::git::Repo;
use crate::hooks::commit_msg::Gathered;
use crate::install::backstop;
use crate::Status;

pub fn run(msg_file: &Path, source: Option<&str>, _sha: Option<&str>) -> anyhow::Result<Status> {
    let t0 = std::time::Instant::now();
    let repo = Repo::discover()?;
    // A commit git replays is left alone after the backstop (below): nothing else is
    // read for it. (An error here is raised where it was before: by the backstop,
    // after take_pass.)
    let replaying = matches!(backstop::replay_in_progress(&repo, source), Ok(Some(_)));
    // The message is scanned here when it is final (see `from_prepare_commit_msg`).
    let scan = source == Some("message") && !crate::ai::message::editor_used();
    let (passed, gathered) = if replaying {
        (backstop::take_pass(&repo), None)
    } else {
        std::thread::scope(|s| {
            let g = s.spawn(|| Gathered::read(&repo, false, scan).0);
            let passed = backstop::take_pass(&repo);
            let g = g
                .join()
                .unwrap_or_else(|_| Err(anyhow::anyhow!("a vouchsafe worker thread panicked")));
            (passed, Some(g))
        })
    };
    tracing::debug!(
        "prepare-commit-msg: backstop key and reads at {:?}",
        t0.elapsed()
    );
    let status = gate(&repo, source, passed?)?;
    if status != Status::Ok {
        return Ok(status);
    }
    // Who helped (assistant policy, Assisted-by trailers): commit-msg does not run
    // under --no-verify, so this hook does it too.
    crate::hooks::commit_msg::from_prepare_commit_msg(&repo, msg_file, source, gathered)
}

/// The pre-commit backstop, once `take_pass` said whether pre-commit passed for what
/// is staged.
fn gate(repo: &Repo, source: Option<&str>, passed: bool) -> anyhow::Result<Status> {
    if passed {
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
