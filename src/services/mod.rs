//! Use cases that span tables, one function each: it opens the write
//! transaction (`store::write_tx`), calls the store, and answers a domain
//! outcome. Handlers parse input, call one service, and render its answer;
//! the store holds every line of SQL; a service holds the order of the steps
//! and the rules between them.
//!
//! A step used inside another service's transaction (sending a mail, say)
//! takes the caller's connection instead of opening its own. Partner sites'
//! recovery is a service of its own, in `recovery/`.

pub mod fixtures;
pub mod gate;
pub mod lines;
pub mod logins;
pub mod mail;
pub mod protected;
pub mod resets;

use crate::clock::Clock;
use crate::domain::Msisdn;
use crate::pin::PinHasher;
use crate::store::Db;

/// What the services work with: the store, the Argon2 slots, the clock.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    pub db: &'a Db,
    pub pins: &'a PinHasher,
    pub clock: &'a Clock,
}

/// The line a request acts for, as its session or login holds it.
#[derive(Clone, Debug)]
pub struct Line {
    pub id: i64,
    pub msisdn: Msisdn,
}
