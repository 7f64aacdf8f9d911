//! One module per git hook: orchestration only, no detection logic.

pub mod attest_gate;
pub mod commit_msg;
pub mod pre_commit;
pub mod pre_push;
pub mod pre_receive;
pub mod prepare_commit_msg;
