//! [`Frames`]: encoded packets queued for one vectored write, large payloads not copied.

use std::collections::VecDeque;
use std::io::IoSlice;

use bytes::{Buf, Bytes, BytesMut};

use crate::packet::measure_limited;
use crate::{CodecError, Packet, ProtocolVersion, Publish};

/// The payload size from which [`Frames::new`] sends a PUBLISH payload from where it is
/// instead of copying it.
///
/// Below it, a copy costs less than what referencing costs: a reference-count update on the
/// payload, cutting the buffered headers into a chunk of their own, and one more entry in the
/// vectored write.
pub const DEFAULT_ZERO_COPY_MIN: usize = 4096;

/// Encoded packets waiting to be written, in order, as a [`Buf`] of chunks.
///
/// Packets are encoded as [`Packet::encode_limited`] encodes them, into one growing buffer,
/// except the payload of a PUBLISH of at least [`Frames::zero_copy_min`] bytes: the payload
/// stays where it is (the `Frames` holds a handle on the application's `Bytes`) and becomes a
/// chunk of its own, after a chunk holding everything before it. A vectored write
/// (`tokio::io::AsyncWriteExt::write_all_buf`, which calls `writev` when the stream supports
/// it) then sends headers and payloads together, and no payload byte is copied in user space.
/// On a stream without vectored writes the chunks are written one after the other.
///
/// The bytes are the same as [`Packet::encode_limited`]'s, in the same order; only where they
/// lie differs.
///
/// ```
/// use bytes::{Buf, Bytes};
/// use flowsdk_codec::{Frames, Packet, ProtocolVersion, Publish, TopicName, MAX_PACKET_SIZE};
///
/// let payload = Bytes::from(vec![7u8; 64 * 1024]);
/// let publish = Publish::new(TopicName::new("bulk/data")?, payload.clone());
/// let mut frames = Frames::new();
/// let size = frames.push(&Packet::from(publish), ProtocolVersion::V5, MAX_PACKET_SIZE)?;
/// assert_eq!(frames.remaining(), size);
/// // The headers, then the payload itself: the same memory, not a copy.
/// frames.advance(size - payload.len());
/// assert_eq!(frames.chunk().as_ptr(), payload.as_ptr());
/// # Ok::<(), flowsdk_codec::CodecError>(())
/// ```
#[derive(Debug)]
pub struct Frames {
    /// Finished chunks, oldest first; none is empty.
    chunks: VecDeque<Bytes>,
    /// Bytes in `chunks`.
    in_chunks: usize,
    /// What was encoded since the last chunk was cut; it comes after every chunk.
    tail: BytesMut,
    /// Payloads of at least this many bytes are referenced, not copied.
    zero_copy_min: usize,
}

impl Default for Frames {
    fn default() -> Self {
        Frames::new()
    }
}

impl Frames {
    /// An empty queue that references payloads of [`DEFAULT_ZERO_COPY_MIN`] bytes or more.
    pub fn new() -> Self {
        Frames::with_zero_copy_min(DEFAULT_ZERO_COPY_MIN)
    }

    /// An empty queue that references PUBLISH payloads of at least `min` bytes (at least 1)
    /// and copies smaller ones; `usize::MAX` copies every payload.
    pub fn with_zero_copy_min(min: usize) -> Self {
        Frames {
            chunks: VecDeque::new(),
            in_chunks: 0,
            tail: BytesMut::new(),
            zero_copy_min: min.max(1),
        }
    }

    /// The payload size from which payloads are referenced rather than copied.
    pub fn zero_copy_min(&self) -> usize {
        self.zero_copy_min
    }

    /// Encodes `packet` at the end of the queue, after checking every rule for `version` and
    /// that the whole packet is at most `max_packet_size` bytes. Returns the packet's size.
    ///
    /// # Errors
    /// As [`Packet::encode_limited`]; nothing is queued then.
    pub fn push(
        &mut self,
        packet: &Packet,
        version: ProtocolVersion,
        max_packet_size: u32,
    ) -> Result<usize, CodecError> {
        match packet {
            Packet::Publish(p) if p.payload.len() >= self.zero_copy_min => {
                self.push_by_reference(p, version, max_packet_size)
            }
            _ => packet.encode_limited(version, max_packet_size, &mut self.tail),
        }
    }

    fn push_by_reference(
        &mut self,
        publish: &Publish,
        version: ProtocolVersion,
        max_packet_size: u32,
    ) -> Result<usize, CodecError> {
        let (lens, size) = measure_limited(publish, version, max_packet_size)?;
        publish.write_parts(version, &lens, size, &mut self.tail, false);
        // The headers (and whatever was queued before them) become a chunk; the tail starts
        // again after the payload.
        let head = self.tail.split().freeze();
        self.in_chunks += head.len() + publish.payload.len();
        self.chunks.push_back(head);
        self.chunks.push_back(publish.payload.clone());
        Ok(size)
    }

    /// Queues bytes as they are (for tests that send malformed packets, for example).
    pub fn push_raw(&mut self, bytes: &[u8]) {
        self.tail.extend_from_slice(bytes);
    }

    /// Bytes queued and not yet consumed.
    pub fn len(&self) -> usize {
        self.in_chunks + self.tail.len()
    }

    /// `true` when nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops everything queued.
    pub fn clear(&mut self) {
        self.chunks.clear();
        self.in_chunks = 0;
        self.tail.clear();
    }
}

impl Buf for Frames {
    fn remaining(&self) -> usize {
        self.len()
    }

    fn chunk(&self) -> &[u8] {
        match self.chunks.front() {
            Some(chunk) => chunk,
            None => &self.tail,
        }
    }

    /// # Panics
    /// When `cnt` is more than [`Buf::remaining`], as every `Buf`.
    fn advance(&mut self, mut cnt: usize) {
        while cnt > 0 {
            let Some(front) = self.chunks.front_mut() else {
                self.tail.advance(cnt);
                return;
            };
            let n = cnt.min(front.len());
            front.advance(n);
            self.in_chunks -= n;
            cnt -= n;
            if front.is_empty() {
                self.chunks.pop_front();
            }
        }
    }

    fn chunks_vectored<'a>(&'a self, dst: &mut [IoSlice<'a>]) -> usize {
        let mut n = 0;
        let tail = (!self.tail.is_empty()).then_some(&self.tail[..]);
        for (slot, chunk) in dst
            .iter_mut()
            .zip(self.chunks.iter().map(|c| &c[..]).chain(tail))
        {
            *slot = IoSlice::new(chunk);
            n += 1;
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{PacketId, QoS, TopicName, MAX_PACKET_SIZE};
    use bytes::BufMut;

    fn publish(payload: usize, qos: QoS) -> Publish {
        let mut p = Publish::new(
            TopicName::new("frames/test").unwrap(),
            Bytes::from((0..payload).map(|i| i as u8).collect::<Vec<_>>()),
        );
        if qos != QoS::AtMostOnce {
            p.qos = qos;
            p.packet_id = PacketId::new(9);
        }
        p
    }

    fn packets() -> Vec<Packet> {
        let mut with_props = publish(5000, QoS::ExactlyOnce);
        with_props.properties.set_message_expiry_interval(Some(30));
        vec![
            Packet::PingReq,
            publish(10, QoS::AtLeastOnce).into(),
            publish(4096, QoS::AtMostOnce).into(),
            publish(4095, QoS::AtLeastOnce).into(),
            with_props.into(),
            Packet::PingResp,
            publish(70_000, QoS::AtLeastOnce).into(),
            publish(70_000, QoS::AtLeastOnce).into(),
        ]
    }

    /// Everything `frames` holds, read as a `Buf` reads it, in steps of `step` bytes.
    fn drain(frames: &mut Frames, step: usize) -> Vec<u8> {
        let mut out = Vec::new();
        while frames.has_remaining() {
            let n = frames.chunk().len().min(step);
            out.put_slice(&frames.chunk()[..n]);
            frames.advance(n);
        }
        out
    }

    #[test]
    fn frames_hold_the_bytes_the_contiguous_encoder_writes() {
        for version in [ProtocolVersion::V5, ProtocolVersion::V311] {
            for min in [1, 100, DEFAULT_ZERO_COPY_MIN, usize::MAX] {
                for step in [1, 7, 4096, usize::MAX] {
                    let mut expected = BytesMut::new();
                    let mut frames = Frames::with_zero_copy_min(min);
                    for p in packets() {
                        let want = p.encode_limited(version, MAX_PACKET_SIZE, &mut expected);
                        assert_eq!(frames.push(&p, version, MAX_PACKET_SIZE), want);
                    }
                    assert_eq!(frames.len(), expected.len());
                    assert_eq!(drain(&mut frames, step), &expected[..], "{version:?} {min}");
                    assert!(frames.is_empty());
                }
            }
        }
    }

    #[test]
    fn large_payloads_are_chunks_of_their_own_not_copies() {
        let big = publish(70_000, QoS::AtLeastOnce);
        let small = publish(10, QoS::AtLeastOnce);
        let mut frames = Frames::new();
        for p in [&small, &big, &small] {
            frames
                .push(&p.clone().into(), ProtocolVersion::V5, MAX_PACKET_SIZE)
                .unwrap();
        }
        let mut slices = [IoSlice::new(&[]); 8];
        let n = frames.chunks_vectored(&mut slices);
        // The small PUBLISH and the big one's headers; the payload; the last small PUBLISH.
        assert_eq!(n, 3);
        assert_eq!(slices[1].as_ptr(), big.payload.as_ptr());
        assert_eq!(slices[1].len(), big.payload.len());
        let total: usize = slices[..n].iter().map(|s| s.len()).sum();
        assert_eq!(total, frames.remaining());
        // Fewer slots than chunks: the first ones, in order.
        let mut one = [IoSlice::new(&[])];
        assert_eq!(frames.chunks_vectored(&mut one), 1);
        assert_eq!(&one[0][..], frames.chunk());
    }

    #[test]
    fn a_refused_packet_queues_nothing() {
        let mut frames = Frames::new();
        let big = Packet::from(publish(70_000, QoS::AtLeastOnce));
        let err = frames.push(&big, ProtocolVersion::V5, 1024);
        assert!(
            matches!(err, Err(CodecError::PacketTooLarge { .. })),
            "{err:?}"
        );
        let mut bad = publish(70_000, QoS::AtLeastOnce);
        bad.packet_id = None; // [MQTT-2.2.1-2]
        assert!(frames
            .push(&bad.into(), ProtocolVersion::V5, MAX_PACKET_SIZE)
            .is_err());
        assert!(frames.is_empty() && frames.chunks_vectored(&mut [IoSlice::new(&[])]) == 0);
        frames.push_raw(&[0xC0, 0x00]);
        assert_eq!(drain(&mut frames, usize::MAX), [0xC0, 0x00]);
        frames
            .push(&big, ProtocolVersion::V5, MAX_PACKET_SIZE)
            .unwrap();
        frames.clear();
        assert!(frames.is_empty());
    }
}
