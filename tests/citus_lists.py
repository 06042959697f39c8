"""What tests/citus.py accepts, by name, with the reason (BENCHMARKS.md,
"Citus"). Every entry is checked against the sources: one that no
longer matches a statement, or names a scan that is keyed now, fails."""

# What a statement that scans a hot table without its account_id does:
KINDS = (
    # scans every account on purpose: the queues, counts, reports, purge,
    # simulate. On Citus, a multi-shard statement.
    "all accounts",
    # finds its rows by an identifier that is not the account: the billing
    # system's reference, a phone number or address, a provider's id, the
    # dispute reference customers quote, an id an operator types. On Citus,
    # a multi-shard lookup (or a lookup table distributed by that key).
    "global key",
    # joins or finds rows by a row id where the account is at hand, or
    # reads a table that has no account_id: to be keyed.
    "gap",
)

# statement -> (what it does on hot tables without account_id: "table
# alias" for a scan, "insert table" for rows written without it; kind;
# reason)
UNKEYED = {
    "http/api_read.c:SQL_FEES": (
        "accounts accounts, fees f_1",
        "global key",
        "the account by its billing reference, its fees by id",
    ),
    "http/console_auth.c:SQL_LOGIN": (
        "insert events",
        "gap",
        "a staff event, about no account (SCHEMA: events.account_id may be NULL)",
    ),
    "http/console_auth.c:SQL_LOGOUT": (
        "insert events",
        "gap",
        "a staff event, about no account (SCHEMA: events.account_id may be NULL)",
    ),
    "http/console_auth.c:con_login_post()#1": (
        "insert events",
        "gap",
        "a staff event, about no account (SCHEMA: events.account_id may be NULL)",
    ),
    "ctl/ctl_staff.c:SQL_ADD": (
        "insert events",
        "gap",
        "a staff event, about no account (SCHEMA: events.account_id may be NULL)",
    ),
    "ctl/ctl_staff.c:SQL_DISABLE": (
        "insert events",
        "gap",
        "a staff event, about no account (SCHEMA: events.account_id may be NULL)",
    ),
    "ctl/ctl_staff.c:SQL_PASSWD": (
        "insert events",
        "gap",
        "a staff event, about no account (SCHEMA: events.account_id may be NULL)",
    ),
    "daemon/dispatch.c:SQL_LEASE": (
        "deliveries deliveries",
        "all accounts",
        "the due outbox of every account (the queue)",
    ),
    "daemon/dunnd.c:on_tick()#1": (
        "deliveries deliveries",
        "all accounts",
        "the outbox counts for systemd's status line",
    ),
    "daemon/poller.c:SQL_OPEN": (
        "invoices i",
        "all accounts",
        "newly overdue invoices of every account",
    ),
    "daemon/poller.c:SQL_CLAIM": (
        "cases cases",
        "all accounts",
        "the due cases of every account (the queue)",
    ),
    "daemon/poller.c:SQL_CONFIRM": (
        "invoices invoices",
        "all accounts",
        "payments of the last 7 days, every account",
    ),
    "engine/caseops.c:CASEOPS_SQL_RESUME": (
        "accounts accounts",
        "global key",
        "the account by its billing reference",
    ),
    "engine/caseops.c:CASEOPS_SQL_DISPUTE_OPEN": (
        "disputes d, invoices v",
        "global key",
        "the invoice by its billing reference",
    ),
    "engine/caseops.c:CASEOPS_SQL_DISPUTE_RESOLVE": (
        "disputes disputes, invoices v",
        "global key",
        "the dispute by the reference customers quote",
    ),
    "engine/caseops.c:CASEOPS_SQL_DISPUTE_SHOW": (
        "disputes d, invoices i",
        "global key",
        "the dispute by the reference customers quote",
    ),
    "engine/payops.c:PAYOPS_SQL_INVOICE": (
        "invoices i",
        "global key",
        "the invoice by its billing reference",
    ),
    "engine/payops.c:PAYOPS_SQL_SAME_REF": (
        "invoices i, payments p",
        "global key",
        "the invoice by its billing reference, the payment by the provider's id",
    ),
    "engine/report_sql.c:REPORT_SQL_FUNNEL": (
        "cases c, deliveries d, invoices i, payments p",
        "all accounts",
        "dunnctl report: the funnel of every account",
    ),
    "engine/report_sql.c:REPORT_SQL_DISPUTES": (
        "disputes disputes",
        "all accounts",
        "dunnctl report: disputes of every account",
    ),
    "engine/sim.c:SIM_SQL_BOOK": (
        "disputes d_6, events b, events e, events n, invoices invoices",
        "all accounts",
        "dunnctl simulate reads the whole book",
    ),
    "engine/sim.c:SIM_SQL_BOOK_SIZE": (
        "invoices invoices",
        "all accounts",
        "dunnctl simulate: the book's size",
    ),
    "engine/taskops.c:TASKOPS_SQL_CLAIM": (
        "cases c, phone_tasks phone_tasks, phone_tasks phone_tasks_1, phone_tasks phone_tasks_2, phone_tasks phone_tasks_3",
        "all accounts",
        "the call team's next task, from every account's queue",
    ),
    "engine/taskops.c:SQL_TASK": (
        "inbound_messages m, phone_tasks t",
        "global key",
        "a task by the id the call team gives (dunnctl task, the console); its reply by the task's message id",
    ),
    "engine/taskops.c:SQL_REVIEW_CLEAR": (
        "inbound_messages m, inbound_messages m_1, phone_tasks o",
        "global key",
        "the number's other open reviews, by its address (a hold is per address)",
    ),
    "engine/taskops.c:SQL_COMPLETE": (
        "phone_tasks phone_tasks",
        "global key",
        "a task by the id the call team gives (dunnctl task, the console)",
    ),
    "engine/taskops.c:SQL_CALLBACK": (
        "phone_tasks phone_tasks",
        "global key",
        "a task by the id the call team gives (dunnctl task, the console)",
    ),
    "http/api_read.c:SQL_ACCOUNT": (
        "accounts accounts, disputes d_6, fees f, invoices i_2",
        "global key",
        "the account by its billing reference; its disputes and fees' invoices joined by id",
    ),
    "http/console_case.c:SQL_FIND": (
        "accounts a",
        "global key",
        "the console's search by reference, name, address",
    ),
    "http/console_case.c:SQL_ACCOUNT": (
        "accounts a",
        "global key",
        "the account by its billing reference",
    ),
    "http/console_case.c:act()#1": (
        "accounts a",
        "global key",
        "the account by its billing reference",
    ),
    "http/console_dash.c:SQL_AGING": (
        "invoices i",
        "all accounts",
        "the console's aging of every account",
    ),
    "http/console_dash.c:SQL_OUTBOX": (
        "deliveries deliveries",
        "all accounts",
        "the console's outbox counts",
    ),
    "http/console_disputes.c:SQL_LIST": (
        "disputes d",
        "all accounts",
        "the console's list of open disputes",
    ),
    "http/console_disputes.c:SQL_ONE": (
        "disputes d",
        "global key",
        "the dispute by its reference",
    ),
    "http/console_disputes.c:step()#1": (
        "disputes d",
        "global key",
        "the dispute by its reference",
    ),
    "http/console_queue.c:SQL_QUEUE": (
        "cases c, phone_tasks l, phone_tasks t",
        "all accounts",
        "the call team's queue of every account",
    ),
    "http/console_queue.c:SQL_NEXT": (
        "phone_tasks phone_tasks",
        "all accounts",
        "the call team's next task of every account",
    ),
    "http/console_queue.c:SQL_TASK": (
        "phone_tasks t",
        "global key",
        "a task by the id in the console's address",
    ),
    "http/console_queue.c:local_instant()#1": (
        "phone_tasks t",
        "global key",
        "a task by the id in the console's address",
    ),
    "http/console_queue.c:outcome()#1": (
        "phone_tasks phone_tasks",
        "global key",
        "a task by the id in the console's address",
    ),
    "http/http.c:SQL_OUTBOX": (
        "deliveries deliveries",
        "all accounts",
        "the outbox gauges of /metrics",
    ),
    "http/http_hook.c:SQL_STATUS": (
        "deliveries deliveries, deliveries x",
        "global key",
        "the delivery by the provider's message id",
    ),
    "http/http_hook.c:SQL_SUPPRESS": (
        "accounts accounts, deliveries deliveries, deliveries x",
        "global key",
        "the delivery by the provider's message id, accounts by address",
    ),
    "http/http_hook.c:SQL_OPT_OUT": (
        "accounts accounts, inbound_messages m, phone_tasks t",
        "global key",
        "the accounts of the phone number that sent STOP",
    ),
    "http/http_hook.c:SQL_OPT_IN": (
        "accounts accounts",
        "global key",
        "the accounts of the phone number that sent START",
    ),
    "http/http_hook.c:SQL_HELP": (
        "accounts accounts",
        "global key",
        "the accounts of the phone number that sent HELP",
    ),
    "http/http_hook.c:SQL_REVIEW": (
        "accounts a",
        "global key",
        "the accounts of the phone number that replied",
    ),
    "http/http_hook.c:SQL_INBOUND": (
        "accounts a",
        "global key",
        "the accounts of the phone number that replied",
    ),
    "http/http_pay.c:SQL_APPLY": (
        "invoices i, invoices x, invoices x_1, payment_events e, payments p, payments p_1, payments p_2",
        "global key",
        "the invoice by its billing reference, the payment and the event by the provider's ids",
    ),
    "http/page.c:SQL_PREFS": (
        "inbound_messages m, phone_tasks t",
        "gap",
        "the task is not filtered by its account_id (the column exists since 0031); replies of the account's number by address",
    ),
    "channels/phone_task.c:SQL_TASK": (
        "deliveries deliveries, phone_tasks phone_tasks",
        "gap",
        "the delivery by its id; the task not filtered by its account_id (the column exists since 0031)",
    ),
    "ctl/ctl_case.c:SQL_STATUS": (
        "cases cases, deliveries d, deliveries deliveries, disputes disputes, phone_tasks phone_tasks",
        "all accounts",
        "dunnctl status: counts over every account",
    ),
    "ctl/ctl_fee.c:SQL_WAIVE": (
        "fees fees",
        "global key",
        "the fee by the id the operator gives",
    ),
    "ctl/ctl_payments.c:SQL_LIST": (
        "invoices i, payment_events e",
        "global key",
        "dunnctl payments: an invoice by its billing reference",
    ),
    "ctl/ctl_plan.c:SQL_CREATE": (
        "accounts accounts, cases c_2, payment_plans x",
        "global key",
        "the account by its billing reference; the case and plan by id",
    ),
    "ctl/ctl_plan.c:SQL_PAY": (
        "payment_plans payment_plans",
        "global key",
        "the plan by the id the operator gives",
    ),
    "ctl/ctl_purge.c:SQL_ACCOUNTS": (
        "cases c",
        "all accounts",
        "dunnctl purge: cases resolved long ago, every account",
    ),
    "ctl/ctl_purge.c:SQL_ADDRESSES": (
        "cases c, deliveries d",
        "all accounts",
        "dunnctl purge",
    ),
    "ctl/ctl_purge.c:SQL_INBOUND": (
        "cases c, inbound_messages m",
        "all accounts",
        "dunnctl purge",
    ),
    "ctl/ctl_purge.c:SQL_NOTES": (
        "cases c, phone_tasks t",
        "all accounts",
        "dunnctl purge",
    ),
    "ctl/ctl_purge.c:SQL_EVENTS": (
        "cases c",
        "all accounts",
        "dunnctl purge",
    ),
    "ctl/ctl_purge.c:SQL_DELIVERIES": (
        "cases c, cases c_1, cases c_2, deliveries d, phone_tasks phone_tasks",
        "all accounts",
        "dunnctl purge",
    ),
    "ctl/ctl_quiet.c:SQL_SHOW": (
        "accounts a",
        "global key",
        "the account by its billing reference",
    ),
    "ctl/ctl_report_fee.c:SQL_FEES": (
        "fees f",
        "all accounts",
        "dunnctl report: fees of every account",
    ),
    "ctl/ctl_report_page.c:SQL_PAGE": (
        "report_page_daily report_page_daily",
        "all accounts",
        "dunnctl report: page visits of every account",
    ),
    "engine/report_sql.c:REPORT_SQL_VARIANTS": (
        "cases c, cases c_1, deliveries d, disputes ds, events ev",
        "all accounts",
        "dunnctl report --by variant and the console's dashboard: every account's variants",
    ),
    "ctl/ctl_purge.c:SQL_FEE_REASONS": (
        "cases c, fees f",
        "all accounts",
        "dunnctl purge: the waive reasons of every account's cases resolved before the cutoff",
    ),
    "ctl/ctl_risk.c:SQL_RISK": (
        "accounts a",
        "all accounts",
        "dunnctl risk: every account",
    ),
    "ctl/ctl_risk.c:SQL_ROW": (
        "accounts a",
        "global key",
        "the account by its billing reference",
    ),
    "ctl/ctl_tasks.c:SQL_LIST": (
        "cases c, deliveries d, phone_tasks t",
        "all accounts",
        "dunnctl tasks list: every account's tasks",
    ),
    "lib/lease.c:file()#1": (
        "deliveries d",
        "all accounts",
        "leases of every account left by a process that is gone",
    ),
}

# The number of "gap" entries above (sql) and in SCHEMA below (schema):
# what is left to key. citus.py fails when the count differs, so that
# a new gap cannot be listed without raising the number, and a gap
# closed lowers it. The goal is 0 in both.
GAPS = {"sql": 8, "schema": 35}

# Statements that cannot be prepared as they stand: what they do is
# checked where they are assembled.
DYNAMIC = {
    "engine/book.c:BOOK_SQL_UPSERT_ACCOUNTS": "reads the import's temporary stage table (created by the same transaction)",
    "engine/book.c:BOOK_SQL_UPSERT_INVOICES": "reads the import's temporary stage table (created by the same transaction)",
    "engine/book.c:BOOK_SQL_ORPHANS": "reads the import's temporary stage table (created by the same transaction)",
    "ctl/ctl_purge_part.c:SQL_PART_BUSY": "dunnctl purge's partition fold: @P names the partition at run time",
    "ctl/ctl_purge_part.c:SQL_PART_FOLD": "dunnctl purge's partition fold: @P names the partition at run time",
    "ctl/ctl_purge_part.c:SQL_EVENTS_BUSY": "dunnctl purge's partition fold: @P names the partition at run time",
    "ctl/ctl_purge_part.c:SQL_EVENTS_FOLD": "dunnctl purge's partition fold: @P names the partition at run time",
    "ctl/ctl_purge_part.c:watch()#1": "dunnctl purge's partition scripts: BEGIN; SET LOCAL; the partition named at run time",
    "ctl/ctl_purge_part.c:watch()#2": "dunnctl purge's partition scripts: BEGIN; SET LOCAL; the partition named at run time",
    "ctl/ctl_purge_part.c:drop_one()#2": "dunnctl purge's partition scripts: BEGIN; SET LOCAL; the partition named at run time",
}

# What keeps the schema from distributing by account_id (tests/citus.py
# schema): name -> (kind, reason). Kinds as above: "global key", a key
# the application needs across accounts; "gap", to be given account_id.
SCHEMA = {
    "null events.account_id": (
        "gap",
        "events about no account (a reply from an unknown number, a staff action): none to file them under",
    ),
    "null inbound_messages.account_id": (
        "gap",
        "a reply from a number no account has",
    ),
    "null payment_events.account_id": (
        "gap",
        "a provider event for an invoice nobody knows",
    ),
    "key accounts.accounts_external_ref_key": (
        "global key",
        "the billing system's account reference, the import's and the API's upsert key",
    ),
    "key cases.cases_pkey": (
        "gap",
        "a surrogate id from a sequence: unique on every node by construction; Citus wants (account_id, id)",
    ),
    "key deliveries.deliveries_dispute_key": (
        "gap",
        "an idempotency key by case, delivery or plan: Citus wants account_id in it",
    ),
    "key deliveries.deliveries_pkey": (
        "gap",
        "a surrogate id from a sequence: unique on every node by construction; Citus wants (account_id, id)",
    ),
    "key deliveries.deliveries_reminder_key": (
        "gap",
        "an idempotency key by case, delivery or plan: Citus wants account_id in it",
    ),
    "key disputes.disputes_pkey": (
        "gap",
        "a surrogate id from a sequence: unique on every node by construction; Citus wants (account_id, id)",
    ),
    "key disputes.disputes_reference_key": (
        "global key",
        "the dispute reference customers quote",
    ),
    "key events.events_pkey": (
        "gap",
        "a surrogate id from a sequence: unique on every node by construction; Citus wants (account_id, id)",
    ),
    "key fees.fees_line_key": (
        "gap",
        "an idempotency key by case, delivery or plan: Citus wants account_id in it",
    ),
    "key fees.fees_pkey": (
        "gap",
        "a surrogate id from a sequence: unique on every node by construction; Citus wants (account_id, id)",
    ),
    "key inbound_messages.inbound_messages_pkey": (
        "gap",
        "a surrogate id from a sequence: unique on every node by construction; Citus wants (account_id, id)",
    ),
    "key inbound_messages.inbound_messages_provider": (
        "global key",
        "one row per provider message",
    ),
    "key invoices.invoices_external_ref_key": (
        "global key",
        "the billing system's invoice reference, the import's and the API's upsert key",
    ),
    "key invoices.invoices_pkey": (
        "gap",
        "a surrogate id from a sequence: unique on every node by construction; Citus wants (account_id, id)",
    ),
    "key payment_events.payment_events_pkey": (
        "gap",
        "a surrogate id from a sequence: unique on every node by construction; Citus wants (account_id, id)",
    ),
    "key payment_events.payment_events_source_event_id_key": (
        "global key",
        "one row per provider event",
    ),
    "key payment_plans.payment_plans_one_active": (
        "gap",
        "an idempotency key by case, delivery or plan: Citus wants account_id in it",
    ),
    "key payment_plans.payment_plans_pkey": (
        "gap",
        "a surrogate id from a sequence: unique on every node by construction; Citus wants (account_id, id)",
    ),
    "key payments.payments_pkey": (
        "gap",
        "a surrogate id from a sequence: unique on every node by construction; Citus wants (account_id, id)",
    ),
    "key payments.payments_source_source_id_key": (
        "global key",
        "one ledger entry per provider payment, whichever account it names",
    ),
    "key phone_tasks.phone_tasks_delivery": (
        "gap",
        "an idempotency key by case, delivery or plan: Citus wants account_id in it",
    ),
    "key phone_tasks.phone_tasks_pkey": (
        "gap",
        "a surrogate id from a sequence: unique on every node by construction; Citus wants (account_id, id)",
    ),
    "key plan_instalments.plan_instalments_pkey": (
        "gap",
        "a surrogate id from a sequence: unique on every node by construction; Citus wants (account_id, id)",
    ),
    "foreign key deliveries.deliveries_case_id_fkey": (
        "gap",
        "by id alone: Citus wants (account_id, id) on both sides",
    ),
    "foreign key deliveries.deliveries_dispute_id_fkey": (
        "gap",
        "by id alone: Citus wants (account_id, id) on both sides",
    ),
    "foreign key deliveries.deliveries_invoice_id_fkey": (
        "gap",
        "by id alone: Citus wants (account_id, id) on both sides",
    ),
    "foreign key disputes.disputes_invoice_id_fkey": (
        "gap",
        "by id alone: Citus wants (account_id, id) on both sides",
    ),
    "foreign key fees.fees_case_id_fkey": (
        "gap",
        "by id alone: Citus wants (account_id, id) on both sides",
    ),
    "foreign key fees.fees_invoice_id_fkey": (
        "gap",
        "by id alone: Citus wants (account_id, id) on both sides",
    ),
    "foreign key inbound_messages.inbound_messages_case_id_fkey": (
        "gap",
        "by id alone: Citus wants (account_id, id) on both sides",
    ),
    "foreign key payment_events.payment_events_invoice_id_fkey": (
        "gap",
        "by id alone: Citus wants (account_id, id) on both sides",
    ),
    "foreign key payment_events.payment_events_ledger_id_fkey": (
        "gap",
        "by id alone: Citus wants (account_id, id) on both sides",
    ),
    "foreign key payment_plans.payment_plans_case_id_fkey": (
        "gap",
        "by id alone: Citus wants (account_id, id) on both sides",
    ),
    "foreign key payments.payments_invoice_id_fkey": (
        "gap",
        "by id alone: Citus wants (account_id, id) on both sides",
    ),
    "foreign key phone_tasks.phone_tasks_case_id_fkey": (
        "gap",
        "by id alone: Citus wants (account_id, id) on both sides",
    ),
    "foreign key phone_tasks.phone_tasks_delivery_fkey": (
        "gap",
        "by id alone: Citus wants (account_id, id) on both sides",
    ),
    "foreign key phone_tasks.phone_tasks_inbound_message_id_fkey": (
        "gap",
        "by id alone: Citus wants (account_id, id) on both sides",
    ),
    "foreign key plan_instalments.plan_instalments_plan_id_fkey": (
        "gap",
        "by id alone: Citus wants (account_id, id) on both sides",
    ),
}
