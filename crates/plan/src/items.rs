//! Task items (任务台账): a task split into measurable commitments, each carried by a lead unit,
//! supporting units and the counties concerned, with a deadline. Items ship in the plan file
//! (`[[areas.tasks.items]]`) and staff add or revise them on the web; both pass [`Plan::check_item`].

use serde::{Deserialize, Serialize};

use crate::{Decimal, DivisionLevel, Plan, iso_date};

/// How an item is measured.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Measure {
    /// A number with a unit and a target: the city's value is the sum of the counties'.
    Count {
        /// The unit, verbatim (台, 条, 个).
        unit: String,
        /// The target, exact.
        #[serde(with = "decimal_text")]
        target: Decimal,
        /// Whether the target is a floor (`at_least`) or a ceiling (`at_most`, e.g. 清零 = 0).
        direction: CountDirection,
    },
    /// A yes/no milestone (完成 / 未完成).
    Milestone,
    /// A list of named objects (boilers, water bodies), each done or not.
    Objects {
        /// The objects.
        objects: Vec<NamedObject>,
    },
}

impl Measure {
    /// Chinese label of the kind.
    pub fn label(&self) -> &'static str {
        match self {
            Measure::Count { .. } => "数量",
            Measure::Milestone => "节点",
            Measure::Objects { .. } => "清单",
        }
    }

    /// Stable code of the kind (`count`, `milestone`, `objects`).
    pub fn code(&self) -> &'static str {
        match self {
            Measure::Count { .. } => "count",
            Measure::Milestone => "milestone",
            Measure::Objects { .. } => "objects",
        }
    }
}

/// Which side of a count's target is done.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum CountDirection {
    /// Done when the value reaches the target or more.
    AtLeast,
    /// Done when the value is at the target or below (清零: target 0).
    AtMost,
}

impl CountDirection {
    /// Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            CountDirection::AtLeast => "不低于",
            CountDirection::AtMost => "不高于",
        }
    }

    /// Whether `value` meets `target` this way.
    pub fn met(self, value: Decimal, target: Decimal) -> bool {
        match self {
            CountDirection::AtLeast => value >= target,
            CountDirection::AtMost => value <= target,
        }
    }
}

/// A named object of an item (a boiler, a water body), optionally in one county.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct NamedObject {
    /// Its name, unique within the item.
    pub name: String,
    /// The county it is in (GB/T 2260), when it is in one.
    #[serde(default)]
    pub county: Option<String>,
}

/// One item of a task's ledger.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TaskItem {
    /// Stable id (ASCII letters, digits, `-`, `_`), unique in the plan, e.g. `3-1-1`.
    pub id: String,
    /// Area number of its task.
    pub area: u32,
    /// Task number within the area.
    pub task: u32,
    /// What is to be done, in the plan's words.
    pub text: String,
    /// How it is measured.
    pub measure: Measure,
    /// Lead unit (牵头单位) id.
    pub lead: String,
    /// Supporting units (配合单位) ids.
    #[serde(default)]
    pub supporting: Vec<String>,
    /// Counties concerned (GB/T 2260 codes); empty when the units alone carry the item.
    #[serde(default)]
    pub counties: Vec<String>,
    /// Deadline, YYYY-MM-DD.
    pub deadline: String,
    /// The assessment year it counts in.
    pub year: i32,
}

impl TaskItem {
    /// The task code "area-number".
    pub fn task_code(&self) -> String {
        format!("{}-{}", self.area, self.task)
    }

    /// Whether the unit leads or supports the item.
    pub fn involves_unit(&self, unit: &str) -> bool {
        self.lead == unit || self.supporting.iter().any(|u| u == unit)
    }

    /// Whether the county is concerned.
    pub fn concerns_county(&self, code: &str) -> bool {
        self.counties.iter().any(|c| c == code)
    }
}

/// Why an item is not acceptable: the field (relative to the item) and the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemProblem {
    /// Field name within the item, e.g. `counties[2]`.
    pub field: String,
    /// What is wrong, in Chinese.
    pub message: String,
}

fn problem(field: impl Into<String>, message: impl Into<String>) -> ItemProblem {
    ItemProblem {
        field: field.into(),
        message: message.into(),
    }
}

impl Plan {
    /// Checks an item against the plan: its task, units, counties, deadline and measure exist
    /// and are well formed. Used by the loader and by the web form alike.
    pub fn check_item(&self, item: &TaskItem) -> Result<(), ItemProblem> {
        let id = &item.id;
        if id.is_empty()
            || id.len() > 40
            || !id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(problem(
                "id",
                "事项编号只能用英文字母、数字、- 和 _（不超过 40 个字符）",
            ));
        }
        if self.task(item.area, item.task).is_none() {
            return Err(problem(
                "task",
                format!("没有任务 {}-{}", item.area, item.task),
            ));
        }
        if item.text.trim().is_empty() || item.text.chars().count() > 500 {
            return Err(problem("text", "事项内容不能为空且不超过 500 字"));
        }
        if self.unit(&item.lead).is_none() {
            return Err(problem(
                "lead",
                format!("牵头单位「{}」未在 units 中定义", item.lead),
            ));
        }
        for (i, u) in item.supporting.iter().enumerate() {
            if self.unit(u).is_none() {
                return Err(problem(
                    format!("supporting[{i}]"),
                    format!("配合单位「{u}」未在 units 中定义"),
                ));
            }
            if *u == item.lead || item.supporting[..i].contains(u) {
                return Err(problem(
                    format!("supporting[{i}]"),
                    format!("配合单位「{u}」重复或与牵头单位相同"),
                ));
            }
        }
        for (i, c) in item.counties.iter().enumerate() {
            if !self.is_county(c) {
                return Err(problem(
                    format!("counties[{i}]"),
                    format!("「{c}」不是本规划的区县（见 divisions）"),
                ));
            }
            if item.counties[..i].contains(c) {
                return Err(problem(
                    format!("counties[{i}]"),
                    format!("区县「{c}」重复"),
                ));
            }
        }
        if iso_date(&item.deadline).is_none() {
            return Err(problem(
                "deadline",
                format!("「{}」不是有效日期（应为 YYYY-MM-DD）", item.deadline),
            ));
        }
        if !(2000..=2100).contains(&item.year) {
            return Err(problem("year", "年度应在 2000–2100 之间"));
        }
        match &item.measure {
            Measure::Count { unit, target, .. } => {
                if unit.trim().is_empty() {
                    return Err(problem("unit", "数量事项需要计量单位"));
                }
                if *target < Decimal::from_int(0) {
                    return Err(problem("target", "目标值不能为负"));
                }
            }
            Measure::Milestone => {}
            Measure::Objects { objects } => {
                if objects.is_empty() {
                    return Err(problem("objects", "清单事项至少需要一个对象"));
                }
                for (i, o) in objects.iter().enumerate() {
                    if o.name.trim().is_empty() {
                        return Err(problem(format!("objects[{i}].name"), "对象名称不能为空"));
                    }
                    if objects[..i].iter().any(|p| p.name == o.name) {
                        return Err(problem(
                            format!("objects[{i}].name"),
                            format!("对象「{}」重复", o.name),
                        ));
                    }
                    if let Some(c) = &o.county
                        && !item.concerns_county(c)
                    {
                        return Err(problem(
                            format!("objects[{i}].county"),
                            format!("对象「{}」所在区县「{c}」不在本事项的 counties 中", o.name),
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// Whether `code` is one of the plan's counties.
    pub fn is_county(&self, code: &str) -> bool {
        self.division(code)
            .is_some_and(|d| d.level == DivisionLevel::County)
    }

    /// Codes of the plan's counties, in file order.
    pub fn county_codes(&self) -> Vec<String> {
        self.divisions
            .iter()
            .filter(|d| d.level == DivisionLevel::County)
            .map(|d| d.code.clone())
            .collect()
    }

    /// Every item the plan file ships, task by task.
    pub fn items(&self) -> impl Iterator<Item = &TaskItem> {
        self.tasks().flat_map(|t| t.items.iter())
    }
}

/// The exact sum of decimals, at the largest scale among them; `None` on overflow.
pub fn sum_decimals<'a>(values: impl IntoIterator<Item = &'a Decimal>) -> Option<Decimal> {
    let values: Vec<&Decimal> = values.into_iter().collect();
    let scale = values.iter().map(|d| d.scale()).max().unwrap_or(0);
    let mut acc: i128 = 0;
    for d in values {
        let factor = 10i128.checked_pow(scale - d.scale())?;
        acc = acc.checked_add(d.mantissa().checked_mul(factor)?)?;
    }
    Some(Decimal::new(acc, scale))
}

/// Decimals kept as their written text in JSON and TOML.
mod decimal_text {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use crate::Decimal;

    pub fn serialize<S: Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        d.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_keep_the_largest_scale_exactly() {
        let v: Vec<Decimal> = ["1.5", "2", "0.25"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        assert_eq!(sum_decimals(&v).unwrap().to_string(), "3.75");
        assert_eq!(sum_decimals(&[]).unwrap(), Decimal::from_int(0));
    }

    #[test]
    fn an_item_round_trips_through_json() {
        let p = crate::xinzhou().unwrap();
        for item in p.items() {
            let json = serde_json::to_string(item).unwrap();
            let back: TaskItem = serde_json::from_str(&json).unwrap();
            assert_eq!(&back, item);
            assert!(p.check_item(&back).is_ok());
        }
    }

    #[test]
    fn a_web_item_is_checked_like_a_file_item() {
        let p = crate::xinzhou().unwrap();
        let mut item = p.items().next().unwrap().clone();
        item.counties.push("110101".into());
        let e = p.check_item(&item).unwrap_err();
        assert!(e.field.starts_with("counties["), "{e:?}");
        assert!(e.message.contains("不是本规划的区县"), "{e:?}");
        let mut item = p.items().next().unwrap().clone();
        item.measure = Measure::Objects {
            objects: vec![NamedObject {
                name: "某锅炉".into(),
                county: Some("140921".into()),
            }],
        };
        item.counties = vec!["140902".into()];
        let e = p.check_item(&item).unwrap_err();
        assert_eq!(e.field, "objects[0].county");
    }
}
