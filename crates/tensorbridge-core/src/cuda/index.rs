//! Index ops on the device (filled in after the backend API lands).
