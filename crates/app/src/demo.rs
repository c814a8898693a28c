//! Sample data for `qingshan demo`: a living system for a newcomer, in a database of its own.
//!
//! The air stations' hourly data are real open data (Beijing, UCI, CC BY 4.0; see
//! `crates/app/demo/README.md`) placed at points in Xinzhou and moved to the last weeks; the
//! water samples, the registry, the indicator values and the devices' uploads are generated.
//! Everything goes through the same store writes (validated and audited) as real data, and the
//! database is marked as a demo one (an audit entry `demo.fill`), so that the demo command can
//! refuse to touch a real database.

use std::io::Read;

use chrono::{Datelike, Duration, NaiveDate};
use qingshan_plan::values::ValueRow;
use qingshan_plan::{Decimal, Plan, TargetKind};
use qingshan_sources::{
    Device, Enterprise, Limit, Outlet, OutletKind, Permit, Registry, credit_code_check_char,
};
use qingshan_store::{Actor, AirStation, AuditEntry, NewWaterSample, Store, WaterSection};
use rand::Rng;

use crate::accounts::{NewAccount, new_user};
use crate::imports::ImportFile;
use crate::{Error, Result};

/// The source of the demo's air data, for the banner and the terminal.
pub const ATTRIBUTION: &str = "空气小时数据为北京奥体中心、东四两站的公开监测数据（UCI“Beijing Multi-Site Air-Quality Data”，Zhang 等 2017，CC BY 4.0），日期已平移、站点位置为示意；其余数据均为生成的样例";

/// The audit action that marks a demo database.
pub const MARKER: &str = "demo.fill";

/// The embedded hourly air data (qingshan hourly layout, gzipped).
const AIR_HOURLY: &[u8] = include_bytes!("../demo/air-hourly.csv.gz");

/// The most bytes the embedded air data may inflate to.
const AIR_MAX_BYTES: u64 = 4 * 1024 * 1024;

/// What a database holds, as far as the demo is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbState {
    /// Nothing but the plan: the demo may fill it.
    Fresh,
    /// Filled by the demo before.
    Demo,
    /// Holds accounts or data not from the demo: never touched.
    NotDemo,
}

/// Whether `store` is fresh, a demo database, or someone's real one.
pub async fn state(store: &Store) -> Result<DbState> {
    if !store.audit_log(Some(MARKER), 1).await?.is_empty() {
        return Ok(DbState::Demo);
    }
    let empty = store.users().await?.is_empty()
        && store.air_stations().await?.is_empty()
        && store.water_sections().await?.is_empty()
        && store.registry_overview().await?.is_empty();
    Ok(if empty {
        DbState::Fresh
    } else {
        DbState::NotDemo
    })
}

/// A demo account and its password (shown once, on the terminal).
#[derive(Debug, Clone)]
pub struct DemoAccount {
    /// Login name.
    pub username: String,
    /// The password.
    pub password: String,
    /// What the account may do, in Chinese.
    pub role: &'static str,
}

/// What [`fill`] stored.
#[derive(Debug, Clone, Default)]
pub struct Filled {
    /// The accounts, with their passwords.
    pub accounts: Vec<DemoAccount>,
    /// Air stations.
    pub stations: usize,
    /// Station-hours of air data.
    pub hours: usize,
    /// Water sections.
    pub sections: usize,
    /// Water sample results.
    pub samples: usize,
    /// Enterprises in the registry.
    pub enterprises: usize,
    /// Indicator values.
    pub values: usize,
}

/// A small deterministic generator, so that a demo database looks the same every time.
struct Noise(u64);

impl Noise {
    /// A number in `[lo, hi)`.
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        // SplitMix64.
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        lo + (hi - lo) * ((z >> 11) as f64 / (1u64 << 53) as f64)
    }
}

/// The demo's enterprises: name, county, industry, longitude, latitude.
const ENTERPRISES: [(&str, &str, &str, &str, &str); 8] = [
    (
        "演示·忻府热电有限公司",
        "140902",
        "热力生产和供应",
        "112.7412",
        "38.4286",
    ),
    (
        "演示·忻州建材有限公司",
        "140902",
        "水泥制造",
        "112.6893",
        "38.3911",
    ),
    (
        "演示·原平焦化有限公司",
        "140981",
        "炼焦",
        "112.7105",
        "38.7402",
    ),
    (
        "演示·原平铸造有限公司",
        "140981",
        "黑色金属铸造",
        "112.7621",
        "38.7124",
    ),
    (
        "演示·定襄法兰有限公司",
        "140921",
        "锻件及粉末冶金制品制造",
        "112.9621",
        "38.4782",
    ),
    (
        "演示·五台供热有限公司",
        "140922",
        "热力生产和供应",
        "113.2531",
        "38.7262",
    ),
    (
        "演示·繁峙选矿有限公司",
        "140924",
        "铁矿采选",
        "113.2689",
        "39.1873",
    ),
    (
        "演示·宁武煤业有限公司",
        "140925",
        "烟煤和无烟煤开采洗选",
        "112.3046",
        "39.0012",
    ),
];

/// The registry of the demo's enterprises, one gas outlet and one device each, with the given
/// device MNs (those of the simulated devices) and password; permits carry the limits the
/// simulator's uploads are judged against.
pub fn registry(mns: &[String], password: &str) -> Registry {
    let mut reg = Registry::default();
    for (i, mn) in mns.iter().enumerate() {
        let (name, county, industry, lon, lat) = ENTERPRISES[i % ENTERPRISES.len()];
        let first17 = format!("91{county}{:09}", 7_000_000 + i);
        let check = credit_code_check_char(&first17).unwrap_or('0');
        let credit_code = format!("{first17}{check}");
        let name = if i < ENTERPRISES.len() {
            name.to_string()
        } else {
            format!("{name}（{}）", i / ENTERPRISES.len() + 1)
        };
        reg.enterprises.push(Enterprise {
            credit_code: credit_code.clone(),
            name,
            division_code: Some(county.into()),
            industry: Some(industry.into()),
            address: None,
            longitude: Some(lon.into()),
            latitude: Some(lat.into()),
            permit_class: Some("key".into()),
        });
        reg.outlets.push(Outlet {
            credit_code: credit_code.clone(),
            code: "DA001".into(),
            name: "1号排气筒".into(),
            kind: OutletKind::Gas,
        });
        reg.devices.push(Device {
            mn: mn.clone(),
            credit_code: credit_code.clone(),
            outlet_code: "DA001".into(),
            protocol: "2017".into(),
            crc_policy: "strict".into(),
            password: password.into(),
            interval_secs: 10,
        });
        let permit = format!("{credit_code}001P");
        reg.permits.push(Permit {
            number: permit.clone(),
            credit_code: credit_code.clone(),
            valid_from: "2024-01-01".into(),
            valid_to: "2028-12-31".into(),
        });
        for (factor, limit, total) in [
            ("a21026", "35", "120"),
            ("a21002", "50", "200"),
            ("a34013", "10", "30"),
        ] {
            reg.limits.push(Limit {
                permit_number: permit.clone(),
                credit_code: credit_code.clone(),
                outlet_code: "DA001".into(),
                factor_code: factor.into(),
                hourly_limit: Some(limit.into()),
                use_converted: true,
                reference_o2: Some("6".into()),
                annual_total_t: Some(total.into()),
            });
        }
    }
    reg
}

/// The demo's air stations: code in the embedded data, name, level, county, longitude, latitude.
const STATIONS: [(&str, &str, &str, &str, &str, &str); 4] = [
    (
        "DEMO01",
        "演示·市监测站",
        "国控",
        "140902",
        "112.7340",
        "38.4170",
    ),
    (
        "DEMO02",
        "演示·忻州师院",
        "国控",
        "140902",
        "112.7205",
        "38.4003",
    ),
    (
        "DEMO03",
        "演示·原平市站",
        "省控",
        "140981",
        "112.7110",
        "38.7300",
    ),
    (
        "DEMO04",
        "演示·定襄县站",
        "县控",
        "140921",
        "112.9570",
        "38.4740",
    ),
];

/// The embedded hourly data with dates moved so that the last day is `last_day`.
fn air_file(last_day: NaiveDate) -> Result<ImportFile> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(AIR_HOURLY)
        .take(AIR_MAX_BYTES)
        .read_to_string(&mut text)
        .map_err(|e| Error::invalid("demo", format!("演示空气数据无法解压：{e}")))?;
    // Each station's months end on the same day of its own year: move each by whole days.
    let mut out = String::with_capacity(text.len());
    let mut shift: Vec<(String, Duration)> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if i == 0 {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let mut cells = line.splitn(3, ',');
        let (Some(station), Some(date), Some(rest)) = (cells.next(), cells.next(), cells.next())
        else {
            continue;
        };
        let Ok(d) = NaiveDate::parse_from_str(date, "%Y-%m-%d") else {
            continue;
        };
        let by = match shift.iter().find(|(s, _)| s == station) {
            Some((_, by)) => *by,
            None => {
                // The source months end on 30 November of their year.
                let end = NaiveDate::from_ymd_opt(d.year(), 11, 30).unwrap_or(d);
                let by = last_day - end;
                shift.push((station.to_string(), by));
                by
            }
        };
        out.push_str(&format!(
            "{station},{},{rest}\n",
            (d + by).format("%Y-%m-%d")
        ));
    }
    ImportFile::from_bytes(out.into_bytes()).map_err(|e| Error::invalid("demo", e.to_string()))
}

/// The demo's water sections: code, name, level, basin, county, target class, quality factor
/// (1 is about class III).
const SECTIONS: [(&str, &str, &str, &str, &str, &str, f64); 4] = [
    (
        "DEMO-W1",
        "演示·滹沱河界河铺",
        "国考",
        "滹沱河",
        "140922",
        "III",
        0.9,
    ),
    (
        "DEMO-W2",
        "演示·滹沱河南庄",
        "省考",
        "滹沱河",
        "140981",
        "III",
        1.15,
    ),
    (
        "DEMO-W3",
        "演示·云中河忻府",
        "市考",
        "云中河",
        "140902",
        "IV",
        1.45,
    ),
    (
        "DEMO-W4",
        "演示·汾河静乐",
        "国考",
        "汾河",
        "140926",
        "II",
        0.6,
    ),
];

/// Monthly results of one section: item, value near class III, decimals.
const ITEMS: [(&str, f64, usize); 8] = [
    ("pH", 7.6, 1),
    ("DO", 6.4, 1),
    ("CODMn", 4.6, 1),
    ("COD", 16.0, 0),
    ("BOD5", 3.0, 1),
    ("NH3N", 0.62, 2),
    ("TP", 0.13, 2),
    ("F", 0.55, 2),
];

fn water_samples(today: NaiveDate) -> Vec<NewWaterSample> {
    let mut noise = Noise(20_260_101);
    let mut out = Vec::new();
    for (code, _, _, _, _, _, quality) in SECTIONS {
        for year in today.year() - 2..=today.year() {
            for month in 1..=12u32 {
                let Some(date) = NaiveDate::from_ymd_opt(year, month, 10) else {
                    continue;
                };
                if date >= today {
                    break;
                }
                // Worse in the dry, warm months.
                let season =
                    1.0 + 0.2 * ((f64::from(month) - 7.0) / 12.0 * std::f64::consts::TAU).cos();
                for (item, base, decimals) in ITEMS {
                    let v = match item {
                        "pH" => base + noise.range(-0.4, 0.4),
                        // Dissolved oxygen falls as the water gets worse.
                        "DO" => base / (quality * season).max(0.5) * noise.range(0.9, 1.1),
                        _ => base * quality * season * noise.range(0.8, 1.2),
                    };
                    out.push(NewWaterSample {
                        section_code: code.into(),
                        date: date.format("%Y-%m-%d").to_string(),
                        item: item.into(),
                        value: format!("{v:.decimals$}"),
                        below_detection: false,
                        source: "import".into(),
                    });
                }
            }
        }
    }
    out
}

/// The number of decimals a value is written with.
fn decimals(d: &Decimal) -> usize {
    d.to_string().split_once('.').map_or(0, |(_, f)| f.len())
}

/// Values of the plan's numeric indicators for the city, from the year after the baseline to
/// last year: on a line from the baseline towards the first milestone's target, some ahead of
/// it and some behind.
fn indicator_values(plan: &Plan, today: NaiveDate) -> Vec<ValueRow> {
    let first = plan.meta.baseline_year;
    let Some(&milestone) = plan.meta.milestone_years.first() else {
        return Vec::new();
    };
    let last = (today.year() - 1).min(plan.meta.milestone_years.last().copied().unwrap_or(first));
    let mut noise = Noise(2_023);
    let mut out = Vec::new();
    let mut row = 1;
    for ind in &plan.indicators {
        let Some(base) = ind.baseline.as_ref() else {
            continue;
        };
        let b = base.to_f64();
        let target = match ind.target(milestone).map(|t| &t.kind) {
            Some(TargetKind::Value { value }) => value.to_f64(),
            Some(TargetKind::Hold) => b,
            Some(TargetKind::Reduction {
                percent,
                relative_to,
            }) if *relative_to == first => b * (1.0 - percent.to_f64() / 100.0),
            _ => continue,
        };
        let pace = noise.range(0.7, 1.15);
        let scale = decimals(base).max(1);
        for year in first + 1..=last {
            let t = f64::from(year - first) / f64::from(milestone - first);
            let mut v = b + (target - b) * (t * pace).min(1.2);
            if ind.is_percentage() {
                v = v.clamp(0.0, 100.0);
            }
            let Ok(value) = format!("{v:.scale$}").parse::<Decimal>() else {
                continue;
            };
            row += 1;
            out.push(ValueRow {
                row,
                indicator: ind.number,
                year,
                division: plan.meta.division.clone(),
                value,
                note: Some("演示数据".into()),
                reason: None,
            });
        }
    }
    out
}

/// A random device password (HJ 212 PW: letters and digits).
pub fn device_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";
    let mut rng = rand::rngs::OsRng;
    (0..10)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect()
}

/// A password that passes the account rule: letters of both cases, digits and a hyphen.
fn password() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut rng = rand::rngs::OsRng;
    let body: String = (0..12)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect();
    format!("Qs-{body}-7")
}

/// Fills a fresh database with the demo's sample data, `today` being the Beijing date: the
/// accounts (random passwords, returned once), air stations and their hours, water sections and
/// monthly results, the registry of `device_mns`, and indicator values. Refuses a database that
/// is not [`DbState::Fresh`].
pub async fn fill(
    store: &Store,
    plan: &Plan,
    today: NaiveDate,
    device_mns: &[String],
    device_password: &str,
) -> Result<Filled> {
    if state(store).await? != DbState::Fresh {
        return Err(Error::Conflict(
            "数据库不是空的：演示数据只写入新建的演示数据库".into(),
        ));
    }
    let actor = Actor {
        user_id: None,
        name: "demo".into(),
        peer: None,
    };
    let mut filled = Filled::default();
    for (username, role, display, unit, division, label) in [
        (
            "demo-admin",
            "admin",
            "演示管理员",
            None,
            None,
            "系统管理员",
        ),
        (
            "demo-staff",
            "staff",
            "演示·生态环境局",
            None,
            None,
            "生态环境局工作人员",
        ),
        (
            "demo-county",
            "county",
            "演示·忻府区",
            None,
            Some("140902"),
            "区县用户（忻府区）",
        ),
        (
            "demo-reporter",
            "reporter",
            "演示·市生态环境局填报员",
            Some("sthj"),
            None,
            "责任单位填报员",
        ),
    ] {
        let password = password();
        let unit_id = unit.filter(|u| plan.units.iter().any(|x| x.id == *u));
        if role == "reporter" && unit_id.is_none() {
            continue;
        }
        let new = new_user(
            plan,
            NewAccount {
                username: username.into(),
                display_name: display.into(),
                role: role.into(),
                unit_id: unit_id.map(str::to_string),
                division_code: division.map(str::to_string),
                password: password.clone(),
            },
        )?;
        store.create_user(&new, &actor).await?;
        filled.accounts.push(DemoAccount {
            username: username.into(),
            password,
            role: label,
        });
    }

    let stations: Vec<AirStation> = STATIONS
        .iter()
        .map(|(code, name, level, county, lon, lat)| AirStation {
            code: (*code).into(),
            name: (*name).into(),
            control_level: (*level).into(),
            division_code: Some((*county).into()),
            longitude: Some((*lon).into()),
            latitude: Some((*lat).into()),
        })
        .collect();
    filled.stations = store
        .upsert_air_stations(&stations, &actor)
        .await
        .map_err(|e| Error::invalid("demo", e.to_string()))?;
    let summary =
        crate::imports::air::import_hourly(store, &actor, air_file(today - Duration::days(1))?)
            .await?;
    filled.hours = summary.rows;

    let sections: Vec<WaterSection> = SECTIONS
        .iter()
        .map(
            |(code, name, level, basin, county, class, _)| WaterSection {
                code: (*code).into(),
                name: (*name).into(),
                level: (*level).into(),
                water_body: "river".into(),
                basin: Some((*basin).into()),
                division_code: Some((*county).into()),
                target_class: (*class).into(),
                is_drinking_source: false,
            },
        )
        .collect();
    filled.sections = store
        .upsert_water_sections(&sections, &actor)
        .await
        .map_err(|e| Error::invalid("demo", e.to_string()))?;
    let (w, _) = store
        .import_water_samples_changes(&water_samples(today), &actor)
        .await
        .map_err(|e| Error::invalid("demo", e.to_string()))?;
    filled.samples = w.rows;

    let reg = registry(device_mns, device_password);
    store.import_registry_changes(&reg, &actor).await?;
    filled.enterprises = reg.enterprises.len();

    let values = indicator_values(plan, today);
    let c = crate::values::record_imported(store, plan, &values, &actor).await?;
    filled.values = c.new + c.changed;

    store
        .audit(&AuditEntry::ok(&actor, MARKER, "database".into()).with_new(ATTRIBUTION.into()))
        .await?;
    Ok(filled)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_embedded_air_data_read_and_end_yesterday() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let series = crate::imports::air::read_hourly(air_file(day).unwrap()).unwrap();
        assert_eq!(series.len(), STATIONS.len());
        for s in &series {
            assert_eq!(s.days.last().map(|d| d.date), Some(day), "{}", s.station);
            assert!(s.days.len() >= 90, "{}", s.station);
        }
    }

    #[test]
    fn generated_values_pass_the_plan_checks() {
        let plan = qingshan_plan::xinzhou().unwrap();
        let today = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        let rows = indicator_values(&plan, today);
        assert!(rows.len() > 20, "{}", rows.len());
        let mut csv = String::from("indicator,year,division,value,note\n");
        for r in &rows {
            csv.push_str(&format!(
                "{},{},{},{},演示数据\n",
                r.indicator, r.year, r.division, r.value
            ));
        }
        let back =
            crate::imports::read_values(ImportFile::from_bytes(csv.into_bytes()).unwrap(), &plan)
                .unwrap();
        assert_eq!(back.len(), rows.len());
        let samples = water_samples(today);
        assert!(
            samples
                .iter()
                .all(|s| s.value.parse::<f64>().unwrap() > 0.0)
        );
        assert!(password().len() >= 12);
        assert!(crate::accounts::password_problem(&password(), "demo-admin").is_none());
    }
}
