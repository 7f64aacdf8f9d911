//! Which key signs, and signing with it.
//!
//! The order: vouchsafe's own setting (`vouchsafe key use <path>`), git's
//! `user.signingKey` when `gpg.format=ssh`, the keys of a running ssh-agent
//! (`SSH_AUTH_SOCK`; the first one the allowed-signers file lists for the signer, else
//! the first), then `~/.ssh/id_ed25519`. A key file is read with the `ssh-key` crate
//! (Ed25519, ECDSA P-256/384/521, RSA); a passphrase-protected one is opened with the
//! passphrase from the keychain, or signed through the agent when the agent holds the
//! same key. A public key (a `.pub` file, or git's `key::ssh-...` literal) names a key
//! the agent holds: that is how 1Password, Secretive and FIDO (`sk-`) keys sign.

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context};
use ssh_key::{HashAlg, PrivateKey, PublicKey, SshSig};

use super::{agent, config, keychain, NAMESPACE};

/// Where the signing key was found.
#[derive(Debug, Clone)]
pub enum Origin {
    /// `vouchsafe key use`.
    Setting(PathBuf),
    /// git's `user.signingKey` (its value as written).
    GitConfig(String),
    /// The first suitable key in ssh-agent.
    Agent,
    /// `~/.ssh/id_ed25519`.
    Default(PathBuf),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Setting(p) => write!(f, "{} (vouchsafe key use)", p.display()),
            Origin::GitConfig(v) => write!(f, "{v} (git user.signingKey)"),
            Origin::Agent => write!(f, "ssh-agent"),
            Origin::Default(p) => write!(f, "{} (default key)", p.display()),
        }
    }
}

enum Backend {
    File(Box<PrivateKey>),
    Agent(PathBuf),
}

pub struct Signer {
    pub origin: Origin,
    pub public: PublicKey,
    backend: Backend,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signer({}, {})", self.origin, fingerprint(&self.public))
    }
}

/// What the key search reads; gathered by the caller so that git runs once.
#[derive(Debug, Default, Clone)]
pub struct Inputs {
    pub setting: Option<PathBuf>,
    pub git_signing_key: Option<String>,
    pub gpg_format: Option<String>,
    pub agent_socket: Option<PathBuf>,
    pub home: Option<PathBuf>,
    /// Keys the allowed-signers file lists for the signer: an agent key among these
    /// is preferred.
    pub preferred: Vec<ssh_key::public::KeyData>,
    /// Where a relative path in git's configuration is resolved (the work-tree top).
    pub base_dir: Option<PathBuf>,
}

impl Inputs {
    /// Everything but git's configuration, from this process's environment.
    pub fn from_env() -> anyhow::Result<Inputs> {
        Ok(Inputs {
            setting: config::load()?.key,
            agent_socket: std::env::var_os("SSH_AUTH_SOCK")
                .filter(|s| !s.is_empty())
                .map(PathBuf::from),
            home: config::home(),
            ..Default::default()
        })
    }

    fn git_ssh(&self) -> bool {
        self.gpg_format
            .as_deref()
            .is_some_and(|f| f.trim().eq_ignore_ascii_case("ssh"))
    }
}

pub fn fingerprint(k: &PublicKey) -> String {
    k.fingerprint(HashAlg::Sha256).to_string()
}

/// `ssh-ed25519 AAAA...` without comment.
pub fn openssh_public(k: &ssh_key::public::KeyData) -> String {
    PublicKey::new(k.clone(), "")
        .to_openssh()
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// What is wrong with a key that is configured but cannot sign.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct KeyProblem(pub String);

/// The key that signs, `Ok(None)` when there is none anywhere.
pub fn resolve(inp: &Inputs) -> anyhow::Result<Option<Signer>> {
    if let Some(p) = &inp.setting {
        return from_path(inp, p, Origin::Setting(p.clone())).map(Some);
    }
    if inp.git_ssh() {
        if let Some(v) = inp
            .git_signing_key
            .as_deref()
            .filter(|v| !v.trim().is_empty())
        {
            return from_git_value(inp, v).map(Some);
        }
    }
    if let Some(sock) = &inp.agent_socket {
        match agent::identities(sock) {
            Ok(keys) if !keys.is_empty() => {
                let chosen = keys
                    .iter()
                    .find(|k| inp.preferred.contains(k.key_data()))
                    .unwrap_or(&keys[0]);
                return Ok(Some(Signer {
                    origin: Origin::Agent,
                    public: chosen.clone(),
                    backend: Backend::Agent(sock.clone()),
                }));
            }
            Ok(_) => tracing::debug!("ssh-agent holds no keys"),
            Err(e) => tracing::debug!("ssh-agent at {} not usable: {e:#}", sock.display()),
        }
    }
    if let Some(home) = &inp.home {
        let p = home.join(".ssh").join("id_ed25519");
        if p.exists() {
            return from_path(inp, &p, Origin::Default(p.clone())).map(Some);
        }
    }
    Ok(None)
}

fn from_git_value(inp: &Inputs, v: &str) -> anyhow::Result<Signer> {
    let v = v.trim();
    let literal = v.strip_prefix("key::").or_else(|| {
        ["ssh-", "ecdsa-", "sk-"]
            .iter()
            .any(|p| v.starts_with(p))
            .then_some(v)
    });
    let origin = Origin::GitConfig(v.to_string());
    if let Some(text) = literal {
        let public = PublicKey::from_openssh(text)
            .map_err(|e| KeyProblem(format!("git's user.signingKey is not a public key ({e})")))?;
        return via_agent(inp, public, origin, None);
    }
    let mut p = config::expand_tilde(v);
    if p.is_relative() {
        if let Some(b) = &inp.base_dir {
            p = b.join(p);
        }
    }
    from_path(inp, &p, origin)
}

/// Reads a key file: private (OpenSSH format), or public (then the agent signs).
pub fn from_path(inp: &Inputs, path: &Path, origin: Origin) -> anyhow::Result<Signer> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        KeyProblem(format!(
            "cannot read the signing key {} from {origin}: {e}",
            path.display()
        ))
    })?;
    if text.contains("PRIVATE KEY-----") {
        if !text.contains("BEGIN OPENSSH PRIVATE KEY") {
            bail!(KeyProblem(format!(
                "{} is in the old PEM format; rewrite it in OpenSSH format with `ssh-keygen -p -f {}` (the key stays the same)",
                path.display(),
                path.display()
            )));
        }
        let key = PrivateKey::from_openssh(&text).map_err(|e| {
            KeyProblem(format!(
                "{} is not a usable private key: {e}",
                path.display()
            ))
        })?;
        return open_private(inp, key, path, origin);
    }
    let public = PublicKey::from_openssh(text.trim()).map_err(|e| {
        KeyProblem(format!(
            "{} is neither an OpenSSH private key nor a public key ({e})",
            path.display()
        ))
    })?;
    // `id_ed25519.pub` next to `id_ed25519`: the private half may be usable directly.
    let private = path
        .to_str()
        .and_then(|s| s.strip_suffix(".pub"))
        .map(PathBuf::from)
        .filter(|p| p.is_file());
    via_agent(inp, public, origin, private)
}

fn via_agent(
    inp: &Inputs,
    public: PublicKey,
    origin: Origin,
    private_file: Option<PathBuf>,
) -> anyhow::Result<Signer> {
    if let Some(sock) = &inp.agent_socket {
        if agent::holds(sock, &public) {
            return Ok(Signer {
                origin,
                public,
                backend: Backend::Agent(sock.clone()),
            });
        }
    }
    if let Some(p) = private_file {
        return from_path(inp, &p, origin);
    }
    let why = if inp.agent_socket.is_some() {
        "the running ssh-agent does not hold it"
    } else {
        "no ssh-agent is running (SSH_AUTH_SOCK is not set)"
    };
    bail!(KeyProblem(format!(
        "the signing key {} ({origin}) is a public key and {why}; add the private key with `ssh-add`, or point vouchsafe at the private key file with `vouchsafe key use <path>`",
        fingerprint(&public)
    )))
}

fn open_private(
    inp: &Inputs,
    key: PrivateKey,
    path: &Path,
    origin: Origin,
) -> anyhow::Result<Signer> {
    let public = key.public_key().clone();
    if !key.is_encrypted() {
        return file_signer(key, origin);
    }
    let fp = fingerprint(&public);
    let in_agent = inp
        .agent_socket
        .as_ref()
        .filter(|s| agent::holds(s, &public))
        .cloned();
    // The agent has the key open already; decrypting the file costs its KDF rounds.
    if let Some(sock) = in_agent {
        return Ok(Signer {
            origin,
            public,
            backend: Backend::Agent(sock),
        });
    }
    match keychain::get(&fp) {
        Ok(Some(pass)) => {
            let key = key.decrypt(pass.as_bytes()).map_err(|_| {
                KeyProblem(format!(
                    "the passphrase in the keychain does not open {}; store the right one with `vouchsafe key passphrase set {}`",
                    path.display(),
                    path.display()
                ))
            })?;
            file_signer(key, origin)
        }
        Ok(None) => bail!(KeyProblem(format!(
            "the signing key {} is passphrase-protected and no passphrase is stored for it; run `vouchsafe key passphrase set {}` (kept in the OS keychain), or `ssh-add {}`",
            path.display(),
            path.display(),
            path.display()
        ))),
        Err(e) => Err(anyhow!(KeyProblem(format!(
            "the signing key {} is passphrase-protected, and {e}",
            path.display()
        )))),
    }
}

fn file_signer(key: PrivateKey, origin: Origin) -> anyhow::Result<Signer> {
    let kd = key.public_key().key_data();
    if kd.is_sk_ed25519() || kd.is_sk_ecdsa_p256() {
        bail!(KeyProblem(
            "a FIDO (sk-) key signs only through its authenticator: load it with `ssh-add` and vouchsafe signs through ssh-agent".into()
        ));
    }
    Ok(Signer {
        origin,
        public: key.public_key().clone(),
        backend: Backend::File(Box::new(key)),
    })
}

impl Signer {
    pub fn via_agent(&self) -> bool {
        matches!(self.backend, Backend::Agent(_))
    }

    /// An SSHSIG over `msg` in the attestation namespace, SHA-512.
    pub fn sign(&self, msg: &[u8]) -> anyhow::Result<SshSig> {
        match &self.backend {
            Backend::File(key) => match key.key_data().rsa() {
                Some(rsa) => {
                    sign_rsa(rsa, msg).with_context(|| format!("signing with {}", self.origin))
                }
                None => key
                    .sign(NAMESPACE, HashAlg::Sha512, msg)
                    .with_context(|| format!("signing with {}", self.origin)),
            },
            Backend::Agent(sock) => {
                let data = SshSig::signed_data(NAMESPACE, HashAlg::Sha512, msg)?;
                let sig = agent::sign(sock, &self.public, &data).with_context(|| {
                    format!(
                        "signing through ssh-agent with {}",
                        fingerprint(&self.public)
                    )
                })?;
                Ok(SshSig::new(
                    self.public.key_data().clone(),
                    NAMESPACE,
                    HashAlg::Sha512,
                    sig,
                )?)
            }
        }
    }
}

/// RSA, rsa-sha2-512. ssh-key 0.6.7 builds the `rsa` key from the prime `p` twice
/// instead of `p` and `q`, which the `rsa` crate rejects ("cryptographic error"), so
/// the key is put together here from the same OpenSSH fields.
fn sign_rsa(k: &ssh_key::private::RsaKeypair, msg: &[u8]) -> anyhow::Result<SshSig> {
    use rsa::signature::{SignatureEncoding, Signer as _};
    let big = |m: &ssh_key::Mpint| -> anyhow::Result<rsa::BigUint> {
        let b = m
            .as_positive_bytes()
            .context("an RSA key field is not a positive integer")?;
        Ok(rsa::BigUint::from_bytes_be(b))
    };
    let key = rsa::RsaPrivateKey::from_components(
        big(&k.public.n)?,
        big(&k.public.e)?,
        big(&k.private.d)?,
        vec![big(&k.private.p)?, big(&k.private.q)?],
    )
    .context("the RSA key is inconsistent")?;
    let data = SshSig::signed_data(NAMESPACE, HashAlg::Sha512, msg)?;
    let sig = rsa::pkcs1v15::SigningKey::<ssh_key::sha2::Sha512>::new(key)
        .try_sign(&data)
        .context("RSA signing failed")?;
    let sig = ssh_key::Signature::new(
        ssh_key::Algorithm::Rsa {
            hash: Some(HashAlg::Sha512),
        },
        sig.to_vec(),
    )?;
    Ok(SshSig::new(
        ssh_key::public::KeyData::Rsa(k.public.clone()),
        NAMESPACE,
        HashAlg::Sha512,
        sig,
    )?)
}
