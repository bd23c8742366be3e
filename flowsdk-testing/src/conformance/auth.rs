//! Enhanced authentication: methods the broker lacks, and its silence when none is used.

use flowsdk_codec::{Auth, MqttString};

use super::prelude::*;
use super::session::session_connect;

cases! { V5;
    "auth.unsupported_method_is_refused_and_closed"
        ["MQTT-4.12.0-1", "MQTT-3.1.4-2", "MQTT-3.2.2-6", "MQTT-3.2.2-7", "MQTT-4.13.2-1"] => unsupported_method;
    "auth.challenge_continues_with_0x18_and_the_same_method"
        ["MQTT-4.12.0-2", "MQTT-4.12.0-5", "MQTT-3.15.2-1"] => challenge;
    "auth.no_auth_without_an_authentication_method"
        ["MQTT-4.12.0-6"] => none_without_method;
    "auth.reauthentication_that_cannot_succeed_closes"
        ["MQTT-4.12.1-2", "MQTT-4.13.1-1"] => failed_reauthentication;
}

fn method(name: &str) -> Check<MqttString> {
    MqttString::new(name).map_err(|e| Outcome::error(e.to_string()))
}

async fn unsupported_method(cx: CaseContext) -> Check {
    // A session exists, so Session Present = 1 would be possible were it accepted.
    let id = cx.client_id();
    let (s, _) = cx.connect(session_connect(&cx, &id, true, 30)?).await?;
    s.disconnect().await?;
    let mut c = session_connect(&cx, &id, false, 30)?;
    c.properties
        .set_authentication_method(Some(method("flowsdk-no-such-method")?));
    let mut p = cx.dial().await?;
    p.set_version(ProtocolVersion::V5);
    p.send(&Packet::Connect(Box::new(c))).await?;
    let first = p.recv("a CONNACK refusing the unknown method").await?;
    match first {
        Packet::Auth(_) => Err(Outcome::not_applicable(
            "the broker answers AUTH for a method it cannot know (it runs a catch-all authenticator)",
        )),
        Packet::ConnAck(ack) => {
            ensure(
                is_failure(ack.reason_code) && !ack.session_present,
                "CONNACK 0x8C or 0x87 (any failure code), Session Present 0",
                || describe(&Packet::ConnAck(ack.clone())),
            )?;
            match p.expect_close("the connection closed after the failure CONNACK").await? {
                None => Ok(()),
                Some(d) => Err(Outcome::fail(
                    "the close, without DISCONNECT after a failure CONNACK",
                    format!("DISCONNECT {}", d.reason_code),
                )),
            }
        }
        other => Err(Outcome::fail("a CONNACK", describe(&other))),
    }
}

async fn challenge(cx: CaseContext) -> Check {
    let m = method("SCRAM-SHA-1")?;
    let mut c = cx.connect_packet(&cx.client_id())?;
    c.properties.set_authentication_method(Some(m.clone()));
    c.properties
        .set_authentication_data(Some(Bytes::from_static(
            b"n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
        )));
    let mut p = cx.dial().await?;
    p.set_version(ProtocolVersion::V5);
    p.send(&Packet::Connect(Box::new(c))).await?;
    match p.recv("AUTH or CONNACK").await? {
        Packet::ConnAck(ack) if is_failure(ack.reason_code) => {
            Err(Outcome::not_applicable(format!(
                "the broker does not support SCRAM-SHA-1 (CONNACK {})",
                ack.reason_code
            )))
        }
        Packet::ConnAck(ack) => ensure(
            ack.properties.authentication_method().as_ref() == Some(&m),
            "a successful CONNACK repeating Authentication Method SCRAM-SHA-1",
            || describe(&Packet::ConnAck(ack.clone())),
        ),
        Packet::Auth(auth) => {
            ensure(
                auth.reason_code == ReasonCode::ContinueAuthentication
                    && auth.reason_code.is_allowed_in(PacketType::Auth),
                "AUTH 0x18 (Continue authentication)",
                || format!("AUTH {}", auth.reason_code),
            )?;
            ensure(
                auth.properties.authentication_method().as_ref() == Some(&m),
                "the AUTH repeating Authentication Method SCRAM-SHA-1",
                || format!("{:?}", auth.properties.authentication_method()),
            )
        }
        other => Err(Outcome::fail("AUTH or CONNACK", describe(&other))),
    }
}

async fn none_without_method(cx: CaseContext) -> Check {
    let (mut p, ack) = cx.client().await?;
    ensure(
        ack.properties.authentication_method().is_none()
            && ack.properties.authentication_data().is_none(),
        "no Authentication Method or Data in the CONNACK",
        || format!("{:?}", ack.properties),
    )?;
    p.subscribe(&cx.topic("t"), QoS::AtMostOnce).await?;
    // An AUTH would arrive before the PINGRESP and fail the step.
    p.ping().await
}

async fn failed_reauthentication(cx: CaseContext) -> Check {
    let (mut p, _) = cx.client().await?;
    let mut auth = Auth::new(ReasonCode::ReAuthenticate);
    auth.properties
        .set_authentication_method(Some(method("flowsdk-no-such-method")?));
    p.send(&Packet::Auth(auth)).await?;
    p.expect_protocol_close("a re-authentication the broker cannot perform (no method in CONNECT)")
        .await
}
