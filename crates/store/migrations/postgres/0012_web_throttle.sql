-- Sign-in throttling counts failures per address (issue 12): without this index every
-- attempt scans the attempts of every user.
CREATE INDEX login_attempts_peer_at ON login_attempts (peer, at);
