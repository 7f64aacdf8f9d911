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
    // Kept byte for byte: a file that cannot be read is an error, never overwritten.
    let existing = match std::fs::read(&p) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e).with_context(|| format!("reading {}", p.display())),
    };
    let known = parse(&String::from_utf8_lossy(&existing));
    let mut text = String::new();
    if existing.is_empty() {
        text.push_str("# Findings that are not secrets, by fingerprint (vouchsafe scan ... --add-to-ignore).\n");
    } else if !existing.ends_with(b"\n") {
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
        tmp.write_all(&existing)?;
        tmp.write_all(text.as_bytes())?;
        tmp.persist(&p)
            .with_context(|| format!("writing {}", p.display()))?;
    }
    Ok(added)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adding_keeps_what_the_file_held_even_when_it_is_not_utf8() {
        let dir = tempfile::tempdir().expect("tmp");
        let old = "a".repeat(64);
        let mut existing = format!("{old}  # caf").into_bytes();
        existing.extend_from_slice(b"\xe9 fixture\n");
        std::fs::write(dir.path().join(FILE_NAME), &existing).expect("write");
        let f = Finding {
            rule_id: "github-pat",
            description: "d",
            path: "x.txt".into(),
            path_bytes: b"x.txt".to_vec(),
            line: 1,
            column: 1,
            secret_redacted: "…[40 chars]".into(),
            fingerprint: "b".repeat(64),
            commit: None,
        };
        assert_eq!(add(dir.path(), &[f]).expect("add"), 1);
        let after = std::fs::read(dir.path().join(FILE_NAME)).expect("read");
        assert!(
            after.starts_with(&existing),
            "{}",
            String::from_utf8_lossy(&after)
        );
        let known = load(Some(dir.path())).expect("load");
        assert!(known.contains(&old) && known.contains(&"b".repeat(64)));
    }
}
