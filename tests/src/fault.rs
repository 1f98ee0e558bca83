//! A scripted HTTP/1.1 server that misbehaves on purpose: each request gets the next [`Fault`]
//! of its script (the last one repeats). It records every request's method so tests can assert
//! exactly how many times something was sent.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the server does with one request.
#[derive(Debug, Clone)]
pub enum Fault {
    /// A complete response.
    Respond {
        /// HTTP status.
        status: u16,
        /// Extra headers.
        headers: Vec<(String, String)>,
        /// JSON body.
        body: String,
    },
    /// Closes the connection without answering.
    Reset,
    /// Sends headers announcing `body`'s length, then only half of it, then closes.
    Truncate(String),
    /// Waits, then answers `200 []`.
    Delay(Duration),
    /// Answers `status` announcing a longer body than `start`, sends `start`, then either keeps
    /// the connection open without sending more (`close: false`) or closes it.
    Stall {
        /// HTTP status.
        status: u16,
        /// The body's first bytes, all that is sent.
        start: String,
        /// Close the connection after `start` instead of holding it.
        close: bool,
    },
    /// `200` with a chunked JSON array of `rows` rows `{"id":n}`, one chunk every `every`: a
    /// slow but live body.
    Drip {
        /// How many rows.
        rows: u64,
        /// The pause before each row.
        every: Duration,
    },
    /// `200` with a `rows * 101 + 1`-byte JSON body generated while it is sent (never held in
    /// memory), shaped by `shape`. `announce_length`: with a `content-length` (else chunked).
    Huge {
        /// Size in rows of 101 bytes.
        rows: u64,
        /// Send `content-length` up front.
        announce_length: bool,
        /// What the body holds.
        shape: HugeShape,
    },
}

/// The body of a [`Fault::Huge`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HugeShape {
    /// An array of `rows` rows of 100 bytes ([`huge_row`]).
    Rows,
    /// The same rows, opened with `{` instead of `[`.
    Malformed,
    /// An array of one row whose `pad` string fills the whole body.
    OneRow,
}

/// The `n`th 101-byte piece of a [`Fault::Huge`] body of `rows` pieces (the closing `]` follows
/// the last one).
fn huge_piece(shape: HugeShape, n: u64, rows: u64) -> String {
    match shape {
        HugeShape::Rows | HugeShape::Malformed => {
            let open = match (n, shape) {
                (0, HugeShape::Rows) => '[',
                (0, _) => '{',
                _ => ',',
            };
            format!("{open}{}", huge_row(n))
        }
        HugeShape::OneRow if n == 0 => {
            let head = r#"[{"n":"0000000000","pad":""#;
            format!("{head}{}", "a".repeat(101 - head.len()))
        }
        HugeShape::OneRow if n + 1 == rows => format!("{}\"}}", "a".repeat(99)),
        HugeShape::OneRow => "a".repeat(101),
    }
}

/// One row of [`Fault::Huge`]: exactly 100 bytes, `{"n":"<10 digits>","pad":"a…"}`.
pub fn huge_row(n: u64) -> String {
    let head = format!(r#"{{"n":"{n:010}","pad":""#);
    format!("{head}{}\"}}", "a".repeat(100 - head.len() - 2))
}

impl Fault {
    /// `200` with a JSON body.
    pub fn ok(body: &str) -> Self {
        Fault::Respond {
            status: 200,
            headers: vec![],
            body: body.to_owned(),
        }
    }

    /// An error status with PostgREST-shaped JSON.
    pub fn status(status: u16) -> Self {
        Fault::Respond {
            status,
            headers: vec![],
            body: error_body(status),
        }
    }

    /// An error status with a `Retry-After` header (seconds).
    pub fn retry_after(status: u16, seconds: u64) -> Self {
        Fault::Respond {
            status,
            headers: vec![("Retry-After".into(), seconds.to_string())],
            body: error_body(status),
        }
    }
}

fn error_body(status: u16) -> String {
    format!(r#"{{"code":null,"message":"status {status}","details":null,"hint":null}}"#)
}

/// The running server. Stops when dropped.
#[derive(Debug)]
pub struct FaultServer {
    url: String,
    seen: Arc<Mutex<Vec<String>>>,
    in_flight: Arc<InFlight>,
    task: tokio::task::JoinHandle<()>,
}

/// Requests being answered now, and the most at once so far.
#[derive(Debug, Default)]
struct InFlight {
    now: AtomicUsize,
    most: AtomicUsize,
}

/// One request being answered: counted in [`InFlight`] until dropped.
struct Answering<'a>(&'a InFlight);

impl<'a> Answering<'a> {
    fn enter(in_flight: &'a InFlight) -> Self {
        let now = in_flight.now.fetch_add(1, Ordering::SeqCst) + 1;
        in_flight.most.fetch_max(now, Ordering::SeqCst);
        Answering(in_flight)
    }
}

impl Drop for Answering<'_> {
    fn drop(&mut self) {
        self.0.now.fetch_sub(1, Ordering::SeqCst);
    }
}

impl FaultServer {
    /// Starts a server on 127.0.0.1 (a port below 32768) playing `script`.
    pub async fn start(script: Vec<Fault>) -> FaultServer {
        let listener = bind().await;
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let in_flight = Arc::new(InFlight::default());
        let script = Arc::new(Mutex::new(VecDeque::from(script)));
        let task = tokio::spawn({
            let (seen, in_flight) = (Arc::clone(&seen), Arc::clone(&in_flight));
            async move {
                while let Ok((stream, _)) = listener.accept().await {
                    let (seen, in_flight, script) = (
                        Arc::clone(&seen),
                        Arc::clone(&in_flight),
                        Arc::clone(&script),
                    );
                    tokio::spawn(serve(stream, seen, in_flight, script));
                }
            }
        });
        FaultServer {
            url,
            seen,
            in_flight,
            task,
        }
    }

    /// Base URL, e.g. `http://127.0.0.1:23456`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Methods of the requests received so far, in order.
    pub fn requests(&self) -> Vec<String> {
        let heads = self.seen.lock().unwrap();
        heads
            .iter()
            .map(|head| {
                head.split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_owned()
            })
            .collect()
    }

    /// The value of header `name` in each request received so far, in order.
    pub fn header_of_each(&self, name: &str) -> Vec<Option<String>> {
        let heads = self.seen.lock().unwrap();
        heads
            .iter()
            .map(|head| {
                head.lines().skip(1).find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.trim()
                        .eq_ignore_ascii_case(name)
                        .then(|| v.trim().to_owned())
                })
            })
            .collect()
    }

    /// The most requests the server was answering at once (from reading one to finishing its
    /// answer).
    pub fn most_in_flight(&self) -> usize {
        self.in_flight.most.load(Ordering::SeqCst)
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn bind() -> TcpListener {
    for attempt in 0u32..200 {
        let port = 20_000 + (std::process::id() * 7 + attempt * 131) % 12_000;
        if let Ok(l) = TcpListener::bind(("127.0.0.1", port as u16)).await {
            return l;
        }
    }
    panic!("no free port below 32768 for the fault server");
}

async fn serve(
    mut stream: TcpStream,
    seen: Arc<Mutex<Vec<String>>>,
    in_flight: Arc<InFlight>,
    script: Arc<Mutex<VecDeque<Fault>>>,
) {
    loop {
        let Some(head) = read_request(&mut stream).await else {
            return;
        };
        let _answering = Answering::enter(&in_flight);
        seen.lock().unwrap().push(head);
        let fault = {
            let mut script = script.lock().unwrap();
            if script.len() > 1 {
                script.pop_front()
            } else {
                script.front().cloned()
            }
        };
        let keep_alive = match fault.unwrap_or(Fault::status(500)) {
            Fault::Respond {
                status,
                headers,
                body,
            } => {
                // JSON unless the script names another type.
                let typed = headers
                    .iter()
                    .any(|(k, _)| k.eq_ignore_ascii_case("content-type"));
                let mut head = format!(
                    "HTTP/1.1 {status} X\r\n{}content-length: {}\r\n",
                    if typed {
                        ""
                    } else {
                        "content-type: application/json\r\n"
                    },
                    body.len()
                );
                for (k, v) in headers {
                    head.push_str(&format!("{k}: {v}\r\n"));
                }
                head.push_str("\r\n");
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.write_all(body.as_bytes()).await;
                true
            }
            Fault::Reset => false,
            Fault::Truncate(body) => {
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.write_all(&body.as_bytes()[..body.len() / 2]).await;
                false
            }
            Fault::Huge {
                rows,
                announce_length,
                shape,
            } => {
                let length = rows * 101 + 1;
                let head = if announce_length {
                    format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {length}\r\n\r\n"
                    )
                } else {
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n".to_owned()
                };
                if stream.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let mut n = 0;
                while n < rows {
                    // About 64 KiB per write.
                    let mut chunk = String::with_capacity(65 * 1024);
                    while n < rows && chunk.len() < 64 * 1024 {
                        chunk.push_str(&huge_piece(shape, n, rows));
                        n += 1;
                    }
                    if n == rows {
                        chunk.push(']');
                    }
                    let sent = if announce_length {
                        stream.write_all(chunk.as_bytes()).await
                    } else {
                        let framed = format!("{:x}\r\n{chunk}\r\n", chunk.len());
                        stream.write_all(framed.as_bytes()).await
                    };
                    if sent.is_err() {
                        return; // the client stopped reading
                    }
                }
                if !announce_length && stream.write_all(b"0\r\n\r\n").await.is_err() {
                    return;
                }
                true
            }
            Fault::Drip { rows, every } => {
                let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
                if stream.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                for n in 0..rows {
                    tokio::time::sleep(every).await;
                    let piece = format!("{}{{\"id\":{n}}}", if n == 0 { "[" } else { "," });
                    let framed = format!("{:x}\r\n{piece}\r\n", piece.len());
                    if stream.write_all(framed.as_bytes()).await.is_err() {
                        return;
                    }
                }
                let end = if rows == 0 { "[]" } else { "]" };
                let framed = format!("{:x}\r\n{end}\r\n0\r\n\r\n", end.len());
                if stream.write_all(framed.as_bytes()).await.is_err() {
                    return;
                }
                true
            }
            Fault::Stall {
                status,
                start,
                close,
            } => {
                let head = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                    start.len() + 100
                );
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.write_all(start.as_bytes()).await;
                if !close {
                    // Held until the client gives up.
                    let mut sink = [0u8; 1024];
                    while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
                }
                false
            }
            Fault::Delay(d) => {
                tokio::time::sleep(d).await;
                let _ = stream
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n[]")
                    .await;
                true
            }
        };
        if !keep_alive {
            return;
        }
    }
}

/// Reads one request (head and `content-length` body); returns its head.
async fn read_request(stream: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Some(head)
}
