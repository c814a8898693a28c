//! What an import tells the user: how many rows were new, changed, or identical to what was
//! stored (and so not written). Pages get it through the redirect's query.

use qingshan_store::ImportCounts;
use serde::{Deserialize, Serialize};

/// The counts carried in the query of the page an import form redirects to.
#[derive(Debug, Default, Clone, Copy, Deserialize, Serialize)]
pub struct ImportReport {
    /// Rows with nothing stored before.
    pub new: Option<usize>,
    /// Rows that replaced a different stored value.
    pub changed: Option<usize>,
    /// Rows identical to the stored value: not written.
    pub unchanged: Option<usize>,
}

impl ImportReport {
    /// The report to show, if the query carries one.
    pub fn shown(self) -> Option<ImportReport> {
        self.new.is_some().then_some(self)
    }
}

/// The query that carries `counts` to the page after an import.
pub fn query(counts: &ImportCounts) -> String {
    format!(
        "new={}&changed={}&unchanged={}",
        counts.new, counts.changed, counts.unchanged
    )
}

/// The counts as JSON fields of an import's API answer.
pub fn json(counts: &ImportCounts) -> serde_json::Value {
    serde_json::json!({ "new": counts.new, "changed": counts.changed, "unchanged": counts.unchanged })
}
