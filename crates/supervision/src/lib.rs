//! Device supervision as pure rules: observations in, alarm signals out.
//!
//! Contract (as in `domain`): no IO, no clock, no async. Every engine is a plain struct holding
//! per-source state; callers feed it observations in time order together with their instants and
//! receive [`alarm::Signal`]s (raise / clear) back. The ingest pipeline and the server persist the
//! signals as alarms (deduplicated by [`alarm::AlarmKey::open_key`]) and turn them into cases.
//!
//! - [`alarm`]: the alarm model shared by every source — keys, levels, signals, the lifecycle
//!   (raised → acknowledged → linked to a case → cleared) and a reusable hysteresis.
//! - [`muck`]: muck-truck permits 渣土处置核准 and the closed-loop rules 渣土车闭环监管.
//! - [`sweeping`]: map-matching sweeper fixes to roads and the 机械化清扫率.
//! - [`patrol`]: enforcement-vehicle patrol coverage per grid.
//! - [`garbage`]: garbage-truck visits to collection points and 前分后混 detection.
//! - [`collection_route`]: each garbage truck's collection route 收运路线 and its checks.
//! - [`environment`]: fume 油烟 and dust/noise 扬尘/噪声 monitor rules.
//! - [`sensor`]: MQTT sensor rules (manhole covers, bins, waterlogging, generic numeric).
//! - [`camera`]: AI-camera event merging and the confidence gate.
//! - [`station`]: garbage transfer stations and the daily 日产日清 check.
//! - [`vehicle`]: the vehicle fix every vehicle rule takes.

pub mod alarm;
pub mod camera;
pub mod collection_route;
pub mod environment;
pub mod garbage;
pub mod muck;
pub mod patrol;
pub mod sensor;
pub mod station;
pub mod sweeping;
pub mod vehicle;
