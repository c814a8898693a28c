//! Air-quality standards: HJ 633 AQI, GB 3095 limits and HJ 663 assessment (2012/2013 and 2026 editions).
