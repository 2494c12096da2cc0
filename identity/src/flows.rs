//! The e-mail-driven ways in: sign-up with address verification, magic link, e-mail code, and
//! forgotten password. Each step is one transaction: a token and the mail announcing it commit
//! together (the mail goes through the outbox), and a failure changes nothing.
//!
//! Requests that name an address (sign-up, magic link, code, reset) answer the same whether or
//! not an account exists; only the mailbox's owner learns the difference.

use authn::{Authn, AuthnError, AuthnTx, TokenType};
use chrono::TimeDelta;
use rand::rngs::OsRng;
use rand::Rng;
use secrecy::{ExposeSecret, SecretString};
use sqlx::PgPool;
use uuid::Uuid;

use crate::email::{EmailAddress, InvalidEmail};
use crate::email_code;
use crate::lockout::LockoutPolicy;
use crate::mail::{outbox, templates, Links, Mail};
use crate::mail_requests::{self, RequestKind};
use crate::password::{PasswordError, PasswordHasher};
use crate::pending::FirstFactor;
use crate::policy::{PasswordPolicy, PolicyViolation};
use crate::roles::{self, SignUpMode};
use crate::secret_box::SecretBox;
use crate::session::{after_first_factor, lock_address, ClientInfo, SignInStep};
use crate::token::{link_token_hash, OpaqueToken};

const MAGIC_LINK_LIFETIME: TimeDelta = TimeDelta::minutes(15);
const EMAIL_CODE_LIFETIME: TimeDelta = TimeDelta::minutes(10);
const RESET_LIFETIME: TimeDelta = TimeDelta::hours(1);
const VERIFY_LIFETIME: TimeDelta = TimeDelta::hours(24);
const INVITATION_LIFETIME: TimeDelta = TimeDelta::hours(72);

#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    #[error(transparent)]
    InvalidEmail(#[from] InvalidEmail),
    #[error(transparent)]
    WeakPassword(#[from] PolicyViolation),
    #[error("The passwords do not match.")]
    PasswordMismatch,
    #[error("Sign-up is by invitation only. Ask an administrator to invite you.")]
    SignUpClosed,
    #[error("This link is invalid, already used or expired. Ask for a new one.")]
    InvalidLink,
    #[error("The code is incorrect or has expired.")]
    InvalidCode,
    #[error("Too many attempts. Try again later.")]
    LockedOut,
    #[error("That is not your current password.")]
    WrongCurrentPassword,
    #[error("That address already has an account.")]
    AddressTaken,
    #[error("The address is already confirmed.")]
    AlreadyVerified,
    #[error("The account is disabled.")]
    AccountDisabled,
    #[error("internal error")]
    Core(#[from] AuthnError),
    #[error("internal error")]
    Database(#[from] sqlx::Error),
    #[error("internal error")]
    Password(#[from] PasswordError),
}

impl FlowError {
    /// The form field the error is about, if any.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            FlowError::InvalidEmail(_) => Some("email"),
            FlowError::WeakPassword(_) => Some("password"),
            FlowError::PasswordMismatch => Some("password_confirm"),
            FlowError::InvalidCode => Some("code"),
            FlowError::WrongCurrentPassword => Some("current_password"),
            _ => None,
        }
    }
}

/// What a password reset revoked, for the page that confirms it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ResetOutcome {
    /// Devices (sessions) signed out.
    pub sessions: u32,
    /// API keys revoked.
    pub api_keys: u32,
}

/// A signed-in person's password change.
pub struct PasswordChange<'a> {
    pub user_id: Uuid,
    /// The session the change is made from; it stays signed in.
    pub current_session: Uuid,
    pub current: &'a SecretString,
    pub new: NewPassword<'a>,
    pub ip_address: Option<std::net::IpAddr>,
}

/// A new password as typed twice in a form.
pub struct NewPassword<'a> {
    pub password: &'a SecretString,
    pub confirm: &'a SecretString,
}

/// A new password as a form posts it, owned and kept secret: what a server function holds
/// before it lends a [`NewPassword`] to a flow.
pub struct TypedPassword {
    password: SecretString,
    confirm: SecretString,
}

impl TypedPassword {
    pub fn new(password: String, confirm: String) -> TypedPassword {
        TypedPassword {
            password: SecretString::from(password),
            confirm: SecretString::from(confirm),
        }
    }

    pub fn as_new(&self) -> NewPassword<'_> {
        NewPassword {
            password: &self.password,
            confirm: &self.confirm,
        }
    }
}

#[derive(Clone, Debug)]
pub struct AccountFlows {
    hasher: PasswordHasher,
    policy: PasswordPolicy,
    lockout: LockoutPolicy,
    links: Links,
    session_lifetime: TimeDelta,
    /// Keys the hashes of mailed codes (see [`crate::email_code`]).
    keys: SecretBox,
}

impl AccountFlows {
    pub fn new(
        hasher: PasswordHasher,
        policy: PasswordPolicy,
        lockout: LockoutPolicy,
        links: Links,
        session_lifetime: TimeDelta,
        keys: SecretBox,
    ) -> AccountFlows {
        AccountFlows {
            hasher,
            policy,
            lockout,
            links,
            session_lifetime,
            keys,
        }
    }

    /// Checks a new password for `email` against the namespace's policy (shorter minimums only
    /// where every account has two-step verification) and its confirmation.
    async fn check_new_password(
        &self,
        tx: &mut AuthnTx<'_>,
        email: &EmailAddress,
        new: &NewPassword<'_>,
    ) -> Result<(), FlowError> {
        let namespace = tx.namespace().to_owned();
        let with_mfa = roles::accounts_require_mfa(tx.conn(), &namespace).await?;
        self.policy
            .for_namespace(with_mfa)
            .check(new.password.expose_secret(), email.as_str())?;
        if new.password.expose_secret() != new.confirm.expose_secret() {
            return Err(FlowError::PasswordMismatch);
        }
        Ok(())
    }

    // ---- sign-up and verification -------------------------------------------------------

    /// Asks for an unverified account and its verification link. The account is created (or,
    /// for an address that already has one, its owner told instead) by the mail-request worker
    /// ([`AccountFlows::fulfil_mail_requests`]), so the request does the same work — and takes
    /// the same time — whether or not the address has an account.
    pub async fn sign_up(
        &self,
        authn: &Authn,
        email: &str,
        new: NewPassword<'_>,
    ) -> Result<(), FlowError> {
        let email = EmailAddress::parse(email)?;
        let mut tx = authn.begin().await?;
        if roles::sign_up_mode(tx.conn(), authn.namespace()).await? != SignUpMode::Open {
            return Err(FlowError::SignUpClosed);
        }
        self.check_new_password(&mut tx, &email, &new).await?;
        let hash = self.hasher.hash(new.password).await?;
        let namespace = authn.namespace();
        mail_requests::record(
            tx.conn(),
            namespace,
            RequestKind::SignUp,
            email.as_str(),
            Some(&hash),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The worker's half of a sign-up: the account and its verification link, or a note to the
    /// owner of an existing account.
    async fn fulfil_sign_up(
        &self,
        tx: &mut AuthnTx<'_>,
        email: &EmailAddress,
        password_hash: &str,
    ) -> Result<(), FlowError> {
        lock_address(tx, email.as_str()).await?;
        let namespace = tx.namespace().to_owned();
        let mail = match tx.get_user_by_email(email.as_str()).await? {
            Some(_) => templates::sign_up_existing_account(
                email.as_str(),
                &namespace,
                self.links.page(&namespace, vocabulary::Page::SignIn),
            ),
            None => {
                let user_id = tx.create_user(email.as_str(), Some(password_hash)).await?;
                let token = self
                    .issue_token(tx, user_id, TokenType::EmailVerify, VERIFY_LIFETIME)
                    .await?;
                templates::verify_email(
                    email.as_str(),
                    &namespace,
                    self.links.verify_email(&namespace, token.expose()),
                )
                .valid_for(VERIFY_LIFETIME)
            }
        };
        enqueue(tx, &mail, &self.keys).await
    }

    /// Confirms the address the link was sent to, with the password its owner chooses now.
    ///
    /// Anyone can sign up with any address, so whoever chose the account's first password may
    /// not own the mailbox (pre-hijacking: the attacker signs up with your address, waits for
    /// you to confirm it, then signs in with their password). Following the link proves the
    /// mailbox, so only here does the account get a password it can be signed in with: the
    /// earlier one is replaced and every session, refresh token, API key, pending sign-in and
    /// mailed code the account had is ended. A refused password changes nothing and leaves the
    /// link usable. Returns the confirmed address.
    pub async fn verify_email(
        &self,
        authn: &Authn,
        token: &str,
        new: NewPassword<'_>,
    ) -> Result<String, FlowError> {
        let hash = link_token_hash(token).ok_or(FlowError::InvalidLink)?;
        let mut tx = authn.begin().await?;
        let owner = tx
            .verify_email(&hash)
            .await
            .map_err(link_error)?
            .ok_or(FlowError::InvalidLink)?;
        let enabled = tx
            .get_user(owner.user_id)
            .await?
            .is_some_and(|u| u.disabled_at.is_none());
        if !enabled {
            return Err(FlowError::InvalidLink);
        }
        let email = EmailAddress::parse(&owner.email).map_err(|_| FlowError::InvalidLink)?;
        self.check_new_password(&mut tx, &email, &new).await?;
        let password_hash = self.hasher.hash(new.password).await?;
        tx.update_password(owner.user_id, &password_hash).await?;
        tx.revoke_all_sessions(owner.user_id).await?;
        tx.revoke_all_refresh_tokens(owner.user_id).await?;
        tx.revoke_all_api_keys(owner.user_id).await?;
        let namespace = authn.namespace();
        crate::required_password_change::clear(tx.conn(), namespace, owner.user_id).await?;
        crate::pending::discard_for_user(tx.conn(), namespace, owner.user_id).await?;
        email_code::void(tx.conn(), namespace, owner.user_id).await?;
        tx.commit().await?;
        Ok(owner.email)
    }

    // ---- magic link ----------------------------------------------------------------------

    /// Asks for a single-use sign-in link valid for 15 minutes, mailed to the address if it
    /// has an enabled account (by the worker: the request is the same for every address).
    pub async fn request_magic_link(&self, authn: &Authn, email: &str) -> Result<(), FlowError> {
        self.record_request(authn, email, RequestKind::MagicLink)
            .await
    }

    /// Uses a magic link: a new session for its (enabled) owner. Following the link proves the
    /// mailbox, so it also confirms the address.
    pub async fn sign_in_with_magic_link(
        &self,
        authn: &Authn,
        token: &str,
        client: ClientInfo<'_>,
    ) -> Result<SignInStep, FlowError> {
        let hash = link_token_hash(token).ok_or(FlowError::InvalidLink)?;
        let mut tx = authn.begin().await?;
        let owner = tx
            .consume_token(&hash, TokenType::MagicLink)
            .await
            .map_err(link_error)?
            .ok_or(FlowError::InvalidLink)?;
        // Decision D12: consuming does not look at the owner; a disabled account gets the
        // same answer as a bad link (the used token is rolled back with it).
        let user = tx.get_user(owner.user_id).await?;
        if user.as_ref().is_none_or(|u| u.disabled_at.is_some()) {
            return Err(FlowError::InvalidLink);
        }
        tx.record_login_attempt(&owner.email, true, client.ip_address)
            .await?;
        let step = after_first_factor(
            &mut tx,
            owner.user_id,
            FirstFactor::MagicLink,
            self.session_lifetime,
            client,
        )
        .await?;
        tx.commit().await?;
        Ok(step)
    }

    // ---- e-mail code ---------------------------------------------------------------------

    /// Asks for a 6-digit code valid for 10 minutes, mailed to the address if it has an enabled
    /// account (by the worker: the request is the same for every address).
    pub async fn request_email_code(&self, authn: &Authn, email: &str) -> Result<(), FlowError> {
        self.record_request(authn, email, RequestKind::EmailCode)
            .await
    }

    /// The worker's half: a fresh code for the enabled account of `email`. Earlier codes of the
    /// account stop working: each outstanding code would be one more target for every guess.
    async fn fulfil_email_code(
        &self,
        tx: &mut AuthnTx<'_>,
        email: &EmailAddress,
    ) -> Result<(), FlowError> {
        let Some(user_id) = enabled_user(tx, email).await? else {
            return Ok(());
        };
        let namespace = tx.namespace().to_owned();
        let code = format!("{:06}", OsRng.gen_range(0..1_000_000u32));
        let hash = self.email_code_hash(user_id, &code);
        email_code::store(tx.conn(), &namespace, user_id, &hash, EMAIL_CODE_LIFETIME).await?;
        let mail =
            templates::email_code(email.as_str(), &namespace, &code).valid_for(EMAIL_CODE_LIFETIME);
        enqueue(tx, &mail, &self.keys).await
    }

    /// Signs in with a mailed code. Wrong codes count as failed sign-ins of the address, so the
    /// lockout limits guesses (5 per 15 minutes by default), and reaching it voids the code;
    /// each code also dies after [`email_code::MAX_FAILURES`] wrong guesses of its own.
    pub async fn sign_in_with_email_code(
        &self,
        authn: &Authn,
        email: &str,
        code: &str,
        client: ClientInfo<'_>,
    ) -> Result<SignInStep, FlowError> {
        let email = EmailAddress::parse(email)?;
        let code = code.trim();
        let mut tx = authn.begin().await?;
        lock_address(&mut tx, email.as_str()).await?;
        let window = Some(self.lockout.window);
        let max = Some(i32::try_from(self.lockout.max_attempts).unwrap_or(i32::MAX));
        if tx.is_locked_out(email.as_str(), window, max).await? {
            return Err(FlowError::LockedOut);
        }
        let well_formed = code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit());
        let user_id = enabled_user(&mut tx, &email).await?;
        let namespace = tx.namespace().to_owned();
        let owner = match (user_id, well_formed) {
            (Some(user_id), true) => {
                let hash = self.email_code_hash(user_id, code);
                email_code::consume(tx.conn(), &namespace, user_id, &hash)
                    .await?
                    .then_some(user_id)
            }
            _ => None,
        };
        let Some(owner) = owner else {
            tx.record_login_attempt(email.as_str(), false, client.ip_address)
                .await?;
            if let Some(user_id) = user_id {
                email_code::record_failure(tx.conn(), &namespace, user_id).await?;
                crate::activity::record(
                    tx.conn(),
                    &namespace,
                    user_id,
                    crate::activity::Activity::SignInFailed("email code"),
                    client,
                )
                .await?;
                if tx.is_locked_out(email.as_str(), window, max).await? {
                    email_code::void(tx.conn(), &namespace, user_id).await?;
                }
            }
            tx.commit().await?;
            return Err(FlowError::InvalidCode);
        };
        tx.record_login_attempt(email.as_str(), true, client.ip_address)
            .await?;
        let step = after_first_factor(
            &mut tx,
            owner,
            FirstFactor::EmailCode,
            self.session_lifetime,
            client,
        )
        .await?;
        tx.commit().await?;
        Ok(step)
    }

    // ---- accounts an admin creates ---------------------------------------------------------

    /// Creates an account without a password and mails its owner a link to choose one
    /// (valid 72 hours; using it also confirms the address). Returns the new user's id.
    pub async fn invite(&self, authn: &Authn, email: &str) -> Result<Uuid, FlowError> {
        let email = EmailAddress::parse(email)?;
        let mut tx = authn.begin().await?;
        let user_id = new_account(&mut tx, &email, None).await?;
        let token = self
            .issue_token(
                &mut tx,
                user_id,
                TokenType::PasswordReset,
                INVITATION_LIFETIME,
            )
            .await?;
        let namespace = authn.namespace();
        let mail = templates::invitation(
            email.as_str(),
            namespace,
            self.links.reset_password(namespace, token.expose()),
            INVITATION_LIFETIME.num_hours(),
        )
        .valid_for(INVITATION_LIFETIME);
        enqueue(&mut tx, &mail, &self.keys).await?;
        tx.commit().await?;
        Ok(user_id)
    }

    /// Creates an account with an initial password that meets the policy. The address is not
    /// confirmed yet: its owner gets the verification link (or the admin marks it confirmed).
    pub async fn create_with_password(
        &self,
        authn: &Authn,
        email: &str,
        new: NewPassword<'_>,
    ) -> Result<Uuid, FlowError> {
        let email = EmailAddress::parse(email)?;
        let mut tx = authn.begin().await?;
        self.check_new_password(&mut tx, &email, &new).await?;
        let hash = self.hasher.hash(new.password).await?;
        let user_id = new_account(&mut tx, &email, Some(&hash)).await?;
        // The admin knows this password: its owner replaces it at the first sign-in.
        crate::required_password_change::require(tx.conn(), authn.namespace(), user_id).await?;
        self.mail_verification(&mut tx, user_id, &email).await?;
        tx.commit().await?;
        Ok(user_id)
    }

    /// Mails the account a fresh verification link (the earlier ones stop working).
    pub async fn resend_verification(&self, authn: &Authn, user_id: Uuid) -> Result<(), FlowError> {
        let mut tx = authn.begin().await?;
        let user = tx.get_user(user_id).await?.ok_or(FlowError::InvalidLink)?;
        if user.email_verified_at.is_some() {
            return Err(FlowError::AlreadyVerified);
        }
        if user.disabled_at.is_some() {
            return Err(FlowError::AccountDisabled);
        }
        let email = EmailAddress::parse(&user.email)?;
        tx.invalidate_tokens(user_id, TokenType::EmailVerify)
            .await?;
        self.mail_verification(&mut tx, user_id, &email).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Mails the account a password-reset link, as "forgot password" would.
    pub async fn send_password_reset(&self, authn: &Authn, user_id: Uuid) -> Result<(), FlowError> {
        let user = authn
            .get_user(user_id)
            .await?
            .ok_or(FlowError::InvalidLink)?;
        if user.disabled_at.is_some() {
            return Err(FlowError::AccountDisabled);
        }
        self.request_password_reset(authn, &user.email).await
    }

    async fn mail_verification(
        &self,
        tx: &mut AuthnTx<'_>,
        user_id: Uuid,
        email: &EmailAddress,
    ) -> Result<(), FlowError> {
        let token = self
            .issue_token(tx, user_id, TokenType::EmailVerify, VERIFY_LIFETIME)
            .await?;
        let namespace = tx.namespace().to_owned();
        let mail = templates::verify_email(
            email.as_str(),
            &namespace,
            self.links.verify_email(&namespace, token.expose()),
        )
        .valid_for(VERIFY_LIFETIME);
        enqueue(tx, &mail, &self.keys).await
    }

    // ---- forgotten password --------------------------------------------------------------

    /// Asks for a single-use reset link valid for 1 hour, mailed to the address if it has an
    /// enabled account (by the worker: the request is the same for every address).
    pub async fn request_password_reset(
        &self,
        authn: &Authn,
        email: &str,
    ) -> Result<(), FlowError> {
        self.record_request(authn, email, RequestKind::PasswordReset)
            .await
    }

    /// Records a request for mail to `email`: parsing, then one insert. Nothing here depends on
    /// whether the address has an account.
    async fn record_request(
        &self,
        authn: &Authn,
        email: &str,
        kind: RequestKind,
    ) -> Result<(), FlowError> {
        let email = EmailAddress::parse(email)?;
        let mut tx = authn.begin().await?;
        let namespace = authn.namespace();
        mail_requests::record(tx.conn(), namespace, kind, email.as_str(), None).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The worker's half of a link request: a fresh link of `kind` for the enabled account of
    /// `email`, and nothing for an address without one.
    async fn fulfil_link(
        &self,
        tx: &mut AuthnTx<'_>,
        email: &EmailAddress,
        kind: TokenType,
    ) -> Result<(), FlowError> {
        let Some(user_id) = enabled_user(tx, email).await? else {
            return Ok(());
        };
        let namespace = tx.namespace().to_owned();
        let mail = match kind {
            TokenType::PasswordReset => {
                let token = self.issue_token(tx, user_id, kind, RESET_LIFETIME).await?;
                templates::password_reset(
                    email.as_str(),
                    &namespace,
                    self.links.reset_password(&namespace, token.expose()),
                )
                .valid_for(RESET_LIFETIME)
            }
            _ => {
                let token = self
                    .issue_token(tx, user_id, TokenType::MagicLink, MAGIC_LINK_LIFETIME)
                    .await?;
                templates::magic_link(
                    email.as_str(),
                    &namespace,
                    self.links.magic_link(&namespace, token.expose()),
                )
                .valid_for(MAGIC_LINK_LIFETIME)
            }
        };
        enqueue(tx, &mail, &self.keys).await
    }

    // ---- the mail-request worker -------------------------------------------------------------

    /// Fulfils every due mail request (see [`crate::mail_requests`]); returns how many. Each
    /// request is taken and fulfilled in one transaction of its namespace, so a failure leaves
    /// it to be retried and a success cannot be repeated.
    pub async fn fulfil_mail_requests(&self, pool: &PgPool) -> Result<usize, FlowError> {
        let mut done = 0;
        loop {
            let batch = mail_requests::claim(pool, 20).await?;
            if batch.is_empty() {
                return Ok(done);
            }
            for (id, namespace) in batch {
                match self.fulfil(pool, id, &namespace).await {
                    Ok(()) => done += 1,
                    Err(e) => {
                        tracing::warn!(mail_request = id, error = ?e, "mail request not fulfilled; retried later");
                    }
                }
            }
        }
    }

    async fn fulfil(&self, pool: &PgPool, id: i64, namespace: &str) -> Result<(), FlowError> {
        let authn = Authn::new(pool.clone(), namespace).await?;
        let mut tx = authn.begin().await?;
        let Some(request) = mail_requests::take(tx.conn(), id).await? else {
            return Ok(());
        };
        // Recorded only after parsing; a row that does not parse any more is dropped.
        if let Ok(email) = EmailAddress::parse(&request.email) {
            match (request.kind, request.password_hash.as_deref()) {
                (RequestKind::SignUp, Some(hash)) => {
                    self.fulfil_sign_up(&mut tx, &email, hash).await?
                }
                (RequestKind::SignUp, None) => {}
                (RequestKind::PasswordReset, _) => {
                    self.fulfil_link(&mut tx, &email, TokenType::PasswordReset)
                        .await?
                }
                (RequestKind::MagicLink, _) => {
                    self.fulfil_link(&mut tx, &email, TokenType::MagicLink)
                        .await?
                }
                (RequestKind::EmailCode, _) => self.fulfil_email_code(&mut tx, &email).await?,
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Sets a new password with a reset link. A reset is how an account is taken back, so
    /// everything that could still act for it ends: every session, refresh token and API key is
    /// revoked, pending sign-ins and mailed codes are dropped, the other reset links stop
    /// working, and the owner is told by mail what was revoked. A refused password leaves the
    /// link usable (the transaction rolls back).
    pub async fn reset_password(
        &self,
        authn: &Authn,
        token: &str,
        new: NewPassword<'_>,
    ) -> Result<ResetOutcome, FlowError> {
        let hash = link_token_hash(token).ok_or(FlowError::InvalidLink)?;
        let mut tx = authn.begin().await?;
        let owner = tx
            .consume_token(&hash, TokenType::PasswordReset)
            .await
            .map_err(link_error)?
            .ok_or(FlowError::InvalidLink)?;
        let user = tx.get_user(owner.user_id).await?;
        if user.as_ref().is_none_or(|u| u.disabled_at.is_some()) {
            return Err(FlowError::InvalidLink);
        }
        let email = EmailAddress::parse(&owner.email).map_err(|_| FlowError::InvalidLink)?;
        self.check_new_password(&mut tx, &email, &new).await?;
        let hash = self.hasher.hash(new.password).await?;
        tx.update_password(owner.user_id, &hash).await?;
        // The link reached the mailbox, which confirms the address (an invitation's first
        // password is set this way).
        if user.as_ref().is_some_and(|u| u.email_verified_at.is_none()) {
            let proof = self
                .issue_token(
                    &mut tx,
                    owner.user_id,
                    TokenType::EmailVerify,
                    VERIFY_LIFETIME,
                )
                .await?;
            tx.verify_email(&proof.hash()).await?;
        }
        let sessions = tx.revoke_all_sessions(owner.user_id).await?;
        tx.revoke_all_refresh_tokens(owner.user_id).await?;
        let api_keys = tx.revoke_all_api_keys(owner.user_id).await?;
        // Every other link ends too: a verification link sets the password as well.
        for kind in [
            TokenType::PasswordReset,
            TokenType::EmailVerify,
            TokenType::MagicLink,
        ] {
            tx.invalidate_tokens(owner.user_id, kind).await?;
        }
        let namespace = authn.namespace();
        crate::pending::discard_for_user(tx.conn(), namespace, owner.user_id).await?;
        email_code::void(tx.conn(), namespace, owner.user_id).await?;
        crate::required_password_change::clear(tx.conn(), namespace, owner.user_id).await?;
        // The reset proves the mailbox, as a magic link does, and earlier failures are moot.
        tx.clear_attempts(email.as_str()).await?;
        crate::activity::record(
            tx.conn(),
            namespace,
            owner.user_id,
            crate::activity::Activity::PasswordReset,
            ClientInfo::default(),
        )
        .await?;
        let outcome = ResetOutcome {
            sessions: u32::try_from(sessions).unwrap_or(0),
            api_keys: u32::try_from(api_keys).unwrap_or(0),
        };
        let notice = templates::password_changed(
            email.as_str(),
            namespace,
            self.links.page(namespace, vocabulary::Page::ForgotPassword),
            outcome.api_keys,
        );
        enqueue(&mut tx, &notice, &self.keys).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    /// Changes the password of a signed-in person. The current password proves it is them (a
    /// wrong one counts toward lockout); the new one meets the same policy as sign-up and
    /// reset. Every other session and every refresh token is revoked, `current_session` is
    /// kept, and the owner is told by mail: all or nothing.
    pub async fn change_password(
        &self,
        authn: &Authn,
        change: PasswordChange<'_>,
    ) -> Result<(), FlowError> {
        let mut tx = authn.begin().await?;
        let user = tx
            .get_user(change.user_id)
            .await?
            .filter(|u| u.disabled_at.is_none())
            .ok_or(FlowError::InvalidLink)?;
        let email = EmailAddress::parse(&user.email).map_err(|_| FlowError::InvalidLink)?;
        crate::session::lock_address(&mut tx, email.as_str()).await?;
        if self.lockout.is_locked(&mut tx, email.as_str()).await? {
            return Err(FlowError::LockedOut);
        }
        let stored = tx.get_credentials(email.as_str()).await?;
        let stored = stored.as_ref().and_then(|c| c.password_hash.as_deref());
        if !self.hasher.verify(change.current, stored).await? {
            tx.record_login_attempt(email.as_str(), false, change.ip_address)
                .await?;
            let namespace = tx.namespace().to_owned();
            crate::activity::record(
                tx.conn(),
                &namespace,
                change.user_id,
                crate::activity::Activity::SignInFailed("current password"),
                ClientInfo {
                    ip_address: change.ip_address,
                    user_agent: None,
                },
            )
            .await?;
            tx.commit().await?;
            return Err(FlowError::WrongCurrentPassword);
        }
        self.check_new_password(&mut tx, &email, &change.new)
            .await?;
        let hash = self.hasher.hash(change.new.password).await?;
        tx.update_password(change.user_id, &hash).await?;
        crate::required_password_change::clear(tx.conn(), authn.namespace(), change.user_id)
            .await?;
        tx.revoke_all_refresh_tokens(change.user_id).await?;
        tx.revoke_other_sessions(change.user_id, change.current_session)
            .await?;
        tx.invalidate_tokens(change.user_id, TokenType::PasswordReset)
            .await?;
        let namespace = authn.namespace();
        crate::activity::record(
            tx.conn(),
            namespace,
            change.user_id,
            crate::activity::Activity::PasswordChanged,
            ClientInfo {
                ip_address: change.ip_address,
                user_agent: None,
            },
        )
        .await?;
        let notice = templates::password_changed_by_owner(
            email.as_str(),
            namespace,
            self.links.page(namespace, vocabulary::Page::ForgotPassword),
        );
        enqueue(&mut tx, &notice, &self.keys).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The step a sign-in owes when an admin set the account's password: its owner chooses
    /// their own (the same policy as everywhere), and the sign-in goes on from the first factor
    /// it proved — a session, or the second step for an account with MFA. A refused password
    /// leaves the pending step usable (the transaction rolls back).
    pub async fn set_required_password(
        &self,
        authn: &Authn,
        pending: &str,
        new: NewPassword<'_>,
        client: ClientInfo<'_>,
    ) -> Result<SignInStep, FlowError> {
        let mut tx = authn.begin().await?;
        let namespace = authn.namespace();
        let step = crate::pending::complete_new_password(tx.conn(), namespace, pending)
            .await?
            .ok_or(FlowError::InvalidLink)?;
        let first = FirstFactor::parse(&step.first_factor).ok_or(FlowError::InvalidLink)?;
        let user = tx
            .get_user(step.user_id)
            .await?
            .filter(|u| u.disabled_at.is_none())
            .ok_or(FlowError::InvalidLink)?;
        let email = EmailAddress::parse(&user.email).map_err(|_| FlowError::InvalidLink)?;
        self.check_new_password(&mut tx, &email, &new).await?;
        let hash = self.hasher.hash(new.password).await?;
        tx.update_password(step.user_id, &hash).await?;
        crate::required_password_change::clear(tx.conn(), namespace, step.user_id).await?;
        crate::activity::record(
            tx.conn(),
            namespace,
            step.user_id,
            crate::activity::Activity::PasswordChanged,
            client,
        )
        .await?;
        let next = crate::session::continue_sign_in(
            &mut tx,
            step.user_id,
            first,
            self.session_lifetime,
            client,
        )
        .await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Mails a link to `new_email` that moves the account there (see [`crate::email_change`]).
    pub async fn request_email_change(
        &self,
        authn: &Authn,
        user_id: Uuid,
        current_email: &str,
        new_email: &str,
    ) -> Result<(), crate::email_change::EmailChangeError> {
        crate::email_change::request(
            authn,
            &self.links,
            &self.keys,
            user_id,
            current_email,
            new_email,
        )
        .await
    }

    /// Uses an e-mail change link; returns the account's new address.
    pub async fn confirm_email_change(
        &self,
        authn: &Authn,
        token: &str,
    ) -> Result<String, crate::email_change::EmailChangeError> {
        crate::email_change::confirm(authn, &self.links, &self.keys, token).await
    }

    /// Codes are short, so their hash is keyed with the deployment's secret and bound to the
    /// account: the same six digits of two users are different values, a guess is tried
    /// against one account only, and a copy of the table does not give the codes away.
    fn email_code_hash(&self, user_id: Uuid, code: &str) -> String {
        self.keys.keyed_hash(&format!("email-code:{user_id}"), code)
    }

    async fn issue_token(
        &self,
        tx: &mut AuthnTx<'_>,
        user_id: Uuid,
        kind: TokenType,
        lifetime: TimeDelta,
    ) -> Result<OpaqueToken, FlowError> {
        let token = OpaqueToken::generate();
        tx.create_token(user_id, &token.hash(), kind, Some(lifetime))
            .await?;
        Ok(token)
    }
}

/// A new account for an address an admin typed; an address that has one is refused (under
/// the address's lock, so two admins cannot both create it).
async fn new_account(
    tx: &mut AuthnTx<'_>,
    email: &EmailAddress,
    password_hash: Option<&str>,
) -> Result<Uuid, FlowError> {
    lock_address(tx, email.as_str()).await?;
    if tx.get_user_by_email(email.as_str()).await?.is_some() {
        return Err(FlowError::AddressTaken);
    }
    Ok(tx.create_user(email.as_str(), password_hash).await?)
}

/// The account of `email` if it exists and is enabled.
async fn enabled_user(
    tx: &mut AuthnTx<'_>,
    email: &EmailAddress,
) -> Result<Option<Uuid>, FlowError> {
    Ok(tx
        .get_user_by_email(email.as_str())
        .await?
        .filter(|u| u.disabled_at.is_none())
        .map(|u| u.user_id))
}

async fn enqueue(tx: &mut AuthnTx<'_>, mail: &Mail, keys: &SecretBox) -> Result<(), FlowError> {
    let namespace = tx.namespace().to_owned();
    outbox::enqueue(tx.conn(), &namespace, mail, keys).await?;
    Ok(())
}

/// A token that is not even well-formed is just a bad link.
fn link_error(err: AuthnError) -> FlowError {
    if err.is_client_error() {
        FlowError::InvalidLink
    } else {
        FlowError::Core(err)
    }
}
