//! `[agents]`: which AI assistants may help with this repository's commits.
//!
//! ```toml
//! [agents]
//! approved = ["claude-code", "copilot"]   # ids or aliases (`vouchsafe ai list`); absent: any
//! on_unapproved = "block"                 # or "warn"
//! on_unknown = "block"                    # an assistant vouchsafe cannot name; default: on_unapproved
//! contact = "#ai-tools on Slack"          # whom to ask, shown when a commit is stopped
//! ```

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Stop the commit.
    #[default]
    Block,
    /// Let it through with a warning (the trailer is still written).
    Warn,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Block => "block",
            Action::Warn => "warn",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AgentsPolicy {
    /// The assistants allowed to help: registry ids or aliases (`copilot` covers
    /// every Copilot entry), or names of assistants the registry does not know.
    /// Absent: every assistant is allowed (and still recorded). Empty: none is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved: Option<Vec<String>>,
    /// What happens to a commit an assistant not on the list helped with.
    #[serde(default)]
    pub on_unapproved: Action,
    /// The same for an assistant vouchsafe cannot name (`AI_AGENT=<new tool>`, an
    /// `Assisted-by:` it does not know). Default: `on_unapproved`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_unknown: Option<Action>,
    /// Whom to ask for another assistant: shown when a commit is stopped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
}

impl AgentsPolicy {
    /// Whether an assistant with these names (`is_named`) is on the list.
    pub fn approves(&self, is_named: &dyn Fn(&str) -> bool) -> bool {
        match &self.approved {
            None => true,
            Some(list) => list.iter().any(|e| is_named(e)),
        }
    }

    pub fn action(&self, known: bool) -> Action {
        if known {
            self.on_unapproved
        } else {
            self.on_unknown.unwrap_or(self.on_unapproved)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects_unknown_keys() {
        let p: AgentsPolicy =
            toml::from_str("approved = [\"claude-code\"]\non_unapproved = \"warn\"\n")
                .expect("parse");
        assert_eq!(p.on_unapproved, Action::Warn);
        assert_eq!(p.action(false), Action::Warn);
        assert!(p.approves(&|n| n == "claude-code"));
        assert!(!p.approves(&|n| n == "cursor"));
        assert!(toml::from_str::<AgentsPolicy>("aproved = []\n").is_err());
        assert!(toml::from_str::<AgentsPolicy>("on_unapproved = \"deny\"\n").is_err());
        assert!(AgentsPolicy::default().approves(&|_| false));
    }
}
