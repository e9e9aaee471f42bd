//! The JSON-LD contexts, compiled into the binary.
//!
//! A DIVOC/CoWIN certificate names its contexts by URL, but none of those URLs
//! can be relied on at verification time (the CoWIN ones are not even
//! fetchable), and a verifier must never go to the network anyway. The
//! contexts are vendored as data files under `contexts/` (see the README
//! there for their source and licences) and looked up here by URL.

use std::collections::HashMap;
use std::sync::OnceLock;

/// `https://www.w3.org/2018/credentials/v1` (npm `credentials-context@1.0.0`).
pub const CREDENTIALS_V1: &str = "https://www.w3.org/2018/credentials/v1";
/// `https://w3id.org/security/v2` (npm `security-context@4.0.0`).
pub const SECURITY_V2: &str = "https://w3id.org/security/v2";
/// `https://w3id.org/security/v1`, imported by security/v2.
pub const SECURITY_V1: &str = "https://w3id.org/security/v1";
/// The domestic CoWIN vaccination context (v1).
pub const VACCINATION_V1: &str = "https://cowin.gov.in/credentials/vaccination/v1";
/// The international CoWIN vaccination context (v2).
pub const VACCINATION_V2: &str = "https://cowin.gov.in/credentials/vaccination/v2";
/// The generic DIVOC deployment's URL for the v1 vaccination context.
pub const DIVOC_VACCINATION_V1: &str = "https://divoc.dev/credentials/vaccination/v1";

const CREDENTIALS_V1_JSON: &str = include_str!("../contexts/credentials-v1.json");
const SECURITY_V1_JSON: &str = include_str!("../contexts/security-v1.json");
const SECURITY_V2_JSON: &str = include_str!("../contexts/security-v2.json");
const VACCINATION_V1_JSON: &str = include_str!("../contexts/vaccination-v1.json");
const VACCINATION_V2_JSON: &str = include_str!("../contexts/vaccination-v2.json");

/// Every context URL this crate knows, with the document text it maps to.
pub const KNOWN: [(&str, &str); 6] = [
    (CREDENTIALS_V1, CREDENTIALS_V1_JSON),
    (SECURITY_V1, SECURITY_V1_JSON),
    (SECURITY_V2, SECURITY_V2_JSON),
    (VACCINATION_V1, VACCINATION_V1_JSON),
    (VACCINATION_V2, VACCINATION_V2_JSON),
    (DIVOC_VACCINATION_V1, VACCINATION_V1_JSON),
];

/// The JSON text of the context published at `url`, if it is one we know.
#[must_use]
pub fn get(url: &str) -> Option<&'static str> {
    KNOWN.iter().find(|(u, _)| *u == url).map(|(_, doc)| *doc)
}

/// Whether `url` names a known context.
#[must_use]
pub fn is_known(url: &str) -> bool {
    get(url).is_some()
}

/// The offline document loader used by the JSON-LD processor: the known
/// contexts parsed once, keyed by IRI.
pub(crate) fn loader() -> &'static HashMap<json_ld::IriBuf, json_ld::RemoteDocument> {
    static LOADER: OnceLock<HashMap<json_ld::IriBuf, json_ld::RemoteDocument>> = OnceLock::new();
    LOADER.get_or_init(|| {
        let mut map = HashMap::new();
        for (url, text) in KNOWN {
            // The vendored files are checked by the `contexts_parse` test; a
            // file that did not parse would simply be missing from the map and
            // every document using it would fail with `UnknownContext`.
            let (Ok(iri), Ok(value)) = (
                json_ld::IriBuf::new(url.to_owned()),
                serde_json::from_str::<serde_json::Value>(text)
                    .map(json_syntax::Value::from_serde_json),
            ) else {
                continue;
            };
            let doc = json_ld::RemoteDocument::new(Some(iri.clone()), None, value);
            map.insert(iri, doc);
        }
        map
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contexts_parse() {
        for (url, text) in KNOWN {
            let v: serde_json::Value = serde_json::from_str(text).unwrap();
            assert!(v.get("@context").is_some(), "{url}");
        }
        assert_eq!(loader().len(), KNOWN.len());
        assert!(get("https://example.com/ctx").is_none());
        assert_eq!(get(DIVOC_VACCINATION_V1), get(VACCINATION_V1));
    }
}
