"""Serve the console on a port for multi-process tests: python -m tests.sessions.serve PORT.

The configuration comes as JSON in CONSOLE_TEST_SERVE_CONFIG.
"""

from __future__ import annotations

import json
import os
import sys

from werkzeug.serving import make_server


def main() -> None:
    from console import create_app

    port = int(sys.argv[1])
    app = create_app(json.loads(os.environ["CONSOLE_TEST_SERVE_CONFIG"]))
    make_server("127.0.0.1", port, app, threaded=True).serve_forever()


if __name__ == "__main__":
    main()
