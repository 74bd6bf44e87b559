//! The admin console (a PC tool: UTF-8, a little CSS, no script).

use maud::{html, Markup, PreEscaped, DOCTYPE};

use crate::store::audit;
use crate::store::lines::LineState;
use crate::store::mail::{LogEntry, OutboxFilter, Outgoing};

/// The console's one style sheet: readable tables, a header with the
/// product name and the current page, wrapped message bodies.
const CSS: &str = "\
:root{--ink:#1d2430;--muted:#5b6573;--line:#d9dee5;--accent:#c2185b;--bg:#f7f8fa}\
*{box-sizing:border-box}\
body{margin:0;font:15px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:var(--ink);background:var(--bg)}\
header.top{display:flex;flex-wrap:wrap;align-items:center;gap:.4em 1.4em;padding:.6em 1.5em;background:#fff;border-bottom:3px solid var(--accent)}\
header.top .brand{font-weight:700;font-size:1.15em;color:var(--accent);text-decoration:none}\
header.top .world{background:#fff3c4;padding:.1em .6em;border-radius:4px;font-size:.9em}\
header.top .brand small{color:var(--muted);font-weight:400;margin-left:.4em}\
header.top nav{display:flex;flex-wrap:wrap;gap:.2em .9em;align-items:center}\
header.top nav a{color:var(--ink);text-decoration:none;padding:.15em 0;border-bottom:2px solid transparent}\
header.top nav a[aria-current=page]{border-color:var(--accent);font-weight:600}\
main{padding:1em 1.5em 3em;max-width:78em;overflow-x:auto}\
h1{font-size:1.4em;margin:.2em 0 .6em}h2{font-size:1.1em;margin:1.4em 0 .4em}\
table{border-collapse:collapse;background:#fff;margin:.3em 0 1em}\
td,th{border:1px solid var(--line);padding:.3em .6em;text-align:left;vertical-align:top}\
table{font-size:.94em}td{overflow-wrap:anywhere}td>a:only-child,td:has(>.button),td:has(>form){white-space:nowrap}\
th{background:#eef1f5;font-weight:600}\
time{white-space:nowrap}small.utc{color:var(--muted);white-space:nowrap}\
pre,.body{background:#fff;border:1px solid var(--line);padding:.6em;white-space:pre-wrap;overflow-wrap:anywhere;max-width:60em}\
.body a{color:#0b57d0}\
button,.button{font:inherit;padding:.25em .8em;border:1px solid #9aa3ad;border-radius:4px;background:#fff;color:var(--ink);cursor:pointer;text-decoration:none;display:inline-block}\
button.danger,.button.danger{border-color:#b3261e;color:#b3261e}\
input,select{font:inherit;padding:.2em .35em}\
form.inline{display:inline}\
.note{padding:.5em .8em;background:#e8f5e9;border-left:4px solid #2e7d32}\
.err{color:#b3261e}.pager{color:var(--muted)}\
.empty{padding:.8em 1em;background:#fff;border:1px dashed #9aa3ad;color:var(--muted);max-width:60em}\
.state-failed{color:#b3261e;font-weight:600}.state-pending{color:#8a6d00}.state-relayed{color:#2e7d32}";

/// The pages of the console's navigation: (path, label).
const PAGES: [(&str, &str); 5] = [
    ("/admin", "Lines"),
    ("/admin/audit", "Audit log"),
    ("/admin/mail-log", "Mail log"),
    ("/outbox", "Outbox"),
    ("/admin/support", "Support desk"),
];

/// Who a console page is for: the login's CSRF token for its forms, and
/// the world the console is in (none: the default world).
pub struct Who<'a> {
    pub csrf: &'a str,
    pub world: Option<&'a str>,
}

/// The console frame: the product name, the navigation with the current
/// page marked, and the page. Without `csrf` (the login page) there is no
/// navigation.
pub fn layout(title: &str, who: Option<&Who>, body: Markup) -> Markup {
    layout_at(title, title, who, body)
}

/// `layout` for a page that belongs under another page's navigation entry
/// (`section` is that entry's label, e.g. a line's page under "Lines").
pub fn layout_at(title: &str, section: &str, who: Option<&Who>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — garake admin console" }
                style { (PreEscaped(CSS)) }
            }
            body {
                header.top {
                    a.brand href="/admin" { "garake" small { "admin console" } }
                    @if let Some(world) = who.and_then(|w| w.world) {
                        span.world title="This console sees and changes this world only" { "world " code { (world) } }
                    }
                    @if let Some(who) = who {
                        nav aria-label="Console" {
                            @for (href, label) in PAGES {
                                a href=(href) aria-current=[(label == section).then_some("page")] { (label) }
                            }
                            a href="/emulator" { "Emulator" }
                            form.inline method="post" action="/admin/logout" {
                                input type="hidden" name="csrf" value=(who.csrf);
                                button { "Log out" }
                            }
                        }
                    }
                }
                main {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

/// A page that asks before something that cannot be undone: what will
/// happen, a button that does it (a POST with `confirm=yes`) and a way back.
pub fn confirm(
    who: &Who,
    section: &str,
    title: &str,
    what: &str,
    action: &str,
    button: &str,
    back: &str,
) -> Markup {
    layout_at(
        title,
        section,
        Some(who),
        html! {
            p { (what) }
            p { "This cannot be undone." }
            form method="post" action=(action) {
                input type="hidden" name="csrf" value=(who.csrf);
                input type="hidden" name="confirm" value="yes";
                button.danger { (button) } " "
                a.button href=(back) { "Cancel" }
            }
        },
    )
}

/// A message body as text that wraps, with its http(s) links clickable
/// (opened without telling the target where they came from).
pub fn body_text(body: &str) -> Markup {
    let links = crate::mail::extract::links(body);
    let mut parts: Vec<(bool, &str)> = Vec::new();
    let mut rest = body;
    while let Some((at, url)) = links
        .iter()
        .filter_map(|u| rest.find(u.as_str()).map(|i| (i, u.as_str())))
        .min_by_key(|(i, _)| *i)
    {
        parts.push((false, &rest[..at]));
        parts.push((true, url));
        rest = &rest[at + url.len()..];
    }
    parts.push((false, rest));
    html! {
        div.body {
            @for (is_link, text) in parts {
                @if is_link { a href=(text) rel="noopener noreferrer nofollow" target="_blank" { (text) } }
                @else { (text) }
            }
        }
    }
}

/// The login page's answer to a wrong token.
pub const WRONG_TOKEN: &str = "That is not the admin token.";
/// The login page's answer to an empty form.
pub const NO_TOKEN: &str = "Enter the admin token.";

pub fn login(error: Option<&str>) -> Markup {
    layout(
        "Log in",
        None,
        html! {
            @if let Some(e) = error { p.err { (e) } }
            form method="post" action="/admin/login" {
                label { "Admin token " input type="password" name="token" autofocus; }
                " " button { "Log in" }
            }
            p { "The token is printed when garake starts, or set with --admin-token / GARAKE_ADMIN_TOKEN." }
        },
    )
}

/// How many requests a summary row of the audit log stands for (nothing for one).
fn times(count: i64) -> Markup {
    html! { @if count > 1 { " ×" (count) " in the minute" } }
}

/// A time as the console shows it: Japan time (the rules run on it, e.g. a
/// lock lifts at 00:00 JST) with the stored UTC beside it.
fn when(at: &str) -> Markup {
    let jst = chrono::DateTime::parse_from_rfc3339(at)
        .map(|t| crate::clock::jst_long(t.timestamp()))
        .unwrap_or_default();
    html! { time datetime=(at) { (jst) } " " small.utc { (at) } }
}

pub fn lines(who: &Who, lines: &[LineState], total: i64, now: &str, note: Option<&str>) -> Markup {
    layout(
        "Lines",
        Some(who),
        html! {
            @if let Some(n) = note { p { strong { (n) } } }
            section {
                p { "Simulated time: " strong { (when(now)) } }
                form method="post" action="/admin/clock" {
                    input type="hidden" name="csrf" value=(who.csrf);
                    @for (secs, label) in [(3600, "+1 hour"), (86_400, "+1 day"), (86_400 * 7, "+1 week"), (86_400 * 31, "+31 days")] {
                        button name="seconds" value=(secs) { (label) } " "
                    }
                }
                p { a.button.danger href="/admin/restore" { "Restore demo fixtures…" } }
            }
            p { (total) " lines" }
            @if lines.is_empty() {
                (empty("No lines. Restore the demo fixtures above, or create a line below."))
            } @else {
            table {
                tr { th { "Number" } th { "Name" } th { "Mail address" } th { "Mail" } th { "Rejection" } th { "My Menu" } th { "Subscriptions" } th { "Locks" } th { "" } }
                @for l in lines {
                    tr {
                        td { a href={ "/admin/lines/" (l.msisdn) } { (l.msisdn) } } td { (l.name) " / " (l.name_en) } td { (l.mail_address) }
                        td { @if l.mail_suspended { "suspended" } @else { "on" } }
                        td { (l.mail_rejection.mode) @if !l.mail_rejection.list.is_empty() { " (" (l.mail_rejection.list.len()) ")" } }
                        td { (l.my_menu.join(", ")) } td { (l.subscriptions.join(", ")) }
                        td {
                            @if l.pin_locked { "i-mode password " }
                            @if l.network_pin_locked { "network PIN" }
                        }
                        td { a.button href={ "/admin/lines/" (l.msisdn) "/reset" } { "Reset…" } }
                    }
                }
            }
            }
            h2 { "New line" }
            p { "A line as at purchase: i-mode password 0000, the phone-number mail address." }
            form method="post" action="/admin/lines" {
                input type="hidden" name="csrf" value=(who.csrf);
                label { "Number " input name="msisdn" placeholder="090-1234-0004" required; } " "
                label { "Name " input name="name" required; } " "
                label { "Name (en) " input name="name_en"; } br;
                label { "Network PIN " input name="network_pin" maxlength="4" required; } " "
                label { "d ACCOUNT ID " input name="daccount_id"; } " "
                label { "d ACCOUNT password " input type="password" name="daccount_password"; } br;
                label { "Identity document "
                    select name="id_doc_type" {
                        option value="" { "—" }
                        @for t in crate::domain::DOCUMENT_TYPES { option value=(t) { (t) } }
                    }
                } " "
                label { "number " input name="id_doc_number"; } " "
                button { "Create" }
            }
        },
    )
}

pub fn audit(
    who: &Who,
    entries: &[audit::Entry],
    filter: [Option<&str>; 3],
    offset: i64,
    total: i64,
) -> Markup {
    let [line, action, outcome] = filter;
    layout(
        "Audit log",
        Some(who),
        html! {
            form method="get" {
                label { "Line " input name="line" value=(line.unwrap_or("")) placeholder="090-1234-0001"; } " "
                label { "Action " input name="action" value=(action.unwrap_or("")) placeholder="change_imode_password"; } " "
                label { "Outcome "
                    select name="outcome" {
                        option value="" { "any" }
                        @for o in audit::Outcome::ALL.map(audit::Outcome::as_str) {
                            option value=(o) selected[outcome == Some(o)] { (o) }
                        }
                    }
                }
                " " button { "Filter" }
            }
            @if entries.is_empty() {
                @if filter.iter().any(Option::is_some) {
                    (empty("No audit entry matches this filter."))
                } @else {
                    (empty("The audit log is empty. Every password attempt, protected action, reset and console login is written here."))
                }
            } @else {
                table {
                    tr { th { "At" } th { "Line" } th { "Action" } th { "Outcome" } th { "Source" } }
                    @for e in entries {
                        tr { td { (when(&e.at)) } td { (e.line.as_deref().unwrap_or("")) } td { (e.action) } td { (e.outcome) (times(e.count)) } td { (e.source) } }
                    }
                }
            }
            (pager("/admin/audit", offset, crate::limits::PAGE_ROWS, total, &[("line", line.unwrap_or("").to_string()), ("action", action.unwrap_or("").to_string()), ("outcome", outcome.unwrap_or("").to_string())]))
        },
    )
}

pub fn mail_log(who: &Who, entries: &[LogEntry], offset: i64, total: i64) -> Markup {
    layout(
        "Mail log",
        Some(who),
        html! {
            @if entries.is_empty() {
                (empty("No mail yet. Every mail sent from a handset or through the API is listed here with the rule that delivered or refused it."))
            } @else {
                table {
                    tr { th { "At" } th { "From" } th { "To" } th { "Line" } th { "Status" } th { "Reason" } }
                    @for e in entries {
                        tr { td { (when(&e.at)) } td { (e.from) } td { (e.to) } td { (e.line.as_deref().unwrap_or("")) } td { (e.status) } td { (e.reason.as_deref().unwrap_or("")) } }
                    }
                }
            }
            (pager("/admin/mail-log", offset, crate::limits::PAGE_ROWS, total, &[]))
        },
    )
}

pub fn outbox(who: &Who, mails: &[Outgoing], total: i64, filter: &OutboxFilter) -> Markup {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    layout(
        "Outbox",
        Some(who),
        html! {
            p { "Mail to addresses outside docomo.ne.jp. Newest first; the newest 1,000 are kept." }
            form method="get" {
                label { "From " input name="from" value=(text(&filter.from)); } " "
                label { "To " input name="to" value=(text(&filter.to)); } " "
                label { "Subject " input name="subject" value=(text(&filter.subject)); }
                " " button { "Search" }
            }
            p { (total) " messages" }
            @if mails.is_empty() {
                @if [&filter.from, &filter.to, &filter.subject].iter().any(|f| f.as_deref().is_some_and(|v| !v.is_empty())) {
                    (empty("No message matches this search."))
                } @else {
                    p.empty {
                        "The outbox is empty. Mail to an address outside docomo.ne.jp lands here, never sent on: "
                        "a partner site's password reset (" a href="/partners" { "partner sites" } "), "
                        "a handset mail to an outside address, or " code { "POST /api/mail" } "."
                    }
                }
            } @else {
                table {
                    tr { th { "#" } th { "At" } th { "From" } th { "To" } th { "Subject" } th { "Relay" } }
                    @for m in mails {
                        tr {
                            td { a href={ "/outbox/" (m.id) } { (m.id) } }
                            td { (when(&m.at)) } td { (m.from) } td { (m.to) } td { (m.subject) }
                            td { (relay_state(m)) }
                        }
                    }
                }
            }
            (pager("/outbox", filter.offset, filter.limit, total, &[("from", text(&filter.from)), ("to", text(&filter.to)), ("subject", text(&filter.subject))]))
            p { a.button.danger href="/outbox/clear" { "Delete all…" } }
        },
    )
}

/// What an empty list says instead of a bare table header: why it is empty
/// and how something gets there.
fn empty(text: &str) -> Markup {
    html! { p.empty { (text) } }
}

/// Previous / next links of a paginated list, keeping its other query fields.
pub fn pager(path: &str, offset: i64, limit: i64, total: i64, keep: &[(&str, String)]) -> Markup {
    let href = |offset: i64| {
        let mut q: Vec<String> = keep
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={}", urlencode(v)))
            .collect();
        q.push(format!("offset={offset}"));
        format!("{path}?{}", q.join("&"))
    };
    html! {
        p.pager {
            @if offset > 0 { a href=(href((offset - limit).max(0))) { "← Newer" } " " }
            @if total > 0 { "Showing " (offset + 1) "–" ((offset + limit).min(total)) " of " (total) }
            @if offset + limit < total { " " a href=(href(offset + limit)) { "Older →" } }
        }
    }
}

/// Percent-encodes a query value (UTF-8).
pub fn urlencode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// An outbox message's relay state, its attempts and last error.
fn relay_state(m: &Outgoing) -> Markup {
    html! {
        span class={ "state-" (m.relay.state) } { (m.relay.state) }
        @if m.relay.attempts > 0 { " (" (m.relay.attempts) " attempt" @if m.relay.attempts != 1 { "s" } ")" }
        @if let Some(e) = &m.relay.last_error { br; small.err { (e) } }
    }
}

/// One outbox message: headers, relay state, the body with clickable links,
/// the raw message, and what can be done with it.
pub fn outbox_one(who: &Who, m: &Outgoing, raw: &str, relay: bool, note: Option<&str>) -> Markup {
    layout_at(
        &format!("Outbox #{}", m.id),
        "Outbox",
        Some(who),
        html! {
            @if let Some(n) = note { p.note { (n) } }
            table {
                tr { th { "At" } td { (when(&m.at)) } }
                tr { th { "From" } td { (m.from) } }
                tr { th { "To" } td { (m.to) } }
                tr { th { "Subject" } td { (m.subject) } }
                tr { th { "Message-ID" } td { code { "<" (m.message_id) ">" } } }
                tr { th { "Relay" } td { (relay_state(m)) } }
            }
            p {
                a.button href={ "/outbox/" (m.id) "/raw" } download={ "outbox-" (m.id) ".eml" } { "Download .eml" } " "
                @if relay {
                    form.inline method="post" action={ "/outbox/" (m.id) "/relay" } {
                        input type="hidden" name="csrf" value=(who.csrf);
                        button { "Send again through the relay" }
                    }
                    " "
                }
                form.inline method="post" action={ "/outbox/" (m.id) "/delete" } {
                    input type="hidden" name="csrf" value=(who.csrf);
                    button.danger { "Delete" }
                }
            }
            h2 { "Body" }
            (body_text(&m.body))
            h2 { "RFC 5322" }
            pre { (raw) }
        },
    )
}

/// Everything about one line: its state, audit entries, mailbox and bill,
/// with the way to open it in the emulator.
pub struct LineView<'a> {
    pub state: &'a LineState,
    pub audit: &'a [audit::Entry],
    pub mails: &'a [crate::store::mail::Received],
    pub mail_total: i64,
    pub subscriptions: &'a [crate::store::sites::Subscription],
    pub ledger: &'a [crate::store::sites::LedgerEntry],
}

pub fn line_page(who: &Who, v: &LineView<'_>) -> Markup {
    let l = v.state;
    let yes = |b: bool| if b { "yes" } else { "no" };
    layout_at(
        &format!("Line {} — {}", l.msisdn, l.name_en),
        "Lines",
        Some(who),
        html! {
            p {
                a.button href={ "/emulator?line=" (l.msisdn) } { "Open in the emulator" } " "
                a.button href={ "/admin/audit?line=" (l.msisdn) } { "Full audit log" } " "
                a.button.danger href={ "/admin/lines/" (l.msisdn) "/reset" } { "Reset…" }
            }
            h2 { "State" }
            table {
                tr { th { "Name" } td { (l.name) " / " (l.name_en) } }
                tr { th { "Mail address" } td { (l.mail_address) } }
                tr { th { "Mail functions" } td { @if l.mail_suspended { "suspended" } @else { "in use" } } }
                tr { th { "Mail rejection" } td { (l.mail_rejection.mode) @for e in &l.mail_rejection.list { br; code { (e) } } } }
                tr { th { "Secret code" } td { (yes(l.secret_code_registered)) } }
                tr { th { "MessageR / MessageF" } td { (yes(l.message_service.message_r)) " / " (yes(l.message_service.message_f)) } }
                tr { th { "i-mode ID notification" } td { @if l.id_notification { "on" } @else { "off" } } }
                tr { th { "My Menu" } td { (l.my_menu.join(", ")) } }
                tr { th { "i-mode password" } td { @if l.pin_locked { "locked (until 00:00 JST)" } @else { "not locked" } } }
                tr { th { "Network PIN" } td { @if l.network_pin_locked { "locked" } @else { "not locked" } } }
                tr { th { "d ACCOUNT" } td { (yes(l.has_daccount)) } }
            }
            h2 { "Audit log (newest " (v.audit.len()) ")" }
            table {
                tr { th { "At" } th { "Action" } th { "Outcome" } th { "Source" } }
                @for e in v.audit {
                    tr { td { (when(&e.at)) } td { (e.action) } td { (e.outcome) (times(e.count)) } td { (e.source) } }
                }
            }
            h2 { "Mailbox (" (v.mail_total) " mails, newest " (v.mails.len()) " shown)" }
            @for m in v.mails {
                details {
                    summary { (when(&m.received_at)) " · " (m.from) " · " strong { (m.subject) } @if !m.read { " (unread)" } }
                    (body_text(&m.body))
                }
            }
            h2 { "Billing" }
            table {
                tr { th { "Site" } th { "Monthly fee (yen)" } th { "Since" } th { "Settlement no." } }
                @for s in v.subscriptions {
                    tr { td { (s.site) } td { (s.monthly_fee) } td { (when(&s.started_at)) } td { (s.settlement_no) } }
                }
            }
            p { "Monthly total: " strong { (v.subscriptions.iter().map(|s| s.monthly_fee).sum::<i64>()) " yen" } }
            @if !v.ledger.is_empty() {
                h2 { "Ledger" }
                table {
                    tr { th { "Site" } th { "Fee" } th { "Start date (JST)" } th { "Settlement no." } }
                    @for e in v.ledger { tr { td { (e.site) } td { (e.monthly_fee) } td { (e.start_date) } td { (e.settlement_no) } } }
                }
            }
        },
    )
}

/// One inquiry beside the member record it names (if any).
pub struct InquiryView<'a> {
    pub inquiry: &'a crate::store::partners::Inquiry,
    /// (login ID, stored fields) of the member with the inquiry's member ID.
    pub member: Option<(&'a str, &'a std::collections::BTreeMap<String, String>)>,
}

/// The partner support-desk queue: staff compare each inquiry with the member
/// record and send a reset link. The password itself is never shown.
pub fn support(
    who: &Who,
    items: &[InquiryView<'_>],
    note: Option<&str>,
    offset: i64,
    total: i64,
) -> Markup {
    layout(
        "Support desk",
        Some(who),
        html! {
            @if let Some(n) = note { p { strong { (n) } } }
            p { "Inquiries from partner sites. Compare with the member record; \"Send reset link\" mails the member a link to set a new password (the original password is never shown)." }
            @if items.is_empty() {
                p.empty {
                    "No inquiries. A member who cannot reset a password alone (a Plus member without a date of birth) "
                    "writes through the site's inquiry form, and the inquiry waits here: see the "
                    a href="/partners" { "partner sites" } "."
                }
            }
            @for item in items {
                h2 { "#" (item.inquiry.id) " " (item.inquiry.site) " — " (item.inquiry.status) }
                table {
                    tr { th { "Field" } th { "Inquiry" } th { "Member record" } }
                    @for (name, value) in &item.inquiry.fields {
                        @let stored = item.member.and_then(|(_, f)| f.get(name));
                        tr {
                            td { (name) } td { (value) }
                            td { @match stored { Some(s) if s == value => { "✓ " (s) } Some(s) => { "✗ " (s) } None => { "—" } } }
                        }
                    }
                }
                @if item.inquiry.status == "open" {
                    @if let Some((login_id, _)) = item.member {
                        form method="post" action={ "/admin/support/" (item.inquiry.id) "/reset" } {
                            input type="hidden" name="csrf" value=(who.csrf);
                            input type="hidden" name="login_id" value=(login_id);
                            button { "Send reset link to " (login_id) }
                        }
                    } @else {
                        p { "No member has this member ID." }
                    }
                }
            }
            (pager("/admin/support", offset, crate::limits::PAGE_ROWS, total, &[]))
        },
    )
}
