"""Runs a Synapse homeserver for the tests (clinic_tests::synapse), in this process.

    synapse_run.py CONFIG

Writes the signing key the config names if it is missing, then runs Synapse's homeserver with
CONFIG; a watchdog thread ends the process as soon as the process that started it goes away, so an
interrupted or panicking test run never leaves a homeserver behind, and removes CONFIG's directory
(the homeserver's database, keys and logs) as it goes.
"""

import os
import shutil
import sys
import threading
import time


def watch_parent(parent: int, directory: str) -> None:
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            # The homeserver's files (SQLite, keys, logs) go with it.
            shutil.rmtree(directory, ignore_errors=True)
            os._exit(0)


def ensure_signing_key(config_path: str) -> None:
    import yaml
    from signedjson.key import generate_signing_key, write_signing_keys

    with open(config_path, encoding="utf-8") as f:
        config = yaml.safe_load(f)
    path = config["signing_key_path"]
    if not os.path.exists(path):
        with open(path, "w", encoding="utf-8") as f:
            write_signing_keys(f, (generate_signing_key("a_test"),))


def main() -> None:
    if len(sys.argv) != 2:
        print("usage: synapse_run.py CONFIG", file=sys.stderr)
        sys.exit(2)
    config = sys.argv[1]
    directory = os.path.dirname(os.path.abspath(config))
    threading.Thread(target=watch_parent, args=(os.getppid(), directory), daemon=True).start()
    ensure_signing_key(config)
    from synapse.app import homeserver

    sys.argv = ["synapse.app.homeserver", "--config-path", config]
    homeserver.main()


if __name__ == "__main__":
    main()
