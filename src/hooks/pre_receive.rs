//! `vouchsafe hook pre-receive`: the same secret check on a git server, inside the
//! bare repository, for the commits new to the server (`rev-list <new> --not --all`;
//! the refs are not updated yet, so `--all` is what the server had). git runs the
//! hook with the pushed objects in quarantine; the environment it sets is inherited
//! by every git we run, so they are visible. Non-zero rejects the whole push.

use std::io::Read;

use crate::git::Repo;
use crate::scan;
use crate::Status;

pub fn run() -> anyhow::Result<Status> {
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input)?;
    let repo = Repo::discover()?;
    let mut args: Vec<&str> = Vec::new();
    for line in input.lines() {
        let parts: Vec<&str> = line.split_whitespace().collect();
        if let [_old, new, _name] = parts[..] {
            if !super::pre_push::is_zero(new) {
                args.push(new);
            }
        }
    }
    if args.is_empty() {
        return Ok(Status::Ok);
    }
    args.extend(["--not", "--all"]);
    let commits = repo.rev_list_all(&args)?;
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
    let what = format!(
        "{} pushed commit{}",
        commits.len(),
        if commits.len() == 1 { "" } else { "s" }
    );
    super::pre_push::gate_commits(
        &repo,
        &policy,
        ignore,
        &commits,
        "pre-receive",
        &what,
        "The server rejected the push; no ref was updated.",
    )
}
