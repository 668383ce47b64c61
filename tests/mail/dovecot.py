"""A real IMAP server for the poller's tests: Dovecot on a free localhost port, with a throwaway
configuration under the test's temporary directory (maildir, one static password, no TLS).

Skipped, saying why, when Dovecot is not installed — except in CI (CI=true), where its absence
fails the test: `.ci/run` installs `dovecot-imapd`.
"""

from __future__ import annotations

import grp
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
PASSWORD = "imap-test-secret"  # noqa: S105 — the throwaway server's only password


@dataclass
class ImapServer:
    host: str
    port: int
    user: str
    password: str

    def connect(self) -> imaplib.IMAP4:
        imap = imaplib.IMAP4(self.host, self.port, timeout=10)
        imap.login(self.user, self.password)
        return imap

    def append(self, raw: bytes, folder: str = "INBOX") -> None:
        imap = self.connect()
        try:
            status, data = imap.append(folder, None, None, raw)
            assert status == "OK", data
        finally:
            imap.logout()

    def count(self, folder: str) -> int:
        imap = self.connect()
        try:
            status, data = imap.select(folder, readonly=True)
            return int(data[0]) if status == "OK" else 0
        finally:
            imap.logout()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _users() -> tuple[str, str, str, int, int]:
    """(internal user, login user, group, mail uid, mail gid): Dovecot refuses to run its login and
    internal processes as root, so as root its own accounts are used and mail is stored as nobody."""
    if os.geteuid() != 0:
        me = pwd.getpwuid(os.getuid()).pw_name
        return me, me, grp.getgrgid(os.getgid()).gr_name, os.getuid(), os.getgid()
    nobody = pwd.getpwnam("nobody")
    return "dovecot", "dovenull", "dovecot", nobody.pw_uid, nobody.pw_gid


def start_dovecot(directory: Path):
    if not Path(DOVECOT).exists():
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("Dovecot is not installed; CI must install dovecot-imapd (.ci/run does)")
        pytest.skip("Dovecot is not installed (apt-get install dovecot-imapd): the IMAP poller's test needs it")
    internal, login, group, uid, gid = _users()
    port = _free_port()
    for sub in ("run", "state", "mail", "home"):
        (directory / sub).mkdir(parents=True, exist_ok=True)
    for sub in ("mail", "home"):
        os.chmod(directory / sub, 0o777)  # noqa: S103 — a throwaway directory the mail user writes
    os.chmod(directory, 0o755)  # noqa: S103 — the mail user must reach it
    config = directory / "dovecot.conf"
    config.write_text(f"""
base_dir = {directory}/run
state_dir = {directory}/state
log_path = {directory}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{directory}/mail/%u
default_internal_user = {internal}
default_login_user = {login}
default_internal_group = {group}
first_valid_uid = {min(uid, 1) if uid else 0}
first_valid_gid = 0
passdb {{
  driver = static
  args = password={PASSWORD}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={directory}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
""")
    process = subprocess.Popen([DOVECOT, "-F", "-c", str(config)], stdout=subprocess.PIPE,  # noqa: S603
                               stderr=subprocess.STDOUT)
    server = ImapServer(host="127.0.0.1", port=port, user="inbound", password=PASSWORD)
    deadline = time.monotonic() + 20
    while True:
        try:
            server.connect().logout()
            break
        except (OSError, imaplib.IMAP4.error) as exc:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                log = (directory / "dovecot.log").read_text() if (directory / "dovecot.log").exists() else ""
                output = process.stdout.read().decode(errors="replace") if process.stdout else ""
                raise RuntimeError(f"Dovecot did not start: {exc}\n{output}\n{log}") from exc
            time.sleep(0.2)
    return process, server


def stop_dovecot(process) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
