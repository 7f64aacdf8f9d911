//! `vouchsafe hook pre-commit`: the staged scan as a gate. The report goes to
//! stderr (git shows a hook's output there anyway); findings exit 1.

use std::io::IsTerminal;

use crate::git::Repo;
use crate::report::{self, Format, Target};
use crate::scan;
use crate::Status;

pub fn run() -> anyhow::Result<Status> {
    let repo = Repo::discover()?;
    let out = scan::staged::scan_staged(&repo)?;
    let target = Target::new("the staged changes", "vouchsafe scan staged");
    let stderr = std::io::stderr();
    let color = report::use_color(stderr.is_terminal());
    let mut w = stderr.lock();
    if out.findings.is_empty() {
        // A clean gate stays quiet, apart from files it could not scan.
        let quiet = scan::Outcome {
            findings: Vec::new(),
            skipped: out.skipped,
            ..Default::default()
        };
        report::human::write_skips_only(&mut w, &quiet, color)?;
        // Lets the prepare-commit-msg backstop know this change was checked.
        crate::install::backstop::record_pass(&repo);
        return Ok(Status::Ok);
    }
    report::write(&mut w, Format::Human, &out, &target, color)?;
    eprintln!("The commit was stopped before it was made; nothing was lost. Fix the above and commit again.");
    Ok(Status::Blocked)
}
