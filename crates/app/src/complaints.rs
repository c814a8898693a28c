//! The complaints desk (信访投诉举报; issue 19). A citizen, without signing in, reports what,
//! where (a map point or an address, matched to a county and, where possible, to a registered
//! enterprise), when, with photos (their metadata stripped, [`photo`]) and optional contact
//! details, answering a small server-side sum ([`challenge`]); submissions are limited per
//! address. They get an unguessable tracking code (kept only as its SHA-256) to follow the case
//! and rate the reply. Staff accept, reject with a reason, merge duplicates (every merged
//! complainant sees the main case's reply) and route to a county or a department with a
//! deadline; the handler records investigation, findings, measures and the reply with
//! evidence. Overdue cases are listed and counted ([`attention`]).
//!
//! Privacy (《个人信息保护法》 Art. 6, 28): contact details and a photo's removed metadata are
//! shown only to staff and to the case's handler ([`handles`]); everywhere else — other
//! counties, the public, every export — they are masked or absent.

pub mod challenge;
pub mod photo;

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use hmac::{Hmac, Mac};
use qingshan_plan::{DivisionLevel, Plan};
use qingshan_store::{
    Actor, Complaint, ComplaintContact, ComplaintEvent, ComplaintFile, ComplaintFilter,
    ComplaintStep, NewComplaint, NewEvidence, NewPhoto, Paged, Role, Store, StoreError, Submitted,
    User, labels,
};
use rand::Rng;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{Error, Result};

/// Report categories, in the order the form lists them.
pub const CATEGORIES: [&str; 7] = ["air", "water", "noise", "waste", "soil", "ecology", "other"];
/// States of a complaint.
pub const STATES: [&str; 6] = [
    "submitted",
    "accepted",
    "routed",
    "closed",
    "rejected",
    "merged",
];
/// Findings of an investigation.
pub const FINDINGS: [&str; 3] = ["substantiated", "partly", "unsubstantiated"];
/// Longest description, address or note, characters.
pub const MAX_TEXT_CHARS: usize = 2000;
/// Most photos one report carries.
pub const MAX_PHOTOS: usize = 6;
/// Largest photo accepted, bytes (below the evidence limit when that is set higher).
pub const MAX_PHOTO_BYTES: usize = 10 * 1024 * 1024;
/// How near a registered enterprise's point a report's point must be to be linked to it, m.
pub const ENTERPRISE_RADIUS_M: f64 = 500.0;

/// The desk's settings; the deadlines are options (docs/complaints.md: the national rules
/// found give 15 days to tell a petitioner and 60 days to handle; 2 working days to decide
/// and 30 days to finish are Fujian's and Shaanxi's tip-off practice).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// Working days (Monday to Friday) after filing to accept or reject.
    pub accept_working_days: u32,
    /// Days after acceptance to finish.
    pub finish_days: u32,
    /// Submissions allowed per address in the window.
    pub max_per_window: i64,
    /// The window, seconds.
    pub window_secs: i64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            accept_working_days: 2,
            finish_days: 30,
            max_per_window: 10,
            window_secs: 60,
        }
    }
}

/// `d` plus `n` working days on the State Council's calendar (weekends, public holidays and
/// 调休 working days: `workdays-cn.toml`, the one the disclosure and credit deadlines use).
pub fn add_working_days(d: NaiveDate, n: u32) -> Result<NaiveDate> {
    Ok(crate::disclosure::calendar()?.add_working_days(d, n))
}

fn days_after(d: NaiveDate, n: u32) -> NaiveDate {
    d.checked_add_days(Days::new(n.into()))
        .unwrap_or(NaiveDate::MAX)
}

fn ymd(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn opt_text(field: &str, label: &str, v: Option<&str>, max: usize) -> Result<Option<String>> {
    let Some(v) = v.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let n = v.chars().count();
    if n > max {
        return Err(Error::invalid(
            field,
            format!("{label}最多 {max} 个字，现为 {n} 个字"),
        ));
    }
    Ok(Some(v.to_string()))
}

fn text(field: &str, label: &str, v: &str, max: usize) -> Result<String> {
    opt_text(field, label, Some(v), max)?
        .ok_or_else(|| Error::invalid(field, format!("请填写{label}")))
}

fn store_err(id: i64, e: StoreError) -> Error {
    match e {
        StoreError::NotFound(_) => Error::NotFound(format!("没有编号为 {id} 的投诉举报")),
        StoreError::Conflict(m) => Error::Conflict(m),
        other => other.into(),
    }
}

// ---------------------------------------------------------------------------------------------
// The key, the challenge, the tracking code

async fn key(store: &Store) -> Result<Vec<u8>> {
    let candidate: [u8; 32] = rand::thread_rng().r#gen();
    Ok(store
        .complaint_secret(&hex::encode(candidate))
        .await?
        .into_bytes())
}

/// A new submission challenge.
pub async fn new_challenge(store: &Store, now: DateTime<Utc>) -> Result<challenge::Challenge> {
    let key = key(store).await?;
    let mut rng = rand::thread_rng();
    let nonce: [u8; 12] = rng.r#gen();
    let (a, b) = (rng.gen_range(1..=20), rng.gen_range(1..=20));
    Ok(challenge::issue(
        &key,
        now.timestamp(),
        &hex::encode(nonce),
        a,
        b,
    ))
}

/// The letters of a tracking code: no 0/O, 1/I/L, so it can be read out and typed back.
const CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
/// Characters of a tracking code (31^20 ≈ 2^99 codes).
const CODE_LEN: usize = 20;

fn new_tracking_code() -> String {
    let mut rng = rand::thread_rng();
    let mut s = String::with_capacity(CODE_LEN + 4);
    for i in 0..CODE_LEN {
        if i > 0 && i % 4 == 0 {
            s.push('-');
        }
        s.push(char::from(
            CODE_ALPHABET[rng.gen_range(0..CODE_ALPHABET.len())],
        ));
    }
    s
}

/// A tracking code as typed (any case, spaces or dashes) reduced to its letters; `None` when it
/// cannot be one.
fn normalise_code(typed: &str) -> Option<String> {
    let s: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (s.len() == CODE_LEN && s.bytes().all(|b| CODE_ALPHABET.contains(&b))).then_some(s)
}

fn tracking_hash(normalised: &str) -> String {
    hex::encode(Sha256::digest(format!("qingshan-complaint:{normalised}")))
}

/// The address's key for the rate limit: an HMAC under the desk's secret, so the stored value
/// does not give the address back.
fn peer_hash(key: &[u8], peer: &str) -> String {
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mut m) => {
            m.update(peer.as_bytes());
            hex::encode(m.finalize().into_bytes())
        }
        Err(_) => hex::encode(Sha256::digest(peer)),
    }
}

// ---------------------------------------------------------------------------------------------
// Where: the county and the enterprise

/// A registered enterprise as the matching needs it.
#[derive(Debug, Clone)]
pub struct Registered {
    /// 统一社会信用代码.
    pub credit_code: String,
    /// Name.
    pub name: String,
    /// County, if registered.
    pub division_code: Option<String>,
    /// Its point (WGS-84), if registered.
    pub point: Option<(f64, f64)>,
}

/// What the matching found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Located {
    /// County code.
    pub division_code: Option<String>,
    /// chosen, point, address or enterprise.
    pub division_match: Option<String>,
    /// Enterprise.
    pub credit_code: Option<String>,
    /// name or distance.
    pub enterprise_match: Option<String>,
}

fn in_ring(ring: &[(f64, f64)], x: f64, y: f64) -> bool {
    let mut inside = false;
    let n = ring.len();
    if n < 3 {
        return false;
    }
    let mut j = n - 1;
    for i in 0..n {
        let (xi, yi) = ring[i];
        let (xj, yj) = ring[j];
        if (yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi {
            inside = !inside;
        }
        j = i;
    }
    inside
}

/// The county of the plan's map a WGS-84 point lies in.
pub fn county_at(plan: &Plan, lon: f64, lat: f64) -> Option<String> {
    let map = plan.map.as_ref()?;
    let (x, y) = map.crs.from_wgs84(lon, lat);
    map.shapes
        .iter()
        .find(|s| {
            s.polygons.iter().any(|poly| {
                let mut rings = poly.iter();
                rings.next().is_some_and(|outer| in_ring(outer, x, y))
                    && !rings.any(|hole| in_ring(hole, x, y))
            })
        })
        .map(|s| s.code.clone())
}

/// Great-circle distance in metres.
fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let r = 6_371_000.0;
    let (lon1, lat1) = (a.0.to_radians(), a.1.to_radians());
    let (lon2, lat2) = (b.0.to_radians(), b.1.to_radians());
    let h = ((lat2 - lat1) / 2.0).sin().powi(2)
        + lat1.cos() * lat2.cos() * ((lon2 - lon1) / 2.0).sin().powi(2);
    2.0 * r * h.sqrt().asin()
}

/// Matches a report to a county and an enterprise: a county chosen on the form wins, then the
/// county the point lies in, then a county named in the address. An enterprise named in the
/// description or address wins over the nearest registered point within
/// [`ENTERPRISE_RADIUS_M`]; without a county yet, the enterprise's county is taken.
pub fn locate(
    plan: &Plan,
    registered: &[Registered],
    chosen: Option<&str>,
    point: Option<(f64, f64)>,
    address: Option<&str>,
    description: &str,
) -> Located {
    let mut l = Located::default();
    let counties: Vec<_> = plan
        .divisions
        .iter()
        .filter(|d| d.level == DivisionLevel::County)
        .collect();
    if let Some(c) = chosen.filter(|c| counties.iter().any(|d| d.code == *c)) {
        l.division_code = Some(c.to_string());
        l.division_match = Some("chosen".into());
    } else if let Some(c) = point.and_then(|(lon, lat)| county_at(plan, lon, lat)) {
        l.division_code = Some(c);
        l.division_match = Some("point".into());
    } else if let Some(addr) = address {
        let stem = |n: &str| -> Option<String> {
            let mut c: Vec<char> = n.chars().collect();
            c.pop();
            (c.len() >= 2).then(|| c.into_iter().collect())
        };
        if let Some(d) = counties.iter().find(|d| {
            addr.contains(d.name.as_str()) || stem(&d.name).is_some_and(|s| addr.contains(&s))
        }) {
            l.division_code = Some(d.code.clone());
            l.division_match = Some("address".into());
        }
    }
    let named = registered.iter().find(|e| {
        e.name.chars().count() >= 4
            && (description.contains(e.name.as_str())
                || address.is_some_and(|a| a.contains(e.name.as_str())))
    });
    let near = point.and_then(|p| {
        registered
            .iter()
            .filter_map(|e| e.point.map(|q| (e, distance_m(p, q))))
            .filter(|(_, d)| *d <= ENTERPRISE_RADIUS_M)
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(e, _)| e)
    });
    let found = named
        .map(|e| (e, "name"))
        .or_else(|| near.map(|e| (e, "distance")));
    if let Some((e, how)) = found {
        l.credit_code = Some(e.credit_code.clone());
        l.enterprise_match = Some(how.into());
        if l.division_code.is_none() && e.division_code.is_some() {
            l.division_code = e.division_code.clone();
            l.division_match = Some("enterprise".into());
        }
    }
    l
}

async fn registered(store: &Store) -> Result<Vec<Registered>> {
    let reg = store.export_registry().await?;
    Ok(reg
        .enterprises
        .into_iter()
        .map(|e| {
            let point = match (&e.longitude, &e.latitude) {
                (Some(lon), Some(lat)) => lon.parse().ok().zip(lat.parse().ok()),
                _ => None,
            };
            Registered {
                credit_code: e.credit_code,
                name: e.name,
                division_code: e.division_code,
                point,
            }
        })
        .collect())
}

/// The Chinese label of how a county was matched.
pub fn division_match_label(code: &str) -> &'static str {
    match code {
        "chosen" => "投诉人选择",
        "point" => "按地图位置",
        "address" => "按地址",
        "enterprise" => "按所涉企业",
        _ => "其他",
    }
}

/// The Chinese label of how an enterprise was matched.
pub fn enterprise_match_label(code: &str) -> &'static str {
    match code {
        "name" => "按名称",
        "distance" => "按距离（500 米内最近）",
        _ => "其他",
    }
}

// ---------------------------------------------------------------------------------------------
// Submitting

/// A report as typed on the form or sent to the API.
#[derive(Debug, Clone, Default)]
pub struct Submission {
    /// Category code.
    pub category: String,
    /// What happened.
    pub description: String,
    /// Where, in words.
    pub address: Option<String>,
    /// WGS-84 longitude.
    pub longitude: Option<String>,
    /// WGS-84 latitude.
    pub latitude: Option<String>,
    /// A county chosen on the form.
    pub county: Option<String>,
    /// When.
    pub occurred_at: Option<String>,
    /// Stay anonymous: contact details are not kept even if typed.
    pub anonymous: bool,
    /// Name.
    pub contact_name: Option<String>,
    /// Telephone.
    pub phone: Option<String>,
    /// E-mail.
    pub email: Option<String>,
    /// The challenge token.
    pub challenge: String,
    /// The answer.
    pub answer: String,
}

/// What the complainant gets back.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Receipt {
    /// 案件编号.
    pub case_number: String,
    /// The tracking code: shown once, never stored in the clear.
    pub tracking_code: String,
    /// Last day to accept or reject it.
    pub accept_by: String,
}

/// The outcome of a submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubmitOutcome {
    /// Filed.
    Filed(Receipt),
    /// The address filed too many in the window (answer 429).
    RateLimited,
}

fn coordinate(field: &str, label: &str, v: Option<&str>, max: f64) -> Result<Option<f64>> {
    let Some(v) = v.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let x: f64 = v
        .parse()
        .ok()
        .filter(|x: &f64| x.is_finite() && x.abs() <= max)
        .ok_or_else(|| {
            Error::invalid(
                field,
                format!("「{v}」不是有效的{label}（十进制度，-{max} 至 {max}）"),
            )
        })?;
    Ok(Some(x))
}

fn check_occurred(v: Option<&str>) -> Result<Option<String>> {
    let Some(v) = v.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let v = v.replace('T', " ");
    let ok = chrono::NaiveDateTime::parse_from_str(&v, "%Y-%m-%d %H:%M").is_ok()
        || NaiveDate::parse_from_str(&v, "%Y-%m-%d").is_ok();
    if !ok {
        return Err(Error::invalid(
            "occurred_at",
            format!("「{v}」不是有效的时间，应为 YYYY-MM-DD 或 YYYY-MM-DD HH:MM"),
        ));
    }
    Ok(Some(v))
}

fn check_phone(v: Option<&str>) -> Result<Option<String>> {
    let Some(v) = opt_text("phone", "联系电话", v, 30)? else {
        return Ok(None);
    };
    let digits = v.chars().filter(char::is_ascii_digit).count();
    if digits < 5 || !v.chars().all(|c| c.is_ascii_digit() || "+- ()".contains(c)) {
        return Err(Error::invalid(
            "phone",
            "应为电话号码（数字，可含 + - 空格）",
        ));
    }
    Ok(Some(v))
}

/// Checks the photos of a report: at most [`MAX_PHOTOS`], each a JPEG or PNG (recognised by
/// content, as every evidence file) within `max_bytes`, and strips their metadata. `files` come
/// from [`crate::evidence::check_files`].
pub fn check_photos(files: Vec<NewEvidence>, max_bytes: usize) -> Result<Vec<NewPhoto>> {
    if files.len() > MAX_PHOTOS {
        return Err(Error::invalid(
            "photos",
            format!("每次最多上传 {MAX_PHOTOS} 张照片，本次 {} 张", files.len()),
        ));
    }
    let limit = max_bytes.min(MAX_PHOTO_BYTES);
    let mut out = Vec::with_capacity(files.len());
    for f in files {
        if f.content.len() > limit {
            return Err(Error::TooLarge(format!(
                "照片「{}」大小为 {}，超过每张 {} 的上限",
                f.file_name,
                crate::evidence::fmt_size(f.content.len() as u64),
                crate::evidence::fmt_size(limit as u64)
            )));
        }
        let stripped = match f.content_type.as_str() {
            "image/jpeg" => photo::strip_jpeg(&f.content),
            "image/png" => photo::strip_png(&f.content),
            _ => {
                return Err(Error::UnsupportedType(format!(
                    "文件「{}」不是照片：投诉举报只接受 JPEG 或 PNG 图片",
                    f.file_name
                )));
            }
        }
        .map_err(|why| Error::invalid("photos", format!("照片「{}」：{why}", f.file_name)))?;
        let meta = format!(
            "原文件 {}，{}；{}",
            f.file_name,
            crate::evidence::fmt_size(f.content.len() as u64),
            stripped.summary()
        );
        out.push(NewPhoto {
            file: NewEvidence {
                file_name: f.file_name,
                content_type: f.content_type,
                content: stripped.bytes,
            },
            meta,
        });
    }
    Ok(out)
}

/// Files a report from the public (no sign-in): the challenge answered, the fields checked,
/// the place matched, within the address's rate limit.
#[allow(clippy::too_many_arguments)]
pub async fn submit(
    store: &Store,
    plan: &Plan,
    actor: &Actor,
    peer: &str,
    s: &Submission,
    photos: &[NewPhoto],
    settings: &Settings,
    now: DateTime<Utc>,
) -> Result<SubmitOutcome> {
    let key = key(store).await?;
    let nonce = challenge::verify(&key, &s.challenge, &s.answer, now.timestamp())
        .map_err(|r| Error::invalid("answer", r.message()))?;
    let category = s.category.trim();
    if !CATEGORIES.contains(&category) {
        return Err(Error::invalid("category", "请选择投诉举报类别"));
    }
    let description = text("description", "问题描述", &s.description, MAX_TEXT_CHARS)?;
    let address = opt_text("address", "地点", s.address.as_deref(), 200)?;
    let lon = coordinate("longitude", "经度", s.longitude.as_deref(), 180.0)?;
    let lat = coordinate("latitude", "纬度", s.latitude.as_deref(), 90.0)?;
    if lon.is_some() != lat.is_some() {
        return Err(Error::invalid("latitude", "经度和纬度须同时填写"));
    }
    let point = lon.zip(lat);
    if point.is_none() && address.is_none() {
        return Err(Error::invalid(
            "address",
            "请填写地点，或在地图上选择位置（经纬度）",
        ));
    }
    let chosen = s.county.as_deref().map(str::trim).filter(|c| !c.is_empty());
    if let Some(c) = chosen
        && !plan
            .division(c)
            .is_some_and(|d| d.level == DivisionLevel::County)
    {
        return Err(Error::invalid(
            "county",
            format!("「{c}」不是本市的县（市、区）"),
        ));
    }
    let occurred_at = check_occurred(s.occurred_at.as_deref())?;
    let contact = if s.anonymous {
        None
    } else {
        let email = opt_text("email", "电子邮箱", s.email.as_deref(), 100)?;
        if email.as_deref().is_some_and(|e| !e.contains('@')) {
            return Err(Error::invalid("email", "应为电子邮箱地址"));
        }
        Some(ComplaintContact {
            name: opt_text("contact_name", "联系人姓名", s.contact_name.as_deref(), 50)?,
            phone: check_phone(s.phone.as_deref())?,
            email,
        })
        .filter(|k| !k.is_empty())
    };
    let reg = registered(store).await?;
    let located = locate(plan, &reg, chosen, point, address.as_deref(), &description);
    let today = crate::beijing::local(now).date();
    let accept_by = ymd(add_working_days(today, settings.accept_working_days)?);
    let new = NewComplaint {
        category: category.to_string(),
        description,
        address,
        longitude: lon.map(|v| format!("{v:.6}")),
        latitude: lat.map(|v| format!("{v:.6}")),
        division_code: located.division_code,
        division_match: located.division_match,
        credit_code: located.credit_code,
        enterprise_match: located.enterprise_match,
        occurred_at,
        anonymous: s.anonymous,
        accept_by: accept_by.clone(),
        contact,
    };
    let code = new_tracking_code();
    let hash = tracking_hash(&normalise_code(&code).unwrap_or_default());
    let since = (now - chrono::Duration::seconds(settings.window_secs))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    match store
        .submit_complaint(
            today.year(),
            &hash,
            &nonce,
            &peer_hash(&key, peer),
            &since,
            settings.max_per_window,
            &new,
            photos,
            actor,
        )
        .await?
    {
        Submitted::Filed(c) => Ok(SubmitOutcome::Filed(Receipt {
            case_number: c.case_number,
            tracking_code: code,
            accept_by,
        })),
        Submitted::RateLimited => Ok(SubmitOutcome::RateLimited),
        Submitted::ChallengeUsed => Err(Error::invalid(
            "answer",
            "验证题已使用过，请刷新页面后重新作答",
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// Following a case with its tracking code

/// A step as the complainant sees it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PublicStep {
    /// What happened, in Chinese.
    pub what: String,
    /// When (RFC 3339 UTC).
    pub at: String,
}

/// A case as its complainant follows it: no contact details, no handler names, no internal
/// notes.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Tracked {
    /// 案件编号.
    pub case_number: String,
    /// Category, in Chinese.
    pub category: String,
    /// The report.
    pub description: String,
    /// Filed (RFC 3339 UTC).
    pub submitted_at: String,
    /// State code of the case that is handled (the main case when merged).
    pub state: String,
    /// Its label.
    pub state_label: String,
    /// County, by name.
    pub county: String,
    /// Last day to accept.
    pub accept_by: String,
    /// Last day to finish.
    pub due_by: Option<String>,
    /// The main case's number when merged into it.
    pub merged_into: Option<String>,
    /// Why rejected.
    pub reject_reason: Option<String>,
    /// Finding, in Chinese.
    pub finding: Option<String>,
    /// Measures taken.
    pub measures: Option<String>,
    /// The reply.
    pub reply: Option<String>,
    /// When closed.
    pub closed_at: Option<String>,
    /// The complainant's rating.
    pub rating: Option<i64>,
    /// Whether a rating can be given now.
    pub may_rate: bool,
    /// Photos kept with the report.
    pub photos: usize,
    /// The steps.
    pub steps: Vec<PublicStep>,
}

async fn by_code(store: &Store, code: &str) -> Result<Complaint> {
    let not_found = || Error::NotFound("查询码不正确，或没有对应的投诉举报".into());
    let n = normalise_code(code).ok_or_else(not_found)?;
    store
        .complaint_by_tracking(&tracking_hash(&n))
        .await?
        .ok_or_else(not_found)
}

fn county_name(plan: &Plan, code: Option<&str>) -> String {
    code.and_then(|c| plan.division(c))
        .map_or_else(|| "未确定".to_string(), |d| d.name.clone())
}

/// The case a tracking code belongs to, as its complainant sees it; a merged case shows the
/// main case's progress and reply.
pub async fn track(store: &Store, plan: &Plan, code: &str) -> Result<Tracked> {
    let own = by_code(store, code).await?;
    tracked(store, plan, own).await
}

async fn tracked(store: &Store, plan: &Plan, own: Complaint) -> Result<Tracked> {
    let main = match own.merged_into {
        Some(m) => store.complaint(m).await?.unwrap_or_else(|| own.clone()),
        None => own.clone(),
    };
    let mut steps: Vec<PublicStep> = store
        .complaint_events(own.id)
        .await?
        .into_iter()
        .map(|e| public_step(plan, &e, None))
        .collect();
    if main.id != own.id {
        steps.extend(
            store
                .complaint_events(main.id)
                .await?
                .into_iter()
                .filter(|e| e.kind != "submit" && e.kind != "rate")
                .map(|e| public_step(plan, &e, Some(&main.case_number))),
        );
        steps.sort_by(|a, b| a.at.cmp(&b.at));
    }
    let photos = store
        .complaint_files(own.id)
        .await?
        .iter()
        .filter(|f| f.kind == "photo")
        .count();
    let finished = matches!(main.state.as_str(), "closed" | "rejected");
    Ok(Tracked {
        case_number: own.case_number.clone(),
        category: labels::complaint_category(&own.category).into_owned(),
        description: own.description.clone(),
        submitted_at: own.submitted_at.clone(),
        state: main.state.clone(),
        state_label: labels::complaint_state(&main.state).into_owned(),
        county: county_name(plan, main.division_code.as_deref()),
        accept_by: own.accept_by.clone(),
        due_by: main.due_by.clone(),
        merged_into: (main.id != own.id).then(|| main.case_number.clone()),
        reject_reason: main.reject_reason.clone(),
        finding: main
            .finding
            .as_deref()
            .map(|f| labels::complaint_finding(f).into_owned()),
        measures: main.measures.clone(),
        reply: main.reply.clone(),
        closed_at: main.closed_at.clone(),
        rating: own.rating,
        may_rate: finished && own.rating.is_none(),
        photos,
        steps,
    })
}

fn public_step(plan: &Plan, e: &ComplaintEvent, main: Option<&str>) -> PublicStep {
    let mut what = match e.kind.as_str() {
        "submit" => "已提交".to_string(),
        "accept" => "已受理".to_string(),
        "reject" => "不予受理".to_string(),
        "merge" => "与同一问题的其他投诉举报合并办理".to_string(),
        "route" => match (&e.for_county, &e.for_unit) {
            (Some(c), _) => format!("已交办{}", county_name(plan, Some(c))),
            (None, Some(u)) => format!(
                "已交办{}",
                plan.unit(u).map_or("有关部门", |u| u.name.as_str())
            ),
            _ => "已交办".to_string(),
        },
        "handle" => "已办结并答复".to_string(),
        "rate" => "已评价".to_string(),
        other => labels::complaint_event(other).into_owned(),
    };
    if let Some(m) = main {
        what = format!("主件 {m}：{what}");
    }
    PublicStep {
        what,
        at: e.at.clone(),
    }
}

/// The complainant rates the reply (1–5, once) with an optional comment.
pub async fn rate(
    store: &Store,
    plan: &Plan,
    actor: &Actor,
    code: &str,
    rating: &str,
    comment: Option<&str>,
) -> Result<Tracked> {
    let own = by_code(store, code).await?;
    let r: i64 = rating
        .trim()
        .parse()
        .ok()
        .filter(|r| (1..=5).contains(r))
        .ok_or_else(|| Error::invalid("rating", "请选择 1 至 5 星"))?;
    let comment = opt_text("note", "评价意见", comment, 500)?;
    let t = tracked(store, plan, own.clone()).await?;
    if !t.may_rate {
        return Err(Error::Conflict(if own.rating.is_some() {
            "该投诉举报已评价过".into()
        } else {
            "办结答复后才能评价".into()
        }));
    }
    store
        .complaint_step(
            own.id,
            &ComplaintStep::Rate { rating: r },
            comment.as_deref(),
            &[],
            actor,
        )
        .await
        .map_err(|e| store_err(own.id, e))?;
    tracked(store, plan, store.complaint(own.id).await?.unwrap_or(own)).await
}

// ---------------------------------------------------------------------------------------------
// Staff and handlers

/// Who may triage (accept, reject, merge, route): the bureau's staff and administrators.
pub fn may_triage(user: Option<&User>) -> Result<()> {
    let u = user.ok_or(Error::Unauthenticated)?;
    match u.role {
        Role::Admin | Role::Staff => Ok(()),
        _ => Err(Error::Forbidden(
            "投诉举报由生态环境局工作人员受理、交办".into(),
        )),
    }
}

/// Which complaints a user may list: staff all; a county official those routed to its county;
/// a department's reporter those routed to its unit. Enterprises are refused.
pub fn scope(user: Option<&User>) -> Result<(Option<String>, Option<String>)> {
    let u = user.ok_or(Error::Unauthenticated)?;
    match u.role {
        Role::Admin | Role::Staff => Ok((None, None)),
        Role::County => match &u.division_code {
            Some(c) => Ok((Some(c.clone()), None)),
            None => Err(Error::Forbidden("区县账号未设置所属区县".into())),
        },
        Role::Reporter => match &u.unit_id {
            Some(unit) => Ok((None, Some(unit.clone()))),
            None => Err(Error::Forbidden("填报账号未设置所属责任单位".into())),
        },
        Role::Enterprise => Err(Error::Forbidden(
            "投诉举报仅向生态环境局、承办区县和部门开放".into(),
        )),
    }
}

/// Whether `user` handles `c`: staff, or the county official or department reporter it was
/// routed to. Only they see contact details and photo metadata.
pub fn handles(user: Option<&User>, c: &Complaint) -> bool {
    let Some(u) = user else { return false };
    match u.role {
        Role::Admin | Role::Staff => true,
        Role::County => c.route_county.is_some() && u.division_code == c.route_county,
        Role::Reporter => c.route_unit.is_some() && u.unit_id == c.route_unit,
        Role::Enterprise => false,
    }
}

fn may_see(user: Option<&User>, c: &Complaint) -> Result<()> {
    let (county, unit) = scope(user)?;
    if county.is_some() && county != c.route_county {
        return Err(Error::Forbidden("该投诉举报未交办本区县".into()));
    }
    if unit.is_some() && unit != c.route_unit {
        return Err(Error::Forbidden("该投诉举报未交办本单位".into()));
    }
    Ok(())
}

/// Where a case stands against its deadlines on `today`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Due {
    /// Within its deadlines, or finished.
    OnTime,
    /// Not accepted or rejected by `accept_by` (受理超期).
    AcceptOverdue,
    /// Not finished by `due_by` (办理超期).
    HandleOverdue,
}

impl Due {
    /// Chinese label ("" when on time): an overdue case is escalated (升级督办).
    pub fn label(self) -> &'static str {
        match self {
            Due::OnTime => "",
            Due::AcceptOverdue => "受理超期，已升级督办",
            Due::HandleOverdue => "办理超期，已升级督办",
        }
    }
}

/// Whether `c` is overdue on `today`.
pub fn due(c: &Complaint, today: NaiveDate) -> Due {
    let before = |d: &str| NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok_and(|d| d < today);
    match c.state.as_str() {
        "submitted" if before(&c.accept_by) => Due::AcceptOverdue,
        "accepted" | "routed" if c.due_by.as_deref().is_some_and(before) => Due::HandleOverdue,
        _ => Due::OnTime,
    }
}

/// Which complaints a list asks for beyond the user's scope.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// State.
    pub state: Option<String>,
    /// Matched county (staff).
    pub county: Option<String>,
    /// Linked enterprise.
    pub credit_code: Option<String>,
    /// Only overdue (escalated) ones.
    pub overdue: bool,
}

/// One page of the complaints the user may see, newest first.
pub async fn list(
    store: &Store,
    user: Option<&User>,
    f: &ListFilter,
    today: NaiveDate,
    limit: i64,
    offset: i64,
) -> Result<Paged<Complaint>> {
    let (route_county, route_unit) = scope(user)?;
    let filter = ComplaintFilter {
        state: f.state.clone(),
        route_county,
        route_unit,
        division_code: f.county.clone(),
        credit_code: f.credit_code.clone(),
        overdue_on: f.overdue.then(|| ymd(today)),
    };
    Ok(store.complaints_paged(&filter, limit, offset).await?)
}

/// Overdue cases, for the dashboard: not accepted in time, not finished in time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Attention {
    /// 受理超期.
    pub accept_overdue: i64,
    /// 办理超期.
    pub handle_overdue: i64,
    /// Open cases (submitted, accepted, routed).
    pub open: i64,
}

/// Counts overdue (escalated) and open cases of the whole desk on `today`.
pub async fn attention(store: &Store, today: NaiveDate) -> Result<Attention> {
    let count = |state: &str, overdue: bool| {
        let f = ComplaintFilter {
            state: Some(state.to_string()),
            overdue_on: overdue.then(|| ymd(today)),
            ..Default::default()
        };
        async move { Ok::<i64, Error>(store.complaints_paged(&f, 1, 0).await?.total) }
    };
    Ok(Attention {
        accept_overdue: count("submitted", true).await?,
        handle_overdue: count("accepted", true).await? + count("routed", true).await?,
        open: count("submitted", false).await?
            + count("accepted", false).await?
            + count("routed", false).await?,
    })
}

/// A name masked: the first character kept (张*).
pub fn mask_name(v: &str) -> String {
    let mut c = v.chars();
    match c.next() {
        Some(first) => format!("{first}{}", "*".repeat(c.count().clamp(1, 3))),
        None => String::new(),
    }
}

/// A telephone number masked: the first three and last four digits kept when there are 11 or
/// more, otherwise only the last two.
pub fn mask_phone(v: &str) -> String {
    let d: Vec<char> = v.chars().filter(char::is_ascii_digit).collect();
    if d.len() >= 11 {
        format!(
            "{}****{}",
            d[..3].iter().collect::<String>(),
            d[d.len() - 4..].iter().collect::<String>()
        )
    } else if d.len() > 2 {
        format!(
            "{}{}",
            "*".repeat(d.len() - 2),
            d[d.len() - 2..].iter().collect::<String>()
        )
    } else {
        "**".into()
    }
}

/// An e-mail address masked: the first character of the local part and the domain kept.
pub fn mask_email(v: &str) -> String {
    match v.split_once('@') {
        Some((local, domain)) => format!("{}***@{domain}", local.chars().next().unwrap_or('*')),
        None => "***".into(),
    }
}

/// Contact details with every part masked.
pub fn masked(c: &ComplaintContact) -> ComplaintContact {
    ComplaintContact {
        name: c.name.as_deref().map(mask_name),
        phone: c.phone.as_deref().map(mask_phone),
        email: c.email.as_deref().map(mask_email),
    }
}

/// The contact details as a user may see them.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(tag = "shown", rename_all = "snake_case")]
pub enum ContactView {
    /// Anonymous, or none given.
    None,
    /// In full (the case's handler).
    Full(ComplaintContact),
    /// Masked (everyone else).
    Masked(ComplaintContact),
}

/// A complaint with what belongs to it, as the user may see it.
#[derive(Debug, Clone, Serialize)]
pub struct Detail {
    /// The complaint.
    pub complaint: Complaint,
    /// Whether the user handles it (sees contacts and photo metadata).
    pub handler: bool,
    /// The contact details.
    pub contact: ContactView,
    /// Steps, oldest first.
    pub events: Vec<ComplaintEvent>,
    /// Photos and evidence; `meta` only for the handler.
    pub files: Vec<ComplaintFile>,
    /// Cases merged into this one.
    pub merged: Vec<Complaint>,
    /// The main case, when this one was merged.
    pub main: Option<Complaint>,
}

async fn complaint(store: &Store, id: i64) -> Result<Complaint> {
    store
        .complaint(id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("没有编号为 {id} 的投诉举报")))
}

/// One complaint, if the user may see it. Showing the contact details in full is audited
/// (`complaint.contact_view`): who looked at whose details, and when.
pub async fn detail(store: &Store, user: Option<&User>, actor: &Actor, id: i64) -> Result<Detail> {
    let c = complaint(store, id).await?;
    may_see(user, &c)?;
    let handler = handles(user, &c);
    let contact = match store.complaint_contact(id).await? {
        None => ContactView::None,
        Some(k) if handler => {
            let mut a = qingshan_store::AuditEntry::ok(
                actor,
                "complaint.contact_view",
                format!("complaint:{id}"),
            );
            a.detail = Some(c.case_number.clone());
            store.audit(&a).await?;
            ContactView::Full(k)
        }
        Some(k) => ContactView::Masked(masked(&k)),
    };
    let mut files = store.complaint_files(id).await?;
    if !handler {
        for f in &mut files {
            f.meta = None;
        }
    }
    let main = match c.merged_into {
        Some(m) => store.complaint(m).await?,
        None => None,
    };
    Ok(Detail {
        events: store.complaint_events(id).await?,
        merged: store.complaints_merged_into(id).await?,
        complaint: c,
        handler,
        contact,
        files,
        main,
    })
}

/// A file of a complaint the user may see, with its content.
pub async fn file(store: &Store, user: Option<&User>, id: i64) -> Result<(ComplaintFile, Vec<u8>)> {
    let (f, content) = store
        .complaint_file(id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("没有编号为 {id} 的投诉举报照片或材料")))?;
    let c = complaint(store, f.complaint_id).await?;
    may_see(user, &c)?;
    Ok((f, content))
}

/// Accepts a case (staff): it must be finished within the configured days.
pub async fn accept(
    store: &Store,
    user: Option<&User>,
    actor: &Actor,
    id: i64,
    note: Option<&str>,
    settings: &Settings,
    today: NaiveDate,
) -> Result<Complaint> {
    may_triage(user)?;
    let note = opt_text("note", "说明", note, MAX_TEXT_CHARS)?;
    let due_by = ymd(days_after(today, settings.finish_days));
    store
        .complaint_step(
            id,
            &ComplaintStep::Accept { due_by },
            note.as_deref(),
            &[],
            actor,
        )
        .await
        .map_err(|e| store_err(id, e))
}

/// Rejects a case as out of scope (staff), with the reason the complainant reads.
pub async fn reject(
    store: &Store,
    user: Option<&User>,
    actor: &Actor,
    id: i64,
    reason: &str,
) -> Result<Complaint> {
    may_triage(user)?;
    let reason = text("reason", "不予受理的理由", reason, MAX_TEXT_CHARS)?;
    store
        .complaint_step(id, &ComplaintStep::Reject, Some(&reason), &[], actor)
        .await
        .map_err(|e| store_err(id, e))
}

/// Merges a duplicate into the main case (staff), given by its id or its case number.
pub async fn merge(
    store: &Store,
    user: Option<&User>,
    actor: &Actor,
    id: i64,
    into: &str,
) -> Result<Complaint> {
    may_triage(user)?;
    let into = into.trim();
    let target = match into.parse::<i64>() {
        Ok(n) => n,
        Err(_) => {
            let f = ComplaintFilter::default();
            // Case numbers are few per page of search; look them up directly.
            let mut found = None;
            let mut offset = 0;
            loop {
                let page = store.complaints_paged(&f, 500, offset).await?;
                if let Some(c) = page.items.iter().find(|c| c.case_number == into) {
                    found = Some(c.id);
                    break;
                }
                if page.items.len() < 500 {
                    break;
                }
                offset += 500;
            }
            found.ok_or_else(|| {
                Error::invalid("into", format!("没有案件编号为「{into}」的投诉举报"))
            })?
        }
    };
    store
        .complaint_step(id, &ComplaintStep::Merge { into: target }, None, &[], actor)
        .await
        .map_err(|e| store_err(id, e))
}

/// Where and by when a case is routed, as typed.
#[derive(Debug, Clone, Default)]
pub struct Routing {
    /// County code (either this or `unit`).
    pub county: Option<String>,
    /// The plan's unit id.
    pub unit: Option<String>,
    /// YYYY-MM-DD; empty: the configured days from today (or the deadline set on acceptance).
    pub due_by: Option<String>,
    /// Instructions to the handler.
    pub note: Option<String>,
}

/// Routes a case (交办, staff) to a county or a department with its deadline; a case not yet
/// accepted is accepted by it.
#[allow(clippy::too_many_arguments)]
pub async fn route(
    store: &Store,
    plan: &Plan,
    user: Option<&User>,
    actor: &Actor,
    id: i64,
    r: &Routing,
    settings: &Settings,
    today: NaiveDate,
) -> Result<Complaint> {
    may_triage(user)?;
    let some = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let (county, unit) = (some(&r.county), some(&r.unit));
    match (&county, &unit) {
        (Some(_), Some(_)) | (None, None) => {
            return Err(Error::invalid(
                "county",
                "请选择承办区县或承办部门（二选一）",
            ));
        }
        (Some(c), None) => {
            if !plan
                .division(c)
                .is_some_and(|d| d.level == DivisionLevel::County)
            {
                return Err(Error::invalid(
                    "county",
                    format!("「{c}」不是本市的县（市、区）"),
                ));
            }
        }
        (None, Some(u)) => {
            if plan.unit(u).is_none() {
                return Err(Error::invalid("unit", format!("「{u}」不是规划中的单位")));
            }
        }
    }
    let c = complaint(store, id).await?;
    let due_by = match some(&r.due_by) {
        Some(d) => {
            let d = NaiveDate::parse_from_str(&d, "%Y-%m-%d").map_err(|_| {
                Error::invalid("due_by", format!("「{d}」不是有效的日期，应为 YYYY-MM-DD"))
            })?;
            if d < today {
                return Err(Error::invalid("due_by", "办结期限不能早于今天"));
            }
            ymd(d)
        }
        None => c
            .due_by
            .clone()
            .unwrap_or_else(|| ymd(days_after(today, settings.finish_days))),
    };
    let note = opt_text("note", "交办意见", r.note.as_deref(), MAX_TEXT_CHARS)?;
    store
        .complaint_step(
            id,
            &ComplaintStep::Route {
                county,
                unit,
                due_by,
            },
            note.as_deref(),
            &[],
            actor,
        )
        .await
        .map_err(|e| store_err(id, e))
}

/// What the handler records to close a case.
#[derive(Debug, Clone, Default)]
pub struct Handling {
    /// The investigation (调查核实情况).
    pub investigation: String,
    /// substantiated, partly or unsubstantiated.
    pub finding: String,
    /// Measures taken.
    pub measures: String,
    /// The reply to the complainant.
    pub reply: String,
}

/// Closes a case with the investigation, finding, measures, reply and evidence files: the
/// handler it was routed to, or staff.
pub async fn handle(
    store: &Store,
    user: Option<&User>,
    actor: &Actor,
    id: i64,
    h: &Handling,
    files: &[NewEvidence],
) -> Result<Complaint> {
    let c = complaint(store, id).await?;
    if user.is_none() {
        return Err(Error::Unauthenticated);
    }
    if !handles(user, &c) {
        return Err(Error::Forbidden(
            "只有承办该投诉举报的区县、部门或生态环境局工作人员可以办结".into(),
        ));
    }
    let finding = h.finding.trim();
    if !FINDINGS.contains(&finding) {
        return Err(Error::invalid(
            "finding",
            "应为 substantiated（属实）、partly（部分属实）或 unsubstantiated（不属实）",
        ));
    }
    let investigation = text(
        "investigation",
        "调查核实情况",
        &h.investigation,
        MAX_TEXT_CHARS,
    )?;
    let measures = text("measures", "处理措施", &h.measures, MAX_TEXT_CHARS)?;
    let reply = text("reply", "答复内容", &h.reply, MAX_TEXT_CHARS)?;
    store
        .complaint_step(
            id,
            &ComplaintStep::Handle {
                finding: finding.to_string(),
                measures,
                reply,
            },
            Some(&investigation),
            files,
            actor,
        )
        .await
        .map_err(|e| store_err(id, e))
}

// ---------------------------------------------------------------------------------------------
// Enterprises, credit, statistics, exports

/// A complaint on an enterprise's record: no contacts, no photos.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct EnterpriseComplaint {
    /// 案件编号.
    pub case_number: String,
    /// Category, in Chinese.
    pub category: String,
    /// Filed (RFC 3339 UTC).
    pub submitted_at: String,
    /// State, in Chinese.
    pub state: String,
    /// Finding, in Chinese, once closed.
    pub finding: Option<String>,
    /// Finding code.
    pub finding_code: Option<String>,
    /// Measures taken.
    pub measures: Option<String>,
    /// When closed.
    pub closed_at: Option<String>,
}

async fn of_enterprise(store: &Store, credit_code: &str) -> Result<Vec<Complaint>> {
    let f = ComplaintFilter {
        credit_code: Some(credit_code.to_string()),
        ..Default::default()
    };
    let mut out = Vec::new();
    let mut offset = 0;
    loop {
        let page = store.complaints_paged(&f, 500, offset).await?;
        let n = page.items.len();
        out.extend(page.items);
        if n < 500 {
            break;
        }
        offset += 500;
    }
    Ok(out)
}

/// The complaints linked to an enterprise, for its record (staff, and the counties and
/// departments, which see every enterprise's record; the enterprise itself is refused, the
/// complainants being its neighbours).
pub async fn for_enterprise(
    store: &Store,
    user: Option<&User>,
    credit_code: &str,
) -> Result<Vec<EnterpriseComplaint>> {
    let u = user.ok_or(Error::Unauthenticated)?;
    if u.role == Role::Enterprise {
        return Err(Error::Forbidden("投诉举报信息不向被投诉企业开放".into()));
    }
    Ok(of_enterprise(store, credit_code)
        .await?
        .into_iter()
        .filter(|c| c.state != "merged")
        .map(|c| EnterpriseComplaint {
            case_number: c.case_number,
            category: labels::complaint_category(&c.category).into_owned(),
            submitted_at: c.submitted_at,
            state: labels::complaint_state(&c.state).into_owned(),
            finding: c
                .finding
                .as_deref()
                .map(|f| labels::complaint_finding(f).into_owned()),
            finding_code: c.finding,
            measures: c.measures,
            closed_at: c.closed_at,
        })
        .collect())
}

/// A substantiated complaint against an enterprise, for its credit rating.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Substantiated {
    /// 案件编号.
    pub case_number: String,
    /// substantiated or partly.
    pub finding: String,
    /// When closed (RFC 3339 UTC).
    pub closed_at: String,
    /// Complainants merged into the case count once: how many reports it stands for.
    pub reports: usize,
}

/// The complaints against `credit_code` closed in `year` (Beijing time) as substantiated or
/// partly substantiated: what the credit rating may count (社会监督).
pub async fn substantiated_for(
    store: &Store,
    credit_code: &str,
    year: i32,
) -> Result<Vec<Substantiated>> {
    let all = of_enterprise(store, credit_code).await?;
    let mut out = Vec::new();
    for c in &all {
        let (Some(finding), Some(closed)) = (&c.finding, &c.closed_at) else {
            continue;
        };
        if finding == "unsubstantiated" {
            continue;
        }
        let in_year = DateTime::parse_from_rfc3339(closed)
            .map(|t| crate::beijing::local(t.with_timezone(&Utc)).year() == year)
            .unwrap_or(false);
        if !in_year {
            continue;
        }
        out.push(Substantiated {
            case_number: c.case_number.clone(),
            finding: finding.clone(),
            closed_at: closed.clone(),
            reports: 1 + store.complaints_merged_into(c.id).await?.len(),
        });
    }
    Ok(out)
}

/// The desk's figures for the public (no contacts, no descriptions).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PublicStats {
    /// The year.
    pub year: i32,
    /// Reports filed.
    pub total: i64,
    /// Closed (办结).
    pub closed: i64,
    /// Rejected (不予受理).
    pub rejected: i64,
    /// Merged with another report.
    pub merged: i64,
    /// Still open.
    pub open: i64,
    /// Per state: (label, count).
    pub by_state: Vec<(String, i64)>,
    /// Per county: (name, count).
    pub by_county: Vec<(String, i64)>,
    /// Per category: (label, count).
    pub by_category: Vec<(String, i64)>,
    /// Per finding: (label, count).
    pub by_finding: Vec<(String, i64)>,
    /// Ratings given.
    pub rated: i64,
    /// Mean rating, one decimal, when any.
    pub mean_rating: Option<String>,
    /// Share of ratings of 4 or 5 is not kept; the mean is what the ratings support.
    pub note: String,
}

/// The year's figures of the desk, for the portal and beside indicator 22 (the complainants'
/// ratings are a supporting figure; the indicator is the statistics bureau's survey).
pub async fn public_stats(store: &Store, plan: &Plan, year: i32) -> Result<PublicStats> {
    let start = |y: i32| {
        NaiveDate::from_ymd_opt(y, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(crate::beijing::to_utc)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
            .ok_or_else(|| Error::invalid("year", format!("{y} 不是有效的年份")))
    };
    let c = store
        .complaint_counts(&start(year)?, &start(year + 1)?)
        .await?;
    let get = |s: &str| {
        c.by_state
            .iter()
            .find(|(k, _)| k == s)
            .map_or(0, |(_, n)| *n)
    };
    let total = c.by_state.iter().map(|(_, n)| n).sum();
    let mean_rating = (c.rated > 0).then(|| {
        // One decimal, rounded half up, in integers (no float in a published figure).
        let tenths = (c.rating_sum * 20 + c.rated) / (2 * c.rated);
        format!("{}.{}", tenths / 10, tenths % 10)
    });
    Ok(PublicStats {
        year,
        total,
        closed: get("closed"),
        rejected: get("rejected"),
        merged: get("merged"),
        open: get("submitted") + get("accepted") + get("routed"),
        by_state: c
            .by_state
            .iter()
            .map(|(k, n)| (labels::complaint_state(k).into_owned(), *n))
            .collect(),
        by_county: c
            .by_county
            .iter()
            .map(|(k, n)| (county_name(plan, k.as_deref()), *n))
            .collect(),
        by_category: c
            .by_category
            .iter()
            .map(|(k, n)| (labels::complaint_category(k).into_owned(), *n))
            .collect(),
        by_finding: c
            .by_finding
            .iter()
            .map(|(k, n)| (labels::complaint_finding(k).into_owned(), *n))
            .collect(),
        rated: c.rated,
        mean_rating,
        note: "投诉人对办理结果的评价（1–5 星）为指标 22（公众对生态环境质量满意度）的参考数据，指标本身以统计部门调查为准".into(),
    })
}

/// A closed case as published: category, county, finding and measures; no description (it
/// may name people), no contacts, no photos.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PublishedCase {
    /// 案件编号.
    pub case_number: String,
    /// Category, in Chinese.
    pub category: String,
    /// County, by name.
    pub county: String,
    /// Finding, in Chinese.
    pub finding: String,
    /// Measures taken.
    pub measures: String,
    /// When closed.
    pub closed_at: String,
}

/// The latest closed cases, for the portal.
pub async fn published(store: &Store, plan: &Plan, limit: i64) -> Result<Vec<PublishedCase>> {
    let f = ComplaintFilter {
        state: Some("closed".into()),
        ..Default::default()
    };
    Ok(store
        .complaints_paged(&f, limit, 0)
        .await?
        .items
        .into_iter()
        .map(|c| PublishedCase {
            case_number: c.case_number,
            category: labels::complaint_category(&c.category).into_owned(),
            county: county_name(plan, c.division_code.as_deref()),
            finding: c
                .finding
                .as_deref()
                .map(|f| labels::complaint_finding(f).into_owned())
                .unwrap_or_default(),
            measures: c.measures.unwrap_or_default(),
            closed_at: c.closed_at.unwrap_or_default(),
        })
        .collect())
}

/// The list as a table for CSV/XLSX export; contact details are always masked here, whoever
/// exports (a file leaves the system's access control).
pub async fn export_table(
    store: &Store,
    plan: &Plan,
    items: &[Complaint],
    today: NaiveDate,
) -> Result<(Vec<(&'static str, &'static str)>, Vec<Vec<String>>)> {
    let columns = vec![
        ("case_number", "案件编号"),
        ("submitted_at", "提交时间"),
        ("category", "类别"),
        ("description", "问题描述"),
        ("county", "所在区县"),
        ("enterprise", "涉及企业"),
        ("state", "状态"),
        ("accept_by", "受理期限"),
        ("due_by", "办结期限"),
        ("due", "超期提示"),
        ("handler", "承办单位"),
        ("finding", "调查结论"),
        ("closed_at", "办结时间"),
        ("rating", "评价"),
        ("contact", "联系方式（已脱敏）"),
    ];
    let mut rows = Vec::with_capacity(items.len());
    for c in items {
        let contact = match store.complaint_contact(c.id).await? {
            Some(k) => {
                let m = masked(&k);
                [m.name, m.phone, m.email]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ")
            }
            None if c.anonymous => "匿名".into(),
            None => String::new(),
        };
        let handler = match (&c.route_county, &c.route_unit) {
            (Some(k), _) => county_name(plan, Some(k)),
            (None, Some(u)) => plan.unit(u).map_or_else(|| u.clone(), |u| u.name.clone()),
            _ => String::new(),
        };
        rows.push(vec![
            c.case_number.clone(),
            crate::display::time(&c.submitted_at),
            labels::complaint_category(&c.category).into_owned(),
            c.description.clone(),
            county_name(plan, c.division_code.as_deref()),
            c.enterprise_name.clone().unwrap_or_default(),
            labels::complaint_state(&c.state).into_owned(),
            c.accept_by.clone(),
            c.due_by.clone().unwrap_or_default(),
            due(c, today).label().to_string(),
            handler,
            c.finding
                .as_deref()
                .map(|f| labels::complaint_finding(f).into_owned())
                .unwrap_or_default(),
            c.closed_at
                .as_deref()
                .map(crate::display::time)
                .unwrap_or_default(),
            c.rating.map(|r| r.to_string()).unwrap_or_default(),
            contact,
        ]);
    }
    Ok((columns, rows))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn plan() -> Plan {
        qingshan_plan::xinzhou().unwrap()
    }

    #[test]
    fn working_days_skip_weekends_and_holidays() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let add = |s: &str, n| add_working_days(d(s), n).unwrap();
        // Thursday + 2 working days = Monday.
        assert_eq!(add("2026-12-03", 2), d("2026-12-07"));
        assert_eq!(add("2026-12-07", 2), d("2026-12-09"));
        assert_eq!(add("2026-12-05", 0), d("2026-12-05"));
        // 国庆节 1–7 October 2026 is off; Saturday 10 October is a 调休 working day.
        assert_eq!(add("2026-09-30", 1), d("2026-10-08"));
        assert_eq!(add("2026-10-08", 2), d("2026-10-10"));
        // 春节 15–23 February 2026: Saturday the 14th is worked, the 24th is the next day.
        assert_eq!(add("2026-02-13", 1), d("2026-02-14"));
        assert_eq!(add("2026-02-14", 1), d("2026-02-24"));
    }

    #[test]
    fn tracking_codes_are_long_and_read_back_in_any_form() {
        let c = new_tracking_code();
        assert_eq!(c.len(), 24);
        let n = normalise_code(&c.to_lowercase().replace('-', " ")).unwrap();
        assert_eq!(
            tracking_hash(&n),
            tracking_hash(&normalise_code(&c).unwrap())
        );
        assert_ne!(new_tracking_code(), c);
        assert!(normalise_code("ABC").is_none());
        assert!(normalise_code("0000-0000-0000-0000-0000").is_none());
    }

    #[test]
    fn masks_keep_little() {
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("3021234"), "*****34");
        assert_eq!(mask_email("zhangsan@example.com"), "z***@example.com");
    }

    #[test]
    fn places_are_matched_to_counties_and_enterprises() {
        let p = plan();
        let map = p.map.as_ref().unwrap();
        // A point inside 忻府区's first ring: the mean of its vertices is inside for a
        // near-convex county; use the county the point is found in instead of assuming.
        let shape = map.shapes.iter().find(|s| s.code == "140902").unwrap();
        let ring = &shape.polygons[0][0];
        let (sx, sy) = ring
            .iter()
            .fold((0.0, 0.0), |(a, b), (x, y)| (a + x, b + y));
        let (cx, cy) = (sx / ring.len() as f64, sy / ring.len() as f64);
        // The map is GCJ-02; a WGS-84 point about 500 m south-west lands near the same spot.
        let found = county_at(&p, cx - 0.005, cy - 0.001);
        assert_eq!(found.as_deref(), Some("140902"));
        let reg = vec![Registered {
            credit_code: "91140900MA0000001X".into(),
            name: "忻州某某焦化有限公司".into(),
            division_code: Some("140981".into()),
            point: Some((cx - 0.005, cy - 0.001)),
        }];
        let l = locate(
            &p,
            &reg,
            None,
            Some((cx - 0.005, cy - 0.0012)),
            None,
            "冒黑烟",
        );
        assert_eq!(l.division_code.as_deref(), Some("140902"));
        assert_eq!(l.division_match.as_deref(), Some("point"));
        assert_eq!(l.enterprise_match.as_deref(), Some("distance"));
        let l = locate(
            &p,
            &reg,
            None,
            None,
            Some("原平市某村东"),
            "忻州某某焦化有限公司夜间偷排",
        );
        assert_eq!(l.division_code.as_deref(), Some("140981"));
        assert_eq!(l.division_match.as_deref(), Some("address"));
        assert_eq!(l.enterprise_match.as_deref(), Some("name"));
        let l = locate(&p, &reg, Some("140921"), None, Some("原平市"), "异味");
        assert_eq!(l.division_code.as_deref(), Some("140921"));
        assert_eq!(l.credit_code, None);
        let l = locate(
            &p,
            &reg,
            None,
            None,
            Some("不知道哪里"),
            "忻州某某焦化有限公司",
        );
        assert_eq!(l.division_match.as_deref(), Some("enterprise"));
    }

    #[test]
    fn overdue_cases_are_escalated() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let c = Complaint {
            id: 1,
            case_number: "TS2026-0001".into(),
            category: "air".into(),
            description: "x".into(),
            address: None,
            longitude: None,
            latitude: None,
            division_code: None,
            division_match: None,
            credit_code: None,
            enterprise_name: None,
            enterprise_match: None,
            occurred_at: None,
            anonymous: true,
            state: "submitted".into(),
            accept_by: "2026-12-07".into(),
            due_by: None,
            route_county: None,
            route_unit: None,
            reject_reason: None,
            merged_into: None,
            finding: None,
            investigation: None,
            measures: None,
            reply: None,
            closed_at: None,
            rating: None,
            rating_comment: None,
            rated_at: None,
            submitted_at: String::new(),
            updated_at: String::new(),
        };
        assert_eq!(due(&c, d("2026-12-07")), Due::OnTime);
        assert_eq!(due(&c, d("2026-12-08")), Due::AcceptOverdue);
        let routed = Complaint {
            state: "routed".into(),
            due_by: Some("2027-01-06".into()),
            ..c.clone()
        };
        assert_eq!(due(&routed, d("2027-01-07")), Due::HandleOverdue);
        let closed = Complaint {
            state: "closed".into(),
            ..routed
        };
        assert_eq!(due(&closed, d("2027-02-01")), Due::OnTime);
    }
}
