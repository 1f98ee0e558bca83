//! MFA with real TOTP codes, and the admin API.
