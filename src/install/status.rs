//! `vouchsafe status`: which hooks are in effect here, which binary they run, which
//! policy judges the next commit, and what is wrong with how to fix it (exit 1).

use std::path::{Path, PathBuf};

use super::detect;
use super::local::{chained_path, read_slot, Slot};
use super::manifest;
use super::shim::{self, GATED};
use super::{paths, same_dir};
use crate::git::{self, Repo};
use crate::Status;

struct Report {
    problems: Vec<(String, String)>,
    notes: Vec<String>,
}

impl Report {
    fn problem(&mut self, what: impl Into<String>, fix: impl Into<String>) {
        self.problems.push((what.into(), fix.into()));
    }
}

pub fn run() -> anyhow::Result<Status> {
    let mut r = Report {
        problems: Vec::new(),
        notes: Vec::new(),
    };
    println!("vouchsafe {}", env!("CARGO_PKG_VERSION"));

    let global_dir = paths::global_hooks_dir()?;
    let global_m: Option<manifest::Global> = manifest::load(&paths::global_manifest()?)?;
    let global_set = git::config_values("global", "core.hooksPath", true)?
        .last()
        .is_some_and(|v| same_dir(Path::new(v), &global_dir));
    match (&global_m, global_set) {
        (Some(_), true) => println!(
            "global install:   on (core.hooksPath = {})",
            global_dir.display()
        ),
        (Some(_), false) => {
            println!("global install:   recorded, but not in effect");
            r.problem(
                "`vouchsafe install --global` was run, but the global core.hooksPath no longer points at vouchsafe's hooks",
                "vouchsafe install --global (or vouchsafe uninstall --global to forget it)",
            );
        }
        (None, true) => {
            println!("global install:   core.hooksPath points at vouchsafe's hooks, but there is no install record");
            r.problem(
                "the global install has no record, so `uninstall --global` could not restore your config exactly",
                "vouchsafe install --global",
            );
        }
        (None, false) => println!("global install:   off"),
    }

    match Repo::discover() {
        Ok(repo) if repo.work_tree.is_some() => {
            repo_status(&repo, &mut r, &global_dir, global_set)?
        }
        Ok(_) => println!("(a bare repository: client hooks do not apply)"),
        Err(git::Error::NotARepo) => {
            println!("(not inside a git repository: nothing more to check)")
        }
        Err(e) => return Err(e.into()),
    }

    for n in &r.notes {
        println!("note: {n}");
    }
    if r.problems.is_empty() {
        println!("No problems found.");
        Ok(Status::Ok)
    } else {
        println!("Problems:");
        for (what, fix) in &r.problems {
            println!("  - {what}");
            println!("    fix: {fix}");
        }
        Ok(Status::Blocked)
    }
}

fn repo_status(
    repo: &Repo,
    r: &mut Report,
    global_dir: &Path,
    global_set: bool,
) -> anyhow::Result<()> {
    let top = repo.work_tree.clone().unwrap_or_default();
    let common = repo.common_dir()?;
    let hooks_dir = repo.hooks_dir()?;
    let setting = repo.config_with_scope("core.hooksPath")?.pop();
    println!("repository:       {}", top.display());
    match &setting {
        Some((scope, value)) => println!(
            "hooks directory:  {} (core.hooksPath = {value}, from the {scope} config)",
            hooks_dir.display()
        ),
        None => println!("hooks directory:  {}", hooks_dir.display()),
    }
    let local_m: Option<manifest::Local> = manifest::load(&manifest::local_path(&common))?;
    let via_global = same_dir(&hooks_dir, global_dir);
    if let Some(m) = &local_m {
        if !same_dir(&m.hooks_dir, &hooks_dir) {
            r.problem(
                format!(
                    "vouchsafe's hooks were installed in {}, but git now runs the hooks in {}, so they do not run",
                    m.hooks_dir.display(),
                    hooks_dir.display()
                ),
                "vouchsafe uninstall, then vouchsafe install (it says what to do about core.hooksPath)",
            );
        }
    }
    if global_set && !via_global {
        if let Some((scope, value)) = &setting {
            r.problem(
                format!(
                    "this repository sets core.hooksPath ({scope} config: {value}), so the global vouchsafe hooks do not run here"
                ),
                if detect::is_husky_dir(&hooks_dir) {
                    "add vouchsafe to the .husky/<hook> files (docs/install.md)".to_string()
                } else {
                    "vouchsafe install (in this repository)".to_string()
                },
            );
        }
    }

    println!("hooks:");
    let mut ours = 0;
    let mut baked: Option<String> = None;
    let mut fail_open = false;
    let installed = local_m.is_some() || via_global;
    for hook in GATED {
        let slot = hooks_dir.join(hook);
        let line = match read_slot(&slot)? {
            Slot::Ours(content) => {
                ours += 1;
                let h = shim::header(&content).expect("ours has a header");
                if baked.is_none() {
                    baked = shim::value(&content, "baked").filter(|b| !b.is_empty());
                    fail_open = shim::value(&content, "on_missing").as_deref() == Some("warn");
                }
                if !shim::is_executable(&slot) {
                    r.problem(
                        format!("{hook}: vouchsafe's shim is not executable, so git skips it"),
                        "vouchsafe install",
                    );
                }
                if content.contains(&b'\r') {
                    r.problem(
                        format!("{hook}: vouchsafe's shim has CRLF line endings, which break sh"),
                        "vouchsafe install",
                    );
                }
                if h.format < shim::FORMAT {
                    r.problem(
                        format!(
                            "{hook}: the shim was written by an older vouchsafe ({})",
                            h.version
                        ),
                        "vouchsafe install",
                    );
                }
                let chain = chained_of(&hooks_dir, hook, &h.scope, &content, &common);
                format!("vouchsafe ({} shim){}", h.scope, chain)
            }
            Slot::Missing => {
                if installed {
                    r.problem(
                        format!("{hook}: vouchsafe's hook is missing"),
                        "vouchsafe install",
                    );
                }
                relocated(&hooks_dir, hook, r);
                "missing".to_string()
            }
            Slot::Foreign { content, .. } => {
                let whose = detect::identify(&content)
                    .map_or("another program's or your own".to_string(), |m| {
                        format!("{}'s", m.name())
                    });
                if installed {
                    r.problem(
                        format!("{hook}: {whose} hook has taken the place of vouchsafe's"),
                        "vouchsafe install (it keeps that hook and runs it first)",
                    );
                }
                relocated(&hooks_dir, hook, r);
                format!("not vouchsafe: {whose} hook")
            }
        };
        println!("  {hook:<19} {line}");
    }
    if ours == 0 && !(global_set && setting.is_some()) {
        r.problem(
            "vouchsafe's hooks are not installed in this repository",
            if detect::is_husky_dir(&hooks_dir) {
                "this repository uses husky: add vouchsafe to the .husky/<hook> files (docs/install.md)"
            } else {
                "vouchsafe install (or vouchsafe install --global for every repository)"
            },
        );
    }

    // Which binary the shims will run, in their order.
    if ours > 0 {
        let env_bin = std::env::var_os("VOUCHSAFE_BIN")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        let baked_path = baked.as_ref().map(PathBuf::from);
        let chosen = if let Some(b) = env_bin.as_ref().filter(|b| shim::is_executable(b)) {
            Some((b.clone(), "$VOUCHSAFE_BIN"))
        } else if let Some(b) = baked_path.as_ref().filter(|b| shim::is_executable(b)) {
            Some((b.clone(), "the path baked in at install"))
        } else {
            paths::find_on_path("vouchsafe").map(|p| (p, "found on PATH"))
        };
        if let Some(b) = env_bin.as_ref().filter(|b| !shim::is_executable(b)) {
            r.notes.push(format!(
                "VOUCHSAFE_BIN={} is not an executable file; the hooks skip it",
                b.display()
            ));
        }
        match chosen {
            Some((p, how)) => {
                println!("binary:           {} ({how})", p.display());
                if let Some(b) = baked_path.as_ref().filter(|b| !shim::is_executable(b)) {
                    r.notes.push(format!(
                        "the binary the hooks were installed with ({}) is gone, so they use {}; `vouchsafe install` bakes in the new path (GUI git clients may not have it on PATH)",
                        b.display(),
                        p.display()
                    ));
                }
                let me = std::env::current_exe()
                    .ok()
                    .and_then(|e| std::fs::canonicalize(e).ok());
                if me.is_some() && std::fs::canonicalize(&p).ok() != me {
                    r.notes.push(format!(
                        "the hooks run {}, not this binary ({})",
                        p.display(),
                        std::env::current_exe()
                            .map(|e| e.display().to_string())
                            .unwrap_or_default()
                    ));
                }
            }
            None => {
                println!("binary:           none found");
                r.problem(
                    format!(
                        "the hooks cannot find the vouchsafe binary ({}), so {}",
                        baked.as_deref().unwrap_or("no installed path"),
                        if fail_open {
                            "they let every commit and push through unchecked (--fail-open)"
                        } else {
                            "every commit and push is stopped"
                        }
                    ),
                    "reinstall the binary (installer/install.sh), then run `vouchsafe install`; or set VOUCHSAFE_BIN",
                );
            }
        }
    }

    match crate::policy::load_committed(repo) {
        Ok(_) => {
            if repo.show_blob("HEAD", crate::policy::FILE_NAME)?.is_some() {
                println!(
                    "policy:           HEAD:{} (the committed version)",
                    crate::policy::FILE_NAME
                );
            } else {
                println!(
                    "policy:           the default (no {} committed at HEAD)",
                    crate::policy::FILE_NAME
                );
            }
        }
        Err(e) => {
            println!("policy:           invalid");
            r.problem(
                format!("the committed policy cannot be used: {e:#}"),
                format!("fix {} and commit it", crate::policy::FILE_NAME),
            );
        }
    }
    println!("signing key:      not configured (attestation not built yet)");
    Ok(())
}

/// What a shim runs before vouchsafe.
fn chained_of(dir: &Path, hook: &str, scope: &str, content: &[u8], common: &Path) -> String {
    let target = if scope == "global" {
        match shim::value(content, "chain_dir").filter(|c| !c.is_empty()) {
            Some(c) => PathBuf::from(c).join(hook),
            None => common.join("hooks").join(hook),
        }
    } else {
        chained_path(dir, hook)
    };
    match read_slot(&target) {
        Ok(Slot::Missing) | Err(_) => String::new(),
        Ok(Slot::Ours(_)) => format!(
            "; runs first: {} (also vouchsafe's; it only chains)",
            target.display()
        ),
        Ok(Slot::Foreign { content, .. }) => {
            let whose = detect::identify(&content)
                .map(|m| format!(", {}", m.name()))
                .unwrap_or_default();
            if shim::is_executable(&target) {
                format!("; runs first: {}{whose}", target.display())
            } else {
                format!(
                    "; kept, not executable so not run: {}{whose}",
                    target.display()
                )
            }
        }
    }
}

/// Says where vouchsafe's shim went when another manager moved it aside.
fn relocated(dir: &Path, hook: &str, r: &mut Report) {
    for (p, who, runs) in [
        (dir.join(format!("{hook}.old")), "lefthook", false),
        (dir.join(format!("{hook}.legacy")), "pre-commit", true),
        (dir.join("old-hooks").join(hook), "Overcommit", false),
    ] {
        if std::fs::read(&p).is_ok_and(|c| shim::is_ours(&c)) {
            if runs {
                r.notes.push(format!(
                    "{hook}: {who} moved vouchsafe's shim to {} and runs it from there",
                    p.display()
                ));
            } else {
                r.problem(
                    format!("{hook}: {who} moved vouchsafe's shim to {} and does not run it", p.display()),
                    format!("delete {} and run `vouchsafe install` (it keeps {who}'s hook and runs it first)", p.display()),
                );
            }
        }
    }
}
