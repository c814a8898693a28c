//! Imports that change only what changed: a row identical to what is stored now is counted
//! as unchanged and writes nothing (no revision, no audit entry), so importing the same file
//! twice leaves the store as it was.

use std::collections::HashMap;

use qingshan_sources::Registry;
use serde::Serialize;
use sqlx::Row;

use crate::{
    AUTOMATIC_SOURCE, Actor, NewIndicatorValue, NewWaterSample, Result, Store, WaterImportSummary,
    WaterStoreError,
};

/// How the rows of an import compared with what was stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportCounts {
    /// Rows with nothing stored before: written.
    pub new: usize,
    /// Rows that differ from what is stored: written as a new revision (or an update).
    pub changed: usize,
    /// Rows identical to what is stored: not written.
    pub unchanged: usize,
}

impl ImportCounts {
    fn count(&mut self, before: Option<bool>) {
        match before {
            None => self.new += 1,
            Some(true) => self.unchanged += 1,
            Some(false) => self.changed += 1,
        }
    }

    /// Whether anything is to be written.
    pub fn writes(&self) -> bool {
        self.new + self.changed > 0
    }
}

/// The part of `incoming` that is new or differs from `current`, keyed by `key`; counted.
fn delta<T: Clone + PartialEq, K: std::hash::Hash + Eq>(
    current: &[T],
    incoming: &[T],
    key: impl Fn(&T) -> K,
    counts: &mut ImportCounts,
) -> Vec<T> {
    let stored: HashMap<K, &T> = current.iter().map(|t| (key(t), t)).collect();
    incoming
        .iter()
        .filter(|t| {
            let before = stored.get(&key(t)).map(|s| *s == *t);
            counts.count(before);
            before != Some(true)
        })
        .cloned()
        .collect()
}

/// The records of `incoming` that are new or changed against `current`, and the counts over
/// every record (enterprises, outlets, devices, permits and limits).
pub fn registry_delta(current: &Registry, incoming: &Registry) -> (Registry, ImportCounts) {
    let mut c = ImportCounts::default();
    let reg = Registry {
        enterprises: delta(
            &current.enterprises,
            &incoming.enterprises,
            |e| e.credit_code.clone(),
            &mut c,
        ),
        outlets: delta(
            &current.outlets,
            &incoming.outlets,
            |o| (o.credit_code.clone(), o.code.clone()),
            &mut c,
        ),
        devices: delta(
            &current.devices,
            &incoming.devices,
            |d| d.mn.clone(),
            &mut c,
        ),
        permits: delta(
            &current.permits,
            &incoming.permits,
            |p| p.number.clone(),
            &mut c,
        ),
        limits: delta(
            &current.limits,
            &incoming.limits,
            |l| {
                (
                    l.permit_number.clone(),
                    l.credit_code.clone(),
                    l.outlet_code.clone(),
                    l.factor_code.clone(),
                )
            },
            &mut c,
        ),
    };
    (reg, c)
}

impl Store {
    /// Imports a registry, writing (and auditing) only the records that are new or changed;
    /// a file identical to the stored registry writes nothing.
    pub async fn import_registry_changes(
        &self,
        reg: &Registry,
        actor: &Actor,
    ) -> Result<ImportCounts> {
        let current = self.export_registry().await?;
        let (changes, counts) = registry_delta(&current, reg);
        if counts.writes() {
            self.import_registry(&changes, actor).await?;
        }
        Ok(counts)
    }

    /// Records imported indicator values, all or nothing, skipping those whose value, note and
    /// capture equal the current revision's (a changed reason alone changes no data; an
    /// imported value replaces one computed from too few days even when the figure is equal).
    pub async fn record_indicator_values_changes(
        &self,
        values: &[NewIndicatorValue],
        actor: &Actor,
    ) -> Result<ImportCounts> {
        let mut counts = ImportCounts::default();
        let mut plans: Vec<&str> = values.iter().map(|v| v.plan_id.as_str()).collect();
        plans.sort_unstable();
        plans.dedup();
        let mut current = HashMap::new();
        for plan in plans {
            for v in self.current_indicator_values(plan).await? {
                current.insert(
                    (
                        v.plan_id.clone(),
                        v.indicator_number,
                        v.year,
                        v.division_code.clone(),
                    ),
                    (v.value.clone(), v.note.clone(), v.capture()),
                );
            }
        }
        let changes: Vec<NewIndicatorValue> = values
            .iter()
            .filter(|v| {
                let before = current
                    .get(&(
                        v.plan_id.clone(),
                        v.indicator_number,
                        v.year,
                        v.division_code.clone(),
                    ))
                    .map(|(value, note, capture)| {
                        *value == v.value && *note == v.note && *capture == v.capture
                    });
                counts.count(before);
                before != Some(true)
            })
            .cloned()
            .collect();
        if !changes.is_empty() {
            self.record_indicator_values(&changes, actor).await?;
        }
        Ok(counts)
    }

    /// Imports water sample results, all or nothing, skipping those whose value and detection
    /// flag equal the latest stored result of the same kind (manual or automatic). Row numbers
    /// in errors count in `rows` as given.
    pub async fn import_water_samples_changes(
        &self,
        rows: &[NewWaterSample],
        actor: &Actor,
    ) -> Result<(WaterImportSummary, ImportCounts), WaterStoreError> {
        let automatic = |source: &str| source == AUTOMATIC_SOURCE;
        let mut latest: HashMap<SampleKey, (i64, String, bool)> = HashMap::new();
        let mut sections: Vec<&str> = rows.iter().map(|r| r.section_code.as_str()).collect();
        sections.sort_unstable();
        sections.dedup();
        let lo = rows.iter().map(|r| r.date.as_str()).min().unwrap_or("");
        let hi = rows.iter().map(|r| r.date.as_str()).max().unwrap_or("");
        for code in sections {
            let stored = self.water_results_between(code, lo, hi).await?;
            for (date, item, source, revision, value, below) in stored {
                let e = latest
                    .entry((code.to_string(), date, item, automatic(&source)))
                    .or_insert((0, String::new(), false));
                if revision > e.0 {
                    *e = (revision, value, below);
                }
            }
        }
        let mut counts = ImportCounts::default();
        let mut index = Vec::with_capacity(rows.len());
        let mut changes = Vec::with_capacity(rows.len());
        for (i, r) in rows.iter().enumerate() {
            let before = latest
                .get(&(
                    r.section_code.clone(),
                    r.date.clone(),
                    r.item.clone(),
                    automatic(&r.source),
                ))
                .map(|(_, value, below)| *value == r.value && *below == r.below_detection);
            counts.count(before);
            if before != Some(true) {
                index.push(i);
                changes.push(r.clone());
            }
        }
        if changes.is_empty() {
            let mut dates: Vec<&str> = rows.iter().map(|r| r.date.as_str()).collect();
            dates.sort_unstable();
            let mut codes: Vec<&str> = rows.iter().map(|r| r.section_code.as_str()).collect();
            codes.sort_unstable();
            codes.dedup();
            let summary = WaterImportSummary {
                rows: 0,
                sections: codes.len(),
                revised: 0,
                first_date: dates.first().map(|d| d.to_string()),
                last_date: dates.last().map(|d| d.to_string()),
            };
            return Ok((summary, counts));
        }
        match self.import_water_samples(&changes, actor).await {
            Ok(summary) => Ok((summary, counts)),
            // Errors name a row of what was written; give the row of the file instead.
            Err(WaterStoreError::Invalid {
                row,
                column,
                message,
            }) => Err(WaterStoreError::Invalid {
                row: row
                    .checked_sub(1)
                    .and_then(|i| index.get(i))
                    .map_or(row, |i| i + 1),
                column,
                message,
            }),
            Err(e) => Err(e),
        }
    }

    /// Every stored result of one section between two dates: (date, item, source, revision,
    /// value, below detection).
    async fn water_results_between(
        &self,
        code: &str,
        lo: &str,
        hi: &str,
    ) -> Result<Vec<StoredResult>> {
        Ok(with_pool!(self, p => {
            let found = sqlx::query("SELECT sample_date, item, source, revision, value, below_detection FROM water_samples \
                                     WHERE section_code = $1 AND sample_date >= $2 AND sample_date <= $3")
                .bind(code).bind(lo).bind(hi).fetch_all(p).await?;
            let mut out = Vec::with_capacity(found.len());
            for r in found {
                out.push((r.try_get("sample_date")?, r.try_get("item")?, r.try_get("source")?,
                          r.try_get("revision")?, r.try_get("value")?, r.try_get("below_detection")?));
            }
            out
        }))
    }
}

type StoredResult = (String, String, String, i64, String, bool);

/// Section, date, item, and whether the result is automatic (each kind is revised apart).
type SampleKey = (String, String, String, bool);
