"""`make demo`: sign the sample Herald deliveries in events/ with the demo key, POST them to
`clinic serve`, and print what the handler decided. Usage: replay_webhooks.py URL KEY FILE..."""
import hashlib
import hmac
import json
import sys
import urllib.error
import urllib.request


def post(url, body, signature):
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["X-Phabricator-Webhook-Signature"] = signature
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def show(name, status, answer):
    print(f"{name}: HTTP {status}, outcome {json.dumps((answer or {}).get('outcome', (answer or {}).get('error')))}")
    for decision in (answer or {}).get("decisions", []):
        action = decision["action"]
        value = action.get("value", "")
        if action["kind"] == "comment":
            value = value.splitlines()[0][:70] + "…"
        print(f"    rule {decision['rule']:<38} {action['kind']:<10} {value}")
        print(f"        why: {decision['why']}")


def main():
    url, key, files = sys.argv[1], sys.argv[2].encode(), sys.argv[3:]
    for path in files:
        body = open(path, "rb").read()
        signature = hmac.new(key, body, hashlib.sha256).hexdigest()
        show(path, *post(url, body, signature))
    first = open(files[0], "rb").read()
    print("\nThe first delivery again (Phorge retries): nothing changes")
    show(files[0], *post(url, first, hmac.new(key, first, hashlib.sha256).hexdigest()))
    print("\nThe first delivery with a wrong signature: refused, nothing read or written")
    show(files[0], *post(url, first, "0" * 64))


if __name__ == "__main__":
    main()
