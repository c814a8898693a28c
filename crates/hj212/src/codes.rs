//! Code tables: 2005 → 2017 factor codes, command (CN) roles and names.

/// Gas 2005 codes (HJ 212-2017 Table B.2 "原编码" column).
const GAS_2005: &[(&str, &str)] = &[
    ("01", "a34013"),
    ("02", "a21026"),
    ("03", "a21002"),
    ("04", "a21005"),
    ("05", "a21028"),
    ("06", "a21018"),
    ("07", "a21017"),
    ("08", "a21024"),
    ("09", "a34038"),
    ("10", "a21001"),
    ("11", "a21022"),
    ("12", "a99051"),
    ("13", "a30022"),
    ("14", "a34039"),
    ("15", "a34040"),
    ("17", "a25003"),
    ("18", "a25005"),
    ("19", "a31001"),
    ("20", "a25044"),
    ("21", "a26001"),
    ("22", "a25023"),
    ("23", "a25010"),
    ("24", "a99049"),
    ("25", "a24087"),
    ("26", "a31002"),
    ("27", "a23001"),
    ("28", "a30001"),
    ("29", "a24046"),
    ("30", "a05001"),
    ("31", "a20057"),
    ("32", "a20043"),
    ("33", "a20025"),
    ("34", "a20091"),
    ("35", "a20063"),
    ("36", "a20016"),
    ("37", "a01010"),
    ("S01", "a19001"),
    ("S02", "a01011"),
    ("S03", "a01012"),
    ("S04", "a01017"),
    ("S05", "a01014"),
    ("S06", "a01015"),
    ("S07", "a01016"),
    ("S08", "a01013"),
    ("B02", "a00000"),
];

/// Water 2005 codes (HJ 212-2017 Table B.1 "原编码" column).
const WATER_2005: &[(&str, &str)] = &[
    ("B01", "w00000"),
    ("001", "w01001"),
    ("002", "w01002"),
    ("003", "w01012"),
    ("010", "w01017"),
    ("011", "w01018"),
    ("015", "w01020"),
    ("020", "w20111"),
    ("021", "w20113"),
    ("022", "w20115"),
    ("023", "w20116"),
    ("024", "w20117"),
    ("026", "w20119"),
    ("027", "w20120"),
    ("028", "w20121"),
    ("029", "w20122"),
    ("030", "w20123"),
    ("031", "w20124"),
    ("032", "w20125"),
    ("033", "w20126"),
    ("034", "w20127"),
    ("035", "w20128"),
    ("036", "w20092"),
    ("037", "w20023"),
    ("038", "w20061"),
    ("039", "w20012"),
    ("040", "w20038"),
    ("041", "w20089"),
    ("060", "w21003"),
    ("061", "w99001"),
    ("062", "w21004"),
    ("063", "w21006"),
    ("064", "w21007"),
    ("065", "w21001"),
    ("070", "w21016"),
    ("071", "w21019"),
    ("072", "w21017"),
    ("080", "w22001"),
    ("090", "w21022"),
    ("101", "w21011"),
    ("110", "w23002"),
    ("350", "w33001"),
    ("351", "w33007"),
    ("520", "w19002"),
    ("540", "w25043"),
    ("550", "w02003"),
    ("570", "w03001"),
    ("571", "w03002"),
];

/// Names and units of HJ 212-2017 factor codes (Tables B.1 and B.2) that sources, automatic
/// stations and alarms use, as `(code, name, unit)`; the unit is "" where the table has none.
/// Ambient-air pollutants are in the units the automatic stations report (µg/m³; CO mg/m³).
const FACTOR_NAMES: &[(&str, &str, &str)] = &[
    ("a00000", "废气流量", "m³/s"),
    ("a01011", "烟气流速", "m/s"),
    ("a01012", "烟气温度", "℃"),
    ("a01013", "烟气压力", "kPa"),
    ("a01014", "烟气湿度", "%"),
    ("a01017", "烟气动压", "kPa"),
    ("a19001", "氧气含量", "%"),
    ("a05024", "臭氧", "µg/m³"),
    ("a21001", "氨", "mg/m³"),
    ("a21002", "氮氧化物", "mg/m³"),
    ("a21003", "一氧化氮", "mg/m³"),
    ("a21004", "二氧化氮", "µg/m³"),
    ("a21005", "一氧化碳", "mg/m³"),
    ("a21017", "氰化物", "mg/m³"),
    ("a21018", "氟化物", "mg/m³"),
    ("a21022", "氯气", "mg/m³"),
    ("a21024", "氯化氢", "mg/m³"),
    ("a21026", "二氧化硫", "mg/m³"),
    ("a21028", "硫化氢", "mg/m³"),
    ("a24088", "非甲烷总烃", "mg/m³"),
    ("a25002", "苯", "mg/m³"),
    ("a25003", "甲苯", "mg/m³"),
    ("a25005", "二甲苯", "mg/m³"),
    ("a34002", "可吸入颗粒物（PM10）", "µg/m³"),
    ("a34004", "细颗粒物（PM2.5）", "µg/m³"),
    ("a34013", "颗粒物", "mg/m³"),
    ("w00000", "污水流量", "L/s"),
    ("w01001", "pH值", "无量纲"),
    ("w01002", "色度", "倍"),
    ("w01009", "溶解氧", "mg/L"),
    ("w01010", "水温", "℃"),
    ("w01012", "悬浮物", "mg/L"),
    ("w01014", "电导率", "µS/cm"),
    ("w01017", "五日生化需氧量", "mg/L"),
    ("w01018", "化学需氧量", "mg/L"),
    ("w01019", "高锰酸盐指数", "mg/L"),
    ("w01020", "总有机碳", "mg/L"),
    ("w20111", "总汞", "mg/L"),
    ("w20115", "总镉", "mg/L"),
    ("w20116", "总铬", "mg/L"),
    ("w20117", "六价铬", "mg/L"),
    ("w20119", "总砷", "mg/L"),
    ("w20120", "总铅", "mg/L"),
    ("w21001", "总氮", "mg/L"),
    ("w21003", "氨氮", "mg/L"),
    ("w21011", "总磷", "mg/L"),
    ("w21016", "氰化物", "mg/L"),
    ("w21017", "氟化物", "mg/L"),
    ("w21019", "硫化物", "mg/L"),
    ("w22001", "石油类", "mg/L"),
    ("w23002", "挥发酚", "mg/L"),
];

/// The Chinese name and unit of a 2017 factor code (`a21026` → 二氧化硫, mg/m³).
#[must_use]
pub fn factor_name(code: &str) -> Option<(&'static str, &'static str)> {
    FACTOR_NAMES
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, name, unit)| (*name, *unit))
}

/// Which 2005 code table an ST selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeFamily {
    /// Flue gas and ambient air (ST 31, 22, 51).
    Gas,
    /// Waste water and surface water (ST 32, 21, 52).
    Water,
}

/// The 2005 code family for a system code; `None` for systems without 2005 codes.
#[must_use]
pub fn family_for_st(st: &str) -> Option<CodeFamily> {
    match st {
        "31" | "22" | "51" => Some(CodeFamily::Gas),
        "32" | "21" | "52" => Some(CodeFamily::Water),
        _ => None,
    }
}

/// Maps a 2005 factor code to its 2017 code, keyed by ST because gas and water codes overlap
/// (`01` is smoke dust under ST 31 but `001` is pH under ST 32).
#[must_use]
pub fn map_2005_code(st: &str, code: &str) -> Option<&'static str> {
    let table = match family_for_st(st)? {
        CodeFamily::Gas => GAS_2005,
        CodeFamily::Water => WATER_2005,
    };
    table
        .iter()
        .find(|(old, _)| *old == code)
        .map(|(_, new)| *new)
}

/// True for uploads the platform acknowledges with 9014 when A = 1 (reference §5.2).
///
/// Includes every 2xxx data command except the platform's stop notifications (2012, 2022),
/// so vendor data codes in the 2000–2999 range are acknowledged as well, plus the 3015,
/// 3019 and 3020 uploads. 1011/1061/1063 are answers to the platform's own requests and
/// share their CN with them, so they are not acknowledged.
#[must_use]
pub fn is_upload(cn: u16) -> bool {
    match cn {
        3015 | 3019 | 3020 => true,
        2012 | 2022 => false,
        2000..=2999 => true,
        _ => false,
    }
}

/// A short English name for a known command code.
#[must_use]
pub fn cn_name(cn: u16) -> Option<&'static str> {
    Some(match cn {
        1000 => "set timeout and retries",
        1001 => "logger hardware ids (2025)",
        1002 => "set logger MN (2025)",
        1011 => "get/upload field time",
        1012 => "set field time",
        1013 => "time calibration request",
        1014 => "secret key (2025)",
        1061 => "get/upload real-time interval",
        1062 => "set real-time interval",
        1063 => "get/upload minute interval",
        1064 => "set minute interval",
        1072 => "set password",
        2011 => "real-time data",
        2012 => "stop real-time data",
        2013 => "periodic instrument raw data (2025)",
        2021 => "facility running state",
        2022 => "stop running-state data",
        2031 => "daily data",
        2041 => "facility running-time daily data",
        2051 => "minute data",
        2052 => "noise single measurement (2025)",
        2061 => "hourly data",
        2062 => "standard check data (2025)",
        2081 => "logger restart time",
        2111 => "furnace 5-minute mean (2025)",
        3011 => "zero/span calibration",
        3012 => "immediate sampling",
        3013 => "cleaning / blow-back",
        3014 => "comparison sampling",
        3015 => "over-limit sample retention",
        3016 => "set sampling period",
        3017 => "get sampling period",
        3018 => "get sample output time",
        3019 => "get instrument SN",
        3020 => "get field information",
        3021 => "set field parameter",
        3022 => "immediate sample retention (2025)",
        3024 => "start standard check (2025)",
        9011 => "request reply",
        9012 => "execution result",
        9013 => "notification reply",
        9014 => "data reply",
        9015 => "heartbeat (2025)",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_codes_depend_on_st() {
        assert_eq!(map_2005_code("31", "01"), Some("a34013"));
        assert_eq!(map_2005_code("32", "01"), None);
        assert_eq!(map_2005_code("32", "001"), Some("w01001"));
        assert_eq!(map_2005_code("32", "011"), Some("w01018"));
        assert_eq!(factor_name("a21026"), Some(("二氧化硫", "mg/m³")));
        assert_eq!(factor_name("zz"), None);
        assert_eq!(map_2005_code("32", "060"), Some("w21003"));
        assert_eq!(map_2005_code("32", "B01"), Some("w00000"));
        assert_eq!(map_2005_code("31", "B02"), Some("a00000"));
        assert_eq!(map_2005_code("31", "S01"), Some("a19001"));
        assert_eq!(map_2005_code("80", "011"), None);
        assert_eq!(map_2005_code("32", "w01018"), None);
    }

    #[test]
    fn tables_have_no_duplicate_keys() {
        for table in [GAS_2005, WATER_2005] {
            for (i, (a, _)) in table.iter().enumerate() {
                assert!(table[i + 1..].iter().all(|(b, _)| a != b), "duplicate {a}");
            }
        }
    }

    #[test]
    fn upload_roles() {
        assert!(is_upload(2011));
        assert!(is_upload(2061));
        assert!(is_upload(3020));
        assert!(!is_upload(2012));
        assert!(!is_upload(9014));
        assert!(!is_upload(1013));
        assert_eq!(cn_name(2051), Some("minute data"));
        assert_eq!(cn_name(9021), None);
    }
}
