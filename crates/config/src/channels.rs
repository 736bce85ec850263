//! Channels (where notifications go), integrations (what may send alerts
//! in) and the secrets both hold.

use crate::diagnostic::Pos;
use crate::document::Sourced;
use crate::raw::{ChannelType, RawChannel, RawIntegration, SecretSource};
use crate::validate::{Validator, is_phone_number};
use pagerbound_core::channel::TwilioApi;
use pagerbound_core::token::TokenDigest;
use pagerbound_core::{Channel, ChannelKind, Integration, Secret};
use url::Url;

impl Validator<'_> {
    pub(crate) fn channel(&mut self, sourced: &Sourced<RawChannel>) -> Option<Channel> {
        let raw = &sourced.item.value;
        let kind = raw.kind.value;
        let type_name = match kind {
            ChannelType::Webhook => "webhook",
            ChannelType::Chat => "chat",
            ChannelType::Ntfy => "ntfy",
            ChannelType::Sms => "sms",
            ChannelType::Voice => "voice",
            ChannelType::Log => "log",
        };
        // Each field applies to some types only; a field given to a type that
        // ignores it is a mistake worth pointing at.
        let fields: [(&str, Option<Pos>, &[ChannelType]); 8] = [
            (
                "url",
                raw.url.as_ref().map(|v| sourced.at(v)),
                &[ChannelType::Webhook, ChannelType::Chat],
            ),
            (
                "signing_secret",
                raw.signing_secret.as_ref().map(|v| sourced.at(v)),
                &[ChannelType::Webhook],
            ),
            (
                "server",
                raw.server.as_ref().map(|v| sourced.at(v)),
                &[ChannelType::Ntfy],
            ),
            (
                "token",
                raw.token.as_ref().map(|v| sourced.at(v)),
                &[ChannelType::Ntfy],
            ),
            (
                "api_url",
                raw.api_url.as_ref().map(|v| sourced.at(v)),
                &[ChannelType::Sms, ChannelType::Voice],
            ),
            (
                "account_sid",
                raw.account_sid.as_ref().map(|v| sourced.at(v)),
                &[ChannelType::Sms, ChannelType::Voice],
            ),
            (
                "auth_token",
                raw.auth_token.as_ref().map(|v| sourced.at(v)),
                &[ChannelType::Sms, ChannelType::Voice],
            ),
            (
                "from",
                raw.from.as_ref().map(|v| sourced.at(v)),
                &[ChannelType::Sms, ChannelType::Voice],
            ),
        ];
        for (field, at, applies_to) in &fields {
            if let Some(at) = at
                && !applies_to.contains(&kind)
            {
                self.diagnostics.error(
                    at,
                    format!("field `{field}` does not apply to a `{type_name}` channel"),
                );
            }
        }
        let errors_before = self.diagnostics.error_count();
        let channel_kind = match kind {
            ChannelType::Webhook | ChannelType::Chat => {
                let url = self.required(sourced, raw.url.as_ref(), "url", type_name);
                let url = url.and_then(|url| {
                    let secret = self.secret(&sourced.at(url), &url.value, true)?;
                    self.http_url(&sourced.at(url), secret.expose(), "url")?;
                    Some(secret)
                });
                if kind == ChannelType::Chat {
                    ChannelKind::Chat { url: url? }
                } else {
                    let signing_secret = match &raw.signing_secret {
                        Some(s) => Some(self.secret(&sourced.at(s), &s.value, false)?),
                        None => None,
                    };
                    ChannelKind::Webhook {
                        url: url?,
                        signing_secret,
                    }
                }
            }
            ChannelType::Ntfy => {
                let server = match &raw.server {
                    Some(server) => self.http_url(&sourced.at(server), &server.value, "server"),
                    None => Url::parse("https://ntfy.sh").ok(),
                };
                let token = match &raw.token {
                    Some(t) => Some(self.secret(&sourced.at(t), &t.value, false)?),
                    None => None,
                };
                ChannelKind::Ntfy {
                    server: server?,
                    token,
                }
            }
            ChannelType::Sms | ChannelType::Voice => {
                let api_url = match &raw.api_url {
                    Some(api) => self.http_url(&sourced.at(api), &api.value, "api_url"),
                    None => Url::parse("https://api.twilio.com").ok(),
                };
                let account_sid =
                    self.required(sourced, raw.account_sid.as_ref(), "account_sid", type_name);
                let auth_token = self
                    .required(sourced, raw.auth_token.as_ref(), "auth_token", type_name)
                    .and_then(|t| self.secret(&sourced.at(t), &t.value, false));
                let from = self.required(sourced, raw.from.as_ref(), "from", type_name);
                if let Some(from) = from
                    && !is_phone_number(&from.value)
                {
                    self.diagnostics.error(
                        &sourced.at(from),
                        format!(
                            "`{}` is not a phone number in E.164 form, e.g. `+353861234567`",
                            from.value
                        ),
                    );
                }
                let api = TwilioApi {
                    api_url: api_url?,
                    account_sid: account_sid?.value.clone(),
                    auth_token: auth_token?,
                    from: from?.value.clone(),
                };
                if kind == ChannelType::Sms {
                    ChannelKind::Sms(api)
                } else {
                    ChannelKind::Voice(api)
                }
            }
            ChannelType::Log => ChannelKind::Log,
        };
        let min_interval = match &raw.min_interval {
            Some(text) => match text.value.parse::<pagerbound_core::Duration>() {
                Ok(duration) => Some(duration.to_signed()),
                Err(error) => {
                    self.diagnostics
                        .error(&sourced.at(text), format!("min_interval: {error}"));
                    None
                }
            },
            None => None,
        };
        (self.diagnostics.error_count() == errors_before).then(|| Channel {
            name: raw.name.value.clone(),
            kind: channel_kind,
            min_interval,
        })
    }

    pub(crate) fn integration(&mut self, sourced: &Sourced<RawIntegration>) -> Option<Integration> {
        let raw = &sourced.item.value;
        let at = sourced.at(&raw.token);
        let token = match &raw.token.value {
            SecretSource::Sha256(hex) => TokenDigest::from_hex(hex).or_else(|| {
                self.diagnostics.error(
                    &at,
                    "`sha256` must be 64 hexadecimal digits: the SHA-256 digest of the token",
                );
                None
            })?,
            SecretSource::Literal(_) => {
                self.diagnostics.error(
                    &at,
                    "a token must not be written in configuration; give its digest (`token: {sha256: ...}`, printed by `pagerbound integration token`) or a reference (`{env: NAME}`, `{file: PATH}`)",
                );
                return None;
            }
            source => {
                let secret = self.secret(&at, source, false)?;
                if secret.expose().len() < 16 {
                    self.diagnostics.error(
                        &at,
                        "an integration token must be at least 16 characters long",
                    );
                    return None;
                }
                TokenDigest::of(secret.expose())
            }
        };
        Some(Integration {
            name: raw.name.value.clone(),
            description: raw.description.clone(),
            token,
        })
    }

    /// Resolves a secret. Inline values are allowed only where
    /// `inline_allowed` (URLs that may or may not embed a key).
    fn secret(&mut self, at: &Pos, source: &SecretSource, inline_allowed: bool) -> Option<Secret> {
        match source {
            SecretSource::Literal(value) if inline_allowed => Some(Secret::new(value.clone())),
            SecretSource::Literal(_) => {
                self.diagnostics.error(
                    at,
                    "secrets are not written in configuration; reference one with `{env: NAME}` or `{file: PATH}`",
                );
                None
            }
            SecretSource::Env(variable) => match self.environment.var(variable) {
                Some(value) if !value.is_empty() => Some(Secret::new(value)),
                _ => {
                    self.diagnostics
                        .error(at, format!("environment variable `{variable}` is not set"));
                    None
                }
            },
            SecretSource::File(path) => match std::fs::read_to_string(self.base_dir.join(path)) {
                Ok(value) if !value.trim().is_empty() => {
                    Some(Secret::new(value.trim_end().to_owned()))
                }
                Ok(_) => {
                    self.diagnostics
                        .error(at, format!("secret file `{path}` is empty"));
                    None
                }
                Err(error) => {
                    self.diagnostics
                        .error(at, format!("cannot read secret file `{path}`: {error}"));
                    None
                }
            },
            SecretSource::Sha256(_) => {
                self.diagnostics.error(
                    at,
                    "a digest cannot be used here: pagerbound must send this secret; reference it with `{env: NAME}` or `{file: PATH}`",
                );
                None
            }
        }
    }
}
