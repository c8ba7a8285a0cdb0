//! Live mode: the IC's HTTP interface served on 127.0.0.1 over the emulated subnet, so that real agents
//! (ic-agent, @dfinity/agent, dfx/icp-cli with a URL) talk to it as to a local replica, with a background driver
//! that runs rounds while live (pocket-ic's auto-progress). Enabled by the `live` feature.
//!
//! ```ignore
//! let mut pic = emulator::PocketIc::new();
//! let url = pic.make_live(None);           // http://127.0.0.1:<free port>/
//! // agent = Agent::builder().with_url(url.as_str()).build()?; agent.fetch_root_key().await?; ...
//! pic.stop_live();                         // also when `pic` is dropped
//! ```
//!
//! Layout:
//! - `http`: the hyper server and its routes (`/api/v2/status`; `/api/v2` asynchronous and `/api/v3`, `/api/v4`
//!   synchronous `call`; `/api/v2|v3` `query` and `read_state`, canister- and subnet-scoped);
//! - `envelope`: CBOR envelopes, request ids (ic-transport-types), signatures (Ed25519, secp256k1, P-256,
//!   delegation chains) and ingress expiry;
//! - `effective`: the effective canister id of a request vs the URL;
//! - `ingress`: call submission (at most once per request id) and the request id → message map behind
//!   `request_status`;
//! - `query`: queries, signed with the node key (`crate::certification::SubnetKeys`);
//! - `read_state`: which paths a sender may read, and the pruned certificates (`crate::certification`);
//! - `driver`: the round loop (time follows the wall clock, timers fire);
//! - `reply`: CBOR bodies and the replica's plain-text errors (400, 403, 404, 405, 413).

pub mod driver;
pub mod effective;
pub mod envelope;
pub mod http;
pub mod ingress;
pub mod query;
pub mod read_state;
pub mod reply;

use std::net::{Ipv4Addr, SocketAddr, TcpListener as StdTcpListener};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::watch;
use url::Url;

use crate::state::Subnet;
use ingress::IngressTracker;

/// What the server threads and the driver share.
pub struct Shared {
    subnet: Arc<Mutex<Subnet>>,
    tracker: Mutex<IngressTracker>,
    /// Counts the driver's rounds: synchronous calls wait for it to move.
    rounds: watch::Sender<u64>,
    /// Set to wake the driver before its idle interval ends (a call was submitted).
    wake: Mutex<bool>,
    woken: Condvar,
    stop: AtomicBool,
}

impl Shared {
    fn new(subnet: Arc<Mutex<Subnet>>) -> Self {
        Shared {
            subnet,
            tracker: Mutex::new(IngressTracker::default()),
            rounds: watch::channel(0).0,
            wake: Mutex::new(false),
            woken: Condvar::new(),
            stop: AtomicBool::new(false),
        }
    }

    /// The subnet (a panic in a thread that held it does not make it unusable, as in `PocketIc::subnet`).
    pub(crate) fn subnet(&self) -> MutexGuard<'_, Subnet> {
        self.subnet.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn tracker(&self) -> MutexGuard<'_, IngressTracker> {
        self.tracker.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Makes the driver run a round now.
    pub(crate) fn wake_driver(&self) {
        *self.wake.lock().unwrap_or_else(|p| p.into_inner()) = true;
        self.woken.notify_all();
    }

    /// Sleeps at most `interval`, less if woken.
    pub(crate) fn sleep_until_woken(&self, interval: Duration) {
        let guard = self.wake.lock().unwrap_or_else(|p| p.into_inner());
        let (mut guard, _) = self
            .woken
            .wait_timeout_while(guard, interval, |woken| !*woken && !self.stop.load(Ordering::SeqCst))
            .unwrap_or_else(|p| p.into_inner());
        *guard = false;
    }
}

/// A running live endpoint: the HTTP server thread (a tokio runtime) and the round driver thread.
pub struct LiveServer {
    url: Url,
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    server: Option<JoinHandle<()>>,
    driver: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for LiveServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveServer").field("url", &self.url.as_str()).finish_non_exhaustive()
    }
}

impl LiveServer {
    /// Binds 127.0.0.1:`port` (a free port when `None`) and starts serving `subnet`.
    pub fn start(subnet: Arc<Mutex<Subnet>>, port: Option<u16>) -> Result<LiveServer, String> {
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port.unwrap_or(0)));
        let listener = StdTcpListener::bind(address).map_err(|e| format!("cannot listen on {address}: {e}"))?;
        let bound = listener.local_addr().map_err(|e| format!("cannot read the listening address: {e}"))?;
        listener.set_nonblocking(true).map_err(|e| format!("cannot make the listener non-blocking: {e}"))?;
        let url = Url::parse(&format!("http://{bound}/")).map_err(|e| format!("bad URL for {bound}: {e}"))?;
        // Live time follows the wall clock from the first request on (agents' expiries are wall-clock based).
        {
            let mut subnet = subnet.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            subnet.time_nanos = subnet.time_nanos.max(driver::wall_clock_nanos());
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("emulator-live-http")
            .enable_io()
            .enable_time()
            .build()
            .map_err(|e| format!("cannot start the HTTP runtime: {e}"))?;
        let shared = Arc::new(Shared::new(subnet));
        let (shutdown, shutdown_rx) = watch::channel(false);
        let server_shared = shared.clone();
        let server = std::thread::Builder::new()
            .name("emulator-live-server".into())
            .spawn(move || {
                runtime.block_on(async move {
                    match tokio::net::TcpListener::from_std(listener) {
                        Ok(listener) => http::serve(listener, server_shared, shutdown_rx).await,
                        Err(error) => eprintln!("emulator live mode: cannot serve on {bound}: {error}"),
                    }
                });
                runtime.shutdown_timeout(Duration::from_secs(5));
            })
            .map_err(|e| format!("cannot start the server thread: {e}"))?;
        let driver_shared = shared.clone();
        let driver = std::thread::Builder::new()
            .name("emulator-live-driver".into())
            .spawn(move || driver::run(&driver_shared))
            .map_err(|e| format!("cannot start the round driver: {e}"))?;
        Ok(LiveServer { url, shared, shutdown, server: Some(server), driver: Some(driver) })
    }

    /// `http://127.0.0.1:<port>/`.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// Calls accepted over HTTP and still remembered (for `request_status`).
    pub fn tracked_calls(&self) -> usize {
        self.shared.tracker().len()
    }

    /// Stops serving and driving rounds; returns when both threads have ended.
    pub fn stop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.shared.wake_driver();
        let _ = self.shutdown.send(true);
        for handle in [self.server.take(), self.driver.take()].into_iter().flatten() {
            // A panicked thread has nothing left to clean up.
            let _ = handle.join();
        }
    }
}

impl Drop for LiveServer {
    fn drop(&mut self) {
        self.stop();
    }
}
