//! The report a person reads: where, which rule, a redacted value, and what to do.

use std::io::Write;

use crate::git::display_path;
use crate::scan::{Outcome, SkipReason};

use super::{Fix, Target};

pub struct Paint {
    on: bool,
}

impl Paint {
    pub fn new(on: bool) -> Paint {
        Paint { on }
    }
    fn wrap(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    pub fn red(&self, s: &str) -> String {
        self.wrap("1;31", s)
    }
    pub fn yellow(&self, s: &str) -> String {
        self.wrap("33", s)
    }
    pub fn bold(&self, s: &str) -> String {
        self.wrap("1", s)
    }
    pub fn dim(&self, s: &str) -> String {
        self.wrap("2", s)
    }
    pub fn green(&self, s: &str) -> String {
        self.wrap("32", s)
    }
}

pub fn write_report(
    w: &mut dyn Write,
    out: &Outcome,
    target: &Target,
    color: bool,
) -> std::io::Result<()> {
    let p = Paint::new(color);
    write_skips(w, out, &p)?;
    if out.findings.is_empty() {
        let mut line = format!("vouchsafe: no secrets in {}", target.what);
        if out.ignored > 0 {
            line.push_str(&format!(
                " ({} finding(s) ignored by .vouchsafeignore)",
                out.ignored
            ));
        }
        return writeln!(w, "{}", p.green(&line));
    }
    let n = out.findings.len();
    writeln!(
        w,
        "{}",
        p.red(&format!(
            "vouchsafe: {n} secret{} found in {}",
            if n == 1 { "" } else { "s" },
            target.what
        ))
    )?;
    writeln!(w)?;
    for f in &out.findings {
        let mut place = format!("{}:{}:{}", display_path(&f.path_bytes), f.line, f.column);
        if let Some(c) = &f.commit {
            place.push_str(&format!("  (commit {})", &c[..c.len().min(12)]));
        }
        writeln!(w, "  {}", p.bold(&place))?;
        writeln!(w, "    {}  {}", p.yellow(f.rule_id), f.description)?;
        writeln!(
            w,
            "    value {}  {}",
            f.secret_redacted,
            p.dim(&format!("fingerprint {}", &f.fingerprint[..16]))
        )?;
    }
    writeln!(w)?;
    write_advice(w, target, &p)
}

/// Warnings for what could not be scanned. Files over the size limit are worth a
/// line each; binaries, submodules and LFS pointers only a count.
fn write_skips(w: &mut dyn Write, out: &Outcome, p: &Paint) -> std::io::Result<()> {
    for s in out
        .skipped
        .iter()
        .filter(|s| matches!(s.reason, SkipReason::TooLarge | SkipReason::Unreadable))
    {
        writeln!(
            w,
            "{} {} not scanned: {}{}",
            p.yellow("warning:"),
            display_path(&s.path_bytes),
            s.reason.describe(),
            if s.reason == SkipReason::TooLarge {
                " (raise [scan] max_file_size in .vouchsafe.toml to scan it)"
            } else {
                ""
            }
        )?;
    }
    Ok(())
}

pub fn write_advice(w: &mut dyn Write, target: &Target, p: &Paint) -> std::io::Result<()> {
    writeln!(w, "{}", p.bold("What to do"))?;
    match &target.fix {
        Fix::Files => {
            writeln!(w, "  A real secret: delete it from the file, stage the change, and rotate the credential at its")?;
            writeln!(w, "  provider. Treat it as leaked; load it at run time from the environment or a secret store.")?;
        }
        Fix::Message(file) => {
            writeln!(w, "  A real secret in the commit message: rotate it, then commit again without it. Your message")?;
            writeln!(
                w,
                "  is kept: `git commit -e -F {file}` reopens it for editing."
            )?;
        }
        Fix::History(base) => {
            writeln!(w, "  A real secret in a commit that has not left yet: rotate it, then rewrite the commits with")?;
            writeln!(w, "  `git rebase -i {base}` (mark the commit `edit`, remove the secret, `git commit --amend`,")?;
            writeln!(w, "  `git rebase --continue`) and push again.")?;
        }
    }
    writeln!(
        w,
        "  Not a secret (a fixture, a revoked sample), allow it in one of these ways:"
    )?;
    writeln!(w, "    - put `vouchsafe:allow` on the same line;")?;
    if !matches!(target.fix, Fix::Message(_)) {
        writeln!(w, "    - run `{} --add-to-ignore` to add these fingerprints to .vouchsafeignore, and commit that file;", target.rerun)?;
        writeln!(w, "    - allow by path or by value in .vouchsafe.toml: [scan] allow_paths = [\"tests/fixtures/**\"] or")?;
        writeln!(w, "      allow_regexes = [\"...\"] (policy is read from the last commit, so commit it first).")?;
    } else {
        writeln!(w, "    - allow by value in .vouchsafe.toml: [scan] allow_regexes = [\"...\"] (read from the last commit).")?;
    }
    Ok(())
}

/// Only the warnings about files that could not be scanned (a clean gate's output).
pub fn write_skips_only(w: &mut dyn Write, out: &Outcome, color: bool) -> std::io::Result<()> {
    write_skips(w, out, &Paint::new(color))
}
