//! [`SessionState`]: what of a session must outlive a connection, and a process.

use flowsdk_codec::{PacketId, Publish, Subscription};

use crate::command::PublishCommand;

/// An outgoing QoS 1/2 message the broker has not finished acknowledging.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredPublish {
    /// Its packet identifier, kept across reconnects [MQTT-4.4.0-1].
    pub packet_id: PacketId,
    /// The PUBLISH as first sent (no topic alias, DUP clear).
    pub publish: Publish,
    /// Whether PUBREC arrived and PUBREL was sent (QoS 2): only PUBCOMP is owed then, and
    /// the PUBLISH is never sent again [MQTT-4.3.3-6].
    pub released: bool,
}

/// A subscription the broker acknowledged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredSubscription {
    /// The filter and its options.
    pub subscription: Subscription,
    /// The Subscription Identifier it was made with.
    pub subscription_id: Option<u32>,
}

/// The client's session state (section 4.1): unfinished outgoing messages, QoS 2 messages
/// received and not released, messages not yet sent, and subscriptions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SessionState {
    /// The client id the session belongs to (the broker's assigned one, if it assigned one).
    pub client_id: String,
    /// Outgoing QoS 1/2 messages in sending order.
    pub inflight: Vec<StoredPublish>,
    /// Identifiers of incoming QoS 2 messages answered with PUBREC and not yet released.
    pub incoming_qos2: Vec<PacketId>,
    /// Messages accepted and not yet sent, in sending order.
    pub queued: Vec<PublishCommand>,
    /// Acknowledged subscriptions.
    pub subscriptions: Vec<StoredSubscription>,
}

impl SessionState {
    /// Whether there is nothing to keep.
    pub fn is_empty(&self) -> bool {
        self.inflight.is_empty()
            && self.incoming_qos2.is_empty()
            && self.queued.is_empty()
            && self.subscriptions.is_empty()
    }
}
