//! Small constructors for the packets cases send, and a one-line description of what arrives.

use bytes::Bytes;
use flowsdk_codec::{Packet, PacketId, Publish, QoS, TopicFilter, TopicName};

use super::{Check, Outcome};

/// Packet identifier `n` (0 becomes 1: zero is not an identifier [MQTT-2.2.1-3]).
pub(crate) fn pid(n: u16) -> PacketId {
    PacketId::new(n.max(1)).expect("n.max(1) is non-zero")
}

/// A topic filter the harness chose; the codec refusing it is a harness error.
pub(crate) fn filter(f: &str) -> Check<TopicFilter> {
    TopicFilter::new(f).map_err(|e| Outcome::error(format!("topic filter {f:?}: {e}")))
}

/// A topic name the harness chose; the codec refusing it is a harness error.
pub(crate) fn topic(t: &str) -> Check<TopicName> {
    TopicName::new(t).map_err(|e| Outcome::error(format!("topic name {t:?}: {e}")))
}

/// A PUBLISH of `payload` to `t` at `qos` (identifier assigned when sent), not retained.
pub(crate) fn message(t: &str, payload: &[u8], qos: QoS) -> Check<Publish> {
    let mut p = Publish::new(topic(t)?, Bytes::copy_from_slice(payload));
    p.qos = qos;
    Ok(p)
}

/// As [`message`], retained.
pub(crate) fn retained(t: &str, payload: &[u8], qos: QoS) -> Check<Publish> {
    let mut p = message(t, payload, qos)?;
    p.retain = true;
    Ok(p)
}

/// A one-line description of a packet for failure messages: type and the fields cases look
/// at, payloads by length and a short prefix.
pub(crate) fn describe(packet: &Packet) -> String {
    match packet {
        Packet::Publish(p) => format!(
            "PUBLISH topic={:?} qos={} dup={} retain={} id={} payload={} props={:?}",
            p.topic.as_str(),
            p.qos.as_u8(),
            p.dup,
            p.retain,
            p.packet_id
                .map_or_else(|| "-".to_string(), |id| id.to_string()),
            show_payload(&p.payload),
            p.properties.iter().collect::<Vec<_>>()
        ),
        Packet::ConnAck(a) => format!(
            "CONNACK {} session_present={}",
            a.reason_code, a.session_present
        ),
        Packet::PubAck(a) => format!("PUBACK id={} {}", a.packet_id, a.reason_code),
        Packet::PubRec(a) => format!("PUBREC id={} {}", a.packet_id, a.reason_code),
        Packet::PubRel(a) => format!("PUBREL id={} {}", a.packet_id, a.reason_code),
        Packet::PubComp(a) => format!("PUBCOMP id={} {}", a.packet_id, a.reason_code),
        Packet::SubAck(a) => format!(
            "SUBACK id={} {}",
            a.packet_id,
            super::probe::codes_list(&a.reason_codes)
        ),
        Packet::UnsubAck(a) => format!(
            "UNSUBACK id={} {}",
            a.packet_id,
            super::probe::codes_list(&a.reason_codes)
        ),
        Packet::Disconnect(d) => format!("DISCONNECT {}", d.reason_code),
        Packet::Auth(a) => format!("AUTH {}", a.reason_code),
        other => other.packet_type().name().to_string(),
    }
}

fn show_payload(payload: &[u8]) -> String {
    let head = &payload[..payload.len().min(16)];
    format!(
        "{:?} ({} bytes)",
        String::from_utf8_lossy(head),
        payload.len()
    )
}
