//! Writing reports as they are produced: the large arrays (packages, components, results) are
//! serialized element by element from iterators over the report, so that no report is ever
//! held whole in memory, as a JSON tree or as text.

use std::cell::RefCell;
use std::io::Write;

use serde::ser::{Error as _, Serialize, SerializeSeq, Serializer};

/// A JSON array whose elements an iterator yields while it is written. An element that cannot
/// be built fails the write with its error.
pub(super) struct Seq<I>(RefCell<Option<I>>);

impl<I> Seq<I> {
    pub(super) fn new(items: I) -> Self {
        Self(RefCell::new(Some(items)))
    }
}

impl<I, T> Serialize for Seq<I>
where
    I: Iterator<Item = Result<T, serde_json::Error>>,
    T: Serialize,
{
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let items = self
            .0
            .borrow_mut()
            .take()
            .ok_or_else(|| S::Error::custom("a streamed array is written once"))?;
        let mut seq = s.serialize_seq(None)?;
        for item in items {
            seq.serialize_element(&item.map_err(S::Error::custom)?)?;
        }
        seq.end()
    }
}

/// Writes `doc` as pretty-printed JSON with a final newline, as the reports always were.
pub(super) fn write_pretty(
    out: &mut dyn Write,
    doc: &impl Serialize,
) -> Result<(), serde_json::Error> {
    let mut ser = serde_json::Serializer::pretty(&mut *out);
    doc.serialize(&mut ser)?;
    out.write_all(b"\n").map_err(serde_json::Error::io)
}
