//! Helpers for the server processes a benchmark starts: a free port to give
//! them, a polite stop, and the end of their log when they fail.

use std::net::TcpListener;
use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use rustix::process::{Pid, Signal, kill_process};

/// A loopback TCP port that was free a moment ago.
pub fn free_loopback_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("binding a free loopback port")?;
    Ok(listener.local_addr().context("local address")?.port())
}

/// Stops `child`: SIGTERM, up to `grace` to exit, then SIGKILL. Always
/// reaps it, so no zombie is left behind.
pub fn terminate(child: &mut Child, grace: Duration) {
    if matches!(child.try_wait(), Ok(Some(_))) {
        return;
    }
    let pid = Pid::from_child(child);
    if kill_process(pid, Signal::TERM).is_ok() {
        let give_up = Instant::now() + grace;
        while Instant::now() < give_up {
            if matches!(child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    // Either it ignored SIGTERM or it could not be sent: nothing left but
    // SIGKILL. Errors mean it is already gone.
    let _ = child.kill();
    let _ = child.wait();
}

/// Waits until `url` answers 2xx, for at most `timeout`. Fails early, with
/// the end of the log, if `child` (called `name` in messages) exits first.
pub async fn wait_ready(
    child: &mut Child,
    name: &str,
    url: &str,
    timeout: Duration,
    log_path: &Path,
) -> Result<()> {
    let client = reqwest::Client::new();
    let give_up = Instant::now() + timeout;
    loop {
        if let Some(status) = child
            .try_wait()
            .with_context(|| format!("polling {name}"))?
        {
            bail!(
                "{name} exited ({status}) before it was ready; its log:\n{}",
                log_tail(log_path)
            );
        }
        if let Ok(response) = client.get(url).send().await
            && response.status().is_success()
        {
            return Ok(());
        }
        if Instant::now() > give_up {
            bail!(
                "{name} was not ready within {timeout:?}; its log:\n{}",
                log_tail(log_path)
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The last lines of a log file, for error messages.
pub fn log_tail(path: &Path) -> String {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let lines: Vec<&str> = text.lines().collect();
            lines[lines.len().saturating_sub(20)..].join("\n")
        }
        Err(error) => format!("(could not read {}: {error})", path.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminate_stops_a_process_that_honours_sigterm() {
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .expect("sleep runs");
        let started = Instant::now();
        terminate(&mut child, Duration::from_secs(5));
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(matches!(child.try_wait(), Ok(Some(_))));
    }

    #[test]
    fn free_port_is_nonzero() {
        assert_ne!(free_loopback_port().expect("a free port"), 0);
    }
}
