-- Orders (督办单, issue 14): staff turn an incident into an order to its enterprise with a
-- deadline; the enterprise replies with an explanation and evidence; staff accept, return (with
-- a reason and a new deadline) or escalate it (转立案). Every step is an event, never overwritten.
-- The addressee and its county are fixed when the order is issued.
CREATE TABLE orders (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id INTEGER NOT NULL REFERENCES incidents(id),
    credit_code TEXT NOT NULL,
    division_code TEXT,
    title TEXT NOT NULL,
    requirement TEXT NOT NULL,
    deadline TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'issued' CHECK (state IN ('issued', 'replied', 'returned', 'accepted', 'escalated')),
    created_by INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX orders_addressee ON orders (credit_code, state);
CREATE INDEX orders_county ON orders (division_code, state, deadline);
CREATE TABLE order_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id INTEGER NOT NULL REFERENCES orders(id),
    kind TEXT NOT NULL CHECK (kind IN ('issue', 'reply', 'return', 'accept', 'escalate')),
    note TEXT,
    new_deadline TEXT,
    by_user INTEGER REFERENCES users(id),
    at TEXT NOT NULL
);
CREATE INDEX order_events_order ON order_events (order_id, id);
-- Evidence files of a reply, kept like the data marks' evidence (content last).
CREATE TABLE order_evidence (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id INTEGER NOT NULL REFERENCES orders(id),
    event_id INTEGER NOT NULL REFERENCES order_events(id),
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes INTEGER NOT NULL CHECK (size_bytes >= 0),
    sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
    uploaded_by INTEGER REFERENCES users(id),
    uploaded_at TEXT NOT NULL,
    content BLOB NOT NULL
);
CREATE INDEX order_evidence_order ON order_evidence (order_id);
