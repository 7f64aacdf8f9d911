//! `vouchsafe status`: which hooks are in effect here, which binary they run, which
//! policy judges the next commit (approved assistants, required attestations), which
//! key signs and whether the allowed signers list it, and what is wrong with how to fix
//! it (exit 1). Quick: a few git calls; it signs nothing and never prompts.

use std::path::{Path, PathBuf};

use super::detect;
use super::local::{chained_path, read_slot, Slot};
use super::manifest;
use super::shim::{self, GATED};
use super::{paths, same_dir};
use crate::attest::keys::{self, Inputs, Origin};
use crate::attest::signers::Denial;
use crate::attest::stamp::{key_inputs, GitConfig};
use crate::attest::{agent, verify, NAMESPACE};
use crate::git::{self, Repo};
use crate::policy::attestation::Require;
use crate::policy::Policy;
use crate::Status;
use ssh_key::{PrivateKey, PublicKey};

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
                    "add vouchsafe to the .husky/<hook> files (README: \"Coexisting with other hook managers\")".to_string()
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
                "this repository uses husky: add vouchsafe to the .husky/<hook> files (README: \"Coexisting with other hook managers\")"
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

    let policy = match crate::policy::load_committed(repo) {
        Ok(p) => {
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
            Some(p)
        }
        Err(e) => {
            println!("policy:           invalid");
            r.problem(
                format!("the committed policy cannot be used: {e:#}"),
                format!("fix {} and commit it", crate::policy::FILE_NAME),
            );
            None
        }
    };
    if let Some(p) = &policy {
        println!("agents:           {}", agents_summary(p));
        println!("attestation:      {}", attestation_summary(p));
    }
    signing(repo, policy.as_ref(), r);
    Ok(())
}

/// `[agents]` in a line.
fn agents_summary(p: &Policy) -> String {
    let Some(a) = &p.agents else {
        return "any assistant (no [agents] in the policy); each commit records which one helped"
            .to_string();
    };
    let mut s = match &a.approved {
        None => "any assistant ([agents] approved is not set)".to_string(),
        Some(list) if list.is_empty() => format!(
            "none approved; a commit made with any assistant: {}",
            a.on_unapproved.as_str()
        ),
        Some(list) => format!(
            "approved: {}; any other: {}",
            list.join(", "),
            a.on_unapproved.as_str()
        ),
    };
    if a.approved.is_some() {
        if let Some(u) = a.on_unknown.filter(|u| *u != a.on_unapproved) {
            s.push_str(&format!("; unknown assistants: {}", u.as_str()));
        }
        if let Some(c) = &a.contact {
            s.push_str(&format!("; ask {c}"));
        }
    }
    s
}

/// `[attestation] require` in a line.
fn attestation_summary(p: &Policy) -> &'static str {
    match p.attestation.require {
        Some(Require::All) => "require = \"all\": every commit must carry a valid attestation",
        Some(Require::Assisted) => {
            "require = \"assisted\": commits made with an assistant must carry a valid attestation"
        }
        Some(Require::Off) => "require = \"off\": not required (commits are signed when a key is found)",
        None => "not required ([attestation] require is not set); commits are signed when a key is found",
    }
}

/// The key the next commit will be signed with, as far as can be told without opening
/// a passphrase-protected key.
enum Key {
    Ready(keys::Signer),
    /// A passphrase-protected key file that ssh-agent does not hold: the commit-msg hook
    /// opens it with the passphrase from the OS keychain. `status` does not touch the
    /// keychain (it can prompt to unlock) nor spend the key's KDF rounds.
    Locked {
        public: PublicKey,
        origin: Origin,
    },
    None,
    Broken(String),
}

/// Which key signs, whether the allowed signers list it, and what the policy makes of
/// that. A few git calls at most; nothing is signed and nothing prompts.
fn signing(repo: &Repo, policy: Option<&Policy>, r: &mut Report) {
    let default = Policy::default();
    let p = policy.unwrap_or(&default);
    let cfg = GitConfig::load(repo);
    let email = crate::attest::cmd::principal(repo, &cfg);
    let key = match key_inputs(repo, &cfg, p, email.as_deref()) {
        Ok(inp) => match locked_key(&inp) {
            Some((public, origin)) => Key::Locked { public, origin },
            None => match keys::resolve(&inp) {
                Ok(Some(s)) => Key::Ready(s),
                Ok(None) => Key::None,
                Err(e) => Key::Broken(match e.downcast_ref::<keys::KeyProblem>() {
                    Some(k) => k.to_string(),
                    None => format!("{e:#}"),
                }),
            },
        },
        Err(e) => Key::Broken(format!("{e:#}")),
    };
    // Required at all: the commit-msg hook stops commits it cannot sign, and the
    // pre-push gate checks what leaves (and refuses a key the allowed signers lack).
    let require = policy
        .and_then(|p| p.attestation.require)
        .filter(|r| *r != Require::Off);
    let which = match require {
        Some(Require::All) => "every commit",
        _ => "every commit made with an assistant",
    };
    let setting = |r: Require| match r {
        Require::All => "all",
        Require::Assisted => "assisted",
        Require::Off => "off",
    };
    let public = match &key {
        Key::Ready(s) => {
            println!(
                "signing key:      {} {} from {}{}",
                s.public.algorithm().as_str(),
                keys::fingerprint(&s.public),
                s.origin,
                if s.via_agent() && !matches!(s.origin, Origin::Agent) {
                    ", signed through ssh-agent"
                } else {
                    ""
                }
            );
            Some(s.public.clone())
        }
        Key::Locked { public, origin } => {
            println!(
                "signing key:      {} {} from {}",
                public.algorithm().as_str(),
                keys::fingerprint(public),
                origin
            );
            println!("                  passphrase-protected: opened at commit time with the passphrase in the OS keychain (`vouchsafe key status` checks it)");
            Some(public.clone())
        }
        Key::None => {
            println!(
                "signing key:      none found{}",
                if require.is_some() {
                    ""
                } else {
                    ", so commits are not attested (`vouchsafe key generate` makes one)"
                }
            );
            if let Some(req) = require {
                r.problem(
                    format!(
                        "the policy requires attestations ([attestation] require = \"{}\") and no signing key was found, so {which} will be stopped",
                        setting(req)
                    ),
                    "vouchsafe key generate, then add the line it prints to .vouchsafe/allowed_signers and commit it (or `vouchsafe key use ~/.ssh/id_ed25519`, or load a key into ssh-agent)",
                );
            }
            None
        }
        Key::Broken(why) => {
            println!("signing key:      cannot sign: {why}");
            match require {
                Some(req) => r.problem(
                    format!(
                        "the policy requires attestations ([attestation] require = \"{}\") and the signing key cannot sign, so {which} will be stopped",
                        setting(req)
                    ),
                    "fix the key as said above, or choose another with `vouchsafe key use <path>`; `vouchsafe key status` checks it",
                ),
                None => r
                    .notes
                    .push("the signing key cannot sign, so commits are not attested".to_string()),
            }
            None
        }
    };

    let top = repo.work_tree.clone().unwrap_or_default();
    let signers = verify::allowed_signers_soft(repo, p, cfg.get("gpg.ssh.allowedsignersfile"));
    let signers = match signers {
        Ok(s) => s,
        Err(e) => {
            println!("allowed signers:  cannot be read: {e:#}");
            r.problem(
                format!("the allowed-signers file cannot be read: {e:#}"),
                "fix the file (git's allowed-signers format) and commit it",
            );
            return;
        }
    };
    let line = |k: &PublicKey| {
        format!(
            "{} namespaces=\"{NAMESPACE}\" {}",
            email.as_deref().unwrap_or("you@example.com"),
            keys::openssh_public(k.key_data())
        )
    };
    let Some(a) = signers else {
        println!(
            "allowed signers:  none (no .vouchsafe/allowed_signers, no gpg.ssh.allowedSignersFile)"
        );
        if let Some(k) = &public {
            let what = "there is no allowed-signers file, so nobody can verify the attestations";
            let fix = format!(
                "create .vouchsafe/allowed_signers with this line and commit it: {}",
                line(k)
            );
            if require.is_some() {
                r.problem(format!("{what}, and the push gate refuses them"), fix);
            } else {
                r.notes.push(format!("{what}; {fix}"));
            }
        }
        return;
    };
    let origin = Path::new(&a.origin)
        .strip_prefix(&top)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| a.origin.clone());
    for w in &a.warnings {
        r.notes.push(w.clone());
    }
    let (Some(k), Some(who)) = (&public, email.as_deref()) else {
        println!(
            "allowed signers:  {origin} ({} key{})",
            a.entries.len(),
            if a.entries.len() == 1 { "" } else { "s" }
        );
        return;
    };
    let denial = a
        .check(
            who,
            k.key_data(),
            NAMESPACE,
            crate::attest::time::now() as i64,
        )
        .err();
    let Some(d) = denial else {
        println!("allowed signers:  {origin} lists this key for {who}");
        return;
    };
    let why = match d {
        Denial::UnknownKey => format!("does not list this key for {who}"),
        Denial::WrongNamespace(ns) => {
            format!("lists this key for {who} only for namespaces=\"{ns}\", not {NAMESPACE}")
        }
        Denial::Expired(..) => {
            format!("lists this key for {who}, but not for now (valid-after/valid-before)")
        }
    };
    println!("allowed signers:  {origin} {why}");
    let what = format!("{origin} {why}, so `vouchsafe verify` rejects your attestations");
    let fix = format!("add this line to {origin} and commit it: {}", line(k));
    if require.is_some() {
        r.problem(format!("{what} and the push gate refuses them"), fix);
    } else {
        r.notes.push(format!("{what}; {fix}"));
    }
}

/// The passphrase-protected key file `keys::resolve` would open (in its order: `key
/// use`, git's `user.signingKey` with `gpg.format=ssh`, ssh-agent, `~/.ssh/id_ed25519`)
/// when ssh-agent does not hold it; `None` for every other case, which `resolve` answers
/// cheaply.
fn locked_key(inp: &Inputs) -> Option<(PublicKey, Origin)> {
    let git_ssh = inp
        .gpg_format
        .as_deref()
        .is_some_and(|f| f.trim().eq_ignore_ascii_case("ssh"));
    let git_key = inp
        .git_signing_key
        .as_deref()
        .map(str::trim)
        .filter(|v| git_ssh && !v.is_empty());
    let (path, origin) = if let Some(p) = &inp.setting {
        (p.clone(), Origin::Setting(p.clone()))
    } else if let Some(v) = git_key {
        if v.starts_with("key::") || ["ssh-", "ecdsa-", "sk-"].iter().any(|p| v.starts_with(p)) {
            return None; // a public key: the agent signs
        }
        let mut p = crate::attest::config::expand_tilde(v);
        if p.is_relative() {
            if let Some(b) = &inp.base_dir {
                p = b.join(p);
            }
        }
        (p, Origin::GitConfig(v.to_string()))
    } else {
        if let Some(sock) = &inp.agent_socket {
            if agent::identities(sock).is_ok_and(|k| !k.is_empty()) {
                return None;
            }
        }
        let p = inp.home.as_ref()?.join(".ssh").join("id_ed25519");
        (p.clone(), Origin::Default(p))
    };
    // A public key file signs with the private half next to it when the agent lacks it.
    let private = match path.to_str().and_then(|s| s.strip_suffix(".pub")) {
        Some(s) => PathBuf::from(s),
        None => path,
    };
    let text = std::fs::read_to_string(&private).ok()?;
    if !text.contains("BEGIN OPENSSH PRIVATE KEY") {
        return None;
    }
    let key = PrivateKey::from_openssh(&text).ok()?;
    if !key.is_encrypted() {
        return None;
    }
    let public = key.public_key().clone();
    if inp
        .agent_socket
        .as_ref()
        .is_some_and(|s| agent::holds(s, &public))
    {
        return None;
    }
    Some((public, origin))
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
