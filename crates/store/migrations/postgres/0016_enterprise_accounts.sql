-- The enterprise's own account (issue 14): the role `enterprise`, bound to one 统一社会信用代码,
-- and the first-sign-in password change.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('admin', 'staff', 'reporter', 'county', 'enterprise'));
ALTER TABLE users ADD COLUMN credit_code TEXT;
ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD CONSTRAINT users_enterprise_credit_code
    CHECK (role <> 'enterprise' OR credit_code IS NOT NULL);
CREATE INDEX users_credit_code ON users (credit_code);
