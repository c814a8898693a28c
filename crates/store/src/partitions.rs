//! Month partitions of the two tables that grow with every frame, on PostgreSQL (migration
//! 0035): the raw archive by arrival (UTC), the uploads by DataTime (device time). A month's
//! partition is made ahead of it by the server holding the duty lease, and the raw archive's
//! retention drops whole months. SQLite keeps one table each: nothing to do there.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sqlx::Row;

use crate::{Actor, AuditEntry, Result, Store};

/// A table partitioned by month on PostgreSQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MonthPartitioned {
    /// `raw_frames`, by `received_at` ("YYYY-MM-…", UTC).
    RawFrames,
    /// `uploads`, by `data_time` ("YYYYMMDDhhmmss", device time).
    Uploads,
}

impl MonthPartitioned {
    fn table(self) -> &'static str {
        match self {
            MonthPartitioned::RawFrames => "raw_frames",
            MonthPartitioned::Uploads => "uploads",
        }
    }

    fn key(self) -> &'static str {
        match self {
            MonthPartitioned::RawFrames => "received_at",
            MonthPartitioned::Uploads => "data_time",
        }
    }

    /// The `to_char` format of the partition bounds, matching the key's stored form.
    fn bound_format(self) -> &'static str {
        match self {
            MonthPartitioned::RawFrames => "YYYY-MM",
            MonthPartitioned::Uploads => "YYYYMM",
        }
    }

    /// A month's first key value in the stored form (the partition's lower bound).
    fn bound(self, month: NaiveDate) -> String {
        match self {
            MonthPartitioned::RawFrames => month.format("%Y-%m").to_string(),
            MonthPartitioned::Uploads => month.format("%Y%m").to_string(),
        }
    }
}

/// One month partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthPartition {
    /// The partition's table name (`raw_frames_p202611`).
    pub name: String,
    /// The first day of its month.
    pub month: NaiveDate,
}

/// The first day of the month `n` months after `d`'s (negative: before).
fn month_offset(d: NaiveDate, n: i32) -> Option<NaiveDate> {
    let total = d.year() * 12 + d.month0() as i32 + n;
    NaiveDate::from_ymd_opt(total.div_euclid(12), total.rem_euclid(12) as u32 + 1, 1)
}

/// The month a partition named `{table}_pYYYYMM` holds.
fn month_of(table: &str, name: &str) -> Option<NaiveDate> {
    let digits = name.strip_prefix(table)?.strip_prefix("_p")?;
    if digits.len() != 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    NaiveDate::from_ymd_opt(digits[..4].parse().ok()?, digits[4..].parse().ok()?, 1)
}

impl Store {
    /// Makes the month partitions of the uploads and the raw archive for last month, this month
    /// and the next two (as of `now`), where missing; a month's rows that arrived before its
    /// partition (in the default partition) move into it. Returns how many were made. Run by
    /// the duty-lease holder each supervision pass; SQLite: nothing to do.
    pub async fn maintain_partitions(&self, now: DateTime<Utc>) -> Result<usize> {
        let Store::Postgres(p) = self else {
            return Ok(0);
        };
        let this = now.date_naive().with_day(1).unwrap_or(now.date_naive());
        let mut made = 0;
        for table in [MonthPartitioned::RawFrames, MonthPartitioned::Uploads] {
            for n in -1..=2 {
                let Some(month) = month_offset(this, n) else {
                    continue;
                };
                let name = format!("{}_p{}", table.table(), month.format("%Y%m"));
                let exists: Option<String> = sqlx::query_scalar("SELECT to_regclass($1)::text")
                    .bind(&name)
                    .fetch_one(p)
                    .await?;
                if exists.is_some() {
                    continue;
                }
                let created: bool =
                    sqlx::query_scalar("SELECT qingshan_month_partition($1, $2, $3, $4::date)")
                        .bind(table.table())
                        .bind(table.key())
                        .bind(table.bound_format())
                        .bind(month.format("%Y-%m-%d").to_string())
                        .fetch_one(p)
                        .await?;
                if created {
                    tracing::info!(partition = %name, "month partition made");
                    made += 1;
                }
            }
        }
        Ok(made)
    }

    /// The month partitions of `table`, oldest first (PostgreSQL; SQLite has none).
    pub async fn month_partitions(&self, table: MonthPartitioned) -> Result<Vec<MonthPartition>> {
        let Store::Postgres(p) = self else {
            return Ok(Vec::new());
        };
        let rows = sqlx::query(
            "SELECT c.relname::text AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
             WHERE i.inhparent = to_regclass($1)",
        )
        .bind(table.table())
        .fetch_all(p)
        .await?;
        let mut out = Vec::new();
        for r in rows {
            let name: String = r.try_get("name")?;
            if let Some(month) = month_of(table.table(), &name) {
                out.push(MonthPartition { name, month });
            }
        }
        out.sort_by_key(|m| m.month);
        Ok(out)
    }

    /// Drops the raw archive's month partitions that end at or before `before` (stored form),
    /// each in its own transaction, counted and audited: retention without deleting rows one
    /// by one. A month whose table stays locked (a long reader) is left for the next pass.
    /// Returns the frames dropped. PostgreSQL only.
    pub(crate) async fn drop_expired_raw_months(&self, before: &str) -> Result<u64> {
        let Store::Postgres(p) = self else {
            return Ok(0);
        };
        let table = MonthPartitioned::RawFrames;
        let mut dropped = 0u64;
        for part in self.month_partitions(table).await? {
            let Some(next) = month_offset(part.month, 1) else {
                continue;
            };
            // Every key of the month sorts before the next month's first one.
            if table.bound(next).as_str() > before {
                break;
            }
            let mut tx = p.begin().await?;
            sqlx::query("SET LOCAL lock_timeout = '5s'")
                .execute(&mut *tx)
                .await?;
            let outcome: std::result::Result<i64, sqlx::Error> = async {
                let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM \"{}\"", part.name))
                    .fetch_one(&mut *tx)
                    .await?;
                sqlx::query(&format!("DROP TABLE \"{}\"", part.name))
                    .execute(&mut *tx)
                    .await?;
                Ok(n)
            }
            .await;
            let n = match outcome {
                Ok(n) => n,
                Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("55P03") => {
                    tracing::warn!(partition = %part.name, "raw archive month busy; dropped next pass");
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            let mut audit =
                AuditEntry::ok(&Actor::system(), "raw_archive.purge", "raw_frames".into());
            audit.detail = Some(format!(
                "删除 {} 接收的原始报文分区 {}（{n} 条，保存期限到期）",
                part.month.format("%Y年%m月"),
                part.name
            ));
            insert_audit!(&mut *tx, &audit);
            tx.commit().await?;
            dropped += n as u64;
        }
        Ok(dropped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_count_across_years() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        assert_eq!(month_offset(d, 1), NaiveDate::from_ymd_opt(2027, 1, 1));
        assert_eq!(month_offset(d, -12), NaiveDate::from_ymd_opt(2025, 12, 1));
        assert_eq!(month_offset(d, -13), NaiveDate::from_ymd_opt(2025, 11, 1));
    }

    #[test]
    fn only_month_partition_names_are_read() {
        assert_eq!(
            month_of("raw_frames", "raw_frames_p202611"),
            NaiveDate::from_ymd_opt(2026, 11, 1)
        );
        assert_eq!(month_of("raw_frames", "raw_frames_default"), None);
        assert_eq!(month_of("raw_frames", "raw_frames_p202613"), None);
        assert_eq!(month_of("uploads", "raw_frames_p202611"), None);
    }

    #[test]
    fn a_month_ends_before_the_next_months_first_key() {
        let t = MonthPartitioned::RawFrames;
        let next = t.bound(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
        assert!(next.as_str() <= "2026-12-01T00:00:00.000Z");
        assert!(next.as_str() > "2026-11-30T23:59:59.999Z");
        let u = MonthPartitioned::Uploads;
        assert!(
            u.bound(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap())
                .as_str()
                > "20261130235959"
        );
    }
}
