//! Server functions for signing in and out and for the current user.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// The signed-in user, as pages see them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedInUser {
    pub email: String,
    pub namespace: String,
}

#[server]
pub async fn sign_in(namespace: String, email: String, password: String) -> Result<(), AppError> {
    crate::error::respond(async move {
        use secrecy::SecretString;

        let state = crate::state::AppState::current()?;
        let authn = state.authn(&namespace).await?;
        let request = ssr::RequestInfo::extract().await;
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
        ssr::set_session_cookie(&state.cookie, Some(signed_in.token.expose()));
        leptos_axum::redirect(&format!("/{namespace}/account"));
        Ok(())
    })
    .await
}

#[server]
pub async fn sign_out(namespace: String) -> Result<(), AppError> {
    crate::error::respond(async move {
        let state = crate::state::AppState::current()?;
        if let Some(token) = ssr::session_token(&state.cookie).await {
            let authn = state.authn(&namespace).await?;
            authn
                .revoke_session(&identity::token::hash_token(&token))
                .await?;
        }
        ssr::set_session_cookie(&state.cookie, None);
        leptos_axum::redirect(&format!("/{namespace}/sign-in"));
        Ok(())
    })
    .await
}

#[server]
pub async fn current_user(namespace: String) -> Result<Option<SignedInUser>, AppError> {
    let state = crate::state::AppState::current()?;
    let Some(token) = ssr::session_token(&state.cookie).await else {
        return Ok(None);
    };
    let mut authn = state.authn(&namespace).await?;
    let session = authn
        .validate_session(&identity::token::hash_token(&token))
        .await?;
    Ok(session.map(|s| SignedInUser {
        email: s.email,
        namespace,
    }))
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use std::net::{IpAddr, SocketAddr};

    use axum::extract::ConnectInfo;
    use cookie::{Cookie, SameSite};
    use http::header::{COOKIE, SET_COOKIE, USER_AGENT};
    use http::{HeaderMap, HeaderValue};
    use leptos::prelude::expect_context;
    use leptos_axum::ResponseOptions;

    use crate::state::CookieSettings;

    pub struct RequestInfo {
        pub ip: Option<IpAddr>,
        pub user_agent: Option<String>,
    }

    impl RequestInfo {
        pub async fn extract() -> RequestInfo {
            let ip = leptos_axum::extract::<ConnectInfo<SocketAddr>>()
                .await
                .ok()
                .map(|ConnectInfo(addr)| addr.ip());
            let user_agent = leptos_axum::extract::<HeaderMap>()
                .await
                .ok()
                .and_then(|h| {
                    h.get(USER_AGENT)
                        .and_then(|v| v.to_str().ok())
                        .map(|s| s.chars().take(512).collect())
                });
            RequestInfo { ip, user_agent }
        }
    }

    /// The session token from the request's cookie, if any.
    pub async fn session_token(settings: &CookieSettings) -> Option<String> {
        let headers = leptos_axum::extract::<HeaderMap>().await.ok()?;
        headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(Cookie::split_parse)
            .filter_map(Result::ok)
            .find(|c| c.name() == settings.name)
            .map(|c| c.value().to_owned())
    }

    /// Sets the session cookie, or removes it with `None`. HttpOnly so scripts cannot read
    /// it, SameSite=Lax so other sites cannot send it with their POSTs, Secure under https.
    pub fn set_session_cookie(settings: &CookieSettings, token: Option<&str>) {
        let mut cookie =
            Cookie::build((settings.name.clone(), token.unwrap_or_default().to_owned()))
                .path("/")
                .http_only(true)
                .secure(settings.secure)
                .same_site(SameSite::Lax)
                .build();
        if token.is_none() {
            cookie.make_removal();
        }
        if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
            expect_context::<ResponseOptions>().append_header(SET_COOKIE, value);
        }
    }
}
