use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::query_value;
use crate::admin::audit::{admin_audit, admin_audit_event, AuditFilters, AuditLine, PartyView};
use crate::pages::use_namespace;
use vocabulary::{EventType, Page};

#[component]
pub fn AuditPage() -> impl IntoView {
    let namespace = use_namespace();
    let event_type = query_value("event_type");
    let resource_type = query_value("resource_type");
    let resource_id = query_value("resource_id");
    let actor = query_value("actor");
    let since = query_value("since");
    let until = query_value("until");
    let after = query_value("after");
    let filters = move || {
        [
            ("event_type", event_type.get()),
            ("resource_type", resource_type.get()),
            ("resource_id", resource_id.get()),
            ("actor", actor.get()),
            ("since", since.get()),
            ("until", until.get()),
        ]
    };
    let events = Resource::new(
        move || (namespace.get(), filters(), after.get()),
        |(ns, f, after)| {
            let [event_type, resource_type, resource_id, actor, since, until] = f.map(|(_, v)| v);
            let filters = AuditFilters {
                event_type,
                resource_type,
                resource_id,
                actor,
                since,
                until,
            };
            admin_audit(ns, filters, after)
        },
    );
    let link_with = move |extra: &[(&'static str, String)], page: Page<'static>| {
        let mut pairs: Vec<(&str, String)> = filters().to_vec();
        pairs.extend(extra.iter().cloned());
        let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        page.path_with(&namespace.get_untracked(), &borrowed)
    };
    view! {
        <section class="card wide">
            <h1>"Audit log"</h1>
            <form method="get" class="filters" role="search" aria-label="Filter events">
                <div class="field">
                    <label for="event_type">"Event"</label>
                    <select id="event_type" name="event_type">
                        <option value="">"Any"</option>
                        {EventType::ALL.iter().map(|t| {
                            let code = t.as_str();
                            view! { <option value=code selected=move || event_type.get() == code>{format!("{} ({code})", t.label())}</option> }
                        }).collect_view()}
                    </select>
                </div>
                <div class="field"><label for="resource_type">"Resource type"</label><input id="resource_type" name="resource_type" value=resource_type/></div>
                <div class="field"><label for="resource_id">"Resource id"</label><input id="resource_id" name="resource_id" value=resource_id/></div>
                <div class="field"><label for="actor">"Actor (id or email)"</label><input id="actor" name="actor" value=actor/></div>
                <div class="field"><label for="since">"From (UTC)"</label><input id="since" name="since" type="datetime-local" value=since/></div>
                <div class="field"><label for="until">"Before (UTC)"</label><input id="until" name="until" type="datetime-local" value=until/></div>
                <button type="submit">"Filter"</button>
                <a href=move || Page::AdminAudit.path(&namespace.get())>"Reset"</a>
            </form>
            <p class="exports">
                "Export exactly these events: "
                <a id="export-csv" href=move || link_with(&[("format", "csv".into())], Page::AuditExport) download>"CSV"</a>
                " · "
                <a id="export-json" href=move || link_with(&[("format", "json".into())], Page::AuditExport) download>"JSON"</a>
            </p>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let page = match events.await {
                        Ok(p) => p,
                        Err(e) => return view! { <p class="error" role="alert" id="filter-error">{e.to_string()}</p> }.into_any(),
                    };
                    let ns = namespace.get_untracked();
                    let next = page.next.map(|n| link_with(&[("after", n)], Page::AdminAudit));
                    let first = (!after.get_untracked().is_empty()).then(|| link_with(&[], Page::AdminAudit));
                    view! {
                        {page.events.is_empty().then(|| view! { <p class="empty">"No event matches."</p> })}
                        <AuditTable id="audit-events" lines=page.events namespace=ns.clone()/>
                        <nav class="pager" aria-label="Pages">
                            {first.map(|href| view! { <a href=href rel="first">"Newest"</a> })}
                            {next.map(|href| view! { <a href=href rel="next">"Older events"</a> })}
                        </nav>
                    }.into_any()
                })}
            </Suspense>
        </section>
    }
}

#[component]
pub fn AuditEventPage() -> impl IntoView {
    let namespace = use_namespace();
    let params = use_params_map();
    let event_id = Signal::derive(move || params.read().get("event").unwrap_or_default());
    let event = Resource::new(
        move || (namespace.get(), event_id.get()),
        |(ns, id)| admin_audit_event(ns, id),
    );
    view! {
        <section class="card wide">
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let d = match event.await {
                        Ok(d) => d,
                        Err(e) => return view! { <h1>"Audit event"</h1><p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    };
                    let ns = namespace.get_untracked();
                    let l = d.line;
                    let resource_link = Page::AdminAudit.path_with(&ns, &[("resource_type", &l.resource_type), ("resource_id", &l.resource_id)]);
                    let raw = |id: Option<String>| id.map(|id| view! { " " <code class="muted">{id}</code> });
                    view! {
                        <h1>{l.event_label.clone()}" "<code class="event-code">{l.event_type.clone()}</code></h1>
                        <dl class="facts" id="event-facts">
                            <dt>"When"</dt><dd>{l.at}</dd>
                            <dt>"Actor"</dt><dd>
                                {match l.actor { Some(a) => view! { <Party party=a namespace=ns.clone()/> }.into_any(), None => "—".into_any() }}
                                {l.self_service.then_some(" (on their own account)")}
                                {raw(l.actor_id)}
                            </dd>
                            <dt>"On behalf of"</dt><dd>
                                {match l.on_behalf_of { Some(a) => view! { <Party party=a namespace=ns.clone()/> }.into_any(), None => "—".into_any() }}
                                {raw(l.on_behalf_of_id)}
                            </dd>
                            <dt>"Reason"</dt><dd>{l.reason.unwrap_or_else(|| "—".into())}</dd>
                            <dt>"Request id"</dt><dd>{l.request_id.unwrap_or_else(|| "—".into())}</dd>
                            <dt>"Resource"</dt><dd>
                                <a href=resource_link>{format!("{} {}", resource_word(&l.resource_type), l.resource_label.unwrap_or_default())}</a>
                                " "<code class="muted">{format!("{} {}", l.resource_type, l.resource_id)}</code>
                            </dd>
                            <dt>"IP address"</dt><dd>{d.ip_address.unwrap_or_else(|| "—".into())}</dd>
                            <dt>"Device"</dt><dd>{d.device.unwrap_or_else(|| "—".into())}</dd>
                            <dt>"User agent"</dt><dd><code class="muted">{d.user_agent.unwrap_or_else(|| "—".into())}</code></dd>
                        </dl>
                        <h2>"Values"</h2>
                        {d.fields.is_empty().then(|| view! { <p class="empty">"This event records no values."</p> })}
                        <table id="event-values">
                            <thead><tr><th scope="col">"Field"</th><th scope="col">"Before"</th><th scope="col">"After"</th></tr></thead>
                            <tbody>
                                {d.fields.into_iter().map(|(k, old, new)| {
                                    let changed = old != new;
                                    view! {
                                    <tr class:changed=changed><th scope="row">{k}</th>
                                    <td><code>{old.unwrap_or_else(|| "—".into())}</code></td>
                                    <td><code>{new.unwrap_or_else(|| "—".into())}</code></td></tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any()
                })}
            </Suspense>
        </section>
    }
}

/// A list of events (the audit log's page, a user's timeline).
#[component]
pub(crate) fn AuditTable(
    id: &'static str,
    lines: Vec<AuditLine>,
    namespace: String,
) -> impl IntoView {
    view! {
        <table id=id>
            <thead><tr>
                <th scope="col">"When"</th><th scope="col">"Event"</th><th scope="col">"Actor"</th>
                <th scope="col">"Resource"</th><th scope="col">"Reason"</th>
            </tr></thead>
            <tbody>
                {lines.into_iter().map(|e| view! { <AuditRow line=e namespace=namespace.clone()/> }).collect_view()}
            </tbody>
        </table>
    }
}

/// One event of a list: when (linking to its detail), what in words with its code, who, and
/// on what.
#[component]
fn AuditRow(line: AuditLine, namespace: String) -> impl IntoView {
    let e = line;
    let ns = namespace;
    let detail = e.event_id.as_ref().map(|id| Page::AuditEvent(id).path(&ns));
    let resource_filter = Page::AdminAudit.path_with(
        &ns,
        &[
            ("resource_type", &e.resource_type),
            ("resource_id", &e.resource_id),
        ],
    );
    let resource_title = format!("{} {}", e.resource_type, e.resource_id);
    // The owner of a session, key or method, beside it (an account is its own owner).
    let owner = e.resource_owner.filter(|_| e.resource_type != "user");
    let resource_text = e
        .resource_label
        .clone()
        .unwrap_or_else(|| e.resource_id.clone());
    view! {
        <tr data-event-id=e.event_id.clone().unwrap_or_default() data-resource-id=e.resource_id.clone()>
            <td>{match detail { Some(h) => view! { <a href=h>{e.at.clone()}</a> }.into_any(), None => e.at.clone().into_any() }}</td>
            <td><span class="event-label">{e.event_label}</span>" "<code class="event-code">{e.event_type}</code></td>
            <td class="actor">
                {match e.actor {
                    Some(a) => view! { <Party party=a namespace=ns.clone()/> }.into_any(),
                    None => view! { <span class="muted">"Not recorded"</span> }.into_any(),
                }}
                {e.self_service.then(|| view! { <span class="muted">" (own account)"</span> })}
                {e.on_behalf_of.map(|o| view! { " as " <Party party=o namespace=ns.clone()/> })}
            </td>
            <td>
                <span class="muted">{resource_word(&e.resource_type).to_owned()}" "</span>
                <a href=resource_filter title=resource_title>{resource_text}</a>
                {owner.map(|o| view! { <span class="muted">" of "</span><Party party=o namespace=ns.clone()/> })}
            </td>
            <td>{e.reason.unwrap_or_default()}</td>
        </tr>
    }
}

/// A person of the trail, linked to their page when they are a user here.
#[component]
pub(crate) fn Party(party: PartyView, namespace: String) -> impl IntoView {
    match party.user_id {
        Some(id) => {
            view! { <a href=Page::AdminUser(&id).path(&namespace)>{party.name}</a> }.into_any()
        }
        None => view! { <span>{party.name}</span> }.into_any(),
    }
}

/// What kind of thing an event is about, in words.
fn resource_word(resource_type: &str) -> &str {
    // Unknown types are shown as stored.
    match resource_type {
        "user" => "Account",
        "session" => "Session",
        "api_key" => "API key",
        "mfa" => "Sign-in method",
        "refresh_token" => "API sign-in",
        "refresh_token_family" => "API sign-in",
        "token" => "One-time link or code",
        "impersonation" => "Impersonation",
        "namespace" => "Organisation",
        other => other,
    }
}
