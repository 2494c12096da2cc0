//! A browser ceremony (a passkey's, through WebAuthn) between two server calls, started by a
//! click. Its state is plain signals, so the island that shows it renders on the server too;
//! the steps themselves only ever run in the browser, where the click happens (their futures
//! hold browser objects and cannot cross threads, which an `Action` would require of them or,
//! made local, would refuse to be dropped on another thread once the server has rendered).

use std::future::Future;

use leptos::prelude::*;

use crate::error::AppError;

pub struct Ceremony<T: Send + Sync + 'static> {
    pending: RwSignal<bool>,
    value: RwSignal<Option<Result<T, AppError>>>,
    version: RwSignal<usize>,
}

impl<T: Send + Sync + 'static> Clone for Ceremony<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync + 'static> Copy for Ceremony<T> {}

impl<T: Send + Sync + 'static> Default for Ceremony<T> {
    fn default() -> Self {
        Self {
            pending: RwSignal::new(false),
            value: RwSignal::new(None),
            version: RwSignal::new(0),
        }
    }
}

impl<T: Send + Sync + 'static> Ceremony<T> {
    /// A ceremony that has not run here, showing `error` (one a native post carried back).
    pub fn failed_with(error: Option<AppError>) -> Self {
        Self {
            value: RwSignal::new(error.map(Err)),
            ..Self::default()
        }
    }

    /// Runs `steps` unless a run is under way; the outcome lands in [`Ceremony::value`].
    pub fn run(self, steps: impl Future<Output = Result<T, AppError>> + 'static) {
        if self.pending.get_untracked() {
            return;
        }
        self.pending.set(true);
        leptos::task::spawn_local(async move {
            let outcome = steps.await;
            self.value.set(Some(outcome));
            self.version.update(|v| *v += 1);
            self.pending.set(false);
        });
    }

    /// Whether a run is under way.
    pub fn pending(self) -> Signal<bool> {
        self.pending.into()
    }

    /// How the last run ended, if one did.
    pub fn value(self) -> Signal<Option<Result<T, AppError>>>
    where
        T: Clone,
    {
        self.value.into()
    }

    /// How many runs have ended.
    pub fn version(self) -> Signal<usize> {
        self.version.into()
    }
}
