//! The device-identity seam: who may register, authenticate and report.
//!
//! [`Registry`] answers the three identity questions of the two protocols:
//!
//! | protocol | question | answer |
//! |---|---|---|
//! | JT/T 808 0x0100 | may this terminal register? | [`RegisterOutcome`]: result code (0x8100) and, on success, the auth code |
//! | JT/T 808 0x0102 | is this auth code right for this phone? | `bool` (0x8001 result 0 / 1) |
//! | HJ 212 any packet | is this `MN` known, is this its `PW`? | [`Hj212Check`] |
//!
//! The JT/T 808 questions are async (a database lookup is fine: they come once per
//! connection). The HJ 212 check is synchronous because the `hj212::Session` asks it while
//! parsing; back it with an in-memory cache of the device table.
//!
//! [`MemoryRegistry`] is the in-memory implementation for tests and load runs: devices are
//! pre-provisioned, or every device is accepted and registered on first contact
//! ([`MemoryRegistry::auto_provision`]).

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, PoisonError, RwLock};

use jt808::RegisterResult;

/// A JT/T 808 registration request (0x0100), normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterRequest {
    /// Terminal phone ([`jt808::Phone::trimmed`]).
    pub phone: String,
    /// Manufacturer id.
    pub manufacturer: String,
    /// Terminal model.
    pub model: String,
    /// Terminal id (padding trimmed).
    pub terminal_id: String,
    /// Plate, or VIN when `plate_color` is 0.
    pub plate: String,
    /// Plate colour.
    pub plate_color: u8,
}

/// The registry's answer to a registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegisterOutcome {
    /// Registered: 0x8100 result 0 with this auth code.
    Accepted {
        /// The code the terminal will present in 0x0102.
        auth_code: String,
    },
    /// Refused: 0x8100 with this result (vehicle/terminal already registered or unknown).
    Refused(RegisterResult),
}

/// A JT/T 808 authentication request (0x0102), normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthRequest {
    /// Terminal phone ([`jt808::Phone::trimmed`]).
    pub phone: String,
    /// The auth code presented.
    pub auth_code: String,
    /// 2019 only: IMEI.
    pub imei: String,
    /// 2019 only: software version.
    pub software_version: String,
}

/// The answer to an HJ 212 `MN` / `PW` check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hj212Check {
    /// Known device, right password.
    Ok,
    /// No such MN.
    UnknownMn,
    /// Known MN, wrong password.
    WrongPassword,
}

/// The registry could not answer (database down): the gateway refuses (0x8100 result
/// "terminal not in database" / 0x8001 failure) and logs it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("registry unavailable: {0}")]
pub struct RegistryError(pub String);

/// Device identity. See the module docs.
pub trait Registry: Send + Sync + 'static {
    /// JT/T 808 0x0100.
    fn register(
        &self,
        request: RegisterRequest,
    ) -> impl Future<Output = Result<RegisterOutcome, RegistryError>> + Send;

    /// JT/T 808 0x0102: `true` when the code is right for the phone.
    fn authenticate(
        &self,
        request: AuthRequest,
    ) -> impl Future<Output = Result<bool, RegistryError>> + Send;

    /// HJ 212: checks `mn` and `pw` (`pw` is empty when the packet has none). Synchronous;
    /// answer from memory.
    fn check_hj212(&self, mn: &str, pw: &str) -> Hj212Check;
}

impl<R: Registry> Registry for Arc<R> {
    fn register(
        &self,
        request: RegisterRequest,
    ) -> impl Future<Output = Result<RegisterOutcome, RegistryError>> + Send {
        R::register(self, request)
    }
    fn authenticate(
        &self,
        request: AuthRequest,
    ) -> impl Future<Output = Result<bool, RegistryError>> + Send {
        R::authenticate(self, request)
    }
    fn check_hj212(&self, mn: &str, pw: &str) -> Hj212Check {
        R::check_hj212(self, mn, pw)
    }
}

#[derive(Debug, Default)]
struct MemoryState {
    /// phone → auth code, for terminals allowed to register (code issued on registration).
    terminals: HashMap<String, Option<String>>,
    /// MN → PW.
    monitors: HashMap<String, String>,
}

/// In-memory [`Registry`] for tests and load runs. Clones share state.
///
/// Auth codes are issued as `"A"` followed by the phone (deterministic, so a load generator
/// restarted against the same gateway can authenticate without registering again).
#[derive(Debug, Clone, Default)]
pub struct MemoryRegistry {
    state: Arc<RwLock<MemoryState>>,
    auto: bool,
}

impl MemoryRegistry {
    /// Empty; only provisioned devices are accepted.
    pub fn new() -> MemoryRegistry {
        MemoryRegistry::default()
    }

    /// Accepts every terminal and monitor on first contact (load runs, demos): any phone may
    /// register, any MN is provisioned with the first PW it presents.
    pub fn auto_provision() -> MemoryRegistry {
        MemoryRegistry {
            auto: true,
            ..MemoryRegistry::default()
        }
    }

    /// The auth code this registry issues for `phone`.
    pub fn auth_code_for(phone: &str) -> String {
        format!("A{phone}")
    }

    /// Allows `phone` (trimmed form) to register.
    pub fn provision_terminal(&self, phone: &str) {
        self.write().terminals.entry(phone.to_owned()).or_default();
    }

    /// Allows `phone` to authenticate with `auth_code` without registering first.
    pub fn provision_registered_terminal(&self, phone: &str, auth_code: &str) {
        self.write()
            .terminals
            .insert(phone.to_owned(), Some(auth_code.to_owned()));
    }

    /// Provisions an HJ 212 device.
    pub fn provision_monitor(&self, mn: &str, pw: &str) {
        self.write().monitors.insert(mn.to_owned(), pw.to_owned());
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, MemoryState> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, MemoryState> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Registry for MemoryRegistry {
    async fn register(&self, request: RegisterRequest) -> Result<RegisterOutcome, RegistryError> {
        let mut state = self.write();
        if !self.auto && !state.terminals.contains_key(&request.phone) {
            return Ok(RegisterOutcome::Refused(RegisterResult::TerminalUnknown));
        }
        let code = MemoryRegistry::auth_code_for(&request.phone);
        state.terminals.insert(request.phone, Some(code.clone()));
        Ok(RegisterOutcome::Accepted { auth_code: code })
    }

    async fn authenticate(&self, request: AuthRequest) -> Result<bool, RegistryError> {
        if self.auto {
            // Registration may have happened in an earlier run of the gateway.
            return Ok(request.auth_code == MemoryRegistry::auth_code_for(&request.phone));
        }
        let state = self.read();
        Ok(matches!(
            state.terminals.get(&request.phone),
            Some(Some(code)) if *code == request.auth_code
        ))
    }

    fn check_hj212(&self, mn: &str, pw: &str) -> Hj212Check {
        if let Some(known) = self.read().monitors.get(mn) {
            return if known == pw {
                Hj212Check::Ok
            } else {
                Hj212Check::WrongPassword
            };
        }
        if self.auto {
            self.write().monitors.insert(mn.to_owned(), pw.to_owned());
            return Hj212Check::Ok;
        }
        Hj212Check::UnknownMn
    }
}
