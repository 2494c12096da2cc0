//! Forms posted to their own page. A form whose answer is a secret shown once (a new API key,
//! an authenticator app's key, recovery codes) cannot be answered the usual way, by a redirect
//! back to its page: the secret would have to be kept somewhere until the page view after it.
//! Such a form posts to the page itself instead; the server runs the form's server function
//! while it renders that page, and the page shows the outcome in the same answer (never cached,
//! like every page). It works alike with and without the bundle, and the secret is stored
//! nowhere: no island has to carry it, so none is needed.
//!
//! The server (`server::page_posts`) accepts such posts only for [`PAGES`], after the same
//! checks as any post (same origin, input guard), and hands the body over as a [`PostedForm`].

use leptos::prelude::*;
use leptos::server_fn::ServerFn;

use crate::error::AppError;

/// The pages that take their own forms' posts.
pub const PAGES: [vocabulary::Page<'static>; 2] =
    [vocabulary::Page::ApiKeys, vocabulary::Page::Mfa];

/// The hidden field naming the server function a form posted to its page calls.
pub const ACTION_FIELD: &str = "__action";

/// A form's body posted to the page being rendered, as the server put it in the request's
/// extensions. Taken once: a page rendered twice would not run the action twice.
#[cfg(feature = "ssr")]
#[derive(Clone, Debug, Default)]
pub struct PostedForm {
    body: std::sync::Arc<std::sync::Mutex<Option<String>>>,
    /// The body again once its action failed, for the fields worth keeping
    /// (`form_errors::kept_value`).
    failed: std::sync::Arc<std::sync::Mutex<Option<String>>>,
}

#[cfg(feature = "ssr")]
impl PostedForm {
    pub fn new(body: String) -> PostedForm {
        PostedForm {
            body: std::sync::Arc::new(std::sync::Mutex::new(Some(body))),
            failed: Default::default(),
        }
    }

    /// The body, if it names `action` and was not taken yet.
    fn take_for(&self, action: &str) -> Option<String> {
        let mut body = self.body.lock().ok()?;
        let names_it = body.as_deref().is_some_and(|b| {
            form_urlencoded::parse(b.as_bytes()).any(|(k, v)| k == ACTION_FIELD && v == action)
        });
        names_it.then(|| body.take()).flatten()
    }

    fn failed_with(&self, body: String) {
        if let Ok(mut failed) = self.failed.lock() {
            *failed = Some(body);
        }
    }

    /// The value of field `name` in a body whose action failed.
    pub fn failed_value(&self, name: &str) -> Option<String> {
        let failed = self.failed.lock().ok()?;
        form_urlencoded::parse(failed.as_deref()?.as_bytes())
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    }
}

/// Runs `S` when the request being answered is its form posted to this page, and answers its
/// outcome; `None` for any other request (and always in the browser, where pages do not
/// render). Fields the function does not know (the action's own) are ignored; a body that does
/// not decode is refused as `FormRejected`, as the server function's own route would.
///
/// Call it in the page's component, which runs once, and await it in the `Suspense`: Leptos
/// may run a `Suspense`'s children more than once while rendering on the server, dropping the
/// first try, and a change must neither be dropped halfway nor made twice.
pub fn outcome<S>() -> AsyncDerived<Option<Result<S::Output, AppError>>>
where
    S: ServerFn<Error = AppError> + serde::de::DeserializeOwned + Clone + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    AsyncDerived::new(move || async move {
        Some(
            run::<S>()
                .await?
                .map(|(_, output)| output)
                .map_err(|(_, error)| error),
        )
    })
}

/// How a posted `S` ended: its output, or its error and the arguments when they decoded.
pub type Posted<S> = Result<(S, <S as ServerFn>::Output), (Option<S>, AppError)>;

/// [`outcome`], with the arguments the form posted.
pub fn posted<S>() -> AsyncDerived<Option<Posted<S>>>
where
    S: ServerFn<Error = AppError> + serde::de::DeserializeOwned + Clone + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    AsyncDerived::new(run::<S>)
}

async fn run<S>() -> Option<Posted<S>>
where
    S: ServerFn<Error = AppError> + serde::de::DeserializeOwned + Clone,
{
    #[cfg(feature = "ssr")]
    {
        let parts = use_context::<http::request::Parts>()?;
        let posted = parts.extensions.get::<PostedForm>()?;
        let body = posted.take_for(S::PATH)?;
        let args = serde_qs::Config::new(5, false).deserialize_str::<S>(&body);
        let outcome = match args {
            Ok(args) => args
                .clone()
                .run_body()
                .await
                .map(|output| (args.clone(), output))
                .map_err(|e| (Some(args), e)),
            Err(_) => Err((None, AppError::FormRejected)),
        };
        if outcome.is_err() {
            posted.failed_with(body);
        }
        Some(outcome)
    }
    #[cfg(not(feature = "ssr"))]
    {
        None
    }
}

/// A form that posts to `page` (the page it is on) and runs the server function `action`
/// (its `ServerFn::PATH`) there.
#[component]
pub fn PageForm(
    page: String,
    action: &'static str,
    #[prop(optional)] class: &'static str,
    children: Children,
) -> impl IntoView {
    view! {
        <form method="post" action=page class=class>
            <input type="hidden" name=ACTION_FIELD value=action/>
            {children()}
        </form>
    }
}

/// Rendered in the answer to a form posted to its page: makes the browser's history entry a
/// plain visit, so reloading shows the page anew instead of posting the form again (a second
/// key, new codes). Without scripts the browser asks before it posts again.
#[component]
pub fn ForgetThePost() -> impl IntoView {
    view! {
        <script nonce=leptos::nonce::use_nonce()
            inner_html="history.replaceState(null, \"\", location.href)"></script>
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn the_body_is_taken_once_and_only_by_its_action() {
        let posted = PostedForm::new("__action=%2Fapi%2Fa&name=x".into());
        assert_eq!(posted.take_for("/api/b"), None);
        assert_eq!(
            posted.clone().take_for("/api/a").as_deref(),
            Some("__action=%2Fapi%2Fa&name=x")
        );
        assert_eq!(posted.take_for("/api/a"), None);
        assert_eq!(
            posted.failed_value("name"),
            None,
            "only a failed body is read back"
        );
        posted.failed_with("__action=%2Fapi%2Fa&name=x".into());
        assert_eq!(posted.failed_value("name").as_deref(), Some("x"));
    }
}
