//! The installer: shims, chaining existing hooks, global mode, uninstall, status.
//!
//! - `local`: one repository (the hooks directory git really uses, chaining, manifest)
//! - `global`: every repository, through a global `core.hooksPath` whose shims run
//!   each repository's own hooks
//! - `status`: what is in effect and what is wrong
//! - `backstop`: the record that lets prepare-commit-msg tell whether pre-commit ran
//! - `shim`, `detect`, `manifest`, `paths`: the pieces

pub mod backstop;
mod detect;
mod global;
mod local;
mod manifest;
pub mod paths;
mod shim;
mod status;

use std::path::Path;

use crate::cli::{InstallArgs, UninstallArgs};
use crate::git::Repo;
use crate::Status;

/// `--path-format=absolute` (which the installer and the shims use) needs git 2.31.
const MIN_GIT: (u32, u32, u32) = (2, 31, 0);

fn require_git() -> anyhow::Result<()> {
    let v = crate::git::version()?;
    if v < MIN_GIT {
        anyhow::bail!(
            "git {}.{}.{} is too old for vouchsafe's hooks: they need git {}.{} or newer; upgrade git and run this again",
            v.0,
            v.1,
            v.2,
            MIN_GIT.0,
            MIN_GIT.1
        );
    }
    Ok(())
}

fn repo_here(what: &str) -> anyhow::Result<Repo> {
    match Repo::discover() {
        Ok(r) => Ok(r),
        Err(crate::git::Error::NotARepo) => anyhow::bail!(
            "not inside a git repository: run `vouchsafe {what}` in the repository, or `vouchsafe {what} --global` for every repository"
        ),
        Err(e) => Err(e.into()),
    }
}

pub fn install(args: &InstallArgs) -> anyhow::Result<Status> {
    require_git()?;
    if args.global {
        return global::install(args.force, args.fail_open);
    }
    let repo = repo_here("install")?;
    local::install(&repo, args.force, args.fail_open)
}

pub fn uninstall(args: &UninstallArgs) -> anyhow::Result<Status> {
    if args.global {
        return global::uninstall();
    }
    let repo = repo_here("uninstall")?;
    local::uninstall(&repo)
}

pub fn status() -> anyhow::Result<Status> {
    status::run()
}

pub fn demo() -> anyhow::Result<Status> {
    crate::demo::run()
}

/// Whether two paths name the same directory (after resolving symlinks when both exist).
pub(crate) fn same_dir(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}
