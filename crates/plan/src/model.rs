//! The plan's domain model.

use serde::Serialize;

use crate::Decimal;

/// A whole plan: what it is, who carries it, where, and what it promises.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// The document itself.
    pub meta: PlanMeta,
    /// Responsible units (责任单位), in the order the file gives.
    pub units: Vec<Unit>,
    /// The city and its counties, cities and districts.
    pub divisions: Vec<Division>,
    /// The indicator table (主要指标), ordered by number.
    pub indicators: Vec<Indicator>,
    /// The main tasks (主要任务) by area.
    pub areas: Vec<TaskArea>,
    /// The city's heavy-pollution warning thresholds (from its emergency plan).
    pub air_warning: AirWarningThresholds,
    /// The counties' boundaries, when the plan file references a map (not serialised: the
    /// map has its own GeoJSON endpoint).
    #[serde(skip)]
    pub map: Option<crate::map::DivisionMap>,
}

/// The city's heavy-pollution warning thresholds (重污染天气预警分级), as its emergency plan
/// sets them; what is absent keeps the 2018 national framework (环办大气函〔2018〕875号).
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AirWarningThresholds {
    /// The document the thresholds come from.
    pub source: Option<String>,
    /// A heavy day has AQI above this (200).
    pub heavy_above: Option<u32>,
    /// A severe day has AQI above this (300).
    pub severe_above: Option<u32>,
    /// Consecutive heavy days for a local blue level (none by default).
    pub blue_days: Option<u32>,
    /// Consecutive heavy days for yellow (2).
    pub yellow_days: Option<u32>,
    /// Consecutive heavy days for orange (3).
    pub orange_days: Option<u32>,
    /// Severe days needed for orange (1); 0 drops the condition.
    pub orange_severe_days: Option<u32>,
    /// Consecutive heavy days for red (4).
    pub red_days: Option<u32>,
    /// Severe days needed for red (2).
    pub red_severe_days: Option<u32>,
    /// A single day at or above this AQI is red (500); 0 disables it.
    pub red_any_day_at_least: Option<u32>,
    /// How severe days in a run count (the longest stretch by default).
    pub severe_count: Option<SevereCounting>,
}

/// How the severe days of a heavy-pollution run are counted.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SevereCounting {
    /// The longest consecutive stretch ("AQI > 300 将持续 2 天").
    Consecutive,
    /// All severe days of the run.
    Total,
}

/// The document's metadata.
#[derive(Debug, Clone, Serialize)]
pub struct PlanMeta {
    /// Stable identifier of the plan.
    pub id: String,
    /// Full title.
    pub title: String,
    /// Issuing office (印发机关).
    pub issuer: String,
    /// Document number (文号), e.g. 忻政办发〔2023〕33号.
    pub document_number: String,
    /// Issue date, YYYY-MM-DD.
    pub date: String,
    /// The year the baselines describe.
    pub baseline_year: i32,
    /// Milestone years (近期、中期、远期).
    pub milestone_years: Vec<i32>,
    /// GB/T 2260 code of the division the plan governs.
    pub division: String,
    /// Whether every county government carries every task as well as the listed units.
    pub counties_carry_all_tasks: bool,
}

/// A responsible unit (责任单位) with a stable id.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Unit {
    /// Stable id used in files, URLs and the database.
    pub id: String,
    /// Name as the plan writes it.
    pub name: String,
}

/// Level of an administrative division.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DivisionLevel {
    /// 设区市.
    City,
    /// 县、县级市、区.
    County,
}

/// An administrative division with its GB/T 2260 code.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Division {
    /// Six-digit GB/T 2260 code.
    pub code: String,
    /// Official name.
    pub name: String,
    /// City or county level.
    pub level: DivisionLevel,
}

/// Which way an indicator should move.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Higher is better.
    Higher,
    /// Lower is better.
    Lower,
    /// Hold at (at least) the baseline.
    Hold,
}

impl Direction {
    /// Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            Direction::Higher => "越高越好",
            Direction::Lower => "越低越好",
            Direction::Hold => "保持",
        }
    }
}

/// What a target asks for, in machine-readable form.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TargetKind {
    /// Reach this number.
    Value {
        /// The number.
        value: Decimal,
    },
    /// Hold at the baseline.
    Hold,
    /// A reduction relative to a base year, e.g. 较2020年下降14.5%.
    Reduction {
        /// The reduction in percent.
        percent: Decimal,
        /// The year it is relative to.
        relative_to: i32,
    },
    /// 完成省级下达任务: the province assigns the value each year; it is entered later.
    ProvincialAssignment,
    /// 持续下降: judged year on year.
    ContinuousDecline,
    /// 有效保障: judged by staff.
    EffectivelyEnsured,
    /// 尚未确定.
    Undetermined,
    /// The plan states no target for that year.
    None,
}

impl TargetKind {
    /// Chinese label of the kind.
    pub fn label(&self) -> &'static str {
        match self {
            TargetKind::Value { .. } => "数值目标",
            TargetKind::Hold => "保持基期水平",
            TargetKind::Reduction { .. } => "较基年下降",
            TargetKind::ProvincialAssignment => "完成省级下达任务",
            TargetKind::ContinuousDecline => "持续下降",
            TargetKind::EffectivelyEnsured => "有效保障",
            TargetKind::Undetermined => "尚未确定",
            TargetKind::None => "未设目标",
        }
    }
}

/// A target for one milestone year.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Target {
    /// The milestone year.
    pub year: i32,
    /// The target as the plan writes it, verbatim.
    pub text: String,
    /// What it means.
    #[serde(flatten)]
    pub kind: TargetKind,
}

/// One row of the plan's indicator table.
#[derive(Debug, Clone, Serialize)]
pub struct Indicator {
    /// 序号.
    pub number: u32,
    /// 类别 (国土空间, 绿色发展, …).
    pub category: String,
    /// 指标 name, verbatim.
    pub name: String,
    /// 计量单位, verbatim.
    pub unit: String,
    /// The baseline as written, verbatim (may be a sentence or "—").
    pub baseline_text: String,
    /// The baseline's number, where it has one.
    pub baseline: Option<Decimal>,
    /// Which way is better.
    pub direction: Direction,
    /// Ids of the responsible units.
    pub responsible: Vec<String>,
    /// Targets by milestone year.
    pub targets: Vec<Target>,
}

impl Indicator {
    /// The target for a given year, if the plan sets one.
    pub fn target(&self, year: i32) -> Option<&Target> {
        self.targets.iter().find(|t| t.year == year)
    }

    /// Whether the unit is responsible for this indicator.
    pub fn is_owned_by(&self, unit_id: &str) -> bool {
        self.responsible.iter().any(|u| u == unit_id)
    }

    /// Whether values are percentages (bounded 0–100).
    pub fn is_percentage(&self) -> bool {
        self.unit == "%"
    }
}

/// An area of the main tasks, e.g. （三）全域治污勠力攻坚….
#[derive(Debug, Clone, Serialize)]
pub struct TaskArea {
    /// Area number (1 for （一）).
    pub number: u32,
    /// Area title, verbatim.
    pub title: String,
    /// Numbered tasks.
    pub tasks: Vec<Task>,
}

/// A numbered task under an area.
#[derive(Debug, Clone, Serialize)]
pub struct Task {
    /// Area number.
    pub area: u32,
    /// Task number within its area.
    pub number: u32,
    /// Title, verbatim.
    pub title: String,
    /// Full text, verbatim.
    pub text: String,
    /// Ids of the responsible units, in the plan's order.
    pub responsible: Vec<String>,
    /// The task's ledger items the plan file ships (staff add more on the web).
    pub items: Vec<crate::items::TaskItem>,
}

impl Task {
    /// Stable code such as "3-2" (area 三, task 2).
    pub fn code(&self) -> String {
        format!("{}-{}", self.area, self.number)
    }
}

/// Chinese numeral of an area number, as the plan writes （一）…（八）.
pub fn area_numeral(n: u32) -> String {
    const DIGITS: [&str; 11] = [
        "零", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十",
    ];
    match n {
        0..=10 => DIGITS[n as usize].to_string(),
        11..=19 => format!("十{}", DIGITS[(n - 10) as usize]),
        _ => n.to_string(),
    }
}

impl Plan {
    /// Indicator by its number.
    pub fn indicator(&self, number: u32) -> Option<&Indicator> {
        self.indicators.iter().find(|i| i.number == number)
    }

    /// Unit by id.
    pub fn unit(&self, id: &str) -> Option<&Unit> {
        self.units.iter().find(|u| u.id == id)
    }

    /// Unit name by id, or the id itself if unknown.
    pub fn unit_name<'a>(&'a self, id: &'a str) -> &'a str {
        self.unit(id).map_or(id, |u| u.name.as_str())
    }

    /// Division by code.
    pub fn division(&self, code: &str) -> Option<&Division> {
        self.divisions.iter().find(|d| d.code == code)
    }

    /// Every task of every area, in order.
    pub fn tasks(&self) -> impl Iterator<Item = &Task> {
        self.areas.iter().flat_map(|a| a.tasks.iter())
    }

    /// Task by its code "area-number".
    pub fn task(&self, area: u32, number: u32) -> Option<&Task> {
        self.tasks().find(|t| t.area == area && t.number == number)
    }

    /// Distinct indicator categories in table order.
    pub fn categories(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for i in &self.indicators {
            if !out.contains(&i.category.as_str()) {
                out.push(&i.category);
            }
        }
        out
    }

    /// Years that appear among the indicators' targets, ascending.
    pub fn target_years(&self) -> Vec<i32> {
        let mut ys: Vec<i32> = self
            .indicators
            .iter()
            .flat_map(|i| i.targets.iter().map(|t| t.year))
            .collect();
        ys.sort_unstable();
        ys.dedup();
        ys
    }
}
