"""A real SMTP server for dunnd's tests and demo (Debian's aiosmtpd).

Every accepted message is written to MAILDIR as NNNNNN.eml with a
NNNNNN.json envelope beside it. Recipients whose local part starts with
"bounce" get 550, with "tempfail" get 451, so tests can drive both paths;
with "latin1" get a 550 whose text is Latin-1, not UTF-8 (as some servers
answer in their own language).
Listens on 127.0.0.1 only; writes the chosen port to PORTFILE.

usage: /usr/bin/python3 smtp_sink.py MAILDIR PORTFILE [--tls CERT KEY] [--require-tls]
                                      [--auth USER:PASSWORD] [--port N] [--pipelining]
With --tls it offers STARTTLS; with --auth it requires AUTH (over TLS);
with --pipelining it offers PIPELINING (RFC 2920), as Postfix does.
The envelope records whether TLS was used and who authenticated.
"""
import asyncio
import itertools
import json
import os
import signal
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult


class Sink:
    def __init__(self, maildir):
        self.maildir = maildir
        self.seq = itertools.count(1)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local.startswith("bounce"):
            return "550 5.1.1 mailbox unavailable"
        if local.startswith("latin1"):
            return "550 5.1.1 Empfänger unbekannt, réessayez".encode("latin-1")
        if local.startswith("tempfail"):
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        n = next(self.seq)
        base = os.path.join(self.maildir, "%06d" % n)
        with open(base + ".tmp", "wb") as f:
            f.write(envelope.original_content)
        login = session.login_data if session.authenticated else None
        with open(base + ".json", "w") as f:
            json.dump({"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
                       "tls": session.ssl is not None,
                       "auth": login.decode() if isinstance(login, bytes) else login}, f)
        os.rename(base + ".tmp", base + ".eml")
        return "250 OK queued as %06d" % n


class PipeliningSink(Sink):
    # aiosmtpd reads commands one line at a time, so it takes pipelined
    # groups as they come; it only does not say so. The reply leaves in
    # one write, as Postfix sends it, so the client reads it all at once.
    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        return ["\r\n".join(responses[:1] + ["250-PIPELINING"] + responses[1:])]


def options(argv):
    opts = {"tls": None, "require_tls": False, "auth": None, "port": 0, "pipelining": False}
    i = 0
    while i < len(argv):
        if argv[i] == "--tls":
            opts["tls"] = (argv[i + 1], argv[i + 2])
            i += 3
        elif argv[i] == "--require-tls":
            opts["require_tls"] = True
            i += 1
        elif argv[i] == "--auth":
            opts["auth"] = argv[i + 1]
            i += 2
        elif argv[i] == "--pipelining":
            opts["pipelining"] = True
            i += 1
        elif argv[i] == "--port":
            opts["port"] = int(argv[i + 1])
            i += 2
        else:
            sys.exit("smtp_sink: unknown option " + argv[i])
    return opts


def authenticator(expected):
    user, password = expected.split(":", 1)

    def check(server, session, envelope, mechanism, auth_data):
        ok = (auth_data.login.decode() == user and auth_data.password.decode() == password)
        return AuthResult(success=ok, auth_data=auth_data if ok else None,
                          handled=False)
    return check


async def main(maildir, portfile, opts):
    loop = asyncio.get_running_loop()
    sink = PipeliningSink(maildir) if opts["pipelining"] else Sink(maildir)
    kwargs = {"hostname": "sink.test", "data_size_limit": 10 * 1024 * 1024}
    if opts["tls"]:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(*opts["tls"])
        kwargs["tls_context"] = ctx
        kwargs["require_starttls"] = opts["require_tls"]
    if opts["auth"]:
        kwargs["auth_required"] = True
        kwargs["authenticator"] = authenticator(opts["auth"])
    server = await loop.create_server(lambda: SMTP(sink, **kwargs), host="127.0.0.1",
                                      port=opts["port"], reuse_address=True)
    port = server.sockets[0].getsockname()[1]
    with open(portfile + ".tmp", "w") as f:
        f.write(str(port))
    os.rename(portfile + ".tmp", portfile)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.close()


if __name__ == "__main__":
    os.makedirs(sys.argv[1], exist_ok=True)
    asyncio.run(main(sys.argv[1], sys.argv[2], options(sys.argv[3:])))
