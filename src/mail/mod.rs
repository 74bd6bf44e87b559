//! i-mode mail: address rules and the mail-rejection settings that delivery obeys.

pub mod address;
pub mod rejection;
