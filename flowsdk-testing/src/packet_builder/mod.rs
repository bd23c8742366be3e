//! `RawPacketBuilder`: any MQTT packet, field by field, valid or not.

mod field;
mod properties;
#[cfg(test)]
mod tests;

use bytes::{BufMut, Bytes, BytesMut};
use flowsdk_codec::{CodecError, Packet, ProtocolVersion, QoS};

pub use field::{Field, RemainingLength};
pub use properties::RawProperties;

use field::put_vbi;

/// Builds the bytes of one MQTT packet field by field, including values the specification
/// forbids: any first byte (packet type and flags), a remaining length that is computed,
/// chosen, over-long or raw, and body fields written without checks.
///
/// Start from a preset, a valid packet of each type with its fields named, and change what the
/// test is about; or start from [`RawPacketBuilder::new`] with an empty body and push fields.
/// Setters of named fields ([`RawPacketBuilder::keep_alive`], [`RawPacketBuilder::packet_id`],
/// ...) replace the field of that name where the preset has one, and otherwise append it to
/// the end of the body, so a field can also be added where none belongs.
///
/// The presets are MQTT 5.0 packets (CONNECT also comes as [`RawPacketBuilder::connect_v311`]);
/// [`RawPacketBuilder::without_properties`] removes the property blocks, which gives the 3.1.1
/// form of the other packets.
///
/// ```
/// use flowsdk_codec::{CodecError, Packet, ProtocolVersion};
/// use flowsdk_testing::RawPacketBuilder;
///
/// // A valid CONNECT, then the same with protocol level 6 [MQTT-3.1.2-2].
/// let valid = RawPacketBuilder::connect_v5().client_id("probe");
/// assert!(matches!(valid.decode(ProtocolVersion::V5), Ok(Packet::Connect(_))));
/// let invalid = valid.protocol_level(6);
/// assert_eq!(
///     invalid.decode(ProtocolVersion::V5),
///     Err(CodecError::UnsupportedProtocolVersion { level: 6 })
/// );
///
/// // A PINGREQ whose remaining length takes five bytes [MQTT-1.5.5-1].
/// let bytes = RawPacketBuilder::pingreq().remaining_length_overlong(5).build();
/// assert_eq!(bytes.as_ref(), [0xC0, 0x80, 0x80, 0x80, 0x80, 0x00]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub struct RawPacketBuilder {
    first_byte: u8,
    remaining_length: RemainingLength,
    fields: Vec<(Option<&'static str>, Field)>,
}

/// Names of the fields the presets fill, as used by [`RawPacketBuilder::set_field`].
const PROTOCOL_NAME: &str = "protocol_name";
const PROTOCOL_LEVEL: &str = "protocol_level";
const CONNECT_FLAGS: &str = "connect_flags";
const KEEP_ALIVE: &str = "keep_alive";
const PROPERTIES: &str = "properties";
const CLIENT_ID: &str = "client_id";
const WILL_PROPERTIES: &str = "will_properties";
const WILL_TOPIC: &str = "will_topic";
const WILL_PAYLOAD: &str = "will_payload";
const USERNAME: &str = "username";
const PASSWORD: &str = "password";
const ACK_FLAGS: &str = "ack_flags";
const REASON_CODE: &str = "reason_code";
const REASON_CODES: &str = "reason_codes";
const PACKET_ID: &str = "packet_id";
const TOPIC: &str = "topic";
const PAYLOAD: &str = "payload";
const TOPIC_FILTER: &str = "topic_filter";
const SUBSCRIPTION_OPTIONS: &str = "subscription_options";

/// The client identifier the CONNECT presets carry.
const DEFAULT_CLIENT_ID: &str = "flowsdk-raw";

fn utf8(bytes: impl AsRef<[u8]>) -> Field {
    Field::Utf8(Bytes::copy_from_slice(bytes.as_ref()))
}

fn no_properties() -> Field {
    Field::Properties(Bytes::new())
}

impl RawPacketBuilder {
    /// A packet with this first byte (packet type in the high nibble, flags in the low one),
    /// an empty body and a computed remaining length.
    pub fn new(first_byte: u8) -> Self {
        RawPacketBuilder {
            first_byte,
            remaining_length: RemainingLength::Computed,
            fields: Vec::new(),
        }
    }

    fn named(mut self, name: &'static str, field: Field) -> Self {
        self.fields.push((Some(name), field));
        self
    }

    // ----- presets -----

    /// A valid MQTT 5.0 CONNECT: `protocol_name` "MQTT", `protocol_level` 5, `connect_flags`
    /// 0x02 (Clean Start), `keep_alive` 60, empty `properties`, `client_id` "flowsdk-raw".
    pub fn connect_v5() -> Self {
        RawPacketBuilder::new(0x10)
            .named(PROTOCOL_NAME, utf8("MQTT"))
            .named(PROTOCOL_LEVEL, Field::U8(5))
            .named(CONNECT_FLAGS, Field::U8(0x02))
            .named(KEEP_ALIVE, Field::U16(60))
            .named(PROPERTIES, no_properties())
            .named(CLIENT_ID, utf8(DEFAULT_CLIENT_ID))
    }

    /// A valid MQTT 3.1.1 CONNECT: as [`RawPacketBuilder::connect_v5`] with `protocol_level` 4
    /// and no properties (`connect_flags` 0x02 is Clean Session there).
    pub fn connect_v311() -> Self {
        RawPacketBuilder::new(0x10)
            .named(PROTOCOL_NAME, utf8("MQTT"))
            .named(PROTOCOL_LEVEL, Field::U8(4))
            .named(CONNECT_FLAGS, Field::U8(0x02))
            .named(KEEP_ALIVE, Field::U16(60))
            .named(CLIENT_ID, utf8(DEFAULT_CLIENT_ID))
    }

    /// A valid CONNACK accepting the connection: `ack_flags` 0, `reason_code` 0, empty
    /// `properties`.
    pub fn connack() -> Self {
        RawPacketBuilder::new(0x20)
            .named(ACK_FLAGS, Field::U8(0))
            .named(REASON_CODE, Field::U8(0))
            .named(PROPERTIES, no_properties())
    }

    /// A valid PUBLISH to `topic` (bytes unchecked) at `qos`: first byte `0x30 | qos << 1`,
    /// `topic`, `packet_id` 1 when `qos` is above 0, empty `properties`, empty `payload`.
    pub fn publish(topic: impl AsRef<[u8]>, qos: QoS) -> Self {
        let mut b = RawPacketBuilder::new(0x30 | (qos.as_u8() << 1)).named(TOPIC, utf8(topic));
        if qos != QoS::AtMostOnce {
            b = b.named(PACKET_ID, Field::U16(1));
        }
        b.named(PROPERTIES, no_properties())
            .named(PAYLOAD, Field::Raw(Bytes::new()))
    }

    fn ack(first_byte: u8, packet_id: u16) -> Self {
        RawPacketBuilder::new(first_byte)
            .named(PACKET_ID, Field::U16(packet_id))
            .named(REASON_CODE, Field::U8(0))
            .named(PROPERTIES, no_properties())
    }

    /// A valid PUBACK: `packet_id`, `reason_code` 0, empty `properties`.
    pub fn puback(packet_id: u16) -> Self {
        RawPacketBuilder::ack(0x40, packet_id)
    }

    /// A valid PUBREC: `packet_id`, `reason_code` 0, empty `properties`.
    pub fn pubrec(packet_id: u16) -> Self {
        RawPacketBuilder::ack(0x50, packet_id)
    }

    /// A valid PUBREL (first byte 0x62): `packet_id`, `reason_code` 0, empty `properties`.
    pub fn pubrel(packet_id: u16) -> Self {
        RawPacketBuilder::ack(0x62, packet_id)
    }

    /// A valid PUBCOMP: `packet_id`, `reason_code` 0, empty `properties`.
    pub fn pubcomp(packet_id: u16) -> Self {
        RawPacketBuilder::ack(0x70, packet_id)
    }

    /// A valid SUBSCRIBE (first byte 0x82) with one subscription: `packet_id` 1, empty
    /// `properties`, `topic_filter` (bytes unchecked), `subscription_options` = `qos`. Push a
    /// [`Field::Utf8`] and a [`Field::U8`] for each further subscription.
    pub fn subscribe(filter: impl AsRef<[u8]>, qos: QoS) -> Self {
        RawPacketBuilder::new(0x82)
            .named(PACKET_ID, Field::U16(1))
            .named(PROPERTIES, no_properties())
            .named(TOPIC_FILTER, utf8(filter))
            .named(SUBSCRIPTION_OPTIONS, Field::U8(qos.as_u8()))
    }

    /// A valid SUBACK: `packet_id`, empty `properties`, `reason_codes` holding `reason_code`.
    pub fn suback(packet_id: u16, reason_code: u8) -> Self {
        RawPacketBuilder::new(0x90)
            .named(PACKET_ID, Field::U16(packet_id))
            .named(PROPERTIES, no_properties())
            .named(
                REASON_CODES,
                Field::Raw(Bytes::copy_from_slice(&[reason_code])),
            )
    }

    /// A valid UNSUBSCRIBE (first byte 0xA2): `packet_id` 1, empty `properties`,
    /// `topic_filter` (bytes unchecked).
    pub fn unsubscribe(filter: impl AsRef<[u8]>) -> Self {
        RawPacketBuilder::new(0xA2)
            .named(PACKET_ID, Field::U16(1))
            .named(PROPERTIES, no_properties())
            .named(TOPIC_FILTER, utf8(filter))
    }

    /// A valid UNSUBACK: `packet_id`, empty `properties`, `reason_codes` holding 0 (Success).
    pub fn unsuback(packet_id: u16) -> Self {
        RawPacketBuilder::new(0xB0)
            .named(PACKET_ID, Field::U16(packet_id))
            .named(PROPERTIES, no_properties())
            .named(REASON_CODES, Field::Raw(Bytes::from_static(&[0])))
    }

    /// A PINGREQ: `C0 00`.
    pub fn pingreq() -> Self {
        RawPacketBuilder::new(0xC0)
    }

    /// A PINGRESP: `D0 00`.
    pub fn pingresp() -> Self {
        RawPacketBuilder::new(0xD0)
    }

    /// A valid DISCONNECT: `reason_code` 0 (Normal disconnection), empty `properties`.
    pub fn disconnect() -> Self {
        RawPacketBuilder::new(0xE0)
            .named(REASON_CODE, Field::U8(0))
            .named(PROPERTIES, no_properties())
    }

    /// A valid AUTH (MQTT 5.0 only): `reason_code` 0 (Success), empty `properties`.
    pub fn auth() -> Self {
        RawPacketBuilder::new(0xF0)
            .named(REASON_CODE, Field::U8(0))
            .named(PROPERTIES, no_properties())
    }

    // ----- fixed header -----

    /// Sets the whole first byte: packet type (high nibble) and flags (low nibble).
    pub fn first_byte(mut self, byte: u8) -> Self {
        self.first_byte = byte;
        self
    }

    /// Sets the packet type nibble (0 and values above 15 are kept to their low four bits; 0
    /// is the reserved type).
    pub fn packet_type(mut self, nibble: u8) -> Self {
        self.first_byte = (nibble << 4) | (self.first_byte & 0x0F);
        self
    }

    /// Sets the flags nibble (low four bits of `flags`), e.g. reserved flags on a PUBREL
    /// [MQTT-3.6.1-1], or QoS 3 on a PUBLISH (`0b0110`) [MQTT-3.3.1-4].
    pub fn flags(mut self, flags: u8) -> Self {
        self.first_byte = (self.first_byte & 0xF0) | (flags & 0x0F);
        self
    }

    /// Writes `value` as the remaining length (shortest form), whatever the body's length.
    pub fn remaining_length(mut self, value: u32) -> Self {
        self.remaining_length = RemainingLength::Value(value);
        self
    }

    /// Writes the body's length as the remaining length, stretched over `width` bytes
    /// [MQTT-1.5.5-1].
    pub fn remaining_length_overlong(mut self, width: usize) -> Self {
        self.remaining_length = RemainingLength::Overlong { width };
        self
    }

    /// Writes these bytes in place of the remaining length.
    pub fn remaining_length_raw(mut self, bytes: impl AsRef<[u8]>) -> Self {
        self.remaining_length = RemainingLength::Raw(Bytes::copy_from_slice(bytes.as_ref()));
        self
    }

    /// Sets how the remaining length is written. Default: [`RemainingLength::Computed`].
    pub fn remaining_length_mode(mut self, mode: RemainingLength) -> Self {
        self.remaining_length = mode;
        self
    }

    // ----- appending fields -----

    /// Appends `field` to the body, unnamed.
    pub fn push(mut self, field: Field) -> Self {
        self.fields.push((None, field));
        self
    }

    /// Appends a one-byte integer.
    pub fn push_u8(self, value: u8) -> Self {
        self.push(Field::U8(value))
    }

    /// Appends a two-byte big-endian integer.
    pub fn push_u16(self, value: u16) -> Self {
        self.push(Field::U16(value))
    }

    /// Appends a four-byte big-endian integer.
    pub fn push_u32(self, value: u32) -> Self {
        self.push(Field::U32(value))
    }

    /// Appends a Variable Byte Integer in its shortest form.
    pub fn push_vbi(self, value: u32) -> Self {
        self.push(Field::Vbi(value))
    }

    /// Appends a UTF-8 Encoded String made of `bytes` as given (invalid UTF-8 and U+0000
    /// included) with its two-byte length.
    pub fn push_utf8(self, bytes: impl AsRef<[u8]>) -> Self {
        self.push(utf8(bytes))
    }

    /// Appends Binary Data with its two-byte length.
    pub fn push_binary(self, bytes: impl AsRef<[u8]>) -> Self {
        self.push(Field::Binary(Bytes::copy_from_slice(bytes.as_ref())))
    }

    /// Appends a property block: the length of `bytes` as a Variable Byte Integer, then
    /// `bytes` (see [`RawProperties`]).
    pub fn push_properties(self, bytes: impl AsRef<[u8]>) -> Self {
        self.push(Field::Properties(Bytes::copy_from_slice(bytes.as_ref())))
    }

    /// Appends bytes as they are.
    pub fn push_raw(self, bytes: impl AsRef<[u8]>) -> Self {
        self.push(Field::Raw(Bytes::copy_from_slice(bytes.as_ref())))
    }

    // ----- named fields -----

    /// Replaces the field called `name`, or appends it under that name when there is none.
    ///
    /// The presets name their fields (see each preset); the typed setters below call this.
    pub fn set_field(mut self, name: &'static str, field: Field) -> Self {
        match self.fields.iter_mut().find(|(n, _)| *n == Some(name)) {
            Some(slot) => slot.1 = field,
            None => self.fields.push((Some(name), field)),
        }
        self
    }

    /// Removes the field called `name`, if there is one (e.g. `"packet_id"` from a QoS 1
    /// PUBLISH, or `"properties"` to get a 3.1.1 body).
    pub fn remove_field(mut self, name: &str) -> Self {
        self.fields.retain(|(n, _)| *n != Some(name));
        self
    }

    /// Removes the `properties` and `will_properties` blocks: the MQTT 3.1.1 form of a
    /// preset's body (a CONNECT also needs [`RawPacketBuilder::protocol_level`] 4, or use
    /// [`RawPacketBuilder::connect_v311`]).
    pub fn without_properties(self) -> Self {
        self.remove_field(PROPERTIES).remove_field(WILL_PROPERTIES)
    }

    /// The field called `name`, if there is one.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields
            .iter()
            .find(|(n, _)| *n == Some(name))
            .map(|(_, f)| f)
    }

    /// The names of the named fields, in body order.
    pub fn field_names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.fields.iter().filter_map(|(n, _)| *n)
    }

    /// CONNECT `protocol_name`, bytes unchecked (e.g. `"mqtt"` or `"MQIsdp"`) [MQTT-3.1.2-1].
    pub fn protocol_name(self, name: impl AsRef<[u8]>) -> Self {
        self.set_field(PROTOCOL_NAME, utf8(name))
    }

    /// CONNECT `protocol_level` (4 is 3.1.1, 5 is 5.0) [MQTT-3.1.2-2].
    pub fn protocol_level(self, level: u8) -> Self {
        self.set_field(PROTOCOL_LEVEL, Field::U8(level))
    }

    /// CONNECT `connect_flags` byte: bit 0 reserved [MQTT-3.1.2-3], 1 Clean Start, 2 Will
    /// Flag, 3-4 Will QoS, 5 Will Retain, 6 Password, 7 User Name.
    pub fn connect_flags(self, flags: u8) -> Self {
        self.set_field(CONNECT_FLAGS, Field::U8(flags))
    }

    /// CONNECT `keep_alive`, in seconds.
    pub fn keep_alive(self, seconds: u16) -> Self {
        self.set_field(KEEP_ALIVE, Field::U16(seconds))
    }

    /// The packet's `properties` block from raw property bytes (see [`RawProperties`]); the
    /// length prefix is computed.
    pub fn properties(self, bytes: impl AsRef<[u8]>) -> Self {
        self.set_field(
            PROPERTIES,
            Field::Properties(Bytes::copy_from_slice(bytes.as_ref())),
        )
    }

    /// CONNECT `client_id`, bytes unchecked.
    pub fn client_id(self, id: impl AsRef<[u8]>) -> Self {
        self.set_field(CLIENT_ID, utf8(id))
    }

    /// CONNECT `will_properties`, `will_topic` and `will_payload` (MQTT 5.0 layout), appended
    /// to the body where absent (so call it before [`RawPacketBuilder::username`] and
    /// [`RawPacketBuilder::password`]; drop the will properties with
    /// [`RawPacketBuilder::without_properties`] for 3.1.1). The Will Flag is not set: use
    /// [`RawPacketBuilder::connect_flags`], or leave it clear to break [MQTT-3.1.2-9].
    pub fn will(
        self,
        properties: impl AsRef<[u8]>,
        topic: impl AsRef<[u8]>,
        payload: impl AsRef<[u8]>,
    ) -> Self {
        self.set_field(
            WILL_PROPERTIES,
            Field::Properties(Bytes::copy_from_slice(properties.as_ref())),
        )
        .set_field(WILL_TOPIC, utf8(topic))
        .set_field(
            WILL_PAYLOAD,
            Field::Binary(Bytes::copy_from_slice(payload.as_ref())),
        )
    }

    /// CONNECT `username`, bytes unchecked, appended where absent; the User Name flag is not
    /// set (see [`RawPacketBuilder::connect_flags`]).
    pub fn username(self, username: impl AsRef<[u8]>) -> Self {
        self.set_field(USERNAME, utf8(username))
    }

    /// CONNECT `password`, appended where absent; the Password flag is not set.
    pub fn password(self, password: impl AsRef<[u8]>) -> Self {
        self.set_field(
            PASSWORD,
            Field::Binary(Bytes::copy_from_slice(password.as_ref())),
        )
    }

    /// CONNACK `ack_flags` byte (bit 0 Session Present, the rest reserved [MQTT-3.2.2-1]).
    pub fn ack_flags(self, flags: u8) -> Self {
        self.set_field(ACK_FLAGS, Field::U8(flags))
    }

    /// The `reason_code` byte (CONNACK, PUBACK, PUBREC, PUBREL, PUBCOMP, DISCONNECT, AUTH),
    /// unchecked.
    pub fn reason_code(self, code: u8) -> Self {
        self.set_field(REASON_CODE, Field::U8(code))
    }

    /// The `reason_codes` list of a SUBACK or UNSUBACK, bytes unchecked.
    pub fn reason_codes(self, codes: impl AsRef<[u8]>) -> Self {
        self.set_field(
            REASON_CODES,
            Field::Raw(Bytes::copy_from_slice(codes.as_ref())),
        )
    }

    /// The `packet_id` (0 can be written [MQTT-2.2.1-3]).
    pub fn packet_id(self, id: u16) -> Self {
        self.set_field(PACKET_ID, Field::U16(id))
    }

    /// PUBLISH `topic`, bytes unchecked (wildcards, U+0000, invalid UTF-8...).
    pub fn topic(self, topic: impl AsRef<[u8]>) -> Self {
        self.set_field(TOPIC, utf8(topic))
    }

    /// PUBLISH `payload`, written as it is.
    pub fn payload(self, payload: impl AsRef<[u8]>) -> Self {
        self.set_field(
            PAYLOAD,
            Field::Raw(Bytes::copy_from_slice(payload.as_ref())),
        )
    }

    /// SUBSCRIBE or UNSUBSCRIBE first `topic_filter`, bytes unchecked.
    pub fn topic_filter(self, filter: impl AsRef<[u8]>) -> Self {
        self.set_field(TOPIC_FILTER, utf8(filter))
    }

    /// SUBSCRIBE first `subscription_options` byte (bits 0-1 QoS, 2 No Local, 3 Retain As
    /// Published, 4-5 Retain Handling, 6-7 reserved [MQTT-3.8.3-5]).
    pub fn subscription_options(self, options: u8) -> Self {
        self.set_field(SUBSCRIPTION_OPTIONS, Field::U8(options))
    }

    // ----- output -----

    /// The body (everything after the fixed header).
    pub fn body(&self) -> Bytes {
        let mut out = BytesMut::with_capacity(self.body_len());
        for (_, field) in &self.fields {
            field.write(&mut out);
        }
        out.freeze()
    }

    /// The body's length in bytes, the value [`RemainingLength::Computed`] writes.
    pub fn body_len(&self) -> usize {
        self.fields.iter().map(|(_, f)| f.wire_len()).sum()
    }

    /// The packet's bytes: first byte, remaining length, body.
    pub fn build(&self) -> Bytes {
        let body = self.body();
        let mut out = BytesMut::with_capacity(1 + 5 + body.len());
        out.put_u8(self.first_byte);
        match &self.remaining_length {
            RemainingLength::Computed => put_vbi(body.len() as u64, 0, &mut out),
            RemainingLength::Value(v) => put_vbi(u64::from(*v), 0, &mut out),
            RemainingLength::Overlong { width } => put_vbi(body.len() as u64, *width, &mut out),
            RemainingLength::Raw(bytes) => out.put_slice(bytes),
        }
        out.put_slice(&body);
        out.freeze()
    }

    /// Decodes [`RawPacketBuilder::build`]'s bytes with flowsdk-codec as one whole frame, to
    /// check what a strict receiver makes of them.
    ///
    /// # Errors
    /// The [`CodecError`] the codec rejects the bytes with.
    pub fn decode(&self, version: ProtocolVersion) -> Result<Packet, CodecError> {
        Packet::decode(version, self.build())
    }
}
