//! Dev-only status for yarn lockfiles, which do not record it: a package is dev-only when the
//! project's `devDependencies` reach it and its `dependencies` and `optionalDependencies` do
//! not. Packages reached by neither keep `dev = false`, so they stay audited.
//!
//! Only single-package projects are handled: with `workspaces`, each member's manifest would
//! be needed, so nothing is marked.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use super::source::split_name_at;
use super::{Format, Graph, yarn_berry};
use crate::model::Package;

/// The project's direct dependencies (name and range), production and dev.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Roots {
    production: Vec<(String, String)>,
    dev: Vec<(String, String)>,
    optional: Vec<(String, String)>,
}

/// Reads the roots from the project's `package.json`, if it exists, parses, and has no
/// `workspaces`.
pub(super) fn project_roots(manifest: &Path, max_bytes: u64) -> Option<Roots> {
    if std::fs::metadata(manifest).ok()?.len() > max_bytes {
        return None;
    }
    let json: Value = serde_json::from_str(&std::fs::read_to_string(manifest).ok()?).ok()?;
    roots_of(&json)
}

fn roots_of(manifest: &Value) -> Option<Roots> {
    if manifest.get("workspaces").is_some() {
        return None;
    }
    let section = |name: &str| -> Vec<(String, String)> {
        manifest
            .get(name)
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .filter_map(|(dep, range)| Some((dep.clone(), range.as_str()?.to_owned())))
            .collect()
    };
    let optional = section("optionalDependencies");
    let mut production = section("dependencies");
    production.extend(optional.iter().cloned());
    Some(Roots {
        production,
        dev: section("devDependencies"),
        optional,
    })
}

/// The lockfile descriptors of direct dependencies: the project entry's own, when the
/// lockfile has one (yarn berry), else `name@range` as yarn writes it.
fn descriptors(graph: &Graph, format: Format, deps: &[(String, String)]) -> Vec<String> {
    let project = graph.workspace_root.and_then(|i| graph.edges.get(i));
    deps.iter()
        .map(|(name, range)| {
            let listed = project
                .into_iter()
                .flatten()
                .find(|d| split_name_at(d).is_some_and(|(n, _)| n == name));
            match (listed, format) {
                (Some(d), _) => d.clone(),
                (None, Format::YarnBerry) => yarn_berry::descriptor(name, range),
                (None, _) => format!("{name}@{range}"),
            }
        })
        .collect()
}

/// The packages (by index) reachable from `roots` through `graph`.
fn reach(graph: &Graph, roots: &[String]) -> BTreeSet<usize> {
    reach_where(graph, roots, false)
}

/// The packages `roots` reach; with `required`, only through edges that are not optional and
/// packages that are installed on every platform.
fn reach_where(graph: &Graph, roots: &[String], required: bool) -> BTreeSet<usize> {
    let mut seen = BTreeSet::new();
    let mut queue: Vec<&str> = roots.iter().map(String::as_str).collect();
    while let Some(descriptor) = queue.pop() {
        let Some(&i) = graph.resolves.get(descriptor) else {
            continue;
        };
        if required && graph.conditional.contains(&i) {
            continue;
        }
        if seen.insert(i) {
            let optional = graph.optional_edges.get(i);
            if let Some(edges) = graph.edges.get(i) {
                queue.extend(
                    edges
                        .iter()
                        .filter(|d| !required || !optional.is_some_and(|o| o.contains(*d)))
                        .map(String::as_str),
                );
            }
        }
    }
    seen
}

pub(super) fn mark(packages: &mut [Package], graph: &Graph, roots: &Roots, format: Format) {
    let production = reach(graph, &descriptors(graph, format, &roots.production));
    let dev = reach(graph, &descriptors(graph, format, &roots.dev));
    for i in dev.difference(&production) {
        if let Some(p) = packages.get_mut(*i) {
            p.dev = true;
        }
    }
    // Optional: reached only through optional dependencies or platform-conditional packages
    // (fsevents, and what yarn adds beside it), so possibly not installed on this machine.
    let mut required_roots: Vec<(String, String)> = roots
        .production
        .iter()
        .filter(|d| !roots.optional.contains(d))
        .cloned()
        .collect();
    required_roots.extend(roots.dev.iter().cloned());
    let required = reach_where(graph, &descriptors(graph, format, &required_roots), true);
    for i in production.union(&dev) {
        if !required.contains(i) {
            if let Some(p) = packages.get_mut(*i) {
                p.optional = true;
            }
        }
    }
}

/// Marks optional what the graph's roots reach only through optional dependencies or
/// platform-conditional packages, for a lockfile without a project manifest to start from. The
/// roots are the workspace entries (yarn berry lists them) or, failing those, every package
/// nothing else depends on (yarn 1 leaves the workspaces out, so their direct dependencies
/// are the packages with no dependents).
pub(super) fn mark_optional_from_graph(packages: &mut [Package], graph: &Graph) {
    let mut roots: Vec<usize> = packages
        .iter()
        .enumerate()
        .filter(|(_, p)| p.is_workspace())
        .map(|(i, _)| i)
        .collect();
    if roots.is_empty() {
        let depended_on: BTreeSet<usize> = graph
            .edges
            .iter()
            .flatten()
            .filter_map(|d| graph.resolves.get(d).copied())
            .collect();
        roots = (0..packages.len())
            .filter(|i| !depended_on.contains(i))
            .collect();
    }
    let from_indices = |required_only: bool| -> BTreeSet<usize> {
        let mut seen = BTreeSet::new();
        let mut queue: Vec<usize> = roots
            .iter()
            .copied()
            .filter(|i| !required_only || !graph.conditional.contains(i))
            .collect();
        while let Some(i) = queue.pop() {
            if !seen.insert(i) {
                continue;
            }
            let optional = graph.optional_edges.get(i);
            for d in graph.edges.get(i).into_iter().flatten() {
                if required_only && optional.is_some_and(|o| o.contains(d)) {
                    continue;
                }
                if let Some(&j) = graph.resolves.get(d) {
                    if !required_only || !graph.conditional.contains(&j) {
                        queue.push(j);
                    }
                }
            }
        }
        seen
    };
    let required = from_indices(true);
    // Packages the roots do not reach at all (a cycle nothing outside it depends on) cannot
    // be told apart, and stay as the lockfile says.
    for i in from_indices(false).difference(&required) {
        if let Some(p) = packages.get_mut(*i) {
            p.optional = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workspaces_are_not_guessed_at() {
        let m =
            serde_json::json!({ "workspaces": ["packages/*"], "devDependencies": { "a": "1" } });
        assert_eq!(roots_of(&m), None);
    }

    #[test]
    fn shared_packages_stay_production() {
        let graph = Graph {
            resolves: [("app@1", 0), ("tool@1", 1), ("shared@1", 2)]
                .into_iter()
                .map(|(d, i)| (d.to_owned(), i))
                .collect(),
            edges: vec![vec!["shared@1".into()], vec!["shared@1".into()], vec![]],
            workspace_root: None,
            ..Graph::default()
        };
        let roots = Roots {
            production: vec![("app".into(), "1".into())],
            dev: vec![("tool".into(), "1".into())],
            optional: Vec::new(),
        };
        assert_eq!(reach(&graph, &["tool@1".into()]), BTreeSet::from([1, 2]));
        let mut packages: Vec<Package> = (0..3)
            .map(|i| {
                Package::new(
                    crate::model::Ecosystem::Npm,
                    format!("p{i}"),
                    "1".into(),
                    crate::model::Source::Registry { url: None },
                    "yarn.lock".into(),
                )
            })
            .collect();
        mark(&mut packages, &graph, &roots, Format::YarnClassic);
        assert_eq!(
            packages.iter().map(|p| p.dev).collect::<Vec<_>>(),
            [false, true, false]
        );
    }

    #[test]
    fn packages_reached_only_through_optional_or_conditional_ones_are_optional() {
        // app -> fsevents (optional) -> node-gyp; app -> ms; fsevents is also conditional.
        let graph = Graph {
            resolves: [
                ("app@1", 0),
                ("fsevents@2", 1),
                ("node-gyp@9", 2),
                ("ms@2", 3),
            ]
            .into_iter()
            .map(|(d, i)| (d.to_owned(), i))
            .collect(),
            edges: vec![
                vec!["fsevents@2".into(), "ms@2".into()],
                vec!["node-gyp@9".into()],
                vec!["ms@2".into()],
                vec![],
            ],
            optional_edges: vec![
                BTreeSet::from(["fsevents@2".to_owned()]),
                BTreeSet::new(),
                BTreeSet::new(),
                BTreeSet::new(),
            ],
            ..Graph::default()
        };
        let roots = Roots {
            production: vec![("app".into(), "1".into())],
            dev: Vec::new(),
            optional: Vec::new(),
        };
        let mut packages: Vec<Package> = (0..4)
            .map(|i| {
                Package::new(
                    crate::model::Ecosystem::Npm,
                    format!("p{i}"),
                    "1".into(),
                    crate::model::Source::Registry { url: None },
                    "yarn.lock".into(),
                )
            })
            .collect();
        mark(&mut packages, &graph, &roots, Format::YarnClassic);
        assert_eq!(
            packages.iter().map(|p| p.optional).collect::<Vec<_>>(),
            [false, true, true, false]
        );
        let mut conditional = graph;
        conditional.optional_edges = vec![BTreeSet::new(); 4];
        conditional.conditional = BTreeSet::from([1]);
        for p in &mut packages {
            p.optional = false;
        }
        mark(&mut packages, &conditional, &roots, Format::YarnClassic);
        assert_eq!(
            packages.iter().map(|p| p.optional).collect::<Vec<_>>(),
            [false, true, true, false]
        );
    }

    #[test]
    fn without_a_manifest_the_graph_roots_decide_what_is_optional() {
        // chokidar (no dependents) -> fsevents (optional edge) -> node-gyp; chokidar -> ms.
        let graph = Graph {
            resolves: [
                ("chokidar@3", 0),
                ("fsevents@2", 1),
                ("node-gyp@9", 2),
                ("ms@2", 3),
            ]
            .into_iter()
            .map(|(d, i)| (d.to_owned(), i))
            .collect(),
            edges: vec![
                vec!["fsevents@2".into(), "ms@2".into()],
                vec!["node-gyp@9".into()],
                vec![],
                vec![],
            ],
            optional_edges: vec![
                BTreeSet::from(["fsevents@2".to_owned()]),
                BTreeSet::new(),
                BTreeSet::new(),
                BTreeSet::new(),
            ],
            ..Graph::default()
        };
        let mut packages: Vec<Package> = (0..4)
            .map(|i| {
                Package::new(
                    crate::model::Ecosystem::Npm,
                    format!("p{i}"),
                    "1".into(),
                    crate::model::Source::Registry { url: None },
                    "yarn.lock".into(),
                )
            })
            .collect();
        mark_optional_from_graph(&mut packages, &graph);
        assert_eq!(
            packages.iter().map(|p| p.optional).collect::<Vec<_>>(),
            [false, true, true, false]
        );
        // A cycle that nothing else depends on has no root: it is not marked optional.
        let mut cycle = graph;
        cycle.edges = vec![
            vec!["fsevents@2".into()],
            vec!["chokidar@3".into()],
            vec![],
            vec![],
        ];
        for p in &mut packages {
            p.optional = false;
        }
        mark_optional_from_graph(&mut packages[..2], &cycle);
        assert!(packages.iter().all(|p| !p.optional));
    }
}
