//! `garake replay` against the real server: a passing scenario, failing ones
//! (a missing link, a missing field, a wrong expectation) with what the page
//! had, scenarios that would collide in one world replayed at once, the
//! JUnit report, and the exits for a file that does not read, an unreachable
//! server and a wrong token.

use std::path::{Path, PathBuf};

use super::binary::Server;
use super::helpers::TOKEN;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Runs `garake replay` in-process; (exit code, stdout, stderr).
fn replay(
    paths: &[PathBuf],
    base: &str,
    token: &str,
    jobs: usize,
    junit: Option<&Path>,
) -> (u8, String, String) {
    let pages = tempfile::tempdir().unwrap();
    let menus = garake::menu::source(None);
    let cmd = garake::scenario::run::Command {
        paths,
        options: garake::scenario::run::Options {
            base: base.to_string(),
            admin_token: token.to_string(),
            jobs,
            pages: pages.path().to_path_buf(),
        },
        junit,
        menus: menus.as_ref(),
    };
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = garake::scenario::run::command(&cmd, &mut out, &mut err);
    // A failing page is written where the output says.
    let out = String::from_utf8(out).unwrap();
    if let Some(line) = out.lines().find(|l| l.contains("the page: ")) {
        let file = line.split("the page: ").nth(1).unwrap().trim();
        assert!(Path::new(file).exists(), "{file} was not written");
        assert!(std::fs::metadata(file).unwrap().len() > 0);
    }
    (code, out, String::from_utf8(err).unwrap())
}

const LOCK_TARO: &str = r#"
name = "Taro locks his password"
profile = "P503i"
line = "09012340001"
lang = "en"

[[step]]
follow = "Customer support"
[[step]]
key = "1"
[[step]]
follow = "Change i-mode password"
[[step]]
submit = { pin = "1111", new_pin = "2222", new_pin_confirm = "2222" }
status = 403
[[step]]
submit = { pin = "1111", new_pin = "2222", new_pin_confirm = "2222" }
status = 403
[[step]]
submit = { pin = "1111", new_pin = "2222", new_pin_confirm = "2222" }
status = 403
expect = ["locked until midnight"]
"#;

const CHANGE_TARO: &str = r#"
name = "Taro changes his password"
profile = "P503i"
line = "09012340001"
lang = "en"

[[step]]
follow = "Customer support"
[[step]]
follow = "Various settings"
[[step]]
follow = "Change i-mode password"
[[step]]
submit = { pin = "0000", new_pin = "1234", new_pin_confirm = "1234" }
status = 200
expect = ["Your i-mode password has been changed."]
"#;

#[test]
fn scenarios_that_would_collide_in_one_world_pass_side_by_side() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("g.db"));
    let base = format!("http://{}", server.addr);
    let files = tempfile::tempdir().unwrap();
    // Four lockouts and four changes of the same line's password at once:
    // in one world, the lockouts would break the changes.
    let mut paths = Vec::new();
    for i in 0..4 {
        paths.push(write(files.path(), &format!("lock-{i}.toml"), LOCK_TARO));
        paths.push(write(
            files.path(),
            &format!("change-{i}.toml"),
            CHANGE_TARO,
        ));
    }
    let junit = files.path().join("report.xml");
    let (code, out, err) = replay(&[files.path().to_path_buf()], &base, TOKEN, 4, Some(&junit));
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("8 passed, 0 failed"), "{out}");
    assert!(out.contains("[8/8]"), "a progress count: {out}");
    assert!(out.contains("✓  4 submit"), "one line per step: {out}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains(r#"tests="8" failures="0""#), "{xml}");
    assert_eq!(xml.matches("<testcase ").count(), 8);
    // Each world was deleted afterwards, and the default world was never touched.
    let (_, _, worlds) = server.send_with(
        "GET",
        "/api/worlds",
        &format!("Authorization: Bearer {TOKEN}\r\n"),
        "",
    );
    let worlds: serde_json::Value = serde_json::from_slice(&worlds).unwrap();
    assert_eq!(worlds["worlds"], serde_json::json!([]));
    let (_, _, line) = server.send_with(
        "GET",
        "/api/lines/09012340001",
        &format!("Authorization: Bearer {TOKEN}\r\n"),
        "",
    );
    let line: serde_json::Value = serde_json::from_slice(&line).unwrap();
    assert_eq!(line["pin_locked"], false);
}

#[test]
fn a_failing_step_says_what_the_page_had() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("g.db"));
    let base = format!("http://{}", server.addr);
    let files = tempfile::tempdir().unwrap();
    let no_link = write(
        files.path(),
        "no-link.toml",
        "name = \"n\"\nprofile = \"P503i\"\nline = \"09012340001\"\nlang = \"en\"\n[[step]]\nfollow = \"Weather\"\n",
    );
    let no_field = write(
        files.path(),
        "no-field.toml",
        "name = \"f\"\nprofile = \"P503i\"\nline = \"09012340001\"\nlang = \"en\"\n[[step]]\nfollow = \"Customer support\"\n[[step]]\nfollow = \"Various settings\"\n[[step]]\nfollow = \"Change i-mode password\"\n[[step]]\nsubmit = { pin = \"0000\", colour = \"red\" }\n",
    );
    let wrong = write(
        files.path(),
        "wrong.toml",
        "name = \"w\"\nprofile = \"P503i\"\nline = \"09012340001\"\nlang = \"en\"\n[[step]]\nkey = \"5\"\nexpect = [\"Nothing like this\"]\n",
    );
    let no_key = write(
        files.path(),
        "no-key.toml",
        "name = \"k\"\nprofile = \"P503i\"\nline = \"09012340001\"\nlang = \"en\"\n[[step]]\nkey = \"9\"\n",
    );
    let junit = files.path().join("report.xml");
    let (code, out, _) = replay(
        &[no_link, no_field, wrong, no_key],
        &base,
        TOKEN,
        2,
        Some(&junit),
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("0 passed, 4 failed"), "{out}");
    assert!(
        out.contains(r#"no link whose text contains "Weather"; the links there:"#),
        "{out}"
    );
    assert!(
        out.contains("Customer support"),
        "the links that were there: {out}"
    );
    assert!(
        out.contains("the form has no field `colour` (its fields: "),
        "{out}"
    );
    assert!(out.contains("new_pin"), "the fields that were there: {out}");
    assert!(
        out.contains("no link with access key 9; the keys there:"),
        "{out}"
    );
    assert!(
        out.contains(r#"expected "Nothing like this" in the page"#),
        "{out}"
    );
    assert!(out.contains("the page shows: "), "{out}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert_eq!(xml.matches("<failure ").count(), 4, "{xml}");
}

#[test]
fn a_file_that_does_not_read_stops_everything_with_every_problem() {
    let files = tempfile::tempdir().unwrap();
    let bad = write(
        files.path(),
        "bad.toml",
        "name = \"b\"\nprofile = \"Nokia\"\n[[step]]\nfollow = \"a\"\nopen = \"/b\"\n",
    );
    let also = write(files.path(), "also.toml", "name = \"c\"\n");
    // Nothing is contacted: the base does not even answer.
    let (code, _, err) = replay(&[bad, also], "http://127.0.0.1:9", TOKEN, 1, None);
    assert_eq!(code, 2);
    assert!(err.contains("bad.toml:2:"), "{err}");
    assert!(err.contains("bad.toml:3:"), "{err}");
    assert!(err.contains("also.toml:"), "{err}");
}

#[test]
fn an_unreachable_server_or_a_wrong_token_is_one_clear_line() {
    let files = tempfile::tempdir().unwrap();
    let ok = write(files.path(), "ok.toml", CHANGE_TARO);
    let (code, _, err) = replay(
        std::slice::from_ref(&ok),
        "http://127.0.0.1:9",
        TOKEN,
        1,
        None,
    );
    assert_eq!(code, 2);
    assert!(
        err.starts_with("garake replay: cannot reach http://127.0.0.1:9"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("g.db"));
    let (code, _, err) = replay(
        &[ok],
        &format!("http://{}", server.addr),
        "wrong-token-wrong-token",
        1,
        None,
    );
    assert_eq!(code, 2);
    assert!(err.contains("refused the admin token"), "{err}");
}
