//! The client session as pure code: no tokio, no clock, no sockets.
//!
//! Feed [`Session`] the broker's packets (or bytes) and the current time; it returns packets
//! to send, [`Event`]s, and when to wake it next. The tokio client drives one; tests drive
//! one on virtual time; anything else (a blocking loop, an embedded runtime) can too.
//!
//! The driving loop, in full:
//!
//! ```text
//! loop {
//!     while let Some(p) = session.poll_packet(now) { write(p) }   // then flush
//!     while let Some(e) = session.poll_event() { dispatch(e) }
//!     if session.state() == State::Disconnected { close the connection }
//!     wait for: a packet (handle_packet), a command (publish, subscribe, ...),
//!               or session.poll_timeout() (handle_timeout)
//! }
//! ```

mod auth;
mod event;
mod queue;
mod session;
mod state;
mod timer;
mod topic_alias;

pub use auth::Authenticator;
pub use event::{
    ConnectOutcome, DisconnectCause, DropReason, Event, PublishOutcome, ServerLimits,
    SubscribeOutcome, Ticket,
};
pub use queue::OverflowPolicy;
pub use session::{Session, SessionConfig, State, DEFAULT_ACK_BATCH, DEFAULT_ACK_DELAY};
pub use state::{SessionState, StoredPublish, StoredSubscription};
