//! The server's layout holds: a feature folder (or single-file feature such as `gateway.rs`)
//! under `src/` reaches the kernel (`web/`), `qingshan_app` and its own modules, never another
//! feature; the kernel names no feature; `lib.rs` only assembles routers and starts the server.
//! See docs/architecture.md.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

/// The kernel every feature may use, and the root file that assembles them.
const KERNEL: &str = "web";

/// Functions `lib.rs` may define: the router assembly, the entry points, and settings' defaults.
const LIB_FNS: [&str; 4] = ["router", "prepare", "serve", "default"];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every feature under `src/`: each folder but the kernel, and each file but `lib.rs`.
fn features(src: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(src).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let folder = path.is_dir() && name != KERNEL;
        let file = path.extension().is_some_and(|e| e == "rs") && name != "lib";
        if folder || file {
            out.push(name);
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Every `.rs` file under `dir` (or `dir` itself when it is a file).
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    if dir.is_file() {
        return vec![dir.to_path_buf()];
    }
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// The code of a file with comments blanked out (line numbers kept), so that prose may name
/// other features.
fn code_only(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let b: Vec<char> = text.chars().collect();
    let mut i = 0;
    let (mut in_str, mut block) = (false, 0usize);
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if block > 0 {
            if c == '*' && next == Some('/') {
                block -= 1;
                i += 2;
                continue;
            }
            if c == '/' && next == Some('*') {
                block += 1;
                i += 2;
                continue;
            }
            out.push(if c == '\n' { '\n' } else { ' ' });
            i += 1;
            continue;
        }
        if in_str {
            if c == '\\' {
                out.push(' ');
                out.push(' ');
                i += 2;
                continue;
            }
            if c == '"' {
                in_str = false;
            }
            out.push(if c == '\n' { '\n' } else { ' ' });
            i += 1;
            continue;
        }
        match (c, next) {
            ('/', Some('/')) => {
                while i < b.len() && b[i] != '\n' {
                    i += 1;
                }
            }
            ('/', Some('*')) => {
                block = 1;
                i += 2;
            }
            ('"', _) => {
                in_str = true;
                out.push(' ');
                i += 1;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The first segments a path names after `at` (just past `crate::` or the `super::`s that reach
/// the crate root): one identifier, or the items of a `{…}` group.
fn first_segments(code: &str, at: usize) -> Vec<(usize, String)> {
    let rest = &code[at..];
    let trimmed = rest.trim_start();
    let start = at + (rest.len() - trimmed.len());
    if let Some(group) = trimmed.strip_prefix('{') {
        let mut depth = 1usize;
        let mut out = Vec::new();
        let mut expect = true;
        for (i, c) in group.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                ',' if depth == 1 => expect = true,
                c if expect && depth == 1 && is_ident(c) => {
                    let name: String = group[i..].chars().take_while(|c| is_ident(*c)).collect();
                    out.push((start + 1 + i, name));
                    expect = false;
                }
                _ => {}
            }
        }
        out
    } else {
        let name: String = trimmed.chars().take_while(|c| is_ident(*c)).collect();
        vec![(start, name)]
    }
}

/// The crate-level items a file's code names, with their byte offsets: through `crate::…`, and
/// through as many `super::` as the file's module depth (`air/mod.rs` is 1 deep, `air/svg.rs` 2).
fn root_items(code: &str, depth: usize) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    let starts_word = |i: usize| i == 0 || !is_ident(char::from(bytes[i - 1]));
    for (i, _) in code.match_indices("crate::") {
        if starts_word(i) {
            out.extend(first_segments(code, i + "crate::".len()));
        }
    }
    let mut i = 0;
    while let Some(found) = code[i..].find("super::") {
        let at = i + found;
        if !starts_word(at) || (at >= 2 && &code[at - 2..at] == "::") {
            i = at + 1;
            continue;
        }
        let mut end = at;
        let mut count = 0;
        while code[end..].starts_with("super::") {
            count += 1;
            end += "super::".len();
        }
        if count == depth {
            out.extend(first_segments(code, end));
        }
        i = end;
    }
    out
}

/// Violations in one file of feature `own`: (line, text).
fn violations(text: &str, depth: usize, own: &str, features: &[String]) -> Vec<(usize, String)> {
    let code = code_only(text);
    root_items(&code, depth)
        .into_iter()
        .filter(|(_, name)| name != own && features.iter().any(|f| f == name))
        .map(|(at, name)| {
            let line = code[..at].matches('\n').count() + 1;
            (line, name)
        })
        .collect()
}

#[test]
fn no_feature_names_another() {
    let src = src();
    let features = features(&src);
    for expected in ["plan", "assessment", "air", "water", "sources", "accounts"] {
        assert!(
            features.iter().any(|f| f == expected),
            "feature folder {expected} missing from {features:?}"
        );
    }
    let mut found = Vec::new();
    // The kernel is below every feature: it names none of them either.
    for feature in features.iter().chain(std::iter::once(&KERNEL.to_string())) {
        let root = if src.join(feature).is_dir() {
            src.join(feature)
        } else {
            src.join(format!("{feature}.rs"))
        };
        for file in rust_files(&root) {
            let rel = file.strip_prefix(&src).unwrap();
            let mut depth = rel.components().count();
            if rel.file_name().is_some_and(|n| n == "mod.rs") {
                depth -= 1;
            }
            let text = std::fs::read_to_string(&file).unwrap();
            for (line, other) in violations(&text, depth, feature, &features) {
                found.push(format!(
                    "crates/server/src/{}:{line}: `{feature}` names feature `{other}`",
                    rel.display()
                ));
            }
        }
    }
    assert!(
        found.is_empty(),
        "a feature may use crate::web and qingshan_app, never another feature; move what two \
         features share into web/ (HTTP, rendering) or qingshan-app (logic):\n{}",
        found.join("\n")
    );
}

#[test]
fn lib_only_assembles() {
    let text = std::fs::read_to_string(src().join("lib.rs")).unwrap();
    let code = code_only(&text);
    let mut found = Vec::new();
    for (n, line) in code.lines().enumerate() {
        let t = line.trim_start();
        let Some(i) = t.find("fn ") else { continue };
        if i > 0 && is_ident(t[..i].chars().last().unwrap_or(' ')) {
            continue;
        }
        let name: String = t[i + 3..].chars().take_while(|c| is_ident(*c)).collect();
        let is_async = t[..i].contains("async");
        let allowed =
            LIB_FNS.contains(&name.as_str()) && (!is_async || name == "serve" || name == "prepare");
        if !allowed {
            found.push(format!("crates/server/src/lib.rs:{}: fn {name}", n + 1));
        }
    }
    assert!(
        found.is_empty(),
        "lib.rs assembles the features' routers and starts the server; handlers and helpers \
         belong in a feature folder or web/:\n{}",
        found.join("\n")
    );
}

/// The checks themselves catch what they are for (a check that cannot fail checks nothing).
#[test]
fn the_checks_catch_violations() {
    let features: Vec<String> = ["air", "water", "plan", "sources"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let bad = "//! Uses `crate::water` in prose only.\nuse crate::web::page;\nuse crate::water::section_year;\n";
    assert_eq!(
        violations(bad, 1, "air", &features),
        [(3, "water".to_string())]
    );
    let grouped = "use crate::{\n    AppState,\n    sources::{attention, online},\n    web::auth::Auth,\n};\n";
    assert_eq!(
        violations(grouped, 2, "plan", &features),
        [(3, "sources".to_string())]
    );
    // In air/svg.rs, super::super is the crate root; in air/mod.rs, one super is.
    assert_eq!(
        violations("fn f() { super::super::plan::x(); }", 2, "air", &features),
        [(1, "plan".to_string())]
    );
    assert_eq!(
        violations("use super::water;", 1, "air", &features),
        [(1, "water".to_string())]
    );
    assert!(violations("use super::svg;", 2, "air", &features).is_empty());
    assert!(violations("let s = \"crate::water\";", 1, "air", &features).is_empty());
    assert!(violations("use crate::air::svg;", 1, "air", &features).is_empty());
}
