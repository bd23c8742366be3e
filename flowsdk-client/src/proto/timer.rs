//! The session's timers: an enum and a table, as in quinn-proto's `connection/timer.rs`.

use std::time::Instant;

/// What a timer is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Timer {
    /// Nothing sent for the keep-alive interval: send PINGREQ [MQTT-3.1.2-20].
    KeepAlive = 0,
    /// A PINGREQ is unanswered: the link is dead when this fires.
    PingResp = 1,
    /// CONNECT is unanswered: give up when this fires.
    ConnAck = 2,
    /// The earliest buffered message with a Message Expiry Interval runs out.
    Expiry = 3,
    /// Acknowledgements held for coalescing are due: send them even if no more come.
    AckFlush = 4,
}

const COUNT: usize = 5;

/// When each timer fires, if armed.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct TimerTable([Option<Instant>; COUNT]);

impl TimerTable {
    pub(crate) fn set(&mut self, timer: Timer, at: Instant) {
        self.0[timer as usize] = Some(at);
    }

    pub(crate) fn stop(&mut self, timer: Timer) {
        self.0[timer as usize] = None;
    }

    pub(crate) fn get(&self, timer: Timer) -> Option<Instant> {
        self.0[timer as usize]
    }

    pub(crate) fn clear(&mut self) {
        self.0 = [None; COUNT];
    }

    /// The earliest armed timer.
    pub(crate) fn next(&self) -> Option<Instant> {
        self.0.iter().flatten().min().copied()
    }

    /// Disarms and returns `timer` if it is due at `now`.
    pub(crate) fn expire(&mut self, timer: Timer, now: Instant) -> bool {
        match self.0[timer as usize] {
            Some(at) if at <= now => {
                self.0[timer as usize] = None;
                true
            }
            _ => false,
        }
    }
}
