//! Month partitions of the uploads and the raw archive (PostgreSQL, migration 0035), and the
//! same behaviour where SQLite keeps one table: existing rows survive the conversion with
//! their ids, a month's rows that arrived before its partition move into it, and the raw
//! archive's retention drops whole months, counted and audited.
//!
//! The PostgreSQL cases need `TEST_DATABASE_URL` (skipped loudly without it, a failure under CI).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{TimeZone, Utc};
use qingshan_store::*;
use qingshan_testkit::{Backend, scratch_db_on};

const REGISTRY: &str = "credit_code,enterprise_name,division_code,outlet_code,outlet_name,outlet_kind,mn,protocol,crc_policy,password,interval_secs,permit_number,permit_valid_from,permit_valid_to,factor_code,hourly_limit,use_converted,reference_o2,annual_total_t
9144030071526726XG,某热电有限公司,140902,DA001,1号锅炉,gas,MN0001,2017,strict,123456,60,P-001,2024-01-01,2028-12-31,a21026,35,1,6,120.5
";

/// An hourly upload of MN0001 with DataTime `dt`, received at `at`.
fn hourly(dt: &str, at: &str, v: &str) -> ReceivedFrame {
    ReceivedFrame {
        received_at: at.into(),
        peer: "127.0.0.1:5000".into(),
        bytes: format!("##frame {dt}").into_bytes(),
        verdict: FrameVerdict::Upload,
        mn: Some("MN0001".into()),
        cn: Some("2061".into()),
        error_kind: None,
        message: None,
        upload: Some(Upload {
            mn: "MN0001".into(),
            cn: "2061".into(),
            qn: format!("{dt}000"),
            data_time: dt.into(),
            pno: 0,
            st: Some("31".into()),
            flag: Some(5),
            factors: vec![FactorValues {
                factor: "a21026".into(),
                avg: Some(v.into()),
                flag: Some("N".into()),
                ..Default::default()
            }],
        }),
    }
}

async fn open(backend: Backend, tag: &str) -> Option<(Store, qingshan_testkit::ScratchDb)> {
    let db = scratch_db_on(backend, tag).await?;
    let store = Store::connect(db.url()).await.unwrap();
    Some((store, db))
}

/// The partition each archived frame and each upload lives in (PostgreSQL).
async fn homes(store: &Store) -> (Vec<(i64, String)>, Vec<(String, String)>) {
    let Store::Postgres(p) = store else {
        return (Vec::new(), Vec::new());
    };
    let frames = sqlx::query_as("SELECT id, tableoid::regclass::text FROM raw_frames ORDER BY id")
        .fetch_all(p)
        .await
        .unwrap();
    let uploads = sqlx::query_as(
        "SELECT data_time, tableoid::regclass::text FROM uploads ORDER BY data_time",
    )
    .fetch_all(p)
    .await
    .unwrap();
    (frames, uploads)
}

fn names(parts: &[MonthPartition]) -> Vec<&str> {
    parts.iter().map(|p| p.name.as_str()).collect()
}

async fn existing_rows_survive_the_partitioning(backend: Backend) {
    let Some((store, _db)) = open(backend, "partition-upgrade").await else {
        return;
    };
    store.migrate_to(34).await.unwrap();
    let reg = qingshan_sources::read_registry(REGISTRY.as_bytes()).unwrap();
    store.import_registry(&reg, &Actor::cli()).await.unwrap();
    let frames = [
        hourly("20250304090000", "2025-03-04T01:05:00.000Z", "1.5"),
        hourly("20261130230000", "2026-11-30T15:05:00.000Z", "2.5"),
        // A device clock decades off: no month is made for it; the default partition holds it.
        hourly("20991201090000", "2026-11-30T16:05:00.000Z", "3.5"),
    ];
    for f in &frames {
        assert_eq!(
            store.ingest(std::slice::from_ref(f)).await.unwrap(),
            [IngestOutcome::Stored]
        );
    }
    let evidence_before = store
        .evidence_frames("MN0001", "2061", "20000101000000", "21000101000000", 10)
        .await
        .unwrap();
    let stats_before = store.ingest_stats().await.unwrap();

    store.migrate().await.unwrap();

    // Same frames, same ids, same bytes.
    let evidence_after = store
        .evidence_frames("MN0001", "2061", "20000101000000", "21000101000000", 10)
        .await
        .unwrap();
    assert_eq!(
        evidence_after
            .iter()
            .map(|e| (e.id, e.sha256.clone()))
            .collect::<Vec<_>>(),
        evidence_before
            .iter()
            .map(|e| (e.id, e.sha256.clone()))
            .collect::<Vec<_>>()
    );
    assert_eq!(evidence_after.len(), 3);
    let stats_after = store.ingest_stats().await.unwrap();
    assert_eq!(stats_after.total, stats_before.total);
    let m = store
        .measurements(
            "MN0001",
            "2061",
            "a21026",
            "20250301000000",
            "20250401000000",
        )
        .await
        .unwrap();
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].values.avg.as_deref(), Some("1.5"));
    // Stored once still: the unique key spans the partitions.
    assert_eq!(
        store.ingest(&frames[..1]).await.unwrap(),
        [IngestOutcome::Duplicate]
    );
    // New rows take ids after the old ones.
    let next = hourly("20261201090000", "2026-12-01T01:05:00.000Z", "4.5");
    assert_eq!(
        store.ingest(&[next]).await.unwrap(),
        [IngestOutcome::Stored]
    );
    let all = store
        .evidence_frames("MN0001", "2061", "20000101000000", "21000101000000", 10)
        .await
        .unwrap();
    let old_max = evidence_before.iter().map(|e| e.id).max().unwrap();
    assert!(
        all.iter()
            .any(|e| e.id > old_max && e.data_time.as_deref() == Some("20261201090000"))
    );

    let (frames_home, uploads_home) = homes(&store).await;
    if backend == Backend::Postgres {
        let raw = store
            .month_partitions(MonthPartitioned::RawFrames)
            .await
            .unwrap();
        assert!(names(&raw).contains(&"raw_frames_p202503"), "{raw:?}");
        assert!(names(&raw).contains(&"raw_frames_p202611"), "{raw:?}");
        let up = store
            .month_partitions(MonthPartitioned::Uploads)
            .await
            .unwrap();
        assert!(names(&up).contains(&"uploads_p202503"), "{up:?}");
        assert!(names(&up).contains(&"uploads_p202611"), "{up:?}");
        assert!(!names(&up).iter().any(|n| n.starts_with("uploads_p2099")));
        assert!(
            frames_home
                .iter()
                .all(|(_, t)| t.starts_with("raw_frames_p")),
            "{frames_home:?}"
        );
        assert_eq!(
            uploads_home,
            [
                ("20250304090000".to_string(), "uploads_p202503".to_string()),
                ("20261130230000".into(), "uploads_p202611".into()),
                ("20261201090000".into(), "uploads_p202612".into()),
                ("20991201090000".into(), "uploads_default".into()),
            ]
        );
    } else {
        assert!(
            store
                .month_partitions(MonthPartitioned::Uploads)
                .await
                .unwrap()
                .is_empty()
        );
    }
}

#[tokio::test]
async fn existing_rows_survive_the_partitioning_on_postgres() {
    existing_rows_survive_the_partitioning(Backend::Postgres).await
}

#[tokio::test]
async fn the_same_data_reads_the_same_on_sqlite() {
    existing_rows_survive_the_partitioning(Backend::Sqlite).await
}

async fn raw_archive_expires_by_whole_months(backend: Backend) {
    let Some((store, _db)) = open(backend, "partition-retention").await else {
        return;
    };
    store.migrate().await.unwrap();
    let reg = qingshan_sources::read_registry(REGISTRY.as_bytes()).unwrap();
    store.import_registry(&reg, &Actor::cli()).await.unwrap();
    // Received in months that had no partition yet: they wait in the default partition.
    let frames = [
        hourly("20250115090000", "2025-01-15T01:05:00.000Z", "1"),
        hourly("20250210090000", "2025-02-10T01:05:00.000Z", "2"),
        hourly("20250220090000", "2025-02-20T01:05:00.000Z", "3"),
        hourly("20250305090000", "2025-03-05T01:05:00.000Z", "4"),
    ];
    store.ingest(&frames).await.unwrap();

    // The duty holder's pass in mid-February 2025 makes January to April, moving the rows in.
    let feb = Utc.with_ymd_and_hms(2025, 2, 15, 0, 0, 0).unwrap();
    let made = store.maintain_partitions(feb).await.unwrap();
    assert_eq!(store.maintain_partitions(feb).await.unwrap(), 0);
    let (frames_home, uploads_home) = homes(&store).await;
    if backend == Backend::Postgres {
        assert_eq!(made, 8, "four months of two tables");
        assert_eq!(
            frames_home
                .iter()
                .map(|(_, t)| t.as_str())
                .collect::<Vec<_>>(),
            [
                "raw_frames_p202501",
                "raw_frames_p202502",
                "raw_frames_p202502",
                "raw_frames_p202503"
            ]
        );
        assert_eq!(uploads_home[0].1, "uploads_p202501");
    } else {
        assert_eq!(made, 0);
    }

    // Three-year retention seen from 2025-02-15: January goes whole, February's first half row by row.
    let purged = store
        .purge_raw_frames("2025-02-15T00:00:00.000Z")
        .await
        .unwrap();
    assert_eq!(purged, 2);
    let left = store
        .evidence_frames("MN0001", "2061", "20000101000000", "21000101000000", 10)
        .await
        .unwrap();
    assert_eq!(
        left.iter()
            .map(|e| e.data_time.as_deref().unwrap())
            .collect::<Vec<_>>(),
        ["20250220090000", "20250305090000"]
    );
    // The data stay: only the raw evidence expires.
    assert_eq!(store.ingest_stats().await.unwrap().total, 4);
    let audit = store
        .audit_log(Some("raw_archive.purge"), 10)
        .await
        .unwrap();
    if backend == Backend::Postgres {
        let raw = store
            .month_partitions(MonthPartitioned::RawFrames)
            .await
            .unwrap();
        assert!(!names(&raw).contains(&"raw_frames_p202501"), "{raw:?}");
        assert!(names(&raw).contains(&"raw_frames_p202502"), "{raw:?}");
        assert_eq!(audit.len(), 2, "{audit:?}");
        assert!(audit.iter().any(|a| {
            a.detail
                .as_deref()
                .unwrap_or("")
                .contains("raw_frames_p202501（1 条")
        }));
    } else {
        assert_eq!(audit.len(), 1, "{audit:?}");
    }
}

#[tokio::test]
async fn raw_archive_expires_by_whole_months_on_postgres() {
    raw_archive_expires_by_whole_months(Backend::Postgres).await
}

#[tokio::test]
async fn raw_archive_expires_by_rows_on_sqlite() {
    raw_archive_expires_by_whole_months(Backend::Sqlite).await
}
