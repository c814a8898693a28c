//! The registry file: one flat CSV a spreadsheet user can fill in, one row per device and
//! permitted factor, enterprise and outlet columns repeated. Reading is all or nothing: any
//! bad cell refuses the whole file, each bad row named with its row and column.

use std::collections::BTreeMap;
use std::io::{Read, Write};

use qingshan_plan::{Decimal, iso_date};
use serde::Serialize;

use crate::check_credit_code;

/// The registry file's columns, in order (the downloadable template's header).
pub const REGISTRY_COLUMNS: [&str; 24] = [
    "credit_code",
    "enterprise_name",
    "division_code",
    "industry",
    "address",
    "longitude",
    "latitude",
    "permit_class",
    "outlet_code",
    "outlet_name",
    "outlet_kind",
    "mn",
    "protocol",
    "crc_policy",
    "password",
    "interval_secs",
    "permit_number",
    "permit_valid_from",
    "permit_valid_to",
    "factor_code",
    "hourly_limit",
    "use_converted",
    "reference_o2",
    "annual_total_t",
];

/// An enterprise (排污单位).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Enterprise {
    /// 统一社会信用代码.
    pub credit_code: String,
    /// Name.
    pub name: String,
    /// GB/T 2260 county code.
    pub division_code: Option<String>,
    /// Industry.
    pub industry: Option<String>,
    /// Address.
    pub address: Option<String>,
    /// Longitude, decimal degrees as written.
    pub longitude: Option<String>,
    /// Latitude, decimal degrees as written.
    pub latitude: Option<String>,
    /// Its class in the 固定污染源排污许可分类管理名录: `key` (重点管理), `simplified`
    /// (简化管理) — both must hold a permit — or `registration` (登记管理, no permit);
    /// `None`: not entered (indicator 23 leaves it out and lists it).
    pub permit_class: Option<String>,
}

/// The permit classes ([`Enterprise::permit_class`]): code and Chinese name.
pub const PERMIT_CLASSES: [(&str, &str); 3] = [
    ("key", "重点管理"),
    ("simplified", "简化管理"),
    ("registration", "登记管理"),
];

/// The Chinese name of a permit class code.
pub fn permit_class_name(code: &str) -> Option<&'static str> {
    PERMIT_CLASSES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, n)| *n)
}

/// Whether an enterprise of this class must hold a discharge permit (重点管理 and 简化管理).
pub fn permit_required(code: &str) -> bool {
    matches!(code, "key" | "simplified")
}

/// Gas or water outlet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutletKind {
    /// 废气排放口.
    Gas,
    /// 废水排放口.
    Water,
}

impl OutletKind {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            OutletKind::Gas => "gas",
            OutletKind::Water => "water",
        }
    }
}

/// An outlet (排放口) of an enterprise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outlet {
    /// Enterprise's credit code.
    pub credit_code: String,
    /// Outlet code (e.g. DA001, DW001).
    pub code: String,
    /// Name.
    pub name: String,
    /// Gas or water.
    pub kind: OutletKind,
}

/// A device's CRC policy name (`strict` or `field`, as the protocol crate defines them).
pub type CrcPolicyName = String;

/// A monitoring device (数采仪) on an outlet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Device {
    /// MN, the device id.
    pub mn: String,
    /// Enterprise's credit code.
    pub credit_code: String,
    /// Outlet code.
    pub outlet_code: String,
    /// "2005", "2017" or "2025".
    pub protocol: String,
    /// "strict" or "field".
    pub crc_policy: CrcPolicyName,
    /// PW the device must send.
    pub password: String,
    /// Expected reporting interval, seconds.
    pub interval_secs: u32,
}

/// A discharge permit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Permit {
    /// Permit number.
    pub number: String,
    /// Enterprise's credit code.
    pub credit_code: String,
    /// First valid day, YYYY-MM-DD.
    pub valid_from: String,
    /// Last valid day, YYYY-MM-DD.
    pub valid_to: String,
}

/// A permitted limit for one outlet and factor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Limit {
    /// Permit number.
    pub permit_number: String,
    /// Enterprise's credit code.
    pub credit_code: String,
    /// Outlet code.
    pub outlet_code: String,
    /// HJ 212 factor code (2017 codes, e.g. a21026).
    pub factor_code: String,
    /// Hourly concentration limit, exact decimal text.
    pub hourly_limit: Option<String>,
    /// Judge the converted (Zs) value, for gas outlets with a reference O2.
    pub use_converted: bool,
    /// Reference O2 (%) for converted values.
    pub reference_o2: Option<String>,
    /// Annual permitted total, t/a.
    pub annual_total_t: Option<String>,
}

/// A whole registry file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Registry {
    /// Enterprises by credit code.
    pub enterprises: Vec<Enterprise>,
    /// Outlets.
    pub outlets: Vec<Outlet>,
    /// Devices.
    pub devices: Vec<Device>,
    /// Permits.
    pub permits: Vec<Permit>,
    /// Limits.
    pub limits: Vec<Limit>,
}

/// A registry file that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// The CSV itself is broken.
    #[error("第 {row} 行: CSV 格式错误: {message}")]
    Csv {
        /// 1-based row (the header is row 1).
        row: u64,
        /// Why.
        message: String,
    },
    /// A column the file must have is missing, or one it has is unknown.
    #[error("表头: {0}")]
    Header(String),
    /// A cell is wrong.
    #[error("第 {row} 行「{column}」列: {message}")]
    Cell {
        /// 1-based row (the header is row 1).
        row: u64,
        /// Column name.
        column: String,
        /// Why.
        message: String,
    },
}

impl RegistryError {
    /// Stable kind.
    pub fn kind(&self) -> &'static str {
        match self {
            RegistryError::Csv { .. } => "csv",
            RegistryError::Header(_) => "header",
            RegistryError::Cell { .. } => "cell",
        }
    }
}

/// A cell of a re-imported export without the `'` that the server's CSV exports put before a
/// leading `=`, `+`, `-`, `@`, tab or CR (spreadsheet formula injection, see the server's
/// `csv_safe`), so an exported registry imports back unchanged.
fn without_formula_guard(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest.trim(),
        _ => s,
    }
}

struct Row<'a> {
    n: u64,
    rec: &'a csv::StringRecord,
    idx: &'a BTreeMap<&'static str, usize>,
}

impl Row<'_> {
    fn get(&self, col: &str) -> Option<String> {
        self.idx
            .get(col)
            .and_then(|&i| self.rec.get(i))
            .map(str::trim)
            .map(without_formula_guard)
            .filter(|s| !s.is_empty())
            .map(String::from)
    }
    fn err(&self, col: &str, msg: impl Into<String>) -> RegistryError {
        RegistryError::Cell {
            row: self.n,
            column: col.to_string(),
            message: clip_quoted(&msg.into()),
        }
    }
    fn need(&self, col: &str) -> Result<String, RegistryError> {
        self.get(col).ok_or_else(|| self.err(col, "不能为空"))
    }
    fn decimal(&self, col: &str) -> Result<Option<String>, RegistryError> {
        match self.get(col) {
            // The supervisor later reads these cells as plan decimals: refuse here what it
            // could not read there.
            Some(v) => match v.parse::<Decimal>() {
                Ok(_) => Ok(Some(v)),
                Err(e) => Err(self.err(col, e.to_string())),
            },
            None => Ok(None),
        }
    }
}

/// How many characters of a cell a message repeats (as `qingshan_tabular::PREVIEW_CHARS`).
const QUOTED_CHARS: usize = 100;

/// `message` with every quoted cell (`「…」`) cut to [`QUOTED_CHARS`] characters and `…`, so
/// that no message echoes a huge cell back. Written here, not taken from `qingshan_tabular`,
/// because this reader does not depend on it.
fn clip_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len().min(1024));
    let mut rest = message;
    while let Some(open) = rest.find('「') {
        let (before, quoted) = rest.split_at(open + '「'.len_utf8());
        out.push_str(before);
        let end = quoted.find('」').unwrap_or(quoted.len());
        let inner = &quoted[..end];
        match inner.char_indices().nth(QUOTED_CHARS) {
            Some((cut, _)) => {
                out.push_str(&inner[..cut]);
                out.push('…');
            }
            None => out.push_str(inner),
        }
        rest = &quoted[end..];
    }
    out.push_str(rest);
    out
}

/// A CSV reader's error in words: the file reaches the reader as UTF-8 rows already, so what
/// remains is a broken file given to the reader directly.
fn csv_message(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "不是有效的 UTF-8 文本".to_string(),
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("应有 {expected_len} 列，实有 {len} 列"),
        csv::ErrorKind::Io(io) => format!("读取失败：{io}"),
        _ => "无法解析".to_string(),
    }
}

/// Adds `item` under `key`, or checks it equals what an earlier row said.
fn merge<T: PartialEq + Clone>(
    map: &mut BTreeMap<String, T>,
    key: String,
    item: T,
    row: &Row<'_>,
    col: &str,
    what: &str,
) -> Result<(), RegistryError> {
    match map.get(&key) {
        Some(prev) if *prev != item => {
            Err(row.err(col, format!("{what}「{key}」在前面的行中信息不同")))
        }
        Some(_) => Ok(()),
        None => {
            map.insert(key, item);
            Ok(())
        }
    }
}

/// Reads a registry CSV (UTF-8, optional BOM), one record per spreadsheet row as
/// `qingshan_tabular::read_import` renders any import file: record n is row n, so rows are
/// numbered as the spreadsheet shows them. Records of only empty or blank cells (the empty rows
/// a spreadsheet leaves) are skipped, still counted. All or nothing: the first bad row refuses
/// the file ([`read_registry_all`] lists every bad row).
pub fn read_registry(input: impl Read) -> Result<Registry, RegistryError> {
    read_registry_all(input).map_err(|mut all| all.swap_remove(0))
}

/// As [`read_registry`], but every bad row is reported (one error per row, in row order; a
/// header error alone). The error list is never empty.
pub fn read_registry_all(input: impl Read) -> Result<Registry, Vec<RegistryError>> {
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(input);
    let headers = rdr
        .headers()
        .map_err(|e| {
            vec![RegistryError::Csv {
                row: 1,
                message: csv_message(&e),
            }]
        })?
        .clone();
    let mut idx = BTreeMap::new();
    for (i, h) in headers.iter().enumerate() {
        let h = h.trim().trim_start_matches('\u{feff}');
        match REGISTRY_COLUMNS.iter().find(|c| **c == h) {
            Some(c) => {
                if idx.insert(*c, i).is_some() {
                    return Err(vec![RegistryError::Header(format!("列「{h}」重复"))]);
                }
            }
            None => {
                return Err(vec![RegistryError::Header(clip_quoted(&format!(
                    "未知列「{h}」；可用列：{}",
                    REGISTRY_COLUMNS.join(",")
                )))]);
            }
        }
    }
    for c in [
        "credit_code",
        "enterprise_name",
        "outlet_code",
        "outlet_name",
        "outlet_kind",
        "mn",
        "protocol",
        "crc_policy",
        "password",
    ] {
        if !idx.contains_key(c) {
            return Err(vec![RegistryError::Header(format!("缺少必需列「{c}」"))]);
        }
    }
    let mut enterprises = BTreeMap::new();
    let mut outlets = BTreeMap::new();
    let mut devices = BTreeMap::new();
    let mut permits = BTreeMap::new();
    let mut limits = BTreeMap::new();
    let mut errors = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let n = i as u64 + 2;
        let checked = (|| -> Result<(), RegistryError> {
            let rec = rec.map_err(|e| RegistryError::Csv {
                row: n,
                message: csv_message(&e),
            })?;
            if rec.iter().all(|f| f.trim().is_empty()) {
                return Ok(());
            }
            if rec.len() != headers.len() {
                return Err(RegistryError::Csv {
                    row: n,
                    message: format!("应有 {} 列，实有 {} 列", headers.len(), rec.len()),
                });
            }
            let row = Row {
                n,
                rec: &rec,
                idx: &idx,
            };
            let credit_code = row.need("credit_code")?.to_ascii_uppercase();
            check_credit_code(&credit_code).map_err(|e| row.err("credit_code", e.to_string()))?;
            let division_code = row.get("division_code");
            if let Some(d) = &division_code
                && (d.len() != 6 || !d.bytes().all(|b| b.is_ascii_digit()))
            {
                return Err(row.err("division_code", "行政区划代码应为 6 位数字"));
            }
            let ent = Enterprise {
                credit_code: credit_code.clone(),
                name: row.need("enterprise_name")?,
                division_code,
                industry: row.get("industry"),
                address: row.get("address"),
                longitude: row.decimal("longitude")?,
                latitude: row.decimal("latitude")?,
                permit_class: match row.get("permit_class") {
                    None => None,
                    Some(v) => Some(
                        PERMIT_CLASSES
                            .iter()
                            .find(|(c, n)| *c == v || *n == v)
                            .map(|(c, _)| c.to_string())
                            .ok_or_else(|| {
                                row.err(
                                    "permit_class",
                                    format!("「{v}」应为 重点管理、简化管理 或 登记管理"),
                                )
                            })?,
                    ),
                },
            };
            merge(
                &mut enterprises,
                credit_code.clone(),
                ent,
                &row,
                "enterprise_name",
                "企业",
            )?;
            let outlet_code = row.need("outlet_code")?;
            let kind = match row.need("outlet_kind")?.as_str() {
                "gas" | "废气" => OutletKind::Gas,
                "water" | "废水" => OutletKind::Water,
                other => {
                    return Err(row.err(
                        "outlet_kind",
                        format!("「{other}」应为 废气 或 废水（也可填 gas、water）"),
                    ));
                }
            };
            let outlet = Outlet {
                credit_code: credit_code.clone(),
                code: outlet_code.clone(),
                name: row.need("outlet_name")?,
                kind,
            };
            merge(
                &mut outlets,
                format!("{credit_code}/{outlet_code}"),
                outlet,
                &row,
                "outlet_name",
                "排放口",
            )?;
            let mn = row.need("mn")?;
            if mn.len() > 24 || !mn.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(row.err("mn", "MN 应为不超过 24 位的字母数字"));
            }
            let protocol = row.need("protocol")?;
            if !matches!(protocol.as_str(), "2005" | "2017" | "2025") {
                return Err(row.err("protocol", "应为 2005、2017 或 2025"));
            }
            let crc_policy = row.need("crc_policy")?;
            if !matches!(crc_policy.as_str(), "strict" | "field") {
                return Err(row.err("crc_policy", "应为 strict 或 field"));
            }
            let password = row.need("password")?;
            if password.len() > 32 || password.contains([';', '&', ',', '=']) {
                return Err(row.err("password", "密码不超过 32 个字符，且不含 ; & , ="));
            }
            let interval_secs = match row.get("interval_secs") {
                Some(v) => v
                    .parse::<u32>()
                    .ok()
                    .filter(|v| *v > 0)
                    .ok_or_else(|| row.err("interval_secs", format!("「{v}」应为正整数秒")))?,
                None => 60,
            };
            let dev = Device {
                mn: mn.clone(),
                credit_code: credit_code.clone(),
                outlet_code: outlet_code.clone(),
                protocol,
                crc_policy,
                password,
                interval_secs,
            };
            merge(&mut devices, mn, dev, &row, "mn", "设备")?;
            if let Some(number) = row.get("permit_number") {
                let from = row.need("permit_valid_from")?;
                let to = row.need("permit_valid_to")?;
                for (c, v) in [("permit_valid_from", &from), ("permit_valid_to", &to)] {
                    if iso_date(v).is_none() {
                        return Err(row.err(c, format!("「{v}」不是有效日期（应为 YYYY-MM-DD）")));
                    }
                }
                if from > to {
                    return Err(row.err("permit_valid_to", "有效期止早于起"));
                }
                let permit = Permit {
                    number: number.clone(),
                    credit_code: credit_code.clone(),
                    valid_from: from,
                    valid_to: to,
                };
                merge(
                    &mut permits,
                    number.clone(),
                    permit,
                    &row,
                    "permit_number",
                    "许可证",
                )?;
                if let Some(factor) = row.get("factor_code") {
                    // Case-insensitive: a spreadsheet turns a typed `true` into the boolean `TRUE`.
                    let use_converted = match row.get("use_converted") {
                        None => false,
                        Some(v) => match v.to_ascii_lowercase().as_str() {
                            "0" | "false" | "否" => false,
                            "1" | "true" | "是" => true,
                            _ => return Err(row.err("use_converted", format!("「{v}」应为 是/否"))),
                        },
                    };
                    let reference_o2 = row.decimal("reference_o2")?;
                    if use_converted && reference_o2.is_none() {
                        return Err(row.err("reference_o2", "按折算值判定时须给出基准氧含量"));
                    }
                    let limit = Limit {
                        permit_number: number,
                        credit_code: credit_code.clone(),
                        outlet_code: outlet_code.clone(),
                        factor_code: factor.clone(),
                        hourly_limit: row.decimal("hourly_limit")?,
                        use_converted,
                        reference_o2,
                        annual_total_t: row.decimal("annual_total_t")?,
                    };
                    merge(
                        &mut limits,
                        format!(
                            "{}/{credit_code}/{outlet_code}/{factor}",
                            limit.permit_number
                        ),
                        limit,
                        &row,
                        "factor_code",
                        "限值",
                    )?;
                }
            } else if row.get("factor_code").is_some() {
                return Err(row.err("permit_number", "填写了因子限值却没有许可证编号"));
            }
            Ok(())
        })();
        if let Err(e) = checked {
            errors.push(e);
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Registry {
        enterprises: enterprises.into_values().collect(),
        outlets: outlets.into_values().collect(),
        devices: devices.into_values().collect(),
        permits: permits.into_values().collect(),
        limits: limits.into_values().collect(),
    })
}

/// Writes a registry as CSV, one row per device and limit (the same layout [`read_registry`] reads).
pub fn write_registry(reg: &Registry, out: impl Write) -> Result<(), csv::Error> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(REGISTRY_COLUMNS)?;
    for r in registry_rows(reg) {
        w.write_record(&r)?;
    }
    w.flush()?;
    Ok(())
}

/// The registry as the rows of its import file, in [`REGISTRY_COLUMNS`] order: one row per
/// device and permitted limit, or one per device without limits.
pub fn registry_rows(reg: &Registry) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let opt = |o: &Option<String>| o.clone().unwrap_or_default();
    for d in &reg.devices {
        let Some(e) = reg
            .enterprises
            .iter()
            .find(|e| e.credit_code == d.credit_code)
        else {
            continue;
        };
        let Some(o) = reg
            .outlets
            .iter()
            .find(|o| o.credit_code == d.credit_code && o.code == d.outlet_code)
        else {
            continue;
        };
        let base = vec![
            e.credit_code.clone(),
            e.name.clone(),
            opt(&e.division_code),
            opt(&e.industry),
            opt(&e.address),
            opt(&e.longitude),
            opt(&e.latitude),
            e.permit_class
                .as_deref()
                .and_then(permit_class_name)
                .unwrap_or_default()
                .to_string(),
            o.code.clone(),
            o.name.clone(),
            o.kind.as_str().to_string(),
            d.mn.clone(),
            d.protocol.clone(),
            d.crc_policy.clone(),
            d.password.clone(),
            d.interval_secs.to_string(),
        ];
        let limits: Vec<&Limit> = reg
            .limits
            .iter()
            .filter(|l| l.credit_code == d.credit_code && l.outlet_code == d.outlet_code)
            .collect();
        if limits.is_empty() {
            let mut r = base.clone();
            r.extend(std::iter::repeat_n(String::new(), 8));
            rows.push(r);
        }
        for l in limits {
            let p = reg.permits.iter().find(|p| p.number == l.permit_number);
            let mut r = base.clone();
            r.extend([
                l.permit_number.clone(),
                p.map(|p| p.valid_from.clone()).unwrap_or_default(),
                p.map(|p| p.valid_to.clone()).unwrap_or_default(),
                l.factor_code.clone(),
                opt(&l.hourly_limit),
                if l.use_converted {
                    "1".into()
                } else {
                    "0".into()
                },
                opt(&l.reference_o2),
                opt(&l.annual_total_t),
            ]);
            rows.push(r);
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const HEADER: &str = "credit_code,enterprise_name,division_code,industry,address,longitude,latitude,outlet_code,outlet_name,outlet_kind,mn,protocol,crc_policy,password,interval_secs,permit_number,permit_valid_from,permit_valid_to,factor_code,hourly_limit,use_converted,reference_o2,annual_total_t";

    fn file(rows: &[&str]) -> String {
        let mut s = HEADER.to_string();
        for r in rows {
            s.push('\n');
            s.push_str(r);
        }
        s
    }

    const ROW1: &str = "9144030071526726XG,某热电有限公司,140902,电力,忻府区,112.73,38.42,DA001,1号锅炉,gas,010000A8900016F000169DC0,2017,strict,123456,60,91140900MA0001,2024-01-01,2028-12-31,a21026,35,1,6,120.5";
    const ROW2: &str = "9144030071526726XG,某热电有限公司,140902,电力,忻府区,112.73,38.42,DA001,1号锅炉,gas,010000A8900016F000169DC0,2017,strict,123456,60,91140900MA0001,2024-01-01,2028-12-31,a21002,50,1,6,200";

    #[test]
    fn reads_and_merges_repeated_columns() {
        let reg = read_registry(file(&[ROW1, ROW2]).as_bytes()).unwrap();
        assert_eq!(
            (
                reg.enterprises.len(),
                reg.outlets.len(),
                reg.devices.len(),
                reg.permits.len(),
                reg.limits.len()
            ),
            (1, 1, 1, 1, 2)
        );
        assert_eq!(reg.limits[0].hourly_limit.as_deref(), Some("50"));
        assert!(reg.limits[1].use_converted);
        let mut out = Vec::new();
        write_registry(&reg, &mut out).unwrap();
        assert_eq!(read_registry(out.as_slice()).unwrap(), reg);
    }

    #[test]
    fn bad_cells_name_row_and_column() {
        let bad_code = ROW2.replacen("9144030071526726XG", "9144030071526726X1", 1);
        let e = read_registry(file(&[ROW1, &bad_code]).as_bytes()).unwrap_err();
        assert_eq!(
            e,
            RegistryError::Cell {
                row: 3,
                column: "credit_code".into(),
                message: "校验位应为「G」，实为「1」".into()
            }
        );
        let e =
            read_registry(file(&[&ROW1.replacen(",35,", ",三十五,", 1)]).as_bytes()).unwrap_err();
        assert!(
            matches!(e, RegistryError::Cell { row: 2, ref column, .. } if column == "hourly_limit"),
            "{e}"
        );
        let e = read_registry(file(&[ROW1, &ROW2.replacen("1号锅炉", "2号锅炉", 1)]).as_bytes())
            .unwrap_err();
        assert!(
            matches!(e, RegistryError::Cell { row: 3, ref column, .. } if column == "outlet_name"),
            "{e}"
        );
        let e = read_registry(file(&[&ROW1.replacen(",gas,", ",air,", 1)]).as_bytes()).unwrap_err();
        assert!(e.to_string().starts_with("第 2 行「outlet_kind」列"), "{e}");
        let excel_true = ROW1.replacen(",35,1,6,", ",35,TRUE,6,", 1);
        assert!(
            read_registry(file(&[&excel_true]).as_bytes())
                .unwrap()
                .limits[0]
                .use_converted
        );
        for (from, to, column) in [
            ("2024-13-45", "2028-12-31", "permit_valid_from"),
            ("2024-01-01", "2028-02-30", "permit_valid_to"),
            ("2024-1-01", "2028-12-31", "permit_valid_from"),
        ] {
            let row = ROW1.replacen("2024-01-01,2028-12-31", &format!("{from},{to}"), 1);
            let e = read_registry(file(&[&row]).as_bytes()).unwrap_err();
            let bad = if column == "permit_valid_from" {
                from
            } else {
                to
            };
            assert_eq!(
                e.to_string(),
                format!("第 2 行「{column}」列: 「{bad}」不是有效日期（应为 YYYY-MM-DD）")
            );
        }
        let leap = ROW1.replacen("2028-12-31", "2028-02-29", 1);
        assert!(read_registry(file(&[&leap]).as_bytes()).is_ok());
        let e = read_registry(file(&[&ROW1.replacen(",35,", ",1e3,", 1)]).as_bytes()).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("第 2 行「hourly_limit」列: 「1e3」不是十进制数"),
            "{e}"
        );
        let e = read_registry("credit_code,colour\n".as_bytes()).unwrap_err();
        assert_eq!(e.kind(), "header");
    }

    #[test]
    fn blank_rows_are_skipped_and_still_counted() {
        // As an import file renders a sheet with an empty row 3 and a row of blanks at 4.
        let blank = ",".repeat(22);
        let spaces = vec![" "; 23].join(",");
        let bad = ROW2.replacen("1号锅炉", "2号锅炉", 1);
        let e = read_registry(file(&[ROW1, &blank, &spaces, &bad]).as_bytes()).unwrap_err();
        assert!(
            matches!(e, RegistryError::Cell { row: 5, ref column, .. } if column == "outlet_name"),
            "{e}"
        );
        let reg = read_registry(file(&[ROW1, &blank, ROW2, &spaces]).as_bytes()).unwrap();
        assert_eq!(reg.limits.len(), 2);
        let e = read_registry(file(&[ROW1, "a,b"]).as_bytes()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "第 3 行: CSV 格式错误: 应有 23 列，实有 2 列"
        );
    }

    #[test]
    fn messages_repeat_at_most_a_hundred_characters_of_a_cell() {
        let huge = "三".repeat(50_000);
        let e = read_registry(file(&[&ROW1.replacen(",35,", &format!(",{huge},"), 1)]).as_bytes())
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "第 2 行「hourly_limit」列: 「{}…」不是十进制数（应为如 71.9、-2.05 的数字）",
                "三".repeat(100)
            )
        );
        let e = read_registry(format!("credit_code,{huge}\n").as_bytes()).unwrap_err();
        assert!(e.to_string().chars().count() < 700, "{e}");
        assert_eq!(clip_quoted("「短」与「」"), "「短」与「」");
        assert_eq!(clip_quoted("未闭合「abc"), "未闭合「abc");
    }

    proptest! {
        #[test]
        fn arbitrary_input_never_panics(s in "\\PC*") {
            let _ = read_registry(s.as_bytes());
            let _ = read_registry(file(&[&s]).as_bytes());
        }
    }
}
