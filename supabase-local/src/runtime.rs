//! The stack's own tokio runtime, on a dedicated thread.
//!
//! The gateway and every background task run here, not on the caller's runtime: a `Stack` started
//! inside one `#[tokio::test]` and kept in a `static` keeps serving tests whose runtimes differ
//! (and outlives the runtime it was started on).

use std::future::Future;
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::runtime::Handle;
use tokio::sync::oneshot;

use crate::error::StackError;

#[derive(Debug)]
pub(crate) struct Background {
    handle: Handle,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Background {
    pub(crate) fn spawn() -> Result<Self, StackError> {
        let io = |e| StackError::io("starting the stack runtime", "tokio", e);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("supabase-local")
            .enable_all()
            .build()
            .map_err(io)?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("supabase-local-runtime".into())
            .spawn(move || {
                runtime.block_on(async {
                    let _ = stopped.await;
                });
                runtime.shutdown_timeout(Duration::from_secs(2));
            })
            .map_err(io)?;
        Ok(Self {
            handle,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Runs `fut` on the stack runtime and awaits it from whatever runtime the caller is on.
    pub(crate) async fn run<F>(&self, fut: F) -> Result<F::Output, StackError>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.handle
            .spawn(fut)
            .await
            .map_err(|_| StackError::Stopped)
    }

    /// Stops the runtime (dropping the gateway and its connections) and joins its thread.
    pub(crate) fn shutdown(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.shutdown();
    }
}
