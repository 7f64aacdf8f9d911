//! This user's signing settings: `signing.toml` in vouchsafe's config directory
//! (`$VOUCHSAFE_HOME` when set, else the platform's, `~/.config/vouchsafe` on Linux).
//! Written by `vouchsafe key use` and `key generate`; read only when a commit is signed
//! or `key status` asks.

use std::path::PathBuf;

use anyhow::Context;
use serde::{Deserialize, Serialize};

pub const FILE_NAME: &str = "signing.toml";

#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The key file (private, or public when the private half lives in ssh-agent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<PathBuf>,
}

pub fn config_dir() -> anyhow::Result<PathBuf> {
    crate::install::paths::home_or(|d| d.config_dir(), "config")
}

/// Where generated keys go: `keys/` in the config directory.
pub fn keys_dir() -> anyhow::Result<PathBuf> {
    Ok(config_dir()?.join("keys"))
}

pub fn path() -> anyhow::Result<PathBuf> {
    Ok(config_dir()?.join(FILE_NAME))
}

pub fn load() -> anyhow::Result<Settings> {
    let p = path()?;
    match std::fs::read_to_string(&p) {
        Ok(text) => toml::from_str(&text).with_context(|| format!("{} is invalid", p.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Settings::default()),
        Err(e) => Err(e).with_context(|| format!("reading {}", p.display())),
    }
}

pub fn save(s: &Settings) -> anyhow::Result<PathBuf> {
    let p = path()?;
    let dir = p.parent().context("config path has no parent")?;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let text = format!(
        "# vouchsafe signing settings (`vouchsafe key use <path>` writes this file)\n{}",
        toml::to_string(s)?
    );
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    std::io::Write::write_all(&mut tmp, text.as_bytes())?;
    tmp.persist(&p)
        .with_context(|| format!("writing {}", p.display()))?;
    Ok(p)
}

/// This user's home directory (`HOME` first, as OpenSSH and git use it).
pub fn home() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .or_else(|| directories::BaseDirs::new().map(|b| b.home_dir().to_path_buf()))
}

/// `~/x` expanded against the home directory.
pub fn expand_tilde(p: &str) -> PathBuf {
    if let Some(rest) = p.strip_prefix("~/") {
        if let Some(h) = home() {
            return h.join(rest);
        }
    }
    PathBuf::from(p)
}
