//! An admin acting as one of their namespace's users for a limited time, with a written
//! justification. Who may be impersonated, for how long, and whether the person is told are
//! decided here; the core records it and attributes everything done meanwhile to the admin.

use authn::{ActiveImpersonation, Authn, AuthnTx, ImpersonationRecord, StartImpersonation};
use chrono::{DateTime, TimeDelta, Utc};
use uuid::Uuid;

use super::{user, AdminError, Reason};
use crate::mail::{outbox, templates, Links};
use crate::token::OpaqueToken;

/// The hard ceiling whatever the configuration says.
pub const CEILING: TimeDelta = TimeDelta::hours(1);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImpersonationLimits {
    pub default: TimeDelta,
    pub max: TimeDelta,
}

impl Default for ImpersonationLimits {
    fn default() -> Self {
        ImpersonationLimits {
            default: TimeDelta::minutes(15),
            max: CEILING,
        }
    }
}

impl ImpersonationLimits {
    /// Limits with `max_minutes` as the maximum (1 to 60); the default is 15 minutes or the
    /// maximum if that is shorter.
    pub fn with_max_minutes(max_minutes: u16) -> Option<ImpersonationLimits> {
        let max = TimeDelta::minutes(i64::from(max_minutes));
        if max_minutes == 0 || max > CEILING {
            return None;
        }
        Some(ImpersonationLimits {
            default: TimeDelta::minutes(15).min(max),
            max,
        })
    }

    pub fn max_minutes(&self) -> i64 {
        self.max.num_minutes()
    }

    pub fn default_minutes(&self) -> i64 {
        self.default.num_minutes()
    }

    /// A duration typed in minutes; empty means the default.
    pub fn duration(&self, minutes: &str) -> Result<TimeDelta, AdminError> {
        minutes_within(minutes, self.default, self.max).ok_or(AdminError::InvalidDuration {
            max_minutes: self.max_minutes(),
        })
    }
}

/// Whole minutes typed in a form, from 1 to `max` (empty: `default`); `None` otherwise. Both
/// impersonation and support access take their durations this way.
pub fn minutes_within(text: &str, default: TimeDelta, max: TimeDelta) -> Option<TimeDelta> {
    let text = text.trim();
    if text.is_empty() {
        return Some(default);
    }
    let n: i64 = text.parse().ok()?;
    (1..=max.num_minutes())
        .contains(&n)
        .then(|| TimeDelta::minutes(n))
}

/// The admin starting it, from their own session.
#[derive(Clone, Copy, Debug)]
pub struct Impersonator<'a> {
    pub user_id: Uuid,
    pub email: &'a str,
    pub session_id: Uuid,
}

/// A started impersonation: `token` is the new session's, for the admin's browser only.
#[derive(Debug)]
pub struct Started {
    pub impersonation_id: Uuid,
    pub token: OpaqueToken,
    pub expires_at: DateTime<Utc>,
}

/// Starts an impersonation of `target_id`. Refused for oneself, for admins and operators, and
/// for disabled accounts (the caller refuses it from an impersonation session; the core does
/// too). The target is mailed when the namespace says so, in the same transaction.
///
/// The admin's own session waits, unused, while the impersonation lasts; its idle expiry is
/// moved past the impersonation's end (plus [`RESTORE_WINDOW`]) so the admin can go back to it,
/// but never past `session_absolute` from its creation.
#[allow(clippy::too_many_arguments)]
#[tracing::instrument(skip_all)]
pub async fn start(
    authn: &Authn,
    links: &Links,
    keys: &crate::SecretBox,
    admin: Impersonator<'_>,
    target_id: Uuid,
    reason: &Reason,
    duration: TimeDelta,
    session_absolute: TimeDelta,
) -> Result<Started, AdminError> {
    if admin.user_id == target_id {
        return Err(AdminError::OwnAccount);
    }
    let mut tx = authn.begin().await?;
    let target = user::user_in_namespace(&mut tx, target_id).await?;
    if target.disabled_at.is_some() {
        return Err(AdminError::Disabled);
    }
    if crate::roles::holds_any_role(&mut tx, target_id).await? {
        return Err(AdminError::ProtectedAccount);
    }
    let token = OpaqueToken::generate();
    let token_hash = token.hash();
    let started = tx
        .start_impersonation(StartImpersonation {
            actor_session_id: admin.session_id,
            target_user_id: target_id,
            reason: reason.as_str(),
            token_hash: &token_hash,
            duration: Some(duration),
        })
        .await
        .map_err(|e| {
            if e.is_client_error() {
                AdminError::FromImpersonation
            } else {
                AdminError::from(e)
            }
        })?;
    let namespace = tx.namespace().to_owned();
    tx.keep_session_until(
        admin.session_id,
        started.expires_at + RESTORE_WINDOW,
        session_absolute,
    )
    .await?;
    if notify_target(&mut tx).await? {
        let mail = templates::impersonation_started(
            &target.email,
            &namespace,
            admin.email,
            reason.as_str(),
            duration.num_minutes(),
            links.page(&namespace, vocabulary::Page::Security),
        );
        outbox::enqueue(&mut tx, &mail, keys).await?;
    }
    tx.commit().await?;
    Ok(Started {
        impersonation_id: started.impersonation_id,
        token,
        expires_at: started.expires_at,
    })
}

/// Ends an impersonation of the namespace (its session is revoked by the core).
#[tracing::instrument(skip_all)]
pub async fn end(authn: &Authn, impersonation_id: Uuid) -> Result<(), AdminError> {
    if authn.end_impersonation(impersonation_id).await? {
        Ok(())
    } else {
        Err(AdminError::UnknownImpersonation)
    }
}

/// Ends the impersonation `session_id` belongs to, if it still runs. Returns whether it ran.
#[tracing::instrument(skip_all)]
pub async fn end_by_session(authn: &Authn, session_id: Uuid) -> Result<bool, AdminError> {
    let mut tx = authn.begin().await?;
    let context = tx.get_impersonation_context(session_id).await?;
    let ended = match context
        .impersonation_id
        .filter(|_| context.is_impersonating)
    {
        Some(id) => tx.end_impersonation(id).await?,
        None => false,
    };
    tx.commit().await?;
    Ok(ended)
}

/// How long after an impersonation ends its admin may still go back to their own session.
/// Long enough for the banner's "End" or its countdown to reach the server, short enough that
/// a browser walked away from does not keep an admin session waiting for the next person.
pub const RESTORE_WINDOW: TimeDelta = TimeDelta::minutes(5);

/// Gives the admin their own session back after an impersonation, as a *new* session: allowed
/// only when `impersonation_token` is the session of an impersonation of this namespace that
/// has ended (or run out) within [`RESTORE_WINDOW`], and `aside_token` is exactly the session
/// that impersonation was started from, still valid. The kept-aside session is revoked either
/// way (it was in a browser cookie the whole time), so it can be restored once at most.
#[tracing::instrument(skip_all)]
pub async fn restore_admin_session(
    authn: &Authn,
    impersonation_token: &str,
    aside_token: &str,
) -> Result<Option<OpaqueToken>, AdminError> {
    let aside_hash = crate::token::hash_token(aside_token);
    let mut tx = authn.begin().await?;
    let original = tx
        .original_session_after_impersonation(
            &crate::token::hash_token(impersonation_token),
            &aside_hash,
            RESTORE_WINDOW,
        )
        .await?;
    tx.revoke_session(&aside_hash).await?;
    let restored = match original {
        Some(original) => {
            let token = OpaqueToken::generate();
            tx.create_session(authn::NewSession {
                // The new session ends when the old one would have: restoring extends nothing.
                // Whole seconds: PostgreSQL intervals hold microseconds at most.
                expires_in: Some(TimeDelta::seconds(
                    (original.expires_at - Utc::now()).num_seconds().max(1),
                )),
                ..authn::NewSession::new(original.user_id, &token.hash())
            })
            .await?;
            // Nor does it restart the absolute lifetime, which counts from `created_at`.
            tx.backdate_session(&token.hash(), original.created_at)
                .await?;
            Some(token)
        }
        None => None,
    };
    tx.commit().await?;
    Ok(restored)
}

/// What leaving an impersonation came to (see [`leave`]).
#[derive(Debug)]
pub enum Left {
    /// The session was no impersonation: nothing ended, nothing to swap in.
    NotImpersonating,
    /// The admin's own session is back, under this new token.
    Restored(OpaqueToken),
    /// No way back (none kept aside, or no longer allowed): the browser is signed out.
    SignedOut,
}

/// Leaves an impersonation from its browser, in the one order that is safe: the impersonation
/// the caller's session is (if it still runs) ends, then the admin session kept aside comes
/// back under a new token if [`restore_admin_session`] allows it, and is revoked otherwise.
/// `principal` is the resolved caller (`None` when the session is already over, e.g. its time
/// ran out); the tokens are the browser's two cookies.
#[tracing::instrument(skip_all)]
pub async fn leave(
    authn: &Authn,
    principal: Option<&crate::caller::Principal>,
    session_token: Option<&str>,
    aside_token: Option<&str>,
) -> Result<Left, AdminError> {
    match principal {
        Some(p) if p.impersonation.is_some() => {
            end_by_session(&p.authn, p.session_id).await?;
        }
        Some(_) => return Ok(Left::NotImpersonating),
        None => {}
    }
    let restored = match (session_token, aside_token) {
        (Some(current), Some(aside)) => restore_admin_session(authn, current, aside).await?,
        (None, Some(aside)) => {
            revoke_aside_session(authn, aside).await?;
            None
        }
        _ => None,
    };
    Ok(restored.map_or(Left::SignedOut, Left::Restored))
}

/// Revokes the admin session kept aside during an impersonation (signing out, or a way back
/// that is no longer allowed): nothing of it may outlive the browser's cookie.
#[tracing::instrument(skip_all)]
pub async fn revoke_aside_session(authn: &Authn, aside_token: &str) -> Result<(), AdminError> {
    authn
        .revoke_session(&crate::token::hash_token(aside_token))
        .await?;
    Ok(())
}

/// When the impersonation of `session_id` ends by itself, if it is one.
#[tracing::instrument(skip_all)]
pub async fn expiry_of(
    authn: &Authn,
    session_id: Uuid,
) -> Result<Option<DateTime<Utc>>, AdminError> {
    let context = authn.get_impersonation_context(session_id).await?;
    Ok(context.expires_at.filter(|_| context.is_impersonating))
}

#[tracing::instrument(skip_all)]
pub async fn active(authn: &Authn) -> Result<Vec<ActiveImpersonation>, AdminError> {
    Ok(authn.list_active_impersonations().await?)
}

/// Filters of the history; the admin and target are matched by address.
#[derive(Clone, Debug, Default)]
pub struct HistoryFilter {
    pub admin_email: Option<String>,
    pub target_email: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

/// The latest 500 impersonations matching `filter`, newest first. An address without an
/// account matches nothing.
#[tracing::instrument(skip_all)]
pub async fn history(
    authn: &Authn,
    filter: &HistoryFilter,
) -> Result<Vec<ImpersonationRecord>, AdminError> {
    let mut tx = authn.begin().await?;
    let mut ids = [None, None];
    for (slot, email) in ids
        .iter_mut()
        .zip([&filter.admin_email, &filter.target_email])
    {
        if let Some(email) = email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
            let email = crate::email::EmailAddress::parse(email)?;
            match tx.get_user_by_email(email.as_str()).await? {
                Some(user) => *slot = Some(user.user_id),
                None => return Ok(Vec::new()),
            }
        }
    }
    let rows = tx
        .list_impersonation_history(Some(500), ids[0], ids[1])
        .await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .filter(|r| filter.since.is_none_or(|t| r.started_at >= t))
        .filter(|r| filter.until.is_none_or(|t| r.started_at < t))
        .collect())
}

/// [`notify_target`] of `authn`'s namespace, in a transaction of its own.
#[tracing::instrument(skip_all)]
pub async fn notify_target_of(authn: &Authn) -> Result<bool, AdminError> {
    let mut tx = authn.begin().await?;
    let on = notify_target(&mut tx).await?;
    tx.commit().await?;
    Ok(on)
}

/// A yes/no setting of a namespace that its admins turn on or off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NamespaceFlag {
    /// People are mailed when an admin or platform support starts working as them (on unless
    /// turned off).
    NotifyTarget,
    /// Platform support must have an admin's approval before working as one of the namespace's
    /// users (off unless turned on).
    SupportNeedsApproval,
}

impl NamespaceFlag {
    /// Its column in `gatehouse.namespace_settings` (a fixed name, never input).
    const fn column(self) -> &'static str {
        match self {
            NamespaceFlag::NotifyTarget => "notify_impersonation",
            NamespaceFlag::SupportNeedsApproval => "support_needs_approval",
        }
    }

    /// Its value for a namespace that never set it.
    const fn default(self) -> bool {
        matches!(self, NamespaceFlag::NotifyTarget)
    }
}

/// Whether targets are mailed when an impersonation starts (on unless turned off).
pub async fn notify_target(tx: &mut AuthnTx<'_>) -> Result<bool, sqlx::Error> {
    flag(tx, NamespaceFlag::NotifyTarget).await
}

/// The value of `which` in the transaction's namespace.
#[tracing::instrument(skip(tx))]
pub async fn flag(tx: &mut AuthnTx<'_>, which: NamespaceFlag) -> Result<bool, sqlx::Error> {
    let (conn, namespace) = tx.parts();
    let setting: Option<Option<bool>> = sqlx::query_scalar(&format!(
        "SELECT {} FROM gatehouse.namespace_settings WHERE namespace = $1",
        which.column()
    ))
    .bind(namespace)
    .fetch_optional(conn)
    .await?;
    Ok(setting.flatten().unwrap_or(which.default()))
}

/// Turns the mail to impersonated people on or off (see [`set_flag`]).
pub async fn set_notify_target(authn: &Authn, on: bool) -> Result<bool, AdminError> {
    set_flag(authn, NamespaceFlag::NotifyTarget, on).await
}

/// Turns `which` on or off in `authn`'s namespace, recorded in the audit trail (old and new
/// value) under the client's actor. Returns whether anything changed.
#[tracing::instrument(skip(authn))]
pub async fn set_flag(authn: &Authn, which: NamespaceFlag, on: bool) -> Result<bool, AdminError> {
    let mut tx = authn.begin().await?;
    let namespace = tx.namespace().to_owned();
    let before = flag(&mut tx, which).await?;
    if before == on {
        return Ok(false);
    }
    let column = which.column();
    sqlx::query(&format!(
        "INSERT INTO gatehouse.namespace_settings (namespace, {column}) VALUES ($1, $2) \
         ON CONFLICT (namespace) DO UPDATE SET {column} = EXCLUDED.{column}, updated_at = now()"
    ))
    .bind(&namespace)
    .bind(on)
    .execute(tx.conn())
    .await?;
    crate::roles::log_setting(&mut tx, column, before.into(), on.into()).await?;
    tx.commit().await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_whole_minutes_up_to_the_maximum() {
        let limits = ImpersonationLimits::default();
        assert_eq!(limits.duration("").unwrap(), TimeDelta::minutes(15));
        assert_eq!(limits.duration(" 60 ").unwrap(), TimeDelta::hours(1));
        for bad in ["0", "61", "-5", "1.5", "ten"] {
            assert!(limits.duration(bad).is_err(), "{bad}");
        }
        assert!(ImpersonationLimits::with_max_minutes(61).is_none());
        assert!(ImpersonationLimits::with_max_minutes(0).is_none());
        let short = ImpersonationLimits::with_max_minutes(5).unwrap();
        assert_eq!(short.default_minutes(), 5);
        assert!(short.duration("6").is_err());
    }
}
