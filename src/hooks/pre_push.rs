//! `vouchsafe hook pre-push <remote> <url>`: git gives one line per ref on stdin,
//! `<local-ref> <local-oid> <remote-ref> <remote-oid>`. The commits that would leave
//! are those reachable from the pushed objects and from none of the remote's refs we
//! know of (nor the remote's old value of each ref): they are scanned again here,
//! which catches commits made with `--no-verify` or by tools that turned hooks off.

use std::io::{IsTerminal, Read};

use crate::git::Repo;
use crate::report::{self, Fix, Format, Target};
use crate::scan::{self, ignore_file, Scanner};
use crate::Status;

/// One ref update from git's stdin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefUpdate {
    pub local_ref: String,
    pub local_oid: String,
    pub remote_ref: String,
    pub remote_oid: String,
}

pub fn parse_updates(input: &str) -> Vec<RefUpdate> {
    input
        .lines()
        .filter_map(|l| {
            let mut it = l.split_whitespace();
            Some(RefUpdate {
                local_ref: it.next()?.to_string(),
                local_oid: it.next()?.to_string(),
                remote_ref: it.next()?.to_string(),
                remote_oid: it.next()?.to_string(),
            })
        })
        .collect()
}

pub fn is_zero(oid: &str) -> bool {
    !oid.is_empty() && oid.bytes().all(|b| b == b'0')
}

pub fn run(remote: &str, _url: Option<&str>) -> anyhow::Result<Status> {
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input)?;
    let updates = parse_updates(&input);
    let repo = Repo::discover()?;
    let commits = outgoing_commits(&repo, remote, &updates)?;
    if commits.is_empty() {
        return Ok(Status::Ok);
    }
    let policy = crate::policy::load_committed(&repo)?;
    let scanner = Scanner::new(&policy, ignore_file::load(repo.work_tree.as_deref())?)?;
    let out = scan::range::scan_commits(&repo, &scanner, &commits, false)?;
    if out.findings.is_empty() {
        return Ok(Status::Ok);
    }
    let oldest = out
        .findings
        .iter()
        .filter_map(|f| f.commit.as_deref())
        .filter_map(|c| commits.iter().position(|x| x == c))
        .max();
    let base = oldest.map_or_else(
        || "@{upstream}".to_string(),
        |i| format!("{}^", &commits[i][..12]),
    );
    let range = format!("{}..{}", base, &commits[0][..12]);
    let target = Target {
        what: format!(
            "{} commit{} about to be pushed to {remote}",
            commits.len(),
            if commits.len() == 1 { "" } else { "s" }
        ),
        rerun: format!("vouchsafe scan range {range}"),
        fix: Fix::History(base),
    };
    let stderr = std::io::stderr();
    let color = report::use_color(stderr.is_terminal());
    report::write(&mut stderr.lock(), Format::Human, &out, &target, color)?;
    super::pre_commit::block_footer(&policy, "The push was stopped; the remote was not changed.");
    let incidents = crate::incident::Context::of(&repo).secrets("pre-push", &out.findings);
    crate::incident::record(&incidents, &policy);
    Ok(Status::Blocked)
}

/// The commits (newest first, merges left out) that the updates would send.
pub fn outgoing_commits(
    repo: &Repo,
    remote: &str,
    updates: &[RefUpdate],
) -> anyhow::Result<Vec<String>> {
    let mut args: Vec<String> = Vec::new();
    let mut any = false;
    for u in updates {
        if is_zero(&u.local_oid) {
            continue; // a deletion sends nothing
        }
        args.push(u.local_oid.clone());
        any = true;
    }
    if !any {
        return Ok(Vec::new());
    }
    args.push("--not".into());
    for u in updates {
        if !is_zero(&u.remote_oid)
            && repo
                .try_run(&["cat-file", "-e", &format!("{}^{{commit}}", u.remote_oid)])?
                .is_some()
        {
            args.push(u.remote_oid.clone());
        }
    }
    args.push(format!("--remotes={remote}"));
    Ok(repo.rev_list(&args)?)
}
