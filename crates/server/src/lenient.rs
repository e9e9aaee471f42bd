//! Lenient JSON input, as real CoWIN clients send it: `1`, `1.0`, `"1"` and `null` all accepted.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// An integer that may arrive as a number, an integral float, a numeric string or `null`.
pub fn opt_int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let v = Option::<Value>::deserialize(d)?;
    Ok(v.and_then(|v| as_int(&v)).or(None))
}

/// The integer value of a JSON value, if it has one.
pub fn as_int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0 && f.is_finite()).map(|f| f as i64)),
        Value::String(s) => {
            let s = s.trim();
            s.parse::<i64>()
                .ok()
                .or_else(|| s.parse::<f64>().ok().filter(|f| f.fract() == 0.0).map(|f| f as i64))
        }
        _ => None,
    }
}

/// A string that may arrive as a string, a number or `null`.
pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = Option::<Value>::deserialize(d)?;
    Ok(match v {
        Some(Value::String(s)) => Some(s),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(Value::Bool(b)) => Some(b.to_string()),
        _ => None,
    })
}

/// A list of strings that may be `null` or absent (both mean empty); numbers become strings.
pub fn string_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let v = Option::<Vec<Value>>::deserialize(d)?;
    Ok(v.unwrap_or_default()
        .into_iter()
        .filter_map(|v| match v {
            Value::String(s) => Some(s),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Deserialize)]
    struct Body {
        #[serde(default, deserialize_with = "opt_int")]
        dose: Option<i64>,
        #[serde(default, deserialize_with = "string_list")]
        list: Vec<String>,
        #[serde(default, deserialize_with = "opt_string")]
        name: Option<String>,
    }

    fn parse(v: serde_json::Value) -> Body {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn numbers_arrive_in_every_shape() {
        assert_eq!(parse(json!({"dose": 1})).dose, Some(1));
        assert_eq!(parse(json!({"dose": 1.0})).dose, Some(1));
        assert_eq!(parse(json!({"dose": "2"})).dose, Some(2));
        assert_eq!(parse(json!({"dose": 1.5})).dose, None);
        assert_eq!(parse(json!({"dose": null})).dose, None);
        assert_eq!(parse(json!({})).dose, None);
    }

    #[test]
    fn lists_may_be_null_and_strings_may_be_numbers() {
        assert!(parse(json!({"list": null})).list.is_empty());
        assert_eq!(parse(json!({"list": ["a", 12]})).list, vec!["a", "12"]);
        assert_eq!(parse(json!({"name": 1990})).name.as_deref(), Some("1990"));
    }
}
