//! Integration tests: the real binary against real git repositories in temp dirs.

mod common;
mod install;
mod push;
mod scan;
