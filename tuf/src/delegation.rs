//! The target search (TUF 5.6.7): a pre-order depth-first walk of the delegation graph from
//! top-level targets, bounded by `max_delegations`.

use std::collections::BTreeSet;

use crate::metadata::TargetFile;
use crate::target_path::TargetPath;
use crate::workflow::{UpdateError, Updater};

/// A target as trusted metadata describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetInfo {
    pub path: TargetPath,
    pub file: TargetFile,
    /// The role whose metadata lists the target.
    pub role: String,
}

impl Updater {
    /// Refreshes if needed, then finds `path` in the delegation graph: `None` when no role
    /// trusted for the path lists it.
    ///
    /// Roles are visited in pre-order, each child in the order its delegator lists it. A
    /// terminating delegation ends the search below and beside it. Every role is checked against
    /// the delegator it was reached through, even when it is already trusted.
    pub fn target_info(&mut self, path: &TargetPath) -> Result<Option<TargetInfo>, UpdateError> {
        self.ensure_refreshed()?;
        let target = path.as_str();
        let mut to_visit: Vec<(String, String)> = vec![("targets".into(), "root".into())];
        let mut visited: BTreeSet<(String, String)> = BTreeSet::new();
        while let Some((role, delegator)) = to_visit.pop() {
            if visited.contains(&(role.clone(), delegator.clone())) {
                continue;
            }
            // The top-level targets role does not count towards the limit.
            if visited.len() > self.limits.max_delegations {
                return Err(UpdateError::DelegationLimit {
                    target: target.to_owned(),
                    limit: self.limits.max_delegations,
                });
            }
            self.load_targets(&role, &delegator)?;
            let Some(metadata) = self.trusted.targets(&role) else {
                // load_targets either trusts the role or fails.
                continue;
            };
            if let Some(file) = metadata.signed().targets.get(target) {
                return Ok(Some(TargetInfo {
                    path: path.clone(),
                    file: file.clone(),
                    role,
                }));
            }
            let children = metadata
                .signed()
                .delegations
                .as_ref()
                .map(|delegations| delegations.roles_for_target(target))
                .unwrap_or_default();
            visited.insert((role.clone(), delegator));
            // TUF 5.6.7.2.1: a terminating delegation abandons the rest of the search.
            if children.last().is_some_and(|child| child.terminating) {
                to_visit.clear();
            }
            for child in children.into_iter().rev() {
                to_visit.push((child.name, role.clone()));
            }
        }
        Ok(None)
    }
}
