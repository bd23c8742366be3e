//! CONNECT (section 3.1): the first packet a client sends.

use bytes::{BufMut, Bytes, BytesMut};

use super::common::no_properties_in_v311;
use super::{packet_api, Body, Lens};
use crate::wire::{check_binary, put_binary, put_str, variable_byte_integer_len, Reader};
use crate::{CodecError, MqttString, PacketType, Properties, ProtocolVersion, QoS, TopicName};

/// CONNECT: a client asks to open a session (section 3.1).
///
/// A CONNECT is encoded with the version in [`Connect::protocol_version`] and decoded with the
/// version it declares, whatever version the caller passes: it is the packet that chooses the
/// version for the rest of the connection.
///
/// ```
/// use flowsdk_codec::{Connect, MqttString, ProtocolVersion};
/// let mut connect = Connect::new(MqttString::new("sensor-7")?);
/// connect.keep_alive = 30;
/// connect.properties.set_session_expiry_interval(Some(3600));
/// let mut buf = bytes::BytesMut::new();
/// connect.encode(ProtocolVersion::V5, &mut buf)?;
/// # Ok::<(), flowsdk_codec::CodecError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Connect {
    /// The protocol version the client speaks (protocol level 4 or 5).
    pub protocol_version: ProtocolVersion,
    /// Clean Start (5.0) / Clean Session (3.1.1).
    pub clean_start: bool,
    /// Keep Alive in seconds; 0 turns keep-alive off.
    pub keep_alive: u16,
    /// The Client Identifier; may be empty, asking the server to assign one.
    pub client_id: MqttString,
    /// The Will Message, if any.
    pub will: Option<Will>,
    /// The User Name, if any.
    pub username: Option<MqttString>,
    /// The Password, if any (3.1.1 requires a user name with it).
    pub password: Option<Bytes>,
    /// CONNECT properties (5.0 only).
    pub properties: Properties,
}

/// The Will Message of a CONNECT: published by the server when the connection drops without a
/// normal DISCONNECT (section 3.1.2.5).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Will {
    /// The topic the will is published to.
    pub topic: TopicName,
    /// The will's payload.
    pub payload: Bytes,
    /// The QoS it is published with.
    pub qos: QoS,
    /// Whether it is published as a retained message.
    pub retain: bool,
    /// Will properties (5.0 only): Will Delay Interval, Message Expiry Interval, and so on.
    pub properties: Properties,
}

impl Will {
    /// A QoS 0, non-retained will without properties.
    pub fn new(topic: TopicName, payload: impl Into<Bytes>) -> Self {
        Will {
            topic,
            payload: payload.into(),
            qos: QoS::AtMostOnce,
            retain: false,
            properties: Properties::new(),
        }
    }
}

impl Connect {
    /// A 5.0 CONNECT with Clean Start, keep-alive 60 s, no will, no credentials, no properties.
    pub fn new(client_id: MqttString) -> Self {
        Connect {
            protocol_version: ProtocolVersion::V5,
            clean_start: true,
            keep_alive: 60,
            client_id,
            will: None,
            username: None,
            password: None,
            properties: Properties::new(),
        }
    }
}

packet_api!(Connect, boxed);

const PROTOCOL_NAME: &[u8] = b"MQTT";

impl Body for Connect {
    const TYPE: PacketType = PacketType::Connect;

    fn measure(&self, _version: ProtocolVersion) -> Result<Lens, CodecError> {
        let v5 = self.protocol_version == ProtocolVersion::V5;
        let mut lens = Lens::default();
        // Protocol name, level, flags, keep alive.
        let mut body = 2 + PROTOCOL_NAME.len() + 1 + 1 + 2;
        if v5 {
            lens.props = self.properties.checked_len(Some(PacketType::Connect))?;
            body += variable_byte_integer_len(lens.props) + lens.props;
        } else {
            no_properties_in_v311(&self.properties, PacketType::Connect)?;
        }
        body += 2 + self.client_id.len();
        if let Some(will) = &self.will {
            if v5 {
                lens.will_props = will.properties.checked_len(None)?;
                body += variable_byte_integer_len(lens.will_props) + lens.will_props;
            } else {
                no_properties_in_v311(&will.properties, PacketType::Connect)?;
            }
            if will.topic.is_empty() {
                return Err(CodecError::EmptyTopicName);
            }
            body += 2 + will.topic.len() + check_binary(&will.payload, "will payload")?;
        }
        if let Some(username) = &self.username {
            body += 2 + username.len();
        } else if self.password.is_some() && !v5 {
            return Err(CodecError::PasswordWithoutUsername);
        }
        if let Some(password) = &self.password {
            body += check_binary(password, "password")?;
        }
        lens.body = body;
        Ok(lens)
    }

    fn write(&self, _version: ProtocolVersion, lens: &Lens, out: &mut BytesMut) {
        let v5 = self.protocol_version == ProtocolVersion::V5;
        put_binary(PROTOCOL_NAME, out);
        out.put_u8(self.protocol_version.level());
        let mut flags = 0u8;
        if self.username.is_some() {
            flags |= 0x80;
        }
        if self.password.is_some() {
            flags |= 0x40;
        }
        if let Some(will) = &self.will {
            flags |= 0x04 | (will.qos.as_u8() << 3);
            if will.retain {
                flags |= 0x20;
            }
        }
        if self.clean_start {
            flags |= 0x02;
        }
        out.put_u8(flags);
        out.put_u16(self.keep_alive);
        if v5 {
            self.properties.encode_block(lens.props, out);
        }
        put_str(&self.client_id, out);
        if let Some(will) = &self.will {
            if v5 {
                will.properties.encode_block(lens.will_props, out);
            }
            put_str(will.topic.as_mqtt_str(), out);
            put_binary(&will.payload, out);
        }
        if let Some(username) = &self.username {
            put_str(username, out);
        }
        if let Some(password) = &self.password {
            put_binary(password, out);
        }
    }

    fn read(_flags: u8, r: &mut Reader, _version: ProtocolVersion) -> Result<Self, CodecError> {
        let name = r.binary("protocol name")?;
        if &name[..] != PROTOCOL_NAME {
            // 3.1 clients send "MQIsdp" with level 3: report the version, which is what a
            // server answers (CONNACK 0x84 / return code 1).
            if &name[..] == b"MQIsdp" {
                return Err(CodecError::UnsupportedProtocolVersion {
                    level: r.u8("protocol level")?,
                });
            }
            return Err(CodecError::InvalidProtocolName {
                name: String::from_utf8_lossy(&name).into_owned(),
            });
        }
        let protocol_version = ProtocolVersion::from_level(r.u8("protocol level")?)?;
        let v5 = protocol_version == ProtocolVersion::V5;
        let flags = r.u8("connect flags")?;
        if flags & 0x01 != 0 {
            return Err(CodecError::ReservedConnectFlag);
        }
        let will_flag = flags & 0x04 != 0;
        let will_qos = (flags >> 3) & 0x03;
        let will_retain = flags & 0x20 != 0;
        if !will_flag && will_qos != 0 {
            return Err(CodecError::WillFlagsWithoutWill);
        }
        if !will_flag && will_retain {
            return Err(CodecError::WillRetainWithoutWill);
        }
        let has_username = flags & 0x80 != 0;
        let has_password = flags & 0x40 != 0;
        if !v5 && has_password && !has_username {
            return Err(CodecError::PasswordWithoutUsername);
        }
        let keep_alive = r.u16("keep alive")?;
        let properties = if v5 {
            Properties::decode_block(r, Some(PacketType::Connect))?
        } else {
            Properties::new()
        };
        let client_id = r.string("client identifier")?;
        let will = if will_flag {
            let qos = QoS::from_u8(will_qos)
                .map_err(|_| CodecError::InvalidWillQoS { value: will_qos })?;
            let properties = if v5 {
                missing(Properties::decode_block(r, None), "will properties")?
            } else {
                Properties::new()
            };
            let topic = TopicName::try_from_string(missing(r.string("will topic"), "will topic")?)?;
            let payload = missing(r.binary("will payload"), "will payload")?;
            Some(Will {
                topic,
                payload,
                qos,
                retain: will_retain,
                properties,
            })
        } else {
            None
        };
        let username = if has_username {
            Some(missing(r.string("user name"), "user name")?)
        } else {
            None
        };
        let password = if has_password {
            Some(missing(r.binary("password"), "password")?)
        } else {
            None
        };
        Ok(Connect {
            protocol_version,
            clean_start: flags & 0x02 != 0,
            keep_alive,
            client_id,
            will,
            username,
            password,
            properties,
        })
    }
}

/// A field the CONNECT flags announce and the payload does not hold is its own rule.
fn missing<T>(read: Result<T, CodecError>, field: &'static str) -> Result<T, CodecError> {
    read.map_err(|e| match e {
        CodecError::UnexpectedEof { .. } => CodecError::MissingConnectField { field },
        other => other,
    })
}
