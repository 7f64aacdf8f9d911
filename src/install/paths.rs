//! Paths on this machine: vouchsafe's data directory and the binary the shims run.

use std::path::{Path, PathBuf};

use anyhow::Context;

/// Where vouchsafe keeps its machine-wide files: `$VOUCHSAFE_HOME` when set, else
/// the platform's data directory (`~/.local/share/vouchsafe` on Linux).
pub fn data_dir() -> anyhow::Result<PathBuf> {
    home_or(|d| d.data_dir(), "data")
}

/// `$VOUCHSAFE_HOME` when set (it stands for every directory of vouchsafe's), else
/// the platform's directory of that kind for vouchsafe.
pub fn home_or(
    pick: fn(&directories::ProjectDirs) -> &Path,
    kind: &str,
) -> anyhow::Result<PathBuf> {
    if let Some(h) = std::env::var_os("VOUCHSAFE_HOME").filter(|h| !h.is_empty()) {
        return Ok(crate::git::absolute(Path::new(&h)));
    }
    directories::ProjectDirs::from("", "", "vouchsafe")
        .map(|d| pick(&d).to_path_buf())
        .with_context(|| {
            format!("cannot tell where this user's {kind} directory is (is HOME set?); set VOUCHSAFE_HOME")
        })
}

/// The directory `install --global` points `core.hooksPath` at.
pub fn global_hooks_dir() -> anyhow::Result<PathBuf> {
    Ok(data_dir()?.join("hooks"))
}

pub fn global_manifest() -> anyhow::Result<PathBuf> {
    Ok(data_dir()?.join("global-install.json"))
}

/// The path baked into the shims: this binary. When a `vouchsafe` on PATH is this
/// same file through a symlink (Homebrew, `~/.local/bin` links), that stable path is
/// baked instead, so an upgrade behind the link keeps the hooks working.
pub fn binary_to_bake() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("cannot tell where this vouchsafe binary is")?;
    let real = std::fs::canonicalize(&exe).unwrap_or_else(|_| exe.clone());
    if let Some(on_path) = find_on_path("vouchsafe") {
        if std::fs::canonicalize(&on_path).is_ok_and(|p| p == real) {
            return Ok(on_path);
        }
    }
    Ok(real)
}

/// The first executable `name` on PATH, as `command -v` would find it.
pub fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .filter(|d| d.is_absolute())
        .map(|d| d.join(name))
        .find(|p| super::shim::is_executable(p))
}

/// A path as the shims store it: forward slashes, which Git for Windows' sh reads.
pub fn for_shell(p: &Path) -> String {
    let s = p.to_string_lossy().into_owned();
    if cfg!(windows) {
        s.replace('\\', "/")
    } else {
        s
    }
}
