#!/usr/bin/python3
"""The Citus property of dunnd's schema and SQL (check_citus runs this).

    citus.py statements SRCDIR            every SQL statement in the sources, as JSON
    citus.py schema CONNINFO              the hot tables' keys and foreign keys
    citus.py sql CONNINFO SRCDIR          every statement's plan on hot tables

A table is hot (one row or more per account, written or read per
account: distributed by account_id under Citus), reference (small, the
same on every node) or local (the coordinator's own: staff, keys,
migrations). TABLES below names each; a table the migrations create
and TABLES does not name fails the check, so a new table is classified
when it is added.

schema: every hot table has account_id NOT NULL (accounts: its id), and
every primary key, unique constraint and unique index of a hot table
includes it, and every foreign key from one hot table to another
includes it on both sides (co-located tables), except the keys in
GLOBAL_KEYS, each with the reason it stays and what Citus needs instead.

sql: every string literal of daemon/, engine/, http/, channels/, ctl/
and lib/ that is an SQL statement on the dunning schema (the sources
are tokenised, adjacent literals joined, so a new statement is found
without being registered) is PREPAREd against the migrated schema and
its generic plan read (EXPLAIN VERBOSE of force_generic_plan: the
conditions as the planner keeps them). Each scan of a hot table must
be keyed: its own condition, or that of a join above it, names its
account_id (for accounts, its id), so the statement goes to one shard
or joins co-located shards. Statements that scan all accounts on
purpose (the claim, the lease, reports, purge) are FAN_OUT; a statement
that cannot be prepared as it stands (built at run time) is DYNAMIC.
Both lists name statements by file and name (SQL_X, or the function
and its ordinal), and an entry that no longer matches a statement
fails the check too, so the lists stay true.
"""

import concurrent.futures
import json
import os
import re
import subprocess
import sys

HOT = "hot"
REF = "reference"
LOCAL = "local"

# Every table of the dunning schema (partitions count as their parent).
TABLES = {
    "accounts": HOT,
    "account_risk": HOT,
    "cases": HOT,
    "deliveries": HOT,
    "disputes": HOT,
    "events": HOT,
    "fees": HOT,
    "inbound_messages": HOT,
    "invoices": HOT,
    "payment_events": HOT,
    "payment_plans": HOT,
    "payments": HOT,
    "phone_tasks": HOT,
    "plan_instalments": HOT,
    "quiet_times": HOT,
    "report_page_daily": HOT,
    # Opt-outs are per address (one phone may serve two accounts), read
    # by every send and written by a STOP or a bounce: a reference table.
    "suppressions": REF,
    # Daily totals, a few rows a day per step and channel.
    "report_daily": REF,
    "report_daily_paid": REF,
    # The coordinator's own.
    "api_requests": LOCAL,
    "purge_watch": LOCAL,
    "schema_migrations": LOCAL,
    "staff": LOCAL,
    "staff_sessions": LOCAL,
    "webhook_seen": LOCAL,
}

from citus_lists import DYNAMIC, GAPS, KINDS, SCHEMA, UNKEYED  # noqa: E402


def hot_key(table):
    return "id" if table == "accounts" else "account_id"


# ---------------------------------------------------------------- sources


def c_literals(text, only):
    """Yield (line, name, joined literal) for every run of adjacent string
    literals in preprocessed C text (cc -E: macros expanded, line
    markers kept) that comes from the file named only. name is SQL_X
    for "SQL_X[] = ...", else the enclosing function."""
    i, n, line, depth, fname = 0, len(text), 1, 0, only
    toks = []  # the last few tokens, for SQL_X [ ] =
    func, pending_func = None, None
    parts, start_line, start_name = [], None, None
    out = []

    def flush():
        nonlocal parts
        if parts and fname == only:
            out.append((start_line, start_name, "".join(parts)))
        parts = []

    while i < n:
        ch = text[i]
        if ch == "\n":
            line += 1
            i += 1
            continue
        if ch in " \t\r\f\v":
            i += 1
            continue
        if ch == "#" and (i == 0 or text[i - 1] == "\n"):
            j = text.find("\n", i)
            j = n if j < 0 else j
            m = re.match(r'#\s*(\d+)\s+"([^"]*)"', text[i:j])
            if m:
                line, fname = int(m.group(1)) - 1, m.group(2)
            i = j
            continue
        if ch == '"':
            j, buf = i + 1, []
            while j < n and text[j] != '"':
                if text[j] == "\\":
                    e = text[j + 1]
                    if e == "n":
                        buf.append("\n")
                    elif e == "t":
                        buf.append("\t")
                    elif e in "01234567":
                        k = j + 1
                        while k < j + 4 and text[k] in "01234567":
                            k += 1
                        buf.append(chr(int(text[j + 1:k], 8)))
                        j = k
                        continue
                    else:
                        buf.append(e)
                    j += 2
                    continue
                buf.append(text[j])
                j += 1
            if not parts:
                start_line = line
                t = toks[-4:]
                if len(t) == 4 and t[1:] == ["[", "]", "="] and re.match(r"\w*SQL\w*$", t[0]):
                    start_name = t[0]
                elif len(t) >= 2 and t[-1] == "=" and re.match(r"\w*SQL\w*$", t[-2]):
                    start_name = t[-2]
                else:
                    start_name = "%s()" % (func or "file")
            parts.append("".join(buf))
            i = j + 1
            continue
        flush()
        if ch == "'":
            j = i + 1
            while j < n and text[j] != "'":
                j += 2 if text[j] == "\\" else 1
            toks.append("'c'")
            i = j + 1
            continue
        m = re.match(r"[A-Za-z_]\w*", text[i:i + 200])
        if m:
            toks.append(m.group(0))
            i += len(m.group(0))
            continue
        if ch == "(" and depth == 0 and toks and re.match(r"[A-Za-z_]\w*$", toks[-1]):
            pending_func = toks[-1]
        elif ch == "{":
            if depth == 0:
                func = pending_func
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                func = None
        elif ch == ";" and depth == 0:
            pending_func = None
        toks.append(ch)
        del toks[:-8]
        i += 1
    flush()
    return out


# A statement, or a script of them that reaches one (BEGIN; SET LOCAL
# ...; SAVEPOINT ...; LOCK ...; SELECT): such a script cannot be prepared, so it has
# to be in DYNAMIC.
SQL_START = re.compile(r"^\s*(?:(?:BEGIN|SAVEPOINT\s[^;]*|SET\s[^;]*|LOCK\s[^;]*|DROP\s[^;]*);\s*)*"
                       r"(SELECT|INSERT|UPDATE|DELETE|WITH|MERGE)\b", re.I | re.S)
DIRS = ["daemon", "engine", "http", "channels", "ctl", "lib"]


PKGS = "libcurl libesmtp-1.0 libevent libpq jansson icu-uc libcrypto"


def preprocess(srcdir, rel):
    """The file as the compiler sees it: macros expanded, so that SQL
    assembled from macros is whole."""
    flags = subprocess.run(["pkg-config", "--cflags"] + PKGS.split(), capture_output=True,
                           text=True, check=True).stdout.split()
    inc = ["-I" + os.path.join(srcdir, d) for d in
           ("lib", "engine", "daemon", "http", "ctl", "channels", "tests")]
    r = subprocess.run(["cc", "-E", "-std=c11", "-D_GNU_SOURCE", '-DDUNN_VERSION="0"',
                        '-DDUNN_DATADIR="/"', '-DDUNN_MODULEDIR="/"'] + inc + flags + [rel],
                       cwd=srcdir, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("citus.py: cc -E %s: %s" % (rel, r.stderr.strip()))
    return r.stdout


def statements(srcdir, only=None):
    """Every SQL statement on the dunning schema in the sources (or in
    the files only): a list of {"id", "file", "line", "sql"}."""
    found, rels = [], list(only or [])
    for d in DIRS if not only else []:
        for root, _, files in sorted(os.walk(os.path.join(srcdir, d))):
            rels += [os.path.relpath(os.path.join(root, f), srcdir) for f in sorted(files)
                     if f.endswith(".c")]
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        texts = list(pool.map(lambda rel: preprocess(srcdir, rel), rels))
    for rel, text in zip(rels, texts):
        if True:
            if True:
                ordinal = {}
                for line, name, lit in c_literals(text, rel):
                    if "dunning." not in lit or not SQL_START.match(lit):
                        continue
                    # SQL_X[] = "...": its name; else the function and
                    # the statement's ordinal in it.
                    if not name.endswith(")"):
                        pass
                    else:
                        k = ordinal.get(name, 0) + 1
                        ordinal[name] = k
                        name = "%s#%d" % (name, k)
                    shown = os.path.basename(rel) if os.path.isabs(rel) else rel
                    found.append({"id": "%s:%s" % (shown, name), "file": shown, "line": line,
                                  "sql": lit})
    return found


# ---------------------------------------------------------------- database


def psql(conninfo, script):
    r = subprocess.run(["psql", "-X", "-qAt", "-v", "ON_ERROR_STOP=1", conninfo],
                       input=script, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("citus.py: psql: %s" % r.stderr.strip())
    return r.stdout


def rows(conninfo, sql):
    out = psql(conninfo, "SELECT coalesce(json_agg(citus_r), '[]') FROM (%s) citus_r;\n" % sql)
    return json.loads(out)


def parent_of(conninfo):
    """partition -> parent table, for the dunning schema."""
    return {r["child"]: r["parent"] for r in rows(conninfo, """
        SELECT c.relname AS child, p.relname AS parent
        FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        JOIN pg_class p ON p.oid = i.inhparent
        JOIN pg_namespace n ON n.oid = p.relnamespace WHERE n.nspname = 'dunning'""")}


def schema_findings(conninfo):
    """What keeps the schema from distributing by account_id: a list of
    (name, what), name as in citus_lists.SCHEMA, and the tables found
    and not classified (or classified and not found)."""
    found, unclassified = [], []
    tables = rows(conninfo, """
        SELECT c.relname AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'dunning' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
        ORDER BY 1""")
    names = [t["t"] for t in tables]
    for t in names:
        if t not in TABLES:
            unclassified.append("table %s: not classified in tests/citus.py TABLES "
                                "(hot, reference or local)" % t)
    for t in TABLES:
        if t not in names:
            unclassified.append("table %s: in tests/citus.py TABLES but not in the schema" % t)
    hot = [t for t in names if TABLES.get(t) == HOT]
    cols = rows(conninfo, """
        SELECT c.relname AS t, a.attname AS col, a.attnotnull AS notnull
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'dunning' AND a.attnum > 0 AND NOT a.attisdropped
          AND a.attname IN ('id', 'account_id')""")
    have = {(r["t"], r["col"]): r["notnull"] for r in cols}
    for t in hot:
        k = hot_key(t)
        if (t, k) not in have:
            found.append(("column %s.%s" % (t, k), "hot table without %s" % k))
        elif not have[(t, k)]:
            found.append(("null %s.%s" % (t, k), "%s may be NULL" % k))
    # Unique indexes (primary keys and unique constraints are such too).
    keys = rows(conninfo, """
        SELECT c.relname AS t, ic.relname AS name,
               array(SELECT a.attname FROM unnest(i.indkey) k
                     JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k) AS cols
        FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
        JOIN pg_class ic ON ic.oid = i.indexrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'dunning' AND i.indisunique AND NOT c.relispartition
        ORDER BY 1, 2""")
    for r in keys:
        if TABLES.get(r["t"]) == HOT and hot_key(r["t"]) not in r["cols"]:
            found.append(("key %s.%s" % (r["t"], r["name"]),
                          "unique (%s) without %s" % (", ".join(r["cols"]), hot_key(r["t"]))))
    # Foreign keys between hot tables (those a partitioned table gives its
    # partitions, or takes for each partition it references, once).
    fks = rows(conninfo, """
        SELECT c.relname AS t, f.relname AS ref, con.conname AS name,
               array(SELECT a.attname FROM unnest(con.conkey) k
                     JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k) AS cols,
               array(SELECT a.attname FROM unnest(con.confkey) k
                     JOIN pg_attribute a ON a.attrelid = f.oid AND a.attnum = k) AS refcols
        FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
        JOIN pg_class f ON f.oid = con.confrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'dunning' AND con.contype = 'f' AND NOT c.relispartition
          AND con.conparentid = 0 AND NOT f.relispartition
        ORDER BY 1, 3""")
    n_fk = 0
    for r in fks:
        if TABLES.get(r["t"]) != HOT or TABLES.get(r["ref"]) != HOT:
            continue
        n_fk += 1
        if ("account_id", hot_key(r["ref"])) not in list(zip(r["cols"], r["refcols"])):
            found.append(("foreign key %s.%s" % (r["t"], r["name"]),
                          "(%s) -> %s (%s) not through account_id"
                          % (", ".join(r["cols"]), r["ref"], ", ".join(r["refcols"]))))
    return found, unclassified, len(hot), len(keys), n_fk


def check_schema(conninfo):
    found, bad, hot, keys, fks = schema_findings(conninfo)
    names = set()
    kinds = dict.fromkeys(KINDS, 0)
    for name, what in found:
        names.add(name)
        if name in SCHEMA:
            kinds[SCHEMA[name][0]] += 1
        else:
            bad.append("%s: %s" % (name, what))
    for name, v in SCHEMA.items():
        if name not in names:
            bad.append("%s: listed in tests/citus_lists.py SCHEMA but holds now (remove it)"
                       % name)
        if v[0] not in KINDS:
            bad.append("%s: kind %r is none of %s" % (name, v[0], ", ".join(KINDS)))
    bad += gap_count("schema", sum(1 for v in SCHEMA.values() if v[0] == "gap"))
    return bad, hot, keys, fks, kinds


def gap_count(what, n):
    """The gaps listed against citus_lists.GAPS: more fails (a new gap),
    fewer fails too (lower the number, it is what is left)."""
    if n > GAPS[what]:
        return ["%s: %d gaps listed, more than GAPS[%r] = %d: key the new statement or key by "
                "account_id instead of listing it" % (what, n, what, GAPS[what])]
    if n < GAPS[what]:
        return ["%s: %d gaps listed, fewer than GAPS[%r] = %d: lower it in "
                "tests/citus_lists.py" % (what, n, what, GAPS[what])]
    return []


# What the planner names in conditions.
COND_KEYS = ("Index Cond", "Recheck Cond", "Filter", "Hash Cond", "Merge Cond", "Join Filter",
             "TID Cond", "One-Time Filter")


def scans(node, above, found):
    """Every scan of a relation in a plan: (relation, alias, conditions of
    the node and of the joins above it)."""
    conds = [node[k] for k in COND_KEYS if k in node]
    if "Relation Name" in node and node.get("Node Type") != "ModifyTable":
        found.append((node["Relation Name"], node.get("Alias", node["Relation Name"]),
                      conds + above))
    join = node.get("Node Type", "").endswith(("Join", "Loop")) or \
        node.get("Node Type") in ("Hash", "Materialize", "Memoize", "Sort", "Append",
                                  "Merge Append", "Result", "Subquery Scan", "Unique",
                                  "Aggregate", "Limit", "LockRows", "Gather", "Gather Merge",
                                  "Incremental Sort", "WindowAgg", "SetOp", "HashAggregate",
                                  "Group")
    # Conditions of joins apply to the relations under them; a
    # parameterised inner scan names the outer side itself.
    passed = above + (conds if join else [])
    if node.get("Node Type") == "Memoize" and "Cache Key" in node:
        passed = passed + [node["Cache Key"]]
    for child in node.get("Plans", []):
        scans(child, passed, found)
    return found


PLAN_FN = r"""
CREATE FUNCTION pg_temp.citus_plan(sql text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE
  n int;
  p text;
BEGIN
  EXECUTE 'PREPARE citus_s AS ' || sql;
  SELECT coalesce(array_length(parameter_types, 1), 0) INTO n
  FROM pg_prepared_statements WHERE name = 'citus_s';
  EXECUTE 'EXPLAIN (VERBOSE, FORMAT JSON) EXECUTE citus_s'
          || CASE WHEN n > 0 THEN '(' || array_to_string(array_fill('NULL'::text, ARRAY[n]), ',')
                                  || ')' ELSE '' END INTO p;
  DEALLOCATE citus_s;
  RETURN p;
EXCEPTION WHEN others THEN
  BEGIN DEALLOCATE citus_s; EXCEPTION WHEN others THEN NULL; END;
  RETURN json_build_object('error', SQLERRM)::text;
END $f$;
SET plan_cache_mode = force_generic_plan;
"""


def plans(conninfo, stmts):
    script = [PLAN_FN, "BEGIN;"]
    for k, s in enumerate(stmts):
        tag = "q%d" % k
        while "$" + tag + "$" in s["sql"]:
            tag += "x"
        # Every statement in its own savepoint: nothing it does stays.
        script.append("SAVEPOINT s; SELECT json_build_object('k', %d, 'plan', "
                      "pg_temp.citus_plan($%s$%s$%s$)); ROLLBACK TO SAVEPOINT s;"
                      % (k, tag, s["sql"].rstrip().rstrip(";"), tag))
    script.append("ROLLBACK;")
    out = psql(conninfo, "\n".join(script) + "\n")
    got = {}
    for ln in out.splitlines():
        if ln.startswith("{"):
            r = json.loads(ln)
            got[r["k"]] = json.loads(r["plan"]) if r["plan"] else {"error": "no plan"}
    return got




def listed(i):
    """The scans statement i is allowed to make without account_id."""
    return {x.strip() for x in UNKEYED[i][0].split(",")} if i in UNKEYED else set()


INSERT_RE = re.compile(r"INSERT\s+INTO\s+dunning\.(\w+)(?:\s+AS\s+\w+)?\s*\(([^)]*)\)", re.I)


def check_sql(conninfo, srcdir, only=None, verbose=False):
    stmts = statements(srcdir, only)
    parents = parent_of(conninfo)
    got = plans(conninfo, stmts)
    bad, n_keyed, n_dyn, n_cold = [], 0, 0, 0
    kinds = dict.fromkeys(KINDS, 0)
    ids = set()
    for k, s in enumerate(stmts):
        ids.add(s["id"])
        plan = got.get(k, {"error": "no answer"})
        where = "%s (%s:%d)" % (s["id"], s["file"], s["line"])
        if isinstance(plan, dict) and "error" in plan:
            if s["id"] in DYNAMIC:
                n_dyn += 1
                continue
            bad.append("%s: cannot be prepared: %s" % (where, plan["error"]))
            continue
        if s["id"] in DYNAMIC:
            bad.append("%s: in DYNAMIC but prepares as it stands (remove it)" % where)
        unkeyed, hot = set(), 0
        for rel, alias, conds in scans(plan[0]["Plan"], [], []):
            t = parents.get(rel, rel)
            if TABLES.get(t) != HOT:
                continue
            hot += 1
            # A partition's scan is aliased d_1, d_2: the joins above the
            # Append name the parent's alias, d (or d_6 for a second d).
            if rel in parents:
                pat = re.compile(r"\b%s(?:_\d+)?\.%s\b" % (re.escape(re.sub(r"_\d+$", "", alias)),
                                                           hot_key(t)))
            else:
                pat = re.compile(r"\b%s\.%s\b" % (re.escape(alias), hot_key(t)))
            if not any(pat.search(c) for c in conds):
                unkeyed.add("%s %s" % (t, re.sub(r"_\d+$", "", alias) if rel in parents
                                       else alias))
        # A row inserted into a hot table goes to the shard of the
        # account_id it is given (accounts: the id its sequence gives).
        for m in INSERT_RE.finditer(s["sql"]):
            t = m.group(1)
            if TABLES.get(t) == HOT and t != "accounts":
                hot += 1
                if "account_id" not in re.split(r"[\s,]+", m.group(2)):
                    unkeyed.add("insert %s" % t)
        allowed = listed(s["id"])
        if unkeyed - allowed:
            bad.append("%s: without account_id: %s" % (where, ", ".join(sorted(unkeyed - allowed))))
        if allowed - unkeyed:
            bad.append("%s: listed as without account_id: %s, but it is keyed now "
                       "(update tests/citus_lists.py)" % (where, ", ".join(sorted(allowed -
                                                                                  unkeyed))))
        if not hot:
            n_cold += 1
        elif not unkeyed:
            n_keyed += 1
        elif s["id"] in UNKEYED:
            kinds[UNKEYED[s["id"]][1]] += 1
        if verbose:
            print("%-60s %s" % (s["id"], "no hot scan" if not hot else "keyed" if not unkeyed
                                else "unkeyed: " + ", ".join(sorted(unkeyed))))
    for lst, name in ((UNKEYED, "UNKEYED"), (DYNAMIC, "DYNAMIC")) if not only else ():
        for i in lst:
            if i not in ids:
                bad.append("%s: in %s but no such statement in the sources" % (i, name))
    for i, v in UNKEYED.items():
        if v[1] not in KINDS:
            bad.append("%s: kind %r is none of %s" % (i, v[1], ", ".join(KINDS)))
    if not only:
        bad += gap_count("sql", sum(1 for v in UNKEYED.values() if v[1] == "gap"))
    return bad, len(stmts), n_keyed, n_cold, kinds, n_dyn


def main():
    mode = sys.argv[1]
    if mode == "statements":
        json.dump(statements(sys.argv[2]), sys.stdout, indent=1)
        return 0
    if mode == "schema":
        bad, hot, keys, fks, kinds = check_schema(sys.argv[2])
        for b in bad:
            print(b)
        print("schema: %d hot tables, %d unique keys, %d foreign keys between hot tables; "
              "listed: %s; %d problems" % (hot, keys, fks, ", ".join("%d %s" % (v, k) for k, v
                                                                   in kinds.items()), len(bad)))
        return 1 if bad else 0
    if mode == "sql":
        only = [os.path.abspath(f) for f in sys.argv[4:]]
        bad, n, keyed, cold, kinds, dyn = check_sql(sys.argv[2], sys.argv[3], only,
                                            verbose=os.environ.get("CITUS_VERBOSE") == "1")
        for b in bad:
            print(b)
        print("sql: %d statements: %d keyed by account_id, %d scan no hot table, %s, "
              "%d built at run time; %d problems"
              % (n, keyed, cold, ", ".join("%d %s" % (v, k) for k, v in kinds.items()), dyn,
                 len(bad)))
        return 1 if bad else 0
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main())
