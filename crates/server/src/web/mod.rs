//! The web kernel: what every feature's pages and API share. The error and its responses,
//! sign-in and CSRF ([`auth`]), page rendering ([`page`], [`templates`]), refused writes'
//! audit ([`audit`]), escaping ([`html`]), charts, download tables and attachments, and the few
//! routes that belong to no feature. Features build on this and on `qingshan_app`, never on each
//! other.

pub mod audit;
pub mod auth;
pub mod chart;
pub mod download;
pub mod error;
pub mod html;
pub mod page;
pub mod routes;
pub mod table;
pub mod templates;
