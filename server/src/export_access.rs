//! What the two downloads (the namespace audit export and the operator audit export) share:
//! resolving the session's caller through identity's one service, gating it by its principal in
//! sudo mode, and plain-text refusals that never show internals.

use app::state::AppState;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use identity::caller::{AccessError, Principal};

/// The session's caller in `namespace`, passed by `gate` and in sudo mode (the data leaves the
/// building), or the refusal to send.
pub async fn console_caller(
    state: &AppState,
    namespace: &str,
    headers: &HeaderMap,
    gate: impl Fn(&Principal) -> Result<(), AccessError>,
) -> Result<Principal, Response> {
    let token = app::session::ssr::cookie_in(headers, &state.cookie.name)
        .ok_or_else(|| refuse(StatusCode::UNAUTHORIZED, "Please sign in."))?;
    let authn = authn::Authn::new(state.pool.clone(), namespace)
        .await
        .map_err(|_| refuse(StatusCode::NOT_FOUND, "This organisation does not exist."))?;
    let refused = |e: AccessError| match e {
        AccessError::ConsoleNeedsTwoStep | AccessError::AccountNeedsTwoStep => refuse(
            StatusCode::FORBIDDEN,
            "The console needs two-step verification here. Set it up first.",
        ),
        AccessError::ReauthenticationRequired => refuse(
            StatusCode::FORBIDDEN,
            "Confirm it is you first: sign in again or confirm your password, then export.",
        ),
        AccessError::Forbidden | AccessError::ReadOnlyWhileImpersonating => {
            refuse(StatusCode::FORBIDDEN, "You are not allowed to do that.")
        }
        other => internal(&format!("{other:?}")),
    };
    let principal = state
        .callers
        .resolve(authn, &state.pool, &token)
        .await
        .map_err(refused)?
        .ok_or_else(|| refuse(StatusCode::UNAUTHORIZED, "Please sign in."))?;
    gate(&principal).map_err(refused)?;
    principal
        .require_recent_authentication(state.sudo_window)
        .await
        .map_err(refused)?;
    Ok(principal)
}

/// A refusal the person reads.
pub fn refuse(status: StatusCode, message: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{message}\n"),
    )
        .into_response()
}

/// A failure on our side: logged with its detail, answered without it.
pub fn internal(detail: &str) -> Response {
    tracing::error!(error = %detail, "export refused");
    refuse(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong on our side. Please try again.",
    )
}
