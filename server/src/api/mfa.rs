//! A signed-in program's two-step verification, as the portal's page offers it: what is set
//! up, an authenticator app added (a secret to scan, then a code from it, which also makes the
//! first recovery codes) or removed, and new recovery codes. Changes take a sign-in within the
//! sudo window; the owner is mailed, as on the web.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use identity::caller::Principal;
use identity::totp::TotpError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::call::Call;
use super::error::ErrorBody;
use super::{ApiError, ApiJson};

impl From<TotpError> for ApiError {
    fn from(e: TotpError) -> Self {
        match e {
            TotpError::EnrollmentInvalid => ApiError::validation(
                "This setup expired or was made for another account: start again.",
            ),
            TotpError::WrongCode => ApiError::validation(
                "The code is incorrect: check the app's clock and give the current code.",
            ),
            TotpError::AlreadyEnrolled => {
                ApiError::Conflict("An authenticator app is already set up.")
            }
            TotpError::NotEnrolled => ApiError::NotFound("No authenticator app is set up."),
            TotpError::Unreadable | TotpError::Internal(_) => {
                tracing::error!(error = %e, "API two-step request failed");
                ApiError::Internal
            }
        }
    }
}

/// The account's second factors.
#[derive(Serialize, ToSchema)]
pub struct MfaBody {
    /// When the authenticator app was added; `null` without one.
    totp_added_at: Option<DateTime<Utc>>,
    totp_last_used_at: Option<DateTime<Utc>>,
    passkeys: usize,
    recovery_codes_left: usize,
}

/// `GET /{namespace}/api/v1/mfa`.
#[utoipa::path(get, path = "/{namespace}/api/v1/mfa", tag = "account",
    security(("access_token" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "The account's second factors.", body = MfaBody),
        (status = 403, description = "`forbidden`: two-step verification must be set up on the web first.", body = ErrorBody),
    ))]
pub async fn status(call: Call) -> Result<Response, ApiError> {
    let reader = call.reader().await?;
    let status = call
        .state
        .security
        .mfa_status(reader.authn(), reader.user_id())
        .await?;
    Ok(Json(MfaBody {
        totp_added_at: status.totp.as_ref().map(|m| m.created_at),
        totp_last_used_at: status.totp.as_ref().and_then(|m| m.last_used_at),
        passkeys: status.passkeys,
        recovery_codes_left: status.recovery_codes_left,
    })
    .into_response())
}

/// The caller who may change how the account signs in: a session (never a key), not an
/// impersonation, signed in within the sudo window.
async fn changer(call: &Call) -> Result<Principal, ApiError> {
    let caller = call.caller().await?;
    caller.refuse_while_impersonating()?;
    caller
        .require_recent_authentication(call.state.sudo_window)
        .await?;
    Ok(caller)
}

/// A new authenticator secret; nothing is stored until it is confirmed with a code.
#[derive(Serialize, ToSchema)]
pub struct TotpSetupBody {
    /// Base32, for typing into an app by hand.
    secret: String,
    /// `otpauth://totp/…`, for a QR code.
    otpauth_uri: String,
    /// The URI as a PNG QR code, base64.
    qr_png_base64: String,
    /// Sealed; post it back with the first code (good for a few minutes).
    enrollment: String,
}

/// `POST /{namespace}/api/v1/mfa/totp`: a secret to add to an authenticator app.
#[utoipa::path(post, path = "/{namespace}/api/v1/mfa/totp", tag = "account",
    security(("access_token" = [])),
    responses(
        (status = 201, description = "A secret to scan; confirm it with a code from the app.", body = TotpSetupBody),
        (status = 403, description = "`forbidden`: it needs a sign-in within the last few minutes, an access token rather than a key, and no impersonation.", body = ErrorBody),
    ))]
pub async fn begin_totp(call: Call) -> Result<Response, ApiError> {
    let caller = changer(&call).await?;
    let setup = call
        .state
        .security
        .begin_totp(&caller.authn, caller.owner())?;
    Ok((
        StatusCode::CREATED,
        [(header::CACHE_CONTROL, "no-store")],
        Json(TotpSetupBody {
            secret: setup.secret_base32,
            otpauth_uri: setup.otpauth_uri,
            qr_png_base64: setup.qr_png_base64,
            enrollment: setup.enrollment,
        }),
    )
        .into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmTotp {
    /// From the answer that gave the secret.
    enrollment: String,
    /// The app's current 6-digit code.
    code: String,
}

/// Recovery codes, shown this once.
#[derive(Serialize, ToSchema)]
pub struct RecoveryCodesBody {
    /// `null` when the account had recovery codes already (they stay).
    recovery_codes: Option<Vec<String>>,
}

/// `POST /{namespace}/api/v1/mfa/totp/confirm` `{"enrollment", "code"}`: turns the app on.
#[utoipa::path(post, path = "/{namespace}/api/v1/mfa/totp/confirm", tag = "account",
    request_body = ConfirmTotp,
    security(("access_token" = [])),
    responses(
        (status = 200, description = "On; with the first second factor, recovery codes (shown once).", body = RecoveryCodesBody),
        (status = 403, description = "`forbidden`: it needs a sign-in within the last few minutes, an access token rather than a key, and no impersonation.", body = ErrorBody),
        (status = 409, description = "`conflict`: an authenticator app is already set up.", body = ErrorBody),
    ))]
pub async fn confirm_totp(
    call: Call,
    ApiJson(body): ApiJson<ConfirmTotp>,
) -> Result<Response, ApiError> {
    let caller = changer(&call).await?;
    let codes = call
        .state
        .security
        .enable_totp(
            &caller.authn,
            caller.owner(),
            body.enrollment.trim(),
            body.code.trim(),
        )
        .await?;
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        Json(RecoveryCodesBody {
            recovery_codes: codes.map(|c| c.0),
        }),
    )
        .into_response())
}

/// `DELETE /{namespace}/api/v1/mfa/totp`: turns the app off (with no second factor left, the
/// recovery codes go too).
#[utoipa::path(delete, path = "/{namespace}/api/v1/mfa/totp", tag = "account",
    security(("access_token" = [])),
    responses(
        (status = 204, description = "Off."),
        (status = 403, description = "`forbidden`: it needs a sign-in within the last few minutes, an access token rather than a key, and no impersonation.", body = ErrorBody),
    ))]
pub async fn remove_totp(call: Call) -> Result<Response, ApiError> {
    let caller = changer(&call).await?;
    call.state
        .security
        .disable_totp(&caller.authn, caller.owner())
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /{namespace}/api/v1/mfa/recovery-codes`: a new set; the old codes stop working.
#[utoipa::path(post, path = "/{namespace}/api/v1/mfa/recovery-codes", tag = "account",
    security(("access_token" = [])),
    responses(
        (status = 200, description = "The new codes, shown once.", body = RecoveryCodesBody),
        (status = 403, description = "`forbidden`: it needs a sign-in within the last few minutes, an access token rather than a key, and no impersonation.", body = ErrorBody),
        (status = 409, description = "`conflict`: recovery codes need another second factor first.", body = ErrorBody),
    ))]
pub async fn regenerate_recovery_codes(call: Call) -> Result<Response, ApiError> {
    let caller = changer(&call).await?;
    let codes = call
        .state
        .security
        .regenerate_recovery_codes(&caller.authn, caller.owner())
        .await?;
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        Json(RecoveryCodesBody {
            recovery_codes: Some(codes.0),
        }),
    )
        .into_response())
}
