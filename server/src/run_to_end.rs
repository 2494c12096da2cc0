//! Every request runs to its end, even when its client hangs up first.
//!
//! hyper drops a request's future as soon as its connection closes, and a future dropped at an
//! `.await` leaves its work half done. Two ways that goes wrong here:
//! - A sign-in given up while its password is being checked never records its attempt, so
//!   lockout would not count guesses whose clients hung up before the answer.
//! - sqlx 0.8 forgets a transaction whose `BEGIN` was sent but not yet answered when the future
//!   was dropped: the connection returns to the pool still inside it, and the next request's
//!   statements run in that transaction. A statement made outside a transaction (a sign-out's
//!   revocation) then waits for a commit that may never come, and is lost when the connection
//!   closes.
//!
//! Each request therefore runs on a task of its own, which the connection only awaits: dropping
//! a `JoinHandle` does not cancel its task. The cost is one task spawn per request.

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument;

/// The middleware: runs the rest of the stack on its own task, in the request's trace span.
pub async fn run_to_end(request: Request, next: Next) -> Response {
    match tokio::spawn(next.run(request).in_current_span()).await {
        Ok(response) => response,
        // A panic in a handler (a bug), or the runtime shutting down: the client gets a plain
        // 500 rather than a connection reset, and the log says which.
        Err(e) => {
            tracing::error!(panicked = e.is_panic(), "a request's task did not finish");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
