//! The HJ 212 pollution-source data transmission protocol (2005, 2017, 2025): frames in, typed packets out, and back.
