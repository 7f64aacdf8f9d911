//! Commit-message trailers, read and placed by git's own rules (`trailer.c` and
//! `commit.c` of git 2.47, the code behind `git interpret-trailers --no-divider`,
//! which `git commit --trailer` runs):
//!
//! - the message ends before the scissors line and before the run of comment lines,
//!   blank lines and old-style `Conflicts:` blocks at its end;
//! - the trailer block is the last paragraph of what remains, not the title, when it
//!   is all trailers (continuation lines included), or at least 25% trailers with one
//!   git generated (`Signed-off-by: `, `(cherry picked from commit `) or configured
//!   (`trailer.<name>.key`);
//! - new trailers go at the end of that block, or in a new paragraph after the
//!   message when there is none.
//!
//! One deliberate difference: git rewrites the existing block as it parses it
//! (`Key:value` becomes `Key: value`, comment lines inside it are dropped); here the
//! bytes already in the message are never changed, only new lines are inserted. Both
//! give the same result for every block whose trailers are written `Key: value`.
//!
//! Works on bytes: a message in a non-UTF-8 `i18n.commitEncoding` passes through
//! unchanged. Reusable: the attestation trailer is added and removed with these too.

/// How git reads this repository's messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Format {
    /// Lines starting with this are comments that git's cleanup strips. `None` when
    /// the cleanup mode keeps them: they are then part of the message.
    pub comment: Option<Vec<u8>>,
    /// The comment string of the scissors line (`<cut> ------------------------ >8 ...`).
    pub cut: Vec<u8>,
    /// `trailer.separators` (default `:`).
    pub separators: Vec<u8>,
    /// Configured trailer names and keys (`trailer.<name>.key`): one of them in a
    /// paragraph makes it a trailer block at 25% trailers, as git's own.
    pub configured: Vec<Vec<u8>>,
}

impl Default for Format {
    fn default() -> Format {
        Format {
            comment: Some(b"#".to_vec()),
            cut: b"#".to_vec(),
            separators: b":".to_vec(),
            configured: Vec::new(),
        }
    }
}

const CUT_LINE: &[u8] = b" ------------------------ >8 ------------------------\n";
const GIT_GENERATED: &[&[u8]] = &[b"Signed-off-by: ", b"(cherry picked from commit "];

/// One entry of the trailer block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trailer {
    /// The key as written, trimmed; `None` for a line in the block that is not a
    /// trailer (allowed by the 25% rule).
    pub key: Option<Vec<u8>>,
    /// The value, trimmed, continuation lines joined with one space.
    pub value: Vec<u8>,
    /// The bytes of the message this entry spans (with its continuation lines).
    pub range: std::ops::Range<usize>,
}

impl Trailer {
    pub fn key_is(&self, key: &str) -> bool {
        self.key
            .as_deref()
            .is_some_and(|k| k.eq_ignore_ascii_case(key.as_bytes()))
    }
}

/// Where the parts of a message are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// Where the message proper ends: the rest is comments, blank lines, the
    /// scissors line and what follows it.
    pub end: usize,
    /// Where the trailer block starts; `== end` when there is none.
    pub block_start: usize,
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

fn next_line(buf: &[u8], at: usize) -> usize {
    match memchr::memchr(b'\n', &buf[at..]) {
        Some(i) => at + i + 1,
        None => buf.len(),
    }
}

/// The start of the line before `len` (git's `last_line`), `None` for `len == 0`.
fn last_line(buf: &[u8], len: usize) -> Option<usize> {
    if len == 0 {
        return None;
    }
    if len == 1 {
        return Some(0);
    }
    let mut i = len - 2;
    loop {
        if buf[i] == b'\n' {
            return Some(i + 1);
        }
        if i == 0 {
            return Some(0);
        }
        i -= 1;
    }
}

fn is_blank_line(buf: &[u8], at: usize) -> bool {
    buf[at..]
        .iter()
        .find(|&&b| !(is_space(b) && b != b'\n'))
        .is_none_or(|&b| b == b'\n')
}

fn starts_with_within(buf: &[u8], at: usize, len: usize, prefix: &[u8]) -> bool {
    !prefix.is_empty() && len >= at + prefix.len() && buf[at..].starts_with(prefix)
}

impl Format {
    fn is_comment(&self, buf: &[u8], at: usize, len: usize) -> bool {
        self.comment
            .as_deref()
            .is_some_and(|c| starts_with_within(buf, at, len, c))
    }

    /// The offset of the scissors line, or `buf.len()` (git's `wt_status_locate_end`).
    pub fn scissors(&self, buf: &[u8]) -> usize {
        let mut pattern = Vec::with_capacity(self.cut.len() + CUT_LINE.len() + 1);
        pattern.push(b'\n');
        pattern.extend_from_slice(&self.cut);
        pattern.extend_from_slice(CUT_LINE);
        if buf.starts_with(&pattern[1..]) {
            return 0;
        }
        match memchr::memmem::find(buf, &pattern) {
            Some(p) => p + 1,
            None => buf.len(),
        }
    }

    /// Where the message proper ends (git's `find_end_of_log_message` with
    /// `no_divider`: `---` does not end a commit message).
    pub fn end_of_message(&self, buf: &[u8]) -> usize {
        let len = buf.len();
        let cutoff = self.scissors(buf);
        let mut boc: Option<usize> = None;
        let mut in_conflicts = false;
        let mut bol = 0;
        while bol < cutoff {
            let next = next_line(buf, bol);
            if self.is_comment(buf, bol, cutoff) || buf[bol] == b'\n' {
                boc.get_or_insert(bol);
            } else if buf[bol..].starts_with(b"Conflicts:\n") {
                in_conflicts = true;
                boc.get_or_insert(bol);
            } else if in_conflicts && buf[bol] == b'\t' {
                // a path in the conflicts block
            } else if boc.is_some() {
                boc = None;
                in_conflicts = false;
            }
            bol = next;
        }
        let ignored = match boc {
            Some(b) => len - b,
            None => len - cutoff,
        };
        len - ignored
    }

    /// git's `find_separator`: the offset of the separator of a trailer line, if the
    /// line is `<token><spaces>?<sep>...`.
    fn separator(&self, line: &[u8]) -> Option<usize> {
        let mut whitespace_found = false;
        for (i, &c) in line.iter().enumerate() {
            if self.separators.contains(&c) {
                return Some(i);
            }
            if !whitespace_found && (c.is_ascii_alphanumeric() || c == b'-') {
                continue;
            }
            if i != 0 && (c == b' ' || c == b'\t') {
                whitespace_found = true;
                continue;
            }
            break;
        }
        None
    }

    fn is_configured(&self, line: &[u8], sep: usize) -> bool {
        self.configured
            .iter()
            .any(|item| item.len() >= sep && item[..sep].eq_ignore_ascii_case(&line[..sep]))
    }

    /// git's `find_trailer_block_start` over `buf[..len]`.
    fn block_start(&self, buf: &[u8], len: usize) -> usize {
        // The first paragraph is the title and cannot be trailers.
        let mut s = 0;
        while s < len {
            if !self.is_comment(buf, s, len) && is_blank_line(buf, s) {
                break;
            }
            s = next_line(buf, s);
        }
        let end_of_title = s;
        let mut only_spaces = true;
        let mut recognized_prefix = false;
        let (mut trailer_lines, mut non_trailer_lines, mut possible_continuation_lines) =
            (0usize, 0usize, 0usize);
        let mut l = last_line(buf, len);
        while let Some(bol) = l.filter(|&l| l >= end_of_title) {
            l = last_line(buf, bol);
            if self.is_comment(buf, bol, len) {
                non_trailer_lines += possible_continuation_lines;
                possible_continuation_lines = 0;
                continue;
            }
            if is_blank_line(buf, bol) {
                if only_spaces {
                    continue;
                }
                non_trailer_lines += possible_continuation_lines;
                if (recognized_prefix && trailer_lines * 3 >= non_trailer_lines)
                    || (trailer_lines > 0 && non_trailer_lines == 0)
                {
                    return next_line(buf, bol);
                }
                return len;
            }
            only_spaces = false;
            let line = &buf[bol..next_line(buf, bol).min(len)];
            if GIT_GENERATED.iter().any(|p| line.starts_with(p)) {
                trailer_lines += 1;
                possible_continuation_lines = 0;
                recognized_prefix = true;
                continue;
            }
            match self.separator(line) {
                Some(sep) if sep >= 1 && !is_space(line[0]) => {
                    trailer_lines += 1;
                    possible_continuation_lines = 0;
                    if !recognized_prefix && self.is_configured(line, sep) {
                        recognized_prefix = true;
                    }
                }
                _ if is_space(line[0]) => possible_continuation_lines += 1,
                _ => {
                    non_trailer_lines += 1 + possible_continuation_lines;
                    possible_continuation_lines = 0;
                }
            }
        }
        len
    }

    /// Where the message ends and where its trailer block starts. `buf` should end
    /// with a newline (see [`complete_line`]).
    pub fn layout(&self, buf: &[u8]) -> Layout {
        let end = self.end_of_message(buf);
        Layout {
            end,
            block_start: self.block_start(buf, end),
        }
    }

    /// The trailer block, entry by entry (comment lines in it left out).
    pub fn parse(&self, msg: &[u8]) -> Vec<Trailer> {
        let buf = complete_line(msg);
        let lay = self.layout(&buf);
        let mut out: Vec<Trailer> = Vec::new();
        let mut last_is_trailer = false;
        let mut at = lay.block_start;
        while at < lay.end {
            let next = next_line(&buf, at).min(lay.end);
            let line = &buf[at..next];
            if last_is_trailer && is_space(line[0]) {
                let t = out.last_mut().expect("a trailer before");
                let cont = trim(line);
                if !cont.is_empty() {
                    if !t.value.is_empty() {
                        t.value.push(b' ');
                    }
                    t.value.extend_from_slice(cont);
                }
                t.range.end = next.min(msg.len());
            } else if self.is_comment(&buf, at, lay.end) {
                last_is_trailer = false;
            } else {
                match self.separator(line) {
                    Some(sep) if sep >= 1 => {
                        out.push(Trailer {
                            key: Some(trim(&line[..sep]).to_vec()),
                            value: trim(&line[sep + 1..]).to_vec(),
                            range: at..next.min(msg.len()),
                        });
                        last_is_trailer = true;
                    }
                    _ => {
                        out.push(Trailer {
                            key: None,
                            value: trim(line).to_vec(),
                            range: at..next.min(msg.len()),
                        });
                        last_is_trailer = false;
                    }
                }
            }
            at = next;
        }
        out
    }

    /// The message with `new` trailers (`(key, value)`) added where git adds them.
    /// Existing bytes are kept as they are.
    pub fn insert(&self, msg: &[u8], new: &[(String, Vec<u8>)]) -> Vec<u8> {
        if new.is_empty() {
            return msg.to_vec();
        }
        let buf = complete_line(msg);
        let lay = self.layout(&buf);
        let sep = self.separators.first().copied().unwrap_or(b':');
        let mut lines = Vec::new();
        for (k, v) in new {
            lines.extend_from_slice(k.as_bytes());
            if !k
                .as_bytes()
                .last()
                .is_some_and(|c| self.separators.contains(c))
            {
                lines.push(sep);
                lines.push(b' ');
            }
            lines.extend_from_slice(v);
            lines.push(b'\n');
        }
        let mut out = Vec::with_capacity(buf.len() + lines.len() + 1);
        if lay.block_start < lay.end {
            // At the end of the block, before any whitespace-only lines that close it
            // (git folds those into the last trailer; cleanup would turn them into a
            // paragraph break that cut the new trailers off the block).
            let mut at = lay.end;
            while let Some(l) = last_line(&buf, at).filter(|&l| l >= lay.block_start) {
                if !is_blank_line(&buf, l) {
                    break;
                }
                at = l;
            }
            out.extend_from_slice(&buf[..at]);
            out.extend_from_slice(&lines);
            out.extend_from_slice(&buf[at..]);
        } else {
            out.extend_from_slice(&buf[..lay.end]);
            if !ends_with_blank_line(&buf, lay.end) {
                out.push(b'\n');
            }
            out.extend_from_slice(&lines);
            out.extend_from_slice(&buf[lay.end..]);
        }
        out
    }

    /// The message without the trailers `remove` picks from its trailer block, with
    /// their continuation lines. A block left with no trailer goes, with the blank
    /// line before it.
    #[allow(dead_code)] // for the attestation trailer, which is left out of what it signs
    pub fn remove(&self, msg: &[u8], remove: &dyn Fn(&Trailer) -> bool) -> Vec<u8> {
        let parsed = self.parse(msg);
        let gone: Vec<&Trailer> = parsed
            .iter()
            .filter(|t| t.key.is_some() && remove(t))
            .collect();
        if gone.is_empty() {
            return msg.to_vec();
        }
        let kept_any = parsed.iter().any(|t| t.key.is_some() && !remove(t));
        let mut out = Vec::with_capacity(msg.len());
        let mut at = 0;
        for t in &gone {
            out.extend_from_slice(&msg[at..t.range.start]);
            at = t.range.end;
        }
        out.extend_from_slice(&msg[at..]);
        if !kept_any && parsed.iter().all(|t| t.key.is_some()) {
            // The block is gone: drop the blank line(s) that separated it.
            let start = parsed[0].range.start;
            let mut cut = start;
            while let Some(l) = last_line(&out, cut) {
                if l == 0 || !is_blank_line(&out, l) {
                    break;
                }
                cut = l;
            }
            out.drain(cut..start);
        }
        out
    }
}

fn ends_with_blank_line(buf: &[u8], len: usize) -> bool {
    last_line(buf, len).is_some_and(|l| is_blank_line(buf, l))
}

/// The message with a final newline, as git completes it before reading trailers.
pub fn complete_line(msg: &[u8]) -> Vec<u8> {
    let mut buf = msg.to_vec();
    if buf.last().is_some_and(|&b| b != b'\n') {
        buf.push(b'\n');
    }
    buf
}

pub fn trim(b: &[u8]) -> &[u8] {
    let start = b.iter().position(|&c| !is_space(c)).unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|&c| !is_space(c))
        .map_or(start, |e| e + 1);
    &b[start..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn add(msg: &str) -> String {
        let f = Format::default();
        String::from_utf8(f.insert(msg.as_bytes(), &[("Assisted-by".into(), b"X:m".to_vec())]))
            .expect("utf8")
    }

    #[test]
    fn places_like_git() {
        assert_eq!(add("subject"), "subject\n\nAssisted-by: X:m\n");
        assert_eq!(add("subject\n"), "subject\n\nAssisted-by: X:m\n");
        assert_eq!(
            add("subject\n\nbody\n"),
            "subject\n\nbody\n\nAssisted-by: X:m\n"
        );
        assert_eq!(
            add("subject\n\nbody\n\nSigned-off-by: A <a@b>\n"),
            "subject\n\nbody\n\nSigned-off-by: A <a@b>\nAssisted-by: X:m\n"
        );
        assert_eq!(
            add("subject\n\nbody\n# comment\n"),
            "subject\n\nbody\n\nAssisted-by: X:m\n# comment\n"
        );
        assert_eq!(
            add("subject\nKey: v\n"),
            "subject\nKey: v\n\nAssisted-by: X:m\n"
        );
        assert_eq!(
            add("subject\n\n---\ntail\n"),
            "subject\n\n---\ntail\n\nAssisted-by: X:m\n"
        );
        assert_eq!(
            add("subject\n\nFixes: 1\n  more\n"),
            "subject\n\nFixes: 1\n  more\nAssisted-by: X:m\n"
        );
        assert_eq!(
            add("s\n\nb\n\n# ------------------------ >8 ------------------------\n+diff\n"),
            "s\n\nb\n\nAssisted-by: X:m\n\n# ------------------------ >8 ------------------------\n+diff\n"
        );
    }

    #[test]
    fn keeps_comment_lines_as_text_when_cleanup_keeps_them() {
        let f = Format {
            comment: None,
            ..Format::default()
        };
        let out = f.insert(
            b"subject\n\n#123 fixes\n",
            &[("Assisted-by".into(), b"X".to_vec())],
        );
        assert_eq!(out, b"subject\n\n#123 fixes\n\nAssisted-by: X\n");
    }

    #[test]
    fn parses_the_block() {
        let f = Format::default();
        let t = f.parse(
            b"s\n\nbody\n\nCo-authored-by: A <a@b>\n  cont\n# c\nMade-with: Cursor\n# tail\n",
        );
        assert_eq!(t.len(), 2);
        assert!(t[0].key_is("co-authored-by"));
        assert_eq!(t[0].value, b"A <a@b> cont");
        assert_eq!(t[1].value, b"Cursor");
        assert!(f.parse(b"Key: title only\n").is_empty());
    }

    #[test]
    fn removes_trailers_and_an_emptied_block() {
        let f = Format::default();
        let m = b"s\n\nbody\n\nA: 1\nX-Attest: zz\n  zz2\n";
        assert_eq!(
            f.remove(m, &|t| t.key_is("x-attest")),
            b"s\n\nbody\n\nA: 1\n"
        );
        assert_eq!(
            f.remove(b"s\n\nbody\n\nX-Attest: zz\n# c\n", &|t| t
                .key_is("x-attest")),
            b"s\n\nbody\n# c\n"
        );
    }

    #[test]
    fn the_25_percent_rule() {
        let f = Format::default();
        let m = "subject\n\nbody\nSigned-off-by: A <a@b>\nnot a trailer\nmore text\n";
        assert_eq!(add(m), format!("{m}Assisted-by: X:m\n"));
        let m = "subject\n\nbody\nKey: v\nnot a trailer\nmore text\n";
        assert_eq!(add(m), format!("{m}\nAssisted-by: X:m\n"));
        let g = Format {
            configured: vec![b"Key".to_vec()],
            ..f
        };
        assert_eq!(
            String::from_utf8(g.insert(m.as_bytes(), &[("A".into(), b"b".to_vec())]))
                .expect("utf8"),
            format!("{m}A: b\n")
        );
    }
}
