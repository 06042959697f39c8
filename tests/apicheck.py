#!/usr/bin/python3
# Check every answer an API test got against api/openapi.json: each line
# of RESPONSES.jsonl is {"method", "path" (the document's path template),
# "status", "ctype", "body"}; the document must declare that status for
# that operation, with that media type, and the body must validate
# against its schema (JSON Schema 2020-12, as OpenAPI 3.1 uses, through
# python3-jsonschema). Prints each mismatch; exit 1 if there was one.
import json
import sys

import jsonschema


def main():
    doc = json.load(open(sys.argv[1]))
    schema_root = dict(doc)
    schema_root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    bad = 0
    n = 0
    for line in open(sys.argv[2]):
        if not line.strip():
            continue
        r = json.loads(line)
        n += 1
        where = "%s %s %s" % (r["method"], r["path"], r["status"])
        item = doc["paths"].get(r["path"])
        op = (item or {}).get(r["method"].lower())
        if op is None and item and r["status"] == 405:
            # another method on a path the document has: a problem
            op = {"responses": {"405": {"$ref": "#/components/responses/MethodNotAllowed"}}}
        if op is None:
            print("apicheck: %s: no such operation in the document" % where)
            bad += 1
            continue
        resp = op["responses"].get(str(r["status"]))
        if resp is None:
            print("apicheck: %s: status not declared" % where)
            bad += 1
            continue
        if "$ref" in resp:
            resp = doc["components"]["responses"][resp["$ref"].rsplit("/", 1)[1]]
        ctype = (r["ctype"] or "").split(";")[0].strip()
        media = resp.get("content", {}).get(ctype)
        if media is None:
            print("apicheck: %s: media type %r not declared" % (where, ctype))
            bad += 1
            continue
        if not ctype.endswith("json"):
            continue  # a page evhttp writes itself (413 before reading)
        try:
            body = json.loads(r["body"])
        except ValueError as e:
            print("apicheck: %s: not JSON: %s" % (where, e))
            bad += 1
            continue
        schema = dict(schema_root)
        schema.update(media["schema"])
        v = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
        for e in v.iter_errors(body):
            print("apicheck: %s: %s at %s" % (where, e.message, "/".join(map(str, e.absolute_path))))
            bad += 1
    print("apicheck: %d answers checked, %d mismatches" % (n, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
