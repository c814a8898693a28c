//! Surface-water standards: GB 3838-2002 classification and the official surface-water assessment method.
