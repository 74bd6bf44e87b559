//! The iMenu tree as handsets see it.

use std::collections::{BTreeSet, VecDeque};

use axum::http::StatusCode;

use crate::helpers::*;

#[test]
fn the_shipped_menus_are_valid_in_the_folder_and_built_in() {
    let folder = garake::menu::Folder::new(shipped_menus());
    for source in [
        &folder as &dyn garake::menu::MenuSource,
        &garake::menu::Builtin,
    ] {
        let menu = garake::menu::Menu::load(source, &garake::web::KNOWN).unwrap();
        assert_eq!(menu.root, "imenu");
        garake::recovery::config::Partners::load(source).unwrap();
        garake::handset::Catalogue::load(source).unwrap();
    }
}

#[tokio::test]
async fn the_seed_path_to_change_the_password_can_be_clicked_through() {
    let app = TestApp::new().await;
    let handset = app.handset_lang(TARO, P501I, "en").await;
    let imenu = handset.node("imenu").await;
    let support = handset.get(&imenu.link("Customer support")).await;
    let settings = handset
        .get(&support.link("Various settings [confirm, change, use]"))
        .await;
    let form = handset.get(&settings.link("Change i-mode password")).await;
    assert_eq!(form.status, StatusCode::OK);
    for field in [
        "name=\"pin\"",
        "name=\"new_pin\"",
        "name=\"new_pin_confirm\"",
    ] {
        assert!(form.text.contains(field), "{field} missing:\n{}", form.text);
    }
}

#[tokio::test]
async fn the_japanese_labels_follow_the_seed() {
    let app = TestApp::new().await;
    let handset = app.handset(TARO, P501I).await;
    let imenu = handset.node("imenu").await;
    let support = handset.get(&imenu.link("お客様サポート")).await;
    let settings = handset
        .get(&support.link("各種設定（確認・変更・利用）"))
        .await;
    assert!(settings.text.contains("iモードパスワード変更"));
    let procedures = handset.get(&support.link("各種お申込・お手続き")).await;
    let online = handset
        .get(&procedures.link("ドコモオンライン手続き"))
        .await;
    let reset = handset.get(&online.link("iモードパスワードリセット")).await;
    assert!(
        reset.text.contains("name=\"network_pin\""),
        "{}",
        reset.text
    );
}

#[tokio::test]
async fn various_settings_shows_the_lines_current_settings() {
    let app = TestApp::new().await;
    let hanako = app
        .handset_lang(HANAKO, P501I, "en")
        .await
        .node("settings")
        .await;
    assert!(
        hanako
            .text
            .contains("Mail address:09012340002@docomo.ne.jp"),
        "{}",
        hanako.text
    );
    assert!(
        hanako
            .text
            .contains("Mail rejection:Receive designated(1 entries)"),
        "{}",
        hanako.text
    );
    assert!(hanako.text.contains("Secret code:Registered"));
    let ichiro = app
        .handset_lang(ICHIRO, P501I, "en")
        .await
        .node("settings")
        .await;
    assert!(
        ichiro.text.contains("Mail functions:Suspended"),
        "{}",
        ichiro.text
    );
    assert!(ichiro.text.contains("Secret code:Not registered"));
    // Read-only: the panel offers no form.
    assert!(!hanako.text.contains("<form"));
}

/// Crawls every page reachable by GET from the power-on page as `ua`.
async fn crawl(app: &TestApp, ua: &str) -> Vec<(String, Resp)> {
    let mut seen = BTreeSet::new();
    let mut queue = VecDeque::from(["/?lang=ja".to_string(), "/?lang=en".to_string()]);
    let mut pages = Vec::new();
    while let Some(path) = queue.pop_front() {
        if !seen.insert(path.clone()) {
            continue;
        }
        let mut r = app.get(&path, ua).await;
        if r.status == StatusCode::SEE_OTHER {
            let next = r.location();
            r = app.get(&next, ua).await;
        }
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
        for (href, _) in links(&r.text) {
            // The PC sites (My docomo, the shop) are not handset pages.
            if href.starts_with("/mydocomo")
                || href.starts_with("/shop")
                || href.starts_with("/partners")
            {
                continue;
            }
            if !seen.contains(&href) {
                queue.push_back(href);
            }
        }
        pages.push((path, r));
    }
    pages
}

#[tokio::test]
async fn every_built_in_page_for_p501i_is_at_most_2048_bytes_and_plain_chtml() {
    let app = TestApp::new().await;
    let pages = crawl(&app, P501I).await;
    assert!(pages.len() >= 10, "crawled only {} pages", pages.len());
    for (path, page) in &pages {
        assert!(
            page.bytes.len() <= 2048,
            "{path} is {} bytes",
            page.bytes.len()
        );
        let lower = page.text.to_lowercase();
        for banned in [
            "<script", "<style", "<table", "<frame", "<iframe", "<img", "<link", " style=",
        ] {
            assert!(!lower.contains(banned), "{path} contains {banned}");
        }
        assert_eq!(
            page.header("content-type"),
            "text/html; charset=Shift_JIS",
            "{path}"
        );
        assert!(
            page.text
                .contains("content=\"text/html; charset=Shift_JIS\""),
            "{path}: meta"
        );
    }
    // Every node of the tree was reached, in both languages.
    let menu = garake::menu::Menu::load(
        &garake::menu::Folder::new(shipped_menus()),
        &garake::web::KNOWN,
    )
    .unwrap();
    for node in menu.nodes() {
        let target = match &node.action {
            Some(a) => match a.strip_prefix("site:") {
                Some(site) => format!("/site/{site}"),
                None => format!("/a/{a}"),
            },
            None => format!("/m/{}", node.id),
        };
        assert!(
            pages.iter().any(|(p, _)| p.ends_with(&target)),
            "{target} never reached"
        );
    }
}

#[tokio::test]
async fn every_menu_link_has_an_access_key_shown_before_its_label() {
    let app = TestApp::new().await;
    let handset = app.handset(TARO, P501I).await;
    for node in [
        "imenu",
        "support",
        "settings",
        "procedures",
        "online-application",
    ] {
        let page = handset.node(node).await;
        let anchors: Vec<&str> = page.text.split("<a ").skip(1).collect();
        assert!(!anchors.is_empty());
        for a in anchors {
            let key = a.split("accesskey=\"").nth(1).map(|s| &s[..1]);
            let key = key.unwrap_or_else(|| panic!("{node}: link without accesskey: {a}"));
            let label = garake::handset::Profile::from_user_agent(P501I)
                .key_label(key.chars().next().unwrap());
            assert!(
                a.contains(&format!(">{label}")),
                "{node}: key label missing: {a}"
            );
        }
    }
}

#[tokio::test]
async fn pages_are_shift_jis_for_docomo_and_utf8_for_a_pc() {
    let app = TestApp::new().await;
    let docomo = app.get("/", "DoCoMo/2.0 P903i(c100;TB;W24H12)").await;
    assert_eq!(
        docomo.header("content-type"),
        "text/html; charset=Shift_JIS"
    );
    let pc = app.get("/?lang=ja", PC).await;
    assert_eq!(pc.header("content-type"), "text/html; charset=UTF-8");
    assert!(pc.text.contains("content=\"text/html; charset=UTF-8\""));
    assert!(std::str::from_utf8(&pc.bytes)
        .unwrap()
        .contains("ドコモ太郎"));
}

#[tokio::test]
async fn handsets_with_pictograms_get_docomo_keycaps() {
    let app = TestApp::new().await;
    let handset = app.handset(TARO, "DoCoMo/2.0 P903i(c100;TB;W24H12)").await;
    let imenu = handset.node("imenu").await;
    // The keycap 1 pictogram is F987 in Shift_JIS.
    assert!(
        imenu.bytes.windows(2).any(|w| w == [0xF9, 0x87]),
        "{}",
        imenu.text
    );
    assert!(!imenu.text.contains("[1]"));
}

fn long_menu(n: usize) -> String {
    let long = "とても長い名前の".repeat(12);
    let mut text = String::from(
        "root = \"top\"\n\n[[node]]\nid = \"top\"\nja = \"トップ\"\nen = \"Top\"\nchildren = [",
    );
    text.push_str(
        &(0..n)
            .map(|i| format!("\"c{i}\""))
            .collect::<Vec<_>>()
            .join(", "),
    );
    text.push_str("]\n");
    for i in 0..n {
        text.push_str(&format!(
            "\n[[node]]\nid = \"c{i}\"\nja = \"{long}項目その{i}番目です\"\nen = \"A rather long entry label that goes on and on, number {i}\"\nchildren = [\"pw\"]\n"
        ));
    }
    text.push_str("\n[[node]]\nid = \"pw\"\nja = \"パスワード\"\nen = \"Password\"\naction = \"change-imode-password\"\n");
    text.push_str("\n[[node]]\nid = \"rs\"\nja = \"リセット\"\nen = \"Reset\"\naction = \"reset-imode-password\"\n");
    text.replace("children = [\"pw\"]\n", "children = [\"pw\", \"rs\"]\n")
}

#[tokio::test]
async fn a_list_too_long_for_the_budget_is_paged_with_next_and_back() {
    let dir = menu_dir(&[("tree.toml", &long_menu(30))]);
    let path = dir.path().to_path_buf();
    let app = TestApp::with(move |c| c.menus = Some(path)).await;
    let handset = app.handset(TARO, P501I).await;
    let mut page = handset.node("top").await;
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        pages += 1;
        assert!(
            page.bytes.len() <= 2048,
            "page {pages} is {} bytes",
            page.bytes.len()
        );
        for (_, label) in links(&page.text) {
            if let Some(i) = label.split("その").nth(1) {
                seen.push(i.trim_end_matches("番目です").parse::<usize>().unwrap());
            }
        }
        if pages > 1 {
            assert!(
                page.text.contains("accesskey=\"*\">[*]戻る"),
                "{}",
                page.text
            );
        }
        if !page.text.contains("accesskey=\"#\"") {
            break;
        }
        assert!(page.text.contains("[#]次へ"));
        page = handset.get(&page.link("[#]")).await;
    }
    assert!(
        pages >= 3,
        "30 long entries need several pages, got {pages}"
    );
    assert_eq!(
        seen,
        (0..30).collect::<Vec<_>>(),
        "every entry once, in order, none cut"
    );
    // A page number past the end is a 404, not an empty page.
    assert_eq!(
        handset
            .get(&format!("/s/{}/m/top?p=99", handset.sid))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_big_handset_gets_the_same_list_on_fewer_pages() {
    let dir = menu_dir(&[("tree.toml", &long_menu(8))]);
    let path = dir.path().to_path_buf();
    let app = TestApp::with(move |c| c.menus = Some(path)).await;
    let small = app.handset(TARO, P501I).await.node("top").await;
    let big = app
        .handset(TARO, "DoCoMo/1.0/N505i/c20/TB/W20H10")
        .await
        .node("top")
        .await;
    assert!(
        small.text.contains("accesskey=\"#\""),
        "8 long entries overflow 2 KB"
    );
    assert!(!big.text.contains("accesskey=\"#\""), "but fit in 20 KB");
}

/// One GET through the router alone (no cached-page front).
async fn via_router(router: &axum::Router, path: &str, ua: &str) -> Resp {
    let req = axum::http::Request::get(path)
        .header("user-agent", ua)
        .body(axum::body::Body::empty())
        .unwrap();
    respond(router.clone(), req).await
}

#[tokio::test]
async fn cached_menu_pages_are_byte_identical_to_the_rendered_ones() {
    let app = TestApp::new().await;
    let router = garake::web::router(app.state.clone());
    let plain: Vec<String> = app
        .state
        .menu
        .nodes()
        .filter(|n| n.action.is_none() && n.panel.is_none())
        .map(|n| n.id.clone())
        .collect();
    assert!(plain.len() > 5, "{plain:?}");
    let mut compared = 0;
    for name in ["P501i", "P503i", "N505i", "P903i", "P-07B", "PC"] {
        let profile = app.state.handsets.by_name(name).unwrap();
        let ua = profile.user_agent.as_str();
        for lang in ["ja", "en"] {
            let handset = app.handset_lang(TARO, ua, lang).await;
            for node in &plain {
                for query in ["", "?p=2", "?p=9", "?p=x", "?p=%32"] {
                    let path = format!("/s/{}/m/{node}{query}", handset.sid);
                    let rendered = via_router(&router, &path, ua).await;
                    // The first request through the app may render; the second
                    // is answered from the cache when the page exists. Both
                    // carry the same headers.
                    let mut answers = Vec::new();
                    for _ in 0..2 {
                        let r = handset.get(&path).await;
                        answers.push(r.clone());
                        assert_same_answer(&r, &rendered, &format!("{ua} {path}"));
                    }
                    // Every header, in the same order, but the clock's and the length.
                    assert_eq!(
                        answers[0].headers_but_clock_and_length(),
                        answers[1].headers_but_clock_and_length(),
                        "{ua} {path}"
                    );
                    if answers[0].status == StatusCode::OK {
                        assert_eq!(
                            answers[1].header("content-security-policy"),
                            garake::web::headers::HANDSET_CSP
                        );
                    }
                    compared += 1;
                }
            }
        }
    }
    assert!(compared > 100);
    // An unknown session gets the router's answer, not a cached page.
    let r = app
        .get("/s/00000000000000000000000000000000/m/imenu", P501I)
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn cached_menu_pages_keep_the_session_alive_like_any_page() {
    let app = TestApp::new().await;
    let handset = app.handset(TARO, P501I).await;
    assert_eq!(handset.node("imenu").await.status, StatusCode::OK);
    for _ in 0..3 {
        // 3 × 20 minutes: past the 30-minute idle limit only if a cached page
        // did not count as activity.
        app.state.clock.advance(20 * 60).unwrap();
        assert_eq!(handset.node("imenu").await.status, StatusCode::OK);
    }
    app.state.clock.advance(31 * 60).unwrap();
    assert_eq!(handset.node("imenu").await.status, StatusCode::SEE_OTHER);
}
