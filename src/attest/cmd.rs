//! The commands: `vouchsafe verify`, `vouchsafe attest show`, `vouchsafe key ...`.
//! Their arguments live here too; `cli.rs` only names them.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::{Args, Subcommand, ValueEnum};
use serde_json::json;
use ssh_key::{HashAlg, LineEnding, PrivateKey};

use super::keys::{self, Inputs, Origin};
use super::signers::AllowedSigners;
use super::stamp::{email_of, key_inputs, GitConfig};
use super::verify::{self, Status as VStatus, Verdict};
use super::{config, keychain, NAMESPACE};
use crate::git::Repo;
use crate::policy::attestation::Require;
use crate::Status;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum OutFormat {
    #[default]
    Human,
    Json,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// A commit (default HEAD), several, or a range such as `origin/main..HEAD`.
    pub revs: Vec<String>,
    /// The allowed-signers file (git's format). Default: `.vouchsafe/allowed_signers` in
    /// the repository, else git's `gpg.ssh.allowedSignersFile`.
    #[arg(long, value_name = "FILE")]
    pub allowed_signers: Option<PathBuf>,
    /// Accept only exact attestations (same tree as signed), not rebased ones.
    #[arg(long)]
    pub strict: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutFormat::Human)]
    pub format: OutFormat,
}

#[derive(Debug, Subcommand)]
pub enum AttestCommand {
    /// A commit's attestation: what was signed, by whom, and how to check it with OpenSSH.
    Show(ShowArgs),
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("what").args(["payload", "sshsig", "json"])))]
pub struct ShowArgs {
    /// The commit.
    pub rev: String,
    /// Print exactly the signed bytes (feed them to `ssh-keygen -Y verify`).
    #[arg(long)]
    pub payload: bool,
    /// Print the signature, armored (`-----BEGIN SSH SIGNATURE-----`).
    #[arg(long)]
    pub sshsig: bool,
    /// Everything as one JSON object.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Which key signs commits here, and whether the allowed signers list it.
    Status,
    /// Make a new Ed25519 signing key, use it, and print its allowed-signers line.
    Generate(GenerateArgs),
    /// Sign with this key file (private, or public when ssh-agent holds the key).
    Use(UseArgs),
    /// The passphrase of a protected key file, kept in the OS keychain.
    #[command(subcommand)]
    Passphrase(PassphraseCommand),
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Where to write the key (default: `keys/id_ed25519` in vouchsafe's config dir).
    #[arg(long, value_name = "PATH")]
    pub file: Option<PathBuf>,
    /// Protect the key with a passphrase (asked for; kept in the OS keychain).
    #[arg(long)]
    pub passphrase: bool,
    /// Overwrite an existing key file.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct UseArgs {
    /// The key file.
    #[arg(required_unless_present = "clear")]
    pub path: Option<PathBuf>,
    /// Forget the setting: git's signing key, the agent or ~/.ssh/id_ed25519 sign again.
    #[arg(long, conflicts_with = "path")]
    pub clear: bool,
}

#[derive(Debug, Subcommand)]
pub enum PassphraseCommand {
    /// Store the passphrase (asked for on the terminal, or read from stdin).
    Set {
        /// The key file (default: the key that signs).
        key: Option<PathBuf>,
    },
    /// Remove the stored passphrase.
    Clear {
        /// The key file (default: the key that signs).
        key: Option<PathBuf>,
    },
}

// ---------------------------------------------------------------------------------
// verify

fn commits_of(repo: &Repo, revs: &[String]) -> anyhow::Result<Vec<String>> {
    let revs: Vec<String> = if revs.is_empty() {
        vec!["HEAD".to_string()]
    } else {
        revs.to_vec()
    };
    let range = revs.iter().any(|r| r.contains("..") || r.starts_with('^'));
    let mut args: Vec<&str> = Vec::new();
    if !range {
        args.push("--no-walk=unsorted");
    }
    args.extend(revs.iter().map(String::as_str));
    repo.rev_list_all(&args)
        .context("listing the commits to verify")
}

pub fn no_signers_message() -> String {
    "no allowed-signers file: create .vouchsafe/allowed_signers in the repository (`vouchsafe key status` prints the line for your key), set git's gpg.ssh.allowedSignersFile, or pass --allowed-signers FILE".to_string()
}

pub fn load_signers(
    repo: &Repo,
    policy: &crate::policy::Policy,
    explicit: Option<&Path>,
) -> anyhow::Result<AllowedSigners> {
    let s = match explicit {
        Some(p) => verify::read_file(p)?,
        None => {
            let cfg = GitConfig::load(repo);
            verify::allowed_signers_soft(repo, policy, cfg.get("gpg.ssh.allowedsignersfile"))?
                .ok_or_else(|| anyhow::anyhow!(no_signers_message()))?
        }
    };
    for w in &s.warnings {
        eprintln!("vouchsafe: warning: {w}");
    }
    Ok(s)
}

fn short(id: &str) -> &str {
    id.get(..10).unwrap_or(id)
}

fn key_label(v: &Verdict) -> String {
    match &v.key {
        Some(k) => format!(
            "{} {}",
            k.algorithm().as_str(),
            k.fingerprint(HashAlg::Sha256)
        ),
        None => String::new(),
    }
}

pub fn verify_cmd(args: VerifyArgs) -> anyhow::Result<Status> {
    let repo = Repo::discover()?;
    let policy = crate::policy::load_committed(&repo)?;
    let signers = load_signers(&repo, &policy, args.allowed_signers.as_deref())?;
    let ids = commits_of(&repo, &args.revs)?;
    let verdicts = verify::verify_commits(&repo, &ids, &signers)?;
    let mut failed = 0;
    let mut rows = Vec::new();
    for v in &verdicts {
        let required = policy
            .attestation
            .required(!v.assistants.is_empty(), Require::All);
        let ok = match v.status {
            VStatus::Exact => true,
            VStatus::Rebased => !args.strict,
            VStatus::Failed => false,
            VStatus::Unsigned => !required,
        };
        if !ok {
            failed += 1;
        }
        rows.push((v, required, ok));
    }
    let count = |s: VStatus| verdicts.iter().filter(|v| v.status == s).count();
    let mut out = std::io::stdout().lock();
    match args.format {
        OutFormat::Json => {
            let commits: Vec<serde_json::Value> = rows
                .iter()
                .map(|(v, required, ok)| {
                    json!({
                        "commit": v.commit.id,
                        "subject": v.commit.subject(),
                        "status": v.status,
                        "ok": ok,
                        "required": required,
                        "reasons": v.reasons.iter().map(|r| json!({"code": r.code(), "message": r.to_string()})).collect::<Vec<_>>(),
                        "signer": v.record.as_ref().map(|r| r.signer.clone()),
                        "key": v.key.as_ref().map(|k| k.fingerprint(HashAlg::Sha256).to_string()),
                        "key_type": v.key.as_ref().map(|k| k.algorithm().as_str().to_string()),
                        "signed_at": v.record.as_ref().map(|r| super::time::rfc3339(r.signed_at)),
                        "signed_tree": v.record.as_ref().map(|r| super::trailer::hex(&r.tree)),
                        "rules_version": v.record.as_ref().map(|r| r.rules.clone()),
                        "assistants": v.assistants,
                    })
                })
                .collect();
            let summary = json!({
                "commits": verdicts.len(),
                "exact": count(VStatus::Exact),
                "rebased": count(VStatus::Rebased),
                "failed": count(VStatus::Failed),
                "unsigned": count(VStatus::Unsigned),
                "ok": failed == 0,
                "strict": args.strict,
                "allowed_signers": signers.origin,
            });
            serde_json::to_writer_pretty(
                &mut out,
                &json!({"commits": commits, "summary": summary}),
            )?;
            writeln!(out)?;
        }
        OutFormat::Human => {
            for (v, required, ok) in &rows {
                let label = match v.status {
                    VStatus::Exact => "exact",
                    VStatus::Rebased if *ok => "rebased",
                    VStatus::Rebased => "REBASED",
                    VStatus::Failed => "FAILED",
                    VStatus::Unsigned if *ok => "unsigned",
                    VStatus::Unsigned => "UNSIGNED",
                };
                writeln!(
                    out,
                    "{label:<9} {}  {}",
                    short(&v.commit.id),
                    v.commit.subject()
                )?;
                match v.status {
                    VStatus::Exact | VStatus::Rebased => {
                        let r = v.record.as_ref().expect("signed");
                        writeln!(
                            out,
                            "          signed by {} with {} at {}",
                            r.signer,
                            key_label(v),
                            super::time::rfc3339(r.signed_at)
                        )?;
                        if v.status == VStatus::Rebased {
                            writeln!(
                                out,
                                "          same change on another base (signed on tree {}){}",
                                short(&super::trailer::hex(&r.tree)),
                                if *ok {
                                    ""
                                } else {
                                    "; --strict accepts exact only"
                                }
                            )?;
                        }
                    }
                    VStatus::Failed => {
                        for r in &v.reasons {
                            writeln!(out, "          {r}")?;
                        }
                    }
                    VStatus::Unsigned => {
                        writeln!(
                            out,
                            "          no attestation{}",
                            if *required {
                                ""
                            } else {
                                " (the policy does not require one)"
                            }
                        )?;
                    }
                }
                if !v.assistants.is_empty() {
                    writeln!(out, "          assisted by {}", v.assistants.join(", "))?;
                }
            }
            writeln!(
                out,
                "{} commit{}: {} exact, {} rebased, {} failed, {} unsigned (allowed signers: {})",
                verdicts.len(),
                if verdicts.len() == 1 { "" } else { "s" },
                count(VStatus::Exact),
                count(VStatus::Rebased),
                count(VStatus::Failed),
                count(VStatus::Unsigned),
                signers.origin
            )?;
            if failed > 0 {
                writeln!(
                    out,
                    "A commit fails when it changed after it was signed, carries no attestation where the policy requires one, or its key is not trusted here. If you changed it yourself, re-sign it with `git commit --amend --no-edit` (or `git rebase --exec 'git commit --amend --no-edit' <base>`); for a new key, add its line to the allowed signers."
                )?;
            }
        }
    }
    out.flush()?;
    Ok(if failed == 0 {
        Status::Ok
    } else {
        Status::Blocked
    })
}

// ---------------------------------------------------------------------------------
// attest show

pub fn attest_cmd(cmd: AttestCommand) -> anyhow::Result<Status> {
    let AttestCommand::Show(args) = cmd;
    let repo = Repo::discover()?;
    let id = repo
        .run(&[
            "rev-parse",
            "--verify",
            "--end-of-options",
            &format!("{}^{{commit}}", args.rev),
        ])
        .with_context(|| format!("{} is not a commit", args.rev))?;
    let id = String::from_utf8_lossy(&id).trim().to_string();
    let commits = verify::read_commits(&repo, std::slice::from_ref(&id))?;
    let c = &commits[0];
    let d = match verify::decode_commit(&repo, c)? {
        Ok(Some(d)) => d,
        Ok(None) => {
            eprintln!(
                "vouchsafe: commit {} carries no Vouchsafe-Attestation trailer",
                short(&id)
            );
            return Ok(Status::Blocked);
        }
        Err(r) => {
            eprintln!("vouchsafe: commit {}: {r}", short(&id));
            return Ok(Status::Blocked);
        }
    };
    let payload = d.payload.to_bytes();
    let pem = d.sshsig.to_pem(LineEnding::LF)?;
    let mut out = std::io::stdout().lock();
    let verify_time = super::time::openssh_utc(d.record.signed_at);
    let one_liner = format!(
        "ssh-keygen -Y verify -f .vouchsafe/allowed_signers -I {} -n {NAMESPACE} -s attestation.sig -Overify-time={verify_time} < attestation.payload",
        d.record.signer
    );
    if args.payload {
        out.write_all(&payload)?;
    } else if args.sshsig {
        out.write_all(pem.as_bytes())?;
    } else if args.json {
        let j = json!({
            "commit": id,
            "signer": d.record.signer,
            "key": keys::openssh_public(d.key.key_data()),
            "fingerprint": d.key.fingerprint(HashAlg::Sha256).to_string(),
            "signed_at": super::time::rfc3339(d.record.signed_at),
            "signed_tree": super::trailer::hex(&d.record.tree),
            "tree": c.tree,
            "patch_id": (!d.record.merge).then(|| super::trailer::hex(&d.record.patch_id)),
            "merge": d.record.merge,
            "author": c.author,
            "assistants": d.payload.assisted_by,
            "rules_version": d.record.rules,
            "secret_scan_clean": d.record.clean,
            "namespace": NAMESPACE,
            "payload": String::from_utf8_lossy(&payload),
            "sshsig": pem,
            "openssh_verify": one_liner,
        });
        serde_json::to_writer_pretty(&mut out, &j)?;
        writeln!(out)?;
    } else {
        writeln!(out, "commit      {id}")?;
        writeln!(out, "signer      {}", d.record.signer)?;
        writeln!(
            out,
            "key         {} {}",
            d.key.algorithm().as_str(),
            d.key.fingerprint(HashAlg::Sha256)
        )?;
        writeln!(
            out,
            "signed at   {}",
            super::time::rfc3339(d.record.signed_at)
        )?;
        let signed_tree = super::trailer::hex(&d.record.tree);
        let same = if signed_tree == c.tree {
            "the commit's own tree"
        } else {
            "not this commit's tree: rebased or changed"
        };
        writeln!(out, "signed tree {signed_tree} ({same})")?;
        if d.record.merge {
            writeln!(out, "binds       the merge's tree and parents")?;
        } else if d.record.patch_id.is_empty() {
            writeln!(out, "patch id    none (an empty change)")?;
        } else {
            writeln!(
                out,
                "patch id    {}",
                super::trailer::hex(&d.record.patch_id)
            )?;
        }
        writeln!(out, "author      {}", c.author)?;
        for a in &d.payload.assisted_by {
            writeln!(out, "assisted by {a}")?;
        }
        writeln!(
            out,
            "secret scan rules {}, {}",
            d.record.rules,
            if d.record.clean {
                "clean"
            } else {
                "not scanned"
            }
        )?;
        writeln!(out)?;
        writeln!(out, "Check it with OpenSSH alone:")?;
        writeln!(
            out,
            "  vouchsafe attest show {} --payload > attestation.payload",
            args.rev
        )?;
        writeln!(
            out,
            "  vouchsafe attest show {} --sshsig > attestation.sig",
            args.rev
        )?;
        writeln!(out, "  {one_liner}")?;
        writeln!(
            out,
            "(`vouchsafe verify {}` also checks that the commit still matches.)",
            args.rev
        )?;
    }
    out.flush()?;
    Ok(Status::Ok)
}

// ---------------------------------------------------------------------------------
// key

pub fn key_cmd(cmd: KeyCommand) -> anyhow::Result<Status> {
    match cmd {
        KeyCommand::Status => key_status(),
        KeyCommand::Generate(a) => key_generate(a),
        KeyCommand::Use(a) => key_use(a),
        KeyCommand::Passphrase(PassphraseCommand::Set { key }) => passphrase_set(key),
        KeyCommand::Passphrase(PassphraseCommand::Clear { key }) => passphrase_clear(key),
    }
}

/// The repository when there is one; otherwise git runs in the current directory and
/// sees only the global configuration.
fn repo_or_cwd() -> (Repo, bool) {
    match Repo::discover() {
        Ok(r) => (r, true),
        Err(_) => {
            let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
            (
                Repo {
                    cwd,
                    work_tree: None,
                },
                false,
            )
        }
    }
}

/// The email the next commit's committer gets: the signer's principal.
pub fn principal(repo: &Repo, cfg: &GitConfig) -> Option<String> {
    std::env::var("GIT_COMMITTER_EMAIL")
        .ok()
        .filter(|e| !e.is_empty())
        .or_else(|| {
            cfg.get("committer.email")
                .or(cfg.get("user.email"))
                .map(|e| e.trim().to_string())
        })
        .or_else(|| {
            repo.ident("GIT_COMMITTER_IDENT")
                .ok()
                .flatten()
                .as_deref()
                .and_then(email_of)
        })
}

fn allowed_line(email: Option<&str>, public: &ssh_key::PublicKey) -> String {
    format!(
        "{} namespaces=\"{NAMESPACE}\" {}",
        email.unwrap_or("you@example.com"),
        keys::openssh_public(public.key_data())
    )
}

fn key_status() -> anyhow::Result<Status> {
    let (repo, in_repo) = repo_or_cwd();
    let cfg = GitConfig::load(&repo);
    let policy = if in_repo {
        crate::policy::load_committed(&repo).unwrap_or_default()
    } else {
        crate::policy::Policy::default()
    };
    let email = principal(&repo, &cfg);
    let inp = key_inputs(&repo, &cfg, &policy, email.as_deref())?;
    let mut out = std::io::stdout().lock();
    let resolved = keys::resolve(&inp);
    let usable = matches!(resolved, Ok(Some(_)));
    match &resolved {
        Ok(Some(s)) => {
            writeln!(
                out,
                "signing key   {} {}",
                s.public.algorithm().as_str(),
                keys::fingerprint(&s.public)
            )?;
            writeln!(out, "from          {}", s.origin)?;
            writeln!(
                out,
                "signs         {}",
                if s.via_agent() {
                    "through ssh-agent"
                } else {
                    "with the key file"
                }
            )?;
        }
        Ok(None) => {
            writeln!(out, "signing key   none")?;
            writeln!(out, "              {}", super::stamp::SETUP_HINT)?;
        }
        Err(e) => {
            writeln!(out, "signing key   cannot sign: {e:#}")?;
        }
    }
    writeln!(
        out,
        "signer        {}",
        email.as_deref().unwrap_or("unknown (set git's user.email)")
    )?;
    if in_repo {
        let signers =
            verify::allowed_signers_soft(&repo, &policy, cfg.get("gpg.ssh.allowedsignersfile"));
        match (&signers, &resolved) {
            (Ok(Some(a)), Ok(Some(s))) => {
                let ok = email.as_deref().is_some_and(|e| {
                    a.check(e, s.public.key_data(), NAMESPACE, super::time::now() as i64)
                        .is_ok()
                });
                if ok {
                    writeln!(out, "allowed       yes, in {}", a.origin)?;
                } else {
                    writeln!(
                        out,
                        "allowed       NO: {} does not allow this key for {} now",
                        a.origin,
                        email.as_deref().unwrap_or("?")
                    )?;
                    writeln!(out, "              add this line to it and commit it:")?;
                    writeln!(
                        out,
                        "              {}",
                        allowed_line(email.as_deref(), &s.public)
                    )?;
                }
            }
            (Ok(None), Ok(Some(s))) => {
                writeln!(out, "allowed       no allowed-signers file yet; create .vouchsafe/allowed_signers with:")?;
                writeln!(
                    out,
                    "              {}",
                    allowed_line(email.as_deref(), &s.public)
                )?;
            }
            (Err(e), _) => writeln!(out, "allowed       {e:#}")?,
            _ => {}
        }
        let req = match policy.attestation.require {
            Some(Require::All) => "require = \"all\": every commit must be attested",
            Some(Require::Assisted) => {
                "require = \"assisted\": commits with an Assisted-by trailer must be attested"
            }
            Some(Require::Off) => "require = \"off\": attestations are not required",
            None => "require not set: an unsigned commit passes the hook with a hint",
        };
        writeln!(out, "policy        [attestation] {req}")?;
    }
    out.flush()?;
    Ok(if usable { Status::Ok } else { Status::Blocked })
}

fn read_secret(prompt: &str, confirm: bool) -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        let p = rpassword::prompt_password(prompt).context("reading the passphrase")?;
        if confirm {
            let again = rpassword::prompt_password("Again: ").context("reading the passphrase")?;
            if again != p {
                bail!("the two passphrases differ");
            }
        }
        Ok(p)
    } else {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s)?;
        let line = s.lines().next().unwrap_or("").to_string();
        Ok(line)
    }
}

fn key_generate(a: GenerateArgs) -> anyhow::Result<Status> {
    let path = match a.file {
        Some(p) => crate::git::absolute(&p),
        None => config::keys_dir()?.join("id_ed25519"),
    };
    if path.exists() && !a.force {
        bail!(
            "{} already exists; use it with `vouchsafe key use {}`, or pass --force to replace it",
            path.display(),
            path.display()
        );
    }
    let (repo, _) = repo_or_cwd();
    let cfg = GitConfig::load(&repo);
    let email = principal(&repo, &cfg);
    let mut rng = ssh_key::rand_core::OsRng;
    let mut key = PrivateKey::random(&mut rng, ssh_key::Algorithm::Ed25519)?;
    key.set_comment(email.clone().unwrap_or_default());
    let fp = keys::fingerprint(key.public_key());
    let mut stored_in = None;
    if a.passphrase {
        let pass = read_secret("Passphrase for the new key: ", true)?;
        if pass.is_empty() {
            bail!("an empty passphrase protects nothing; leave out --passphrase instead");
        }
        key = key.encrypt(&mut rng, pass.as_bytes())?;
        match keychain::set(&fp, &pass) {
            Ok(store) => stored_in = Some(store),
            Err(e) => eprintln!("vouchsafe: warning: the passphrase was not stored: {e}"),
        }
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    key.write_openssh_file(&path, LineEnding::LF)
        .with_context(|| format!("writing {}", path.display()))?;
    let pub_path = PathBuf::from(format!("{}.pub", path.display()));
    std::fs::write(&pub_path, format!("{}\n", key.public_key().to_openssh()?))
        .with_context(|| format!("writing {}", pub_path.display()))?;
    let mut s = config::load()?;
    s.key = Some(path.clone());
    let cfg_path = config::save(&s)?;
    println!(
        "Made {} (ED25519 {fp}); vouchsafe signs with it from now on ({}).",
        path.display(),
        cfg_path.display()
    );
    if let Some(store) = stored_in {
        println!("Its passphrase is kept in {store}.");
    }
    println!("Add this line to .vouchsafe/allowed_signers in each repository (and commit it) so others can verify your commits:");
    println!("{}", allowed_line(email.as_deref(), key.public_key()));
    if email.is_none() {
        println!("(Replace you@example.com with the email you commit as: git's user.email.)");
    }
    Ok(Status::Ok)
}

fn key_use(a: UseArgs) -> anyhow::Result<Status> {
    let mut s = config::load()?;
    if a.clear {
        s.key = None;
        config::save(&s)?;
        println!("vouchsafe no longer names a key; git's user.signingKey, ssh-agent or ~/.ssh/id_ed25519 sign.");
        return Ok(Status::Ok);
    }
    let path = crate::git::absolute(a.path.as_deref().expect("clap requires a path"));
    if !path.is_file() {
        bail!("{} is not a file", path.display());
    }
    let mut inp = Inputs::from_env()?;
    inp.setting = Some(path.clone());
    // Check it before saving: a key that cannot sign is still saved, with the reason.
    let check = keys::from_path(&inp, &path, Origin::Setting(path.clone()));
    s.key = Some(path.clone());
    let cfg = config::save(&s)?;
    match check {
        Ok(signer) => println!(
            "vouchsafe signs with {} ({} {}, {}); saved in {}.",
            path.display(),
            signer.public.algorithm().as_str(),
            keys::fingerprint(&signer.public),
            if signer.via_agent() {
                "through ssh-agent"
            } else {
                "from the file"
            },
            cfg.display()
        ),
        Err(e) => println!(
            "Saved {} in {}, but it cannot sign yet: {e:#}",
            path.display(),
            cfg.display()
        ),
    }
    Ok(Status::Ok)
}

/// The key file a passphrase command is about: the argument, else the configured file.
fn key_file(arg: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    if let Some(p) = arg {
        return Ok(crate::git::absolute(&p));
    }
    let (repo, _) = repo_or_cwd();
    let cfg = GitConfig::load(&repo);
    let inp = key_inputs(&repo, &cfg, &crate::policy::Policy::default(), None)?;
    if let Some(p) = inp.setting {
        return Ok(p);
    }
    if inp
        .gpg_format
        .as_deref()
        .is_some_and(|f| f.eq_ignore_ascii_case("ssh"))
    {
        if let Some(v) = inp.git_signing_key.as_deref() {
            if !v.starts_with("key::") && !v.starts_with("ssh-") {
                let p = config::expand_tilde(v);
                let p = match p.to_str().and_then(|s| s.strip_suffix(".pub")) {
                    Some(s) => PathBuf::from(s),
                    None => p,
                };
                return Ok(p);
            }
        }
    }
    if let Some(h) = inp.home {
        let p = h.join(".ssh").join("id_ed25519");
        if p.is_file() {
            return Ok(p);
        }
    }
    bail!("no key file is configured; name one: `vouchsafe key passphrase set <key-file>`")
}

fn read_private(path: &Path) -> anyhow::Result<PrivateKey> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    PrivateKey::from_openssh(&text)
        .with_context(|| format!("{} is not an OpenSSH private key", path.display()))
}

fn passphrase_set(key: Option<PathBuf>) -> anyhow::Result<Status> {
    let path = key_file(key)?;
    let k = read_private(&path)?;
    if !k.is_encrypted() {
        println!("{} has no passphrase; nothing to store.", path.display());
        return Ok(Status::Ok);
    }
    let pass = read_secret(&format!("Passphrase for {}: ", path.display()), false)?;
    if k.decrypt(pass.as_bytes()).is_err() {
        bail!("that passphrase does not open {}", path.display());
    }
    let fp = keys::fingerprint(k.public_key());
    let store = keychain::set(&fp, &pass)?;
    println!(
        "Stored the passphrase of {} ({fp}) in {store}.",
        path.display()
    );
    if store.contains("keyutils") {
        println!(
            "The kernel keyutils store keeps it in memory only: after a reboot, run this again."
        );
    }
    Ok(Status::Ok)
}

fn passphrase_clear(key: Option<PathBuf>) -> anyhow::Result<Status> {
    let path = key_file(key)?;
    let k = read_private(&path)?;
    let fp = keys::fingerprint(k.public_key());
    let removed = keychain::clear(&fp)?;
    if removed.is_empty() {
        println!("No passphrase was stored for {} ({fp}).", path.display());
    } else {
        println!(
            "Removed the passphrase of {} from {}.",
            path.display(),
            removed.join(" and ")
        );
    }
    Ok(Status::Ok)
}
