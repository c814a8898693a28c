-- Public participation (公众参与, issue 19; 《环境保护公众参与办法》 环境保护部令第35号): drafts put
-- out for comment (征求意见) with their period, documents and every revision; the public's
-- comments (name and contact optional and for staff only), their moderation and how each was
-- handled (采纳/部分采纳/不采纳), the published summary; the server-side challenges and the
-- per-address submission log that keep abuse out; the satisfaction questionnaire's answers.
CREATE TABLE consultations (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    revision BIGINT NOT NULL CHECK (revision >= 1),
    kind TEXT NOT NULL CHECK (kind IN ('plan_revision', 'policy', 'project')),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    contact TEXT NOT NULL,
    opens_on TEXT NOT NULL,
    closes_on TEXT NOT NULL,
    summary TEXT,
    summary_published_at TEXT,
    summary_by BIGINT REFERENCES users(id),
    created_by BIGINT REFERENCES users(id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX consultations_opens ON consultations (opens_on, id);
CREATE TABLE consultation_revisions (
    consultation_id BIGINT NOT NULL REFERENCES consultations(id),
    revision BIGINT NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    contact TEXT NOT NULL,
    opens_on TEXT NOT NULL,
    closes_on TEXT NOT NULL,
    reason TEXT,
    by_user BIGINT REFERENCES users(id),
    at TEXT NOT NULL,
    PRIMARY KEY (consultation_id, revision)
);
-- The draft's documents (征求意见稿、起草说明), checked like evidence files (content last).
CREATE TABLE consultation_documents (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    consultation_id BIGINT NOT NULL REFERENCES consultations(id),
    revision BIGINT NOT NULL,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL CHECK (size_bytes >= 0),
    sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
    uploaded_by BIGINT REFERENCES users(id),
    uploaded_at TEXT NOT NULL,
    content BYTEA NOT NULL
);
CREATE INDEX consultation_documents_of ON consultation_documents (consultation_id);
-- author_name, author_contact and peer are personal information: staff only, never public.
CREATE TABLE consultation_comments (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    consultation_id BIGINT NOT NULL REFERENCES consultations(id),
    body TEXT NOT NULL,
    author_name TEXT,
    author_contact TEXT,
    peer TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'published', 'hidden')),
    moderation_reason TEXT,
    moderated_by BIGINT REFERENCES users(id),
    moderated_at TEXT,
    decision TEXT CHECK (decision IS NULL OR decision IN ('adopted', 'partly', 'rejected')),
    decision_reason TEXT,
    decided_by BIGINT REFERENCES users(id),
    decided_at TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX consultation_comments_of ON consultation_comments (consultation_id, state, id);
-- A question the server asked before a public submission: single use, short-lived.
CREATE TABLE participation_challenges (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    answer TEXT NOT NULL,
    peer TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX participation_challenges_expiry ON participation_challenges (expires_at);
-- Accepted public submissions per address, for the rate limit.
CREATE TABLE participation_submissions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    peer TEXT NOT NULL,
    kind TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX participation_submissions_peer_at ON participation_submissions (peer, at);
CREATE TABLE satisfaction_responses (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    questionnaire TEXT NOT NULL,
    year BIGINT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX satisfaction_responses_year ON satisfaction_responses (questionnaire, year);
CREATE TABLE satisfaction_answers (
    response_id BIGINT NOT NULL REFERENCES satisfaction_responses(id),
    question TEXT NOT NULL,
    choice TEXT NOT NULL,
    PRIMARY KEY (response_id, question)
);
