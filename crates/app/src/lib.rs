//! The use cases of qingshan, shared by the web pages, the JSON API and the command line:
//! yearly air and water figures, indicators computed from monitoring, the assessment report's
//! data, imports and their templates, alarm handling and registry edits, the supervisor's work,
//! the account rules, sign-in throttling and device passwords kept off pages and the audit log. Plain async functions over [`qingshan_store::Store`] and
//! [`qingshan_plan::Plan`]; nothing here knows HTTP, so every front end calls the same code and
//! gets the same [`Error`], its cause kept.

pub mod accounts;
pub mod air;
pub mod assessment;
pub mod backfill;
pub mod beijing;
pub mod cases;
pub mod cockpit;
pub mod commands;
pub mod complaints;
pub mod credit;
pub mod demo;
pub mod disclosure;
pub mod display;
pub mod enterprise;
mod error;
pub mod evidence;
pub mod fields;
pub mod heavy;
pub mod imports;
pub mod incidents;
pub mod ingest;
pub mod inspections;
pub mod ledger;
pub mod login_throttle;
pub mod marks;
pub mod monitoring;
pub mod orders;
pub mod params;
pub mod participation;
pub mod portal;
pub mod report;
pub mod scope;
pub mod secrets;
pub mod sources;
pub mod stations;
pub mod supervisor;
pub mod tasks;
pub mod values;
pub mod warnings;
pub mod water;

use std::sync::Arc;

use qingshan_plan::Plan;
use qingshan_store::{Actor, AuditEntry, Store};

pub use error::{Error, Result};

/// What a path segment keeps as is: RFC 3986 unreserved characters; everything else is
/// percent-encoded.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// `text` percent-encoded as one URL path segment (a station or section code in a page's path).
pub fn path_segment(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, SEGMENT).to_string()
}

/// Opens the store, migrates it and writes the plan into it (audited as `plan.load`): what
/// serving and every command that works on the plan's data need first.
pub async fn prepare(
    db_url: &str,
    plan: Plan,
    plan_source: &str,
) -> Result<(Store, Arc<Plan>), qingshan_store::StoreError> {
    let store = Store::connect(db_url).await?;
    let applied = store.migrate().await?;
    store.sync_plan(&plan, plan_source).await?;
    let mut entry = AuditEntry::ok(
        &Actor::system(),
        "plan.load",
        format!("plan:{}", plan.meta.id),
    );
    entry.detail = Some(format!(
        "{} 项指标，{} 项任务，迁移 {applied} 个",
        plan.indicators.len(),
        plan.tasks().count()
    ));
    store.audit(&entry).await?;
    Ok((store, Arc::new(plan)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_code_is_one_segment() {
        assert_eq!(super::path_segment("A 1/é-_.~"), "A%201%2F%C3%A9-_.~");
    }
}
