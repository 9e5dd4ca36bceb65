//! The finding codes reference documents every code the library can report, and nothing else.

use sigil_audit::findings::Code;

#[test]
fn every_code_has_a_documented_section() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/src/reference/audit-codes.md"
    );
    let doc = std::fs::read_to_string(path).expect("read audit-codes.md");
    let sections: Vec<&str> = doc.lines().filter_map(|l| l.strip_prefix("## ")).collect();
    let codes: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(sections, codes, "sections must match Code::ALL, in order");
    for code in codes {
        let start = doc.find(&format!("## {code}\n")).unwrap();
        let section = doc[start..].split("\n## ").next().unwrap();
        for part in ["**Meaning.**", "**Example.**", "**How to fix.**"] {
            assert!(section.contains(part), "{code} lacks {part}");
        }
        assert!(
            section.contains(&format!("[{code}]")),
            "{code}'s example does not show it"
        );
    }
}
