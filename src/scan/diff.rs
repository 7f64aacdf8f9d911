//! Parser for the unified diff git prints with `-p -U0 --full-index`: per file, the
//! added lines with their line numbers in the new file. Paths come from the `+++`,
//! `rename to` or `diff --git` lines and are un-quoted to raw bytes.

use std::io::BufRead;

use crate::git::unquote;

/// The options of every patch vouchsafe parses: no context, renames found, full
/// object ids, and nothing a user's configuration could add (colour, external diff
/// drivers, textconv, relative paths, submodule logs, other prefixes).
pub const PATCH_ARGS: &[&str] = &[
    "-p",
    "-U0",
    "-M",
    "--full-index",
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "--no-relative",
    "--submodule=short",
    "--src-prefix=a/",
    "--dst-prefix=b/",
];

/// What one file section of a diff adds.
#[derive(Debug, Default)]
pub struct FileDiff {
    pub path: Vec<u8>,
    pub mode: Option<u32>,
    pub new_oid: Option<String>,
    pub binary: bool,
    pub deleted: bool,
    /// Added lines joined with `\n` (each line ends with one); a `\0` line stands
    /// between lines that are not neighbours in the file.
    pub text: Vec<u8>,
    /// For each added line: its offset in `text` and its 1-based line in the file.
    pub lines: Vec<(usize, u32)>,
    /// More was added than `max_bytes`; `text` holds only the first part.
    pub truncated: bool,
    /// Bytes the section added, counted even past the limit.
    pub added_bytes: u64,
}

impl FileDiff {
    pub fn is_submodule(&self) -> bool {
        self.mode == Some(0o160000)
    }

    pub fn is_lfs_pointer(&self) -> bool {
        self.text
            .starts_with(b"version https://git-lfs.github.com/spec/")
    }
}

/// What the parser reports as it reads.
pub enum Event<'a> {
    /// A new commit starts (range scans print `\0<sha>` before each commit).
    Commit(&'a str),
    File(FileDiff),
}

/// Reads a diff stream and calls `sink` for every commit marker and file section.
pub fn parse<R: BufRead>(
    mut input: R,
    max_bytes: u64,
    mut sink: impl FnMut(Event<'_>),
) -> std::io::Result<()> {
    let mut line: Vec<u8> = Vec::with_capacity(256);
    let mut cur: Option<FileDiff> = None;
    let mut in_hunk = false;
    let mut next_line: u32 = 0;
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        if in_hunk {
            match line.first() {
                Some(b'+') => {
                    let f = cur.as_mut().expect("hunk inside a file");
                    let content = &line[1..];
                    f.added_bytes += content.len() as u64 + 1;
                    if f.added_bytes > max_bytes {
                        f.truncated = true;
                    } else {
                        // Lines that are not neighbours in the file are kept apart by a
                        // NUL line, so a multi-line pattern (a PEM block) cannot join
                        // a line from one hunk to a line from another.
                        if f.lines
                            .last()
                            .is_some_and(|&(_, prev)| prev + 1 != next_line)
                        {
                            f.text.extend_from_slice(b"\0\n");
                        }
                        f.lines.push((f.text.len(), next_line));
                        f.text.extend_from_slice(content);
                        f.text.push(b'\n');
                    }
                    next_line += 1;
                    continue;
                }
                Some(b'-') | Some(b'\\') => continue,
                Some(b' ') => {
                    next_line += 1;
                    continue;
                }
                Some(b'@') => {
                    next_line = hunk_start(&line).unwrap_or(next_line);
                    continue;
                }
                _ => in_hunk = false,
            }
        }
        if line.first() == Some(&0) {
            if let Some(f) = cur.take() {
                sink(Event::File(f));
            }
            let sha = String::from_utf8_lossy(&line[1..]).trim().to_string();
            sink(Event::Commit(&sha));
            continue;
        }
        if let Some(rest) = line.strip_prefix(b"diff --git ") {
            if let Some(f) = cur.take() {
                sink(Event::File(f));
            }
            cur = Some(FileDiff {
                path: header_path(rest),
                ..FileDiff::default()
            });
            continue;
        }
        let Some(f) = cur.as_mut() else { continue };
        if let Some(rest) = line.strip_prefix(b"@@ ") {
            next_line = hunk_start(rest).unwrap_or(1);
            in_hunk = true;
        } else if let Some(rest) = line.strip_prefix(b"+++ ") {
            if rest == b"/dev/null" {
                f.deleted = true;
            } else {
                // git ends an unquoted name holding a space with a tab.
                let rest = if rest.first() != Some(&b'"') {
                    rest.strip_suffix(b"\t").unwrap_or(rest)
                } else {
                    rest
                };
                let p = unquote(rest);
                f.path = p.strip_prefix(b"b/").map(<[u8]>::to_vec).unwrap_or(p);
            }
        } else if let Some(rest) = line.strip_prefix(b"index ") {
            let mut parts = rest.split(|&b| b == b' ');
            if let Some(range) = parts.next() {
                if let Some(pos) = range.windows(2).position(|w| w == b"..") {
                    f.new_oid = Some(String::from_utf8_lossy(&range[pos + 2..]).into_owned());
                }
            }
            if let Some(mode) = parts.next() {
                f.mode = parse_mode(mode);
            }
        } else if let Some(rest) = line
            .strip_prefix(b"new file mode ")
            .or_else(|| line.strip_prefix(b"new mode "))
        {
            f.mode = parse_mode(rest);
        } else if line.starts_with(b"deleted file mode ") {
            f.deleted = true;
        } else if let Some(rest) = line
            .strip_prefix(b"rename to ")
            .or_else(|| line.strip_prefix(b"copy to "))
        {
            f.path = unquote(rest);
        } else if line.starts_with(b"Binary files ") || line.starts_with(b"GIT binary patch") {
            f.binary = true;
        }
    }
    if let Some(f) = cur.take() {
        sink(Event::File(f));
    }
    Ok(())
}

fn parse_mode(s: &[u8]) -> Option<u32> {
    u32::from_str_radix(std::str::from_utf8(s).ok()?.trim(), 8).ok()
}

/// `-a,b +c,d @@ ...` (or `@@ -a,b +c,d @@`): the first new line number `c`.
fn hunk_start(s: &[u8]) -> Option<u32> {
    let plus = s.iter().position(|&b| b == b'+')?;
    let rest = &s[plus + 1..];
    let end = rest
        .iter()
        .position(|&b| b == b',' || b == b' ')
        .unwrap_or(rest.len());
    std::str::from_utf8(&rest[..end]).ok()?.parse().ok()
}

/// The new path from `a/X b/Y` (the header after `diff --git `). Quoted names are
/// un-quoted; unquoted names are split where both halves agree, since without a
/// rename the two paths are the same.
fn header_path(rest: &[u8]) -> Vec<u8> {
    if rest.first() == Some(&b'"') {
        // "a/X" then "b/Y" (either may be quoted independently).
        if let Some(end) = closing_quote(rest) {
            let second = &rest[(end + 2).min(rest.len())..];
            let p = unquote(second);
            return p.strip_prefix(b"b/").map(<[u8]>::to_vec).unwrap_or(p);
        }
    }
    if rest.last() == Some(&b'"') {
        if let Some(start) = rest.iter().rposition(|&b| b == b' ') {
            let p = unquote(&rest[start + 1..]);
            return p.strip_prefix(b"b/").map(<[u8]>::to_vec).unwrap_or(p);
        }
    }
    // `a/` + P + ` b/` + P: 2 * len(P) + 5 bytes.
    if rest.len() >= 7 && (rest.len() - 5).is_multiple_of(2) {
        let half = (rest.len() - 5) / 2;
        let a = &rest[2..2 + half];
        let b = &rest[half + 5..];
        if a == b && rest[2 + half..half + 5] == *b" b/" {
            return b.to_vec();
        }
    }
    rest.split(|&b| b == b' ')
        .next_back()
        .map(|p| p.strip_prefix(b"b/").unwrap_or(p).to_vec())
        .unwrap_or_default()
}

fn closing_quote(s: &[u8]) -> Option<usize> {
    let mut i = 1;
    while i < s.len() {
        match s[i] {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(diff: &str) -> Vec<FileDiff> {
        let mut out = Vec::new();
        parse(diff.as_bytes(), 1 << 20, |e| {
            if let Event::File(f) = e {
                out.push(f)
            }
        })
        .expect("parse");
        out
    }

    #[test]
    fn added_lines_with_numbers() {
        let d = "diff --git a/x.txt b/x.txt\nindex 1111111..2222222 100644\n--- a/x.txt\n+++ b/x.txt\n@@ -1,0 +2,2 @@\n+two\n++three\n@@ -9 +11 @@ ctx\n-old\n+eleven\n";
        let f = &files(d)[0];
        assert_eq!(f.path, b"x.txt");
        assert_eq!(f.text, b"two\n+three\n\0\neleven\n");
        assert_eq!(f.lines, vec![(0, 2), (4, 3), (13, 11)]);
        assert_eq!(f.new_oid.as_deref(), Some("2222222"));
        assert_eq!(f.mode, Some(0o100644));
    }

    #[test]
    fn odd_paths_binary_and_submodules() {
        let d = "diff --git \"a/new\\nline.txt\" \"b/new\\nline.txt\"\nnew file mode 100644\nindex 0000000..abc\n--- /dev/null\n+++ \"b/new\\nline.txt\"\n@@ -0,0 +1 @@\n+x\n\
diff --git a/with space.bin b/with space.bin\nnew file mode 100644\nindex 0000000..def\nBinary files /dev/null and b/with space.bin differ\n\
diff --git a/sub b/sub\nnew file mode 160000\nindex 0000000..123\n--- /dev/null\n+++ b/sub\n@@ -0,0 +1 @@\n+Subproject commit 123\n\
diff --git a/old b/new name\nsimilarity index 90%\nrename from old\nrename to new name\nindex 1..2 100644\n";
        let f = files(d);
        assert_eq!(f[0].path, b"new\nline.txt");
        assert_eq!(f[1].path, b"with space.bin");
        assert!(f[1].binary);
        assert!(f[2].is_submodule());
        assert_eq!(f[3].path, b"new name");
    }

    #[test]
    fn commit_markers_and_size_limit() {
        let d = "\0abc123\n\ndiff --git a/a b/a\n--- a/a\n+++ b/a\n@@ -0,0 +1,2 @@\n+0123456789\n+0123456789\n";
        let mut commits = Vec::new();
        let mut fs = Vec::new();
        parse(d.as_bytes(), 15, |e| match e {
            Event::Commit(c) => commits.push(c.to_string()),
            Event::File(f) => fs.push(f),
        })
        .expect("parse");
        assert_eq!(commits, vec!["abc123"]);
        assert!(fs[0].truncated);
        assert_eq!(fs[0].added_bytes, 22);
    }
}
