//! The Chinese names of the input fields errors name. `Error::Invalid` keeps the machine name
//! (the JSON API returns it as `field`); people read the name given here.

use std::borrow::Cow;

/// Field names the code uses, with their Chinese names.
const FIELDS: &[(&str, &str)] = &[
    ("begin", "开始时间"),
    ("areas", "预警区域"),
    ("body", "请求内容"),
    ("cn", "命令"),
    ("counties", "涉及区县"),
    ("county", "区县"),
    ("csrf_token", "防伪令牌"),
    ("date", "日期"),
    ("deadline", "完成时限"),
    ("direction", "目标方向"),
    ("done", "完成情况"),
    ("display_name", "姓名"),
    ("division", "行政区划"),
    ("division_code", "行政区划"),
    ("document_no", "文号"),
    ("effective_at", "生效时间"),
    ("end", "结束时间"),
    ("factor", "监测因子"),
    ("factor_code", "监测因子"),
    ("file", "文件"),
    ("files", "文件"),
    ("forecast", "预报 AQI"),
    ("from", "起始时间"),
    ("indicator", "指标"),
    ("justification", "判定依据"),
    ("lead", "牵头单位"),
    ("measure", "计量方式"),
    ("measure_unit", "计量单位"),
    ("narrative", "进展说明"),
    ("objects", "对象清单"),
    ("kind", "类型"),
    ("level", "预警级别"),
    ("label", "令牌用途"),
    ("mark_reason", "标记原因"),
    ("mn", "设备 MN"),
    ("month", "月份"),
    ("note", "说明"),
    ("page", "页码"),
    ("password", "密码"),
    ("period", "填报周期"),
    ("reason", "修订原因"),
    ("review_note", "审核意见"),
    ("role", "角色"),
    ("row", "数据行"),
    ("section", "断面"),
    ("station", "站点"),
    ("supporting", "配合单位"),
    ("start", "开始时间"),
    ("status", "状态"),
    ("target", "目标值"),
    ("task", "任务"),
    ("text", "事项内容"),
    ("to", "截止"),
    ("unit", "责任单位"),
    ("user", "账号"),
    ("username", "用户名"),
    ("value", "数值"),
    ("year", "年份"),
    ("category", "投诉举报类别"),
    ("description", "问题描述"),
    ("address", "地点"),
    ("longitude", "经度"),
    ("latitude", "纬度"),
    ("occurred_at", "发生时间"),
    ("contact_name", "联系人姓名"),
    ("phone", "联系电话"),
    ("email", "电子邮箱"),
    ("answer", "验证题答案"),
    ("challenge", "验证题"),
    ("tracking_code", "查询码"),
    ("rating", "评价"),
    ("finding", "调查结论"),
    ("investigation", "调查核实情况"),
    ("measures", "措施"),
    ("reply", "答复内容"),
    ("into", "合并到的案件"),
    ("due_by", "办结期限"),
    ("photos", "照片"),
    ("event_key", "异议事项"),
    ("objection_reason", "异议理由"),
    ("repair_reason", "整改及修复说明"),
    ("decision", "处理意见"),
    ("finding_kind", "一票否决事项"),
    ("occurred_on", "发生日期"),
    ("case_id", "案件编号"),
    ("grade", "信用等级"),
    ("enterprise", "排污单位"),
    ("q", "查询内容"),
];

/// The Chinese name of a field. `row N column X` (a cell of an imported file) reads
/// "第 N 行“X”列"; a field not in the table is shown as it is.
pub fn field_label(field: &str) -> Cow<'_, str> {
    if let Some((_, name)) = FIELDS.iter().find(|(f, _)| *f == field) {
        return Cow::Borrowed(name);
    }
    if let Some((row, column)) = field
        .strip_prefix("row ")
        .and_then(|rest| rest.split_once(" column "))
    {
        let column = FIELDS
            .iter()
            .find(|(f, _)| *f == column)
            .map_or(column, |(_, n)| n);
        return Cow::Owned(format!("第 {row} 行“{column}”列"));
    }
    Cow::Borrowed(field)
}

/// An invalid field's message as people read it: `年份：评估年度应在…`. A message that
/// already says where it is (an import's `第 3 行…`) is not prefixed twice.
pub fn invalid_message(field: &str, message: &str) -> String {
    if message.starts_with('第') {
        return message.to_string();
    }
    format!("{}：{message}", field_label(field))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_read_in_chinese() {
        assert_eq!(invalid_message("year", "应为整数"), "年份：应为整数");
        assert_eq!(field_label("row 3 column value"), "第 3 行“数值”列");
        assert_eq!(
            invalid_message("row 3 column value", "第 3 行「value」列（D 列）: 不是数字"),
            "第 3 行「value」列（D 列）: 不是数字"
        );
        assert_eq!(field_label("whatever"), "whatever");
        for (f, n) in FIELDS {
            assert!(!n.is_ascii(), "{f} has no Chinese name");
        }
    }
}
