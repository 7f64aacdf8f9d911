//! `vouchsafe hook pre-receive`: the same secret check on a git server, inside the
//! bare repository, for the commits new to the server (`rev-list <new> --not --all`;
//! the refs are not updated yet, so `--all` is what the server had). git runs the
//! hook with the pushed objects in quarantine; the environment it sets is inherited
//! by every git we run, so they are visible. Non-zero rejects the whole push.

use std::io::Read;

use crate::git::Repo;
use crate::report::{self, Fix, Format, Target};
use crate::scan::{self, Scanner};
use crate::Status;

pub fn run() -> anyhow::Result<Status> {
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input)?;
    let repo = Repo::discover()?;
    let mut args: Vec<String> = Vec::new();
    let mut any = false;
    for line in input.lines() {
        let parts: Vec<&str> = line.split_whitespace().collect();
        if let [_old, new, _name] = parts[..] {
            if !super::pre_push::is_zero(new) {
                args.push(new.to_string());
                any = true;
            }
        }
    }
    if !any {
        return Ok(Status::Ok);
    }
    args.extend(["--not".into(), "--all".into()]);
    let commits = repo.rev_list(&args)?;
    if commits.is_empty() {
        return Ok(Status::Ok);
    }
    let policy = crate::policy::load_committed(&repo)?;
    // A server has no work tree: the ignore file is read from HEAD.
    let ignore = match repo.work_tree.as_deref() {
        Some(top) => scan::ignore_file::load(Some(top))?,
        None => repo
            .show_blob("HEAD", scan::ignore_file::FILE_NAME)?
            .map(|b| scan::ignore_file::parse(&String::from_utf8_lossy(&b)))
            .unwrap_or_default(),
    };
    let scanner = Scanner::new(&policy, ignore)?;
    let found = scan::range::scan_commits(&repo, &scanner, &commits, false)?;
    if found.findings.is_empty() {
        return Ok(Status::Ok);
    }
    let target = Target {
        what: format!(
            "{} pushed commit{}",
            commits.len(),
            if commits.len() == 1 { "" } else { "s" }
        ),
        rerun: "vouchsafe scan range @{upstream}..HEAD".into(),
        fix: Fix::History("@{upstream}".into()),
    };
    report::write(
        &mut std::io::stderr().lock(),
        Format::Human,
        &found,
        &target,
        false,
    )?;
    super::pre_commit::block_footer(&policy, "The server rejected the push; no ref was updated.");
    let incidents = crate::incident::Context::of(&repo).secrets("pre-receive", &found.findings);
    crate::incident::record(&incidents, &policy);
    Ok(Status::Blocked)
}
