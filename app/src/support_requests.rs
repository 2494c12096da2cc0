//! Server functions of consent to support access: a namespace's admins require their approval,
//! see the requests and decide them; an operator sees their own requests and starts an
//! approved one. The rules are `identity::support_requests`'s; starting is
//! `crate::support_access`'s.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// A request (or a break-glass start) as both sides' lists show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportRequestLine {
    pub id: String,
    pub operator_email: String,
    pub target_namespace: String,
    pub target_email: String,
    pub reason: String,
    pub ticket: String,
    pub minutes: i64,
    pub requested: String,
    /// Where it stands, worded.
    pub status: String,
    /// Who decided, and their note, when somebody did.
    pub decided_by: String,
    pub note: String,
    /// The operator's second reason, for a break-glass start.
    pub break_glass: String,
    /// An admin may still approve or deny it.
    pub pending: bool,
    /// Its operator may start it now.
    pub startable: bool,
}

#[cfg(feature = "ssr")]
impl SupportRequestLine {
    fn from_record(r: identity::support_requests::SupportRequestRecord) -> Self {
        use identity::support_requests::RequestStatus as S;

        let when = crate::admin::when;
        let status = r.status(chrono::Utc::now());
        SupportRequestLine {
            id: r.id.to_string(),
            minutes: r.minutes(),
            operator_email: r.operator_email,
            target_namespace: r.namespace,
            target_email: r.target_email,
            reason: r.reason,
            ticket: r.ticket_reference,
            requested: when(r.requested_at),
            status: match status {
                S::Pending => format!("waiting for approval until {}", when(r.expires_at)),
                S::Lapsed => "lapsed undecided".to_owned(),
                S::Approved { until } => format!("approved: may be started until {}", when(until)),
                S::ApprovalLapsed => "approved, not started in time".to_owned(),
                S::Used => "approved and started".to_owned(),
                S::Denied => "denied".to_owned(),
                S::BreakGlass => "break glass: started without approval".to_owned(),
            },
            decided_by: r.decided_by_email.unwrap_or_default(),
            note: r.note.unwrap_or_default(),
            break_glass: r.break_glass_reason.unwrap_or_default(),
            pending: status == S::Pending,
            startable: matches!(status, S::Approved { .. }),
        }
    }
}

/// The customer's side: whether approval is required, and the requests.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamespaceSupportRequests {
    pub needs_approval: bool,
    pub requests: Vec<SupportRequestLine>,
}

/// Whether the caller's namespace requires approval, and its requests (admins only).
#[server]
pub async fn admin_support_requests(
    namespace: String,
) -> Result<NamespaceSupportRequests, AppError> {
    let (_, caller, _) = crate::admin::ssr::admin(&namespace, None).await?;
    let found = identity::support_requests::into_namespace(&caller, 200).await?;
    Ok(NamespaceSupportRequests {
        needs_approval: found.needs_approval,
        requests: found
            .requests
            .into_iter()
            .map(SupportRequestLine::from_record)
            .collect(),
    })
}

/// Turns "support access needs our approval" on or off (`needs_approval`: `on`, or empty for
/// off), audited.
#[server(endpoint = "admin_set_support_approval")]
pub async fn admin_set_support_approval(
    namespace: String,
    #[server(default)] needs_approval: String,
) -> Result<(), AppError> {
    use identity::admin::impersonation::{set_flag, NamespaceFlag};

    let (state, caller, authn) = crate::admin::ssr::admin(&namespace, None).await?;
    let on = match needs_approval.as_str() {
        "on" => true,
        "" | "off" => false,
        _ => return Err(AppError::FormRejected),
    };
    // Turning it off lets support in without asking: a sensitive change.
    if !on {
        caller.require_recent_authentication(&state).await?;
    }
    set_flag(&authn, NamespaceFlag::SupportNeedsApproval, on).await?;
    leptos_axum::redirect(&vocabulary::Page::AdminSupportAccess.path(&namespace));
    Ok(())
}

/// An admin approves (`decision` = `approve`) or denies (`deny`) a request of their namespace,
/// with an optional note.
#[server(endpoint = "admin_decide_support_request")]
pub async fn admin_decide_support_request(
    namespace: String,
    request_id: String,
    decision: String,
    #[server(default)] note: String,
) -> Result<(), AppError> {
    use identity::support_requests::{decide, Decision};
    use vocabulary::Done;

    use crate::error::{FieldProblem, FormField};

    let (state, caller, _) = crate::admin::ssr::admin(&namespace, None).await?;
    let decision = match vocabulary::SupportDecision::parse(&decision) {
        Some(vocabulary::SupportDecision::Approve) => Decision::Approve,
        Some(vocabulary::SupportDecision::Deny) => Decision::Deny,
        None => return Err(AppError::FormRejected),
    };
    if decision == Decision::Approve {
        // Letting somebody in as one of your users is a sensitive change.
        caller.require_recent_authentication(&state).await?;
    }
    let id = crate::admin::parse_id(&request_id, AppError::UnknownSupportRequest)?;
    let note = identity::admin::Reason::optional(&note)
        .map_err(|_| AppError::field(FormField::Note, FieldProblem::InvalidReason(1, 500)))?;
    decide(&caller, id, decision, note.as_ref()).await?;
    let done = match decision {
        Decision::Approve => Done::SupportApproved,
        Decision::Deny => Done::SupportDenied,
    };
    leptos_axum::redirect(
        &vocabulary::Page::AdminSupportAccess
            .path_with(&namespace, &[(Done::QUERY, done.as_str())]),
    );
    Ok(())
}

/// The operator's own requests, newest first (operators only); `None` without an operator pool.
#[server]
pub async fn operator_support_requests(
    namespace: String,
) -> Result<Option<Vec<SupportRequestLine>>, AppError> {
    let state = crate::state::AppState::current()?;
    let caller = crate::caller::ssr::signed_in(&state, &namespace).await?;
    caller.require_operator()?;
    if state.operator_pool.is_none() {
        return Ok(None);
    }
    let ops = crate::support_access::ssr::operator_pool_client(&state, &caller.authn).await?;
    let list = identity::support_requests::of_operator(&ops, &caller, 50).await?;
    Ok(Some(
        list.into_iter()
            .map(SupportRequestLine::from_record)
            .collect(),
    ))
}
