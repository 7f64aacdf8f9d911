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
    let ignore = ignore_file::load(repo.work_tree.as_deref())?;
    let what = format!(
        "{} commit{} about to be pushed to {remote}",
        commits.len(),
        if commits.len() == 1 { "" } else { "s" }
    );
    gate_commits(
        &repo,
        &policy,
        ignore,
        &commits,
        "pre-push",
        &what,
        "The push was stopped; the remote was not changed.",
    )
}

/// What pre-push and pre-receive do with the commits that would arrive (newest
/// first, merges included): scan the lines they add for secrets, verify their
/// attestations per the policy, and on any problem print one report per kind, log
/// the incidents and block.
pub fn gate_commits(
    repo: &Repo,
    policy: &crate::policy::Policy,
    ignore: std::collections::HashSet<String>,
    commits: &[String],
    gate: &str,
    what: &str,
    footer: &str,
) -> anyhow::Result<Status> {
    let scanner = Scanner::new(policy, ignore, scan::Volume::Bulk)?;
    // A merge adds no lines of its own to scan; its attestation is still checked.
    let out = scan::range::scan_commits(repo, &scanner, commits, false)?;
    let problems = super::attest_gate::check(repo, policy, commits)?;
    if out.findings.is_empty() && problems.is_empty() {
        return Ok(Status::Ok);
    }
    // The fix rewrites from the parent of the oldest commit with a problem.
    let oldest = out
        .findings
        .iter()
        .filter_map(|f| f.commit.as_deref())
        .chain(problems.iter().map(|p| p.commit.as_str()))
        .filter_map(|c| commits.iter().position(|x| x == c))
        .max();
    let base = oldest.map_or_else(
        || "@{upstream}".to_string(),
        |i| format!("{}^", &commits[i][..12]),
    );
    let ctx = crate::incident::Context::of(repo);
    let mut incidents = Vec::new();
    if !out.findings.is_empty() {
        let target = Target {
            what: what.to_string(),
            rerun: format!("vouchsafe scan range {}..{}", base, &commits[0][..12]),
            fix: Fix::History(base.clone()),
        };
        let stderr = std::io::stderr();
        let color = report::use_color(stderr.is_terminal());
        report::write(&mut stderr.lock(), Format::Human, &out, &target, color)?;
        incidents.extend(ctx.secrets(gate, &out.findings));
    }
    if !problems.is_empty() {
        if !out.findings.is_empty() {
            eprintln!();
        }
        super::attest_gate::report(&problems, &base);
        incidents.extend(super::attest_gate::incidents(&ctx, gate, &problems));
    }
    super::pre_commit::block_footer(policy, footer);
    crate::incident::record(&incidents, policy);
    Ok(Status::Blocked)
}

/// The commits (newest first, merges included) that the updates would send.
pub fn outgoing_commits(
    repo: &Repo,
    remote: &str,
    updates: &[RefUpdate],
) -> anyhow::Result<Vec<String>> {
    let mut args: Vec<String> = Vec::new();
    for u in updates {
        if !is_zero(&u.local_oid) {
            args.push(u.local_oid.clone()); // a deletion sends nothing
        }
    }
    if args.is_empty() {
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
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    Ok(repo.rev_list_all(&args)?)
}
