//! Finding users: search by any part of the address, filters, two sort orders, and keyset
//! pages. The core's `list_users` pages by id only, so this is the console's own read model
//! (`AuthnTx::search_users`), run in the admin's transaction (row-level security keeps it in
//! the namespace); this module checks the form's input and keeps the page cursors opaque.

use authn::console::{UserKey, UserOrder, UserSearch};
use authn::AuthnTx;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::DateTime;
use uuid::Uuid;

use super::AdminError;

pub use authn::console::UserRow;

pub const MAX_SEARCH_CHARS: usize = 254;
pub const PAGE_SIZE: u16 = 50;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum UserSort {
    #[default]
    NewestFirst,
    OldestFirst,
    EmailAsc,
    EmailDesc,
}

impl UserSort {
    pub fn parse(value: &str) -> Result<UserSort, AdminError> {
        Ok(match value {
            "" | "newest" => UserSort::NewestFirst,
            "oldest" => UserSort::OldestFirst,
            "email" => UserSort::EmailAsc,
            "email_desc" => UserSort::EmailDesc,
            _ => return Err(AdminError::InvalidFilter("sort")),
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            UserSort::NewestFirst => "newest",
            UserSort::OldestFirst => "oldest",
            UserSort::EmailAsc => "email",
            UserSort::EmailDesc => "email_desc",
        }
    }

    fn by_email(self) -> bool {
        matches!(self, UserSort::EmailAsc | UserSort::EmailDesc)
    }

    fn order(self) -> UserOrder {
        let descending = matches!(self, UserSort::NewestFirst | UserSort::EmailDesc);
        if self.by_email() {
            UserOrder::Email { descending }
        } else {
            UserOrder::Created { descending }
        }
    }
}

/// A yes/no filter from a form: empty means "either".
pub fn parse_flag(value: &str, name: &'static str) -> Result<Option<bool>, AdminError> {
    match value {
        "" | "any" => Ok(None),
        "yes" | "true" => Ok(Some(true)),
        "no" | "false" => Ok(Some(false)),
        _ => Err(AdminError::InvalidFilter(name)),
    }
}

#[derive(Clone, Debug, Default)]
pub struct UserQuery {
    /// Any part of the address, case-insensitive.
    pub email: Option<String>,
    pub disabled: Option<bool>,
    pub verified: Option<bool>,
    pub has_mfa: Option<bool>,
    pub sort: UserSort,
    /// The `next` of the previous page.
    pub after: Option<String>,
    pub limit: u16,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserPage {
    pub users: Vec<UserRow>,
    /// Where the next page starts, if there is one (opaque, URL-safe).
    pub next: Option<String>,
}

/// Where a page ends, in the sort's own key, as the opaque text the page links carry.
#[derive(Debug, PartialEq)]
struct Cursor(UserKey);

impl Cursor {
    fn of(row: &UserRow, sort: UserSort) -> Cursor {
        if sort.by_email() {
            Cursor(UserKey::Email(row.email.clone(), row.user_id))
        } else {
            Cursor(UserKey::Created(row.created_at, row.user_id))
        }
    }

    fn encode(&self) -> String {
        let raw = match &self.0 {
            UserKey::Email(email, id) => format!("e\n{id}\n{email}"),
            UserKey::Created(at, id) => format!("c\n{id}\n{}", at.timestamp_micros()),
        };
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// A cursor made for `sort`; anything else (edited, or from another sort) is refused.
    fn decode(value: &str, sort: UserSort) -> Result<Cursor, AdminError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(value.trim())
            .map_err(|_| AdminError::InvalidCursor)?;
        let raw = String::from_utf8(bytes).map_err(|_| AdminError::InvalidCursor)?;
        let mut parts = raw.splitn(3, '\n');
        let (Some(kind), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(AdminError::InvalidCursor);
        };
        let id = Uuid::parse_str(id).map_err(|_| AdminError::InvalidCursor)?;
        match (kind, sort.by_email()) {
            ("e", true) => Ok(Cursor(UserKey::Email(key.to_owned(), id))),
            ("c", false) => key
                .parse::<i64>()
                .ok()
                .and_then(DateTime::from_timestamp_micros)
                .map(|at| Cursor(UserKey::Created(at, id)))
                .ok_or(AdminError::InvalidCursor),
            _ => Err(AdminError::InvalidCursor),
        }
    }
}

/// One page of the namespace's users matching `query`.
#[tracing::instrument(skip_all)]
pub async fn search(tx: &mut AuthnTx<'_>, query: &UserQuery) -> Result<UserPage, AdminError> {
    let search = query
        .email
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_lowercase);
    if search
        .as_ref()
        .is_some_and(|s| s.chars().count() > MAX_SEARCH_CHARS || s.chars().any(char::is_control))
    {
        return Err(AdminError::InvalidFilter("email"));
    }
    let cursor = query
        .after
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(|c| Cursor::decode(c, query.sort))
        .transpose()?;
    let limit = query.limit.clamp(1, 200);
    let mut users = tx
        .search_users(&UserSearch {
            email_contains: search.as_deref(),
            disabled: query.disabled,
            verified: query.verified,
            has_mfa: query.has_mfa,
            order: query.sort.order(),
            after: cursor.map(|c| c.0),
            // One more than asked: whether there is a next page.
            limit: i64::from(limit) + 1,
        })
        .await?;
    let next = if users.len() > usize::from(limit) {
        users.truncate(usize::from(limit));
        users
            .last()
            .map(|last| Cursor::of(last, query.sort).encode())
    } else {
        None
    };
    Ok(UserPage { users, next })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_belong_to_their_sort() {
        let id = Uuid::new_v4();
        let c = Cursor(UserKey::Email("a@b.example".into(), id));
        assert_eq!(Cursor::decode(&c.encode(), UserSort::EmailDesc).unwrap(), c);
        assert!(Cursor::decode(&c.encode(), UserSort::NewestFirst).is_err());
        let at = DateTime::from_timestamp_micros(1_700_000_000_123_456).unwrap();
        let c = Cursor(UserKey::Created(at, id));
        assert_eq!(
            Cursor::decode(&c.encode(), UserSort::OldestFirst).unwrap(),
            c
        );
        assert!(Cursor::decode("not a cursor!", UserSort::OldestFirst).is_err());
        assert!(
            Cursor::decode(&URL_SAFE_NO_PAD.encode("c\nnope\n1"), UserSort::OldestFirst).is_err()
        );
    }

    #[test]
    fn flags_and_sorts_refuse_unknown_values() {
        assert_eq!(parse_flag("", "x").unwrap(), None);
        assert_eq!(parse_flag("yes", "x").unwrap(), Some(true));
        assert!(parse_flag("maybe", "x").is_err());
        assert!(UserSort::parse("random").is_err());
        assert_eq!(UserSort::parse("email").unwrap(), UserSort::EmailAsc);
    }
}
