//! One proxied connection: two pumps, one per direction, applying the faults in force.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::watch;

use super::faults::{DirectionFaults, Faults, OneWay, Shared};

/// How a pump ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum End {
    /// Its source closed; the end was passed on (write half shut down).
    Eof,
    /// The whole connection must close: a drop fault, or an I/O error.
    Close,
}

/// Forwards between `client` and a new connection to `upstream` until both directions end,
/// a fault closes the connection, or `drop_now`/shutdown kills it.
pub(super) async fn run(client: TcpStream, upstream: SocketAddr, shared: Arc<Shared>) {
    let mut faults = shared.faults.subscribe();
    let kill_epoch = faults.borrow_and_update().kill_epoch;
    let Ok(broker) = TcpStream::connect(upstream).await else {
        return;
    };
    let _open = shared.counters.open();
    // Small MQTT packets should not wait for Nagle's algorithm; failures only cost latency.
    let _ = client.set_nodelay(true);
    let _ = broker.set_nodelay(true);
    let (client_read, client_write) = client.into_split();
    let (broker_read, broker_write) = broker.into_split();
    let up = pump(
        client_read,
        broker_write,
        OneWay::ClientToBroker,
        &shared,
        shared.faults.subscribe(),
    );
    let down = pump(
        broker_read,
        client_write,
        OneWay::BrokerToClient,
        &shared,
        shared.faults.subscribe(),
    );
    tokio::pin!(up, down);
    let (mut up_done, mut down_done) = (false, false);
    loop {
        tokio::select! {
            end = &mut up, if !up_done => match end {
                End::Eof => up_done = true,
                End::Close => return,
            },
            end = &mut down, if !down_done => match end {
                End::Eof => down_done = true,
                End::Close => return,
            },
            changed = faults.changed() => {
                let f = faults.borrow_and_update();
                if changed.is_err() || f.shutdown || f.kill_epoch != kill_epoch {
                    return;
                }
            }
        }
        if up_done && down_done {
            return;
        }
    }
}

/// The bytes still allowed through before a drop, if a drop is set.
///
/// `base` remembers which drop setting this pump saw and at which stream offset.
fn drop_allowance(d: &DirectionFaults, base: &mut Option<(u64, u64)>, offset: u64) -> Option<u64> {
    let (setting, bytes) = d.drop_after?;
    let start = match *base {
        Some((seen, start)) if seen == setting => start,
        _ => {
            *base = Some((setting, offset));
            offset
        }
    };
    Some((start + bytes).saturating_sub(offset))
}

/// Waits while the link is blackholed. `false` when the proxy is gone.
async fn wait_while_blackholed(faults: &mut watch::Receiver<Faults>) -> bool {
    loop {
        if !faults.borrow_and_update().blackhole {
            return true;
        }
        if faults.changed().await.is_err() {
            return false;
        }
    }
}

/// Copies `from` to `to`, applying the faults of direction `one`.
async fn pump(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    one: OneWay,
    shared: &Shared,
    mut faults: watch::Receiver<Faults>,
) -> End {
    let mut buf = vec![0u8; 16 * 1024];
    // Bytes of this stream forwarded so far: the offsets `corrupt_byte` refers to.
    let mut offset: u64 = 0;
    let mut drop_base = None;
    loop {
        // Read, unless the link is dead or the drop limit is reached; any change of the
        // faults is looked at while waiting.
        let read = loop {
            let (blackhole, allowance) = {
                let f = faults.borrow_and_update();
                let allowance = drop_allowance(f.direction(one), &mut drop_base, offset);
                (f.blackhole, allowance)
            };
            if allowance == Some(0) {
                return End::Close;
            }
            if blackhole {
                if faults.changed().await.is_err() {
                    return End::Close;
                }
                continue;
            }
            tokio::select! {
                read = from.read(&mut buf) => break read,
                changed = faults.changed() => if changed.is_err() {
                    return End::Close;
                },
            }
        };
        let n = match read {
            Ok(0) => {
                let _ = to.shutdown().await;
                return End::Eof;
            }
            Ok(n) => n,
            Err(_) => return End::Close,
        };
        // Data read just before a blackhole is held, not forwarded.
        if !wait_while_blackholed(&mut faults).await {
            return End::Close;
        }
        let d = faults.borrow_and_update().direction(one).clone();
        let (take, close) = match drop_allowance(&d, &mut drop_base, offset) {
            Some(allowed) if allowed <= n as u64 => (allowed as usize, true),
            _ => (n, false),
        };
        let chunk = &mut buf[..take];
        for &at in &d.corrupt {
            if let Some(i) = at.checked_sub(offset).filter(|i| *i < take as u64) {
                chunk[i as usize] ^= 0xFF;
            }
        }
        if let Some(delay) = d.delay {
            tokio::time::sleep(delay).await;
        }
        let written = match d.throttle {
            None => write(&mut to, chunk, one, shared).await,
            Some(rate) => {
                let slice = usize::try_from(rate / 20).unwrap_or(usize::MAX).max(1);
                let mut ok = true;
                for piece in chunk.chunks(slice) {
                    if !write(&mut to, piece, one, shared).await {
                        ok = false;
                        break;
                    }
                    let secs = piece.len() as f64 / rate as f64;
                    tokio::time::sleep(Duration::from_secs_f64(secs)).await;
                }
                ok
            }
        };
        if !written {
            return End::Close;
        }
        offset += take as u64;
        if close {
            return End::Close;
        }
    }
}

/// Writes `bytes` and counts them; `false` on a write error.
async fn write(to: &mut OwnedWriteHalf, bytes: &[u8], one: OneWay, shared: &Shared) -> bool {
    if bytes.is_empty() {
        return true;
    }
    match to.write_all(bytes).await {
        Ok(()) => {
            shared.counters.forwarded(one, bytes.len());
            true
        }
        Err(_) => false,
    }
}
