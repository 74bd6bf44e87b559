//! Integration tests: the real router in-process, and the real binary spawned.

mod admin;
mod api;
mod bad_input;
pub mod binary;
mod busy;
mod concurrency;
mod durability;
mod gateway;
mod handsets;
mod helpers;
mod limits;
mod mail;
mod menus;
mod openapi;
pub mod partners;
mod pin;
mod power_on;
mod protected;
mod qa;
mod recovery;
mod scenarios;
mod worlds;
