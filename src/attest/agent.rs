//! ssh-agent, through `ssh-agent-client-rs` (the agent protocol's list and sign
//! requests over `SSH_AUTH_SOCK`; a named pipe on Windows). RSA keys are asked for
//! `rsa-sha2-512` signatures, never SHA-1.

use std::path::Path;

use anyhow::Context;
use ssh_agent_client_rs::{Client, Identity};
use ssh_key::{PublicKey, Signature};

fn connect(sock: &Path) -> anyhow::Result<Client> {
    Client::connect(sock).with_context(|| format!("connecting to ssh-agent at {}", sock.display()))
}

/// The plain public keys the agent holds, in its order (certificates are skipped).
pub fn identities(sock: &Path) -> anyhow::Result<Vec<PublicKey>> {
    let mut c = connect(sock)?;
    let ids = c
        .list_all_identities()
        .context("asking ssh-agent for its keys")?;
    Ok(ids
        .into_iter()
        .filter_map(|i| match i {
            Identity::PublicKey(k) => Some(k.into_owned()),
            Identity::Certificate(_) => None,
        })
        .collect())
}

/// Whether the agent holds this key (false when it cannot be asked).
pub fn holds(sock: &Path, key: &PublicKey) -> bool {
    identities(sock)
        .map(|ks| ks.iter().any(|k| k.key_data() == key.key_data()))
        .unwrap_or(false)
}

/// A raw signature over `data` by the agent's `key`.
pub fn sign(sock: &Path, key: &PublicKey, data: &[u8]) -> anyhow::Result<Signature> {
    let mut c = connect(sock)?;
    c.sign(key, data)
        .context("ssh-agent refused to sign (is the key still loaded, or did it need a touch or a confirmation?)")
}
