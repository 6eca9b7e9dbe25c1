//! Simulated people of the demo district working the real HTTP API: citizens, volunteers and
//! the hotline report problems with photos; the operator sends inspectors to verify; the shift
//! supervisor files, rejects, closes or orders rework; the dispatcher dispatches and decides
//! returns, extensions and suspensions; departments accept, hand back, ask for more time and
//! feed back with photos; inspectors verify and check; the leader supervises overdue cases.
//! Citizens of the 随手拍 portal sign in with an SMS code (read from the outbox, as the demo's
//! SMS sender only logs), some reporting anonymously; the operator answers 答复 closed cases and
//! reporters rate them 回访 (an unsatisfied rating sends the case back once). Two portal
//! citizens register as volunteers 志愿者 of different projects and report through the
//! volunteer channel; the admin names an honorary road chief 名誉路长.
//! Every branch of the loop keeps happening, at `pace` rounds per minute.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use domain::org::{DepartmentType, Role};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::demo::{DEMO_PASSWORD, DemoDistrict};

/// Problems people report: (description, matter class code, department type it belongs to).
pub const PROBLEMS: &[(&str, &str, DepartmentType)] = &[
    (
        "路口有成堆生活垃圾未清运",
        "06010",
        DepartmentType::Sanitation,
    ),
    (
        "人行道上垃圾、落叶未清扫",
        "06012",
        DepartmentType::Sanitation,
    ),
    (
        "小区门口堆放建筑渣土多日",
        "06011",
        DepartmentType::Sanitation,
    ),
    (
        "商户占用人行道摆摊经营",
        "09006",
        DepartmentType::Enforcement,
    ),
    (
        "店铺将货物摆到门外经营",
        "09005",
        DepartmentType::Enforcement,
    ),
    ("电线杆上贴满小广告", "07001", DepartmentType::Enforcement),
    ("路边乱堆杂物影响通行", "06036", DepartmentType::Enforcement),
    (
        "流动摊贩在公交站旁叫卖",
        "09001",
        DepartmentType::Enforcement,
    ),
    ("污水井盖破损有塌陷危险", "01002", DepartmentType::Municipal),
    ("雨水箅子缺失", "01004", DepartmentType::Municipal),
    ("路灯夜间不亮", "01037", DepartmentType::Municipal),
    ("路面坑洼破损", "06013", DepartmentType::Municipal),
    ("行道树枝干折断悬挂", "04002", DepartmentType::Landscaping),
    ("绿地内有垃圾杂物", "06017", DepartmentType::Landscaping),
    ("机动车占用盲道停放", "09009", DepartmentType::Traffic),
];

/// Phones of the citizens who use the 随手拍 portal (sign-in by SMS code).
pub const PORTAL_PHONES: &[&str] = &["13703710001", "13703710002", "13703710003"];

/// A valid 1×1 PNG, standing in for a phone photo.
pub const PHOTO_PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53,
    0xDE, 0x00, 0x00, 0x00, 0x0C, 0x49, 0x44, 0x41, 0x54, 0x08, 0xD7, 0x63, 0x98, 0x65, 0x6A, 0x0A,
    0x00, 0x02, 0xA4, 0x01, 0x37, 0x32, 0x6A, 0xC0, 0x22, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E,
    0x44, 0xAE, 0x42, 0x60, 0x82,
];

struct Actor {
    token: String,
    user_id: i64,
}

pub struct Simulation {
    base: String,
    district: Arc<DemoDistrict>,
    rng: StdRng,
    pace: u32,
    http: reqwest::Client,
    actors: HashMap<String, Actor>,
    /// The last citizen report, which a neighbour sometimes reports again (a duplicate the
    /// finder links to it).
    last_citizen_report: Option<Value>,
    /// Actors registered as volunteers 志愿者 (they report through the volunteer channel).
    volunteers: Vec<String>,
}

impl Simulation {
    pub fn new(base: String, district: Arc<DemoDistrict>, seed: u64, pace: u32) -> Simulation {
        Simulation {
            base,
            district,
            rng: StdRng::seed_from_u64(seed),
            pace: pace.max(1),
            http: reqwest::Client::new(),
            actors: HashMap::new(),
            last_citizen_report: None,
            volunteers: Vec::new(),
        }
    }

    /// Runs until cancelled. Errors of one round are logged and the next round goes on.
    pub async fn run(mut self, cancel: CancellationToken) {
        if let Err(e) = self.login_all().await {
            tracing::error!("simulation could not sign in: {e:#}");
            return;
        }
        let period = Duration::from_millis(60_000 / u64::from(self.pace));
        loop {
            tokio::select! {
                () = cancel.cancelled() => return,
                () = tokio::time::sleep(period) => {}
            }
            if let Err(e) = self.round().await {
                tracing::warn!("simulation round: {e:#}");
            }
        }
    }

    async fn login_all(&mut self) -> anyhow::Result<()> {
        let names: Vec<String> = self
            .district
            .accounts
            .iter()
            .map(|a| a.username.clone())
            .collect();
        for name in names {
            let resp: Value = self
                .http
                .post(format!("{}/api/auth/login", self.base))
                .json(&json!({"username": name, "password": DEMO_PASSWORD}))
                .send()
                .await?
                .error_for_status()
                .with_context(|| format!("login {name}"))?
                .json()
                .await?;
            let token = resp["token"].as_str().context("token")?.to_owned();
            let user_id = resp["user"]["user"]["id"].as_i64().context("user id")?;
            self.actors.insert(name, Actor { token, user_id });
        }
        // Portal citizens sign in by SMS code; a failure leaves the password citizens only.
        for (i, phone) in PORTAL_PHONES.iter().enumerate() {
            match self.sign_in_by_code(phone).await {
                Ok(actor) => {
                    self.actors.insert(format!("portal{}", i + 1), actor);
                }
                Err(e) => tracing::warn!("portal citizen {phone} could not sign in: {e:#}"),
            }
        }
        self.register_volunteers().await;
        Ok(())
    }

    /// 志愿者: two portal citizens register themselves for service projects; the admin names
    /// the password volunteer an honorary road chief 名誉路长. A refusal is logged and skipped.
    async fn register_volunteers(&mut self) {
        let street = self
            .district
            .grids
            .first()
            .map(|g| g.street_code.clone())
            .unwrap_or_default();
        let mut plan = vec![
            (
                "portal1".to_owned(),
                json!({"project": "sanitation", "organisation": "百花社区志愿服务队", "area_code": street}),
            ),
            (
                "portal2".to_owned(),
                json!({"project": "shared_bikes", "organisation": "郑州大学青年志愿者协会"}),
            ),
        ];
        if let Ok(v) = self.actor("volunteer") {
            plan.push((
                "admin".to_owned(),
                json!({"user_id": v.user_id, "project": "road_patrol", "honorary": true, "organisation": "名誉志愿路长"}),
            ));
        }
        for (who, body) in plan {
            if !self.actors.contains_key(&who) {
                continue;
            }
            let volunteer = if who == "admin" {
                "volunteer".to_owned()
            } else {
                who.clone()
            };
            match self.post(&who, "/api/volunteers", &body).await {
                Ok((status, _)) if status < 400 => self.volunteers.push(volunteer),
                Ok((status, v)) => tracing::warn!(who, status, %v, "volunteer not registered"),
                Err(e) => tracing::warn!(who, "volunteer not registered: {e:#}"),
            }
        }
    }

    /// A registered volunteer (the password volunteer if none registered).
    fn volunteer(&mut self) -> String {
        if self.volunteers.is_empty() {
            return "volunteer".to_owned();
        }
        self.volunteers[self.rng.random_range(0..self.volunteers.len())].clone()
    }

    /// Asks for a code, reads it from the outbox (as the admin) and signs in with it.
    async fn sign_in_by_code(&self, phone: &str) -> anyhow::Result<Actor> {
        let sent = self
            .http
            .post(format!("{}/api/auth/otp", self.base))
            .json(&json!({ "phone": phone }))
            .send()
            .await?;
        anyhow::ensure!(sent.status().is_success(), "otp: {}", sent.status());
        let outbox = self
            .get(
                "admin",
                &format!("/api/notifications?channel=sms&to={phone}&limit=1"),
            )
            .await?;
        let code: String = outbox["notifications"][0]["body"]
            .as_str()
            .context("no SMS in the outbox")?
            .chars()
            .filter(char::is_ascii_digit)
            .take(6)
            .collect();
        let resp: Value = self
            .http
            .post(format!("{}/api/auth/otp/verify", self.base))
            .json(&json!({ "phone": phone, "code": code }))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        Ok(Actor {
            token: resp["token"].as_str().context("token")?.to_owned(),
            user_id: resp["user"]["user"]["id"].as_i64().context("user id")?,
        })
    }

    /// Reporters: citizens of the portal (when signed in) and the password accounts.
    fn citizen(&mut self) -> String {
        let portal: Vec<String> = (1..=PORTAL_PHONES.len())
            .map(|i| format!("portal{i}"))
            .filter(|n| self.actors.contains_key(n))
            .collect();
        if !portal.is_empty() && self.chance(0.5) {
            return portal[self.rng.random_range(0..portal.len())].clone();
        }
        format!("citizen{}", self.rng.random_range(1..=3u32))
    }

    fn actor(&self, name: &str) -> anyhow::Result<&Actor> {
        self.actors
            .get(name)
            .with_context(|| format!("no actor {name}"))
    }

    async fn get(&self, who: &str, path: &str) -> anyhow::Result<Value> {
        let a = self.actor(who)?;
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&a.token)
            .send()
            .await?;
        Ok(r.error_for_status()?.json().await?)
    }

    /// POSTs JSON; API refusals (4xx) are part of life and are returned, not raised.
    async fn post(&self, who: &str, path: &str, body: &Value) -> anyhow::Result<(u16, Value)> {
        let a = self.actor(who)?;
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&a.token)
            .json(body)
            .send()
            .await?;
        let status = r.status().as_u16();
        let v = r.json().await.unwrap_or(Value::Null);
        if status >= 500 {
            anyhow::bail!("{path}: {status} {v}");
        }
        Ok((status, v))
    }

    async fn photo(&self, who: &str) -> anyhow::Result<i64> {
        let a = self.actor(who)?;
        let part = reqwest::multipart::Part::bytes(PHOTO_PNG.to_vec())
            .file_name("photo.png")
            .mime_str("image/png")?;
        let form = reqwest::multipart::Form::new().part("file", part);
        let r: Value = self
            .http
            .post(format!("{}/api/attachments", self.base))
            .bearer_auth(&a.token)
            .multipart(form)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        r["id"].as_i64().context("attachment id")
    }

    async fn act(&self, who: &str, id: i64, body: Value) -> anyhow::Result<bool> {
        let (status, v) = self
            .post(who, &format!("/api/cases/{id}/actions"), &body)
            .await?;
        if status >= 400 {
            tracing::debug!(who, id, %v, "simulated action refused");
        }
        Ok(status < 400)
    }

    async fn queue(&self, who: &str, query: &str) -> anyhow::Result<Vec<Value>> {
        let v = self
            .get(who, &format!("/api/cases?limit=5&{query}"))
            .await?;
        Ok(v["items"].as_array().cloned().unwrap_or_default())
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p.clamp(0.0, 1.0))
    }

    fn inspector_for(&self, street: &str) -> String {
        self.district
            .accounts
            .iter()
            .find(|a| a.role == Role::Inspector && a.street_code.as_deref() == Some(street))
            .map(|a| a.username.clone())
            .unwrap_or_else(|| "inspector1".into())
    }

    fn department_for(&self, t: DepartmentType, street: Option<&str>) -> Option<i64> {
        let ds = &self.district.departments;
        if t == DepartmentType::Street {
            return ds
                .iter()
                .find(|d| d.1 == t && d.3.as_deref() == street)
                .map(|d| d.0);
        }
        ds.iter().find(|d| d.1 == t).map(|d| d.0)
    }

    async fn round(&mut self) -> anyhow::Result<()> {
        self.new_reports().await?;
        self.operator().await?;
        self.inspectors().await?;
        self.supervisor().await?;
        self.dispatcher().await?;
        self.departments().await?;
        self.leader().await?;
        self.answers().await?;
        Ok(())
    }

    /// 答复 and 回访: the operator answers closed cases of the public channels; reporters rate
    /// their closed cases (mostly satisfied; an unsatisfied one is handled again, once).
    async fn answers(&mut self) -> anyhow::Result<()> {
        for c in self.queue("operator", "state=closed").await? {
            let public = matches!(
                c["source"].as_str(),
                Some("citizen_app" | "open311" | "hotline_12319" | "hotline_12345" | "volunteer")
            );
            if !public || !c["reply"].is_null() || self.chance(0.1) {
                continue;
            }
            let id = c["id"].as_i64().unwrap_or_default();
            self.act(
                "operator",
                id,
                json!({"action": "reply", "note": "您反映的问题已处置完毕，感谢您对城市管理工作的支持。"}),
            )
            .await?;
        }
        let reporters: Vec<String> = self
            .actors
            .keys()
            .filter(|n| n.starts_with("citizen") || n.starts_with("portal"))
            .cloned()
            .collect();
        for who in reporters {
            for c in self.queue(&who, "mine=true&state=closed").await? {
                if !c["rated_at"].is_null() || !self.chance(0.5) {
                    continue;
                }
                let id = c["id"].as_i64().unwrap_or_default();
                let roll = self.rng.random_range(0..100u32);
                let body = match roll {
                    0..=79 => json!({"action": "rate", "rating": "satisfied"}),
                    80..=91 => json!({"action": "rate", "rating": "basically_satisfied"}),
                    _ => {
                        json!({"action": "rate", "rating": "unsatisfied", "note": "问题没有彻底解决"})
                    }
                };
                self.act(&who, id, body).await?;
            }
        }
        Ok(())
    }

    async fn new_reports(&mut self) -> anyhow::Result<()> {
        let n = self.rng.random_range(0..3usize);
        for _ in 0..n {
            let grid =
                self.district.grids[self.rng.random_range(0..self.district.grids.len())].clone();
            let (desc, class, _) = PROBLEMS[self.rng.random_range(0..PROBLEMS.len())];
            let roll = self.rng.random_range(0..10u32);
            let (who, source) = match roll {
                0..=3 => (self.citizen(), "citizen_app"),
                4 => ("operator".to_owned(), "hotline_12319"),
                5 => ("operator".to_owned(), "hotline_12345"),
                6 => (self.volunteer(), "volunteer"),
                _ => (self.inspector_for(&grid.street_code), "inspector"),
            };
            let self_handled = source == "inspector" && self.chance(0.2);
            let photo = self.photo(&who).await?;
            // A few metres around a point inside the grid; the server geocodes it to the grid,
            // community, street and nearest road (it may land in the neighbouring grid).
            let jitter_lat = self.rng.random_range(-0.00015..0.00015);
            let jitter_lon = self.rng.random_range(-0.0002..0.0002);
            let mut body = json!({
                "source": source,
                "description": desc,
                "lat": grid.lat + jitter_lat,
                "lon": grid.lon + jitter_lon,
                "area_code": grid.street_code,
                "attachments": [photo],
                "self_handled": self_handled,
            });
            if source == "inspector" {
                body["class_code"] = json!(class);
            }
            if source.starts_with("hotline") {
                body["reporter_name"] = json!("热线来电市民");
                body["reporter_phone"] =
                    json!(format!("1390371{:04}", self.rng.random_range(0..10000u32)));
            }
            if source == "hotline_12345" {
                // 12345 转办: the platform's ticket number travels with the case.
                body["external_ref"] = json!(format!(
                    "12345-GD{:08}",
                    self.rng.random_range(0..100_000_000u32)
                ));
            }
            if source == "citizen_app" {
                if self.chance(0.2) {
                    body["anonymous"] = json!(true);
                }
                // Most citizens take the class the portal suggests.
                if self.chance(0.7) {
                    body["class_code"] = json!(class);
                }
                // Now and then a neighbour reports the same problem at the same spot again.
                if let Some(last) = self.last_citizen_report.clone()
                    && self.chance(0.15)
                {
                    body = last;
                    body["attachments"] = json!([photo]);
                } else if body.get("class_code").is_some() {
                    self.last_citizen_report = Some(body.clone());
                }
            }
            self.post(&who, "/api/cases", &body).await?;
        }
        Ok(())
    }

    async fn operator(&mut self) -> anyhow::Result<()> {
        for c in self.queue("operator", "state=reported").await? {
            let id = c["id"].as_i64().unwrap_or_default();
            if self.chance(0.06) {
                self.act(
                    "operator",
                    id,
                    json!({"action": "reject_report", "note": "非城市管理范畴，已告知来电人"}),
                )
                .await?;
                continue;
            }
            let street = c["street_code"].as_str().unwrap_or("410102002").to_owned();
            let inspector = self.inspector_for(&street);
            let inspector_id = self.actor(&inspector)?.user_id;
            self.act(
                "operator",
                id,
                json!({"action": "send_verify", "inspector_id": inspector_id}),
            )
            .await?;
        }
        for c in self.queue("operator", "state=pending_check").await? {
            let id = c["id"].as_i64().unwrap_or_default();
            let street = c["street_code"].as_str().unwrap_or("410102002").to_owned();
            let inspector = self.inspector_for(&street);
            let inspector_id = self.actor(&inspector)?.user_id;
            self.act(
                "operator",
                id,
                json!({"action": "send_check", "inspector_id": inspector_id}),
            )
            .await?;
        }
        Ok(())
    }

    async fn inspectors(&mut self) -> anyhow::Result<()> {
        let names: Vec<String> = self
            .district
            .accounts
            .iter()
            .filter(|a| a.role == Role::Inspector)
            .map(|a| a.username.clone())
            .collect();
        for who in names {
            for c in self
                .queue(&who, "assigned=true&state=verifying,checking")
                .await?
            {
                let id = c["id"].as_i64().unwrap_or_default();
                let photo = self.photo(&who).await?;
                if c["state"] == "verifying" {
                    // A routine 周期巡查 finds a problem less often than a report claims one.
                    let confirmed = self.chance(if c["source"] == "cycle" { 0.3 } else { 0.9 });
                    self.act(&who, id, json!({"action": "verify", "confirmed": confirmed, "attachments": [photo], "note": if confirmed {"现场属实"} else {"现场未发现该问题"}})).await?;
                } else {
                    let passed = self.chance(0.85);
                    self.act(&who, id, json!({"action": "check", "passed": passed, "attachments": [photo], "note": if passed {"已处置到位"} else {"仍有残留，未处置到位"}})).await?;
                }
            }
        }
        Ok(())
    }

    async fn supervisor(&mut self) -> anyhow::Result<()> {
        for c in self.queue("supervisor", "state=pending_filing").await? {
            let id = c["id"].as_i64().unwrap_or_default();
            if c["verified"] == json!(false) {
                self.act(
                    "supervisor",
                    id,
                    json!({"action": "reject", "note": "核实不属实，不予立案"}),
                )
                .await?;
                continue;
            }
            let desc = c["description"].as_str().unwrap_or_default();
            let class = PROBLEMS
                .iter()
                .find(|p| p.0 == desc)
                .map(|p| p.1)
                .unwrap_or("06010");
            let urgency = if self.chance(0.15) {
                "urgent"
            } else if self.chance(0.3) {
                "high"
            } else {
                "normal"
            };
            self.act(
                "supervisor",
                id,
                json!({"action": "file", "class_code": class, "urgency": urgency}),
            )
            .await?;
        }
        for c in self.queue("supervisor", "state=pending_close").await? {
            let id = c["id"].as_i64().unwrap_or_default();
            if c["check_passed"] == json!(true) {
                self.act("supervisor", id, json!({"action": "close"}))
                    .await?;
            } else if c["department_id"].is_null() {
                self.act(
                    "operator",
                    id,
                    json!({"action": "request_void", "note": "无法处置的自处理案件"}),
                )
                .await?;
            } else {
                self.act(
                    "supervisor",
                    id,
                    json!({"action": "rework", "note": "核查未通过，返工"}),
                )
                .await?;
            }
        }
        for c in self.queue("supervisor", "pending=void").await? {
            let id = c["id"].as_i64().unwrap_or_default();
            self.act("supervisor", id, json!({"action": "approve_void"}))
                .await?;
        }
        Ok(())
    }

    async fn dispatcher(&mut self) -> anyhow::Result<()> {
        for c in self.queue("dispatcher", "state=pending_dispatch").await? {
            let id = c["id"].as_i64().unwrap_or_default();
            let code = c["class"]["code"].as_str().unwrap_or("06010");
            let street = c["street_code"].as_str();
            let right = PROBLEMS
                .iter()
                .find(|p| p.1 == code)
                .map(|p| p.2)
                .unwrap_or(DepartmentType::Street);
            // Now and then a case goes to the wrong department first (错误派遣) and comes back.
            let t = if c["dispatch_count"] == json!(0) && self.chance(0.08) {
                DepartmentType::Street
            } else {
                right
            };
            if let Some(dept) = self.department_for(t, street) {
                self.act(
                    "dispatcher",
                    id,
                    json!({"action": "dispatch", "department_id": dept}),
                )
                .await?;
            }
        }
        for (kind, approve_p) in [("return", 0.9), ("extension", 0.7), ("suspension", 0.6)] {
            for c in self.queue("dispatcher", &format!("pending={kind}")).await? {
                let id = c["id"].as_i64().unwrap_or_default();
                let body = if self.chance(approve_p) {
                    json!({"action": format!("approve_{kind}")})
                } else {
                    json!({"action": format!("deny_{kind}"), "note": "理由不充分，请按时处置"})
                };
                self.act("dispatcher", id, body).await?;
            }
        }
        for c in self.queue("dispatcher", "state=suspended").await? {
            if self.chance(0.2) {
                let id = c["id"].as_i64().unwrap_or_default();
                self.act(
                    "dispatcher",
                    id,
                    json!({"action": "resume", "note": "条件已具备，恢复处置"}),
                )
                .await?;
            }
        }
        Ok(())
    }

    async fn departments(&mut self) -> anyhow::Result<()> {
        let handlers: Vec<(String, DepartmentType)> = self
            .district
            .accounts
            .iter()
            .filter_map(|a| a.department.map(|(_, t)| (a.username.clone(), t)))
            .collect();
        for (who, dtype) in handlers {
            for c in self.queue(&who, "state=dispatched").await? {
                let id = c["id"].as_i64().unwrap_or_default();
                let code = c["class"]["code"].as_str().unwrap_or_default();
                let mine = PROBLEMS
                    .iter()
                    .find(|p| p.1 == code)
                    .is_none_or(|p| p.2 == dtype);
                if mine {
                    self.act(&who, id, json!({"action": "accept_task"})).await?;
                } else {
                    self.act(
                        &who,
                        id,
                        json!({"action": "request_return", "note": "不属于本单位职责，申请回退"}),
                    )
                    .await?;
                }
            }
            for c in self.queue(&who, "state=handling").await? {
                if !c["pending"].is_null() {
                    continue;
                }
                let id = c["id"].as_i64().unwrap_or_default();
                let roll = self.rng.random_range(0..20u32);
                if roll == 0 {
                    self.act(&who, id, json!({"action": "request_extension", "minutes": 240, "note": "需调配机械，申请延期"})).await?;
                } else if roll == 1 {
                    self.act(&who, id, json!({"action": "request_suspension", "note": "涉及产权单位，需协调后处置"})).await?;
                } else if roll < 12 {
                    let photo = self.photo(&who).await?;
                    self.act(
                        &who,
                        id,
                        json!({"action": "feedback", "note": "已处置完毕", "attachments": [photo]}),
                    )
                    .await?;
                }
            }
        }
        Ok(())
    }

    async fn leader(&mut self) -> anyhow::Result<()> {
        // Cases late at the department are raised by the escalation rules (自动督办); the
        // leader presses by hand on the ones late at the bureau's own steps.
        for c in self.queue("leader", "light=red&supervised=false").await? {
            let at_department = matches!(c["state"].as_str(), Some("dispatched" | "handling"));
            if !at_department && self.chance(0.3) {
                let id = c["id"].as_i64().unwrap_or_default();
                self.act(
                    "leader",
                    id,
                    json!({"action": "supervise", "note": "已超期，请加快处置"}),
                )
                .await?;
            }
        }
        Ok(())
    }
}
