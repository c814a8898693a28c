//! How stored codes and times read on pages and in exports: Beijing time, Chinese labels of
//! enum codes, HJ 212 factors by name and unit. Templates reach these as filters (registered in
//! [`crate::web::templates`]); CSV/XLSX exports call the functions directly.

/// A stored timestamp as Beijing time, `2026-12-02 15:41` ([`qingshan_app::display::time`]).
pub fn beijing(text: &str) -> String {
    qingshan_app::display::time(text)
}

/// An HJ 212 factor as people read it ([`qingshan_app::display::factor`]).
pub fn factor(code: &str) -> String {
    qingshan_app::display::factor(code)
}

/// The Chinese label of a stored code of the given kind. Unknown kinds and codes come back in
/// a Chinese wrapper, so no bare code reaches a page.
pub fn label(kind: &str, code: &str) -> String {
    use qingshan_store::labels;
    match kind {
        "source" => labels::value_source(code).into_owned(),
        "alarm_status" => labels::alarm_status(code).into_owned(),
        "mark_state" => labels::mark_state(code).into_owned(),
        "mark_kind" => labels::mark_kind(code).into_owned(),
        "order_state" => labels::order_state(code).into_owned(),
        "gap_state" => labels::gap_state(code).into_owned(),
        "data_kind" => labels::data_kind(code).into_owned(),
        "warning_level" => labels::warning_level(code).into_owned(),
        "warning_event" => labels::warning_event(code).into_owned(),
        "warning_state" => labels::warning_state(code).into_owned(),
        "notice_state" => labels::notice_state(code).into_owned(),
        "alarm_kind" => qingshan_sources::supervision::AlarmKind::parse(code)
            .map_or_else(|| format!("其他告警（{code}）"), |k| k.label().to_string()),
        "role" => qingshan_store::Role::parse(code)
            .map_or_else(|| format!("其他角色（{code}）"), |r| r.label().to_string()),
        "task_status" => qingshan_store::TaskStatus::parse(code)
            .map_or_else(|| format!("其他状态（{code}）"), |s| s.label().to_string()),
        "action" => labels::audit_action(code).into_owned(),
        "actor" => labels::actor(code).into_owned(),
        "outcome" => labels::outcome(code).to_string(),
        "audit_text" => labels::audit_text(code),
        "device_state" => match code {
            "true" | "online" => "在线".into(),
            _ => "离线".into(),
        },
        _ => format!("（{code}）"),
    }
}

/// Registers the filters: `beijing`, `factor`, `label(kind)`.
pub fn register(env: &mut minijinja::Environment<'static>) {
    env.add_filter("beijing", |v: Option<String>| {
        v.map(|t| beijing(&t)).unwrap_or_default()
    });
    env.add_filter("factor", |v: Option<String>| {
        factor(v.as_deref().unwrap_or(""))
    });
    env.add_filter("label", |v: minijinja::Value, kind: String| {
        if v.is_none() || v.is_undefined() {
            return String::new();
        }
        let code = match v.as_str() {
            Some(s) => s.to_string(),
            None => v.to_string(),
        };
        label(&kind, &code)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_evening_is_the_next_day_in_beijing() {
        assert_eq!(beijing("2026-12-01T16:30:00.000Z"), "2026-12-02 00:30");
        assert_eq!(beijing("2026-12-01T16:30:00+00:00"), "2026-12-02 00:30");
        assert_eq!(beijing("2026-12-01 16:30:00"), "2026-12-02 00:30");
        assert_eq!(beijing("2026-12-31T23:59:00Z"), "2027-01-01 07:59");
        assert_eq!(beijing("2026-12-02T15:41:00+08:00"), "2026-12-02 15:41");
    }

    #[test]
    fn device_clock_and_other_text_are_kept() {
        assert_eq!(beijing("20261202154100"), "2026-12-02 15:41");
        assert_eq!(beijing("2025-80"), "2025-80");
        assert_eq!(beijing(""), "");
    }

    #[test]
    fn factors_read_by_name_and_unit() {
        assert_eq!(factor("a21026"), "二氧化硫（a21026）mg/m³");
        assert_eq!(factor("w01001"), "pH值（w01001）无量纲");
        assert_eq!(factor("x99999"), "监测因子 x99999");
        assert_eq!(factor(""), "整台设备");
    }

    #[test]
    fn labels_through_the_filter() {
        let mut env = minijinja::Environment::new();
        register(&mut env);
        let out = env
            .render_str(
                "{{ a | label('source') }}|{{ b | label('alarm_status') }}|{{ c | label('action') }}|{{ d | label('role') }}|{{ t | beijing }}|{{ f | factor }}|{{ n | beijing }}",
                minijinja::context! { a => "manual", b => "open", c => "alarm.raise", d => "county", t => "2026-12-01T16:30:00Z", f => "a21026", n => () },
            )
            .unwrap();
        assert_eq!(
            out,
            "人工填报|待处理|产生告警|县（市、区）用户|2026-12-02 00:30|二氧化硫（a21026）mg/m³|"
        );
    }
}
