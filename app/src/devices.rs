//! Server functions of the devices page: the caller's sessions, and signing them out.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::error::{FieldProblem, FormField};

/// A signed-in device as the page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceView {
    pub session_id: String,
    pub browser: String,
    pub system: String,
    pub kind: String,
    pub ip_address: Option<String>,
    pub signed_in: String,
    pub last_active: String,
    pub current: bool,
}

#[server]
pub async fn my_devices(namespace: String) -> Result<Vec<DeviceView>, AppError> {
    let state = crate::state::AppState::current()?;
    let caller = crate::caller::ssr::signed_in(&state, &namespace).await?;
    let idle = state.sessions.policy().idle;
    let devices =
        identity::devices::list_devices(&caller.authn, caller.user_id, caller.session_id, idle)
            .await?;
    let when = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
    Ok(devices
        .into_iter()
        .map(|d| DeviceView {
            session_id: d.session_id.to_string(),
            browser: d.browser,
            system: d.system,
            kind: d.kind,
            ip_address: d.ip_address.map(|ip| ip.to_string()),
            signed_in: when(d.created_at),
            last_active: when(d.last_active_at),
            current: d.current,
        })
        .collect())
}

#[server]
pub async fn sign_out_device(namespace: String, session_id: String) -> Result<(), AppError> {
    let state = crate::state::AppState::current()?;
    let caller = crate::caller::ssr::signed_in(&state, &namespace).await?;
    caller.refuse_while_impersonating()?;
    let session_id = uuid::Uuid::parse_str(session_id.trim())
        .map_err(|_| AppError::field(FormField::SessionId, FieldProblem::UnknownDevice))?;
    if session_id == caller.session_id {
        return Err(AppError::field(
            FormField::SessionId,
            FieldProblem::CurrentDevice,
        ));
    }
    if !identity::devices::sign_out_device(&caller.authn, caller.user_id, session_id).await? {
        return Err(AppError::field(
            FormField::SessionId,
            FieldProblem::DeviceAlreadySignedOut,
        ));
    }
    leptos_axum::redirect(&vocabulary::Page::Devices.path(&namespace));
    Ok(())
}

#[server]
pub async fn sign_out_other_devices(namespace: String) -> Result<i32, AppError> {
    let state = crate::state::AppState::current()?;
    let caller = crate::caller::ssr::signed_in(&state, &namespace).await?;
    caller.refuse_while_impersonating()?;
    let count =
        identity::devices::sign_out_other_devices(&caller.authn, caller.user_id, caller.session_id)
            .await?;
    leptos_axum::redirect(
        &vocabulary::Page::Devices.path_with(&namespace, &[("signed_out", &count.to_string())]),
    );
    Ok(count)
}

/// Whether the caller is mailed about sign-ins from a new browser and device.
#[server]
pub async fn new_device_mail(namespace: String) -> Result<bool, AppError> {
    let state = crate::state::AppState::current()?;
    let caller = crate::caller::ssr::signed_in(&state, &namespace).await?;
    Ok(identity::sign_in_alert::new_device_mail(&caller.authn, caller.user_id).await?)
}

/// Turns the new-device mail on or off (`on` is the checkbox: "1" or absent). Turning it off
/// hides sign-ins from the owner, so it takes a recent sign-in or password confirmation, and
/// never during an impersonation.
#[server]
pub async fn set_new_device_mail(
    namespace: String,
    #[server(default)] on: Option<String>,
) -> Result<(), AppError> {
    let state = crate::state::AppState::current()?;
    let caller = crate::caller::ssr::signed_in(&state, &namespace).await?;
    caller.refuse_while_impersonating()?;
    // The checkbox sends "1" when ticked and nothing otherwise; anything else is not this form.
    let on = match on.as_deref() {
        Some("1") => true,
        None => false,
        Some(_) => return Err(AppError::FormRejected),
    };
    if !on {
        caller.require_recent_authentication(&state).await?;
    }
    identity::sign_in_alert::set_new_device_mail(&caller.authn, caller.user_id, on).await?;
    leptos_axum::redirect(
        &vocabulary::Page::Devices
            .path_with(&namespace, &[("alerts", if on { "on" } else { "off" })]),
    );
    Ok(())
}
