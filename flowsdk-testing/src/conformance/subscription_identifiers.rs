//! Subscription identifiers on delivered messages.

use super::prelude::*;

cases! { V5;
    "subscription_identifiers.overlapping_subscriptions_carry_their_identifiers"
        ["MQTT-3.3.4-3", "MQTT-3.3.4-4", "MQTT-3.3.4-5"] => overlapping;
}

async fn overlapping(cx: CaseContext) -> Check {
    let t = cx.topic("s/a");
    let (mut s, ack) = cx.client().await?;
    require_subscription_ids(&ack)?;
    require_wildcards(&ack)?;
    for (f, id) in [(cx.topic("s/#"), 1u32), (t.clone(), 2u32)] {
        let props = Properties::new().with(Property::SubscriptionIdentifier(id));
        let sub = Subscription::new(filter(&f)?, QoS::AtMostOnce);
        let suback = s.subscribe_with(vec![sub], props).await?;
        ensure(
            suback.reason_codes == [ReasonCode::Success],
            "SUBACK 0x00",
            || codes_list(&suback.reason_codes),
        )?;
    }
    let (mut p, _) = cx.client().await?;
    p.publish(message(&t, b"x", QoS::AtMostOnce)?).await?;
    let got = s.drain_messages().await?;
    let ids: Vec<Vec<u32>> = got
        .iter()
        .map(|m| {
            let mut v: Vec<u32> = m.properties.subscription_identifiers().collect();
            v.sort_unstable();
            v
        })
        .collect();
    let ok = match ids.as_slice() {
        // One copy: both identifiers [MQTT-3.3.4-4].
        [one] => one == &[1, 2],
        // A copy per subscription: each with its own identifier [MQTT-3.3.4-5].
        [a, b] => {
            let mut both = vec![a.clone(), b.clone()];
            both.sort();
            both == [vec![1], vec![2]]
        }
        _ => false,
    };
    ensure(
        ok,
        "one copy with Subscription Identifiers {1, 2}, or two copies with {1} and {2}",
        || format!("{ids:?}"),
    )
}
