//! `vouchsafe install --global`: every repository on this machine.
//!
//! git 2.47 has no configuration-defined hooks (they arrive in 2.54), so the global
//! install points the global `core.hooksPath` at vouchsafe's own directory
//! (`<data-dir>/hooks`). That setting replaces each repository's hooks directory, so
//! on its own it would switch off every repository's own hooks and Git LFS. Here it
//! does not: the directory holds a shim for every hook name git runs, and each first
//! runs the hook git would have run without vouchsafe, the repository's own
//! `<git-common-dir>/hooks/<name>` (or, when `core.hooksPath` was already set
//! globally, that directory's hook); the gated hooks then run vouchsafe. Git LFS's
//! hooks are run when a repository uses LFS and has none of its own. `uninstall
//! --global` puts the global configuration back byte for byte.

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::manifest::{self, hex, unhex};
use super::shim::{self, Params, Scope, GATED, PASSTHROUGH_HOOKS};
use super::{paths, same_dir};
use crate::git;
use crate::Status;

/// The file `git config --global` writes: `$GIT_CONFIG_GLOBAL`, else `~/.gitconfig`
/// unless only the XDG file exists.
pub fn global_config_file() -> anyhow::Result<PathBuf> {
    if let Some(p) = std::env::var_os("GIT_CONFIG_GLOBAL").filter(|p| !p.is_empty()) {
        return Ok(git::absolute(Path::new(&p)));
    }
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .or_else(|| directories::BaseDirs::new().map(|b| b.home_dir().to_path_buf()))
        .context("HOME is not set, so the global git config cannot be found")?;
    let dot = home.join(".gitconfig");
    if dot.exists() {
        return Ok(dot);
    }
    let xdg = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|x| !x.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| home.join(".config"))
        .join("git/config");
    Ok(if xdg.exists() { xdg } else { dot })
}

fn read_hex(p: &Path) -> anyhow::Result<Option<String>> {
    match std::fs::read(p) {
        Ok(b) => Ok(Some(hex(&b))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", p.display())),
    }
}

/// Files this directory should hold: (name, content).
fn shims(binary: &str, fail_open: bool, chain_dir: Option<&str>) -> Vec<(String, String)> {
    let mut v = Vec::new();
    for hook in GATED {
        v.push((
            hook.to_string(),
            shim::render(&Params {
                hook,
                scope: Scope::Global,
                baked: Some(binary),
                fail_open,
                chain_dir,
            }),
        ));
    }
    for hook in PASSTHROUGH_HOOKS {
        v.push((hook.to_string(), shim::render_passthrough(hook, chain_dir)));
    }
    v
}

pub fn install(_force: bool, fail_open: bool) -> anyhow::Result<Status> {
    let dir = paths::global_hooks_dir()?;
    let mpath = paths::global_manifest()?;
    let old: Option<manifest::Global> = manifest::load(&mpath)?;
    let config_file = global_config_file()?;
    let mut current_raw = git::config_values("global", "core.hooksPath", false)?;
    let mut current = git::config_values("global", "core.hooksPath", true)?;
    let system = git::config_values("system", "core.hooksPath", true).unwrap_or_default();
    let mut ours_now = current.last().is_some_and(|v| same_dir(Path::new(v), &dir));
    if ours_now && old.is_none() {
        // The record was lost: take vouchsafe's value out first, so that what is
        // recorded as "before" is the configuration without vouchsafe.
        let others: Vec<String> = current_raw
            .iter()
            .zip(current.iter())
            .filter(|(_, exp)| !same_dir(Path::new(exp), &dir))
            .map(|(raw, _)| raw.clone())
            .collect();
        git::config_scoped("global", &["--unset-all", "core.hooksPath"])?;
        for v in &others {
            git::config_scoped("global", &["--add", "core.hooksPath", v])?;
        }
        current_raw = git::config_values("global", "core.hooksPath", false)?;
        current = git::config_values("global", "core.hooksPath", true)?;
        ours_now = false;
    }
    let binary = paths::for_shell(&paths::binary_to_bake()?);

    let (previous, chain_dir, before) = match (&old, ours_now) {
        (Some(o), true) => (
            o.previous_hooks_path.clone(),
            o.chain_dir.clone(),
            o.config_before.clone(),
        ),
        _ => {
            if old.is_some() {
                println!(
                    "The record of an earlier `install --global` is out of date (core.hooksPath was changed \
                     since); starting afresh from the configuration as it is now."
                );
            }
            let chain = current
                .last()
                .or(system.last())
                .filter(|v| !same_dir(Path::new(v), &dir) && v.as_str() != "/dev/null")
                .cloned();
            (current_raw.clone(), chain, read_hex(&config_file)?)
        }
    };

    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let wanted = shims(&binary, fail_open, chain_dir.as_deref());
    for (name, text) in &wanted {
        let p = dir.join(name);
        if std::fs::read(&p).is_ok_and(|c| c == text.as_bytes()) {
            continue;
        }
        shim::write_atomic(&p, text.as_bytes())?;
    }
    // Files an older version wrote that this one no longer does.
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if !wanted.iter().any(|(n, _)| *n == name)
                && std::fs::read(e.path()).is_ok_and(|c| shim::is_ours(&c))
            {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
    let dir_text = paths::for_shell(&dir);
    if !ours_now {
        git::config_scoped("global", &["--replace-all", "core.hooksPath", &dir_text])?;
    }
    let m = manifest::Global {
        format: manifest::FORMAT,
        vouchsafe_version: env!("CARGO_PKG_VERSION").to_string(),
        hooks_dir: dir.clone(),
        binary: binary.clone(),
        fail_open,
        config_file: config_file.clone(),
        config_before: before,
        config_after: read_hex(&config_file)?,
        previous_hooks_path: previous.clone(),
        chain_dir: chain_dir.clone(),
    };
    manifest::save(&mpath, &m)?;

    if ours_now {
        println!(
            "vouchsafe's global hooks in {} are up to date.",
            dir.display()
        );
    } else {
        println!("vouchsafe's hooks now run in every repository on this machine:");
        println!(
            "  core.hooksPath = {dir_text}   (global git config: {})",
            config_file.display()
        );
    }
    match &chain_dir {
        Some(c) => println!(
            "  core.hooksPath was {c} before, so each hook runs that directory's hook first, as git did."
        ),
        None => println!(
            "  Each hook first runs the repository's own hook (<git-common-dir>/hooks/<name>), so your \
             hooks and Git LFS keep working."
        ),
    }
    println!("  The hooks run {binary} ($VOUCHSAFE_BIN overrides it; vouchsafe on PATH is the fallback).");
    println!(
        "Repositories that set their own core.hooksPath (husky, a committed .githooks/) keep theirs and are \
         not covered: `vouchsafe status` there says so; the README (\"Coexisting with other hook managers\") shows how to add vouchsafe to them."
    );
    println!(
        "Note: `pre-commit install` and `lefthook install` refuse to run while a global core.hooksPath is set; \
         in such repositories add vouchsafe to their config instead, or use `vouchsafe install` per repository."
    );
    println!(
        "`vouchsafe uninstall --global` undoes all of this and restores your git config exactly."
    );
    Ok(Status::Ok)
}

pub fn uninstall() -> anyhow::Result<Status> {
    let dir = paths::global_hooks_dir()?;
    let mpath = paths::global_manifest()?;
    let m: Option<manifest::Global> = manifest::load(&mpath)?;
    let current = git::config_values("global", "core.hooksPath", true)?;
    let ours_now = current.last().is_some_and(|v| same_dir(Path::new(v), &dir));
    if m.is_none() && !ours_now && !dir.exists() {
        println!("vouchsafe is not installed globally; nothing to do.");
        return Ok(Status::Ok);
    }
    match &m {
        Some(m) if read_hex(&m.config_file)? == m.config_after => {
            match &m.config_before {
                Some(b) => std::fs::write(&m.config_file, unhex(b)?)
                    .with_context(|| format!("restoring {}", m.config_file.display()))?,
                None => std::fs::remove_file(&m.config_file)
                    .with_context(|| format!("removing {}", m.config_file.display()))?,
            }
            println!(
                "Restored {} exactly as it was before `vouchsafe install --global`.",
                m.config_file.display()
            );
        }
        _ if ours_now => {
            git::config_scoped("global", &["--unset-all", "core.hooksPath"])?;
            let previous = m.as_ref().map(|m| m.previous_hooks_path.clone()).unwrap_or_default();
            for v in &previous {
                git::config_scoped("global", &["--add", "core.hooksPath", v])?;
            }
            if previous.is_empty() {
                println!("Removed core.hooksPath from the global git config (it pointed at vouchsafe's hooks).");
            } else {
                println!(
                    "Set core.hooksPath in the global git config back to {}.",
                    previous.join(", ")
                );
            }
        }
        _ => println!(
            "core.hooksPath in the global git config no longer points at vouchsafe's hooks (it was changed \
             since); left as it is."
        ),
    }
    let mut kept = Vec::new();
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for e in entries.flatten() {
            if std::fs::read(e.path()).is_ok_and(|c| shim::is_ours(&c)) {
                std::fs::remove_file(e.path())
                    .with_context(|| format!("removing {}", e.path().display()))?;
            } else {
                kept.push(e.path());
            }
        }
    }
    if kept.is_empty() {
        let _ = std::fs::remove_dir(&dir);
        println!("Removed vouchsafe's global hooks ({}).", dir.display());
    } else {
        println!(
            "Removed vouchsafe's global hooks; {} holds files vouchsafe did not write, so it stays.",
            dir.display()
        );
    }
    let _ = std::fs::remove_file(&mpath);
    if let Some(parent) = mpath.parent() {
        let _ = std::fs::remove_dir(parent);
    }
    Ok(Status::Ok)
}
