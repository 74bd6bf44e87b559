//! The admin console (a PC tool: UTF-8, a little CSS, no script).

use maud::{html, Markup, DOCTYPE};

use crate::mail::store::{LogEntry, OutboxFilter, Outgoing};
use crate::store::audit;
use crate::store::lines::LineState;

const CSS: &str = "body{font-family:sans-serif;margin:1.5em;max-width:70em}\
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}\
nav a{margin-right:1em}pre{background:#f4f4f4;padding:.5em;overflow:auto}.err{color:#b00}";

/// The console frame with its navigation.
pub fn layout(title: &str, csrf: Option<&str>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { (title) " — garake admin" }
                style { (CSS) }
            }
            body {
                @if let Some(csrf) = csrf {
                    nav {
                        a href="/admin" { "Lines" }
                        a href="/admin/audit" { "Audit log" }
                        a href="/admin/mail-log" { "Mail log" }
                        a href="/outbox" { "Outbox" }
                        a href="/admin/support" { "Support desk" }
                        form method="post" action="/admin/logout" style="display:inline" {
                            input type="hidden" name="csrf" value=(csrf);
                            button { "Log out" }
                        }
                    }
                }
                h1 { (title) }
                (body)
            }
        }
    }
}

/// The login page's answer to a wrong token.
pub const WRONG_TOKEN: &str = "That is not the admin token.";

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

/// A time as the console shows it: Japan time (the rules run on it, e.g. a
/// lock lifts at 00:00 JST) with the stored UTC beside it.
fn when(at: &str) -> Markup {
    let jst = chrono::DateTime::parse_from_rfc3339(at)
        .map(|t| crate::clock::jst_long(t.timestamp()))
        .unwrap_or_default();
    html! { time datetime=(at) { (jst) } " " small.utc { (at) } }
}

pub fn lines(csrf: &str, lines: &[LineState], total: i64, now: &str, note: Option<&str>) -> Markup {
    layout(
        "Lines",
        Some(csrf),
        html! {
            @if let Some(n) = note { p { strong { (n) } } }
            section {
                p { "Simulated time: " strong { (when(now)) } }
                form method="post" action="/admin/clock" {
                    input type="hidden" name="csrf" value=(csrf);
                    @for (secs, label) in [(3600, "+1 hour"), (86_400, "+1 day"), (86_400 * 7, "+1 week"), (86_400 * 31, "+31 days")] {
                        button name="seconds" value=(secs) { (label) } " "
                    }
                }
                form method="post" action="/admin/restore" {
                    input type="hidden" name="csrf" value=(csrf);
                    button { "Restore demo fixtures" }
                }
            }
            p { (total) " lines" }
            table {
                tr { th { "Number" } th { "Name" } th { "Mail address" } th { "Mail" } th { "Rejection" } th { "My Menu" } th { "Subscriptions" } th { "Locks" } th { "" } }
                @for l in lines {
                    tr {
                        td { (l.msisdn) } td { (l.name) " / " (l.name_en) } td { (l.mail_address) }
                        td { @if l.mail_suspended { "suspended" } @else { "on" } }
                        td { (l.mail_rejection.mode) @if !l.mail_rejection.list.is_empty() { " (" (l.mail_rejection.list.len()) ")" } }
                        td { (l.my_menu.join(", ")) } td { (l.subscriptions.join(", ")) }
                        td {
                            @if l.pin_locked { "i-mode password " }
                            @if l.network_pin_locked { "network PIN" }
                        }
                        td {
                            form method="post" action={ "/admin/lines/" (l.msisdn) "/reset" } {
                                input type="hidden" name="csrf" value=(csrf);
                                button { "Reset" }
                            }
                        }
                    }
                }
            }
            h2 { "New line" }
            p { "A line as at purchase: i-mode password 0000, the phone-number mail address." }
            form method="post" action="/admin/lines" {
                input type="hidden" name="csrf" value=(csrf);
                label { "Number " input name="msisdn" placeholder="090-1234-0004" required; } " "
                label { "Name " input name="name" required; } " "
                label { "Name (en) " input name="name_en"; } br;
                label { "Network PIN " input name="network_pin" maxlength="4" required; } " "
                label { "d ACCOUNT ID " input name="daccount_id"; } " "
                label { "d ACCOUNT password " input type="password" name="daccount_password"; } br;
                label { "Identity document "
                    select name="id_doc_type" {
                        option value="" { "—" }
                        @for t in crate::store::provision::DOCUMENT_TYPES { option value=(t) { (t) } }
                    }
                } " "
                label { "number " input name="id_doc_number"; } " "
                button { "Create" }
            }
        },
    )
}

pub fn audit(
    csrf: &str,
    entries: &[audit::Entry],
    filter: [Option<&str>; 3],
    offset: i64,
    total: i64,
) -> Markup {
    let [line, action, outcome] = filter;
    layout(
        "Audit log",
        Some(csrf),
        html! {
            form method="get" {
                label { "Line " input name="line" value=(line.unwrap_or("")) placeholder="090-1234-0001"; } " "
                label { "Action " input name="action" value=(action.unwrap_or("")) placeholder="change_imode_password"; } " "
                label { "Outcome "
                    select name="outcome" {
                        option value="" { "any" }
                        @for o in ["ok", "wrong_pin", "locked", "invalid_input", "refused"] {
                            option value=(o) selected[outcome == Some(o)] { (o) }
                        }
                    }
                }
                " " button { "Filter" }
            }
            table {
                tr { th { "At" } th { "Line" } th { "Action" } th { "Outcome" } th { "Source" } }
                @for e in entries {
                    tr { td { (when(&e.at)) } td { (e.line.as_deref().unwrap_or("")) } td { (e.action) } td { (e.outcome) } td { (e.source) } }
                }
            }
            (pager("/admin/audit", offset, crate::limits::PAGE_ROWS, total, &[("line", line.unwrap_or("").to_string()), ("action", action.unwrap_or("").to_string()), ("outcome", outcome.unwrap_or("").to_string())]))
        },
    )
}

pub fn mail_log(csrf: &str, entries: &[LogEntry], offset: i64, total: i64) -> Markup {
    layout(
        "Mail log",
        Some(csrf),
        html! {
            table {
                tr { th { "At" } th { "From" } th { "To" } th { "Line" } th { "Status" } th { "Reason" } }
                @for e in entries {
                    tr { td { (when(&e.at)) } td { (e.from) } td { (e.to) } td { (e.line.as_deref().unwrap_or("")) } td { (e.status) } td { (e.reason.as_deref().unwrap_or("")) } }
                }
            }
            (pager("/admin/mail-log", offset, crate::limits::PAGE_ROWS, total, &[]))
        },
    )
}

pub fn outbox(csrf: &str, mails: &[Outgoing], total: i64, filter: &OutboxFilter) -> Markup {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    layout(
        "Outbox",
        Some(csrf),
        html! {
            p { "Mail to addresses outside docomo.ne.jp. Newest first; the newest 1,000 are kept." }
            form method="get" {
                label { "From " input name="from" value=(text(&filter.from)); } " "
                label { "To " input name="to" value=(text(&filter.to)); } " "
                label { "Subject " input name="subject" value=(text(&filter.subject)); }
                " " button { "Search" }
            }
            p { (total) " messages" }
            table {
                tr { th { "#" } th { "At" } th { "From" } th { "To" } th { "Subject" } th { "Relay" } }
                @for m in mails {
                    tr {
                        td { a href={ "/outbox/" (m.id) } { (m.id) } }
                        td { (when(&m.at)) } td { (m.from) } td { (m.to) } td { (m.subject) }
                        td { (m.relay.state) @if m.relay.attempts > 0 { " (" (m.relay.attempts) ")" } }
                    }
                }
            }
            (pager("/outbox", filter.offset, filter.limit, total, &[("from", text(&filter.from)), ("to", text(&filter.to)), ("subject", text(&filter.subject))]))
            form method="post" action="/outbox/clear" {
                input type="hidden" name="csrf" value=(csrf);
                button { "Delete all" }
            }
        },
    )
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

pub fn outbox_one(csrf: &str, m: &Outgoing, raw: &str) -> Markup {
    layout(
        &format!("Outbox #{}", m.id),
        Some(csrf),
        html! {
            table {
                tr { th { "At" } td { (when(&m.at)) } }
                tr { th { "From" } td { (m.from) } }
                tr { th { "To" } td { (m.to) } }
                tr { th { "Subject" } td { (m.subject) } }
            }
            h2 { "Body" }
            pre { (m.body) }
            h2 { "RFC 5322" }
            pre { (raw) }
        },
    )
}

/// One inquiry beside the member record it names (if any).
pub struct InquiryView<'a> {
    pub inquiry: &'a crate::recovery::store::Inquiry,
    /// (login ID, stored fields) of the member with the inquiry's member ID.
    pub member: Option<(&'a str, &'a std::collections::BTreeMap<String, String>)>,
}

/// The partner support-desk queue: staff compare each inquiry with the member
/// record and send a reset link. The password itself is never shown.
pub fn support(
    csrf: &str,
    items: &[InquiryView<'_>],
    note: Option<&str>,
    offset: i64,
    total: i64,
) -> Markup {
    layout(
        "Support desk",
        Some(csrf),
        html! {
            @if let Some(n) = note { p { strong { (n) } } }
            p { "Inquiries from partner sites. Compare with the member record; \"Send reset link\" mails the member a link to set a new password (the original password is never shown)." }
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
                            input type="hidden" name="csrf" value=(csrf);
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
