//! Checking commits' attestations against an allowed-signers file.
//!
//! For each commit the signed payload is rebuilt from the commit as it is now (its
//! patch id or, for a merge, its parents; its message and author) and from the trailer
//! (signing time, the tree it was signed on, signer, rules version). The signature
//! must match those bytes, the key must be allowed for the signer's principal in the
//! attestation namespace at the signing time. Then: same tree as signed, *exact*;
//! another tree with the same patch, *rebased* (a rebase or a cherry-pick that applied
//! the change unchanged). When the signature does not match, the diagnosis digests in
//! the trailer tell which part changed: the content, the message or the author.

use std::collections::HashMap;
use std::path::Path;

use anyhow::Context;
use serde::Serialize;
use ssh_key::{HashAlg, PublicKey, Signature, SshSig};

use super::message;
use super::payload::{Change, Payload};
use super::signers::{self, AllowedSigners, Denial};
use super::trailer::{digest8, hex, Record};
use super::NAMESPACE;
use crate::git::Repo;
use crate::policy::Policy;

/// The parts of a commit object the attestation is about.
#[derive(Debug, Clone)]
pub struct CommitObject {
    pub id: String,
    pub tree: String,
    pub parents: Vec<String>,
    /// `Name <email>`.
    pub author: String,
    pub committer: String,
    pub message: Vec<u8>,
}

fn ident(v: &str) -> String {
    match v.rfind('>') {
        Some(i) => v[..=i].to_string(),
        None => v.to_string(),
    }
}

impl CommitObject {
    pub fn parse(id: &str, raw: &[u8]) -> CommitObject {
        let mut c = CommitObject {
            id: id.to_string(),
            tree: String::new(),
            parents: Vec::new(),
            author: String::new(),
            committer: String::new(),
            message: Vec::new(),
        };
        let mut rest = raw;
        while !rest.is_empty() {
            let end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
            let line = &rest[..end];
            rest = rest.get(end + 1..).unwrap_or(&[]);
            if line.is_empty() {
                c.message = rest.to_vec();
                break;
            }
            let text = String::from_utf8_lossy(line);
            if let Some(v) = text.strip_prefix("tree ") {
                c.tree = v.trim().to_string();
            } else if let Some(v) = text.strip_prefix("parent ") {
                c.parents.push(v.trim().to_string());
            } else if let Some(v) = text.strip_prefix("author ") {
                c.author = ident(v);
            } else if let Some(v) = text.strip_prefix("committer ") {
                c.committer = ident(v);
            }
        }
        c
    }

    pub fn subject(&self) -> String {
        let canon = message::stripspace(&self.message);
        let text = String::from_utf8_lossy(&canon);
        text.lines().next().unwrap_or("").to_string()
    }
}

/// Why an attestation does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    Malformed(String),
    SeveralTrailers(usize),
    ContentChanged(String),
    MessageChanged,
    AuthorChanged,
    BadSignature,
    UnknownKey {
        principal: String,
        fingerprint: String,
    },
    WrongNamespace {
        principal: String,
        allowed: String,
    },
    ExpiredKey {
        principal: String,
        window: String,
    },
}

impl Reason {
    pub fn code(&self) -> &'static str {
        match self {
            Reason::Malformed(_) | Reason::SeveralTrailers(_) => "malformed",
            Reason::ContentChanged(_) => "content-changed",
            Reason::MessageChanged => "message-changed",
            Reason::AuthorChanged => "author-changed",
            Reason::BadSignature => "bad-signature",
            Reason::UnknownKey { .. } => "unknown-key",
            Reason::WrongNamespace { .. } => "wrong-namespace",
            Reason::ExpiredKey { .. } => "expired-key",
        }
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::Malformed(m) => write!(f, "the attestation trailer cannot be read: {m}"),
            Reason::SeveralTrailers(n) => write!(f, "{n} attestation trailers; a commit carries one"),
            Reason::ContentChanged(m) => write!(f, "content changed: {m}"),
            Reason::MessageChanged => write!(f, "message changed since it was signed"),
            Reason::AuthorChanged => write!(f, "author changed since it was signed"),
            Reason::BadSignature => write!(f, "the signature does not match the commit"),
            Reason::UnknownKey { principal, fingerprint } => write!(
                f,
                "unknown key: {fingerprint} is not in the allowed signers for {principal}"
            ),
            Reason::WrongNamespace { principal, allowed } => write!(
                f,
                "wrong namespace: the key of {principal} is allowed only for namespaces=\"{allowed}\", not {NAMESPACE}"
            ),
            Reason::ExpiredKey { principal, window } => write!(
                f,
                "expired key: the key of {principal} was not valid at the signing time ({window})"
            ),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Exact,
    Rebased,
    Failed,
    Unsigned,
}

/// What one commit's attestation says.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub commit: CommitObject,
    pub status: Status,
    pub reasons: Vec<Reason>,
    pub record: Option<Record>,
    pub key: Option<PublicKey>,
    pub assistants: Vec<String>,
    /// The payload as rebuilt from the commit (what `ssh-keygen -Y verify` checks).
    pub payload: Option<Vec<u8>>,
}

/// The attestation of a commit, decoded, with the payload rebuilt from the commit.
pub struct Decoded {
    pub record: Record,
    pub key: PublicKey,
    pub sshsig: SshSig,
    pub payload: Payload,
}

fn decode(c: &CommitObject, patch: Option<&str>) -> Result<Option<Decoded>, Reason> {
    let values = message::attestation_values(&c.message);
    let Some(last) = values.last() else {
        return Ok(None);
    };
    if values.len() > 1 {
        return Err(Reason::SeveralTrailers(values.len()));
    }
    let record = Record::decode(last).map_err(|e| Reason::Malformed(e.to_string()))?;
    let key = PublicKey::from_bytes(&record.public_key)
        .map_err(|e| Reason::Malformed(format!("the signer key: {e}")))?;
    let sig = Signature::try_from(record.signature.as_slice())
        .map_err(|e| Reason::Malformed(format!("the signature: {e}")))?;
    let sshsig = SshSig::new(key.key_data().clone(), NAMESPACE, HashAlg::Sha512, sig)
        .map_err(|e| Reason::Malformed(e.to_string()))?;
    let canonical = message::canonical(&c.message);
    let change = if record.merge {
        Change::Merge(c.parents.clone())
    } else {
        Change::Patch(patch.and_then(super::trailer::unhex).unwrap_or_default())
    };
    let payload = Payload {
        signer: record.signer.clone(),
        key: super::keys::openssh_public(key.key_data()),
        signed_at: record.signed_at,
        tree: hex(&record.tree),
        change,
        author: c.author.clone(),
        assisted_by: message::trailers(&canonical, "Assisted-by"),
        rules: record.rules.clone(),
        clean: record.clean,
        message: canonical,
    };
    Ok(Some(Decoded {
        record,
        key,
        sshsig,
        payload,
    }))
}

/// Verbatim patch ids of the commits that need one (signed, not merges), by commit.
pub fn patch_ids(repo: &Repo, commits: &[CommitObject]) -> anyhow::Result<HashMap<String, String>> {
    let need: Vec<String> = commits
        .iter()
        .filter(|c| c.parents.len() < 2 && !message::attestation_values(&c.message).is_empty())
        .map(|c| c.id.clone())
        .collect();
    Ok(repo
        .patch_ids_of_commits(&need)
        .context("computing patch ids")?
        .into_iter()
        .collect())
}

/// Reads commit objects in one `cat-file --batch`.
pub fn read_commits(repo: &Repo, ids: &[String]) -> anyhow::Result<Vec<CommitObject>> {
    let blobs = repo.read_blobs(ids, u64::MAX).context("reading commits")?;
    ids.iter()
        .zip(blobs)
        .map(|(id, (_, data))| {
            let data = data.with_context(|| format!("commit {id} cannot be read"))?;
            Ok(CommitObject::parse(id, &data))
        })
        .collect()
}

/// Decodes one commit's attestation with its payload rebuilt (for `attest show`).
pub fn decode_commit(
    repo: &Repo,
    c: &CommitObject,
) -> anyhow::Result<Result<Option<Decoded>, Reason>> {
    let ids = patch_ids(repo, std::slice::from_ref(c))?;
    Ok(decode(c, ids.get(&c.id).map(String::as_str)))
}

pub fn verify(c: CommitObject, patch: Option<&str>, signers: &AllowedSigners) -> Verdict {
    let assistants = message::trailers(&message::canonical(&c.message), "Assisted-by");
    let mut v = Verdict {
        commit: c,
        status: Status::Failed,
        reasons: Vec::new(),
        record: None,
        key: None,
        assistants,
        payload: None,
    };
    let d = match decode(&v.commit, patch) {
        Ok(Some(d)) => d,
        Ok(None) => {
            v.status = Status::Unsigned;
            return v;
        }
        Err(r) => {
            v.reasons.push(r);
            return v;
        }
    };
    let c = &v.commit;
    let r = &d.record;
    // What changed, from the diagnosis digests and the commit's own shape.
    if r.merge {
        if c.parents.len() < 2 {
            v.reasons.push(Reason::ContentChanged(
                "it was signed as a merge and this commit is not one".into(),
            ));
        } else if hex(&r.tree) != c.tree {
            v.reasons.push(Reason::ContentChanged(
                "this merge's tree is not the one that was signed".into(),
            ));
        }
    } else if c.parents.len() > 1 {
        v.reasons.push(Reason::ContentChanged(
            "it was signed as a single change and this commit is a merge".into(),
        ));
    } else {
        let now = patch.unwrap_or("");
        if now != hex(&r.patch_id) {
            v.reasons.push(Reason::ContentChanged(
                "its patch is not the one that was signed".into(),
            ));
        }
    }
    if digest8(&d.payload.message) != r.message_digest {
        v.reasons.push(Reason::MessageChanged);
    }
    if digest8(c.author.as_bytes()) != r.author_digest {
        v.reasons.push(Reason::AuthorChanged);
    }
    let payload = d.payload.to_bytes();
    let good = d.key.verify(NAMESPACE, &payload, &d.sshsig).is_ok();
    if !good && v.reasons.is_empty() {
        // Every part matched its digest, yet the bytes do not verify: for a merge
        // the parents are the one part without a digest.
        v.reasons.push(if r.merge {
            Reason::ContentChanged("the merge's parents are not the ones that were signed".into())
        } else {
            Reason::BadSignature
        });
    }
    let fingerprint = d.key.fingerprint(HashAlg::Sha256).to_string();
    match signers.check(&r.signer, d.key.key_data(), NAMESPACE, r.signed_at as i64) {
        Ok(()) => {}
        Err(Denial::UnknownKey) => v.reasons.push(Reason::UnknownKey {
            principal: r.signer.clone(),
            fingerprint,
        }),
        Err(Denial::WrongNamespace(ns)) => v.reasons.push(Reason::WrongNamespace {
            principal: r.signer.clone(),
            allowed: ns,
        }),
        Err(Denial::Expired(after, before)) => {
            let fmt = |t: i64| super::time::rfc3339(t.max(0) as u64);
            let window = match (after, before) {
                (Some(a), Some(b)) => format!(
                    "valid {} to {}, signed {}",
                    fmt(a),
                    fmt(b),
                    fmt(r.signed_at as i64)
                ),
                (Some(a), None) => {
                    format!("valid from {}, signed {}", fmt(a), fmt(r.signed_at as i64))
                }
                (None, Some(b)) => {
                    format!("valid until {}, signed {}", fmt(b), fmt(r.signed_at as i64))
                }
                (None, None) => String::new(),
            };
            v.reasons.push(Reason::ExpiredKey {
                principal: r.signer.clone(),
                window,
            })
        }
    }
    if v.reasons.is_empty() {
        v.status = if hex(&r.tree) == c.tree {
            Status::Exact
        } else {
            Status::Rebased
        };
    }
    v.payload = Some(payload);
    v.record = Some(d.record);
    v.key = Some(d.key);
    v
}

/// Verifies many commits: one `cat-file --batch`, one patch-id pipeline.
pub fn verify_commits(
    repo: &Repo,
    ids: &[String],
    signers: &AllowedSigners,
) -> anyhow::Result<Vec<Verdict>> {
    let commits = read_commits(repo, ids)?;
    let patches = patch_ids(repo, &commits)?;
    Ok(commits
        .into_iter()
        .map(|c| {
            let p = patches.get(&c.id).cloned();
            verify(c, p.as_deref(), signers)
        })
        .collect())
}

/// Where the allowed signers are read from, first found: `--allowed-signers`, the
/// policy's `allowed_signers` (default `.vouchsafe/allowed_signers`) in the work tree,
/// or committed at HEAD in a bare repository, then git's `gpg.ssh.allowedSignersFile`.
/// `Ok(None)` when there is none.
pub fn allowed_signers_soft(
    repo: &Repo,
    policy: &Policy,
    git_setting: Option<&str>,
) -> anyhow::Result<Option<AllowedSigners>> {
    let rel = policy
        .attestation
        .allowed_signers
        .clone()
        .unwrap_or_else(|| ".vouchsafe/allowed_signers".to_string());
    match &repo.work_tree {
        Some(top) => {
            let p = top.join(&rel);
            if p.is_file() {
                return read_file(&p).map(Some);
            }
        }
        None => {
            if let Some(bytes) = repo.show_blob("HEAD", &rel)? {
                let origin = format!("HEAD:{rel}");
                return Ok(Some(signers::parse(
                    &String::from_utf8_lossy(&bytes),
                    &origin,
                )));
            }
        }
    }
    if let Some(g) = git_setting.filter(|g| !g.trim().is_empty()) {
        let mut p = super::config::expand_tilde(g.trim());
        if p.is_relative() {
            p = repo.cwd.join(p);
        }
        return read_file(&p).map(Some);
    }
    Ok(None)
}

pub fn read_file(p: &Path) -> anyhow::Result<AllowedSigners> {
    let text = std::fs::read_to_string(p)
        .with_context(|| format!("reading the allowed-signers file {}", p.display()))?;
    Ok(signers::parse(&text, &p.display().to_string()))
}
