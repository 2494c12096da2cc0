use leptos::prelude::*;

use crate::dev::dev_mailbox;

#[component]
pub fn DevMailboxPage() -> impl IntoView {
    let mails = Resource::new(|| (), |_| dev_mailbox());
    view! {
        <section class="card">
            <h1>"Developer mailbox"</h1>
            <p class="muted">"Mail Gatehouse has sent, newest first. Only in dev mode."</p>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match mails.await {
                        Ok(list) if list.is_empty() => view! {
                            <p class="empty">"No mail yet. Sign up or ask for a sign-in link, and it shows here."</p>
                        }.into_any(),
                        Ok(list) => view! {
                            <ul class="mailbox">
                                {list.into_iter().map(|m| view! {
                                    <li class="mail">
                                        <h2>{m.subject}</h2>
                                        <p class="muted">"To " {m.recipient} " · " {m.namespace} " · " {m.created_at} " · " {m.status}</p>
                                        <pre>{linkify(&m.text)}</pre>
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// The text with its http(s) URLs as links.
fn linkify(text: &str) -> impl IntoView {
    let mut parts = Vec::new();
    for word in text.split_inclusive(char::is_whitespace) {
        let trimmed = word.trim_end();
        if trimmed.starts_with("http://") || trimmed.starts_with("https://") {
            let rest = word[trimmed.len()..].to_owned();
            parts.push(view! { <a href=trimmed.to_owned()>{trimmed.to_owned()}</a> }.into_any());
            parts.push(rest.into_any());
        } else {
            parts.push(word.to_owned().into_any());
        }
    }
    parts
}
