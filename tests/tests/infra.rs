//! `infra/` must describe the same table the code creates: a drift here would deploy a table whose
//! keys or indexes the functions do not use.

use std::collections::BTreeSet;

use clinic::store::table::definition;

fn table_resource() -> hcl::Block {
    let path = clinic_tests::repo_root().join("infra/dynamodb.tf");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let body: hcl::Body = hcl::from_str(&text).expect("infra/dynamodb.tf parses as HCL");
    body.blocks()
        .find(|b| {
            b.identifier() == "resource"
                && b.labels().first().map(|l| l.as_str()) == Some("aws_dynamodb_table")
        })
        .cloned()
        .expect("infra/dynamodb.tf declares an aws_dynamodb_table")
}

fn string_attribute(body: &hcl::Body, key: &str) -> Option<String> {
    body.attributes()
        .find(|a| a.key() == key)
        .and_then(|a| match a.expr() {
            hcl::Expression::String(s) => Some(s.clone()),
            hcl::Expression::Bool(b) => Some(b.to_string()),
            _ => None,
        })
}

#[test]
fn the_terraform_table_has_the_keys_attributes_indexes_and_ttl_the_code_defines() {
    let def = definition();
    let block = table_resource();
    let body = block.body();

    assert_eq!(
        string_attribute(body, "hash_key").as_deref(),
        Some(def.hash_key)
    );
    assert_eq!(
        string_attribute(body, "range_key").as_deref(),
        Some(def.range_key)
    );
    assert_eq!(
        string_attribute(body, "billing_mode").as_deref(),
        Some(def.billing_mode)
    );

    let attributes: BTreeSet<(String, String)> = body
        .blocks()
        .filter(|b| b.identifier() == "attribute")
        .map(|b| {
            (
                string_attribute(b.body(), "name").unwrap_or_default(),
                string_attribute(b.body(), "type").unwrap_or_default(),
            )
        })
        .collect();
    let expected: BTreeSet<(String, String)> = def
        .attributes
        .iter()
        .map(|a| (a.name.to_owned(), a.kind.to_owned()))
        .collect();
    assert_eq!(attributes, expected);

    let indexes: BTreeSet<Vec<String>> = body
        .blocks()
        .filter(|b| b.identifier() == "global_secondary_index")
        .map(|b| {
            ["name", "hash_key", "range_key", "projection_type"]
                .iter()
                .map(|k| string_attribute(b.body(), k).unwrap_or_default())
                .collect()
        })
        .collect();
    let expected: BTreeSet<Vec<String>> = def
        .global_secondary_indexes
        .iter()
        .map(|i| {
            vec![
                i.name.into(),
                i.hash_key.into(),
                i.range_key.into(),
                i.projection.into(),
            ]
        })
        .collect();
    assert_eq!(indexes, expected);

    let ttl = body
        .blocks()
        .find(|b| b.identifier() == "ttl")
        .expect("a ttl block");
    assert_eq!(
        string_attribute(ttl.body(), "attribute_name").as_deref(),
        Some(def.ttl_attribute)
    );
    assert_eq!(
        string_attribute(ttl.body(), "enabled").as_deref(),
        Some("true")
    );
}
