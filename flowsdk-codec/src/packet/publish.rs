//! PUBLISH (section 3.3): an application message.

use bytes::{Buf, BufMut, Bytes, BytesMut};

use super::common::{measure_properties, read_packet_id, read_properties};
use super::{packet_api, Body, Lens};
use crate::string::is_ascii_topic_name;
use crate::wire::{put_str, vbi_bytes, Reader};
use crate::{
    CodecError, MqttString, PacketId, PacketType, Properties, ProtocolVersion, QoS, TopicName,
};

/// PUBLISH: an application message, in either direction (section 3.3).
///
/// Topic and payload of a decoded PUBLISH are slices of the received buffer.
///
/// ```
/// use bytes::Bytes;
/// use flowsdk_codec::{PacketId, Publish, QoS, TopicName};
/// let mut publish = Publish::new(TopicName::new("a/b")?, Bytes::from_static(b"hello"));
/// publish.qos = QoS::AtLeastOnce;
/// publish.packet_id = PacketId::new(1);
/// publish.properties.set_message_expiry_interval(Some(30));
/// assert_eq!(publish.encoded_len(flowsdk_codec::ProtocolVersion::V5)?, 20);
/// # Ok::<(), flowsdk_codec::CodecError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Publish {
    /// DUP: this is a re-delivery [MQTT-3.3.1-1]; always `false` at QoS 0 [MQTT-3.3.1-2].
    pub dup: bool,
    /// Quality of service.
    pub qos: QoS,
    /// RETAIN: the server keeps this as the topic's retained message [MQTT-3.3.1-5].
    pub retain: bool,
    /// The topic; empty only when a Topic Alias property names it.
    pub topic: TopicName,
    /// Packet identifier: `Some` at QoS 1 and 2, `None` at QoS 0 [MQTT-2.2.1-2].
    pub packet_id: Option<PacketId>,
    /// PUBLISH properties (5.0 only).
    pub properties: Properties,
    /// The application payload.
    pub payload: Bytes,
}

impl Publish {
    /// A QoS 0, non-retained PUBLISH without properties.
    pub fn new(topic: TopicName, payload: impl Into<Bytes>) -> Self {
        Publish {
            dup: false,
            qos: QoS::AtMostOnce,
            retain: false,
            topic,
            packet_id: None,
            properties: Properties::new(),
            payload: payload.into(),
        }
    }

    /// Packet identifier, property block and (with `payload`) the payload: the part after the
    /// topic.
    #[inline(always)]
    fn write_after_topic(
        &self,
        version: ProtocolVersion,
        lens: &Lens,
        out: &mut BytesMut,
        payload: bool,
    ) {
        let v5 = version == ProtocolVersion::V5;
        match self.packet_id {
            // The identifier and an empty property block in one write.
            Some(id) if v5 && lens.props == 0 => {
                let [ih, il] = id.get().to_be_bytes();
                out.put_slice(&[ih, il, 0]);
            }
            Some(id) => {
                out.put_u16(id.get());
                if v5 {
                    self.properties.encode_block(lens.props, out);
                }
            }
            None if v5 => self.properties.encode_block(lens.props, out),
            None => {}
        }
        if payload && !self.payload.is_empty() {
            out.put_slice(&self.payload);
        }
    }

    /// The packet as [`Body::write_packet`] writes it, `size` bytes in all, but without the
    /// payload when `payload` is `false` (the caller sends it from where it is).
    #[inline(always)]
    pub(crate) fn write_parts(
        &self,
        version: ProtocolVersion,
        lens: &Lens,
        size: usize,
        out: &mut BytesMut,
        payload: bool,
    ) {
        out.reserve(if payload {
            size
        } else {
            size - self.payload.len()
        });
        let topic = self.topic.as_mqtt_str().as_bytes();
        // Fixed header, then the topic's length prefix.
        let (vbi, n) = vbi_bytes(lens.body as u32);
        let first = ((Self::TYPE as u8) << 4) | self.flags();
        let [th, tl] = (topic.len() as u16).to_be_bytes();
        match n {
            1 => out.put_slice(&[first, vbi[0], th, tl]),
            2 => out.put_slice(&[first, vbi[0], vbi[1], th, tl]),
            3 => out.put_slice(&[first, vbi[0], vbi[1], vbi[2], th, tl]),
            _ => out.put_slice(&[first, vbi[0], vbi[1], vbi[2], vbi[3], th, tl]),
        }
        out.put_slice(topic);
        self.write_after_topic(version, lens, out, payload);
    }

    #[inline]
    fn check(&self, version: ProtocolVersion) -> Result<(), CodecError> {
        match (self.qos, self.packet_id) {
            (QoS::AtMostOnce, Some(_)) => return Err(CodecError::PacketIdWithQoS0),
            (QoS::AtMostOnce, None) if self.dup => return Err(CodecError::DupWithQoS0),
            (QoS::AtLeastOnce | QoS::ExactlyOnce, None) => {
                return Err(CodecError::MissingPacketId {
                    packet: PacketType::Publish,
                })
            }
            _ => {}
        }
        if self.topic.is_empty() {
            return Err(match version {
                ProtocolVersion::V5 if self.properties.topic_alias().is_none() => {
                    CodecError::EmptyTopicWithoutAlias
                }
                ProtocolVersion::V311 => CodecError::EmptyTopicName,
                ProtocolVersion::V5 => return Ok(()),
            });
        }
        Ok(())
    }
}

packet_api!(Publish);

impl Body for Publish {
    const TYPE: PacketType = PacketType::Publish;

    fn flags(&self) -> u8 {
        (u8::from(self.dup) << 3) | (self.qos.as_u8() << 1) | u8::from(self.retain)
    }

    #[inline(always)]
    fn measure(&self, version: ProtocolVersion) -> Result<Lens, CodecError> {
        self.check(version)?;
        let (props, block) = measure_properties(&self.properties, Self::TYPE, version)?;
        let id = if self.packet_id.is_some() { 2 } else { 0 };
        let body = 2 + self.topic.len() + id + block + self.payload.len();
        Ok(Lens {
            body,
            props,
            ..Lens::default()
        })
    }

    fn write(&self, version: ProtocolVersion, lens: &Lens, out: &mut BytesMut) {
        put_str(self.topic.as_mqtt_str(), out);
        self.write_after_topic(version, lens, out, true);
    }

    // The same bytes as the default, in four writes instead of up to nine: each write into a
    // `BytesMut` checks capacity and moves the length, and PUBLISH is the packet sent most.
    #[inline(always)]
    fn write_packet(&self, version: ProtocolVersion, lens: &Lens, size: usize, out: &mut BytesMut) {
        self.write_parts(version, lens, size, out, true);
    }

    // A PUBLISH without properties (or in 3.1.1), with a named topic, a packet identifier
    // exactly when QoS > 0 and no DUP at QoS 0, breaks no rule the general path checks: the
    // topic name was checked when it was made. Everything else goes the general way.
    #[inline(always)]
    fn measure_simple(
        &self,
        version: ProtocolVersion,
        max_packet_size: u32,
    ) -> Option<(Lens, usize)> {
        if !self.properties.is_empty() || self.topic.is_empty() {
            return None;
        }
        let id = match (self.qos, self.packet_id) {
            (QoS::AtMostOnce, None) if !self.dup => 0,
            (QoS::AtLeastOnce | QoS::ExactlyOnce, Some(_)) => 2,
            _ => return None,
        };
        let block = usize::from(version == ProtocolVersion::V5);
        let body = 2 + self.topic.len() + id + block + self.payload.len();
        if body > crate::wire::MAX_VARIABLE_BYTE_INTEGER as usize {
            return None;
        }
        let size = 1 + crate::wire::variable_byte_integer_len(body) + body;
        if size > max_packet_size as usize {
            return None;
        }
        let lens = Lens {
            body,
            ..Lens::default()
        };
        Some((lens, size))
    }

    fn read(flags: u8, r: &mut Reader, version: ProtocolVersion) -> Result<Self, CodecError> {
        let dup = flags & 0x08 != 0;
        let qos = QoS::from_u8((flags >> 1) & 0x03)?;
        if dup && qos == QoS::AtMostOnce {
            return Err(CodecError::DupWithQoS0);
        }
        let retain = flags & 0x01 != 0;
        let topic = r.string("topic name")?;
        // Check a named topic before anything else; an empty one is legal only with an alias.
        let topic = if topic.is_empty() {
            None
        } else {
            Some(TopicName::try_from_string(topic)?)
        };
        let packet_id = if qos == QoS::AtMostOnce {
            None
        } else {
            Some(read_packet_id(r)?)
        };
        let properties = read_properties(r, version)?;
        let topic = match topic {
            Some(topic) => topic,
            None if version == ProtocolVersion::V311 => return Err(CodecError::EmptyTopicName),
            None if properties.topic_alias().is_none() => {
                return Err(CodecError::EmptyTopicWithoutAlias)
            }
            None => TopicName::empty(),
        };
        let payload = r.rest();
        Ok(Publish {
            dup,
            qos,
            retain,
            topic,
            packet_id,
            properties,
            payload,
        })
    }
}

/// Where the parts of a plain PUBLISH lie in its body: the fast path of PUBLISH decoding.
///
/// Most PUBLISH packets have a named ASCII topic and no properties. For those, every rule the
/// general decoder ([`Body::read`]) checks can be checked in one pass over the borrowed bytes,
/// and the packet built from one handle on the body: no `Reader`, no intermediate `Result`s,
/// one reference-count update (for the topic) instead of several. Anything else — properties,
/// an empty or non-ASCII topic, any broken rule — is left to the general decoder, which then
/// reports the exact error; so both paths accept the same packets and build the same values
/// (the unit tests below compare them).
pub(crate) struct PlainLayout {
    dup: bool,
    qos: QoS,
    retain: bool,
    topic_end: usize,
    packet_id: Option<PacketId>,
    payload_start: usize,
}

impl PlainLayout {
    /// The layout of `body` (everything after the fixed header), or `None` when it is not a
    /// plain PUBLISH that breaks no rule.
    #[inline]
    pub(crate) fn of(flags: u8, body: &[u8], version: ProtocolVersion) -> Option<PlainLayout> {
        let dup = flags & 0x08 != 0;
        let qos = match (flags >> 1) & 0x03 {
            0 if !dup => QoS::AtMostOnce, // DUP at QoS 0 is refused [MQTT-3.3.1-2]
            1 => QoS::AtLeastOnce,
            2 => QoS::ExactlyOnce,
            _ => return None,
        };
        let topic_len = usize::from(u16::from_be_bytes([*body.first()?, *body.get(1)?]));
        let topic_end = 2 + topic_len;
        let topic = body.get(2..topic_end)?;
        // ASCII is valid UTF-8 [MQTT-1.5.4-1]; no U+0000 [MQTT-1.5.4-2], no wildcard
        // [MQTT-3.3.2-2], not empty [MQTT-4.7.3-1]. One branch-free pass, a word at a time.
        if topic.is_empty() || !is_ascii_topic_name(topic) {
            return None;
        }
        let mut pos = topic_end;
        let packet_id = match qos {
            QoS::AtMostOnce => None,
            QoS::AtLeastOnce | QoS::ExactlyOnce => {
                let id = u16::from_be_bytes([*body.get(pos)?, *body.get(pos + 1)?]);
                pos += 2;
                Some(PacketId::new(id)?) // zero is refused [MQTT-2.2.1-3]
            }
        };
        if version == ProtocolVersion::V5 {
            // A property length of 0 in one byte: no properties. Anything else, including
            // longer encodings of 0, goes the general way.
            if *body.get(pos)? != 0 {
                return None;
            }
            pos += 1;
        }
        Some(PlainLayout {
            dup,
            qos,
            retain: flags & 0x01 != 0,
            topic_end,
            packet_id,
            payload_start: pos,
        })
    }

    /// The PUBLISH, its topic and payload slices of `body`, the bytes the layout was read from.
    #[inline]
    pub(crate) fn into_publish(self, mut body: Bytes) -> Publish {
        // Cutting the payload off the body and narrowing what is left to the topic makes two
        // handles with one reference-count update, none for an empty payload.
        let payload = body.split_off(self.payload_start);
        body.truncate(self.topic_end);
        body.advance(2);
        self.with(body, payload)
    }

    /// The PUBLISH of the whole frame at the front of `src` (`header_len` bytes of fixed
    /// header, then the body the layout was read from), taken off `src`.
    #[inline]
    pub(crate) fn take_publish(
        self,
        src: &mut BytesMut,
        header_len: usize,
        frame_len: usize,
    ) -> Publish {
        // The same two handles, cut while the frame is still a `BytesMut`: splitting it off
        // `src` makes the shared buffer with room for two handles, so the payload's costs one
        // reference-count update, and no handle is copied right after being narrowed in memory.
        let mut head = src.split_to(frame_len);
        let payload = head.split_off(header_len + self.payload_start).freeze();
        head.truncate(header_len + self.topic_end);
        head.advance(header_len + 2);
        self.with(head.freeze(), payload)
    }

    #[inline(always)]
    fn with(self, topic: Bytes, payload: Bytes) -> Publish {
        Publish {
            dup: self.dup,
            qos: self.qos,
            retain: self.retain,
            topic: TopicName::from_checked(MqttString::from_checked(topic)),
            packet_id: self.packet_id,
            properties: Properties::new(),
            payload,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::decode_frame;
    use crate::FixedHeader;

    /// Bodies around the fast path's edges: each topic, packet identifier, property block and
    /// payload below, in every combination.
    fn bodies(version: ProtocolVersion) -> Vec<Vec<u8>> {
        let topics: [&[u8]; 8] = [
            b"a",
            b"sensors/0042/tmp",
            b"",
            b"a/+",
            b"#",
            b"a\0b",
            b"caf\xC3\xA9",
            b"\xFF",
        ];
        let ids: [&[u8]; 3] = [&[0x12, 0x34], &[0, 0], &[0x01]];
        let props: [&[u8]; 4] = [&[0], &[0x80, 0x00], &[3, 0x23, 0, 1], &[3, 0x23, 0, 0]];
        let payloads: [&[u8]; 2] = [b"", b"21.5"];
        let mut out = Vec::new();
        for topic in topics {
            for id in ids {
                for p in props {
                    for payload in payloads {
                        let mut b = (topic.len() as u16).to_be_bytes().to_vec();
                        b.extend_from_slice(topic);
                        b.extend_from_slice(id);
                        if version == ProtocolVersion::V5 {
                            b.extend_from_slice(p);
                        }
                        b.extend_from_slice(payload);
                        out.push(b);
                    }
                }
            }
        }
        // Truncated bodies too.
        out.extend([vec![], vec![0], vec![0, 5, b'a'], vec![0, 1, b'a', 0x12]]);
        out
    }

    #[test]
    fn the_fast_path_builds_what_the_general_decoder_builds() {
        let mut taken = 0;
        for version in [ProtocolVersion::V5, ProtocolVersion::V311] {
            for body in bodies(version) {
                for flags in 0..16u8 {
                    let Some(layout) = PlainLayout::of(flags, &body, version) else {
                        continue;
                    };
                    taken += 1;
                    let header = FixedHeader {
                        packet_type: PacketType::Publish,
                        flags,
                        remaining_length: body.len(),
                        header_len: 2,
                    };
                    let general =
                        decode_frame::<Publish>(&header, Bytes::from(body.clone()), version);
                    assert_eq!(
                        general,
                        Ok(layout.into_publish(Bytes::from(body.clone()))),
                        "{version:?} flags {flags:#x} body {body:?}"
                    );
                }
            }
        }
        assert!(taken > 50, "the fast path was taken only {taken} times");
    }

    #[test]
    fn publish_writes_the_same_bytes_as_the_generic_packet_writer() {
        let mut with_props = Publish::new(TopicName::new("a/b").unwrap(), vec![7u8; 200]);
        with_props.qos = QoS::ExactlyOnce;
        with_props.packet_id = PacketId::new(9);
        with_props.properties.set_topic_alias(Some(3));
        let mut qos0 = Publish::new(TopicName::new("t").unwrap(), Bytes::new());
        qos0.retain = true;
        let big = Publish::new(TopicName::new("big").unwrap(), vec![1u8; 70_000]);
        for p in [with_props, qos0, big] {
            for version in [ProtocolVersion::V5, ProtocolVersion::V311] {
                let Ok(lens) = p.measure(version) else {
                    continue;
                };
                let size = 1 + crate::wire::variable_byte_integer_len(lens.body) + lens.body;
                let mut fused = BytesMut::new();
                p.write_packet(version, &lens, size, &mut fused);
                let mut generic = BytesMut::new();
                generic.put_u8(((PacketType::Publish as u8) << 4) | p.flags());
                crate::wire::put_vbi(lens.body as u32, &mut generic);
                p.write(version, &lens, &mut generic);
                assert_eq!(fused, generic, "{version:?} {p:?}");
                assert_eq!(fused.len(), size);
            }
        }
    }

    #[test]
    fn the_simple_measure_agrees_with_the_general_path_and_declines_the_rest() {
        let topic = TopicName::new("sensors/0042/tmp").unwrap();
        let mut cases = Vec::new();
        for qos in [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce] {
            for id in [None, PacketId::new(7)] {
                for dup in [false, true] {
                    for payload in [0usize, 64, 200, 20_000] {
                        for alias in [None, Some(3)] {
                            let mut p = Publish::new(topic.clone(), vec![0x5A; payload]);
                            (p.qos, p.packet_id, p.dup, p.retain) = (qos, id, dup, payload > 0);
                            p.properties.set_topic_alias(alias);
                            cases.push(p);
                        }
                    }
                }
            }
        }
        cases.push(Publish::new(TopicName::empty(), Bytes::new()));
        let mut simple_taken = 0;
        for p in &cases {
            for version in [ProtocolVersion::V5, ProtocolVersion::V311] {
                for max in [crate::MAX_PACKET_SIZE, 100] {
                    let taken = p.measure_simple(version, max);
                    // The general path alone: check, measure, write.
                    let general =
                        crate::packet::measure_limited(p, version, max).map(|(lens, size)| {
                            let mut out = BytesMut::new();
                            p.write_packet(version, &lens, size, &mut out);
                            out
                        });
                    if let Some((lens, size)) = taken {
                        simple_taken += 1;
                        let mut simple = BytesMut::new();
                        p.write_packet(version, &lens, size, &mut simple);
                        assert_eq!(Ok(&simple), general.as_ref(), "{version:?} {p:?}");
                        assert_eq!(size, simple.len());
                    }
                    let mut via_api = BytesMut::new();
                    let api = crate::packet::encode_body(p, version, max, &mut via_api);
                    assert_eq!(api.map(|_| via_api), general, "{version:?} {p:?}");
                }
            }
        }
        assert!(
            simple_taken > 20,
            "the simple path was taken {simple_taken} times"
        );
    }

    #[test]
    fn the_fast_path_leaves_properties_and_broken_rules_to_the_general_decoder() {
        let v5 = ProtocolVersion::V5;
        let body = |topic: &[u8], rest: &[u8]| {
            let mut b = (topic.len() as u16).to_be_bytes().to_vec();
            b.extend_from_slice(topic);
            b.extend_from_slice(rest);
            b
        };
        assert!(PlainLayout::of(0x02, &body(b"a", &[0, 1, 0]), v5).is_some());
        assert!(PlainLayout::of(0x02, &body(b"a", &[0, 1, 3, 0x23, 0, 1]), v5).is_none());
        assert!(PlainLayout::of(0x02, &body(b"a", &[0, 0, 0]), v5).is_none()); // [MQTT-2.2.1-3]
        assert!(PlainLayout::of(0x08, &body(b"a", &[0]), v5).is_none()); // [MQTT-3.3.1-2]
        assert!(PlainLayout::of(0x06, &body(b"a", &[0, 1, 0]), v5).is_none()); // QoS 3
        assert!(PlainLayout::of(0x00, &body(b"a/#", &[0]), v5).is_none()); // [MQTT-3.3.2-2]
        assert!(PlainLayout::of(0x00, &body(b"", &[0]), v5).is_none());
    }
}
