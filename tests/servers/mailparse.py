"""Parse a message the sink received with Python's email package (a real
MIME parser) and print what a reader would see, as JSON.

usage: /usr/bin/python3 mailparse.py FILE.eml
"""
import email
import email.policy
import json
import sys

with open(sys.argv[1], "rb") as f:
    msg = email.message_from_binary_file(f, policy=email.policy.default)

out = {
    "subject": str(msg["subject"] or ""),
    "from": str(msg["from"] or ""),
    "to": str(msg["to"] or ""),
    "message_id": str(msg["message-id"] or ""),
    "list_unsubscribe": str(msg["list-unsubscribe"] or ""),
    "list_unsubscribe_post": str(msg["list-unsubscribe-post"] or ""),
    "content_type": msg.get_content_type(),
    "text": "",
    "html": "",
}
part = msg.get_body(preferencelist=("plain",))
if part is not None:
    out["text"] = part.get_content()
part = msg.get_body(preferencelist=("html",))
if part is not None:
    out["html"] = part.get_content()
json.dump(out, sys.stdout, ensure_ascii=False)
