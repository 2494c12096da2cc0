//! API keys against the real core: bearer authentication, expiry, revocation, ownership.

use authn::Authn;
use identity::api_keys::{self, ApiKeyError, Expiry};

#[tokio::test]
async fn keys_authenticate_until_they_expire_or_are_revoked_and_only_their_owner_revokes_them() {
    let db = crate::harness::database("identity_keys").await;
    let pool = crate::harness::app_pool(&db, 2).await;
    let ns = crate::harness::namespace();
    let authn = Authn::new(pool.clone(), ns.clone()).await.unwrap();
    let owner = authn.create_user("owner@example.com", None).await.unwrap();
    let other = authn.create_user("other@example.com", None).await.unwrap();

    let mut tx = authn.begin().await.unwrap();
    assert!(matches!(
        api_keys::create(&mut tx, owner, &"n".repeat(61), Expiry::Never).await,
        Err(ApiKeyError::InvalidName)
    ));
    let short = api_keys::create(&mut tx, owner, "short-lived", Expiry::Days(30))
        .await
        .unwrap();
    let lasting = api_keys::create(&mut tx, owner, "lasting", Expiry::Never)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let found = api_keys::authenticate(&pool, short.key.expose())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (found.namespace.as_str(), found.user.user_id),
        (ns.as_str(), owner)
    );
    // Malformed or unknown bearers: nobody.
    for bad in ["", "gh_", "not-a-key", &format!("{}x", short.key.expose())] {
        assert!(
            api_keys::authenticate(&pool, bad).await.unwrap().is_none(),
            "{bad}"
        );
    }
    let listed = api_keys::list(&authn, owner).await.unwrap();
    assert_eq!(listed.len(), 2);
    let hint = listed.iter().find(|k| k.key_id == short.key_id).unwrap();
    assert_eq!(
        hint.last_four.as_deref(),
        Some(&short.key.expose()[short.key.expose().len() - 4..])
    );

    // Expired: refused like any bad key.
    let admin = sqlx::PgPool::connect(&test_support::url_for(&db, None))
        .await
        .unwrap();
    sqlx::query("UPDATE authn.api_keys SET expires_at = now() - interval '1 second' WHERE id = $1")
        .bind(short.key_id)
        .execute(&admin)
        .await
        .unwrap();
    assert!(api_keys::authenticate(&pool, short.key.expose())
        .await
        .unwrap()
        .is_none());

    // Someone else's key is not theirs to revoke; the owner's revocation works at once.
    assert!(matches!(
        api_keys::revoke(&authn, other, lasting.key_id).await,
        Err(ApiKeyError::UnknownKey)
    ));
    assert!(api_keys::authenticate(&pool, lasting.key.expose())
        .await
        .unwrap()
        .is_some());
    api_keys::revoke(&authn, owner, lasting.key_id)
        .await
        .unwrap();
    assert!(api_keys::authenticate(&pool, lasting.key.expose())
        .await
        .unwrap()
        .is_none());
}
