//! Graceful shutdown (issue #13, point 1): on the signal the server stops accepting, lets the
//! requests in flight finish, and gives up on them after the grace period.

use std::time::{Duration, Instant};

use axum::routing::get;
use gatehouse_server::web::serve_until;
use tokio::sync::oneshot;

/// A server with a request that takes `work` to answer, stopped by the returned sender.
async fn server_with_slow_route(
    work: Duration,
    grace: Duration,
) -> (
    String,
    oneshot::Sender<()>,
    tokio::task::JoinHandle<Result<(), String>>,
) {
    let app = axum::Router::new().route(
        "/slow",
        get(move || async move {
            tokio::time::sleep(work).await;
            "done"
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(serve_until(
        listener,
        app,
        async move {
            let _ = stopped.await;
        },
        grace,
    ));
    (base, stop, server)
}

#[tokio::test]
async fn shutdown_lets_requests_in_flight_finish_and_refuses_new_connections() {
    let (base, stop, server) =
        server_with_slow_route(Duration::from_millis(800), Duration::from_secs(20)).await;
    let in_flight = tokio::spawn({
        let url = format!("{base}/slow");
        async move { reqwest::get(url).await?.text().await }
    });
    // The request is in the handler when the signal comes.
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.send(()).unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    // No new connection is taken once draining began.
    let late = reqwest::Client::new()
        .get(format!("{base}/slow"))
        .timeout(Duration::from_secs(2))
        .send()
        .await;
    assert!(late.is_err(), "a new request was served while draining");
    // The one in flight gets its whole answer, then the server ends by itself, long before the
    // grace period.
    assert_eq!(in_flight.await.unwrap().unwrap(), "done");
    let ended = tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("the server did not stop after draining");
    assert_eq!(ended.unwrap(), Ok(()));
}

#[tokio::test]
async fn serving_ends_at_the_grace_period_even_with_a_request_still_running() {
    let (base, stop, server) =
        server_with_slow_route(Duration::from_secs(60), Duration::from_millis(500)).await;
    let stuck = tokio::spawn({
        let url = format!("{base}/slow");
        async move { reqwest::get(url).await?.text().await }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let signalled = Instant::now();
    stop.send(()).unwrap();
    let ended = tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("the grace period did not end the server");
    assert_eq!(ended.unwrap(), Ok(()));
    let took = signalled.elapsed();
    assert!(
        took >= Duration::from_millis(450) && took < Duration::from_secs(3),
        "stopped after {took:?}"
    );
    // `serve` returns and the process exits, which ends the stuck request; here the client
    // simply stops waiting.
    stuck.abort();
}
