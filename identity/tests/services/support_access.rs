//! Support access (issue 11.2) against the real core, with the server's two roles: the tenant
//! pool's (`authn_app` only) and the operator pool's (`authn_operator` only).

use authn::{Authn, MfaType, NewSession};
use chrono::{TimeDelta, Utc};
use identity::admin::Reason;
use identity::caller::{AccessError, Callers, Principal};
use identity::mail::Links;
use identity::support_access::{
    self, Consent, Left, Outcome, StartContext, SupportError, SupportPolicy, SupportRequest,
};
use identity::{OpaqueToken, SecretBox, SessionKeeper, SessionPolicy};
use sqlx::postgres::PgPoolOptions;

pub(crate) struct Platform {
    pub tenants: Authn,
    pub operators_pool: Authn,
    pub platform: Authn,
    pub customer: Authn,
    pub callers: Callers,
    pub superuser: sqlx::PgPool,
    links: Links,
    keys: SecretBox,
}

async fn pool_as(db: &str, role: &str) -> sqlx::PgPool {
    PgPoolOptions::new()
        .max_connections(3)
        .connect(&test_support::url_for(db, Some(role)))
        .await
        .unwrap()
}

pub(crate) async fn setup() -> Platform {
    let db = crate::harness::database("identity_support").await;
    let tenants = Authn::new(pool_as(&db, test_support::TENANT_ROLE).await, "bootstrap")
        .await
        .unwrap();
    let operators_pool = Authn::new(pool_as(&db, test_support::OPERATOR_ROLE).await, "bootstrap")
        .await
        .unwrap();
    let platform = tenants
        .for_namespace(crate::harness::namespace())
        .await
        .unwrap();
    let customer = tenants
        .for_namespace(crate::harness::namespace())
        .await
        .unwrap();
    let callers = Callers::new(
        SessionKeeper::new(SessionPolicy {
            idle: TimeDelta::minutes(30),
            absolute: TimeDelta::hours(12),
        }),
        platform.namespace(),
    );
    Platform {
        tenants,
        operators_pool,
        platform,
        customer,
        callers,
        superuser: crate::harness::superuser_pool(&db).await,
        links: Links::new("http://console.test"),
        keys: SecretBox::from_hex(&"5a".repeat(32)).unwrap(),
    }
}

impl Platform {
    /// A signed-in platform operator with an authenticator (the console asks for one).
    pub async fn operator(&self) -> (Principal, OpaqueToken) {
        let id = self
            .platform
            .create_user("agent@platform.example", None)
            .await
            .unwrap();
        let mut tx = self.platform.begin().await.unwrap();
        identity::roles::grant_operator(&mut tx, id).await.unwrap();
        tx.commit().await.unwrap();
        self.platform
            .add_mfa(id, MfaType::Totp, &"t".repeat(64), None)
            .await
            .unwrap();
        let token = OpaqueToken::generate();
        self.platform
            .create_session(NewSession::new(id, &token.hash()))
            .await
            .unwrap();
        let principal = self.resolve(&self.platform, &token).await.unwrap();
        (principal, token)
    }

    pub async fn resolve(&self, ns: &Authn, token: &OpaqueToken) -> Option<Principal> {
        self.callers
            .resolve(ns.clone(), ns.pool(), token.expose())
            .await
            .unwrap()
    }

    pub fn context(&self) -> StartContext<'_> {
        StartContext {
            operator_pool_client: &self.operators_pool,
            tenants: &self.tenants,
            links: &self.links,
            keys: &self.keys,
            session_absolute: TimeDelta::hours(12),
        }
    }

    /// Starts (or asks for, see `Consent`) 20 minutes as `email` of the customer namespace.
    pub async fn start_with(
        &self,
        operator: &Principal,
        email: &str,
        ticket: &str,
        consent: Consent<'_>,
    ) -> Result<Outcome, SupportError> {
        let reason = Reason::parse("the customer cannot enrol a passkey").unwrap();
        support_access::start(
            self.context(),
            operator,
            SupportRequest {
                target_namespace: self.customer.namespace(),
                target_email: email,
                reason: &reason,
                ticket,
                duration: TimeDelta::minutes(20),
            },
            consent,
        )
        .await
    }

    /// Starts where no approval is needed.
    pub async fn start(
        &self,
        operator: &Principal,
        email: &str,
        ticket: &str,
    ) -> Result<support_access::Started, SupportError> {
        match self
            .start_with(operator, email, ticket, Consent::Ask)
            .await?
        {
            Outcome::Started(started) => Ok(started),
            Outcome::Requested { .. } => panic!("asked for approval where none is needed"),
        }
    }

    /// A signed-in user of `ns` (`admin`: made an admin, with an authenticator).
    pub async fn signed_in(&self, ns: &Authn, email: &str, admin: bool) -> Principal {
        let id = ns.create_user(email, None).await.unwrap();
        if admin {
            let mut tx = ns.begin().await.unwrap();
            identity::roles::grant_admin(&mut tx, id).await.unwrap();
            tx.commit().await.unwrap();
            ns.add_mfa(id, MfaType::Totp, &"a".repeat(64), None)
                .await
                .unwrap();
        }
        let token = OpaqueToken::generate();
        ns.create_session(NewSession::new(id, &token.hash()))
            .await
            .unwrap();
        self.resolve(ns, &token).await.unwrap()
    }
}

#[test]
fn tickets_and_durations_are_checked_against_the_policy() {
    let policy = SupportPolicy::new(SupportPolicy::DEFAULT_TICKET_PATTERN, 240).unwrap();
    assert_eq!(policy.ticket("  SUP-1234 ").unwrap(), "SUP-1234");
    for bad in ["", "sup-1", "SUP-", "SUP-12 drop", "S-1"] {
        assert!(
            matches!(policy.ticket(bad), Err(SupportError::InvalidTicket)),
            "{bad}"
        );
    }
    assert_eq!(policy.duration("").unwrap(), TimeDelta::minutes(30));
    assert_eq!(policy.duration("240").unwrap(), TimeDelta::hours(4));
    for bad in ["0", "241", "-5", "1.5", "soon"] {
        assert!(
            matches!(
                policy.duration(bad),
                Err(SupportError::InvalidDuration { .. })
            ),
            "{bad}"
        );
    }
    assert!(SupportPolicy::new("([", 60).is_err());
    assert!(SupportPolicy::new(SupportPolicy::DEFAULT_TICKET_PATTERN, 241).is_err());
}

#[tokio::test]
async fn an_operator_reaches_a_customer_for_a_ticket_and_comes_back_to_their_own_session() {
    let p = setup().await;
    let (operator, operator_token) = p.operator().await;
    let member = p
        .customer
        .create_user("member@customer.example", None)
        .await
        .unwrap();
    let admin = p
        .customer
        .create_user("admin@customer.example", None)
        .await
        .unwrap();
    let mut tx = p.customer.begin().await.unwrap();
    identity::roles::grant_admin(&mut tx, admin).await.unwrap();
    tx.commit().await.unwrap();
    let gone = p
        .customer
        .create_user("gone@customer.example", None)
        .await
        .unwrap();
    p.customer.disable_user(gone).await.unwrap();

    // Refusals change nothing.
    for (email, refused) in [
        ("nobody@customer.example", "unknown"),
        ("admin@customer.example", "protected"),
        ("gone@customer.example", "disabled"),
    ] {
        let err = p.start(&operator, email, "SUP-1").await.unwrap_err();
        let ok = match refused {
            "unknown" => matches!(err, SupportError::UnknownUser),
            "protected" => matches!(err, SupportError::ProtectedAccount),
            _ => matches!(err, SupportError::Disabled),
        };
        assert!(ok, "{email}: {err:?}");
    }
    assert!(p
        .operators_pool
        .list_active_operator_impersonations(None)
        .await
        .unwrap()
        .is_empty());

    // The operator confirmed who they are just now (sudo mode), as the start form asks.
    let mut tx = p.platform.begin().await.unwrap();
    identity::reauth::record(&mut tx, operator.session_id)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let started = p
        .start(&operator, "member@customer.example", "SUP-1")
        .await
        .unwrap();
    let left = started.expires_at - Utc::now();
    assert!(left > TimeDelta::minutes(19) && left <= TimeDelta::minutes(20));
    let access = p.resolve(&p.customer, &started.token).await.unwrap();
    assert_eq!(access.user_id, member);
    let support = access
        .impersonation
        .as_ref()
        .and_then(|i| i.support.as_ref())
        .unwrap();
    assert_eq!(support.ticket.as_deref(), Some("SUP-1"));
    assert!(matches!(
        access.refuse_while_impersonating(),
        Err(AccessError::ReadOnlyWhileImpersonating)
    ));
    // The member is told, with the ticket.
    let mailed: Vec<String> = sqlx::query_scalar(
        "SELECT subject FROM gatehouse.mail_outbox WHERE recipient = 'member@customer.example'",
    )
    .fetch_all(&p.superuser)
    .await
    .unwrap();
    assert_eq!(
        mailed,
        vec!["Platform support is signed in as you".to_owned()]
    );
    // No chaining: not from the access, and a member is no operator at all.
    assert!(matches!(
        p.start(&access, "member@customer.example", "SUP-1").await,
        Err(SupportError::Access(AccessError::Forbidden))
    ));

    // Leaving ends the access and gives the operator their session back under a new token.
    let back = support_access::leave(
        &p.operators_pool,
        &p.platform,
        Some(&access),
        Some(operator_token.expose()),
    )
    .await
    .unwrap();
    let Left::Restored(new_token) = back else {
        panic!("expected the operator's session back");
    };
    assert!(p.resolve(&p.customer, &started.token).await.is_none());
    assert!(p.resolve(&p.platform, &operator_token).await.is_none());
    let again = p.resolve(&p.platform, &new_token).await.unwrap();
    assert_eq!(again.user_id, operator.user_id);
    assert!(again.require_operator().is_ok());
    // The restored session is the same session continued: its sudo proof came along.
    again
        .require_recent_authentication(TimeDelta::minutes(10))
        .await
        .unwrap();
    assert!(support_access::running(&p.operators_pool, &again)
        .await
        .unwrap()
        .is_empty());

    // The lists: the operator's own, the customer's; and ending one from the console.
    let mine = support_access::of_operator(&p.operators_pool, &again, 10)
        .await
        .unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].ticket_reference.as_deref(), Some("SUP-1"));
    // The customer's admin sees every access into the namespace; a member only their own.
    p.customer
        .add_mfa(admin, MfaType::Totp, &"a".repeat(64), None)
        .await
        .unwrap();
    let admin_session = OpaqueToken::generate();
    p.customer
        .create_session(NewSession::new(admin, &admin_session.hash()))
        .await
        .unwrap();
    let customer_admin = p.resolve(&p.customer, &admin_session).await.unwrap();
    let theirs = support_access::into_namespace(&p.operators_pool, &customer_admin, None, 10)
        .await
        .unwrap();
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0].operator_email, "agent@platform.example");
    let second = p
        .start(&again, "member@customer.example", "SUP-2")
        .await
        .unwrap();
    assert_eq!(
        support_access::running(&p.operators_pool, &again)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        support_access::end(&p.operators_pool, &again, second.impersonation_id)
            .await
            .unwrap()
    );
    assert!(p.resolve(&p.customer, &second.token).await.is_none());
    // Only operators see or end them.
    let member_session = OpaqueToken::generate();
    p.customer
        .create_session(NewSession::new(member, &member_session.hash()))
        .await
        .unwrap();
    let member_principal = p.resolve(&p.customer, &member_session).await.unwrap();
    assert!(matches!(
        support_access::running(&p.operators_pool, &member_principal).await,
        Err(SupportError::Access(AccessError::Forbidden))
    ));
}

#[tokio::test]
async fn the_operator_audit_log_filters_by_ticket_and_refuses_unknown_event_types() {
    use identity::support_access::OperatorAuditFilter;
    let p = setup().await;
    let (operator, _) = p.operator().await;
    p.customer
        .create_user("member@customer.example", None)
        .await
        .unwrap();
    let first = p
        .start(&operator, "member@customer.example", "SUP-10")
        .await
        .unwrap();
    support_access::end(&p.operators_pool, &operator, first.impersonation_id)
        .await
        .unwrap();
    p.start(&operator, "member@customer.example", "SUP-11")
        .await
        .unwrap();
    let by_ticket = |ticket: &'static str| OperatorAuditFilter {
        ticket: Some(ticket),
        target_namespace: Some(p.customer.namespace()),
        ..Default::default()
    };
    let ten = support_access::audit(&p.operators_pool, &operator, &by_ticket("SUP-10"))
        .await
        .unwrap();
    assert_eq!(ten.len(), 2, "started and ended");
    let eleven = support_access::audit(&p.operators_pool, &operator, &by_ticket("SUP-11"))
        .await
        .unwrap();
    assert_eq!(eleven.len(), 1);
    assert!(matches!(
        support_access::audit(
            &p.operators_pool,
            &operator,
            &OperatorAuditFilter {
                event_type: Some("user_deleted"),
                ..Default::default()
            }
        )
        .await,
        Err(SupportError::Lookup(_))
    ));
    // By operator (any case) and time; a range the wrong way round is refused.
    let mine = OperatorAuditFilter {
        operator_email: Some("AGENT@platform.example"),
        target_namespace: Some(p.customer.namespace()),
        since: Some("2000-01-01"),
        ..Default::default()
    };
    assert_eq!(
        support_access::audit(&p.operators_pool, &operator, &mine)
            .await
            .unwrap()
            .len(),
        3
    );
    let later = OperatorAuditFilter {
        since: Some("2999-01-01"),
        ..mine.clone()
    };
    assert!(support_access::audit(&p.operators_pool, &operator, &later)
        .await
        .unwrap()
        .is_empty());
    let inverted = OperatorAuditFilter {
        since: Some("2026-02-01"),
        until: Some("2026-01-01"),
        ..Default::default()
    };
    assert!(matches!(
        support_access::audit(&p.operators_pool, &operator, &inverted).await,
        Err(SupportError::Lookup(_))
    ));
    // Pages of one add up to exactly the matching events, newest first, none twice (the
    // export reads them so).
    let search = mine.check().unwrap();
    let mut seen = Vec::new();
    let mut last = None;
    loop {
        let page =
            support_access::audit_page(&p.operators_pool, &operator, &search, last.as_ref(), 1)
                .await
                .unwrap();
        let Some(event) = page.into_iter().next() else {
            break;
        };
        seen.push(event.event_id);
        last = Some(event);
    }
    let all: Vec<_> = support_access::audit(&p.operators_pool, &operator, &mine)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event_id)
        .collect();
    assert_eq!(seen, all);
}

/// An access ends by itself when its time is up, and is unusable once its target is disabled.
#[tokio::test]
async fn an_access_ends_at_its_expiry_and_with_its_targets_account() {
    let p = setup().await;
    let (operator, _) = p.operator().await;
    let member = p
        .customer
        .create_user("member@customer.example", None)
        .await
        .unwrap();
    p.customer
        .create_user("other@customer.example", None)
        .await
        .unwrap();
    let expiring = p
        .start(&operator, "member@customer.example", "SUP-20")
        .await
        .unwrap();
    assert!(p.resolve(&p.customer, &expiring.token).await.is_some());
    // Its time runs out (the core's rows aged, as the clock would).
    sqlx::query(
        "UPDATE authn.operator_impersonation_sessions SET expires_at = now() - interval '1 second' \
          WHERE id = $1",
    )
    .bind(expiring.impersonation_id)
    .execute(&p.superuser)
    .await
    .unwrap();
    sqlx::query(
        "UPDATE authn.sessions SET expires_at = now() - interval '1 second' \
          WHERE id = (SELECT impersonation_session_id FROM authn.operator_impersonation_sessions \
                       WHERE id = $1)",
    )
    .bind(expiring.impersonation_id)
    .execute(&p.superuser)
    .await
    .unwrap();
    assert!(p.resolve(&p.customer, &expiring.token).await.is_none());
    assert!(support_access::running(&p.operators_pool, &operator)
        .await
        .unwrap()
        .is_empty());
    let member_session = OpaqueToken::generate();
    p.customer
        .create_session(NewSession::new(member, &member_session.hash()))
        .await
        .unwrap();
    let member_principal = p.resolve(&p.customer, &member_session).await.unwrap();
    assert!(matches!(
        support_access::into_namespace(&p.operators_pool, &member_principal, None, 5).await,
        Err(SupportError::Access(AccessError::Forbidden))
    ));
    let seen =
        support_access::into_namespace(&p.operators_pool, &member_principal, Some(member), 5)
            .await
            .unwrap();
    assert!(!seen[0].is_active);

    // Disabling the target ends what the access can do at once.
    let other = p
        .start(&operator, "other@customer.example", "SUP-21")
        .await
        .unwrap();
    let other_id = p
        .customer
        .get_user_by_email("other@customer.example")
        .await
        .unwrap()
        .unwrap()
        .user_id;
    p.customer.disable_user(other_id).await.unwrap();
    assert!(p.resolve(&p.customer, &other.token).await.is_none());
}

/// Signing out during a support access ends it and leaves neither the access's session nor the
/// operator's kept-aside one alive.
#[tokio::test]
async fn signing_out_during_support_access_ends_it_and_both_sessions() {
    let p = setup().await;
    let (operator, operator_token) = p.operator().await;
    p.customer
        .create_user("member@customer.example", None)
        .await
        .unwrap();
    let started = p
        .start(&operator, "member@customer.example", "SUP-30")
        .await
        .unwrap();
    let access = p.resolve(&p.customer, &started.token).await.unwrap();
    // As the sign-out server function asks: identity's one sign-out, told of the operator pool.
    identity::caller::sign_out(
        &p.customer,
        Some(&access),
        Some(started.token.expose()),
        Some(operator_token.expose()),
        Some(p.operators_pool.pool()),
    )
    .await;
    assert!(p.resolve(&p.customer, &started.token).await.is_none());
    assert!(p.resolve(&p.platform, &operator_token).await.is_none());
    let sessions = p.platform.list_sessions(operator.user_id).await.unwrap();
    assert!(sessions.is_empty(), "{sessions:?}");
    let into = support_access::audit(
        &p.operators_pool,
        &operator,
        &identity::support_access::OperatorAuditFilter {
            ticket: Some("SUP-30"),
            event_type: Some("operator_impersonation_ended"),
            ..Default::default()
        },
    )
    .await;
    // The operator's own principal was resolved before signing out; the log shows the end.
    assert_eq!(into.unwrap().len(), 1);
}

/// Only the session the access was started from comes back: another live session of the same
/// operator, presented as the kept-aside one, is revoked instead.
#[tokio::test]
async fn only_the_session_an_access_was_started_from_comes_back() {
    let p = setup().await;
    let (operator, _) = p.operator().await;
    p.customer
        .create_user("member@customer.example", None)
        .await
        .unwrap();
    let other_token = OpaqueToken::generate();
    p.platform
        .create_session(NewSession::new(operator.user_id, &other_token.hash()))
        .await
        .unwrap();
    let started = p
        .start(&operator, "member@customer.example", "SUP-40")
        .await
        .unwrap();
    let access = p.resolve(&p.customer, &started.token).await.unwrap();
    let back = support_access::leave(
        &p.operators_pool,
        &p.platform,
        Some(&access),
        Some(other_token.expose()),
    )
    .await
    .unwrap();
    assert!(matches!(back, Left::SignedOut));
    assert!(p.resolve(&p.platform, &other_token).await.is_none());
    assert!(p.resolve(&p.customer, &started.token).await.is_none());
}
