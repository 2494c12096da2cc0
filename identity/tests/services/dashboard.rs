//! The admin dashboard's figures against the real core, one namespace per test.

use authn::Authn;
use chrono::{TimeDelta, Utc};
use identity::dashboard::{locked_out_count, sign_ins_per_day};
use identity::LockoutPolicy;

#[tokio::test]
async fn sign_ins_are_counted_per_day_and_lockouts_by_the_policy() {
    let db = crate::harness::database("identity_dash").await;
    let pool = crate::harness::app_pool(&db, 2).await;
    let authn = Authn::new(pool.clone(), crate::harness::namespace())
        .await
        .unwrap();
    let elsewhere = Authn::new(pool, crate::harness::namespace()).await.unwrap();
    for _ in 0..5 {
        authn
            .record_login_attempt("locked@example.com", false, None)
            .await
            .unwrap();
    }
    for _ in 0..2 {
        authn
            .record_login_attempt("careless@example.com", false, None)
            .await
            .unwrap();
    }
    authn
        .record_login_attempt("fine@example.com", true, None)
        .await
        .unwrap();
    // Another namespace's attempts never count here.
    for _ in 0..9 {
        elsewhere
            .record_login_attempt("locked@example.com", false, None)
            .await
            .unwrap();
    }

    let mut tx = authn.begin().await.unwrap();
    let days = sign_ins_per_day(&mut tx, 14).await.unwrap();
    assert_eq!(days.len(), 14);
    assert_eq!(days[13].day, Utc::now().date_naive());
    assert_eq!((days[13].succeeded, days[13].failed), (1, 7));
    assert!(days[..13].iter().all(|d| d.succeeded == 0 && d.failed == 0));
    assert_eq!(days[0].day, Utc::now().date_naive() - TimeDelta::days(13));

    let policy = LockoutPolicy::default();
    assert_eq!(locked_out_count(&mut tx, policy).await.unwrap(), 1);
    let strict = LockoutPolicy {
        max_attempts: 2,
        ..policy
    };
    assert_eq!(locked_out_count(&mut tx, strict).await.unwrap(), 2);
    tx.commit().await.unwrap();
}
