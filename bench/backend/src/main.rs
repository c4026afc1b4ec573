//! `bench-backend`: the fixed-response upstream of the proxy benchmark
//! (`bench/proxy`). One thread, HTTP/1.1 keep-alive, every answer built once
//! at start so the backend costs the same under every proxy:
//!
//! | path | answer |
//! |---|---|
//! | `/large…` | a 16 KiB JSON document |
//! | `/v2/payments/…` | a payment as the payment service's v2 API sends it |
//! | `/api/v1/payments/…` | the same payment in the monolith's legacy shape |
//! | anything else | a small JSON document |
//!
//! Usage: `bench-backend [--listen 127.0.0.1:0]`; it prints
//! `listening on ADDR` once bound.

mod answers;

use answers::Answers;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, header};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use tokio::net::TcpListener;

fn main() -> ExitCode {
    let listen = match listen_address(std::env::args().skip(1)) {
        Ok(listen) => listen,
        Err(message) => {
            eprintln!("bench-backend: {message}");
            return ExitCode::from(2);
        }
    };
    // One thread: the benchmark pins the backend to one core next to the proxy.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build();
    let result = runtime
        .map_err(anyhow::Error::from)
        .and_then(|rt| rt.block_on(serve(&listen)));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench-backend: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn listen_address(mut args: impl Iterator<Item = String>) -> Result<String, String> {
    let mut listen = "127.0.0.1:0".to_owned();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--listen" => listen = args.next().ok_or("--listen needs an address")?,
            other => return Err(format!("unknown argument `{other}` (usage: --listen ADDR)")),
        }
    }
    Ok(listen)
}

async fn serve(listen: &str) -> anyhow::Result<()> {
    let answers = Arc::new(Answers::build()?);
    let listener = TcpListener::bind(listen).await?;
    let mut out = std::io::stdout();
    writeln!(out, "listening on {}", listener.local_addr()?)?;
    out.flush()?;
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(conn) => conn,
            Err(e) => {
                eprintln!("bench-backend: accept failed: {e}");
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let answers = answers.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req: Request<Incoming>| {
                let answer = answers.for_path(req.uri().path());
                async move {
                    let mut res = Response::new(Full::new(answer));
                    res.headers_mut().insert(
                        header::CONTENT_TYPE,
                        header::HeaderValue::from_static("application/json"),
                    );
                    Ok::<_, Infallible>(res)
                }
            });
            let _ = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> impl Iterator<Item = String> {
        list.iter()
            .map(|s| (*s).to_owned())
            .collect::<Vec<_>>()
            .into_iter()
    }

    #[test]
    fn listen_defaults_to_an_ephemeral_loopback_port() {
        assert_eq!(listen_address(args(&[])).unwrap(), "127.0.0.1:0");
        assert_eq!(
            listen_address(args(&["--listen", "127.0.0.1:9000"])).unwrap(),
            "127.0.0.1:9000"
        );
    }

    #[test]
    fn bad_arguments_are_named() {
        assert!(
            listen_address(args(&["--listen"]))
                .unwrap_err()
                .contains("--listen")
        );
        assert!(
            listen_address(args(&["--port"]))
                .unwrap_err()
                .contains("--port")
        );
    }
}
