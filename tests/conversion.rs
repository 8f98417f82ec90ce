//! Conversion suite.
