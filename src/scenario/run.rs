//! `garake replay`: every scenario against a running server, each in a
//! fresh world of its own (deleted afterwards), several at once. Links and
//! forms are found by what a person sees (`browse`), never by session URLs;
//! each handset page is also checked as `walk` checks it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::browse::{self, Fetched, Form, Reading};
use crate::handset::{Catalogue, Charset, Profile};

use super::{Action, Outcome, Scenario, Step, StepOutcome};

/// How to replay.
pub struct Options {
    /// The running garake, e.g. `http://127.0.0.1:8080`.
    pub base: String,
    pub admin_token: String,
    pub jobs: usize,
    /// Where failing pages are written.
    pub pages: PathBuf,
}

/// A problem that stops the whole replay (exit 2): the server cannot be
/// reached, or the token is refused.
#[derive(Debug)]
pub struct Stop(pub String);

/// The `*.toml` files under each path, in name order.
pub fn files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Stop> {
    let mut found = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut stack = vec![path.clone()];
            while let Some(dir) = stack.pop() {
                let entries = std::fs::read_dir(&dir)
                    .map_err(|e| Stop(format!("cannot read {}: {e}", dir.display())))?;
                for entry in entries.flatten() {
                    let p = entry.path();
                    if p.is_dir() {
                        stack.push(p);
                    } else if p.extension().is_some_and(|e| e == "toml") {
                        found.push(p);
                    }
                }
            }
        } else if path.exists() {
            found.push(path.clone());
        } else {
            return Err(Stop(format!("{}: no such file or folder", path.display())));
        }
    }
    found.sort();
    found.dedup();
    Ok(found)
}

/// Checks that the server answers and takes the token, before any scenario.
pub fn check_server(opts: &Options) -> Result<(), Stop> {
    let (host, prefix) = split_base(&opts.base)?;
    let answer = browse::send(
        &host,
        &browse::Request {
            method: "GET",
            path: &format!("{prefix}/api/worlds"),
            headers: &[("Authorization", format!("Bearer {}", opts.admin_token))],
            body: &[],
        },
    )
    .map_err(|e| Stop(format!("cannot reach {}: {e}", opts.base)))?;
    match answer.status {
        200 => Ok(()),
        401 => Err(Stop(format!(
            "{} refused the admin token (give the server's with --admin-token or GARAKE_ADMIN_TOKEN)",
            opts.base
        ))),
        429 => Err(Stop(format!(
            "{} refuses this address for a while: too many wrong admin tokens",
            opts.base
        ))),
        404 => Err(Stop(format!(
            "{} makes no worlds here: give the server's own address, not a world's",
            opts.base
        ))),
        other => Err(Stop(format!("{} answered {other} to GET /api/worlds", opts.base))),
    }
}

fn split_base(base: &str) -> Result<(String, String), Stop> {
    let rest = base
        .strip_prefix("http://")
        .ok_or_else(|| Stop(format!("--base must be an http:// URL, got `{base}`")))?
        .trim_end_matches('/');
    Ok(match rest.find('/') {
        Some(i) => (rest[..i].to_string(), rest[i..].to_string()),
        None => (rest.to_string(), String::new()),
    })
}

/// Replays every scenario, `opts.jobs` at once, printing each scenario's
/// steps when it is done (with a progress count), then the tally.
pub fn replay(
    scenarios: Vec<Scenario>,
    catalogue: &Catalogue,
    opts: &Options,
    out: &mut (dyn Write + Send),
) -> Result<Vec<Outcome>, Stop> {
    let (host, prefix) = split_base(&opts.base)?;
    let total = scenarios.len();
    let queue = Arc::new(Mutex::new(
        scenarios.into_iter().enumerate().collect::<Vec<_>>(),
    ));
    let results: Arc<Mutex<Vec<(usize, Outcome)>>> = Arc::default();
    let out = Mutex::new(out);
    let done = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..opts.jobs.max(1) {
            scope.spawn(|| loop {
                let next = queue.lock().unwrap_or_else(|p| p.into_inner()).pop();
                let Some((i, scenario)) = next else { break };
                let outcome = run_one(&scenario, catalogue, &host, &prefix, opts);
                let n = done.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                {
                    let mut out = out.lock().unwrap_or_else(|p| p.into_inner());
                    print_outcome(&mut **out, &outcome, n, total);
                }
                results
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push((i, outcome));
            });
        }
    });
    let mut results = std::mem::take(&mut *results.lock().unwrap_or_else(|p| p.into_inner()));
    results.sort_by_key(|(i, _)| *i);
    Ok(results.into_iter().map(|(_, o)| o).collect())
}

fn print_outcome(out: &mut dyn Write, o: &Outcome, n: usize, total: usize) {
    let mark = if o.passed() { "✓" } else { "✗" };
    let _ = writeln!(
        out,
        "[{n}/{total}] {mark} {} — {} ({} ms)",
        o.file, o.name, o.ms
    );
    if let Some(e) = &o.error {
        let _ = writeln!(out, "    ✗ {e}");
    }
    for s in &o.steps {
        let mark = if s.failure.is_none() { "✓" } else { "✗" };
        let _ = writeln!(out, "    {mark} {:>2} {}  {} ms", s.n, s.what, s.ms);
        if let Some(f) = &s.failure {
            for line in f.lines() {
                let _ = writeln!(out, "         {line}");
            }
        }
    }
}

/// The tally line.
pub fn tally(outcomes: &[Outcome]) -> String {
    let failed = outcomes.iter().filter(|o| !o.passed()).count();
    format!("{} passed, {failed} failed", outcomes.len() - failed)
}

/// A handset (or PC browser) in one world: its cookies and the page it is on.
struct Browser<'a> {
    host: &'a str,
    /// The admin token the world was made with (for the clock).
    token: &'a str,
    /// The world's prefix, `/w/{id}` (with the base's own path before it).
    world: String,
    profile: Arc<Profile>,
    cookies: Vec<(String, String)>,
    page: Option<Page>,
}

/// The page the browser is on.
struct Page {
    path: String,
    status: u16,
    body: Vec<u8>,
    html: String,
    reading: Reading,
    too_large: bool,
}

impl Browser<'_> {
    /// Requests `path` (inside the world already) and follows redirects as a
    /// browser does (a 303's next request is a GET).
    fn go(
        &mut self,
        method: &str,
        path: &str,
        body: Option<(String, Vec<u8>)>,
    ) -> Result<(), String> {
        let mut method = method.to_string();
        let mut path = path.to_string();
        let mut body = body;
        for _ in 0..6 {
            let mut headers = vec![("User-Agent", self.profile.user_agent.clone())];
            if !self.cookies.is_empty() {
                let jar: Vec<String> = self
                    .cookies
                    .iter()
                    .map(|(n, v)| format!("{n}={v}"))
                    .collect();
                headers.push(("Cookie", jar.join("; ")));
            }
            if let Some((content_type, _)) = &body {
                headers.push(("Content-Type", content_type.clone()));
            }
            let answer = browse::send(
                self.host,
                &browse::Request {
                    method: &method,
                    path: &path,
                    headers: &headers,
                    body: body.as_ref().map_or(&[][..], |(_, b)| b),
                },
            )?;
            self.keep_cookies(&answer);
            if matches!(answer.status, 301 | 302 | 303 | 307 | 308) {
                if let Some(location) = answer.header("location") {
                    path = browse::path_of(location);
                    if answer.status != 307 && answer.status != 308 {
                        method = "GET".into();
                        body = None;
                    }
                    continue;
                }
            }
            self.page = Some(self.read(path, answer));
            return Ok(());
        }
        Err(format!("more than 5 redirects from {path}"))
    }

    fn keep_cookies(&mut self, answer: &Fetched) {
        for set in answer.headers_named("set-cookie") {
            let pair = set.split(';').next().unwrap_or("");
            let Some((name, value)) = pair.split_once('=') else {
                continue;
            };
            let (name, value) = (name.trim().to_string(), value.trim().to_string());
            self.cookies.retain(|(n, _)| *n != name);
            let expired = set.to_ascii_lowercase().contains("max-age=0");
            if !expired && !value.is_empty() {
                self.cookies.push((name, value));
            }
        }
    }

    fn read(&self, path: String, answer: Fetched) -> Page {
        let charset = if answer
            .header("content-type")
            .is_some_and(|t| t.to_ascii_lowercase().contains("shift_jis"))
        {
            Charset::ShiftJis
        } else {
            Charset::Utf8
        };
        let html = match charset {
            Charset::ShiftJis => encoding_rs::SHIFT_JIS.decode(&answer.body).0.into_owned(),
            Charset::Utf8 => String::from_utf8_lossy(&answer.body).into_owned(),
        };
        let reading = browse::read(&html);
        Page {
            path,
            status: answer.status,
            too_large: answer.header(crate::gateway::TOO_LARGE_HEADER).is_some(),
            body: answer.body,
            html,
            reading,
        }
    }

    fn charset(&self) -> Charset {
        self.profile.charset
    }

    /// Does what a step says, from the page the browser is on.
    fn act(&mut self, action: &Action) -> Result<(), String> {
        let page = self.page.as_ref().ok_or("no page is open")?;
        match action {
            Action::Open(path) => {
                let to = format!("{}{path}", self.world);
                self.go("GET", &to, None)
            }
            Action::Advance(secs) => {
                let answer = browse::send(
                    self.host,
                    &browse::Request {
                        method: "POST",
                        path: &format!("{}/api/clock/advance", self.world),
                        headers: &[
                            ("Authorization", format!("Bearer {}", self.token)),
                            ("Content-Type", "application/json".to_string()),
                        ],
                        body: format!("{{\"seconds\":{secs}}}").as_bytes(),
                    },
                )?;
                if answer.status != 200 {
                    return Err(format!(
                        "the clock did not move: {} {}",
                        answer.status,
                        String::from_utf8_lossy(&answer.body).trim()
                    ));
                }
                let again = page.path.clone();
                self.go("GET", &again, None)
            }
            Action::Follow(text) => {
                let link = page
                    .reading
                    .links
                    .iter()
                    .find(|l| l.text.contains(text.as_str()))
                    .ok_or_else(|| {
                        let there: Vec<String> = page
                            .reading
                            .links
                            .iter()
                            .map(|l| format!("{:?}", l.text))
                            .collect();
                        format!(
                            "no link whose text contains {text:?}; the links there: {}",
                            list(&there)
                        )
                    })?;
                let href = link.href.clone();
                self.go("GET", &href, None)
            }
            Action::Key(key) => {
                let link = page
                    .reading
                    .links
                    .iter()
                    .find(|l| l.accesskey.as_deref() == Some(key))
                    .ok_or_else(|| {
                        let there: Vec<String> = page
                            .reading
                            .links
                            .iter()
                            .filter_map(|l| {
                                l.accesskey.as_ref().map(|k| format!("{k} {:?}", l.text))
                            })
                            .collect();
                        format!(
                            "no link with access key {key}; the keys there: {}",
                            list(&there)
                        )
                    })?;
                let href = link.href.clone();
                self.go("GET", &href, None)
            }
            Action::Submit { fields, button } => {
                let (form, body) = fill(
                    &page.reading.forms,
                    fields,
                    button.as_deref(),
                    self.charset(),
                )?;
                let action = if form.action.is_empty() {
                    page.path.clone()
                } else {
                    form.action.clone()
                };
                if form.method == "post" {
                    let body = (
                        "application/x-www-form-urlencoded".to_string(),
                        body.into_bytes(),
                    );
                    self.go("POST", &action, Some(body))
                } else {
                    let sep = if action.contains('?') { '&' } else { '?' };
                    self.go("GET", &format!("{action}{sep}{body}"), None)
                }
            }
        }
    }
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items.join(", ")
    }
}

/// Picks the form that has every given field and fills it in; its other
/// fields keep the page's values. The body, encoded in the page's charset.
fn fill<'f>(
    forms: &'f [Form],
    fields: &[(String, String)],
    button: Option<&str>,
    charset: Charset,
) -> Result<(&'f Form, String), String> {
    if forms.is_empty() {
        return Err("there is no form on the page".into());
    }
    let form = forms
        .iter()
        .find(|f| fields.iter().all(|(n, _)| f.has_field(n)))
        .ok_or_else(|| {
            let best = forms
                .iter()
                .max_by_key(|f| fields.iter().filter(|(n, _)| f.has_field(n)).count())
                .expect("there is a form");
            let missing: Vec<&str> = fields
                .iter()
                .filter(|(n, _)| !best.has_field(n))
                .map(|(n, _)| n.as_str())
                .collect();
            format!(
                "the form has no field {} (its fields: {})",
                missing
                    .iter()
                    .map(|m| format!("`{m}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                best.field_names().join(", ")
            )
        })?;
    let mut pairs: Vec<(String, String)> = Vec::new();
    let given = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    for f in &form.fields {
        if pairs.iter().any(|(n, _)| *n == f.name) && matches!(f.kind.as_str(), "radio") {
            continue;
        }
        match given(&f.name) {
            Some(value) if f.kind == "radio" || f.kind == "checkbox" => {
                if f.kind == "checkbox" && value.is_empty() {
                    continue;
                }
                if f.kind == "radio"
                    && value != f.value
                    && form
                        .fields
                        .iter()
                        .any(|o| o.name == f.name && o.value == value)
                {
                    continue;
                }
                pairs.push((f.name.clone(), value));
            }
            Some(value) => pairs.push((f.name.clone(), value)),
            None if f.unchecked => {}
            None => pairs.push((f.name.clone(), f.value.clone())),
        }
    }
    let pressed = match button {
        None => form.buttons.first(),
        Some(label) => Some(
            form.buttons
                .iter()
                .find(|b| b.label.contains(label) || b.value.contains(label))
                .ok_or_else(|| {
                    let there: Vec<String> = form
                        .buttons
                        .iter()
                        .map(|b| format!("{:?}", b.label))
                        .collect();
                    format!(
                        "the form has no button {label:?}; its buttons: {}",
                        list(&there)
                    )
                })?,
        ),
    };
    if let Some(name) = pressed.and_then(|b| b.name.as_ref()) {
        pairs.push((
            name.clone(),
            pressed.map(|b| b.value.clone()).unwrap_or_default(),
        ));
    }
    let body = pairs
        .iter()
        .map(|(n, v)| {
            format!(
                "{}={}",
                browse::form_encode(n, charset),
                browse::form_encode(v, charset)
            )
        })
        .collect::<Vec<_>>()
        .join("&");
    Ok((form, body))
}

/// What `walk` would say about a handset page: over its budget, tags its
/// HTML version lacks, no way back.
fn page_problems(profile: &Profile, page: &Page, world: &str, before: Option<&str>) -> Vec<String> {
    let mut problems = Vec::new();
    let inner = page.path.strip_prefix(world).unwrap_or(&page.path);
    let garake_page = inner.starts_with("/s/") && !crate::gateway::is_gateway_path(inner);
    if !profile.is_handset() || !garake_page || page.too_large {
        return problems;
    }
    if page.body.len() > profile.page_target() {
        problems.push(format!(
            "over budget: {} > {} bytes",
            page.body.len(),
            profile.page_target()
        ));
    }
    if let Some(version) = profile.html {
        for unknown in crate::handset::html::unknown_in(&page.html, version) {
            problems.push(format!("{unknown} (not in i-mode HTML {version})"));
        }
    }
    let way_back = page.reading.links.iter().any(|l| {
        let h = l.href.strip_prefix(world).unwrap_or(&l.href);
        h.contains("/m/") || h == "/" || h.starts_with("/?") || Some(l.href.as_str()) == before
    });
    let is_menu = inner.contains("/m/");
    if !way_back && !is_menu {
        problems.push("no way back: no link to iMenu, the power-on page or the page before".into());
    }
    problems
}

/// The first 300 characters of a page's visible text, on one line.
fn shown(page: &Page) -> String {
    let text = page.reading.text.replace('\n', " / ");
    let cut: String = text.chars().take(300).collect();
    if cut.len() < text.len() {
        format!("{cut}…")
    } else {
        cut
    }
}

/// Runs one scenario in a fresh world of its own, deleted afterwards.
fn run_one(
    scenario: &Scenario,
    catalogue: &Catalogue,
    host: &str,
    prefix: &str,
    opts: &Options,
) -> Outcome {
    let started = Instant::now();
    let mut outcome = Outcome {
        file: scenario.file.clone(),
        name: scenario.name.clone(),
        ms: 0,
        steps: Vec::new(),
        error: None,
    };
    let auth = [("Authorization", format!("Bearer {}", opts.admin_token))];
    let made = browse::send(
        host,
        &browse::Request {
            method: "POST",
            path: &format!("{prefix}/api/worlds"),
            headers: &[
                auth[0].clone(),
                ("Content-Type", "application/json".to_string()),
            ],
            body: serde_json::json!({
                "fixtures": scenario.fixtures,
                "ttl_minutes": 10,
                "clock": scenario.clock,
            })
            .to_string()
            .as_bytes(),
        },
    );
    let id = match made {
        Ok(answer) if answer.status == 201 => {
            serde_json::from_slice::<serde_json::Value>(&answer.body)
                .ok()
                .and_then(|v| v["id"].as_str().map(str::to_string))
        }
        Ok(answer) => {
            outcome.error = Some(format!(
                "could not make a world: {} {}",
                answer.status,
                String::from_utf8_lossy(&answer.body).trim()
            ));
            None
        }
        Err(e) => {
            outcome.error = Some(format!("could not make a world: {e}"));
            None
        }
    };
    if let Some(id) = id {
        let profile = catalogue
            .by_name(&scenario.profile)
            .expect("the profile was checked when the file was read");
        let mut browser = Browser {
            host,
            token: &opts.admin_token,
            world: format!("{prefix}/w/{id}"),
            profile,
            cookies: Vec::new(),
            page: None,
        };
        walk_steps(scenario, &mut browser, opts, &mut outcome);
        let _ = browse::send(
            host,
            &browse::Request {
                method: "DELETE",
                path: &format!("{prefix}/api/worlds/{id}"),
                headers: &auth,
                body: &[],
            },
        );
    }
    outcome.ms = started.elapsed().as_millis();
    outcome
}

fn walk_steps(
    scenario: &Scenario,
    browser: &mut Browser<'_>,
    opts: &Options,
    outcome: &mut Outcome,
) {
    // Step 0: power on (or open the power-on page), as the emulator does.
    let start = match &scenario.line {
        Some(line) => format!("{}/on/{line}?lang={}", browser.world, scenario.lang),
        None => format!("{}/?lang={}", browser.world, scenario.lang),
    };
    let what = match &scenario.line {
        Some(line) => format!("power on {line} ({}, {})", scenario.profile, scenario.lang),
        None => format!(
            "open the power-on page ({}, {})",
            scenario.profile, scenario.lang
        ),
    };
    let t = Instant::now();
    let first = browser.go("GET", &start, None);
    let failure = match first {
        Err(e) => Some(e),
        Ok(()) => browser
            .page
            .as_ref()
            .filter(|p| p.status >= 400)
            .map(|p| format!("the server answered {}: {}", p.status, shown(p))),
    };
    let stop = failure.is_some();
    outcome.steps.push(StepOutcome {
        n: 0,
        what,
        ms: t.elapsed().as_millis(),
        failure,
    });
    if stop {
        return;
    }
    for (i, step) in scenario.steps.iter().enumerate() {
        let n = i + 1;
        let t = Instant::now();
        let before = browser.page.as_ref().map(|p| p.path.clone());
        let failure = match browser.act(&step.action) {
            Err(e) => Some(e),
            Ok(()) => check(step, browser, before.as_deref()),
        };
        let failure = failure.map(|f| {
            let saved = browser
                .page
                .as_ref()
                .and_then(|p| save_page(opts, scenario, n, p));
            match saved {
                Some(path) => format!("{f}\nthe page: {}", path.display()),
                None => f,
            }
        });
        let stop = failure.is_some();
        outcome.steps.push(StepOutcome {
            n,
            what: format!("{} (line {})", step.action, step.line),
            ms: t.elapsed().as_millis(),
            failure,
        });
        if stop {
            break;
        }
    }
}

/// Whether the landed page is what the step expects, and as `walk` wants it.
fn check(step: &Step, browser: &Browser<'_>, before: Option<&str>) -> Option<String> {
    let page = browser.page.as_ref()?;
    let mut wrong = Vec::new();
    match step.status {
        Some(want) if want != page.status => {
            wrong.push(format!("status {}, expected {want}", page.status))
        }
        None if page.status >= 500 => wrong.push(format!("status {}", page.status)),
        _ => {}
    }
    let visible = format!("{}\n{}", page.reading.title, page.reading.text);
    for text in &step.expect {
        if !visible.contains(text.as_str()) {
            wrong.push(format!("expected {text:?} in the page"));
        }
    }
    wrong.extend(page_problems(
        &browser.profile,
        page,
        &browser.world,
        before,
    ));
    if wrong.is_empty() {
        return None;
    }
    Some(format!(
        "{}\nstatus {} at {}\nthe page shows: {}",
        wrong.join("; "),
        page.status,
        page.path,
        shown(page)
    ))
}

/// Writes a failing page to the pages folder; the file it wrote.
fn save_page(opts: &Options, scenario: &Scenario, n: usize, page: &Page) -> Option<PathBuf> {
    std::fs::create_dir_all(&opts.pages).ok()?;
    let stem = Path::new(&scenario.file)
        .file_stem()
        .map_or("scenario".into(), |s| s.to_string_lossy().into_owned());
    let path = opts.pages.join(format!("{stem}-step{n}.html"));
    std::fs::write(&path, &page.body).ok()?;
    Some(path)
}

/// `garake replay` as a whole: read every file (all problems, exit 2),
/// check the server (exit 2), replay (exit 1 if any scenario fails), write
/// the JUnit file.
pub struct Command<'a> {
    pub paths: &'a [PathBuf],
    pub options: Options,
    pub junit: Option<&'a Path>,
    /// The handset catalogue's menu set (the server's, if it runs others).
    pub menus: &'a dyn crate::menu::MenuSource,
}

pub fn command(cmd: &Command<'_>, out: &mut (dyn Write + Send), err: &mut dyn Write) -> u8 {
    let catalogue = match Catalogue::load(cmd.menus) {
        Ok(c) => c,
        Err(problems) => {
            for p in problems {
                let _ = writeln!(err, "{p}");
            }
            return 2;
        }
    };
    let files = match files(cmd.paths) {
        Ok(f) if f.is_empty() => {
            let _ = writeln!(
                err,
                "garake replay: no *.toml scenario under the paths given"
            );
            return 2;
        }
        Ok(f) => f,
        Err(Stop(why)) => {
            let _ = writeln!(err, "garake replay: {why}");
            return 2;
        }
    };
    let mut scenarios = Vec::new();
    let mut bad = 0;
    for file in &files {
        let name = file.display().to_string();
        let parsed = std::fs::read_to_string(file)
            .map_err(|e| {
                vec![crate::problem::Problem {
                    file: name.clone(),
                    line: 1,
                    col: 1,
                    message: format!("cannot read: {e}"),
                }]
            })
            .and_then(|text| super::file::parse(&name, &text, &|p| catalogue.by_name(p).is_some()));
        match parsed {
            Ok(s) => scenarios.push(s),
            Err(problems) => {
                bad += 1;
                for p in problems {
                    let _ = writeln!(err, "{p}");
                }
            }
        }
    }
    if bad > 0 {
        let _ = writeln!(
            err,
            "garake replay: {bad} file(s) do not read; nothing was replayed"
        );
        return 2;
    }
    if let Err(Stop(why)) = check_server(&cmd.options) {
        let _ = writeln!(err, "garake replay: {why}");
        return 2;
    }
    let _ = writeln!(
        out,
        "replaying {} scenario(s), {} at once, each in a world of its own",
        scenarios.len(),
        cmd.options.jobs
    );
    let started = Instant::now();
    let outcomes = match replay(scenarios, &catalogue, &cmd.options, out) {
        Ok(o) => o,
        Err(Stop(why)) => {
            let _ = writeln!(err, "garake replay: {why}");
            return 2;
        }
    };
    let seconds = started.elapsed().as_secs_f64();
    let _ = writeln!(out, "{} in {seconds:.1} s", tally(&outcomes));
    if let Some(path) = cmd.junit {
        if let Err(e) = std::fs::write(path, super::junit::report(&outcomes, seconds)) {
            let _ = writeln!(err, "garake replay: cannot write {}: {e}", path.display());
            return 2;
        }
    }
    if outcomes.iter().all(Outcome::passed) {
        0
    } else {
        1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(path: &str, html: &str) -> Page {
        Page {
            path: path.to_string(),
            status: 200,
            body: html.as_bytes().to_vec(),
            html: html.to_string(),
            reading: browse::read(html),
            too_large: false,
        }
    }

    #[test]
    fn a_handset_page_is_checked_as_walk_checks_it() {
        let p501i = Profile::by_name("P501i").unwrap();
        let world = "/w/0123456789abcdef0123";
        // Too big for the P501i's 2 KB, no way back, and a tag HTML 1.0 lacks.
        let big = format!(
            "<html><body><table><tr><td>x</td></tr></table>{}</body></html>",
            "あ".repeat(1500)
        );
        let problems = page_problems(
            &p501i,
            &page(&format!("{world}/s/abc/a/x"), &big),
            world,
            None,
        );
        assert!(
            problems.iter().any(|p| p.starts_with("over budget")),
            "{problems:?}"
        );
        assert!(
            problems.iter().any(|p| p.contains("not in i-mode HTML")),
            "{problems:?}"
        );
        assert!(
            problems.iter().any(|p| p.starts_with("no way back")),
            "{problems:?}"
        );
        // A small page with a link to iMenu passes.
        let good =
            format!("<html><body>ok<a href=\"{world}/s/abc/m/imenu\">iMenu</a></body></html>");
        assert!(page_problems(
            &p501i,
            &page(&format!("{world}/s/abc/a/x"), &good),
            world,
            None
        )
        .is_empty());
        // A PC's pages and the PC sites are not handset pages.
        let pc = Profile::by_name("PC").unwrap();
        assert!(
            page_problems(&pc, &page(&format!("{world}/s/abc/a/x"), &big), world, None).is_empty()
        );
        assert!(page_problems(
            &p501i,
            &page(&format!("{world}/mydocomo"), &big),
            world,
            None
        )
        .is_empty());
    }
}
