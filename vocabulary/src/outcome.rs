//! What a finished action says: the server redirects to the page it came from (a user's page in
//! the admin console, the support-access pages) with `?done=<word>`, and the page words it
//! (never echoing the query).

crate::words! {
    /// The outcome of an action on a user's page.
    pub enum Done {
        CreatedInvite = "created_invite",
        CreatedPassword = "created_password",
        Disabled = "disabled",
        Enabled = "enabled",
        SessionRevoked = "session_revoked",
        SessionsRevoked = "sessions_revoked",
        MethodRemoved = "method_removed",
        MethodsReset = "methods_reset",
        KeyRevoked = "key_revoked",
        ResetSent = "reset_sent",
        VerificationSent = "verification_sent",
        Verified = "verified",
        Unlocked = "unlocked",
        SupportRequested = "support_requested",
        SupportApproved = "support_approved",
        SupportDenied = "support_denied",
    }
}

impl Done {
    /// The query parameter that carries it.
    pub const QUERY: &'static str = "done";
}
