//! Chinese labels of the codes the store keeps as text: value sources, alarm statuses, audit
//! actions and the non-person actors. Pages and exports show these, never the codes; an
//! unknown code still reads as Chinese ("其他（…）") so nothing English reaches a user.

use std::borrow::Cow;

/// Every audit action the code base writes, with its Chinese label. A unit test scans the
/// sources for action strings and fails when one is missing here.
pub const AUDIT_ACTIONS: &[(&str, &str)] = &[
    ("alarm.raise", "产生告警"),
    ("alarm.acknowledge", "确认告警"),
    ("alarm.close", "关闭告警"),
    ("incident.open", "生成事件"),
    ("incident.acknowledge", "确认事件"),
    ("incident.assign", "指派事件"),
    ("incident.close", "关闭事件"),
    ("incident.reopen", "重新打开事件"),
    ("incident.bulk", "批量处理事件"),
    ("air_hourly.import", "导入空气小时数据"),
    ("air_station.import", "导入空气站点"),
    ("air_station.create", "新增空气站点"),
    ("air_station.edit", "修改空气站点"),
    ("air_station.retire", "停用空气站点"),
    ("air_station.link_device", "关联空气站点设备"),
    ("air_station.unlink_device", "解除空气站点设备关联"),
    ("assigned_target.record", "填报省级下达目标"),
    ("database.backup", "备份数据库"),
    ("device_command.queue", "下发设备远程命令"),
    ("device_command.password", "设备确认后更新访问密码"),
    ("data_mark.file", "提交数据标记"),
    ("data_mark.evidence", "上传数据标记佐证材料"),
    ("data_mark.accept", "认可数据标记"),
    ("data_mark.reject", "驳回数据标记"),
    ("data_mark.suspect", "判定疑似虚假标记"),
    ("data_gap.detect", "发现缺数"),
    ("data_gap.request", "发起补传请求"),
    ("data_gap.settle", "补传结果"),
    ("order.issue", "下发督办单"),
    ("heavy_warning.issue", "发布重污染天气预警"),
    ("heavy_warning.raise", "提升重污染天气预警级别"),
    ("heavy_warning.lower", "降低重污染天气预警级别"),
    ("heavy_warning.lift", "解除重污染天气预警"),
    ("warning_notice.issue", "下达应急减排措施通知"),
    ("warning_notice.confirm", "企业确认应急减排措施"),
    ("order.reply", "答复督办单"),
    ("order.evidence", "上传督办答复佐证材料"),
    ("order.return", "退回督办答复"),
    ("order.accept", "认可督办答复并办结"),
    ("task_item.add", "新增任务台账事项"),
    ("task_item.revise", "修订任务台账事项"),
    ("item_report.record", "填报任务台账事项"),
    ("item_report.accept", "审核通过事项报告"),
    ("item_report.return", "退回事项报告"),
    ("item_evidence.upload", "上传事项佐证材料"),
    ("order.escalate", "督办转立案"),
    ("case.file", "立案"),
    ("case.evidence", "上传案件材料"),
    ("case.decide", "作出处罚决定"),
    ("case.report", "报送整改情况"),
    ("case.check", "整改复查"),
    ("case.close", "案件销号"),
    ("heavy_grade.apply", "申请绩效分级"),
    ("heavy_grade.evidence", "上传绩效分级佐证材料"),
    ("heavy_grade.approve", "县级审核通过绩效分级"),
    ("heavy_grade.return", "退回绩效分级申请"),
    ("heavy_grade.publish", "公布绩效分级"),
    ("heavy_grade.record", "直接录入绩效分级"),
    ("heavy_grade.supersede", "绩效分级被新结果取代"),
    ("heavy_baseline.save", "填报基准排放量"),
    ("heavy_reduction.save", "修改应急减排清单"),
    ("heavy_reduction.remove", "移出应急减排清单"),
    ("heavy_reduction.import", "导入应急减排清单"),
    ("inspection.register", "登记督察整改问题"),
    ("inspection.revise", "修改督察整改问题"),
    ("inspection.report", "报送督察整改进展"),
    ("inspection.evidence", "上传督察整改佐证材料"),
    ("inspection.close", "督察整改问题销号"),
    ("inspection.reopen", "重新打开督察整改问题"),
    ("consultation.create", "发布征求意见"),
    ("consultation.revise", "修改征求意见"),
    ("consultation.document", "上传征求意见材料"),
    ("consultation.comment", "公众提交意见"),
    ("consultation.moderate", "审核公众意见"),
    ("consultation.decide", "填写意见采纳情况"),
    ("consultation.summary", "公布意见采纳情况"),
    ("consultation.contact_view", "查看意见提交人联系方式"),
    ("satisfaction.answer", "填写满意度问卷"),
    ("complaint.submit", "提交投诉举报"),
    ("complaint.file", "上传投诉举报照片或佐证材料"),
    ("complaint.accept", "受理投诉举报"),
    ("complaint.reject", "不予受理投诉举报"),
    ("complaint.merge", "合并重复投诉举报"),
    ("complaint.route", "交办投诉举报"),
    ("complaint.handle", "办结投诉举报"),
    ("complaint.rate", "评价投诉举报办理"),
    ("complaint.contact_view", "查看投诉举报人联系方式"),
    ("complaint.track", "查询投诉举报办理进度"),
    ("disclosure.list_add", "列入环境信息依法披露企业名单"),
    ("disclosure.list_remove", "移出环境信息依法披露企业名单"),
    ("disclosure.trigger", "登记临时报告触发事项"),
    ("disclosure.draft", "保存环境信息披露报告草稿"),
    ("disclosure.submit", "提交环境信息披露报告"),
    ("disclosure.amend", "更正环境信息披露报告"),
    ("indicator_value.import", "批量导入指标数值"),
    ("indicator_value.monitoring", "由监测数据计算指标数值"),
    ("indicator_value.record", "填报指标数值"),
    ("judgement.record", "填报评估判定"),
    ("page.view", "访问页面"),
    ("page.submit", "提交表单或接口请求"),
    ("data.view", "查询数据"),
    ("plan.load", "载入规划"),
    ("quarantine.release", "放行隔离报文"),
    ("raw_archive.purge", "清理原始报文存档"),
    ("refused_archive.purge", "清理拒收报文存档"),
    ("registry.edit", "修改污染源登记"),
    ("registry.import", "导入污染源登记表"),
    ("session.login", "登录"),
    ("session.logout", "退出登录"),
    ("task_evidence.upload", "上传任务佐证材料"),
    ("task_report.record", "填报任务进展"),
    ("token.issue", "签发接口令牌"),
    ("user.activate", "启用账号"),
    ("user.create", "新建账号"),
    ("user.deactivate", "停用账号"),
    ("user.password", "修改密码"),
    ("water_sample.import", "导入水质监测数据"),
    ("water_section.import", "导入水质断面"),
    ("water_section.create", "新增水质断面"),
    ("water_section.edit", "修改水质断面"),
    ("water_section.retire", "停用水质断面"),
    ("water_section.link_device", "关联水质断面设备"),
    ("water_section.unlink_device", "解除水质断面设备关联"),
    ("credit.compute", "计算企业环境信用评分"),
    ("credit.publish", "公布企业环境信用评价"),
    ("credit.finding", "认定一票否决事项"),
    ("credit.objection", "对信用评价提出异议"),
    ("credit.objection_decide", "处理信用评价异议"),
    ("credit.repair", "申请信用修复"),
    ("credit.repair_decide", "审核信用修复申请"),
    ("credit.evidence", "上传信用评价佐证材料"),
];

/// The Chinese label of an audit action; an unknown one reads "其他操作（code）".
pub fn audit_action(code: &str) -> Cow<'static, str> {
    match AUDIT_ACTIONS.iter().find(|(c, _)| *c == code) {
        Some((_, label)) => Cow::Borrowed(label),
        None => Cow::Owned(format!("其他操作（{code}）")),
    }
}

/// The Chinese label of a value's source (indicator values, air hours, water samples).
pub fn value_source(code: &str) -> Cow<'static, str> {
    Cow::Borrowed(match code {
        "manual" => "人工填报",
        "import" => "批量导入",
        "monitoring" => "监测数据计算",
        "correction" => "更正",
        "api" => "接口报送",
        "hj212" => "自动监测",
        other => return Cow::Owned(format!("其他来源（{other}）")),
    })
}

/// The Chinese label of an alarm's status.
pub fn alarm_status(code: &str) -> Cow<'static, str> {
    Cow::Borrowed(match code {
        "open" => "待处理",
        "acknowledged" => "已确认",
        "assigned" => "已指派",
        "closed" => "已关闭",
        other => return Cow::Owned(format!("其他状态（{other}）")),
    })
}

/// The Chinese label of a data mark's state.
pub fn mark_state(code: &str) -> Cow<'static, str> {
    Cow::Borrowed(match code {
        "pending" => "待审核",
        "accepted" => "已认可",
        "rejected" => "已驳回",
        other => return Cow::Owned(format!("其他状态（{other}）")),
    })
}

/// The Chinese label of a data gap's state (automatic backfill, 补传).
pub fn gap_state(code: &str) -> Cow<'static, str> {
    Cow::Borrowed(match code {
        "pending" => "待补传",
        "requesting" => "补传中",
        "partial" => "部分补传",
        "filled" => "已补传",
        "failed" => "无法补传",
        other => return Cow::Owned(format!("其他状态（{other}）")),
    })
}

/// The Chinese label of a period-data CN (what a gap is missing).
pub fn data_kind(cn: &str) -> Cow<'static, str> {
    Cow::Borrowed(match cn {
        "2051" => "分钟数据",
        "2061" => "小时数据",
        "2031" => "日数据",
        "2011" => "实时数据",
        other => return Cow::Owned(format!("其他数据（CN={other}）")),
    })
}

/// The Chinese label of an order's state.
pub fn order_state(code: &str) -> Cow<'static, str> {
    Cow::Borrowed(match code {
        "issued" => "待答复",
        "replied" => "已答复",
        "returned" => "已退回",
        "accepted" => "已办结",
        "escalated" => "已转立案",
        other => return Cow::Owned(format!("其他状态（{other}）")),
    })
}

/// The Chinese label of an item report's state.
pub fn item_report_state(code: &str) -> Cow<'static, str> {
    Cow::Borrowed(match code {
        "submitted" => "待审核",
        "accepted" => "已通过",
        "returned" => "已退回",
        other => return Cow::Owned(format!("其他状态（{other}）")),
    })
}

/// The Chinese label of a heavy-pollution warning level.
pub fn warning_level(code: &str) -> Cow<'static, str> {
    Cow::Borrowed(match code {
        "yellow" => "黄色预警（Ⅲ级）",
        "orange" => "橙色预警（Ⅱ级）",
        "red" => "红色预警（Ⅰ级）",
        other => return Cow::Owned(format!("其他级别（{other}）")),
    })
}

/// The Chinese label of a step of a heavy-pollution warning.
pub fn warning_event(code: &str) -> Cow<'static, str> {
    Cow::Borrowed(match code {
        "issue" => "发布",
        "raise" => "提级",
        "lower" => "降级",
        "lift" => "解除",
        other => return Cow::Owned(format!("其他（{other}）")),
    })
}

/// The Chinese label of a heavy-pollution warning's state.
pub fn warning_state(code: &str) -> Cow<'static, str> {
    Cow::Borrowed(match code {
        "active" => "生效中",
        "lifted" => "已解除",
        other => return Cow::Owned(format!("其他状态（{other}）")),
    })
}

/// The Chinese label of a warning notice's state.
pub fn notice_state(code: &str) -> Cow<'static, str> {
    Cow::Borrowed(match code {
        "issued" => "待确认",
        "confirmed" => "已确认",
        "superseded" => "已被新级别替代",
        other => return Cow::Owned(format!("其他状态（{other}）")),
    })
}

/// The Chinese label of a step on an order.
pub fn order_event(code: &str) -> Cow<'static, str> {
    Cow::Borrowed(match code {
        "issue" => "下发",
        "reply" => "答复",
        "return" => "退回",
        "accept" => "办结",
        "escalate" => "转立案",
        other => return Cow::Owned(format!("其他（{other}）")),
    })
}

/// The Chinese label of a case's state.
pub fn case_state(code: &str) -> Cow<'static, str> {
    Cow::Borrowed(match code {
        "filed" => "已立案",
        "decided" => "已作出处罚决定",
        "rectifying" => "整改中",
        "checked" => "复查合格",
        "closed" => "已销号",
        other => return Cow::Owned(format!("其他状态（{other}）")),
    })
}

/// The Chinese label of a remote command's state.
pub fn command_state(code: &str) -> Cow<'static, str> {
    Cow::Borrowed(match code {
        "queued" => "排队",
        "sent" => "已发送",
        "accepted" => "已接受",
        "refused" => "被拒绝",
        "done" => "已完成",
        "failed" => "执行失败",
        "timed_out" => "超时",
        other => return Cow::Owned(format!("其他状态（{other}）")),
    })
}

/// The Chinese label of a step on a case.
pub fn case_event(code: &str) -> Cow<'static, str> {
    Cow::Borrowed(match code {
        "file" => "立案",
        "decide" => "作出处罚决定",
        "report" => "报送整改情况",
        "check_pass" => "复查合格",
        "check_fail" => "复查不合格",
        "close" => "销号结案",
        other => return Cow::Owned(format!("其他（{other}）")),
    })
}

/// The Chinese label of a grade record's state.
pub fn heavy_grade_state(code: &str) -> Cow<'static, str> {
    Cow::Borrowed(match code {
        "applied" => "待县级审核",
        "returned" => "已退回",
        "reviewed" => "县级已审核，待市级公布",
        "published" => "已公布",
        "superseded" => "已被新结果取代",
        other => return Cow::Owned(format!("其他状态（{other}）")),
    })
}

/// The Chinese label of an inspection problem's source kind.
pub fn inspection_source(code: &str) -> Cow<'static, str> {
    Cow::Borrowed(match code {
        "central" => "中央生态环境保护督察",
        "provincial" => "省级生态环境保护督察",
        "audit" => "审计",
        "other" => "其他督查检查",
        other => return Cow::Owned(format!("其他来源（{other}）")),
    })
}

/// The Chinese label of an inspection problem's state.
pub fn inspection_state(code: &str) -> Cow<'static, str> {
    Cow::Borrowed(match code {
        "rectifying" => "整改中",
        "reported" => "已报完成待销号",
        "closed" => "已销号",
        other => return Cow::Owned(format!("其他状态（{other}）")),
    })
}

/// The Chinese label of a complaint's state.
pub fn complaint_state(code: &str) -> Cow<'static, str> {
    Cow::Borrowed(match code {
        "submitted" => "待受理",
        "accepted" => "已受理",
        "routed" => "已交办，办理中",
        "closed" => "已办结",
        "rejected" => "不予受理",
        "merged" => "已合并办理",
        other => return Cow::Owned(format!("其他状态（{other}）")),
    })
}

/// The Chinese label of a step on a complaint.
pub fn complaint_event(code: &str) -> Cow<'static, str> {
    Cow::Borrowed(match code {
        "submit" => "提交",
        "accept" => "受理",
        "reject" => "不予受理",
        "merge" => "合并",
        "route" => "交办",
        "handle" => "办结答复",
        "rate" => "评价",
        other => return Cow::Owned(format!("其他（{other}）")),
    })
}

/// The Chinese label of a complaint's category.
pub fn complaint_category(code: &str) -> Cow<'static, str> {
    Cow::Borrowed(match code {
        "air" => "大气污染（废气、烟尘、异味）",
        "water" => "水污染（污水、排污口）",
        "noise" => "噪声污染",
        "waste" => "固体废物、危险废物",
        "soil" => "土壤污染",
        "ecology" => "生态破坏",
        "other" => "其他",
        other => return Cow::Owned(format!("其他类别（{other}）")),
    })
}

/// The Chinese label of a complaint's finding.
pub fn complaint_finding(code: &str) -> Cow<'static, str> {
    Cow::Borrowed(match code {
        "substantiated" => "属实",
        "partly" => "部分属实",
        "unsubstantiated" => "不属实",
        other => return Cow::Owned(format!("其他（{other}）")),
    })
}

/// The Chinese label of a step on a grade record.
pub fn heavy_grade_event(code: &str) -> Cow<'static, str> {
    Cow::Borrowed(match code {
        "apply" => "提交申请",
        "approve" => "县级审核通过",
        "return" => "退回",
        "publish" => "市级公布",
        "record" => "直接录入",
        "supersede" => "被新结果取代",
        other => return Cow::Owned(format!("其他状态（{other}）")),
    })
}

/// The Chinese label of a consultation's kind.
pub fn consultation_kind(code: &str) -> Cow<'static, str> {
    Cow::Borrowed(match code {
        "plan_revision" => "规划修订",
        "policy" => "政策文件",
        "project" => "建设项目",
        other => return Cow::Owned(format!("其他（{other}）")),
    })
}

/// The Chinese label of a public comment's state.
pub fn comment_state(code: &str) -> Cow<'static, str> {
    Cow::Borrowed(match code {
        "pending" => "待审核",
        "published" => "已公开",
        "hidden" => "已隐藏",
        other => return Cow::Owned(format!("其他状态（{other}）")),
    })
}

/// The Chinese label of how a public comment was handled.
pub fn comment_decision(code: &str) -> Cow<'static, str> {
    Cow::Borrowed(match code {
        "adopted" => "采纳",
        "partly" => "部分采纳",
        "rejected" => "不采纳",
        other => return Cow::Owned(format!("其他（{other}）")),
    })
}

/// The Chinese label of a step on an inspection problem.
pub fn inspection_event(code: &str) -> Cow<'static, str> {
    Cow::Borrowed(match code {
        "register" => "登记",
        "revise" => "修改",
        "report" => "报送进展",
        "close" => "销号",
        "reopen" => "重新打开",
        other => return Cow::Owned(format!("其他（{other}）")),
    })
}

/// The Chinese label of the kind of a grade record.
pub fn heavy_grade_kind(code: &str) -> Cow<'static, str> {
    Cow::Borrowed(match code {
        "apply" => "申请评级",
        "upgrade" => "申请升级",
        "direct" => "直接录入",
        other => return Cow::Owned(format!("其他（{other}）")),
    })
}

/// The Chinese label of a warning level: 黄色预警, 橙色预警, 红色预警.
pub fn heavy_level(code: &str) -> Cow<'static, str> {
    match qingshan_sources::heavy::level(code) {
        Some(l) => Cow::Borrowed(l.label.as_str()),
        None => Cow::Owned(format!("其他级别（{code}）")),
    }
}

/// The Chinese names of a case's measure codes (comma-separated), joined with "、".
pub fn case_measures(codes: &str) -> String {
    codes
        .split(',')
        .filter(|c| !c.is_empty())
        .map(|c| {
            qingshan_sources::legal::measure_name(c)
                .map_or_else(|| format!("其他（{c}）"), str::to_string)
        })
        .collect::<Vec<_>>()
        .join("、")
}

/// The Chinese name of a data mark kind under the marking rule; an unknown one reads
/// "其他标记（code）".
pub fn mark_kind(code: &str) -> Cow<'static, str> {
    match marking_rule().and_then(|r| r.kind(code)) {
        Some(k) => Cow::Borrowed(k.name.as_str()),
        None => Cow::Owned(format!("其他标记（{code}）")),
    }
}

/// The embedded marking rule, parsed once; `None` if the embedded file is broken (a unit test
/// of `qingshan-sources` keeps it from shipping so).
pub fn marking_rule() -> Option<&'static qingshan_sources::marking::MarkingRule> {
    static RULE: std::sync::OnceLock<Option<qingshan_sources::marking::MarkingRule>> =
        std::sync::OnceLock::new();
    RULE.get_or_init(|| qingshan_sources::marking::MarkingRule::embedded().ok())
        .as_ref()
}

/// The audit log's actor as a person reads it: the server and the console get Chinese names.
pub fn actor(name: &str) -> Cow<'_, str> {
    match name {
        "system" => Cow::Borrowed("系统"),
        "cli" => Cow::Borrowed("命令行"),
        other => Cow::Borrowed(other),
    }
}

/// The outcome of an audited action.
pub fn outcome(code: &str) -> &'static str {
    match code {
        "ok" => "成功",
        _ => "拒绝",
    }
}

/// Keys of the `key:value` / `key=value` words audit targets and details are written with.
const AUDIT_KEYS: &[(&str, &str)] = &[
    ("air_station", "空气站点"),
    ("air_stations", "空气站点"),
    ("alarm", "告警"),
    ("cn", "命令编码"),
    ("command", "远程命令"),
    ("data_mark", "数据标记"),
    ("database", "数据库"),
    ("device", "设备"),
    ("division", "区划"),
    ("evidence", "佐证材料"),
    ("incident", "事件"),
    ("indicator", "指标"),
    ("order", "督办单"),
    ("case", "案件"),
    ("heavy_grade", "绩效分级记录"),
    ("enterprise", "排污单位"),
    ("level", "预警级别"),
    ("outlets", "排放口"),
    ("reduction_measures", "减排措施"),
    ("inspection", "督察整改问题"),
    ("consultation", "征求意见"),
    ("consultation_comment", "公众意见"),
    ("satisfaction", "满意度问卷"),
    ("complaint", "投诉举报"),
    ("due", "办结期限"),
    ("finding", "调查结论"),
    ("rating", "评价"),
    ("photos", "照片"),
    ("disclosure", "环境信息披露报告"),
    ("disclosure_list", "环境信息依法披露企业名单"),
    ("disclosure_trigger", "临时报告触发事项"),
    ("measures", "处罚措施"),
    ("password", "访问密码"),
    ("late", "迟报"),
    ("page", "页面"),
    ("period", "周期"),
    ("plan", "规划"),
    ("raw_frames", "原始报文"),
    ("reason", "原因"),
    ("refused_traffic", "拒收报文"),
    ("registry", "污染源登记"),
    ("revision", "版本"),
    ("role", "角色"),
    ("row", "行"),
    ("session", "会话"),
    ("unit", "责任单位"),
    ("source", "来源"),
    ("task", "任务"),
    ("task_report", "任务进展"),
    ("user", "账号"),
    ("user_id", "账号编号"),
    ("values", "指标数值"),
    ("water_section", "水质断面"),
    ("water_sections", "水质断面"),
    ("year", "年份"),
    ("credit_rating", "信用评价"),
    ("objection", "异议"),
    ("repair", "信用修复申请"),
];

/// The Chinese label of any stored code word (a source, an alarm status or kind, a task
/// status, a role, a judgement), or `None` if the word is not one.
pub fn code_word(word: &str) -> Option<Cow<'static, str>> {
    if let Some(r) = crate::Role::parse(word) {
        return Some(Cow::Borrowed(r.label()));
    }
    if let Some(t) = crate::TaskStatus::parse(word) {
        return Some(Cow::Borrowed(t.label()));
    }
    if let Some(k) = qingshan_sources::supervision::AlarmKind::parse(word) {
        return Some(Cow::Borrowed(k.label()));
    }
    Some(Cow::Borrowed(match word {
        "manual" => "人工填报",
        "import" => "批量导入",
        "monitoring" => "监测数据计算",
        "correction" => "更正",
        "api" => "接口报送",
        "hj212" => "自动监测",
        "open" => "待处理",
        "acknowledged" => "已确认",
        "assigned" => "已指派",
        "closed" => "已关闭",
        "met" => "已完成",
        "not_met" => "未完成",
        "pending" => "待审核",
        "accepted" => "已认可",
        "rejected" => "已驳回",
        "issued" => "待答复",
        "replied" => "已答复",
        "returned" => "已退回",
        "escalated" => "已转立案",
        "filed" => "已立案",
        "decided" => "已作出处罚决定",
        "rectifying" => "整改中",
        "checked" => "复查合格",
        "applied" => "待县级审核",
        "reviewed" => "县级已审核",
        "published" => "已公布",
        "superseded" => "已被取代",
        "removed" => "已移出",
        "yellow" => "黄色预警",
        "orange" => "橙色预警",
        "red" => "红色预警",
        "reported" => "已报完成待销号",
        "submitted" => "待受理",
        "routed" => "已交办",
        "merged" => "已合并办理",
        "substantiated" => "属实",
        "partly" => "部分属实",
        "unsubstantiated" => "不属实",
        _ => {
            return marking_rule()
                .and_then(|r| r.kind(word))
                .map(|k| Cow::Borrowed(k.name.as_str()));
        }
    }))
}

/// An audit target or detail as people read it: `indicator:6 year:2024` → `指标：6 年份：2024`,
/// `source=monitoring` → `来源：监测数据计算`, a bare code word by its label. Other words, and
/// all Chinese text, are kept as written.
pub fn audit_text(text: &str) -> String {
    let key = |k: &str| AUDIT_KEYS.iter().find(|(c, _)| *c == k).map(|(_, l)| *l);
    text.split(' ')
        .map(|word| {
            let split = word
                .split_once('=')
                .or_else(|| word.split_once(':'))
                .and_then(|(k, v)| key(k).map(|l| (l, v)));
            match split {
                Some((label, value)) => {
                    let value =
                        code_word(value).map_or_else(|| value.to_string(), |c| c.into_owned());
                    format!("{label}：{value}")
                }
                None => match (code_word(word), key(word)) {
                    (Some(c), _) => c.into_owned(),
                    (None, Some(l)) => l.to_string(),
                    (None, None) => word.to_string(),
                },
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The Chinese label of a disclosure report kind.
pub fn disclosure_kind(code: &str) -> Cow<'static, str> {
    match code {
        "annual" => Cow::Borrowed("年度报告"),
        "temporary" => Cow::Borrowed("临时报告"),
        other => Cow::Owned(format!("其他报告（{other}）")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every string literal of the form `word.word` in the crates that audit, except file names.
    fn action_literals() -> Vec<(String, String)> {
        const NOT_ACTIONS: &[&str] = &[
            "html", "csv", "xlsx", "pdf", "db", "toml", "rs", "txt", "png", "xml", "json", "svg",
            "css", "js", "com", "zip", "fill", "test", "geojson",
        ];
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut found = Vec::new();
        for krate in ["store", "app", "server", "cli"] {
            let mut dirs = vec![root.join(krate).join("src")];
            while let Some(dir) = dirs.pop() {
                for entry in std::fs::read_dir(&dir).unwrap() {
                    let path = entry.unwrap().path();
                    if path.is_dir() {
                        dirs.push(path);
                        continue;
                    }
                    if path.extension().is_none_or(|e| e != "rs") {
                        continue;
                    }
                    let text = std::fs::read_to_string(&path).unwrap();
                    for lit in text.split('"').skip(1).step_by(2) {
                        let Some((a, b)) = lit.split_once('.') else {
                            continue;
                        };
                        let word = |s: &str| {
                            !s.is_empty() && s.bytes().all(|c| c.is_ascii_lowercase() || c == b'_')
                        };
                        if word(a) && word(b) && !NOT_ACTIONS.contains(&b) {
                            found.push((lit.to_string(), path.display().to_string()));
                        }
                    }
                }
            }
        }
        found
    }

    #[test]
    fn every_audit_action_in_the_code_has_a_label() {
        let found = action_literals();
        // The scan must see the actions we know are written, or it scans nothing.
        for known in ["alarm.raise", "indicator_value.record", "session.login"] {
            assert!(found.iter().any(|(l, _)| l == known), "scan misses {known}");
        }
        let missing: Vec<_> = found
            .iter()
            .filter(|(l, _)| !AUDIT_ACTIONS.iter().any(|(c, _)| c == l))
            .collect();
        assert!(
            missing.is_empty(),
            "audit actions without a Chinese label: {missing:?}"
        );
    }

    #[test]
    fn labels_are_chinese_and_unknown_codes_fall_back() {
        assert_eq!(audit_action("alarm.raise"), "产生告警");
        assert_eq!(audit_action("foo.bar"), "其他操作（foo.bar）");
        assert_eq!(value_source("monitoring"), "监测数据计算");
        assert_eq!(alarm_status("open"), "待处理");
        assert_eq!(
            audit_text("indicator:6 year:2024 division:140900"),
            "指标：6 年份：2024 区划：140900"
        );
        assert_eq!(
            audit_text("revision=2 source=monitoring reason="),
            "版本：2 来源：监测数据计算 原因："
        );
        assert_eq!(audit_text("staff"), "生态环境局工作人员");
        assert_eq!(audit_text("water_sections"), "水质断面");
        assert_eq!(
            audit_text("断面 1 个：W01，2024-01-01T00:00"),
            "断面 1 个：W01，2024-01-01T00:00"
        );
        for (code, label) in AUDIT_ACTIONS {
            assert!(!label.is_ascii(), "{code} has no Chinese label");
        }
    }
}
