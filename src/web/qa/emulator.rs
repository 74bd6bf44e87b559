//! The handset emulator for PC browsers: a phone-shaped shell (the only page with
//! script) around the real handset pages.
//!
//! The shell is rendered here with the profile, line and language pickers filled in
//! server-side; its style and script are the constant text of `emulator.html`. The
//! handset pages run unchanged in an `<iframe>` on the same origin.

use axum::extract::RawQuery;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use maud::{html, Markup, PreEscaped, DOCTYPE};

use crate::domain::{Lang, Msisdn};
use crate::error::AppError;
use crate::handset::{Charset, Profile};
use crate::store::lines::{self, Listing};
use crate::web::page::read_query;
use crate::web::{state::default_lang, state::AppState};

/// The handset the emulator starts as.
const DEFAULT_PROFILE: &str = "P501i";

/// Lines offered by the line picker (the demo has three).
const LINES_SHOWN: i64 = 50;

/// The shell's style sheet and script: constant text, never data.
const ASSETS: &str = include_str!("emulator.html");

/// The shell's inline script, as its Content-Security-Policy names it
/// (base64 of its SHA-256).
pub fn script_hash() -> String {
    use sha2::Digest;
    let script = ASSETS
        .split_once("<script>")
        .and_then(|(_, rest)| rest.split_once("</script>"))
        .map_or("", |(script, _)| script);
    crate::mail::rfc5322::base64(&sha2::Sha256::digest(script.as_bytes()))
}

/// What the shell's script reads from the page (a JSON data block, never
/// run): how to draw each pictogram and what each i-mode HTML version knows.
fn data_block() -> &'static str {
    static DATA: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DATA.get_or_init(|| {
        let html: serde_json::Value = serde_json::from_str(&crate::handset::html::table_json())
            .expect("the HTML-version table serialises");
        serde_json::json!({
            "pictograms": crate::handset::pictograms::drawing_json(),
            "html": html,
        })
        .to_string()
        // Nothing in a data block may close the element early.
        .replace("</", "<\\/")
    })
}

pub fn routes() -> Router {
    Router::new()
        .route("/emulator", get(shell))
        .route("/emulator/clock", get(clock))
}

/// `GET /emulator/clock`: the simulated time, for the status bar's clock. Read
/// only and public (it shows what every handset page already shows); never
/// cached, as it moves whenever the QA API advances the clock.
async fn clock(state: AppState) -> impl IntoResponse {
    (
        [(header::CACHE_CONTROL, "no-store")],
        Json(clock_json(state.clock.now())),
    )
}

/// The clock's answer: Unix seconds and Japan time as a handset shows it.
fn clock_json(now: i64) -> serde_json::Value {
    serde_json::json!({ "now": now, "jst": crate::clock::jst_short(now) })
}

/// What the pickers start on.
#[derive(Debug, PartialEq, Eq)]
struct Choice {
    profile: String,
    line: Option<Msisdn>,
    lang: Lang,
}

/// `GET /emulator[?profile=&line=&lang=]`: the shell. The query lets a tester link
/// to one configuration; values that do not parse fall back to the defaults.
async fn shell(state: AppState, RawQuery(q): RawQuery) -> Result<Markup, AppError> {
    let query = read_query(q.as_deref(), Charset::Utf8)?;
    let profiles = state.handsets.pickable();
    let profile = query
        .get("profile")?
        .and_then(|name| state.handsets.by_name(name))
        .or_else(|| state.handsets.by_name(DEFAULT_PROFILE))
        .unwrap_or_else(|| profiles[0].clone());
    let choice = Choice {
        lang: query
            .get("lang")?
            .and_then(Lang::parse)
            .unwrap_or_else(|| default_lang(&profile)),
        line: query.get("line")?.and_then(Msisdn::parse),
        profile: profile.name.clone(),
    };
    let (listing, total) = state
        .db
        .call(|conn| Ok(lines::directory(conn, 0, LINES_SHOWN)?))
        .await?;
    let world = state.place.id.as_deref();
    Ok(page(
        &profiles,
        &listing,
        total,
        &choice,
        &state.menu.root,
        state.base(),
        world,
    ))
}

/// The whole shell: pickers, the phone (screen, meter, keypad), the page log.
fn page(
    profiles: &[std::sync::Arc<Profile>],
    lines: &[Listing],
    total: i64,
    choice: &Choice,
    root: &str,
    base: &str,
    world: Option<&str>,
) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                // No favicon request: the shell loads nothing but its own page.
                link rel="icon" href="data:,";
                title { "garake · handset emulator" }
                script #garake-data type="application/json" { (PreEscaped(data_block())) }
                (PreEscaped(ASSETS))
            }
            body data-root=(root) data-base=(base) data-state="off" data-loads="0" {
                header.top {
                    h1 { "garake" small { "handset emulator · 携帯エミュレータ" } }
                    @if let Some(world) = world {
                        p.world #world title="Everything here happens in this world only" { "world " code { (world) } }
                    }
                    nav {
                        a href="/" { "power-on page" }
                        a href="/admin" { "admin console" }
                    }
                }
                main.stage {
                    (controls(profiles, lines, total, choice))
                    (phone())
                    (log_panel())
                }
            }
        }
    }
}

/// The pickers and the power button. The options carry what the script needs.
fn controls(
    profiles: &[std::sync::Arc<Profile>],
    lines: &[Listing],
    total: i64,
    choice: &Choice,
) -> Markup {
    let chosen_line = choice
        .line
        .as_ref()
        .filter(|m| lines.iter().any(|l| &l.msisdn == *m))
        .or(lines.first().map(|l| &l.msisdn));
    html! {
        form.controls #controls autocomplete="off" {
            label {
                span { "Handset" small { "機種" } }
                select #profile name="profile" {
                    @for (group, members) in by_html_version(profiles) {
                        optgroup label=(group) {
                            @for p in members {
                                option value=(p.name) selected[p.name == choice.profile]
                                    data-target=(p.page_target()) data-budget=(p.budget)
                                    data-width=(p.width) data-charset=(p.charset.name())
                                    data-html=(p.html.map(|v| v.to_string()).unwrap_or_default())
                                    data-ua=(p.user_agent)
                                    data-bearer=[p.bearer.as_ref().map(|b| &b.name)]
                                    data-kbps=[p.bearer.as_ref().map(|b| b.kbps)]
                                    data-yen=[p.bearer.as_ref().map(|b| b.yen_per_packet)] {
                                    (profile_label(p))
                                }
                            }
                        }
                    }
                }
            }
            label {
                span { "Line" small { "回線" } }
                select #line name="line" {
                    @for l in lines {
                        option value=(l.msisdn.as_str()) selected[Some(&l.msisdn) == chosen_line]
                            data-number=(l.msisdn.display())
                            data-ja=(l.name_ja) data-en=(l.name_en) {
                            (l.msisdn.display()) " " (choice.lang.pick(&l.name_ja, &l.name_en))
                        }
                    }
                }
            }
            @if lines.is_empty() {
                p.warn { "No lines in the database: run " code { "garake reset" } "." }
            } @else if total > lines.len() as i64 {
                p.hint { "First " (lines.len()) " of " (total) " lines." }
            }
            label {
                span { "Language" small { "言語" } }
                select #lang name="lang" {
                    option value="ja" selected[choice.lang == Lang::Ja] { "日本語 (ja)" }
                    option value="en" selected[choice.lang == Lang::En] { "English (en)" }
                }
            }
            button #power type="submit" { (power_icon()) " Power on" }
            p #ua.ua title="User-Agent of this profile" {}
            fieldset.recorder #recorder {
                legend { "Scenario" small { "シナリオ" } }
                label.switch title="Record every page the handset opens as a step of a scenario file (garake replay runs it)" {
                    input #record type="checkbox"; " Record"
                }
                button #save-scenario type="button" disabled title="Download the recorded steps as a scenario file" { "Save scenario" }
                p #recorded.hint { "Not recording." }
            }
            div.help {
                p { "Press the keypad, or type " kbd { "0" } "–" kbd { "9" } " " kbd { "*" } " " kbd { "#" }
                    " on your keyboard: the key follows the page's link with that "
                    code { "accesskey" } "." }
                p { "Lit keys have a link on this page." }
                p { "The direction pad, or " kbd { "↑" } " " kbd { "↓" } " " kbd { "←" } " " kbd { "→" }
                    " and " kbd { "Enter" } ", moves the cursor over the links, scrolls and selects. "
                    "Type a URL under the screen to open a site through garake." }
            }
        }
    }
}

/// The picker's groups: one per i-mode HTML version, then the PC.
fn by_html_version(profiles: &[std::sync::Arc<Profile>]) -> Vec<(String, Vec<&Profile>)> {
    let mut groups: Vec<(String, Vec<&Profile>)> = Vec::new();
    for p in profiles {
        let group = match p.html {
            Some(v) if p.browser == crate::handset::Browser::IMode2 => {
                format!("i-mode browser 2.0 (HTML {v})")
            }
            Some(v) => format!("i-mode HTML {v}"),
            None => "PC".to_string(),
        };
        match groups.iter_mut().find(|(g, _)| *g == group) {
            Some((_, members)) => members.push(p),
            None => groups.push((group, vec![p])),
        }
    }
    groups
}

/// `P501i · 16 ch · page 2,048 B`: the page target is the budget the meter
/// measures against, written the way the meter writes it.
fn profile_label(p: &Profile) -> String {
    let target = grouped(p.page_target());
    if p.is_handset() {
        format!("{} · {} ch · page {target} B", p.name, p.width)
    } else {
        format!(
            "{} · {} ch · {} · page {target} B",
            p.name,
            p.width,
            p.charset.name()
        )
    }
}

/// A number with commas between groups of three digits: `102,400`.
fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// The flip phone: screen and meter above the hinge, keypad below.
fn phone() -> Markup {
    // (key, kana, letters) as printed on a 2000s keypad.
    const KEYS: [(&str, &str, &str); 12] = [
        ("1", "あ", ".@/"),
        ("2", "か", "ABC"),
        ("3", "さ", "DEF"),
        ("4", "た", "GHI"),
        ("5", "な", "JKL"),
        ("6", "は", "MNO"),
        ("7", "ま", "PQRS"),
        ("8", "や", "TUV"),
        ("9", "ら", "WXYZ"),
        ("*", "゛゜", ""),
        ("0", "わ", "+"),
        ("#", "、。", ""),
    ];
    html! {
        div.phone.off role="group" aria-label="Handset" {
            div.upper {
                div.speaker {}
                div.bezel {
                    div.statusbar aria-hidden="true" {
                        span.antenna { i {} i {} i {} }
                        span.imode { "i" }
                        span #clock.clock {}
                        span.battery { i {} }
                    }
                    // The page runs nothing (no allow-scripts); the shell can read it.
                    iframe #screen name="handset" title="Handset screen" sandbox="allow-forms allow-same-origin" {}
                }
                div #meter.meter title="Size of the last page's body against the profile's page budget" {
                    div.bar { span #meter-fill {} }
                    div.readout {
                        span.amount { output #bytes { "—" } " / " span #budget { "—" } " B" }
                        output #packets.packets title="i-mode billed by the packet: 128 bytes each" { "—" }
                        output #charset.charset { "—" }
                    }
                    // What a user of the time felt: the fee and the wait, from the
                    // catalogue's bearer of the model.
                    div.cost title="The page's packets at the packet fee of the handset's network (before tax), and its bytes at the bearer's peak downlink rate" {
                        output #yen.yen { "—" }
                        output #seconds.seconds { "—" }
                        output #bearer.bearer { "—" }
                    }
                    output #tags.tags title="Tags this handset's i-mode HTML version does not know" {}
                }
                div #path.path { "powered off" }
                // A typed URL opens through the session's URL entry, as a handset's
                // "Go to URL" does: a configured site or a page saying it is not one.
                form #urlbar.urlbar autocomplete="off" {
                    label for="url" { "URL" }
                    input #url type="text" name="url" inputmode="url" spellcheck="false"
                        placeholder="http://" aria-label="URL to open in the screen";
                    button #go type="submit" { "Go" }
                }
                div.brand { "garake" }
            }
            div.hinge {}
            div.lower {
                div.softkeys {
                    button #back.soft type="button" title="Back (Backspace)" { "↩" small { "Back" } }
                    (dpad())
                    button #imenu.soft.ikey type="button" title="iMenu" { "i" small { "iMenu" } }
                    button #power-key.soft type="button" title="Power on again" { (power_icon()) small { "Power" } }
                }
                div.keypad {
                    @for (key, kana, letters) in KEYS {
                        button.key type="button" data-key=(key) aria-label={ "Key " (key) } {
                            span.digit { (key) }
                            span.sub { (kana) " " (letters) }
                        }
                    }
                }
                div.mic {}
            }
        }
    }
}

/// The direction pad: up and down move the cursor between the page's links and
/// scroll, left and right scroll a screenful, the centre follows the link.
fn dpad() -> Markup {
    // (direction, arrow, name, keyboard key)
    const DIRS: [(&str, &str, &str, &str); 4] = [
        ("up", "▲", "Up", "↑"),
        ("left", "◀", "Left: one screen up", "←"),
        ("right", "▶", "Right: one screen down", "→"),
        ("down", "▼", "Down", "↓"),
    ];
    html! {
        div #dpad.dpad role="group" aria-label="Direction keys" {
            @for (dir, arrow, name, key) in DIRS {
                button.dir type="button" data-dir=(dir) title={ (name) " (" (key) ")" }
                    aria-label=(name) { (arrow) }
            }
            button.dir.select type="button" data-dir="select" title="Select: follow the link under the cursor (Enter)"
                aria-label="Select" { "OK" }
        }
    }
}

/// The power symbol, drawn inline (fonts rarely have U+23FB).
fn power_icon() -> Markup {
    html! {
        svg.icon viewBox="0 0 16 16" width="13" height="13" aria-hidden="true" {
            path d="M8 1.5v6M4.4 3.8a5.5 5.5 0 1 0 7.2 0" fill="none" stroke="currentColor"
                stroke-width="2" stroke-linecap="round" {}
        }
    }
}

/// The recent pages, newest first, with their sizes.
fn log_panel() -> Markup {
    html! {
        aside.log {
            h2 { "Pages" small { "履歴" } }
            ol #log {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing(msisdn: &str, ja: &str, en: &str) -> Listing {
        Listing {
            id: 1,
            msisdn: Msisdn::parse(msisdn).expect("test number"),
            name_ja: ja.into(),
            name_en: en.into(),
        }
    }

    fn render(choice: &Choice) -> String {
        let lines = [
            listing("09012340001", "ドコモ太郎", "Taro Docomo"),
            listing("09012340002", "ドコモ花子", "Hanako Docomo"),
        ];
        page(
            &crate::handset::Catalogue::builtin().pickable(),
            &lines,
            2,
            choice,
            "imenu",
            "",
            None,
        )
        .into_string()
    }

    #[test]
    fn the_pickers_offer_every_profile_line_and_language() {
        let html = render(&Choice {
            profile: "P501i".into(),
            line: None,
            lang: Lang::Ja,
        });
        for name in ["P501i", "P503i", "N505i", "P903i", "P-07B", "PC"] {
            assert!(
                html.contains(&format!(r#"<option value="{name}""#)),
                "{name}"
            );
        }
        assert!(html.contains(r#"value="09012340002""#));
        assert!(html.contains("090-1234-0001 ドコモ太郎"));
        assert!(html.contains(r#"<option value="en">"#));
        assert!(html.contains(r#"data-root="imenu""#));
    }

    #[test]
    fn each_handset_option_carries_its_bearer_and_packet_fee_for_the_meter() {
        let html = render(&Choice {
            profile: "P501i".into(),
            line: None,
            lang: Lang::En,
        });
        let option = |name: &str| {
            let at = html.find(&format!(r#"<option value="{name}""#)).unwrap();
            html[at..at + html[at..].find('>').unwrap()].to_string()
        };
        assert!(
            option("P501i").contains(r#"data-bearer="mova PDC-P" data-kbps="9.6" data-yen="0.3""#),
            "{}",
            option("P501i")
        );
        assert!(option("P903i").contains(r#"data-kbps="384" data-yen="0.2""#));
        assert!(option("P-07B").contains(r#"data-kbps="7200" data-yen="0.2""#));
        assert!(
            !option("PC").contains("data-kbps"),
            "a PC pays no packet fee"
        );
        assert!(html.contains(r#"id="yen""#) && html.contains(r#"id="seconds""#));
    }

    #[test]
    fn the_p501i_option_carries_the_2_kb_target_and_shift_jis() {
        let html = render(&Choice {
            profile: "P501i".into(),
            line: None,
            lang: Lang::En,
        });
        assert!(html.contains(
            r#"<option value="P501i" selected data-target="2048" data-budget="5120" data-width="16" data-charset="Shift_JIS""#
        ));
        assert!(html.contains("090-1234-0001 Taro Docomo"));
    }

    #[test]
    fn the_chosen_line_and_language_are_preselected() {
        let html = render(&Choice {
            profile: "PC".into(),
            line: Msisdn::parse("090-1234-0002"),
            lang: Lang::En,
        });
        assert!(html.contains(r#"<option value="09012340002" selected"#));
        assert!(html.contains(r#"<option value="PC" selected"#));
        assert!(html.contains(r#"<option value="en" selected>"#));
        assert!(!html.contains(r#"<option value="09012340001" selected"#));
    }

    #[test]
    fn each_option_names_the_page_target_the_meter_uses() {
        let catalogue = crate::handset::Catalogue::builtin();
        let p501i = catalogue.by_name("P501i").expect("P501i");
        assert_eq!(profile_label(&p501i), "P501i · 16 ch · page 2,048 B");
        for p in catalogue.pickable() {
            let label = profile_label(&p);
            assert!(
                label.ends_with(&format!(" · page {} B", grouped(p.page_target()))),
                "{label}"
            );
            assert!(!label.contains("KB"), "{label}");
        }
    }

    #[test]
    fn numbers_are_grouped_by_thousands_as_the_meter_writes_them() {
        for (n, text) in [
            (0, "0"),
            (999, "999"),
            (1_000, "1,000"),
            (2_048, "2,048"),
            (102_400, "102,400"),
            (1_048_576, "1,048,576"),
        ] {
            assert_eq!(grouped(n), text);
        }
    }

    #[test]
    fn the_emulator_clock_answers_unix_seconds_and_japan_time() {
        // 2026-12-01T14:59:00Z is 23:59 JST.
        assert_eq!(
            clock_json(1_796_137_140),
            serde_json::json!({ "now": 1_796_137_140, "jst": "12/01 23:59" })
        );
    }

    #[test]
    fn the_phone_has_a_direction_pad_and_a_url_entry() {
        let html = render(&Choice {
            profile: "P501i".into(),
            line: None,
            lang: Lang::En,
        });
        for dir in ["up", "down", "left", "right", "select"] {
            assert!(html.contains(&format!(r#"data-dir="{dir}""#)), "{dir}");
        }
        assert!(html.contains(r#"<form class="urlbar" id="urlbar""#));
        assert!(html.contains(r#"<input id="url" type="text" name="url""#));
        assert!(
            html.find("data-dir=").unwrap() < html.find(r#"<div class="keypad">"#).unwrap(),
            "the pad comes before the keypad"
        );
        let handler = html.match_indices(" on").any(|(i, _)| {
            let name: String = html[i + 1..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase())
                .collect();
            html[i + 1 + name.len()..].starts_with('=')
        });
        assert!(!handler, "no inline event handlers");
    }

    #[test]
    fn the_keypad_has_twelve_keys_laid_out_like_a_phone() {
        let html = render(&Choice {
            profile: "P501i".into(),
            line: None,
            lang: Lang::Ja,
        });
        let keypad = html
            .split(r#"<div class="keypad">"#)
            .nth(1)
            .expect("the page has a keypad");
        let keys: Vec<&str> = keypad
            .split(r#"data-key=""#)
            .skip(1)
            .map(|s| &s[..1])
            .collect();
        assert_eq!(
            keys,
            ["1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#"]
        );
    }
}
