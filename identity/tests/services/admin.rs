//! The admin console's services against the real core: user search and paging, the lockout
//! queue and unlocking, account actions and their refusals, impersonation rules, and the audit
//! reads. One namespace (or two) per test.

use authn::{Actor, Authn, NewSession};
use chrono::TimeDelta;
use identity::admin::audit::{self, AuditFilterInput};
use identity::admin::impersonation::{self, HistoryFilter, Impersonator};
use identity::admin::users::{search, UserQuery, UserSort};
use identity::admin::{lockouts, user, AdminError, Reason};
use identity::mail::Links;
use identity::LockoutPolicy;
use sqlx::PgPool;
use uuid::Uuid;

async fn setup(prefix: &'static str) -> (PgPool, PgPool, Authn) {
    let db = crate::harness::database(prefix).await;
    let pool = crate::harness::app_pool(&db, 4).await;
    let superuser = crate::harness::superuser_pool(&db).await;
    let authn = Authn::new(pool.clone(), crate::harness::namespace())
        .await
        .unwrap();
    (pool, superuser, authn)
}

/// `q` with room for every match on one page.
fn all(q: UserQuery) -> UserQuery {
    UserQuery { limit: 100, ..q }
}

#[tokio::test]
async fn search_pages_through_every_match_once_in_each_order_and_refuses_bad_cursors() {
    let (pool, _, authn) = setup("identity_admin_search").await;
    let elsewhere = Authn::new(pool, crate::harness::namespace()).await.unwrap();
    for i in 0..25 {
        let id = authn
            .create_user(&format!("user{i:02}@search.example"), None)
            .await
            .unwrap();
        if i % 5 == 0 {
            authn.disable_user(id).await.unwrap();
        }
        if i % 2 == 0 {
            authn
                .add_mfa(id, authn::MfaType::RecoveryCodes, &"a".repeat(64), None)
                .await
                .unwrap();
        }
    }
    authn.create_user("other@else.example", None).await.unwrap();
    elsewhere
        .create_user("user99@search.example", None)
        .await
        .unwrap();

    for sort in [
        UserSort::EmailAsc,
        UserSort::EmailDesc,
        UserSort::NewestFirst,
        UserSort::OldestFirst,
    ] {
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let mut tx = authn.begin().await.unwrap();
            let page = search(
                &mut tx,
                &UserQuery {
                    email: Some("SEARCH.example".into()),
                    sort,
                    after: after.clone(),
                    limit: 10,
                    ..UserQuery::default()
                },
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
            seen.extend(page.users.into_iter().map(|u| u.email));
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        assert_eq!(seen.len(), 25, "{sort:?}");
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 25, "{sort:?}: no row twice");
        if sort == UserSort::EmailAsc {
            assert_eq!(seen, unique);
        }
    }

    let mut tx = authn.begin().await.unwrap();
    let disabled = search(
        &mut tx,
        &all(UserQuery {
            disabled: Some(true),
            ..Default::default()
        }),
    )
    .await
    .unwrap();
    assert_eq!(disabled.users.len(), 5);
    assert!(disabled.users.iter().all(|u| u.disabled_at.is_some()));
    let with_mfa = search(
        &mut tx,
        &all(UserQuery {
            has_mfa: Some(true),
            ..Default::default()
        }),
    )
    .await
    .unwrap();
    assert_eq!(with_mfa.users.len(), 13);
    let without = search(
        &mut tx,
        &all(UserQuery {
            has_mfa: Some(false),
            ..Default::default()
        }),
    )
    .await
    .unwrap();
    assert_eq!(without.users.len(), 13, "12 without MFA + other@else");
    // `_` and `%` are literal characters in a search.
    let literal = search(
        &mut tx,
        &all(UserQuery {
            email: Some("user_0".into()),
            ..Default::default()
        }),
    )
    .await
    .unwrap();
    assert!(literal.users.is_empty());
    let foreign_cursor = search(
        &mut tx,
        &UserQuery {
            after: Some("bm90IGEgY3Vyc29y".into()),
            limit: 10,
            ..UserQuery::default()
        },
    )
    .await;
    assert!(matches!(foreign_cursor, Err(AdminError::InvalidCursor)));
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn the_lockout_queue_lists_locked_addresses_and_an_unlock_is_audited_with_its_reason() {
    let (_, _, authn) = setup("identity_admin_lockouts").await;
    let policy = LockoutPolicy::default();
    let user = authn.create_user("locked@example.com", None).await.unwrap();
    for _ in 0..6 {
        authn
            .record_login_attempt(
                "locked@example.com",
                false,
                Some("10.0.0.7".parse().unwrap()),
            )
            .await
            .unwrap();
    }
    for _ in 0..5 {
        authn
            .record_login_attempt("ghost@example.com", false, None)
            .await
            .unwrap();
    }
    for _ in 0..4 {
        authn
            .record_login_attempt("careless@example.com", false, None)
            .await
            .unwrap();
    }
    let mut tx = authn.begin().await.unwrap();
    let queue = lockouts::queue(&mut tx, policy).await.unwrap();
    let recent = lockouts::recent_failures(&mut tx, 100).await.unwrap();
    tx.commit().await.unwrap();
    let mut emails: Vec<&str> = queue.iter().map(|l| l.email.as_str()).collect();
    emails.sort();
    assert_eq!(emails, ["ghost@example.com", "locked@example.com"]);
    let locked = queue
        .iter()
        .find(|l| l.email == "locked@example.com")
        .unwrap();
    assert_eq!(locked.failures, 6);
    assert_eq!(locked.user_id, Some(user));
    assert_eq!(locked.last_ip, Some("10.0.0.7".parse().unwrap()));
    assert!(locked.unlocks_at > chrono::Utc::now() + TimeDelta::minutes(14));
    assert_eq!(recent.len(), 15);

    let admin = authn.with_actor(Actor {
        actor_id: Some("user:admin".into()),
        request_id: Some("req-unlock".into()),
        ..Actor::default()
    });
    let reason = Reason::parse("Caller verified by phone").unwrap();
    assert!(matches!(
        lockouts::unlock(&admin, policy, "careless@example.com", &reason).await,
        Err(AdminError::NotLockedOut)
    ));
    assert_eq!(
        lockouts::unlock(&admin, policy, "locked@example.com", &reason)
            .await
            .unwrap(),
        6
    );
    let mut tx = authn.begin().await.unwrap();
    assert!(!policy
        .is_locked(&mut tx, "locked@example.com")
        .await
        .unwrap());
    let events = tx
        .get_audit_events(&authn::AuditQuery {
            event_type: Some("lockout_cleared".into()),
            ..authn::AuditQuery::default()
        })
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].resource_id, user.to_string());
    assert_eq!(events[0].actor_id.as_deref(), Some("user:admin"));
    assert_eq!(events[0].request_id.as_deref(), Some("req-unlock"));
    assert_eq!(
        events[0].reason.as_deref(),
        Some("Caller verified by phone")
    );
}

#[tokio::test]
async fn account_actions_stay_inside_the_namespace_and_refuse_what_they_must() {
    let (pool, _, authn) = setup("identity_admin_accounts").await;
    let elsewhere = Authn::new(pool, crate::harness::namespace()).await.unwrap();
    let admin = authn.create_user("admin@example.com", None).await.unwrap();
    let member = authn.create_user("member@example.com", None).await.unwrap();
    let stranger = elsewhere
        .create_user("stranger@example.com", None)
        .await
        .unwrap();
    let session = authn
        .create_session(NewSession::new(member, &"s".repeat(64)))
        .await
        .unwrap();

    assert!(matches!(
        user::disable(&authn, admin, admin).await,
        Err(AdminError::OwnAccount)
    ));
    assert!(matches!(
        user::disable(&authn, admin, stranger).await,
        Err(AdminError::UnknownUser)
    ));
    assert!(matches!(
        user::revoke_session(&authn, admin, session).await,
        Err(AdminError::UnknownSession)
    ));
    assert!(matches!(
        user::delete(&authn, admin, member, "someone@example.com").await,
        Err(AdminError::ConfirmationMismatch)
    ));
    assert!(authn.get_user(member).await.unwrap().is_some());
    assert!(elsewhere
        .get_user(stranger)
        .await
        .unwrap()
        .unwrap()
        .disabled_at
        .is_none());

    assert!(user::disable(&authn, admin, member).await.unwrap());
    assert!(authn.list_sessions(member).await.unwrap().is_empty());
    assert!(user::enable(&authn, member).await.unwrap());
    assert!(user::mark_verified(&authn, member).await.unwrap());
    assert!(!user::mark_verified(&authn, member).await.unwrap());
    assert!(authn
        .get_user(member)
        .await
        .unwrap()
        .unwrap()
        .email_verified_at
        .is_some());
    assert_eq!(
        user::delete(&authn, admin, member, " MEMBER@example.com ")
            .await
            .unwrap(),
        "member@example.com"
    );
    assert!(authn.get_user(member).await.unwrap().is_none());
}

/// Pre-hijacking through the console: a password chosen at sign-up may be whoever signed up
/// with somebody else's address. Marking that address confirmed would let the password in, so
/// the console refuses and only the owner's link confirms it; a password an admin set (its
/// owner replaces it at the first sign-in) or none at all is fine.
#[tokio::test]
async fn marking_confirmed_refuses_an_account_whose_password_was_chosen_at_sign_up() {
    let (_, _, authn) = setup("identity_admin_mark_verified").await;
    let hasher = identity::PasswordHasher::recommended().unwrap();
    let hash = hasher
        .hash(&secrecy::SecretString::from("chosen by whoever signed up"))
        .await
        .unwrap();
    let signed_up = authn
        .create_user("victim@example.com", Some(&hash))
        .await
        .unwrap();
    assert!(matches!(
        user::mark_verified(&authn, signed_up).await,
        Err(AdminError::OwnerMustConfirm)
    ));
    let unchanged = authn.get_user(signed_up).await.unwrap().unwrap();
    assert!(unchanged.email_verified_at.is_none());

    let admin_set = authn
        .create_user("new-hire@example.com", Some(&hash))
        .await
        .unwrap();
    {
        let mut tx = authn.begin().await.unwrap();
        identity::required_password_change::require(&mut tx, admin_set)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    assert!(user::mark_verified(&authn, admin_set).await.unwrap());
    let passwordless = authn
        .create_user("invited@example.com", None)
        .await
        .unwrap();
    assert!(user::mark_verified(&authn, passwordless).await.unwrap());
}

/// Issue 10.3: the console cannot disable, enable, delete, strip or unlock another admin or an
/// operator (that could lock every other admin out, or bring back one the deployment
/// disabled); the command line's variants can.
#[tokio::test]
async fn privileged_accounts_are_changed_only_through_the_command_line_variants() {
    let (_, _, authn) = setup("identity_admin_privileged").await;
    let admin = authn.create_user("admin@example.com", None).await.unwrap();
    let colleague = authn
        .create_user("colleague@example.com", None)
        .await
        .unwrap();
    {
        let mut tx = authn.begin().await.unwrap();
        identity::roles::grant_admin(&mut tx, colleague)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    authn
        .add_mfa(colleague, authn::MfaType::Totp, &"t".repeat(64), None)
        .await
        .unwrap();
    for _ in 0..6 {
        authn
            .record_login_attempt("colleague@example.com", false, None)
            .await
            .unwrap();
    }
    let reason = Reason::parse("Ticket 77: locked out on a trip").unwrap();
    assert!(matches!(
        user::disable(&authn, admin, colleague).await,
        Err(AdminError::PrivilegedAccount)
    ));
    assert!(matches!(
        user::delete(&authn, admin, colleague, "colleague@example.com").await,
        Err(AdminError::PrivilegedAccount)
    ));
    assert!(matches!(
        user::reset_methods(&authn, colleague).await,
        Err(AdminError::PrivilegedAccount)
    ));
    let method = authn.list_mfa(colleague).await.unwrap()[0].mfa_id;
    assert!(matches!(
        user::remove_method(&authn, colleague, method).await,
        Err(AdminError::PrivilegedAccount)
    ));
    assert!(matches!(
        lockouts::unlock(
            &authn,
            LockoutPolicy::default(),
            "colleague@example.com",
            &reason
        )
        .await,
        Err(AdminError::PrivilegedAccount)
    ));
    // Nothing changed.
    let user = authn.get_user(colleague).await.unwrap().unwrap();
    assert!(user.disabled_at.is_none());
    assert_eq!(authn.list_mfa(colleague).await.unwrap().len(), 1);
    assert!(LockoutPolicy::default()
        .is_locked(&mut authn.begin().await.unwrap(), "colleague@example.com")
        .await
        .unwrap());

    // The command line's variants reach them.
    assert_eq!(
        lockouts::unlock_any(&authn, "colleague@example.com", &reason)
            .await
            .unwrap(),
        6
    );
    assert_eq!(user::reset_methods_any(&authn, colleague).await.unwrap(), 1);
    assert!(user::disable_any(&authn, colleague).await.unwrap());
    // Disabled from the command line, the console cannot bring them back; the command line can.
    assert!(matches!(
        user::enable(&authn, colleague).await,
        Err(AdminError::PrivilegedAccount)
    ));
    let disabled = authn.get_user(colleague).await.unwrap().unwrap();
    assert!(disabled.disabled_at.is_some());
    assert!(user::enable_any(&authn, colleague).await.unwrap());
    assert!(user::disable_any(&authn, colleague).await.unwrap());
    user::delete_any(&authn, colleague).await.unwrap();
    assert!(authn.get_user(colleague).await.unwrap().is_none());
}

#[tokio::test]
async fn impersonation_refuses_privileged_targets_mails_the_target_and_is_listed() {
    let (_, superuser, authn) = setup("identity_admin_impersonation").await;
    let admin = authn.create_user("admin@example.com", None).await.unwrap();
    let other_admin = authn.create_user("boss@example.com", None).await.unwrap();
    let member = authn.create_user("member@example.com", None).await.unwrap();
    let mut tx = authn.begin().await.unwrap();
    for id in [admin, other_admin] {
        identity::roles::grant_admin(&mut tx, id).await.unwrap();
    }
    tx.commit().await.unwrap();
    let session = authn
        .create_session(NewSession::new(admin, &"a".repeat(64)))
        .await
        .unwrap();
    let links = Links::new("http://localhost:3000");
    let keys = identity::SecretBox::from_hex(&"00".repeat(32)).unwrap();
    let reason = Reason::parse("Ticket 31: checking their settings").unwrap();
    let me = Impersonator {
        user_id: admin,
        email: "admin@example.com",
        session_id: session,
    };
    let start = |target| {
        impersonation::start(
            &authn,
            &links,
            &keys,
            me,
            target,
            &reason,
            TimeDelta::minutes(5),
            TimeDelta::hours(12),
        )
    };
    assert!(matches!(start(admin).await, Err(AdminError::OwnAccount)));
    assert!(matches!(
        start(other_admin).await,
        Err(AdminError::ProtectedAccount)
    ));
    assert!(matches!(
        start(Uuid::new_v4()).await,
        Err(AdminError::UnknownUser)
    ));

    let started = start(member).await.unwrap();
    assert!(started.expires_at <= chrono::Utc::now() + TimeDelta::minutes(5));
    let mails: Vec<(String, String)> =
        sqlx::query_as("SELECT recipient, subject FROM gatehouse.mail_outbox WHERE namespace = $1")
            .bind(authn.namespace())
            .fetch_all(&superuser)
            .await
            .unwrap();
    assert_eq!(
        mails,
        [(
            "member@example.com".to_owned(),
            "An administrator is signed in as you".to_owned()
        )]
    );
    // From the impersonation session, no further impersonation.
    let mut as_target = authn.clone();
    let imp = as_target
        .validate_session(&started.token.hash())
        .await
        .unwrap()
        .unwrap();
    assert!(imp.is_impersonating);
    let chained = impersonation::start(
        &authn,
        &links,
        &keys,
        Impersonator {
            session_id: imp.session_id,
            ..me
        },
        authn.create_user("third@example.com", None).await.unwrap(),
        &reason,
        TimeDelta::minutes(5),
        TimeDelta::hours(12),
    )
    .await;
    assert!(matches!(chained, Err(AdminError::FromImpersonation)));

    assert_eq!(impersonation::active(&authn).await.unwrap().len(), 1);
    assert!(impersonation::end_by_session(&authn, imp.session_id)
        .await
        .unwrap());
    assert!(impersonation::active(&authn).await.unwrap().is_empty());
    assert!(matches!(
        impersonation::end(&authn, started.impersonation_id).await,
        Err(AdminError::UnknownImpersonation)
    ));
    let by_target = impersonation::history(
        &authn,
        &HistoryFilter {
            target_email: Some("member@example.com".into()),
            ..HistoryFilter::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(by_target.len(), 1);
    let nobody = impersonation::history(
        &authn,
        &HistoryFilter {
            admin_email: Some("nobody@example.com".into()),
            ..HistoryFilter::default()
        },
    )
    .await
    .unwrap();
    assert!(nobody.is_empty());

    // Turning the mail off is audited and takes effect for the next impersonation.
    let admin_client = authn.with_actor(Actor::id(format!("user:{admin}")));
    assert!(impersonation::set_notify_target(&admin_client, false)
        .await
        .unwrap());
    assert!(!impersonation::set_notify_target(&admin_client, false)
        .await
        .unwrap());
    let quiet = authn.create_user("quiet@example.com", None).await.unwrap();
    let fresh = authn
        .create_session(NewSession::new(admin, &"f".repeat(64)))
        .await
        .unwrap();
    impersonation::start(
        &authn,
        &links,
        &keys,
        Impersonator {
            session_id: fresh,
            ..me
        },
        quiet,
        &reason,
        TimeDelta::minutes(5),
        TimeDelta::hours(12),
    )
    .await
    .unwrap();
    let quiet_mails: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM gatehouse.mail_outbox WHERE recipient = 'quiet@example.com'",
    )
    .fetch_one(&superuser)
    .await
    .unwrap();
    assert_eq!(quiet_mails, 0);
    let changes = authn
        .get_audit_events(&authn::AuditQuery {
            event_type: Some("namespace_settings_updated".into()),
            ..authn::AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].actor_id, Some(format!("user:{admin}")));
    assert_eq!(
        changes[0].new_values,
        Some(serde_json::json!({ "notify_impersonation": false }))
    );
}

#[tokio::test]
async fn audit_pages_and_the_export_stream_cover_exactly_the_filtered_events() {
    let (_, _, authn) = setup("identity_admin_audit").await;
    let actor = authn.with_actor(Actor::id("user:someone"));
    for i in 0..120 {
        let id = actor
            .create_user(&format!("u{i}@audit.example"), None)
            .await
            .unwrap();
        if i % 3 == 0 {
            actor.disable_user(id).await.unwrap();
        }
    }
    let input = AuditFilterInput {
        event_type: "user_disabled",
        ..AuditFilterInput::default()
    };
    let mut paged = Vec::new();
    let mut after = String::new();
    loop {
        let mut tx = authn.begin().await.unwrap();
        let (events, next) = audit::page(&mut tx, &input, &after).await.unwrap();
        tx.commit().await.unwrap();
        paged.extend(events.into_iter().map(|e| e.id));
        match next {
            Some(n) => after = n,
            None => break,
        }
    }
    assert_eq!(paged.len(), 40);

    let mut tx = authn.begin().await.unwrap();
    let query = audit::query_for(&mut tx, &input).await.unwrap().unwrap();
    let mut streamed = Vec::new();
    let count = tx
        .for_each_audit_event(&query, |e| {
            streamed.push(e.id);
            async { true }
        })
        .await
        .unwrap();
    assert_eq!(count, 40);
    assert_eq!(streamed, paged);
    let bad = audit::query_for(
        &mut tx,
        &AuditFilterInput {
            event_type: "drop_table",
            ..AuditFilterInput::default()
        },
    )
    .await;
    assert!(matches!(bad, Err(AdminError::InvalidFilter("event_type"))));
    let by_actor = audit::query_for(
        &mut tx,
        &AuditFilterInput {
            actor: "user:someone",
            event_type: "user_created",
            ..AuditFilterInput::default()
        },
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(tx.get_audit_events(&by_actor).await.unwrap().len(), 50);
    tx.commit().await.unwrap();
}

/// The admin's own session waits unused during an impersonation: its idle expiry is moved past
/// the impersonation's end so "back to your own session" finds it, but never past its absolute
/// lifetime.
#[tokio::test]
async fn the_admins_session_outlives_the_impersonation_within_its_absolute_lifetime() {
    let (_, superuser, authn) = setup("identity_admin_keep_session").await;
    let admin = authn.create_user("admin@example.com", None).await.unwrap();
    let member = authn.create_user("member@example.com", None).await.unwrap();
    let other = authn.create_user("other@example.com", None).await.unwrap();
    let links = Links::new("http://localhost:3000");
    let keys = identity::SecretBox::from_hex(&"00".repeat(32)).unwrap();
    let reason = Reason::parse("Ticket 8: the invoices page is empty").unwrap();
    let expiry = |session: Uuid| {
        let superuser = superuser.clone();
        async move {
            sqlx::query_scalar::<_, chrono::DateTime<chrono::Utc>>(
                "SELECT expires_at FROM authn.sessions WHERE id = $1",
            )
            .bind(session)
            .fetch_one(&superuser)
            .await
            .unwrap()
        }
    };
    let idle_session = |token: &'static str| {
        authn.create_session(NewSession {
            expires_in: Some(TimeDelta::minutes(10)),
            ..NewSession::new(admin, token)
        })
    };
    let session = idle_session("k1k1k1k1k1k1k1k1k1k1k1k1k1k1k1k1k1k1k1k1k1k1k1k1k1k1k1k1k1k1k1k1")
        .await
        .unwrap();
    let me = Impersonator {
        user_id: admin,
        email: "admin@example.com",
        session_id: session,
    };
    let started = impersonation::start(
        &authn,
        &links,
        &keys,
        me,
        member,
        &reason,
        TimeDelta::minutes(60),
        TimeDelta::hours(12),
    )
    .await
    .unwrap();
    assert!(expiry(session).await >= started.expires_at + impersonation::RESTORE_WINDOW);

    // A session near the end of its absolute lifetime is not carried past it.
    let late = idle_session("k2k2k2k2k2k2k2k2k2k2k2k2k2k2k2k2k2k2k2k2k2k2k2k2k2k2k2k2k2k2k2k2")
        .await
        .unwrap();
    sqlx::query("UPDATE authn.sessions SET created_at = now() - interval '11 hours 50 minutes' WHERE id = $1")
        .bind(late)
        .execute(&superuser)
        .await
        .unwrap();
    impersonation::start(
        &authn,
        &links,
        &keys,
        Impersonator {
            session_id: late,
            ..me
        },
        other,
        &reason,
        TimeDelta::minutes(60),
        TimeDelta::hours(12),
    )
    .await
    .unwrap();
    let created: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("SELECT created_at FROM authn.sessions WHERE id = $1")
            .bind(late)
            .fetch_one(&superuser)
            .await
            .unwrap();
    assert_eq!(expiry(late).await, created + TimeDelta::hours(12));
}

#[tokio::test]
async fn the_trail_accepts_every_event_type_the_console_names_and_no_other() {
    let (pool, _superuser, _authn) = setup("event_types").await;
    // The audit CHECK (migration 44's function) and the console's vocabulary list the same
    // types: an event the console can show is one the core can store, and nothing else is.
    for event_type in vocabulary::EventType::ALL {
        let accepted: Option<bool> = sqlx::query_scalar("SELECT authn._is_audit_event_type($1)")
            .bind(event_type.as_str())
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(accepted, Some(true), "{}", event_type.as_str());
    }
    for bogus in ["bogus", "", "User_Created", "user_created "] {
        let accepted: Option<bool> = sqlx::query_scalar("SELECT authn._is_audit_event_type($1)")
            .bind(bogus)
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(accepted, Some(false), "{bogus:?}");
    }
}
