//! The power-on page: pick a demo line and a language. A PC browser that
//! comes to it on its own (not the emulator's frame) gets the same choices on
//! a page that first says what garake is and where to go.

use maud::{html, Markup, DOCTYPE};

use super::menu::{list_page, Item, Nav};
use super::{text, Ctx};
use crate::store::lines::Listing;

/// Which world the power-on page is in, and what it says about it.
pub enum Where {
    /// The default world; `offer_demo`: the private demo form is shown.
    Default { offer_demo: bool },
    /// A world of its own: its id, how long it lives after its last use, and
    /// (once, for a private demo just made) its admin token.
    World {
        id: String,
        ttl_minutes: i64,
        expires_at: String,
        token: Option<String>,
    },
}

/// Where a private demo is started (a POST form).
pub const DEMO_PATH: &str = "/demo";

/// The lines of one page, the language switch, paging links.
pub fn page(
    ctx: &Ctx,
    lines: &[Listing],
    expired: bool,
    query: &str,
    prev: Option<&str>,
    next: Option<&str>,
    place: &Where,
) -> Markup {
    let items: Vec<Item> = lines
        .iter()
        .map(|l| Item {
            key: None,
            href: format!("/on/{}?lang={}{query}", l.msisdn, ctx.lang.code()),
            label: format!(
                "{} {}",
                l.msisdn.display(),
                ctx.lang.pick(&l.name_ja, &l.name_en)
            ),
        })
        .collect();
    let head = html! {
        @if let Where::World { token: Some(token), .. } = place {
            (ctx.t(("管理トークン(一度だけ表示):", "Admin token (shown once):"))) br; (token) br; hr;
        }
        @if expired { (ctx.t(text::SESSION_EXPIRED)) br; }
        (ctx.t(text::LANGUAGE)) ":"
        a href={ "/?lang=ja" (query) } { "日本語" } "/"
        a href={ "/?lang=en" (query) } { "English" } br;
        @if lines.is_empty() { (ctx.t(text::NO_LINES)) br; }
        @else { (ctx.t(text::CHOOSE_LINE)) br; }
    };
    let foot = pc_links(ctx);
    list_page(
        ctx,
        ctx.t(text::APP_TITLE),
        Some(&head),
        &items,
        Nav { prev, next },
        Some(&foot),
    )
}

/// Links to the PC sites, at the foot of the power-on page.
pub fn pc_links(ctx: &Ctx) -> Markup {
    html! {
        hr;
        a href="/mydocomo" { "My docomo" } "/"
        a href="/shop" { (ctx.t(("ドコモショップ", "docomo Shop"))) } "/"
        a href="/partners" { (ctx.t(("提携サイト", "Partner sites"))) }
    }
}

/// The welcome page's style sheet, served at [`STYLESHEET_PATH`] (a handset
/// page's policy allows no inline style).
pub const STYLESHEET: &str = "\
:root{--ink:#1d2430;--muted:#5b6573;--line:#d9dee5;--accent:#c2185b}\
*{box-sizing:border-box}\
body{margin:0;font:16px/1.55 system-ui,-apple-system,'Segoe UI','Hiragino Sans','Noto Sans CJK JP','IPAGothic',sans-serif;color:var(--ink);background:#f7f8fa}\
header{padding:.8em 1.5em;background:#fff;border-bottom:3px solid var(--accent)}\
header h1{margin:0;font-size:1.4em;color:var(--accent)}header h1 small{color:var(--muted);font-weight:400;font-size:.65em;margin-left:.5em}\
main{max-width:46em;padding:1em 1.5em 3em}\
h2{font-size:1.1em;margin:1.6em 0 .4em}\
.lead{font-size:1.05em}\
a{color:#0b57d0}\
a.button{display:inline-block;padding:.45em 1.1em;border-radius:6px;background:var(--accent);color:#fff;text-decoration:none;font-weight:600}\
ul.lines{list-style:none;padding:0;margin:.3em 0}ul.lines li{margin:.25em 0}\
ul.lines a{display:inline-block;min-width:18em;padding:.3em .7em;background:#fff;border:1px solid var(--line);border-radius:4px;text-decoration:none}\
.note{color:var(--muted);font-size:.92em}\
.langs a{margin-right:.6em}\
button.button{border:0;font:inherit;cursor:pointer;padding:.45em 1.1em;border-radius:6px;background:var(--accent);color:#fff;font-weight:600}\
section.world{background:#fff;border:1px solid var(--line);border-left:4px solid var(--accent);padding:.2em 1em;margin:.8em 0}\
code.token{user-select:all;background:#fff3c4;padding:.1em .3em}";

/// Where the welcome page's style sheet is served.
pub const STYLESHEET_PATH: &str = "/assets/power-on.css";

/// The power-on page for a PC visitor: what garake is, the emulator, the
/// lines to power on as (the same links a handset gets), the PC sites.
pub fn welcome(
    ctx: &Ctx,
    lines: &[Listing],
    expired: bool,
    prev: Option<&str>,
    next: Option<&str>,
    place: &Where,
) -> Markup {
    let t = |pair: (&'static str, &'static str)| ctx.t(pair);
    html! {
        (DOCTYPE)
        html lang=(ctx.lang.code()) {
            head {
                // Named as on every handset page (the page is one, in UTF-8).
                meta http-equiv="Content-Type" content="text/html; charset=UTF-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "garake — " (t(("iモード キャリア シミュレータ", "an i-mode carrier simulator"))) }
                link rel="stylesheet" href=(STYLESHEET_PATH);
            }
            body {
                header { h1 { "garake" small { (t(("ガラケー · iモード キャリア シミュレータ", "an i-mode carrier simulator"))) } } }
                main {
                    @if let Where::World { id, ttl_minutes, expires_at, token } = place {
                        section.world {
                            p { strong { (t(("プライベートワールド ", "Private world "))) code { (id) } } }
                            p.note { (t(("最後の利用から", "It lives "))) (ttl_minutes) (t(("分間残ります（現在の期限: ", " minutes after its last use (now until "))) (expires_at) (t(("）。ほかの人の操作は見えず、影響もしません。", "). Nobody else's clicks show here or change anything in it."))) }
                            @if let Some(token) = token {
                                p { (t(("このワールドの管理トークン（この一度だけ表示します）: ", "This world's admin token (shown this once only): "))) code.token { (token) } }
                                p.note { (t(("管理コンソールとQA APIはこのトークンで開けます。", "It opens this world's admin console and QA API."))) }
                            }
                        }
                    }
                    @if expired { p.note { (ctx.t(text::SESSION_EXPIRED)) } }
                    p.lead { (t((
                        "garakeは2000年代のNTTドコモのiモードを再現するサーバーです。携帯電話が見たメニュー、iモードパスワードで守られた設定、iモードメール、コンテンツプロバイダのサイトへのゲートウェイを、実機も回線もなしで試せます。",
                        "garake plays NTT docomo's i-mode carrier portal of the 2000s: the menus a feature phone showed, the settings guarded by the i-mode password, i-mode mail between lines, and the gateway to content providers' sites, all without a real handset or carrier.",
                    ))) }
                    p {
                        a.button href="/emulator" { (t(("ハンドセット エミュレータを開く", "Open the handset emulator"))) }
                    }
                    p { (t((
                        "エミュレータは折りたたみ携帯の画面とキーパッドでこのページを表示し、ページの大きさ、パケット代（円）、読み込み時間（秒）を機種ごとに示します。",
                        "The emulator shows these pages on a flip phone with a keypad, and for each page its size, what its packets cost in yen and how many seconds it took on that handset's network.",
                    ))) }
                    h2 { (t(("回線を選んで電源を入れる", "Or power on as a line, in this browser"))) }
                    p.langs {
                        (ctx.t(text::LANGUAGE)) ": "
                        a href="/?lang=ja" { "日本語" }
                        a href="/?lang=en" { "English" }
                    }
                    @if lines.is_empty() {
                        p { (ctx.t(text::NO_LINES)) }
                    } @else {
                        ul.lines {
                            @for l in lines {
                                li { a href={ "/on/" (l.msisdn) "?lang=" (ctx.lang.code()) } {
                                    (l.msisdn.display()) " " (ctx.lang.pick(&l.name_ja, &l.name_en))
                                } }
                            }
                        }
                    }
                    @if prev.is_some() || next.is_some() {
                        p {
                            @if let Some(href) = prev { a href=(href) { "← " (ctx.t(text::BACK)) } " " }
                            @if let Some(href) = next { a href=(href) { (ctx.t(text::NEXT)) " →" } }
                        }
                    }
                    @if let Where::Default { offer_demo: true } = place {
                        h2 { (t(("プライベートデモ", "A private demo"))) }
                        p { (t((
                            "自分だけのシミュレーション（ワールド）を作ります。そこでの操作はほかの訪問者に見えず、影響もしません。",
                            "Makes a simulated carrier of your own (a world): nothing you do there shows to other visitors or changes anything for them.",
                        ))) }
                        form method="post" action=(DEMO_PATH) {
                            button.button type="submit" { (t(("プライベートデモを始める", "Start a private demo"))) }
                        }
                    }
                    h2 { (t(("PC向けサイトとツール", "PC sites and tools"))) }
                    ul {
                        li { a href="/mydocomo" { "My docomo" } " — " (t(("dアカウントでiモードパスワードをリセット", "reset the i-mode password with a d ACCOUNT"))) }
                        li { a href="/shop" { (t(("ドコモショップ", "docomo Shop"))) } " — " (t(("店頭スタッフの画面", "the shop counter, for staff"))) }
                        li { a href="/partners" { (t(("提携サイト", "Partner sites"))) } " — " (t(("会員サイトのパスワード再設定", "member sites and their password recovery"))) }
                        li { a href="/admin" { (t(("管理コンソール", "Admin console"))) } " — " (t(("起動時に表示された管理トークンでログイン", "log in with the admin token the server printed at start"))) }
                    }
                    p.note { (t((
                        "このページは、携帯電話が電源を入れたときに見るページのPC版です。シミュレートするのはドコモの携帯電話だけで、ほかの携帯電話やブラウザにはPC用のページ（UTF-8）を返します。",
                        "This is the page a handset sees when it powers on, laid out for a PC. Only docomo handsets are simulated: any other phone or browser gets the pages in UTF-8, as a PC does.",
                    ))) }
                }
            }
        }
    }
}
