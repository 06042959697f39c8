-- Payment plans: a hardship arrangement splits what is owed into
-- instalments. Reminders pause until the next instalment's due day; a
-- missed instalment lets the pause lapse and dunning resumes by itself.
CREATE TABLE dunning.payment_plans (
    id          bigserial PRIMARY KEY,
    account_id  bigint NOT NULL REFERENCES dunning.accounts(id),
    case_id     bigint NOT NULL REFERENCES dunning.cases(id),
    status      text NOT NULL DEFAULT 'active'
                CHECK (status IN ('active', 'completed', 'broken')),
    created_at  timestamptz NOT NULL,
    closed_at   timestamptz
);
CREATE UNIQUE INDEX payment_plans_one_active ON dunning.payment_plans (case_id)
    WHERE status = 'active';

CREATE TABLE dunning.plan_instalments (
    plan_id   bigint NOT NULL REFERENCES dunning.payment_plans(id),
    seq       integer NOT NULL,
    due_date  date NOT NULL,
    amount    bigint NOT NULL CHECK (amount > 0),
    currency  char(3) NOT NULL,
    paid_at   timestamptz,
    PRIMARY KEY (plan_id, seq)
);
