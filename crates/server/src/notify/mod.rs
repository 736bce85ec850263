//! Notifiers: the senders that drain the notification outbox through the
//! configured channels (webhook, chat, ntfy, SMS, voice, log).
//!
//! Filled by the notifications issue.
