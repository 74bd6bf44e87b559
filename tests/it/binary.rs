//! The real binary, spawned on a free port: a P501i handset that never sends
//! cookies, the CLI subcommands, and a clean shutdown.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

use crate::helpers::*;

const BIN: &str = env!("CARGO_BIN_EXE_garake");

/// A spawned `garake serve` (shared with the durability tests).
pub struct Server {
    pub child: Child,
    pub addr: String,
}

impl Server {
    /// Starts `garake serve` on port 0 and reads the address it printed.
    pub fn start(db: &std::path::Path) -> Server {
        Server::start_with(db, &[])
    }

    /// The same with more flags.
    pub fn start_with(db: &std::path::Path, flags: &[&str]) -> Server {
        Server::start_on(db, shipped_menus(), flags)
    }

    /// The same with the menu files of `menus`.
    pub fn start_on(db: &std::path::Path, menus: &std::path::Path, flags: &[&str]) -> Server {
        let mut command = Command::new(BIN);
        command
            .args(["serve", "--addr", "127.0.0.1:0", "--admin-token", TOKEN])
            .arg("--db")
            .arg(db)
            .arg("--menus")
            .arg(menus)
            .args(flags);
        Server::spawn(command)
    }

    /// `garake serve` on port 0 started in `dir` (its working directory), with
    /// only `flags` besides the address and the admin token: no database and
    /// no menu folder unless they name them.
    pub fn start_in(dir: &std::path::Path, flags: &[&str]) -> Server {
        let mut command = garake_in(dir);
        command
            .args(["serve", "--addr", "127.0.0.1:0", "--admin-token", TOKEN])
            .args(flags);
        Server::spawn(command)
    }

    fn spawn(mut command: Command) -> Server {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines.next().unwrap().unwrap();
        let addr = first
            .trim_start_matches("garake listening on http://")
            .to_string();
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Server { child, addr }
    }

    /// One HTTP/1.1 request on a fresh connection, exactly as a handset without
    /// cookies would send it. Returns (status, headers, body bytes).
    pub fn send(&self, method: &str, path: &str, body: &str) -> (u16, String, Vec<u8>) {
        self.send_with(
            method,
            path,
            "Content-Type: application/x-www-form-urlencoded\r\n",
            body,
        )
    }

    /// The same with other headers (each ending in CRLF).
    pub fn send_with(
        &self,
        method: &str,
        path: &str,
        headers: &str,
        body: &str,
    ) -> (u16, String, Vec<u8>) {
        let mut stream = TcpStream::connect(&self.addr).unwrap();
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nUser-Agent: {P501I}\r\nConnection: close\r\n\
             {headers}Content-Length: {}\r\n\r\n{body}",
            self.addr,
            body.len()
        )
        .unwrap();
        read_response(stream)
    }

    pub fn page(&self, path: &str) -> (u16, String, String) {
        let (status, head, body) = self.send("GET", path, "");
        (
            status,
            head,
            encoding_rs::SHIFT_JIS.decode(&body).0.into_owned(),
        )
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `garake` run in `dir`, with no menu folder from the environment.
fn garake_in(dir: &std::path::Path) -> Command {
    let mut command = Command::new(BIN);
    command.current_dir(dir).env_remove("GARAKE_MENUS");
    command
}

fn read_response(mut stream: TcpStream) -> (u16, String, Vec<u8>) {
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete response");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, head, raw[split + 4..].to_vec())
}

fn header<'a>(head: &'a str, name: &str) -> &'a str {
    head.lines()
        .find_map(|l| {
            l.split_once(':')
                .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.trim())
        })
        .unwrap_or("")
}

fn link(html: &str, label: &str) -> String {
    links(html)
        .into_iter()
        .find(|(_, text)| text.contains(label))
        .map(|(href, _)| href)
        .unwrap_or_else(|| panic!("no link {label:?} in {html}"))
}

fn token(html: &str) -> String {
    let at = html.find("name=\"ft\" value=\"").unwrap() + 17;
    html[at..at + html[at..].find('"').unwrap()].to_string()
}

#[test]
fn a_p501i_handset_clicks_to_the_password_page_and_changes_it_on_the_real_server() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("g.db"));

    let (_, _, power_on) = server.page("/");
    let (status, head, _) = server.send("GET", &link(&power_on, "ドコモ太郎"), "");
    assert_eq!(status, 303);
    assert!(!head.to_lowercase().contains("set-cookie"));
    let (_, _, imenu) = server.page(header(&head, "location"));
    let (_, _, support) = server.page(&link(&imenu, "お客様サポート"));
    let (_, _, settings) = server.page(&link(&support, "各種設定"));
    let form_path = link(&settings, "iモードパスワード変更");
    let (status, head, form) = server.page(&form_path);
    assert_eq!(status, 200);
    assert_eq!(
        header(&head, "content-type"),
        "text/html; charset=Shift_JIS"
    );
    assert!(form.len() <= 2048);

    let body = format!(
        "pin=0000&new_pin=8642&new_pin_confirm=8642&ft={}",
        token(&form)
    );
    let (status, _, done) = server.send("POST", &form_path, &body);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&done));

    // The old password no longer works; the new one does.
    let (_, _, form) = server.page(&form_path);
    let body = format!(
        "pin=0000&new_pin=1111&new_pin_confirm=1111&ft={}",
        token(&form)
    );
    assert_eq!(server.send("POST", &form_path, &body).0, 403);
    let (_, _, form) = server.page(&form_path);
    let body = format!(
        "pin=8642&new_pin=1111&new_pin_confirm=1111&ft={}",
        token(&form)
    );
    assert_eq!(server.send("POST", &form_path, &body).0, 200);
}

#[test]
fn sigterm_lets_an_in_flight_request_finish_and_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(&dir.path().join("g.db"));
    let (_, head, _) = server.send("GET", "/on/09012340001", "");
    let form_path = header(&head, "location").replace("/m/imenu", "/a/change-imode-password");
    let (_, _, form) = server.page(&form_path);
    let body = format!(
        "pin=0000&new_pin=2468&new_pin_confirm=2468&ft={}",
        token(&form)
    );

    // Send a password change (an Argon2 check and hash), then SIGTERM at once.
    let mut stream = TcpStream::connect(&server.addr).unwrap();
    write!(
        stream,
        "POST {form_path} HTTP/1.1\r\nHost: x\r\nUser-Agent: {P501I}\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(15));
    let killed = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let (status, _, _) = read_response(stream);
    assert_eq!(status, 200, "the in-flight change was answered");
    let exit = server.child.wait().unwrap();
    assert!(exit.success(), "exit status {exit:?}");

    // And it was really applied: after a restart the new password works.
    let server = Server::start(&dir.path().join("g.db"));
    let (_, head, _) = server.send("GET", "/on/09012340001", "");
    let path = header(&head, "location").replace("/m/imenu", "/a/change-imode-password");
    let (_, _, form) = server.page(&path);
    let body = format!(
        "pin=2468&new_pin=0000&new_pin_confirm=0000&ft={}",
        token(&form)
    );
    assert_eq!(server.send("POST", &path, &body).0, 200);
}

/// A connection that got one answer (`GET /`, 200) and stays open.
fn answered_once(addr: &str) -> TcpStream {
    let mut idle = TcpStream::connect(addr).unwrap();
    write!(
        idle,
        "GET / HTTP/1.1\r\nHost: x\r\nUser-Agent: {P501I}\r\n\r\n"
    )
    .unwrap();
    let mut first = [0u8; 12];
    idle.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");
    idle
}

/// A connection that stopped in the middle of a request head.
fn half_head(addr: &str) -> TcpStream {
    let mut half = TcpStream::connect(addr).unwrap();
    write!(half, "GET / HTTP/1.1\r\nHost: x\r\nUser-Ag").unwrap();
    half
}

#[test]
fn sigterm_is_not_held_up_by_idle_or_stalled_connections() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(&dir.path().join("g.db"));
    // An idle keep-alive connection after one answered request ...
    let idle = answered_once(&server.addr);
    // ... and one that stopped in the middle of a request head.
    let stalled = half_head(&server.addr);
    std::thread::sleep(std::time::Duration::from_millis(100));
    let asked = std::time::Instant::now();
    let killed = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let exit = server.child.wait().unwrap();
    assert!(exit.success(), "exit status {exit:?}");
    let took = asked.elapsed();
    assert!(
        took < std::time::Duration::from_secs(20),
        "shutdown waited {took:?}: the grace period is 12 s by default"
    );
    drop((idle, stalled));
}

#[test]
fn an_existing_database_is_never_re_seeded_and_reset_restores_the_fixtures() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    drop(Server::start(&db));
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute("DELETE FROM lines WHERE msisdn = '09012340003'", [])
        .unwrap();
    drop(conn);

    let server = Server::start(&db);
    let (_, _, power_on) = server.page("/");
    assert!(
        power_on.contains("ドコモ太郎") && !power_on.contains("鈴木一郎"),
        "not re-seeded"
    );
    drop(server);

    let out = Command::new(BIN)
        .args(["reset", "--db"])
        .arg(&db)
        .arg("--menus")
        .arg(shipped_menus())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let server = Server::start(&db);
    assert!(
        server.page("/").2.contains("鈴木一郎"),
        "reset restored the fixtures"
    );
}

/// The iMenu page a P501i handset reaches by powering on as Taro.
fn imenu_of(server: &Server) -> String {
    let (status, head, _) = server.send("GET", "/on/09012340001", "");
    assert_eq!(status, 303, "{head}");
    let (status, _, imenu) = server.page(header(&head, "location"));
    assert_eq!(status, 200, "{imenu}");
    imenu
}

#[test]
fn serve_from_an_empty_directory_answers_imenu_with_the_built_in_menus() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_in(dir.path(), &["--db", ":memory:"]);

    let imenu = imenu_of(&server);
    for label in ["マイメニュー", "メニューリスト", "メール", "お客様サポート"]
    {
        assert!(imenu.contains(label), "{label} missing from:\n{imenu}");
    }
    // walk, from the same empty directory, knows the built-in nodes too.
    let out = garake_in(dir.path())
        .args(["walk", "--base", &format!("http://{}", server.addr)])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("menu nodes never reached: 0"), "{stdout}");
    assert!(
        std::fs::read_dir(dir.path()).unwrap().next().is_none(),
        "nothing was written beside it"
    );
}

#[test]
fn check_without_menus_checks_the_built_in_set() {
    let dir = tempfile::tempdir().unwrap();
    let out = garake_in(dir.path()).arg("check").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.starts_with("(built-in): ok ("), "{stdout}");
    assert!(stdout.contains(" 3 partner sites, "), "{stdout}");
}

#[test]
fn menus_export_writes_the_built_in_files_and_check_accepts_them() {
    let dir = tempfile::tempdir().unwrap();
    let out = garake_in(dir.path())
        .args(["menus", "export", "custom"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    for file in [
        "handsets.toml",
        "imenu.toml",
        "sites.toml",
        "partners/ims.toml",
        "partners/koku.toml",
        "partners/plus-member.toml",
    ] {
        assert!(
            stdout.lines().any(|l| l == format!("wrote custom/{file}")),
            "{file} not listed in:\n{stdout}"
        );
        assert_eq!(
            std::fs::read(dir.path().join("custom").join(file)).unwrap(),
            std::fs::read(shipped_menus().join(file)).unwrap(),
            "{file}"
        );
    }
    assert_eq!(stdout.lines().count(), 6, "{stdout}");

    let out = garake_in(dir.path())
        .args(["check", "--menus", "custom"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.starts_with("custom: ok ("), "{stdout}");
}

#[test]
fn serve_with_menus_uses_a_changed_exported_file() {
    let dir = tempfile::tempdir().unwrap();
    let export = garake_in(dir.path())
        .args(["menus", "export", "custom"])
        .output()
        .unwrap();
    assert!(export.status.success());
    let imenu_toml = dir.path().join("custom/imenu.toml");
    let text = std::fs::read_to_string(&imenu_toml).unwrap();
    std::fs::write(
        &imenu_toml,
        text.replace("ja = \"お客様サポート\"", "ja = \"サポート窓口\""),
    )
    .unwrap();

    let server = Server::start_in(dir.path(), &["--db", ":memory:", "--menus", "custom"]);
    let imenu = imenu_of(&server);
    assert!(imenu.contains("サポート窓口"), "{imenu}");
    assert!(!imenu.contains("お客様サポート"), "{imenu}");
    drop(server);

    // Without --menus the built-in label is back.
    let server = Server::start_in(dir.path(), &["--db", ":memory:"]);
    assert!(imenu_of(&server).contains("お客様サポート"));
}

#[test]
fn menus_export_refuses_to_overwrite_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let export = |flags: &[&str]| {
        garake_in(dir.path())
            .args(["menus", "export"])
            .args(flags)
            .output()
            .unwrap()
    };
    assert!(export(&["custom"]).status.success());
    let mine = dir.path().join("custom/imenu.toml");
    std::fs::write(&mine, "# mine\n").unwrap();

    let out = export(&["custom"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("custom/imenu.toml") && stderr.contains("--force"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty(), "nothing written");
    assert_eq!(std::fs::read_to_string(&mine).unwrap(), "# mine\n");

    let out = export(&["--force", "custom"]);
    assert!(out.status.success());
    assert_eq!(
        std::fs::read(&mine).unwrap(),
        std::fs::read(shipped_menus().join("imenu.toml")).unwrap()
    );

    // A folder that cannot be made: one line, exit 1. No folder named: exit 2.
    std::fs::write(dir.path().join("a-file"), "").unwrap();
    let out = export(&["a-file/custom"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("cannot write a-file/custom"), "{stderr}");
    assert_eq!(export(&[]).status.code(), Some(2));
}

#[test]
fn check_accepts_the_shipped_menus() {
    let out = Command::new(BIN)
        .arg("check")
        .arg("--menus")
        .arg(shipped_menus())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

const BROKEN: &str = r#"root = "top"

[[node]]
id = "top"
ja = "トップ"
children = ["a", "ghost"]

[[node]]
id = "a"
ja = "エー"
en = "A"
action = "launch-missiles"
"#;

#[test]
fn check_prints_every_problem_as_file_line_col_and_exits_1() {
    let dir = menu_dir(&[
        ("a.toml", BROKEN),
        (
            "b.toml",
            "[[node]]\nid = \"top\"\nja = \"x\"\nen = \"x\"\nlink = \"a\"\n",
        ),
    ]);
    let out = Command::new(BIN)
        .arg("check")
        .arg("--menus")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let a = dir.path().join("a.toml").display().to_string();
    let b = dir.path().join("b.toml").display().to_string();
    let expected = [
        format!("{a}:4:6: node `top` has no `en` label"),
        format!("{a}:6:18: dangling link: `top` lists child `ghost`, which is not defined"),
        format!("{a}:12:10: unknown action `launch-missiles`"),
        format!("{b}:2:6: duplicate id `top` (first defined at {a}:4:6)"),
    ];
    for e in &expected {
        assert!(
            stdout.lines().any(|l| l.starts_with(e.as_str())),
            "missing {e:?} in:\n{stdout}"
        );
    }
    assert_eq!(stdout.lines().count(), 4, "{stdout}");
}

#[test]
fn the_server_refuses_to_start_on_invalid_menus_with_the_same_messages() {
    let dir = menu_dir(&[("a.toml", BROKEN)]);
    let db = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["serve", "--addr", "127.0.0.1:0", "--db"])
        .arg(db.path().join("g.db"))
        .arg("--menus")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let check = Command::new(BIN)
        .arg("check")
        .arg("--menus")
        .arg(dir.path())
        .output()
        .unwrap();
    for line in String::from_utf8_lossy(&check.stdout).lines() {
        assert!(stderr.contains(line), "{line:?} missing from:\n{stderr}");
    }
}

#[test]
fn an_unreadable_gateway_ca_stops_the_start_before_anything_is_written() {
    let db = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["serve", "--addr", "127.0.0.1:0", "--gateway-ca"])
        .arg(db.path().join("missing-ca.pem"))
        .arg("--db")
        .arg(db.path().join("g.db"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cannot read the gateway CA file"),
        "{stderr}"
    );
    assert!(!db.path().join("g.db").exists(), "no database created");
}

#[test]
fn walk_crawls_every_page_as_each_profile_and_reports_no_problems() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("g.db"));
    for profile in ["P501i", "P-07B", "PC"] {
        let out = Command::new(BIN)
            .args([
                "walk",
                "--base",
                &format!("http://{}", server.addr),
                "--profile",
                profile,
                "--line",
                "090-1234-0002",
            ])
            .arg("--menus")
            .arg(shipped_menus())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{profile}: {stdout}");
        assert!(
            stdout.contains("/s/{sid}/a/change-imode-password\t"),
            "{stdout}"
        );
        assert!(stdout.contains("menu nodes never reached: 0"));
        let pages: usize = stdout
            .lines()
            .last()
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(pages > 50, "{profile}: only {pages} pages");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("done"),
            "a progress line"
        );
    }
}

/// Runs `garake walk` as `profile` against `addr`: (exit code, stdout).
fn walk_as(addr: &str, profile: &str, menus: &std::path::Path) -> (Option<i32>, String) {
    let out = Command::new(BIN)
        .args([
            "walk",
            "--base",
            &format!("http://{addr}"),
            "--profile",
            profile,
        ])
        .arg("--menus")
        .arg(menus)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn every_model_of_the_catalogue_walks_the_shipped_menus_without_a_problem() {
    // Each model's pages use only what its i-mode HTML version has, fit its
    // cache, decode in its charset and always have a way back.
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("g.db"));
    let catalogue = garake::handset::Catalogue::builtin();
    let mut versions = std::collections::BTreeSet::new();
    for handset in catalogue.handsets() {
        let (code, stdout) = walk_as(&server.addr, &handset.model, shipped_menus());
        assert_eq!(code, Some(0), "{}:\n{stdout}", handset.model);
        let version = &handset.html_version;
        assert!(
            stdout.contains("dead ends: 0\n")
                && stdout.contains(&format!("unknown to HTML {version}: 0\n")),
            "{}: {stdout}",
            handset.model
        );
        versions.insert(version.clone());
    }
    assert!(catalogue.handsets().len() >= 40);
    assert!(versions.len() >= 8, "HTML versions walked: {versions:?}");
}

/// A one-page content provider on a free port: every request gets `page`.
fn provider(page: &'static str) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).is_ok_and(|n| n == 1) {
                head.push(byte[0]);
            }
            let answer = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=Shift_JIS\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
                page.len()
            );
            let _ = stream.write_all(answer.as_bytes());
        }
    });
    addr
}

#[test]
fn walk_reports_a_tag_the_handsets_html_version_lacks_on_a_providers_page() {
    let upstream = provider(
        "<html><head><title>cp</title></head><body><marquee>news</marquee><a href=\"next.html\">next</a></body></html>",
    );
    let menus = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(shipped_menus()).unwrap() {
        let path = entry.unwrap().path();
        if !path.is_file() {
            continue;
        }
        let mut text = std::fs::read_to_string(&path).unwrap();
        if path.ends_with("sites.toml") {
            text = text.replace(
                "children = [\"s-transit\", \"s-gourmet\"]",
                "children = [\"s-transit\", \"s-gourmet\", \"s-cp\"]",
            );
            text.push_str(&format!(
                "\n[[node]]\nid = \"s-cp\"\nja = \"CPサイト\"\nen = \"CP site\"\naction = \"site:cp\"\n\
                 \n[[site]]\nid = \"cp\"\nja = \"CPサイト\"\nen = \"CP site\"\nabout_ja = \"外部\"\nabout_en = \"Outside\"\nupstream = \"http://{upstream}/cp/\"\n"
            ));
        }
        std::fs::write(menus.path().join(path.file_name().unwrap()), text).unwrap();
    }
    let db = tempfile::tempdir().unwrap();
    let server = Server::start_on(&db.path().join("g.db"), menus.path(), &[]);
    let addr = server.addr.clone();
    // <marquee> came with i-mode HTML 2.0: a 501i (1.0) lacks it, a 502i has it.
    let (old, old_out) = walk_as(&addr, "P501i", menus.path());
    let (new, new_out) = walk_as(&addr, "P502i", menus.path());
    drop(server);
    assert_eq!(old, Some(1), "{old_out}");
    assert!(
        old_out.contains("unknown to HTML 1.0: 2\n  <marquee> on /s/{sid}/g/cp/\n"),
        "{old_out}"
    );
    assert!(
        old_out.contains("<marquee> on /s/{sid}/g/cp/next.html"),
        "{old_out}"
    );
    // The provider's page has no link back to iMenu: not a dead end of garake's.
    assert!(old_out.contains("dead ends: 0\n"), "{old_out}");
    assert_eq!(new, Some(0), "{new_out}");
}

/// The shipped menu files with one more site for `upstream`: an unofficial
/// one (reached through iMenu's URL entry), or an official one in the Menu list.
fn menus_with_site(upstream: &str, official: bool) -> tempfile::TempDir {
    let menus = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(shipped_menus()).unwrap() {
        let path = entry.unwrap().path();
        if !path.is_file() {
            continue;
        }
        let mut text = std::fs::read_to_string(&path).unwrap();
        if path.ends_with("sites.toml") {
            if official {
                text = text.replace(
                    "children = [\"s-transit\", \"s-gourmet\"]",
                    "children = [\"s-transit\", \"s-gourmet\", \"s-cp\"]",
                );
                text.push_str("\n[[node]]\nid = \"s-cp\"\nja = \"CPサイト\"\nen = \"CP site\"\naction = \"site:cp\"\n");
            }
            text.push_str(&format!(
                "\n[[site]]\nid = \"cp\"\nja = \"CPサイト\"\nen = \"CP site\"\nabout_ja = \"外部\"\nabout_en = \"Outside\"\nupstream = \"http://{upstream}/cp/\"\nofficial = {official}\n"
            ));
        }
        std::fs::write(menus.path().join(path.file_name().unwrap()), text).unwrap();
    }
    menus
}

/// The pages a walk's output lists (one line per page, before the lists),
/// each with how many times it was fetched (once per language).
fn pages_walked(stdout: &str) -> std::collections::BTreeMap<String, usize> {
    let mut pages = std::collections::BTreeMap::new();
    for line in stdout.lines().filter(|l| l.contains('\t')) {
        let path = line.split('\t').next().unwrap().to_string();
        *pages.entry(path).or_insert(0) += 1;
    }
    pages
}

#[test]
fn walk_with_an_unofficial_site_configured_finds_every_built_in_page() {
    // The URL entry's redirect into the gateway carries no `lang=`: the
    // English session must stay English, or its pages are skipped as seen.
    let upstream = provider(
        "<html><head><title>cp</title></head><body>cp top<br><a href=\"about.html\">about</a></body></html>",
    );
    let menus = menus_with_site(&upstream, false);
    let plain_db = tempfile::tempdir().unwrap();
    let plain = Server::start(&plain_db.path().join("g.db"));
    let with_db = tempfile::tempdir().unwrap();
    let with_site = Server::start_on(&with_db.path().join("g.db"), menus.path(), &[]);
    for profile in ["P501i", "PC"] {
        let (code, base_out) = walk_as(&plain.addr, profile, shipped_menus());
        assert_eq!(code, Some(0), "{profile}: {base_out}");
        let (code, out) = walk_as(&with_site.addr, profile, menus.path());
        assert_eq!(code, Some(0), "{profile}: {out}");
        let (base, found) = (pages_walked(&base_out), pages_walked(&out));
        for (page, times) in &base {
            assert!(
                found.get(page).is_some_and(|n| n >= times),
                "{profile}: {page} fetched {times}× without the site, {:?}× with it:\n{out}",
                found.get(page)
            );
        }
        let total = |o: &str| -> usize {
            o.lines()
                .last()
                .unwrap()
                .split(' ')
                .next()
                .unwrap()
                .parse()
                .unwrap()
        };
        assert!(total(&out) > total(&base_out), "{profile}: {out}");
        assert_eq!(
            found.get("/s/{sid}/g/cp/about.html"),
            Some(&2),
            "{profile}: {out}"
        );
        assert!(out.contains("menu nodes never reached: 0\n"), "{out}");
    }
}

#[test]
fn walk_counts_a_providers_page_too_large_for_the_handset_as_over_budget() {
    let big: &'static str = Box::leak(
        format!(
            "<html><head><title>big</title></head><body>{}</body></html>",
            "x".repeat(6000)
        )
        .into_boxed_str(),
    );
    let upstream = provider(big);
    let menus = menus_with_site(&upstream, true);
    let db = tempfile::tempdir().unwrap();
    let server = Server::start_on(&db.path().join("g.db"), menus.path(), &[]);
    let (code, out) = walk_as(&server.addr, "P501i", menus.path());
    drop(server);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("broken links: 0\n"), "{out}");
    assert!(
        out.contains(
            "over-budget pages: 1\n  /s/{sid}/g/cp/ (6057 > 5120 bytes, the provider's page)\n"
        ),
        "{out}"
    );
}

#[test]
fn walk_reports_an_over_budget_page_and_exits_1() {
    // A menu whose labels are far too long for a P501i page.
    let long = "とても長い名前".repeat(200);
    let tree = format!(
        "root = \"top\"\n[[node]]\nid = \"top\"\nja = \"{long}\"\nen = \"Top\"\nchildren = [\"pw\", \"rs\"]\n\
         [[node]]\nid = \"pw\"\nja = \"パスワード\"\nen = \"Password\"\naction = \"change-imode-password\"\n\
         [[node]]\nid = \"rs\"\nja = \"リセット\"\nen = \"Reset\"\naction = \"reset-imode-password\"\n"
    );
    let menus = menu_dir(&[("tree.toml", &tree)]);
    let db = tempfile::tempdir().unwrap();
    let server = Server::start_on(&db.path().join("g.db"), menus.path(), &[]);
    let addr = server.addr.clone();
    let out = Command::new(BIN)
        .args(["walk", "--base", &format!("http://{addr}")])
        .arg("--menus")
        .arg(menus.path())
        .output()
        .unwrap();
    drop(server);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("over-budget pages: 2\n  /s/{sid}/m/top (59"),
        "{stdout}"
    );
    assert!(stdout.contains(" > 2048 bytes)\n"), "{stdout}");
}

#[test]
fn walk_gives_a_clear_error_for_a_dead_url_or_an_unknown_profile() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let out = Command::new(BIN)
        .args(["walk", "--base", &format!("http://{closed}")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot connect"));
    let out = Command::new(BIN)
        .args(["walk", "--base", "http://127.0.0.1:1", "--profile", "Nokia"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown profile `Nokia`"));
}

/// Whether a fresh connection gets `GET /` answered within `within`.
fn answered(addr: &str, within: std::time::Duration) -> bool {
    let Ok(mut stream) = TcpStream::connect(addr) else {
        return false;
    };
    stream.set_read_timeout(Some(within)).unwrap();
    let _ = write!(
        stream,
        "GET / HTTP/1.1\r\nHost: x\r\nUser-Agent: {P501I}\r\nConnection: close\r\n\r\n"
    );
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && &head == b"HTTP/1.1 200"
}

#[test]
fn idle_and_stalled_connections_never_starve_a_fresh_request() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(&dir.path().join("g.db"), &["--max-connections", "6"]);
    let mut held = Vec::new();
    // Two idle, two stalled in their head, two stalled in their body: all six slots.
    for i in 0..6 {
        let mut c = TcpStream::connect(&server.addr).unwrap();
        match i % 3 {
            0 => {}
            1 => write!(c, "GET / HTTP/1.1\r\nHost: x\r\nUser-Ag").unwrap(),
            _ => write!(
                c,
                "POST /mydocomo/login HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nda"
            )
            .unwrap(),
        }
        held.push(c);
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(200));
    for _ in 0..10 {
        assert!(
            answered(&server.addr, std::time::Duration::from_secs(1)),
            "a fresh request is served within 1 s at the connection limit"
        );
    }
    // The longest-silent ones were closed to make room: reading gives EOF.
    let mut closed = 0;
    for c in &mut held {
        c.set_read_timeout(Some(std::time::Duration::from_millis(200)))
            .unwrap();
        let mut buf = [0u8; 1];
        if matches!(c.read(&mut buf), Ok(0)) {
            closed += 1;
        }
    }
    assert!(closed >= 1, "some held connections were closed");
}

#[test]
fn with_header_timeout_an_idle_or_half_sent_connection_closes_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(&dir.path().join("g.db"), &["--header-timeout", "1"]);
    // Answered, then idle on keep-alive; and stopped in the middle of a head.
    let mut idle = answered_once(&server.addr);
    let mut half = half_head(&server.addr);
    let started = std::time::Instant::now();
    for c in [&mut idle, &mut half] {
        c.set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        let mut rest = Vec::new();
        // The rest of the first answer, if any, then the close.
        let _ = c.read_to_end(&mut rest);
    }
    let took = started.elapsed();
    assert!(
        took < std::time::Duration::from_secs(3),
        "both closed about a second after they went quiet, not at the default 20 s: {took:?}"
    );
    // A fresh connection is still answered.
    assert_eq!(server.send("GET", "/", "").0, 200);
}

#[test]
fn a_body_that_does_not_arrive_in_time_gets_a_408_page() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(&dir.path().join("g.db"), &["--body-timeout", "1"]);
    let mut c = TcpStream::connect(&server.addr).unwrap();
    write!(
        c,
        "POST /mydocomo/login HTTP/1.1\r\nHost: x\r\nUser-Agent: {P501I}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ndaccount_id=ta"
    )
    .unwrap();
    c.set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    let started = std::time::Instant::now();
    let (status, head, body) = read_response(c);
    assert_eq!(status, 408, "{head}");
    assert!(started.elapsed() < std::time::Duration::from_secs(3));
    assert!(header(&head, "content-type").starts_with("text/html"));
    // My docomo's own error page, in both languages.
    let page = String::from_utf8_lossy(&body);
    assert!(page.contains("My docomo"), "{page}");
    assert!(page.contains("took too long to arrive"), "{page}");
}

#[test]
fn a_huge_content_length_is_refused_before_any_byte_of_the_body() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("g.db"));
    let mut c = TcpStream::connect(&server.addr).unwrap();
    write!(
        c,
        "POST /mydocomo/login HTTP/1.1\r\nHost: x\r\nUser-Agent: {P501I}\r\n\
         Content-Length: 99999999999\r\n\r\n"
    )
    .unwrap();
    c.set_read_timeout(Some(std::time::Duration::from_secs(3)))
        .unwrap();
    let mut raw = vec![0u8; 4096];
    let n = c.read(&mut raw).unwrap();
    let head = String::from_utf8_lossy(&raw[..n]);
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
}

#[test]
fn an_admin_token_that_breaks_the_rule_stops_the_start_with_exit_2_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    for (token, wrong) in [
        ("", "is too short"),
        ("too-short", "is too short"),
        ("                ", "contains white space"),
        ("demo admin token 0001", "contains white space"),
        ("aaaaaaaaaaaaaaaa", "has too few different characters"),
    ] {
        let out = Command::new(BIN)
            .args([
                "serve",
                "--addr",
                "127.0.0.1:0",
                "--admin-token",
                token,
                "--db",
            ])
            .arg(&db)
            .arg("--menus")
            .arg(shipped_menus())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{token:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(wrong), "{token:?}: {err}");
        assert!(
            err.contains(
                "at least 16 characters, with no white space and at least 6 different characters"
            ),
            "{err}"
        );
        assert!(!db.exists(), "no database was made");
    }
}

#[test]
fn a_missing_secret_beside_a_used_database_stops_the_start_until_asked_for_a_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let secret = dir.path().join("g.db.secret");
    drop(Server::start(&db));
    assert!(secret.exists());
    std::fs::remove_file(&secret).unwrap();
    let before = contents(&db);
    let out = Command::new(BIN)
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--admin-token",
            TOKEN,
            "--db",
        ])
        .arg(&db)
        .arg("--menus")
        .arg(shipped_menus())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("g.db.secret") && err.contains("--new-secret"),
        "{err}"
    );
    assert!(!secret.exists(), "no new secret made silently");
    assert!(contents(&db) == before, "the database is untouched");
    // Asked for deliberately: it starts, with a new secret.
    let server = Server::start_with(&db, &["--new-secret"]);
    assert!(secret.exists());
    assert_eq!(server.page("/").0, 200);
}

/// Every row of the tables a start could write, as text.
fn contents(db: &std::path::Path) -> String {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut out = String::new();
    for table in [
        "lines",
        "audit",
        "server_settings",
        "staff",
        "partner_accounts",
    ] {
        let mut stmt = conn.prepare(&format!("SELECT * FROM {table}")).unwrap();
        let cols = stmt.column_count();
        let rows = stmt
            .query_map([], |r| {
                Ok((0..cols)
                    .map(|i| format!("{:?}", r.get::<_, rusqlite::types::Value>(i).unwrap()))
                    .collect::<Vec<_>>()
                    .join("|"))
            })
            .unwrap();
        for row in rows {
            out.push_str(&row.unwrap());
            out.push('\n');
        }
    }
    out
}

/// A webhook receiver on a free port: answers 500 to the first `fail`
/// requests and 204 to the rest, keeping every body it got.
fn webhook_receiver(fail: usize) -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let got: std::sync::Arc<std::sync::Mutex<Vec<String>>> = Default::default();
    let keep = got.clone();
    std::thread::spawn(move || {
        for (n, stream) in listener.incoming().enumerate() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            keep.lock()
                .unwrap()
                .push(String::from_utf8_lossy(&body).into_owned());
            let status = if n < fail {
                "500 Internal Server Error"
            } else {
                "204 No Content"
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
    });
    (addr, got)
}

#[test]
fn events_reach_an_sse_client_at_once_and_the_webhook_after_a_retry() {
    let (hook, posted) = webhook_receiver(1);
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(
        &dir.path().join("g.db"),
        &["--webhook", &format!("http://{hook}/hook")],
    );
    // A real SSE client on its own connection.
    let mut stream = TcpStream::connect(&server.addr).unwrap();
    write!(
        stream,
        "GET /api/events HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {TOKEN}\r\nAccept: text/event-stream\r\n\r\n",
        server.addr
    )
    .unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    let mut reader = BufReader::new(stream);
    let mut head = String::new();
    reader.read_line(&mut head).unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        if line == "\r\n" {
            break;
        }
    }
    // An audited action: the API resets a line. Its event is due within a
    // second of the answer (the reset's own time, longer on a busy machine,
    // is not the stream's).
    let (status, _, body) = server.send_with(
        "POST",
        "/api/lines/09012340003/reset",
        &format!("Authorization: Bearer {TOKEN}\r\n"),
        "",
    );
    let acted = std::time::Instant::now();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let mut event = None;
    let mut data = None;
    while acted.elapsed() < std::time::Duration::from_secs(1) && data.is_none() {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        // Chunked framing lines and keep-alives are skipped.
        if let Some(kind) = line.trim_end().strip_prefix("event: ") {
            event = Some(kind.to_string());
        } else if let Some(json) = line.trim_end().strip_prefix("data: ") {
            if event.as_deref() == Some("audit") {
                data = Some(json.to_string());
            }
        }
    }
    assert!(
        acted.elapsed() < std::time::Duration::from_secs(1),
        "within a second"
    );
    let entry: serde_json::Value = serde_json::from_str(&data.expect("an audit event")).unwrap();
    assert_eq!(entry["action"], "reset_line");
    assert_eq!(entry["line"], "09012340003");
    // The webhook got it too: refused once, then delivered again after a wait.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while posted.lock().unwrap().len() < 2 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let posted = posted.lock().unwrap().clone();
    assert!(posted.len() >= 2, "{posted:?}");
    let first: serde_json::Value = serde_json::from_str(&posted[0]).unwrap();
    let again: serde_json::Value = serde_json::from_str(&posted[1]).unwrap();
    assert_eq!(first, again, "the same event, tried again");
    assert_eq!(first["event"], "audit");
    assert_eq!(first["data"]["action"], "reset_line");
}

#[test]
fn a_webhook_that_is_not_an_http_url_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--webhook",
            "ftp://example.com/x",
            "--db",
        ])
        .arg(dir.path().join("g.db"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--webhook"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!dir.path().join("g.db").exists());
}

/// Reads an SSE stream until an `audit` event's data, or `None` after `wait`.
fn next_audit(
    reader: &mut BufReader<TcpStream>,
    wait: std::time::Duration,
) -> Option<serde_json::Value> {
    let started = std::time::Instant::now();
    let mut event = None;
    while started.elapsed() < wait {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return None;
        }
        if let Some(kind) = line.trim_end().strip_prefix("event: ") {
            event = Some(kind.to_string());
        } else if let Some(json) = line.trim_end().strip_prefix("data: ") {
            if event.as_deref() == Some("audit") {
                return serde_json::from_str(json).ok();
            }
        }
    }
    None
}

/// Opens `path` as an event stream with `token`, past the answer's head.
fn open_stream(server: &Server, path: &str, token: &str) -> BufReader<TcpStream> {
    let mut stream = TcpStream::connect(&server.addr).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n",
        server.addr
    )
    .unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_millis(500)))
        .unwrap();
    let mut reader = BufReader::new(stream);
    let mut head = String::new();
    reader.read_line(&mut head).unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        if line == "\r\n" {
            break;
        }
    }
    reader
}

#[test]
fn a_world_s_events_stream_apart_and_reach_the_webhook_with_its_id() {
    let (hook, posted) = webhook_receiver(0);
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(
        &dir.path().join("g.db"),
        &["--webhook", &format!("http://{hook}/hook")],
    );
    let auth = format!("Authorization: Bearer {TOKEN}\r\n");
    let (status, _, body) = server.send_with("POST", "/api/worlds", &auth, "{}");
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    let made: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let id = made["id"].as_str().unwrap().to_string();
    let token = made["token"].as_str().unwrap().to_string();
    let mut in_world = open_stream(&server, &format!("/w/{id}/api/events"), &token);
    let mut in_default = open_stream(&server, "/api/events", TOKEN);
    // An audited action in the world.
    let (status, _, body) = server.send_with(
        "POST",
        &format!("/w/{id}/api/lines/09012340003/reset"),
        &format!("Authorization: Bearer {token}\r\n"),
        "",
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let seen = next_audit(&mut in_world, std::time::Duration::from_secs(2))
        .expect("the world's stream has it");
    assert_eq!(seen["action"], "reset_line");
    assert!(
        next_audit(&mut in_default, std::time::Duration::from_secs(1)).is_none(),
        "the default world's stream does not"
    );
    // And one in the default world: the webhook gets both, each named.
    let (status, _, _) = server.send_with("POST", "/api/lines/09012340002/reset", &auth, "");
    assert_eq!(status, 200);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while posted.lock().unwrap().len() < 2 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let posted: Vec<serde_json::Value> = posted
        .lock()
        .unwrap()
        .iter()
        .map(|p| serde_json::from_str(p).unwrap())
        .collect();
    let world_of = |line: &str| {
        posted
            .iter()
            .find(|p| p["data"]["line"] == line)
            .map(|p| p["world"].clone())
            .unwrap_or_else(|| panic!("no event for {line} in {posted:?}"))
    };
    assert_eq!(world_of("09012340003"), serde_json::json!(id));
    assert_eq!(world_of("09012340002"), serde_json::Value::Null);
}
