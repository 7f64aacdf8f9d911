//! The shim scripts (`hooks/` in the source, built into the binary): rendering,
//! recognising our own files, and writing them atomically.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use sha2::{Digest, Sha256};

/// The gate shim for the hooks vouchsafe runs.
pub const SHIM: &str = include_str!("../../hooks/shim.sh");
/// Global mode: every other hook name, running the repository's own hook.
pub const PASSTHROUGH: &str = include_str!("../../hooks/passthrough.sh");

/// Every file vouchsafe writes carries this on its second line.
pub const MARKER: &str = "vouchsafe-managed-hook";
/// The shim format; `status` flags older ones.
pub const FORMAT: u32 = 1;

/// The hooks vouchsafe gates, in the order git runs them.
pub const GATED: [&str; 4] = ["pre-commit", "prepare-commit-msg", "commit-msg", "pre-push"];

/// Where a hook that was already in place is kept, next to the shim that runs it.
pub const CHAINED_SUFFIX: &str = ".vouchsafe-chained";

/// Hook names git runs from the hooks directory, other than the gated ones: global
/// mode writes a pass-through for each. Left out on purpose: `push-to-checkout` and
/// `proc-receive` (their mere presence changes what git does), `fsmonitor-watchman`
/// (run through `core.fsmonitor`, not by name).
pub const PASSTHROUGH_HOOKS: &[&str] = &[
    "applypatch-msg",
    "pre-applypatch",
    "post-applypatch",
    "pre-merge-commit",
    "post-commit",
    "pre-rebase",
    "post-checkout",
    "post-merge",
    "pre-receive",
    "update",
    "post-receive",
    "post-update",
    "reference-transaction",
    "pre-auto-gc",
    "post-rewrite",
    "sendemail-validate",
    "post-index-change",
    "p4-changelist",
    "p4-prepare-changelist",
    "p4-post-changelist",
    "p4-pre-submit",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Repo,
    Global,
}

impl Scope {
    fn word(self) -> &'static str {
        match self {
            Scope::Repo => "repo",
            Scope::Global => "global",
        }
    }
}

/// What one rendered shim needs.
#[derive(Debug, Clone)]
pub struct Params<'a> {
    pub hook: &'a str,
    pub scope: Scope,
    /// The binary baked in (`None` writes an empty value: PATH only).
    pub baked: Option<&'a str>,
    pub fail_open: bool,
    /// Global mode: chain this hooks directory instead of the repository's own.
    pub chain_dir: Option<&'a str>,
}

/// The text inside single quotes in sh: `'` becomes `'\''`.
fn sq(s: &str) -> String {
    s.replace('\'', "'\\''")
}

fn fill(template: &str, pairs: &[(&str, String)]) -> String {
    let mut out = template.to_string();
    for (k, v) in pairs {
        out = out.replace(k, v);
    }
    out
}

pub fn render(p: &Params<'_>) -> String {
    fill(
        SHIM,
        &[
            ("@HOOK@", sq(p.hook)),
            ("@SCOPE@", p.scope.word().to_string()),
            ("@VERSION@", env!("CARGO_PKG_VERSION").to_string()),
            ("@BAKED@", sq(p.baked.unwrap_or(""))),
            (
                "@ON_MISSING@",
                if p.fail_open { "warn" } else { "fail" }.to_string(),
            ),
            ("@CHAIN_DIR@", sq(p.chain_dir.unwrap_or(""))),
        ],
    )
}

pub fn render_passthrough(hook: &str, chain_dir: Option<&str>) -> String {
    fill(
        PASSTHROUGH,
        &[
            ("@HOOK@", sq(hook)),
            ("@VERSION@", env!("CARGO_PKG_VERSION").to_string()),
            ("@CHAIN_DIR@", sq(chain_dir.unwrap_or(""))),
        ],
    )
}

/// The facts in a shim's header line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub format: u32,
    pub hook: String,
    pub scope: String,
    pub version: String,
}

/// `Some` when the file is one vouchsafe wrote (the marker in its first lines).
pub fn header(content: &[u8]) -> Option<Header> {
    let text = String::from_utf8_lossy(&content[..content.len().min(512)]);
    let line = text.lines().take(3).find(|l| l.contains(MARKER))?;
    let field = |k: &str| {
        line.split_whitespace()
            .find_map(|w| w.strip_prefix(k).map(str::to_string))
            .unwrap_or_default()
    };
    Some(Header {
        format: field("format=").parse().unwrap_or(0),
        hook: field("hook="),
        scope: field("scope="),
        version: field("version="),
    })
}

pub fn is_ours(content: &[u8]) -> bool {
    header(content).is_some()
}

/// A shell variable's single-quoted value from a rendered shim (`baked='...'`).
pub fn value(content: &[u8], var: &str) -> Option<String> {
    let text = String::from_utf8_lossy(content);
    let prefix = format!("{var}='");
    let line = text.lines().find(|l| l.starts_with(&prefix))?;
    let rest = &line[prefix.len()..];
    let end = rest.rfind('\'')?;
    Some(rest[..end].replace("'\\''", "'"))
}

pub fn sha256_hex(data: &[u8]) -> String {
    let d = Sha256::digest(data);
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes `content` to `path` through a temp file in the same directory and a rename,
/// so git never runs a half-written hook; mode 0755.
pub fn write_atomic(path: &Path, content: &[u8]) -> anyhow::Result<()> {
    let dir = path.parent().context("a hook path has a directory")?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".vouchsafe-tmp-")
        .tempfile_in(dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    tmp.write_all(content)?;
    set_executable(tmp.path())?;
    tmp.as_file().sync_all()?;
    tmp.persist(path)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

#[cfg(unix)]
pub fn set_executable(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
}

#[cfg(not(unix))]
pub fn set_executable(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

/// The permission bits of a file (0 where there are none to read).
pub fn mode_of(meta: &std::fs::Metadata) -> u32 {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.permissions().mode() & 0o7777
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        0
    }
}

/// Whether git would run this file: a regular file (through symlinks) with an
/// execute bit. Windows runs every file.
pub fn is_executable(path: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(path) else {
        return false;
    };
    if !meta.is_file() {
        return false;
    }
    #[cfg(unix)]
    {
        mode_of(&meta) & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_every_placeholder() {
        let s = render(&Params {
            hook: "pre-push",
            scope: Scope::Global,
            baked: Some("/opt/it's here/vouchsafe"),
            fail_open: true,
            chain_dir: Some("/x"),
        });
        let left = |t: &str| {
            [
                "@HOOK@",
                "@SCOPE@",
                "@VERSION@",
                "@BAKED@",
                "@ON_MISSING@",
                "@CHAIN_DIR@",
            ]
            .iter()
            .any(|p| t.contains(p))
        };
        assert!(!left(&s), "a placeholder is left:\n{s}");
        assert!(s.contains("hook='pre-push'"));
        assert_eq!(
            value(s.as_bytes(), "baked").as_deref(),
            Some("/opt/it's here/vouchsafe")
        );
        assert_eq!(value(s.as_bytes(), "on_missing").as_deref(), Some("warn"));
        let h = header(s.as_bytes()).unwrap();
        assert_eq!(h.format, FORMAT);
        assert_eq!(h.hook, "pre-push");
        assert_eq!(h.scope, "global");
        let p = render_passthrough("post-checkout", None);
        assert!(!left(&p), "a placeholder is left:\n{p}");
        assert!(is_ours(p.as_bytes()));
        assert!(!is_ours(b"#!/bin/sh\nexec lefthook run pre-commit\n"));
    }

    #[test]
    fn templates_have_lf_endings() {
        assert!(!SHIM.contains('\r') && !PASSTHROUGH.contains('\r'));
        assert!(SHIM.starts_with("#!/bin/sh\n") && PASSTHROUGH.starts_with("#!/bin/sh\n"));
    }
}
