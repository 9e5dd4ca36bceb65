//! The summary for people: one line per finding, then the totals.

use std::fmt::Write as _;

use super::Report;

pub(super) fn render(report: &Report) -> String {
    let mut out = String::new();
    let packages: usize = report.lockfiles.iter().map(|l| l.packages.len()).sum();
    let checked = report.checked_packages().count();
    // Writing to a String cannot fail; the results are ignored for that reason.
    let _ = writeln!(
        out,
        "{} lockfile(s), {packages} package(s), {checked} checked",
        report.lockfiles.len()
    );
    for l in &report.lockfiles {
        let _ = writeln!(
            out,
            "  {} ({} v{}, {} packages, sha256 {})",
            l.path.display(),
            l.format,
            l.version,
            l.packages.len(),
            l.sha256
        );
    }
    if !report.findings.is_empty() {
        out.push('\n');
    }
    for f in &report.findings {
        let subject = f
            .package
            .as_ref()
            .map_or_else(|| "policy".to_owned(), ToString::to_string);
        let _ = writeln!(out, "{}[{}] {subject}: {}", f.severity, f.code, f.message);
        let _ = writeln!(out, "  --> {}", f.file.display());
    }
    let c = report.counts();
    let _ = writeln!(
        out,
        "\n{}: {} error(s), {} warning(s), {} note(s)",
        if report.passed() { "PASSED" } else { "FAILED" },
        c.error,
        c.warning,
        c.note
    );
    out
}
