//! The users list (search, filters, sort, keyset pages) and creating a user.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// One row of the users list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserLine {
    pub user_id: String,
    pub email: String,
    pub verified: bool,
    pub disabled: bool,
    pub has_mfa: bool,
    pub created: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserListing {
    pub users: Vec<UserLine>,
    /// The `after` of the next page, if any.
    pub next: Option<String>,
}

/// One page of users. The arguments are the page's URL query, as typed or linked.
#[server(endpoint = "admin_users")]
pub async fn admin_users(
    namespace: String,
    email: String,
    disabled: String,
    verified: String,
    mfa: String,
    sort: String,
    after: String,
) -> Result<UserListing, AppError> {
    use identity::admin::users::{parse_flag, search, UserQuery, UserSort, PAGE_SIZE};

    let (_, _, authn) = super::ssr::admin(&namespace, None).await?;
    let query = UserQuery {
        email: Some(email),
        disabled: parse_flag(&disabled, "disabled")?,
        verified: parse_flag(&verified, "verified")?,
        has_mfa: parse_flag(&mfa, "mfa")?,
        sort: UserSort::parse(&sort)?,
        after: Some(after),
        limit: PAGE_SIZE,
    };
    let mut tx = authn.begin().await?;
    let page = search(&mut tx, &query).await?;
    tx.commit().await?;
    Ok(UserListing {
        users: page
            .users
            .into_iter()
            .map(|u| UserLine {
                user_id: u.user_id.to_string(),
                email: u.email,
                verified: u.email_verified_at.is_some(),
                disabled: u.disabled_at.is_some(),
                has_mfa: u.has_mfa,
                created: super::when(u.created_at),
            })
            .collect(),
        next: page.next,
    })
}

/// Creates a user by invitation (a mail with a link to choose a password) or with an initial
/// password that meets the policy, then shows the new user.
#[server(endpoint = "admin_create_user")]
pub async fn admin_create_user(
    namespace: String,
    email: String,
    mode: String,
    #[server(default)] password: String,
    #[server(default)] password_confirm: String,
) -> Result<(), AppError> {
    let (state, _, authn) = super::ssr::admin(&namespace, None).await?;
    let (user_id, done) = match mode.as_str() {
        "invite" => (
            state.flows.invite(&authn, &email).await?,
            vocabulary::Done::CreatedInvite,
        ),
        "password" => {
            let typed = identity::TypedPassword::new(password, password_confirm);
            let id = state
                .flows
                .create_with_password(&authn, &email, typed.as_new())
                .await?;
            (id, vocabulary::Done::CreatedPassword)
        }
        _ => return Err(AppError::FormRejected),
    };
    leptos_axum::redirect(
        &vocabulary::Page::AdminUser(&user_id.to_string())
            .path_with(&namespace, &[(vocabulary::Done::QUERY, done.as_str())]),
    );
    Ok(())
}
