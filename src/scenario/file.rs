//! The scenario file: TOML a person reads and edits. Every problem of a
//! file is reported at once, each as `file:line:col: message`.

use serde::Deserialize;
use toml::Spanned;

use crate::problem::{Problem, Source};

use super::{Action, Scenario, Step};

/// The file as written (every key checked: an unknown one is an error).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDoc {
    name: Spanned<String>,
    profile: Spanned<String>,
    line: Option<Spanned<String>>,
    lang: Option<Spanned<String>>,
    fixtures: Option<Spanned<String>>,
    clock: Option<Spanned<String>>,
    #[serde(default)]
    step: Vec<Spanned<toml::Value>>,
}

/// One `[[step]]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StepDoc {
    follow: Option<String>,
    key: Option<toml::Value>,
    open: Option<String>,
    advance: Option<i64>,
    submit: Option<toml::Table>,
    button: Option<String>,
    #[serde(default)]
    expect: Vec<String>,
    status: Option<i64>,
}

/// Parses a scenario; `known_profile` says whether a profile name is in the
/// handset catalogue.
pub fn parse(
    name: &str,
    text: &str,
    known_profile: &dyn Fn(&str) -> bool,
) -> Result<Scenario, Vec<Problem>> {
    let source = Source {
        name: name.to_string(),
        text: text.to_string(),
    };
    let doc: FileDoc = toml::from_str(text).map_err(|e| {
        let at = e.span().map_or(0, |s| s.start);
        vec![source.problem(at, e.message().trim().to_string())]
    })?;
    let mut problems = Vec::new();
    let profile = doc.profile.get_ref().clone();
    if !known_profile(&profile) {
        problems.push(source.problem(
            doc.profile.span().start,
            format!("`profile`: no handset `{profile}` in the catalogue (GET /api/handsets lists them; `PC` for a PC)"),
        ));
    }
    let line = match &doc.line {
        None => None,
        Some(l) => match crate::domain::Msisdn::parse(l.get_ref()) {
            Some(m) => Some(m.as_str().to_string()),
            None => {
                problems.push(source.problem(
                    l.span().start,
                    format!(
                        "`line`: `{}` is not a phone number (11 digits)",
                        l.get_ref()
                    ),
                ));
                None
            }
        },
    };
    let lang = match doc.lang.as_ref().map(|l| (l.get_ref().as_str(), l.span())) {
        None | Some(("ja", _)) => "ja",
        Some(("en", _)) => "en",
        Some((other, span)) => {
            problems
                .push(source.problem(span.start, format!("`lang` is `ja` or `en`, not `{other}`")));
            "ja"
        }
    };
    let fixtures = match doc
        .fixtures
        .as_ref()
        .map(|f| (f.get_ref().as_str(), f.span()))
    {
        None | Some(("demo", _)) => "demo",
        Some(("empty", _)) => "empty",
        Some((other, span)) => {
            problems.push(source.problem(
                span.start,
                format!("`fixtures` is `demo` or `empty`, not `{other}`"),
            ));
            "demo"
        }
    };
    let clock = match &doc.clock {
        None => None,
        Some(c) => match crate::clock::Clock::starting_at(c.get_ref()) {
            Ok(_) => Some(c.get_ref().clone()),
            Err(why) => {
                problems.push(source.problem(c.span().start, why));
                None
            }
        },
    };
    if doc.step.is_empty() {
        problems.push(source.problem(text.len(), "a scenario needs at least one [[step]]"));
    }
    let mut steps = Vec::new();
    let headers = step_headers(text);
    for (i, spanned) in doc.step.iter().enumerate() {
        let at = match headers.get(i) {
            Some(&at) if headers.len() == doc.step.len() => at,
            _ => step_start(text, spanned.span().start),
        };
        match step(&source, at, i + 1, spanned.get_ref()) {
            Ok(s) => steps.push(s),
            Err(mut p) => problems.append(&mut p),
        }
    }
    if problems.is_empty() {
        Ok(Scenario {
            file: name.to_string(),
            name: doc.name.into_inner(),
            profile,
            line,
            lang: lang.to_string(),
            fixtures: fixtures.to_string(),
            clock,
            steps,
        })
    } else {
        Err(problems)
    }
}

/// Where each `[[step]]` header line starts.
fn step_headers(text: &str) -> Vec<usize> {
    let mut at = 0;
    let mut found = Vec::new();
    for line in text.split_inclusive('\n') {
        if line.trim() == "[[step]]" {
            found.push(at);
        }
        at += line.len();
    }
    found
}

/// Where a step's `[[step]]` header is (the table's span starts at its first key).
fn step_start(text: &str, span_start: usize) -> usize {
    text[..span_start.min(text.len())]
        .rfind("[[step]]")
        .unwrap_or(span_start)
}

/// Checks one step: one action, and what it expects.
fn step(source: &Source, at: usize, n: usize, value: &toml::Value) -> Result<Step, Vec<Problem>> {
    let here = |message: String| source.problem(at, format!("step {n}: {message}"));
    let doc = StepDoc::deserialize(value.clone())
        .map_err(|e| vec![here(e.message().trim().to_string())])?;
    let mut problems = Vec::new();
    let mut actions = Vec::new();
    if let Some(text) = doc.follow {
        if text.trim().is_empty() {
            problems.push(here("`follow` needs the text of a link".into()));
        }
        actions.push(Action::Follow(text));
    }
    if let Some(key) = doc.key {
        let key = match key {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            other => other.to_string(),
        };
        if key.chars().count() == 1
            && key
                .chars()
                .all(|c| c.is_ascii_digit() || c == '*' || c == '#')
        {
            actions.push(Action::Key(key));
        } else {
            problems.push(here(format!("`key` is one of 0–9, * or #, not `{key}`")));
            actions.push(Action::Key(key));
        }
    }
    if let Some(path) = doc.open {
        if !path.starts_with('/') || path.starts_with("//") {
            problems.push(here(format!(
                "`open` is a path inside the world starting with /, not `{path}`"
            )));
        }
        actions.push(Action::Open(path));
    }
    if let Some(secs) = doc.advance {
        if !(1..=crate::clock::MAX_STEP).contains(&secs) {
            problems.push(here(format!(
                "`advance` is 1 to {} seconds, not {secs}",
                crate::clock::MAX_STEP
            )));
        }
        actions.push(Action::Advance(secs));
    }
    if let Some(table) = doc.submit {
        let mut fields = Vec::new();
        for (k, v) in table {
            match v {
                toml::Value::String(s) => fields.push((k, s)),
                toml::Value::Integer(i) => fields.push((k, i.to_string())),
                toml::Value::Boolean(b) => {
                    fields.push((k, if b { "on".into() } else { String::new() }))
                }
                other => problems.push(here(format!(
                    "`submit.{k}` must be text, not {}",
                    other.type_str()
                ))),
            }
        }
        actions.push(Action::Submit {
            fields,
            button: doc.button.clone(),
        });
    } else if doc.button.is_some() {
        problems.push(here("`button` goes with `submit`".into()));
    }
    match actions.len() {
        1 => {}
        0 => problems.push(here(
            "a step needs one action: `follow`, `key`, `open`, `submit` or `advance`".into(),
        )),
        _ => problems.push(here(
            "a step has one action: `follow`, `key`, `open`, `submit` or `advance` (make two steps)"
                .into(),
        )),
    }
    let status = match doc.status {
        None => None,
        Some(s) if (100..=599).contains(&s) => Some(s as u16),
        Some(s) => {
            problems.push(here(format!(
                "`status` is an HTTP status (100–599), not {s}"
            )));
            None
        }
    };
    if doc.expect.iter().any(|e| e.trim().is_empty()) {
        problems.push(here("`expect` texts cannot be empty".into()));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Step {
        line: source.problem(at, "").line,
        action: actions.remove(0),
        expect: doc.expect,
        status,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(p: &str) -> bool {
        ["P503i", "P501i", "PC"].contains(&p)
    }

    const GOOD: &str = r#"
name = "Change the i-mode password"
profile = "P503i"
line = "090-1234-0001"
lang = "en"

[[step]]
follow = "Customer support"
expect = ["Various settings"]

[[step]]
key = 5

[[step]]
submit = { pin = "0000", new_pin = "1234" }
button = "Change"
expect = ["changed"]
status = 200

[[step]]
open = "/mydocomo"
"#;

    #[test]
    fn a_good_file_reads_whole() {
        let s = parse("good.toml", GOOD, &known).unwrap();
        assert_eq!(s.line.as_deref(), Some("09012340001"));
        assert_eq!((s.lang.as_str(), s.fixtures.as_str()), ("en", "demo"));
        assert_eq!(s.steps.len(), 4);
        assert_eq!(s.steps[0].action, Action::Follow("Customer support".into()));
        assert_eq!(s.steps[1].action, Action::Key("5".into()));
        assert_eq!(s.steps[2].status, Some(200));
        assert_eq!(s.steps[2].line, 14);
        match &s.steps[2].action {
            Action::Submit { fields, button } => {
                assert_eq!(fields.len(), 2);
                assert_eq!(button.as_deref(), Some("Change"));
            }
            other => panic!("{other:?}"),
        }
    }

    fn problems(text: &str) -> Vec<String> {
        parse("f.toml", text, &known)
            .expect_err("refused")
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn a_syntax_error_points_at_its_place() {
        let p = problems("name = \"x\"\nprofile = \"P503i\"\n[[step]\n");
        assert_eq!(p.len(), 1);
        assert!(p[0].starts_with("f.toml:3:"), "{p:?}");
    }

    #[test]
    fn an_unknown_or_missing_top_level_field_is_named() {
        let p = problems("name = \"x\"\nprofile = \"P503i\"\ncolour = 1\n[[step]]\nopen = \"/\"\n");
        assert!(p[0].contains("colour"), "{p:?}");
        let p = problems("profile = \"P503i\"\n[[step]]\nopen = \"/\"\n");
        assert!(p[0].contains("name"), "{p:?}");
    }

    #[test]
    fn every_problem_is_reported_at_once_with_its_line() {
        let text = r#"name = "x"
profile = "N9999"
line = "123"
lang = "fr"
fixtures = "full"

[[step]]
follow = "a"
open = "/b"

[[step]]
expect = ["x"]

[[step]]
key = "55"
status = 700

[[step]]
submit = { pin = ["1"] }

[[step]]
open = "mydocomo"
button = "Go"

[[step]]
follow = "x"
colour = "red"
"#;
        let p = problems(text);
        let has = |at: &str, what: &str| p.iter().any(|l| l.starts_with(at) && l.contains(what));
        assert!(has("f.toml:2:", "N9999"), "{p:#?}");
        assert!(has("f.toml:3:", "phone number"), "{p:#?}");
        assert!(has("f.toml:4:", "`lang`"), "{p:#?}");
        assert!(has("f.toml:5:", "`fixtures`"), "{p:#?}");
        assert!(has("f.toml:7:", "step 1: a step has one action"), "{p:#?}");
        assert!(
            has("f.toml:11:", "step 2: a step needs one action"),
            "{p:#?}"
        );
        assert!(has("f.toml:14:", "step 3: `key`"), "{p:#?}");
        assert!(has("f.toml:14:", "`status`"), "{p:#?}");
        assert!(has("f.toml:18:", "`submit.pin` must be text"), "{p:#?}");
        assert!(has("f.toml:21:", "`open` is a path"), "{p:#?}");
        assert!(has("f.toml:21:", "`button` goes with `submit`"), "{p:#?}");
        assert!(has("f.toml:25:", "colour"), "{p:#?}");
    }

    #[test]
    fn a_file_without_steps_is_refused() {
        let p = problems("name = \"x\"\nprofile = \"PC\"\n");
        assert!(p[0].contains("at least one [[step]]"), "{p:?}");
    }
}
