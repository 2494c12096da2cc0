//! What the server and the browser must agree on, written once: the page paths (the router's
//! routes, redirects, links and the mail links are all built from [`Page`]), the one
//! percent-encoder, and the fixed words that travel between them (audit event types, activity
//! kinds, the `?done=` outcome of an admin action). Renaming a route or a word here changes
//! every use or breaks the build; nothing keeps two copies in step. No dependencies: it builds
//! for the server and for the wasm bundle alike.

mod activity;
mod audit;
mod outcome;
mod paths;
mod words;

pub use activity::ActivityKind;
pub use audit::{EventType, OperatorEventType};
pub use outcome::{Done, Notice, SupportDecision};
pub use paths::{
    percent_encode, query_string, return_path, segment, Page, API_PREFIX, RETURN_QUERY,
};
