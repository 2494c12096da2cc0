//! Server functions of the admin console beyond its dashboard. Every one resolves the caller
//! from the session cookie, requires an admin of exactly the URL's namespace (and refuses
//! impersonation sessions), then calls an identity service through a core client that names
//! the admin, the request and any reason on each audit event. Ids from the browser are only
//! looked up inside that namespace, so another namespace's ids find nothing.

pub mod audit;
pub mod impersonation;
pub mod lockouts;
pub mod user;
pub mod users;

/// Times as the console shows them.
#[cfg(feature = "ssr")]
pub(crate) fn when(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// An id from a form or URL; anything that is not one names nothing here.
#[cfg(feature = "ssr")]
pub(crate) fn parse_id(
    value: &str,
    unknown: crate::error::AppError,
) -> Result<uuid::Uuid, crate::error::AppError> {
    uuid::Uuid::parse_str(value.trim()).map_err(|_| unknown)
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use authn::Authn;

    use crate::caller::ssr::{signed_in, Caller};
    use crate::error::AppError;
    use crate::state::AppState;

    /// The request's state, its admin caller, and a core client acting as them.
    pub async fn admin(
        namespace: &str,
        reason: Option<&str>,
    ) -> Result<(AppState, Caller, Authn), AppError> {
        let state = AppState::current()?;
        let caller = signed_in(&state, namespace).await?;
        let authn = caller.as_admin(reason)?;
        Ok((state, caller, authn))
    }
}
