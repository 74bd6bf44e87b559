//! Reading garake's pages as a person does, for the tools that drive a
//! running server (`walk`, `replay`): a small HTTP/1.1 client with
//! timeouts, and a page's title, visible text, links (with their text and
//! access key) and forms (with their fields and buttons), read with the same
//! tokenizer the gateway's sanitizer uses.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use crate::html::{Lexer, RawKind, Token};

/// One HTTP response.
pub struct Fetched {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Fetched {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a header (`Set-Cookie` comes once per cookie).
    pub fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A request: method, path (with its query), extra header lines, body.
pub struct Request<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub headers: &'a [(&'a str, String)],
    pub body: &'a [u8],
}

/// A GET of `path` with a User-Agent.
pub fn get(host: &str, path: &str, ua: &str) -> Result<Fetched, String> {
    send(
        host,
        &Request {
            method: "GET",
            path,
            headers: &[("User-Agent", ua.to_string())],
            body: &[],
        },
    )
}

/// Sends one HTTP/1.1 request (`Connection: close`) with timeouts, so a
/// dead or stuck server gives an error instead of a hang.
pub fn send(host: &str, req: &Request<'_>) -> Result<Fetched, String> {
    let addr = host
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {host}: {e}"))?
        .next()
        .ok_or_else(|| format!("cannot resolve {host}"))?;
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))
        .map_err(|e| format!("cannot connect to {host}: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(15)))
        .map_err(|e| e.to_string())?;
    stream
        .set_write_timeout(Some(Duration::from_secs(15)))
        .map_err(|e| e.to_string())?;
    let mut head = format!(
        "{} {} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n",
        req.method, req.path
    );
    for (name, value) in req.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if !req.body.is_empty() || req.method == "POST" {
        head.push_str(&format!("Content-Length: {}\r\n", req.body.len()));
    }
    head.push_str("\r\n");
    stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(req.body))
        .map_err(|e| format!("cannot send to {host}: {e}"))?;
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .map_err(|e| format!("cannot read from {host}: {e}"))?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| format!("{host} sent an incomplete response"))?;
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("{host} did not answer HTTP"))?;
    let headers = lines
        .filter_map(|l| {
            l.split_once(':')
                .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        })
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body);
    }
    Ok(Fetched {
        status,
        headers,
        body,
    })
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = data.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&data[..end]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = end + 2;
        out.extend_from_slice(&data[start..(start + size).min(data.len())]);
        data = &data[(start + size + 2).min(data.len())..];
    }
    out
}

/// The path and query of a URL (garake's redirects are absolute).
pub fn path_of(url: &str) -> String {
    match url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
    {
        Some(rest) => rest
            .find('/')
            .map_or("/".to_string(), |i| rest[i..].to_string()),
        None => url.to_string(),
    }
}

/// A link as a person sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    pub href: String,
    /// Its visible text, white space collapsed.
    pub text: String,
    pub accesskey: Option<String>,
}

/// A form field and the value the page gave it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub value: String,
    /// `text`, `password`, `hidden`, `checkbox`, `radio`, `textarea`, `select`…
    pub kind: String,
    /// A checkbox or radio button the page left unchecked (not sent unless chosen).
    pub unchecked: bool,
}

/// A submit button: its name (if any), value and label.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Button {
    pub name: Option<String>,
    pub value: String,
    pub label: String,
}

/// A form as a person sees it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Form {
    pub action: String,
    pub method: String,
    pub fields: Vec<Field>,
    pub buttons: Vec<Button>,
}

impl Form {
    /// The names of its fields, once each, in page order.
    pub fn field_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for f in &self.fields {
            if !names.contains(&f.name.as_str()) {
                names.push(&f.name);
            }
        }
        names
    }

    pub fn has_field(&self, name: &str) -> bool {
        self.fields.iter().any(|f| f.name == name)
    }
}

/// What a page shows: its title, visible text, links and forms.
#[derive(Clone, Debug, Default)]
pub struct Reading {
    pub title: String,
    pub text: String,
    pub links: Vec<Link>,
    pub forms: Vec<Form>,
}

fn attr(lexer: &Lexer<'_>, name: &str) -> Option<String> {
    lexer
        .attrs()
        .iter()
        .find(|a| a.is(name))
        .map(|a| unescape(&String::from_utf8_lossy(a.value.unwrap_or_default())))
}

fn unescape(s: &str) -> String {
    crate::gateway::sanitize::decode_entities(s).into_owned()
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Reads a decoded page.
pub fn read(html: &str) -> Reading {
    let mut reading = Reading::default();
    let mut text = String::new();
    let mut link: Option<(String, Option<String>, usize)> = None;
    let mut form: Option<Form> = None;
    let mut button: Option<(Option<String>, String, usize)> = None;
    let mut select: Option<(String, Option<String>, bool)> = None;
    // The raw-text element just opened: `<title>`, or a textarea's name.
    let mut in_title = false;
    let mut textarea: Option<String> = None;
    let mut lexer = Lexer::new(html.as_bytes());
    while let Some(token) = lexer.next() {
        match token {
            Token::Text(t) => text.push_str(&unescape(&String::from_utf8_lossy(t))),
            Token::Start { name, .. } => {
                let name = String::from_utf8_lossy(name).to_ascii_lowercase();
                match name.as_str() {
                    "br" | "p" | "div" | "hr" | "li" | "tr" | "h1" | "h2" | "h3" => text.push('\n'),
                    "a" => {
                        if let Some(href) = attr(&lexer, "href") {
                            link = Some((href, attr(&lexer, "accesskey"), text.len()));
                        }
                    }
                    "form" => {
                        form = Some(Form {
                            action: attr(&lexer, "action").unwrap_or_default(),
                            method: attr(&lexer, "method")
                                .unwrap_or_else(|| "get".into())
                                .to_ascii_lowercase(),
                            ..Form::default()
                        })
                    }
                    "input" => {
                        let kind = attr(&lexer, "type")
                            .unwrap_or_else(|| "text".into())
                            .to_ascii_lowercase();
                        let field_name = attr(&lexer, "name");
                        let value = attr(&lexer, "value").unwrap_or_default();
                        if let Some(f) = form.as_mut() {
                            if kind == "submit" || kind == "image" {
                                let label = if value.is_empty() {
                                    "Submit".into()
                                } else {
                                    value.clone()
                                };
                                f.buttons.push(Button {
                                    name: field_name,
                                    value,
                                    label,
                                });
                            } else if let Some(field_name) = field_name {
                                let checkable = kind == "checkbox" || kind == "radio";
                                let checked = lexer.attrs().iter().any(|a| a.is("checked"));
                                f.fields.push(Field {
                                    name: field_name,
                                    value: if checkable && value.is_empty() {
                                        "on".into()
                                    } else {
                                        value
                                    },
                                    unchecked: checkable && !checked,
                                    kind: kind.clone(),
                                });
                            }
                        }
                        if kind == "submit" {
                            text.push_str(&attr(&lexer, "value").unwrap_or_default());
                        }
                    }
                    "button" => {
                        let kind = attr(&lexer, "type").unwrap_or_else(|| "submit".into());
                        if kind.eq_ignore_ascii_case("submit") {
                            button = Some((
                                attr(&lexer, "name"),
                                attr(&lexer, "value").unwrap_or_default(),
                                text.len(),
                            ));
                        }
                    }
                    "select" => {
                        select = attr(&lexer, "name").map(|n| (n, None, false));
                    }
                    "title" => in_title = true,
                    "textarea" => textarea = attr(&lexer, "name"),
                    "option" => {
                        if let Some((_, chosen, selected)) = select.as_mut() {
                            let value = attr(&lexer, "value");
                            let is_selected = lexer.attrs().iter().any(|a| a.is("selected"));
                            if chosen.is_none() || (is_selected && !*selected) {
                                *chosen = Some(value.unwrap_or_default());
                                *selected = is_selected;
                            }
                        }
                    }
                    _ => {}
                }
            }
            Token::End { name, .. } => {
                let name = String::from_utf8_lossy(name).to_ascii_lowercase();
                match name.as_str() {
                    "a" => {
                        if let Some((href, accesskey, from)) = link.take() {
                            let label = collapse(text.get(from..).unwrap_or(""));
                            reading.links.push(Link {
                                href,
                                text: label,
                                accesskey,
                            });
                        }
                    }
                    "form" => {
                        if let Some(f) = form.take() {
                            reading.forms.push(f);
                        }
                    }
                    "button" => {
                        if let (Some((name, value, from)), Some(f)) = (button.take(), form.as_mut())
                        {
                            let label = collapse(text.get(from..).unwrap_or(""));
                            f.buttons.push(Button { name, value, label });
                        }
                    }
                    "select" => {
                        if let (Some((name, chosen, _)), Some(f)) = (select.take(), form.as_mut()) {
                            f.fields.push(Field {
                                name,
                                value: chosen.unwrap_or_default(),
                                kind: "select".into(),
                                unchecked: false,
                            });
                        }
                    }
                    "p" | "div" | "li" | "tr" | "h1" | "h2" | "h3" => text.push('\n'),
                    _ => {}
                }
            }
            Token::RawText {
                element, content, ..
            } => {
                let content = String::from_utf8_lossy(content);
                if element == RawKind::Rcdata && std::mem::take(&mut in_title) {
                    if reading.title.is_empty() {
                        reading.title = collapse(&unescape(&content));
                    }
                } else if let (Some(name), Some(f)) = (textarea.take(), form.as_mut()) {
                    f.fields.push(Field {
                        name,
                        value: unescape(&content),
                        kind: "textarea".into(),
                        unchecked: false,
                    });
                }
            }
            Token::Other(_) => {}
        }
    }
    if let Some(f) = form.take() {
        reading.forms.push(f);
    }
    reading.text = text
        .lines()
        .map(collapse)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    reading
}

/// Percent-encodes a form value as a browser does in the page's charset.
pub fn form_encode(value: &str, charset: crate::handset::Charset) -> String {
    let bytes: Vec<u8> = match charset {
        crate::handset::Charset::Utf8 => value.as_bytes().to_vec(),
        crate::handset::Charset::ShiftJis => encoding_rs::SHIFT_JIS.encode(value).0.into_owned(),
    };
    let mut out = String::with_capacity(bytes.len() * 3);
    for b in bytes {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_reads_as_a_person_sees_it() {
        let page = r#"<html><head><title>Change &amp; go</title></head><body>Hello<br>
            <a href="/s/x/m/a" accesskey="1">&#xE6E2;Customer support</a><br>
            <form action="/s/x/a/p" method="post"><input type="hidden" name="ft" value="abc">
            <input type="password" name="pin"><input type="checkbox" name="agree">
            <select name="pick"><option value="a">A<option value="b" selected>B</select>
            <textarea name="body">pre</textarea>
            <input type="submit" value="Change"><button name="go" value="2">Go on</button></form>
            <script>hidden()</script>bye</body></html>"#;
        let r = read(page);
        assert_eq!(r.title, "Change & go");
        assert!(r.text.contains("Hello") && r.text.contains("bye"));
        assert!(!r.text.contains("hidden()"));
        assert_eq!(r.links.len(), 1);
        assert_eq!(r.links[0].accesskey.as_deref(), Some("1"));
        assert!(r.links[0].text.ends_with("Customer support"));
        let f = &r.forms[0];
        assert_eq!((f.action.as_str(), f.method.as_str()), ("/s/x/a/p", "post"));
        assert_eq!(f.field_names(), ["ft", "pin", "agree", "pick", "body"]);
        assert_eq!(f.fields[0].value, "abc");
        assert!(f.fields[2].unchecked);
        assert_eq!(f.fields[3].value, "b");
        assert_eq!(f.fields[4].value, "pre");
        assert_eq!(f.buttons.len(), 2);
        assert_eq!(f.buttons[1].label, "Go on");
    }

    #[test]
    fn chunked_bodies_are_joined() {
        assert_eq!(dechunk(b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"), b"abcde");
    }

    #[test]
    fn form_values_are_encoded_in_the_page_charset() {
        use crate::handset::Charset;
        assert_eq!(form_encode("a b&", Charset::Utf8), "a+b%26");
        assert_eq!(form_encode("あ", Charset::ShiftJis), "%82%A0");
        assert_eq!(form_encode("あ", Charset::Utf8), "%E3%81%82");
    }
}
