#!/usr/bin/python3
"""Parse a message written by lib/mime.c with the stdlib email parser and
print what a real MUA would see as JSON, for tests/unit/check_mime.c.

Run with Debian's /usr/bin/python3 (stdlib only).  Usage: mime_parse.py FILE
"""
import email.header
import email.utils
import json
import re
import sys
from email import policy
from email.parser import BytesParser


def _rfc2047_name(msg, name):
    """Display name decoded strictly per RFC 2047 6.2 from the raw header.

    Python 3.11's policy.default display_name keeps (as one space) the
    whitespace between adjacent encoded-words of a phrase and collapses
    whitespace runs inside them, so a name needing several encoded-words
    does not come back verbatim there; the legacy email.header decoder
    follows the RFC, as MUAs do.  Both values are reported.
    """
    for k, v in msg.raw_items():
        if k.lower() == name:
            unfolded = re.sub(r"\r?\n(?=[ \t])", "", v)
            pairs = email.utils.getaddresses([unfolded])
            if len(pairs) != 1:
                return None
            return str(email.header.make_header(email.header.decode_header(pairs[0][0])))
    return None


def _addr(msg, name, out, key):
    hdr = msg[name]
    if hdr is None:
        return
    out[key + "_count"] = len(hdr.addresses)
    if hdr.addresses:
        out[key + "_name"] = hdr.addresses[0].display_name
        out[key + "_addr"] = hdr.addresses[0].addr_spec
    out[key + "_name_rfc2047"] = _rfc2047_name(msg, name)


def _text(v):
    return None if v is None else str(v)


def main(argv):
    with open(argv[1], "rb") as f:
        msg = BytesParser(policy=policy.default).parse(f)

    out = {"header_names": [k.lower() for k in msg.keys()]}
    defects = []
    for part in msg.walk():
        defects += [type(d).__name__ for d in part.defects]
        for name in part.keys():
            for v in part.get_all(name):
                defects += [name + ":" + type(d).__name__ for d in getattr(v, "defects", ())]
    out["defects"] = defects

    out["subject"] = _text(msg["subject"])
    _addr(msg, "from", out, "from")
    _addr(msg, "to", out, "to")
    mid = _text(msg["message-id"])
    out["message_id"] = mid.strip().strip("<>") if mid is not None else None
    date = msg["date"]
    out["date"] = int(date.datetime.timestamp()) if date is not None and date.datetime else None
    out["list_unsubscribe"] = _text(msg["list-unsubscribe"])
    out["list_unsubscribe_post"] = _text(msg["list-unsubscribe-post"])
    out["content_type"] = msg.get_content_type()
    out["boundary"] = msg.get_boundary()
    out["parts"] = [p.get_content_type() for p in msg.walk()]

    plain = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    out["text"] = plain.get_content() if plain is not None else None
    out["html"] = html.get_content() if html is not None else None

    json.dump(out, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
