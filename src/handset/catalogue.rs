//! The handset catalogue (`handsets.toml` of the menu set): every docomo model
//! garake knows, with the facts a page depends on. Loaded and validated like the
//! menus (every problem at once, as `file:line:col: message`); profiles, the
//! User-Agent parser, the emulator's picker and `GET /api/handsets` read it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::charset::Charset;
use super::html::HtmlVersion;
use super::pictograms::Pictograms;
use super::profile::{Bearer, Browser, Profile, PC_BUDGET};
use crate::menu::files::CATALOGUE_FILE;
use crate::menu::files::{builtin_text, MenuSource, BUILTIN_NAME};
use crate::menu::{Problem, Source};

/// The catalogue built into garake, used where no menu set is at hand (tests,
/// tools) or a folder has none.
fn builtin_source() -> (String, &'static str) {
    (
        format!("{BUILTIN_NAME} {CATALOGUE_FILE}"),
        builtin_text(CATALOGUE_FILE).expect("the built-in set has a handset catalogue"),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDef {
    #[serde(default, rename = "bearer")]
    bearers: Vec<BearerDef>,
    #[serde(default, rename = "handset")]
    handsets: Vec<EntryDef>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BearerDef {
    id: Spanned<String>,
    name: Spanned<String>,
    kbps: Spanned<f64>,
    yen_per_packet: Spanned<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryDef {
    model: Spanned<String>,
    user_agent: Spanned<String>,
    cache_kb: Spanned<u32>,
    width: Spanned<u16>,
    height: Spanned<u16>,
    html_version: Spanned<String>,
    browser: Spanned<String>,
    cookies: Spanned<bool>,
    utn: Spanned<bool>,
    pictograms: Spanned<String>,
    /// The `id` of a `[[bearer]]` (optional: without one the emulator's meter
    /// shows no fee or time for the model).
    bearer: Option<Spanned<String>>,
}

/// One model, as `GET /api/handsets` lists it (exactly these keys).
#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Handset {
    pub model: String,
    pub user_agent: String,
    pub cache_kb: u32,
    pub width: u16,
    pub height: u16,
    pub html_version: String,
    pub browser: String,
    pub cookies: bool,
    pub utn: bool,
    pub pictograms: String,
}

/// What a User-Agent says: the model token, and the cache and screen it names.
#[derive(Debug, PartialEq, Eq)]
pub struct UaParts {
    pub model: String,
    pub cache_kb: Option<u32>,
    pub screen: Option<(u16, u16)>,
    /// `DoCoMo/2.0` (FOMA); otherwise `DoCoMo/1.0` (mova).
    pub foma: bool,
}

/// `c100` → 100.
fn cache_token(part: &str) -> Option<u32> {
    let digits = part.strip_prefix('c')?;
    if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|kb| *kb > 0)
}

/// `W24H12` → (24, 12).
fn screen_token(part: &str) -> Option<(u16, u16)> {
    let rest = part.strip_prefix('W')?;
    let (w, h) = rest.split_once('H')?;
    let ok = |s: &str| !s.is_empty() && s.len() <= 3 && s.bytes().all(|b| b.is_ascii_digit());
    (ok(w) && ok(h))
        .then(|| (w.parse().ok(), h.parse().ok()))
        .and_then(|(w, h)| Some((w?, h?)))
}

/// Reads a DoCoMo User-Agent: `DoCoMo/1.0/MODEL[/cNN][/TB][/WnnHnn][/...]` or
/// `DoCoMo/2.0 MODEL[(cNN;TB;WnnHnn;...)]`. `None` for anything else.
pub fn parse_user_agent(ua: &str) -> Option<UaParts> {
    if let Some(rest) = ua.strip_prefix("DoCoMo/1.0/") {
        let mut parts = rest.split('/');
        let model = parts.next().unwrap_or("").to_string();
        let rest: Vec<&str> = parts.collect();
        Some(UaParts {
            model,
            cache_kb: rest.iter().find_map(|p| cache_token(p)),
            screen: rest.iter().find_map(|p| screen_token(p)),
            foma: false,
        })
    } else if let Some(rest) = ua.strip_prefix("DoCoMo/2.0 ") {
        let (model, params) = match rest.split_once('(') {
            Some((m, p)) => (m.trim(), p.trim_end_matches(')')),
            None => (rest.trim(), ""),
        };
        let params: Vec<&str> = params.split(';').map(str::trim).collect();
        Some(UaParts {
            model: model.to_string(),
            cache_kb: params.iter().find_map(|p| cache_token(p)),
            screen: params.iter().find_map(|p| screen_token(p)),
            foma: true,
        })
    } else {
        None
    }
}

/// The model as a catalogue key: no hyphen, any case (`P-07B`, `p07b`).
fn key(model: &str) -> String {
    model.replace('-', "").to_ascii_lowercase()
}

/// Unknown handsets' profiles kept for reuse (so sessions share them).
const UNKNOWN_KEPT: usize = 4096;

/// The loaded catalogue and the profiles made from it.
pub struct Catalogue {
    handsets: Vec<Handset>,
    /// By catalogue key (model without hyphen) and by User-Agent model token.
    profiles: HashMap<String, Arc<Profile>>,
    by_ua_model: HashMap<String, Arc<Profile>>,
    pc: Arc<Profile>,
    /// Profiles of User-Agents not in the catalogue as sent, by UA (bounded).
    seen: Mutex<HashMap<String, Arc<Profile>>>,
}

impl std::fmt::Debug for Catalogue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Catalogue({} handsets)", self.handsets.len())
    }
}

/// The PC profile's User-Agent when a picker asks for "PC".
pub const PC_USER_AGENT: &str =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)";
/// Budget when a DoCoMo User-Agent names no cache size (the 501i generation).
pub const DEFAULT_DOCOMO_KB: u32 = 5;

impl Catalogue {
    /// The catalogue shipped with garake.
    pub fn builtin() -> &'static Catalogue {
        static BUILT: std::sync::OnceLock<Catalogue> = std::sync::OnceLock::new();
        BUILT.get_or_init(|| {
            let (name, text) = builtin_source();
            Catalogue::from_source(&name, text).expect("the shipped catalogue is valid (tested)")
        })
    }

    /// The set's `handsets.toml`, or the built-in catalogue if it has none.
    pub fn load(source: &dyn MenuSource) -> Result<Catalogue, Vec<Problem>> {
        match source
            .files()?
            .into_iter()
            .find(|f| f.path == CATALOGUE_FILE)
        {
            Some(file) => Catalogue::from_source(&file.name, &file.text),
            None => {
                let (name, text) = builtin_source();
                Catalogue::from_source(&name, text)
            }
        }
    }

    /// Parses and validates a catalogue's text.
    pub fn from_source(name: &str, text: &str) -> Result<Catalogue, Vec<Problem>> {
        let src = Source {
            name: name.to_string(),
            text: text.to_string(),
        };
        let file: FileDef = toml::from_str(text).map_err(|e| {
            vec![src.problem(e.span().map_or(0, |s| s.start), e.message().to_string())]
        })?;
        let mut problems = Vec::new();
        let mut bearers: HashMap<String, Bearer> = HashMap::new();
        for def in &file.bearers {
            let id = def.id.get_ref().clone();
            let mut bad = |span: std::ops::Range<usize>, msg: String| {
                problems.push(src.problem(span.start, format!("bearer `{id}`: {msg}")))
            };
            let well_formed = !id.is_empty()
                && id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-.".contains(&b));
            if !well_formed {
                bad(
                    def.id.span(),
                    "an id is lower-case letters, digits, `-` and `.`".into(),
                );
            }
            if def.name.get_ref().trim().is_empty() {
                bad(def.name.span(), "the name is empty".into());
            }
            let kbps = *def.kbps.get_ref();
            if !(kbps.is_finite() && kbps > 0.0 && kbps <= 1_000_000.0) {
                bad(
                    def.kbps.span(),
                    format!("kbps {kbps} must be more than 0 and at most 1000000"),
                );
            }
            let fee = *def.yen_per_packet.get_ref();
            if !(fee.is_finite() && (0.0..=100.0).contains(&fee)) {
                bad(
                    def.yen_per_packet.span(),
                    format!("yen_per_packet {fee} must be from 0 to 100"),
                );
            }
            let bearer = Bearer {
                id: id.clone(),
                name: def.name.get_ref().trim().to_string(),
                kbps,
                yen_per_packet: fee,
            };
            if bearers.insert(id.clone(), bearer).is_some() {
                bad(def.id.span(), "a second bearer with this id".into());
            }
        }
        let mut bearer_of: HashMap<String, Bearer> = HashMap::new();
        let mut handsets = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        for def in &file.handsets {
            let at = |s: std::ops::Range<usize>| s.start;
            let model = def.model.get_ref().clone();
            let mut bad = |span: std::ops::Range<usize>, msg: String| {
                problems.push(src.problem(at(span), format!("handset `{model}`: {msg}")))
            };
            if seen.insert(key(&model), handsets.len()).is_some() {
                bad(def.model.span(), "a second entry for this model".into());
            }
            let html = HtmlVersion::parse(def.html_version.get_ref());
            if html.is_none() {
                bad(
                    def.html_version.span(),
                    format!(
                        "html_version `{}` is not one of {}",
                        def.html_version.get_ref(),
                        HtmlVersion::ALL
                            .iter()
                            .map(|v| v.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
            }
            let browser = def.browser.get_ref().as_str();
            if !matches!(browser, "1.0" | "2.0") {
                bad(
                    def.browser.span(),
                    format!("browser `{browser}` must be \"1.0\" or \"2.0\""),
                );
            }
            let pictograms = def.pictograms.get_ref().as_str();
            if !matches!(pictograms, "basic" | "extended") {
                bad(
                    def.pictograms.span(),
                    format!("pictograms `{pictograms}` must be \"basic\" or \"extended\""),
                );
            }
            let cache = *def.cache_kb.get_ref();
            let ua = def.user_agent.get_ref();
            match parse_user_agent(ua) {
                None => bad(
                    def.user_agent.span(),
                    "user_agent must start with `DoCoMo/1.0/` or `DoCoMo/2.0 `".into(),
                ),
                Some(parts) => {
                    let bare = model.replace('-', "");
                    let suffixed = browser == "2.0" && parts.model == format!("{bare}3");
                    if parts.model != bare && !suffixed {
                        bad(
                            def.user_agent.span(),
                            format!("the User-Agent names model `{}`, not `{bare}`", parts.model),
                        );
                    }
                    match parts.cache_kb {
                        Some(c) if c != cache => bad(def.cache_kb.span(), format!("cache_kb {cache}, but the User-Agent says c{c}")),
                        None if !parts.foma && cache != DEFAULT_DOCOMO_KB => bad(
                            def.cache_kb.span(),
                            format!("a DoCoMo/1.0 User-Agent without cNN means {DEFAULT_DOCOMO_KB} KB, not {cache}"),
                        ),
                        _ => {}
                    }
                    if let Some((w, h)) = parts.screen {
                        if (w, h) != (*def.width.get_ref(), *def.height.get_ref()) {
                            bad(
                                def.width.span(),
                                format!(
                                    "width × height {}×{}, but the User-Agent says W{w}H{h}",
                                    def.width.get_ref(),
                                    def.height.get_ref()
                                ),
                            );
                        }
                    }
                }
            }
            if let Some(v) = html {
                let utn_expected = v >= HtmlVersion::new(3, 0);
                if *def.utn.get_ref() != utn_expected {
                    bad(def.utn.span(), format!("utn must be {utn_expected}: the utn attribute came with i-mode HTML 3.0"));
                }
                let extended = v >= HtmlVersion::new(4, 0);
                if (pictograms == "extended") != extended
                    && matches!(pictograms, "basic" | "extended")
                {
                    bad(
                        def.pictograms.span(),
                        format!(
                            "pictograms must be {}: the extended set came with i-mode HTML 4.0",
                            if extended {
                                "\"extended\""
                            } else {
                                "\"basic\""
                            }
                        ),
                    );
                }
            }
            let cookies = *def.cookies.get_ref();
            if browser == "2.0" && (!cookies || cache < 500) {
                bad(
                    def.browser.span(),
                    "i-mode browser 2.0 keeps cookies and has a cache of 500 KB or more".into(),
                );
            }
            if browser == "1.0" && cookies {
                bad(
                    def.cookies.span(),
                    "i-mode browser 1.0 had no cookies".into(),
                );
            }
            if *def.width.get_ref() == 0 || *def.height.get_ref() == 0 {
                bad(
                    def.width.span(),
                    "the screen needs a width and a height".into(),
                );
            }
            if let Some(named) = &def.bearer {
                match bearers.get(named.get_ref()) {
                    Some(b) => {
                        bearer_of.insert(key(&model), b.clone());
                    }
                    None => {
                        let mut known: Vec<&str> = bearers.keys().map(String::as_str).collect();
                        known.sort_unstable();
                        bad(
                            named.span(),
                            if known.is_empty() {
                                format!(
                                    "bearer `{}`, but the file has no [[bearer]]",
                                    named.get_ref()
                                )
                            } else {
                                format!(
                                    "bearer `{}` is not one of {}",
                                    named.get_ref(),
                                    known.join(", ")
                                )
                            },
                        );
                    }
                }
            }
            handsets.push(Handset {
                model: model.clone(),
                user_agent: ua.clone(),
                cache_kb: cache,
                width: *def.width.get_ref(),
                height: *def.height.get_ref(),
                html_version: def.html_version.get_ref().clone(),
                browser: browser.to_string(),
                cookies,
                utn: *def.utn.get_ref(),
                pictograms: pictograms.to_string(),
            });
        }
        if handsets.is_empty() {
            problems.push(src.problem(0, "the catalogue has no [[handset]]"));
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let mut profiles = HashMap::new();
        let mut by_ua_model = HashMap::new();
        for h in &handsets {
            let bearer = bearer_of.get(&key(&h.model)).cloned();
            let profile = Arc::new(Profile::of_handset(h, &h.user_agent, bearer));
            profiles.insert(key(&h.model), profile.clone());
            if let Some(parts) = parse_user_agent(&h.user_agent) {
                by_ua_model.insert(parts.model.to_ascii_lowercase(), profile);
            }
        }
        Ok(Catalogue {
            handsets,
            profiles,
            by_ua_model,
            pc: Arc::new(Profile::pc(PC_USER_AGENT)),
            seen: Mutex::default(),
        })
    }

    pub fn handsets(&self) -> &[Handset] {
        &self.handsets
    }

    /// The model's handset entry (any case, with or without the hyphen).
    pub fn handset(&self, model: &str) -> Option<&Handset> {
        let k = key(model);
        self.handsets.iter().find(|h| key(&h.model) == k)
    }

    /// A model of the catalogue (or `PC`) by name: the emulator's picker,
    /// `?profile=`, `garake walk --profile`.
    pub fn by_name(&self, name: &str) -> Option<Arc<Profile>> {
        if name.eq_ignore_ascii_case("PC") {
            return Some(self.pc.clone());
        }
        self.profiles.get(&key(name)).cloned()
    }

    /// Every profile a picker offers: the catalogue's models, then `PC`.
    pub fn pickable(&self) -> Vec<Arc<Profile>> {
        self.handsets
            .iter()
            .filter_map(|h| self.profiles.get(&key(&h.model)).cloned())
            .chain(std::iter::once(self.pc.clone()))
            .collect()
    }

    /// The profile a request's User-Agent stands for. A catalogue model's own
    /// User-Agent gets the catalogue's profile; the same model with other
    /// tokens (another font size, a serial number) gets the model's facts
    /// with the User-Agent as sent; an unknown DoCoMo model gets what its
    /// User-Agent says; anything else is a PC browser.
    pub fn for_user_agent(&self, ua: &str) -> Arc<Profile> {
        let Some(parts) = parse_user_agent(ua) else {
            return if ua == self.pc.user_agent || ua.is_empty() {
                self.pc.clone()
            } else {
                self.intern(ua, || Profile::pc(ua))
            };
        };
        let known = self.by_ua_model.get(&parts.model.to_ascii_lowercase());
        if let Some(p) = known.filter(|p| p.user_agent == ua) {
            return p.clone();
        }
        match known {
            Some(p) => self.intern(ua, || p.with_user_agent(ua, &parts)),
            None => self.intern(ua, || Profile::unknown(ua, &parts)),
        }
    }

    /// A profile made once per distinct User-Agent (up to a bound; beyond it
    /// profiles are made afresh and not kept).
    fn intern(&self, ua: &str, make: impl FnOnce() -> Profile) -> Arc<Profile> {
        let ua: String = ua.chars().take(200).collect();
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(p) = seen.get(&ua) {
            return p.clone();
        }
        let p = Arc::new(make());
        if seen.len() < UNKNOWN_KEPT {
            seen.insert(ua, p.clone());
        }
        p
    }
}

impl Profile {
    /// A catalogue model's profile, sending `user_agent`.
    fn of_handset(h: &Handset, user_agent: &str, bearer: Option<Bearer>) -> Profile {
        Profile {
            name: h.model.clone(),
            user_agent: user_agent.to_string(),
            budget: h.cache_kb as usize * 1024,
            width: h.width,
            height: h.height,
            browser: if h.browser == "2.0" {
                Browser::IMode2
            } else {
                Browser::IMode1
            },
            charset: Charset::ShiftJis,
            pictograms: if h.pictograms == "extended" {
                Pictograms::Extended
            } else {
                Pictograms::Basic
            },
            html: HtmlVersion::parse(&h.html_version),
            utn: h.utn,
            bearer,
        }
    }

    /// The same model sending another User-Agent (its cache and screen as the UA says).
    fn with_user_agent(&self, ua: &str, parts: &UaParts) -> Profile {
        let mut p = self.clone();
        p.user_agent = ua.chars().take(200).collect();
        if let Some(kb) = parts.cache_kb {
            p.budget = kb as usize * 1024;
        }
        if let Some((w, h)) = parts.screen {
            p.width = w;
            p.height = h;
        }
        p
    }

    /// A DoCoMo model the catalogue does not know: what its User-Agent says.
    fn unknown(ua: &str, parts: &UaParts) -> Profile {
        let model: String = parts
            .model
            .chars()
            .filter(|c| c.is_ascii_graphic())
            .take(16)
            .collect();
        let cache = parts.cache_kb.unwrap_or(DEFAULT_DOCOMO_KB);
        let (width, height) = parts
            .screen
            .unwrap_or((if model.is_empty() { 16 } else { 20 }, 10));
        Profile {
            name: if model.is_empty() {
                "DoCoMo".into()
            } else {
                model
            },
            user_agent: ua.chars().take(200).collect(),
            budget: cache as usize * 1024,
            width,
            height,
            // The full browser (2.0) arrived with cache sizes of 500 KB and up.
            browser: if parts.foma && cache >= 500 {
                Browser::IMode2
            } else {
                Browser::IMode1
            },
            charset: Charset::ShiftJis,
            pictograms: Pictograms::Basic,
            html: None,
            utn: true,
            // What a model the catalogue does not know browsed over is unknown.
            bearer: None,
        }
    }

    /// A PC browser.
    fn pc(ua: &str) -> Profile {
        Profile {
            name: "PC".into(),
            user_agent: ua.chars().take(200).collect(),
            budget: PC_BUDGET,
            width: 80,
            height: 40,
            browser: Browser::Pc,
            charset: Charset::Utf8,
            pictograms: Pictograms::None,
            html: None,
            utn: false,
            bearer: None,
        }
    }
}

impl Profile {
    /// A profile of the shipped catalogue by name (tests and tools; the server
    /// asks its own loaded catalogue).
    pub fn by_name(name: &str) -> Option<Profile> {
        Catalogue::builtin().by_name(name).map(|p| (*p).clone())
    }

    /// The profile a User-Agent stands for, by the shipped catalogue.
    pub fn from_user_agent(ua: &str) -> Profile {
        (*Catalogue::builtin().for_user_agent(ua)).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE: &str = "[[handset]]\nmodel = \"P503i\"\nuser_agent = \"DoCoMo/1.0/P503i/c10\"\ncache_kb = 10\nwidth = 20\nheight = 10\nhtml_version = \"3.0\"\nbrowser = \"1.0\"\ncookies = false\nutn = true\npictograms = \"basic\"\n";

    fn problems(text: &str) -> Vec<String> {
        Catalogue::from_source("h.toml", text)
            .err()
            .unwrap_or_default()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn the_shipped_catalogue_loads_with_every_generation() {
        let c = Catalogue::builtin();
        assert!(c.handsets().len() >= 40, "{}", c.handsets().len());
        for model in [
            "P501i", "P503i", "N505i", "P903i", "P-07B", "D501i", "N-06B",
        ] {
            assert!(c.handset(model).is_some(), "{model}");
        }
        let versions: std::collections::BTreeSet<&str> = c
            .handsets()
            .iter()
            .map(|h| h.html_version.as_str())
            .collect();
        assert_eq!(versions.len(), 9, "1.0 to 7.2: {versions:?}");
    }

    #[test]
    fn a_good_entry_loads_and_a_broken_one_is_reported_at_its_place() {
        assert!(problems(ONE).is_empty());
        let broken = ONE.replace("cache_kb = 10", "cache_kb = 12");
        assert_eq!(
            problems(&broken),
            ["h.toml:4:12: handset `P503i`: cache_kb 12, but the User-Agent says c10"]
        );
        let unknown_key = format!("{ONE}colour = true\n");
        assert!(
            problems(&unknown_key)[0].starts_with("h.toml:12:1: unknown field `colour`"),
            "{:?}",
            problems(&unknown_key)
        );
        let twice = format!("{ONE}{ONE}");
        assert_eq!(
            problems(&twice),
            ["h.toml:13:9: handset `P503i`: a second entry for this model"]
        );
        for (from, to, says) in [
            ("utn = true", "utn = false", "utn must be true"),
            (
                "html_version = \"3.0\"",
                "html_version = \"3.5\"",
                "html_version `3.5` is not one of",
            ),
            (
                "DoCoMo/1.0/P503i/c10",
                "DoCoMo/1.0/P504i/c10",
                "names model `P504i`",
            ),
            (
                "pictograms = \"basic\"",
                "pictograms = \"extended\"",
                "extended set came with i-mode HTML 4.0",
            ),
            (
                "cookies = false",
                "cookies = true",
                "browser 1.0 had no cookies",
            ),
            ("DoCoMo/1.0/P503i/c10", "Mozilla/5.0", "must start with"),
        ] {
            let p = problems(&ONE.replace(from, to));
            assert!(p.iter().any(|m| m.contains(says)), "{from} → {to}: {p:?}");
        }
    }

    #[test]
    fn every_shipped_model_has_a_bearer_and_a_packet_fee() {
        let c = Catalogue::builtin();
        for h in c.handsets() {
            let p = c.by_name(&h.model).unwrap();
            let b = p
                .bearer
                .as_ref()
                .unwrap_or_else(|| panic!("{}: no bearer", h.model));
            // mova is DoCoMo/1.0, FOMA DoCoMo/2.0; the fee follows the network.
            let mova = h.user_agent.starts_with("DoCoMo/1.0/");
            assert_eq!(b.id == "mova", mova, "{}: {b:?}", h.model);
            assert_eq!(
                b.yen_per_packet,
                if mova { 0.3 } else { 0.2 },
                "{}",
                h.model
            );
        }
        let rate = |m: &str| c.by_name(m).unwrap().bearer.clone().unwrap().kbps;
        assert_eq!(rate("P501i"), 9.6);
        assert_eq!(rate("P903i"), 384.0);
        assert_eq!(rate("P905i"), 3600.0);
        assert_eq!(rate("P-07B"), 7200.0);
        assert_eq!(c.by_name("PC").unwrap().bearer, None);
        assert_eq!(c.for_user_agent("DoCoMo/2.0 X9999(c100)").bearer, None);
    }

    #[test]
    fn a_pages_bytes_become_packets_yen_and_seconds() {
        let mova = Catalogue::builtin()
            .by_name("P501i")
            .unwrap()
            .bearer
            .clone()
            .unwrap();
        // 2,048 bytes: 16 packets of 128 bytes at 0.3 yen, 16,384 bits at 9,600 a second.
        assert_eq!(Bearer::packets(2048), 16);
        assert_eq!(Bearer::packets(2049), 17);
        assert!((mova.yen(2048) - 4.8).abs() < 1e-9);
        assert!((mova.seconds(2048) - 1.706_666).abs() < 1e-5);
        assert_eq!(Bearer::packets(0), 0);
    }

    #[test]
    fn bearers_are_checked_like_the_handsets() {
        let mova =
            "[[bearer]]\nid = \"mova\"\nname = \"mova PDC-P\"\nkbps = 9.6\nyen_per_packet = 0.3\n";
        let with = |bearers: &str| format!("{bearers}{}bearer = \"mova\"\n", ONE);
        assert!(
            problems(&with(mova)).is_empty(),
            "{:?}",
            problems(&with(mova))
        );
        let c = Catalogue::from_source("h.toml", &with(mova)).unwrap();
        assert_eq!(
            c.by_name("P503i").unwrap().bearer.as_ref().unwrap().kbps,
            9.6
        );
        assert_eq!(
            problems(&format!("{ONE}bearer = \"pdc\"\n")),
            ["h.toml:12:10: handset `P503i`: bearer `pdc`, but the file has no [[bearer]]"]
        );
        assert_eq!(
            problems(&format!("{mova}{ONE}bearer = \"pdc\"\n")),
            ["h.toml:17:10: handset `P503i`: bearer `pdc` is not one of mova"]
        );
        for (from, to, says) in [
            ("kbps = 9.6", "kbps = 0.0", "kbps 0 must be more than 0"),
            ("kbps = 9.6", "kbps = nan", "kbps NaN must be"),
            (
                "yen_per_packet = 0.3",
                "yen_per_packet = -1.0",
                "yen_per_packet -1 must be from 0",
            ),
            ("id = \"mova\"", "id = \"Mova!\"", "an id is lower-case"),
            ("name = \"mova PDC-P\"", "name = \" \"", "the name is empty"),
            (
                "kbps = 9.6\n",
                "kbps = 9.6\nspeed = 1\n",
                "unknown field `speed`",
            ),
        ] {
            let p = problems(&with(&mova.replace(from, to)));
            assert!(p.iter().any(|m| m.contains(says)), "{from} → {to}: {p:?}");
        }
        assert_eq!(
            problems(&with(&format!("{mova}{mova}"))),
            ["h.toml:7:6: bearer `mova`: a second bearer with this id"]
        );
    }

    #[test]
    fn user_agents_map_to_catalogue_profiles() {
        let c = Catalogue::builtin();
        let p = c.for_user_agent("DoCoMo/2.0 P07B(c500;TB;W24H16)");
        assert_eq!(
            (p.name.as_str(), p.budget, p.browser),
            ("P-07B", 500 * 1024, Browser::IMode2)
        );
        assert!(
            Arc::ptr_eq(&p, &c.by_name("p-07b").unwrap()),
            "shared, not copied"
        );
        // The same model at another font size keeps its facts and its own UA.
        let big = c.for_user_agent("DoCoMo/2.0 P903i(c100;TB;W20H10)");
        assert_eq!(
            (big.name.as_str(), big.width, big.height),
            ("P903i", 20, 10)
        );
        assert_eq!(big.html.unwrap().to_string(), "7.0");
        assert!(Arc::ptr_eq(
            &big,
            &c.for_user_agent("DoCoMo/2.0 P903i(c100;TB;W20H10)")
        ));
        let p501 = c.for_user_agent("DoCoMo/1.0/P501i");
        assert_eq!((p501.budget, p501.page_target()), (5120, 2048));
        let unknown = c.for_user_agent("DoCoMo/1.0/XX999i/c20/TB");
        assert_eq!(
            (unknown.name.as_str(), unknown.budget, unknown.html),
            ("XX999i", 20 * 1024, None)
        );
        assert_eq!(c.for_user_agent("Mozilla/5.0 (X11)").name, "PC");
        assert_eq!(c.for_user_agent("w3m/0.5.3").charset, Charset::Utf8);
    }

    #[test]
    fn user_agent_parts_are_read_in_both_forms() {
        assert_eq!(
            parse_user_agent("DoCoMo/1.0/N505i/c20/TB/W20H10"),
            Some(UaParts {
                model: "N505i".into(),
                cache_kb: Some(20),
                screen: Some((20, 10)),
                foma: false
            })
        );
        assert_eq!(
            parse_user_agent("DoCoMo/2.0 N2001(c10)"),
            Some(UaParts {
                model: "N2001".into(),
                cache_kb: Some(10),
                screen: None,
                foma: true
            })
        );
        for garbage in [
            "DoCoMo/1.0/P501i/c",
            "DoCoMo/1.0/P501i/cXX",
            "DoCoMo/2.0 X(c99999999999)",
        ] {
            assert_eq!(
                parse_user_agent(garbage).unwrap().cache_kb,
                None,
                "{garbage}"
            );
        }
    }
}
