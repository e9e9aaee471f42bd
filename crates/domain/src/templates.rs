//! SMS templates as data: one per (message kind, language), each with the operator-registered
//! template id (India's DLT id), checked completely when the set is loaded.
//!
//! # Bodies
//!
//! A body is text with `{variable}` placeholders; `{{` and `}}` are literal braces.  Each kind
//! has a fixed set of variables, each with a maximum length (in UTF-16 units, i.e. characters
//! for everything but emoji) used for the worst-case size check at load and enforced at render:
//! a longer value is truncated to its maximum with an ellipsis — `...` when the value is GSM-7,
//! `…` when it is not already GSM-7 (so that truncating never turns a GSM-7 message into UCS-2).
//! Newlines and other control characters in values become spaces.
//!
//! | kind | variables (max length; **required**) |
//! |------|--------------------------------------|
//! | `otp` | **`otp`** (6), `minutes` (2) |
//! | `registration` | `name` (40), **`ref_id`** (14) |
//! | `booking_confirmed` | `name` (40), `dose` (1), `vaccine` (12), **`date`** (10), **`slot`** (20), **`center`** (60), **`code`** (4) |
//! | `booking_rescheduled` | same as `booking_confirmed` |
//! | `booking_cancelled` | `name` (40), **`date`** (10), **`center`** (60) |
//! | `reminder` | `name` (40), **`date`** (10), **`slot`** (20), **`center`** (60), **`code`** (4) |
//! | `session_changed` | **`center`** (60), **`old_date`** (10), **`new_date`** (10), `slot` (20), `code` (4) |
//! | `session_cancelled` | **`center`** (60), **`date`** (10), **`link`** (40) |
//! | `dose_due` | `name` (40), **`dose`** (1), `vaccine` (12), **`due_date`** (10), **`link`** (40) |
//! | `certificate_ready` | `name` (40), `dose` (1), **`link`** (40) |
//! | `correction_approved` | `name` (40), **`link`** (40) |
//! | `correction_rejected` | `name` (40), **`link`** (40) |
//! | `reply` | **`text`** (300) |
//! | `coldchain_excursion` | **`point`** (40), **`equipment`** (20), **`temp`** (6), **`band`** (14), **`since`** (16), **`link`** (40) |
//! | `coldchain_silent` | **`point`** (40), **`equipment`** (20), **`since`** (16), **`link`** (40) |
//!
//! Dates are `DD-MM-YYYY`, slots like `09:00AM-11:00AM`, links short URLs.  A required
//! variable must appear in every language's body; an optional one may be left out.  There is
//! no address variable: a center's name (at most 60) is what fits.
//!
//! # Size policy
//!
//! Every template declares `max_parts` (default: `otp` 1, `reply` 5, every other kind 3).  At
//! load, each body is rendered with every variable it uses at its maximum length and must fit:
//!
//! * *free-text* variables (`name`, `center`, `text`) may hold any script (a Devanagari name on
//!   an English template is ordinary), so a body that uses one is checked as UCS-2, whatever
//!   its own language;
//! * the other variables (codes, dates, slots, links, vaccine names, numbers) are
//!   system-made ASCII, so a GSM-7 body that uses only those (the OTP) is checked as GSM-7.
//!
//! UCS-2 is the worst case for anything in the Basic Multilingual Plane (a GSM-7 character,
//! even an escaped one, costs less of a part than a UCS-2 unit), so a rendered message never
//! exceeds its template's `max_parts`.  The maximum lengths above were chosen so the Hindi
//! booking messages fit 3 UCS-2 parts (201 units).
//!
//! # File format
//!
//! ```toml
//! sender = "TIKAGV"        # the registered sender id (header)
//! [[template]]
//! kind = "otp"
//! language = "en"
//! template_id = "1107161234500000001"
//! body = "Your Tika OTP is {otp}. Valid for {minutes} minutes. Do not share it. - MoHFW"
//! # max_parts = 1       # optional
//! ```
//!
//! The set must be complete: every kind in the default language `en` and in every language
//! that appears at all.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Deserialize;

use crate::message::MessageKind;
use crate::sms::{self, SmsSize};

/// The language every set must cover and that rendering falls back to.
pub const DEFAULT_LANGUAGE: &str = "en";

/// The most parts a template may declare.
pub const MAX_PARTS_LIMIT: u8 = 10;

/// A variable a kind's templates may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VarSpec {
    /// The placeholder name (`center` for `{center}`).
    pub name: &'static str,
    /// The longest value, in UTF-16 units; longer values are truncated when rendering.
    pub max_len: usize,
    /// Whether every template of the kind must use it.
    pub required: bool,
    /// Whether the value may be in any script (names, places, free text), so the message may
    /// need UCS-2 whatever the template's language.
    pub free_text: bool,
}

const fn req(name: &'static str, max_len: usize) -> VarSpec {
    VarSpec { name, max_len, required: true, free_text: false }
}

const fn opt(name: &'static str, max_len: usize) -> VarSpec {
    VarSpec { name, max_len, required: false, free_text: false }
}

const fn text(mut v: VarSpec) -> VarSpec {
    v.free_text = true;
    v
}

const NAME: VarSpec = text(opt("name", 40));
const CENTER: VarSpec = text(req("center", 60));
const DATE: VarSpec = req("date", 10);
const SLOT: VarSpec = req("slot", 20);
const CODE: VarSpec = req("code", 4);
const DOSE: VarSpec = opt("dose", 1);
const VACCINE: VarSpec = opt("vaccine", 12);
const LINK: VarSpec = req("link", 40);

/// The variables a kind's templates may use (see the table in the module documentation).
pub fn variables(kind: MessageKind) -> &'static [VarSpec] {
    match kind {
        MessageKind::Otp => const { &[req("otp", 6), opt("minutes", 2)] },
        MessageKind::Registration => const { &[NAME, req("ref_id", 14)] },
        MessageKind::BookingConfirmed | MessageKind::BookingRescheduled => {
            const { &[NAME, DOSE, VACCINE, DATE, SLOT, CENTER, CODE] }
        }
        MessageKind::BookingCancelled => const { &[NAME, DATE, CENTER] },
        MessageKind::Reminder => const { &[NAME, DATE, SLOT, CENTER, CODE] },
        MessageKind::SessionChanged => {
            const { &[CENTER, req("old_date", 10), req("new_date", 10), opt("slot", 20), opt("code", 4)] }
        }
        MessageKind::SessionCancelled => const { &[CENTER, DATE, LINK] },
        MessageKind::DoseDue => {
            const { &[NAME, req("dose", 1), VACCINE, req("due_date", 10), LINK] }
        }
        MessageKind::CertificateReady => const { &[NAME, DOSE, LINK] },
        MessageKind::CorrectionApproved | MessageKind::CorrectionRejected => {
            const { &[NAME, LINK] }
        }
        MessageKind::Reply => const { &[text(req("text", 300))] },
        MessageKind::ColdChainExcursion => {
            const {
                &[
                    text(req("point", 40)),
                    text(req("equipment", 20)),
                    req("temp", 6),
                    req("band", 14),
                    req("since", 16),
                    LINK,
                ]
            }
        }
        MessageKind::ColdChainSilent => {
            const { &[text(req("point", 40)), text(req("equipment", 20)), req("since", 16), LINK] }
        }
    }
}

/// One variable of a kind, by name.
pub fn variable(kind: MessageKind, name: &str) -> Option<VarSpec> {
    variables(kind).iter().copied().find(|v| v.name == name)
}

/// The parts a kind's templates may take unless the template says otherwise.
pub fn default_max_parts(kind: MessageKind) -> u8 {
    match kind {
        MessageKind::Otp => 1,
        MessageKind::Reply => 5,
        _ => 3,
    }
}

/// Cleans a value for a message: control characters (newlines, tabs) become spaces, and a
/// value longer than `max_len` UTF-16 units is cut to `max_len` with an ellipsis (`...` for a
/// GSM-7 value, `…` otherwise; no ellipsis when `max_len` is shorter than it).
pub fn fit_value(value: &str, max_len: usize) -> String {
    let clean: String = value.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if clean.encode_utf16().count() <= max_len {
        return clean;
    }
    let ellipsis = if sms::is_gsm7(&clean) { "..." } else { "…" };
    let ellipsis = if ellipsis.len_utf16() <= max_len { ellipsis } else { "" };
    let budget = max_len - ellipsis.len_utf16();
    let mut out = String::new();
    let mut used = 0;
    for c in clean.chars() {
        if used + c.len_utf16() > budget {
            break;
        }
        used += c.len_utf16();
        out.push(c);
    }
    // Do not leave a dangling space before the ellipsis.
    if !ellipsis.is_empty() {
        out.truncate(out.trim_end().len());
    }
    out.push_str(ellipsis);
    out
}

trait Utf16Len {
    fn len_utf16(&self) -> usize;
}

impl Utf16Len for str {
    fn len_utf16(&self) -> usize {
        self.encode_utf16().count()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Text(String),
    Var(VarSpec),
}

/// One template of a set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// What it is for.
    pub kind: MessageKind,
    /// Its language (`en`, `hi`, …).
    pub language: String,
    /// The operator-registered template id (India: the 19-digit DLT id).
    pub template_id: String,
    /// The body as written, placeholders and all.
    pub body: String,
    /// The most parts a rendering may take.
    pub max_parts: u8,
    /// The size with every variable at its maximum length (see the module's size policy).
    pub worst_case: SmsSize,
    segments: Vec<Segment>,
}

impl Template {
    /// The variables its body uses, in order of first use.
    pub fn used_variables(&self) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = Vec::new();
        for s in &self.segments {
            if let Segment::Var(v) = s
                && !out.contains(&v.name)
            {
                out.push(v.name);
            }
        }
        out
    }
}

/// Why a template set was refused: every problem found, each naming the template.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// The text is not TOML of the expected shape.
    #[error("sms templates are not valid TOML: {0}")]
    Syntax(String),
    /// The templates have problems.
    #[error("sms templates have {} problem(s):\n  {}", .0.len(), .0.join("\n  "))]
    Invalid(Vec<String>),
}

impl TemplateError {
    /// Every problem, one message each.
    pub fn problems(&self) -> Vec<String> {
        match self {
            TemplateError::Syntax(s) => vec![s.clone()],
            TemplateError::Invalid(v) => v.clone(),
        }
    }
}

/// Why a message could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    /// The template uses a variable no value was given for.
    #[error("{kind} ({language}): no value for {{{name}}}")]
    MissingVariable {
        /// The kind.
        kind: MessageKind,
        /// The language of the template used.
        language: String,
        /// The variable.
        name: String,
    },
    /// A value was given for a variable the kind does not have.
    #[error("{kind}: unknown variable {{{name}}}")]
    UnknownVariable {
        /// The kind.
        kind: MessageKind,
        /// The variable.
        name: String,
    },
    /// A variable was given twice.
    #[error("{kind}: variable {{{name}}} given twice")]
    DuplicateVariable {
        /// The kind.
        kind: MessageKind,
        /// The variable.
        name: String,
    },
    /// Neither the language nor the default has a template (impossible for a parsed set).
    #[error("no {kind} template for {language} or {DEFAULT_LANGUAGE}")]
    NoTemplate {
        /// The kind.
        kind: MessageKind,
        /// The language asked for.
        language: String,
    },
}

/// A rendered message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The text to send.
    pub text: String,
    /// The template id to send with it.
    pub template_id: String,
    /// The language actually used (the default when the one asked for is not in the set).
    pub language: String,
    /// Its encoding and parts.
    pub size: SmsSize,
}

/// A complete, checked set of templates with its sender id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateSet {
    sender: String,
    languages: Vec<String>,
    templates: BTreeMap<(MessageKind, String), Template>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSet {
    sender: Option<String>,
    #[serde(default, rename = "template")]
    templates: Vec<RawTemplate>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTemplate {
    kind: Option<String>,
    language: Option<String>,
    template_id: Option<String>,
    body: Option<String>,
    max_parts: Option<i64>,
}

impl TemplateSet {
    /// Parses and checks a template file (see the module documentation), reporting every
    /// problem at once.
    pub fn parse(toml_text: &str) -> Result<TemplateSet, TemplateError> {
        let raw: RawSet =
            toml::from_str(toml_text).map_err(|e| TemplateError::Syntax(e.to_string()))?;
        let mut problems = Vec::new();

        let sender = raw.sender.unwrap_or_default();
        if sender.is_empty() {
            problems.push("missing `sender` (the registered sender id)".to_owned());
        } else if sender.len() > 11 || !sender.bytes().all(|b| b.is_ascii_alphanumeric()) {
            problems.push(format!("sender {sender:?} must be 1 to 11 ASCII letters and digits"));
        }

        let mut templates: BTreeMap<(MessageKind, String), Template> = BTreeMap::new();
        let mut first_seen: BTreeMap<(MessageKind, String), usize> = BTreeMap::new();
        let mut ids: BTreeMap<String, usize> = BTreeMap::new();
        let mut languages: BTreeSet<String> = BTreeSet::new();
        languages.insert(DEFAULT_LANGUAGE.to_owned());

        for (i, t) in raw.templates.into_iter().enumerate() {
            let n = i + 1;
            let kind_name = t.kind.clone().unwrap_or_default();
            let language = t.language.clone().unwrap_or_default();
            let label = format!(
                "template {n} ({}/{})",
                if kind_name.is_empty() { "?" } else { &kind_name },
                if language.is_empty() { "?" } else { &language },
            );
            let mut bad = |msg: String| problems.push(format!("{label}: {msg}"));

            let kind = match t.kind.as_deref() {
                None | Some("") => {
                    bad("missing `kind`".to_owned());
                    None
                }
                Some(k) => {
                    let kind = MessageKind::parse(k);
                    if kind.is_none() {
                        bad(format!(
                            "unknown kind {k:?} (expected one of {})",
                            MessageKind::ALL.map(MessageKind::as_str).join(", ")
                        ));
                    }
                    kind
                }
            };
            let language_ok = if language.is_empty() {
                bad("missing `language`".to_owned());
                false
            } else if !(2..=3).contains(&language.len())
                || !language.bytes().all(|b| b.is_ascii_lowercase())
            {
                bad(format!(
                    "language {language:?} must be a 2- or 3-letter lowercase code (en, hi)"
                ));
                false
            } else {
                languages.insert(language.clone());
                true
            };
            let template_id = t.template_id.clone().unwrap_or_default();
            if template_id.trim().is_empty() {
                bad("empty `template_id`".to_owned());
            } else if !template_id.bytes().all(|b| b.is_ascii_alphanumeric()) {
                bad(format!("template_id {template_id:?} must be ASCII letters and digits only"));
            } else if let Some(other) = ids.get(&template_id) {
                bad(format!("template_id {template_id} is also used by template {other}"));
            } else {
                ids.insert(template_id.clone(), n);
            }
            let max_parts = match (t.max_parts, kind) {
                (Some(p), _) if !(1..=i64::from(MAX_PARTS_LIMIT)).contains(&p) => {
                    bad(format!("max_parts {p} must be 1 to {MAX_PARTS_LIMIT}"));
                    None
                }
                (Some(p), Some(MessageKind::Otp)) if p != 1 => {
                    bad(format!("max_parts {p}: an OTP must fit one part"));
                    None
                }
                (Some(p), _) => Some(p as u8),
                (None, Some(k)) => Some(default_max_parts(k)),
                (None, None) => None,
            };

            let body = t.body.clone().unwrap_or_default();
            let (tokens, mut body_ok) = if body.trim().is_empty() {
                bad("empty `body`".to_owned());
                (Vec::new(), false)
            } else {
                let (tokens, errors) = tokenize(&body);
                let ok = errors.is_empty();
                for e in errors {
                    bad(e);
                }
                (tokens, ok)
            };

            let Some(kind) = kind else {
                continue;
            };
            let mut segments = Vec::new();
            for token in tokens {
                match token {
                    Token::Text(s) => segments.push(Segment::Text(s)),
                    Token::Var(name) => match variable(kind, &name) {
                        Some(v) => segments.push(Segment::Var(v)),
                        None => {
                            body_ok = false;
                            bad(format!(
                                "unknown variable {{{name}}} (a {kind} template may use {})",
                                variables(kind)
                                    .iter()
                                    .map(|v| format!("{{{}}}", v.name))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ));
                        }
                    },
                }
            }
            if !body.trim().is_empty() {
                for v in variables(kind).iter().filter(|v| v.required) {
                    if !segments.contains(&Segment::Var(*v)) {
                        bad(format!("missing required variable {{{}}}", v.name));
                        body_ok = false;
                    }
                }
            }
            if !language_ok {
                continue;
            }
            let key = (kind, language.clone());
            if let Some(other) = first_seen.get(&key) {
                bad(format!("duplicate: template {other} is already {kind} in {language}"));
                continue;
            }
            first_seen.insert(key.clone(), n);
            let (Some(max_parts), true) = (max_parts, body_ok) else {
                continue;
            };
            let worst_case = worst_case(&segments);
            if !worst_case.fits(usize::from(max_parts)) {
                bad(format!(
                    "too long: with every variable at its maximum length it is {worst_case}, \
                     over its limit of {max_parts} (shorten the text)"
                ));
            }
            templates.insert(
                key,
                Template { kind, language, template_id, body, max_parts, worst_case, segments },
            );
        }

        for language in &languages {
            for kind in MessageKind::ALL {
                if !first_seen.contains_key(&(kind, language.clone())) {
                    problems.push(format!("language {language} has no {kind} template"));
                }
            }
        }

        if problems.is_empty() {
            Ok(TemplateSet { sender, languages: languages.into_iter().collect(), templates })
        } else {
            Err(TemplateError::Invalid(problems))
        }
    }

    /// The registered sender id (header), e.g. `TIKAGV`.
    pub fn sender(&self) -> &str {
        &self.sender
    }

    /// Replaces the sender id (an operator's own registered header).
    pub fn set_sender(&mut self, sender: &str) {
        sender.trim().clone_into(&mut self.sender);
    }

    /// The languages covered, sorted; always includes [`DEFAULT_LANGUAGE`].
    pub fn languages(&self) -> &[String] {
        &self.languages
    }

    /// Whether the set has templates in the language.
    pub fn has_language(&self, language: &str) -> bool {
        self.languages.iter().any(|l| l == language)
    }

    /// The language a request for `language` is served in: itself, else its primary subtag
    /// (`hi` for `hi-IN`), else [`DEFAULT_LANGUAGE`].
    pub fn resolve_language<'a>(&'a self, language: &str) -> &'a str {
        let primary = language.split(['-', '_']).next().unwrap_or_default().to_ascii_lowercase();
        self.languages
            .iter()
            .find(|l| *l == language)
            .or_else(|| self.languages.iter().find(|l| **l == primary))
            .map(String::as_str)
            .unwrap_or(DEFAULT_LANGUAGE)
    }

    /// The template for a kind in exactly this language.
    pub fn get(&self, kind: MessageKind, language: &str) -> Option<&Template> {
        self.templates.get(&(kind, language.to_owned()))
    }

    /// Every template, by kind then language.
    pub fn templates(&self) -> impl Iterator<Item = &Template> {
        self.templates.values()
    }

    /// Renders a kind in a language (falling back as [`TemplateSet::resolve_language`] says).
    /// Every variable the template uses must be given; every variable given must belong to
    /// the kind (those the template does not use are ignored).  Values are cleaned and cut as
    /// [`fit_value`] says.
    pub fn render(
        &self,
        kind: MessageKind,
        language: &str,
        vars: &[(&str, &str)],
    ) -> Result<Rendered, RenderError> {
        for (i, (name, _)) in vars.iter().enumerate() {
            if variable(kind, name).is_none() {
                return Err(RenderError::UnknownVariable { kind, name: name.to_string() });
            }
            if vars[..i].iter().any(|(n, _)| n == name) {
                return Err(RenderError::DuplicateVariable { kind, name: name.to_string() });
            }
        }
        let used = self.resolve_language(language);
        let template = self
            .get(kind, used)
            .ok_or_else(|| RenderError::NoTemplate { kind, language: language.to_owned() })?;
        let mut text = String::with_capacity(template.body.len() + 64);
        for segment in &template.segments {
            match segment {
                Segment::Text(s) => text.push_str(s),
                Segment::Var(v) => {
                    let value = vars.iter().find(|(n, _)| *n == v.name).ok_or_else(|| {
                        RenderError::MissingVariable {
                            kind,
                            language: used.to_owned(),
                            name: v.name.to_owned(),
                        }
                    })?;
                    text.push_str(&fit_value(value.1, v.max_len));
                }
            }
        }
        let size = sms::measure(&text);
        Ok(Rendered {
            text,
            template_id: template.template_id.clone(),
            language: used.to_owned(),
            size,
        })
    }
}

/// The size of a body with every variable at its maximum length (see the size policy).
fn worst_case(segments: &[Segment]) -> SmsSize {
    let any_free_text = segments.iter().any(|s| matches!(s, Segment::Var(v) if v.free_text));
    let mut text = String::new();
    for s in segments {
        match s {
            Segment::Text(t) => text.push_str(t),
            Segment::Var(v) if v.free_text => text.push_str(&"क".repeat(v.max_len)),
            // Made of digits and Latin letters; as UCS-2 each still costs one unit.
            Segment::Var(v) => text.push_str(&"0".repeat(v.max_len)),
        }
    }
    let size = sms::measure(&text);
    debug_assert!(!any_free_text || size.encoding == sms::Encoding::Ucs2);
    size
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Text(String),
    Var(String),
}

/// Splits a body into text and the well-formed placeholders, and lists every brace problem.
fn tokenize(body: &str) -> (Vec<Token>, Vec<String>) {
    let chars: Vec<char> = body.chars().collect();
    let mut tokens = Vec::new();
    let mut errors = Vec::new();
    let mut text = String::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '{' if chars.get(i + 1) == Some(&'{') => {
                text.push('{');
                i += 2;
            }
            '}' if chars.get(i + 1) == Some(&'}') => {
                text.push('}');
                i += 2;
            }
            '}' => {
                errors.push(format!(
                    "unbalanced braces: `}}` at character {} closes nothing (write `}}}}` for a literal brace)",
                    i + 1
                ));
                i += 1;
            }
            '{' => {
                let start = i;
                let mut j = i + 1;
                while j < chars.len() && chars[j] != '}' && chars[j] != '{' {
                    j += 1;
                }
                if j == chars.len() || chars[j] == '{' {
                    errors.push(format!(
                        "unbalanced braces: `{{` at character {} is never closed (write `{{{{` for a literal brace)",
                        start + 1
                    ));
                    i = j;
                    continue;
                }
                let name: String = chars[start + 1..j].iter().collect();
                if name.is_empty()
                    || !name
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                {
                    errors.push(format!(
                        "bad placeholder `{{{name}}}` at character {}: names are lowercase letters, digits and `_`",
                        start + 1
                    ));
                } else {
                    if !text.is_empty() {
                        tokens.push(Token::Text(std::mem::take(&mut text)));
                    }
                    tokens.push(Token::Var(name));
                }
                i = j + 1;
            }
            c => {
                text.push(c);
                i += 1;
            }
        }
    }
    if !text.is_empty() {
        tokens.push(Token::Text(text));
    }
    (tokens, errors)
}

impl fmt::Display for Rendered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A complete minimal set in `en` (and optionally more), built from short bodies.
    fn body_for(kind: MessageKind) -> String {
        variables(kind)
            .iter()
            .filter(|v| v.required)
            .map(|v| format!("{{{}}}", v.name))
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn complete_set(languages: &[&str]) -> String {
        let mut out = String::from("sender = \"TIKAGV\"\n");
        let mut id = 1_000;
        for lang in languages {
            for kind in MessageKind::ALL {
                id += 1;
                out.push_str(&format!(
                    "[[template]]\nkind = \"{kind}\"\nlanguage = \"{lang}\"\ntemplate_id = \"{id}\"\nbody = \"{lang}: {}\"\n",
                    body_for(kind)
                ));
            }
        }
        out
    }

    #[test]
    fn a_minimal_complete_set_loads_and_renders() {
        let set = TemplateSet::parse(&complete_set(&["en", "hi"])).unwrap();
        assert_eq!(set.sender(), "TIKAGV");
        assert_eq!(set.languages(), ["en", "hi"]);
        assert_eq!(set.templates().count(), 2 * MessageKind::ALL.len());
        let r = set.render(MessageKind::Otp, "hi", &[("otp", "123456"), ("minutes", "3")]).unwrap();
        assert_eq!(r.text, "hi: 123456");
        assert_eq!(r.language, "hi");
        assert_eq!(r.template_id, (1_001 + MessageKind::ALL.len()).to_string());
        assert_eq!(r.size.parts, 1);
        // Fallbacks: a region subtag, an unknown language.
        assert_eq!(set.resolve_language("hi-IN"), "hi");
        assert_eq!(set.resolve_language("ta"), "en");
        let r = set.render(MessageKind::Otp, "ta", &[("otp", "1")]).unwrap();
        assert_eq!((r.text.as_str(), r.language.as_str()), ("en: 1", "en"));
        assert_eq!(set.get(MessageKind::Reply, "en").unwrap().max_parts, 5);
        assert_eq!(set.get(MessageKind::Otp, "en").unwrap().used_variables(), ["otp"]);
    }

    #[test]
    fn every_problem_is_reported() {
        let text = r#"
            sender = "TIKA GOV"
            [[template]]
            kind = "otpp"
            language = "en"
            template_id = "1"
            body = "x"
            [[template]]
            kind = "otp"
            language = "en"
            template_id = ""
            body = "Your OTP is {otp} {nope}"
            [[template]]
            kind = "booking_confirmed"
            language = "en"
            template_id = "2"
            body = "Booked {date} at {center} {slot"
            [[template]]
            kind = "reply"
            language = "en"
            template_id = "3"
            body = "{text} }"
            [[template]]
            kind = "reply"
            language = "en"
            template_id = "3"
            body = "{text}"
            [[template]]
            kind = "otp"
            language = "hi"
            template_id = "4"
            max_parts = 2
            body = "{otp} {minutes}"
            [[template]]
            kind = "dose_due"
            language = "EN"
            template_id = "5"
            body = "{name} {dose} {due_date} {link}"
            [[template]]
            kind = "certificate_ready"
            language = "en"
            template_id = "6"
            body = "{name}{name}{name}{name}{name}{link}"
        "#;
        let problems = TemplateSet::parse(text).unwrap_err().problems();
        let has = |needle: &str| {
            assert!(
                problems.iter().any(|p| p.contains(needle)),
                "no problem mentions {needle:?}:\n{}",
                problems.join("\n")
            );
        };
        has("sender \"TIKA GOV\" must be");
        has("template 1 (otpp/en): unknown kind \"otpp\"");
        has("template 2 (otp/en): empty `template_id`");
        has(
            "template 2 (otp/en): unknown variable {nope} (a otp template may use {otp}, {minutes})",
        );
        has(
            "template 3 (booking_confirmed/en): unbalanced braces: `{` at character 27 is never closed",
        );
        has("template 3 (booking_confirmed/en): missing required variable {code}");
        has("template 3 (booking_confirmed/en): missing required variable {slot}");
        has("template 4 (reply/en): unbalanced braces: `}` at character 8");
        has("template 5 (reply/en): template_id 3 is also used by template 4");
        has("template 5 (reply/en): duplicate: template 4 is already reply in en");
        has("template 6 (otp/hi): max_parts 2: an OTP must fit one part");
        has("template 7 (dose_due/EN): language \"EN\" must be");
        has(
            "template 8 (certificate_ready/en): too long: with every variable at its maximum length it is 240 UCS-2 units in 4 parts, over its limit of 3",
        );
        has("language en has no registration template");
        has("language hi has no reply template");
        assert!(!problems.iter().any(|p| p.contains("en has no otp")));
        // A kind with a broken template is not also reported missing.
        assert!(!problems.iter().any(|p| p.contains("en has no booking_confirmed")));
        assert_eq!(problems.iter().filter(|p| p.starts_with("template 3")).count(), 3);
        let shown = TemplateError::Invalid(problems.clone()).to_string();
        assert!(shown.starts_with(&format!("sms templates have {} problem(s):", problems.len())));
    }

    #[test]
    fn syntax_and_shape_errors() {
        assert!(matches!(TemplateSet::parse("sender = "), Err(TemplateError::Syntax(_))));
        assert!(matches!(
            TemplateSet::parse("sender = \"A\"\n[[template]]\nkind = \"otp\"\ncolour = 1\n"),
            Err(TemplateError::Syntax(_))
        ));
        let problems = TemplateSet::parse("").unwrap_err().problems();
        assert_eq!(problems.len(), 1 + MessageKind::ALL.len(), "{problems:?}");
        assert_eq!(problems[0], "missing `sender` (the registered sender id)");
    }

    #[test]
    fn braces_escape_and_bad_placeholders() {
        assert_eq!(
            tokenize("a {{b}} {c}"),
            (vec![Token::Text("a {b} ".into()), Token::Var("c".into())], vec![])
        );
        let (tokens, errs) = tokenize("{A} {} { x} {ok} {open");
        assert!(tokens.contains(&Token::Var("ok".into())));
        assert_eq!(errs.len(), 4, "{errs:?}");
        assert!(errs[0].contains("bad placeholder `{A}` at character 1"));
        assert!(errs[3].contains("`{` at character 18 is never closed"));
        let (_, errs) = tokenize("{a{b}");
        assert_eq!(errs.len(), 1, "{errs:?}");
    }

    #[test]
    fn render_errors() {
        let set = TemplateSet::parse(&complete_set(&["en"])).unwrap();
        assert_eq!(
            set.render(MessageKind::Otp, "en", &[]),
            Err(RenderError::MissingVariable {
                kind: MessageKind::Otp,
                language: "en".into(),
                name: "otp".into()
            })
        );
        assert_eq!(
            set.render(MessageKind::Otp, "en", &[("otp", "1"), ("name", "A")]),
            Err(RenderError::UnknownVariable { kind: MessageKind::Otp, name: "name".into() })
        );
        let err = set.render(MessageKind::Otp, "en", &[("otp", "1"), ("otp", "2")]).unwrap_err();
        assert_eq!(err.to_string(), "otp: variable {otp} given twice");
        // An optional variable the template does not use is fine.
        assert!(set.render(MessageKind::Otp, "en", &[("otp", "1"), ("minutes", "3")]).is_ok());
    }

    #[test]
    fn values_are_cleaned_and_truncated() {
        assert_eq!(fit_value("Ravi\nKumar\t", 40), "Ravi Kumar ");
        assert_eq!(fit_value("abcdefgh", 8), "abcdefgh");
        assert_eq!(fit_value("abcdefghi", 8), "abcde...");
        assert_eq!(fit_value("abcd efghi", 8), "abcd...");
        assert_eq!(fit_value("अनिलकुमार", 5), "अनिल…");
        assert_eq!(fit_value("😀😀😀", 4), "😀…");
        assert_eq!(fit_value("12345", 2), "12");
        assert_eq!(fit_value("", 2), "");

        let set = TemplateSet::parse(&complete_set(&["en"])).unwrap();
        let center = "Primary Health Centre Kothapalli Mandal Parishad Office Building No 2";
        let r = set
            .render(
                MessageKind::SessionCancelled,
                "en",
                &[("center", center), ("date", "01-06-2021"), ("link", "https://t.in/b")],
            )
            .unwrap();
        let cut = "Primary Health Centre Kothapalli Mandal Parishad Office B...";
        assert_eq!(cut.len(), 60);
        assert_eq!(r.text, format!("en: {cut} 01-06-2021 https://t.in/b"));
        assert_eq!(r.size.encoding, sms::Encoding::Gsm7);
    }

    #[test]
    fn variable_tables_are_sane() {
        for kind in MessageKind::ALL {
            let vars = variables(kind);
            assert!(vars.iter().any(|v| v.required), "{kind}");
            for (i, v) in vars.iter().enumerate() {
                assert!(v.max_len > 0);
                assert!(vars[..i].iter().all(|w| w.name != v.name), "{kind} {}", v.name);
            }
        }
        assert_eq!(variable(MessageKind::Otp, "otp").unwrap().max_len, 6);
        assert!(variable(MessageKind::Reply, "text").unwrap().free_text);
        assert_eq!(variable(MessageKind::Otp, "name"), None);
    }
}
