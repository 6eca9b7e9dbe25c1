//! Indicators of one scope over one period, computed from summed counters.

use serde::{Deserialize, Serialize};

use crate::counters::{Aggregates, Counter, Counters};
use crate::scope::{Period, Scope};

/// A rate with its numerator and denominator kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ratio {
    pub num: i64,
    pub den: i64,
}

impl Ratio {
    /// `num / den`.
    pub fn new(num: i64, den: i64) -> Ratio {
        Ratio { num, den }
    }

    /// The rate as a fraction (0.25 = 25 %), `None` when the denominator is not positive.
    pub fn value(self) -> Option<f64> {
        (self.den > 0).then(|| self.num as f64 / self.den as f64)
    }

    /// The rate in percent, `None` when undefined.
    pub fn percent(self) -> Option<f64> {
        self.value().map(|v| v * 100.0)
    }
}

/// The indicators of one scope over one period. Field docs give the formula over counters;
/// `overdue_open` is the stock at the end of the period.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Indicators {
    /// 上报数.
    pub reported: i64,
    /// 有效上报数.
    pub valid_reports: i64,
    /// 立案数.
    pub filed: i64,
    /// 派遣数.
    pub dispatched: i64,
    /// 处置数 (net of rework).
    pub handled: i64,
    /// 结案数 (dispatched cases).
    pub closed: i64,
    /// 自行处置结案数.
    pub closed_self_handled: i64,
    /// 不予受理/立案数.
    pub rejected: i64,
    /// 作废数.
    pub voided: i64,
    /// 超期未处置数 at the end of the period.
    pub overdue_open: i64,
    /// 应结案数 = 处置数 + 超期未处置数.
    pub due_to_close: i64,
    /// 暗访发现数.
    pub third_party_findings: i64,
    /// 有效上报率 = valid_reports / reported.
    pub valid_report_rate: Ratio,
    /// 结案率 = closed / (handled + overdue_open).
    pub closure_rate: Ratio,
    /// 按期结案率 = closed_on_time / (handled + overdue_open).
    pub on_time_closure_rate: Ratio,
    /// 处置率 = handled / (handled + overdue_open).
    pub handling_rate: Ratio,
    /// 按时处置率 = handled_on_time / (handled + overdue_open).
    pub on_time_handling_rate: Ratio,
    /// 返工率 = closed_reworked / closed.
    pub rework_rate: Ratio,
    /// 准确派遣率 = (dispatches − inaccurate_dispatches) / dispatches.
    pub accurate_dispatch_rate: Ratio,
    /// 按时派遣率 = dispatches_on_time / dispatches (dispatcher scope).
    pub on_time_dispatch_rate: Ratio,
    /// 按时核实率 = verified_on_time / verify_tasks (inspector scope).
    pub on_time_verification_rate: Ratio,
    /// 按时核查率 = checked_on_time / check_tasks (inspector scope).
    pub on_time_check_rate: Ratio,
    /// 漏报率 = missed / filed (inspector scope: public reports confirmed in, and cases filed
    /// in, the inspector's grids).
    pub missed_report_rate: Ratio,
    /// 监督举报率 = public_verified / filed (areas).
    pub public_report_rate: Ratio,
    /// 受理数 (operator).
    pub intake: i64,
    /// 核实按时派发率 = verify_sent_on_time / verify_sent (operator).
    pub on_time_verify_sending_rate: Ratio,
    /// 核查按时派发率 = check_sent_on_time / check_sent (operator).
    pub on_time_check_sending_rate: Ratio,
    /// 按时立案率 = filed_on_time / filed (shift supervisor).
    pub on_time_filing_rate: Ratio,
    /// 准确立案率 = (filed − filed_then_voided) / filed (shift supervisor).
    pub accurate_filing_rate: Ratio,
    /// 按时结案率 = closes_on_time / closes (shift supervisor).
    pub on_time_close_rate: Ratio,
    /// Average handling time in working hours = handling_minutes / feedbacks / 60.
    pub avg_handling_hours: Option<f64>,
    /// 满意率 = satisfied / rated.
    pub satisfaction_rate: Ratio,
    /// 转办率 = hotline_transferred / hotline_received.
    pub transfer_rate: Ratio,
    /// 回复率 = hotline_replied / hotline_reply_due.
    pub reply_rate: Ratio,
}

impl Indicators {
    /// The indicators from counters summed over a period and the overdue stock at its end.
    pub fn from_counters(c: &Counters, overdue_open: i64) -> Indicators {
        let g = |k: Counter| c.get(k);
        let handled = g(Counter::Handled);
        let due_to_close = handled + overdue_open;
        let dispatches = g(Counter::Dispatches);
        let filed = g(Counter::Filed);
        let feedbacks = g(Counter::Feedbacks);
        Indicators {
            reported: g(Counter::Reported),
            valid_reports: g(Counter::ValidReports),
            filed,
            dispatched: dispatches,
            handled,
            closed: g(Counter::Closed),
            closed_self_handled: g(Counter::ClosedSelfHandled),
            rejected: g(Counter::Rejected),
            voided: g(Counter::Voided),
            overdue_open,
            due_to_close,
            third_party_findings: g(Counter::ThirdPartyFindings),
            valid_report_rate: Ratio::new(g(Counter::ValidReports), g(Counter::Reported)),
            closure_rate: Ratio::new(g(Counter::Closed), due_to_close),
            on_time_closure_rate: Ratio::new(g(Counter::ClosedOnTime), due_to_close),
            handling_rate: Ratio::new(handled, due_to_close),
            on_time_handling_rate: Ratio::new(g(Counter::HandledOnTime), due_to_close),
            rework_rate: Ratio::new(g(Counter::ClosedReworked), g(Counter::Closed)),
            accurate_dispatch_rate: Ratio::new(
                dispatches - g(Counter::InaccurateDispatches),
                dispatches,
            ),
            on_time_dispatch_rate: Ratio::new(g(Counter::DispatchesOnTime), dispatches),
            on_time_verification_rate: Ratio::new(
                g(Counter::VerifiedOnTime),
                g(Counter::VerifyTasks),
            ),
            on_time_check_rate: Ratio::new(g(Counter::CheckedOnTime), g(Counter::CheckTasks)),
            missed_report_rate: Ratio::new(g(Counter::Missed), filed),
            public_report_rate: Ratio::new(g(Counter::PublicVerified), filed),
            intake: g(Counter::Intake),
            on_time_verify_sending_rate: Ratio::new(
                g(Counter::VerifySentOnTime),
                g(Counter::VerifySent),
            ),
            on_time_check_sending_rate: Ratio::new(
                g(Counter::CheckSentOnTime),
                g(Counter::CheckSent),
            ),
            on_time_filing_rate: Ratio::new(g(Counter::FiledOnTime), filed),
            accurate_filing_rate: Ratio::new(filed - g(Counter::FiledThenVoided), filed),
            on_time_close_rate: Ratio::new(g(Counter::ClosesOnTime), g(Counter::Closes)),
            avg_handling_hours: (feedbacks > 0)
                .then(|| g(Counter::HandlingMinutes) as f64 / feedbacks as f64 / 60.0),
            satisfaction_rate: Ratio::new(g(Counter::Satisfied), g(Counter::Rated)),
            transfer_rate: Ratio::new(g(Counter::HotlineTransferred), g(Counter::HotlineReceived)),
            reply_rate: Ratio::new(g(Counter::HotlineReplied), g(Counter::HotlineReplyDue)),
        }
    }

    /// The indicators of `scope` over `period`.
    pub fn of(agg: &Aggregates, scope: &Scope, period: Period) -> Indicators {
        Indicators::from_counters(
            &agg.sum(scope, period),
            agg.overdue_open(scope, period.last),
        )
    }
}
