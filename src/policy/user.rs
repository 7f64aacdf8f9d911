//! The user's own policy, `policy.toml` in vouchsafe's config directory
//! (`VOUCHSAFE_HOME` overrides it). It can only make the repository's policy
//! stricter: it may require attestations where the repository does not, narrow the
//! approved assistants, turn a warning into a block, scan larger files. What would
//! loosen the repository's rules (allow-lists, disabled rules, a shorter approved
//! list being widened) is ignored.

use std::path::PathBuf;

use anyhow::Context;

use super::agents::Action;
use super::attestation::Require;
use super::Policy;

pub const FILE_NAME: &str = "policy.toml";

pub fn path() -> anyhow::Result<PathBuf> {
    Ok(crate::attest::config::config_dir()?.join(FILE_NAME))
}

/// The user's policy, when there is one.
pub fn load() -> anyhow::Result<Option<Policy>> {
    let Ok(p) = path() else { return Ok(None) };
    match std::fs::read_to_string(&p) {
        Ok(text) => super::parse(&text, &p.display().to_string())
            .with_context(|| {
                format!(
                    "your own policy {} is invalid; `vouchsafe policy check {}` shows where",
                    p.display(),
                    p.display()
                )
            })
            .map(Some),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", p.display())),
    }
}

fn strictness(r: Option<Require>) -> u8 {
    match r {
        None | Some(Require::Off) => 0,
        Some(Require::Assisted) => 1,
        Some(Require::All) => 2,
    }
}

/// `repo` made stricter by `user`; never looser.
pub fn tighten(mut repo: Policy, user: &Policy) -> Policy {
    if let Some(u) = user.scan.max_file_size {
        let r = repo
            .scan
            .max_file_size
            .unwrap_or(crate::scan::DEFAULT_MAX_FILE_SIZE);
        repo.scan.max_file_size = Some(r.max(u));
    }
    if let Some(ua) = &user.agents {
        let ra = repo.agents.get_or_insert_with(Default::default);
        if let Some(ulist) = &ua.approved {
            ra.approved = Some(match ra.approved.take() {
                None => ulist.clone(),
                Some(rlist) => rlist
                    .into_iter()
                    .filter(|e| ulist.iter().any(|u| u.eq_ignore_ascii_case(e)))
                    .collect(),
            });
        }
        if ua.on_unapproved == Action::Block {
            ra.on_unapproved = Action::Block;
        }
        if ua.action(false) == Action::Block && ra.action(false) == Action::Warn {
            ra.on_unknown = Some(Action::Block);
        }
        if ra.contact.is_none() {
            ra.contact.clone_from(&ua.contact);
        }
    }
    if strictness(user.attestation.require) > strictness(repo.attestation.require) {
        repo.attestation.require = user.attestation.require;
    }
    let (ri, ui) = (&mut repo.incidents, &user.incidents);
    if ri.command.is_none() {
        ri.command.clone_from(&ui.command);
    }
    if ri.contact.is_none() {
        ri.contact.clone_from(&ui.contact);
        ri.within.clone_from(&ui.within);
    }
    repo
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Policy {
        super::super::parse(text, "test").expect("valid policy")
    }

    #[test]
    fn the_user_can_tighten_but_not_loosen() {
        let repo = p("[scan]\nmax_file_size = 100\n[agents]\napproved = [\"claude-code\", \"aider\"]\non_unapproved = \"warn\"\n[attestation]\nrequire = \"assisted\"\n");
        let user = p("[scan]\nallow_paths = [\"**\"]\ndisable_rules = [\"github-pat\"]\nmax_file_size = 50\n[agents]\napproved = [\"aider\", \"cursor\"]\n[attestation]\nrequire = \"all\"\n");
        let t = tighten(repo, &user);
        assert!(t.scan.allow_paths.is_empty() && t.scan.disable_rules.is_empty());
        assert_eq!(t.scan.max_file_size, Some(100));
        let a = t.agents.as_ref().expect("agents");
        assert_eq!(a.approved, Some(vec!["aider".to_string()]));
        assert_eq!(a.on_unapproved, Action::Block);
        assert_eq!(t.attestation.require, Some(Require::All));
        let loose_user =
            p("[agents]\non_unapproved = \"warn\"\n[attestation]\nrequire = \"off\"\n");
        let strict_repo = p("[agents]\napproved = []\n[attestation]\nrequire = \"all\"\n");
        let t = tighten(strict_repo, &loose_user);
        let a = t.agents.as_ref().expect("agents");
        assert_eq!(a.on_unapproved, Action::Block);
        assert_eq!(a.approved, Some(vec![]));
        assert_eq!(t.attestation.require, Some(Require::All));
    }
}
