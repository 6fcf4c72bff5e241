"""A small stand-in for a PrestaShop shop's Webservice API, served on 127.0.0.1 in a thread.

It answers what Voz's poller asks (orders filtered by date_upd, sorted and paged; customers by id;
currencies and languages) from the hand-written fixtures in tests/fixtures/prestashop/, checks the
key like PrestaShop (basic auth, the key as user) and records every request, so tests can assert
the cursor sent. bench/connectors.py serves the same fixtures to a running Voz.
"""

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "prestashop"


def fixtures_load(directory: Path = FIXTURES) -> dict[str, list[dict]]:
    data = {}
    for name in ("orders", "customers", "currencies", "languages"):
        data[name] = json.loads((directory / f"{name}.json").read_text())[name]
    return data


class PrestaShopStub:
    def __init__(self, data: dict[str, list[dict]], *, key: str):
        self.data, self.key = data, key
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.status_override: int | None = None  # answer every request with this status (a broken shop)
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet: tests and the bench print what matters
                pass

            def do_GET(self):
                parts = urlsplit(self.path)
                query = {key: values[0] for key, values in parse_qs(parts.query).items()}
                stub.requests.append((parts.path, query))
                status, body = stub.answer(parts.path, query, self.headers.get("Authorization", ""))
                payload = json.dumps(body).encode()
                self.send_response(status)
                if status == 401:
                    self.send_header("WWW-Authenticate", 'Basic realm="Webservice"')
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def answer(self, path: str, query: dict[str, str], authorization: str) -> tuple[int, object]:
        if self.status_override:
            return self.status_override, {"errors": [{"code": self.status_override, "message": "Stub failure"}]}
        expected = "Basic " + base64.b64encode(f"{self.key}:".encode()).decode()
        if authorization != expected:
            return 401, {"errors": [{"code": 25, "message": "Authentication key is empty"}]}
        resource = path.removeprefix("/api/").strip("/")
        if resource not in self.data:
            return 404, {"errors": [{"code": 22, "message": "Resource does not exist"}]}
        rows = list(self.data[resource])
        if "filter[date_upd]" in query:
            low, high = query["filter[date_upd]"].strip("[]").split(",")
            rows = [row for row in rows if low <= row["date_upd"] <= high]
        if "filter[id]" in query:
            wanted = set(query["filter[id]"].strip("[]").split("|"))
            rows = [row for row in rows if str(row["id"]) in wanted]
        if query.get("sort") == "[date_upd_ASC]":
            rows.sort(key=lambda row: (row["date_upd"], int(row["id"])))
        if "limit" in query:
            offset, _, count = query["limit"].rpartition(",")
            rows = rows[int(offset or 0) : int(offset or 0) + int(count)]
        # PrestaShop answers a bare empty list when nothing matches
        return 200, ({resource: rows} if rows else [])
