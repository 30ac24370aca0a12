#!/usr/bin/env python3
"""Runs moto server on loopback as Clinic's local AWS stack (DynamoDB, SES v2, S3).

    moto_stack.py [--port 0] [--port-file F] [--exit-with-parent]

Prints one line `ready http://127.0.0.1:PORT` once the server answers, then serves until killed.
With --exit-with-parent it also stops when the process that started it goes away, so a test run
that is interrupted never leaves a server behind.
"""
import argparse
import os
import signal
import sys
import threading
import time
import urllib.request

from moto.server import ThreadedMotoServer


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--port-file", help="write the chosen port here")
    parser.add_argument("--exit-with-parent", action="store_true")
    args = parser.parse_args()
    if not args.host.startswith("127.") and args.host not in ("localhost", "::1"):
        parser.error("the local stack only listens on loopback")

    server = ThreadedMotoServer(ip_address=args.host, port=args.port, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
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
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
