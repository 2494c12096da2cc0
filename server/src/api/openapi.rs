//! The API's OpenAPI 3.1 document, generated from the handlers' own annotations and body types
//! (utoipa) so that it cannot drift from the code, and a reference page rendered from it.
//!
//! What every route shares is added here once rather than on each handler: the `namespace`
//! path parameter, the errors of the `Call` and body extractors (unknown namespace, unreadable
//! or oversized bodies, a missing or refused credential) and the internal error.

use std::fmt::Write;
use std::sync::LazyLock;

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use identity::mail::templates::escape_html as escape;
use serde_json::Value;
use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, PathItem, Ref, Required, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use super::auth_client::SeedErrorBody;
use super::error::ErrorBody;
use super::{account, account_flows, api_keys, auth_client, keys, mfa, tokens, user_account};

/// Where the document is served.
pub const DOCUMENT: &str = "/api/v1/openapi.json";
/// Where the reference page is served.
pub const REFERENCE: &str = "/api/v1/docs";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Gatehouse API",
        description = "Everything a program can do for its own account: sign-in as a flow of \
            steps, short-lived access tokens (EdDSA JWTs, keys at `/.well-known/jwks.json`) with \
            rotating refresh tokens, sign-out, registration and password flows, sessions and \
            personal API keys. Every path but the two well-known ones is under an \
            organisation's namespace. Errors share one body: `error` is a fixed code to branch \
            on, `message` is for people. The seeds' interfaces (`/auth/…`, `/userAccount/…`) \
            are aliases over the same services with their own field names.",
    ),
    paths(
        tokens::jwks,
        tokens::start_sign_in,
        tokens::sign_in_step,
        tokens::request_email_code,
        tokens::request_magic_link,
        tokens::magic_link_sign_in,
        tokens::refresh,
        tokens::sign_out,
        account_flows::register,
        account_flows::verify_email,
        account_flows::forgot_password,
        account_flows::reset_password,
        account_flows::change_password,
        account::me,
        account::sessions,
        account::revoke_session,
        mfa::status,
        mfa::begin_totp,
        mfa::confirm_totp,
        mfa::remove_totp,
        mfa::regenerate_recovery_codes,
        api_keys::list,
        api_keys::create,
        api_keys::revoke,
        keys::me,
        auth_client::login,
        auth_client::register,
        auth_client::logout,
        auth_client::refresh,
        auth_client::change_password,
        user_account::init_auth,
        user_account::authenticate,
        user_account::generate_otp,
        user_account::reset_password,
        user_account::forgot_password,
        user_account::reset_password_with_token,
        user_account::refresh,
        user_account::logout,
    ),
    components(schemas(ErrorBody, SeedErrorBody)),
    modifiers(&Shared),
    tags(
        (name = "sign-in", description = "Start a sign-in, then complete its steps: password, a mailed code, a magic link, then the second factor where the account has one."),
        (name = "tokens", description = "Refresh with rotation (a reused refresh token signs its session out), sign-out, and the public keys."),
        (name = "account", description = "The signed-in account: who it is, its sessions, register, confirm, reset and change the password."),
        (name = "api-keys", description = "Personal API keys (`gh_…`): long-lived bearer credentials that read the account."),
        (name = "auth (seed)", description = "The seed auth client's interface (`http-auth-client.md`): its field names and error body (`statusCode`)."),
        (name = "userAccount (seed)", description = "The seed user-account interface (`user-account-http-api.md`): the flow's token travels in `x-session-token`."),
    ),
)]
struct ApiDoc;

/// The credentials the API takes, and what every operation shares.
struct Shared;

fn bearer(format: &str, description: &str) -> SecurityScheme {
    SecurityScheme::Http(
        HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format(format)
            .description(Some(description))
            .build(),
    )
}

fn error(description: &str, schema: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name(schema)))
                .build(),
        )
        .build()
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        item.get.as_mut(),
        item.post.as_mut(),
        item.put.as_mut(),
        item.patch.as_mut(),
        item.delete.as_mut(),
    ]
    .into_iter()
    .flatten()
}

impl Modify for Shared {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "access_token",
            bearer("JWT", "An access token from a sign-in or a refresh."),
        );
        components.add_security_scheme(
            "api_key",
            bearer(
                "gh_…",
                "A personal API key (created in the portal or the API).",
            ),
        );
        components.add_security_scheme(
            "refresh_token",
            bearer(
                "opaque",
                "A refresh token, where the seed sends it as the bearer credential.",
            ),
        );
        components.add_security_scheme(
            "reset_token",
            bearer("opaque", "The token of a mailed password-reset link."),
        );
        components.add_security_scheme(
            "session_token",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                super::SESSION_TOKEN.as_str(),
                "The sign-in flow's token of the previous answer.",
            ))),
        );
        for (path, item) in doc.paths.paths.iter_mut() {
            let seed = path.contains("/auth/");
            let schema = if seed { "SeedErrorBody" } else { "ErrorBody" };
            let namespaced = path.contains("{namespace}");
            for op in operations(item) {
                let responses = &mut op.responses.responses;
                let mut add = |status: StatusCode, description: &str| {
                    responses
                        .entry(status.as_str().to_owned())
                        .or_insert_with(|| error(description, schema).into());
                };
                if namespaced {
                    add(
                        StatusCode::NOT_FOUND,
                        "`not_found`: no such organisation (or token sign-in is not configured).",
                    );
                }
                if op.request_body.is_some() {
                    add(
                        StatusCode::BAD_REQUEST,
                        "`validation_failed`: malformed JSON, or a field missing, mistyped or refused.",
                    );
                    add(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "`validation_failed`: the body is larger than 16 KiB.",
                    );
                    add(
                        StatusCode::UNSUPPORTED_MEDIA_TYPE,
                        "`validation_failed`: the body is not sent as `application/json`.",
                    );
                }
                if op.security.as_ref().is_some_and(|s| !s.is_empty()) {
                    add(
                        StatusCode::UNAUTHORIZED,
                        "`unauthorized` (no credential), `invalid_token` or `token_expired`.",
                    );
                }
                add(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "`internal_error`: nothing was changed; try again.",
                );
                add(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "`unavailable`: the database cannot be reached; nothing was changed. Retry after `Retry-After` seconds.",
                );
                if namespaced {
                    let parameter = ParameterBuilder::new()
                        .name("namespace")
                        .parameter_in(ParameterIn::Path)
                        .required(Required::True)
                        .description(Some(
                            "The organisation's namespace, as in its web addresses.",
                        ))
                        .schema(Some(
                            ObjectBuilder::new()
                                .schema_type(Type::String)
                                .min_length(Some(1))
                                .max_length(Some(63)),
                        ))
                        .build();
                    op.parameters
                        .get_or_insert_with(Vec::new)
                        .insert(0, parameter);
                }
            }
        }
    }
}

/// The document, built once.
static JSON: LazyLock<Value> = LazyLock::new(|| {
    serde_json::to_value(ApiDoc::openapi()).unwrap_or_else(|e| {
        tracing::error!(error = %e, "the OpenAPI document could not be built");
        Value::Null
    })
});

/// `GET /api/v1/openapi.json`.
pub async fn document() -> Response {
    (
        [(header::CACHE_CONTROL, "public, max-age=300")],
        axum::Json(&*JSON),
    )
        .into_response()
}

/// `GET /api/v1/docs`: the document as a page for people.
pub async fn reference() -> Response {
    static PAGE: LazyLock<String> = LazyLock::new(|| render(&JSON));
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        PAGE.as_str(),
    )
        .into_response()
}

/// Prose of the document: escaped, with `code` spans and paragraphs.
fn prose(text: &str) -> String {
    text.split("\n\n")
        .map(|paragraph| {
            let spans = paragraph
                .split('`')
                .enumerate()
                .map(|(i, part)| {
                    if i % 2 == 1 {
                        format!("<code>{}</code>", escape(part))
                    } else {
                        escape(part)
                    }
                })
                .collect::<String>();
            format!("<p>{spans}</p>")
        })
        .collect()
}

fn str_of<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// A schema in one line: a link to a named one, or its type.
fn type_of(schema: &Value) -> String {
    if let Some(target) = schema.get("$ref").and_then(Value::as_str) {
        let name = target.rsplit('/').next().unwrap_or(target);
        return format!("<a href=\"#schema-{0}\">{0}</a>", escape(name));
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(options) = schema.get(key).and_then(Value::as_array) {
            return options.iter().map(type_of).collect::<Vec<_>>().join(" | ");
        }
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        return values
            .iter()
            .map(|v| format!("<code>{}</code>", escape(&v.to_string())))
            .collect::<Vec<_>>()
            .join(" | ");
    }
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    let mut named: Vec<String> = types
        .iter()
        .map(|t| match *t {
            "array" => format!(
                "array of {}",
                schema.get("items").map(type_of).unwrap_or_default()
            ),
            t => match schema.get("format").and_then(Value::as_str) {
                Some(format) if t != "null" => format!("{t} ({format})"),
                _ => t.to_owned(),
            },
        })
        .collect();
    if named.is_empty() {
        named.push("any".into());
    }
    named.join(" | ")
}

fn schema_table(out: &mut String, schema: &Value) {
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        let _ = write!(out, "<p>{}</p>", type_of(schema));
        return;
    };
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    out.push_str(
        "<table><thead><tr><th>Field</th><th>Type</th><th>Description</th></tr></thead><tbody>",
    );
    for (name, property) in properties {
        let _ = write!(
            out,
            "<tr><td><code>{}</code>{}</td><td>{}</td><td>{}</td></tr>",
            escape(name),
            if required.contains(&name.as_str()) {
                " <small>required</small>"
            } else {
                ""
            },
            type_of(property),
            prose(str_of(property, "description")),
        );
    }
    out.push_str("</tbody></table>");
}

fn operation(out: &mut String, method: &str, path: &str, op: &Value) {
    let id = str_of(op, "operationId");
    let _ = write!(
        out,
        "<section class=\"api-operation\" id=\"op-{id}\"><h3><span class=\"api-method\">{method}</span> <code>{path}</code></h3>{summary}{description}",
        id = escape(id),
        method = method.to_uppercase(),
        path = escape(path),
        summary = prose(str_of(op, "summary")),
        description = prose(str_of(op, "description")),
    );
    if let Some(security) = op.get("security").and_then(Value::as_array) {
        let names: Vec<String> = security
            .iter()
            .filter_map(Value::as_object)
            .flat_map(|o| o.keys().map(|k| format!("<code>{}</code>", escape(k))))
            .collect();
        if !names.is_empty() {
            let _ = write!(out, "<p>Credential: {}</p>", names.join(" or "));
        }
    }
    if let Some(parameters) = op.get("parameters").and_then(Value::as_array) {
        out.push_str("<h4>Parameters</h4><table><thead><tr><th>Name</th><th>In</th><th>Description</th></tr></thead><tbody>");
        for p in parameters {
            let _ = write!(
                out,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                escape(str_of(p, "name")),
                escape(str_of(p, "in")),
                prose(str_of(p, "description")),
            );
        }
        out.push_str("</tbody></table>");
    }
    if let Some(body) = op.get("requestBody") {
        let schema = &body["content"]["application/json"]["schema"];
        let _ = write!(
            out,
            "<h4>Body</h4><p>{} {}</p>",
            type_of(schema),
            if body.get("required") == Some(&Value::Bool(true)) {
                ""
            } else {
                "(optional)"
            }
        );
    }
    out.push_str("<h4>Responses</h4><table><thead><tr><th>Status</th><th>Body</th><th>When</th></tr></thead><tbody>");
    if let Some(responses) = op.get("responses").and_then(Value::as_object) {
        for (status, response) in responses {
            let body = response
                .get("content")
                .and_then(Value::as_object)
                .and_then(|c| c.values().next())
                .map(|c| type_of(&c["schema"]))
                .unwrap_or_else(|| "—".into());
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(status),
                body,
                prose(str_of(response, "description")),
            );
        }
    }
    out.push_str("</tbody></table></section>");
}

/// The reference page: operations by tag, then the schemas, then the credentials.
fn render(doc: &Value) -> String {
    let info = &doc["info"];
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"color-scheme\" content=\"light dark\">\
         <title>{title} reference</title><link rel=\"stylesheet\" href=\"{css}\"></head>\
         <body><main class=\"api-reference\"><h1>{title} <small>{version}</small></h1>{description}\
         <p>The machine-readable document: <a href=\"{DOCUMENT}\"><code>{DOCUMENT}</code></a> (OpenAPI {openapi}).</p>",
        title = escape(str_of(info, "title")),
        version = escape(str_of(info, "version")),
        description = prose(str_of(info, "description")),
        css = app::STYLESHEET,
        openapi = escape(str_of(doc, "openapi")),
    );
    let tags: Vec<(&str, &str)> = doc["tags"]
        .as_array()
        .map(|tags| {
            tags.iter()
                .map(|t| (str_of(t, "name"), str_of(t, "description")))
                .collect()
        })
        .unwrap_or_default();
    let paths = doc["paths"].as_object();
    let tagged = |tag: &str| {
        let mut found = Vec::new();
        for (path, item) in paths.into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                let has_tag = op["tags"]
                    .as_array()
                    .is_some_and(|t| t.iter().any(|t| t.as_str() == Some(tag)));
                if has_tag {
                    found.push((method.as_str(), path.as_str(), op));
                }
            }
        }
        found
    };
    out.push_str("<nav><ul>");
    for (tag, _) in &tags {
        let _ = write!(out, "<li><a href=\"#tag-{0}\">{0}</a></li>", escape(tag));
    }
    out.push_str("<li><a href=\"#schemas\">Schemas</a></li><li><a href=\"#credentials\">Credentials</a></li></ul></nav>");
    for (tag, description) in &tags {
        let _ = write!(
            out,
            "<h2 id=\"tag-{0}\">{0}</h2>{1}",
            escape(tag),
            prose(description)
        );
        for (method, path, op) in tagged(tag) {
            operation(&mut out, method, path, op);
        }
    }
    out.push_str("<h2 id=\"schemas\">Schemas</h2>");
    if let Some(schemas) = doc["components"]["schemas"].as_object() {
        for (name, schema) in schemas {
            let _ = write!(
                out,
                "<section class=\"api-schema\" id=\"schema-{0}\"><h3>{0}</h3>{1}",
                escape(name),
                prose(str_of(schema, "description"))
            );
            schema_table(&mut out, schema);
            out.push_str("</section>");
        }
    }
    out.push_str("<h2 id=\"credentials\">Credentials</h2><table><thead><tr><th>Name</th><th>Sent as</th><th>Description</th></tr></thead><tbody>");
    if let Some(schemes) = doc["components"]["securitySchemes"].as_object() {
        for (name, scheme) in schemes {
            let sent = match str_of(scheme, "type") {
                "http" => "Authorization: Bearer …".to_owned(),
                _ => format!("header {}", str_of(scheme, "name")),
            };
            let _ = write!(
                out,
                "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}</td></tr>",
                escape(name),
                escape(&sent),
                prose(str_of(scheme, "description")),
            );
        }
    }
    out.push_str("</tbody></table></main></body></html>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_documented_with_its_shared_errors() {
        let doc = &*JSON;
        assert_eq!(doc["openapi"], "3.1.0");
        let paths = doc["paths"].as_object().unwrap();
        assert!(paths.len() >= 30, "{}", paths.len());
        for (path, item) in paths {
            for (method, op) in item.as_object().unwrap() {
                let responses = op["responses"].as_object().unwrap();
                assert!(responses.contains_key("500"), "{method} {path}");
                if path.contains("{namespace}") {
                    assert!(responses.contains_key("404"), "{method} {path}");
                    assert_eq!(op["parameters"][0]["name"], "namespace", "{method} {path}");
                }
                if op.get("requestBody").is_some() {
                    assert!(responses.contains_key("415"), "{method} {path}");
                }
            }
        }
    }

    #[test]
    fn the_reference_page_escapes_and_links_the_schemas() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert_eq!(prose("use `a<b`"), "<p>use <code>a&lt;b</code></p>");
        let page = render(&JSON);
        assert!(page.contains("id=\"schema-ErrorBody\""));
        assert!(page.contains("<code>/{namespace}/api/v1/sign-in</code>"));
        assert!(!page.contains("<script"));
    }
}
