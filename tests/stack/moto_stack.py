#!/usr/bin/env python3
"""Runs moto server on loopback as Clinic's local AWS stack (DynamoDB, SES v2, S3).

    moto_stack.py [--port 0] [--port-file F] [--exit-with-parent]

Prints one line `ready http://127.0.0.1:PORT` once the server answers, then serves until killed.
With --exit-with-parent it also stops when the process that started it goes away, so a test run
that is interrupted never leaves a server behind.

Requests are served one at a time: moto's backends take no locks, so two concurrent conditional
writes could both pass their condition, which DynamoDB never allows. Serialising them gives the
local stack DynamoDB's atomicity, and the concurrency tests test Clinic rather than moto's races.
"""
import argparse
import os
import signal
import sys
import threading
import time
import urllib.request

from moto.server import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import make_server


def serialised(app):
    """A WSGI app that handles one request at a time, response body included."""
    lock = threading.Lock()

    def handle(environ, start_response):
        with lock:
            return list(app(environ, start_response))

    return handle


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--port-file", help="write the chosen port here")
    parser.add_argument("--exit-with-parent", action="store_true")
    args = parser.parse_args()
    if not args.host.startswith("127.") and args.host not in ("localhost", "::1"):
        parser.error("the local stack only listens on loopback")

    app = serialised(DomainDispatcherApplication(create_backend_app))
    server = make_server(args.host, args.port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    url = f"http://{host}:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(url + "/moto-api/data.json", timeout=1).read()
            break
        except OSError:
            time.sleep(0.05)
    if args.port_file:
        with open(args.port_file, "w", encoding="utf-8") as f:
            f.write(f"{port}\n")
    print(f"ready {url}", flush=True)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    parent = os.getppid()
    while not stop.wait(0.5):
        if args.exit_with_parent and os.getppid() != parent:
            break
    server.shutdown()
    thread.join(timeout=5)
    # Skip the interpreter's teardown: freeing a large table object by object (moto copies whole
    # tables on every TransactWriteItems) took minutes of CPU after the brief's bench had ended.
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
