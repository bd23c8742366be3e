//! What the area files share: packet types, the probe, and small checks.

pub(crate) use std::time::Duration;

pub(crate) use bytes::Bytes;
pub(crate) use flowsdk_codec::{
    ConnAck, Packet, PacketType, PayloadFormat, Properties, Property, ProtocolVersion, PubAck,
    PubComp, PubRec, PubRel, Publish, QoS, ReasonCode, RetainHandling, Subscription,
    SubscriptionOptions, Will,
};

pub(crate) use super::outcome::ensure;
pub(crate) use super::packets::{describe, filter, message, pid, retained, topic};
pub(crate) use super::probe::{codes_list, granted_code, is_failure, payload_of, Probe};
pub(crate) use super::{CaseContext, Check, Outcome};
pub(crate) use crate::{RawPacketBuilder, RawProperties};

/// Ends the case as not applicable unless `condition` holds.
pub(crate) fn require(condition: bool, why: &str) -> Check {
    if condition {
        Ok(())
    } else {
        Err(Outcome::not_applicable(why))
    }
}

/// The Maximum QoS a CONNACK advertises (2 when absent).
pub(crate) fn max_qos(ack: &ConnAck) -> QoS {
    ack.properties.maximum_qos().unwrap_or(QoS::ExactlyOnce)
}

/// Ends the case as not applicable unless the broker supports `qos`.
pub(crate) fn require_qos(ack: &ConnAck, qos: QoS) -> Check {
    require(
        max_qos(ack) >= qos,
        &format!("the broker's Maximum QoS is {}", max_qos(ack).as_u8()),
    )
}

/// The broker's Topic Alias Maximum; ends the case as not applicable when it is 0 (absent).
pub(crate) fn require_topic_aliases(ack: &ConnAck) -> Result<u16, Outcome> {
    let max = ack.properties.topic_alias_maximum().unwrap_or(0);
    require(
        max > 0,
        "the broker's Topic Alias Maximum is 0: it accepts no aliases",
    )?;
    Ok(max)
}

/// Ends the case as not applicable unless the broker supports retained messages.
pub(crate) fn require_retain(ack: &ConnAck) -> Check {
    require(
        ack.properties.retain_available() != Some(false),
        "the broker's CONNACK says Retain Available = 0",
    )
}

/// Ends the case as not applicable unless the broker supports wildcard subscriptions.
pub(crate) fn require_wildcards(ack: &ConnAck) -> Check {
    require(
        ack.properties.wildcard_subscription_available() != Some(false),
        "the broker's CONNACK says Wildcard Subscription Available = 0",
    )
}

/// Ends the case as not applicable unless the broker supports shared subscriptions.
pub(crate) fn require_shared(ack: &ConnAck) -> Check {
    require(
        ack.properties.shared_subscription_available() != Some(false),
        "the broker's CONNACK says Shared Subscription Available = 0",
    )
}

/// Ends the case as not applicable unless the broker supports subscription identifiers.
pub(crate) fn require_subscription_ids(ack: &ConnAck) -> Check {
    require(
        ack.properties.subscription_identifier_available() != Some(false),
        "the broker's CONNACK says Subscription Identifier Available = 0",
    )
}

/// The encoded size of a packet as received (the codec writes it back byte for byte:
/// shortest lengths, properties in their order).
pub(crate) fn wire_size(packet: &Packet, version: ProtocolVersion) -> Check<usize> {
    packet
        .encoded_len(version)
        .map_err(|e| Outcome::error(format!("measuring {}: {e}", describe(packet))))
}

/// Sleeps `d` (cases wait for broker timers: will delay, expiry, keep alive).
pub(crate) async fn pause(d: Duration) {
    tokio::time::sleep(d).await;
}

/// Options with `qos` and Retain As Published.
pub(crate) fn rap(qos: QoS) -> SubscriptionOptions {
    SubscriptionOptions {
        retain_as_published: true,
        ..SubscriptionOptions::new(qos)
    }
}
