#!/usr/bin/env python3
"""The option tables of man/dunnd.json.5 and README.md, made from
`dunnd --dump-options --json` (the rows in lib/config_opts.c and each
module's). `options-doc.py DUNND MODULE_DIR` rewrites them between their
markers (make options-doc); with --check it only compares, and exits 1
naming each file that differs (make check, tests/options.sh)."""
import json
import subprocess
import sys

SRC = __file__.rsplit("/scripts/", 1)[0]
MAN = ('.\\" BEGIN OPTIONS (make options-doc writes this part)\n', '.\\" END OPTIONS\n')
MD = ("<!-- BEGIN OPTIONS (make options-doc writes this part) -->\n", "<!-- END OPTIONS -->\n")


def key(r):
    s = r["section"]
    if s.startswith("channels.<name> (module "):
        return "channels.<name>." + r["name"], s[len("channels.<name> (module "):-1]
    if s.startswith("payments.<name> ("):
        return "payments.<name>." + r["name"], s[len("payments.<name> ("):-1]
    return (s + "." if s else "") + r["name"], ""


SECTIONS = set()


def facts(r):
    out = [r["type"]]
    if r["type"] == "object" and not r["section"] and r["name"] in SECTIONS:
        return out + (["required"] if r["required"] else []) + ["its keys below say"]
    if r["required"]:
        out.append("required")
    elif r["default"] is not None and r["default"].startswith("/"):
        out.append("default under the install prefix")
    elif r["default"] is not None:
        out.append("default " + (r["default"] or '""'))
    if r["range"]:
        out.append(r["range"].replace("|", ", "))
    out.append("reload" if r["reloadable"] else "restart only")
    return out


def roff(s):
    s = s.replace("\\", "\\e").replace("-", "\\-")
    return "\\&" + s if s[:1] in ".'" else s


def man(rows):
    out = [".SH OPTIONS\n",
           "Every key as\n", ".B dunnd \\-\\-dump\\-options\n",
           "prints it: its type, default, range, and whether a reload\n",
           ".RB ( SIGHUP )\n",
           "takes a change or, for a restart-only key, is refused with\n",
           ".B event=reload_refused key=\n",
           "and the old configuration kept.\n"]
    section = None
    for r in rows:
        k, module = key(r)
        head = module and "channels.<name> with module " + module if r["section"].startswith(
            "channels") else (module and "payments.<name> with provider " + module) or (
            r["section"] or "top level")
        if head != section:
            out.append(".SS %s\n" % roff(head))
            section = head
        out.append(".TP\n.B %s\n%s.\n%s.\n" % (roff(k), roff(", ".join(facts(r))),
                                              roff(r["doc"])))
    return "".join(out)


def md(rows):
    out = ["| key | module or provider | type | default | range | reload | meaning |\n",
           "| --- | --- | --- | --- | --- | --- | --- |\n"]
    for r in rows:
        k, module = key(r)
        cell = lambda s: (s or "").replace("|", ", ")
        dflt = "required" if r["required"] else ("`%s`" % r["default"] if r["default"] else "")
        if (r["default"] or "").startswith("/"):
            dflt = "under the install prefix"
        out.append("| `%s` | %s | %s | %s | %s | %s | %s |\n" % (
            k, module, r["type"], cell(dflt), cell(r["range"]),
            "see its keys" if "its keys below say" in facts(r)
            else "yes" if r["reloadable"] else "restart", cell(r["doc"])))
    return "".join(out)


def splice(path, marks, body, check):
    text = open(path, encoding="utf-8").read()
    a, b = text.find(marks[0]), text.find(marks[1])
    if a < 0 or b < a:
        print("options: %s has no %s markers" % (path, marks[0].strip()))
        return False
    new = text[:a + len(marks[0])] + body + text[b:]
    if new == text:
        return True
    if check:
        print("options: %s differs from dunnd --dump-options: run make options-doc" % path)
        return False
    open(path, "w", encoding="utf-8").write(new)
    return True


def main():
    args = [a for a in sys.argv[1:] if a != "--check"]
    check = "--check" in sys.argv[1:]
    dump = subprocess.run([args[0], "--dump-options", "--json", "--module-dir", args[1]],
                          check=True, capture_output=True, text=True).stdout
    rows = json.loads(dump)
    SECTIONS.update(r["section"] for r in rows)
    ok = splice(SRC + "/man/dunnd.json.5", MAN, man(rows), check)
    ok = splice(SRC + "/README.md", MD, md(rows), check) and ok
    if ok:
        print("options: all %d keys documented" % len(rows))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
