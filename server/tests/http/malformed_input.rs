//! Issue 13.6: no input makes the server fail. Every registered server function and every
//! operation of the OpenAPI document is called with generated malformed input — NUL bytes,
//! 100,000-character values, emoji, invalid UUIDs and dates, missing and repeated fields, wrong
//! content types — signed out and signed in, and must answer below 500 and change no row.
//!
//! The server functions' fields are read from `app`'s own source, so a new server function is
//! covered without touching this file, and the test fails if one of them is not found.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::support::{spawn_app, TestApp};

const PASSWORD: &str = "correct horse battery staple";
const LONG: usize = 100_000;

/// What a request checking a password may change, whatever else was wrong with it: a wrong
/// password counts as a failed attempt (that is what locks out a guesser), recorded with its
/// audit event and activity entry, and nothing else.
const ATTEMPT_RECORDS: [&str; 3] = [
    "authn.login_attempts",
    "authn.audit_events",
    "gatehouse.account_activity",
];

/// One server function as its source declares it: the name and `(field, type)` pairs.
#[derive(Debug)]
struct Declared {
    name: String,
    fields: Vec<(String, String)>,
    /// Whether the namespace alone is a whole request (every other field may be left out).
    namespace_suffices: bool,
}

/// The `#[server]` functions of every file under `app/src`.
fn declared_server_functions() -> Vec<Declared> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../app/src");
    let mut files = vec![root];
    let mut found = Vec::new();
    while let Some(path) = files.pop() {
        if path.is_dir() {
            for entry in std::fs::read_dir(&path).unwrap() {
                files.push(entry.unwrap().path());
            }
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let mut rest = text.as_str();
        while let Some(at) = rest.find("\n#[server") {
            rest = &rest[at + 1..];
            let start = rest.find("pub async fn ").unwrap() + "pub async fn ".len();
            rest = &rest[start..];
            let open = rest.find('(').unwrap();
            let name = rest[..open].trim().to_owned();
            let (mut depth, mut close) = (0, 0);
            for (i, c) in rest[open..].char_indices() {
                match c {
                    '(' => depth += 1,
                    ')' => {
                        depth -= 1;
                        if depth == 0 {
                            close = open + i;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            let list = &rest[open + 1..close];
            let fields = split_fields(list);
            let optional = split_parts(list)
                .iter()
                .filter(|p| p.contains("#[server(default)]") || p.contains(": Option<"))
                .count();
            let namespace_suffices = fields.len() == 1 + optional;
            found.push(Declared {
                name,
                fields,
                namespace_suffices,
            });
            rest = &rest[close..];
        }
    }
    found
}

/// `a: String, #[server(default)] b: bool` → `[("a", "String"), ("b", "bool")]`.
fn split_fields(list: &str) -> Vec<(String, String)> {
    split_parts(list)
        .into_iter()
        .filter_map(|part| {
            let mut part = part.trim();
            while part.starts_with("#[") {
                part = part[part.find(']').unwrap() + 1..].trim();
            }
            let (name, ty) = part.split_once(':')?;
            Some((name.trim().to_owned(), ty.split_whitespace().collect()))
        })
        .collect()
}

/// The comma-separated parts of a parameter list, attributes included.
fn split_parts(list: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let (mut depth, mut current) = (0, String::new());
    for c in list.chars() {
        match c {
            '(' | '<' | '[' => depth += 1,
            ')' | '>' | ']' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    parts.push(current);
    parts
}

/// Each table of the core and of the app's own schema, with a digest of its rows.
async fn fingerprint(app: &TestApp) -> BTreeMap<String, String> {
    digest_tables(&app.superuser).await
}

async fn digest_tables(superuser: &sqlx::PgPool) -> BTreeMap<String, String> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname IN ('authn', 'gatehouse') AND c.relkind IN ('r', 'p') \
           AND NOT c.relispartition ORDER BY 1",
    )
    .fetch_all(superuser)
    .await
    .unwrap();
    let mut digests = BTreeMap::new();
    for table in tables {
        let digest: Option<String> = sqlx::query_scalar(&format!(
            "SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) FROM {table} t"
        ))
        .fetch_one(superuser)
        .await
        .unwrap();
        digests.insert(table, digest.unwrap_or_default());
    }
    digests
}

fn changed(before: &BTreeMap<String, String>, after: &BTreeMap<String, String>) -> Vec<String> {
    after
        .iter()
        .filter(|(table, digest)| before.get(*table) != Some(digest))
        .map(|(table, _)| table.clone())
        .collect()
}

/// A request and what it is, for the failure message.
struct Attempt {
    label: String,
    content_type: &'static str,
    body: String,
}

fn form(pairs: &[(&str, &str)]) -> String {
    let encode = |text: &str| -> String {
        text.bytes()
            .map(|b| match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                    char::from(b).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// A value of the wrong shape for `ty`, or `text` where any text is the right shape.
fn value_for<'a>(ty: &str, text: &'a str) -> &'a str {
    match ty {
        "String" | "Option<String>" => text,
        // Never a valid bool, number or struct: refused whatever `text` is.
        _ if text.is_empty() => "maybe",
        _ => text,
    }
}

/// The malformed requests for one server function in namespace `ns`.
fn attempts_for(declared: &Declared, ns: &str) -> Vec<Attempt> {
    let long = "a".repeat(LONG);
    let texts: [(&str, &str); 5] = [
        ("NUL", "a\0b"),
        ("emoji", "😀\u{200d}🔥 ñ\u{202e}"),
        ("invalid UUID", "123e4567-e89b-12d3-a456-42661417400Z"),
        ("invalid date", "2026-02-30T25:61:00Z"),
        ("long", &long),
    ];
    let others = |ns: &str, text: &str| -> Vec<(String, String)> {
        declared
            .fields
            .iter()
            .map(|(name, ty)| {
                let value = if name == "namespace" {
                    ns
                } else {
                    value_for(ty, text)
                };
                (name.clone(), value.to_owned())
            })
            .collect()
    };
    let encode = |pairs: &[(String, String)]| {
        let borrowed: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        form(&borrowed)
    };
    let form_type = "application/x-www-form-urlencoded";
    let mut out = Vec::new();
    // A function of the namespace alone (sign out, turn the authenticator app off) has no
    // malformed form but a malformed namespace: its other requests are whole and valid.
    let only_namespace = declared.fields.len() == 1;
    // Every field but the namespace malformed at once (long: one field at a time, the others
    // empty, so the body stays under the size limit and reaches the function).
    for (label, text) in texts[..4].iter().filter(|_| !only_namespace) {
        out.push(Attempt {
            label: format!("{label} in every field"),
            content_type: form_type,
            body: encode(&others(ns, text)),
        });
    }
    for (name, ty) in declared.fields.iter().filter(|_| !only_namespace) {
        let mut pairs = others(ns, "");
        for (field, value) in &mut pairs {
            if field == name {
                *value = value_for(ty, &long).to_owned();
            }
        }
        out.push(Attempt {
            label: format!("{LONG} characters in {name}"),
            content_type: form_type,
            body: encode(&pairs),
        });
    }
    // The namespace itself malformed.
    for (label, text) in texts.iter().chain(&[("a path", "../admin")]) {
        out.push(Attempt {
            label: format!("{label} as the namespace"),
            content_type: form_type,
            body: encode(&others(text, "")),
        });
    }
    // Missing fields, repeated fields, no body, wrong content types.
    if !declared.namespace_suffices {
        out.push(Attempt {
            label: "only the namespace".into(),
            content_type: form_type,
            body: form(&[("namespace", ns)]),
        });
    }
    let mut repeated = others(ns, "a");
    repeated.extend(others("other", "b"));
    out.push(Attempt {
        label: "every field twice".into(),
        content_type: form_type,
        body: encode(&repeated),
    });
    out.push(Attempt {
        label: "no body".into(),
        content_type: form_type,
        body: String::new(),
    });
    let as_json: serde_json::Map<String, Value> = others(ns, "😀")
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    out.push(Attempt {
        label: "a JSON body".into(),
        content_type: "application/json",
        body: Value::Object(as_json).to_string(),
    });
    out.push(Attempt {
        label: "a text body".into(),
        content_type: "text/plain",
        body: "%%%&&&===namespace".into(),
    });
    out.push(Attempt {
        label: "a multipart body".into(),
        content_type: "multipart/form-data; boundary=x",
        body: "--x\r\nContent-Disposition: form-data; name=\"namespace\"\r\n\r\n--x--".into(),
    });
    out
}

/// The namespace's admin (with an authenticator app, just signed in: past every gate but the
/// input's) and a plain member, and the admin's session cookie.
async fn people(app: &TestApp) -> String {
    app.create_user("admin@example.com", PASSWORD).await;
    app.create_user("member@example.com", PASSWORD).await;
    let admin = app.user_id("admin@example.com").await;
    let mut core = app.core().await;
    core.add_mfa(admin, authn::MfaType::Totp, &"a".repeat(64), None)
        .await
        .unwrap();
    let (token, cookie) = app.session_cookie(admin).await;
    let session = core.validate_session(&token.hash()).await.unwrap().unwrap();
    let mut tx = core.begin().await.unwrap();
    identity::roles::grant_admin(&mut tx, admin).await.unwrap();
    identity::reauth::record(&mut tx, session.session_id)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    cookie
}

async fn send(
    app: &TestApp,
    method: &reqwest::Method,
    url: &str,
    cookie: Option<&str>,
    attempt: &Attempt,
) -> u16 {
    let mut request = app
        .http
        .request(method.clone(), url)
        .header("Origin", &app.base)
        .header("Content-Type", attempt.content_type);
    if let Some(cookie) = cookie {
        request = request.header("Cookie", cookie);
    }
    if method == reqwest::Method::GET {
        request = app
            .http
            .get(format!("{url}?{}", attempt.body))
            .header("Origin", &app.base);
        if let Some(cookie) = cookie {
            request = request.header("Cookie", cookie);
        }
    } else {
        request = request.body(attempt.body.clone());
    }
    match request.send().await {
        Ok(res) => res.status().as_u16(),
        Err(e) => panic!("{url}, {}: no answer ({e})", attempt.label),
    }
}

#[tokio::test]
async fn no_server_function_fails_or_changes_anything_on_malformed_input() {
    let app = spawn_app(&["--rate-limit-scale", "10000"]).await;
    let ns = app.namespace.clone();
    let cookie = people(&app).await;

    let declared = declared_server_functions();
    let registered: Vec<(&'static str, reqwest::Method)> =
        leptos::server_fn::axum::server_fn_paths()
            .map(|(path, method)| {
                (
                    path,
                    reqwest::Method::from_bytes(method.as_str().as_bytes()).unwrap(),
                )
            })
            .collect();
    assert!(
        registered.len() >= 80,
        "{} server functions",
        registered.len()
    );
    let mut covered = 0;
    let mut failures = Vec::new();
    for (path, method) in &registered {
        let segment = path.rsplit('/').next().unwrap();
        let Some(function) = declared.iter().find(|d| {
            segment
                .strip_prefix(d.name.as_str())
                .is_some_and(|rest| rest.chars().all(|c| c.is_ascii_digit()))
        }) else {
            panic!("{path}: no #[server] function of that name found in app/src");
        };
        covered += 1;
        let url = format!("{}{path}", app.base);
        // (A password without a confirmation beside it is one being checked, not one being set.)
        let has = |field: &str| function.fields.iter().any(|(f, _)| f == field);
        let checks_password =
            has("current_password") || (has("password") && !has("password_confirm"));
        for attempt in attempts_for(function, &ns) {
            let before = fingerprint(&app).await;
            for cookie in [None, Some(cookie.as_str())] {
                let status = send(&app, method, &url, cookie, &attempt).await;
                if status >= 500 {
                    failures.push(format!(
                        "{} ({}), {}: {status}",
                        function.name,
                        if cookie.is_some() {
                            "admin"
                        } else {
                            "signed out"
                        },
                        attempt.label
                    ));
                }
            }
            let mut tables = changed(&before, &fingerprint(&app).await);
            if checks_password {
                tables.retain(|t| !ATTEMPT_RECORDS.contains(&t.as_str()));
            }
            if !tables.is_empty() {
                failures.push(format!(
                    "{}, {}: changed {tables:?}",
                    function.name, attempt.label
                ));
            }
        }
    }
    assert_eq!(covered, registered.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Still serving, and the admin still signed in: every call above was also made as them.
    let res = app
        .http
        .get(format!("{}/{ns}/admin/users", app.base))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

/// The schema `schema` points to in `doc`, with its `$ref` followed, and for an optional body
/// (`oneOf: [null, …]`) the object it may be.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    if let Some(reference) = schema["$ref"].as_str() {
        let target = reference
            .trim_start_matches("#/")
            .split('/')
            .fold(doc, |node, key| &node[key]);
        return resolve(doc, target);
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(choices) = schema[key].as_array() {
            if let Some(object) = choices
                .iter()
                .map(|c| resolve(doc, c))
                .find(|c| c["properties"].is_object())
            {
                return object;
            }
        }
    }
    schema
}

fn percent(text: &str) -> String {
    form(&[("", text)])[1..].to_owned()
}

/// The malformed bodies for an operation whose JSON body has `properties` (none: no body).
fn api_bodies(properties: &[String]) -> Vec<(String, &'static str, String)> {
    let json = "application/json";
    let long = "a".repeat(LONG);
    let every = |value: Value| -> String {
        Value::Object(
            properties
                .iter()
                .map(|p| (p.clone(), value.clone()))
                .collect(),
        )
        .to_string()
    };
    let mut out = vec![
        (
            "NUL in every field".to_owned(),
            json,
            every(json!("a\u{0}b")),
        ),
        (
            "emoji in every field".into(),
            json,
            every(json!("😀\u{200d}🔥")),
        ),
        (
            "an invalid UUID in every field".into(),
            json,
            every(json!("123e4567-e89b-12d3-a456-42661417400Z")),
        ),
        (
            "an invalid date in every field".into(),
            json,
            every(json!("2026-02-30T25:61:00Z")),
        ),
        ("numbers for every field".into(), json, every(json!(12345))),
        ("null for every field".into(), json, every(Value::Null)),
        ("lists for every field".into(), json, every(json!([]))),
        ("objects for every field".into(), json, every(json!({}))),
        ("an empty object".into(), json, "{}".into()),
        ("not JSON".into(), json, "{\"a\": ".into()),
        ("a JSON list".into(), json, "[]".into()),
        ("no body".into(), json, String::new()),
        (
            "a form body".into(),
            "application/x-www-form-urlencoded",
            "a=b&c=%00".into(),
        ),
        ("a text body".into(), "text/plain", "\u{0}".into()),
    ];
    for property in properties {
        out.push((
            format!("{LONG} characters in {property}"),
            json,
            json!({ property: long }).to_string(),
        ));
    }
    if let Some(first) = properties.first() {
        out.push((
            format!("{first} twice"),
            json,
            format!("{{\"{first}\": \"a\", \"{first}\": \"b\"}}"),
        ));
    }
    out
}

#[tokio::test]
async fn no_api_operation_fails_or_changes_anything_on_malformed_input() {
    let app = spawn_app(&["--rate-limit-scale", "10000"]).await;
    let ns = app.namespace.clone();
    app.create_user("program@example.com", PASSWORD).await;
    // An access token of the program's, through the API's own sign-in.
    let api = |path: &str| format!("{}/{ns}/api/v1{path}", app.base);
    let flow: Value = app
        .http
        .post(api("/sign-in"))
        .json(&json!({ "email": "program@example.com" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let tokens: Value = app
        .http
        .post(api(&format!(
            "/sign-in/{}/steps",
            flow["flow"].as_str().unwrap()
        )))
        .json(&json!({ "method": "password", "password": PASSWORD }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let doc: Value = app
        .http
        .get(format!("{}/api/v1/openapi.json", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    let mut failures = Vec::new();
    let mut operations = 0;
    for (template, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let Ok(method) = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()) else {
                continue;
            };
            if operation.get("responses").is_none() {
                continue;
            }
            operations += 1;
            let schema = resolve(
                &doc,
                &operation["requestBody"]["content"]["application/json"]["schema"],
            );
            let properties: Vec<String> = schema["properties"]
                .as_object()
                .map(|p| p.keys().cloned().collect())
                .unwrap_or_default();
            // Path parameters: the namespace real or malformed, any other one malformed.
            let mut paths = Vec::new();
            for (label, text) in [
                ("", ""),
                ("NUL as the parameters", "a\u{0}b"),
                ("emoji as the parameters", "😀"),
                (
                    "an invalid UUID as the parameters",
                    "123e4567-e89b-12d3-a456-42661417400Z",
                ),
                // URLs are limited well below 100,000 characters (by the client too).
                ("a long value as the parameters", &"a".repeat(8_000)),
            ] {
                let mut path = template.clone();
                while let Some(open) = path.find('{') {
                    let close = open + path[open..].find('}').unwrap();
                    let name = &path[open + 1..close];
                    let value = if name == "namespace" && label.is_empty() {
                        ns.clone()
                    } else if label.is_empty() {
                        percent("123e4567-e89b-12d3-a456-42661417400Z")
                    } else {
                        percent(text)
                    };
                    path.replace_range(open..=close, &value);
                }
                paths.push((label, path));
            }
            // What a valid request may look like: no body where the body is optional, `{}`
            // where no field is required, and anything at all for an operation that takes no
            // body and names nothing in its path (`GET /me`, `DELETE /mfa/totp`). Those are
            // not sent to the real path: they would simply do what they say.
            let request_body = &operation["requestBody"];
            let body_required = request_body["required"].as_bool() == Some(true);
            let fields_required = schema["required"].as_array().is_some_and(|r| !r.is_empty());
            let names_something = template.matches('{').count() > 1;
            let checks_password = properties.iter().any(|p| {
                let p = p.to_lowercase().replace('_', "");
                ["password", "oldpassword", "currentpassword"].contains(&p.as_str())
            });
            for (path_label, path) in &paths {
                let bodies: Vec<_> = if !path_label.is_empty() {
                    vec![(
                        "a valid-looking body".into(),
                        "application/json",
                        "{}".into(),
                    )]
                } else if request_body.is_null() && !names_something {
                    continue;
                } else if request_body.is_null() {
                    vec![("no body".into(), "application/json", String::new())]
                } else {
                    api_bodies(&properties)
                        .into_iter()
                        .filter(|(label, _, _)| {
                            (label != "no body" || body_required)
                                && (label != "an empty object" || fields_required)
                        })
                        .collect()
                };
                for (label, content_type, body) in &bodies {
                    let before = fingerprint(&app).await;
                    for bearer in [None, Some(access.as_str())] {
                        let mut request = app
                            .http
                            .request(method.clone(), format!("{}{path}", app.base))
                            .header("Content-Type", *content_type)
                            .body(body.clone());
                        if let Some(token) = bearer {
                            request = request.bearer_auth(token);
                        }
                        let status = match request.send().await {
                            Ok(res) => res.status().as_u16(),
                            Err(e) => panic!("{method} {template}, {label}: no answer ({e})"),
                        };
                        if status >= 500 {
                            failures.push(format!(
                                "{method} {template} ({}), {path_label} {label}: {status}",
                                if bearer.is_some() {
                                    "token"
                                } else {
                                    "anonymous"
                                },
                            ));
                        }
                    }
                    let mut tables = changed(&before, &fingerprint(&app).await);
                    if checks_password {
                        tables.retain(|t| !ATTEMPT_RECORDS.contains(&t.as_str()));
                    }
                    if !tables.is_empty() {
                        failures.push(format!(
                            "{method} {template}, {path_label} {label}: changed {tables:?}"
                        ));
                    }
                }
            }
        }
    }
    assert!(operations >= 25, "{operations} operations");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The token lived through it all, so every call above was also made signed in.
    let me = app
        .http
        .get(api("/me"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
}

/// The command line: every subcommand that takes arguments, with each of them malformed at
/// once (and given twice, and left out), and malformed global settings. A refusal is a clear
/// message and a non-zero exit, never a panic, and nothing in the database changes (a
/// malformed value may still be a valid one: `token-key --out 😀` writes a key to that file, in
/// a folder of the test's own).
#[tokio::test]
async fn no_command_line_fails_or_changes_anything_on_malformed_arguments() {
    use clap::CommandFactory;
    let db = tokio::task::spawn_blocking(|| test_support::create_migrated_database("cli_input"))
        .await
        .unwrap();
    let url = test_support::url_for(&db, None);
    let superuser = sqlx::PgPool::connect(&url).await.unwrap();
    let workdir = std::env::temp_dir().join(format!("gatehouse-cli-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&workdir).unwrap();
    let long = "a".repeat(LONG);
    let texts: [(&str, &str); 6] = [
        ("empty", ""),
        ("emoji", "😀\u{200d}🔥"),
        ("invalid UUID", "123e4567-e89b-12d3-a456-42661417400Z"),
        ("invalid date", "2026-02-30T25:61:00Z"),
        ("an option", "--help-me"),
        ("long", &long),
    ];
    let run = |args: Vec<String>, stdin: &'static [u8]| {
        let workdir = workdir.clone();
        let url = url.clone();
        async move {
            let output = crate::support::run_gatehouse(&url, &args, stdin, Some(&workdir)).await;
            (args, output)
        }
    };
    let stdin_inputs: [&'static [u8]; 2] = [b"a\0b\n", b"\xff\xfe not UTF-8\n"];

    let before = digest_tables(&superuser).await;
    let cli = gatehouse_server::config::Cli::command();
    let mut failures = Vec::new();
    let mut invocations = Vec::new();
    for command in cli.get_subcommands() {
        let name = command.get_name().to_owned();
        let options: Vec<(String, bool)> = command
            .get_arguments()
            .filter_map(|a| {
                let takes_value = a.get_num_args().is_none_or(|n| n.takes_values());
                Some((a.get_long()?.to_owned(), takes_value))
            })
            .filter(|(long, _)| long != "help")
            .collect();
        if options.is_empty() {
            // Nothing to malform (`serve`, `seed-demo`, `cleanup`).
            continue;
        }
        for (_, text) in &texts {
            let mut args = vec![name.clone()];
            for (option, takes_value) in &options {
                args.push(format!("--{option}"));
                if *takes_value {
                    args.push((*text).to_owned());
                }
            }
            invocations.push(args.clone());
            let mut twice = args.clone();
            twice.extend(args[1..].iter().cloned());
            invocations.push(twice);
        }
        invocations.push(vec![name.clone()]);
    }
    // Malformed global settings in front of a command that would otherwise change something.
    for option in [
        "base-url",
        "session-hours",
        "rate-limit-scale",
        "bind",
        "smtp-url",
        "trusted-proxies",
    ] {
        // An empty relay or proxy list is documented as unset.
        let unset_when_empty = ["smtp-url", "trusted-proxies"].contains(&option);
        for (_, text) in texts
            .iter()
            .filter(|(_, t)| !(unset_when_empty && t.is_empty()))
        {
            invocations.push(vec![
                format!("--{option}"),
                (*text).to_owned(),
                "set-sign-up".into(),
                "--namespace".into(),
                "cli-input".into(),
                "--mode".into(),
                "open".into(),
            ]);
        }
    }
    assert!(invocations.len() > 50, "{} invocations", invocations.len());
    for (i, args) in invocations.into_iter().enumerate() {
        let (args, output) = run(args, stdin_inputs[i % 2]).await;
        let stderr = String::from_utf8_lossy(&output.stderr);
        let shown: Vec<String> = args.iter().map(|a| a.chars().take(40).collect()).collect();
        match output.status.code() {
            None => failures.push(format!("{shown:?}: killed by a signal")),
            Some(101) => failures.push(format!("{shown:?}: panicked: {stderr}")),
            Some(0) if args[0].starts_with("--") => {
                failures.push(format!("{shown:?}: a malformed setting was accepted"))
            }
            Some(c) if c != 0 && stderr.trim().is_empty() => failures.push(format!(
                "{shown:?}: refused without a word ({})",
                String::from_utf8_lossy(&output.stdout)
            )),
            Some(_) => {}
        }
        if stderr.contains("panicked") {
            failures.push(format!("{shown:?}: {stderr}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let tables = changed(&before, &digest_tables(&superuser).await);
    assert!(tables.is_empty(), "changed {tables:?}");
    let _ = std::fs::remove_dir_all(&workdir);
}
