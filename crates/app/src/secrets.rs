//! Device passwords (HJ 212 `PW`) kept out of the audit log and off the pages.
//!
//! The choice: the staff-only registry export (`/sources/registry.csv` and `.xlsx`) keeps the
//! real passwords, because it is the import format and a file re-imported with masks would
//! set every device's password to `******`. Everywhere else — audit entries written by
//! registry edits, the audit page and API (also for entries written before this masking), and
//! the edit form — shows [`MASK`]. The edit form sends the mask back for "unchanged".

use std::collections::HashMap;

use qingshan_store::AuditRecord;

/// What is shown instead of a device password.
pub const MASK: &str = "******";

/// The registry column holding the device password.
const PASSWORD: &str = "password";

/// Index of the password column among the registry columns.
fn password_index() -> Option<usize> {
    qingshan_sources::REGISTRY_COLUMNS
        .iter()
        .position(|c| *c == PASSWORD)
}

/// One registry row as a line of the import file for the audit log, password masked.
pub fn registry_row_text(row: &HashMap<String, String>) -> String {
    qingshan_sources::REGISTRY_COLUMNS
        .iter()
        .map(|c| match row.get(*c).map_or("", String::as_str) {
            v if *c == PASSWORD && !v.is_empty() => MASK,
            v => v,
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Masks the password in an audit value written by a registry edit before masking existed:
/// a row of the import file joined with commas. Names and addresses (before the password)
/// may hold commas; the columns after it cannot (codes, dates, numbers), so the password is
/// found counting from the end.
fn mask_row_text(text: &str) -> String {
    let columns = qingshan_sources::REGISTRY_COLUMNS.len();
    let Some(idx) = password_index() else {
        return text.to_string();
    };
    let mut parts: Vec<&str> = text.split(',').collect();
    if parts.len() < columns {
        return text.to_string();
    }
    let at = parts.len() - (columns - idx);
    if !parts[at].is_empty() {
        parts[at] = MASK;
    }
    parts.join(",")
}

/// Audit entries as they may be shown: device passwords in registry entries masked.
pub fn mask_audit(entries: Vec<AuditRecord>) -> Vec<AuditRecord> {
    entries
        .into_iter()
        .map(|mut e| {
            if e.action.starts_with("registry.") {
                e.old_value = e.old_value.as_deref().map(mask_row_text);
                e.new_value = e.new_value.as_deref().map(mask_row_text);
            }
            e
        })
        .collect()
}

/// The row as the edit form shows it: a stored password replaced by the mask.
pub fn mask_form_row(row: &HashMap<String, String>) -> HashMap<String, String> {
    let mut shown = row.clone();
    if let Some(pw) = shown.get_mut(PASSWORD).filter(|pw| !pw.is_empty()) {
        *pw = MASK.to_string();
    }
    shown
}

/// The row the edit form sent, with a mask taken to mean "keep the stored password". A mask
/// for a device without one becomes empty, so the registry reader asks for a password.
pub fn unmask_form_row(row: &mut HashMap<String, String>, stored: Option<&str>) {
    if let Some(pw) = row.get_mut(PASSWORD).filter(|pw| *pw == MASK) {
        *pw = stored.unwrap_or("").to_string();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(password: &str, name: &str) -> HashMap<String, String> {
        qingshan_sources::REGISTRY_COLUMNS
            .iter()
            .map(|c| {
                let v = match *c {
                    "password" => password.to_string(),
                    "enterprise_name" => name.to_string(),
                    "interval_secs" => "3600".to_string(),
                    other => format!("{other}-v"),
                };
                (c.to_string(), v)
            })
            .collect()
    }

    #[test]
    fn audit_text_never_holds_the_password() {
        let text = registry_row_text(&row("s3cret-PW", "忻州,某厂"));
        assert!(!text.contains("s3cret-PW"));
        assert!(text.contains(MASK));
        // Entries written before masking are masked when shown, commas in names or not.
        let legacy: String = qingshan_sources::REGISTRY_COLUMNS
            .iter()
            .map(|c| match *c {
                "password" => "s3cret-PW",
                "enterprise_name" => "忻州,某,厂",
                _ => "x",
            })
            .collect::<Vec<_>>()
            .join(",");
        let rec = AuditRecord {
            id: 1,
            at: String::new(),
            actor: String::new(),
            actor_user_id: None,
            action: "registry.edit".into(),
            target: String::new(),
            outcome: "ok".into(),
            old_value: Some(legacy.clone()),
            new_value: Some(legacy),
            detail: None,
            peer: None,
        };
        let shown = mask_audit(vec![rec]).remove(0);
        let old = shown.old_value.unwrap();
        assert!(!old.contains("s3cret-PW"), "{old}");
        assert!(old.contains("忻州,某,厂"));
        assert!(!shown.new_value.unwrap().contains("s3cret-PW"));
    }

    #[test]
    fn the_form_shows_a_mask_and_keeps_the_password_for_it() {
        let shown = mask_form_row(&row("s3cret-PW", "厂"));
        assert_eq!(shown["password"], MASK);
        let mut sent = shown.clone();
        unmask_form_row(&mut sent, Some("s3cret-PW"));
        assert_eq!(sent["password"], "s3cret-PW");
        let mut new_device = shown;
        unmask_form_row(&mut new_device, None);
        assert_eq!(new_device["password"], "");
        let mut changed = row("new-pw", "厂");
        unmask_form_row(&mut changed, Some("s3cret-PW"));
        assert_eq!(changed["password"], "new-pw");
    }
}
