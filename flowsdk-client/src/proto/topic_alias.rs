//! Topic aliases: [`TopicAliasMap`] assigns outgoing aliases (least recently used first out),
//! [`IncomingAliases`] resolves the broker's.

use std::collections::HashMap;

use flowsdk_codec::TopicName;

/// What to put in an outgoing PUBLISH for its topic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AliasUse {
    /// No alias: send the topic name alone.
    None,
    /// A new (or reassigned) alias: send the topic name and the alias, which sets the mapping.
    Set(u16),
    /// The alias already maps to this topic on this connection: send it with an empty topic.
    Reuse(u16),
}

/// Outgoing topic aliases for one connection, at most the broker's Topic Alias Maximum
/// [MQTT-3.2.2-17]; when all are taken the least recently used one is reassigned.
#[derive(Debug, Default)]
pub(crate) struct TopicAliasMap {
    max: u16,
    by_topic: HashMap<TopicName, (u16, u64)>,
    by_alias: Vec<Option<TopicName>>,
    clock: u64,
}

impl TopicAliasMap {
    /// Forgets every mapping (a new connection) and takes the broker's new maximum; zero
    /// means no aliases at all [MQTT-3.2.2-18].
    pub(crate) fn reset(&mut self, max: u16) {
        self.max = max;
        self.by_topic.clear();
        self.by_alias.clear();
        self.clock = 0;
    }

    /// How many aliases are mapped.
    pub(crate) fn len(&self) -> usize {
        self.by_topic.len()
    }

    /// The alias to use for `topic`, assigning one if needed.
    pub(crate) fn assign(&mut self, topic: &TopicName) -> AliasUse {
        if self.max == 0 || topic.is_empty() {
            return AliasUse::None;
        }
        self.clock += 1;
        if let Some((alias, used)) = self.by_topic.get_mut(topic) {
            *used = self.clock;
            return AliasUse::Reuse(*alias);
        }
        let free = self.by_alias.iter().position(Option::is_none);
        let alias = if let Some(slot) = free {
            // A slot left empty by an explicit alias above it; `slot` is below `max`.
            u16::try_from(slot + 1).unwrap_or(self.max)
        } else if self.by_alias.len() < usize::from(self.max) {
            self.by_alias.push(None);
            // `by_alias.len()` is at most `max`, a u16.
            u16::try_from(self.by_alias.len()).unwrap_or(self.max)
        } else {
            // Full: reassign the least recently used alias.
            let Some((old, &(alias, _))) = self.by_topic.iter().min_by_key(|(_, (_, used))| *used)
            else {
                return AliasUse::None;
            };
            let old = old.clone();
            self.by_topic.remove(&old);
            alias
        };
        self.bind(alias, topic.clone());
        AliasUse::Set(alias)
    }

    /// Uses `alias` for `topic` as the application asked (an explicit alias).
    pub(crate) fn assign_explicit(&mut self, alias: u16, topic: &TopicName) -> AliasUse {
        self.clock += 1;
        if let Some((a, used)) = self.by_topic.get_mut(topic) {
            if *a == alias {
                *used = self.clock;
                return AliasUse::Reuse(alias);
            }
        }
        while self.by_alias.len() < usize::from(alias) {
            self.by_alias.push(None);
        }
        if let Some(Some(old)) = self.by_alias.get(usize::from(alias) - 1) {
            let old = old.clone();
            self.by_topic.remove(&old);
        }
        self.bind(alias, topic.clone());
        AliasUse::Set(alias)
    }

    fn bind(&mut self, alias: u16, topic: TopicName) {
        if let Some((previous, _)) = self.by_topic.insert(topic.clone(), (alias, self.clock)) {
            if previous != alias {
                if let Some(slot) = self.by_alias.get_mut(usize::from(previous) - 1) {
                    *slot = None;
                }
            }
        }
        if let Some(slot) = self.by_alias.get_mut(usize::from(alias) - 1) {
            *slot = Some(topic);
        }
    }
}

/// The broker's topic aliases on this connection, up to the maximum we announced.
#[derive(Debug, Default)]
pub(crate) struct IncomingAliases {
    max: u16,
    topics: Vec<Option<TopicName>>,
}

/// Why an incoming alias could not be resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AliasError {
    /// 0 or above our Topic Alias Maximum: 0x94 Topic Alias invalid.
    OutOfRange(u16),
    /// An empty topic with an alias that maps to nothing: 0x82 Protocol Error.
    Unknown(u16),
}

impl IncomingAliases {
    pub(crate) fn reset(&mut self, max: u16) {
        self.max = max;
        self.topics.clear();
    }

    /// The topic of a PUBLISH carrying `topic` and `alias`: records the mapping when the topic
    /// is given [MQTT-3.3.2-10], looks it up when the topic is empty.
    pub(crate) fn resolve(
        &mut self,
        topic: &TopicName,
        alias: u16,
    ) -> Result<TopicName, AliasError> {
        if alias == 0 || alias > self.max {
            return Err(AliasError::OutOfRange(alias));
        }
        let slot = usize::from(alias) - 1;
        if topic.is_empty() {
            return self
                .topics
                .get(slot)
                .cloned()
                .flatten()
                .ok_or(AliasError::Unknown(alias));
        }
        if self.topics.len() <= slot {
            self.topics.resize(slot + 1, None);
        }
        self.topics[slot] = Some(topic.clone());
        Ok(topic.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> TopicName {
        TopicName::new(s).unwrap()
    }

    #[test]
    fn aliases_are_assigned_reused_and_the_least_recently_used_is_reassigned() {
        let mut m = TopicAliasMap::default();
        m.reset(2);
        assert_eq!(m.assign(&t("a")), AliasUse::Set(1));
        assert_eq!(m.assign(&t("b")), AliasUse::Set(2));
        assert_eq!(m.assign(&t("a")), AliasUse::Reuse(1));
        // "b" is now the least recently used: "c" takes its alias.
        assert_eq!(m.assign(&t("c")), AliasUse::Set(2));
        assert_eq!(m.assign(&t("a")), AliasUse::Reuse(1));
        assert_eq!(m.assign(&t("b")), AliasUse::Set(2));
        assert_eq!(m.len(), 2);
    }

    #[test]
    fn no_aliases_when_the_broker_allows_none() {
        // [MQTT-3.2.2-18]
        let mut m = TopicAliasMap::default();
        m.reset(0);
        assert_eq!(m.assign(&t("a")), AliasUse::None);
    }

    #[test]
    fn explicit_alias_replaces_the_previous_topic_of_that_alias() {
        let mut m = TopicAliasMap::default();
        m.reset(5);
        assert_eq!(m.assign_explicit(3, &t("x")), AliasUse::Set(3));
        assert_eq!(m.assign_explicit(3, &t("x")), AliasUse::Reuse(3));
        assert_eq!(m.assign_explicit(3, &t("y")), AliasUse::Set(3));
        assert_eq!(m.assign(&t("x")), AliasUse::Set(1));
    }

    #[test]
    fn incoming_aliases_resolve_and_reject_out_of_range() {
        let mut a = IncomingAliases::default();
        a.reset(4);
        assert_eq!(a.resolve(&t("s/1"), 2), Ok(t("s/1")));
        assert_eq!(a.resolve(&TopicName::empty(), 2), Ok(t("s/1")));
        assert_eq!(
            a.resolve(&TopicName::empty(), 3),
            Err(AliasError::Unknown(3))
        );
        assert_eq!(a.resolve(&t("s/1"), 5), Err(AliasError::OutOfRange(5)));
        assert_eq!(a.resolve(&t("s/1"), 0), Err(AliasError::OutOfRange(0)));
    }
}
