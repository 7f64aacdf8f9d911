//! What `install` wrote, so `uninstall` removes exactly that and puts back the rest.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

pub const FORMAT: u32 = 1;

/// `<git-common-dir>/vouchsafe/install.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Local {
    pub format: u32,
    pub vouchsafe_version: String,
    /// The hooks directory the shims were written to.
    pub hooks_dir: PathBuf,
    /// vouchsafe created the hooks directory (it did not exist).
    #[serde(default)]
    pub created_hooks_dir: bool,
    /// The binary baked into the shims.
    pub binary: String,
    #[serde(default)]
    pub fail_open: bool,
    pub hooks: Vec<HookRecord>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HookRecord {
    pub name: String,
    /// The shim as written, to tell whether it was edited since.
    pub shim_sha256: String,
    /// The hook that was in place before, kept as `<name>.vouchsafe-chained`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chained: Option<ChainedRecord>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChainedRecord {
    /// File name inside the hooks directory.
    pub file: String,
    /// Of the content, or of the link target for a symlink.
    pub sha256: String,
    pub mode: u32,
    #[serde(default)]
    pub symlink: bool,
    /// git was running it (an executable file).
    pub executable: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager: Option<String>,
}

/// `<data-dir>/global-install.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Global {
    pub format: u32,
    pub vouchsafe_version: String,
    pub hooks_dir: PathBuf,
    pub binary: String,
    #[serde(default)]
    pub fail_open: bool,
    /// The global git config file that was changed.
    pub config_file: PathBuf,
    /// Its bytes before install (hex; `None`: it did not exist) and right after.
    pub config_before: Option<String>,
    pub config_after: Option<String>,
    /// `core.hooksPath` values in the global config before install, raw, in order.
    pub previous_hooks_path: Vec<String>,
    /// The hooks directory that was in effect before (global or system), chained.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain_dir: Option<String>,
}

pub fn local_path(common_dir: &Path) -> PathBuf {
    common_dir.join("vouchsafe").join("install.json")
}

pub fn load<T: for<'de> Deserialize<'de>>(path: &Path) -> anyhow::Result<Option<T>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(serde_json::from_slice(&bytes).with_context(|| {
            format!(
                "{} is not a vouchsafe install record; move it away and run the command again",
                path.display()
            )
        })?)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

pub fn save<T: Serialize>(path: &Path, value: &T) -> anyhow::Result<()> {
    let dir = path.parent().context("manifest has a directory")?;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    std::io::Write::write_all(&mut tmp, text.as_bytes())?;
    tmp.persist(path)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

pub fn hex(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn unhex(s: &str) -> anyhow::Result<Vec<u8>> {
    anyhow::ensure!(s.len().is_multiple_of(2), "bad hex in the install record");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).context("bad hex in the install record"))
        .collect()
}
