//! A program's sign-in over the JSON API: the same sign-in as the web's (lockout, attempts,
//! activity, the second step), ending in a token pair instead of a cookie — a short-lived
//! signed access token ([`crate::api_tokens`]) and an opaque refresh token (256 bits, stored
//! only as its SHA-256 through the core's refresh-token functions) that rotates on every use.
//!
//! A sign-in is a flow of steps. Its first flow id seals the address (nothing is stored and
//! nothing reveals whether an account exists: every address is offered the same methods); after
//! a password, an account with two-step verification gets the pending sign-in's token as the
//! next flow id, as the web keeps it in a cookie.

use authn::Authn;
use chrono::{DateTime, TimeDelta, Utc};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api_tokens::TokenKeys;
use crate::caller::Principal;
use crate::second_factor::{SecondFactor, SecondFactorError};
use crate::session::{ClientInfo, SignInStep, SignedIn};
use crate::signin::{SignInError, SignInRequest, SignInService};
use crate::token::{hash_token, OpaqueToken};
use crate::{AccountFlows, FlowError, SecretBox, SecuritySettings};

/// How long a first-step flow id stays usable.
pub const FLOW_LIFETIME: TimeDelta = TimeDelta::minutes(10);

const FLOW_CONTEXT: &str = "api-sign-in-flow";
const FIRST: &str = "f.";
const SECOND: &str = "p.";

/// Why a step or a refresh was refused. Developer text only: the API words its errors.
#[derive(Debug, thiserror::Error)]
pub enum ApiSignInError {
    #[error("wrong address or password, or an account that may not sign in")]
    InvalidCredentials,
    #[error("locked out")]
    LockedOut,
    #[error("the address is not confirmed")]
    EmailNotVerified,
    #[error("an admin set this password; its owner must choose one first")]
    PasswordChangeRequired,
    #[error("no such flow, or it expired or was used")]
    UnknownFlow,
    #[error("this step does not take that method")]
    MethodNotAllowed,
    #[error("the code is wrong or used")]
    WrongCode,
    #[error("too many wrong codes: sign in again")]
    TooManyAttempts,
    #[error("the refresh token is unknown, used up, revoked or expired")]
    InvalidToken,
    #[error("a refresh token was presented twice: its family and session are revoked")]
    TokenReused,
    #[error("the namespace requires two-step verification, which the account has not set up")]
    TwoStepSetupRequired,
    #[error("internal error: {0}")]
    Internal(#[from] crate::Internal),
}

crate::internal::internal_from!(ApiSignInError);

impl From<SignInError> for ApiSignInError {
    fn from(e: SignInError) -> Self {
        match e {
            SignInError::InvalidCredentials => ApiSignInError::InvalidCredentials,
            SignInError::LockedOut { .. } => ApiSignInError::LockedOut,
            SignInError::EmailNotVerified => ApiSignInError::EmailNotVerified,
            SignInError::Internal(e) => ApiSignInError::Internal(e),
        }
    }
}

impl From<FlowError> for ApiSignInError {
    fn from(e: FlowError) -> Self {
        match e {
            FlowError::LockedOut => ApiSignInError::LockedOut,
            FlowError::InvalidLink => ApiSignInError::InvalidToken,
            FlowError::Internal(e) => ApiSignInError::Internal(e),
            // A wrong or used code, an address that is no address: the usual refusal.
            _ => ApiSignInError::InvalidCredentials,
        }
    }
}

impl From<SecondFactorError> for ApiSignInError {
    fn from(e: SecondFactorError) -> Self {
        match e {
            SecondFactorError::Expired => ApiSignInError::UnknownFlow,
            SecondFactorError::WrongCode
            | SecondFactorError::WrongRecoveryCode
            | SecondFactorError::RecoveryCodeUsed => ApiSignInError::WrongCode,
            SecondFactorError::TooManyAttempts => ApiSignInError::TooManyAttempts,
            SecondFactorError::LockedOut => ApiSignInError::LockedOut,
            SecondFactorError::Internal(e) => ApiSignInError::Internal(e),
            // A sealed secret that no longer opens, a passkey state that does not read back.
            other => {
                tracing::error!(error = ?other, "second step failed below the rules");
                ApiSignInError::Internal(sqlx::Error::Protocol("second step".into()).into())
            }
        }
    }
}

/// A sign-in method a step can take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Password,
    /// A 6-digit code mailed to the address (ask for it first).
    EmailCode,
    Totp,
    RecoveryCode,
}

impl Method {
    /// Every method, in the order flows offer them.
    pub const ALL: [Method; 4] = [
        Method::Password,
        Method::EmailCode,
        Method::Totp,
        Method::RecoveryCode,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Method::Password => "password",
            Method::EmailCode => "email_code",
            Method::Totp => "totp",
            Method::RecoveryCode => "recovery_code",
        }
    }

    pub fn parse(text: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.as_str() == text)
    }
}

/// What a step is given.
#[derive(Clone, Copy, Debug)]
pub enum Credential<'a> {
    Password(&'a SecretString),
    EmailCode(&'a str),
    Totp(&'a str),
    RecoveryCode(&'a str),
}

/// A flow waiting for its next step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flow {
    pub id: String,
    pub allowed_methods: Vec<Method>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// Where a step led.
#[derive(Debug)]
pub enum Step {
    Tokens(TokenPair),
    Next(Flow),
}

/// The pair a finished sign-in or a refresh hands out.
#[derive(Debug)]
pub struct TokenPair {
    pub access_token: String,
    pub access_expires_at: DateTime<Utc>,
    pub refresh_token: OpaqueToken,
    pub refresh_expires_at: DateTime<Utc>,
    pub user_id: Uuid,
    pub session_id: Uuid,
    pub roles: Vec<String>,
}

/// The session a pair is for.
struct SignedInSession {
    user_id: Uuid,
    session_id: Uuid,
}

impl SignedInSession {
    fn of(signed_in: &SignedIn) -> SignedInSession {
        SignedInSession {
            user_id: signed_in.user_id,
            session_id: signed_in.session_id,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct SealedFlow {
    /// The address typed.
    e: String,
    /// The namespace it was typed for.
    n: String,
    /// Until when (Unix seconds).
    x: i64,
}

/// The API's sign-in and tokens: the signing keys, the refresh tokens' lifetime (which is also
/// the API session's), and what seals flow ids.
#[derive(Clone)]
pub struct ApiSessions {
    keys: std::sync::Arc<TokenKeys>,
    refresh_lifetime: TimeDelta,
    sign_in: SignInService,
    flows: AccountFlows,
    seal: SecretBox,
    operator_namespace: String,
}

impl std::fmt::Debug for ApiSessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiSessions")
            .field("keys", &self.keys)
            .field("refresh_lifetime", &self.refresh_lifetime)
            .finish_non_exhaustive()
    }
}

impl ApiSessions {
    /// `sign_in`, `flows`: the web's services (lockout, hasher, mail). An API session lasts
    /// `refresh_lifetime` (1 hour to 90 days) from its sign-in, however often it is refreshed:
    /// a refresh token is worth at most what is left of its session.
    pub fn new(
        keys: TokenKeys,
        refresh_lifetime: TimeDelta,
        sign_in: &SignInService,
        flows: &AccountFlows,
        seal: SecretBox,
        operator_namespace: impl Into<String>,
    ) -> Result<ApiSessions, String> {
        if refresh_lifetime < TimeDelta::hours(1) || refresh_lifetime > TimeDelta::days(90) {
            return Err("the refresh token lifetime must be 1 hour to 90 days".into());
        }
        Ok(ApiSessions {
            keys: std::sync::Arc::new(keys),
            refresh_lifetime,
            sign_in: sign_in.with_session_lifetime(refresh_lifetime),
            flows: flows.with_session_lifetime(refresh_lifetime),
            seal,
            operator_namespace: operator_namespace.into(),
        })
    }

    pub fn keys(&self) -> &TokenKeys {
        &self.keys
    }

    /// Starts a sign-in for `email` in `namespace`. Every address gets the same answer.
    pub fn start(&self, namespace: &str, email: &str, now: DateTime<Utc>) -> Flow {
        let expires_at = now + FLOW_LIFETIME;
        let sealed = SealedFlow {
            e: email.trim().to_owned(),
            n: namespace.to_owned(),
            x: expires_at.timestamp(),
        };
        // Plain strings and a number: serialises infallibly.
        let plain = serde_json::to_vec(&sealed).unwrap_or_default();
        Flow {
            id: format!("{FIRST}{}", self.seal.seal(&plain, FLOW_CONTEXT)),
            allowed_methods: vec![Method::Password, Method::EmailCode],
            expires_at: Some(expires_at),
        }
    }

    /// Completes one step of flow `flow_id` in `authn`'s namespace with `credential`.
    #[tracing::instrument(skip_all)]
    pub async fn step(
        &self,
        authn: &Authn,
        security: &SecuritySettings,
        flow_id: &str,
        credential: Credential<'_>,
        client: ClientInfo<'_>,
        now: DateTime<Utc>,
    ) -> Result<Step, ApiSignInError> {
        if flow_id.starts_with(FIRST) {
            let flow = self.open_first(authn, flow_id, now)?;
            let step = match credential {
                Credential::Password(password) => {
                    let request = SignInRequest {
                        email: &flow.e,
                        password,
                        ip_address: client.ip_address,
                        user_agent: client.user_agent,
                    };
                    let mut signing = self.sign_in.sign_in_uncommitted(authn, request).await?;
                    if let SignInStep::SignedIn(signed_in) = signing.step() {
                        // The session and its first refresh token land together, in one
                        // transaction: no session without its tokens, and one pool checkout,
                        // BEGIN, context and COMMIT fewer.
                        let session = SignedInSession::of(signed_in);
                        let issued = match self
                            .issue_in(signing.tx(), authn.namespace(), &session)
                            .await
                        {
                            Ok(issued) => issued,
                            Err(e) => {
                                signing.abandon();
                                return Err(e.into());
                            }
                        };
                        signing.commit().await?;
                        return issued
                            .map(Step::Tokens)
                            .ok_or(ApiSignInError::TwoStepSetupRequired);
                    }
                    signing.commit().await?
                }
                Credential::EmailCode(code) => {
                    self.flows
                        .sign_in_with_email_code(authn, &flow.e, code, client)
                        .await?
                }
                _ => return Err(ApiSignInError::MethodNotAllowed),
            };
            return self.after_first_factor(authn, step).await;
        }
        let pending = flow_id
            .strip_prefix(SECOND)
            .filter(|p| !p.is_empty() && p.len() <= 128)
            .ok_or(ApiSignInError::UnknownFlow)?;
        let factor = match credential {
            Credential::Totp(code) => SecondFactor::Totp(code),
            Credential::RecoveryCode(code) => SecondFactor::RecoveryCode(code),
            Credential::Password(_) | Credential::EmailCode(_) => {
                return Err(ApiSignInError::MethodNotAllowed)
            }
        };
        let signed_in = self
            .sign_in
            .complete_second_factor(authn, security, pending, factor, client)
            .await?;
        Ok(Step::Tokens(
            self.issue(authn, &SignedInSession::of(&signed_in)).await?,
        ))
    }

    /// Mails a sign-in code to flow `flow_id`'s address (if it has an enabled account: the
    /// answer is the same either way), for its `email_code` step.
    #[tracing::instrument(skip_all)]
    pub async fn request_email_code(
        &self,
        authn: &Authn,
        flow_id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ApiSignInError> {
        let flow = self.open_first(authn, flow_id, now)?;
        self.request_email_code_for(authn, &flow.e).await
    }

    /// Mails a sign-in code to `email` if it has an enabled account (the same answer for every
    /// address, a malformed one included).
    #[tracing::instrument(skip_all)]
    pub async fn request_email_code_for(
        &self,
        authn: &Authn,
        email: &str,
    ) -> Result<(), ApiSignInError> {
        match self.flows.request_email_code(authn, email).await {
            Ok(()) | Err(FlowError::InvalidEmail(_)) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Asks for a sign-in link mailed to `email` (same answer for every address).
    #[tracing::instrument(skip_all)]
    pub async fn request_magic_link(&self, authn: &Authn, email: &str) -> Result<(), FlowError> {
        self.flows.request_magic_link(authn, email).await
    }

    /// Signs in with a mailed link's token: tokens, or the second step.
    #[tracing::instrument(skip_all)]
    pub async fn sign_in_with_magic_link(
        &self,
        authn: &Authn,
        token: &str,
        client: ClientInfo<'_>,
    ) -> Result<Step, ApiSignInError> {
        let step = self
            .flows
            .sign_in_with_magic_link(authn, token, client)
            .await?;
        self.after_first_factor(authn, step).await
    }

    /// A first-step flow id's sealed address, if it is this namespace's and still fresh.
    fn open_first(
        &self,
        authn: &Authn,
        flow_id: &str,
        now: DateTime<Utc>,
    ) -> Result<SealedFlow, ApiSignInError> {
        flow_id
            .strip_prefix(FIRST)
            .and_then(|sealed| self.seal.open(sealed, FLOW_CONTEXT).ok())
            .and_then(|plain| serde_json::from_slice::<SealedFlow>(&plain).ok())
            .filter(|f| f.n == authn.namespace() && f.x > now.timestamp())
            .ok_or(ApiSignInError::UnknownFlow)
    }

    /// Where a proven first factor leads: tokens, or the second step's flow.
    async fn after_first_factor(
        &self,
        authn: &Authn,
        step: SignInStep,
    ) -> Result<Step, ApiSignInError> {
        match step {
            SignInStep::SignedIn(signed_in) => Ok(Step::Tokens(
                self.issue(authn, &SignedInSession::of(&signed_in)).await?,
            )),
            SignInStep::SecondFactorRequired { pending, .. } => {
                let methods = self
                    .sign_in
                    .second_factor_methods(authn, pending.expose())
                    .await?
                    .ok_or(ApiSignInError::UnknownFlow)?;
                let mut allowed = Vec::new();
                if methods.totp {
                    allowed.push(Method::Totp);
                }
                if methods.recovery_codes > 0 {
                    allowed.push(Method::RecoveryCode);
                }
                if allowed.is_empty() {
                    // Passkeys only: a program cannot hold one. Nothing it can finish.
                    return Err(ApiSignInError::InvalidCredentials);
                }
                Ok(Step::Next(Flow {
                    id: format!("{SECOND}{}", pending.expose()),
                    allowed_methods: allowed,
                    expires_at: None,
                }))
            }
            SignInStep::NewPasswordRequired { .. } => Err(ApiSignInError::PasswordChangeRequired),
        }
    }

    /// Tokens for a session a sign-in just opened: the first of a new refresh family.
    async fn issue(
        &self,
        authn: &Authn,
        session: &SignedInSession,
    ) -> Result<TokenPair, ApiSignInError> {
        let mut tx = authn.begin().await?;
        let issued = self.issue_in(&mut tx, authn.namespace(), session).await?;
        tx.commit().await?;
        issued.ok_or(ApiSignInError::TwoStepSetupRequired)
    }

    /// [`ApiSessions::issue`] inside the caller's transaction. `None` when the namespace requires
    /// two-step verification the account does not have: the session is revoked again (in the
    /// same transaction), as a sign-in that cannot be used goes again.
    async fn issue_in(
        &self,
        tx: &mut authn::AuthnTx<'_>,
        namespace: &str,
        session: &SignedInSession,
    ) -> Result<Option<TokenPair>, authn::AuthnError> {
        let Some(roles) = self.roles(tx, session.user_id).await? else {
            tx.revoke_session_by_id(session.session_id, session.user_id)
                .await?;
            return Ok(None);
        };
        let refresh = OpaqueToken::generate();
        let created = tx
            .create_refresh_token(
                session.session_id,
                &refresh.hash(),
                Some(self.refresh_lifetime),
            )
            .await?;
        Ok(Some(self.pair(
            namespace,
            session,
            roles,
            refresh,
            created.expires_at,
        )))
    }

    /// A new access token beside refresh token `refresh` (good until `refresh_expires_at`).
    fn pair(
        &self,
        namespace: &str,
        session: &SignedInSession,
        roles: Vec<String>,
        refresh: OpaqueToken,
        refresh_expires_at: DateTime<Utc>,
    ) -> TokenPair {
        let (access_token, access_expires_at) = self.keys.issue(
            session.user_id,
            session.session_id,
            namespace,
            roles.clone(),
            Utc::now(),
        );
        TokenPair {
            access_token,
            access_expires_at,
            refresh_token: refresh,
            refresh_expires_at,
            user_id: session.user_id,
            session_id: session.session_id,
            roles,
        }
    }

    /// A new pair for the caller's own session after something revoked its refresh tokens (a
    /// password change keeps the session it was made from but ends every refresh family).
    #[tracing::instrument(skip_all)]
    pub async fn reissue(&self, caller: &Principal) -> Result<TokenPair, ApiSignInError> {
        self.issue(
            &caller.authn,
            &SignedInSession {
                user_id: caller.user_id,
                session_id: caller.session_id,
            },
        )
        .await
    }

    /// The roles an access token names: `user`, then `admin` and `operator` where they apply —
    /// but not while the console's two-step verification is due (an admin without a second
    /// factor is no admin to a relying party either). `None` when the namespace requires two-step
    /// verification of every account and this one has none: no token at all, as the web lets
    /// such a person do nothing but set it up.
    async fn roles(
        &self,
        tx: &mut authn::AuthnTx<'_>,
        user_id: Uuid,
    ) -> Result<Option<Vec<String>>, authn::AuthnError> {
        let held = crate::roles::roles_of(tx, user_id, &self.operator_namespace).await?;
        let due_for_console = held.privileged() && held.console_requires_mfa;
        let enrolled = if held.accounts_require_mfa || due_for_console {
            let second_factors = [
                authn::MfaType::Totp.as_str(),
                authn::MfaType::Webauthn.as_str(),
            ];
            tx.list_mfa(user_id)
                .await?
                .iter()
                .any(|m| second_factors.contains(&m.mfa_type.as_str()))
        } else {
            true
        };
        if held.accounts_require_mfa && !enrolled {
            return Ok(None);
        }
        let mut roles = vec!["user".to_owned()];
        if !due_for_console || enrolled {
            if held.admin {
                roles.push("admin".into());
            }
            if held.operator {
                roles.push("operator".into());
            }
        }
        Ok(Some(roles))
    }

    /// Exchanges refresh token `presented` for a new pair. A token presented a second time (its
    /// successor already issued) is taken as stolen: the core revokes its whole family, and the
    /// session goes with it, so whoever holds either copy must sign in again (`TokenReused`).
    /// Concurrent uses of one token are serialised by the core (decision D10), so of many at
    /// once exactly one succeeds and the rest see the reuse.
    #[tracing::instrument(skip_all)]
    pub async fn refresh(
        &self,
        authn: &Authn,
        presented: &str,
    ) -> Result<TokenPair, ApiSignInError> {
        let presented = presented.trim();
        if presented.is_empty() || presented.len() > 128 {
            return Err(ApiSignInError::InvalidToken);
        }
        let old_hash = hash_token(presented);
        let new = OpaqueToken::generate();
        let mut tx = authn.begin().await?;
        let Some(rotated) = tx
            .rotate_refresh_token(&old_hash, &new.hash(), Some(self.refresh_lifetime))
            .await?
        else {
            let reused = tx.replaced_refresh_token(&old_hash).await?;
            if let Some(reused) = &reused {
                tx.revoke_session_by_id(reused.session_id, reused.user_id)
                    .await?;
            }
            // The core's reuse detection (family revoked, audited) is kept either way.
            tx.commit().await?;
            return Err(match reused {
                Some(_) => ApiSignInError::TokenReused,
                None => ApiSignInError::InvalidToken,
            });
        };
        let Some(roles) = self.roles(&mut tx, rotated.user_id).await? else {
            // The namespace began to require two-step verification since: this session ends.
            tx.revoke_session_by_id(rotated.session_id, rotated.user_id)
                .await?;
            tx.commit().await?;
            return Err(ApiSignInError::TwoStepSetupRequired);
        };
        // The session does not slide: the new token is worth no more than what is left of it.
        let session_ends = tx
            .list_sessions(rotated.user_id)
            .await?
            .into_iter()
            .find(|s| s.session_id == rotated.session_id)
            .map(|s| s.expires_at);
        tx.commit().await?;
        Ok(self.pair(
            authn.namespace(),
            &SignedInSession {
                user_id: rotated.user_id,
                session_id: rotated.session_id,
            },
            roles,
            new,
            session_ends.map_or(rotated.expires_at, |e| e.min(rotated.expires_at)),
        ))
    }

    /// Signs the caller's program out: its session (and so its refresh tokens), or with `all`
    /// every session and refresh token of the account.
    #[tracing::instrument(skip_all)]
    pub async fn sign_out(&self, caller: &Principal, all: bool) -> Result<(), ApiSignInError> {
        let mut tx = caller.authn.begin().await?;
        if all {
            tx.revoke_all_sessions(caller.user_id).await?;
            tx.revoke_all_refresh_tokens(caller.user_id).await?;
        } else {
            tx.revoke_session_by_id(caller.session_id, caller.user_id)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
