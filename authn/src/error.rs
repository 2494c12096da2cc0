//! The client's one error type. Database errors are classified by SQLSTATE so that callers
//! can tell bad input from a conflict without parsing messages; the database's message is kept
//! for logs. No variant carries a secret: the core's messages name fields, never hash values.

/// Result alias used by every client method.
pub type Result<T, E = AuthnError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum AuthnError {
    /// Input rejected by the core's validation (SQLSTATE class 22: null, empty, too long,
    /// malformed, out of range).
    #[error("invalid input ({sqlstate}): {message}")]
    Validation { sqlstate: String, message: String },
    /// A unique constraint (duplicate e-mail or hash in the namespace), SQLSTATE 23505.
    #[error("unique violation: {message}")]
    UniqueViolation {
        constraint: Option<String>,
        message: String,
    },
    /// A reference to something that does not exist (in this namespace), SQLSTATE 23503.
    #[error("foreign key violation: {message}")]
    ForeignKeyViolation {
        constraint: Option<String>,
        message: String,
    },
    /// A CHECK constraint, or an audit row with no partition to go to, SQLSTATE 23514.
    #[error("check violation: {message}")]
    CheckViolation {
        constraint: Option<String>,
        message: String,
    },
    /// Row-level security refused a write, or EXECUTE was not granted, SQLSTATE 42501.
    #[error("permission denied: {message}")]
    PermissionDenied { message: String },
    /// `get_or_create_user` found an existing user that is disabled (the SDK's "User is
    /// disabled" error).
    #[error("User is disabled")]
    UserDisabled,
    /// The database answered a call that always returns a row with no row.
    #[error("{0}")]
    MissingRow(&'static str),
    /// Any other database or connection error.
    #[error("database error: {message}")]
    Database {
        sqlstate: Option<String>,
        message: String,
        #[source]
        source: sqlx::Error,
    },
}

impl AuthnError {
    /// The SQLSTATE reported by PostgreSQL, when the error came from it.
    pub fn sqlstate(&self) -> Option<&str> {
        match self {
            AuthnError::Validation { sqlstate, .. } => Some(sqlstate),
            AuthnError::UniqueViolation { .. } => Some("23505"),
            AuthnError::ForeignKeyViolation { .. } => Some("23503"),
            AuthnError::CheckViolation { .. } => Some("23514"),
            AuthnError::PermissionDenied { .. } => Some("42501"),
            AuthnError::Database { sqlstate, .. } => sqlstate.as_deref(),
            AuthnError::UserDisabled | AuthnError::MissingRow(_) => None,
        }
    }

    /// The database's (or the client's) message, for logs.
    pub fn message(&self) -> String {
        match self {
            AuthnError::Validation { message, .. }
            | AuthnError::UniqueViolation { message, .. }
            | AuthnError::ForeignKeyViolation { message, .. }
            | AuthnError::CheckViolation { message, .. }
            | AuthnError::PermissionDenied { message }
            | AuthnError::Database { message, .. } => message.clone(),
            other => other.to_string(),
        }
    }

    /// True for errors caused by the caller's input (validation, conflicts, bad references).
    pub fn is_client_error(&self) -> bool {
        matches!(
            self,
            AuthnError::Validation { .. }
                | AuthnError::UniqueViolation { .. }
                | AuthnError::ForeignKeyViolation { .. }
                | AuthnError::CheckViolation { .. }
                | AuthnError::UserDisabled
        )
    }
}

impl From<sqlx::Error> for AuthnError {
    fn from(err: sqlx::Error) -> Self {
        let Some(db) = err.as_database_error() else {
            return AuthnError::Database {
                sqlstate: None,
                message: err.to_string(),
                source: err,
            };
        };
        let message = db.message().to_owned();
        let constraint = db.constraint().map(str::to_owned);
        let code = db.code().map(|c| c.into_owned());
        match code.as_deref() {
            Some("23505") => AuthnError::UniqueViolation {
                constraint,
                message,
            },
            Some("23503") => AuthnError::ForeignKeyViolation {
                constraint,
                message,
            },
            Some("23514") => AuthnError::CheckViolation {
                constraint,
                message,
            },
            Some("42501") => AuthnError::PermissionDenied { message },
            Some(c) if c.starts_with("22") => AuthnError::Validation {
                sqlstate: c.to_owned(),
                message,
            },
            _ => AuthnError::Database {
                sqlstate: code,
                message,
                source: err,
            },
        }
    }
}
