-- PostgreSQL partitions uploads and the raw archive by month here (see its migration of the
-- same number); SQLite, one file for one server, keeps its layout.
SELECT 1;
