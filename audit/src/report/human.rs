//! The summary for people: one line per finding, then the totals, written line by line.

use std::io::Write;

use super::Report;

pub(super) fn write(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    let packages: usize = report.lockfiles.iter().map(|l| l.packages.len()).sum();
    let checked = report.checked_packages().count();
    writeln!(
        out,
        "{} lockfile(s), {packages} package(s), {checked} checked",
        report.lockfiles.len()
    )?;
    for l in &report.lockfiles {
        writeln!(
            out,
            "  {} ({} v{}, {} packages, sha256 {})",
            l.path.display(),
            l.format,
            l.version,
            l.packages.len(),
            l.sha256
        )?;
    }
    if let Some(a) = &report.advisories {
        writeln!(
            out,
            "  advisories: {} records read from {} ({} kept: about crates.io or npm packages{})",
            a.records,
            a.databases.join(", "),
            a.advisories,
            if a.filtered { " locked here" } else { "" }
        )?;
    }
    if !report.findings.is_empty() {
        writeln!(out)?;
    }
    for f in &report.findings {
        let subject = f
            .package
            .as_ref()
            .map_or_else(|| "policy".to_owned(), ToString::to_string);
        writeln!(out, "{}[{}] {subject}: {}", f.severity, f.code, f.message)?;
        writeln!(out, "  --> {}", f.file.display())?;
    }
    let c = report.counts();
    writeln!(
        out,
        "\n{}: {} error(s), {} warning(s), {} note(s)",
        if report.passed() { "PASSED" } else { "FAILED" },
        c.error,
        c.warning,
        c.note
    )
}
