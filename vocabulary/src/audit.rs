//! The event types an audit trail can hold: the core's (spec §6.4) and the console's own
//! (`lockout_cleared`, `namespace_settings_updated`, the `support_access_*` events of consent,
//! `role_granted`, `support_user_viewed`; migrations 14, 15, 31 and 42).

crate::words! {
    /// One kind of audit event, as stored in `event_type`.
    pub enum EventType {
        UserCreated = "user_created",
        UserUpdated = "user_updated",
        UserDisabled = "user_disabled",
        UserEnabled = "user_enabled",
        UserDeleted = "user_deleted",
        PasswordUpdated = "password_updated",
        EmailUpdated = "email_updated",
        EmailVerified = "email_verified",
        SessionCreated = "session_created",
        SessionExtended = "session_extended",
        SessionRevoked = "session_revoked",
        SessionsRevokedAll = "sessions_revoked_all",
        SessionsRevokedOther = "sessions_revoked_other",
        TokenCreated = "token_created",
        TokenConsumed = "token_consumed",
        RefreshTokenCreated = "refresh_token_created",
        RefreshTokenRotated = "refresh_token_rotated",
        RefreshTokenReuseDetected = "refresh_token_reuse_detected",
        RefreshTokenFamilyRevoked = "refresh_token_family_revoked",
        RefreshTokensRevokedAll = "refresh_tokens_revoked_all",
        ApiKeyCreated = "api_key_created",
        ApiKeyRevoked = "api_key_revoked",
        ApiKeysRevokedAll = "api_keys_revoked_all",
        MfaAdded = "mfa_added",
        MfaRemoved = "mfa_removed",
        MfaUsed = "mfa_used",
        LoginAttemptFailed = "login_attempt_failed",
        LockoutTriggered = "lockout_triggered",
        ImpersonationStarted = "impersonation_started",
        ImpersonationEnded = "impersonation_ended",
        LockoutCleared = "lockout_cleared",
        NamespaceSettingsUpdated = "namespace_settings_updated",
        SupportAccessRequested = "support_access_requested",
        SupportAccessApproved = "support_access_approved",
        SupportAccessDenied = "support_access_denied",
        SupportAccessBreakGlass = "support_access_break_glass",
        RoleGranted = "role_granted",
        SupportUserViewed = "support_user_viewed",
    }
}

impl EventType {
    /// How the consoles word it (the stored code stays beside it, for search and export).
    pub const fn label(self) -> &'static str {
        match self {
            EventType::UserCreated => "Account created",
            EventType::UserUpdated => "Account updated",
            EventType::UserDisabled => "Account disabled",
            EventType::UserEnabled => "Account enabled",
            EventType::UserDeleted => "Account deleted",
            EventType::PasswordUpdated => "Password changed",
            EventType::EmailUpdated => "Email address changed",
            EventType::EmailVerified => "Email address confirmed",
            EventType::SessionCreated => "Signed in",
            EventType::SessionExtended => "Session extended",
            EventType::SessionRevoked => "Signed out",
            EventType::SessionsRevokedAll => "Signed out everywhere",
            EventType::SessionsRevokedOther => "Signed out other devices",
            EventType::TokenCreated => "One-time link or code issued",
            EventType::TokenConsumed => "One-time link or code used",
            EventType::RefreshTokenCreated => "API sign-in (refresh token issued)",
            EventType::RefreshTokenRotated => "API tokens refreshed",
            EventType::RefreshTokenReuseDetected => "Reused refresh token detected",
            EventType::RefreshTokenFamilyRevoked => "API sign-in ended",
            EventType::RefreshTokensRevokedAll => "Every API sign-in ended",
            EventType::ApiKeyCreated => "API key created",
            EventType::ApiKeyRevoked => "API key revoked",
            EventType::ApiKeysRevokedAll => "Every API key revoked",
            EventType::MfaAdded => "Sign-in method added",
            EventType::MfaRemoved => "Sign-in method removed",
            EventType::MfaUsed => "Second step passed",
            EventType::LoginAttemptFailed => "Sign-in failed",
            EventType::LockoutTriggered => "Locked out after failed sign-ins",
            EventType::ImpersonationStarted => "Impersonation started",
            EventType::ImpersonationEnded => "Impersonation ended",
            EventType::LockoutCleared => "Lockout cleared",
            EventType::NamespaceSettingsUpdated => "Organisation settings changed",
            EventType::SupportAccessRequested => "Support access requested",
            EventType::SupportAccessApproved => "Support access approved",
            EventType::SupportAccessDenied => "Support access denied",
            EventType::SupportAccessBreakGlass => "Support access without approval (break glass)",
            EventType::RoleGranted => "Admin or operator role granted",
            EventType::SupportUserViewed => "Viewed by platform support",
        }
    }
}

crate::words! {
    /// One kind of operator audit event (`authn.operator_audit_events.event_type`, spec §2.11).
    pub enum OperatorEventType {
        Started = "operator_impersonation_started",
        Ended = "operator_impersonation_ended",
        Requested = "support_access_requested",
        Approved = "support_access_approved",
        Denied = "support_access_denied",
        BreakGlass = "support_access_break_glass",
    }
}

impl OperatorEventType {
    /// How the consoles word it.
    pub const fn label(self) -> &'static str {
        match self {
            OperatorEventType::Started => "Support access started",
            OperatorEventType::Ended => "Support access ended",
            OperatorEventType::Requested => "Support access requested",
            OperatorEventType::Approved => "Support access approved",
            OperatorEventType::Denied => "Support access denied",
            OperatorEventType::BreakGlass => {
                "Support access started without approval (break glass)"
            }
        }
    }
}
