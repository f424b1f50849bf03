//! The README's error-code table is a promise to frontend teams: every code it lists
//! must be one a test makes the server produce. This test reads the table and looks for
//! each code as a quoted string in the other test files (Rust and JavaScript), where it
//! is asserted against a real response.

use std::path::{Path, PathBuf};

/// The codes named in the second column of the README's "Error codes" table.
/// `PROVIDER_*` stands for the provider error family and is left to the provider tests.
fn table_codes(readme: &str) -> Vec<String> {
    let table = readme
        .split("### Error codes")
        .nth(1)
        .expect("README has an 'Error codes' section")
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'));
    let mut codes = Vec::new();
    for row in table {
        let Some(cell) = row.split('|').nth(2) else { continue };
        for (i, part) in cell.split('`').enumerate() {
            let is_code = i % 2 == 1
                && part.len() > 2
                && part.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
            if is_code && !codes.iter().any(|c| c == part) {
                codes.push(part.to_owned());
            }
        }
    }
    codes
}

fn test_sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if path.is_dir() {
            if name != "node_modules" {
                test_sources(&path, out);
            }
        } else if (name.ends_with(".rs") || name.ends_with(".mjs")) && name != "error_codes.rs" {
            out.push(path);
        }
    }
}

#[test]
fn every_code_in_the_readme_table_is_asserted_by_a_test() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let codes = table_codes(&readme);
    assert!(codes.len() > 20, "the table lists the codes: {codes:?}");

    let mut files = Vec::new();
    test_sources(&root.join("tests"), &mut files);
    let sources: Vec<String> = files.iter().map(|f| std::fs::read_to_string(f).unwrap()).collect();
    let untested: Vec<&String> = codes
        .iter()
        .filter(|code| {
            let (double, single) = (format!("\"{code}\""), format!("'{code}'"));
            !sources.iter().any(|s| s.contains(&double) || s.contains(&single))
        })
        .collect();
    assert!(untested.is_empty(), "README codes no test asserts: {untested:?}");
}
