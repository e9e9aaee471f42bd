//! `openapi.json`, read from the crate, and a small validator for the subset of JSON Schema it
//! uses: `type`, `enum`, `const`, `required`, `properties`, `additionalProperties`, `items`,
//! `anyOf`, `oneOf`, `maxProperties`, `minimum`, `maximum`, `minLength`, `maxLength`,
//! `format: uuid` and local `$ref`s.  Any other keyword that is not a pure annotation is an error,
//! so the document cannot silently rely on something the validator ignores.

use std::io::Read;
use std::sync::OnceLock;

use axum::http::{Method, header};
use serde_json::Value;

use crate::harness::Resp;

/// Where the document lives.
pub(crate) const OPENAPI_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json");

/// The document's one server URL: every documented path is relative to it.
pub(crate) const SERVER_BASE: &str = "/api";

/// The parsed document.
pub(crate) fn doc() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| {
        let text = std::fs::read_to_string(OPENAPI_FILE).unwrap();
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("openapi.json is not JSON: {e}"))
    })
}

/// Follows a local `$ref` (repeatedly).
pub(crate) fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let pointer = r.strip_prefix('#').unwrap_or_else(|| panic!("non-local $ref {r}"));
            resolve(doc, doc.pointer(pointer).unwrap_or_else(|| panic!("dangling $ref {r}")))
        }
        None => v,
    }
}

/// Whether a concrete path (below [`SERVER_BASE`]) matches a documented path template.
pub(crate) fn template_matches(template: &str, path: &str) -> bool {
    let t: Vec<&str> = template.split('/').collect();
    let p: Vec<&str> = path.split('/').collect();
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(t, p)| (t.starts_with('{') && t.ends_with('}') && !p.is_empty()) || t == p)
}

/// The documented operation for a request, with its path template.
pub(crate) fn operation(method: &Method, path: &str) -> Option<(&'static str, &'static Value)> {
    let rest = path.strip_prefix(SERVER_BASE)?;
    let paths = doc()["paths"].as_object()?;
    let (template, item) = paths.iter().find(|(t, _)| template_matches(t, rest))?;
    let op = item.get(method.as_str().to_ascii_lowercase())?;
    Some((template.as_str(), op))
}

/// Gunzips a body.
pub(crate) fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes).read_to_end(&mut out).unwrap();
    out
}

/// Checks a response against the documented operation, if the request was a documented one:
/// the status must be documented, and the body must match the documented media type and schema.
pub(crate) fn check_response(method: &Method, path: &str, res: &Resp) {
    let Some((template, op)) = operation(method, path) else { return };
    let d = doc();
    let status = res.status.as_u16().to_string();
    let Some(documented) = op["responses"].get(&status) else {
        panic!(
            "{method} {template} answered {status}, which openapi.json does not document: {}",
            res.text()
        );
    };
    let documented = resolve(d, documented);
    for (name, h) in documented.get("headers").and_then(Value::as_object).into_iter().flatten() {
        let h = resolve(d, h);
        if h.get("required") == Some(&Value::Bool(true)) {
            assert!(
                res.headers.contains_key(name.as_str()),
                "{method} {template} {status}: documented header {name} is missing"
            );
        }
    }
    let Some(content) = documented.get("content").and_then(Value::as_object) else {
        assert!(res.body.is_empty(), "{method} {template} {status}: documented without a body");
        return;
    };
    let content_type = res.header(header::CONTENT_TYPE).unwrap_or_default();
    let media = content_type.split(';').next().unwrap_or_default().trim();
    let Some(media_doc) = content.get(media) else {
        panic!("{method} {template} {status}: media type {content_type:?} is not documented");
    };
    let body = if res.header(header::CONTENT_ENCODING) == Some("gzip") {
        gunzip(&res.body)
    } else {
        res.body.to_vec()
    };
    let schema = media_doc.get("schema").unwrap_or(&Value::Null);
    match media {
        "application/json" => {
            let v: Value = serde_json::from_slice(&body)
                .unwrap_or_else(|e| panic!("{method} {template} {status}: body is not JSON ({e})"));
            if let Err(e) = validate(d, schema, &v, "$") {
                panic!("{method} {template} {status}: body does not match openapi.json: {e}\n{v}");
            }
        }
        "text/plain" => {
            let text = Value::String(String::from_utf8(body).unwrap());
            if let Err(e) = validate(d, schema, &text, "$") {
                panic!("{method} {template} {status}: {e}");
            }
        }
        "application/pdf" => assert!(body.starts_with(b"%PDF"), "{method} {template}: not a PDF"),
        other => panic!("{method} {template}: no check for media type {other}"),
    }
}

/// Keywords the validator enforces.
const ENFORCED: &[&str] = &[
    "type",
    "enum",
    "const",
    "required",
    "properties",
    "additionalProperties",
    "items",
    "anyOf",
    "oneOf",
    "maxProperties",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "format",
    "$ref",
];

/// Keywords that only describe (never change what is valid) or that this subset does not check.
const ANNOTATIONS: &[&str] =
    &["description", "example", "examples", "title", "default", "pattern", "contentMediaType"];

fn type_matches(t: &str, v: &Value) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        "number" => v.is_number(),
        "integer" => {
            v.is_i64() || v.is_u64() || v.as_f64().is_some_and(|f| f.fract() == 0.0 && v.is_f64())
        }
        other => panic!("unknown type {other}"),
    }
}

/// Validates a value against a schema of the supported subset.
pub(crate) fn validate(doc: &Value, schema: &Value, v: &Value, at: &str) -> Result<(), String> {
    let schema = resolve(doc, schema);
    let obj = schema.as_object().ok_or_else(|| format!("{at}: schema is not an object"))?;
    for key in obj.keys() {
        assert!(
            ENFORCED.contains(&key.as_str()) || ANNOTATIONS.contains(&key.as_str()),
            "openapi.json uses schema keyword {key:?}, which the test validator does not know"
        );
    }
    if let Some(t) = obj.get("type") {
        let types: Vec<&str> = match t {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => return Err(format!("{at}: bad type keyword")),
        };
        if !types.iter().any(|t| type_matches(t, v)) {
            return Err(format!("{at}: {v} is not of type {t}"));
        }
    }
    if let Some(e) = obj.get("enum").and_then(Value::as_array)
        && !e.contains(v)
    {
        return Err(format!("{at}: {v} is not one of {e:?}"));
    }
    if let Some(c) = obj.get("const")
        && c != v
    {
        return Err(format!("{at}: {v} is not {c}"));
    }
    if let Some(f) = obj.get("format").and_then(Value::as_str)
        && f == "uuid"
        && let Some(s) = v.as_str()
        && uuid::Uuid::parse_str(s).is_err()
    {
        return Err(format!("{at}: {s:?} is not a UUID"));
    }
    if let Some(n) = v.as_f64() {
        if let Some(min) = obj.get("minimum").and_then(Value::as_f64)
            && n < min
        {
            return Err(format!("{at}: {n} < minimum {min}"));
        }
        if let Some(max) = obj.get("maximum").and_then(Value::as_f64)
            && n > max
        {
            return Err(format!("{at}: {n} > maximum {max}"));
        }
    }
    if let Some(s) = v.as_str() {
        let len = s.chars().count() as u64;
        if let Some(min) = obj.get("minLength").and_then(Value::as_u64)
            && len < min
        {
            return Err(format!("{at}: {s:?} shorter than {min}"));
        }
        if let Some(max) = obj.get("maxLength").and_then(Value::as_u64)
            && len > max
        {
            return Err(format!("{at}: {s:?} longer than {max}"));
        }
    }
    if let Value::Object(map) = v {
        for r in obj.get("required").and_then(Value::as_array).into_iter().flatten() {
            let r = r.as_str().unwrap_or_default();
            if !map.contains_key(r) {
                return Err(format!("{at}: required property {r:?} is missing"));
            }
        }
        let props = obj.get("properties").and_then(Value::as_object);
        for (k, x) in map {
            let sub = format!("{at}.{k}");
            match props.and_then(|p| p.get(k)) {
                Some(s) => validate(doc, s, x, &sub)?,
                None => match obj.get("additionalProperties") {
                    Some(Value::Bool(false)) => {
                        return Err(format!("{at}: property {k:?} is not documented"));
                    }
                    Some(s @ Value::Object(_)) => validate(doc, s, x, &sub)?,
                    _ => {}
                },
            }
        }
        if let Some(max) = obj.get("maxProperties").and_then(Value::as_u64)
            && map.len() as u64 > max
        {
            return Err(format!("{at}: more than {max} properties"));
        }
    }
    if let (Value::Array(items), Some(s)) = (v, obj.get("items")) {
        for (i, x) in items.iter().enumerate() {
            validate(doc, s, x, &format!("{at}[{i}]"))?;
        }
    }
    if let Some(any) = obj.get("anyOf").and_then(Value::as_array)
        && !any.iter().any(|s| validate(doc, s, v, at).is_ok())
    {
        return Err(format!("{at}: {v} matches none of anyOf"));
    }
    if let Some(one) = obj.get("oneOf").and_then(Value::as_array) {
        let n = one.iter().filter(|s| validate(doc, s, v, at).is_ok()).count();
        if n != 1 {
            return Err(format!("{at}: {v} matches {n} of oneOf, not exactly one"));
        }
    }
    Ok(())
}
