//! The kinds of entry in an account's own security activity (`gatehouse.account_activity`,
//! migration 11): written by the identity services, worded by the security overview.

crate::words! {
    /// What happened to the account.
    pub enum ActivityKind {
        SignIn = "sign_in",
        SignInFailed = "sign_in_failed",
        PasswordChanged = "password_changed",
        PasswordReset = "password_reset",
        MfaAdded = "mfa_added",
        MfaRemoved = "mfa_removed",
        RecoveryCodesRegenerated = "recovery_codes_regenerated",
        ApiKeyCreated = "api_key_created",
        ApiKeyRevoked = "api_key_revoked",
        EmailChanged = "email_changed",
    }
}
