//! The app knows no HTTP: neither its manifest nor anything it depends on (per Cargo.lock)
//! names the web framework or the template engine. See docs/architecture.md.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// What the use cases must not depend on.
const FORBIDDEN: [&str; 5] = ["axum", "tower", "tower-http", "minijinja", "hyper"];

/// Dependency names a manifest declares, in any dependency table, with their lines.
fn manifest_dependencies(manifest: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut in_deps = false;
    for (n, line) in manifest.lines().enumerate() {
        let t = line.trim();
        if t.starts_with('[') {
            in_deps = t
                .trim_matches(|c| c == '[' || c == ']')
                .ends_with("dependencies");
            continue;
        }
        if !in_deps || t.starts_with('#') {
            continue;
        }
        if let Some((key, _)) = t.split_once('=') {
            let key = key.trim().trim_matches('"');
            let name = key.split('.').next().unwrap_or(key).to_string();
            out.push((n + 1, name));
        }
    }
    out
}

/// Package name → dependency names, from a Cargo.lock.
fn lock_graph(lock: &str) -> BTreeMap<String, Vec<String>> {
    let mut graph: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut name = String::new();
    let mut in_deps = false;
    for line in lock.lines() {
        let t = line.trim();
        if t == "[[package]]" {
            in_deps = false;
            name.clear();
        } else if let Some(v) = t.strip_prefix("name = ") {
            name = v.trim_matches('"').to_string();
            graph.entry(name.clone()).or_default();
        } else if t.starts_with("dependencies = [") {
            in_deps = true;
        } else if in_deps && t == "]" {
            in_deps = false;
        } else if in_deps {
            let dep = t.trim_matches(|c| c == '"' || c == ',');
            let dep = dep.split(' ').next().unwrap_or(dep).to_string();
            graph.entry(name.clone()).or_default().push(dep);
        }
    }
    graph
}

/// Every package `root` depends on, directly or not.
fn reachable(graph: &BTreeMap<String, Vec<String>>, root: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo = vec![root.to_string()];
    while let Some(p) = todo.pop() {
        for d in graph.get(&p).into_iter().flatten() {
            if seen.insert(d.clone()) {
                todo.push(d.clone());
            }
        }
    }
    seen
}

#[test]
fn the_manifest_names_no_web_crate() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    let bad: Vec<String> = manifest_dependencies(&manifest)
        .into_iter()
        .filter(|(_, name)| FORBIDDEN.contains(&name.as_str()))
        .map(|(line, name)| format!("crates/app/Cargo.toml:{line}: {name}"))
        .collect();
    assert!(
        bad.is_empty(),
        "qingshan-app is the use cases without HTTP; handlers and rendering belong in \
         crates/server:\n{}",
        bad.join("\n")
    );
}

#[test]
fn nothing_it_depends_on_is_a_web_crate() {
    let lock = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.lock");
    let graph = lock_graph(&std::fs::read_to_string(lock).unwrap());
    assert!(
        graph.contains_key("qingshan-app"),
        "Cargo.lock lists qingshan-app"
    );
    let deps = reachable(&graph, "qingshan-app");
    let bad: Vec<&String> = deps
        .iter()
        .filter(|d| FORBIDDEN.contains(&d.as_str()))
        .collect();
    assert!(bad.is_empty(), "qingshan-app depends on {bad:?}");
}

/// The checks catch what they are for.
#[test]
fn the_checks_catch_a_web_dependency() {
    let manifest = "[package]\nname = \"x\"\n\n[dependencies]\nserde.workspace = true\naxum = { workspace = true }\n\n[dev-dependencies]\n\"minijinja\" = \"2\"\n";
    let names: Vec<(usize, String)> = manifest_dependencies(manifest)
        .into_iter()
        .filter(|(_, n)| FORBIDDEN.contains(&n.as_str()))
        .collect();
    assert_eq!(
        names,
        [(6, "axum".to_string()), (9, "minijinja".to_string())]
    );
    let lock = "[[package]]\nname = \"a\"\ndependencies = [\n \"b\",\n]\n\n[[package]]\nname = \"b\"\nversion = \"1\"\ndependencies = [\n \"tower 0.5.2\",\n]\n";
    let deps = reachable(&lock_graph(lock), "a");
    assert!(deps.contains("tower"), "{deps:?}");
}
