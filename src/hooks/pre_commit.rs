//! `vouchsafe hook pre-commit`: the staged scan as a gate. The report goes to
//! stderr (git shows a hook's output there anyway); findings exit 1 and are written
//! to the incident log.

use std::io::IsTerminal;

use crate::git::Repo;
use crate::incident;
use crate::report::{self, Format, Target};
use crate::scan;
use crate::Status;

pub fn run() -> anyhow::Result<Status> {
    run_gate("pre-commit")
}

/// The gate under the name of the hook that runs it: `pre-commit`, or
/// `prepare-commit-msg` when it stands in for a pre-commit that `--no-verify` skipped.
pub fn run_gate(gate: &str) -> anyhow::Result<Status> {
    let t0 = std::time::Instant::now();
    let repo = Repo::discover()?;
    let scan::staged::Staged {
        outcome: out,
        policy,
        digest,
    } = scan::staged::scan_staged(&repo)?;
    tracing::debug!(
        "{gate}: staged change read and scanned at {:?}",
        t0.elapsed()
    );
    let target = Target::new("the staged changes", "vouchsafe scan staged");
    let stderr = std::io::stderr();
    let color = report::use_color(stderr.is_terminal());
    let mut w = stderr.lock();
    if out.findings.is_empty() {
        // A clean gate stays quiet, apart from files it could not scan.
        report::human::write_skips_only(&mut w, &out, color)?;
        // Lets the prepare-commit-msg backstop know this change was checked.
        crate::install::backstop::record_pass(&repo, &digest);
        return Ok(Status::Ok);
    }
    report::write(&mut w, Format::Human, &out, &target, color)?;
    drop(w);
    block_footer(&policy, "The commit was stopped before it was made; nothing was lost. Fix the above and commit again.");
    let mut incidents = incident::Context::of(&repo).secrets(gate, &out.findings);
    if gate != "pre-commit" {
        for i in &mut incidents {
            i.detail = Some("pre-commit did not run (git commit --no-verify)".into());
        }
    }
    incident::record(&incidents, &policy);
    Ok(Status::Blocked)
}

/// The last lines of every block message: what happened to the commit or push, and
/// whom the policy says to tell.
pub fn block_footer(policy: &crate::policy::Policy, what: &str) {
    eprintln!("{what}");
    if let Some(line) = policy.incidents.report_line() {
        eprintln!("{line}");
    }
}
