//! Where the auth stand-in "sends" email and SMS: every message is recorded here instead, for tests
//! to read (as `supabase start` catches mail in Inbucket/Mailpit). Public through
//! [`Stack::mailbox`](crate::Stack::mailbox).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

/// What a message is for: the GoTrue template or OTP purpose it stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MessageKind {
    /// "Confirm your signup" (verification type `signup`).
    Confirmation,
    /// "You have been invited" (verification type `invite`).
    Invite,
    /// "Your magic link" (verification type `magiclink`).
    MagicLink,
    /// "Reset your password" (verification type `recovery`).
    Recovery,
    /// "Confirm email change", sent to the new address (`email_change`).
    EmailChangeNew,
    /// "Confirm email change", sent to the current address (`email_change`).
    EmailChangeCurrent,
    /// "Confirm reauthentication": the nonce for `PUT /user`.
    Reauthentication,
    /// An SMS/WhatsApp one-time code for signing in or confirming a phone (`sms`).
    PhoneOtp,
    /// An SMS/WhatsApp code confirming a new phone number (`phone_change`).
    PhoneChange,
    /// An SMS/WhatsApp code for an MFA phone factor challenge.
    MfaPhone,
}

/// One recorded email or SMS. Its `Debug` leaves out the code, the token hash and the link.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Message {
    /// The recipient: an email address (lower case) or a phone number (digits, no `+`).
    pub to: String,
    /// What the message is for.
    pub kind: MessageKind,
    /// `email`, `sms` or `whatsapp`.
    pub channel: String,
    /// The email subject (GoTrue's default subjects), or empty for SMS.
    pub subject: String,
    /// The one-time code in the message.
    pub otp: String,
    /// The hashed token the link carries (`token_hash` for `POST /verify`), when there is a link.
    pub token_hash: Option<String>,
    /// The confirmation link (`<url>/auth/v1/verify?token=..&type=..&redirect_to=..`), for email.
    pub link: Option<String>,
    /// When it was recorded.
    pub sent_at: SystemTime,
}

impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Message")
            .field("to", &self.to)
            .field("kind", &self.kind)
            .field("channel", &self.channel)
            .field("subject", &self.subject)
            .field("sent_at", &self.sent_at)
            .finish_non_exhaustive()
    }
}

/// The stack's recorded emails and SMS, oldest first. Cheap to clone (shared).
#[derive(Debug, Clone, Default)]
pub struct Mailbox {
    messages: Arc<Mutex<Vec<Message>>>,
}

/// Email addresses compare case-insensitively and phone numbers without `+`, spaces or dashes.
fn normalize(to: &str) -> String {
    if to.contains('@') {
        to.trim().to_lowercase()
    } else {
        to.chars().filter(char::is_ascii_digit).collect()
    }
}

impl Mailbox {
    pub(crate) fn record(&self, message: Message) {
        tracing::debug!(to = %message.to, kind = ?message.kind, "auth: message recorded in the mailbox");
        self.lock().push(message);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Message>> {
        self.messages.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Every message recorded so far, oldest first.
    pub fn all(&self) -> Vec<Message> {
        self.lock().clone()
    }

    /// The messages sent to `to` (an email address or a phone number), oldest first.
    pub fn messages(&self, to: &str) -> Vec<Message> {
        let to = normalize(to);
        self.lock().iter().filter(|m| m.to == to).cloned().collect()
    }

    /// The newest message sent to `to`.
    pub fn latest(&self, to: &str) -> Option<Message> {
        let to = normalize(to);
        self.lock().iter().rev().find(|m| m.to == to).cloned()
    }

    /// The one-time code of the newest message sent to `to`.
    pub fn latest_otp(&self, to: &str) -> Option<String> {
        self.latest(to).map(|m| m.otp)
    }

    /// The link of the newest message sent to `to` that has one.
    pub fn latest_link(&self, to: &str) -> Option<String> {
        let to = normalize(to);
        self.lock()
            .iter()
            .rev()
            .find(|m| m.to == to && m.link.is_some())
            .and_then(|m| m.link.clone())
    }

    /// Forgets every message.
    pub fn clear(&self) {
        self.lock().clear();
    }
}
