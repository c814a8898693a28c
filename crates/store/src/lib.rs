//! Storage behind one interface, with SQLite and PostgreSQL backends.
