//! What a test waiting for a mail usually wants from it: the links in the
//! body, and the codes (a number of 4 to 12 digits, or a password the mail
//! hands out).

/// Every http(s) URL in `text`, in order, each once. A URL ends at
/// whitespace, a quote, an angle bracket or a character outside ASCII;
/// trailing sentence punctuation is not part of it.
pub fn links(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(at) = find_scheme(rest) {
        let tail = &rest[at..];
        let end = tail
            .find(|c: char| {
                c.is_whitespace() || !c.is_ascii() || matches!(c, '"' | '\'' | '<' | '>' | '`')
            })
            .unwrap_or(tail.len());
        let url = tail[..end].trim_end_matches(['.', ',', ';', ':', ')', ']', '!', '?']);
        if url.len() > "https://".len() && !out.iter().any(|u| u == url) {
            out.push(url.to_string());
        }
        rest = &tail[end.max(1)..];
    }
    out
}

fn find_scheme(text: &str) -> Option<usize> {
    let http = text.find("http://");
    let https = text.find("https://");
    match (http, https) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Words that name a password a mail hands out (a temporary or
/// initialized one), in English and Japanese.
const PASSWORD_LABELS: &[&str] = &["password", "パスワード", "暗証番号"];

/// The codes in `text`, in order, each once: every run of 4 to 12 ASCII
/// digits that is not part of a URL or a longer run, and the value a line
/// labelled as a password gives (after `:` on the line, or alone on the
/// line after a label such as 【仮パスワード】).
pub fn codes(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |code: &str| {
        if !code.is_empty() && !out.iter().any(|c| c == code) {
            out.push(code.to_string());
        }
    };
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let lower = line.to_lowercase();
        if PASSWORD_LABELS.iter().any(|l| lower.contains(l)) {
            let value = match line.rsplit_once([':', '：']) {
                Some((_, v)) => v.trim(),
                // The label alone: the value is the next non-empty line.
                None => lines[i + 1..]
                    .iter()
                    .map(|l| l.trim())
                    .find(|l| !l.is_empty())
                    .unwrap_or(""),
            };
            if is_secret_token(value) {
                push(value);
            }
        }
        for run in digit_runs(line) {
            push(run);
        }
    }
    out
}

/// A single word a password could be: 4 to 64 printable ASCII characters
/// with a digit or a letter, no spaces, not a URL.
fn is_secret_token(value: &str) -> bool {
    (4..=64).contains(&value.len())
        && value.bytes().all(|b| b.is_ascii_graphic())
        && value.bytes().any(|b| b.is_ascii_alphanumeric())
        && !value.contains("://")
}

/// Runs of 4–12 digits not inside a URL or a longer alphanumeric word.
fn digit_runs(line: &str) -> Vec<&str> {
    let urls: Vec<(usize, usize)> = {
        let mut spans = Vec::new();
        let mut from = 0;
        while let Some(at) = find_scheme(&line[from..]) {
            let start = from + at;
            let end = line[start..]
                .find(|c: char| c.is_whitespace() || !c.is_ascii())
                .map_or(line.len(), |e| start + e);
            spans.push((start, end));
            from = end.max(start + 1);
        }
        spans
    };
    let bytes = line.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        let glued = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_alphabetic());
        let inside_url = urls.iter().any(|(s, e)| start >= *s && i <= *e);
        let len = i - start;
        if (4..=12).contains(&len)
            && !inside_url
            && !glued(start.checked_sub(1).and_then(|p| bytes.get(p)))
            && !glued(bytes.get(i))
        {
            out.push(&line[start..i]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_every_url_once_without_trailing_punctuation() {
        let body = "Open http://127.0.0.1:8080/p/plus-member/reset?t=ab12 now.\n\
                    Or (https://example.com/x). Again http://127.0.0.1:8080/p/plus-member/reset?t=ab12\n\
                    「http://例え.jp/」 <http://a.example/b>";
        assert_eq!(
            links(body),
            [
                "http://127.0.0.1:8080/p/plus-member/reset?t=ab12",
                "https://example.com/x",
                "http://a.example/b"
            ]
        );
        assert!(links("no links here, just http:// alone").is_empty());
    }

    #[test]
    fn codes_are_digit_runs_and_handed_out_passwords() {
        let ims = "お客様\n【仮パスワード】\nABCabc123\n\n【有効期限】\n20261201 23:59\n";
        assert_eq!(codes(ims), ["ABCabc123", "20261201"]);
        let koku = "Your password for login ID 123456789 has been initialized.\nInitialized password: Kx7-pQ2r9\n";
        assert_eq!(codes(koku), ["123456789", "Kx7-pQ2r9"]);
        // Not codes: short runs, long runs, runs in words or URLs.
        let none = "call 123 or 1234567890123, id ab12345, see http://h/p?t=98765432";
        assert!(codes(none).is_empty(), "{:?}", codes(none));
        assert_eq!(codes("Your code is 4821."), ["4821"]);
    }
}
