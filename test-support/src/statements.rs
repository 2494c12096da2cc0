//! The SQL statements a piece of code runs, read from sqlx's own query log (target
//! `sqlx::query`): to show that two requests run the same statements, or that a hot path costs
//! one round trip. A test binary installs the recorder once; it records only on the thread
//! that asked (tests of one binary run on threads of their own).

use std::sync::{Arc, Mutex, OnceLock};
use std::thread::ThreadId;

use tracing_subscriber::layer::{Context, SubscriberExt};

#[derive(Clone, Default)]
struct Recorder {
    seen: Arc<Mutex<Vec<String>>>,
    thread: Arc<Mutex<Option<ThreadId>>>,
}

/// The statements sqlx logged on this thread while `f` ran, in order (summary and text).
pub async fn recorded<F: std::future::Future>(f: F) -> (F::Output, Vec<String>) {
    let recorder = installed();
    recorder.seen.lock().map(|mut s| s.clear()).ok();
    if let Ok(mut t) = recorder.thread.lock() {
        *t = Some(std::thread::current().id());
    }
    let output = f.await;
    if let Ok(mut t) = recorder.thread.lock() {
        *t = None;
    }
    let seen = recorder.seen.lock().map(|s| s.clone()).unwrap_or_default();
    (output, seen)
}

/// A global subscriber (a scoped one was seen to miss callsites that other threads registered
/// first), installed on first use.
fn installed() -> &'static Recorder {
    static RECORDER: OnceLock<Recorder> = OnceLock::new();
    RECORDER.get_or_init(|| {
        let recorder = Recorder::default();
        let subscriber = tracing_subscriber::registry()
            .with(recorder.clone())
            .with(tracing_subscriber::filter::LevelFilter::TRACE);
        // Another subscriber set by the test binary itself wins; nothing is recorded then.
        let _ = tracing::subscriber::set_global_default(subscriber);
        recorder
    })
}

struct Statement<'a>(&'a mut String);

impl tracing::field::Visit for Statement<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if matches!(field.name(), "summary" | "db.statement") {
            self.0.push_str(&format!("{value:?} "));
        }
    }

    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if matches!(field.name(), "summary" | "db.statement") {
            self.0.push_str(value);
            self.0.push(' ');
        }
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Recorder {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        let mine = self
            .thread
            .lock()
            .is_ok_and(|t| *t == Some(std::thread::current().id()));
        if mine && event.metadata().target() == "sqlx::query" {
            let mut text = String::new();
            event.record(&mut Statement(&mut text));
            if let Ok(mut seen) = self.seen.lock() {
                seen.push(text);
            }
        }
    }
}
