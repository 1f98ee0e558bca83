//! A TCP proxy in front of the stack whose connections the test can cut, to make the realtime
//! client reconnect.

use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

pub(crate) struct Proxy {
    pub(crate) url: String,
    live: Arc<Mutex<Vec<AbortHandle>>>,
}

impl Proxy {
    pub(crate) async fn start(upstream: &str) -> Proxy {
        let upstream = upstream.trim_start_matches("http://").to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let live: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let registry = Arc::clone(&live);
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let upstream = upstream.clone();
                let task = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                registry.lock().unwrap().push(task.abort_handle());
            }
        });
        Proxy { url, live }
    }

    /// Cuts every open connection (both sockets are dropped).
    pub(crate) fn drop_all(&self) {
        for task in self.live.lock().unwrap().drain(..) {
            task.abort();
        }
    }
}
