//! Two-step verification settings: the authenticator app, passkeys and recovery codes.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;

use crate::caller::MfaDue;
use crate::calls::call;
use crate::ceremony::Ceremony;
use crate::components::{
    action_error, needs_sudo, use_alive, use_query_flag, CopyButton, Field, FormAlert,
    NamespaceInput, SudoPrompt,
};
use crate::error::AppError;
use crate::form_errors::form_action;
use crate::mfa::{
    mfa_overview, resume_totp, BeginTotp, DisableTotp, EnableTotp, RegenerateRecoveryCodes,
    TotpSetupView,
};
use crate::page_posts::{outcome, posted, ForgetThePost, PageForm, Posted};
use crate::pages::{provide_island_namespace, use_namespace};
use crate::passkeys::{my_passkeys, AddPasskey, BeginAddPasskey, RemovePasskey, RenamePasskey};

/// What makes a secret shown once (an app's key, recovery codes) posts to this page, which
/// shows it in its answer (`page_posts`); the other changes post to their server functions,
/// which send the browser back here. Only adding a passkey needs the bundle, for the browser's
/// half of the ceremony.
#[component]
pub fn MfaPage() -> impl IntoView {
    let namespace = use_namespace().get_untracked();
    let removed = use_query_flag("removed").get_untracked();
    let query = leptos_router::hooks::use_query_map();
    let due = MfaDue::from_query(&query.read_untracked());
    // Posts come back to the page as it was opened, minus any earlier error in its address.
    let page = match due {
        Some(due) => due.path(&namespace),
        None => vocabulary::Page::Mfa.path(&namespace),
    };
    let disable = form_action::<DisableTotp>();
    let rename = form_action::<RenamePasskey>();
    let remove = form_action::<RemovePasskey>();
    let returned_error = action_error(disable)
        .get_untracked()
        .or(action_error(rename).get_untracked())
        .or(action_error(remove).get_untracked());
    // A posted change is made before the state is read, so the state has it. Everything starts
    // here, once (see `page_posts::outcome`), not in the `Suspense`, which may drop a first try
    // halfway.
    let answers = PostedAnswers::start();
    let loaded = AsyncDerived::new({
        let namespace = namespace.clone();
        move || {
            let namespace = namespace.clone();
            async move {
                let answer = answers.finish(&namespace).await;
                let status = mfa_overview(namespace.clone()).await;
                let passkeys = my_passkeys(namespace).await.unwrap_or_default();
                (answer, status, passkeys)
            }
        }
    });

    view! {
        <section class="card">
            <h1>"Two-step verification"</h1>
            <p class="muted">"A second step after your password: a code from an authenticator app, or a recovery code if you lose it."</p>
            <Show when=move || removed>
                <p class="notice" role="status">"The authenticator app was removed."</p>
            </Show>
            <Show when=move || due == Some(MfaDue::Console)>
                <p class="notice" role="status" id="console-needs-mfa">
                    "Administrators here must use two-step verification. Set up an authenticator app or a passkey below; "
                    "the console opens as soon as one is on."
                </p>
            </Show>
            <Show when=move || due == Some(MfaDue::Account)>
                <p class="notice" role="status" id="account-needs-mfa">
                    "This organisation requires two-step verification. Set up an authenticator app or a passkey below; "
                    "everything else opens as soon as one is on."
                </p>
            </Show>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    let (namespace, page) = (namespace.clone(), page.clone());
                    let returned_error = returned_error.clone();
                    Suspend::new(async move {
                        let (answer, status, passkeys) = loaded.await;
                        let error = Signal::stored(answer.error.clone().or(returned_error));
                        let sudo = Signal::stored(needs_sudo(error));
                        let status = match status {
                            Ok(status) => status,
                            Err(e) => return view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                        };
                        let few = status.recovery_codes_low;
                        let left = status.recovery_codes_left;
                        let setup = answer.setup.filter(|_| status.totp_added.is_none());
                        let has_factor = status.totp_added.is_some() || status.passkeys > 0;
                        view! {
                            {answer.answered.then(|| view! { <ForgetThePost/> })}
                            <FormAlert error id="mfa-error"/>
                            <SudoPrompt needed=sudo/>
                            {answer.codes.map(|codes| view! { <RecoveryCodesOnce codes/> })}
                            <h2>"Authenticator app"</h2>
                            {match status.totp_added.clone() {
                                Some(added) => view! {
                                    <p id="totp-status"><span class="badge ok">"On"</span>
                                        " Added " {added}
                                        {status.totp_last_used.clone().map(|u| format!(", last used {u}"))}
                                        "."</p>
                                    <ActionForm action=disable attr:class="inline">
                                        <NamespaceInput/>
                                        <button type="submit" class="secondary">"Remove authenticator app"</button>
                                    </ActionForm>
                                }.into_any(),
                                None => view! {
                                    <p id="totp-status"><span class="badge">"Off"</span>" Use an app such as a password manager or an authenticator to get sign-in codes."</p>
                                    {match setup {
                                        Some(setup) => view! { <TotpSetup setup page=page.clone() error/> }.into_any(),
                                        None => view! {
                                            <PageForm page=page.clone() action=BeginTotp::PATH class="inline">
                                                <NamespaceInput/>
                                                <button type="submit">"Set up authenticator app"</button>
                                            </PageForm>
                                        }.into_any(),
                                    }}
                                }.into_any(),
                            }}
                            <h2>"Passkeys and security keys"</h2>
                            <p class="muted">"Sign in with your device's screen lock or a security key, with no password to type; also accepted as the second step."</p>
                            <PasskeyTable passkeys rename remove/>
                            <AddPasskeyForm namespace=namespace.clone() page=page.clone()/>
                            <h2>"Recovery codes"</h2>
                            {if has_factor {
                                view! {
                                    <p id="recovery-status" class:warning=few>
                                        {format!("{left} of 10 recovery codes left.")}
                                        {few.then_some(" Make new ones before you run out.")}
                                    </p>
                                    <PageForm page action=RegenerateRecoveryCodes::PATH class="inline">
                                        <NamespaceInput/>
                                        <button type="submit" class="secondary">"Make new recovery codes"</button>
                                    </PageForm>
                                }.into_any()
                            } else {
                                view! { <p class="muted">"You get recovery codes when you add an authenticator app or a passkey."</p> }.into_any()
                            }}
                        }.into_any()
                    })
                }}
            </Suspense>
        </section>
    }
}

/// The forms that post to this page, each answered if this request is its post.
#[derive(Clone, Copy)]
struct PostedAnswers {
    begun: AsyncDerived<Option<Result<TotpSetupView, AppError>>>,
    enabled: AsyncDerived<Option<Posted<EnableTotp>>>,
    regenerated: AsyncDerived<Option<Result<Vec<String>, AppError>>>,
    added: AsyncDerived<Option<Result<Option<Vec<String>>, AppError>>>,
}

/// What the form posted to this page (if any) answered.
#[derive(Clone, Default)]
struct PostedAnswer {
    /// The authenticator app's setup to show: just begun, or again after a wrong code.
    setup: Option<TotpSetupView>,
    /// Recovery codes made by the change, shown this once.
    codes: Option<Vec<String>>,
    error: Option<AppError>,
    /// Whether this request was one of the forms' posts.
    answered: bool,
}

impl PostedAnswers {
    fn start() -> PostedAnswers {
        PostedAnswers {
            begun: outcome::<BeginTotp>(),
            enabled: posted::<EnableTotp>(),
            regenerated: outcome::<RegenerateRecoveryCodes>(),
            added: outcome::<AddPasskey>(),
        }
    }

    async fn finish(self, namespace: &str) -> PostedAnswer {
        let mut answer = PostedAnswer::default();
        let begun = self.begun.await;
        let enabled = self.enabled.await;
        let regenerated = self.regenerated.await;
        let added = self.added.await;
        answer.answered =
            begun.is_some() || enabled.is_some() || regenerated.is_some() || added.is_some();
        match begun {
            Some(Ok(setup)) => answer.setup = Some(setup),
            Some(Err(e)) => answer_error(&mut answer.error, e),
            None => {}
        }
        match enabled {
            Some(Ok((_, codes))) => answer.codes = codes,
            Some(Err((args, e))) => {
                answer_error(&mut answer.error, e);
                // The same key again, so the app that scanned it need not scan again.
                if let Some(args) = args {
                    answer.setup = resume_totp(namespace, &args.enrollment).await.ok();
                }
            }
            None => {}
        }
        match regenerated {
            Some(Ok(codes)) => answer.codes = Some(codes),
            Some(Err(e)) => answer_error(&mut answer.error, e),
            None => {}
        }
        match added {
            Some(Ok(codes)) => answer.codes = codes,
            Some(Err(e)) => answer_error(&mut answer.error, e),
            None => {}
        }
        answer
    }
}

fn answer_error(slot: &mut Option<AppError>, error: AppError) {
    slot.get_or_insert(error);
}

/// The authenticator app's key to scan, and the code that turns it on.
#[component]
fn TotpSetup(setup: TotpSetupView, page: String, error: Signal<Option<AppError>>) -> impl IntoView {
    view! {
        <div class="totp-setup">
            <p>"Scan this code with your authenticator app, then enter the 6-digit code it shows."</p>
            <img class="qr" alt="QR code for your authenticator app"
                width="200" height="200"
                src=format!("data:image/png;base64,{}", setup.qr_png_base64)/>
            <p>"Can't scan it? Enter this key by hand: "
                <code id="totp-secret">{setup.secret.clone()}</code></p>
            <PageForm page action=EnableTotp::PATH class="form">
                <NamespaceInput/>
                <input type="hidden" name="enrollment" value=setup.enrollment.clone()/>
                <Field label="Code from the app" name="code" inputmode="numeric"
                    autocomplete="one-time-code" error/>
                <button type="submit">"Turn on"</button>
            </PageForm>
        </div>
    }
}

#[component]
fn PasskeyTable(
    passkeys: Vec<crate::passkeys::PasskeyView>,
    rename: ServerAction<RenamePasskey>,
    remove: ServerAction<RemovePasskey>,
) -> impl IntoView {
    let empty = passkeys.is_empty();
    view! {
        <table class="passkeys" id="passkeys" hidden=empty>
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Added"</th>
                    <th scope="col">"Last used"</th>
                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr>
            </thead>
            <tbody>
                {passkeys.into_iter().map(|p| {
                    let (rename_id, remove_id) = (p.id.clone(), p.id);
                    let current = p.name.clone();
                    let new_name_label = format!("New name for {}", p.name);
                    let rename_label = format!("Rename {}", p.name);
                    let remove_label = format!("Remove {}", p.name);
                    view! {
                    <tr>
                        <td>{p.name.clone()}</td>
                        <td>{p.created}</td>
                        <td>{p.last_used.unwrap_or_else(|| "never".into())}</td>
                        <td class="actions">
                            <ActionForm action=rename attr:class="inline">
                                <NamespaceInput/>
                                <input type="hidden" name="passkey_id" value=rename_id/>
                                <input name="name" required maxlength="60" value=current
                                    aria-label=new_name_label/>
                                <button type="submit" class="secondary"
                                    aria-label=rename_label>"Rename"</button>
                            </ActionForm>
                            <ActionForm action=remove attr:class="inline">
                                <NamespaceInput/>
                                <input type="hidden" name="passkey_id" value=remove_id/>
                                <button type="submit" class="secondary"
                                    aria-label=remove_label>"Remove"</button>
                            </ActionForm>
                        </td>
                    </tr>
                }}).collect_view()}
            </tbody>
        </table>
    }
}

/// Adding a passkey, an island: the browser's authenticator makes the credential (asked for a
/// challenge first), then the form posts it to the page like any other, whose answer shows
/// the new passkey and, for a first second factor, the recovery codes.
#[island]
fn AddPasskeyForm(namespace: String, page: String) -> impl IntoView {
    let namespace = provide_island_namespace(namespace);
    let alive = use_alive();
    let form = NodeRef::<leptos::html::Form>::new();
    let ceremony_input = NodeRef::<leptos::html::Input>::new();
    let response_input = NodeRef::<leptos::html::Input>::new();
    let ceremony = Ceremony::<()>::default();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let ns = namespace.get_untracked();
        ceremony.run(async move {
            let challenge = call::<BeginAddPasskey>(&[("namespace", &ns)]).await?;
            let answer = crate::webauthn::create(&challenge.options)
                .await
                .map_err(|_| AppError::PasskeyNotVerified)?;
            if let (Some(form), Some(id), Some(response)) = (
                form.get_untracked(),
                ceremony_input.get_untracked(),
                response_input.get_untracked(),
            ) {
                id.set_value(&challenge.ceremony);
                response.set_value(&answer);
                // A plain post of the filled form: the page answers it.
                let _ = form.submit();
            }
            Ok(())
        });
    };
    let error = Signal::derive(move || ceremony.value().get().and_then(Result::err));
    let sudo = Signal::derive(move || needs_sudo(error));
    view! {
        <form class="form" method="post" action=page node_ref=form on:submit=on_submit>
            <input type="hidden" name=crate::page_posts::ACTION_FIELD value=AddPasskey::PATH/>
            <NamespaceInput/>
            <input type="hidden" name="ceremony" node_ref=ceremony_input/>
            <input type="hidden" name="response" node_ref=response_input/>
            <div class="field">
                <label for="passkey_name">"Passkey name"</label>
                <p class="hint" id="passkey_name-hint">"So you can tell your devices apart, e.g. “work laptop”."</p>
                <input id="passkey_name" name="name" required maxlength="60"
                    aria-describedby="passkey_name-hint"/>
            </div>
            <FormAlert error id="passkey-add-error"/>
            <button type="submit" disabled=move || !alive.get() || ceremony.pending().get()>"Add a passkey"</button>
            <p class="muted" hidden=move || alive.get()>"Adding a passkey needs JavaScript, once the page has loaded."</p>
        </form>
        <SudoPrompt needed=sudo/>
    }
}

/// A new set of recovery codes, shown this once, to copy or download.
#[component]
fn RecoveryCodesOnce(codes: Vec<String>) -> impl IntoView {
    let text = codes.join("\n");
    let download = format!(
        "data:text/plain;charset=utf-8,{}",
        text.replace('\n', "%0A")
    );
    view! {
        <div class="recovery-codes" role="region" aria-labelledby="codes-title">
            <h2 id="codes-title">"Your recovery codes"</h2>
            <p>"Keep these somewhere safe. Each works once, and this is the only time they are shown."</p>
            <ul id="recovery-codes" class="codes">
                {codes.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}
            </ul>
            <CopyButton text=text label="Copy codes".to_owned()/>
            <a class="button secondary" href=download download="gatehouse-recovery-codes.txt">"Download (.txt)"</a>
        </div>
    }
}
