//! Starting, running and stopping the server.

use crate::action_links::KeyCache;
use crate::engine::Engine;
use crate::heartbeat::Monitor;
use crate::ingest::Ingest;
use crate::metrics::Metrics;
use crate::notify::{Notifier, NotifierHandle};
use crate::reload::{ConfigHandle, Overrides};
use crate::state::AppState;
use crate::store::open_store;
use pagerbound_config::{DatabaseLocation, Rejected};
use pagerbound_store::StoreError;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

/// How to start.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// A configuration file or directory.
    pub config: PathBuf,
    /// Overrides `settings.database`.
    pub database: Option<DatabaseLocation>,
    /// Overrides `settings.listen` (port 0 picks a free port).
    pub listen: Option<SocketAddr>,
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("the configuration has errors")]
    Config(Rejected),
    #[error("cannot open the database {location}: {source}")]
    Store {
        location: String,
        source: StoreError,
    },
    #[error("cannot listen on {address}: {source}")]
    Bind {
        address: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot set up outgoing HTTP for notifications: {0}")]
    Http(reqwest::Error),
}

/// A running server.
pub struct Server {
    local_addr: SocketAddr,
    /// `None` once shutting down: the ingest writer stops when the last
    /// handle to it is gone.
    state: Option<AppState>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
    ingest_task: JoinHandle<()>,
    engine_task: JoinHandle<()>,
    notifier_task: JoinHandle<()>,
    heartbeat_task: JoinHandle<()>,
    /// Raises SLO burn alerts into ingest.
    slo_task: JoinHandle<()>,
    /// Reads SLIs from Prometheus; raises alerts into ingest too.
    prometheus_task: JoinHandle<()>,
    stop_slos: watch::Sender<bool>,
    /// Runs the probes.
    probe_task: JoinHandle<()>,
    /// Stops the engine, the notifier and the heartbeat monitor.
    stop_engine: watch::Sender<bool>,
}

impl Server {
    /// Loads the configuration, opens and migrates the database, and starts
    /// answering on the listen address.
    pub async fn start(options: ServeOptions) -> Result<Server, StartError> {
        let metrics = Arc::new(Metrics::new());
        let overrides = Overrides {
            database: options.database,
            listen: options.listen,
        };
        let path = options.config.clone();
        let handle = tokio::task::spawn_blocking(move || {
            ConfigHandle::load(path, overrides, metrics.clone()).map(|h| (h, metrics))
        })
        .await
        .map_err(|e| StartError::Config(join_failure(&options.config, &e)))?;
        let (handle, metrics) = handle.map_err(StartError::Config)?;
        let running = handle.current();
        for warning in &running.warnings {
            tracing::warn!("{warning}");
        }
        let settings = running.config.settings.clone();
        let location = settings.database.redacted();
        let store = open_store(&settings.database)
            .await
            .map_err(|source| StartError::Store {
                location: location.clone(),
                source,
            })?;
        store.migrate().await.map_err(|source| StartError::Store {
            location: location.clone(),
            source,
        })?;
        let listener =
            TcpListener::bind(settings.listen)
                .await
                .map_err(|source| StartError::Bind {
                    address: settings.listen,
                    source,
                })?;
        let local_addr = listener.local_addr().map_err(|source| StartError::Bind {
            address: settings.listen,
            source,
        })?;
        let config = Arc::new(handle);
        let notifier_handle = NotifierHandle::default();
        let (engine, engine_handle) = Engine::new(
            store.clone(),
            config.clone(),
            metrics.clone(),
            notifier_handle.clone(),
        );
        let (stop_engine, engine_stopped) = watch::channel(false);
        let engine_task = engine.spawn(engine_stopped.clone());
        let http = crate::http_client::http_client().map_err(StartError::Http)?;
        // One signing key for the links the notifier writes and the server
        // checks.
        let action_links: Arc<KeyCache> = Arc::default();
        let notifier = Notifier::new(
            store.clone(),
            config.clone(),
            metrics.clone(),
            notifier_handle.clone(),
            engine_handle.clone(),
            http,
            action_links.clone(),
        );
        let heartbeat_task = Monitor::new(store.clone(), config.clone(), notifier_handle.clone())
            .spawn(engine_stopped.clone());
        let notifier_task = notifier.spawn(engine_stopped.clone());
        let (ingest, ingest_task) =
            Ingest::start(store.clone(), engine_handle.clone(), metrics.clone())
                .await
                .map_err(|source| StartError::Store {
                    location: location.clone(),
                    source,
                })?;
        let slos = Arc::new(crate::slos::SloBook::default());
        let (stop_slos, slos_stopped) = watch::channel(false);
        let slo_task =
            crate::slos::Engine::new(store.clone(), config.clone(), ingest.clone(), slos.clone())
                .spawn(slos_stopped.clone());
        let prometheus_task = crate::sources::prometheus::Reader::new(
            store.clone(),
            config.clone(),
            slos.clone(),
            ingest.clone(),
            crate::http_client::http_client().map_err(StartError::Http)?,
        )
        .spawn(slos_stopped);
        let probe_task = crate::sources::probes::Prober::new(
            store.clone(),
            config.clone(),
            slos.clone(),
            crate::sources::probes::probe_client().map_err(StartError::Http)?,
        )
        .spawn(engine_stopped);
        let state = AppState {
            store,
            config,
            metrics,
            settings: Arc::new(settings),
            started_at: crate::clock::now(),
            ingest,
            engine: engine_handle,
            notifier: notifier_handle,
            action_links,
            slos,
        };
        let (stop, stopped) = oneshot::channel::<()>();
        let app = crate::router::app(state.clone());
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
        });
        tracing::info!(
            address = %local_addr,
            database = %location,
            config = %state.config.path().display(),
            files = running.config.files.len(),
            "pagerbound is listening."
        );
        Ok(Server {
            local_addr,
            state: Some(state),
            stop: Some(stop),
            task,
            ingest_task,
            engine_task,
            notifier_task,
            heartbeat_task,
            slo_task,
            prometheus_task,
            probe_task,
            stop_slos,
            stop_engine,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    pub fn state(&self) -> &AppState {
        self.state
            .as_ref()
            .expect("the state is there until shutdown")
    }

    /// Stops accepting connections, lets in-flight requests finish (their
    /// alerts are written), stops the engine, and closes the database.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let result = match (&mut self.task).await {
            Ok(result) => result,
            Err(join_error) => Err(std::io::Error::other(join_error)),
        };
        let Some(state) = self.state.take() else {
            return result;
        };
        let store = state.store.clone();
        drop(state);
        // The SLO engine and the Prometheus reader send alerts to ingest:
        // they stop first, so that the writer can finish.
        let _ = self.stop_slos.send(true);
        if let Err(error) = (&mut self.slo_task).await {
            tracing::error!(error = %error, "The SLO engine failed.");
        }
        if let Err(error) = (&mut self.prometheus_task).await {
            tracing::error!(error = %error, "The Prometheus reader failed.");
        }
        if let Err(error) = (&mut self.ingest_task).await {
            tracing::error!(error = %error, "The ingest writer failed.");
        }
        let _ = self.stop_engine.send(true);
        if let Err(error) = (&mut self.engine_task).await {
            tracing::error!(error = %error, "The engine failed.");
        }
        if let Err(error) = (&mut self.notifier_task).await {
            tracing::error!(error = %error, "The notifier failed.");
        }
        if let Err(error) = (&mut self.heartbeat_task).await {
            tracing::error!(error = %error, "The heartbeat monitor failed.");
        }
        if let Err(error) = (&mut self.probe_task).await {
            tracing::error!(error = %error, "The probe runner failed.");
        }
        store.close().await;
        tracing::info!("pagerbound stopped.");
        result
    }

    /// Runs until SIGTERM or SIGINT, then shuts down gracefully. SIGHUP
    /// reloads the configuration.
    pub async fn run_until_signalled(self) -> std::io::Result<()> {
        use tokio::signal::unix::{SignalKind, signal};
        let mut hangup = signal(SignalKind::hangup())?;
        let mut terminate = signal(SignalKind::terminate())?;
        let mut interrupt = signal(SignalKind::interrupt())?;
        loop {
            tokio::select! {
                _ = hangup.recv() => {
                    tracing::info!("SIGHUP received; reloading the configuration.");
                    self.state().config.reload().await;
                }
                _ = terminate.recv() => {
                    tracing::info!("SIGTERM received; finishing in-flight requests.");
                    break;
                }
                _ = interrupt.recv() => {
                    tracing::info!("SIGINT received; finishing in-flight requests.");
                    break;
                }
            }
        }
        self.shutdown().await
    }
}

fn join_failure(path: &std::path::Path, error: &tokio::task::JoinError) -> Rejected {
    Rejected {
        diagnostics: vec![pagerbound_config::Diagnostic {
            severity: pagerbound_config::Severity::Error,
            file: path.to_owned(),
            line: 0,
            column: 0,
            message: format!("reading the configuration failed: {error}"),
        }],
    }
}
