//! Shape ops suite (in progress).
