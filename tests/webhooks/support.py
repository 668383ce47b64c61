"""Helpers of the webhook tests: a fixed DNS table, a receiver on localhost that checks signatures
with its own reading of Standard Webhooks 1.0 (not the platform's signer), and small shortcuts."""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from integrations.webhooks.models import Attempt, Delivery, Endpoint

ENDPOINTS = "/api/v1/webhook-endpoints/"
DELIVERIES = "/api/v1/webhook-deliveries/"
PUBLIC_URL = "https://hooks.example.com/in"
# what the test resolver answers (no test depends on real DNS)
DNS = {
    "hooks.example.com": ["93.184.215.14"],
    "other.example.com": ["93.184.215.15"],
    "intranet.example.com": ["10.1.2.3"],
    "mixed.example.com": ["93.184.215.16", "192.168.0.7"],
    "metadata.example.com": ["169.254.169.254"],
    "v6-local.example.com": ["::1"],
}


def independent_verify(secret: str, headers: dict, body: bytes, *, now: float, tolerance: int = 300) -> bool:
    """Standard Webhooks 1.0, read from the specification: HMAC-SHA256 keyed with the base64-decoded
    part after `whsec_`, over `{webhook-id}.{webhook-timestamp}.{body}`, base64, versioned `v1,`,
    several space-separated; the timestamp within five minutes."""
    msg_id = headers.get("webhook-id")
    stamp = headers.get("webhook-timestamp")
    signature = headers.get("webhook-signature")
    if not (msg_id and stamp and signature):
        return False
    if abs(now - int(stamp)) > tolerance:
        return False
    key = base64.b64decode(secret.split("_", 1)[1])
    mac = hmac.new(key, msg_id.encode() + b"." + stamp.encode() + b"." + body, hashlib.sha256).digest()
    wanted = base64.b64encode(mac).decode()
    return any(part.startswith("v1,") and hmac.compare_digest(part[3:], wanted) for part in signature.split(" "))


@dataclass
class Received:
    headers: dict
    body: bytes
    verified: bool
    at: float
    status: int


@dataclass
class Receiver:
    """A webhook receiver on 127.0.0.1 that fails the first `fail_first` POSTs with 500."""

    fail_first: int = 0
    secrets: list[str] = field(default_factory=list)
    head_status: int = 200
    head_location: str = ""
    received: list[Received] = field(default_factory=list)
    heads: int = 0
    redirect_to: str = ""

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_HEAD(self):
                receiver.heads += 1
                self.send_response(receiver.head_status)
                if receiver.head_location:
                    self.send_header("Location", receiver.head_location)
                self.end_headers()

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = {k.lower(): v for k, v in self.headers.items()}
                now = time.time()
                verified = any(independent_verify(s, headers, body, now=now) for s in receiver.secrets)
                failing = len(receiver.received) < receiver.fail_first
                status = 500 if failing or not verified else 200
                if receiver.redirect_to:
                    status = 302
                receiver.received.append(Received(headers, body, verified, now, status))
                answer = (b"boom " * 400) if failing else b'{"ok":true}'
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                if receiver.redirect_to:
                    self.send_header("Location", receiver.redirect_to)
                self.end_headers()
                self.wfile.write(answer)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def endpoints(world):
    with world.context():
        return list(Endpoint.objects.all())


def deliveries(world, **filters):
    with world.context():
        return list(Delivery.objects.filter(**filters).order_by("id"))


def attempts(world, delivery):
    with world.context():
        return list(Attempt.objects.filter(delivery=delivery).order_by("at", "id"))
