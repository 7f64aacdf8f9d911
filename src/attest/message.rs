//! The commit message as the attestation binds it.
//!
//! The commit-msg hook sees the message before git cleans it up (githooks(5); git's
//! `cleanup_message()` runs after the hook), and a verifier sees it after. Both sides
//! reduce it to the same canonical text: the hook predicts git's cleanup (cut at the
//! scissors line, drop comment lines when git will), then both remove every
//! `Vouchsafe-Attestation:` trailer and apply git's whitespace cleanup (`git
//! stripspace`: trailing whitespace gone, runs of blank lines collapsed, no leading or
//! trailing blank lines, a final newline).

use super::TRAILER_KEY;

/// How git will clean the message up (`commit.cleanup`, `git commit --cleanup`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cleanup {
    /// Whitespace cleanup and comment lines removed.
    Strip,
    /// Whitespace cleanup only; comment lines stay.
    Whitespace,
    /// Nothing touched.
    Verbatim,
}

impl Cleanup {
    /// The mode git will use: `commit.cleanup` when set; for `default`, `strip` when
    /// an editor is opened and `whitespace` otherwise (git exports `GIT_EDITOR=:` to
    /// hooks when no editor will be launched). `scissors` behaves as `whitespace` here
    /// because the hook always cuts at the scissors line.
    pub fn predict(config: Option<&str>, editor: Option<&str>) -> Cleanup {
        match config.map(|s| s.trim().to_ascii_lowercase()).as_deref() {
            Some("strip") => Cleanup::Strip,
            Some("whitespace") | Some("scissors") => Cleanup::Whitespace,
            Some("verbatim") => Cleanup::Verbatim,
            _ => {
                if editor == Some(":") {
                    Cleanup::Whitespace
                } else {
                    Cleanup::Strip
                }
            }
        }
    }
}

/// How the hook reads the raw message file.
#[derive(Debug, Clone)]
pub struct Style {
    /// `core.commentString`/`core.commentChar` (default `#`); `None` for `auto`.
    pub comment: Option<Vec<u8>>,
    pub cleanup: Cleanup,
}

impl Default for Style {
    fn default() -> Self {
        Style {
            comment: Some(b"#".to_vec()),
            cleanup: Cleanup::Strip,
        }
    }
}

impl Style {
    fn is_comment(&self, line: &[u8]) -> bool {
        match &self.comment {
            Some(c) => !c.is_empty() && line.starts_with(c),
            // `auto`: git picks a character the message does not start a line with;
            // the template lines it writes start with one of these.
            None => line.first().is_some_and(|b| b"#;@!$%^&|:".contains(b)),
        }
    }

    fn strips_comments(&self) -> bool {
        self.cleanup == Cleanup::Strip
    }
}

fn lines(raw: &[u8]) -> impl Iterator<Item = &[u8]> {
    raw.split_inclusive(|&b| b == b'\n')
}

fn strip_nl(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\n").unwrap_or(line)
}

/// The line git's scissors mark: `<comment> ------------------------ >8 ------------------------`.
fn is_scissors(line: &[u8]) -> bool {
    const MARK: &[u8] = b" ------------------------ >8 ------------------------";
    let line = strip_nl(line);
    line.len() > MARK.len() && line.ends_with(MARK) && line.len() - MARK.len() <= 8
}

/// The part of the file git keeps: above the scissors line, minus comment lines when
/// git will strip them. Line endings are kept.
pub fn predict_stored(raw: &[u8], style: &Style) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    for line in lines(raw) {
        if is_scissors(line) {
            break;
        }
        if style.strips_comments() && style.is_comment(line) {
            continue;
        }
        out.extend_from_slice(line);
    }
    out
}

/// A `Key: value` line whose key, compared case-insensitively as git does, is `key`.
pub fn trailer_value<'a>(line: &'a [u8], key: &str) -> Option<&'a [u8]> {
    let line = strip_nl(line);
    let k = key.as_bytes();
    if line.len() <= k.len() || !line[..k.len()].eq_ignore_ascii_case(k) {
        return None;
    }
    let rest = &line[k.len()..];
    let rest = trim_start(rest);
    let rest = rest.strip_prefix(b":")?;
    Some(trim(rest))
}

fn trim_start(b: &[u8]) -> &[u8] {
    let n = b.iter().take_while(|c| c.is_ascii_whitespace()).count();
    &b[n..]
}

fn trim_end(b: &[u8]) -> &[u8] {
    let n = b
        .iter()
        .rev()
        .take_while(|c| c.is_ascii_whitespace())
        .count();
    &b[..b.len() - n]
}

fn trim(b: &[u8]) -> &[u8] {
    trim_end(trim_start(b))
}

fn is_continuation(line: &[u8]) -> bool {
    matches!(line.first(), Some(b' ') | Some(b'\t')) && !trim(line).is_empty()
}

/// Removes every attestation trailer line (and its continuation lines).
pub fn remove_attestation(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut skipping = false;
    for line in lines(text) {
        if skipping && is_continuation(line) {
            continue;
        }
        skipping = trailer_value(line, TRAILER_KEY).is_some();
        if !skipping {
            out.extend_from_slice(line);
        }
    }
    out
}

/// `git stripspace` without comment handling.
pub fn stripspace(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + 1);
    let mut blanks = 0usize;
    for line in lines(text) {
        let t = trim_end(line);
        if t.is_empty() {
            blanks += 1;
            continue;
        }
        if !out.is_empty() && blanks > 0 {
            out.push(b'\n');
        }
        blanks = 0;
        out.extend_from_slice(t);
        out.push(b'\n');
    }
    out
}

/// The canonical message of a stored commit message (the verifier's side).
pub fn canonical(stored: &[u8]) -> Vec<u8> {
    stripspace(&remove_attestation(stored))
}

/// The attestation trailer values in a stored message, last one last.
pub fn attestation_values(stored: &[u8]) -> Vec<String> {
    lines(stored)
        .filter_map(|l| trailer_value(l, TRAILER_KEY))
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .collect()
}

/// Values of `key:` trailers in the message's trailer block (its last paragraph, when
/// that paragraph is not the subject), continuation lines unfolded.
pub fn trailers(canonical: &[u8], key: &str) -> Vec<String> {
    let text = String::from_utf8_lossy(canonical);
    let paragraphs: Vec<&str> = text.trim_end().split("\n\n").collect();
    if paragraphs.len() < 2 {
        return Vec::new();
    }
    let last = paragraphs[paragraphs.len() - 1];
    let mut values: Vec<String> = Vec::new();
    let mut current: Option<usize> = None;
    for line in last.lines() {
        if is_continuation(line.as_bytes()) {
            if let Some(i) = current {
                values[i].push(' ');
                values[i].push_str(line.trim());
            }
            continue;
        }
        match trailer_value(line.as_bytes(), key) {
            Some(v) => {
                values.push(String::from_utf8_lossy(v).into_owned());
                current = Some(values.len() - 1);
            }
            None => current = None,
        }
    }
    values
}

/// A line git would take for a trailer: `Token: value`, the token letters, digits and
/// dashes.
fn looks_like_trailer(line: &[u8]) -> bool {
    let line = strip_nl(line);
    let tok = line
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || **b == b'-')
        .count();
    tok > 0 && trim_start(&line[tok..]).starts_with(b":")
}

/// The message file with the attestation trailer set to `value`: any old attestation
/// is removed (an amend brings the previous one along), and the new line is appended to
/// the trailer block, or as a new paragraph when the message has none. Comment lines,
/// the scissors line and everything below it stay where they are.
pub fn with_attestation(raw: &[u8], style: &Style, value: &str) -> Vec<u8> {
    // Split off the part git discards: from the scissors line on.
    let all: Vec<&[u8]> = lines(raw).collect();
    let cut = all.iter().position(|l| is_scissors(l)).unwrap_or(all.len());
    let mut head: Vec<&[u8]> = Vec::with_capacity(cut);
    let mut skipping = false;
    for line in &all[..cut] {
        let content = !(style.strips_comments() && style.is_comment(line));
        if content && skipping && is_continuation(line) {
            continue;
        }
        skipping = content && trailer_value(line, TRAILER_KEY).is_some();
        if !skipping {
            head.push(line);
        }
    }
    let is_content =
        |l: &[u8]| !(trim(l).is_empty() || style.strips_comments() && style.is_comment(l));
    // The last line git keeps, and the paragraph it ends.
    let last = head.iter().rposition(|l| is_content(l));
    let mut trailer_block = false;
    if let Some(end) = last {
        let mut start = end;
        let mut all_trailers = true;
        let mut i = end as isize;
        while i >= 0 {
            let l = head[i as usize];
            if style.strips_comments() && style.is_comment(l) {
                i -= 1;
                continue;
            }
            if trim(l).is_empty() {
                break;
            }
            if !(looks_like_trailer(l)
                || is_continuation(l)
                || l.starts_with(b"(cherry picked from commit "))
            {
                all_trailers = false;
            }
            start = i as usize;
            i -= 1;
        }
        // The first paragraph is the subject, never a trailer block.
        let has_earlier = head[..start].iter().any(|l| is_content(l));
        trailer_block = all_trailers && has_earlier;
    }
    let mut out = Vec::with_capacity(raw.len() + value.len() + 32);
    let insert_at = last.map(|i| i + 1).unwrap_or(head.len());
    for l in &head[..insert_at] {
        out.extend_from_slice(l);
    }
    if !out.is_empty() && !out.ends_with(b"\n") {
        out.push(b'\n');
    }
    if !trailer_block && last.is_some() {
        out.push(b'\n');
    }
    out.extend_from_slice(TRAILER_KEY.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value.as_bytes());
    out.push(b'\n');
    for l in &head[insert_at..] {
        out.extend_from_slice(l);
    }
    for l in &all[cut..] {
        out.extend_from_slice(l);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn style(cleanup: Cleanup) -> Style {
        Style {
            comment: Some(b"#".to_vec()),
            cleanup,
        }
    }

    #[test]
    fn stripspace_matches_git() {
        assert_eq!(
            stripspace(b"\n\nsubject  \n\n\n\nbody\t\n\n"),
            b"subject\n\nbody\n"
        );
        assert_eq!(stripspace(b"no newline"), b"no newline\n");
        assert_eq!(stripspace(b"\n \n"), b"");
    }

    #[test]
    fn appends_to_an_existing_trailer_block() {
        let raw = b"subject\n\nbody\n\nAssisted-by: Claude:opus\n# Please enter\n# comment\n";
        let out = with_attestation(raw, &style(Cleanup::Strip), "AAA");
        assert_eq!(
            out,
            b"subject\n\nbody\n\nAssisted-by: Claude:opus\nVouchsafe-Attestation: AAA\n# Please enter\n# comment\n"
        );
    }

    #[test]
    fn starts_a_paragraph_when_there_is_no_trailer_block() {
        let out = with_attestation(b"Fix: the thing\n", &style(Cleanup::Whitespace), "AAA");
        assert_eq!(out, b"Fix: the thing\n\nVouchsafe-Attestation: AAA\n");
        let out = with_attestation(b"subject\n\nbody text", &style(Cleanup::Strip), "AAA");
        assert_eq!(out, b"subject\n\nbody text\n\nVouchsafe-Attestation: AAA\n");
    }

    #[test]
    fn replaces_an_old_attestation_and_keeps_the_scissors_part() {
        let raw = b"subject\n\nVouchsafe-Attestation: OLD\n  folded\n# ------------------------ >8 ------------------------\ndiff\nVouchsafe-Attestation: below\n";
        let out = with_attestation(raw, &style(Cleanup::Strip), "NEW");
        assert_eq!(
            out,
            b"subject\n\nVouchsafe-Attestation: NEW\n\n# ------------------------ >8 ------------------------\ndiff\nVouchsafe-Attestation: below\n".to_vec()
        );
        assert_eq!(
            canonical(&predict_stored(&out, &style(Cleanup::Strip))),
            b"subject\n"
        );
    }

    #[test]
    fn canonical_is_the_same_before_and_after_git_cleans_up() {
        let raw = b"subject  \n\n\nbody\n# comment\n";
        let s = style(Cleanup::Strip);
        let signed = canonical(&predict_stored(raw, &s));
        let written = with_attestation(raw, &s, "X");
        // What git stores: strip mode.
        let stored = stripspace(&predict_stored(&written, &s));
        assert_eq!(attestation_values(&stored), vec!["X".to_string()]);
        assert_eq!(canonical(&stored), signed);
    }

    #[test]
    fn reads_trailers_of_the_last_paragraph() {
        let m = b"Assisted-by: not-a-trailer\n\nbody\n\nAssisted-by: Claude:opus\n  tools\nSigned-off-by: A <a@b>\nassisted-by: Codex:gpt\n";
        assert_eq!(
            trailers(m, "Assisted-by"),
            vec!["Claude:opus tools", "Codex:gpt"]
        );
        assert!(trailers(b"Assisted-by: x\n", "Assisted-by").is_empty());
    }

    #[test]
    fn predicts_cleanup() {
        assert_eq!(Cleanup::predict(None, Some(":")), Cleanup::Whitespace);
        assert_eq!(Cleanup::predict(None, Some("vim")), Cleanup::Strip);
        assert_eq!(Cleanup::predict(Some("default"), None), Cleanup::Strip);
        assert_eq!(Cleanup::predict(Some("verbatim"), None), Cleanup::Verbatim);
    }
}
