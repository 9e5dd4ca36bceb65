//! Canonical JSON as TUF uses it (the OLPC dialect): the bytes that TUF signatures and key ids cover.
//!
//! Objects have their keys sorted by code point, there is no insignificant whitespace, strings escape
//! only `"` and `\`, and numbers must be integers. Floats are refused rather than guessed at.

use serde_json::Value;

/// Why a value has no canonical JSON form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CanonicalJsonError {
    #[error("canonical JSON has no floating-point numbers, found {0}")]
    Float(String),
}

/// Encodes `value` as canonical JSON.
pub fn to_canonical_json(value: &Value) -> Result<Vec<u8>, CanonicalJsonError> {
    let mut out = Vec::with_capacity(256);
    encode(value, &mut out)?;
    Ok(out)
}

fn encode(value: &Value, out: &mut Vec<u8>) -> Result<(), CanonicalJsonError> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(number) => {
            if number.is_f64() {
                return Err(CanonicalJsonError::Float(number.to_string()));
            }
            out.extend_from_slice(number.to_string().as_bytes());
        }
        Value::String(text) => encode_string(text, out),
        Value::Array(items) => {
            out.push(b'[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                encode(item, out)?;
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            // Rust orders `str` by UTF-8 bytes, which is code-point order.
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push(b'{');
            for (index, (key, item)) in entries.into_iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                encode_string(key, out);
                out.push(b':');
                encode(item, out)?;
            }
            out.push(b'}');
        }
    }
    Ok(())
}

fn encode_string(text: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    for byte in text.bytes() {
        if byte == b'"' || byte == b'\\' {
            out.push(b'\\');
        }
        out.push(byte);
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn canonical(value: Value) -> String {
        String::from_utf8(to_canonical_json(&value).unwrap()).unwrap()
    }

    #[test]
    fn sorts_keys_and_drops_whitespace() {
        let value = json!({"b": 1, "a": [true, null, "x"], "A": {"z": -2, "y": 0}});
        assert_eq!(
            canonical(value),
            r#"{"A":{"y":0,"z":-2},"a":[true,null,"x"],"b":1}"#
        );
    }

    #[test]
    fn escapes_only_quote_and_backslash() {
        let value = json!({"k": "a\"b\\c\nd\u{e9}"});
        assert_eq!(canonical(value), "{\"k\":\"a\\\"b\\\\c\nd\u{e9}\"}");
    }

    #[test]
    fn orders_keys_by_code_point() {
        let value = json!({"\u{e9}": 1, "z": 2, "Z": 3});
        assert_eq!(canonical(value), "{\"Z\":3,\"z\":2,\"\u{e9}\":1}");
    }

    #[test]
    fn refuses_floats() {
        let err = to_canonical_json(&json!({"expires": 1.5})).unwrap_err();
        assert_eq!(err, CanonicalJsonError::Float("1.5".to_owned()));
    }
}
