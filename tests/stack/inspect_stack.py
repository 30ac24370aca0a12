#!/usr/bin/env python3
"""Shows what the local stack holds, for `make demo`: the mails SES accepted, the table's items.

    inspect_stack.py mail   ENDPOINT            each raw mail: envelope, headers, text part
    inspect_stack.py items  ENDPOINT TABLE      every item, one line each (a Scan: local use only)
    inspect_stack.py counts ENDPOINT TABLE      "N items, M mails"
    inspect_stack.py put    ENDPOINT BUCKET KEY FILE EVENT_OUT   upload a mail as SES would, write its S3 event
    inspect_stack.py object ENDPOINT BUCKET KEY                  print an object
"""
import email
import email.policy
import json
import sys
import urllib.parse
import urllib.request

import boto3


def s3(endpoint):
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test")


def sent_mail(endpoint):
    # moto dumps every service's state here: seconds on a loaded 2-core machine, not milliseconds.
    data = json.load(urllib.request.urlopen(endpoint + "/moto-api/data.json", timeout=120))
    return data.get("ses", {}).get("RawMessage", [])


def items(endpoint, table):
    client = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="test", aws_secret_access_key="test")
    out, start = [], None
    while True:
        kwargs = {"TableName": table}
        if start:
            kwargs["ExclusiveStartKey"] = start
        page = client.scan(**kwargs)
        out.extend(page["Items"])
        start = page.get("LastEvaluatedKey")
        if not start:
            return sorted(out, key=lambda i: (i["PK"]["S"], i["SK"]["S"]))


def plain(value):
    (kind, v), = value.items()
    if kind == "M":
        return {k: plain(x) for k, x in v.items()}
    if kind == "L":
        return [plain(x) for x in v]
    if kind == "NULL":
        return None
    return v


def main():
    command, endpoint = sys.argv[1], sys.argv[2]
    if command == "mail":
        mails = sent_mail(endpoint)
        for n, m in enumerate(mails, 1):
            msg = email.message_from_string(m["raw_data"], policy=email.policy.default)
            print(f"--- mail {n}/{len(mails)}: envelope from {m['source']} to {', '.join(sorted(set(m['destinations'])))}")
            for h in ("From", "To", "Subject", "Date", "Message-ID"):
                print(f"{h}: {msg[h]}")
            parts = [p.get_content_type() for p in msg.walk() if not p.is_multipart()]
            print(f"Parts: {', '.join(parts)}")
            body = msg.get_body(preferencelist=("plain",))
            print()
            print(body.get_content().rstrip() if body else "(no text part)")
            print()
    elif command == "items":
        for item in items(endpoint, sys.argv[3]):
            flat = {k: plain(v) for k, v in item.items()}
            pk, sk = flat.pop("PK"), flat.pop("SK")
            flat.pop("GSI1PK", None); flat.pop("GSI1SK", None)
            text = json.dumps(flat, ensure_ascii=False, sort_keys=True)
            print(f"{pk:<40} {sk:<58} {text[:150]}{'…' if len(text) > 150 else ''}")
    elif command == "counts":
        print(f"{len(items(endpoint, sys.argv[3]))} items in the table, {len(sent_mail(endpoint))} mails accepted by SES")
    elif command == "put":
        bucket, key, path, event_out = sys.argv[3:7]
        body = open(path, "rb").read()
        s3(endpoint).put_object(Bucket=bucket, Key=key, Body=body)
        event = {"Records": [{
            "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
            "eventTime": "2027-01-05T14:03:11.977Z", "eventName": "ObjectCreated:Put",
            "userIdentity": {"principalId": "AWS:ses-inbound"},
            "requestParameters": {"sourceIPAddress": "127.0.0.1"},
            "responseElements": {"x-amz-request-id": "demo-" + key.replace("/", "-"), "x-amz-id-2": "demo"},
            "s3": {"s3SchemaVersion": "1.0", "configurationId": "clinic-inbound-mail",
                   "bucket": {"name": bucket, "ownerIdentity": {"principalId": "demo"}, "arn": "arn:aws:s3:::" + bucket},
                   "object": {"key": urllib.parse.quote_plus(key, safe="/"), "size": len(body), "eTag": "0", "sequencer": "0"}}}]}
        with open(event_out, "w", encoding="utf-8") as f:
            json.dump(event, f, indent=2)
    elif command == "object":
        bucket, key = sys.argv[3:5]
        print(s3(endpoint).get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8"))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
