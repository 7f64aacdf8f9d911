//! `vouchsafe install` / `uninstall` in one repository: the hooks directory git really
//! uses, shims written atomically, hooks already there kept and chained, a manifest.

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::detect::{self, Manager};
use super::manifest::{self, ChainedRecord, HookRecord};
use super::shim::{self, Params, Scope, CHAINED_SUFFIX, GATED};
use super::{paths, same_dir};
use crate::git::Repo;
use crate::Status;

/// Where the hooks of this repository go.
pub enum Where {
    /// Into this directory (with a note for the user, when there is one to give).
    Here(PathBuf, Option<String>),
    /// `vouchsafe install --global` already covers this repository.
    Global(PathBuf),
}

pub const HUSKY_SNIPPET: &str = "  .husky/pre-commit:          vouchsafe hook pre-commit
  .husky/prepare-commit-msg:  vouchsafe hook prepare-commit-msg \"$@\"
  .husky/commit-msg:          vouchsafe hook commit-msg \"$1\"
  .husky/pre-push:            vouchsafe hook pre-push \"$@\"";

pub const HOOK_LINES: &str = "  pre-commit:          vouchsafe hook pre-commit
  prepare-commit-msg:  vouchsafe hook prepare-commit-msg \"$@\"
  commit-msg:          vouchsafe hook commit-msg \"$1\"
  pre-push:            vouchsafe hook pre-push \"$@\"   (the refs on stdin must reach it)";

fn scope_flag(scope: &str) -> String {
    match scope {
        "local" | "worktree" | "global" | "system" => format!("--{scope} "),
        _ => String::new(),
    }
}

/// Decides where this repository's hooks go, refusing (with what to do instead) where
/// writing would break another tool or reach beyond this repository.
pub fn resolve(repo: &Repo, force: bool) -> anyhow::Result<Where> {
    let hooks_dir = repo.hooks_dir()?;
    let common = repo.common_dir()?;
    let setting = repo.config_with_scope("core.hooksPath")?.pop();
    let Some((scope, value)) = setting else {
        return Ok(Where::Here(hooks_dir, None));
    };
    let flag = scope_flag(&scope);
    if value.trim().is_empty() {
        anyhow::bail!(
            "core.hooksPath is set to an empty value ({scope} config), so git looks for hooks in \
             whatever directory it runs in. Remove the setting (git config {flag}--unset-all core.hooksPath) \
             and run `vouchsafe install` again"
        );
    }
    if value == "/dev/null" || hooks_dir == Path::new("/dev/null") {
        anyhow::bail!(
            "core.hooksPath=/dev/null ({scope} config) turns every hook off here, so vouchsafe's \
             would never run. Remove the setting (git config {flag}--unset-all core.hooksPath) and \
             run `vouchsafe install` again"
        );
    }
    if same_dir(&hooks_dir, &common.join("hooks")) {
        return Ok(Where::Here(hooks_dir, None));
    }
    let shown = hooks_dir.display();
    match scope.as_str() {
        "local" | "worktree" => {
            if detect::is_husky_dir(&hooks_dir) {
                anyhow::bail!(
                    "this repository uses husky (core.hooksPath={value}): git runs only husky's hooks here, \
                     and husky rewrites {shown} on every install, so a vouchsafe shim there would not last \
                     (--force does not change that). Add vouchsafe to husky's hook files instead, and commit \
                     them so the whole team gets it:\n{HUSKY_SNIPPET}\n(vouchsafe's README, \"Coexisting with other hook managers\", has the details.)"
                );
            }
            let tracked = match &repo.work_tree {
                Some(top) if hooks_dir.starts_with(top) => repo.tracked_under(&hooks_dir)?,
                _ => false,
            };
            if tracked && !force {
                anyhow::bail!(
                    "core.hooksPath ({scope} config) points at {value}, a directory committed to this \
                     repository and shared with your team. vouchsafe does not write there unless you pass \
                     --force (its shims would show up as changes to commit). Or add vouchsafe to the hooks \
                     there yourself:\n{HOOK_LINES}"
                );
            }
            Ok(Where::Here(
                hooks_dir.clone(),
                Some(format!(
                    "core.hooksPath ({scope} config) is {value}: git runs the hooks in {shown}, so they go there"
                )),
            ))
        }
        "global" | "system" => {
            if let Some(g) = manifest::load::<manifest::Global>(&paths::global_manifest()?)? {
                if same_dir(&g.hooks_dir, &hooks_dir) {
                    return Ok(Where::Global(hooks_dir));
                }
            }
            let owner = dir_owner(&hooks_dir)
                .map(|m| format!(" (it looks like {m}'s)"))
                .unwrap_or_default();
            if !force {
                anyhow::bail!(
                    "core.hooksPath is set in your {scope} git config to {value}{owner}, so git does not run \
                     .git/hooks in this repository, nor in any other without its own setting. vouchsafe does \
                     not write into a directory another tool owns unless asked. Choose one:\n  \
                     vouchsafe install --force    put vouchsafe's hooks into {shown} (hooks already there are \
                     kept and run first; every repository that uses that directory gets vouchsafe)\n  \
                     vouchsafe install --global   point the global core.hooksPath at vouchsafe's own directory, \
                     whose hooks run those in {shown} first; `vouchsafe uninstall --global` puts the setting back"
                );
            }
            Ok(Where::Here(
                hooks_dir.clone(),
                Some(format!(
                    "core.hooksPath ({scope} config) is {value}{owner}: vouchsafe's hooks go there (--force), \
                     so every repository that uses that directory runs them"
                )),
            ))
        }
        _ => {
            if !force {
                anyhow::bail!(
                    "core.hooksPath is set on the command line or in GIT_CONFIG_PARAMETERS ({value}); \
                     run `vouchsafe install` without it, or pass --force to write into {shown}"
                );
            }
            Ok(Where::Here(hooks_dir, None))
        }
    }
}

/// Which tool a shared hooks directory belongs to, from its path and files.
fn dir_owner(dir: &Path) -> Option<&'static str> {
    if dir.ends_with("ggshield/git-hooks") {
        return Some("ggshield");
    }
    GATED.iter().find_map(|h| {
        std::fs::read(dir.join(h))
            .ok()
            .and_then(|c| detect::identify(&c))
            .map(Manager::name)
    })
}

/// What is at a hook's place in the hooks directory.
pub enum Slot {
    Missing,
    Ours(Vec<u8>),
    Foreign {
        /// The file's content (through a symlink), for naming its manager.
        content: Vec<u8>,
        /// Content, or the link target of a symlink: what the manifest hashes.
        identity: Vec<u8>,
        mode: u32,
        symlink: bool,
    },
}

pub fn read_slot(path: &Path) -> anyhow::Result<Slot> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Slot::Missing),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    if meta.file_type().is_symlink() {
        let target = std::fs::read_link(path)?;
        return Ok(Slot::Foreign {
            content: std::fs::read(path).unwrap_or_default(),
            identity: crate::git::os_bytes(target.as_os_str()),
            mode: shim::mode_of(&meta),
            symlink: true,
        });
    }
    if meta.is_dir() {
        anyhow::bail!(
            "{} is a directory, where git expects a hook file; move it away and run `vouchsafe install` again",
            path.display()
        );
    }
    let content = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    if shim::is_ours(&content) {
        return Ok(Slot::Ours(content));
    }
    Ok(Slot::Foreign {
        identity: content.clone(),
        content,
        mode: shim::mode_of(&meta),
        symlink: false,
    })
}

pub fn chained_path(dir: &Path, hook: &str) -> PathBuf {
    dir.join(format!("{hook}{CHAINED_SUFFIX}"))
}

fn exists(p: &Path) -> bool {
    std::fs::symlink_metadata(p).is_ok()
}

enum Action {
    UpToDate,
    Write {
        update: bool,
    },
    Chain {
        manager: Option<Manager>,
        record: ChainedRecord,
    },
}

pub fn install(repo: &Repo, force: bool, fail_open: bool) -> anyhow::Result<Status> {
    if repo.work_tree.is_none() {
        anyhow::bail!(
            "this is a bare repository: nobody commits here, so client hooks would never run. \
             Run `vouchsafe install` in a clone (a server checks pushes with `vouchsafe hook pre-receive`)"
        );
    }
    let common = repo.common_dir()?;
    let (hooks_dir, note) = match resolve(repo, force)? {
        Where::Here(d, n) => (d, n),
        Where::Global(d) => {
            println!(
                "This repository is already protected by `vouchsafe install --global` (core.hooksPath is {}).",
                d.display()
            );
            println!("Nothing to do here; `vouchsafe status` shows the hooks.");
            return Ok(Status::Ok);
        }
    };
    let manifest_path = manifest::local_path(&common);
    let old: Option<manifest::Local> = manifest::load(&manifest_path)?;
    let created_before = old.as_ref().is_some_and(|m| m.created_hooks_dir);
    let created = !hooks_dir.exists();
    let binary = paths::for_shell(&paths::binary_to_bake()?);

    // Plan every hook first: a refusal leaves everything as it was.
    let mut plan = Vec::new();
    let mut refusals = Vec::new();
    for hook in GATED {
        let slot_path = hooks_dir.join(hook);
        let chained = chained_path(&hooks_dir, hook);
        let text = shim::render(&Params {
            hook,
            scope: Scope::Repo,
            baked: Some(&binary),
            fail_open,
            chain_dir: None,
        });
        let action = match read_slot(&slot_path)? {
            Slot::Missing => Action::Write { update: false },
            Slot::Ours(c) if c == text.as_bytes() => Action::UpToDate,
            Slot::Ours(_) => Action::Write { update: true },
            Slot::Foreign {
                content,
                identity,
                mode,
                symlink,
            } => {
                let manager = detect::identify(&content);
                if exists(&chained) {
                    refusals.push(format!(
                        "{hook}: {} holds a hook, and so does {} (the one vouchsafe kept when it was \
                         installed before; something has since put its own hook in place of vouchsafe's). \
                         vouchsafe keeps only one; move one of them away, then run `vouchsafe install` again",
                        slot_path.display(),
                        chained.display()
                    ));
                    continue;
                }
                if let Some(m) = manager.filter(|m| m.needs_own_name()) {
                    if !force {
                        refusals.push(format!(
                            "{hook}: the hook there is {}'s, which works out which hook it is from its own file \
                             name, so it would stop working if vouchsafe kept it as {}. Add vouchsafe to {} \
                             instead (README: \"Coexisting with other hook managers\"), or pass --force to chain it anyway",
                            m.name(),
                            chained.display(),
                            m.name()
                        ));
                        continue;
                    }
                }
                Action::Chain {
                    manager,
                    record: ChainedRecord {
                        file: format!("{hook}{CHAINED_SUFFIX}"),
                        sha256: shim::sha256_hex(&identity),
                        mode,
                        symlink,
                        executable: shim::is_executable(&slot_path),
                        manager: manager.map(|m| m.name().to_string()),
                    },
                }
            }
        };
        plan.push((hook, text, action));
    }
    if !refusals.is_empty() {
        anyhow::bail!(
            "nothing was changed in {}:\n  {}",
            hooks_dir.display(),
            refusals.join("\n  ")
        );
    }

    std::fs::create_dir_all(&hooks_dir)
        .with_context(|| format!("creating the hooks directory {}", hooks_dir.display()))?;
    let mut records = Vec::new();
    let mut lines = Vec::new();
    let mut managers: Vec<Manager> = Vec::new();
    for (hook, text, action) in plan {
        let slot_path = hooks_dir.join(hook);
        let chained = chained_path(&hooks_dir, hook);
        // A hook kept by an earlier install stays chained.
        let mut chained_record = old
            .as_ref()
            .and_then(|m| m.hooks.iter().find(|h| h.name == hook))
            .and_then(|h| h.chained.clone())
            .filter(|_| exists(&chained));
        if chained_record.is_none() && exists(&chained) {
            chained_record = describe_existing(&chained)?;
        }
        let what = match action {
            Action::UpToDate => "already installed".to_string(),
            Action::Write { update } => {
                shim::write_atomic(&slot_path, text.as_bytes())?;
                if update { "updated" } else { "installed" }.to_string()
            }
            Action::Chain { manager, record } => {
                chain_and_write(&slot_path, &chained, text.as_bytes())?;
                if let Some(m) = manager {
                    if !managers.contains(&m) {
                        managers.push(m);
                    }
                }
                let whose = manager.map_or("your existing hook".to_string(), |m| {
                    format!("the existing {} hook", m.name())
                });
                let s = if record.executable {
                    format!(
                        "installed; {whose} is kept as {} and runs first{}",
                        record.file,
                        if hook == "pre-push" {
                            ", with the same input"
                        } else {
                            ""
                        }
                    )
                } else {
                    format!(
                        "installed; {whose} was not executable, so git was not running it: it is kept as {} \
                         and still not run (`vouchsafe uninstall` puts it back)",
                        record.file
                    )
                };
                chained_record = Some(record);
                s
            }
        };
        lines.push(format!("  {hook:<19} {what}"));
        records.push(HookRecord {
            name: hook.to_string(),
            shim_sha256: shim::sha256_hex(text.as_bytes()),
            chained: chained_record,
        });
    }
    let m = manifest::Local {
        format: manifest::FORMAT,
        vouchsafe_version: env!("CARGO_PKG_VERSION").to_string(),
        hooks_dir: hooks_dir.clone(),
        created_hooks_dir: created || created_before,
        binary: binary.clone(),
        fail_open,
        hooks: records,
    };
    manifest::save(&manifest_path, &m)?;

    if let Some(n) = note {
        println!("{n}");
    }
    println!("vouchsafe's hooks are in {}:", hooks_dir.display());
    for l in lines {
        println!("{l}");
    }
    println!("They run {binary} ($VOUCHSAFE_BIN overrides it; vouchsafe on PATH is the fallback).");
    if fail_open {
        println!("--fail-open: if that binary goes missing, the hooks warn and let git go on without the checks.");
    } else {
        println!("If that binary goes missing the hooks stop git and say how to reinstall.");
    }
    for (m, file) in detect::in_repo(repo.work_tree.as_deref(), &common) {
        if !managers.contains(&m) {
            managers.push(m);
            println!("Found {file}: this repository also uses {}.", m.name());
        }
    }
    for m in managers {
        if let Some(later) = m.later() {
            println!("{}: {later}.", m.name());
        }
    }
    Ok(Status::Ok)
}

/// A chained file with no record (the manifest was lost): describe it as it is.
fn describe_existing(chained: &Path) -> anyhow::Result<Option<ChainedRecord>> {
    Ok(match read_slot(chained)? {
        Slot::Foreign {
            content,
            identity,
            mode,
            symlink,
        } => Some(ChainedRecord {
            file: chained
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default(),
            sha256: shim::sha256_hex(&identity),
            mode,
            symlink,
            executable: shim::is_executable(chained),
            manager: detect::identify(&content).map(|m| m.name().to_string()),
        }),
        _ => None,
    })
}

/// Moves the hook at `slot` to `chained` and puts the shim in its place; if the last
/// step fails the hook is moved back, so it is never lost.
fn chain_and_write(slot: &Path, chained: &Path, text: &[u8]) -> anyhow::Result<()> {
    let dir = slot.parent().context("hook has a directory")?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".vouchsafe-tmp-")
        .tempfile_in(dir)?;
    std::io::Write::write_all(&mut tmp, text)?;
    shim::set_executable(tmp.path())?;
    tmp.as_file().sync_all()?;
    anyhow::ensure!(
        !exists(chained),
        "{} appeared while installing; nothing was changed",
        chained.display()
    );
    std::fs::rename(slot, chained)
        .with_context(|| format!("moving {} to {}", slot.display(), chained.display()))?;
    if let Err(e) = tmp.persist(slot) {
        let _ = std::fs::rename(chained, slot);
        return Err(e.error).with_context(|| format!("writing {}", slot.display()));
    }
    Ok(())
}

pub fn uninstall(repo: &Repo) -> anyhow::Result<Status> {
    let common = repo.common_dir()?;
    let manifest_path = manifest::local_path(&common);
    let m: Option<manifest::Local> = manifest::load(&manifest_path)?;
    let hooks_dir = match &m {
        Some(m) => m.hooks_dir.clone(),
        None => repo.hooks_dir()?,
    };
    let mut names: Vec<String> = GATED.iter().map(|s| s.to_string()).collect();
    if let Some(m) = &m {
        for h in &m.hooks {
            if !names.contains(&h.name) {
                names.push(h.name.clone());
            }
        }
    }
    let global = manifest::load::<manifest::Global>(&paths::global_manifest()?)?;
    if let Some(g) = &global {
        if m.is_none() && same_dir(&g.hooks_dir, &hooks_dir) {
            println!(
                "vouchsafe is installed for every repository (`install --global`), not in this one; \
                 `vouchsafe uninstall --global` removes that."
            );
            return Ok(Status::Ok);
        }
    }
    let mut lines = Vec::new();
    let mut touched = false;
    for name in &names {
        let slot = hooks_dir.join(name);
        let chained = chained_path(&hooks_dir, name);
        let record = m
            .as_ref()
            .and_then(|m| m.hooks.iter().find(|h| &h.name == name));
        match read_slot(&slot)? {
            Slot::Ours(content) => {
                touched = true;
                let edited = record.is_some_and(|r| r.shim_sha256 != shim::sha256_hex(&content))
                    && !content_is_any_shim_version(&content);
                if edited {
                    lines.push(format!(
                        "  {name:<19} left in place: it was changed after vouchsafe wrote it; \
                         remove the vouchsafe lines from {} yourself",
                        slot.display()
                    ));
                    if exists(&chained) {
                        lines.push(format!(
                            "  {:<19} the hook vouchsafe kept stays at {}",
                            "",
                            chained.display()
                        ));
                    }
                    continue;
                }
                std::fs::remove_file(&slot)
                    .with_context(|| format!("removing {}", slot.display()))?;
                lines.push(format!("  {name:<19} removed"));
            }
            Slot::Missing => {}
            Slot::Foreign { content, .. } => {
                if record.is_some() {
                    let whose = detect::identify(&content)
                        .map_or("another".to_string(), |m| format!("{}'s", m.name()));
                    lines.push(format!(
                        "  {name:<19} left alone: {whose} hook has replaced vouchsafe's"
                    ));
                }
            }
        }
        if exists(&chained) {
            touched = true;
            if exists(&slot) {
                lines.push(format!(
                    "  {:<19} the hook vouchsafe kept stays at {} ({} is taken)",
                    "",
                    chained.display(),
                    name
                ));
                continue;
            }
            std::fs::rename(&chained, &slot).with_context(|| {
                format!("moving {} back to {}", chained.display(), slot.display())
            })?;
            let rec = record.and_then(|r| r.chained.as_ref());
            if let Some(rec) = rec {
                restore_mode(&slot, rec);
            }
            lines.push(format!("  {name:<19} your hook is back in place"));
        }
    }
    if let Some(m) = &m {
        if m.created_hooks_dir
            && std::fs::read_dir(&hooks_dir).is_ok_and(|mut d| d.next().is_none())
        {
            let _ = std::fs::remove_dir(&hooks_dir);
        }
    }
    remove_state(&common);
    if !touched && m.is_none() {
        println!(
            "vouchsafe is not installed in this repository ({}); nothing to do.",
            hooks_dir.display()
        );
        return Ok(Status::Ok);
    }
    println!(
        "vouchsafe's hooks are removed from {}:",
        hooks_dir.display()
    );
    for l in lines {
        println!("{l}");
    }
    Ok(Status::Ok)
}

/// A shim from any vouchsafe version, unedited: its content is what some version would
/// render (checked loosely: the header says ours and the last line is the template's).
fn content_is_any_shim_version(content: &[u8]) -> bool {
    let text = String::from_utf8_lossy(content);
    let last = |s: &str| s.trim_end().lines().last().map(str::to_string);
    last(&text) == last(shim::SHIM) || last(&text) == last(shim::PASSTHROUGH)
}

fn restore_mode(path: &Path, rec: &ChainedRecord) {
    #[cfg(unix)]
    if !rec.symlink {
        use std::os::unix::fs::PermissionsExt;
        if std::fs::read(path).is_ok_and(|c| shim::sha256_hex(&c) == rec.sha256) {
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(rec.mode));
        }
    }
    #[cfg(not(unix))]
    let _ = (path, rec);
}

/// Removes vouchsafe's own state under the git dirs: the manifest and gate markers.
fn remove_state(common: &Path) {
    let mut dirs = vec![common.join("vouchsafe")];
    if let Ok(wts) = std::fs::read_dir(common.join("worktrees")) {
        for wt in wts.flatten() {
            dirs.push(wt.path().join("vouchsafe"));
        }
    }
    for d in dirs {
        let _ = std::fs::remove_file(d.join("install.json"));
        let _ = std::fs::remove_dir_all(d.join("gate"));
        let _ = std::fs::remove_dir(&d);
    }
}
