//! [`Authenticator`]: the application's side of MQTT 5.0 enhanced authentication (section 4.12).

use bytes::Bytes;
use flowsdk_codec::Properties;

/// Produces the Authentication Data of an enhanced-authentication exchange (SCRAM, Kerberos,
/// a token scheme): the first data in CONNECT (or in AUTH 0x19 for re-authentication), then
/// one answer per broker challenge (AUTH 0x18).
///
/// The method itself is the client option `auth_method`; the session sends it in CONNECT and
/// in every AUTH [MQTT-4.12.1-1].
///
/// # Examples
/// A toy challenge-response that answers each challenge with its reverse:
/// ```
/// use bytes::Bytes;
/// use flowsdk_client::proto::Authenticator;
/// use flowsdk_codec::Properties;
///
/// #[derive(Debug)]
/// struct Reverse;
/// impl Authenticator for Reverse {
///     fn initial_data(&mut self) -> Option<Bytes> {
///         Some(Bytes::from_static(b"hello"))
///     }
///     fn challenge(&mut self, data: Option<&Bytes>, _: &Properties) -> Result<Option<Bytes>, String> {
///         let mut answer = data.ok_or("no challenge data")?.to_vec();
///         answer.reverse();
///         Ok(Some(answer.into()))
///     }
/// }
/// ```
pub trait Authenticator: Send + std::fmt::Debug {
    /// The Authentication Data to send with CONNECT (and with AUTH 0x19 when
    /// re-authenticating). Default none.
    fn initial_data(&mut self) -> Option<Bytes> {
        None
    }

    /// Answers a broker challenge (AUTH 0x18 Continue authentication) with the data for the
    /// client's AUTH 0x18 [MQTT-4.12.0-3].
    ///
    /// # Errors
    /// A message saying why the challenge cannot be answered; the session then disconnects
    /// with 0x87 Not authorized (while connecting: the connection fails).
    fn challenge(
        &mut self,
        data: Option<&Bytes>,
        properties: &Properties,
    ) -> Result<Option<Bytes>, String>;

    /// The broker accepted the authentication (CONNACK Success, or AUTH Success after
    /// re-authentication); `properties` may carry final Authentication Data to verify.
    ///
    /// # Errors
    /// A message saying why the broker's final data is not acceptable; the session then
    /// disconnects with 0x87 Not authorized.
    fn succeeded(&mut self, properties: &Properties) -> Result<(), String> {
        let _ = properties;
        Ok(())
    }
}
