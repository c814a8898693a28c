//! The query-string extractor every handler uses. A parameter that does not parse is answered
//! in Chinese, naming the parameter and keeping what the user typed: pages get the error page
//! in the site layout (with a link that drops the bad parameter), `/api/…` gets JSON. Both
//! answer 400.

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use crate::web::page::{ErrorPage, RetryForm};

/// A deserialised query string (wraps what `axum::extract::Query` does).
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

/// A query string that did not parse (boxed: a rejection travels in a `Result`).
#[derive(Debug, Clone)]
pub struct QueryRejection(Box<Rejected>);

impl std::ops::Deref for QueryRejection {
    type Target = Rejected;
    fn deref(&self) -> &Rejected {
        &self.0
    }
}

/// What did not parse: which parameter, what was typed, what is wrong.
#[derive(Debug, Clone)]
pub struct Rejected {
    /// The parameter's name as in the URL (`year`); empty when the string as a whole is bad.
    pub param: String,
    /// What the user typed for it.
    pub typed: Option<String>,
    /// What is wrong, in Chinese.
    pub problem: String,
    /// The same page without the bad parameter.
    pub retry: String,
    path: String,
    others: Vec<(String, String)>,
    api: bool,
}

impl Rejected {
    /// The message people read: `参数“年份”（year）的值“abc”无效：应为整数`.
    pub fn message(&self) -> String {
        if self.param.is_empty() {
            return format!("网址中的查询参数无法识别：{}", self.problem);
        }
        let name = qingshan_app::fields::field_label(&self.param);
        let named = if name == self.param {
            format!("参数“{}”", self.param)
        } else {
            format!("参数“{name}”（{}）", self.param)
        };
        match &self.typed {
            Some(t) => format!("{named}的值“{t}”无效：{}", self.problem),
            None => format!("{named}无效：{}", self.problem),
        }
    }
}

impl IntoResponse for QueryRejection {
    fn into_response(self) -> Response {
        if self.api {
            let body = serde_json::json!({
                "error": "invalid_query",
                "field": self.param,
                "message": self.message(),
            });
            return (StatusCode::BAD_REQUEST, axum::Json(body)).into_response();
        }
        let form = (!self.param.is_empty()).then(|| RetryForm {
            action: self.path.clone(),
            label: qingshan_app::fields::field_label(&self.param).into_owned(),
            param: self.param.clone(),
            typed: self.typed.clone().unwrap_or_default(),
            keep: self.others.clone(),
        });
        ErrorPage {
            status: StatusCode::BAD_REQUEST,
            message: self.message(),
            retry: Some(self.retry.clone()),
            form,
        }
        .into_response()
    }
}

/// What serde says, in Chinese; the common cases by name, the rest as a format error.
fn problem_in_chinese(serde_message: &str) -> String {
    let m = serde_message;
    if m.contains("invalid digit") || m.contains("number too") || m.contains("integer") {
        "应为整数".into()
    } else if m.contains("float") || m.contains("decimal") {
        "应为数字".into()
    } else if m.contains("unknown variant") {
        "不是可选的值".into()
    } else if m.contains("missing field") {
        "缺少此参数".into()
    } else if m.contains("bool") {
        "应为 true 或 false".into()
    } else {
        "格式不正确".into()
    }
}

/// The query string without the parameter `param`.
fn without(path: &str, query: &str, param: &str) -> String {
    let kept: Vec<(String, String)> = form_pairs(query)
        .into_iter()
        .filter(|(k, _)| k != param)
        .collect();
    if kept.is_empty() {
        return path.to_string();
    }
    let q = serde_urlencoded::to_string(&kept).unwrap_or_default();
    format!("{path}?{q}")
}

fn form_pairs(query: &str) -> Vec<(String, String)> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(query).unwrap_or_default()
}

/// Parses `query` into `T`, or says which parameter is wrong.
pub fn parse<T: DeserializeOwned>(path: &str, query: &str) -> Result<T, QueryRejection> {
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|e| {
        let inner = e.inner().to_string();
        let mut param = e.path().to_string();
        if param == "." || param.is_empty() {
            // A missing field is reported at the top: its name is in the message.
            param = inner.split('`').nth(1).unwrap_or_default().to_string();
        }
        let pairs = form_pairs(query);
        let typed = pairs
            .iter()
            .find(|(k, _)| *k == param)
            .map(|(_, v)| v.clone());
        let others = pairs.into_iter().filter(|(k, _)| *k != param).collect();
        QueryRejection(Box::new(Rejected {
            path: path.to_string(),
            others,
            retry: without(path, query, &param),
            param,
            typed,
            problem: problem_in_chinese(&inner),
            api: path.starts_with("/api/"),
        }))
    })
}

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = QueryRejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        parse(parts.uri.path(), query).map(Query)
    }
}

/// A text parameter with its surrounding blanks removed; `None` when it is absent or blank (an
/// empty select or search box means "no filter").
pub fn filled(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct YearQuery {
        year: Option<i32>,
        status: Option<String>,
    }

    #[test]
    fn a_bad_year_is_named_and_kept() {
        let e = parse::<YearQuery>("/water", "year=abc&status=open").unwrap_err();
        assert_eq!(e.param, "year");
        assert_eq!(e.typed.as_deref(), Some("abc"));
        assert_eq!(e.retry, "/water?status=open");
        assert_eq!(e.message(), "参数“年份”（year）的值“abc”无效：应为整数");
        assert!(!e.api);
        assert!(
            parse::<YearQuery>("/api/v1/air", "year=2x")
                .unwrap_err()
                .api
        );
        assert_eq!(
            parse::<YearQuery>("/air", "year=2024").unwrap().year,
            Some(2024)
        );
    }
}
