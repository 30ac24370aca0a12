//! The whole table as text, for the tests' "nothing was written" checks: one string an item, the
//! keys of every map in order (the SDK's maps have none), the items sorted, so two reads compare.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::AttributeValue;
use clinic::adapters::dynamo::DynamoStore;

/// Every item of `store`'s table, as text, in order: every scan page read.
pub async fn table_items(store: &DynamoStore) -> Vec<String> {
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let page = store
            .client()
            .scan()
            .table_name(store.table().as_str())
            .set_exclusive_start_key(start)
            .send()
            .await
            .expect("scan the table");
        items.extend(page.items().iter().map(map_text));
        start = page.last_evaluated_key;
        if start.is_none() {
            break;
        }
    }
    items.sort();
    items
}

/// A map with its keys in order; the values as `canonical` writes them, not quoted again, so a test
/// can look for `S("SESSION#` in an item.
fn map_text(map: &std::collections::HashMap<String, AttributeValue>) -> String {
    let ordered: BTreeMap<&String, String> = map.iter().map(|(k, v)| (k, canonical(v))).collect();
    let fields: Vec<String> = ordered
        .into_iter()
        .map(|(k, v)| format!("{k:?}: {v}"))
        .collect();
    format!("{{{}}}", fields.join(", "))
}

fn canonical(value: &AttributeValue) -> String {
    match value {
        AttributeValue::M(map) => map_text(map),
        AttributeValue::L(list) => format!(
            "[{}]",
            list.iter().map(canonical).collect::<Vec<_>>().join(", ")
        ),
        other => format!("{other:?}"),
    }
}
