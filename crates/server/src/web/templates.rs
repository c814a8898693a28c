//! Page templates, compiled into the binary.

use std::sync::LazyLock;

use minijinja::Environment;

macro_rules! templates {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../templates/", $name)))),*]
    };
}

const SOURCES: &[(&str, &str)] = templates!(
    "base.html",
    "marks.html",
    "mark.html",
    "mark_new.html",
    "orders.html",
    "order.html",
    "ledger.html",
    "ledger_task.html",
    "ledger_item.html",
    "cases.html",
    "case.html",
    "case_new.html",
    "heavy_grades.html",
    "heavy_grade.html",
    "heavy_apply.html",
    "heavy_reductions.html",
    "heavy_reduction_edit.html",
    "warnings.html",
    "warning.html",
    "warning_report.html",
    "inspections.html",
    "inspection.html",
    "inspection_new.html",
    "inspection_fields.html",
    "inspections_public.html",
    "credit_lookup.html",
    "credit_ratings.html",
    "credit_rating.html",
    "credit_finding.html",
    "nav.html",
    "report.html",
    "dashboard.html",
    "cockpit.html",
    "indicator.html",
    "tasks.html",
    "login.html",
    "audit.html",
    "error.html",
    "air.html",
    "air_station.html",
    "air_warning.html",
    "sources.html",
    "device_commands.html",
    "device.html",
    "device_gaps.html",
    "gaps.html",
    "device_params.html",
    "device_params_page.html",
    "alarms.html",
    "incident.html",
    "registry_edit.html",
    "enterprise_home.html",
    "enterprise_accounts.html",
    "account_password.html",
    "admin_users.html",
    "water.html",
    "water_section.html",
    "pager.html",
    "import_report.html",
    "assessment_inputs.html",
    "station_form.html",
    "import_failed.html",
    "consultations.html",
    "consultation.html",
    "consultation_new.html",
    "consultation_fields.html",
    "public_consultations.html",
    "public_consultation.html",
    "public_satisfaction.html",
    "public_base.html",
    "public_home.html",
    "public_air.html",
    "public_water.html",
    "public_plan.html",
    "public_sources.html",
    "public_part_air.html",
    "public_part_water.html",
    "public_part_plan.html",
    "public_part_warning.html",
    "public_part_downloads.html",
    "complaint_new.html",
    "complaint_receipt.html",
    "complaint_track.html",
    "complaints_public.html",
    "complaints.html",
    "complaint.html",
    "disclosure.html",
    "disclosure_list.html",
    "disclosure_report.html",
    "disclosure_mine.html",
    "disclosure_edit.html",
    "disclosure_manage.html",
    "disclosure_overdue.html",
);

/// The template environment; built once, templates are static.
pub static ENV: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    crate::web::display::register(&mut env);
    for (name, src) in SOURCES {
        if let Err(e) = env.add_template(name, src) {
            // A broken template is a build defect; the test suite renders every page.
            tracing::error!(template = name, error = %e, "template does not compile");
        }
    }
    env
});

/// Renders a template with a context.
pub fn render(name: &str, ctx: minijinja::Value) -> Result<String, minijinja::Error> {
    ENV.get_template(name)?.render(ctx)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_template_compiles() {
        let mut env = minijinja::Environment::new();
        for (name, src) in super::SOURCES {
            env.add_template(name, src)
                .unwrap_or_else(|e| panic!("{name}: {e:#}"));
        }
    }
}
