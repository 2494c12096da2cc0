//! Server functions for signing in with a password and signing out, and the session cookie.

use leptos::prelude::*;

use crate::error::AppError;

#[server]
pub async fn sign_in(
    namespace: String,
    email: String,
    password: String,
    next: Option<String>,
) -> Result<(), AppError> {
    use secrecy::SecretString;

    let state = crate::state::AppState::current()?;
    let request = ssr::RequestInfo::extract().await;
    state.limit(identity::RateRule::SIGN_IN, request.ip)?;
    let authn = state.authn(&namespace).await?;
    let password = SecretString::from(password);
    let signed_in = state
        .sign_in
        .sign_in(
            &authn,
            identity::SignInRequest {
                email: &email,
                password: &password,
                ip_address: request.ip,
                user_agent: request.user_agent.as_deref(),
            },
        )
        .await?;
    ssr::finish_sign_in(&state, &namespace, signed_in, next.as_deref())
        .await
        .map(drop)
}

/// Signs out this browser. During an impersonation that also ends the impersonation and
/// revokes the admin's own session kept aside in this browser: whoever uses it next finds
/// nothing to go back to.
#[server]
pub async fn sign_out(namespace: String) -> Result<(), AppError> {
    let state = crate::state::AppState::current()?;
    let token = ssr::session_token(&state.cookie).await;
    let aside = ssr::cookie_value(&state.cookie.aside_name).await;
    // The cookies go whatever happens below: a failing step must not leave this browser
    // signed in. Each step is tried even if an earlier one failed.
    ssr::set_cookie(&state.cookie, &state.cookie.aside_name, None);
    ssr::set_cookie(&state.cookie, &state.cookie.return_name, None);
    ssr::set_session_cookie(&state.cookie, None);
    if token.is_some() || aside.is_some() {
        let authn = state.authn(&namespace).await?;
        let caller = crate::caller::ssr::resolve(&state, &namespace)
            .await
            .unwrap_or_else(|e| {
                tracing::warn!(error = ?e, "the signing-out caller was not resolved");
                None
            });
        identity::caller::sign_out(
            &authn,
            caller.as_deref(),
            token.as_deref(),
            aside.as_deref(),
            state.operator_pool.as_ref(),
        )
        .await;
    }
    leptos_axum::redirect(&vocabulary::Page::SignIn.path(&namespace));
    Ok(())
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use std::net::{IpAddr, SocketAddr};

    use axum::extract::ConnectInfo;
    use axum::Extension;
    use cookie::{Cookie, SameSite};
    use http::header::{COOKIE, SET_COOKIE, USER_AGENT};
    use http::{HeaderMap, HeaderValue};
    use leptos::prelude::expect_context;
    use leptos_axum::ResponseOptions;

    use crate::client_address::ClientAddress;
    use crate::error::AppError;
    use crate::state::CookieSettings;

    pub struct RequestInfo {
        pub ip: Option<IpAddr>,
        pub user_agent: Option<String>,
        /// The `x-request-id` the server gave the request (also in its log lines).
        pub request_id: Option<String>,
    }

    impl RequestInfo {
        pub async fn extract() -> RequestInfo {
            // The server's first layer decided the client (peer or trusted proxy); the peer
            // itself only where no such layer ran (unit tests of a bare router).
            let ip = match leptos_axum::extract::<Extension<ClientAddress>>().await {
                Ok(Extension(ClientAddress(ip))) => Some(ip),
                Err(_) => leptos_axum::extract::<ConnectInfo<SocketAddr>>()
                    .await
                    .ok()
                    .map(|ConnectInfo(addr)| addr.ip()),
            };
            let headers = leptos_axum::extract::<HeaderMap>().await.ok();
            let header = |name: &str, max: usize| {
                headers.as_ref().and_then(|h| {
                    h.get(name)
                        .and_then(|v| v.to_str().ok())
                        .map(|s| s.chars().take(max).collect::<String>())
                })
            };
            RequestInfo {
                ip,
                user_agent: header(USER_AGENT.as_str(), 512),
                request_id: header("x-request-id", 64),
            }
        }

        pub fn client(&self) -> identity::ClientInfo<'_> {
            identity::ClientInfo {
                ip_address: self.ip,
                user_agent: self.user_agent.as_deref(),
            }
        }
    }

    /// Ends a successful sign-in step: the session cookie and the page the person came for
    /// (`next`, or the one kept while the steps went on; the account page otherwise), or the
    /// next step — the second factor, or a new password — keeping where they were going.
    /// Answers the page it sent them to (the passkey buttons navigate there themselves).
    pub async fn finish_sign_in(
        state: &crate::state::AppState,
        namespace: &str,
        step: identity::SignInStep,
        next: Option<&str>,
    ) -> Result<String, AppError> {
        let settings = &state.cookie;
        let kept = cookie_value(&settings.return_name).await;
        let next = next
            .filter(|n| !n.is_empty())
            .or(kept.as_deref())
            .and_then(|raw| vocabulary::return_path(namespace, raw));
        let (pending, page) = match step {
            identity::SignInStep::SignedIn(signed_in) => {
                set_session_cookie(settings, Some(signed_in.token.expose()));
                if kept.is_some() {
                    set_cookie(settings, &settings.return_name, None);
                }
                let page =
                    next.map_or_else(|| vocabulary::Page::Account.path(namespace), str::to_owned);
                leptos_axum::redirect(&page);
                return Ok(page);
            }
            // No session yet: the browser holds the pending step until a second factor.
            identity::SignInStep::SecondFactorRequired { pending, .. } => {
                (pending, vocabulary::Page::SecondFactor.path(namespace))
            }
            // No session yet: the owner first replaces the password an admin set.
            identity::SignInStep::NewPasswordRequired { pending, .. } => {
                (pending, vocabulary::Page::NewPassword.path(namespace))
            }
        };
        set_cookie(settings, &settings.pending_name, Some(pending.expose()));
        keep_return(settings, namespace, next);
        leptos_axum::redirect(&page);
        Ok(page)
    }

    /// Keeps where the person was going (`next`, if it is a safe place in `namespace`) in this
    /// browser while a sign-in goes on elsewhere: a second step, or a link or code sent by
    /// mail. [`finish_sign_in`] takes it up, in this browser only.
    pub fn keep_return(settings: &CookieSettings, namespace: &str, next: Option<&str>) {
        if let Some(next) = next.and_then(|raw| vocabulary::return_path(namespace, raw)) {
            set_cookie_until(
                settings,
                &settings.return_name,
                Some(next),
                Some(chrono::TimeDelta::minutes(15)),
            );
        }
    }

    /// The session token from the request's cookie, if any.
    pub async fn session_token(settings: &CookieSettings) -> Option<String> {
        cookie_value(&settings.name).await
    }

    /// The pending sign-in token from the request's cookie, if any.
    pub async fn pending_token(settings: &CookieSettings) -> Option<String> {
        cookie_value(&settings.pending_name).await
    }

    pub async fn cookie_value(name: &str) -> Option<String> {
        let headers = leptos_axum::extract::<HeaderMap>().await.ok()?;
        cookie_in(&headers, name)
    }

    /// The non-empty value of the cookie `name` in request headers.
    pub fn cookie_in(headers: &HeaderMap, name: &str) -> Option<String> {
        headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(Cookie::split_parse)
            .filter_map(Result::ok)
            .find(|c| c.name() == name && !c.value().is_empty())
            .map(|c| c.value().to_owned())
    }

    /// Sets the session cookie, or removes it with `None`. HttpOnly so scripts cannot read
    /// it, SameSite=Lax so other sites cannot send it with their POSTs, Secure under https.
    pub fn set_session_cookie(settings: &CookieSettings, token: Option<&str>) {
        set_cookie(settings, &settings.name, token);
    }

    /// Sets (or with `None` removes) one of our cookies with the session cookie's protections.
    pub fn set_cookie(settings: &CookieSettings, name: &str, token: Option<&str>) {
        set_cookie_until(settings, name, token, None);
    }

    /// The same, for a cookie the browser must drop after `max_age` (rounded up to a second).
    pub fn set_cookie_until(
        settings: &CookieSettings,
        name: &str,
        token: Option<&str>,
        max_age: Option<chrono::TimeDelta>,
    ) {
        let mut cookie = Cookie::build((name.to_owned(), token.unwrap_or_default().to_owned()))
            .path("/")
            .http_only(true)
            .secure(settings.secure)
            .same_site(SameSite::Lax)
            .build();
        if let Some(age) = max_age {
            let seconds = (age.num_milliseconds().max(0) + 999) / 1000;
            cookie.set_max_age(cookie::time::Duration::seconds(seconds));
        }
        if token.is_none() {
            cookie.make_removal();
        }
        if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
            expect_context::<ResponseOptions>().append_header(SET_COOKIE, value);
        }
    }
}
