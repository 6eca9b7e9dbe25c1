//! Command codes (CN, HJ 212-2017 Table 9), the Flag field and the interaction return codes.
//!
//! CN ranges: 1000–1999 initialisation / parameters, 2000–2999 data, 3000–3999 control,
//! 9000–9999 interaction. Unknown codes are kept as [`Command::Unknown`], never rejected.

use std::fmt;

/// A CN command code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Command {
    /// 1000 — set timeout and retry count (`OverTime`, `ReCount`).
    SetTimeoutRetry,
    /// 1011 — get field time (platform) / upload field time (device, `SystemTime`).
    GetTime,
    /// 1012 — set field time (`SystemTime`).
    SetTime,
    /// 1013 — time-calibration request (device notification, answered by 9013).
    TimeCalibrationRequest,
    /// 1061 — get / upload real-time data interval (`RtdInterval`).
    GetRtdInterval,
    /// 1062 — set real-time data interval (`RtdInterval`, 30–3600 s).
    SetRtdInterval,
    /// 1063 — get / upload minute-data interval (`MinInterval`).
    GetMinInterval,
    /// 1064 — set minute-data interval (`MinInterval`, minutes).
    SetMinInterval,
    /// 1072 — set access password (`NewPW`).
    SetPassword,
    /// 2011 — real-time data (device upload; platform: start uploading).
    RealTimeData,
    /// 2012 — stop real-time data upload (platform notification).
    StopRealTimeData,
    /// 2021 — equipment running status `SBn-RS` (device upload; platform: start uploading).
    EquipmentStatus,
    /// 2022 — stop equipment-status upload (platform notification).
    StopEquipmentStatus,
    /// 2031 — daily data.
    DayData,
    /// 2041 — equipment running-time daily data (`SBn-RT`).
    DayRunningTime,
    /// 2051 — minute data.
    MinuteData,
    /// 2061 — hour data.
    HourData,
    /// 2081 — data-logger restart (power-on) time upload (`RestartTime`).
    RestartTime,
    /// 3011 — zero / span calibration.
    Calibrate,
    /// 3012 — immediate sampling.
    ImmediateSampling,
    /// 3013 — cleaning / blow-back.
    Cleaning,
    /// 3014 — comparison sampling.
    ComparisonSampling,
    /// 3015 — over-limit sample keeping.
    SampleKeeping,
    /// 3016 — set sampling period.
    SetSamplingPeriod,
    /// 3017 — get sampling period.
    GetSamplingPeriod,
    /// 3018 — get sample-out time.
    GetSampleOutTime,
    /// 3019 — get device serial number.
    GetDeviceSn,
    /// 3020 — get / upload field-machine information (`xxxxxx-Info`).
    DeviceInfo,
    /// 3021 — set field-machine parameters.
    SetDeviceParameters,
    /// 9011 — request answer (`QnRtn`).
    RequestAnswer,
    /// 9012 — execution result (`ExeRtn`).
    ExecutionResult,
    /// 9013 — notification answer.
    NotificationAnswer,
    /// 9014 — data answer.
    DataAnswer,
    /// 9015 — heartbeat (HJ 212-2025, from third-party sources).
    Heartbeat,
    /// Any other code (vendor 2000, login 9021, reserved ranges…).
    Unknown(u16),
}

/// `(code, command)` for every named command.
const TABLE: &[(u16, Command)] = &[
    (1000, Command::SetTimeoutRetry),
    (1011, Command::GetTime),
    (1012, Command::SetTime),
    (1013, Command::TimeCalibrationRequest),
    (1061, Command::GetRtdInterval),
    (1062, Command::SetRtdInterval),
    (1063, Command::GetMinInterval),
    (1064, Command::SetMinInterval),
    (1072, Command::SetPassword),
    (2011, Command::RealTimeData),
    (2012, Command::StopRealTimeData),
    (2021, Command::EquipmentStatus),
    (2022, Command::StopEquipmentStatus),
    (2031, Command::DayData),
    (2041, Command::DayRunningTime),
    (2051, Command::MinuteData),
    (2061, Command::HourData),
    (2081, Command::RestartTime),
    (3011, Command::Calibrate),
    (3012, Command::ImmediateSampling),
    (3013, Command::Cleaning),
    (3014, Command::ComparisonSampling),
    (3015, Command::SampleKeeping),
    (3016, Command::SetSamplingPeriod),
    (3017, Command::GetSamplingPeriod),
    (3018, Command::GetSampleOutTime),
    (3019, Command::GetDeviceSn),
    (3020, Command::DeviceInfo),
    (3021, Command::SetDeviceParameters),
    (9011, Command::RequestAnswer),
    (9012, Command::ExecutionResult),
    (9013, Command::NotificationAnswer),
    (9014, Command::DataAnswer),
    (9015, Command::Heartbeat),
];

/// How the platform treats a command **received from a device**.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeviceRole {
    /// Data upload: answered with 9014 when Flag.A is set (2011, 2051, 1011 answers, vendor
    /// codes…).
    Upload,
    /// Notification: answered with 9013 (1013 time-calibration request).
    Notification,
    /// An answer to a platform request or notification (9011, 9012, 9013, 9014).
    Reply,
    /// Keep-alive (9015): answered with 9014 when Flag.A is set, carries no data.
    Heartbeat,
    /// A platform-to-device command sent by a device (1012, 1062, 2012…): not answered.
    Unexpected,
}

impl Command {
    /// The command for a CN code.
    #[must_use]
    pub fn from_code(code: u16) -> Self {
        TABLE
            .iter()
            .find(|(c, _)| *c == code)
            .map_or(Self::Unknown(code), |&(_, cmd)| cmd)
    }

    /// The CN code.
    #[must_use]
    pub fn code(self) -> u16 {
        if let Self::Unknown(code) = self {
            return code;
        }
        TABLE
            .iter()
            .find(|(_, cmd)| *cmd == self)
            .map_or(0, |&(code, _)| code)
    }

    /// How a platform handles this command when a device sends it.
    #[must_use]
    pub fn device_role(self) -> DeviceRole {
        match self {
            Self::TimeCalibrationRequest => DeviceRole::Notification,
            Self::RequestAnswer
            | Self::ExecutionResult
            | Self::NotificationAnswer
            | Self::DataAnswer => DeviceRole::Reply,
            Self::Heartbeat => DeviceRole::Heartbeat,
            Self::SetTimeoutRetry
            | Self::SetTime
            | Self::SetRtdInterval
            | Self::SetMinInterval
            | Self::SetPassword
            | Self::StopRealTimeData
            | Self::StopEquipmentStatus
            | Self::Calibrate
            | Self::ImmediateSampling
            | Self::Cleaning
            | Self::ComparisonSampling
            | Self::SetSamplingPeriod
            | Self::SetDeviceParameters => DeviceRole::Unexpected,
            _ => DeviceRole::Upload,
        }
    }

    /// Whether the platform sends this command as a notification (answered by 9013 rather than
    /// 9011/9012): 2012 and 2022.
    #[must_use]
    pub fn is_platform_notification(self) -> bool {
        matches!(self, Self::StopRealTimeData | Self::StopEquipmentStatus)
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}", self.code())
    }
}

/// HJ 212 protocol versions, from the Flag's bits 7..2 (V5..V0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// `000000`: HJ/T 212-2005 (also what a missing Flag means).
    V2005,
    /// `000001`: HJ 212-2017.
    V2017,
    /// `000010`: HJ 212-2025 (also sent by some pre-2025 devices as Flag=8).
    V2025,
    /// Any other version bits (never rejected).
    Other(u8),
}

impl Version {
    /// The 6 version bits.
    #[must_use]
    pub const fn bits(self) -> u8 {
        match self {
            Self::V2005 => 0,
            Self::V2017 => 1,
            Self::V2025 => 2,
            Self::Other(b) => b & 0x3F,
        }
    }

    /// The version for 6 version bits.
    #[must_use]
    pub const fn from_bits(bits: u8) -> Self {
        match bits & 0x3F {
            0 => Self::V2005,
            1 => Self::V2017,
            2 => Self::V2025,
            b => Self::Other(b),
        }
    }
}

/// The `Flag` field: `V5 V4 V3 V2 V1 V0 D A` (bit 7 … bit 0).
///
/// - A (bit 0): the receiver must answer.
/// - D (bit 1): the packet is one of a split set and carries `PNUM` / `PNO`.
/// - V (bits 7..2): protocol version, see [`Version`].
///
/// `Flag=4` is 2017 without answer, `5` with answer, `7` split + answer; `8` / `9` are 2025.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Flag(pub u8);

impl Flag {
    /// Bit 0.
    pub const ACK: u8 = 0b01;
    /// Bit 1.
    pub const SPLIT: u8 = 0b10;

    /// A flag from its parts.
    #[must_use]
    pub const fn from_parts(version: Version, split: bool, ack: bool) -> Self {
        let mut bits = version.bits() << 2;
        if split {
            bits |= Self::SPLIT;
        }
        if ack {
            bits |= Self::ACK;
        }
        Self(bits)
    }

    /// A: the receiver must answer.
    #[must_use]
    pub const fn needs_ack(self) -> bool {
        self.0 & Self::ACK != 0
    }

    /// D: the packet is part of a split set (PNUM/PNO present).
    #[must_use]
    pub const fn is_split(self) -> bool {
        self.0 & Self::SPLIT != 0
    }

    /// The protocol version bits.
    #[must_use]
    pub const fn version(self) -> Version {
        Version::from_bits(self.0 >> 2)
    }
}

/// `QnRtn` in a 9011 request answer (Table 7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QnRtn {
    /// 1 — ready to execute (准备执行请求).
    Ready,
    /// 2 — request rejected.
    Rejected,
    /// 3 — wrong PW.
    BadPassword,
    /// 4 — wrong MN.
    BadMn,
    /// 5 — wrong ST.
    BadSt,
    /// 6 — wrong Flag.
    BadFlag,
    /// 7 — wrong QN.
    BadQn,
    /// 8 — wrong CN.
    BadCn,
    /// 9 — CRC error.
    BadCrc,
    /// 100 — unknown error.
    UnknownError,
    /// Any other value.
    Other(u16),
}

impl QnRtn {
    /// The numeric code.
    #[must_use]
    pub const fn code(self) -> u16 {
        match self {
            Self::Ready => 1,
            Self::Rejected => 2,
            Self::BadPassword => 3,
            Self::BadMn => 4,
            Self::BadSt => 5,
            Self::BadFlag => 6,
            Self::BadQn => 7,
            Self::BadCn => 8,
            Self::BadCrc => 9,
            Self::UnknownError => 100,
            Self::Other(c) => c,
        }
    }

    /// The value for a code.
    #[must_use]
    pub const fn from_code(code: u16) -> Self {
        match code {
            1 => Self::Ready,
            2 => Self::Rejected,
            3 => Self::BadPassword,
            4 => Self::BadMn,
            5 => Self::BadSt,
            6 => Self::BadFlag,
            7 => Self::BadQn,
            8 => Self::BadCn,
            9 => Self::BadCrc,
            100 => Self::UnknownError,
            c => Self::Other(c),
        }
    }
}

/// `ExeRtn` in a 9012 execution result (Table 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExeRtn {
    /// 1 — success.
    Success,
    /// 2 — failed, reason unknown.
    Failed,
    /// 3 — request condition error.
    BadCondition,
    /// 4 — communication timeout.
    Timeout,
    /// 5 — system busy.
    Busy,
    /// 6 — system fault.
    SystemFault,
    /// 100 — no data.
    NoData,
    /// Any other value.
    Other(u16),
}

impl ExeRtn {
    /// The numeric code.
    #[must_use]
    pub const fn code(self) -> u16 {
        match self {
            Self::Success => 1,
            Self::Failed => 2,
            Self::BadCondition => 3,
            Self::Timeout => 4,
            Self::Busy => 5,
            Self::SystemFault => 6,
            Self::NoData => 100,
            Self::Other(c) => c,
        }
    }

    /// The value for a code.
    #[must_use]
    pub const fn from_code(code: u16) -> Self {
        match code {
            1 => Self::Success,
            2 => Self::Failed,
            3 => Self::BadCondition,
            4 => Self::Timeout,
            5 => Self::Busy,
            6 => Self::SystemFault,
            100 => Self::NoData,
            c => Self::Other(c),
        }
    }
}
