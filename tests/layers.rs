//! The engine's layers, checked: no import cycle between the files of `src/`,
//! and no import that looks up.
//!
//! Floors, bottom to top (a file may import from its own floor's folder and
//! from any floor below, never from above, never from a peer folder):
//!
//! 0. the ground floor, the files directly in `src/`: what every layer shares
//!    (versions, JSON text, locks, Basic auth, TLS, the HTTP listener, events
//!    and msgs for Node-RED, what the flow and the engine exchange);
//! 1. `schema/`: strict mode's validation;
//! 2. the protocols, `ocppj/` and `soap/`, which know nothing of each other,
//!    and beside them the pure mappings `unified/` and `smart/`;
//! 3. the roles, `cs/` (the Central System) and `cp/` (the charge point),
//!    which know nothing of each other;
//! 4. `bindings/`: the napi classes;
//! 5. `lib.rs`, which only declares the modules.
//!
//! Imports are read from the source text: every `crate::…`, `super::…` and
//! child-module path in code (comments skipped), `use` groups expanded. The
//! rules are tested on small made-up trees below, so a checker that sees
//! nothing cannot pass.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The floor of a top-level module of `src/`.
fn floor(top: &str) -> Option<u8> {
    Some(match top {
        "" => 5,
        "bindings" => 4,
        "cs" | "cp" => 3,
        "ocppj" | "smart" | "soap" | "unified" => 2,
        "schema" => 1,
        "alloc" | "basic_auth" | "events" | "flow" | "json" | "listener" | "msgs" | "netcheck" | "pace" | "pending"
        | "station_id" | "sync" | "time" | "tls" | "version" => 0,
        _ => return None,
    })
}

/// A module path, `""` for the crate root, `"ocppj::frame"` for `src/ocppj/frame.rs`.
type Module = String;

fn top(module: &str) -> &str {
    module.split("::").next().unwrap_or("")
}

fn parent(module: &str) -> String {
    module.rsplit_once("::").map(|(p, _)| p.to_owned()).unwrap_or_default()
}

fn join(base: &str, name: &str) -> String {
    if base.is_empty() {
        name.to_owned()
    } else {
        format!("{base}::{name}")
    }
}

/// Every `.rs` file under `src/` by its module path.
fn read_tree(src: &Path) -> BTreeMap<Module, String> {
    let mut files = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("src/ is readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().and_then(|e| e.to_str()) != Some("rs") {
                continue;
            }
            let rel = path.strip_prefix(src).unwrap().with_extension("");
            let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
            if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
                parts.pop();
            }
            files.insert(parts.join("::"), std::fs::read_to_string(&path).expect("a readable file"));
        }
    }
    files
}

/// The text without comments and string literals, line structure kept.
fn code_only(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            match c {
                '\\' => {
                    chars.next();
                }
                '"' => in_string = false,
                '\n' => out.push('\n'),
                _ => {}
            }
            continue;
        }
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '"' => in_string = true,
            // A char literal such as '"' must not open a string.
            '\'' => {
                let rest: String = chars.clone().take(3).collect();
                if rest.starts_with("\\") || rest.chars().nth(1) == Some('\'') {
                    out.push(' ');
                    while let Some(c) = chars.next() {
                        if c == '\\' {
                            chars.next();
                        } else if c == '\'' {
                            break;
                        }
                    }
                } else {
                    out.push(c);
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// Paths written in a line: `a::b::c`, with `{x, y::z}` groups expanded.
fn paths_in(line: &str) -> Vec<Vec<String>> {
    let bytes: Vec<char> = line.chars().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let starts_word = (bytes[i].is_alphabetic() || bytes[i] == '_') && (i == 0 || !is_ident(bytes[i - 1]));
        if !starts_word {
            i += 1;
            continue;
        }
        let (paths, end) = read_path(&bytes, i);
        found.extend(paths.into_iter().filter(|p| p.len() > 1));
        i = end.max(i + 1);
    }
    found
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Reads `seg(::seg)*(::{group})?` from `at`; returns the paths and where it ended.
fn read_path(s: &[char], mut at: usize) -> (Vec<Vec<String>>, usize) {
    let mut prefix = Vec::new();
    loop {
        let start = at;
        while at < s.len() && is_ident(s[at]) {
            at += 1;
        }
        prefix.push(s[start..at].iter().collect::<String>());
        if at + 1 < s.len() && s[at] == ':' && s[at + 1] == ':' {
            at += 2;
            while at < s.len() && s[at] == ' ' {
                at += 1;
            }
            if at < s.len() && s[at] == '{' {
                let (groups, end) = read_group(s, at + 1);
                let paths = groups.into_iter().map(|g| prefix.iter().cloned().chain(g).collect::<Vec<_>>()).collect();
                return (paths, end);
            }
            if at < s.len() && (s[at].is_alphabetic() || s[at] == '_') {
                continue;
            }
        }
        return (vec![prefix], at);
    }
}

/// Reads a `{…}` group's members up to its closing brace.
fn read_group(s: &[char], mut at: usize) -> (Vec<Vec<String>>, usize) {
    let mut members = Vec::new();
    while at < s.len() {
        match s[at] {
            '}' => return (members, at + 1),
            c if c.is_alphabetic() || c == '_' => {
                let (paths, end) = read_path(s, at);
                members.extend(paths);
                at = end;
            }
            _ => at += 1,
        }
    }
    (members, at)
}

/// The file a path written in `module` refers to, if it is one of ours.
/// `indented` lines sit inside an inline module (a file's `mod tests`), where
/// `super` is the file itself.
fn resolve(files: &BTreeMap<Module, String>, module: &str, indented: bool, path: &[String]) -> Option<Module> {
    let (mut base, rest) = match path[0].as_str() {
        "crate" => (String::new(), &path[1..]),
        "super" => {
            let mut base = if indented { module.to_owned() } else { parent(module) };
            let mut rest = &path[1..];
            while rest.first().map(String::as_str) == Some("super") {
                base = parent(&base);
                rest = &rest[1..];
            }
            (base, rest)
        }
        "self" => (module.to_owned(), &path[1..]),
        // A child module named from its parent (`use schema::Table` in a mod.rs).
        first if files.contains_key(&join(module, first)) => (module.to_owned(), path),
        _ => return None,
    };
    for segment in rest {
        let next = join(&base, segment);
        if !files.contains_key(&next) {
            break;
        }
        base = next;
    }
    Some(base)
}

/// Every import edge between two different files.
fn edges(files: &BTreeMap<Module, String>) -> BTreeSet<(Module, Module)> {
    let mut edges = BTreeSet::new();
    for (module, text) in files {
        for line in code_only(text).lines() {
            let indented = line.starts_with(' ') || line.starts_with('\t');
            for path in paths_in(line) {
                if let Some(target) = resolve(files, module, indented, &path) {
                    if &target != module {
                        edges.insert((module.clone(), target));
                    }
                }
            }
        }
    }
    edges
}

/// What breaks the rules: upward or sideways edges, and cycles.
fn problems(files: &BTreeMap<Module, String>) -> Vec<String> {
    let edges = edges(files);
    let mut found = Vec::new();
    for module in files.keys() {
        if floor(top(module)).is_none() {
            found.push(format!("src/{} is on no floor: add its folder to `floor` in tests/layers.rs", module));
        }
    }
    for (from, to) in &edges {
        let (Some(a), Some(b)) = (floor(top(from)), floor(top(to))) else { continue };
        let same_folder = top(from) == top(to);
        let ground = a == 0 && b == 0;
        let down = a > b;
        // The crate root's `mod` lines are containment, not imports.
        if !(same_folder || ground || down || from.is_empty()) {
            found.push(format!("{from} imports {to}: floor {a} may not import from floor {b}"));
        }
    }
    if let Some(cycle) = find_cycle(files, &edges) {
        found.push(format!("import cycle: {}", cycle.join(" -> ")));
    }
    found
}

/// A cycle among the files, as the modules along it, if any.
fn find_cycle(files: &BTreeMap<Module, String>, edges: &BTreeSet<(Module, Module)>) -> Option<Vec<Module>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    fn visit(
        at: &str,
        edges: &BTreeSet<(Module, Module)>,
        marks: &mut BTreeMap<Module, Mark>,
        stack: &mut Vec<Module>,
    ) -> Option<Vec<Module>> {
        marks.insert(at.to_owned(), Mark::Open);
        stack.push(at.to_owned());
        for (_, next) in edges.iter().filter(|(from, _)| from == at) {
            match marks.get(next).copied().unwrap_or(Mark::New) {
                Mark::Open => {
                    let start = stack.iter().position(|m| m == next).unwrap_or(0);
                    let mut cycle = stack[start..].to_vec();
                    cycle.push(next.clone());
                    return Some(cycle);
                }
                Mark::New => {
                    if let Some(cycle) = visit(next, edges, marks, stack) {
                        return Some(cycle);
                    }
                }
                Mark::Done => {}
            }
        }
        stack.pop();
        marks.insert(at.to_owned(), Mark::Done);
        None
    }
    let mut marks: BTreeMap<Module, Mark> = files.keys().map(|m| (m.clone(), Mark::New)).collect();
    for module in files.keys() {
        if marks[module] == Mark::New {
            if let Some(cycle) = visit(module, edges, &mut marks, &mut Vec::new()) {
                return Some(cycle.iter().map(|m| if m.is_empty() { "lib".into() } else { m.clone() }).collect());
            }
        }
    }
    None
}

#[test]
fn the_engine_has_no_import_cycle_and_no_upward_import() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files = read_tree(&src);
    assert!(files.len() > 20, "read {} files from {}", files.len(), src.display());
    if std::env::var_os("LAYERS_PRINT").is_some() {
        // `LAYERS_PRINT=1 cargo test --test layers -- --nocapture`: the graph, for the docs.
        for (from, to) in edges(&files) {
            println!("{from} -> {to}");
        }
    }
    let found = problems(&files);
    assert!(found.is_empty(), "the layers of src/ are broken:\n  {}", found.join("\n  "));
}

fn tree(files: &[(&str, &str)]) -> BTreeMap<Module, String> {
    files.iter().map(|(m, t)| (m.to_string(), t.to_string())).collect()
}

#[test]
fn an_upward_import_is_found() {
    let files = tree(&[
        ("ocppj", "pub mod link;"),
        ("ocppj::link", "use crate::cs::server::Thing;\n"),
        ("cs", "pub mod server;"),
        ("cs::server", "use crate::ocppj::link;\n"),
    ]);
    let found = problems(&files);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found[0].contains("ocppj::link imports cs::server"), "{found:?}");
    assert!(found[1].starts_with("import cycle"), "{found:?}");
}

#[test]
fn peers_and_grouped_imports_are_found_and_comments_ignored() {
    let files = tree(&[
        ("cp", "use crate::{version::OcppVersion, cs::{registry, calls::Ticket}};\n"),
        ("cs", ""),
        ("cs::registry", "// use crate::cp;\nlet s = \"crate::cp::x\";\n"),
        ("cs::calls", ""),
        ("version", ""),
    ]);
    let found = problems(&files);
    assert_eq!(
        found,
        [
            "cp imports cs::calls: floor 3 may not import from floor 3",
            "cp imports cs::registry: floor 3 may not import from floor 3"
        ]
    );
}

#[test]
fn super_in_a_file_s_tests_is_the_file_and_cycles_inside_a_folder_are_found() {
    let files = tree(&[
        ("soap", "use codec::Thing;\n"),
        ("soap::codec", "use super::xml;\nmod tests {\n    use super::*;\n    use super::super::envelope;\n}\n"),
        ("soap::xml", ""),
        ("soap::envelope", "use super::codec;\nfn f() { super::soap_thing(); }\n"),
    ]);
    let edges = edges(&files);
    let expect: BTreeSet<(Module, Module)> = [
        ("soap", "soap::codec"),
        ("soap::codec", "soap::envelope"),
        ("soap::codec", "soap::xml"),
        ("soap::envelope", "soap"),
        ("soap::envelope", "soap::codec"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_owned(), b.to_owned()))
    .collect();
    assert_eq!(edges, expect);
    let found = problems(&files);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("import cycle: soap -> soap::codec -> soap::envelope -> soap"), "{found:?}");
}
