//! yiwang's pure domain: the model and rules every other crate builds on.
//!
//! Contract: no IO, no clock, no async. Functions take `now` and data in and return values.
//!
//! - [`time`]: instants and the Asia/Shanghai wall clock.
//! - [`area`]: district → street → community → grid codes.
//! - [`org`]: roles, department types, role grants and callers.
//! - [`taxonomy`]: component and matter classes with their limits and conditions.
//! - [`calendar`]: working windows, holidays, 调休, deadline arithmetic.
//! - [`workflow`]: the case closed loop as an explicit state machine.
//! - [`policy`]: who may see which case.
//! - [`duplicates`]: which open cases a new report likely repeats.
//! - [`volunteer`]: the eleven volunteer service projects 志愿服务项目.

pub mod area;
pub mod calendar;
pub mod duplicates;
pub mod escalation;
pub mod org;
pub mod policy;
pub mod suggest;
pub mod taxonomy;
pub mod time;
pub mod volunteer;
pub mod workflow;

#[cfg(test)]
mod workflow_tests;
