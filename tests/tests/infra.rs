//! `infra/` must describe the same table the code creates: a drift here would deploy a table whose
//! keys or indexes the functions do not use.

use std::collections::BTreeSet;

use clinic::adapters::dynamo::table::definition;

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

/// Every `.tf` file of `infra/`, parsed.
fn stack() -> Vec<hcl::Block> {
    let dir = clinic_tests::repo_root().join("infra");
    let mut blocks = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("infra/ exists") {
        let path = entry.expect("readable entry").path();
        if path.extension().is_some_and(|e| e == "tf") {
            let text = std::fs::read_to_string(&path).expect("readable .tf");
            let body: hcl::Body = hcl::from_str(&text)
                .unwrap_or_else(|e| panic!("{} is not HCL: {e}", path.display()));
            blocks.extend(body.blocks().cloned());
        }
    }
    blocks
}

fn labelled<'a>(blocks: &'a [hcl::Block], kind: &str, first: &str) -> Vec<&'a hcl::Block> {
    blocks
        .iter()
        .filter(|b| b.identifier() == kind && b.labels().first().map(|l| l.as_str()) == Some(first))
        .collect()
}

fn name_of(block: &hcl::Block) -> &str {
    block
        .labels()
        .get(1)
        .map(|l| l.as_str())
        .unwrap_or_default()
}

fn expression_text(body: &hcl::Body, key: &str) -> Option<String> {
    body.attributes()
        .find(|a| a.key() == key)
        .map(|a| a.expr().to_string())
}

fn string_list(body: &hcl::Body, key: &str) -> Vec<String> {
    match body.attributes().find(|a| a.key() == key).map(|a| a.expr()) {
        Some(hcl::Expression::Array(items)) => items
            .iter()
            .filter_map(|e| match e {
                hcl::Expression::String(s) => Some(s.clone()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The functions the stack deploys, with the configuration each needs and the AWS actions its code uses.
fn functions() -> Vec<(&'static str, Vec<&'static str>, &'static [&'static str])> {
    use clinic::config::{
        FromVariables as _, MaintenanceMailConfig, PhabricatorWebhookConfig, RotationConfig,
        VictorOpsWebhookConfig, WebConfig,
    };
    vec![
        (
            "rotation",
            RotationConfig::required(),
            clinic::functions::rotation::AWS_ACTIONS,
        ),
        (
            "maintenance_mail",
            MaintenanceMailConfig::required(),
            clinic::functions::maintenance_mail::AWS_ACTIONS,
        ),
        (
            "phabricator_webhook",
            PhabricatorWebhookConfig::required(),
            clinic::functions::phabricator_webhook::AWS_ACTIONS,
        ),
        (
            "victorops_webhook",
            VictorOpsWebhookConfig::required(),
            clinic::functions::victorops_webhook::AWS_ACTIONS,
        ),
        (
            "web",
            WebConfig::required(),
            clinic::functions::web::AWS_ACTIONS,
        ),
    ]
}

/// Whether the function is invoked asynchronously (schedules, S3), so Lambda sends its failed
/// invocations to a queue: every one is (the webhooks by their sweeps' schedules too) but `web`,
/// which API Gateway alone invokes, synchronously.
fn has_failure_queue(name: &str) -> bool {
    name != "web"
}

#[test]
fn the_web_function_has_exactly_one_api_route_per_page_it_answers() {
    let blocks = stack();
    let routes = labelled(&blocks, "resource", "aws_apigatewayv2_route");
    let web = routes
        .iter()
        .find(|b| name_of(b) == "web")
        .expect("an aws_apigatewayv2_route \"web\"");
    let keys: BTreeSet<String> = match web
        .body()
        .attributes()
        .find(|a| a.key() == "for_each")
        .map(|a| a.expr().clone())
    {
        Some(hcl::Expression::Object(object)) => object
            .values()
            .map(|v| v.to_string().trim_matches('"').to_owned())
            .collect(),
        other => panic!("the web routes' for_each is not an object: {other:?}"),
    };
    let expected: BTreeSet<String> = clinic::functions::web::ROUTES
        .iter()
        .map(|(method, path)| format!("{method} {path}"))
        .collect();
    assert_eq!(keys, expected);
    assert!(
        expression_text(web.body(), "target").is_some_and(|t| t.contains("integration.web.")),
        "the web routes lead elsewhere"
    );
}

#[test]
fn every_function_has_a_trigger_scoped_to_its_source() {
    let blocks = stack();
    let permissions = labelled(&blocks, "resource", "aws_lambda_permission");
    for (name, _, _) in functions() {
        let reference = format!("aws_lambda_function.{name}.");
        let trigger = permissions.iter().find(|p| {
            expression_text(p.body(), "function_name").is_some_and(|f| f.contains(&reference))
        });
        let trigger = trigger.unwrap_or_else(|| panic!("no aws_lambda_permission invokes {name}"));
        assert!(
            expression_text(trigger.body(), "source_arn").is_some(),
            "the permission invoking {name} names no source ARN"
        );
    }
}

#[test]
fn every_variable_a_function_needs_is_set_and_none_it_does_not_read() {
    let blocks = stack();
    let lambdas = labelled(&blocks, "resource", "aws_lambda_function");
    for (name, required_variables, _) in functions() {
        let lambda = lambdas
            .iter()
            .find(|b| name_of(b) == name)
            .unwrap_or_else(|| panic!("no function {name}"));
        let environment = lambda
            .body()
            .blocks()
            .find(|b| b.identifier() == "environment")
            .expect("environment");
        let variables = environment
            .body()
            .attributes()
            .find(|a| a.key() == "variables")
            .expect("variables");
        let set: BTreeSet<String> = match variables.expr() {
            hcl::Expression::Object(object) => object
                .keys()
                .map(|k| k.to_string().trim_matches('"').to_owned())
                .collect(),
            other => panic!("variables of {name} is not an object: {other:?}"),
        };
        for required in required_variables {
            let by_parameter = clinic::config::secrets::parameter_variable(required);
            assert!(
                set.contains(required) || set.contains(&by_parameter),
                "{name} does not set {required} (nor {by_parameter})"
            );
        }
        for variable in &set {
            let credential = variable
                .strip_suffix(clinic::config::secrets::PARAMETER_SUFFIX)
                .filter(|c| clinic::config::secrets::CREDENTIALS.contains(c));
            assert!(
                clinic::config::vars::ALL.contains(&variable.as_str()) || credential.is_some(),
                "{name} sets {variable}, which Clinic does not read"
            );
            assert!(
                !clinic::config::secrets::CREDENTIALS.contains(&variable.as_str()),
                "{name} sets the credential {variable} in plain text; name its SSM parameter instead"
            );
        }
    }
}

#[test]
fn each_function_is_granted_exactly_the_actions_its_code_uses() {
    let blocks = stack();
    let documents = labelled(&blocks, "data", "aws_iam_policy_document");
    for (name, _, used) in functions() {
        // Every function writes its logs and, through Lambda, its failed invocations to its queue.
        let mut runtime = vec!["logs:CreateLogStream", "logs:PutLogEvents"];
        if has_failure_queue(name) {
            runtime.push("sqs:SendMessage");
        }
        let document = documents
            .iter()
            .find(|b| name_of(b) == name)
            .unwrap_or_else(|| panic!("no policy for {name}"));
        let granted: BTreeSet<String> = document
            .body()
            .blocks()
            .filter(|b| b.identifier() == "statement")
            .flat_map(|s| string_list(s.body(), "actions"))
            .collect();
        let expected: BTreeSet<String> = used
            .iter()
            .chain(runtime.iter())
            .map(|a| a.to_string())
            .collect();
        assert_eq!(granted, expected, "IAM actions of {name}");
        assert!(
            !granted.iter().any(|a| a.contains('*')),
            "{name} is granted a wildcard action"
        );
    }
}

#[test]
fn every_function_has_alarms_and_its_asynchronous_failures_a_destination() {
    let blocks = stack();
    let alarms = labelled(&blocks, "resource", "aws_cloudwatch_metric_alarm");
    let invoke_configs = labelled(
        &blocks,
        "resource",
        "aws_lambda_function_event_invoke_config",
    );
    let log_groups = labelled(&blocks, "resource", "aws_cloudwatch_log_group");
    for (name, _, _) in functions() {
        let reference = format!("aws_lambda_function.{name}.");
        let alarmed = alarms.iter().any(|alarm| {
            name_of(alarm) == name
                || alarm
                    .body()
                    .attributes()
                    .any(|a| a.expr().to_string().contains(&reference))
        });
        assert!(alarmed, "no alarm watches {name}");
        let log_group = log_groups
            .iter()
            .find(|b| name_of(b) == name)
            .unwrap_or_else(|| panic!("no log group for {name}"));
        assert!(
            expression_text(log_group.body(), "retention_in_days").is_some(),
            "the logs of {name} are kept forever"
        );
        if !has_failure_queue(name) {
            continue;
        }
        let config = invoke_configs
            .iter()
            .find(|c| {
                expression_text(c.body(), "function_name").is_some_and(|f| f.contains(&reference))
            })
            .unwrap_or_else(|| panic!("{name} has no retry policy for asynchronous invocations"));
        let destination = config
            .body()
            .blocks()
            .find(|b| b.identifier() == "destination_config")
            .and_then(|d| d.body().blocks().find(|b| b.identifier() == "on_failure"))
            .and_then(|f| expression_text(f.body(), "destination"));
        assert!(
            destination.is_some_and(|d| d.contains("aws_sqs_queue.")),
            "{name} sends its failed invocations nowhere"
        );
    }
}
