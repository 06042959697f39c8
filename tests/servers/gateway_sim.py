"""An SMS gateway simulator for dunnd's tests (standard library only).

Speaks two APIs on 127.0.0.1 (HTTP/1.1, keep-alive):
  POST /2010-04-01/Accounts/{sid}/Messages.json   Twilio: form body, Basic auth,
       201 {"sid": "SM...", ...}; errors {"code", "message", "status"}
  POST /messages                                  generic: JSON body, Bearer auth,
       201 {"id": "gm-..."}; errors {"error": {"code", "message"}}
  POST /vendor/letters                            a letter vendor (dunnd's webhook
       module): JSON body signed with X-Dunn-Timestamp and X-Dunn-Signature
       (HMAC-SHA256 of timestamp + "." + body with the vendor secret; 401 when
       it does not verify or is more than 300 s old), 202 {"id": "lt-..."};
       a reference seen before gets 200 and the same id; errors
       {"error": {"code", "message"}}
Twilio's magic test numbers answer as Twilio does: +15005550001 -> 400 code
21211 (invalid number), +15005550004 -> 21610 (unsubscribed), +15005550009
-> 21614 (not a mobile number).

Every message request it receives is appended to LOGFILE as one JSON line:
path, provider, auth (raw header), user/password or bearer, fields (form or
JSON), the status it answered, the fault mode applied, and its own count of
encoding/segments/units for the body (an implementation independent of
lib/smsseg.c, for cross-checking). A letter request's line has path,
provider "vendor", headers (all of them), body (raw), fields (parsed),
signature_ok, status, mode.

Test control:
  POST /_control {"mode": "ok"|"400"|"429"|"500"|"slow"|"hang"|"reset",
                  "count": N, "retry_after": S, "delay": SECONDS,
                  "code": C, "message": M}
       the next N message requests get that answer ("slow" answers normally
       after delay seconds, default 1; "hang" holds the connection for delay
       seconds, default 30, then closes it unanswered; "reset" closes it
       with a TCP RST; "400" uses code/message, default 21408; with "body_hex"
       it answers those raw bytes instead, as Content-Type "content_type"
       (default text/plain): a body in any charset, Latin-1 say). "only":
       "twilio"|"generic"|"vendor" limits the fault to that API's requests
       (the others pass untouched and do not count).
  POST /_control {"vendor_secret": S}   the letter vendor's HMAC key (alone: the
       fault mode is left as it is)
  POST /_reset   forget faults, counts, the vendor secret and references
                 (the one from the command line stays), truncate LOGFILE
  GET  /_stats   {"requests", "by_status", "connections", "max_concurrent"}

usage: /usr/bin/python3 gateway_sim.py LOGFILE PORTFILE [VENDOR_SECRET]
"""
import base64
import hashlib
import hmac
import json
import os
import re
import signal
import socket
import struct
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

VENDOR_PATH = "/vendor/letters"
VENDOR_WINDOW = 300
TWILIO_PATH = re.compile(r"^/2010-04-01/Accounts/([A-Za-z0-9]+)/Messages\.json$")
MAGIC = {
    "+15005550001": (21211, "The 'To' number is not a valid phone number."),
    "+15005550004": (21610, "Attempt to send to unsubscribed recipient"),
    "+15005550009": (21614, "'To' number is not a valid mobile number"),
}

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_EXT = set("\f^{}\\[~]|€")


def segments(text):
    """(encoding, units, segments); no escape or surrogate pair split."""
    if all(c in GSM7_BASIC or c in GSM7_EXT for c in text):
        enc, single, multi = "GSM-7", 160, 153
        widths = [2 if c in GSM7_EXT else 1 for c in text]
    else:
        enc, single, multi = "UCS-2", 70, 67
        widths = [2 if ord(c) > 0xFFFF else 1 for c in text]
    units = sum(widths)
    if units <= single:
        return enc, units, 1
    parts, used = 1, 0
    for w in widths:
        if used + w > multi:
            parts, used = parts + 1, 0
        used += w
    return enc, units, parts


class State:
    def __init__(self, logfile, vendor_secret=None):
        self.lock = threading.Lock()
        self.logfile = logfile
        self.default_secret = vendor_secret
        self.stopping = threading.Event()
        self.reset()

    def reset(self):
        with self.lock:
            self.fault = None
            self.requests = 0
            self.by_status = {}
            self.conns = set()
            self.concurrent = 0
            self.max_concurrent = 0
            self.seq = 0
            self.vendor_secret = self.default_secret
            self.letters = {}  # reference -> id
            open(self.logfile, "w").close()

    def take_fault(self, provider):
        with self.lock:
            f = self.fault
            if not f or f["count"] <= 0:
                return None
            if f.get("only") and f["only"] != provider:
                return None
            f["count"] -= 1
            return dict(f)


class RawBody:
    """An answer sent byte for byte, not as JSON."""

    def __init__(self, fault):
        self.data = bytes.fromhex(fault["body_hex"])
        self.ctype = fault.get("content_type") or "text/plain"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "gateway-sim/1"

    def log_message(self, fmt, *args):  # quiet: the JSON log is the record
        pass

    @property
    def st(self):
        return self.server.state

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def reply(self, code, obj, headers=None):
        ctype = "application/json"
        if isinstance(obj, RawBody):
            data, ctype = obj.data, obj.ctype
        else:
            data = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/_stats":
            with self.st.lock:
                self.reply(200, {"requests": self.st.requests,
                                 "by_status": dict(self.st.by_status),
                                 "connections": len(self.st.conns),
                                 "max_concurrent": self.st.max_concurrent})
            return
        self.reply(404, {"code": 20404, "message": "not found"})

    def do_POST(self):
        raw = self.body()
        if self.path == "/_control":
            try:
                c = json.loads(raw or b"{}")
                if "vendor_secret" in c:
                    with self.st.lock:
                        self.st.vendor_secret = str(c["vendor_secret"])
                    if "mode" not in c:
                        self.reply(200, {"ok": True})
                        return
                mode = str(c.get("mode", "ok"))
                if mode not in ("ok", "400", "429", "500", "slow", "hang", "reset"):
                    raise ValueError(mode)
            except ValueError as e:
                self.reply(400, {"error": str(e)})
                return
            with self.st.lock:
                self.st.fault = None if mode == "ok" else {
                    "mode": mode, "count": int(c.get("count", 1)),
                    "retry_after": c.get("retry_after"), "delay": c.get("delay"),
                    "code": c.get("code"), "message": c.get("message"),
                    "body_hex": c.get("body_hex"), "content_type": c.get("content_type"),
                    "only": c.get("only")}
            self.reply(200, {"ok": True})
            return
        if self.path == "/_reset":
            self.st.reset()
            self.reply(200, {"ok": True})
            return
        m = TWILIO_PATH.match(self.path)
        if m or self.path in ("/messages", VENDOR_PATH):
            with self.st.lock:
                self.st.concurrent += 1
                self.st.max_concurrent = max(self.st.max_concurrent, self.st.concurrent)
                self.st.conns.add(self.client_address)
            try:
                if self.path == VENDOR_PATH:
                    self.letter(raw)
                else:
                    self.message(raw, "twilio" if m else "generic", m.group(1) if m else None)
            finally:
                with self.st.lock:
                    self.st.concurrent -= 1
            return
        self.reply(404, {"code": 20404, "message": "not found"})

    def message(self, raw, provider, sid):
        auth = self.headers.get("Authorization", "")
        rec = {"path": self.path, "provider": provider, "auth": auth,
               "content_type": self.headers.get("Content-Type", ""),
               "conn": "%s:%d" % self.client_address}
        if auth.startswith("Basic "):
            try:
                user, _, pw = base64.b64decode(auth[6:]).decode().partition(":")
                rec["user"], rec["password"] = user, pw
            except ValueError:
                pass
        elif auth.startswith("Bearer "):
            rec["bearer"] = auth[7:]
        try:
            if provider == "twilio":
                pairs = urllib.parse.parse_qsl(raw.decode(), keep_blank_values=True,
                                               strict_parsing=True)
                fields = {}
                for k, v in pairs:
                    fields[k] = v if k not in fields else [fields[k], v] if \
                        not isinstance(fields[k], list) else fields[k] + [v]
            else:
                fields = json.loads(raw)
                if not isinstance(fields, dict):
                    raise ValueError("not an object")
        except (ValueError, UnicodeDecodeError) as e:
            fields = {"_raw": raw.decode("utf-8", "replace"), "_error": str(e)}
        rec["fields"] = fields
        text = fields.get("Body" if provider == "twilio" else "body")
        if isinstance(text, str):
            rec["encoding"], rec["units"], rec["segments"] = segments(text)
        fault = self.st.take_fault(provider)
        rec["mode"] = fault["mode"] if fault else "ok"
        code, obj, headers = self.answer(provider, sid, rec, fields, fault)
        rec["status"] = code
        self.record(rec, code)
        if code == 0:
            self.drop(fault)
            return
        self.reply(code, obj, headers)

    def letter(self, raw):
        rec = {"path": self.path, "provider": "vendor",
               "headers": {k: v for k, v in self.headers.items()},
               "body": raw.decode("utf-8", "replace"),
               "content_type": self.headers.get("Content-Type", ""),
               "conn": "%s:%d" % self.client_address}
        ts = self.headers.get("X-Dunn-Timestamp", "")
        sig = self.headers.get("X-Dunn-Signature", "")
        with self.st.lock:
            secret = self.st.vendor_secret
        ok = False
        if secret and ts.isdigit() and abs(time.time() - int(ts)) <= VENDOR_WINDOW:
            mac = hmac.new(secret.encode(), ts.encode() + b"." + raw, hashlib.sha256)
            ok = hmac.compare_digest("sha256=" + mac.hexdigest(), sig)
        rec["signature_ok"] = ok
        try:
            fields = json.loads(raw)
            if not isinstance(fields, dict):
                raise ValueError("not an object")
        except (ValueError, UnicodeDecodeError) as e:
            fields = {"_raw": raw.decode("utf-8", "replace"), "_error": str(e)}
        rec["fields"] = fields
        fault = self.st.take_fault("vendor")
        rec["mode"] = fault["mode"] if fault else "ok"
        code, obj, headers = self.letter_answer(rec, fields, fault, ok)
        rec["status"] = code
        self.record(rec, code)
        if code == 0:
            self.drop(fault)
            return
        self.reply(code, obj, headers)

    def letter_answer(self, rec, fields, fault, sig_ok):
        mode = fault["mode"] if fault else "ok"

        def err(code, pcode, msg, headers=None):
            return code, {"error": {"code": str(pcode), "message": msg}}, headers

        if mode in ("hang", "reset"):
            return 0, None, None
        if mode == "slow":
            time.sleep(float(fault.get("delay") or 1.0))
        if mode == "429":
            h = {"Retry-After": str(fault["retry_after"])} if fault.get("retry_after") else {}
            return err(429, "rate_limited", "Too Many Requests", h)
        if mode == "500":
            return err(500, "internal", "Internal Server Error")
        if mode == "400" and fault.get("body_hex") is not None:
            return 400, RawBody(fault), None
        if mode == "400":
            return err(400, fault.get("code") or "invalid_address",
                       fault.get("message") or "The recipient address is incomplete")
        if not sig_ok:
            return err(401, "bad_signature", "signature does not verify")
        if not self.headers.get("Content-Type", "").startswith("application/json"):
            return err(415, "unsupported_media_type", "send application/json")
        for k in ("to", "text"):
            if not isinstance(fields.get(k), str) or not fields[k]:
                return err(400, "missing_" + k, "'%s' is required" % k)
        ref = fields.get("reference")
        with self.st.lock:
            known = self.st.letters.get(str(ref)) if ref is not None else None
        if known:
            rec["id"], rec["duplicate"] = known, True
            return 200, {"id": known, "status": "accepted", "duplicate": True}, None
        lid = "lt-%d" % self.next_seq()
        rec["id"] = lid
        if ref is not None:
            with self.st.lock:
                self.st.letters[str(ref)] = lid
        return 202, {"id": lid, "status": "accepted"}, None

    def answer(self, provider, sid, rec, fields, fault):
        mode = fault["mode"] if fault else "ok"
        twilio = provider == "twilio"

        def err(code, pcode, msg, headers=None):
            if twilio:
                return code, {"code": pcode, "message": msg, "status": code}, headers
            return code, {"error": {"code": str(pcode), "message": msg}}, headers

        if mode in ("hang", "reset"):
            return 0, None, None
        if mode == "slow":
            time.sleep(float(fault.get("delay") or 1.0))
        if mode == "429":
            h = {"Retry-After": str(fault["retry_after"])} if fault.get("retry_after") else {}
            return err(429, 20429, "Too Many Requests", h)
        if mode == "500":
            return err(500, 20500, "Internal Server Error")
        if mode == "400" and fault.get("body_hex") is not None:
            return 400, RawBody(fault), None
        if mode == "400":
            return err(400, fault.get("code") or 21408,
                       fault.get("message") or "Permission to send an SMS has not been "
                       "enabled for the region indicated by the 'To' number")
        if twilio:
            if rec.get("user") != sid or not rec.get("password"):
                return err(401, 20003, "Authenticate")
            to = fields.get("To")
            if not isinstance(to, str) or not to:
                return err(400, 21604, "A 'To' phone number is required.")
            if not fields.get("From") and not fields.get("MessagingServiceSid"):
                return err(400, 21603, "A 'From' phone number is required.")
            if not fields.get("Body"):
                return err(400, 21602, "Message body is required.")
            if to in MAGIC:
                return err(400, *MAGIC[to])
            msid = "SM%032x" % (int(time.time() * 1e6) * 1000 + self.next_seq())
            rec["sid"] = msid
            return 201, {"sid": msid, "status": "queued", "to": to,
                         "num_segments": str(rec.get("segments", 1))}, None
        if not rec.get("bearer"):
            return err(401, "unauthorized", "missing bearer token")
        for k in ("to", "from", "body"):
            if not isinstance(fields.get(k), str) or not fields[k]:
                return err(400, "missing_" + k, "'%s' is required" % k)
        if fields["to"] in MAGIC:
            return err(400, "invalid_number", MAGIC[fields["to"]][1])
        mid = "gm-%d" % self.next_seq()
        rec["id"] = mid
        return 201, {"id": mid, "status": "accepted"}, None

    def next_seq(self):
        with self.st.lock:
            self.st.seq += 1
            return self.st.seq

    def record(self, rec, code):
        rec["time"] = time.time()
        with self.st.lock:
            self.st.requests += 1
            key = str(code) if code else rec["mode"]
            self.st.by_status[key] = self.st.by_status.get(key, 0) + 1
            with open(self.st.logfile, "a") as f:
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")

    def drop(self, fault):
        if fault["mode"] == "hang":
            end = time.time() + float(fault.get("delay") or 30.0)
            while time.time() < end and not self.st.stopping.is_set():
                time.sleep(0.05)
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        else:  # reset: close with SO_LINGER 0, so the peer gets an RST, not a FIN
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            os.close(self.connection.detach())
        self.close_connection = True


def main(logfile, portfile, vendor_secret=None):
    # The default listen backlog of 5 drops connections when dunnd opens
    # its 64 in-flight transfers at once.
    ThreadingHTTPServer.request_queue_size = 128
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.state = State(logfile, vendor_secret)

    def stop(*_):
        server.state.stopping.set()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    with open(portfile + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(portfile + ".tmp", portfile)
    server.serve_forever(poll_interval=0.2)
    server.server_close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
