//! Messages to citizens and integrations: the SMS seam, the outbox and the notifier.
//!
//! Every message is first written to the `notifications` outbox (`pending`), then handed to the
//! sender, then marked `sent` or `failed` — so what was said to whom, and whether it went out,
//! is on record and visible to admins (`GET /api/notifications`). The sender is pluggable: the
//! demo and tests use [`LogSms`] (a log line; the outbox row is the message), a deployment plugs
//! in its SMS gateway behind [`SmsSender`].
//!
//! Case changes reach people through the [`Notifier`], which every node runs: it reads the
//! audit trail (so a change made by any node, or before a crash, is seen), writes the messages
//! each change causes to the outbox — an SMS to the reporter of a citizen channel (随手拍,
//! Open311, hotlines …) and to the reporters of the duplicates that follow the case, and a
//! signed JSON POST to each webhook that wants the action — and delivers the messages it
//! claims, retrying failures with backoff. The outbox holds a message once whichever node
//! writes it, and only the claiming node sends it, so several nodes send each message once.
//! Staff hear of changes through the live stream (`/api/stream`), not here.

use std::collections::{BTreeSet, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use domain::area::AreaCode;
use domain::time::Timestamp;
use domain::workflow::{Case, CaseState, Command, Source};
use futures_util::StreamExt;
use hmac::{Hmac, KeyInit, Mac};
use rand::RngExt;
use sha2::Sha256;
use store::{Delivery, NewNotification, Notification, StoredEvent, Webhook};
use tokio_util::sync::CancellationToken;

use crate::AppState;
use crate::error::ApiResult;
use crate::routes::citizens::valid_phone;

/// A boxed future, so senders can be trait objects.
pub type SendFuture<'a> = Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>>;

/// Delivers one SMS. Implementations must not panic; an `Err` is recorded on the message.
pub trait SmsSender: Send + Sync {
    fn send<'a>(&'a self, to: &'a str, body: &'a str) -> SendFuture<'a>;
}

/// The demo's sender: a log line (the outbox row holds the whole message).
#[derive(Clone, Copy, Debug, Default)]
pub struct LogSms;

impl SmsSender for LogSms {
    fn send<'a>(&'a self, to: &'a str, body: &'a str) -> SendFuture<'a> {
        Box::pin(async move {
            tracing::debug!(target: "yiwang::sms", to, body, "SMS (log sender)");
            Ok(())
        })
    }
}

/// Writes an SMS to the outbox, sends it and records the outcome; returns the message id.
/// A failed delivery is recorded, not returned as an error: the caller's action stands.
///
/// # Errors
/// The outbox write fails.
pub async fn send_sms(state: &AppState, message: NewNotification) -> ApiResult<i64> {
    let id = state
        .store
        .insert_notification(&message, state.now())
        .await?;
    let result = state.sms.send(&message.recipient, &message.body).await;
    if let Err(e) = &result {
        tracing::warn!(id, error = %e, "SMS not delivered");
    }
    state
        .store
        .mark_notification(id, result, state.now())
        .await?;
    Ok(id)
}

// ---------------------------------------------------------------------------------------------
// The notifier: case changes → outbox → SMS and webhooks
// ---------------------------------------------------------------------------------------------

/// The name of the notifier's progress record in the store.
const PROGRESS_NAME: &str = "case_events";
/// How often the notifier looks for new case events and due messages.
pub const NOTIFY_INTERVAL: Duration = Duration::from_secs(1);
/// Case events older than this when first seen are not notified (imported history, or a
/// notifier that was off for long): nobody wants a text about last month.
pub const MAX_EVENT_AGE_MS: i64 = 60 * Timestamp::MINUTE_MS;
/// How long an event id stays "maybe not yet committed" below the read position: a
/// transaction holding a lower id can commit after a higher one on PostgreSQL.
pub const SETTLE_MS: i64 = 10_000;
/// A claim older than this is taken to be from a node that died.
pub const STALE_CLAIM_MS: i64 = 2 * Timestamp::MINUTE_MS;
/// Delivery attempts before a message is marked failed.
pub const MAX_SMS_ATTEMPTS: i64 = 3;
pub const MAX_WEBHOOK_ATTEMPTS: i64 = 6;
/// A webhook must answer within this.
pub const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(5);
/// SMS are cut to this many characters (a few concatenated SMS).
pub const MAX_SMS_CHARS: usize = 300;

/// Case actions that reach the reporter by SMS (and, for the master's progress, the reporters
/// of the duplicates linked to it). `rate` only when it reopened the case.
pub const SMS_ACTIONS: [&str; 8] = [
    "file",
    "reject_report",
    "reject",
    "approve_void",
    "close",
    "reply",
    "rate",
    "link_duplicate",
];

/// Of [`SMS_ACTIONS`], the ones the followers of a master case hear about.
const FOLLOWER_ACTIONS: [&str; 4] = ["file", "close", "reply", "rate"];

/// Every action name a case event can carry (what a webhook may subscribe to).
pub fn known_actions() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Command::examples().iter().map(Command::name).collect();
    names.extend(["report", "report_self_handled"]);
    names
}

/// Sources whose reporter is a member of the public with a phone to text.
pub fn is_citizen_channel(source: Source) -> bool {
    matches!(
        source,
        Source::CitizenApp
            | Source::Open311
            | Source::Hotline12319
            | Source::Hotline12345
            | Source::Weibo
            | Source::Mailbox
            | Source::Volunteer
    )
}

fn truncate_chars(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// What a case event says to the reporter, if anything: the SMS text (Chinese, as citizens
/// read it). `no` is the case number the reporter knows (the master's, for a follower);
/// `department` the name of the department handling it; `master_no` the case a duplicate was
/// linked to.
pub fn sms_text(
    event: &StoredEvent,
    case: &Case,
    no: &str,
    department: Option<&str>,
    master_no: Option<&str>,
) -> Option<String> {
    const SIGN: &str = "【一网统管】";
    let note = event
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    let with_note = |n: Option<&str>| n.map(|n| format!("：{n}")).unwrap_or_default();
    let text = match event.action.as_str() {
        "file" => format!("{SIGN}您反映的问题已立案（案卷号 {no}），我们将尽快派遣处置。"),
        "reject_report" => format!(
            "{SIGN}您反映的问题（案卷号 {no}）不予受理{}。如有疑问请拨打 12319。",
            with_note(note)
        ),
        "reject" => format!(
            "{SIGN}您反映的问题（案卷号 {no}）经核实不予立案{}。如有疑问请拨打 12319。",
            with_note(note)
        ),
        "approve_void" => format!(
            "{SIGN}您反映的问题（案卷号 {no}）已作废{}。",
            with_note(note)
        ),
        "close" => {
            let by = department
                .map(|d| format!("，处置单位：{d}"))
                .unwrap_or_default();
            let answer = case
                .reply
                .as_deref()
                .map(|r| format!("答复：{r}。"))
                .unwrap_or_default();
            format!(
                "{SIGN}您反映的问题（案卷号 {no}）已办结{by}。{answer}欢迎在“我的上报”中评价办理结果。"
            )
        }
        "reply" => format!(
            "{SIGN}关于您反映的问题（案卷号 {no}）的答复：{}",
            note.or(case.reply.as_deref())
                .unwrap_or("已收到，正在办理。")
        ),
        "rate" => {
            let reopened = event
                .data
                .get("reopened")
                .and_then(serde_json::Value::as_bool);
            if reopened != Some(true) {
                return None;
            }
            let to = department.unwrap_or("处置单位");
            format!("{SIGN}您对案卷号 {no} 的办理结果不满意，已退回{to}重新办理。")
        }
        "link_duplicate" => {
            let master = master_no?;
            format!(
                "{SIGN}您反映的问题已有人反映（案卷号 {master}），已合并办理，办理结果将一并告知您。"
            )
        }
        _ => return None,
    };
    Some(truncate_chars(&text, MAX_SMS_CHARS))
}

/// The JSON a webhook receives for a case event (no personal data of the reporter).
pub fn webhook_payload(event: &StoredEvent, case: &Case) -> serde_json::Value {
    serde_json::json!({
        "event": {
            "id": event.id,
            "action": event.action,
            "from_state": event.from_state.map(CaseState::as_str),
            "to_state": event.to_state.as_str(),
            "actor_role": event.actor_role.as_str(),
            "note": event.note,
            "at": event.at.to_rfc3339(),
        },
        "case": {
            "id": case.id,
            "case_no": case.case_no,
            "state": case.state.as_str(),
            "source": case.source.as_str(),
            "class_code": case.class.as_ref().map(|c| c.code.as_str()),
            "class_name": case.class.as_ref().map(|c| c.name.as_str()),
            "urgency": case.urgency.as_str(),
            "area_code": case.area.finest().map(AreaCode::as_str),
            "address": case.address,
            "lat": case.lat,
            "lon": case.lon,
            "department_id": case.department_id,
            "external_ref": case.external_ref,
            "reply": case.reply,
            "created_at": case.created_at.to_rfc3339(),
            "closed_at": case.closed_at.map(|t| t.to_rfc3339()),
        },
    })
}

/// `sha256=<hex>`: the HMAC-SHA256 of `body` under `secret`, as sent in
/// `X-Yiwang-Signature`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    type HmacSha256 = Hmac<Sha256>;
    // HMAC takes a key of any length; `new_from_slice` cannot fail for it.
    let Ok(mut mac) = HmacSha256::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// When to try a failed message again: 30 s, 1 min, 2 min … at most an hour after attempt `n`.
fn retry_at(now: Timestamp, attempts: i64) -> Timestamp {
    let exp = u32::try_from(attempts.clamp(1, 8) - 1).unwrap_or(0);
    let delay = (30_000_i64 << exp).min(60 * Timestamp::MINUTE_MS);
    Timestamp(now.0 + delay)
}

/// What one pass of the notifier did (for tests and logs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PassReport {
    /// Case events read.
    pub events: usize,
    /// Messages written to the outbox.
    pub planned: usize,
    /// Messages this node delivered (sent).
    pub sent: usize,
    /// Delivery attempts that failed (to be retried or given up).
    pub failed: usize,
}

/// The notifier of one node: reads the audit trail, writes the messages each case change
/// causes to the outbox (once, whichever node writes first), then delivers the due messages
/// it claims. Run one per node ([`spawn_notifier`]); several nodes share the work safely.
pub struct Notifier {
    state: AppState,
    node: String,
    http: reqwest::Client,
    /// Read position: events at or below it were read by this node.
    cursor: i64,
    /// Every event at or below it has its messages in the outbox (stored as progress).
    settled: i64,
    /// Events above `settled` this node has read.
    seen: BTreeSet<i64>,
    /// (when, cursor) of recent passes: a cursor becomes settled [`SETTLE_MS`] later.
    marks: VecDeque<(Timestamp, i64)>,
    started: bool,
}

/// A PEM bundle of extra CA certificates for HTTPS webhooks could not be used.
#[derive(Debug, thiserror::Error)]
pub enum CaFileError {
    #[error("cannot read the CA file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("the CA file {path} is not a PEM certificate bundle: {reason}")]
    Invalid { path: String, reason: String },
    #[error("the CA file {path} holds no certificate")]
    Empty { path: String },
}

/// Reads `[notify] extra_ca_file`: a PEM bundle of CA certificates trusted for HTTPS webhooks
/// besides the Mozilla roots (a bureau's internal CA). Every certificate is checked by building
/// a client with it, so a bad file stops the node at start, not at the first delivery.
///
/// # Errors
/// The file cannot be read, is not PEM, holds no certificate or a certificate rustls refuses.
pub fn load_extra_ca(path: &std::path::Path) -> Result<Vec<reqwest::Certificate>, CaFileError> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| CaFileError::Read {
        path: shown.clone(),
        source,
    })?;
    let invalid = |e: &dyn std::error::Error| CaFileError::Invalid {
        path: shown.clone(),
        reason: error_chain(e),
    };
    let certs = reqwest::Certificate::from_pem_bundle(&bytes).map_err(|e| invalid(&e))?;
    if certs.is_empty() {
        return Err(CaFileError::Empty { path: shown });
    }
    webhook_client(&certs).map_err(|e| invalid(&e))?;
    Ok(certs)
}

/// The HTTP client of webhook deliveries: `http://` and `https://` (rustls on the ring
/// provider, TLS 1.2 and 1.3) trusting the Mozilla roots (webpki-roots, built in, so no system
/// store is needed) plus `extra_roots`.
///
/// # Errors
/// A certificate of `extra_roots` is refused by rustls.
pub fn webhook_client(extra_roots: &[reqwest::Certificate]) -> reqwest::Result<reqwest::Client> {
    let mut b = reqwest::Client::builder()
        .timeout(WEBHOOK_TIMEOUT)
        .use_rustls_tls()
        .tls_built_in_webpki_certs(true);
    for c in extra_roots {
        b = b.add_root_certificate(c.clone());
    }
    b.build()
}

/// An error with its causes, `outer: inner: …` (reqwest's own text stops at "error sending
/// request", the TLS reason — an unknown issuer, a name mismatch — is a cause further down).
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let t = c.to_string();
        if !out.contains(&t) {
            out.push_str(": ");
            out.push_str(&t);
        }
        cur = c.source();
    }
    out
}

/// Case events read per query.
const EVENT_BATCH: u32 = 500;

impl Notifier {
    /// A notifier for `state` that claims messages as `node` (unique per running node).
    pub fn new(state: AppState, node: impl Into<String>) -> Notifier {
        let http = webhook_client(&state.config.webhook_roots).unwrap_or_else(|e| {
            // The roots were checked when the config was read; without them only the Mozilla
            // roots are trusted.
            tracing::error!(error = %error_chain(&e), "webhook client without the extra CA");
            webhook_client(&[]).unwrap_or_default()
        });
        Notifier {
            state,
            node: node.into(),
            http,
            cursor: 0,
            settled: 0,
            seen: BTreeSet::new(),
            marks: VecDeque::new(),
            started: false,
        }
    }

    /// One pass: plan the messages of new case events, then deliver what is due.
    ///
    /// # Errors
    /// The store fails (the pass is retried on the next tick; nothing is lost).
    pub async fn pass(&mut self) -> ApiResult<PassReport> {
        let mut report = PassReport::default();
        self.plan(&mut report).await?;
        self.deliver(&mut report).await?;
        Ok(report)
    }

    async fn plan(&mut self, report: &mut PassReport) -> ApiResult<()> {
        let store = &self.state.store;
        let now = self.state.now();
        if !self.started {
            let head = store.max_event_id().await?;
            self.settled = store.notifier_progress(PROGRESS_NAME, head, now).await?;
            self.cursor = self.settled;
            self.started = true;
        }
        let webhooks = store.webhooks(true).await?;
        // Read only the actions someone wants: those that reach citizens and those the webhooks
        // follow (everything when a webhook follows every action).
        let wanted: Option<Vec<&str>> = if webhooks.iter().any(|w| w.actions.is_empty()) {
            None
        } else {
            let mut list: Vec<&str> = SMS_ACTIONS.to_vec();
            for a in webhooks.iter().flat_map(|w| w.actions.iter()) {
                if !list.contains(&a.as_str()) {
                    list.push(a.as_str());
                }
            }
            Some(list)
        };
        let filter = wanted.as_deref();
        // The newest event id before reading: once a read comes back short, every event up to
        // it has been looked at, wanted or not, so the read position moves there. (Moving it
        // only to the last *wanted* event made every pass re-read all later unwanted events:
        // 75–140 ms a second on a 100k-case store. Late commits below it are caught below.)
        let head = store.max_event_id().await?;
        // New events, in batches, up to a bound per pass so delivery is not starved.
        for _ in 0..20 {
            let events = store.events_after(self.cursor, EVENT_BATCH, filter).await?;
            let exhausted = events.len() < EVENT_BATCH as usize;
            for e in &events {
                report.events += 1;
                report.planned += self.plan_event(e, &webhooks, now).await?;
                self.seen.insert(e.id);
            }
            if let Some(last) = events.last() {
                self.cursor = self.cursor.max(last.id);
            }
            if exhausted {
                self.cursor = self.cursor.max(head);
                break;
            }
        }
        // Events that committed late, below the read position.
        if self.cursor > self.settled {
            let ids = store
                .event_ids_between(self.settled, self.cursor, filter)
                .await?;
            for id in ids {
                if self.seen.contains(&id) {
                    continue;
                }
                if let Some(e) = store.event_by_id(id).await? {
                    report.events += 1;
                    report.planned += self.plan_event(&e, &webhooks, now).await?;
                }
                self.seen.insert(id);
            }
        }
        // Settle what is old enough.
        self.marks.push_back((now, self.cursor));
        let mut settle_to = None;
        while let Some(&(at, cursor)) = self.marks.front() {
            if now.0 - at.0 < SETTLE_MS {
                break;
            }
            settle_to = Some(cursor);
            self.marks.pop_front();
        }
        if let Some(to) = settle_to
            && to > self.settled
        {
            store.advance_notifier(PROGRESS_NAME, to, now).await?;
            self.settled = to;
            self.seen = self.seen.split_off(&(to + 1));
        }
        Ok(())
    }

    /// Writes the messages of one case event; returns how many were new.
    async fn plan_event(
        &self,
        e: &StoredEvent,
        webhooks: &[Webhook],
        now: Timestamp,
    ) -> ApiResult<usize> {
        if now.0 - e.at.0 > MAX_EVENT_AGE_MS {
            return Ok(0);
        }
        let wants_sms = SMS_ACTIONS.contains(&e.action.as_str());
        let hooks: Vec<&Webhook> = webhooks
            .iter()
            .filter(|w| w.actions.is_empty() || w.actions.contains(&e.action))
            .collect();
        if !wants_sms && hooks.is_empty() {
            return Ok(0);
        }
        let store = &self.state.store;
        let Some(case) = store.get_case(e.case_id).await? else {
            return Ok(0);
        };
        let mut messages: Vec<(NewNotification, Option<i64>)> = Vec::new();
        if wants_sms {
            let department = match case.department_id {
                Some(id) => store.get_department(id).await?.map(|d| d.name),
                None => None,
            };
            let master_no = match (e.action.as_str(), case.master_case_id) {
                ("link_duplicate", Some(id)) => store.get_case(id).await?.map(|m| m.case_no),
                _ => None,
            };
            let mut to: Vec<String> = Vec::new();
            if is_citizen_channel(case.source)
                && let Some(phone) = case.reporter_phone.as_deref()
                && valid_phone(phone)
            {
                to.push(phone.to_owned());
            }
            if FOLLOWER_ACTIONS.contains(&e.action.as_str()) {
                for f in store.followers_of(case.id).await? {
                    if is_citizen_channel(f.source)
                        && valid_phone(&f.phone)
                        && !to.contains(&f.phone)
                    {
                        to.push(f.phone);
                    }
                }
            }
            if let Some(body) = sms_text(
                e,
                &case,
                &case.case_no,
                department.as_deref(),
                master_no.as_deref(),
            ) {
                for phone in to {
                    messages.push((
                        NewNotification {
                            channel: "sms".into(),
                            kind: e.action.clone(),
                            recipient: phone,
                            subject: format!("案卷 {}", case.case_no),
                            body: body.clone(),
                            case_id: Some(case.id),
                            event_id: Some(e.id),
                        },
                        None,
                    ));
                }
            }
        }
        if !hooks.is_empty() {
            let body = webhook_payload(e, &case).to_string();
            for w in hooks {
                messages.push((
                    NewNotification {
                        channel: "webhook".into(),
                        kind: e.action.clone(),
                        recipient: w.url.clone(),
                        subject: format!("{} {}", e.action, case.case_no),
                        body: body.clone(),
                        case_id: Some(case.id),
                        event_id: Some(e.id),
                    },
                    Some(w.id),
                ));
            }
        }
        let mut planned = 0;
        for (m, webhook) in &messages {
            if store
                .insert_notification_once(m, *webhook, now)
                .await?
                .is_some()
            {
                planned += 1;
            }
        }
        Ok(planned)
    }

    async fn deliver(&self, report: &mut PassReport) -> ApiResult<()> {
        let now = self.state.now();
        let stale = Timestamp(now.0 - STALE_CLAIM_MS);
        let claimed = self
            .state
            .store
            .claim_notifications(&self.node, now, stale, 50)
            .await?;
        if claimed.is_empty() {
            return Ok(());
        }
        let outcomes: Vec<(i64, Delivery)> = futures_util::stream::iter(claimed)
            .map(|n| async move {
                let outcome = self.send_one(&n).await;
                (n.id, outcome)
            })
            .buffer_unordered(8)
            .collect()
            .await;
        let done = self.state.now();
        for (id, outcome) in outcomes {
            match &outcome {
                Delivery::Sent => report.sent += 1,
                Delivery::Retry { error, .. } | Delivery::Failed { error } => {
                    tracing::warn!(id, error = %error, "notification not delivered");
                    report.failed += 1;
                }
            }
            self.state
                .store
                .finish_notification(id, &self.node, &outcome, done)
                .await?;
        }
        Ok(())
    }

    async fn send_one(&self, n: &Notification) -> Delivery {
        let now = self.state.now();
        match n.channel.as_str() {
            "sms" => match self.state.sms.send(&n.recipient, &n.body).await {
                Ok(()) => Delivery::Sent,
                Err(error) if n.attempts < MAX_SMS_ATTEMPTS => Delivery::Retry {
                    error,
                    at: retry_at(now, n.attempts),
                },
                Err(error) => Delivery::Failed { error },
            },
            "webhook" => self.post_webhook(n, now).await,
            other => Delivery::Failed {
                error: format!("unknown channel {other:?}"),
            },
        }
    }

    async fn post_webhook(&self, n: &Notification, now: Timestamp) -> Delivery {
        let hook = match n.webhook_id {
            Some(id) => self.state.store.webhook(id).await,
            None => Ok(None),
        };
        let hook = match hook {
            Ok(Some(h)) if h.active => h,
            Ok(_) => {
                return Delivery::Failed {
                    error: "the webhook was removed".into(),
                };
            }
            Err(e) => {
                return Delivery::Retry {
                    error: e.to_string(),
                    at: retry_at(now, n.attempts),
                };
            }
        };
        let result = self
            .http
            .post(&hook.url)
            .header("content-type", "application/json")
            .header("x-yiwang-event", &n.kind)
            .header("x-yiwang-delivery", n.id.to_string())
            .header(
                "x-yiwang-signature",
                signature(&hook.secret, n.body.as_bytes()),
            )
            .body(n.body.clone())
            .send()
            .await;
        let (error, permanent) = match result {
            Ok(resp) if resp.status().is_success() => return Delivery::Sent,
            Ok(resp) => {
                let s = resp.status();
                // A client error other than timeout/too-many will not change on retry.
                let permanent = s.is_client_error()
                    && s != reqwest::StatusCode::REQUEST_TIMEOUT
                    && s != reqwest::StatusCode::TOO_MANY_REQUESTS;
                (format!("HTTP {}", s.as_u16()), permanent)
            }
            Err(e) => (error_chain(&e), false),
        };
        if permanent || n.attempts >= MAX_WEBHOOK_ATTEMPTS {
            Delivery::Failed { error }
        } else {
            Delivery::Retry {
                error,
                at: retry_at(now, n.attempts),
            }
        }
    }
}

/// A name for this node's claims: random per process, so two nodes never share one.
pub fn node_name() -> String {
    format!("node-{:08x}", rand::rng().random::<u32>())
}

/// Runs the notifier until `shutdown`, one pass every [`NOTIFY_INTERVAL`].
pub fn spawn_notifier(state: AppState, shutdown: CancellationToken) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut notifier = Notifier::new(state, node_name());
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(NOTIFY_INTERVAL) => {}
            }
            match notifier.pass().await {
                Ok(r) if r.planned + r.sent + r.failed > 0 => {
                    tracing::debug!(?r, "notifier pass");
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "notifier pass failed"),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::org::Role;

    #[test]
    fn signatures_are_hmac_sha256() {
        // RFC 4231, test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn retries_back_off_to_an_hour() {
        let t = Timestamp(0);
        assert_eq!(retry_at(t, 1).0, 30_000);
        assert_eq!(retry_at(t, 2).0, 60_000);
        assert_eq!(retry_at(t, 3).0, 120_000);
        assert_eq!(retry_at(t, 8).0, 60 * Timestamp::MINUTE_MS);
        assert_eq!(retry_at(t, 50).0, 60 * Timestamp::MINUTE_MS);
    }

    fn event(action: &str, note: Option<&str>, data: serde_json::Value) -> StoredEvent {
        StoredEvent {
            id: 1,
            case_id: 1,
            action: action.into(),
            actor_id: 1,
            actor_role: Role::Operator,
            from_state: None,
            to_state: CaseState::Closed,
            note: note.map(Into::into),
            attachments: vec![],
            data,
            at: Timestamp(0),
        }
    }

    fn case(reply: Option<&str>) -> Case {
        let mut c: Case = serde_json::from_value(serde_json::json!({
            "id": 1, "case_no": "2026112400000001", "version": 1, "state": "closed",
            "source": "citizen_app", "description": "垃圾", "address": null, "lat": null,
            "lon": null, "area": [null, null, null, null], "road_id": null, "class": null, "urgency": "normal",
            "department_id": null, "assignee_id": null, "reporter_id": null,
            "reporter_name": null, "reporter_phone": null, "anonymous": false,
            "external_ref": null, "master_case_id": null, "pending": null,
            "supervision_level": 0, "rework_count": 0, "dispatch_count": 0,
            "self_handled": false, "verified": null, "check_passed": null, "clock": null,
            "first_dispatched_at": null, "reply": null, "replied_at": null, "rating": null,
            "rated_at": null, "reopen_count": 0, "created_at": 0, "updated_at": 0,
            "closed_at": null
        }))
        .expect("case");
        c.reply = reply.map(Into::into);
        c
    }

    #[test]
    fn texts_say_what_happened_in_plain_chinese() {
        let no = "2026112400000001";
        let c = case(Some("已清运"));
        let t = |action: &str, note: Option<&str>, data| {
            sms_text(
                &event(action, note, data),
                &c,
                no,
                Some("环卫中心"),
                Some("2026112400000009"),
            )
        };
        let null = serde_json::Value::Null;
        assert!(
            t("file", None, null.clone()).is_some_and(|s| s.contains("已立案") && s.contains(no))
        );
        let closed = t("close", None, null.clone()).expect("close");
        assert!(
            closed.contains("已办结")
                && closed.contains("环卫中心")
                && closed.contains("答复：已清运"),
            "{closed}"
        );
        let rejected = t("reject", Some("不属于城管职责"), null.clone()).expect("reject");
        assert!(rejected.contains("不予立案：不属于城管职责"), "{rejected}");
        let reply = t("reply", Some("正在处理"), null.clone()).expect("reply");
        assert!(reply.ends_with("正在处理"), "{reply}");
        let linked = t("link_duplicate", None, null.clone()).expect("link");
        assert!(linked.contains("2026112400000009"), "{linked}");
        // A rating reaches nobody unless it reopened the case.
        assert_eq!(
            t("rate", None, serde_json::json!({"reopened": false})),
            None
        );
        let reopened = t("rate", None, serde_json::json!({"reopened": true})).expect("rate");
        assert!(
            reopened.contains("重新办理") && reopened.contains("环卫中心"),
            "{reopened}"
        );
        // Steps inside the bureau are not texted.
        for quiet in [
            "dispatch",
            "accept_task",
            "feedback",
            "check",
            "send_verify",
            "supervise",
        ] {
            assert_eq!(t(quiet, None, null.clone()), None, "{quiet}");
        }
        // Long answers are cut.
        let long = "很".repeat(1000);
        let cut = t("reply", Some(&long), null).expect("reply");
        assert_eq!(cut.chars().count(), MAX_SMS_CHARS);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn only_public_channels_are_texted() {
        assert!(is_citizen_channel(Source::CitizenApp));
        assert!(is_citizen_channel(Source::Hotline12345));
        assert!(!is_citizen_channel(Source::Inspector));
        assert!(!is_citizen_channel(Source::Camera));
        let actions = known_actions();
        for a in SMS_ACTIONS {
            assert!(actions.contains(&a), "{a}");
        }
    }
}
