//! A bounded YAML loader for the YAML lockfiles (pnpm, yarn berry).
//!
//! It builds its own small tree from `yaml-rust2`'s event stream so that it can enforce the
//! depth limit while parsing, refuse duplicate keys (which YAML forbids and a hostile lockfile
//! could use to show one thing to a reviewer and another to a tool), and refuse aliases, which
//! no lockfile writer emits and which let a small file expand exponentially.

use std::collections::BTreeMap;

use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::{Marker, ScanError};

use super::{ErrorKind, truncate};

/// A YAML node. Scalars stay strings; readers decide what they mean.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Node {
    Scalar(String),
    Seq(Vec<Node>),
    Map(BTreeMap<String, Node>),
}

impl Node {
    pub(super) fn as_map(&self) -> Option<&BTreeMap<String, Node>> {
        match self {
            Self::Map(m) => Some(m),
            _ => None,
        }
    }

    pub(super) fn as_str(&self) -> Option<&str> {
        match self {
            Self::Scalar(s) => Some(s),
            _ => None,
        }
    }

    pub(super) fn describe(&self) -> &'static str {
        match self {
            Self::Scalar(_) => "a scalar",
            Self::Seq(_) => "a sequence",
            Self::Map(_) => "a mapping",
        }
    }
}

enum Frame {
    Seq(Vec<Node>),
    Map(BTreeMap<String, Node>, Option<String>),
}

fn yaml_error(mark: Marker, message: &str) -> ErrorKind {
    ErrorKind::Yaml {
        line: mark.line(),
        column: mark.col() + 1,
        message: message.to_owned(),
    }
}

fn scan_error(e: &ScanError) -> ErrorKind {
    yaml_error(*e.marker(), e.info())
}

/// Loads the single document of `text`, nesting at most `max_depth` collections deep.
pub(super) fn load(text: &str, max_depth: usize) -> Result<Node, ErrorKind> {
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Frame> = Vec::new();
    let mut doc: Option<Node> = None;
    loop {
        let (event, mark) = parser.next_token().map_err(|e| scan_error(&e))?;
        let node = match event {
            Event::StreamEnd => break,
            Event::Nothing | Event::StreamStart | Event::DocumentStart | Event::DocumentEnd => {
                continue;
            }
            Event::Alias(_) => {
                return Err(yaml_error(mark, "aliases are not allowed in lockfiles"));
            }
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                if stack.len() >= max_depth {
                    return Err(ErrorKind::TooDeep { limit: max_depth });
                }
                stack.push(match event {
                    Event::SequenceStart(..) => Frame::Seq(Vec::new()),
                    _ => Frame::Map(BTreeMap::new(), None),
                });
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
                Some(Frame::Seq(items)) => Node::Seq(items),
                Some(Frame::Map(map, _)) => Node::Map(map),
                None => return Err(yaml_error(mark, "unbalanced collection end")),
            },
            Event::Scalar(value, ..) => Node::Scalar(value),
        };
        match stack.last_mut() {
            None if doc.is_none() => doc = Some(node),
            None => return Err(yaml_error(mark, "expected one document, found several")),
            Some(Frame::Seq(items)) => items.push(node),
            Some(Frame::Map(map, pending)) => match pending.take() {
                None => match node {
                    Node::Scalar(key) => *pending = Some(key),
                    other => {
                        return Err(yaml_error(
                            mark,
                            &format!("expected a scalar key, found {}", other.describe()),
                        ));
                    }
                },
                Some(key) => {
                    if map.contains_key(&key) {
                        return Err(ErrorKind::Conflict {
                            at: truncate(&key),
                            first: "a mapping key".to_owned(),
                            second: "the same key again".to_owned(),
                        });
                    }
                    map.insert(key, node);
                }
            },
        }
    }
    doc.ok_or_else(|| ErrorKind::Malformed {
        at: "the document".to_owned(),
        expected: "a YAML document",
        found: "an empty file".to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_nested_maps_and_sequences() {
        let n = load("a:\n  b: [1, 2]\n  c: x\n", 8).unwrap();
        let a = n.as_map().unwrap()["a"].as_map().unwrap();
        assert_eq!(
            a["b"],
            Node::Seq(vec![Node::Scalar("1".into()), Node::Scalar("2".into())])
        );
        assert_eq!(a["c"].as_str(), Some("x"));
    }

    #[test]
    fn refuses_aliases_duplicates_and_depth() {
        assert!(matches!(
            load("a: &x [1]\nb: *x\n", 8),
            Err(ErrorKind::Yaml { .. })
        ));
        assert!(matches!(
            load("a: 1\na: 2\n", 8),
            Err(ErrorKind::Conflict { .. })
        ));
        let deep = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert!(matches!(
            load(&deep, 64),
            Err(ErrorKind::TooDeep { limit: 64 })
        ));
        assert!(matches!(load("a: [1\n", 8), Err(ErrorKind::Yaml { .. })));
        assert!(load("", 8).is_err());
    }
}
