//! Pages of the e-mail flows: sign-up, address confirmation, magic link, e-mail code,
//! forgotten and reset password.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::components::{
    action_error, link_keeping_return, use_query_flag, Field, FormAlert, NamespaceInput,
    ReturnInput,
};
use crate::flows::{
    sign_up_open, ConfirmMagicLink, RequestEmailCode, RequestMagicLink, RequestPasswordReset,
    ResetPassword, SetNewPassword, SignInWithCode, SignUp, VerifyEmail,
};
use crate::form_errors::form_action;
use crate::pages::use_namespace;
use vocabulary::Page;

/// The `token` of the page's URL, as a hidden field.
#[component]
fn TokenInput() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    view! { <input type="hidden" name="token" value=token/> }
}

/// A password chosen now, typed twice (reset, invitation, replacing an admin's password).
#[component]
fn NewPasswordFields(#[prop(into)] error: Signal<Option<crate::error::AppError>>) -> impl IntoView {
    view! {
        <Field label="New password" name="password" kind="password" autocomplete="new-password"
            hint="At least 12 characters." error/>
        <Field label="Repeat the new password" name="password_confirm" kind="password"
            autocomplete="new-password" error/>
    }
}

fn page_link(page: Page<'static>) -> impl Fn() -> String + Copy + Send + Sync + 'static {
    let namespace = use_namespace();
    move || page.path(&namespace.get())
}

/// Wording shared by every request that mails something: it never says whether the address
/// has an account.
const SENT_TO_ANY: &str =
    "If an account exists for that address, we have sent it a message. Check your inbox (and spam folder).";

#[component]
fn EmailRequestFields(
    #[prop(into)] error: Signal<Option<crate::error::AppError>>,
    #[prop(into)] sent: Signal<bool>,
    /// The request is on its way: the button waits (no double submits).
    #[prop(into)]
    pending: Signal<bool>,
    button: &'static str,
) -> impl IntoView {
    view! {
        <Field label="Email" name="email" kind="email" autocomplete="username" error/>
        <FormAlert error id="form-error"/>
        <Show when=move || sent.get()>
            <p class="notice" role="status">{SENT_TO_ANY}</p>
        </Show>
        <button type="submit" disabled=move || pending.get()>{button}</button>
    }
}

#[component]
pub fn SignUpPage() -> impl IntoView {
    let namespace = use_namespace();
    let open = Resource::new(move || namespace.get(), sign_up_open);
    let action = form_action::<SignUp>();
    let error = action_error(action);
    let done = use_query_flag(vocabulary::Notice::Sent.as_str());
    let sign_in = page_link(Page::SignIn);
    view! {
        <section class="card narrow">
            <h1>"Create an account"</h1>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match open.await {
                        Ok(true) => view! {
                            <Show
                                when=move || done.get()
                                fallback=move || view! {
                                    <ActionForm action=action attr:class="form">
                                        <NamespaceInput/>
                                        <Field label="Email" name="email" kind="email" autocomplete="username" error/>
                                        <Field label="Password" name="password" kind="password"
                                            autocomplete="new-password" hint="At least 12 characters. A few unrelated words work well." error/>
                                        <Field label="Repeat the password" name="password_confirm" kind="password"
                                            autocomplete="new-password" error/>
                                        <FormAlert error id="form-error"/>
                                        <button type="submit">"Create account"</button>
                                    </ActionForm>
                                }
                            >
                                <p class="notice" role="status">
                                    "Check your inbox: we sent a link to confirm your address. "
                                    "Then sign in."
                                </p>
                            </Show>
                        }.into_any(),
                        Ok(false) => view! {
                            <p role="status">
                                "Sign-up is by invitation only. Ask an administrator of this organisation to invite you."
                            </p>
                        }.into_any(),
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
            <p class="muted">"Already have an account? " <a href=sign_in>"Sign in"</a></p>
        </section>
    }
}

#[component]
pub fn VerifyEmailPage() -> impl IntoView {
    let action = form_action::<VerifyEmail>();
    let error = action_error(action);
    view! {
        <section class="card narrow">
            <h1>"Confirm your email address"</h1>
            <p class="muted">
                "To finish, choose the password for this account; it may be the one you signed up with. "
                "Only the owner of this mailbox gets here, so any other password is replaced and anyone signed in is signed out."
            </p>
            <ActionForm action=action attr:class="form">
                <NamespaceInput/>
                <TokenInput/>
                <Field label="Password" name="password" kind="password" autocomplete="new-password"
                    hint="At least 12 characters." error/>
                <Field label="Repeat the password" name="password_confirm" kind="password"
                    autocomplete="new-password" error/>
                <FormAlert error id="form-error"/>
                <button type="submit">"Confirm my address"</button>
            </ActionForm>
        </section>
    }
}

#[component]
pub fn MagicLinkPage() -> impl IntoView {
    let action = form_action::<RequestMagicLink>();
    let error = action_error(action);
    let sent = use_query_flag(vocabulary::Notice::Sent.as_str());
    let sign_in = link_keeping_return(Page::SignIn);
    view! {
        <section class="card narrow">
            <h1>"Sign in with a link"</h1>
            <p class="muted">"We will email you a link that signs you in once, within 15 minutes."</p>
            <ActionForm action=action attr:class="form">
                <NamespaceInput/>
                <ReturnInput/>
                <EmailRequestFields error sent pending=action.pending() button="Email me a link"/>
            </ActionForm>
            <p class="muted"><a href=sign_in>"Back to sign-in"</a></p>
        </section>
    }
}

/// Where the mailed link lands. Signing in takes a click: mail scanners that open links must
/// not use up the link (or sign anybody in).
#[component]
pub fn MagicLinkConfirmPage() -> impl IntoView {
    let action = form_action::<ConfirmMagicLink>();
    let error = action_error(action);
    let again = page_link(Page::MagicLink);
    view! {
        <section class="card narrow">
            <h1>"Sign in"</h1>
            <ActionForm action=action attr:class="form">
                <NamespaceInput/>
                <TokenInput/>
                <FormAlert error id="form-error"/>
                <button type="submit">"Sign in"</button>
            </ActionForm>
            <p class="muted"><a href=again>"Send a new link"</a></p>
        </section>
    }
}

#[component]
pub fn EmailCodePage() -> impl IntoView {
    let action = form_action::<RequestEmailCode>();
    let error = action_error(action);
    // Success moves on to the code page; nothing to confirm here.
    let sent = Signal::stored(false);
    let sign_in = link_keeping_return(Page::SignIn);
    view! {
        <section class="card narrow">
            <h1>"Sign in with a code"</h1>
            <p class="muted">"We will email you a 6-digit code, valid for 10 minutes."</p>
            <ActionForm action=action attr:class="form">
                <NamespaceInput/>
                <ReturnInput/>
                <EmailRequestFields error sent pending=action.pending() button="Email me a code"/>
            </ActionForm>
            <p class="muted"><a href=sign_in>"Back to sign-in"</a></p>
        </section>
    }
}

/// Step two: the request redirected here with the address in the query.
#[component]
pub fn EmailCodeVerifyPage() -> impl IntoView {
    let action = form_action::<SignInWithCode>();
    let error = action_error(action);
    let query = use_query_map();
    let email = move || query.read().get("email").unwrap_or_default();
    let again = page_link(Page::EmailCode);
    view! {
        <section class="card narrow">
            <h1>"Enter your code"</h1>
            <p role="status">
                "If an account exists for " <strong>{email}</strong> ", we have sent it a 6-digit code."
            </p>
            <ActionForm action=action attr:class="form">
                <NamespaceInput/>
                <input type="hidden" name="email" value=email/>
                <Field label="Code" name="code" kind="text" autocomplete="one-time-code"
                    inputmode="numeric" error/>
                <FormAlert error id="form-error"/>
                <button type="submit">"Sign in"</button>
            </ActionForm>
            <p class="muted"><a href=again>"Send a new code"</a></p>
        </section>
    }
}

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let action = form_action::<RequestPasswordReset>();
    let error = action_error(action);
    let sent = use_query_flag(vocabulary::Notice::Sent.as_str());
    let sign_in = page_link(Page::SignIn);
    view! {
        <section class="card narrow">
            <h1>"Forgot your password?"</h1>
            <p class="muted">"We will email you a link to choose a new one, valid for 1 hour."</p>
            <ActionForm action=action attr:class="form">
                <NamespaceInput/>
                <EmailRequestFields error sent pending=action.pending() button="Email me a reset link"/>
            </ActionForm>
            <p class="muted"><a href=sign_in>"Back to sign-in"</a></p>
        </section>
    }
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let action = form_action::<ResetPassword>();
    let error = action_error(action);
    view! {
        <section class="card narrow">
            <h1>"Choose a new password"</h1>
            <p class="muted">"Every device signed in to your account will be signed out."</p>
            <ActionForm action=action attr:class="form">
                <NamespaceInput/>
                <TokenInput/>
                <NewPasswordFields error/>
                <FormAlert error id="form-error"/>
                <button type="submit">"Set new password"</button>
            </ActionForm>
        </section>
    }
}

/// Where a sign-in lands when an admin set the account's password: the owner chooses their
/// own before going on.
#[component]
pub fn NewPasswordPage() -> impl IntoView {
    let action = form_action::<SetNewPassword>();
    let error = action_error(action);
    let sign_in = page_link(Page::SignIn);
    view! {
        <section class="card narrow">
            <h1>"Choose your password"</h1>
            <p class="muted">
                "Your administrator set the password you signed in with. Choose one only you know to continue."
            </p>
            <ActionForm action=action attr:class="form">
                <NamespaceInput/>
                <NewPasswordFields error/>
                <FormAlert error id="form-error"/>
                <button type="submit">"Set password and continue"</button>
            </ActionForm>
            <p class="muted"><a href=sign_in>"Back to sign-in"</a></p>
        </section>
    }
}
