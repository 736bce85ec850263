//! TCP_NODELAY on the connections to PostgreSQL.
//!
//! sqlx 0.9.0 opens its TCP connections without TCP_NODELAY (upstream
//! issue transact-rs/sqlx#4335, fixed by #4336 but not yet released). A
//! statement too big for one TCP segment then waits on Nagle's algorithm
//! until the server's delayed ACK, 40 ms on Linux, and a batch of alerts
//! is that big: ingest into PostgreSQL fell from ~17,000 to ~1,600 alerts
//! a second. Until a release carries the fix, each new connection finds
//! its own socket and sets the option itself.
//!
//! The socket belongs to sqlx, so it is reached without taking it: the
//! server reports the connection's client port, the descriptor with that
//! local port is found in `/proc/self/fd`, and `pidfd_getfd` yields a
//! duplicate of it, on which the option is set (options belong to the
//! socket, not the descriptor). Nothing here can break a connection: if
//! any step fails the connection is used as it is, only slower.

use sqlx::PgConnection;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};

/// Sets TCP_NODELAY on `connection`'s socket, if it is a TCP socket.
pub(crate) async fn set_on(connection: &mut PgConnection) {
    let Some(port) = client_port(connection).await else {
        return;
    };
    if let Err(e) = set_on_local_port(port) {
        // Once: behind a proxy such as PgBouncer the port is the proxy's
        // and every connection would fail the same way.
        static WARNED: AtomicBool = AtomicBool::new(false);
        if !WARNED.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                error = %e,
                "cannot set TCP_NODELAY on PostgreSQL connections; large writes may wait 40 ms"
            );
        }
    }
}

/// Sets TCP_NODELAY on this process's socket bound to local `port`.
fn set_on_local_port(port: u16) -> std::io::Result<()> {
    let socket = socket_on_local_port(port)?;
    Ok(rustix::net::sockopt::set_tcp_nodelay(socket.as_fd(), true)?)
}

/// A duplicate of this process's socket bound to local `port`.
fn socket_on_local_port(port: u16) -> std::io::Result<OwnedFd> {
    use rustix::process::{PidfdFlags, PidfdGetfdFlags, getpid, pidfd_getfd, pidfd_open};

    let this_process = pidfd_open(getpid(), PidfdFlags::empty())?;
    for entry in std::fs::read_dir("/proc/self/fd")? {
        let entry = entry?;
        // Only sockets; the read_dir descriptor itself is listed too.
        let is_socket = std::fs::read_link(entry.path())
            .is_ok_and(|target| target.to_string_lossy().starts_with("socket:"));
        let Some(fd) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
            continue;
        };
        if !is_socket {
            continue;
        }
        // The descriptor may have been closed since it was listed; then
        // it is not the one.
        let Ok(socket) = pidfd_getfd(&this_process, fd, PidfdGetfdFlags::empty()) else {
            continue;
        };
        if local_port(&socket) == Some(port) {
            return Ok(socket);
        }
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::NotFound,
        format!("no socket on local port {port}"),
    ))
}

/// The connection's local TCP port as the server sees it; none over a
/// Unix socket, where Nagle's algorithm does not apply.
async fn client_port(connection: &mut PgConnection) -> Option<u16> {
    match sqlx::query_scalar::<_, Option<i32>>("SELECT inet_client_port()")
        .fetch_one(&mut *connection)
        .await
    {
        Ok(port) => port.and_then(|p| u16::try_from(p).ok()),
        Err(e) => {
            tracing::debug!(error = %e, "cannot learn the connection's client port");
            None
        }
    }
}

fn local_port(socket: &OwnedFd) -> Option<u16> {
    let address = rustix::net::getsockname(socket).ok()?;
    let address = std::net::SocketAddr::try_from(address).ok()?;
    Some(address.port())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::Connection;

    async fn has_nodelay(connection: &mut PgConnection) -> bool {
        let port = client_port(connection)
            .await
            .expect("the test server is reached over TCP");
        let socket = socket_on_local_port(port).expect("the connection's socket");
        rustix::net::sockopt::tcp_nodelay(socket.as_fd()).expect("TCP_NODELAY is readable")
    }

    #[tokio::test]
    async fn sets_tcp_nodelay_on_the_connections_own_socket() {
        let url = pagerbound_testkit::admin_url();
        let mut connection = PgConnection::connect(&url).await.expect("PostgreSQL");
        let mut other = PgConnection::connect(&url).await.expect("PostgreSQL");
        // When this fails, sqlx sets the option itself and this module can go.
        assert!(
            !has_nodelay(&mut connection).await,
            "sqlx now sets TCP_NODELAY: remove the workaround"
        );

        set_on(&mut connection).await;
        assert!(has_nodelay(&mut connection).await);
        assert!(
            !has_nodelay(&mut other).await,
            "only the connection's own socket changes"
        );
        // The connection still works after its socket was touched.
        let one: i32 = sqlx::query_scalar("SELECT 1")
            .fetch_one(&mut connection)
            .await
            .expect("query after set_on");
        assert_eq!(one, 1);
    }
}
