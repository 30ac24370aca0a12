#!/usr/bin/env python3
"""Runs moto server on loopback as Clinic's local AWS stack (DynamoDB, SES v2, S3).

    moto_stack.py [--port 0] [--port-file F] [--exit-with-parent]

Prints one line `ready http://127.0.0.1:PORT` once the server answers, then serves until killed.
With --exit-with-parent it also stops when the process that started it goes away, so a test run
that is interrupted never leaves a server behind.

Requests are served one at a time: moto's backends take no locks, so two concurrent conditional
writes could both pass their condition, which DynamoDB never allows. Serialising them gives the
local stack DynamoDB's atomicity, and the concurrency tests test Clinic rather than moto's races.

A Query in moto sorts and walks every item of the table, whatever partition it names. With
--indexed-queries the walk starts from the partition instead (see `indexed_queries`): same answers,
in the same order, at a cost that follows the partition, as on DynamoDB.
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


# DynamoDB actions that change no item: every other request makes the index partitions be built anew.
READ_ONLY = {
    "Query", "GetItem", "BatchGetItem", "Scan", "DescribeTable", "ListTables", "DescribeTimeToLive",
    "DescribeContinuousBackups", "ListTagsOfResource", "DescribeEndpoints",
}


def indexed_queries(app):
    """Lets moto's Table.query start from the partition it names rather than from the whole table.

    moto's query asks `all_items()` once for the candidates (every item, sorted by table key), keeps
    those whose key matches, sorts them again and pages. Here the candidates are, for the table, the
    items stored under the hash key (moto keeps them in a dict by hash key); for an index, the items
    carrying that index hash key, in the same table-key order, from partitions built on the first
    Query of an index after any request that can change an item. moto still applies every condition
    and the paging itself, so the answer is the one it gives without this. Returns the app, counting
    writes.
    """
    from moto.dynamodb.models.table import Table

    writes = [0]
    # (id of table, index name) -> (table, writes seen, {hash key values: [items]})
    partitions = {}
    pending = threading.local()
    all_items = Table.all_items
    query = Table.query

    def candidates(table, hash_key, index_name, hash_key_conditions):
        if not index_name:
            stored = table.items.get(hash_key)
            if stored is None:
                return []
            return list(stored.values()) if table.range_key_attr else [stored]
        index = {i.name: i for i in table.all_indexes()}.get(index_name)
        if index is None or not hash_key_conditions:
            return None  # moto's own answer, error included
        names = [k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH"]
        wanted = dict(hash_key_conditions)
        if sorted(names) != sorted(wanted):
            return None
        cached = partitions.get((id(table), index_name))
        if cached is None or cached[0] is not table or cached[1] != writes[0]:
            by_key = {}
            for item in all_items(table):
                values = tuple(item.attrs.get(name) for name in names)
                if all(values):
                    by_key.setdefault(values, []).append(item)
            cached = (table, writes[0], by_key)
            partitions[(id(table), index_name)] = cached
        return list(cached[2].get(tuple(wanted[name] for name in names), []))

    def patched_all_items(self):
        given = getattr(pending, "items", None)
        if given is not None:
            pending.items = None
            return given
        return all_items(self)

    def patched_query(self, hash_key, *args, **kwargs):
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        pending.items = candidates(self, hash_key, index_name, kwargs.get("hash_key_conditions"))
        try:
            return query(self, hash_key, *args, **kwargs)
        finally:
            pending.items = None

    Table.all_items = patched_all_items
    Table.query = patched_query

    def counting(environ, start_response):
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if not (target.startswith("DynamoDB_") and target.split(".")[-1] in READ_ONLY):
            writes[0] += 1
        return app(environ, start_response)

    return counting


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--port-file", help="write the chosen port here")
    parser.add_argument("--exit-with-parent", action="store_true")
    parser.add_argument(
        "--indexed-queries",
        action="store_true",
        help="a Query walks the partition it names, not the whole table (same answers)",
    )
    args = parser.parse_args()
    if not args.host.startswith("127.") and args.host not in ("localhost", "::1"):
        parser.error("the local stack only listens on loopback")

    app = DomainDispatcherApplication(create_backend_app)
    if args.indexed_queries:
        app = indexed_queries(app)
    app = serialised(app)
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
