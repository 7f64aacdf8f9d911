//! The commit message as git will treat it after the hooks: which lines its cleanup
//! strips, where the scissors line cuts, whether the message counts as empty; and
//! rewriting the message file atomically.
//!
//! A hook cannot see `--cleanup`, `-v` or `-m`; it can see the configuration and
//! `GIT_EDITOR=:`, which git sets for its hooks when no editor is used. So the cleanup
//! mode is `commit.cleanup`, and for `default` (or unset) `strip` when an editor is
//! used and `whitespace` otherwise, as git decides it. Only `strip` removes comment
//! lines; under the other modes a line starting with `#` is message text, and new
//! trailers go after it.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::trailers::Format;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cleanup {
    Strip,
    Whitespace,
    Verbatim,
    Scissors,
}

/// The configuration [`MessageConfig`] reads (`git config --get-regexp`).
pub const CONFIG_RE: &str =
    r"^(core\.comment(char|string)|commit\.(cleanup|template)|trailer\..*)$";

/// What the configuration says about messages, read with one `git config` call.
#[derive(Debug, Clone, Default)]
pub struct MessageConfig {
    /// `core.commentChar` / `core.commentString` (the last one set wins); `None`: `#`.
    pub comment: Option<Vec<u8>>,
    pub cleanup: Option<String>,
    pub template: Option<PathBuf>,
    pub separators: Option<Vec<u8>>,
    /// `trailer.<name>` names and `trailer.<name>.key` values.
    pub configured: Vec<Vec<u8>>,
}

impl MessageConfig {
    /// From `git config -z --get-regexp` entries (`Repo::config_regexp`) of a pattern
    /// that takes in at least [`CONFIG_RE`] (other keys are passed over), so that one
    /// git call serves this and the attestation's configuration (the commit hooks).
    pub fn from_entries(entries: Vec<(String, Vec<u8>)>) -> MessageConfig {
        let mut c = MessageConfig::default();
        for (key, value) in entries {
            match key.as_str() {
                "core.commentchar" | "core.commentstring" => c.comment = Some(value),
                "commit.cleanup" => {
                    c.cleanup = Some(String::from_utf8_lossy(&value).trim().to_ascii_lowercase())
                }
                "commit.template" => c.template = Some(expand_home(&value)),
                "trailer.separators" => c.separators = Some(value),
                k => {
                    let Some(rest) = k.strip_prefix("trailer.") else {
                        continue;
                    };
                    let Some((name, var)) = rest.rsplit_once('.') else {
                        continue;
                    };
                    if matches!(
                        var,
                        "key" | "where" | "ifexists" | "ifmissing" | "command" | "cmd"
                    ) {
                        let name = name.as_bytes().to_vec();
                        if !c.configured.contains(&name) {
                            c.configured.push(name);
                        }
                        if var == "key" {
                            c.configured.push(value);
                        }
                    }
                }
            }
        }
        c
    }

    /// The cleanup git will apply, given whether an editor is used.
    pub fn cleanup_mode(&self, editor_used: bool) -> Cleanup {
        match self.cleanup.as_deref() {
            Some("strip") => Cleanup::Strip,
            Some("whitespace") => Cleanup::Whitespace,
            Some("verbatim") => Cleanup::Verbatim,
            Some("scissors") => Cleanup::Scissors,
            _ if editor_used => Cleanup::Strip,
            _ => Cleanup::Whitespace,
        }
    }

    /// How to read this message: the comment string (`auto` resolved against the
    /// message, as git chose it when it wrote the file) and whether cleanup strips
    /// comment lines.
    pub fn format(&self, msg: &[u8], editor_used: bool) -> Format {
        let cut = match self.comment.as_deref() {
            None | Some(b"") => b"#".to_vec(),
            Some(v) if v.eq_ignore_ascii_case(b"auto") => auto_comment_char(msg),
            Some(v) => v.to_vec(),
        };
        let strip = self.cleanup_mode(editor_used) == Cleanup::Strip;
        Format {
            comment: strip.then(|| cut.clone()),
            cut,
            separators: self
                .separators
                .clone()
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| b":".to_vec()),
            configured: self.configured.clone(),
        }
    }
}

/// Whether git runs an editor for this commit: it tells its hooks `GIT_EDITOR=:`
/// when it does not.
pub fn editor_used() -> bool {
    std::env::var_os("GIT_EDITOR").is_none_or(|v| v != ":")
}

fn expand_home(v: &[u8]) -> PathBuf {
    let s = String::from_utf8_lossy(v).into_owned();
    match (s.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(s),
    }
}

const AUTO_CANDIDATES: &[u8] = b"#;@!$%^&|:";

/// The comment character git picked for `core.commentChar=auto`. The scissors line
/// names it. Otherwise, when the file ends with a run of lines starting with one
/// candidate and git's rule applied to the text above that run picks the same
/// character, that run is the comment block git appended. Otherwise git's rule over
/// the whole text gives a character no line starts with: no line is a comment.
pub fn auto_comment_char(msg: &[u8]) -> Vec<u8> {
    for &c in AUTO_CANDIDATES {
        let f = Format {
            cut: vec![c],
            ..Format::default()
        };
        if f.scissors(msg) < msg.len() {
            return vec![c];
        }
    }
    let lines: Vec<&[u8]> = msg.split(|&b| b == b'\n').collect();
    let is_blank = |l: &[u8]| super::trailers::trim(l).is_empty();
    if let Some(last) = lines.iter().rposition(|l| !is_blank(l)) {
        if let Some(&c) = lines[last].first().filter(|c| AUTO_CANDIDATES.contains(c)) {
            let mut first = last;
            while first > 0 && (lines[first - 1].first() == Some(&c) || is_blank(lines[first - 1]))
            {
                first -= 1;
            }
            let above: usize = lines[..first].iter().map(|l| l.len() + 1).sum();
            if git_pick(&msg[..above.min(msg.len())]) == c {
                return vec![c];
            }
        }
    }
    vec![git_pick(msg)]
}

/// git's `adjust_comment_line_char`: `#` when the text has none, else the first
/// candidate that starts no line.
fn git_pick(text: &[u8]) -> u8 {
    if !text.contains(&b'#') {
        return b'#';
    }
    let mut used = [false; 256];
    if let Some(&f) = text.first() {
        used[f as usize] = true;
    }
    for w in text.windows(2) {
        if w[0] == b'\n' || w[0] == b'\r' {
            used[w[1] as usize] = true;
        }
    }
    AUTO_CANDIDATES
        .iter()
        .copied()
        .find(|&c| !used[c as usize])
        .unwrap_or(b'#')
}

/// The message as git's cleanup leaves it (`git stripspace`, with `-s` under strip),
/// cut at the scissors line. For deciding emptiness; never written back.
pub fn cleaned(msg: &[u8], fmt: &Format, mode: Cleanup) -> Vec<u8> {
    if mode == Cleanup::Verbatim {
        return msg.to_vec();
    }
    let body = &msg[..fmt.scissors(msg)];
    let mut out = Vec::with_capacity(body.len());
    let mut blank_pending = false;
    for line in body.split(|&b| b == b'\n') {
        if let Some(c) = &fmt.comment {
            if line.starts_with(c) {
                continue;
            }
        }
        let end = line
            .iter()
            .rposition(|b| !b.is_ascii_whitespace())
            .map_or(0, |e| e + 1);
        let line = &line[..end];
        if line.is_empty() {
            blank_pending = !out.is_empty();
            continue;
        }
        if blank_pending {
            out.push(b'\n');
            blank_pending = false;
        }
        out.extend_from_slice(line);
        out.push(b'\n');
    }
    out
}

/// git's `rest_is_empty`: nothing but whitespace and `Signed-off-by:` lines.
pub fn is_empty(cleaned: &[u8]) -> bool {
    cleaned
        .split(|&b| b == b'\n')
        .all(|l| l.starts_with(b"Signed-off-by: ") || l.iter().all(u8::is_ascii_whitespace))
}

/// Whether git will abort this commit for an unchanged `commit.template` (git's
/// `template_untouched`).
pub fn template_untouched(
    cleaned_msg: &[u8],
    template: Option<&Path>,
    prepared: Option<&[u8]>,
    fmt: &Format,
    mode: Cleanup,
) -> bool {
    if mode == Cleanup::Verbatim && !cleaned_msg.is_empty() {
        return false;
    }
    let mut candidates: Vec<Vec<u8>> = Vec::new();
    if let Some(t) = template
        .and_then(|p| std::fs::read(p).ok())
        .filter(|t| !t.is_empty())
    {
        candidates.push(cleaned(&t, fmt, mode));
    }
    // What prepare-commit-msg saw git prepare from a template (`-t` is not in the
    // configuration), already cleaned.
    if let Some(p) = prepared.filter(|p| !p.is_empty()) {
        candidates.push(p.to_vec());
    }
    candidates.iter().any(|t| {
        let rest = cleaned_msg
            .strip_prefix(t.as_slice())
            .unwrap_or(cleaned_msg);
        is_empty(rest)
    })
}

/// Replaces the file's content atomically: a temporary file in the same directory,
/// with the file's permissions, renamed over it. On any error the file is as it was.
pub fn write_atomically(path: &Path, content: &[u8]) -> anyhow::Result<()> {
    // Through a symlink, the file it points to is the one to replace.
    let target =
        std::fs::canonicalize(path).with_context(|| format!("resolving {}", path.display()))?;
    let meta =
        std::fs::metadata(&target).with_context(|| format!("reading {}", target.display()))?;
    let dir = target
        .parent()
        .context("the message file has no directory")?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".vouchsafe-msg-")
        .tempfile_in(dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    tmp.write_all(content).context("writing the new message")?;
    tmp.flush()?;
    std::fs::set_permissions(tmp.path(), meta.permissions())
        .context("copying the message file's permissions")?;
    tmp.persist(&target)
        .map_err(|e| e.error)
        .with_context(|| format!("replacing {}", target.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_comment_char_follows_git() {
        assert_eq!(auto_comment_char(b"subject\n\n# Please enter\n"), b"#");
        assert_eq!(
            auto_comment_char(b"#123 fix\n\n; Please enter\n; more\n"),
            b";"
        );
        assert_eq!(auto_comment_char(b"#1\n;2\n\n@ Please enter\n"), b"@");
        // A last line that git would not have picked is text, not a comment block.
        assert_eq!(auto_comment_char(b"Run it\n\n$ cargo test\n"), b"#");
        assert_eq!(auto_comment_char(b"#1 fix\n\n$ cargo test\n"), b";");
        assert_eq!(
            auto_comment_char(
                b"x\n\n@ ------------------------ >8 ------------------------\n# diff\n"
            ),
            b"@"
        );
        assert_eq!(auto_comment_char(b"plain\n"), b"#");
    }

    #[test]
    fn cleanup_and_emptiness() {
        let f = Format::default();
        assert!(is_empty(&cleaned(
            b"\n# Please enter\n#\n",
            &f,
            Cleanup::Strip
        )));
        assert!(is_empty(&cleaned(
            b"\nSigned-off-by: A <a@b>\n# c\n",
            &f,
            Cleanup::Strip
        )));
        assert!(!is_empty(&cleaned(b"x\n# c\n", &f, Cleanup::Strip)));
        let keep = Format {
            comment: None,
            ..Format::default()
        };
        assert!(!is_empty(&cleaned(b"# kept\n", &keep, Cleanup::Whitespace)));
        assert_eq!(
            cleaned(b"\n\na  \n\n\nb\n# c\n\n", &f, Cleanup::Strip),
            b"a\n\nb\n"
        );
    }

    #[test]
    fn mode_from_config_and_editor() {
        let c = MessageConfig::default();
        assert_eq!(c.cleanup_mode(true), Cleanup::Strip);
        assert_eq!(c.cleanup_mode(false), Cleanup::Whitespace);
        let c = MessageConfig {
            cleanup: Some("scissors".into()),
            ..MessageConfig::default()
        };
        assert_eq!(c.cleanup_mode(true), Cleanup::Scissors);
        assert_eq!(c.format(b"x\n", true).comment, None);
    }

    #[test]
    fn atomic_write_keeps_mode() {
        let d = tempfile::tempdir().expect("tmp");
        let p = d.path().join("MSG");
        std::fs::write(&p, b"old").expect("write");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).expect("chmod");
        }
        write_atomically(&p, b"new\n").expect("atomic");
        assert_eq!(std::fs::read(&p).expect("read"), b"new\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&p).expect("meta").permissions().mode() & 0o777,
                0o640
            );
        }
        assert_eq!(
            std::fs::read_dir(d.path()).expect("ls").count(),
            1,
            "no temporary file left"
        );
        assert!(write_atomically(&d.path().join("missing/MSG"), b"x").is_err());
    }
}
