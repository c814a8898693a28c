//! Page numbers for lists that grow with data (quarantine, alarms, audit log): the `page`
//! query parameter in, a pager for the template out.

use serde::{Deserialize, Serialize};

/// Items per page of every paged list: a page stays a few hundred kilobytes of HTML.
pub const PER_PAGE: i64 = 100;

/// The `page` query parameter (1-based); absent or unreadable means the first page.
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    /// 1-based page number.
    pub page: Option<String>,
}

/// Where a page starts and what the template's pager shows.
#[derive(Debug, Clone, Serialize)]
pub struct Pager {
    /// 1-based page shown.
    pub page: i64,
    /// Pages in all (at least 1).
    pub pages: i64,
    /// Items in all.
    pub total: i64,
    /// Items per page.
    #[serde(skip)]
    pub per_page: i64,
    /// Link to the previous page, if any.
    pub prev: Option<String>,
    /// Link to the next page, if any.
    pub next: Option<String>,
}

/// A page number taken from the query: a positive integer, else 1. Capped so that a crafted
/// number cannot overflow the offset.
pub fn requested(q: &PageQuery) -> i64 {
    q.page
        .as_deref()
        .and_then(|p| p.trim().parse::<i64>().ok())
        .filter(|p| *p >= 1)
        .map_or(1, |p| p.min(1_000_000))
}

/// The LIMIT and OFFSET of page `page` with `per_page` items.
pub fn window(page: i64, per_page: i64) -> (i64, i64) {
    (per_page, (page - 1).saturating_mul(per_page))
}

impl Pager {
    /// The pager of page `page` over `total` items, linking to `path` with the request's other
    /// query parameters (`raw_query`, still percent-encoded) kept.
    pub fn new(page: i64, per_page: i64, total: i64, path: &str, raw_query: Option<&str>) -> Pager {
        Pager::for_param("page", page, per_page, total, path, raw_query)
    }

    /// As [`Pager::new`], for a page that shows two paged lists: this one's page number is
    /// the query parameter `param`.
    pub fn for_param(
        param: &str,
        page: i64,
        per_page: i64,
        total: i64,
        path: &str,
        raw_query: Option<&str>,
    ) -> Pager {
        let pages = ((total + per_page - 1) / per_page.max(1)).max(1);
        let own = format!("{param}=");
        let kept: Vec<&str> = raw_query
            .unwrap_or("")
            .split('&')
            .filter(|kv| !kv.is_empty() && !kv.starts_with(&own))
            .collect();
        let link = |n: i64| {
            let mut q = kept.clone();
            let p = format!("{param}={n}");
            q.push(&p);
            format!("{path}?{}", q.join("&"))
        };
        Pager {
            page,
            pages,
            total,
            per_page,
            prev: (page > 1).then(|| link((page - 1).min(pages))),
            next: (page < pages).then(|| link(page + 1)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_and_links() {
        let q = |p: &str| PageQuery {
            page: Some(p.into()),
        };
        assert_eq!(requested(&q("3")), 3);
        assert_eq!(requested(&q("0")), 1);
        assert_eq!(requested(&q("-2")), 1);
        assert_eq!(requested(&q("x")), 1);
        assert_eq!(requested(&PageQuery::default()), 1);
        assert_eq!(requested(&q("99999999999999")), 1_000_000);
        assert_eq!(window(3, 100), (100, 200));
        let p = Pager::new(
            2,
            100,
            250,
            "/alarms",
            Some("status=open&page=2&county=140902"),
        );
        assert_eq!(p.pages, 3);
        assert_eq!(
            p.prev.as_deref(),
            Some("/alarms?status=open&county=140902&page=1")
        );
        assert_eq!(
            p.next.as_deref(),
            Some("/alarms?status=open&county=140902&page=3")
        );
        let last = Pager::new(3, 100, 250, "/sources", None);
        assert_eq!(last.next, None);
        assert_eq!(last.prev.as_deref(), Some("/sources?page=2"));
        assert_eq!(Pager::new(1, 100, 0, "/x", None).pages, 1);
        let q = Pager::for_param("qpage", 1, 100, 250, "/sources", Some("page=2&qpage=1"));
        assert_eq!(q.next.as_deref(), Some("/sources?page=2&qpage=2"));
    }
}
