//! Text put into HTML or SVG that the server builds by hand (templates escape on their own) is
//! escaped by the one escape function, `qingshan_chart::escape`.

pub use qingshan_chart::escape;
