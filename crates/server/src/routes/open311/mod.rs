//! Open311 GeoReport v2 at `/open311/v2/` (<http://wiki.open311.org/GeoReport_v2>).
//!
//! - `GET discovery.{fmt}`, `GET services.{fmt}`, `GET services/{code}.{fmt}`,
//!   `POST requests.{fmt}`, `GET requests.{fmt}`, `GET requests/{id}.{fmt}`,
//!   `GET tokens/{token}.{fmt}`, and `GET media/{id}` (photos uploaded with a request).
//! - Services are the matter classes of the taxonomy (`service_code` = class code, `group` = the
//!   major class); every service has a definition (its filing conditions as a list, its closing
//!   condition, and for facility matters the 17-digit component code).
//! - A request enters the case loop like any report (`workflow::new_case`, source `open311`),
//!   located through the city's unit grids; its `service_request_id` is the case id, returned at
//!   once (`type` `realtime`); its token is the case number. Like `POST /api/cases`, a request
//!   that repeats an open one is linked to it at once (`duplicates::auto_link`); it keeps its own
//!   id.
//! - Each answer is built once as JSON and written as XML by [`xml`]; errors are the spec's
//!   `errors` list with 400 / 403 / 404, 429 for rate limits (with `Retry-After`).
//!
//! Format is chosen by the suffix alone; XML is the default for errors when the suffix is
//! missing or unknown. Rate limits ([`crate::ratelimit`]) are per node. See `docs/open311.md`.

pub mod xml;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::rejection::PathRejection;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use domain::area::AreaPath;
use domain::org::Role;
use domain::taxonomy::{ClassKind, TaxonomyClass, Urgency};
use domain::time::Timestamp;
use domain::workflow::{self, CaseState, ClassSnapshot, Ctx, NewReport, Source, WorkflowError};
use grid::Geocoded;
use serde_json::{Value, json};
use store::StoreError;
use store::open311::{PublicRequest, RequestQuery};

use crate::auth::{self, AuthUser};
use crate::bus::BusEvent;
use crate::dto::CaseDto;
use crate::error::ApiError;
use crate::ratelimit::{Limit, Limited, RateLimiter, client_ip};
use crate::{AppState, ServerConfig};

/// The jurisdiction this server answers for (the city's web root, as the spec suggests).
/// `jurisdiction_id` is optional on every call; when given it must be this.
pub const JURISDICTION_ID: &str = "zhengzhou.yiwang.example";

/// When this API's service list or behaviour last changed (discovery `changeset`).
pub const CHANGESET: &str = "2026-11-24T00:00:00+08:00";

/// Most requests one `GET requests` answers, and the longest `start_date`–`end_date` span.
pub const MAX_REQUESTS: u32 = 1000;
/// The default and largest span of `GET requests`, in days.
pub const MAX_SPAN_DAYS: i64 = 90;

/// Longest `description` (the spec's limit), in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 4000;
/// Longest `address_string`, in characters.
pub const MAX_ADDRESS_CHARS: usize = 200;
/// Longest `first_name` / `last_name`, in characters.
pub const MAX_NAME_CHARS: usize = 50;
/// Longest `media_url`, in characters.
pub const MAX_MEDIA_URL_CHARS: usize = 2000;
/// Longest `email`, in characters (RFC 5321 path limit).
pub const MAX_EMAIL_CHARS: usize = 254;
/// Longest `device_id` / `account_id`, in characters.
pub const MAX_ID_CHARS: usize = 100;
/// Longest attribute value, in characters.
pub const MAX_ATTRIBUTE_CHARS: usize = 500;

/// The request limits of the Open311 API, per node (the `[open311]` section of the config
/// file; see `config/yiwang.example.toml`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Every GET, per client IP.
    pub read_per_ip: Limit,
    /// `POST requests`, per client IP.
    pub post_per_ip: Limit,
    /// `POST requests`, per API key (one key usually serves a whole app's users).
    pub post_per_key: Limit,
    /// `POST requests`, per reporter phone number.
    pub post_per_phone: Limit,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            read_per_ip: Limit {
                burst: 300,
                per_minute: 1200,
            },
            post_per_ip: Limit {
                burst: 10,
                per_minute: 30,
            },
            post_per_key: Limit {
                burst: 600,
                per_minute: 12_000,
            },
            post_per_phone: Limit {
                burst: 5,
                per_minute: 1,
            },
        }
    }
}

struct Limiters {
    read_ip: RateLimiter,
    post_ip: RateLimiter,
    post_key: RateLimiter,
    post_phone: RateLimiter,
}

impl Limiters {
    fn new(l: Limits) -> Limiters {
        Limiters {
            read_ip: RateLimiter::new(l.read_per_ip, "requests from this IP address"),
            post_ip: RateLimiter::new(l.post_per_ip, "service requests from this IP address"),
            post_key: RateLimiter::new(l.post_per_key, "service requests with this api_key"),
            post_phone: RateLimiter::new(l.post_per_phone, "service requests from this phone"),
        }
    }
}

/// The Open311 routes with the configured [`Limits`] (`ServerConfig::open311_limits`).
pub fn router(config: &ServerConfig) -> Router<AppState> {
    router_with_limits(config, config.open311_limits)
}

/// The Open311 routes with the given limits (each router has its own buckets).
pub fn router_with_limits(config: &ServerConfig, limits: Limits) -> Router<AppState> {
    Router::new()
        .route(
            "/open311/v2/{file}",
            get(get_file)
                .post(post_file)
                .layer(DefaultBodyLimit::max(config.max_upload_bytes + 64 * 1024)),
        )
        .route("/open311/v2/{dir}/{file}", get(get_item))
        .layer(Extension(Arc::new(Limiters::new(limits))))
}

/// A response format, chosen by the path's suffix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Xml,
    Json,
}

impl Format {
    fn content_type(self) -> &'static str {
        match self {
            Format::Xml => "text/xml; charset=utf-8",
            Format::Json => "application/json; charset=utf-8",
        }
    }
}

/// An error in the spec's shape: `errors` ⇊ `error` {`code`, `description`}.
#[derive(Debug)]
struct Open311Error {
    status: StatusCode,
    description: String,
    retry_after_s: Option<u64>,
}

impl Open311Error {
    fn bad(description: impl Into<String>) -> Self {
        Open311Error {
            status: StatusCode::BAD_REQUEST,
            description: description.into(),
            retry_after_s: None,
        }
    }

    fn not_found(description: impl Into<String>) -> Self {
        Open311Error {
            status: StatusCode::NOT_FOUND,
            description: description.into(),
            retry_after_s: None,
        }
    }

    fn forbidden(description: impl Into<String>) -> Self {
        Open311Error {
            status: StatusCode::FORBIDDEN,
            description: description.into(),
            retry_after_s: None,
        }
    }

    fn internal(detail: String) -> Self {
        tracing::error!(%detail, "open311: internal error");
        Open311Error {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            description: "internal error; try again later".into(),
            retry_after_s: None,
        }
    }

    fn into_response(self, format: Format) -> Response {
        let code = if self.status == StatusCode::TOO_MANY_REQUESTS {
            "rate_limited"
        } else {
            "open311"
        };
        metrics::counter!("yiwang_http_errors_total", "code" => code).increment(1);
        let body = json!([{"code": self.status.as_u16(), "description": self.description}]);
        let mut resp = render(format, self.status, "errors", &body);
        if let Some(s) = self.retry_after_s {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        resp
    }
}

impl From<Limited> for Open311Error {
    fn from(l: Limited) -> Self {
        Open311Error {
            status: StatusCode::TOO_MANY_REQUESTS,
            description: l.message(),
            retry_after_s: Some(l.retry_after_s),
        }
    }
}

impl From<StoreError> for Open311Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => Open311Error::not_found(format!("{what} not found")),
            StoreError::Invalid(m) => Open311Error::bad(m),
            StoreError::ForeignKey(m) => Open311Error::bad(format!("unknown reference ({m})")),
            other => Open311Error::internal(other.to_string()),
        }
    }
}

impl From<ApiError> for Open311Error {
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::Internal(m) => Open311Error::internal(m),
            ApiError::NotFound(what) => Open311Error::not_found(format!("{what} not found")),
            ApiError::Forbidden(m) => Open311Error::forbidden(m),
            ApiError::Unauthenticated | ApiError::TokenExpired | ApiError::BadCredentials => {
                Open311Error::forbidden(
                    "Invalid api_key received -- can't proceed with create_request.",
                )
            }
            other => Open311Error::bad(other.to_string()),
        }
    }
}

impl From<WorkflowError> for Open311Error {
    fn from(e: WorkflowError) -> Self {
        match e {
            WorkflowError::Forbidden(m) => Open311Error::forbidden(m),
            other => Open311Error::bad(other.to_string()),
        }
    }
}

type Result311<T> = Result<T, Open311Error>;

/// `value` in `format`, `root` naming the XML root element.
fn render(format: Format, status: StatusCode, root: &str, value: &Value) -> Response {
    let body = match format {
        Format::Json => value.to_string(),
        Format::Xml => xml::document(root, value),
    };
    (
        status,
        [(header::CONTENT_TYPE, format.content_type())],
        Body::from(body),
    )
        .into_response()
}

/// Splits `services.json` into the resource name and format.
fn split_format(file: &str) -> Result<(&str, Format), Open311Error> {
    let Some((name, ext)) = file.rsplit_once('.') else {
        return Err(Open311Error::bad(format!(
            "add the response format to the path: {file}.xml or {file}.json"
        )));
    };
    match ext.to_ascii_lowercase().as_str() {
        "xml" => Ok((name, Format::Xml)),
        "json" => Ok((name, Format::Json)),
        other => Err(Open311Error::bad(format!(
            "unknown response format {other:?}: use .xml or .json"
        ))),
    }
}

/// Query or form parameters, in order. Empty values count as absent (the spec's rule).
#[derive(Debug, Default)]
struct Params(Vec<(String, String)>);

impl Params {
    fn parse(bytes: &[u8]) -> Result311<Params> {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(bytes)
            .map(Params)
            .map_err(|e| Open311Error::bad(format!("malformed parameters: {e}")))
    }

    fn of_query(query: Option<&str>) -> Result311<Params> {
        Params::parse(query.unwrap_or_default().as_bytes())
    }

    /// The first non-empty value of `name`, trimmed.
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .find(|v| !v.is_empty())
    }

    /// `attribute[CODE]=v` and `attribute[CODE][]=v`: code → (values, given as a list).
    fn attributes(&self) -> BTreeMap<String, (Vec<String>, bool)> {
        let mut out: BTreeMap<String, (Vec<String>, bool)> = BTreeMap::new();
        for (k, v) in &self.0 {
            let Some(rest) = k.strip_prefix("attribute[") else {
                continue;
            };
            let (code, list) = match rest.strip_suffix("][]") {
                Some(code) => (code, true),
                None => match rest.strip_suffix(']') {
                    Some(code) => (code, false),
                    None => continue,
                },
            };
            let v = v.trim();
            let entry = out.entry(code.to_owned()).or_default();
            entry.1 |= list;
            if !v.is_empty() {
                entry.0.push(v.to_owned());
            }
        }
        out
    }
}

fn check_jurisdiction(p: &Params) -> Result311<()> {
    match p.get("jurisdiction_id") {
        Some(j) if j != JURISDICTION_ID => Err(Open311Error::not_found(format!(
            "jurisdiction_id {j:?} not found; this server serves {JURISDICTION_ID}"
        ))),
        _ => Ok(()),
    }
}

fn limit_reads(state: &AppState, lim: &Limiters, ip: Option<std::net::IpAddr>) -> Result311<()> {
    if let Some(ip) = ip {
        lim.read_ip.check(&ip.to_string(), state.now())?;
    }
    Ok(())
}

/// `GET /open311/v2/{file}`: discovery, service list, request list.
async fn get_file(
    State(state): State<AppState>,
    Extension(lim): Extension<Arc<Limiters>>,
    path: Result<Path<String>, PathRejection>,
    req: Request,
) -> Response {
    let Ok(Path(file)) = path else {
        return Open311Error::bad("malformed path").into_response(Format::Xml);
    };
    let (name, format) = match split_format(&file) {
        Ok(x) => x,
        Err(e) => return e.into_response(Format::Xml),
    };
    // Only owned parts cross the awaits below (a request body is not `Sync`).
    let ip = client_ip(req.extensions());
    let query = req.uri().query().map(str::to_owned);
    let headers = req.headers().clone();
    drop(req);
    let result = async {
        limit_reads(&state, &lim, ip)?;
        let params = Params::of_query(query.as_deref())?;
        match name {
            "discovery" => Ok(Answer::Tree("discovery", discovery(&headers))),
            "services" => {
                check_jurisdiction(&params)?;
                Ok(Answer::Tree("services", services(&state).await?))
            }
            "requests" => {
                check_jurisdiction(&params)?;
                Ok(Answer::Requests(list_requests(&state, &params).await?))
            }
            other => Err(Open311Error::not_found(format!("no resource {other:?}"))),
        }
    }
    .await;
    match result {
        Ok(answer) => answer.render(format),
        Err(e) => e.into_response(format),
    }
}

/// A successful answer: a tree (discovery, services, definitions, tokens) or a list of requests.
enum Answer {
    /// The root element's name and the tree.
    Tree(&'static str, Value),
    Requests(Vec<RequestOut>),
}

impl Answer {
    fn render(self, format: Format) -> Response {
        match self {
            Answer::Tree(root, value) => render(format, StatusCode::OK, root, &value),
            Answer::Requests(list) => render_requests(format, &list),
        }
    }
}

/// `GET /open311/v2/{dir}/{file}`: service definition, one request, token, photo.
async fn get_item(
    State(state): State<AppState>,
    Extension(lim): Extension<Arc<Limiters>>,
    path: Result<Path<(String, String)>, PathRejection>,
    req: Request,
) -> Response {
    let Ok(Path((dir, file))) = path else {
        return Open311Error::bad("malformed path").into_response(Format::Xml);
    };
    let ip = client_ip(req.extensions());
    let query = req.uri().query().map(str::to_owned);
    drop(req);
    if dir == "media" {
        return match media(&state, &lim, ip, &file).await {
            Ok(r) => r,
            Err(e) => e.into_response(Format::Xml),
        };
    }
    let (item, format) = match split_format(&file) {
        Ok(x) => x,
        Err(e) => return e.into_response(Format::Xml),
    };
    let result = async {
        limit_reads(&state, &lim, ip)?;
        let params = Params::of_query(query.as_deref())?;
        check_jurisdiction(&params)?;
        match dir.as_str() {
            "services" => Ok(Answer::Tree(
                "service_definition",
                definition(&state, item).await?,
            )),
            "requests" => Ok(Answer::Requests(one_request(&state, item).await?)),
            "tokens" => Ok(Answer::Tree("service_requests", token(&state, item).await?)),
            other => Err(Open311Error::not_found(format!("no resource {other:?}"))),
        }
    }
    .await;
    match result {
        Ok(answer) => answer.render(format),
        Err(e) => e.into_response(format),
    }
}

/// `POST /open311/v2/{file}`: create a service request.
async fn post_file(
    State(state): State<AppState>,
    Extension(lim): Extension<Arc<Limiters>>,
    path: Result<Path<String>, PathRejection>,
    req: Request,
) -> Response {
    let Ok(Path(file)) = path else {
        return Open311Error::bad("malformed path").into_response(Format::Xml);
    };
    let (name, format) = match split_format(&file) {
        Ok(x) => x,
        Err(e) => return e.into_response(Format::Xml),
    };
    if name != "requests" {
        return Open311Error::not_found(format!("no resource {name:?} accepts POST"))
            .into_response(format);
    }
    match create_request(&state, &lim, req).await {
        Ok(value) => render(format, StatusCode::OK, "service_requests", &value),
        Err(e) => e.into_response(format),
    }
}

// ---------------------------------------------------------------------------------------------
// Discovery and services

fn discovery(headers: &HeaderMap) -> Value {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        });
    let scheme = match headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
    {
        Some("https") => "https",
        _ => "http",
    };
    let url = match host {
        Some(h) => format!("{scheme}://{h}/open311/v2"),
        None => "/open311/v2".to_owned(),
    };
    json!({
        "changeset": CHANGESET,
        "contact": "城市管理指挥中心 (the city management command centre): ask the administrator of this yiwang server",
        "key_service": "API keys are issued by the administrator of this yiwang server (POST /api/api-keys) to a user with the citizen or operator role",
        "max_requests": MAX_REQUESTS,
        "endpoints": [{
            "specification": "http://wiki.open311.org/GeoReport_v2",
            "url": url,
            "changeset": CHANGESET,
            "type": "production",
            "formats": ["text/xml", "application/json"],
        }],
    })
}

/// The services: every matter class, by code.
async fn matter_classes(state: &AppState) -> Result311<Vec<TaxonomyClass>> {
    let mut all: Vec<TaxonomyClass> = state
        .store
        .list_classes()
        .await?
        .into_iter()
        .filter(|c| c.kind == ClassKind::Matter)
        .collect();
    all.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(all)
}

/// The matter class with this code, from the national standard or a local extension: from the
/// node's cached taxonomy (`RulesCache`, at most `RULES_TTL_MS` old, as the calendar and node
/// limits are), so that a post costs no database read for it.
async fn matter_class(state: &AppState, code: &str) -> Result311<TaxonomyClass> {
    let rules = state.rules.get(state.now()).await?;
    rules
        .taxonomy
        .find_matter(code)
        .cloned()
        .ok_or_else(|| Open311Error::not_found(format!("service_code {code:?} not found")))
}

async fn services(state: &AppState) -> Result311<Value> {
    let list: Vec<Value> = matter_classes(state)
        .await?
        .iter()
        .map(|c| {
            json!({
                "service_code": c.code,
                "service_name": c.name,
                "description": c.filing_conditions.join("；"),
                "metadata": true,
                "type": "realtime",
                "keywords": keywords(c),
                "group": c.major_name,
            })
        })
        .collect();
    Ok(Value::Array(list))
}

fn keywords(c: &TaxonomyClass) -> String {
    let mut k = vec![
        c.major_name.clone(),
        c.department_type.label_zh().to_owned(),
    ];
    if c.is_local_extension {
        k.push("local".to_owned());
    }
    k.join(", ")
}

/// Whether a matter class concerns a facility 部件 (major classes 01–05), whose component
/// code the reporter may give.
fn is_facility_matter(c: &TaxonomyClass) -> bool {
    matches!(c.major_code.as_str(), "01" | "02" | "03" | "04" | "05")
}

/// The attribute that picks which filing condition applies.
const ATTR_CONDITION: &str = "condition";
/// The informational attribute that states when the case counts as done.
const ATTR_CLOSING: &str = "closing_condition";
/// The 17-digit component code 部件标识码 of the facility.
const ATTR_COMPONENT: &str = "component_id";

fn definition_json(c: &TaxonomyClass) -> Value {
    let values: Vec<Value> = c
        .filing_conditions
        .iter()
        .enumerate()
        .map(|(i, name)| json!({"key": (i + 1).to_string(), "name": name}))
        .collect();
    let mut attributes = vec![
        json!({
            "variable": true,
            "code": ATTR_CONDITION,
            "datatype": "singlevaluelist",
            "required": false,
            "datatype_description": "选择符合的情形 (pick the condition that applies)",
            "order": 1,
            "description": "问题属于哪种情形？ (立案条件 — which filing condition applies?)",
            "values": values,
        }),
        json!({
            "variable": false,
            "code": ATTR_CLOSING,
            "datatype": "text",
            "required": false,
            "datatype_description": null,
            "order": 2,
            "description": format!("结案标准 (done when): {}", c.closing_condition),
        }),
    ];
    if is_facility_matter(c) {
        attributes.push(json!({
            "variable": true,
            "code": ATTR_COMPONENT,
            "datatype": "string",
            "required": false,
            "datatype_description": "17 位数字，见设施上的标牌 (17 digits, on the facility's plate)",
            "order": 3,
            "description": "部件标识码 (component code), if you can read it",
        }));
    }
    json!({"service_code": c.code, "attributes": attributes})
}

async fn definition(state: &AppState, code: &str) -> Result311<Value> {
    Ok(definition_json(&matter_class(state, code).await?))
}

// ---------------------------------------------------------------------------------------------
// Reading requests

/// `open` unless the loop is over for the case.
fn status_of(s: CaseState) -> &'static str {
    match s {
        CaseState::Closed | CaseState::Rejected | CaseState::Voided | CaseState::Merged => "closed",
        _ => "open",
    }
}

/// One request as the public sees it. The fields are in alphabetical order, the order of a
/// `serde_json::Value` object's keys, so that the JSON written straight from a list of these
/// (the hot path: a thousand per answer) is byte for byte what the tree would give; the XML is
/// written from the tree of the same values (`serde_json::to_value`), so the two cannot drift.
#[derive(Debug, serde::Serialize)]
struct RequestOut {
    address: Option<String>,
    address_id: Option<()>,
    agency_responsible: Option<String>,
    description: String,
    expected_datetime: Option<String>,
    lat: Option<f64>,
    long: Option<f64>,
    media_url: Option<String>,
    requested_datetime: String,
    service_code: Option<String>,
    service_name: Option<String>,
    service_notice: Option<()>,
    service_request_id: String,
    status: &'static str,
    status_notes: String,
    updated_datetime: String,
    zipcode: Option<()>,
}

fn request_out(r: PublicRequest) -> RequestOut {
    let c = r.case;
    // The official answer 答复 when one was given, else the latest public note.
    let answer = c.reply.as_deref().or(r.public_note.as_deref());
    let status_notes = match answer.map(str::trim) {
        Some(n) if !n.is_empty() => format!("{}：{n}", c.state.label_zh()),
        _ => c.state.label_zh().to_owned(),
    };
    // The URL the client gave, else the photo it uploaded (served by `GET media/{id}`).
    let media_url = r
        .sent
        .media_url
        .or_else(|| r.sent.photo.map(|id| format!("/open311/v2/media/{id}")));
    let (service_code, service_name) = match c.class {
        Some(k) => (Some(k.code), Some(k.name)),
        None => (None, None),
    };
    RequestOut {
        address: c.address,
        address_id: None,
        agency_responsible: r.department_name,
        description: c.description,
        expected_datetime: c
            .clock
            .as_ref()
            .and_then(|k| k.deadline_at)
            .map(Timestamp::to_rfc3339),
        lat: c.lat,
        long: c.lon,
        media_url,
        requested_datetime: c.created_at.to_rfc3339(),
        service_code,
        service_name,
        service_notice: None,
        service_request_id: c.id.to_string(),
        status: status_of(c.state),
        status_notes,
        updated_datetime: c.updated_at.to_rfc3339(),
        zipcode: None,
    }
}

/// A list of requests in `format`: JSON written straight from the rows, XML from their tree.
fn render_requests(format: Format, list: &[RequestOut]) -> Response {
    let body = match format {
        Format::Json => serde_json::to_vec(list),
        Format::Xml => serde_json::to_value(list)
            .map(|tree| xml::document("service_requests", &tree).into_bytes()),
    };
    match body {
        Ok(bytes) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, format.content_type())],
            Body::from(bytes),
        )
            .into_response(),
        Err(e) => Open311Error::internal(format!("open311 requests: {e}")).into_response(format),
    }
}

/// A W3C datetime (RFC 3339 with an offset), or a date (midnight in Shanghai). A `+` that a
/// client forgot to escape arrives as a space and is read as `+`.
fn parse_datetime(field: &str, text: &str) -> Result311<Timestamp> {
    let fixed = text.replace(' ', "+");
    if let Some(t) = Timestamp::parse_rfc3339(&fixed) {
        return Ok(t);
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(Timestamp::shanghai_midnight(d));
    }
    Err(Open311Error::bad(format!(
        "{field} must be a W3C datetime with a time zone, e.g. 2026-11-24T10:00:00+08:00 (got {text:?})"
    )))
}

fn comma_list(text: &str) -> impl Iterator<Item = &str> {
    text.split(',').map(str::trim).filter(|s| !s.is_empty())
}

fn parse_id(text: &str) -> Option<i64> {
    text.trim().parse::<i64>().ok().filter(|i| *i > 0)
}

fn parse_u32(field: &str, text: Option<&str>) -> Result311<Option<u32>> {
    match text {
        None => Ok(None),
        Some(t) => t
            .parse::<u32>()
            .ok()
            .filter(|n| *n > 0)
            .map(Some)
            .ok_or_else(|| Open311Error::bad(format!("{field} must be a positive integer"))),
    }
}

async fn list_requests(state: &AppState, p: &Params) -> Result311<Vec<RequestOut>> {
    let mut q = RequestQuery {
        limit: MAX_REQUESTS,
        ..RequestQuery::default()
    };
    if let Some(ids) = p.get("service_request_id") {
        // Overrides every other argument.
        for text in comma_list(ids) {
            let id = parse_id(text).ok_or_else(|| {
                Open311Error::bad(format!("service_request_id {text:?} is not a request id"))
            })?;
            q.ids.push(id);
        }
        if q.ids.len() > MAX_REQUESTS as usize {
            return Err(Open311Error::bad(format!(
                "at most {MAX_REQUESTS} service_request_id values at once"
            )));
        }
    } else {
        if let Some(codes) = p.get("service_code") {
            q.class_codes = comma_list(codes).map(str::to_owned).collect();
        }
        if let Some(statuses) = p.get("status") {
            for s in comma_list(statuses) {
                let states = CaseState::ALL.into_iter().filter(|c| status_of(*c) == s);
                let before = q.states.len();
                q.states.extend(states);
                if q.states.len() == before {
                    return Err(Open311Error::bad(format!(
                        "status must be open or closed (comma-separated), not {s:?}"
                    )));
                }
            }
        }
        let span_ms = MAX_SPAN_DAYS * 24 * 3_600_000;
        let start = p
            .get("start_date")
            .map(|t| parse_datetime("start_date", t))
            .transpose()?;
        let end = p
            .get("end_date")
            .map(|t| parse_datetime("end_date", t))
            .transpose()?;
        let (start, end) = match (start, end) {
            (Some(s), Some(e)) => (s, e),
            (Some(s), None) => (s, Timestamp(s.0 + span_ms)),
            (None, Some(e)) => (Timestamp(e.0 - span_ms), e),
            (None, None) => {
                let now = state.now();
                (Timestamp(now.0 - span_ms), now)
            }
        };
        if end.0 < start.0 {
            return Err(Open311Error::bad("end_date is before start_date"));
        }
        if end.0 - start.0 > span_ms {
            return Err(Open311Error::bad(format!(
                "start_date to end_date spans more than {MAX_SPAN_DAYS} days"
            )));
        }
        q.created_from = Some(start);
        q.created_to = Some(end);
        // The pagination extension (page, page_size), most widely implemented.
        let page_size = parse_u32("page_size", p.get("page_size"))?.unwrap_or(MAX_REQUESTS);
        if page_size > MAX_REQUESTS {
            return Err(Open311Error::bad(format!(
                "page_size must be at most {MAX_REQUESTS}"
            )));
        }
        let page = parse_u32("page", p.get("page"))?.unwrap_or(1);
        q.limit = page_size;
        q.offset = (page - 1).saturating_mul(page_size);
    }
    let rows = state.store.open311_requests(&q).await?;
    Ok(rows.into_iter().map(request_out).collect())
}

async fn one_request(state: &AppState, id_text: &str) -> Result311<Vec<RequestOut>> {
    let not_found = || Open311Error::not_found(format!("service_request_id {id_text:?} not found"));
    let id = parse_id(id_text).ok_or_else(not_found)?;
    let rows = state
        .store
        .open311_requests(&RequestQuery {
            ids: vec![id],
            limit: 1,
            ..RequestQuery::default()
        })
        .await?;
    let first = rows.into_iter().next().ok_or_else(not_found)?;
    Ok(vec![request_out(first)])
}

async fn token(state: &AppState, token: &str) -> Result311<Value> {
    let case = state
        .store
        .get_case_by_no(token)
        .await?
        .ok_or_else(|| Open311Error::not_found(format!("token {token:?} not found")))?;
    Ok(json!([{"service_request_id": case.id.to_string(), "token": case.case_no}]))
}

/// `GET /open311/v2/media/{id}`: a photo uploaded with an Open311 request (public, like the
/// request itself). Other attachments are not served here.
async fn media(
    state: &AppState,
    lim: &Limiters,
    ip: Option<std::net::IpAddr>,
    file: &str,
) -> Result311<Response> {
    limit_reads(state, lim, ip)?;
    let not_found = || Open311Error::not_found(format!("media {file:?} not found"));
    let stem = file.split_once('.').map_or(file, |(s, _)| s);
    let id = parse_id(stem).ok_or_else(not_found)?;
    let meta = state.store.attachment(id).await?.ok_or_else(not_found)?;
    let case_id = meta.case_id.ok_or_else(not_found)?;
    let rows = state
        .store
        .open311_requests(&RequestQuery {
            ids: vec![case_id],
            limit: 1,
            ..RequestQuery::default()
        })
        .await?;
    let published = rows.first().is_some_and(|r| r.sent.photo == Some(id));
    if !published {
        return Err(not_found());
    }
    let bytes = tokio::fs::read(state.config.attachments_dir.join(&meta.path))
        .await
        .map_err(|e| Open311Error::internal(format!("open311 media {id}: {e}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, meta.content_type),
            (header::CACHE_CONTROL, "public, max-age=86400".to_owned()),
        ],
        Body::from(bytes),
    )
        .into_response())
}

// ---------------------------------------------------------------------------------------------
// Creating a request

fn check_len(field: &str, value: Option<&str>, max: usize) -> Result311<()> {
    if let Some(v) = value
        && v.chars().count() > max
    {
        return Err(Open311Error::bad(format!(
            "{field} is longer than {max} characters"
        )));
    }
    Ok(())
}

/// The digits of a phone number (with an optional leading `+`), or an error for anything
/// that is not one.
fn normalise_phone(text: &str) -> Result311<String> {
    let ok_chars = text
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().".contains(c));
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    if !ok_chars || !(5..=20).contains(&digits.len()) {
        return Err(Open311Error::bad(format!(
            "phone {text:?} is not a phone number (5 to 20 digits)"
        )));
    }
    Ok(digits)
}

fn parse_degrees(field: &str, text: &str, max: f64) -> Result311<f64> {
    text.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && (-max..=max).contains(v))
        .ok_or_else(|| {
            Open311Error::bad(format!(
                "{field} must be WGS-84 decimal degrees between -{max} and {max} (got {text:?})"
            ))
        })
}

/// Checks the given attribute values against the service definition; returns code → value(s).
fn check_attributes(
    c: &TaxonomyClass,
    given: &BTreeMap<String, (Vec<String>, bool)>,
) -> Result311<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for (code, (values, as_list)) in given {
        if values.is_empty() {
            continue;
        }
        let known = code == ATTR_CONDITION || (code == ATTR_COMPONENT && is_facility_matter(c));
        if !known {
            return Err(Open311Error::bad(format!(
                "attribute[{code}] is not an attribute of service {} (see services/{}.xml)",
                c.code, c.code
            )));
        }
        let [value] = values.as_slice() else {
            return Err(Open311Error::bad(format!(
                "attribute[{code}] takes one value, not a list"
            )));
        };
        if *as_list {
            return Err(Open311Error::bad(format!(
                "attribute[{code}] takes one value: send attribute[{code}]=…, not attribute[{code}][]"
            )));
        }
        check_len(
            &format!("attribute[{code}]"),
            Some(value),
            MAX_ATTRIBUTE_CHARS,
        )?;
        let shown = if code == ATTR_CONDITION {
            let idx = value
                .parse::<usize>()
                .ok()
                .and_then(|i| i.checked_sub(1))
                .and_then(|i| c.filing_conditions.get(i));
            match idx {
                Some(name) => name.clone(),
                None => {
                    return Err(Open311Error::bad(format!(
                        "attribute[{code}] must be one of the keys 1..{} of service {} (got {value:?})",
                        c.filing_conditions.len(),
                        c.code
                    )));
                }
            }
        } else {
            // 6 district + 2 major + 3 minor + 6 serial digits; major+minor = the class code.
            let ok = value.len() == 17
                && value.bytes().all(|b| b.is_ascii_digit())
                && value.get(6..11) == Some(c.code.as_str());
            if !ok {
                return Err(Open311Error::bad(format!(
                    "attribute[{code}] must be the 17-digit component code of a {} (digits 7–11 = {}), got {value:?}",
                    c.name, c.code
                )));
            }
            value.clone()
        };
        out.insert(code.clone(), shown);
    }
    Ok(out)
}

/// A photo sent as the multipart file field `media`.
struct Photo {
    bytes: Vec<u8>,
    name: Option<String>,
}

/// Reads the parameters (query and body) and an optional photo.
async fn read_form(state: &AppState, req: Request) -> Result311<(Params, Option<Photo>)> {
    let mut params = Params::of_query(req.uri().query())?;
    let ctype = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let limit = state.config.max_upload_bytes;
    if ctype.starts_with("multipart/form-data") {
        let mut form = Multipart::from_request(req, state).await.map_err(|e| {
            Open311Error::bad(format!("malformed multipart body: {}", e.body_text()))
        })?;
        let too_large = |e: axum::extract::multipart::MultipartError| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                Open311Error::bad(format!("the photo is larger than {limit} bytes"))
            } else {
                Open311Error::bad(format!("malformed multipart body: {}", e.body_text()))
            }
        };
        let mut photo = None;
        while let Some(mut field) = form.next_field().await.map_err(too_large)? {
            let name = field.name().unwrap_or_default().to_owned();
            if name == "media" && field.file_name().is_some() {
                let file_name = field.file_name().map(str::to_owned);
                let mut bytes = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(too_large)? {
                    if bytes.len() + chunk.len() > limit {
                        return Err(Open311Error::bad(format!(
                            "the photo is larger than {limit} bytes"
                        )));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                photo = Some(Photo {
                    bytes,
                    name: file_name,
                });
            } else {
                let text = field.text().await.map_err(too_large)?;
                params.0.push((name, text));
            }
        }
        return Ok((params, photo));
    }
    if ctype.is_empty() || ctype.starts_with("application/x-www-form-urlencoded") {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                Open311Error::bad(format!("the request body is larger than {limit} bytes"))
            } else {
                Open311Error::bad(format!("unreadable body: {}", e.body_text()))
            }
        })?;
        params.0.extend(Params::parse(&bytes)?.0);
        return Ok((params, None));
    }
    Err(Open311Error::bad(format!(
        "send the request as application/x-www-form-urlencoded (or multipart/form-data with a photo), not {ctype}"
    )))
}

/// Stores a photo (JPEG, PNG or WebP) as an attachment of `uploader`; returns its id.
async fn save_photo(state: &AppState, uploader: i64, photo: Photo) -> Result311<i64> {
    if photo.bytes.is_empty() {
        return Err(Open311Error::bad("the photo is empty"));
    }
    let (content_type, ext) = super::attachments::sniff_image(&photo.bytes)
        .ok_or_else(|| Open311Error::bad("the photo must be a JPEG, PNG or WebP image"))?;
    let saved = super::attachments::save_image(
        state,
        uploader,
        &photo.bytes,
        content_type,
        ext,
        photo.name,
    )
    .await?;
    Ok(saved.id)
}

async fn authenticate_key(state: &AppState, key: &str) -> Result311<AuthUser> {
    let mut headers = HeaderMap::new();
    let value = HeaderValue::from_str(key).map_err(|_| {
        Open311Error::forbidden("Invalid api_key received -- can't proceed with create_request.")
    })?;
    headers.insert("x-api-key", value);
    let user = auth::authenticate(state, &headers).await?;
    let may_report = Source::Open311
        .reporter_roles()
        .iter()
        .any(|r| user.caller.has_role(*r));
    if !may_report {
        let roles: Vec<&str> = Source::Open311
            .reporter_roles()
            .iter()
            .map(|r: &Role| r.as_str())
            .collect();
        return Err(Open311Error::forbidden(format!(
            "this api_key's user may not create requests (needs the role {})",
            roles.join(" or ")
        )));
    }
    Ok(user)
}

async fn create_request(state: &AppState, lim: &Limiters, req: Request) -> Result311<Value> {
    let now = state.now();
    if let Some(ip) = client_ip(req.extensions()) {
        lim.post_ip.check(&ip.to_string(), now)?;
    }
    let (p, photo) = read_form(state, req).await?;
    let key = p.get("api_key").ok_or_else(|| {
        Open311Error::forbidden("api_key is required -- can't proceed with create_request.")
    })?;
    let auth = authenticate_key(state, key).await?;
    lim.post_key.check(&auth::token_hash(key), now)?;
    check_jurisdiction(&p)?;
    let code = p
        .get("service_code")
        .ok_or_else(|| Open311Error::bad("service_code is required"))?;
    let class = matter_class(state, code).await?;

    // Location: lat+long (address_string alone cannot be located: there is no address
    // geocoder yet, and a case must lie in a unit grid to reach anyone's queue).
    let (lat, lon) = match (p.get("lat"), p.get("long")) {
        (Some(lat), Some(lon)) => (
            parse_degrees("lat", lat, 90.0)?,
            parse_degrees("long", lon, 180.0)?,
        ),
        (Some(_), None) | (None, Some(_)) => {
            return Err(Open311Error::bad("lat and long must be given together"));
        }
        (None, None) => {
            return Err(Open311Error::bad(
                if p.get("address_string").is_some() || p.get("address_id").is_some() {
                    "lat and long are required: this jurisdiction cannot locate an address_string or address_id alone"
                } else {
                    "a location is required: lat and long (WGS-84)"
                },
            ));
        }
    };
    let city = state.city.get();
    if !city.has_grids() {
        return Err(Open311Error::bad(
            "this jurisdiction cannot locate points yet (no unit grids are loaded)",
        ));
    }
    let loc = match city.locate(lon, lat) {
        Ok(Geocoded::Inside(loc)) => loc,
        Ok(Geocoded::Outside { .. }) => {
            return Err(Open311Error::bad(format!(
                "lat={lat} long={lon} is outside the jurisdiction {JURISDICTION_ID}"
            )));
        }
        Err(e) => return Err(Open311Error::bad(format!("lat/long: {e}"))),
    };
    let grid = domain::area::AreaCode::parse(&loc.grid.code)
        .map_err(|e| Open311Error::internal(format!("grid code {}: {e}", loc.grid.code)))?;

    let attributes = check_attributes(&class, &p.attributes())?;
    let description = p.get("description");
    check_len("description", description, MAX_DESCRIPTION_CHARS)?;
    let address_string = p.get("address_string");
    check_len("address_string", address_string, MAX_ADDRESS_CHARS)?;
    let first = p.get("first_name");
    let last = p.get("last_name");
    check_len("first_name", first, MAX_NAME_CHARS)?;
    check_len("last_name", last, MAX_NAME_CHARS)?;
    let email = p.get("email");
    check_len("email", email, MAX_EMAIL_CHARS)?;
    if let Some(e) = email
        && !e.contains('@')
    {
        return Err(Open311Error::bad(format!(
            "email {e:?} is not an e-mail address"
        )));
    }
    for f in ["device_id", "account_id"] {
        check_len(f, p.get(f), MAX_ID_CHARS)?;
    }
    let media_url = p.get("media_url");
    check_len("media_url", media_url, MAX_MEDIA_URL_CHARS)?;
    if let Some(u) = media_url
        && !(u.starts_with("https://") || u.starts_with("http://"))
    {
        return Err(Open311Error::bad("media_url must be an http or https URL"));
    }
    let phone = match p.get("phone") {
        Some(ph) => {
            let digits = normalise_phone(ph)?;
            lim.post_phone.check(&digits, now)?;
            Some(ph.to_owned())
        }
        None => None,
    };
    let photo_id = match photo {
        Some(ph) => Some(save_photo(state, auth.caller.user_id, ph).await?),
        None => None,
    };

    let rules = state.rules.get(now).await?;
    let mut note_lines = Vec::new();
    if let Some(c) = attributes.get(ATTR_CONDITION) {
        note_lines.push(format!("立案条件：{c}"));
    }
    if let Some(c) = attributes.get(ATTR_COMPONENT) {
        note_lines.push(format!("部件标识码：{c}"));
    }
    let name = [first, last]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let report = NewReport {
        source: Source::Open311,
        description: description.unwrap_or(&class.name).to_owned(),
        address: Some(address_string.map_or(loc.address, str::to_owned)),
        lat: Some(lat),
        lon: Some(lon),
        area: AreaPath::of(&grid),
        road_id: loc.road.map(|r| r.id),
        class: Some(ClassSnapshot {
            standard_ref: class.standard_ref.clone(),
            kind: class.kind,
            code: class.code.clone(),
            name: class.name.clone(),
            limits: class.limits,
        }),
        urgency: Urgency::Normal,
        reporter_name: (!name.is_empty()).then_some(name),
        reporter_phone: phone,
        anonymous: false,
        external_ref: None,
        self_handled: false,
        attachments: photo_id.into_iter().collect(),
        note: (!note_lines.is_empty()).then(|| note_lines.join("\n")),
    };
    let ctx = Ctx {
        calendar: &rules.calendar,
        limits: &rules.limits,
        now,
    };
    let mut t = workflow::new_case(&auth.caller, report, &ctx)?;
    if let Some(data) = t.event.data.as_object_mut() {
        data.insert(
            "open311".into(),
            json!({
                "media_url": media_url,
                "photo": photo_id,
                "email": email,
                "device_id": p.get("device_id"),
                "account_id": p.get("account_id"),
                "attributes": attributes,
            }),
        );
    }
    let case = state.store.insert_case(&t).await?;
    metrics::counter!("yiwang_case_transitions_total", "action" => t.event.action).increment(1);
    state.bus.publish(BusEvent::CaseChanged {
        action: t.event.action.to_owned(),
        actor_id: auth.caller.user_id,
        case: Box::new(CaseDto::new(&case, now, &rules.calendar, false)),
        followers: Vec::new(),
    });
    // 疑似重复: like `POST /api/cases`, a report the finder is sure of joins its master at
    // once. The request keeps its own id (its status then reads closed, with the link's note).
    let mut notice = format!(
        "案卷号 {}：可凭此号查询办理进度 (case number; token for GET tokens/{}.json)",
        case.case_no, case.case_no
    );
    match super::duplicates::auto_link(state, &case).await {
        Ok(Some(master)) => {
            notice.push_str(&format!(
                "；已与请求 {master} 合并办理 (linked to service_request_id {master}, the same problem reported earlier)"
            ));
        }
        Ok(None) => {}
        Err(e) => {
            tracing::warn!(case_id = case.id, error = %e, "automatic duplicate link refused");
        }
    }
    Ok(json!([{
        "service_request_id": case.id.to_string(),
        "service_notice": notice,
        "account_id": p.get("account_id"),
    }]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_parameters_count_as_absent_and_attributes_are_grouped() {
        let p = Params::parse(
            b"a=&a=2&attribute%5Bcondition%5D=1&attribute[x][]=p&attribute[x][]=q&attribute[y]=&attribute[bad=1",
        )
        .expect("parse");
        assert_eq!(p.get("a"), Some("2"));
        assert_eq!(p.get("missing"), None);
        let attrs = p.attributes();
        assert_eq!(attrs.get("condition"), Some(&(vec!["1".to_owned()], false)));
        assert_eq!(
            attrs.get("x"),
            Some(&(vec!["p".to_owned(), "q".to_owned()], true))
        );
        assert_eq!(attrs.get("y"), Some(&(vec![], false)));
        assert_eq!(attrs.len(), 3);
    }

    #[test]
    fn formats_come_from_the_suffix() {
        assert_eq!(
            split_format("services.json").ok(),
            Some(("services", Format::Json))
        );
        assert_eq!(split_format("06010.XML").ok(), Some(("06010", Format::Xml)));
        assert!(split_format("services").is_err());
        assert!(split_format("services.html").is_err());
    }

    #[test]
    fn datetimes_need_a_zone_and_an_unescaped_plus_is_forgiven() {
        let t = parse_datetime("d", "2026-11-24T10:00:00+08:00").expect("t");
        assert_eq!(t.to_rfc3339(), "2026-11-24T10:00:00+08:00");
        assert_eq!(
            parse_datetime("d", "2026-11-24T10:00:00 08:00").ok(),
            Some(t)
        );
        assert_eq!(parse_datetime("d", "2026-11-24T02:00:00Z").ok(), Some(t));
        assert_eq!(
            parse_datetime("d", "2026-11-24")
                .expect("date")
                .to_rfc3339(),
            "2026-11-24T00:00:00+08:00"
        );
        assert!(parse_datetime("d", "2026-11-24T10:00:00").is_err());
        assert!(parse_datetime("d", "yesterday").is_err());
    }

    #[test]
    fn phones_are_digits_with_common_separators() {
        assert_eq!(
            normalise_phone("+86 138-1234-5678").ok().as_deref(),
            Some("8613812345678")
        );
        assert!(normalise_phone("call me").is_err());
        assert!(normalise_phone("123").is_err());
    }

    #[test]
    fn only_finished_cases_are_closed() {
        let closed: Vec<CaseState> = CaseState::ALL
            .into_iter()
            .filter(|s| status_of(*s) == "closed")
            .collect();
        assert_eq!(
            closed,
            [
                CaseState::Closed,
                CaseState::Rejected,
                CaseState::Voided,
                CaseState::Merged
            ]
        );
    }
}
