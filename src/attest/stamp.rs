//! The commit-msg step: build the payload of the commit being made, sign it, and
//! write the `Vouchsafe-Attestation:` trailer into the message file (atomically,
//! replacing any old one). Runs last in the hook, after the trailers of the other
//! steps are in the message.
//!
//! The git reads (`write-tree`, and the staged patch id or HEAD and its parents) run in
//! parallel, and when a key is likely the commit-msg hook starts them alongside its own
//! reads ([`prefetch_if_likely`]); the configuration comes from the hook's one `git
//! config` call. The key is read only after that, and the keychain or ssh-agent only
//! when the key needs them.

use std::io::Write;
use std::path::Path;

use anyhow::Context;

use super::keys::{self, Inputs, KeyProblem, Signer};
use super::message::{self, Cleanup, Style};
use super::payload::{Change, Payload};
use super::trailer::{digest8, unhex, Record};
use crate::git::Repo;
use crate::policy::attestation::Require;
use crate::policy::Policy;
use crate::Status;

/// The configuration [`GitConfig`] reads (`git config --get-regexp`): these keys.
pub const CONFIG_RE: &str = r"^(core\.commentchar|core\.commentstring|commit\.cleanup|user\.signingkey|gpg\.format|gpg\.ssh\.allowedsignersfile|user\.email|committer\.email)$";
const CONFIG_KEYS: &[&str] = &[
    "core.commentchar",
    "core.commentstring",
    "commit.cleanup",
    "user.signingkey",
    "gpg.format",
    "gpg.ssh.allowedsignersfile",
    "user.email",
    "committer.email",
];

/// The empty tree, by hash length.
pub fn empty_tree_for(tree: &str) -> &'static str {
    if tree.len() == 64 {
        "6ef19b41225c5369f1c104d45d8d85efa9b057b53b14b4b9b939dd74decc5321"
    } else {
        "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
    }
}

/// Git configuration the hook reads, from one `git config --get-regexp` call.
#[derive(Debug, Default)]
pub struct GitConfig {
    pub values: Vec<(String, String)>,
}

impl GitConfig {
    pub fn load(repo: &Repo) -> GitConfig {
        let values = repo
            .config_regexp(CONFIG_RE)
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k, String::from_utf8_lossy(&v).into_owned()))
            .collect();
        GitConfig { values }
    }

    /// From `git config --get-regexp` entries of a pattern that takes in at least
    /// [`CONFIG_RE`] (the keys it does not name are left out), so that one git call
    /// can serve this and other readers.
    pub fn from_entries(entries: &[(String, Vec<u8>)]) -> GitConfig {
        let values = entries
            .iter()
            .filter(|(k, _)| CONFIG_KEYS.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), String::from_utf8_lossy(v).into_owned()))
            .collect();
        GitConfig { values }
    }

    /// The last value (git's "last one wins").
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn style(&self) -> Style {
        let comment = match self
            .get("core.commentstring")
            .or(self.get("core.commentchar"))
        {
            None => Some(b"#".to_vec()),
            Some("auto") => None,
            Some("") => Some(b"#".to_vec()),
            Some(s) => Some(s.as_bytes().to_vec()),
        };
        let editor = std::env::var("GIT_EDITOR").ok();
        Style {
            comment,
            cleanup: Cleanup::predict(self.get("commit.cleanup"), editor.as_deref()),
        }
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The email part of `Name <email>`.
pub fn email_of(ident: &str) -> Option<String> {
    let start = ident.rfind('<')?;
    let end = ident[start..].find('>')? + start;
    Some(ident[start + 1..end].trim().to_string()).filter(|e| !e.is_empty())
}

/// The heads being merged (`MERGE_HEAD`, one per line; several for an octopus).
fn merge_heads(repo: &Repo) -> Vec<String> {
    let gd = repo.git_dir().ok();
    gd.and_then(|d| std::fs::read_to_string(d.join("MERGE_HEAD")).ok())
        .map(|t| {
            t.lines()
                .map(|l| l.trim().to_string())
                .filter(|l| !l.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// Everything about the commit in the making, except the signature.
struct Draft {
    style: Style,
    tree: String,
    /// HEAD and its parents (`None` inside on an unborn branch); not read when the
    /// speculative patch id made it unnecessary.
    head: Option<Option<(String, Vec<String>)>>,
    /// Whether this is an `--amend`, from the process tree; `None` when unknown.
    amend: Option<bool>,
    /// The patch id of the index against HEAD (`None` inside for an empty change),
    /// computed alongside `write-tree` in the common case (not an amend, not a merge);
    /// `None` when not computed, or when it failed (HEAD is unborn).
    speculative: Option<Option<String>>,
    /// For an `--amend`: the patch id of the index against HEAD's first parent, used
    /// when that is the one parent (`None` as above; it fails for a root commit).
    speculative_amend: Option<Option<String>>,
    author: String,
    signer: String,
    canonical: Vec<u8>,
    assisted_by: Vec<String>,
    config: GitConfig,
}

/// The options of `git diff-index --cached` that give the same patch as `diff-tree`
/// between HEAD and the tree `write-tree` makes (intent-to-add entries are not
/// committed, so they are not shown).
const STAGED_PATCH: &[&str] = &[
    "diff-index",
    "--cached",
    "-p",
    "--full-index",
    "--no-renames",
    "--no-ext-diff",
    "--no-textconv",
    "--ita-invisible-in-index",
];

/// The verbatim patch id of the index against `base` (see [`STAGED_PATCH`]): `None`
/// when git failed (no such commit), `Some(None)` for an empty change.
fn staged_patch_id(repo: &Repo, base: &str) -> Option<Option<String>> {
    let mut args = STAGED_PATCH.to_vec();
    args.extend([base, "--"]);
    repo.run_pipe(&args, None, &["patch-id", "--verbatim"])
        .ok()
        .map(|out| {
            String::from_utf8_lossy(&out)
                .split_whitespace()
                .next()
                .map(str::to_string)
        })
}

/// HEAD and its parents (`None` on an unborn branch), as git read them.
type HeadRead = crate::git::Result<Option<(String, Vec<String>)>>;

/// The git reads of the payload that depend on neither the message nor the
/// configuration, in one round of parallel calls: `write-tree`, and the staged patch id
/// against HEAD (the common case: not an amend, not a merge), or HEAD with its parents
/// (and for an amend the staged patch id against `HEAD^1`). The commit-msg hook starts
/// them alongside its own reads when a key is likely ([`prefetch_if_likely`]): they
/// depend on nothing the steps before the attestation do (they read the index and
/// HEAD; `write-tree` stores the tree objects the commit will have).
pub struct Prefetch {
    /// Whether this is an `--amend`, from the process tree; `None` when unknown.
    amend: Option<bool>,
    tree: crate::git::Result<String>,
    head: Option<HeadRead>,
    speculative: Option<Option<String>>,
    speculative_amend: Option<Option<String>>,
    /// How long the reads took (for the debug log).
    took: std::time::Duration,
}

/// [`Prefetch`], when a key may be found without git's configuration (see
/// [`key_likely`]); `None` otherwise, and [`stamp`] decides after reading the config.
pub fn prefetch_if_likely(repo: &Repo) -> Option<Prefetch> {
    key_likely().then(|| prefetch(repo))
}

fn prefetch(repo: &Repo) -> Prefetch {
    let t0 = std::time::Instant::now();
    let amend = super::amend::from_process_tree();
    let merging = !merge_heads(repo).is_empty();
    let speculate = amend == Some(false) && !merging;
    // An amend of a commit with one parent (the usual case) changes what that parent
    // has: its patch id is computed alongside too, against `HEAD^1`.
    let speculate_amend = amend == Some(true) && !merging;
    std::thread::scope(|s| {
        let head = (!speculate).then(|| s.spawn(|| repo.head_with_parents()));
        let patch = speculate.then(|| s.spawn(|| staged_patch_id(repo, "HEAD")));
        let patch_amend = speculate_amend.then(|| s.spawn(|| staged_patch_id(repo, "HEAD^1")));
        let tree = repo.write_tree();
        Prefetch {
            amend,
            tree,
            head: head.map(|h| h.join().unwrap_or(Ok(None))),
            speculative: patch.and_then(|p| p.join().ok().flatten()),
            speculative_amend: patch_amend.and_then(|p| p.join().ok().flatten()),
            took: t0.elapsed(),
        }
    })
}

/// Everything but the signature, from the configuration and the git reads.
fn draft(
    repo: &Repo,
    raw: &[u8],
    config: GitConfig,
    pre: Prefetch,
) -> anyhow::Result<Option<Draft>> {
    let Prefetch {
        amend,
        tree,
        head,
        speculative,
        speculative_amend,
        ..
    } = pre;
    let tree = tree.context("git write-tree (the tree this commit will have)")?;
    let head = head.transpose()?;
    let style = config.style();
    let stored = message::predict_stored(raw, &style);
    let canonical = message::canonical(&stored);
    if canonical.is_empty() {
        // git aborts an empty message; nothing to vouch for.
        return Ok(None);
    }
    let author = match (env("GIT_AUTHOR_NAME"), env("GIT_AUTHOR_EMAIL")) {
        (Some(n), Some(e)) => format!("{n} <{e}>"),
        _ => repo
            .ident("GIT_AUTHOR_IDENT")?
            .context("git has no author identity for this commit")?,
    };
    let signer = signer_email(repo, &config)?;
    let assisted_by = message::trailers(&canonical, "Assisted-by");
    Ok(Some(Draft {
        style,
        tree,
        head,
        amend,
        speculative,
        speculative_amend,
        author,
        signer,
        canonical,
        assisted_by,
        config,
    }))
}

/// The signer's principal: the committer email git will record.
fn signer_email(repo: &Repo, config: &GitConfig) -> anyhow::Result<String> {
    let configured = config.get("committer.email").or(config.get("user.email"));
    // Trimmed of what git strips from an ident's ends ("crud").
    let crud = |c: char| c <= ' ' || ",:;<>\"\\'".contains(c);
    match env("GIT_COMMITTER_EMAIL").or_else(|| configured.map(str::to_string)) {
        Some(e) => Ok(e.trim_matches(crud).to_string()),
        None => repo
            .ident("GIT_COMMITTER_IDENT")?
            .as_deref()
            .and_then(email_of)
            .context("git has no committer email for this commit (set user.email)"),
    }
}

/// What the commit changes: its parents decide. An `--amend` replaces HEAD, so its
/// parents are HEAD's; otherwise HEAD, plus `MERGE_HEAD` when a merge is concluded.
/// One parent or none (a root commit, against the empty tree): the verbatim patch id.
fn change(repo: &Repo, d: &Draft, raw: &[u8]) -> anyhow::Result<Change> {
    // Computed already: not an amend, not a merge, HEAD is the one parent.
    if let Some(id) = &d.speculative {
        return Ok(Change::Patch(
            id.as_deref().and_then(unhex).unwrap_or_default(),
        ));
    }
    let head = match &d.head {
        Some(h) => h.clone(),
        None => repo.head_with_parents()?,
    };
    let amend = match d.amend {
        Some(a) => a,
        None => amend_from_message(repo, raw, head.as_ref().map(|(h, _)| h.as_str())),
    };
    let parents: Vec<String> = match (&head, amend) {
        (Some((_, ps)), true) => ps.clone(),
        (Some((h, _)), false) => {
            let mut v = vec![h.clone()];
            v.extend(merge_heads(repo));
            v
        }
        (None, _) => Vec::new(),
    };
    if parents.len() > 1 {
        return Ok(Change::Merge(parents));
    }
    // Computed already for an amend (the process tree said so): HEAD's one parent,
    // which `HEAD^1` named when it was computed.
    if let (true, [_], Some(id)) = (amend, parents.as_slice(), &d.speculative_amend) {
        return Ok(Change::Patch(
            id.as_deref().and_then(unhex).unwrap_or_default(),
        ));
    }
    let base = parents
        .first()
        .cloned()
        .unwrap_or_else(|| empty_tree_for(&d.tree).to_string());
    let id = repo
        .patch_id_between(&base, &d.tree)
        .context("computing the patch id of the change")?;
    Ok(Change::Patch(
        id.and_then(|h| unhex(&h)).unwrap_or_default(),
    ))
}

/// Whether a key may be found without git's configuration: vouchsafe's setting, an
/// agent, or the default key file. When none, only git's `user.signingKey` is left,
/// and the rest of the work is skipped unless it is set.
fn key_likely() -> bool {
    std::env::var_os("SSH_AUTH_SOCK").is_some_and(|s| !s.is_empty())
        || super::config::load().is_ok_and(|s| s.key.is_some())
        || super::config::home().is_some_and(|h| h.join(".ssh").join("id_ed25519").exists())
}

/// Without a readable process tree: an amend that kept the message carries HEAD's own
/// attestation trailer.
fn amend_from_message(repo: &Repo, raw: &[u8], head: Option<&str>) -> bool {
    let Some(head) = head else { return false };
    let in_file = message::attestation_values(raw);
    if in_file.is_empty() {
        return false;
    }
    let Ok(Some(obj)) = repo.try_run(&["cat-file", "commit", head]) else {
        return false;
    };
    let msg = super::verify::CommitObject::parse(head, &obj).message;
    let at_head = message::attestation_values(&msg);
    in_file.iter().any(|v| at_head.contains(v))
}

/// The key search inputs for this repository: the user setting, git's signing key, the
/// agent, the default file; agent keys listed in the allowed-signers file are preferred.
pub fn key_inputs(
    repo: &Repo,
    config: &GitConfig,
    policy: &Policy,
    principal: Option<&str>,
) -> anyhow::Result<Inputs> {
    let mut inp = Inputs::from_env()?;
    inp.git_signing_key = config.get("user.signingkey").map(str::to_string);
    inp.gpg_format = config.get("gpg.format").map(str::to_string);
    inp.base_dir = repo.work_tree.clone();
    let git_key = inp
        .gpg_format
        .as_deref()
        .is_some_and(|f| f.eq_ignore_ascii_case("ssh"))
        && inp.git_signing_key.is_some();
    if inp.setting.is_none() && !git_key && inp.agent_socket.is_some() {
        if let (Some(p), Ok(Some(a))) = (
            principal,
            super::verify::allowed_signers_soft(
                repo,
                policy,
                config.get("gpg.ssh.allowedsignersfile"),
            ),
        ) {
            inp.preferred = a.keys_for(p);
        }
    }
    Ok(inp)
}

pub const SETUP_HINT: &str = "Set up a signing key with `vouchsafe key generate` (then add the line it prints to .vouchsafe/allowed_signers), or use an existing one with `vouchsafe key use ~/.ssh/id_ed25519`, or load one into ssh-agent.";

/// The commit-msg step. Signs when a key is available; when not, blocks the commit if
/// the policy requires an attestation for it, else lets it through unsigned.
///
/// `config` is git's configuration as [`GitConfig`] reads it; `pre` the git reads the
/// hook started early ([`prefetch_if_likely`]), made here when it did not.
pub fn stamp(
    repo: &Repo,
    msg_file: &Path,
    policy: &Policy,
    config: GitConfig,
    pre: Option<Prefetch>,
) -> anyhow::Result<Status> {
    let t0 = std::time::Instant::now();
    let raw = std::fs::read(msg_file)
        .with_context(|| format!("reading the commit message {}", msg_file.display()))?;
    // No key anywhere: decide from the policy without reading the tree. (A prefetch
    // was made only because a key is likely.)
    if pre.is_none() && !key_likely() {
        let c = &config;
        let git_key = c
            .get("gpg.format")
            .is_some_and(|f| f.eq_ignore_ascii_case("ssh"))
            && c.get("user.signingkey")
                .is_some_and(|k| !k.trim().is_empty());
        if !git_key {
            let canonical = message::canonical(&message::predict_stored(&raw, &c.style()));
            if canonical.is_empty() {
                return Ok(Status::Ok);
            }
            let assisted = !message::trailers(&canonical, "Assisted-by").is_empty();
            return no_key(policy, assisted);
        }
    }
    let pre = match pre {
        Some(p) => p,
        None => prefetch(repo),
    };
    let took = pre.took;
    let Some(d) = draft(repo, &raw, config, pre)? else {
        return Ok(Status::Ok);
    };
    tracing::debug!(
        "attestation: tree and change read by git in {took:?}; draft ready at {:?}",
        t0.elapsed()
    );
    let rules = policy.attestation.clone();
    let assisted = !d.assisted_by.is_empty();
    let required = rules.required(assisted, Require::Off);
    let what = if assisted {
        "this assisted commit"
    } else {
        "this commit"
    };
    let signer: anyhow::Result<Option<Signer>> =
        key_inputs(repo, &d.config, policy, Some(&d.signer)).and_then(|inp| keys::resolve(&inp));
    let signer = match signer {
        Ok(Some(s)) => s,
        Ok(None) => return no_key(policy, assisted),
        Err(e) => return cannot_sign(e, required, what),
    };
    tracing::debug!("attestation: key {signer:?} ready at {:?}", t0.elapsed());
    let signed = change(repo, &d, &raw).and_then(|c| {
        tracing::debug!("attestation: change bound at {:?}", t0.elapsed());
        sign(&d, &c, &signer, &raw)
    });
    match signed {
        Ok(new) => {
            write_atomically(msg_file, &new)?;
            tracing::debug!("attestation: signed and written at {:?}", t0.elapsed());
            Ok(Status::Ok)
        }
        Err(e) => cannot_sign(e, required, what),
    }
}

/// No key anywhere: blocked when the policy requires an attestation, else through
/// (with a hint when the policy does not say).
fn no_key(policy: &Policy, assisted: bool) -> anyhow::Result<Status> {
    let rules = &policy.attestation;
    if rules.required(assisted, Require::Off) {
        let what = if assisted {
            "this assisted commit"
        } else {
            "this commit"
        };
        eprintln!(
            "vouchsafe: the repository policy requires an attestation for {what}, and no signing key was found.\n{SETUP_HINT}\nThe commit was stopped; nothing was lost."
        );
        return Ok(Status::Blocked);
    }
    if rules.require.is_none() {
        eprintln!("vouchsafe: commit not attested: no signing key. {SETUP_HINT}");
    }
    Ok(Status::Ok)
}

fn cannot_sign(e: anyhow::Error, required: bool, what: &str) -> anyhow::Result<Status> {
    let why = match e.downcast_ref::<KeyProblem>() {
        Some(p) => p.to_string(),
        None => format!("{e:#}"),
    };
    if required {
        eprintln!(
            "vouchsafe: the repository policy requires an attestation for {what}, and it could not be signed: {why}\nThe commit was stopped; nothing was lost."
        );
        Ok(Status::Blocked)
    } else {
        eprintln!("vouchsafe: warning: commit not attested: {why}");
        Ok(Status::Ok)
    }
}

fn sign(d: &Draft, change: &Change, signer: &Signer, raw: &[u8]) -> anyhow::Result<Vec<u8>> {
    let signed_at = super::time::now();
    let payload = Payload {
        signer: d.signer.clone(),
        key: keys::openssh_public(signer.public.key_data()),
        signed_at,
        tree: d.tree.clone(),
        change: change.clone(),
        author: d.author.clone(),
        assisted_by: d.assisted_by.clone(),
        rules: crate::scan::rules::RULES_VERSION.to_string(),
        clean: true,
        message: d.canonical.clone(),
    };
    let sig = signer.sign(&payload.to_bytes())?;
    let record = Record {
        merge: matches!(change, Change::Merge(_)),
        clean: payload.clean,
        signed_at,
        tree: unhex(&d.tree).context("git printed a tree id that is not hex")?,
        patch_id: match change {
            Change::Patch(p) => p.clone(),
            Change::Merge(_) => Vec::new(),
        },
        signer: d.signer.clone(),
        rules: payload.rules.clone(),
        message_digest: digest8(&d.canonical),
        author_digest: digest8(d.author.as_bytes()),
        public_key: signer.public.to_bytes()?,
        signature: Vec::<u8>::try_from(sig.signature().clone())?,
    };
    Ok(message::with_attestation(raw, &d.style, &record.encode()))
}

fn write_atomically(path: &Path, data: &[u8]) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("writing next to {}", path.display()))?;
    tmp.write_all(data)?;
    if let Ok(meta) = std::fs::metadata(path) {
        let _ = std::fs::set_permissions(tmp.path(), meta.permissions());
    }
    tmp.persist(path)
        .with_context(|| format!("replacing {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_keys_are_the_pattern() {
        let re = regex::Regex::new(CONFIG_RE).expect("regex");
        for k in CONFIG_KEYS {
            assert!(re.is_match(k), "{k}");
        }
        assert_eq!(
            CONFIG_RE,
            format!(
                "^({})$",
                CONFIG_KEYS
                    .iter()
                    .map(|k| k.replace('.', r"\."))
                    .collect::<Vec<_>>()
                    .join("|")
            )
        );
        let entries = vec![
            ("user.email".to_string(), b"a@b".to_vec()),
            ("trailer.sign.key".to_string(), b"Signed-off-by".to_vec()),
            ("user.email".to_string(), b"c@d".to_vec()),
        ];
        let c = GitConfig::from_entries(&entries);
        assert_eq!(c.values.len(), 2);
        assert_eq!(c.get("user.email"), Some("c@d"));
    }
}
