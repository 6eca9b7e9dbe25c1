//! Tests of the OpenAPI document: well-formed 3.1, every `$ref` resolves, the documented routes
//! are exactly the registered ones (read from the router sources and probed at run time),
//! enumerations and action rules equal the domain's, error codes equal what the sources
//! produce, real responses fit the documented schemas, and the docs page is self-contained.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use domain::area::{AreaCode, AreaPath};
use domain::calendar::{WorkCalendar, WorkSchedule};
use domain::org::{Caller, DepartmentType, Role, RoleGrant};
use domain::taxonomy::Urgency;
use domain::time::Timestamp;
use domain::workflow::{
    self, CaseState, Command, Ctx, Evidence, NewReport, NodeLimits, PendingRequest, Source,
    WorkflowError,
};
use futures_util::StreamExt;
use serde_json::{Value, json};
use store::{Area, ConnectOptions, NewUser, Position, Reading, Store};
use tower::ServiceExt;

use super::{ERROR_CODES, PhotoRule, actions, document, error_code};
use crate::error::ApiError;
use crate::{AppState, ServerConfig};

const METHODS: [&str; 5] = ["get", "post", "put", "delete", "patch"];

// ---------------------------------------------------------------------------------------------
// Helpers

async fn state_with(config: ServerConfig) -> AppState {
    let store = Store::open(&ConnectOptions::new("sqlite::memory:"))
        .await
        .expect("open store");
    AppState::new(store, config)
}

async fn plain_app() -> Router {
    crate::router(state_with(ServerConfig::default()).await)
}

async fn send(app: &Router, req: Request<Body>) -> (StatusCode, HeaderMap, Bytes) {
    let resp = app.clone().oneshot(req).await.expect("infallible");
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .expect("body");
    (status, headers, body)
}

fn get(uri: &str) -> Request<Body> {
    Request::builder()
        .uri(uri)
        .body(Body::empty())
        .expect("request")
}

/// Every `(method, path)` the document describes.
fn documented() -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in document()["paths"].as_object().expect("paths") {
        for m in METHODS {
            if item.get(m).is_some() {
                out.insert((m.to_owned(), path.clone()));
            }
        }
    }
    out
}

/// Every operation: `(method, path, operation)`.
fn operations() -> Vec<(String, String, &'static Value)> {
    let mut out = Vec::new();
    for (path, item) in document()["paths"].as_object().expect("paths") {
        for m in METHODS {
            if let Some(op) = item.get(m) {
                out.push((m.to_owned(), path.clone(), op));
            }
        }
    }
    out
}

fn resolve<'a>(doc: &'a Value, reference: &str) -> Option<&'a Value> {
    doc.pointer(reference.strip_prefix('#')?)
}

fn schema_enum(name: &str) -> Vec<String> {
    document()["components"]["schemas"][name]["enum"]
        .as_array()
        .unwrap_or_else(|| panic!("schema {name} has no enum"))
        .iter()
        .map(|v| v.as_str().expect("string enum").to_owned())
        .collect()
}

fn strs<'a>(v: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    v.into_iter().map(str::to_owned).collect()
}

// ---------------------------------------------------------------------------------------------
// A small JSON Schema checker for what the document uses

struct Checker<'a> {
    doc: &'a Value,
    /// Objects with `properties` and no `additionalProperties` refuse unknown keys (responses:
    /// a field the server adds must be documented).
    strict: bool,
}

impl Checker<'_> {
    fn errors(&self, schema: &Value, v: &Value) -> Vec<String> {
        let mut errs = Vec::new();
        self.check(schema, v, "$", &mut errs);
        errs
    }

    fn check(&self, schema: &Value, v: &Value, at: &str, errs: &mut Vec<String>) {
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            match resolve(self.doc, reference) {
                Some(target) => self.check(target, v, at, errs),
                None => errs.push(format!("{at}: unresolved {reference}")),
            }
            return;
        }
        if let Some(list) = schema.get("anyOf").and_then(Value::as_array)
            && !list.iter().any(|s| self.errors_at(s, v, at).is_empty())
        {
            errs.push(format!("{at}: matches no anyOf alternative: {v}"));
        }
        if let Some(list) = schema.get("oneOf").and_then(Value::as_array) {
            let n = list
                .iter()
                .filter(|s| self.errors_at(s, v, at).is_empty())
                .count();
            if n != 1 {
                errs.push(format!("{at}: matches {n} oneOf alternatives"));
            }
        }
        if let Some(list) = schema.get("allOf").and_then(Value::as_array) {
            for s in list {
                self.check(s, v, at, errs);
            }
        }
        if let Some(cond) = schema.get("if")
            && self.errors_at(cond, v, at).is_empty()
            && let Some(then) = schema.get("then")
        {
            self.check(then, v, at, errs);
        }
        if let Some(c) = schema.get("const")
            && c != v
        {
            errs.push(format!("{at}: {v} is not {c}"));
        }
        if let Some(list) = schema.get("enum").and_then(Value::as_array)
            && !list.contains(v)
        {
            errs.push(format!("{at}: {v} is not one of {list:?}"));
        }
        if let Some(t) = schema.get("type") {
            let types: Vec<&str> = match t {
                Value::String(s) => vec![s.as_str()],
                Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                _ => vec![],
            };
            let ok = types.iter().any(|t| match *t {
                "null" => v.is_null(),
                "boolean" => v.is_boolean(),
                "integer" => v.is_i64() || v.is_u64(),
                "number" => v.is_number(),
                "string" => v.is_string(),
                "array" => v.is_array(),
                "object" => v.is_object(),
                _ => false,
            });
            if !ok {
                errs.push(format!("{at}: {v} is not of type {t}"));
                return;
            }
        }
        if let Some(n) = v.as_f64() {
            if let Some(min) = schema.get("minimum").and_then(Value::as_f64)
                && n < min
            {
                errs.push(format!("{at}: {n} < minimum {min}"));
            }
            if let Some(max) = schema.get("maximum").and_then(Value::as_f64)
                && n > max
            {
                errs.push(format!("{at}: {n} > maximum {max}"));
            }
        }
        if let Some(s) = v.as_str() {
            match schema.get("format").and_then(Value::as_str) {
                Some("date-time") if chrono::DateTime::parse_from_rfc3339(s).is_err() => {
                    errs.push(format!("{at}: {s:?} is not RFC 3339"));
                }
                Some("date") if chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_err() => {
                    errs.push(format!("{at}: {s:?} is not a date"));
                }
                _ => {}
            }
            if let Some(min) = schema.get("minLength").and_then(Value::as_u64)
                && (s.chars().count() as u64) < min
            {
                errs.push(format!("{at}: shorter than {min}"));
            }
            if let Some(max) = schema.get("maxLength").and_then(Value::as_u64)
                && (s.chars().count() as u64) > max
            {
                errs.push(format!("{at}: longer than {max}"));
            }
        }
        if let Some(items) = v.as_array() {
            if let Some(min) = schema.get("minItems").and_then(Value::as_u64)
                && (items.len() as u64) < min
            {
                errs.push(format!("{at}: fewer than {min} items"));
            }
            if let Some(max) = schema.get("maxItems").and_then(Value::as_u64)
                && (items.len() as u64) > max
            {
                errs.push(format!("{at}: more than {max} items"));
            }
            let prefix = schema.get("prefixItems").and_then(Value::as_array);
            for (i, item) in items.iter().enumerate() {
                let at = format!("{at}[{i}]");
                if let Some(s) = prefix.and_then(|p| p.get(i)) {
                    self.check(s, item, &at, errs);
                } else if let Some(s) = schema.get("items") {
                    self.check(s, item, &at, errs);
                }
            }
        }
        if let Some(obj) = v.as_object() {
            let props = schema.get("properties").and_then(Value::as_object);
            if let Some(req) = schema.get("required").and_then(Value::as_array) {
                for k in req.iter().filter_map(Value::as_str) {
                    if !obj.contains_key(k) {
                        errs.push(format!("{at}: missing required {k:?}"));
                    }
                }
            }
            if let Some(props) = props {
                for (k, s) in props {
                    if let Some(x) = obj.get(k) {
                        self.check(s, x, &format!("{at}.{k}"), errs);
                    }
                }
            }
            let additional = schema.get("additionalProperties");
            let closed = additional == Some(&Value::Bool(false))
                || (self.strict && additional.is_none() && props.is_some());
            if closed {
                for k in obj.keys() {
                    if !props.is_some_and(|p| p.contains_key(k)) {
                        errs.push(format!("{at}: undocumented property {k:?}"));
                    }
                }
            }
        }
        if let Some(dep) = schema.get("dependentRequired").and_then(Value::as_object)
            && let Some(obj) = v.as_object()
        {
            for (k, needs) in dep {
                if obj.contains_key(k) {
                    for n in needs
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                    {
                        if !obj.contains_key(n) {
                            errs.push(format!("{at}: {k:?} needs {n:?}"));
                        }
                    }
                }
            }
        }
    }

    fn errors_at(&self, schema: &Value, v: &Value, at: &str) -> Vec<String> {
        let mut errs = Vec::new();
        self.check(schema, v, at, &mut errs);
        errs
    }
}

// ---------------------------------------------------------------------------------------------
// The document itself

#[tokio::test]
async fn document_is_openapi_3_1_and_served_as_json() {
    let doc = document();
    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1.")),
        "{}",
        doc["openapi"]
    );
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    let app = plain_app().await;
    let (status, headers, body) = send(&app, get("/api/openapi.json")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    let served: Value = serde_json::from_slice(&body).expect("valid JSON");
    assert_eq!(&served, doc);
}

#[test]
fn every_ref_resolves_and_every_schema_is_used() {
    fn walk(v: &Value, refs: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    refs.push(r.clone());
                }
                m.values().for_each(|x| walk(x, refs));
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, refs)),
            _ => {}
        }
    }
    let doc = document();
    let mut refs = Vec::new();
    walk(doc, &mut refs);
    assert!(!refs.is_empty());
    for r in &refs {
        assert!(
            r.starts_with("#/components/schemas/"),
            "unexpected $ref {r}"
        );
        assert!(resolve(doc, r).is_some(), "$ref {r} does not resolve");
    }
    let used: BTreeSet<&str> = refs
        .iter()
        .filter_map(|r| r.strip_prefix("#/components/schemas/"))
        .collect();
    for name in doc["components"]["schemas"]
        .as_object()
        .expect("schemas")
        .keys()
    {
        assert!(
            used.contains(name.as_str()),
            "schema {name} is never referenced"
        );
    }
}

#[test]
fn operations_are_well_formed() {
    let doc = document();
    let tags: BTreeSet<&str> = doc["tags"]
        .as_array()
        .expect("tags")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    let schemes: BTreeSet<&String> = doc["components"]["securitySchemes"]
        .as_object()
        .expect("schemes")
        .keys()
        .collect();
    let mut ids = BTreeSet::new();
    for (method, path, op) in operations() {
        let what = format!("{method} {path}");
        let id = op["operationId"]
            .as_str()
            .unwrap_or_else(|| panic!("{what}: no operationId"));
        assert!(ids.insert(id), "{what}: duplicate operationId {id}");
        assert!(
            op["summary"].as_str().is_some_and(|s| !s.is_empty()),
            "{what}: no summary"
        );
        let op_tags = op["tags"]
            .as_array()
            .unwrap_or_else(|| panic!("{what}: no tags"));
        assert!(
            op_tags
                .iter()
                .all(|t| t.as_str().is_some_and(|t| tags.contains(t))),
            "{what}"
        );
        // Security: [] (public) or alternatives of declared schemes.
        let security = op["security"]
            .as_array()
            .unwrap_or_else(|| panic!("{what}: no security"));
        for alt in security {
            for k in alt.as_object().expect("requirement").keys() {
                assert!(schemes.contains(k), "{what}: unknown scheme {k}");
            }
        }
        // Path parameters are exactly the template's placeholders.
        let placeholders: BTreeSet<&str> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .collect();
        let params = op["parameters"].as_array().cloned().unwrap_or_default();
        let in_path: BTreeSet<String> = params
            .iter()
            .filter(|p| p["in"] == "path")
            .map(|p| {
                assert_eq!(p["required"], true, "{what}: path parameter not required");
                p["name"].as_str().expect("name").to_owned()
            })
            .collect();
        assert_eq!(
            in_path,
            placeholders
                .iter()
                .map(|s| (*s).to_owned())
                .collect::<BTreeSet<_>>(),
            "{what}: path parameters"
        );
        for p in &params {
            assert!(p["schema"].is_object(), "{what}: parameter without schema");
        }
        // Responses: described; error responses list codes of their own status.
        let responses = op["responses"]
            .as_object()
            .unwrap_or_else(|| panic!("{what}: no responses"));
        assert!(
            responses.keys().any(|s| s.starts_with('2')),
            "{what}: no success response"
        );
        for (status, resp) in responses {
            assert!(
                resp["description"].is_string(),
                "{what} {status}: no description"
            );
            if let Some(codes) = resp.get("x-error-codes") {
                for c in codes.as_array().expect("codes") {
                    let c = c.as_str().expect("code");
                    let e = error_code(c).unwrap_or_else(|| panic!("{what}: unknown code {c}"));
                    assert_eq!(e.status.to_string(), *status, "{what}: {c} under {status}");
                }
            }
        }
        // Signed-in operations can meet the authentication failures.
        if !security.is_empty() {
            let listed: Vec<&str> = responses
                .values()
                .filter_map(|r| r.get("x-error-codes"))
                .flat_map(|c| c.as_array().into_iter().flatten())
                .filter_map(Value::as_str)
                .collect();
            for c in ["unauthenticated", "token_expired", "internal"] {
                assert!(listed.contains(&c), "{what}: does not list {c}");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Routes: documented = registered

/// Removes `//` comments (outside string literals).
fn strip_comments(src: &str) -> String {
    src.lines()
        .map(|line| {
            let mut in_str = false;
            let mut prev = ' ';
            for (i, c) in line.char_indices() {
                if c == '"' && prev != '\\' {
                    in_str = !in_str;
                } else if !in_str && c == '/' && prev == '/' {
                    return line[..i - 1].to_owned();
                }
                prev = c;
            }
            line.to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The text of the call whose `(` is at `open` (exclusive of both parentheses).
fn call_args(text: &str, open: usize) -> &str {
    let mut depth = 0;
    let mut in_str = false;
    let mut prev = ' ';
    for (i, c) in text[open..].char_indices() {
        match c {
            '"' if prev != '\\' => in_str = !in_str,
            '(' if !in_str => depth += 1,
            ')' if !in_str => {
                depth -= 1;
                if depth == 0 {
                    return &text[open + 1..open + i];
                }
            }
            _ => {}
        }
        prev = c;
    }
    panic!("unbalanced parentheses after byte {open}");
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The routes a router source file registers and the modules whose routers it merges.
fn routes_in(file: &Path) -> (Vec<(String, String)>, Vec<String>) {
    let text = strip_comments(
        &std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display())),
    );
    let name = file.display();
    for unsupported in [".nest(", ".nest_service(", ".route_service("] {
        assert!(
            !text.contains(unsupported),
            "{name} uses {unsupported}: teach openapi_tests.rs to read it"
        );
    }
    let mut routes = Vec::new();
    for (at, _) in text.match_indices(".route(") {
        let args = call_args(&text, at + ".route".len());
        let args = args.trim_start();
        let path = args
            .strip_prefix('"')
            .and_then(|a| a.split_once('"'))
            .map(|(p, _)| p)
            .unwrap_or_else(|| panic!("{name}: a route whose path is not a string literal"));
        let methods: Vec<String> = [
            "get", "post", "put", "delete", "patch", "head", "options", "any", "on",
        ]
        .iter()
        .filter(|m| {
            args.match_indices(&format!("{m}("))
                .any(|(i, _)| !args[..i].ends_with(is_ident))
        })
        .map(|m| (*m).to_owned())
        .collect();
        assert!(
            !methods.is_empty(),
            "{name}: route {path} has no method router"
        );
        for m in methods {
            assert!(
                METHODS.contains(&m.as_str()),
                "{name}: route {path} uses {m}(); document it and teach the test"
            );
            routes.push((m, path.to_owned()));
        }
    }
    let mut merged = Vec::new();
    for (at, _) in text.match_indices(".merge(") {
        let args = call_args(&text, at + ".merge".len()).trim();
        let module = args
            .strip_suffix(')')
            .and_then(|a| a.split_once("::router("))
            .map(|(m, _)| m)
            .filter(|m| m.chars().all(is_ident))
            .unwrap_or_else(|| {
                panic!("{name}: .merge({args}) is not `module::router(…)`; teach the test")
            });
        merged.push(module.to_owned());
    }
    (routes, merged)
}

/// The file of child module `module` of the module in `file`.
fn module_file(file: &Path, module: &str) -> PathBuf {
    let dir = match file.file_name().and_then(|n| n.to_str()) {
        Some("lib.rs" | "mod.rs") => file.parent().expect("dir").to_path_buf(),
        _ => file.with_extension(""),
    };
    let flat = dir.join(format!("{module}.rs"));
    if flat.exists() {
        flat
    } else {
        dir.join(module).join("mod.rs")
    }
}

/// Every route of `crate::router`, read from the sources: `lib.rs` and, recursively, the
/// routers it merges.
fn registered() -> BTreeSet<(String, String)> {
    let lib = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs");
    let mut out = BTreeSet::new();
    let mut todo = vec![lib];
    let mut seen = BTreeSet::new();
    while let Some(file) = todo.pop() {
        if !seen.insert(file.clone()) {
            continue;
        }
        let (routes, merged) = routes_in(&file);
        out.extend(routes);
        todo.extend(merged.iter().map(|m| module_file(&file, m)));
    }
    out
}

#[test]
fn documented_routes_are_exactly_the_registered_ones() {
    let registered = registered();
    // Sanity: the reader found the routers it should have.
    for must in [
        ("get", "/api/cases/{id}"),
        ("post", "/api/attachments"),
        ("get", "/api/events"),
        ("get", "/metrics"),
        ("get", "/api/openapi.json"),
        ("put", "/api/config/work-schedule"),
    ] {
        assert!(
            registered.contains(&(must.0.to_owned(), must.1.to_owned())),
            "reader missed {must:?}"
        );
    }
    let documented = documented();
    let undocumented: Vec<_> = registered.difference(&documented).collect();
    let unregistered: Vec<_> = documented.difference(&registered).collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from the OpenAPI document: {undocumented:?}"
    );
    assert!(
        unregistered.is_empty(),
        "documented but not registered: {unregistered:?}"
    );
}

async fn record_matched_path(req: Request, next: Next) -> Response {
    let matched = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned());
    let mut resp = next.run(req).await;
    if let Some(m) = matched.and_then(|m| HeaderValue::from_str(&m).ok()) {
        resp.headers_mut().insert("x-test-matched-path", m);
    }
    resp
}

/// A concrete path for a template.
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|s| match s {
            "{id}" => "1",
            "{code}" => "110101",
            "{kind}" => "matter",
            "{year}" => "2026",
            other if other.starts_with('{') => "x",
            other => other,
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn documented_routes_are_routed_and_other_methods_are_not() {
    let app = plain_app()
        .await
        .layer(axum::middleware::from_fn(record_matched_path));
    let documented = documented();
    let paths: BTreeSet<&String> = documented.iter().map(|(_, p)| p).collect();
    for path in paths {
        for m in METHODS {
            let method = Method::from_bytes(m.to_uppercase().as_bytes()).expect("method");
            let req = Request::builder()
                .method(method)
                .uri(concrete(path))
                .body(Body::empty())
                .expect("request");
            let (status, headers, _) = send(&app, req).await;
            let matched = headers
                .get("x-test-matched-path")
                .and_then(|v| v.to_str().ok());
            if documented.contains(&(m.to_owned(), path.clone())) {
                assert_eq!(
                    matched,
                    Some(path.as_str()),
                    "{m} {path} is not routed there"
                );
                assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{m} {path}");
            } else {
                assert_eq!(
                    status,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "{m} {path} is routed but undocumented"
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Enumerations and actions

#[tokio::test]
async fn enumerations_equal_the_domain_and_meta() {
    assert_eq!(
        schema_enum("CaseState"),
        strs(CaseState::ALL.map(CaseState::as_str))
    );
    assert_eq!(schema_enum("Source"), strs(Source::ALL.map(Source::as_str)));
    assert_eq!(schema_enum("Role"), strs(Role::ALL.map(Role::as_str)));
    assert_eq!(
        schema_enum("DepartmentType"),
        strs(DepartmentType::ALL.map(DepartmentType::as_str))
    );
    // Some responses serialize these enums with serde (role grants, departments, taxonomy
    // classes), others with `as_str`: both must give the documented names. (`Source` is only
    // ever written with `as_str`; its serde names differ: `hotline12319` vs `hotline_12319`.)
    let serde_name = |v: Value| v.as_str().expect("unit variant").to_owned();
    for s in CaseState::ALL {
        assert_eq!(serde_name(json!(s)), s.as_str());
    }
    for r in Role::ALL {
        assert_eq!(serde_name(json!(r)), r.as_str());
    }
    for d in DepartmentType::ALL {
        assert_eq!(serde_name(json!(d)), d.as_str());
    }
    for k in schema_enum("ClassKind") {
        let parsed = domain::taxonomy::ClassKind::parse(&k).expect("kind parses");
        assert_eq!(serde_name(json!(parsed)), k);
    }
    for u in schema_enum("Urgency") {
        let parsed = Urgency::parse(&u).expect("urgency parses");
        assert_eq!(serde_name(json!(parsed)), u);
    }
    // Queue counts are keyed by every state.
    let queue_states =
        document()["components"]["schemas"]["Queues"]["properties"]["states"]["required"].clone();
    assert_eq!(queue_states, json!(CaseState::ALL.map(CaseState::as_str)));

    // Actions and urgencies, codes and labels, equal what GET /api/meta tells clients.
    let app = plain_app().await;
    let (status, _, body) = send(&app, get("/api/meta")).await;
    assert_eq!(status, StatusCode::OK);
    let meta: Value = serde_json::from_slice(&body).expect("json");
    let pairs = |list: &Value| -> Vec<(String, String)> {
        list.as_array()
            .expect("list")
            .iter()
            .map(|x| {
                (
                    x["code"].as_str().expect("code").to_owned(),
                    x["label"].as_str().expect("label").to_owned(),
                )
            })
            .collect()
    };
    let mut meta_actions = pairs(&meta["actions"]);
    let mut doc_actions: Vec<(String, String)> = actions()
        .iter()
        .map(|a| (a.name.to_owned(), a.label.to_owned()))
        .collect();
    meta_actions.sort();
    doc_actions.sort();
    assert_eq!(
        doc_actions, meta_actions,
        "actions differ from GET /api/meta"
    );
    assert_eq!(
        super::urgencies()
            .iter()
            .map(|(c, l)| ((*c).to_owned(), (*l).to_owned()))
            .collect::<Vec<_>>(),
        pairs(&meta["urgencies"])
    );
    let action_enum: BTreeSet<String> = schema_enum("Action").into_iter().collect();
    assert_eq!(
        action_enum.len(),
        actions().len(),
        "an action is listed twice"
    );
}

/// Needs-note and needs-photo of each action, as the workflow enforces them.
#[test]
fn action_note_and_photo_rules_equal_the_workflow() {
    let cal = WorkCalendar::new(WorkSchedule::default(), &[]).expect("calendar");
    let limits = NodeLimits::default();
    let ctx = Ctx {
        calendar: &cal,
        limits: &limits,
        now: Timestamp(1_767_225_600_000),
    };
    let caller = Caller {
        user_id: 7,
        grants: Role::ALL
            .iter()
            .map(|r| RoleGrant {
                role: *r,
                area: None,
                department_id: Some(3),
            })
            .collect(),
    };
    let grid = AreaCode::parse("110101001001001").expect("code");
    let report = NewReport {
        source: Source::Superior,
        description: "a broken manhole cover".into(),
        address: None,
        lat: None,
        lon: None,
        area: AreaPath::of(&grid),
        road_id: None,
        class: None,
        urgency: Urgency::Normal,
        reporter_name: None,
        reporter_phone: None,
        anonymous: false,
        external_ref: None,
        self_handled: false,
        attachments: Vec::new(),
        note: None,
    };
    let base = workflow::new_case(&caller, report, &ctx)
        .expect("new case")
        .case;
    let mut cases: Vec<(Command, bool, super::ActionDoc)> = actions()
        .into_iter()
        .map(|a| (a.command.clone(), a.photo != PhotoRule::Never, a))
        .collect();
    // verify without confirmation needs no photo.
    let unconfirmed = actions()
        .into_iter()
        .find(|a| a.name == "verify")
        .expect("verify");
    cases.push((Command::Verify { confirmed: false }, false, unconfirmed));
    for (cmd, photo, doc) in cases {
        let name = cmd.name();
        let mut case = base.clone();
        case.id = 1;
        case.state = cmd.from_states()[0];
        case.department_id = Some(3);
        case.assignee_id = Some(caller.user_id);
        let resolves = name
            .strip_prefix("approve_")
            .or_else(|| name.strip_prefix("deny_"));
        case.pending = resolves.map(|kind| {
            let (requested_by, reason) = (9, "why".to_owned());
            match kind {
                "return" => PendingRequest::Return {
                    requested_by,
                    reason,
                },
                "extension" => PendingRequest::Extension {
                    requested_by,
                    minutes: 60,
                    reason,
                },
                "suspension" => PendingRequest::Suspension {
                    requested_by,
                    reason,
                },
                "void" => PendingRequest::Void {
                    requested_by,
                    reason,
                },
                other => panic!("unknown request kind {other}"),
            }
        });
        let without_note = workflow::apply(&case, &caller, &cmd, &Evidence::default(), &ctx);
        if let Err(e) = &without_note {
            assert!(
                matches!(e, WorkflowError::Missing(_) | WorkflowError::Invalid(_)),
                "{name}: the set-up is refused before the evidence checks: {e}"
            );
        }
        let needs_note = matches!(without_note, Err(WorkflowError::Missing("note")));
        assert_eq!(needs_note, doc.note, "{name}: note rule");
        let with_note = Evidence {
            note: Some("done".into()),
            attachments: Vec::new(),
        };
        let needs_photo = matches!(
            workflow::apply(&case, &caller, &cmd, &with_note, &ctx),
            Err(WorkflowError::Missing("photo"))
        );
        assert_eq!(needs_photo, photo, "{name}: photo rule");
    }
}

/// The fields each action requires, as the handler asks for them.
#[tokio::test]
async fn action_required_fields_equal_the_handler() {
    let e2e = E2e::new().await;
    let operator = e2e.login("operator").await;
    let case = e2e.report(&operator).await;
    let admin = e2e.login("admin").await;
    let fields = [
        "department_id",
        "inspector_id",
        "confirmed",
        "passed",
        "minutes",
        "master_case_id",
    ];
    for a in actions() {
        let (status, body) = e2e
            .call_with(
                &admin,
                "POST",
                &format!("/api/cases/{case}/actions"),
                Some(json!({ "action": a.name })),
                false,
            )
            .await;
        let code = body["error"]["code"].as_str().unwrap_or("");
        let message = body["error"]["message"].as_str().unwrap_or("");
        assert_ne!(
            code, "unknown_action",
            "{}: the handler does not know it",
            a.name
        );
        match a.required.first() {
            Some(first) => {
                assert_eq!(
                    status,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "{}: {body}",
                    a.name
                );
                assert_eq!(code, "missing_field", "{}", a.name);
                assert_eq!(message, format!("{first} is required"), "{}", a.name);
            }
            None => {
                for f in fields {
                    assert_ne!(
                        message,
                        format!("{f} is required"),
                        "{}: undocumented requirement",
                        a.name
                    );
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Error codes

/// `(code, status)` of every error code literal in the server's sources.
fn codes_in_sources() -> BTreeMap<String, u16> {
    fn files(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("src dir").flatten() {
            let p = entry.path();
            if p.is_dir() {
                files(&p, out);
            } else if p.extension().is_some_and(|e| e == "rs")
                && !p
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("openapi"))
            {
                out.push(p);
            }
        }
    }
    /// After `at`, the texts of `parts` in order with only whitespace between; where it ends.
    fn seq(text: &str, mut at: usize, parts: &[&str]) -> Option<usize> {
        for p in parts {
            at += text[at..].len() - text[at..].trim_start().len();
            if !text[at..].starts_with(p) {
                return None;
            }
            at += p.len();
        }
        Some(at)
    }
    fn literal(text: &str, at: usize) -> Option<String> {
        let rest = &text[at..];
        let end = rest.find('"')?;
        let code = &rest[..end];
        (!code.is_empty() && code.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
            .then(|| code.to_owned())
    }
    let status_of = |name: &str| -> u16 {
        match name {
            "BAD_REQUEST" => 400,
            "UNAUTHORIZED" => 401,
            "FORBIDDEN" => 403,
            "NOT_FOUND" => 404,
            "CONFLICT" => 409,
            "TOO_MANY_REQUESTS" => 429,
            "PAYLOAD_TOO_LARGE" => 413,
            "UNSUPPORTED_MEDIA_TYPE" => 415,
            "UNPROCESSABLE_ENTITY" => 422,
            "INTERNAL_SERVER_ERROR" => 500,
            "SERVICE_UNAVAILABLE" => 503,
            other => panic!("teach the test the status {other}"),
        }
    };
    let mut list = Vec::new();
    files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut list,
    );
    let mut out = BTreeMap::new();
    let mut add = |code: String, status: u16, file: &Path| {
        if let Some(prev) = out.insert(code.clone(), status) {
            assert_eq!(prev, status, "{code} has two statuses ({})", file.display());
        }
    };
    for file in &list {
        let text = strip_comments(&std::fs::read_to_string(file).expect("read"));
        for (i, _) in text.match_indices("unprocessable") {
            if let Some(at) = seq(&text, i, &["unprocessable", "(", "\""])
                && let Some(code) = literal(&text, at)
            {
                add(code, 422, file);
            }
        }
        for (i, _) in text.match_indices("code") {
            if text[..i].ends_with(|c: char| is_ident(c) || c == '"') {
                continue;
            }
            if let Some(at) = seq(&text, i, &["code", ":", "\""])
                && let Some(code) = literal(&text, at)
            {
                // `ApiError::Conflict { code: "…" }`.
                add(code, 409, file);
            }
        }
        for (i, _) in text.match_indices("\"error\"") {
            if let Some(at) = seq(&text, i, &["\"error\"", ":", "{", "\"code\"", ":", "\""])
                && let Some(code) = literal(&text, at)
            {
                // A hand-built error body; its status is the nearest StatusCode before it.
                let before = &text[..i];
                let s = before
                    .rfind("StatusCode::")
                    .expect("a status before a hand-built error");
                let name: String = before[s + 12..]
                    .chars()
                    .take_while(|c| c.is_ascii_uppercase() || *c == '_')
                    .collect();
                add(code, status_of(&name), file);
            }
        }
        for (i, _) in text.match_indices("StatusCode::") {
            let name: String = text[i + 12..]
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || *c == '_')
                .collect();
            // A success status followed by a string is not an error (`render(fmt, OK, "…")`).
            let success = matches!(name.as_str(), "OK" | "CREATED" | "ACCEPTED" | "NO_CONTENT");
            if !success
                && let Some(at) = seq(&text, i + 12 + name.len(), &[",", "\""])
                && let Some(code) = literal(&text, at)
            {
                add(code, status_of(&name), file);
            }
        }
    }
    out
}

#[tokio::test]
async fn error_codes_equal_the_sources() {
    let found = codes_in_sources();
    // Sanity: the reader found codes of each kind.
    for c in [
        "bad_json",
        "version_conflict",
        "unknown_area",
        "store_unavailable",
        "invalid_body",
    ] {
        assert!(found.contains_key(c), "reader missed {c}");
    }
    let registry: BTreeMap<String, u16> = ERROR_CODES
        .iter()
        .map(|e| (e.code.to_owned(), e.status))
        .collect();
    assert_eq!(
        registry.len(),
        ERROR_CODES.len(),
        "a code is registered twice"
    );
    assert_eq!(
        registry, found,
        "ERROR_CODES differs from the codes in the sources"
    );
    // And ApiError maps its fixed variants as registered.
    let fixed = [
        ApiError::BadRequest("x".into()),
        ApiError::BadJson("x".into()),
        ApiError::Unauthenticated,
        ApiError::TokenExpired,
        ApiError::BadCredentials,
        ApiError::Forbidden("x".into()),
        ApiError::NotFound("x"),
        ApiError::TooLarge { limit: 1 },
        ApiError::UnsupportedMedia("x".into()),
        ApiError::Internal("x".into()),
    ];
    for e in fixed {
        let resp = e.into_response();
        let status = resp.status().as_u16();
        let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .expect("body");
        let body: Value = serde_json::from_slice(&body).expect("json");
        let code = body["error"]["code"].as_str().expect("code");
        assert_eq!(error_code(code).map(|e| e.status), Some(status), "{code}");
    }
}

// ---------------------------------------------------------------------------------------------
// The docs page

#[tokio::test]
async fn docs_page_is_self_contained_html() {
    let app = plain_app().await;
    let (status, headers, body) = send(&app, get("/api/docs")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .expect("ascii")
            .starts_with("text/html")
    );
    let csp = headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .expect("ascii");
    assert!(
        csp.contains("default-src 'none'") && csp.contains("connect-src 'self'"),
        "{csp}"
    );
    let html = std::str::from_utf8(&body).expect("utf-8");
    assert!(html.starts_with("<!doctype html>"));
    for banned in [
        "http://",
        "https://",
        "//cdn",
        "<script src",
        "<link",
        "@import",
        "url(",
    ] {
        assert!(
            !html.contains(banned),
            "the page refers to an external asset: {banned}"
        );
    }
    assert!(
        html.contains("/api/openapi.json"),
        "the page must load the document"
    );
}

// ---------------------------------------------------------------------------------------------
// Real responses fit the documented schemas

/// A running app with users of each role, a department and areas, whose calls are checked
/// against the document.
struct E2e {
    app: Router,
    /// The app's state: its store, for what only device gateways write (tracks, readings).
    state: AppState,
    department: i64,
    users: BTreeMap<&'static str, i64>,
    exercised: std::sync::Mutex<BTreeSet<(String, String)>>,
    _dir: tempfile::TempDir,
}

const GRID: &str = "110101001001001";
/// A small upload limit, so the test can exceed it cheaply.
const UPLOAD_LIMIT: usize = 64 * 1024;

impl E2e {
    async fn new() -> E2e {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = ServerConfig {
            attachments_dir: dir.path().to_path_buf(),
            max_upload_bytes: UPLOAD_LIMIT,
            ..ServerConfig::default()
        };
        let state = state_with(config).await;
        let now = state.now();
        let store = state.store.clone();
        crate::bootstrap::seed_defaults(&store, now)
            .await
            .expect("seed");
        let areas = [
            ("110101", "东城区"),
            ("110101001", "东华门街道"),
            ("110101001001", "多福巷社区"),
            (GRID, "网格一"),
        ];
        let areas: Vec<Area> = areas
            .iter()
            .map(|(c, n)| {
                let code = AreaCode::parse(c).expect("code");
                Area {
                    parent_code: code.parent(),
                    code,
                    name: (*n).to_owned(),
                }
            })
            .collect();
        store.upsert_areas(&areas, now).await.expect("areas");
        let hash = crate::auth::hash_password("password-1").expect("hash");
        let admin = store
            .create_user(
                &NewUser {
                    username: "admin".into(),
                    display_name: "管理员".into(),
                    phone: None,
                    password_hash: hash,
                    grants: vec![RoleGrant {
                        role: Role::Admin,
                        area: None,
                        department_id: None,
                    }],
                },
                now,
            )
            .await
            .expect("admin");
        let app = crate::router(state.clone());
        let mut e2e = E2e {
            app,
            state,
            department: 0,
            users: BTreeMap::from([("admin", admin)]),
            exercised: std::sync::Mutex::default(),
            _dir: dir,
        };
        let token = e2e.login("admin").await;
        let (_, dept) = e2e
            .call_ok(
                &token,
                "POST",
                "/api/departments",
                json!({ "code": "HW01", "name": "东城区环卫中心", "dept_type": "sanitation", "areas": ["110101"] }),
            )
            .await;
        e2e.department = dept["id"].as_i64().expect("department id");
        let d = e2e.department;
        for (name, role, area, dept) in [
            ("operator", "operator", Some("110101"), None),
            ("inspector", "inspector", Some("110101001"), None),
            ("supervisor", "shift_supervisor", None, None),
            ("dispatcher", "dispatcher", None, None),
            ("handler", "department_handler", None, Some(d)),
            ("leader", "leader", None, None),
            ("road_chief", "road_chief", Some("110101"), None),
            ("citizen", "citizen", None, None),
            ("volunteer", "volunteer", None, None),
        ] {
            let mut grant = json!({ "role": role });
            if let Some(a) = area {
                grant["area_code"] = json!(a);
            }
            if let Some(d) = dept {
                grant["department_id"] = json!(d);
            }
            let (_, created) = e2e
                .call_ok(
                    &token,
                    "POST",
                    "/api/users",
                    json!({ "username": name, "display_name": name, "phone": "13800000000", "password": "password-1", "grants": [grant] }),
                )
                .await;
            e2e.users.insert(name, created["id"].as_i64().expect("id"));
        }
        e2e
    }

    async fn login(&self, username: &str) -> String {
        let (status, body) = self
            .call(
                "",
                "POST",
                "/api/auth/login",
                Some(json!({ "username": username, "password": "password-1" })),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "login {username}: {body}");
        body["token"].as_str().expect("token").to_owned()
    }

    /// Reports a case as `token` (an operator) and returns its id.
    async fn report(&self, token: &str) -> i64 {
        let (_, body) = self
            .call_ok(
                token,
                "POST",
                "/api/cases",
                json!({
                    "source": "hotline_12319",
                    "description": "井盖缺失",
                    "address": "东华门大街 1 号",
                    "lat": 39.91,
                    "lon": 116.40,
                    "area_code": GRID,
                    "reporter_name": "张三",
                    "reporter_phone": "13912345678",
                }),
            )
            .await;
        body["case"]["id"].as_i64().expect("case id")
    }

    /// The documented operation a concrete request lands on: `(method, template, operation)`.
    fn operation(method: &str, uri: &str) -> (String, String, &'static Value) {
        let path = uri.split('?').next().expect("path");
        let segs: Vec<&str> = path.split('/').collect();
        let m = method.to_lowercase();
        let mut best: Option<(usize, String, &'static Value)> = None;
        for (template, item) in document()["paths"].as_object().expect("paths") {
            let t: Vec<&str> = template.split('/').collect();
            if t.len() != segs.len() {
                continue;
            }
            let fits = t
                .iter()
                .zip(&segs)
                .all(|(a, b)| a == b || a.starts_with('{'));
            let literal = t.iter().zip(&segs).filter(|(a, b)| a == b).count();
            if fits
                && let Some(op) = item.get(&m)
                && best.as_ref().is_none_or(|(n, _, _)| literal > *n)
            {
                best = Some((literal, template.clone(), op));
            }
        }
        let (_, template, op) = best.unwrap_or_else(|| panic!("{method} {uri} is not documented"));
        (m, template, op)
    }

    /// Sends a request (as `token`, if any), checks the request body and the response against
    /// the document, and returns the status and JSON body (`Null` if not JSON).
    async fn call(
        &self,
        token: &str,
        method: &str,
        uri: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        self.call_with(token, method, uri, body, true).await
    }

    /// Like [`E2e::call`] with a body the document refuses (to see the server refuse it too).
    async fn call_invalid(
        &self,
        token: &str,
        method: &str,
        uri: &str,
        body: Value,
    ) -> (StatusCode, Value) {
        let errs = {
            let (_, template, op) = E2e::operation(method, uri);
            let schema = &op["requestBody"]["content"]["application/json"]["schema"];
            assert!(
                schema.is_object(),
                "{method} {template} takes no documented JSON body"
            );
            Checker {
                doc: document(),
                strict: false,
            }
            .errors(schema, &body)
        };
        assert!(
            !errs.is_empty(),
            "{method} {uri}: the document accepts {body}"
        );
        self.call_with(token, method, uri, Some(body), false).await
    }

    async fn call_with(
        &self,
        token: &str,
        method: &str,
        uri: &str,
        body: Option<Value>,
        check_request: bool,
    ) -> (StatusCode, Value) {
        let mut req = Request::builder().method(method).uri(uri);
        if !token.is_empty() {
            let auth = if token.starts_with("yw_") {
                "X-Api-Key"
            } else {
                "Authorization"
            };
            let value = if token.starts_with("yw_") {
                token.to_owned()
            } else {
                format!("Bearer {token}")
            };
            req = req.header(auth, value);
        }
        let (m, template, op) = E2e::operation(method, uri);
        let body = match body {
            Some(b) => {
                let schema = &op["requestBody"]["content"]["application/json"]["schema"];
                assert!(
                    schema.is_object(),
                    "{method} {template} takes no documented JSON body"
                );
                let errs = Checker {
                    doc: document(),
                    strict: false,
                }
                .errors(schema, &b);
                assert!(
                    !check_request || errs.is_empty(),
                    "{method} {template}: the request body does not fit: {errs:?}\n{b}"
                );
                req = req.header(header::CONTENT_TYPE, "application/json");
                Body::from(b.to_string())
            }
            None => Body::empty(),
        };
        let (status, headers, bytes) = send(&self.app, req.body(body).expect("request")).await;
        let json = self.check_response(&m, &template, op, status, &headers, &bytes);
        (status, json)
    }

    /// Like [`E2e::call`], asserting a 2xx.
    async fn call_ok(
        &self,
        token: &str,
        method: &str,
        uri: &str,
        body: Value,
    ) -> (StatusCode, Value) {
        let body = if method == "GET" { None } else { Some(body) };
        let (status, json) = self.call(token, method, uri, body).await;
        assert!(status.is_success(), "{method} {uri}: {status} {json}");
        (status, json)
    }

    fn check_response(
        &self,
        method: &str,
        template: &str,
        op: &Value,
        status: StatusCode,
        headers: &HeaderMap,
        bytes: &[u8],
    ) -> Value {
        let what = format!("{method} {template} → {status}");
        let resp = &op["responses"][status.as_str()];
        assert!(resp.is_object(), "{what}: status not documented");
        if status.is_success() {
            self.exercised
                .lock()
                .expect("lock")
                .insert((method.to_owned(), template.to_owned()));
        }
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or_default().trim().to_owned());
        let Some(content_type) = content_type else {
            assert!(
                resp.get("content").is_none() || bytes.is_empty(),
                "{what}: no content type"
            );
            return Value::Null;
        };
        let media = &resp["content"][&content_type];
        assert!(
            media.is_object(),
            "{what}: content type {content_type} not documented"
        );
        // GeoJSON (RFC 7946) is JSON too: held to its schema like any other answer.
        if content_type != "application/json" && content_type != "application/geo+json" {
            return Value::Null;
        }
        let json: Value = serde_json::from_slice(bytes).expect("JSON body");
        let errs = Checker {
            doc: document(),
            strict: true,
        }
        .errors(&media["schema"], &json);
        assert!(
            errs.is_empty(),
            "{what}: the response does not fit the schema: {errs:?}\n{json}"
        );
        if let Some(code) = json["error"]["code"].as_str() {
            let listed = resp["x-error-codes"].as_array().expect("x-error-codes");
            assert!(
                listed.contains(&json!(code)),
                "{what}: error code {code} not listed"
            );
        }
        json
    }

    /// Uploads a PNG as `token`; returns its id.
    async fn upload(&self, token: &str, salt: u8) -> i64 {
        let mut png = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
        png.extend_from_slice(&[salt; 32]);
        let (status, body) = self.upload_bytes(token, &png).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_i64().expect("id")
    }

    async fn upload_bytes(&self, token: &str, bytes: &[u8]) -> (StatusCode, Value) {
        let mut body = b"--BOUNDARY\r\nContent-Disposition: form-data; name=\"file\"; filename=\"p.png\"\r\nContent-Type: image/png\r\n\r\n".to_vec();
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n--BOUNDARY--\r\n");
        let req = Request::builder()
            .method("POST")
            .uri("/api/attachments")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(
                header::CONTENT_TYPE,
                "multipart/form-data; boundary=BOUNDARY",
            )
            .body(Body::from(body))
            .expect("request");
        let (m, template, op) = E2e::operation("POST", "/api/attachments");
        let (status, headers, bytes) = send(&self.app, req).await;
        (
            status,
            self.check_response(&m, &template, op, status, &headers, &bytes),
        )
    }

    /// Sends raw bytes as `token` and checks the response; returns the status and error code.
    async fn raw(
        &self,
        token: &str,
        method: &str,
        uri: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> (StatusCode, String) {
        let mut req = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::AUTHORIZATION, format!("Bearer {token}"));
        if let Some(t) = content_type {
            req = req.header(header::CONTENT_TYPE, t);
        }
        let (m, template, op) = E2e::operation(method, uri);
        let (status, headers, bytes) =
            send(&self.app, req.body(Body::from(body)).expect("request")).await;
        let json = self.check_response(&m, &template, op, status, &headers, &bytes);
        (
            status,
            json["error"]["code"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        )
    }

    async fn act(&self, token: &str, case: i64, body: Value) -> Value {
        let (_, out) = self
            .call_ok(token, "POST", &format!("/api/cases/{case}/actions"), body)
            .await;
        out
    }

    /// Sends `body` as is (a layer file, or nothing) with extra `headers`, as `token` if any;
    /// checks the response and returns its status, headers and JSON (`Null` if not JSON).
    async fn send_raw(
        &self,
        token: &str,
        method: &str,
        uri: &str,
        headers: &[(header::HeaderName, &str)],
        body: Vec<u8>,
    ) -> (StatusCode, HeaderMap, Value) {
        let mut req = Request::builder().method(method).uri(uri);
        if !token.is_empty() {
            req = req.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        for (name, value) in headers {
            req = req.header(name, *value);
        }
        let (m, template, op) = E2e::operation(method, uri);
        let (status, headers, bytes) =
            send(&self.app, req.body(Body::from(body)).expect("request")).await;
        let json = self.check_response(&m, &template, op, status, &headers, &bytes);
        (status, headers, json)
    }

    /// Imports a layer file as `token` (an admin); returns the outcome.
    async fn import(&self, token: &str, uri: &str, file: &str) -> Value {
        let geo = [(header::CONTENT_TYPE, "application/geo+json")];
        let (status, _, body) = self
            .send_raw(token, "POST", uri, &geo, file.as_bytes().to_vec())
            .await;
        assert_eq!(status, StatusCode::OK, "{uri}: {body}");
        body
    }

    /// Loads the test city as `token` (an admin): the areas of [`E2e::new`] as one square
    /// around the point reports use, and a road through it.
    async fn import_city(&self, token: &str) {
        let areas = self
            .import(token, "/api/layers/areas", &city_areas_geojson())
            .await;
        assert_eq!(areas["imported"], 4, "{areas}");
        self.import(token, "/api/layers/roads", ROADS_GEOJSON).await;
    }
}

/// The outline every area of the test city shares: 116.39–116.41 E, 39.90–39.92 N (WGS-84),
/// so the reports' point (39.91 N, 116.40 E) lies in [`GRID`].
const SQUARE: &str =
    "[[[116.39,39.90],[116.41,39.90],[116.41,39.92],[116.39,39.92],[116.39,39.90]]]";

/// A road crossing the square west to east at 39.91 N, and beyond it.
const ROADS_GEOJSON: &str = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"R110101-0001","name":"东华门大街","class":"arterial","chief":"inspector"},"geometry":{"type":"LineString","coordinates":[[116.38,39.91],[116.42,39.91]]}}]}"#;

/// District, street, community and grid of [`E2e::new`], each with the outline [`SQUARE`].
fn city_areas_geojson() -> String {
    let features: Vec<String> = [
        ("110101", "东城区"),
        ("110101001", "东华门街道"),
        ("110101001001", "多福巷社区"),
        (GRID, "网格一"),
    ]
    .iter()
    .map(|(code, name)| {
        format!(
            r#"{{"type":"Feature","properties":{{"code":"{code}","name":"{name}"}},"geometry":{{"type":"Polygon","coordinates":{SQUARE}}}}}"#
        )
    })
    .collect();
    format!(
        r#"{{"type":"FeatureCollection","features":[{}]}}"#,
        features.join(",")
    )
}

#[tokio::test]
async fn responses_fit_the_documented_schemas() {
    let e2e = E2e::new().await;
    let admin = e2e.login("admin").await;
    let empty = json!(null);

    // System, auth.
    e2e.call_ok("", "GET", "/api/health", empty.clone()).await;
    e2e.call_ok("", "GET", "/api/meta", empty.clone()).await;
    e2e.call_ok("", "GET", "/metrics", empty.clone()).await;
    e2e.call_ok("", "GET", "/api/openapi.json", empty.clone())
        .await;
    e2e.call_ok("", "GET", "/api/docs", empty.clone()).await;
    e2e.call_ok(&admin, "GET", "/api/me", empty.clone()).await;
    let (status, _) = e2e.call("", "GET", "/api/me", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = e2e
        .call(
            "",
            "POST",
            "/api/auth/login",
            Some(json!({ "username": "admin", "password": "wrong-password" })),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let throwaway = e2e.login("leader").await;
    let (status, _) = e2e.call(&throwaway, "POST", "/api/auth/logout", None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = e2e.call(&throwaway, "GET", "/api/me", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Organisation.
    e2e.call_ok(&admin, "GET", "/api/areas", empty.clone())
        .await;
    e2e.call_ok(&admin, "GET", "/api/areas?level=grid", empty.clone())
        .await;
    e2e.call_ok(&admin, "GET", "/api/areas?parent=110101", empty.clone())
        .await;
    e2e.call_ok(&admin, "GET", "/api/areas/110101", empty.clone())
        .await;
    let (status, _) = e2e.call(&admin, "GET", "/api/areas/999999", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = e2e
        .call(&admin, "GET", "/api/areas?level=planet", None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    e2e.call_ok(
        &admin,
        "POST",
        "/api/areas",
        json!([{ "code": "110101", "name": "东城区" }]),
    )
    .await;
    e2e.call_ok(&admin, "GET", "/api/departments", empty.clone())
        .await;
    let (status, _) = e2e
        .call(
            &admin,
            "POST",
            "/api/departments",
            Some(json!({ "code": "HW01", "name": "重复", "dept_type": "sanitation" })),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    e2e.call_ok(&admin, "GET", "/api/users", empty.clone())
        .await;
    let (status, _) = e2e
        .call_invalid(
            &admin,
            "POST",
            "/api/users",
            json!({ "username": "weak", "display_name": "w", "password": "short" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let operator_id = e2e.users["operator"];
    e2e.call_ok(
        &admin,
        "PUT",
        &format!("/api/users/{operator_id}/grants"),
        json!([{ "role": "operator", "area_code": "110101" }]),
    )
    .await;
    e2e.call_ok(&admin, "GET", "/api/inspectors", empty.clone())
        .await;
    let (_, key) = e2e
        .call_ok(
            &admin,
            "POST",
            "/api/api-keys",
            json!({ "name": "camera gateway", "user_id": operator_id }),
        )
        .await;
    let key = key["key"].as_str().expect("key").to_owned();
    e2e.call_ok(&key, "GET", "/api/me", empty.clone()).await;
    let operator = e2e.login("operator").await;
    let (status, _) = e2e.call(&operator, "GET", "/api/users", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Configuration.
    let (_, classes) = e2e
        .call_ok(
            &admin,
            "GET",
            "/api/taxonomy?kind=matter&major=06&standard_ref=GB%2FT%2047678.5-2026",
            empty.clone(),
        )
        .await;
    let class = classes[0]["code"]
        .as_str()
        .expect("a matter class")
        .to_owned();
    e2e.call_ok(
        &admin,
        "GET",
        &format!("/api/taxonomy/matter/{class}"),
        empty.clone(),
    )
    .await;
    e2e.call_ok(
        &admin,
        "PUT",
        &format!("/api/taxonomy/matter/{class}"),
        json!({ "closing_condition": "已修复" }),
    )
    .await;
    let (status, _) = e2e
        .call(&admin, "GET", "/api/taxonomy/planet/06010", None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, limits) = e2e
        .call_ok(&admin, "GET", "/api/config/node-limits", empty.clone())
        .await;
    e2e.call_ok(&admin, "PUT", "/api/config/node-limits", limits)
        .await;
    let (_, schedule) = e2e
        .call_ok(&admin, "GET", "/api/config/work-schedule", empty.clone())
        .await;
    e2e.call_ok(&admin, "PUT", "/api/config/work-schedule", schedule)
        .await;
    let (status, _) = e2e
        .call(
            &admin,
            "PUT",
            "/api/config/work-schedule",
            Some(json!({ "windows": [[600, 500]] })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    e2e.call_ok(
        &admin,
        "GET",
        "/api/calendar/special-days?year=2026",
        empty.clone(),
    )
    .await;
    e2e.call_ok(
        &admin,
        "PUT",
        "/api/calendar/special-days/2031",
        json!([{ "date": "2031-01-01", "kind": "holiday", "name": "元旦" }]),
    )
    .await;
    e2e.call_ok(
        &admin,
        "GET",
        "/api/calendar/deadline?start=2026-03-02T09:00:00%2B08:00&minutes=600",
        empty.clone(),
    )
    .await;
    let (status, _) = e2e
        .call(&admin, "GET", "/api/calendar/deadline?minutes=1", None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // The city model: nothing loaded yet, then a tiny city imported.
    let here = "/api/geocode?lat=39.91&lon=116.40";
    let (_, nowhere) = e2e.call_ok(&operator, "GET", here, empty.clone()).await;
    assert_eq!(nowhere, json!({ "kind": "outside", "road": null }));
    e2e.call_ok(&operator, "GET", "/api/city", empty.clone())
        .await;
    e2e.call_ok("", "GET", "/api/map/areas", empty.clone())
        .await;
    e2e.import_city(&admin).await;
    let (_, located) = e2e.call_ok(&operator, "GET", here, empty.clone()).await;
    assert_eq!(
        (
            &located["kind"],
            &located["grid"]["code"],
            &located["road"]["id"]
        ),
        (&json!("inside"), &json!(GRID), &json!("R110101-0001")),
        "{located}"
    );
    let points = json!({ "points": [
        { "lat": 39.91, "lon": 116.40 },
        { "lat": 39.91, "lon": 116.415 },
        { "lat": 116.40, "lon": 39.91 },
    ] });
    let (_, batch) = e2e.call_ok(&operator, "POST", "/api/geocode", points).await;
    // Forward: an address text placed by the gazetteer (东城区东华门大街).
    let (_, placed) = e2e
        .call_ok(
            &operator,
            "GET",
            "/api/address?q=%E4%B8%9C%E5%9F%8E%E5%8C%BA%E4%B8%9C%E5%8D%8E%E9%97%A8%E5%A4%A7%E8%A1%97",
            empty.clone(),
        )
        .await;
    assert_eq!(
        (
            &placed["kind"],
            &placed["precision"],
            &placed["located"]["grid"]["code"]
        ),
        (&json!("match"), &json!("road"), &json!(GRID)),
        "{placed}"
    );
    let kinds: Vec<&Value> = batch["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| &r["kind"])
        .collect();
    assert_eq!(
        kinds,
        [&json!("inside"), &json!("outside"), &json!("invalid")]
    );
    assert_eq!(batch["results"][1]["road"]["id"], "R110101-0001");
    let (_, city) = e2e
        .call_ok(&operator, "GET", "/api/city", empty.clone())
        .await;
    assert_eq!(city["counts"]["grids"], 1, "{city}");
    // The map layer is public and cached by ETag.
    let grids = "/api/map/areas?parent=110101&level=grid&zoom=16";
    let (status, headers, layer) = e2e.send_raw("", "GET", grids, &[], Vec::new()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(layer["features"][0]["properties"]["code"], GRID);
    let etag = headers[header::ETAG].to_str().expect("ascii").to_owned();
    let revalidate = [(header::IF_NONE_MATCH, etag.as_str())];
    let (status, _, _) = e2e
        .send_raw("", "GET", grids, &revalidate, Vec::new())
        .await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    // `If-None-Match` may list tags, weak ones included, or be `*`.
    for value in [
        format!("\"stale\", {etag}"),
        format!("W/{etag}"),
        "*".to_owned(),
    ] {
        let revalidate = [(header::IF_NONE_MATCH, value.as_str())];
        let (status, _, _) = e2e
            .send_raw("", "GET", grids, &revalidate, Vec::new())
            .await;
        assert_eq!(status, StatusCode::NOT_MODIFIED, "If-None-Match: {value}");
    }
    let stale = [(header::IF_NONE_MATCH, "\"stale\", W/\"older\"")];
    let (status, _, _) = e2e.send_raw("", "GET", grids, &stale, Vec::new()).await;
    assert_eq!(status, StatusCode::OK);
    e2e.call_ok(
        "",
        "GET",
        "/api/map/areas?level=district&zoom=8&crs=gcj02",
        empty.clone(),
    )
    .await;
    // A report located by its point alone.
    let (_, created) = e2e
        .call_ok(
            &operator,
            "POST",
            "/api/cases",
            json!({ "source": "hotline_12319", "description": "路面积水", "lat": 39.911, "lon": 116.401 }),
        )
        .await;
    let located = &created["case"];
    assert_eq!(
        (&located["grid_code"], &located["road_id"]),
        (&json!(GRID), &json!("R110101-0001")),
        "{located}"
    );
    assert!(located["address"].is_string(), "{located}");
    let (_, density) = e2e
        .call_ok(&operator, "GET", "/api/map/density", empty.clone())
        .await;
    assert_eq!(density["counts"][GRID], 1, "{density}");
    e2e.call_ok(
        &operator,
        "GET",
        "/api/map/density?parent=110101&level=street&states=all",
        empty.clone(),
    )
    .await;
    // Components: GeoJSON and CSV in, GeoJSON and CSV out.
    let (_, component_classes) = e2e
        .call_ok(&admin, "GET", "/api/taxonomy?kind=component", empty.clone())
        .await;
    let class = component_classes[0]["code"]
        .as_str()
        .expect("a component class")
        .to_owned();
    let first = format!("110101{class}000001");
    let components = format!(
        r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{"id":"{first}","class_code":"{class}","status":"damaged"}},"geometry":{{"type":"Point","coordinates":[116.40,39.91]}}}}]}}"#
    );
    let outcome = e2e
        .import(&admin, "/api/layers/components", &components)
        .await;
    assert_eq!(outcome["layer"], "components");
    let csv = format!("id,class_code,lon,lat\n110101{class}000002,{class},116.401,39.911\n");
    let (status, _, outcome) = e2e
        .send_raw(
            &admin,
            "POST",
            "/api/layers/components?format=csv",
            &[(header::CONTENT_TYPE, "text/csv")],
            csv.into_bytes(),
        )
        .await;
    assert_eq!((status, &outcome["imported"]), (StatusCode::OK, &json!(1)));
    let (_, page) = e2e
        .call_ok(
            &admin,
            "GET",
            &format!("/api/layers/components?class={class}&after={first}&limit=10"),
            empty.clone(),
        )
        .await;
    assert_eq!(page["features"][0]["properties"]["grid_code"], GRID);
    let (status, headers, _) = e2e
        .send_raw(
            &operator,
            "GET",
            "/api/layers/components?format=csv&parent=110101&crs=gcj02",
            &[],
            Vec::new(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .is_ok_and(|t| t.starts_with("text/csv")),
        "{headers:?}"
    );
    e2e.call_ok(
        &operator,
        "GET",
        "/api/layers/areas?parent=110101001&level=grid",
        empty.clone(),
    )
    .await;
    e2e.call_ok(&operator, "GET", "/api/layers/roads", empty.clone())
        .await;
    // Outlines are open to every signed-in caller; roads and components to staff only.
    let citizen = e2e.login("citizen").await;
    e2e.call_ok(&citizen, "GET", "/api/layers/areas", empty.clone())
        .await;
    for layer in ["roads", "components"] {
        let (status, body) = e2e
            .call(&citizen, "GET", &format!("/api/layers/{layer}"), None)
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{layer}: {body}");
    }

    // Devices: vehicles with their tracks, monitors with their readings.
    let (status, created) = e2e
        .call_ok(
            &admin,
            "POST",
            "/api/vehicles",
            json!({ "plate": "豫A·D1234", "kind": "muck_truck", "company": "东城渣土运输公司", "phone": "013800001111" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let vehicle = created["id"].as_i64().expect("vehicle id");
    e2e.call_ok(
        &admin,
        "POST",
        "/api/vehicles",
        json!({ "plate": "豫A·S0001", "kind": "sweeper" }),
    )
    .await;
    let now = e2e.state.now();
    let positions: Vec<Position> = [-30_i32, -20, -1]
        .iter()
        .map(|m| Position {
            vehicle_id: vehicle,
            fix_at: now.plus_minutes(i64::from(*m)),
            received_at: now.plus_minutes(i64::from(*m)),
            lat: 39.91,
            lon: 116.40 + 0.001 * f64::from(*m),
            speed_kmh: 32.5,
            heading: 90,
            altitude_m: 45,
            alarm: 0,
            status: 3,
            mileage_m: (*m == -1).then_some(120_400),
            grid_code: Some(GRID.to_owned()),
            backfill: *m == -30,
        })
        .collect();
    e2e.state
        .store
        .append_positions(&positions)
        .await
        .expect("positions");
    let (_, vehicles) = e2e
        .call_ok(&operator, "GET", "/api/vehicles", empty.clone())
        .await;
    assert_eq!(vehicles["online"], 1, "{vehicles}");
    assert_eq!(vehicles["items"].as_array().map(Vec::len), Some(2));
    let track = format!("/api/vehicles/{vehicle}/track");
    let (_, played) = e2e.call_ok(&operator, "GET", &track, empty.clone()).await;
    assert_eq!(
        played["points"].as_array().map(Vec::len),
        Some(3),
        "{played}"
    );
    assert!(played["vehicle"]["position"].is_object(), "{played}");
    let window = format!(
        "{track}?from={}&to={}&limit=1",
        now.plus_minutes(-25).to_rfc3339().replace('+', "%2B"),
        now.to_rfc3339().replace('+', "%2B")
    );
    let (_, played) = e2e.call_ok(&operator, "GET", &window, empty.clone()).await;
    assert_eq!(
        played["points"].as_array().map(Vec::len),
        Some(1),
        "{played}"
    );
    let (status, fume) = e2e
        .call_ok(
            &admin,
            "POST",
            "/api/monitors",
            json!({ "mn": "010000A8900016F000169DC0", "password": "123456", "kind": "fume", "name": "老蔡记餐馆油烟", "site": "老蔡记", "size_class": "medium", "lat": 39.91, "lon": 116.40 }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(fume["grid_code"], GRID, "{fume}");
    e2e.call_ok(
        &admin,
        "POST",
        "/api/monitors",
        json!({ "mn": "DUST01", "password": "pw", "kind": "dust", "name": "工地扬尘" }),
    )
    .await;
    let readings: Vec<Reading> = [-50_i32, -40]
        .iter()
        .map(|m| Reading {
            mn: "010000A8900016F000169DC0".to_owned(),
            data_time: now.plus_minutes(i64::from(*m)),
            received_at: now.plus_minutes(i64::from(*m)),
            cn: "2051".to_owned(),
            factor: "a34041".to_owned(),
            field: "Avg".to_owned(),
            value: Some("1.250".to_owned()),
            flag: (*m == -50).then(|| "N".to_owned()),
        })
        .collect();
    e2e.state
        .store
        .append_readings(&readings)
        .await
        .expect("readings");
    let (_, monitors) = e2e
        .call_ok(&operator, "GET", "/api/monitors", empty.clone())
        .await;
    assert_eq!(monitors["items"].as_array().map(Vec::len), Some(2));
    let (_, series) = e2e
        .call_ok(
            &operator,
            "GET",
            "/api/monitors/010000A8900016F000169DC0/readings?factor=a34041",
            empty.clone(),
        )
        .await;
    assert_eq!(series["items"][0]["value"], "1.250", "{series}");
    assert_eq!(series["items"].as_array().map(Vec::len), Some(2));
    // Devices are for staff: exactly the roles the document names.
    let staff: Vec<Value> = document()["paths"]["/api/vehicles"]["get"]["x-roles"]
        .as_array()
        .expect("x-roles")
        .clone();
    let probe = [
        ("admin", "admin"),
        ("operator", "operator"),
        ("inspector", "inspector"),
        ("supervisor", "shift_supervisor"),
        ("dispatcher", "dispatcher"),
        ("handler", "department_handler"),
        ("leader", "leader"),
        ("road_chief", "road_chief"),
        ("citizen", "citizen"),
        ("volunteer", "volunteer"),
    ];
    assert_eq!(
        probe.iter().map(|(_, r)| *r).collect::<BTreeSet<_>>(),
        Role::ALL
            .iter()
            .map(|r| r.as_str())
            .collect::<BTreeSet<_>>(),
        "probe every role"
    );
    for (user, role) in probe {
        let token = e2e.login(user).await;
        for uri in ["/api/vehicles", "/api/monitors"] {
            let (status, body) = e2e.call(&token, "GET", uri, None).await;
            let allowed = staff.contains(&json!(role));
            assert_eq!(status.is_success(), allowed, "{role} GET {uri}: {body}");
            if !allowed {
                assert_eq!(status, StatusCode::FORBIDDEN, "{role} GET {uri}: {body}");
            }
        }
    }

    // Live updates: connect before the case moves.
    let dispatcher = e2e.login("dispatcher").await;
    let mut stream = {
        let req = Request::builder()
            .uri("/api/events")
            .header(header::AUTHORIZATION, format!("Bearer {dispatcher}"))
            .body(Body::empty())
            .expect("request");
        let resp = e2e.app.clone().oneshot(req).await.expect("infallible");
        assert_eq!(resp.status(), StatusCode::OK);
        let (m, template, op) = E2e::operation("GET", "/api/events");
        e2e.check_response(&m, &template, op, resp.status(), resp.headers(), &[]);
        resp.into_body().into_data_stream()
    };
    let mut sse = String::new();
    let mut next_event = async || {
        loop {
            if let Some(end) = sse.find("\n\n") {
                let block: String = sse.drain(..end + 2).collect();
                let mut name = String::new();
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(n) = line.strip_prefix("event:") {
                        name = n.trim().to_owned();
                    } else if let Some(d) = line.strip_prefix("data:") {
                        data.push_str(d.trim());
                    }
                }
                if name.is_empty() {
                    continue; // keep-alive comment
                }
                return (
                    name,
                    serde_json::from_str(&data).expect("event data is JSON"),
                );
            }
            let chunk = tokio::time::timeout(Duration::from_secs(10), stream.next())
                .await
                .expect("an event in time")
                .expect("stream open")
                .expect("chunk");
            sse.push_str(std::str::from_utf8(&chunk).expect("utf-8"));
        }
    };
    let sse_events = document()["paths"]["/api/events"]["get"]["x-sse-events"].clone();
    let check_event = |name: &str, data: &Value| {
        let schema = sse_events
            .as_array()
            .expect("events")
            .iter()
            .find(|e| e["event"] == name)
            .unwrap_or_else(|| panic!("event {name} not documented"))["schema"]
            .clone();
        let errs = Checker {
            doc: document(),
            strict: true,
        }
        .errors(&schema, data);
        assert!(errs.is_empty(), "SSE {name}: {errs:?}\n{data}");
    };
    let (name, data) = next_event().await;
    assert_eq!(name, "hello");
    check_event(&name, &data);
    // A new city model reaches every stream.
    e2e.import(&admin, "/api/layers/roads", ROADS_GEOJSON).await;
    let (name, data) = next_event().await;
    assert_eq!(name, "city");
    check_event(&name, &data);

    // Cases, through the loop.
    let case = e2e.report(&operator).await;
    let (name, data) = next_event().await;
    assert_eq!(name, "case");
    check_event(&name, &data);
    let uri = format!("/api/cases/{case}");
    e2e.call_ok(&operator, "GET", "/api/cases", empty.clone())
        .await;
    e2e.call_ok(
        &operator,
        "GET",
        "/api/cases?state=reported,verifying&limit=1&area=110101",
        empty.clone(),
    )
    .await;
    let (status, _) = e2e
        .call(&operator, "GET", "/api/cases?light=purple", None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    e2e.call_ok(&operator, "GET", &uri, empty.clone()).await;
    e2e.call_ok(&operator, "GET", &format!("{uri}/events"), empty.clone())
        .await;
    e2e.call_ok(&operator, "GET", "/api/queues", empty.clone())
        .await;
    e2e.call_ok(
        &operator,
        "GET",
        "/api/stats/summary?from=2020-01-01",
        empty.clone(),
    )
    .await;
    let (status, _) = e2e.call(&operator, "GET", "/api/cases/999999", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let actions_uri = format!("{uri}/actions");
    let inspector_id = e2e.users["inspector"];
    let (status, body) = e2e
        .call(&operator, "POST", &actions_uri, Some(json!({ "action": "send_verify", "inspector_id": inspector_id, "expected_version": 99 })))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"]["code"], "version_conflict");
    assert!(
        body["error"]["current"]["id"].is_i64(),
        "version_conflict carries the case"
    );
    let (status, _) = e2e
        .call(
            &operator,
            "POST",
            &actions_uri,
            Some(json!({ "action": "dispatch", "department_id": e2e.department })),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, body) = e2e
        .call_invalid(&operator, "POST", &actions_uri, json!({ "action": "fly" }))
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_action"))
    );

    e2e.act(
        &operator,
        case,
        json!({ "action": "send_verify", "inspector_id": inspector_id, "expected_version": 1 }),
    )
    .await;
    let inspector = e2e.login("inspector").await;
    let (status, _) = e2e.upload_bytes(&inspector, b"not an image").await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let photo = e2e.upload(&inspector, 1).await;
    e2e.act(
        &inspector,
        case,
        json!({ "action": "verify", "confirmed": true, "attachments": [photo], "note": "属实" }),
    )
    .await;
    let (status, _) = e2e
        .call(
            &inspector,
            "GET",
            &format!("/api/attachments/{photo}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let supervisor = e2e.login("supervisor").await;
    e2e.act(
        &supervisor,
        case,
        json!({ "action": "file", "class_code": class, "urgency": "high" }),
    )
    .await;
    e2e.act(
        &dispatcher,
        case,
        json!({ "action": "dispatch", "department_id": e2e.department }),
    )
    .await;
    let handler = e2e.login("handler").await;
    e2e.act(&handler, case, json!({ "action": "accept_task" }))
        .await;
    e2e.act(
        &handler,
        case,
        json!({ "action": "request_extension", "minutes": 120, "note": "材料未到" }),
    )
    .await;
    e2e.call_ok(&dispatcher, "GET", &uri, empty.clone()).await; // with a pending extension
    e2e.act(&dispatcher, case, json!({ "action": "approve_extension" }))
        .await;
    let leader = e2e.login("leader").await;
    e2e.act(
        &leader,
        case,
        json!({ "action": "supervise", "note": "尽快处理" }),
    )
    .await;
    let done = e2e.upload(&handler, 2).await;
    e2e.act(
        &handler,
        case,
        json!({ "action": "feedback", "note": "已更换井盖", "attachments": [done] }),
    )
    .await;
    e2e.act(
        &operator,
        case,
        json!({ "action": "send_check", "inspector_id": inspector_id }),
    )
    .await;
    let checked = e2e.upload(&inspector, 3).await;
    e2e.act(
        &inspector,
        case,
        json!({ "action": "check", "passed": true, "attachments": [checked] }),
    )
    .await;
    e2e.act(&supervisor, case, json!({ "action": "close" }))
        .await;
    e2e.call_ok(&operator, "GET", &uri, empty.clone()).await;
    e2e.call_ok(&operator, "GET", "/api/stats/summary", empty.clone())
        .await;
    let (_, breakdown) = e2e
        .call_ok(
            &operator,
            "GET",
            "/api/stats/breakdown?from=2020-01-01&area=110101&top=3",
            empty.clone(),
        )
        .await;
    assert!(breakdown["total"].as_i64().is_some(), "{breakdown}");
    // The dispatcher's stream saw the loop.
    let mut seen = 0;
    while seen < 3 {
        let (name, data) = next_event().await;
        check_event(&name, &data);
        seen += 1;
    }

    // Alarms: two raised by a device rule; one acknowledged then cleared, one turned into a case.
    let raise = |rule: &str| {
        store::AlarmWrite::Raise(Box::new(store::AlarmRaise {
            open_key: format!("vehicle|13800000001|{rule}"),
            source_kind: "vehicle".into(),
            source_id: "13800000001".into(),
            rule: rule.into(),
            level: "warning".into(),
            message: format!("{rule} 测试告警"),
            lat: Some(39.91),
            lon: Some(116.40),
            grid_code: Some(GRID.into()),
            class_code: Some(class.to_owned()),
            detail: "{}".into(),
            at: domain::time::Timestamp(1_700_000_000_000),
        }))
    };
    e2e.state
        .store
        .write_alarms(&[raise("muck.speeding"), raise("muck.off_route")])
        .await
        .expect("alarms");
    let (_, list) = e2e
        .call_ok(
            &operator,
            "GET",
            "/api/alarms?source_kind=vehicle",
            empty.clone(),
        )
        .await;
    let ids: Vec<i64> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|a| a["id"].as_i64())
        .collect();
    assert_eq!(ids.len(), 2, "{list}");
    e2e.call_ok(&operator, "GET", "/api/alarms/summary", empty.clone())
        .await;
    e2e.call_ok(
        &operator,
        "GET",
        &format!("/api/alarms/{}", ids[0]),
        empty.clone(),
    )
    .await;
    let (status, _) = e2e
        .call(
            &operator,
            "POST",
            &format!("/api/alarms/{}/acknowledge", ids[0]),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    e2e.call_ok(
        &operator,
        "POST",
        &format!("/api/alarms/{}/clear", ids[0]),
        json!({ "note": "误报" }),
    )
    .await;
    let (status, filed) = e2e
        .call(
            &operator,
            "POST",
            &format!("/api/alarms/{}/case", ids[1]),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    assert_eq!(filed["alarm"]["state"], "linked", "{filed}");

    // Open311 GeoReport v2: form-encoded in, JSON or XML out, its own error list, no session.
    let (_, o311) = e2e
        .call_ok(
            &admin,
            "POST",
            "/api/api-keys",
            json!({ "name": "open311 app", "user_id": e2e.users["citizen"] }),
        )
        .await;
    let o311_key = o311["key"].as_str().expect("key").to_owned();
    for fmt in ["json", "xml"] {
        for path in ["discovery", "services", "services/06010", "requests"] {
            e2e.call_ok(
                "",
                "GET",
                &format!("/open311/v2/{path}.{fmt}"),
                empty.clone(),
            )
            .await;
        }
    }
    let form = serde_urlencoded::to_string([
        ("api_key", o311_key.as_str()),
        ("service_code", "06010"),
        ("lat", "39.91"),
        ("long", "116.40"),
        ("description", "路口垃圾成堆"),
        ("attribute[condition]", "1"),
    ])
    .expect("form");
    let form_type = [(header::CONTENT_TYPE, "application/x-www-form-urlencoded")];
    let (status, _, created) = e2e
        .send_raw(
            "",
            "POST",
            "/open311/v2/requests.json",
            &form_type,
            form.into_bytes(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let o311_id: i64 = created[0]["service_request_id"]
        .as_str()
        .and_then(|t| t.parse().ok())
        .expect("service_request_id");
    let case_no = e2e
        .state
        .store
        .get_case(o311_id)
        .await
        .expect("get")
        .expect("case")
        .case_no;
    for path in [format!("requests/{o311_id}"), format!("tokens/{case_no}")] {
        for fmt in ["json", "xml"] {
            e2e.call_ok(
                "",
                "GET",
                &format!("/open311/v2/{path}.{fmt}"),
                empty.clone(),
            )
            .await;
        }
    }
    let (_, listed) = e2e
        .call_ok(
            "",
            "GET",
            &format!("/open311/v2/requests.json?service_request_id={o311_id}"),
            empty.clone(),
        )
        .await;
    assert_eq!(listed[0]["status"], "open", "{listed}");
    // A photo uploaded with the request is published with it.
    let mut multipart = Vec::new();
    for (k, v) in [
        ("api_key", o311_key.as_str()),
        ("service_code", "06010"),
        ("lat", "39.91"),
        ("long", "116.40"),
    ] {
        multipart.extend_from_slice(
            format!("--B\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    multipart.extend_from_slice(b"--B\r\nContent-Disposition: form-data; name=\"media\"; filename=\"p.png\"\r\nContent-Type: image/png\r\n\r\n");
    multipart.extend_from_slice(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 7, 7, 7, 7]);
    multipart.extend_from_slice(b"\r\n--B--\r\n");
    let (status, _, created) = e2e
        .send_raw(
            "",
            "POST",
            "/open311/v2/requests.xml",
            &[(header::CONTENT_TYPE, "multipart/form-data; boundary=B")],
            multipart,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(created, Value::Null, "XML, not JSON");
    let (_, listed) = e2e
        .call_ok("", "GET", "/open311/v2/requests.json", empty.clone())
        .await;
    let media = listed[0]["media_url"]
        .as_str()
        .expect("media_url")
        .to_owned();
    let (status, headers, _) = e2e.send_raw("", "GET", &media, &[], Vec::new()).await;
    assert_eq!(
        (status, headers[header::CONTENT_TYPE].to_str().ok()),
        (StatusCode::OK, Some("image/png"))
    );
    // Errors are the spec's list, with the HTTP status as `code`.
    let (status, body) = e2e
        .call("", "GET", "/open311/v2/services/99999.json", None)
        .await;
    assert_eq!(
        (status, &body[0]["code"]),
        (StatusCode::NOT_FOUND, &json!(404))
    );
    let forged = serde_urlencoded::to_string([
        ("api_key", "yw_forged"),
        ("service_code", "06010"),
        ("lat", "39.91"),
        ("long", "116.40"),
    ])
    .expect("form");
    let (status, _, body) = e2e
        .send_raw(
            "",
            "POST",
            "/open311/v2/requests.json",
            &form_type,
            forged.into_bytes(),
        )
        .await;
    assert_eq!(
        (status, &body[0]["code"]),
        (StatusCode::FORBIDDEN, &json!(403))
    );
    let (status, _, body) = e2e
        .send_raw(
            "",
            "GET",
            "/open311/v2/requests.json?status=pending",
            &[],
            Vec::new(),
        )
        .await;
    assert_eq!(
        (status, &body[0]["code"]),
        (StatusCode::BAD_REQUEST, &json!(400))
    );

    // Supervision: muck permits, sensors, cameras and their webhook, coverage, stations.
    let today = e2e.state.now().to_shanghai().date().to_string();
    let rect = |w: f64, s: f64| {
        json!([{ "exterior": [
            { "lon": w, "lat": s }, { "lon": w + 0.002, "lat": s }, { "lon": w + 0.002, "lat": s + 0.002 },
            { "lon": w, "lat": s + 0.002 }, { "lon": w, "lat": s }
        ] }])
    };
    let permit = json!({
        "number": "京渣准-2026-001", "company": "东城渣土运输公司",
        "vehicles": [{ "phone": "13800001111", "plate": "豫A·D1234" }],
        "construction_site": rect(116.39, 39.90), "disposal_site": rect(116.42, 39.93),
        "route": [{ "lon": 116.391, "lat": 39.901 }, { "lon": 116.421, "lat": 39.931 }],
        "corridor_width_m": 60.0, "windows": [{ "start": "22:00", "end": "06:00" }],
        "valid_from": "2026-01-01", "valid_to": "2030-12-31",
    });
    let (status, created) = e2e
        .call_ok(&admin, "POST", "/api/permits", permit.clone())
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let permit_id = created["id"].as_i64().expect("permit id");
    let (_, permits) = e2e
        .call_ok(
            &operator,
            "GET",
            &format!("/api/permits?valid_on={today}&phone=13800001111"),
            empty.clone(),
        )
        .await;
    assert_eq!(
        permits["items"].as_array().map(Vec::len),
        Some(1),
        "{permits}"
    );
    let one = format!("/api/permits/{permit_id}");
    e2e.call_ok(&operator, "GET", &one, empty.clone()).await;
    e2e.call_ok(&admin, "PUT", &one, permit).await;
    let (status, revoked) = e2e
        .call(
            &admin,
            "POST",
            &format!("{one}/revoke"),
            Some(json!({ "reason": "工地停工" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{revoked}");
    assert_eq!(revoked["revoked_reason"], "工地停工", "{revoked}");
    let (status, _) = e2e
        .call_ok(
            &admin,
            "POST",
            "/api/sensors",
            json!({ "sensor_id": "MH-0001", "kind": "manhole", "name": "东华门大街井盖", "lat": 39.91, "lon": 116.40, "config": { "tilt_deg": 15 } }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let now = e2e.state.now();
    e2e.state
        .store
        .append_sensor_readings(
            &[store::SensorReading {
                sensor_id: "MH-0001".into(),
                at: now.plus_minutes(-5),
                received_at: now.plus_minutes(-5),
                data: json!({ "tilt_deg": 3.5, "open": false }),
            }],
            &[],
        )
        .await
        .expect("sensor readings");
    e2e.call_ok(&operator, "GET", "/api/sensors", empty.clone())
        .await;
    e2e.call_ok(&operator, "GET", "/api/sensors/MH-0001", empty.clone())
        .await;
    let (_, series) = e2e
        .call_ok(
            &operator,
            "GET",
            "/api/sensors/MH-0001/readings",
            empty.clone(),
        )
        .await;
    assert_eq!(
        series["items"].as_array().map(Vec::len),
        Some(1),
        "{series}"
    );
    e2e.call_ok(
        &admin,
        "POST",
        "/api/cameras",
        json!({ "camera_id": "CAM-0001", "name": "东华门大街 东向", "lat": 39.91, "lon": 116.40, "direction_deg": 90.0 }),
    )
    .await;
    e2e.call_ok(&operator, "GET", "/api/cameras", empty.clone())
        .await;
    let (_, key) = e2e
        .call_ok(
            &admin,
            "POST",
            "/api/api-keys",
            json!({ "name": "AI 视频平台", "user_id": e2e.users["operator"] }),
        )
        .await;
    let key = key["key"].as_str().expect("key").to_owned();
    let (status, outcome) = e2e
        .call_ok(
            &key,
            "POST",
            "/api/ingest/camera-events",
            json!({ "camera_id": "CAM-0001", "event_type": "占道经营", "confidence": 0.91, "at": now.to_rfc3339(), "image": "/9j/4AAQSkZJRg==" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(outcome["alarm_level"], "warning", "{outcome}");
    e2e.call_ok(
        &operator,
        "GET",
        "/api/cameras/CAM-0001/events",
        empty.clone(),
    )
    .await;
    e2e.call_ok(
        &operator,
        "GET",
        &format!("/api/sweeping/coverage?day={today}"),
        empty.clone(),
    )
    .await;
    e2e.call_ok(&operator, "GET", "/api/patrol/coverage", empty.clone())
        .await;
    // Garbage collection: a kitchen truck stands a minute at a kitchen point, then at a point
    // of other waste (前分后混), an hour into the day.
    e2e.state
        .store
        .upsert_collection_points(&[
            store::CollectionPoint {
                point_id: "CP-K1".into(),
                name: "东华门厨余收集点".into(),
                category: "kitchen".into(),
                lat: 39.912,
                lon: 116.402,
                grid_code: Some(GRID.to_owned()),
            },
            store::CollectionPoint {
                point_id: "CP-O1".into(),
                name: "东华门其他垃圾收集点".into(),
                category: "other".into(),
                lat: 39.914,
                lon: 116.402,
                grid_code: None,
            },
        ])
        .await
        .expect("collection points");
    let (_, garbage_truck) = e2e
        .call_ok(
            &admin,
            "POST",
            "/api/vehicles",
            json!({ "plate": "豫A·G0001", "kind": "garbage_truck", "company": "东城环卫（厨余）", "phone": "13800003333" }),
        )
        .await;
    let garbage_truck = garbage_truck["id"].as_i64().expect("garbage truck id");
    let hour = Timestamp::shanghai_midnight(now.to_shanghai().date()).plus_minutes(60);
    let stops: Vec<Position> = [
        (0, 39.912),
        (30, 39.912),
        (60, 39.912),
        (600, 39.914),
        (630, 39.914),
        (660, 39.914),
    ]
    .iter()
    .map(|(s, lat)| Position {
        vehicle_id: garbage_truck,
        fix_at: Timestamp(hour.0 + s * 1000),
        received_at: Timestamp(hour.0 + s * 1000),
        lat: *lat,
        lon: 116.402,
        speed_kmh: 0.0,
        heading: 0,
        altitude_m: 45,
        alarm: 0,
        status: 3,
        mileage_m: None,
        grid_code: None,
        backfill: false,
    })
    .collect();
    e2e.state
        .store
        .append_positions(&stops)
        .await
        .expect("garbage truck positions");
    let (_, garbage) = e2e
        .call_ok(
            &operator,
            "GET",
            &format!("/api/garbage/collection?day={today}"),
            empty.clone(),
        )
        .await;
    assert_eq!(garbage["total"]["visits"], 2, "{garbage}");
    assert_eq!(garbage["total"]["mixed_trucks"], 1, "{garbage}");
    // Collection routes 收运路线: the kitchen truck's route over its point.
    let route = json!({
        "route_id": "R-K1", "name": "东华门厨余线", "vehicle_id": garbage_truck,
        "category": "kitchen", "points": ["CP-K1"], "days": { "kind": "daily" },
        "finish_by": "09:00",
    });
    e2e.call_ok(&admin, "POST", "/api/sanitation/routes", route)
        .await;
    e2e.call_ok(&operator, "GET", "/api/sanitation/routes", empty.clone())
        .await;
    e2e.call_ok(
        &operator,
        "GET",
        "/api/sanitation/routes/R-K1",
        empty.clone(),
    )
    .await;
    e2e.call_ok(
        &admin,
        "PUT",
        "/api/sanitation/routes/R-K1",
        json!({
            "name": "东华门厨余线", "vehicle_id": garbage_truck, "category": "kitchen",
            "points": ["CP-K1"], "days": { "kind": "weekdays", "days": [1, 2, 3, 4, 5, 6, 7] },
            "finish_by": "24:00", "any_truck": true,
        }),
    )
    .await;
    let (_, routes) = e2e
        .call_ok(
            &operator,
            "GET",
            &format!("/api/sanitation/route-report?day={today}"),
            empty.clone(),
        )
        .await;
    assert_eq!(routes["routes"][0]["visited"], 1, "{routes}");
    let (status, _) = e2e
        .call(&admin, "DELETE", "/api/sanitation/routes/R-K1", None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    e2e.call_ok(
        &admin,
        "POST",
        "/api/stations",
        json!({ "station_id": "ZS-01", "name": "东华门中转站", "lat": 39.91, "lon": 116.40, "radius_m": 60.0, "capacity_t": 50.0 }),
    )
    .await;
    let handler = e2e.login("handler").await;
    e2e.call_ok(
        &handler,
        "PUT",
        &format!("/api/stations/ZS-01/tonnage/{today}"),
        json!({ "in_t": 42.5, "out_t": 40.0 }),
    )
    .await;
    let (_, stations) = e2e
        .call_ok(&operator, "GET", "/api/stations", empty.clone())
        .await;
    assert_eq!(stations["not_cleared"], 1, "{stations}");

    // Assessment 考核自动化: indicators, series, flags, weights, reports, cycle tasks, matters.
    {
        let leader = e2e.login("leader").await;
        let inspector_token = e2e.login("inspector").await;
        let (_, ranking) = e2e
            .call_ok(
                &leader,
                "GET",
                "/api/assessment/indicators?scope_kind=street&period=2026-11",
                empty.clone(),
            )
            .await;
        assert!(ranking["rows"].is_array(), "{ranking}");
        for kind in ["city", "grid", "department", "operator", "dispatcher"] {
            e2e.call_ok(
                &leader,
                "GET",
                &format!("/api/assessment/indicators?scope_kind={kind}"),
                empty.clone(),
            )
            .await;
        }
        e2e.call_ok(
            &leader,
            "GET",
            "/api/assessment/series?scope_kind=city&counter=reported&from=2026-11-01&to=2026-11-30",
            empty.clone(),
        )
        .await;
        e2e.call_ok(
            &leader,
            "GET",
            "/api/assessment/flags?week=2026-W48",
            empty.clone(),
        )
        .await;
        e2e.call_ok(
            &leader,
            "GET",
            "/api/assessment/flags/history",
            empty.clone(),
        )
        .await;
        let (_, weights) = e2e
            .call_ok(&leader, "GET", "/api/assessment/weights", empty.clone())
            .await;
        e2e.call_ok(&admin, "PUT", "/api/assessment/weights", weights)
            .await;
        e2e.call_ok(
            &leader,
            "GET",
            "/api/assessment/report.xlsx?kind=weekly&period=2026-W48",
            empty.clone(),
        )
        .await;
        e2e.call_ok(
            &leader,
            "GET",
            "/api/assessment/report.csv?kind=monthly&period=2026-11",
            empty.clone(),
        )
        .await;
        let inspector = e2e.users["inspector"];
        let (_, task) = e2e
            .call_ok(
                &admin,
                "POST",
                "/api/cycle-tasks",
                json!({
                    "title": "夜市巡查", "class_code": "06010",
                    "place": { "kind": "grid", "code": GRID },
                    "schedule": { "kind": "weekly", "days": ["Mon"] },
                    "time": "08:00:00", "non_working": "next_working_day",
                    "inspector_id": inspector,
                }),
            )
            .await;
        e2e.call_ok(&leader, "GET", "/api/cycle-tasks", empty.clone())
            .await;
        e2e.call_ok(
            &inspector_token,
            "GET",
            "/api/cycle-tasks/runs",
            empty.clone(),
        )
        .await;
        let task_id = task["id"].as_i64().expect("task id");
        let (status, _) = e2e
            .call(
                &admin,
                "DELETE",
                &format!("/api/cycle-tasks/{task_id}"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (_, category) = e2e
            .call_ok(
                &admin,
                "POST",
                "/api/matters/categories",
                json!({ "name": "环境整治" }),
            )
            .await;
        e2e.call_ok(&leader, "GET", "/api/matters/categories", empty.clone())
            .await;
        let (_, item) = e2e
            .call_ok(
                &admin,
                "POST",
                "/api/matters",
                json!({
                    "category_id": category["id"], "title": "背街小巷整治", "plan": "年底前完成",
                    "measures": ["清运"], "owner_department_id": e2e.department,
                    "milestones": [{ "title": "清运", "due": "2026-12-31" }],
                }),
            )
            .await;
        let handler = e2e.login("handler").await;
        let item_id = item["id"].as_i64().expect("item id");
        e2e.call_ok(
            &handler,
            "POST",
            &format!("/api/matters/{item_id}/progress"),
            json!({ "percent": 50, "note": "已清运一半" }),
        )
        .await;
        e2e.call_ok(&leader, "GET", "/api/matters", empty.clone())
            .await;
        let (_, summary) = e2e
            .call_ok(&leader, "GET", "/api/matters/summary", empty.clone())
            .await;
        assert_eq!(summary["total"]["in_progress"], 1, "{summary}");
    }

    // 督办: the list (a case was supervised by hand above) and the escalation rules.
    let (_, list) = e2e
        .call_ok(
            &leader,
            "GET",
            "/api/supervision?status=all&limit=10",
            empty.clone(),
        )
        .await;
    assert!(
        list["items"].as_array().is_some_and(|i| !i.is_empty()),
        "{list}"
    );
    let (_, rules) = e2e
        .call_ok(
            &leader,
            "GET",
            "/api/config/escalation-rules",
            empty.clone(),
        )
        .await;
    e2e.call_ok(&admin, "PUT", "/api/config/escalation-rules", rules)
        .await;

    // Likely duplicates: two reports of one class at one point (automatic linking off).
    let (_, rules) = e2e
        .call_ok(&operator, "GET", "/api/duplicate-rules", empty.clone())
        .await;
    let mut manual = rules.clone();
    manual["default"]["auto_link_score"] = json!(null);
    e2e.call_ok(&admin, "PUT", "/api/duplicate-rules", manual)
        .await;
    let dup = json!({ "source": "hotline_12319", "description": "路口有成堆垃圾", "lat": 39.911, "lon": 116.401, "class_code": "06010" });
    e2e.call_ok(&operator, "POST", "/api/cases", dup.clone())
        .await;
    let (_, again) = e2e.call_ok(&operator, "POST", "/api/cases", dup).await;
    let again = again["case"]["id"].as_i64().expect("id");
    let (_, found) = e2e
        .call_ok(
            &operator,
            "GET",
            &format!("/api/cases/{again}/duplicates"),
            empty.clone(),
        )
        .await;
    assert_eq!(
        found["candidates"].as_array().map(Vec::len),
        Some(1),
        "{found}"
    );
    // The same before filing (a hotline intake), by point and by address.
    let (_, intake) = e2e
        .call_ok(
            &operator,
            "GET",
            "/api/duplicates/candidates?class_code=06010&lat=39.911&lon=116.401&description=%E5%9E%83%E5%9C%BE",
            empty.clone(),
        )
        .await;
    assert_eq!(
        intake["candidates"].as_array().map(Vec::len),
        Some(2),
        "{intake}"
    );
    e2e.call_ok(
        &operator,
        "GET",
        "/api/duplicates/candidates?class_code=06010&address=%E4%B8%9C%E5%8D%8E%E9%97%A8%E5%A4%A7%E8%A1%97",
        empty.clone(),
    )
    .await;
    e2e.call_ok(&admin, "PUT", "/api/duplicate-rules", rules)
        .await;

    // Citizens: a code by SMS (read back from the outbox), sign-in, a class suggestion.
    let (_, sent) = e2e
        .call_ok(
            "",
            "POST",
            "/api/auth/otp",
            json!({ "phone": "13912345678" }),
        )
        .await;
    assert_eq!(sent["sent"], true, "{sent}");
    let (_, outbox) = e2e
        .call_ok(
            &admin,
            "GET",
            "/api/notifications?channel=sms&to=13912345678&limit=1",
            empty.clone(),
        )
        .await;
    let body = outbox["notifications"][0]["body"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    // Webhooks for integrations: register (the secret shown once), list, refuse a bad URL, stop.
    let (_, hook) = e2e
        .call_ok(
            &admin,
            "POST",
            "/api/webhooks",
            json!({ "name": "12345 平台", "url": "http://127.0.0.1:9/hook", "actions": ["close"] }),
        )
        .await;
    assert!(hook["secret"].is_string(), "{hook}");
    let (status, _) = e2e
        .call(
            &admin,
            "POST",
            "/api/webhooks",
            Some(json!({ "name": "x", "url": "ftp://example.org/hook" })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, hooks) = e2e
        .call_ok(&admin, "GET", "/api/webhooks", empty.clone())
        .await;
    assert_eq!(
        hooks["webhooks"].as_array().map(Vec::len),
        Some(1),
        "{hooks}"
    );
    let (status, _) = e2e
        .call(
            &admin,
            "DELETE",
            &format!("/api/webhooks/{}", hook["id"]),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let code: String = body.chars().filter(char::is_ascii_digit).take(6).collect();
    let (_, signed) = e2e
        .call_ok(
            "",
            "POST",
            "/api/auth/otp/verify",
            json!({ "phone": "13912345678", "code": code }),
        )
        .await;
    let citizen_token = signed["token"].as_str().expect("token").to_owned();
    let (_, suggested) = e2e
        .call_ok(
            &citizen_token,
            "GET",
            "/api/taxonomy/suggest?text=%E4%BA%95%E7%9B%96%E4%B8%A2%E4%BA%86&limit=3",
            empty.clone(),
        )
        .await;
    assert!(suggested["suggestions"].is_array(), "{suggested}");

    // Volunteers: the signed-in citizen registers and reports through the volunteer channel;
    // the admin names an honorary road chief; readers list and count; one leaves.
    let (_, reg) = e2e
        .call_ok(
            &citizen_token,
            "POST",
            "/api/volunteers",
            json!({ "project": "road_patrol", "organisation": "东城区志愿服务队", "area_code": "110101" }),
        )
        .await;
    assert_eq!(reg["volunteer"]["project"], "road_patrol", "{reg}");
    assert_eq!(reg["volunteer"]["phone"], "13912345678", "their own phone");
    e2e.call_ok(
        &citizen_token,
        "POST",
        "/api/cases",
        json!({ "source": "volunteer", "description": "人行道井盖缺失", "area_code": GRID }),
    )
    .await;
    let volunteer_id = e2e.users["volunteer"];
    let (_, honorary) = e2e
        .call_ok(
            &admin,
            "POST",
            "/api/volunteers",
            json!({ "user_id": volunteer_id, "project": "waterways", "honorary": true }),
        )
        .await;
    assert_eq!(honorary["volunteer"]["honorary"], true, "{honorary}");
    let (_, listed) = e2e
        .call_ok(
            &operator,
            "GET",
            "/api/volunteers?project=road_patrol&area_code=110101&include_left=false&limit=10",
            empty.clone(),
        )
        .await;
    assert_eq!(listed["volunteers"][0]["reports"], 1, "{listed}");
    let reader = e2e.login("leader").await;
    let (_, counted) = e2e
        .call_ok(&reader, "GET", "/api/volunteers/summary", empty.clone())
        .await;
    assert_eq!(counted["volunteers"], 2, "{counted}");
    assert_eq!(counted["projects"][0]["reports"], 1, "{counted}");
    let (status, _) = e2e
        .call(
            &admin,
            "DELETE",
            &format!("/api/volunteers/{volunteer_id}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    // Every operation was exercised with a success status.
    let exercised = e2e.exercised.lock().expect("lock").clone();
    let missing: Vec<_> = documented().difference(&exercised).cloned().collect();
    assert!(
        missing.is_empty(),
        "operations never exercised successfully: {missing:?}"
    );
}

/// The documented failures happen as documented (status, shape and listed code).
#[tokio::test]
async fn error_responses_fit_the_document() {
    let e2e = E2e::new().await;
    let admin = e2e.login("admin").await;
    let operator = e2e.login("operator").await;
    let code_of = |(status, body): (StatusCode, Value)| {
        (
            status.as_u16(),
            body["error"]["code"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        )
    };
    let expect = |got: (u16, String), status: u16, code: &str| {
        assert_eq!(got, (status, code.to_owned()));
    };
    let report = json!({ "source": "hotline_12319", "description": "垃圾满溢", "area_code": GRID });
    let with = |k: &str, v: Value| {
        let mut r = report.clone();
        r[k] = v;
        r
    };

    // Reading a JSON body.
    let got = e2e
        .raw(
            &operator,
            "POST",
            "/api/cases",
            Some("application/json"),
            b"{".to_vec(),
        )
        .await;
    assert_eq!(got, (StatusCode::BAD_REQUEST, "bad_json".to_owned()));
    let got = e2e
        .raw(
            &operator,
            "POST",
            "/api/cases",
            None,
            report.to_string().into_bytes(),
        )
        .await;
    assert_eq!(
        got,
        (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type".to_owned()
        )
    );
    let huge = with("description", json!("x".repeat(crate::JSON_BODY_LIMIT + 1)));
    let got = e2e
        .raw(
            &operator,
            "POST",
            "/api/cases",
            Some("application/json"),
            huge.to_string().into_bytes(),
        )
        .await;
    assert_eq!(
        got,
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large".to_owned()
        )
    );
    let got = e2e
        .call_invalid(
            &operator,
            "POST",
            "/api/cases",
            with("colour", json!("red")),
        )
        .await;
    expect(code_of(got), 422, "invalid_body");

    // Reports.
    let mut no_area = report.clone();
    no_area.as_object_mut().expect("object").remove("area_code");
    expect(
        code_of(
            e2e.call_invalid(&operator, "POST", "/api/cases", no_area)
                .await,
        ),
        422,
        "missing_field",
    );
    let got = e2e
        .call_invalid(
            &operator,
            "POST",
            "/api/cases",
            with("source", json!("pigeon")),
        )
        .await;
    expect(code_of(got), 422, "unknown_source");
    let got = e2e
        .call_invalid(&operator, "POST", "/api/cases", with("lat", json!(39.9)))
        .await;
    expect(code_of(got), 422, "invalid_point");
    let got = e2e
        .call_invalid(
            &operator,
            "POST",
            "/api/cases",
            with("note", json!("x".repeat(2001))),
        )
        .await;
    expect(code_of(got), 422, "too_long");
    let ten = json!([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    let got = e2e
        .call_invalid(&operator, "POST", "/api/cases", with("attachments", ten))
        .await;
    expect(code_of(got), 422, "too_many_attachments");
    let unchecked = |body: Value| e2e.call_with(&operator, "POST", "/api/cases", Some(body), false);
    expect(
        code_of(unchecked(with("area_code", json!("123"))).await),
        422,
        "invalid_area_code",
    );
    expect(
        code_of(unchecked(with("area_code", json!("110101001001999"))).await),
        422,
        "unknown_area",
    );
    expect(
        code_of(unchecked(with("class_code", json!("99999"))).await),
        422,
        "unknown_class",
    );
    expect(
        code_of(unchecked(with("urgency", json!("whenever"))).await),
        422,
        "invalid",
    );
    let leader = e2e.login("leader").await;
    let got = e2e
        .call(&leader, "POST", "/api/cases", Some(report.clone()))
        .await;
    expect(code_of(got), 403, "forbidden");

    // Actions.
    let case = e2e.report(&operator).await;
    let acts = format!("/api/cases/{case}/actions");
    let act = |body: Value| e2e.call_with(&operator, "POST", &acts, Some(body), false);
    let not_an_inspector = json!({ "action": "send_verify", "inspector_id": e2e.users["leader"] });
    expect(
        code_of(act(not_an_inspector).await),
        422,
        "unknown_inspector",
    );
    let no_master = json!({ "action": "link_duplicate", "master_case_id": 999_999 });
    expect(code_of(act(no_master).await), 422, "invalid_master");
    expect(
        code_of(act(json!({ "action": "reject_report" })).await),
        422,
        "missing_field",
    );
    expect(
        code_of(act(json!({ "action": "file", "class_code": "99999" })).await),
        422,
        "unknown_class",
    );
    let early = json!({ "action": "dispatch", "department_id": e2e.department });
    expect(code_of(act(early).await), 409, "invalid_transition");
    let accept = Some(json!({ "action": "accept" }));
    let got = e2e
        .call(&operator, "POST", "/api/cases/abc/actions", accept.clone())
        .await;
    expect(code_of(got), 400, "bad_request");
    let got = e2e
        .call(&operator, "POST", "/api/cases/999999/actions", accept)
        .await;
    expect(code_of(got), 404, "not_found");
    // A pending request blocks everything but its decision.
    let supervisor = e2e.login("supervisor").await;
    let dispatcher = e2e.login("dispatcher").await;
    let handler = e2e.login("handler").await;
    let superior = json!({ "source": "superior", "description": "领导交办", "area_code": GRID });
    let (_, created) = e2e.call_ok(&leader, "POST", "/api/cases", superior).await;
    let second = created["case"]["id"].as_i64().expect("id");
    let second_acts = format!("/api/cases/{second}/actions");
    e2e.act(&operator, second, json!({ "action": "accept" }))
        .await;
    let (_, classes) = e2e
        .call_ok(&admin, "GET", "/api/taxonomy?kind=matter", json!(null))
        .await;
    let class = classes[0]["code"].clone();
    let unclassified = json!({ "action": "file" });
    let got = e2e
        .call(&supervisor, "POST", &second_acts, Some(unclassified))
        .await;
    expect(code_of(got), 422, "missing_field");
    e2e.act(
        &supervisor,
        second,
        json!({ "action": "file", "class_code": class }),
    )
    .await;
    let nowhere = json!({ "action": "dispatch", "department_id": 999 });
    let got = e2e
        .call(&dispatcher, "POST", &second_acts, Some(nowhere))
        .await;
    expect(code_of(got), 422, "unknown_department");
    e2e.act(
        &dispatcher,
        second,
        json!({ "action": "dispatch", "department_id": e2e.department }),
    )
    .await;
    e2e.act(&handler, second, json!({ "action": "accept_task" }))
        .await;
    e2e.act(
        &handler,
        second,
        json!({ "action": "request_suspension", "note": "等待施工许可" }),
    )
    .await;
    let back = json!({ "action": "request_return", "note": "不归我们" });
    expect(
        code_of(e2e.call(&handler, "POST", &second_acts, Some(back)).await),
        409,
        "request_pending",
    );
    let zero = json!({ "action": "request_extension", "minutes": 0, "note": "x" });
    let got = e2e.call_invalid(&handler, "POST", &second_acts, zero).await;
    assert_eq!(got.0, StatusCode::CONFLICT, "{}", got.1);

    // Lists and paths.
    let get = |uri: &'static str| e2e.call(&operator, "GET", uri, None);
    expect(
        code_of(get("/api/cases?colour=red").await),
        400,
        "bad_request",
    );
    expect(
        code_of(get("/api/cases?state=lost").await),
        400,
        "bad_request",
    );
    expect(
        code_of(get("/api/cases?cursor=garbage").await),
        400,
        "bad_request",
    );
    expect(
        code_of(get("/api/stats/summary?from=yesterday").await),
        400,
        "bad_request",
    );
    expect(
        code_of(get("/api/stats/breakdown?from=yesterday").await),
        400,
        "bad_request",
    );
    expect(code_of(get("/api/cases/abc").await), 400, "bad_request");
    expect(
        code_of(get("/api/cases/999999/events").await),
        404,
        "not_found",
    );
    expect(
        code_of(get("/api/attachments/999999").await),
        404,
        "not_found",
    );
    expect(
        code_of(get("/api/taxonomy/matter/99999").await),
        404,
        "not_found",
    );
    expect(
        code_of(get("/api/calendar/special-days?year=soon").await),
        400,
        "bad_request",
    );
    let deadline = "/api/calendar/deadline?start=2026-01-01T09:00:00%2B08:00&minutes=-1";
    expect(code_of(get(deadline).await), 400, "bad_request");

    // Organisation and configuration.
    let ghost = json!({ "name": "ghost", "user_id": 999_999 });
    let got = e2e.call(&admin, "POST", "/api/api-keys", Some(ghost)).await;
    expect(code_of(got), 422, "unknown_reference");
    let dept = json!({ "code": "X1", "name": "x", "dept_type": "other", "areas": ["999999"] });
    let got = e2e
        .call(&admin, "POST", "/api/departments", Some(dept))
        .await;
    expect(code_of(got), 422, "unknown_reference");
    let bakery = json!({ "code": "X2", "name": "x", "dept_type": "bakery" });
    let got = e2e
        .call_invalid(&admin, "POST", "/api/departments", bakery)
        .await;
    expect(code_of(got), 422, "invalid");
    let got = e2e
        .call(&admin, "PUT", "/api/users/999999/grants", Some(json!([])))
        .await;
    expect(code_of(got), 404, "not_found");
    let handler_grants = format!("/api/users/{}/grants", e2e.users["handler"]);
    let no_dept = json!([{ "role": "department_handler" }]);
    let got = e2e
        .call(&admin, "PUT", &handler_grants, Some(no_dept))
        .await;
    expect(code_of(got), 422, "missing_field");
    let bad_area = json!([{ "code": "12", "name": "x" }]);
    let got = e2e
        .call_with(&admin, "POST", "/api/areas", Some(bad_area), false)
        .await;
    expect(code_of(got), 422, "invalid_area_code");
    let orphan = json!([{ "code": "999999001", "name": "孤儿街道" }]);
    let got = e2e.call(&admin, "POST", "/api/areas", Some(orphan)).await;
    assert_eq!(got.0, StatusCode::UNPROCESSABLE_ENTITY, "{}", got.1);
    let mut limits = e2e
        .call_ok(&admin, "GET", "/api/config/node-limits", json!(null))
        .await
        .1;
    limits["accept"] = json!(0);
    let got = e2e
        .call_invalid(&admin, "PUT", "/api/config/node-limits", limits)
        .await;
    expect(code_of(got), 422, "invalid");
    let bad_rule = json!({ "default": { "radius_m": 0.5, "window_minutes": 60 } });
    let got = e2e
        .call_invalid(&admin, "PUT", "/api/duplicate-rules", bad_rule)
        .await;
    expect(code_of(got), 422, "invalid");
    let unknown = json!({ "default": { "radius_m": 50.0, "window_minutes": 60 },
                          "per_class": { "99999": { "radius_m": 50.0, "window_minutes": 60 } } });
    let got = e2e
        .call(&admin, "PUT", "/api/duplicate-rules", Some(unknown))
        .await;
    expect(code_of(got), 422, "unknown_class");
    let got = e2e
        .call_with(
            "",
            "POST",
            "/api/auth/otp",
            Some(json!({ "phone": "12345" })),
            false,
        )
        .await;
    expect(code_of(got), 422, "invalid_phone");
    let got = e2e
        .call(
            "",
            "POST",
            "/api/auth/otp/verify",
            Some(json!({ "phone": "13700000001", "code": "000000" })),
        )
        .await;
    expect(code_of(got), 401, "invalid_code");
    let first = e2e
        .call(
            "",
            "POST",
            "/api/auth/otp",
            Some(json!({ "phone": "13700000002" })),
        )
        .await;
    assert_eq!(first.0, StatusCode::ACCEPTED, "{}", first.1);
    let got = e2e
        .call(
            "",
            "POST",
            "/api/auth/otp",
            Some(json!({ "phone": "13700000002" })),
        )
        .await;
    expect(code_of(got), 429, "rate_limited");
    let unordered = json!({ "limits": {
        "urgent": { "amount": 5, "unit": "work_days" },
        "high": { "amount": 1, "unit": "work_hours" },
        "normal": { "amount": 2, "unit": "work_days" },
    } });
    let got = e2e
        .call(&admin, "PUT", "/api/taxonomy/matter/06010", Some(unordered))
        .await;
    expect(code_of(got), 422, "invalid");
    let wrong_year = json!([{ "date": "2032-01-01", "kind": "holiday", "name": "元旦" }]);
    let got = e2e
        .call(
            &admin,
            "PUT",
            "/api/calendar/special-days/2031",
            Some(wrong_year),
        )
        .await;
    expect(code_of(got), 422, "invalid");

    // Volunteers.
    let citizen = e2e.login("citizen").await;
    let got = e2e
        .call_invalid(
            &citizen,
            "POST",
            "/api/volunteers",
            json!({ "project": "dancing" }),
        )
        .await;
    expect(code_of(got), 422, "unknown_project");
    for (token, body) in [
        (
            &citizen,
            json!({ "project": "community", "user_id": e2e.users["admin"] }),
        ),
        (
            &citizen,
            json!({ "project": "community", "honorary": true }),
        ),
        (&operator, json!({ "project": "community" })),
    ] {
        let got = e2e.call(token, "POST", "/api/volunteers", Some(body)).await;
        expect(code_of(got), 403, "forbidden");
    }
    for (token, body, status, code) in [
        (
            &citizen,
            json!({ "project": "community", "road_id": "no-such-road" }),
            422,
            "unknown_road",
        ),
        (
            &citizen,
            json!({ "project": "community", "area_code": "110102" }),
            422,
            "unknown_area",
        ),
        (
            &admin,
            json!({ "project": "community", "user_id": 999_999 }),
            404,
            "not_found",
        ),
    ] {
        let got = e2e.call(token, "POST", "/api/volunteers", Some(body)).await;
        expect(code_of(got), status, code);
    }
    let got = e2e.call(&citizen, "GET", "/api/volunteers", None).await;
    expect(code_of(got), 403, "forbidden");
    let got = e2e
        .call(
            &admin,
            "GET",
            "/api/volunteers/summary?from=2026-02-01",
            None,
        )
        .await;
    expect(code_of(got), 422, "invalid_period");
    let got = e2e
        .call(&admin, "GET", "/api/volunteers?project=dancing", None)
        .await;
    expect(code_of(got), 422, "unknown_project");
    let got = e2e
        .call(
            &citizen,
            "DELETE",
            &format!("/api/volunteers/{}", e2e.users["admin"]),
            None,
        )
        .await;
    expect(code_of(got), 403, "forbidden");
    let got = e2e
        .call(
            &citizen,
            "DELETE",
            &format!("/api/volunteers/{}", e2e.users["citizen"]),
            None,
        )
        .await;
    expect(code_of(got), 404, "not_found");

    // Uploads.
    let mut big = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    big.resize(UPLOAD_LIMIT + 1, 0);
    expect(
        code_of(e2e.upload_bytes(&operator, &big).await),
        413,
        "payload_too_large",
    );
    expect(
        code_of(e2e.upload_bytes(&operator, b"").await),
        422,
        "missing_field",
    );
    let form =
        b"--B\r\nContent-Disposition: form-data; name=\"photo\"\r\n\r\nx\r\n--B--\r\n".to_vec();
    let got = e2e
        .raw(
            &operator,
            "POST",
            "/api/attachments",
            Some("multipart/form-data; boundary=B"),
            form,
        )
        .await;
    assert_eq!(
        got,
        (StatusCode::UNPROCESSABLE_ENTITY, "missing_field".to_owned())
    );
    // Not multipart at all: refused in the API's error shape.
    let got = e2e
        .raw(
            &operator,
            "POST",
            "/api/attachments",
            Some("application/json"),
            b"{}".to_vec(),
        )
        .await;
    assert_eq!(
        got,
        (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type".to_owned()
        )
    );

    // The city model. No unit grid loaded: a point alone does not say where.
    let point_only = json!({ "source": "hotline_12319", "description": "路灯不亮", "lat": 39.91, "lon": 116.40 });
    let got = e2e
        .call(&operator, "POST", "/api/cases", Some(point_only))
        .await;
    expect(code_of(got), 422, "missing_field");
    let geo = Some("application/geo+json");
    let areas = city_areas_geojson().into_bytes();
    let layer = |token: &str, uri: &str, body: &[u8]| {
        let (token, uri, body) = (token.to_owned(), uri.to_owned(), body.to_vec());
        let e2e = &e2e;
        async move {
            let (status, code) = e2e.raw(&token, "POST", &uri, geo, body).await;
            (status.as_u16(), code)
        }
    };
    expect(
        layer(&operator, "/api/layers/areas", &areas).await,
        403,
        "forbidden",
    );
    expect(
        layer(&admin, "/api/layers/planets", &areas).await,
        404,
        "not_found",
    );
    expect(
        layer(&admin, "/api/layers/areas?format=csv", &areas).await,
        422,
        "unknown_format",
    );
    expect(
        layer(&admin, "/api/layers/areas?crs=mars", &areas).await,
        422,
        "unknown_crs",
    );
    expect(
        layer(&admin, "/api/layers/areas?colour=red", &areas).await,
        400,
        "bad_request",
    );
    expect(
        layer(&admin, "/api/layers/areas", b"{").await,
        422,
        "invalid_layer_file",
    );
    let chiefless = ROADS_GEOJSON.replace("\"inspector\"", "\"nobody\"");
    expect(
        layer(&admin, "/api/layers/roads", chiefless.as_bytes()).await,
        422,
        "unknown_reference",
    );
    let unclosed = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"110101","name":"东城区"},"geometry":{"type":"Polygon","coordinates":[[[116.39,39.90],[116.41,39.90],[116.41,39.92],[116.39,39.92]]]}}]}"#;
    let (status, _, body) = e2e
        .send_raw(
            &admin,
            "POST",
            "/api/layers/areas",
            &[],
            unclosed.as_bytes().to_vec(),
        )
        .await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("invalid_layer")),
        "{body}"
    );
    assert_eq!(
        (
            &body["error"]["issues"][0]["index"],
            &body["error"]["issues"][0]["kind"]
        ),
        (&json!(0), &json!("ring_not_closed")),
        "{body}"
    );
    for (uri, status, code) in [
        ("/api/layers/areas?format=csv", 422, "unknown_format"),
        ("/api/layers/planets", 404, "not_found"),
        ("/api/layers/areas?level=planet", 422, "unknown_level"),
        ("/api/layers/roads?parent=abc", 422, "invalid_area_code"),
        ("/api/layers/components?limit=-1", 400, "bad_request"),
        ("/api/map/density?states=some", 422, "invalid_states"),
        ("/api/map/density?parent=123", 422, "invalid_area_code"),
        ("/api/map/density?level=planet", 422, "unknown_level"),
        ("/api/geocode?lat=95&lon=116.4", 422, "invalid_point"),
        ("/api/geocode?lat=39.9", 400, "bad_request"),
        ("/api/address?q=", 422, "missing_field"),
        (
            "/api/address?q=%E7%81%AB%E6%98%9F",
            422,
            "address_not_found",
        ),
        (
            "/api/duplicates/candidates?class_code=06010",
            422,
            "missing_field",
        ),
        (
            "/api/duplicates/candidates?class_code=99999&lat=39.91&lon=116.4",
            422,
            "unknown_class",
        ),
    ] {
        expect(code_of(get(uri).await), status, code);
    }
    for (uri, status, code) in [
        ("/api/map/areas?zoom=5", 422, "invalid_zoom"),
        ("/api/map/areas?zoom=300", 422, "invalid_zoom"),
        ("/api/map/areas?zoom=99999999999", 400, "bad_request"),
        ("/api/map/areas?zoom=-1", 400, "bad_request"),
        ("/api/map/areas?level=planet", 422, "unknown_level"),
        ("/api/map/areas?crs=mars", 422, "unknown_crs"),
        ("/api/map/areas?parent=abc", 422, "invalid_area_code"),
    ] {
        expect(code_of(e2e.call("", "GET", uri, None).await), status, code);
    }
    let many: Vec<Value> = (0..10_001)
        .map(|_| json!({ "lat": 39.91, "lon": 116.40 }))
        .collect();
    let got = e2e
        .call_invalid(&operator, "POST", "/api/geocode", json!({ "points": many }))
        .await;
    expect(code_of(got), 422, "too_many_points");
    // With the city loaded, a point must lie in a unit grid, and in `area_code` if given.
    e2e.import_city(&admin).await;
    let north = json!({ "source": "hotline_12319", "description": "路灯不亮", "lat": 39.95, "lon": 116.40 });
    let got = e2e.call(&operator, "POST", "/api/cases", Some(north)).await;
    expect(code_of(got), 422, "outside_city");
    let elsewhere = json!({ "source": "hotline_12319", "description": "路灯不亮", "lat": 39.91, "lon": 116.40, "area_code": "110102" });
    let got = e2e
        .call(&operator, "POST", "/api/cases", Some(elsewhere))
        .await;
    expect(code_of(got), 422, "point_outside_area");
    // A located point's `area_code` is still read as an area code first.
    let bad_code = json!({ "source": "hotline_12319", "description": "路灯不亮", "lat": 39.91, "lon": 116.40, "area_code": "123" });
    let got = e2e
        .call_with(&operator, "POST", "/api/cases", Some(bad_code), false)
        .await;
    expect(code_of(got), 422, "invalid_area_code");
    // A layer file over the limit is refused in the API's error shape. (Zeroed pages: the
    // body is refused before anything reads it.)
    let oversized = vec![0u8; super::MAX_LAYER_MIB * 1024 * 1024 + 1];
    let got = e2e
        .raw(&admin, "POST", "/api/layers/areas", geo, oversized)
        .await;
    assert_eq!(
        got,
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large".to_owned()
        )
    );
    // Exporting roads and components needs a staff role; outlines do not.
    let citizen = e2e.login("citizen").await;
    for layer in ["roads", "components"] {
        let got = e2e
            .call(&citizen, "GET", &format!("/api/layers/{layer}"), None)
            .await;
        expect(code_of(got), 403, "forbidden");
    }

    // Devices.
    let volunteer = e2e.login("volunteer").await;
    for uri in [
        "/api/vehicles",
        "/api/monitors",
        "/api/vehicles/1/track",
        "/api/monitors/M1/readings?factor=a34041",
    ] {
        expect(
            code_of(e2e.call(&volunteer, "GET", uri, None).await),
            403,
            "forbidden",
        );
    }
    let truck = json!({ "plate": "豫A·D1234", "kind": "muck_truck", "phone": "13800001111" });
    let got = e2e
        .call(&operator, "POST", "/api/vehicles", Some(truck.clone()))
        .await;
    expect(code_of(got), 403, "forbidden");
    let (_, created) = e2e
        .call_ok(&admin, "POST", "/api/vehicles", truck.clone())
        .await;
    let vehicle = created["id"].as_i64().expect("vehicle id");
    let vehicle_with = |k: &str, v: Value| {
        let mut b = truck.clone();
        b[k] = v;
        b
    };
    let post_vehicle =
        |body: Value| e2e.call_with(&admin, "POST", "/api/vehicles", Some(body), false);
    expect(
        code_of(post_vehicle(vehicle_with("plate", json!("   "))).await),
        422,
        "invalid_plate",
    );
    expect(
        code_of(post_vehicle(vehicle_with("plate", json!("豫A·D1234豫A·D12345"))).await),
        422,
        "invalid_plate",
    );
    expect(
        code_of(post_vehicle(vehicle_with("phone", json!("138-0000"))).await),
        422,
        "invalid_phone",
    );
    expect(
        code_of(post_vehicle(vehicle_with("kind", json!("tank"))).await),
        422,
        "invalid",
    );
    expect(
        code_of(post_vehicle(vehicle_with("colour", json!("red"))).await),
        422,
        "invalid_body",
    );
    let same_plate = vehicle_with("phone", json!("13800002222"));
    expect(
        code_of(
            e2e.call(&admin, "POST", "/api/vehicles", Some(same_plate))
                .await,
        ),
        409,
        "duplicate",
    );
    let same_phone = vehicle_with("plate", json!("豫A·D5678"));
    expect(
        code_of(
            e2e.call(&admin, "POST", "/api/vehicles", Some(same_phone))
                .await,
        ),
        409,
        "duplicate",
    );
    let track = format!("/api/vehicles/{vehicle}/track");
    for (uri, status, code) in [
        (format!("{track}?from=yesterday"), 422, "invalid_time"),
        (
            format!("{track}?to=2026-13-01T00:00:00Z"),
            422,
            "invalid_time",
        ),
        (
            format!("{track}?from=2026-03-02T10:00:00Z&to=2026-03-02T09:00:00Z"),
            422,
            "invalid_time",
        ),
        (format!("{track}?limit=-1"), 400, "bad_request"),
        (format!("{track}?speed=1"), 400, "bad_request"),
        ("/api/vehicles/abc/track".to_owned(), 400, "bad_request"),
        ("/api/vehicles/999999/track".to_owned(), 404, "not_found"),
    ] {
        expect(
            code_of(e2e.call(&operator, "GET", &uri, None).await),
            status,
            code,
        );
    }
    let fume = json!({ "mn": "MN0001", "password": "123456", "kind": "fume", "name": "油烟一" });
    let got = e2e
        .call(&operator, "POST", "/api/monitors", Some(fume.clone()))
        .await;
    expect(code_of(got), 403, "forbidden");
    e2e.call_ok(&admin, "POST", "/api/monitors", fume.clone())
        .await;
    let monitor_with = |k: &str, v: Value| {
        let mut b = fume.clone();
        b[k] = v;
        b
    };
    let post_monitor =
        |body: Value| e2e.call_with(&admin, "POST", "/api/monitors", Some(body), false);
    for (body, code) in [
        (monitor_with("mn", json!("MN-0001")), "invalid_mn"),
        (monitor_with("mn", json!("")), "invalid_mn"),
        (monitor_with("kind", json!("smell")), "unknown_kind"),
        (
            monitor_with("size_class", json!("huge")),
            "unknown_size_class",
        ),
        (monitor_with("lat", json!(39.91)), "invalid_point"),
        (
            json!({ "mn": "MN0002", "password": "1", "kind": "dust", "name": "扬尘", "lat": 116.40, "lon": 239.91 }),
            "invalid_point",
        ),
        (monitor_with("colour", json!("red")), "invalid_body"),
    ] {
        expect(code_of(post_monitor(body).await), 422, code);
    }
    for (uri, status, code) in [
        ("/api/monitors/MN0001/readings", 400, "bad_request"),
        (
            "/api/monitors/MN0001/readings?factor=a34041&from=soon",
            422,
            "invalid_time",
        ),
        (
            "/api/monitors/MN0001/readings?factor=a34041&limit=x",
            400,
            "bad_request",
        ),
        (
            "/api/monitors/NOPE/readings?factor=a34041",
            404,
            "not_found",
        ),
    ] {
        expect(
            code_of(e2e.call(&operator, "GET", uri, None).await),
            status,
            code,
        );
    }
}
