//! Talking to a running server over its API, for the commands people use
//! while on call (`ack`, `resolve`, ...).

use crate::cli::ClientArgs;
use anyhow::{Context, Result, anyhow, bail};
use serde::Deserialize;
use serde_json::Value;
use std::path::PathBuf;
use std::time::Duration;
use url::Url;

/// Long enough for a slow database, short enough that a hung server does
/// not hang a responder at 3 a.m.
const TIMEOUT: Duration = Duration::from_secs(30);

/// `client.yaml` in the user's config directory.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientFile {
    server: Option<String>,
    token: Option<String>,
}

/// A server and the token to present to it.
pub struct Client {
    base: Url,
    token: String,
    http: reqwest::Client,
}

/// Where the client file is: `$XDG_CONFIG_HOME/pagerbound/client.yaml`,
/// else `~/.config/pagerbound/client.yaml`.
fn client_file() -> Option<PathBuf> {
    let dir = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(dir.join("pagerbound").join("client.yaml"))
}

fn read_client_file() -> Result<(Option<PathBuf>, ClientFile)> {
    let Some(path) = client_file() else {
        return Ok((None, ClientFile::default()));
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let file = serde_saphyr::from_str(&text)
                .with_context(|| format!("cannot read {}", path.display()))?;
            Ok((Some(path), file))
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            Ok((Some(path), ClientFile::default()))
        }
        Err(error) => Err(error).with_context(|| format!("cannot read {}", path.display())),
    }
}

impl Client {
    /// Flags and environment first, then the client file.
    pub fn new(args: &ClientArgs) -> Result<Client> {
        let (path, file) = if args.server.is_some() && args.token.is_some() {
            (None, ClientFile::default())
        } else {
            read_client_file()?
        };
        let where_ = path
            .map(|p| format!(" or in {}", p.display()))
            .unwrap_or_default();
        let server = args.server.clone().or(file.server).ok_or_else(|| {
            anyhow!("no server: pass --server URL, set PAGERBOUND_SERVER{where_}")
        })?;
        let token =
            args.token.clone().or(file.token).ok_or_else(|| {
                anyhow!("no token: pass --token TOKEN, set PAGERBOUND_TOKEN{where_}")
            })?;
        let mut base = Url::parse(&server).with_context(|| {
            format!("`{server}` is not a URL; write e.g. http://127.0.0.1:9095")
        })?;
        // So that joining `api/v1/...` keeps a path prefix.
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .build()
            .context("cannot set up HTTP")?;
        Ok(Client { base, token, http })
    }

    pub async fn get(&self, path: &str) -> Result<Value> {
        self.send(self.http.get(self.url(path)?)).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Result<Value> {
        self.send(self.http.post(self.url(path)?).json(body)).await
    }

    pub async fn delete(&self, path: &str) -> Result<Value> {
        self.send(self.http.delete(self.url(path)?)).await
    }

    fn url(&self, path: &str) -> Result<Url> {
        self.base
            .join(path)
            .with_context(|| format!("cannot build a URL for {path}"))
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<Value> {
        let response = request
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(|error| {
                anyhow!(
                    "cannot reach the server at {}: {}",
                    self.base,
                    root_cause(&error)
                )
            })?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if status.is_success() {
            return Ok(body);
        }
        let message = body["error"].as_str().unwrap_or("no explanation given");
        match status.as_u16() {
            401 => bail!(
                "the server refused the token (401 unauthorized); check --token or PAGERBOUND_TOKEN"
            ),
            403 => bail!("not allowed (403): {message}"),
            code => bail!("{message} ({code})"),
        }
    }
}

/// The innermost error: "connection refused" rather than "error sending
/// request".
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}
