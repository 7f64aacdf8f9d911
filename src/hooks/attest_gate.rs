//! The attestation check shared by the pre-push and pre-receive gates: every commit
//! that leaves (merges included) is verified against the allowed signers when the
//! policy's `[attestation] require` asks for it. Unset means off here: a team opts in
//! by committing the setting together with its allowed-signers file.

use crate::attest::verify::{self, Status as Attest, Verdict};
use crate::git::Repo;
use crate::incident::{Context, Incident};
use crate::policy::attestation::Require;
use crate::policy::Policy;

/// A commit the gate refuses, and why.
pub struct Problem {
    pub commit: String,
    pub subject: String,
    pub why: String,
    pub code: &'static str,
}

/// Verifies `commits` (newest first) per the policy. `Ok(vec![])` when nothing is
/// required or everything holds.
pub fn check(repo: &Repo, policy: &Policy, commits: &[String]) -> anyhow::Result<Vec<Problem>> {
    if commits.is_empty() || policy.attestation.require.unwrap_or(Require::Off) == Require::Off {
        return Ok(Vec::new());
    }
    let signers = match crate::attest::cmd::load_signers(repo, policy, None) {
        Ok(s) => s,
        Err(e) => {
            return Ok(vec![Problem {
                commit: commits[0].clone(),
                subject: String::new(),
                why: format!("{e:#}"),
                code: "no-allowed-signers",
            }])
        }
    };
    let verdicts = verify::verify_commits(repo, commits, &signers)?;
    Ok(verdicts
        .into_iter()
        .filter_map(|v| problem(policy, v))
        .collect())
}

fn problem(policy: &Policy, v: Verdict) -> Option<Problem> {
    let required = policy
        .attestation
        .required(!v.assistants.is_empty(), Require::Off);
    let (why, code) = match v.status {
        Attest::Exact | Attest::Rebased => return None,
        // A broken attestation is refused even where none is required: it claims
        // something the commit no longer is.
        Attest::Failed => {
            let r = v.reasons.first();
            (
                r.map_or_else(
                    || "the attestation does not hold".to_string(),
                    |r| r.to_string(),
                ),
                r.map_or("failed", |r| r.code()),
            )
        }
        Attest::Unsigned if required => {
            let why = if v.assistants.is_empty() {
                "no attestation, and the policy requires one on every commit".to_string()
            } else {
                format!(
                    "no attestation on a commit made with {}, and the policy requires one",
                    v.assistants.join(", ")
                )
            };
            (why, "unsigned")
        }
        Attest::Unsigned => return None,
    };
    Some(Problem {
        subject: v.commit.subject(),
        commit: v.commit.id,
        why,
        code,
    })
}

/// Prints the per-commit summary and the command that fixes each kind of problem.
pub fn report(problems: &[Problem], base: &str) {
    eprintln!(
        "vouchsafe: {} commit{} without a valid attestation:",
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    );
    for p in problems {
        eprintln!("  {}  {}", &p.commit[..p.commit.len().min(12)], p.subject);
        eprintln!("      {}", p.why);
    }
    eprintln!();
    if problems.iter().any(|p| p.code == "no-allowed-signers") {
        eprintln!("  Add the team's allowed signers to .vouchsafe/allowed_signers (`vouchsafe key status` prints your line) and commit it.");
    }
    if problems.iter().any(|p| p.code != "no-allowed-signers") {
        eprintln!("  Re-sign with the hooks on (a signing key set up: `vouchsafe key status`):");
        eprintln!("    git rebase --exec 'git commit --amend --no-edit' {base}");
        eprintln!(
            "  An unknown or expired key: ask for your key's line in .vouchsafe/allowed_signers."
        );
    }
}

pub fn incidents(ctx: &Context, gate: &str, problems: &[Problem]) -> Vec<Incident> {
    problems
        .iter()
        .map(|p| Incident {
            commit: Some(p.commit.clone()),
            detail: Some(format!("{}: {}", p.code, p.why)),
            ..ctx.incident(gate, "attestation")
        })
        .collect()
}
