"""A tiny IMAP4rev1 server for tests: one mailbox, the handful of commands `support.mailbox` sends
(CAPABILITY, LOGIN, SELECT, UID SEARCH UNSEEN, UID FETCH BODY.PEEK[], UID STORE +FLAGS, LOGOUT),
answered as RFC 3501 says, so imaplib talks to it as to a real server."""

import re
import socketserver
import threading
from dataclasses import dataclass, field


@dataclass
class Mailbox:
    user: str
    password: str
    messages: dict[int, bytes] = field(default_factory=dict)
    seen: set[int] = field(default_factory=set)
    commands: list[str] = field(default_factory=list)


def _unquote(value: str) -> str:
    return value[1:-1].replace('\\"', '"').replace("\\\\", "\\") if value.startswith('"') else value


class _Handler(socketserver.StreamRequestHandler):
    def send(self, line: str | bytes) -> None:
        self.wfile.write(line if isinstance(line, bytes) else line.encode() + b"\r\n")

    def handle(self) -> None:
        box: Mailbox = self.server.mailbox  # type: ignore[attr-defined]
        self.send("* OK IMAP4rev1 test server ready")
        signed_in = False
        while line := self.rfile.readline():
            tag, _, rest = line.decode().rstrip("\r\n").partition(" ")
            command, _, arguments = rest.partition(" ")
            command = command.upper()
            box.commands.append(f"{command} {arguments}".strip())
            if command == "CAPABILITY":
                self.send("* CAPABILITY IMAP4rev1 AUTH=PLAIN")
                self.send(f"{tag} OK CAPABILITY completed")
            elif command == "LOGIN":
                user, password = (_unquote(part) for part in re.findall(r'"(?:[^"\\]|\\.)*"|\S+', arguments)[:2])
                signed_in = (user, password) == (box.user, box.password)
                self.send(f"{tag} OK LOGIN completed" if signed_in else f"{tag} NO [AUTHENTICATIONFAILED] Invalid")
            elif not signed_in and command != "LOGOUT":
                self.send(f"{tag} BAD not signed in")
            elif command == "SELECT":
                self.send(f"* {len(box.messages)} EXISTS")
                self.send("* 0 RECENT")
                self.send(f"{tag} OK [READ-WRITE] SELECT completed")
            elif command == "UID":
                self.uid(tag, arguments, box)
            elif command == "LOGOUT":
                self.send("* BYE logging out")
                self.send(f"{tag} OK LOGOUT completed")
                return
            else:
                self.send(f"{tag} BAD unknown command")

    def uid(self, tag: str, arguments: str, box: Mailbox) -> None:
        sub, _, rest = arguments.partition(" ")
        sub = sub.upper()
        if sub == "SEARCH":
            unseen = [str(uid) for uid in sorted(box.messages) if uid not in box.seen]
            self.send(("* SEARCH " + " ".join(unseen)).rstrip())
            self.send(f"{tag} OK SEARCH completed")
        elif sub == "FETCH":
            uid = int(rest.split()[0])
            raw = box.messages[uid]
            self.send(f"* {uid} FETCH (UID {uid} BODY[] {{{len(raw)}}}".encode() + b"\r\n" + raw + b")\r\n")
            self.send(f"{tag} OK FETCH completed")
        elif sub == "STORE":
            uid = int(rest.split()[0])
            if "\\Seen" in rest:
                box.seen.add(uid)
            self.send(f"* {uid} FETCH (UID {uid} FLAGS (\\Seen))")
            self.send(f"{tag} OK STORE completed")
        else:
            self.send(f"{tag} BAD unknown UID command")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class ImapTestServer:
    def __init__(self, mailbox: Mailbox):
        self.mailbox = mailbox
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.mailbox = mailbox  # type: ignore[attr-defined]
        self.port = self._server.server_address[1]

    def __enter__(self) -> "ImapTestServer":
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
