//! Topic names, topic filters, shared subscriptions and matching (section 4.7, 4.8).

use crate::{CodecError, MqttString};

/// A topic name: the topic a PUBLISH is sent to. No wildcards [MQTT-3.3.2-2], at least one
/// character [MQTT-4.7.3-1], no U+0000 [MQTT-4.7.3-2], at most 65,535 bytes [MQTT-4.7.3-3].
///
/// The one exception is [`TopicName::empty`], used by a PUBLISH that names its topic only
/// through a Topic Alias (section 3.3.2.3.4).
///
/// ```
/// use flowsdk_codec::TopicName;
/// assert!(TopicName::new("sensors/7/temp").is_ok());
/// assert!(TopicName::new("sensors/+/temp").is_err()); // [MQTT-3.3.2-2]
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct TopicName(MqttString);

impl TopicName {
    /// A validated topic name.
    ///
    /// # Errors
    /// [`CodecError::EmptyTopicName`], [`CodecError::WildcardInTopicName`],
    /// [`CodecError::NullCharacter`], [`CodecError::FieldTooLong`].
    pub fn new(topic: impl Into<String>) -> Result<Self, CodecError> {
        Self::try_from_string(MqttString::new(topic)?)
    }

    /// Checks an already decoded string.
    ///
    /// # Errors
    /// As [`TopicName::new`].
    #[inline]
    pub fn try_from_string(topic: MqttString) -> Result<Self, CodecError> {
        check_topic_name(&topic)?;
        Ok(TopicName(topic))
    }

    /// Wraps a string the caller has already checked with [`check_topic_name`].
    pub(crate) fn from_checked(topic: MqttString) -> Self {
        TopicName(topic)
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// `true` for [`TopicName::empty`].
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The empty topic name of a PUBLISH that relies on a Topic Alias. Encoding it without a
    /// Topic Alias property fails with [`CodecError::EmptyTopicWithoutAlias`].
    pub fn empty() -> Self {
        TopicName(MqttString::default())
    }

    /// The topic as a string slice.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The underlying string.
    pub fn as_mqtt_str(&self) -> &MqttString {
        &self.0
    }

    /// The underlying string, by value.
    pub fn into_inner(self) -> MqttString {
        self.0
    }

    /// `true` for a topic beginning with `$`, which wildcard filters at the first level do not
    /// match [MQTT-4.7.2-1].
    pub fn is_system(&self) -> bool {
        self.0.as_bytes().first() == Some(&b'$')
    }

    /// The `/`-separated levels.
    pub fn levels(&self) -> std::str::Split<'_, char> {
        self.as_str().split('/')
    }
}

// The checks below work on the bytes: an `MqttString` is valid UTF-8 already, the characters
// they look for are ASCII, and going through `as_str` would validate the UTF-8 again.

#[inline]
pub(crate) fn check_topic_name(topic: &MqttString) -> Result<(), CodecError> {
    let bytes = topic.as_bytes();
    if bytes.is_empty() {
        return Err(CodecError::EmptyTopicName);
    }
    // No early exit: valid topics are the norm, and a branch-free scan is vectorized.
    if bytes
        .iter()
        .fold(false, |found, &b| found | (b == b'+') | (b == b'#'))
    {
        return Err(CodecError::WildcardInTopicName {
            topic: topic.as_str().to_owned(),
        });
    }
    Ok(())
}

/// A topic filter: a subscription's pattern, with `+` matching one level and `#` the rest.
///
/// `$share/{ShareName}/{filter}` is a shared subscription ([`TopicFilter::shared`]).
///
/// ```
/// use flowsdk_codec::{TopicFilter, TopicName};
/// let filter = TopicFilter::new("sensors/+/temp").unwrap();
/// assert!(filter.matches(&TopicName::new("sensors/7/temp").unwrap()));
/// assert!(TopicFilter::new("sensors/#/temp").is_err()); // [MQTT-4.7.1-1]
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TopicFilter(MqttString);

impl TopicFilter {
    /// A validated topic filter.
    ///
    /// # Errors
    /// [`CodecError::EmptyTopicFilter`], [`CodecError::InvalidTopicFilter`],
    /// [`CodecError::InvalidSharedSubscription`], [`CodecError::NullCharacter`],
    /// [`CodecError::FieldTooLong`].
    pub fn new(filter: impl Into<String>) -> Result<Self, CodecError> {
        Self::try_from_string(MqttString::new(filter)?)
    }

    /// Checks an already decoded string.
    ///
    /// # Errors
    /// As [`TopicFilter::new`].
    #[inline]
    pub fn try_from_string(filter: MqttString) -> Result<Self, CodecError> {
        check_topic_filter(&filter)?;
        Ok(TopicFilter(filter))
    }

    /// Length in bytes (including any `$share/group/` prefix).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always `false`: a filter has at least one character [MQTT-4.7.3-1].
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The filter as a string slice (including any `$share/group/` prefix).
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The underlying string.
    pub fn as_mqtt_str(&self) -> &MqttString {
        &self.0
    }

    /// `true` when the filter contains `+` or `#`.
    pub fn has_wildcards(&self) -> bool {
        self.pattern().bytes().any(|b| b == b'+' || b == b'#')
    }

    /// The shared subscription this filter names, if it starts with `$share/`.
    pub fn shared(&self) -> Option<SharedSubscription<'_>> {
        split_shared(self.as_str()).map(|(group, filter)| SharedSubscription { group, filter })
    }

    /// `true` for a `$share/` filter.
    pub fn is_shared(&self) -> bool {
        self.0.as_bytes().starts_with(SHARE_PREFIX.as_bytes())
    }

    /// The part matched against topic names: the filter after any `$share/group/` prefix.
    pub fn pattern(&self) -> &str {
        match split_shared(self.as_str()) {
            Some((_, filter)) => filter,
            None => self.as_str(),
        }
    }

    /// `true` when `topic` matches this filter (the `$share/group/` prefix, if any, is ignored).
    pub fn matches(&self, topic: &TopicName) -> bool {
        matches(self.pattern(), topic.as_str())
    }
}

const SHARE_PREFIX: &str = "$share/";

fn split_shared(filter: &str) -> Option<(&str, &str)> {
    let rest = filter.strip_prefix(SHARE_PREFIX)?;
    let slash = rest.find('/')?;
    Some((&rest[..slash], &rest[slash + 1..]))
}

/// A shared subscription, `$share/{group}/{filter}` (section 4.8.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SharedSubscription<'a> {
    /// The ShareName.
    pub group: &'a str,
    /// The topic filter the group subscribes to.
    pub filter: &'a str,
}

#[inline]
pub(crate) fn check_topic_filter(filter: &MqttString) -> Result<(), CodecError> {
    if wildcards_are_whole_levels(filter.as_bytes()) {
        Ok(())
    } else {
        topic_filter_error(filter)
    }
}

/// The rules of [`topic_filter_error`] as one pass over the bytes: every `+` and `#` fills its
/// level, `#` ends the filter, and a `$share/` filter has a group without wildcards and a
/// non-empty filter after it. `false` for the empty filter too.
#[inline]
fn wildcards_are_whole_levels(bytes: &[u8]) -> bool {
    let pattern = match bytes.strip_prefix(SHARE_PREFIX.as_bytes()) {
        None => bytes,
        Some(rest) => match rest.iter().position(|&b| b == b'/') {
            Some(slash) if slash > 0 && !rest[..slash].iter().any(|&b| b == b'+' || b == b'#') => {
                &rest[slash + 1..]
            }
            _ => return false,
        },
    };
    if pattern.is_empty() {
        return false;
    }
    let last = pattern.len() - 1;
    let wildcard_ok = |i: usize| {
        let whole_level =
            (i == 0 || pattern[i - 1] == b'/') && (i == last || pattern[i + 1] == b'/');
        match pattern[i] {
            b'#' => i == last && whole_level,
            b'+' => whole_level,
            _ => true,
        }
    };
    // Eight bytes at a time: only the wildcards found in a word are looked at.
    let mut words = pattern.chunks_exact(8);
    let mut at = 0;
    for w in words.by_ref() {
        let mut found = crate::string::wildcard_bytes(w);
        while found != 0 {
            if !wildcard_ok(at + found.trailing_zeros() as usize / 8) {
                return false;
            }
            found &= found - 1;
        }
        at += 8;
    }
    words
        .remainder()
        .iter()
        .enumerate()
        .all(|(i, &b)| !matches!(b, b'+' | b'#') || wildcard_ok(at + i))
}

/// Checks every filter rule in order and names the first one broken, or `Ok` for a valid
/// filter.
#[cold]
fn topic_filter_error(filter: &MqttString) -> Result<(), CodecError> {
    let bytes = filter.as_bytes();
    if bytes.is_empty() {
        return Err(CodecError::EmptyTopicFilter);
    }
    let pattern = match bytes.strip_prefix(SHARE_PREFIX.as_bytes()) {
        None => bytes,
        Some(rest) => {
            let split = rest
                .iter()
                .position(|&b| b == b'/')
                .map(|slash| (&rest[..slash], &rest[slash + 1..]));
            match split {
                Some((group, pattern))
                    if !group.is_empty()
                        && !group.iter().any(|&b| b == b'+' || b == b'#')
                        && !pattern.is_empty() =>
                {
                    pattern
                }
                _ => {
                    return Err(CodecError::InvalidSharedSubscription {
                        filter: filter.as_str().to_owned(),
                    })
                }
            }
        }
    };
    let invalid = |rule| CodecError::InvalidTopicFilter {
        filter: filter.as_str().to_owned(),
        rule,
    };
    let mut levels = pattern.split(|&b| b == b'/').peekable();
    while let Some(level) = levels.next() {
        let (hash, plus) = level.iter().fold((false, false), |(hash, plus), &b| {
            (hash | (b == b'#'), plus | (b == b'+'))
        });
        if hash {
            if level != b"#" {
                return Err(invalid("'#' must occupy a whole level"));
            }
            if levels.peek().is_some() {
                return Err(invalid("'#' must be the last level"));
            }
        }
        if plus && level != b"+" {
            return Err(invalid("'+' must occupy a whole level"));
        }
    }
    Ok(())
}

/// `true` when topic name `topic` matches topic filter `filter` (section 4.7).
///
/// Both are taken as they are, without validation: `+` matches exactly one level, `#` the
/// parent level and any number of levels below, and a filter starting with a wildcard never
/// matches a topic starting with `$` [MQTT-4.7.2-1]. Matching is exact, byte for byte
/// [MQTT-4.7.3-4].
///
/// ```
/// use flowsdk_codec::topic_matches;
/// assert!(topic_matches("sport/#", "sport"));
/// assert!(topic_matches("sport/+/player1", "sport/tennis/player1"));
/// assert!(!topic_matches("+/monitor", "$SYS/monitor"));
/// ```
pub fn topic_matches(filter: &str, topic: &str) -> bool {
    matches(filter, topic)
}

fn matches(filter: &str, topic: &str) -> bool {
    if topic.starts_with('$') && (filter.starts_with('+') || filter.starts_with('#')) {
        return false;
    }
    let mut f = filter.split('/');
    let mut t = topic.split('/');
    loop {
        match (f.next(), t.next()) {
            (Some("#"), _) => return true,
            (Some("+"), Some(_)) => {}
            (Some(fl), Some(tl)) if fl == tl => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

macro_rules! string_newtype_impls {
    ($ty:ident) => {
        impl std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Debug::fmt(self.as_str(), f)
            }
        }
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl std::ops::Deref for $ty {
            type Target = str;
            fn deref(&self) -> &str {
                self.as_str()
            }
        }
        impl AsRef<str> for $ty {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }
        impl PartialEq<str> for $ty {
            fn eq(&self, other: &str) -> bool {
                self.as_str() == other
            }
        }
        impl PartialEq<&str> for $ty {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }
        impl TryFrom<&str> for $ty {
            type Error = CodecError;
            fn try_from(s: &str) -> Result<Self, CodecError> {
                $ty::new(s)
            }
        }
        impl TryFrom<String> for $ty {
            type Error = CodecError;
            fn try_from(s: String) -> Result<Self, CodecError> {
                $ty::new(s)
            }
        }
        impl std::str::FromStr for $ty {
            type Err = CodecError;
            fn from_str(s: &str) -> Result<Self, CodecError> {
                $ty::new(s)
            }
        }
        #[cfg(feature = "serde")]
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }
        #[cfg(feature = "serde")]
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let s = String::deserialize(deserializer)?;
                $ty::from_serde(s).map_err(serde::de::Error::custom)
            }
        }
    };
}

string_newtype_impls!(TopicName);
string_newtype_impls!(TopicFilter);

#[cfg(feature = "serde")]
impl TopicName {
    /// Serde's way in: every value serializes, so every value deserializes, including
    /// [`TopicName::empty`] (a PUBLISH that names its topic by Topic Alias).
    fn from_serde(s: String) -> Result<Self, CodecError> {
        if s.is_empty() {
            Ok(TopicName::empty())
        } else {
            TopicName::new(s)
        }
    }
}

#[cfg(feature = "serde")]
impl TopicFilter {
    fn from_serde(s: String) -> Result<Self, CodecError> {
        TopicFilter::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_matches_the_parent_level_and_everything_below() {
        assert!(topic_matches(
            "sport/tennis/player1/#",
            "sport/tennis/player1"
        ));
        assert!(topic_matches(
            "sport/tennis/player1/#",
            "sport/tennis/player1/ranking"
        ));
        assert!(topic_matches("#", "a/b/c"));
        assert!(!topic_matches("sport/tennis/#", "sport/football"));
    }

    #[test]
    fn plus_matches_exactly_one_level_including_empty_ones() {
        assert!(topic_matches("sport/+", "sport/"));
        assert!(!topic_matches("sport/+", "sport"));
        assert!(topic_matches("+/+", "/finance"));
        assert!(topic_matches("/+", "/finance"));
        assert!(!topic_matches("+", "/finance"));
    }

    #[test]
    fn wildcards_at_first_level_do_not_match_dollar_topics() {
        // [MQTT-4.7.2-1]
        assert!(!topic_matches("#", "$SYS/broker"));
        assert!(!topic_matches("+/broker", "$SYS/broker"));
        assert!(topic_matches("$SYS/#", "$SYS/broker"));
    }

    #[test]
    fn matching_is_case_sensitive_and_not_normalized() {
        // [MQTT-4.7.3-4]
        assert!(!topic_matches("ACCOUNTS", "accounts"));
        assert!(!topic_matches("a/b", "a//b"));
    }

    #[test]
    fn invalid_filters_are_rejected() {
        // [MQTT-4.7.1-1] [MQTT-4.7.1-2] [MQTT-4.7.3-1]
        for bad in ["a/#/b", "a#", "a/b#", "a+", "a/+b/c", "+a", ""] {
            assert!(TopicFilter::new(bad).is_err(), "{bad:?} was accepted");
        }
        for good in ["#", "+", "a/+/b", "a/#", "/", "+/+/#", "$SYS/#"] {
            assert!(TopicFilter::new(good).is_ok(), "{good:?} was rejected");
        }
    }

    #[test]
    fn the_one_pass_filter_check_agrees_with_the_full_one() {
        // Every filter of up to six characters over an alphabet that reaches each rule.
        let alphabet = [b'a', b'/', b'+', b'#', b'$'];
        let mut filters: Vec<Vec<u8>> = vec![vec![]];
        let mut all = Vec::new();
        for _ in 0..6 {
            filters = filters
                .iter()
                .flat_map(|f| {
                    alphabet.iter().map(move |&c| {
                        let mut f = f.clone();
                        f.push(c);
                        f
                    })
                })
                .collect();
            all.extend(filters.iter().cloned());
        }
        // Shared subscriptions: the prefix before each short filter, group and all.
        let shared: Vec<Vec<u8>> = all
            .iter()
            .filter(|f| f.len() <= 4)
            .map(|f| [b"$share/".as_slice(), f].concat())
            .collect();
        all.extend(shared);
        // Longer ones, so that wildcards fall in every place of an eight-byte word and on
        // either side of a word boundary.
        let long: Vec<Vec<u8>> = all
            .iter()
            .filter(|f| f.len() <= 4)
            .flat_map(|f| {
                [
                    [b"abcdefg".as_slice(), f].concat(),
                    [b"abcdefgh/".as_slice(), f].concat(),
                    [f.as_slice(), b"/abcdefgh"].concat(),
                    [b"abcd".as_slice(), f, b"abcdefgh/", f].concat(),
                    [f.as_slice(), b"/abcde/", f, b"/", f].concat(),
                ]
            })
            .collect();
        all.extend(long);
        all.extend([b"$share/".to_vec(), b"$share/g/a/+".to_vec()]);
        for f in all {
            let s = MqttString::new(String::from_utf8(f).unwrap()).unwrap();
            if wildcards_are_whole_levels(s.as_bytes()) {
                assert_eq!(topic_filter_error(&s), Ok(()), "{s:?}");
            }
            assert_eq!(check_topic_filter(&s), topic_filter_error(&s), "{s:?}");
        }
    }

    #[test]
    fn shared_subscriptions_parse_group_and_filter() {
        // [MQTT-4.8.2-1] [MQTT-4.8.2-2]
        let f = TopicFilter::new("$share/g1/sensors/+").unwrap();
        assert_eq!(
            f.shared(),
            Some(SharedSubscription {
                group: "g1",
                filter: "sensors/+"
            })
        );
        assert!(f.matches(&TopicName::new("sensors/1").unwrap()));
        for bad in [
            "$share/",
            "$share//a",
            "$share/g",
            "$share/g/",
            "$share/g+/a",
            "$share/#/a",
        ] {
            assert!(
                matches!(
                    TopicFilter::new(bad),
                    Err(CodecError::InvalidSharedSubscription { .. })
                ),
                "{bad:?}"
            );
        }
    }
}
