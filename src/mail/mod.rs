//! i-mode mail: address rules and the mail-rejection settings that delivery obeys.

pub mod address;
pub mod delivery;
pub mod extract;
pub mod message;
pub mod notices;
pub mod rejection;
pub mod relay;
pub mod rfc5322;
