import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.contrib.auth.models import Permission


@pytest.fixture
def receiver():
    """A webhook receiver on 127.0.0.1 that records what it gets."""
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((dict(self.headers), body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook", received
    server.shutdown()


@pytest.fixture
def manager(client, django_user_model):
    """A staff member who may see the dashboards, signed in on `client`."""
    user = django_user_model.objects.create_user(username="boss", password="x", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_dashboards"))
    client.force_login(user)
    return user
