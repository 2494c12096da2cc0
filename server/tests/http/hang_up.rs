//! A request whose client hangs up still runs to its end (`gatehouse_server::run_to_end`): a
//! sign-in given up halfway still counts its attempt toward lockout.

use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::AsyncWriteExt;

use crate::support::spawn_app;

/// Waits until `query` (a count of rows matching `$1`) answers at least one, for up to ten
/// seconds.
async fn eventually(pool: &sqlx::PgPool, query: &str, bind: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let n: i64 = sqlx::query_scalar(query)
            .bind(bind)
            .fetch_one(pool)
            .await
            .unwrap();
        if n > 0 {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test]
async fn a_sign_in_whose_client_hangs_up_still_counts_its_attempt() {
    let app = spawn_app(&[]).await;
    let email = "hangs-up@example.com";
    app.create_user(email, "correct horse battery staple").await;

    // The test holds the address's sign-in lock (as a concurrent attempt would), so the
    // request waits inside its transaction until the client is gone.
    let mut holder = app.superuser.begin().await.unwrap();
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1 || '/' || lower(btrim($2)), 0))")
        .bind(&app.namespace)
        .bind(email)
        .execute(&mut *holder)
        .await
        .unwrap();

    let body = json!({ "email": email, "password": "a wrong guess" }).to_string();
    let address = app.base.trim_start_matches("http://");
    let mut client = tokio::net::TcpStream::connect(address).await.unwrap();
    let request = format!(
        "POST /{}/auth/login HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        app.namespace,
        body.len()
    );
    client.write_all(request.as_bytes()).await.unwrap();
    assert!(
        eventually(
            &app.superuser,
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
             AND wait_event_type = 'Lock' AND wait_event = $1",
            "advisory",
        )
        .await,
        "the sign-in never reached the address lock"
    );
    // The client hangs up; the server notices before the lock is released.
    drop(client);
    tokio::time::sleep(Duration::from_millis(500)).await;
    holder.commit().await.unwrap();

    assert!(
        eventually(
            &app.superuser,
            "SELECT count(*) FROM authn.login_attempts WHERE email = $1 AND NOT success",
            email,
        )
        .await,
        "the abandoned sign-in's attempt was not recorded"
    );
}
