//! Integration tests: the real binary against real git repositories in temp dirs.

mod ai;
mod attest;
mod common;
mod install;
mod policy;
mod push;
mod scan;
