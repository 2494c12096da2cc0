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

crate::words! {
    /// A finished flow's notice flag: the server redirects with `?<word>=1` (or a count for
    /// `revoked`), and the page shows its sentence while the flag is there.
    pub enum Notice {
        /// An impersonation or support access was ended by the person in it.
        Ended = "ended",
        /// A support access was ended from the operator console.
        Stopped = "stopped",
        /// A setting was saved.
        Saved = "saved",
        /// A mail (link or code) is on its way.
        Sent = "sent",
        /// The password or address was changed.
        Changed = "changed",
        /// Keys were revoked (the value is how many).
        Revoked = "revoked",
    }
}

impl Notice {
    /// The query pair that raises the flag.
    pub const fn flag(self) -> (&'static str, &'static str) {
        (self.as_str(), "1")
    }
}

crate::words! {
    /// An admin's decision on a support access request, as the form posts it.
    pub enum SupportDecision {
        Approve = "approve",
        Deny = "deny",
    }
}
