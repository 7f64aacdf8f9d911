//! Secret detection: rule data, the engine, what each scan target reads, and the
//! findings it produces. Nothing here prints; `report` does.

pub mod diff;
pub mod engine;
pub mod filter;
pub mod ignore_file;
pub mod path;
pub mod range;
pub mod rules;
pub mod staged;
pub mod validate;

use std::collections::HashSet;

use globset::GlobSet;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::git::text_path;
use crate::policy::Policy;
pub use engine::Volume;
use engine::{Engine, RawMatch};

/// Files larger than this are skipped with a warning unless the policy says otherwise.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 10 * 1024 * 1024;

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub rule_id: &'static str,
    pub description: &'static str,
    /// The path as text: itself when it is UTF-8, else C-quoted as git does.
    pub path: String,
    #[serde(skip)]
    pub path_bytes: Vec<u8>,
    pub line: u32,
    pub column: u32,
    pub secret_redacted: String,
    pub fingerprint: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    pub path: String,
    #[serde(skip)]
    pub path_bytes: Vec<u8>,
    pub reason: SkipReason,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    Binary,
    TooLarge,
    Submodule,
    LfsPointer,
    AllowedPath,
    Unreadable,
}

impl SkipReason {
    pub fn describe(self) -> &'static str {
        match self {
            SkipReason::Binary => "binary",
            SkipReason::TooLarge => "larger than the size limit",
            SkipReason::Submodule => "submodule",
            SkipReason::LfsPointer => "Git LFS pointer",
            SkipReason::AllowedPath => "allowed by policy path",
            SkipReason::Unreadable => "unreadable",
        }
    }
}

/// Everything a scan found and what it passed over.
#[derive(Debug, Default, Serialize)]
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub skipped: Vec<Skipped>,
    pub files_scanned: usize,
    pub bytes_scanned: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commits_scanned: Option<usize>,
    /// Findings dropped because their fingerprint is in `.vouchsafeignore`.
    pub ignored: usize,
}

impl Outcome {
    pub fn merge(&mut self, other: Outcome) {
        self.findings.extend(other.findings);
        self.skipped.extend(other.skipped);
        self.files_scanned += other.files_scanned;
        self.bytes_scanned += other.bytes_scanned;
        self.ignored += other.ignored;
        if let Some(c) = other.commits_scanned {
            *self.commits_scanned.get_or_insert(0) += c;
        }
    }

    pub fn sort(&mut self) {
        self.findings.sort_by(|a, b| {
            (&a.commit, &a.path_bytes, a.line, a.column, a.rule_id).cmp(&(
                &b.commit,
                &b.path_bytes,
                b.line,
                b.column,
                b.rule_id,
            ))
        });
    }
}

/// How offsets in a scanned chunk map to lines of the file.
pub enum Lines<'a> {
    /// The chunk is the whole file.
    Whole,
    /// The chunk is added lines: (offset in chunk, line in file), sorted.
    Added(&'a [(usize, u32)]),
}

/// The engine plus everything that decides what is reported: the policy's path and
/// value allow-lists, the ignore file, the size limit.
pub struct Scanner {
    pub engine: Engine,
    allow_paths: GlobSet,
    ignore: HashSet<String>,
    pub max_file_size: u64,
}

impl Scanner {
    pub fn new(
        policy: &Policy,
        ignore: HashSet<String>,
        volume: Volume,
    ) -> anyhow::Result<Scanner> {
        let scan = &policy.scan;
        Ok(Scanner {
            engine: Engine::new(&scan.disable_rules, scan.allow_regex_set()?, volume),
            allow_paths: scan.allow_path_set()?,
            ignore,
            max_file_size: scan.max_file_size.unwrap_or(DEFAULT_MAX_FILE_SIZE),
        })
    }

    pub fn path_allowed(&self, path: &[u8]) -> bool {
        !self.allow_paths.is_empty() && self.allow_paths.is_match(crate::git::os_string(path))
    }

    /// Scans one chunk of one file and adds its findings to `out`.
    pub fn scan_chunk(
        &self,
        text: &[u8],
        path: &[u8],
        lines: Lines<'_>,
        commit: Option<&str>,
        out: &mut Outcome,
    ) {
        out.bytes_scanned += text.len() as u64;
        let mut cursor = Cursor::default();
        for m in self.engine.scan(text, path) {
            let f = finding(&m, text, path, &lines, commit, &mut cursor);
            if self.ignore.contains(&f.fingerprint) {
                out.ignored += 1;
                continue;
            }
            out.findings.push(f);
        }
    }
}

/// Where the previous finding of a chunk is. The engine returns findings in order of
/// offset, so each line and column is counted on from there rather than from the
/// start of the chunk or line: many findings on one long line (minified code, a
/// data file) stay linear.
struct Cursor {
    offset: usize,
    line: u32,
    line_start: usize,
    column: u32,
}

impl Default for Cursor {
    fn default() -> Cursor {
        Cursor {
            offset: 0,
            line: 1,
            line_start: 0,
            column: 1,
        }
    }
}

/// Characters in `bytes` as `String::from_utf8_lossy` would make them.
fn char_count(bytes: &[u8]) -> u32 {
    bytes
        .utf8_chunks()
        .map(|c| c.valid().chars().count() + usize::from(!c.invalid().is_empty()))
        .sum::<usize>() as u32
}

fn finding(
    m: &RawMatch,
    text: &[u8],
    path: &[u8],
    lines: &Lines<'_>,
    commit: Option<&str>,
    cursor: &mut Cursor,
) -> Finding {
    let secret = &text[m.start..m.end];
    if m.start < cursor.offset {
        *cursor = Cursor::default();
    }
    let (line, line_start) = match lines {
        Lines::Whole => {
            let between = &text[cursor.offset..m.start];
            let n = memchr::memchr_iter(b'\n', between).count() as u32;
            let ls = memchr::memrchr(b'\n', between)
                .map_or(cursor.line_start, |p| cursor.offset + p + 1);
            (cursor.line + n, ls)
        }
        Lines::Added(map) => {
            let i = map
                .partition_point(|(off, _)| *off <= m.start)
                .saturating_sub(1);
            map.get(i).map_or((1, 0), |(off, ln)| (*ln, *off))
        }
    };
    let column = if line_start == cursor.line_start && line_start <= cursor.offset {
        cursor.column + char_count(&text[cursor.offset..m.start])
    } else {
        char_count(&text[line_start..m.start]) + 1
    };
    *cursor = Cursor {
        offset: m.start,
        line,
        line_start,
        column,
    };
    Finding {
        rule_id: m.rule.id,
        description: m.rule.description,
        path: text_path(path),
        path_bytes: path.to_vec(),
        line,
        column,
        secret_redacted: redact(secret),
        fingerprint: fingerprint(m.rule.id, path, secret),
        commit: commit.map(str::to_string),
    }
}

/// SHA-256 of rule, path and secret: stable across line moves, rebases and squashes,
/// and it reveals nothing of the secret.
pub fn fingerprint(rule: &str, path: &[u8], secret: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(b"vouchsafe-fingerprint-v1\0");
    h.update(rule.as_bytes());
    h.update([0]);
    h.update(path);
    h.update([0]);
    h.update(secret);
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// A form of the secret safe to show: a short prefix (which for most tokens is the
/// public type marker, `ghp_`, `sk_live_`) and the length, never the rest.
pub fn redact(secret: &[u8]) -> String {
    let s = String::from_utf8_lossy(secret);
    let n = s.chars().count();
    let keep = if n >= 32 {
        4
    } else if n >= 16 {
        2
    } else {
        0
    };
    let prefix: String = s
        .chars()
        .take(keep)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    format!("{prefix}…[{n} chars]")
}

impl Skipped {
    pub fn new(path: &[u8], reason: SkipReason, commit: Option<&str>) -> Skipped {
        Skipped {
            path: text_path(path),
            path_bytes: path.to_vec(),
            reason,
            commit: commit.map(str::to_string),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_never_shows_more_than_a_prefix() {
        let r = redact(b"ghp_Qw3rTy7uI9oPaS2dF4gH6jK8lZxCvB0x1y2z");
        assert_eq!(r, "ghp_…[40 chars]");
        assert_eq!(redact(b"hunter2!"), "…[8 chars]");
    }

    /// Line and column the slow, obvious way: count from the start of the chunk.
    fn naive(text: &[u8], start: usize, lines: &Lines<'_>) -> (u32, u32) {
        let (line, ls) = match lines {
            Lines::Whole => (
                text[..start].iter().filter(|&&b| b == b'\n').count() as u32 + 1,
                text[..start]
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map_or(0, |p| p + 1),
            ),
            Lines::Added(map) => {
                let (off, ln) = map
                    .iter()
                    .rev()
                    .find(|(off, _)| *off <= start)
                    .expect("line");
                (*ln, *off)
            }
        };
        let col = String::from_utf8_lossy(&text[ls..start]).chars().count() as u32 + 1;
        (line, col)
    }

    #[test]
    fn many_findings_on_a_line_get_the_right_columns() {
        let mut bytes = "é ab X1 😀 X2 ".as_bytes().to_vec();
        bytes.extend_from_slice(b"\xff X3\ncaf\xc3\xa9 X4 X5\n\nX6\n");
        let starts: Vec<usize> = bytes
            .windows(2)
            .enumerate()
            .filter(|(_, w)| w[0] == b'X')
            .map(|(i, _)| i)
            .collect();
        let rule = &rules::RULES[0];
        let added = [
            (0usize, 7u32),
            (bytes.iter().position(|&b| b == b'\n').expect("nl") + 1, 9),
        ];
        for lines in [Lines::Whole, Lines::Added(&added)] {
            let mut cursor = Cursor::default();
            for &s in &starts {
                let m = RawMatch {
                    rule,
                    start: s,
                    end: s + 2,
                };
                let f = finding(&m, &bytes, b"p", &lines, None, &mut cursor);
                assert_eq!((f.line, f.column), naive(&bytes, s, &lines), "offset {s}");
            }
            // Out of order: counted again from the start.
            let m = RawMatch {
                rule,
                start: starts[1],
                end: starts[1] + 2,
            };
            let f = finding(&m, &bytes, b"p", &lines, None, &mut cursor);
            assert_eq!((f.line, f.column), naive(&bytes, starts[1], &lines));
        }
    }

    #[test]
    fn fingerprints_depend_on_rule_path_and_secret() {
        let a = fingerprint("r", b"p", b"s");
        assert_eq!(a.len(), 64);
        assert_ne!(a, fingerprint("r", b"p2", b"s"));
        assert_ne!(a, fingerprint("r2", b"p", b"s"));
        assert_eq!(a, fingerprint("r", b"p", b"s"));
    }
}
