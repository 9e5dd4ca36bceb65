//! JSON that refuses duplicate object keys. `serde_json::Value` keeps the last of two equal
//! keys, as `JSON.parse` does, so a lockfile could show a reviewer one entry and the package
//! manager another; here that is a conflict, not a silent choice.
//!
//! Besides [`StrictValue`], a whole value, readers that deserialize typed can use [`Text`] (a
//! string borrowed from the input where it has no escapes), [`KeySet`] (one object's keys so
//! far), [`StrictIgnore`] (a value skipped, duplicate keys still refused) and [`ObjectOr`] (an
//! object read by a seed, or the kind of whatever else stood there).

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// A JSON value whose objects had no duplicate keys.
pub(super) struct StrictValue(pub(super) Value);

impl<'de> Deserialize<'de> for StrictValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = StrictValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<StrictValue, E> {
        Ok(StrictValue(Value::Bool(v)))
    }

    fn visit_i64<E>(self, v: i64) -> Result<StrictValue, E> {
        Ok(StrictValue(Value::from(v)))
    }

    fn visit_u64<E>(self, v: u64) -> Result<StrictValue, E> {
        Ok(StrictValue(Value::from(v)))
    }

    fn visit_f64<E>(self, v: f64) -> Result<StrictValue, E> {
        Ok(StrictValue(Value::from(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<StrictValue, E> {
        Ok(StrictValue(Value::String(v.to_owned())))
    }

    fn visit_string<E>(self, v: String) -> Result<StrictValue, E> {
        Ok(StrictValue(Value::String(v)))
    }

    fn visit_unit<E>(self) -> Result<StrictValue, E> {
        Ok(StrictValue(Value::Null))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<StrictValue, A::Error> {
        let mut items = Vec::new();
        while let Some(StrictValue(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(StrictValue(Value::Array(items)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<StrictValue, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            let StrictValue(value) = access.next_value()?;
            if map.contains_key(&key) {
                return Err(duplicate(&key));
            }
            map.insert(key, value);
        }
        Ok(StrictValue(Value::Object(map)))
    }
}

fn duplicate<E: de::Error>(key: &str) -> E {
    let shown: String = key.chars().take(80).collect();
    E::custom(format_args!("duplicate key {shown:?} in one object"))
}

/// A JSON string, borrowed from the input unless it had escapes.
pub(super) struct Text<'de>(pub(super) Cow<'de, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(TextVisitor)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Text<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Text<'de>, E> {
        Ok(Text(Cow::Borrowed(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Text<'de>, E> {
        Ok(Text(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E>(self, v: String) -> Result<Text<'de>, E> {
        Ok(Text(Cow::Owned(v)))
    }
}

/// The keys of one object read so far; a key seen twice is refused as [`StrictValue`] refuses it.
#[derive(Default)]
pub(super) struct KeySet<'de> {
    few: Vec<Cow<'de, str>>,
    many: Option<HashSet<Cow<'de, str>>>,
}

impl<'de> KeySet<'de> {
    /// Objects up to this many keys are searched in a list, larger ones hashed.
    const FEW: usize = 16;

    /// Adds `key`, or fails naming it if the object already had it.
    pub(super) fn insert<E: de::Error>(&mut self, key: Cow<'de, str>) -> Result<(), E> {
        if let Some(many) = &mut self.many {
            if many.contains(&key) {
                return Err(duplicate(&key));
            }
            many.insert(key);
        } else {
            if self.few.contains(&key) {
                return Err(duplicate(&key));
            }
            self.few.push(key);
            if self.few.len() > Self::FEW {
                self.many = Some(self.few.drain(..).collect());
            }
        }
        Ok(())
    }
}

/// A JSON value read and dropped; its objects must still have no duplicate keys.
pub(super) struct StrictIgnore;

impl<'de> Deserialize<'de> for StrictIgnore {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(IgnoreVisitor)
    }
}

struct IgnoreVisitor;

impl<'de> Visitor<'de> for IgnoreVisitor {
    type Value = StrictIgnore;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<StrictIgnore, E> {
        Ok(StrictIgnore)
    }

    fn visit_i64<E>(self, _: i64) -> Result<StrictIgnore, E> {
        Ok(StrictIgnore)
    }

    fn visit_u64<E>(self, _: u64) -> Result<StrictIgnore, E> {
        Ok(StrictIgnore)
    }

    fn visit_f64<E>(self, _: f64) -> Result<StrictIgnore, E> {
        Ok(StrictIgnore)
    }

    fn visit_str<E>(self, _: &str) -> Result<StrictIgnore, E> {
        Ok(StrictIgnore)
    }

    fn visit_unit<E>(self) -> Result<StrictIgnore, E> {
        Ok(StrictIgnore)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<StrictIgnore, A::Error> {
        while seq.next_element::<StrictIgnore>()?.is_some() {}
        Ok(StrictIgnore)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<StrictIgnore, A::Error> {
        let mut keys = KeySet::default();
        while let Some(Text(key)) = access.next_key()? {
            access.next_value::<StrictIgnore>()?;
            keys.insert(key)?;
        }
        Ok(StrictIgnore)
    }
}

/// Reads an object's entries one at a time, for [`ObjectOr`].
pub(super) trait ObjectSeed<'de> {
    /// What the object is read into.
    type Value;

    /// Reads every entry of `map`; duplicate keys are the seed's to refuse (with [`KeySet`]).
    fn visit_object<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error>;
}

/// An object read by its seed, or (`Err`) the kind of the value found instead ("an array",
/// "null"), which is skipped with the same duplicate-key refusal.
pub(super) struct ObjectOr<S>(pub(super) S);

impl<'de, S: ObjectSeed<'de>> DeserializeSeed<'de> for ObjectOr<S> {
    type Value = Result<S::Value, &'static str>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(ObjectOrVisitor(self.0))
    }
}

struct ObjectOrVisitor<S>(S);

impl<'de, S: ObjectSeed<'de>> Visitor<'de> for ObjectOrVisitor<S> {
    type Value = Result<S::Value, &'static str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Err("a boolean"))
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Err("a number"))
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Err("a number"))
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Err("a number"))
    }

    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Err("a string"))
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Err("null"))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        IgnoreVisitor.visit_seq(seq)?;
        Ok(Err("an array"))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        self.0.visit_object(map).map(Ok)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_keys_are_refused_at_any_depth() {
        let ok: StrictValue = serde_json::from_str(r#"{"a": [1, {"b": null}], "c": 1.5}"#).unwrap();
        assert_eq!(ok.0["a"][1]["b"], Value::Null);
        for dup in [r#"{"a": 1, "a": 2}"#, r#"{"x": [{"b": 1, "b": 1}]}"#] {
            let e = serde_json::from_str::<StrictValue>(dup).err().unwrap();
            assert!(e.to_string().contains("duplicate key"), "{e}");
        }
    }

    #[test]
    fn ignored_values_still_refuse_duplicate_keys() {
        let ok = r#"{"a": [1, "x", null, true, {"b": {"c": 2.5}}], "d": {}}"#;
        assert!(serde_json::from_str::<StrictIgnore>(ok).is_ok());
        for dup in [r#"{"a": 1, "a": 2}"#, r#"[{"x": {"b": 1, "b": 1}}]"#] {
            let e = serde_json::from_str::<StrictIgnore>(dup).err().unwrap();
            assert!(e.to_string().contains("duplicate key"), "{e}");
        }
    }

    #[test]
    fn a_key_set_refuses_a_duplicate_among_many_keys() {
        let mut keys = KeySet::default();
        for i in 0..100 {
            keys.insert::<serde_json::Error>(Cow::Owned(format!("k{i}")))
                .unwrap();
        }
        for i in [0, 15, 16, 17, 99] {
            let e = keys
                .insert::<serde_json::Error>(Cow::Owned(format!("k{i}")))
                .unwrap_err();
            assert!(
                e.to_string().contains(&format!("duplicate key \"k{i}\"")),
                "{e}"
            );
        }
    }

    #[test]
    fn text_borrows_unless_escaped() {
        let Text(plain) = serde_json::from_str::<Text<'_>>(r#""abc""#).unwrap();
        assert!(matches!(plain, Cow::Borrowed("abc")));
        let Text(escaped) = serde_json::from_str::<Text<'_>>(r#""a\nb""#).unwrap();
        assert_eq!(escaped, "a\nb");
    }

    #[test]
    fn serde_json_depth_limit_still_applies() {
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(serde_json::from_str::<StrictValue>(&deep).is_err());
        assert!(serde_json::from_str::<StrictIgnore>(&deep).is_err());
    }
}
