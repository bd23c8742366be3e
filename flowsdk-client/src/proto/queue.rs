//! The outgoing queue: messages accepted and not yet sent, in two lanes (high priority first),
//! bounded, with an explicit overflow policy.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::command::{Priority, PublishCommand};
use crate::error::ClientError;

use super::event::{DropReason, Ticket};

/// What happens when a message arrives and the outgoing buffer is full.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum OverflowPolicy {
    /// Refuse the new message: `publish` returns [`ClientError::BufferFull`]. The default.
    #[default]
    Reject,
    /// Accept the new message and drop the oldest buffered one (reported as
    /// [`Event::Dropped`](super::Event::Dropped)).
    DropOldest,
    /// Accept the call but drop the new message (reported as
    /// [`Event::Dropped`](super::Event::Dropped)).
    DropNewest,
    /// Back-pressure: the tokio client's `publish` waits until half the buffer is free again,
    /// at most the operation timeout, then returns [`ClientError::BufferFull`]. The session itself, which cannot
    /// wait, refuses as with [`OverflowPolicy::Reject`].
    Wait,
}

/// A message waiting to be sent.
#[derive(Clone, Debug)]
pub(crate) struct Queued {
    pub(crate) ticket: Ticket,
    pub(crate) cmd: PublishCommand,
    pub(crate) queued_at: Instant,
}

impl Queued {
    /// When the message's Message Expiry Interval runs out, if it has one.
    pub(crate) fn expires_at(&self) -> Option<Instant> {
        self.cmd
            .properties
            .message_expiry_interval()
            .map(|secs| self.queued_at + Duration::from_secs(u64::from(secs)))
    }
}

/// Two FIFO lanes sharing one capacity.
#[derive(Debug)]
pub(crate) struct OutgoingQueue {
    lanes: [VecDeque<Queued>; 2],
    capacity: usize,
    policy: OverflowPolicy,
    /// How many buffered messages carry a Message Expiry Interval (skip the scan when none).
    expiring: usize,
}

fn lane(p: Priority) -> usize {
    match p {
        Priority::High => 0,
        Priority::Normal => 1,
    }
}

impl OutgoingQueue {
    pub(crate) fn new(capacity: usize, policy: OverflowPolicy) -> Self {
        OutgoingQueue {
            lanes: [VecDeque::new(), VecDeque::new()],
            capacity,
            policy,
            expiring: 0,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.lanes[0].len() + self.lanes[1].len()
    }

    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    pub(crate) fn is_full(&self) -> bool {
        self.len() >= self.capacity
    }

    pub(crate) fn policy(&self) -> OverflowPolicy {
        self.policy
    }

    fn count(&mut self, q: &Queued, added: bool) {
        if q.cmd.properties.message_expiry_interval().is_some() {
            if added {
                self.expiring += 1;
            } else {
                self.expiring = self.expiring.saturating_sub(1);
            }
        }
    }

    /// Buffers `q`. `Ok(Some(..))` is a message the policy dropped to make room (or `q`
    /// itself under [`OverflowPolicy::DropNewest`]).
    pub(crate) fn push(&mut self, q: Queued) -> Result<Option<(Queued, DropReason)>, ClientError> {
        if self.len() < self.capacity {
            self.count(&q, true);
            self.lanes[lane(q.cmd.priority)].push_back(q);
            return Ok(None);
        }
        match self.policy {
            OverflowPolicy::Reject | OverflowPolicy::Wait => Err(ClientError::BufferFull {
                capacity: self.capacity,
            }),
            OverflowPolicy::DropNewest => Ok(Some((q, DropReason::OverflowDropNewest))),
            OverflowPolicy::DropOldest => {
                // The oldest of the normal lane goes first; high priority only when it is all
                // there is.
                let victim = self.lanes[1]
                    .pop_front()
                    .or_else(|| self.lanes[0].pop_front());
                if let Some(v) = &victim {
                    self.count(v, false);
                }
                self.count(&q, true);
                self.lanes[lane(q.cmd.priority)].push_back(q);
                Ok(victim.map(|v| (v, DropReason::OverflowDropOldest)))
            }
        }
    }

    /// Puts messages back at the front of their lanes, in order, whatever the capacity: they
    /// were accepted once and are not lost to a full buffer.
    pub(crate) fn requeue_front(&mut self, items: Vec<Queued>) {
        for q in items.into_iter().rev() {
            self.count(&q, true);
            self.lanes[lane(q.cmd.priority)].push_front(q);
        }
    }

    pub(crate) fn peek(&self) -> Option<&Queued> {
        self.lanes[0].front().or_else(|| self.lanes[1].front())
    }

    pub(crate) fn pop(&mut self) -> Option<Queued> {
        let q = self.lanes[0]
            .pop_front()
            .or_else(|| self.lanes[1].pop_front())?;
        self.count(&q, false);
        Some(q)
    }

    /// Removes and returns every message whose expiry has run out at `now`.
    pub(crate) fn take_expired(&mut self, now: Instant) -> Vec<Queued> {
        if self.expiring == 0 {
            return Vec::new();
        }
        let mut expired = Vec::new();
        for lane in &mut self.lanes {
            let mut i = 0;
            while i < lane.len() {
                if lane[i].expires_at().is_some_and(|at| at <= now) {
                    if let Some(q) = lane.remove(i) {
                        expired.push(q);
                    }
                } else {
                    i += 1;
                }
            }
        }
        self.expiring = self.expiring.saturating_sub(expired.len());
        expired
    }

    /// The earliest expiry among buffered messages.
    pub(crate) fn next_expiry(&self) -> Option<Instant> {
        if self.expiring == 0 {
            return None;
        }
        self.lanes
            .iter()
            .flat_map(|l| l.iter())
            .filter_map(Queued::expires_at)
            .min()
    }

    /// Empties the queue.
    pub(crate) fn drain(&mut self) -> Vec<Queued> {
        self.expiring = 0;
        let mut all: Vec<Queued> = self.lanes[0].drain(..).collect();
        all.extend(self.lanes[1].drain(..));
        all
    }

    /// A copy of every buffered message, in sending order.
    pub(crate) fn snapshot(&self) -> Vec<PublishCommand> {
        self.lanes
            .iter()
            .flat_map(|l| l.iter().map(|q| q.cmd.clone()))
            .collect()
    }
}
