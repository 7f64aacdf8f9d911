//! One module per git hook: orchestration only, no detection logic.

pub mod pre_commit;
