//! `[incidents]`: where blocks are reported, besides the local incident log.

use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct IncidentPolicy {
    /// A command that receives each incident as one JSON line on stdin (run with
    /// `sh -c`, best effort, stopped after 5 seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// Whom to tell, shown in every block message (`security@example.com`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    /// How soon to tell them (`24h`), shown with the contact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within: Option<String>,
}

impl IncidentPolicy {
    /// The line a block message ends with, when the policy names a contact.
    pub fn report_line(&self) -> Option<String> {
        let contact = self.contact.as_deref()?;
        Some(match self.within.as_deref() {
            Some(w) => {
                format!("Report this block to {contact} within {w}, as the repository policy asks.")
            }
            None => format!("Report this block to {contact}, as the repository policy asks."),
        })
    }
}
