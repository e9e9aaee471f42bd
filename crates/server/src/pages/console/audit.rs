//! The audit log of the area: who changed what and when, with the record before and after,
//! filtered by subject, actor and action, paged by time ("older").

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use serde_json::Value;

use super::{Con, ConsoleLayout, local_time};
use crate::pages::context::{PageResult, QueryFields, encode};
use crate::services::admin::{self, AuditQuery};

const PAGE: u32 = 50;

/// One changed value.
struct Diff {
    key: String,
    before: String,
    after: String,
}

struct Entry {
    time: String,
    actor: String,
    actor_filter: String,
    action: String,
    subject: String,
    subject_filter: String,
    subject_href: Option<String>,
    diff: Vec<Diff>,
}

#[derive(Template)]
#[template(path = "console_audit.html")]
struct AuditPage {
    l: ConsoleLayout,
    subject: String,
    actor: String,
    action: String,
    entries: Vec<Entry>,
    older_href: Option<String>,
    newest_href: Option<String>,
    filtered: bool,
}

/// A JSON value as short text.
fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Flattens a JSON object one level deep into `key` / `key.sub` → text.
fn flatten(json: Option<&str>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Some(v) = json.and_then(|s| serde_json::from_str::<Value>(s).ok()) else {
        if let Some(s) = json.filter(|s| !s.trim().is_empty()) {
            out.insert(String::new(), s.to_owned());
        }
        return out;
    };
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                match v {
                    Value::Object(inner) => {
                        for (k2, v2) in inner {
                            out.insert(format!("{k}.{k2}"), text(&v2));
                        }
                    }
                    other => {
                        out.insert(k, text(&other));
                    }
                }
            }
        }
        other => {
            out.insert(String::new(), text(&other));
        }
    }
    out
}

/// The values that differ between before and after (all of them for a creation or removal).
fn diff(before: Option<&str>, after: Option<&str>) -> Vec<Diff> {
    let b = flatten(before);
    let a = flatten(after);
    let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| b.get(*k) != a.get(*k))
        .map(|k| Diff {
            key: k.clone(),
            before: b.get(k).cloned().unwrap_or_default(),
            after: a.get(k).cloned().unwrap_or_default(),
        })
        .collect()
}

fn href(subject: &str, actor: &str, action: &str, before: Option<i64>) -> String {
    let mut q = Vec::new();
    for (k, v) in [("subject", subject), ("actor", actor), ("action", action)] {
        if !v.is_empty() {
            q.push(format!("{k}={}", encode(v)));
        }
    }
    if let Some(b) = before {
        q.push(format!("before={b}"));
    }
    if q.is_empty() {
        "/console/audit".to_owned()
    } else {
        format!("/console/audit?{}", q.join("&"))
    }
}

/// `GET /console/audit?subject=&actor=&action=&before=`.
pub(super) async fn list(mut con: Con, QueryFields(q): QueryFields) -> PageResult {
    let who = con.admin("/console/audit")?;
    con.section("audit");
    // Officials by id, to show and filter by username instead of `admin:<uuid>`.
    let names: HashMap<String, String> = admin::list_admins(&con.state, &who)
        .await
        .map(|list| {
            list.into_iter().map(|a| (format!("admin:{}", a.id), a.username.to_string())).collect()
        })
        .unwrap_or_default();
    let subject = q.text("subject");
    let actor = q.text("actor");
    let action = q.text("action");
    let actor_key = names
        .iter()
        .find(|(_, name)| name.eq_ignore_ascii_case(&actor))
        .map(|(k, _)| k.clone())
        .unwrap_or_else(|| actor.clone());
    let before_ms = q.get("before").and_then(|b| b.parse::<i64>().ok());
    let query = AuditQuery {
        subject: (!subject.is_empty()).then(|| subject.clone()),
        actor: (!actor_key.is_empty()).then(|| actor_key.clone()),
        action_prefix: (!action.is_empty()).then(|| action.clone()),
        before_ms,
        limit: PAGE,
    };
    let changes = admin::audit(&con.state, &who, &query).await?;
    let entries: Vec<Entry> = changes
        .iter()
        .map(|c| Entry {
            time: local_time(&con.state, c.at_ms),
            actor: names.get(&c.actor).cloned().unwrap_or_else(|| c.actor.clone()),
            actor_filter: href("", &c.actor, "", None),
            action: c.action.clone(),
            subject: names.get(&c.subject).cloned().unwrap_or_else(|| c.subject.clone()),
            subject_filter: href(&c.subject, "", "", None),
            subject_href: c
                .subject
                .strip_prefix("center:")
                .filter(|id| id.bytes().all(|b| b.is_ascii_digit()))
                .map(|id| format!("/console/facilities/{id}")),
            diff: diff(c.before.as_deref(), c.after.as_deref()),
        })
        .collect();
    let older_href = (changes.len() >= PAGE as usize)
        .then(|| changes.last().map(|c| href(&subject, &actor, &action, Some(c.at_ms))))
        .flatten();
    let page = AuditPage {
        l: con.layout.clone(),
        newest_href: before_ms.map(|_| href(&subject, &actor, &action, None)),
        filtered: !subject.is_empty() || !actor.is_empty() || !action.is_empty(),
        subject,
        actor,
        action,
        entries,
        older_href,
    };
    con.render(&page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_shows_changed_values_only() {
        let d = diff(
            Some(r#"{"name":"PHC A","capacity":{"dose1":10,"dose2":5},"active":true}"#),
            Some(r#"{"name":"PHC A","capacity":{"dose1":20,"dose2":5},"active":true}"#),
        );
        assert_eq!(d.len(), 1);
        assert_eq!(
            (d[0].key.as_str(), d[0].before.as_str(), d[0].after.as_str()),
            ("capacity.dose1", "10", "20")
        );
        let created = diff(None, Some(r#"{"name":"PHC B"}"#));
        assert_eq!(created.len(), 1);
        assert_eq!(created[0].before, "");
        assert_eq!(diff(None, Some("plain")).len(), 1);
    }
}
