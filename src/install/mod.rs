//! The installer: shims, chaining existing hooks, global mode, uninstall, status.
//! (Being written; until then these commands say so.)

use crate::cli::{InstallArgs, UninstallArgs};
use crate::Status;

pub fn install(_args: &InstallArgs) -> anyhow::Result<Status> {
    anyhow::bail!("`vouchsafe install` is not built yet")
}

pub fn uninstall(_args: &UninstallArgs) -> anyhow::Result<Status> {
    anyhow::bail!("`vouchsafe uninstall` is not built yet")
}

pub fn status() -> anyhow::Result<Status> {
    anyhow::bail!("`vouchsafe status` is not built yet")
}

pub fn demo() -> anyhow::Result<Status> {
    anyhow::bail!("`vouchsafe demo` is not built yet")
}
