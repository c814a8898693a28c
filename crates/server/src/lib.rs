//! The web server: pages, JSON API, sessions and roles.
