//! `Gate`: a TCP gate in front of one address, to hold a relay's deliveries
//! back and let them through later. Open, it passes each connection through;
//! closed, it drops the connections it carries and every new one, so the
//! relay's sends fail and it tries again until the gate opens.

use std::sync::Arc;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

pub struct Gate {
    /// `http://127.0.0.1:<port>`: the address to use instead of the target.
    pub url: String,
    open: Arc<watch::Sender<bool>>,
    task: tokio::task::JoinHandle<()>,
}

impl Gate {
    /// An open gate in front of `target` (`http://host:port`).
    pub async fn start(target: &str) -> Self {
        let to = target.trim_start_matches("http://").to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let open = Arc::new(watch::channel(true).0);
        let state = open.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let mut closed = state.subscribe();
                if !*closed.borrow_and_update() {
                    continue; // dropped: the sender sees the connection reset
                }
                let to = to.clone();
                tokio::spawn(async move {
                    let Ok(mut upstream) = TcpStream::connect(&to).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut upstream) => {}
                        _ = closed.wait_for(|open| !*open) => {}
                    }
                });
            }
        });
        Self { url, open, task }
    }

    /// Holds everything from now on (connections in use are cut).
    pub fn close(&self) {
        self.open.send_replace(false);
    }

    /// Lets connections through again.
    pub fn open(&self) {
        self.open.send_replace(true);
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        self.task.abort();
    }
}
