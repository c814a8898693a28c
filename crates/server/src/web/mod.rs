//! The web kernel: what every feature's pages and API share. The error and its responses,
//! sign-in and CSRF ([`auth`]), page rendering ([`page`], [`templates`]), refused writes'
//! audit ([`audit`]), escaping ([`html`]), charts, download tables and attachments, the few
//! routes that belong to no feature, and what every response and connection gets
//! ([`security`]: headers, timeouts, the local `next`), paged lists ([`paging`]), CSV cells kept
//! from running as formulas ([`csv_safe`]) and imports' counts shown ([`import_report`]).
//! Features build on this and on `qingshan_app`, never on each other.

pub mod audit;
pub mod auth;
pub mod chart;
pub mod csv_safe;
pub mod display;
pub mod download;
pub mod error;
pub mod html;
pub mod import_report;
pub mod page;
pub mod paging;
pub mod public;
pub mod query;
pub mod routes;
pub mod scope;
pub mod security;
pub mod table;
pub mod templates;
pub mod upload;
