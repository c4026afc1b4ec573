//! `bench-floor`: the least an HTTP/1.1 forwarder on tokio can do, measured by
//! the proxy benchmark (`bench/proxy`, case `floor`) next to nginx, HAProxy
//! and strangler, so every run shows what this stack reaches on the machine
//! before any of a proxy's duties.
//!
//! One thread; each client connection is served by its own task, which reads
//! a request head (`httparse`), writes it on to the upstream over a kept-alive
//! connection (the most recently used idle one, else a new one) with the
//! hop-by-hop fields dropped and `X-Forwarded-For` added, reads the response
//! (framed by `Content-Length`: all the benchmark's backend sends) and writes
//! it back in one write. Anything else (a request body by chunks, a response
//! without a length, a malformed message) closes the connection: it is a
//! measuring stick, not a proxy.
//!
//! `--spin N` spins N rounds of arithmetic per request before the upstream
//! write: CPU work standing for a proxy's duties, to show how where that work
//! falls changes the kernel's scheduling of proxy and backend on one core
//! (see `docs/performance.md`).
//!
//! Usage: `bench-floor --listen ADDR --upstream ADDR [--spin N]`; it prints
//! `listening on ADDR` once bound.

use std::cell::RefCell;
use std::io::Write as _;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::rc::Rc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Most header lines read per message.
const MAX_HEADERS: usize = 64;

/// Fields that describe one connection, never forwarded.
const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

struct Options {
    listen: String,
    upstream: SocketAddr,
    spin: u64,
}

fn main() -> ExitCode {
    let options = match options(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("bench-floor: {message}");
            return ExitCode::from(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .event_interval(255)
        .enable_all()
        .build();
    let result = runtime.and_then(|rt| tokio::task::LocalSet::new().block_on(&rt, serve(options)));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench-floor: {e}");
            ExitCode::FAILURE
        }
    }
}

fn options(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let (mut listen, mut upstream, mut spin) = ("127.0.0.1:0".to_owned(), None, 0);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--listen" => listen = value()?,
            "--upstream" => {
                let text = value()?;
                upstream = Some(
                    text.parse()
                        .map_err(|e| format!("--upstream `{text}`: {e}"))?,
                );
            }
            "--spin" => {
                let text = value()?;
                spin = text.parse().map_err(|e| format!("--spin `{text}`: {e}"))?;
            }
            other => {
                return Err(format!(
                    "unknown argument `{other}` (usage: --listen ADDR --upstream ADDR [--spin N])"
                ));
            }
        }
    }
    let upstream = upstream.ok_or("--upstream ADDR is required")?;
    Ok(Options {
        listen,
        upstream,
        spin,
    })
}

type Pool = Rc<RefCell<Vec<TcpStream>>>;

async fn serve(options: Options) -> std::io::Result<()> {
    let listener = TcpListener::bind(&options.listen).await?;
    let mut out = std::io::stdout();
    writeln!(out, "listening on {}", listener.local_addr()?)?;
    out.flush()?;
    let pool: Pool = Rc::default();
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(conn) => conn,
            Err(e) => {
                eprintln!("bench-floor: accept failed: {e}");
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let (pool, upstream, spin) = (pool.clone(), options.upstream, options.spin);
        tokio::task::spawn_local(async move {
            // A connection that breaks the rules above just closes.
            let _ = connection(stream, peer, pool, upstream, spin).await;
        });
    }
}

/// Why a connection closes.
type Closed = Box<dyn std::error::Error>;

async fn connection(
    mut client: TcpStream,
    peer: SocketAddr,
    pool: Pool,
    upstream_addr: SocketAddr,
    spin: u64,
) -> Result<(), Closed> {
    let peer = peer.ip().to_string();
    let (mut read, mut upstream_read, mut out) = (Vec::new(), Vec::new(), Vec::new());
    loop {
        let Some((head_len, body_len)) =
            request_head(&mut client, &mut read, &mut out, &peer).await?
        else {
            return Ok(());
        };
        fill(&mut client, &mut read, head_len + body_len).await?;
        out.extend_from_slice(&read[head_len..head_len + body_len]);
        read.drain(..head_len + body_len);
        spin_for(spin);
        let popped = pool.borrow_mut().pop();
        let mut upstream = match popped {
            Some(conn) => conn,
            None => {
                let conn = TcpStream::connect(upstream_addr).await?;
                conn.set_nodelay(true)?;
                conn
            }
        };
        upstream.write_all(&out).await?;
        out.clear();
        upstream_read.clear();
        let (head_len, body_len) =
            response_head(&mut upstream, &mut upstream_read, &mut out).await?;
        fill(&mut upstream, &mut upstream_read, head_len + body_len).await?;
        if upstream_read.len() == head_len + body_len {
            pool.borrow_mut().push(upstream);
        }
        out.extend_from_slice(&upstream_read[head_len..head_len + body_len]);
        client.write_all(&out).await?;
        out.clear();
    }
}

/// Reads a request head and writes its forwarded form into `out`: its head
/// length and body length, or `None` when the client closed between requests.
async fn request_head(
    client: &mut TcpStream,
    read: &mut Vec<u8>,
    out: &mut Vec<u8>,
    peer: &str,
) -> Result<Option<(usize, usize)>, Closed> {
    loop {
        let mut lines = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut req = httparse::Request::new(&mut lines);
        if let httparse::Status::Complete(head_len) = req.parse(read)? {
            let (Some(method), Some(path)) = (req.method, req.path) else {
                return Err("no request line".into());
            };
            for part in [method, " ", path, " HTTP/1.1\r\n"] {
                out.extend_from_slice(part.as_bytes());
            }
            let body_len = copy_fields(req.headers, out)?;
            for part in ["x-forwarded-for: ", peer, "\r\n\r\n"] {
                out.extend_from_slice(part.as_bytes());
            }
            return Ok(Some((head_len, body_len)));
        }
        if more(client, read).await? == 0 {
            return if read.is_empty() {
                Ok(None)
            } else {
                Err("cut short".into())
            };
        }
    }
}

/// Reads a response head and writes its forwarded form into `out`.
async fn response_head(
    upstream: &mut TcpStream,
    read: &mut Vec<u8>,
    out: &mut Vec<u8>,
) -> Result<(usize, usize), Closed> {
    loop {
        let mut lines = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut res = httparse::Response::new(&mut lines);
        if let httparse::Status::Complete(head_len) = res.parse(read)? {
            let code = res.code.ok_or("no status")?;
            out.extend_from_slice(b"HTTP/1.1 ");
            out.extend_from_slice(code.to_string().as_bytes());
            out.push(b' ');
            out.extend_from_slice(res.reason.unwrap_or_default().as_bytes());
            out.extend_from_slice(b"\r\n");
            let body_len = copy_fields(res.headers, out)?;
            out.extend_from_slice(b"\r\n");
            return Ok((head_len, body_len));
        }
        if more(upstream, read).await? == 0 {
            return Err("the upstream closed".into());
        }
    }
}

/// Copies the end-to-end fields into `out`; the body's length.
fn copy_fields(fields: &[httparse::Header<'_>], out: &mut Vec<u8>) -> Result<usize, Closed> {
    let mut body_len = 0;
    for field in fields {
        if field.name.eq_ignore_ascii_case("transfer-encoding") {
            return Err("chunked bodies are not forwarded here".into());
        }
        if HOP_BY_HOP
            .iter()
            .any(|hop| field.name.eq_ignore_ascii_case(hop))
        {
            continue;
        }
        if field.name.eq_ignore_ascii_case("content-length") {
            body_len = std::str::from_utf8(field.value)?.trim().parse()?;
        }
        for part in [field.name.as_bytes(), b": ", field.value, b"\r\n"] {
            out.extend_from_slice(part);
        }
    }
    Ok(body_len)
}

async fn fill(stream: &mut TcpStream, read: &mut Vec<u8>, len: usize) -> Result<(), Closed> {
    while read.len() < len {
        if more(stream, read).await? == 0 {
            return Err("closed mid-message".into());
        }
    }
    Ok(())
}

async fn more(stream: &mut TcpStream, read: &mut Vec<u8>) -> std::io::Result<usize> {
    if read.capacity() - read.len() < 1024 {
        read.reserve(8 * 1024);
    }
    stream.read_buf(read).await
}

/// `rounds` rounds of arithmetic the optimiser cannot drop.
fn spin_for(rounds: u64) {
    let mut acc = 0u64;
    for i in 0..rounds {
        acc = std::hint::black_box(acc.wrapping_mul(31).wrapping_add(i));
    }
    std::hint::black_box(acc);
}
