//! `.vouchsafeignore`: one finding fingerprint per line, `#` starts a comment. A
//! fingerprint hashes rule, path and secret, so an entry survives line moves and
//! rebases but not a new secret or a renamed file.

use std::collections::HashSet;
use std::io::Write;
use std::path::Path;

use anyhow::Context;

use super::Finding;

pub const FILE_NAME: &str = ".vouchsafeignore";

pub fn parse(text: &str) -> HashSet<String> {
    text.lines()
        .filter_map(|l| {
            let l = l.split('#').next().unwrap_or("").trim();
            (!l.is_empty()).then(|| l.to_ascii_lowercase())
        })
        .collect()
}

/// The ignore file at the top of a work tree; none is an empty set.
pub fn load(top: Option<&Path>) -> anyhow::Result<HashSet<String>> {
    let Some(top) = top else {
        return Ok(HashSet::new());
    };
    let p = top.join(FILE_NAME);
    match std::fs::read(&p) {
        Ok(bytes) => Ok(parse(&String::from_utf8_lossy(&bytes))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(HashSet::new()),
        Err(e) => Err(e).with_context(|| format!("reading {}", p.display())),
    }
}

/// Appends the findings' fingerprints (those not there yet) with a comment naming
/// rule and place, never the secret. Returns how many were added.
pub fn add(top: &Path, findings: &[Finding]) -> anyhow::Result<usize> {
    let p = top.join(FILE_NAME);
    let existing = std::fs::read_to_string(&p).unwrap_or_default();
    let known = parse(&existing);
    let mut text = existing.clone();
    if text.is_empty() {
        text.push_str("# Findings that are not secrets, by fingerprint (vouchsafe scan ... --add-to-ignore).\n");
    } else if !text.ends_with('\n') {
        text.push('\n');
    }
    let mut added = 0;
    let mut seen = HashSet::new();
    for f in findings {
        if known.contains(&f.fingerprint) || !seen.insert(f.fingerprint.clone()) {
            continue;
        }
        let place = format!("{}:{}", crate::git::display_path(&f.path_bytes), f.line);
        text.push_str(&format!("{}  # {} {}\n", f.fingerprint, f.rule_id, place));
        added += 1;
    }
    if added > 0 {
        let mut tmp = tempfile::NamedTempFile::new_in(top)
            .context("creating a temporary file next to .vouchsafeignore")?;
        tmp.write_all(text.as_bytes())?;
        tmp.persist(&p)
            .with_context(|| format!("writing {}", p.display()))?;
    }
    Ok(added)
}
