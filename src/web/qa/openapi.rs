//! `GET /api/openapi.json`: an OpenAPI 3.1 description of every route of the
//! QA API (and `/metrics`). A test reads the router's routes from
//! `web/api.rs` and fails when one is missing here.

use axum::Json;
use serde_json::{json, Map, Value};

use crate::web::qa::auth::Admin;
use crate::web::state::AppState;

/// The document (built once: it never changes while the server runs).
pub fn document() -> &'static Value {
    static DOC: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    DOC.get_or_init(build)
}

pub async fn serve(_: Admin, _state: AppState) -> Json<Value> {
    Json(document().clone())
}

fn schema(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn array_of(name: &str) -> Value {
    json!({ "type": "array", "items": schema(name) })
}

fn ok_json(description: &str, body: Value) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": body } } })
}

fn error(description: &str) -> Value {
    ok_json(description, schema("Error"))
}

fn param(name: &str, place: &str, description: &str, kind: &str) -> Value {
    json!({
        "name": name,
        "in": place,
        "required": place == "path",
        "description": description,
        "schema": { "type": kind },
    })
}

fn msisdn() -> Value {
    param(
        "msisdn",
        "path",
        "The line's phone number, e.g. 09012340001 (hyphens allowed).",
        "string",
    )
}

fn id() -> Value {
    param("id", "path", "The outbox message's id.", "integer")
}

fn page_params() -> Vec<Value> {
    vec![
        param(
            "limit",
            "query",
            "Entries per page (default 50, at most 1000).",
            "integer",
        ),
        param("offset", "query", "Entries to skip.", "integer"),
    ]
}

fn total_header() -> Value {
    json!({ "X-Total-Count": { "description": "How many entries match in all.", "schema": { "type": "integer" } } })
}

/// One operation: a summary, its parameters, its answers.
fn op(summary: &str, params: Vec<Value>, responses: Vec<(&str, Value)>) -> Value {
    let mut answers = Map::new();
    for (code, answer) in responses {
        answers.insert(code.to_string(), answer);
    }
    answers.insert("401".into(), error("The admin token is missing or wrong."));
    answers.insert(
        "429".into(),
        error("Too many wrong admin tokens from this address this minute (see Retry-After)."),
    );
    json!({ "summary": summary, "parameters": params, "responses": answers })
}

fn with_body(mut operation: Value, body: Value) -> Value {
    operation["requestBody"] = json!({
        "required": true,
        "content": { "application/json": { "schema": body } }
    });
    operation
}

fn wait_params(extra: Vec<Value>) -> Vec<Value> {
    let mut params = extra;
    params.push(param(
        "after",
        "query",
        "Only messages with a larger id match (default: any).",
        "integer",
    ));
    params.push(param(
        "timeout",
        "query",
        "Seconds to wait, 1 to 60 (default 30).",
        "integer",
    ));
    params
}

fn build() -> Value {
    let outbox_filters = vec![
        param(
            "from",
            "query",
            "Substring of the sender, any case.",
            "string",
        ),
        param(
            "to",
            "query",
            "Substring of the recipient, any case (`example.com` matches a domain).",
            "string",
        ),
        param(
            "subject",
            "query",
            "Substring of the subject, any case.",
            "string",
        ),
    ];
    let mut outbox_search = outbox_filters.clone();
    outbox_search.push(param(
        "since",
        "query",
        "RFC 3339 time: sent at or after it.",
        "string",
    ));
    outbox_search.push(param(
        "before",
        "query",
        "RFC 3339 time: sent before it.",
        "string",
    ));
    outbox_search.extend(page_params());
    let paged = |summary: &str, items: &str, mut params: Vec<Value>| {
        params.extend(page_params());
        let mut answer = ok_json("One page, newest first.", array_of(items));
        answer["headers"] = total_header();
        op(
            summary,
            params,
            vec![("200", answer), ("400", error("A parameter is not valid."))],
        )
    };
    let lines_get = paged("Every line's state, in number order.", "LineState", vec![]);
    let mut line_mail_get = paged(
        "One page of the line's i-mode mailbox, newest first.",
        "Mail",
        vec![msisdn()],
    );
    line_mail_get["responses"]["404"] = error("No such line.");
    let mut outbox_page = ok_json("One page, newest first.", array_of("OutboxMessage"));
    outbox_page["headers"] = total_header();
    let outbox_get = op(
        "Search the mail that left the carrier.",
        outbox_search,
        vec![
            ("200", outbox_page),
            ("400", error("A parameter is not valid.")),
        ],
    );
    let paths = json!({
        "/api/lines": {
            "get": lines_get,
            "post": with_body(
                op("Create a line as at purchase (i-mode password 0000).", vec![], vec![
                    ("201", ok_json("The new line.", schema("LineState"))),
                    ("400", error("A field is missing or not valid.")),
                    ("409", error("The number or d ACCOUNT ID is taken.")),
                ]),
                schema("NewLine"),
            ),
        },
        "/api/lines/{msisdn}": {
            "get": op("One line's state.", vec![msisdn()], vec![
                ("200", ok_json("The line.", schema("LineState"))),
                ("404", error("No such line.")),
            ]),
        },
        "/api/lines/{msisdn}/reset": {
            "post": op("Put one line back as the demo fixtures (or a purchase) had it.", vec![msisdn()], vec![
                ("200", ok_json("The line now.", schema("LineState"))),
                ("404", error("No such line.")),
            ]),
        },
        "/api/lines/{msisdn}/billing": {
            "get": op("Active subscriptions, their monthly total and the ledger.", vec![msisdn()], vec![
                ("200", ok_json("The bill.", schema("Billing"))),
                ("404", error("No such line.")),
            ]),
        },
        "/api/lines/{msisdn}/mail": {
            "get": line_mail_get,
        },
        "/api/lines/{msisdn}/mail/wait": {
            "get": op(
                "Wait for the next mail to the line's mailbox: answers as soon as it arrives.",
                wait_params(vec![msisdn()]),
                vec![
                    ("200", ok_json("The mail, with the links and codes of its body.", schema("WaitedMail"))),
                    ("400", error("A parameter is not valid.")),
                    ("404", error("No such line.")),
                    ("408", error("No mail arrived in time.")),
                    ("503", error("Too many waits open (--max-waits).")),
                ],
            ),
        },
        "/api/audit": {
            "get": paged(
                "The audit log, newest first.",
                "AuditEntry",
                vec![
                    param("line", "query", "Only this line's entries.", "string"),
                    param("action", "query", "Only this action, e.g. change_imode_password.", "string"),
                    param("outcome", "query", "Only this outcome: ok, wrong_pin, locked, invalid_input, refused, wrong_token, throttled.", "string"),
                ],
            ),
        },
        "/api/mail": {
            "post": with_body(
                op("Send a mail through the same delivery rules as handset mail.", vec![], vec![
                    ("200", ok_json("What became of it.", schema("SendResult"))),
                    ("400", error("An address is not valid.")),
                    ("422", error("The subject or body is too long.")),
                    ("429", error("The sending line sent its most mail this minute, or too many wrong admin tokens (see Retry-After).")),
                ]),
                schema("NewMail"),
            ),
        },
        "/api/mail-log": {
            "get": paged("Every delivery decision, newest first.", "LogEntry", vec![]),
        },
        "/api/outbox": {
            "get": outbox_get,
            "delete": op("Empty the outbox.", vec![], vec![
                ("200", ok_json("How many went.", json!({ "type": "object", "properties": { "deleted": { "type": "integer" } } }))),
            ]),
        },
        "/api/outbox/wait": {
            "get": op(
                "Wait for the next outbox message matching the filters: answers as soon as it is sent.",
                wait_params(outbox_filters),
                vec![
                    ("200", ok_json("The message, with the links and codes of its body.", schema("WaitedOutboxMessage"))),
                    ("400", error("A parameter is not valid.")),
                    ("408", error("No matching message in time.")),
                    ("503", error("Too many waits open (--max-waits).")),
                ],
            ),
        },
        "/api/outbox/{id}": {
            "get": op("One outbox message.", vec![id()], vec![
                ("200", ok_json("The message.", schema("OutboxMessage"))),
                ("400", error("Not an id.")),
                ("404", error("No such message.")),
            ]),
            "delete": op("Delete one outbox message.", vec![id()], vec![
                ("204", json!({ "description": "Deleted." })),
                ("400", error("Not an id.")),
                ("404", error("No such message.")),
            ]),
        },
        "/api/outbox/{id}/raw": {
            "get": op("One outbox message as RFC 5322 text (an .eml file).", vec![id()], vec![
                ("200", json!({ "description": "The message.", "content": { "message/rfc822": { "schema": { "type": "string" } } } })),
                ("404", error("No such message.")),
            ]),
        },
        "/api/outbox/{id}/relay": {
            "post": op("Send the message again through the SMTP relay.", vec![id()], vec![
                ("202", ok_json("Queued: its relay state is pending again.", schema("OutboxMessage"))),
                ("404", error("No such message.")),
                ("409", error("No relay is configured, or an attempt is under way.")),
            ]),
        },
        "/api/events": {
            "get": op(
                "Server-Sent Events: `audit`, `delivery`, `outbox` and `relay` as they are committed (`lagged` when a reader fell behind).",
                vec![],
                vec![
                    ("200", json!({
                        "description": "An endless stream: `event:` is the kind, `data:` one line of JSON (AuditEntry, LogEntry, OutboxMessage).",
                        "content": { "text/event-stream": { "schema": { "type": "string" } } }
                    })),
                    ("503", error("Too many event streams open (--max-event-streams).")),
                ],
            ),
        },
        "/api/clock": {
            "get": op("The simulated time.", vec![], vec![("200", ok_json("Now.", schema("Clock")))]),
        },
        "/api/clock/advance": {
            "post": with_body(
                op("Move the simulated time forward (1 second to 10 years), never past 9999-12-31T23:59:59Z.", vec![], vec![
                    ("200", ok_json("Now.", schema("Clock"))),
                    ("400", error("Not 1 to 316224000 seconds, or a move past 9999-12-31T23:59:59Z; the clock did not move.")),
                ]),
                json!({ "type": "object", "required": ["seconds"], "properties": { "seconds": { "type": "integer", "minimum": 1, "maximum": 316_224_000 } } }),
            ),
        },
        "/api/reset": {
            "post": op("Restore the demo fixtures and end every session.", vec![], vec![
                ("200", ok_json("Done.", json!({ "type": "object", "properties": { "restored": { "type": "string" } } }))),
            ]),
        },
        "/api/handsets": {
            "get": op("The handset catalogue, oldest model first.", vec![], vec![
                ("200", ok_json("Every model.", array_of("Handset"))),
            ]),
        },
        "/api/openapi.json": {
            "get": op("This description.", vec![], vec![
                ("200", ok_json("OpenAPI 3.1.", json!({ "type": "object" }))),
            ]),
        },
        "/metrics": {
            "get": op("Counters and sizes in Prometheus text format.", vec![], vec![
                ("200", json!({ "description": "Prometheus text format 0.0.4.", "content": { "text/plain": { "schema": { "type": "string" } } } })),
            ]),
        },
    });
    let string = json!({ "type": "string" });
    let nullable_string = json!({ "type": ["string", "null"] });
    let integer = json!({ "type": "integer" });
    let boolean = json!({ "type": "boolean" });
    let object = |props: Vec<(&'static str, Value)>| {
        let required: Vec<&str> = props.iter().map(|(k, _)| *k).collect();
        let mut properties = Map::new();
        for (k, v) in props {
            properties.insert(k.to_string(), v);
        }
        json!({ "type": "object", "required": required, "properties": properties })
    };
    let mail_fields = |extra: Vec<(&'static str, Value)>| -> Vec<(&'static str, Value)> {
        let mut props = vec![
            ("id", integer.clone()),
            ("from", string.clone()),
            ("to", string.clone()),
            ("subject", string.clone()),
            ("body", string.clone()),
        ];
        props.extend(extra);
        props
    };
    let extracts: Vec<(&'static str, Value)> = vec![
        (
            "links",
            json!({ "type": "array", "items": { "type": "string" }, "description": "Every URL in the body." }),
        ),
        (
            "codes",
            json!({ "type": "array", "items": { "type": "string" }, "description": "Every run of 4–12 digits and any handed-out password in the body." }),
        ),
    ];
    let relay = object(vec![
        (
            "state",
            json!({ "enum": ["pending", "relayed", "failed", "off"] }),
        ),
        ("attempts", integer.clone()),
        ("last_error", nullable_string.clone()),
    ]);
    let outbox_message = mail_fields(vec![
        ("at", string.clone()),
        ("message_id", string.clone()),
        ("relay", relay),
    ]);
    let mailbox_message = mail_fields(vec![
        ("received_at", string.clone()),
        ("read", boolean.clone()),
    ]);
    let mut waited_outbox = outbox_message.clone();
    waited_outbox.extend(extracts.clone());
    let mut waited_mail = mailbox_message.clone();
    waited_mail.extend(extracts);
    let schemas = json!({
        "Error": object(vec![("error", string.clone())]),
        "LineState": {
            "type": "object",
            "description": "A line's public state (never a secret).",
            "properties": {
                "msisdn": string, "name": string, "name_en": string, "mail_address": string,
                "mail_suspended": boolean,
                "mail_rejection": object(vec![("mode", string.clone()), ("list", json!({ "type": "array", "items": { "type": "string" } }))]),
                "secret_code_registered": boolean,
                "message_service": object(vec![("message_r", boolean.clone()), ("message_f", boolean.clone())]),
                "id_notification": boolean,
                "my_menu": { "type": "array", "items": { "type": "string" } },
                "subscriptions": { "type": "array", "items": { "type": "string" } },
                "pin_locked": boolean, "network_pin_locked": boolean, "has_daccount": boolean,
            },
        },
        "NewLine": {
            "type": "object",
            "required": ["msisdn", "name", "network_pin"],
            "properties": {
                "msisdn": string, "name": string, "name_en": string, "network_pin": string,
                "daccount_id": string, "daccount_password": string, "id_doc_type": string, "id_doc_number": string,
            },
        },
        "Billing": object(vec![
            ("subscriptions", json!({ "type": "array", "items": object(vec![("site", string.clone()), ("monthly_fee", integer.clone()), ("started_at", string.clone()), ("settlement_no", string.clone())]) })),
            ("monthly_total", integer.clone()),
            ("ledger", json!({ "type": "array", "items": object(vec![("site", string.clone()), ("monthly_fee", integer.clone()), ("start_date", string.clone()), ("settlement_no", string.clone())]) })),
        ]),
        "AuditEntry": object(vec![
            ("at", string.clone()), ("line", nullable_string.clone()), ("action", string.clone()),
            ("outcome", json!({ "enum": ["ok", "wrong_pin", "locked", "invalid_input", "refused", "wrong_token", "throttled"] })),
            ("source", string.clone()),
            ("count", json!({ "type": "integer", "minimum": 1, "description": "Requests the entry stands for: 1, or the refusals a minute's summary counts." })),
        ]),
        "LogEntry": object(vec![
            ("at", string.clone()), ("from", string.clone()), ("to", string.clone()),
            ("line", nullable_string.clone()), ("status", string.clone()), ("reason", nullable_string.clone()),
        ]),
        "NewMail": object(vec![("from", string.clone()), ("to", string.clone()), ("subject", string.clone()), ("body", string.clone())]),
        "SendResult": object(vec![
            ("status", json!({ "enum": ["delivered", "rejected", "outbox"] })),
            ("reason", nullable_string.clone()),
        ]),
        "Mail": object(mailbox_message),
        "WaitedMail": object(waited_mail),
        "OutboxMessage": object(outbox_message),
        "WaitedOutboxMessage": object(waited_outbox),
        "Clock": object(vec![("now", string.clone()), ("offset_seconds", integer.clone())]),
        "Handset": object(vec![
            ("model", string.clone()), ("user_agent", string.clone()), ("cache_kb", integer.clone()),
            ("width", integer.clone()), ("height", integer.clone()), ("html_version", string.clone()),
            ("browser", json!({ "enum": ["1.0", "2.0"] })), ("cookies", boolean.clone()), ("utn", boolean.clone()),
            ("pictograms", json!({ "enum": ["basic", "extended"] })),
        ]),
    });
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "garake QA API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Lines, mail, the outbox, the audit log, the simulated clock and events of a garake server. Every route needs `Authorization: Bearer <admin token>`.",
        },
        "security": [{ "admin": [] }],
        "components": {
            "securitySchemes": { "admin": { "type": "http", "scheme": "bearer" } },
            "schemas": schemas,
        },
        "paths": paths,
    })
}
