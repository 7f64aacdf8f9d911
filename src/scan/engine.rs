//! The matcher. One Aho-Corasick automaton over every rule's keywords says which
//! rules can match a chunk; only those rules' regexes run, and each regex is compiled
//! the first time a chunk needs it, never at start-up.

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use regex::bytes::{Regex, RegexBuilder};

use super::filter;
use super::rules::{RuleDef, RULES};
use super::validate::validate;

struct Compiled {
    re: Regex,
    /// Index of the capture group that holds the secret.
    group: usize,
    allow: Vec<Regex>,
}

/// How much text a scan will push through the keyword automaton: a hook's staged
/// change is small and pays for building it; a tree or a history is large and pays
/// for searching it (a DFA searches about three times faster and takes a couple of
/// milliseconds more to build).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Volume {
    Small,
    Bulk,
}

pub struct Engine {
    rules: Vec<&'static RuleDef>,
    keywords: AhoCorasick,
    /// For each keyword (pattern index in `keywords`), the rules it enables.
    keyword_rules: Vec<Vec<u16>>,
    compiled: Vec<OnceLock<Option<Compiled>>>,
    /// Extra allow regexes from the policy, matched against the secret.
    allow_values: Vec<Regex>,
}

/// A match inside a chunk: byte offsets of the secret.
#[derive(Debug, Clone)]
pub struct RawMatch {
    pub rule: &'static RuleDef,
    pub start: usize,
    pub end: usize,
}

impl Engine {
    /// All built-in rules except those disabled by id.
    pub fn new(disabled: &[String], allow_values: Vec<Regex>, volume: Volume) -> Engine {
        let rules: Vec<&'static RuleDef> = RULES
            .iter()
            .filter(|r| !disabled.iter().any(|d| d == r.id))
            .collect();
        Self::with_rules(rules, allow_values, volume)
    }

    pub fn with_rules(
        rules: Vec<&'static RuleDef>,
        allow_values: Vec<Regex>,
        volume: Volume,
    ) -> Engine {
        let mut words: Vec<&'static str> = Vec::new();
        let mut keyword_rules: Vec<Vec<u16>> = Vec::new();
        for (i, r) in rules.iter().enumerate() {
            for k in r.keywords {
                match words.iter().position(|w| w == k) {
                    Some(p) => keyword_rules[p].push(i as u16),
                    None => {
                        words.push(k);
                        keyword_rules.push(vec![i as u16]);
                    }
                }
            }
        }
        let started = std::time::Instant::now();
        let keywords = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .kind(match volume {
                Volume::Small => None,
                Volume::Bulk => Some(AhoCorasickKind::DFA),
            })
            .build(&words)
            .expect("keywords are plain strings");
        tracing::debug!(
            keywords = words.len(),
            micros = started.elapsed().as_micros() as u64,
            "keyword automaton built"
        );
        let compiled = (0..rules.len()).map(|_| OnceLock::new()).collect();
        Engine {
            rules,
            keywords,
            keyword_rules,
            compiled,
            allow_values,
        }
    }

    fn compiled(&self, i: usize) -> Option<&Compiled> {
        self.compiled[i]
            .get_or_init(|| {
                let rule = self.rules[i];
                let started = std::time::Instant::now();
                match compile(rule) {
                    Ok(c) => {
                        tracing::trace!(rule = rule.id, micros = started.elapsed().as_micros() as u64, "compiled");
                        Some(c)
                    }
                    Err(e) => {
                        tracing::error!(rule = rule.id, error = %e, "rule pattern does not compile; rule skipped");
                        None
                    }
                }
            })
            .as_ref()
    }

    /// Marks the rules whose keywords occur in `text`; false when none does.
    fn mark_hits(&self, text: &[u8], hit: &mut [bool]) -> bool {
        let mut any = false;
        for m in self.keywords.find_overlapping_iter(text) {
            for &r in &self.keyword_rules[m.pattern().as_usize()] {
                hit[r as usize] = true;
                any = true;
            }
        }
        any
    }

    /// Compiles, on all cores at once, the patterns that `texts` will need. A hook
    /// scans a handful of chunks one after another; compiling their rules up front in
    /// parallel takes the compile time off the critical path.
    pub fn precompile<'a>(&self, texts: impl IntoIterator<Item = &'a [u8]>) {
        let mut hit = vec![false; self.rules.len()];
        for t in texts {
            self.mark_hits(t, &mut hit);
        }
        let todo: Vec<usize> = (0..self.rules.len())
            .filter(|&i| hit[i] && self.compiled[i].get().is_none())
            .collect();
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(4)
            .min(todo.len());
        if threads < 2 {
            return;
        }
        std::thread::scope(|s| {
            for t in 0..threads {
                let todo = &todo;
                s.spawn(move || {
                    for &i in todo.iter().skip(t).step_by(threads) {
                        let _ = self.compiled(i);
                    }
                });
            }
        });
    }

    /// Every secret in `text`. `path` decides path-dependent filters (lock files).
    pub fn scan(&self, text: &[u8], path: &[u8]) -> Vec<RawMatch> {
        let mut hit = vec![false; self.rules.len()];
        if !self.mark_hits(text, &mut hit) {
            return Vec::new();
        }
        let lock_file = filter::is_lock_file(path);
        // Looked for on each match's line only when the chunk holds it at all.
        let any_allow = filter::contains(text, ALLOW_MARKER);
        let mut out: Vec<RawMatch> = Vec::new();
        for (i, _) in hit.iter().enumerate().filter(|(_, h)| **h) {
            let rule = self.rules[i];
            if rule.generic && lock_file {
                continue;
            }
            let Some(c) = self.compiled(i) else { continue };
            for caps in c.re.captures_iter(text) {
                let Some(m) = caps.get(c.group).or_else(|| caps.get(0)) else {
                    continue;
                };
                let secret = m.as_bytes();
                if !self.accept(rule, c, secret) {
                    continue;
                }
                if any_allow && line_allows(text, m.start(), m.end()) {
                    continue;
                }
                out.push(RawMatch {
                    rule,
                    start: m.start(),
                    end: m.end(),
                });
            }
        }
        dedup(out)
    }

    fn accept(&self, rule: &RuleDef, c: &Compiled, secret: &[u8]) -> bool {
        if secret.is_empty() {
            return false;
        }
        if let Some(min) = rule.entropy {
            if filter::shannon_entropy(secret) < min {
                return false;
            }
        }
        if let Some(v) = rule.validator {
            if !validate(v, secret) {
                return false;
            }
        }
        if filter::is_placeholder(secret) {
            return false;
        }
        if rule.generic && (filter::is_reference(secret) || filter::is_digest_or_id(secret)) {
            return false;
        }
        if c.allow
            .iter()
            .chain(&self.allow_values)
            .any(|a| a.is_match(secret))
        {
            return false;
        }
        true
    }
}

fn compile(rule: &RuleDef) -> Result<Compiled, regex::Error> {
    // Secrets are ASCII: without Unicode classes a pattern compiles several times
    // faster, and `\b` stays inside the DFA on any input instead of falling back to
    // a slower engine on non-ASCII text.
    let re = RegexBuilder::new(rule.pattern)
        .unicode(false)
        .size_limit(1 << 24)
        .build()?;
    let group = re
        .capture_names()
        .position(|n| n == Some("secret"))
        .unwrap_or(if re.captures_len() > 1 { 1 } else { 0 });
    let allow = rule
        .allow
        .iter()
        .map(|a| Regex::new(a))
        .collect::<Result<_, _>>()?;
    Ok(Compiled { re, group, allow })
}

const ALLOW_MARKER: &[u8] = b"vouchsafe:allow";

/// True when the line (or any line) the secret spans carries `vouchsafe:allow`.
fn line_allows(text: &[u8], start: usize, end: usize) -> bool {
    let ls = memchr::memrchr(b'\n', &text[..start]).map_or(0, |p| p + 1);
    let le = memchr::memchr(b'\n', &text[end..]).map_or(text.len(), |p| end + p);
    filter::contains(&text[ls..le], ALLOW_MARKER)
}

/// One finding per place: a generic rule yields to a specific one on overlapping
/// text, and two rules on the same span report once (the first, in rule order).
fn dedup(mut v: Vec<RawMatch>) -> Vec<RawMatch> {
    if v.len() < 2 {
        return v;
    }
    v.sort_by_key(|m| (m.start, m.rule.generic, std::cmp::Reverse(m.end)));
    let mut out: Vec<RawMatch> = Vec::with_capacity(v.len());
    for m in v {
        // `out` is sorted and its spans do not overlap, and `m` starts at or after
        // each of them: only the last can overlap it.
        if let Some(o) = out.last_mut() {
            if o.start < m.end && m.start < o.end {
                if o.rule.generic && !m.rule.generic {
                    *o = m;
                }
                continue;
            }
        }
        out.push(m);
    }
    out
}

/// Checks every rule against its own examples through the whole engine. Returns one
/// line per problem; empty means every rule is right.
pub fn check_rules(rules: &[&'static RuleDef]) -> Vec<String> {
    let mut problems = Vec::new();
    let all = Engine::with_rules(rules.to_vec(), Vec::new(), Volume::Small);
    for (i, rule) in rules.iter().enumerate() {
        if let Err(e) = compile(rule) {
            problems.push(format!("{}: pattern does not compile: {e}", rule.id));
            continue;
        }
        let _ = all.compiled(i);
        for ex in rule.examples {
            if !rule
                .keywords
                .iter()
                .any(|k| ex.to_ascii_lowercase().contains(k))
            {
                problems.push(format!(
                    "{}: example holds none of the keywords: {ex:?}",
                    rule.id
                ));
            }
            let found = all.scan(ex.as_bytes(), b"example.txt");
            if !found.iter().any(|m| m.rule.id == rule.id) {
                let got: Vec<&str> = found.iter().map(|m| m.rule.id).collect();
                problems.push(format!(
                    "{}: example gives no finding of this rule (got {got:?}): {ex:?}",
                    rule.id
                ));
            }
        }
        for neg in rule.negative {
            let found = all.scan(neg.as_bytes(), b"example.txt");
            if !found.is_empty() {
                let got: Vec<&str> = found.iter().map(|m| m.rule.id).collect();
                problems.push(format!(
                    "{}: negative example gives findings {got:?}: {neg:?}",
                    rule.id
                ));
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_passes_its_own_examples() {
        let rules: Vec<&'static RuleDef> = RULES.iter().collect();
        let problems = check_rules(&rules);
        assert!(
            problems.is_empty(),
            "{} problems:\n{}",
            problems.len(),
            problems.join("\n")
        );
    }

    #[test]
    fn at_least_150_specific_rules_and_some_generic() {
        let specific = RULES.iter().filter(|r| !r.generic).count();
        let generic = RULES.iter().filter(|r| r.generic).count();
        assert!(specific >= 150, "only {specific} provider-specific rules");
        assert!(generic >= 4, "only {generic} generic rules");
    }

    #[test]
    fn dedup_keeps_every_specific_finding_and_one_per_place() {
        let g = RULES.iter().find(|r| r.generic).expect("a generic rule");
        let s = RULES.iter().find(|r| !r.generic).expect("a specific rule");
        let m = |rule, start, end| RawMatch { rule, start, end };
        let out = dedup(vec![
            m(s, 30, 40),
            m(g, 0, 100),
            m(s, 10, 20),
            m(g, 150, 160),
            m(g, 155, 170),
            m(s, 200, 205),
            m(s, 200, 210),
        ]);
        let got: Vec<(bool, usize, usize)> = out
            .iter()
            .map(|m| (m.rule.generic, m.start, m.end))
            .collect();
        assert_eq!(
            got,
            vec![
                (false, 10, 20),
                (false, 30, 40),
                (true, 150, 160),
                (false, 200, 210)
            ]
        );
    }

    #[test]
    fn patterns_compile_lazily() {
        let e = Engine::new(&[], Vec::new(), Volume::Small);
        assert!(e.compiled.iter().all(|c| c.get().is_none()));
        let _ = e.scan(b"nothing to see here", b"a.txt");
        assert!(
            e.compiled.iter().all(|c| c.get().is_none()),
            "no keyword, no regex compiled"
        );
    }
}
