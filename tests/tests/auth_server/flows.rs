//! Confirmation, OTP, magic link, recovery and PKCE flows through the mailbox.
