//! Open311 GeoReport v2 conformance on SQLite and PostgreSQL: every endpoint in both formats
//! (shapes, field names, types; the XML read back with quick-xml and compared field by field
//! with the JSON), requests entering the case loop and showing its progress, every error in
//! the spec's `errors` shape with its HTTP code, and the rate limits.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use quick_xml::events::Event;

use super::*;

/// One XML element read back: name, text, children.
#[derive(Debug, Default)]
struct Node {
    name: String,
    text: String,
    children: Vec<Node>,
}

/// Parses an XML document with quick-xml; checks the declaration.
fn parse_xml(text: &str) -> Node {
    assert!(
        text.starts_with(r#"<?xml version="1.0" encoding="utf-8"?>"#),
        "declaration: {text}"
    );
    let mut reader = quick_xml::Reader::from_str(text);
    let mut stack: Vec<Node> = vec![Node::default()];
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) => stack.push(Node {
                name: e.name().as_ref().to_owned(),
                ..Node::default()
            }),
            Event::Empty(e) => {
                let node = Node {
                    name: e.name().as_ref().to_owned(),
                    ..Node::default()
                };
                stack.last_mut().expect("parent").children.push(node);
            }
            Event::Text(t) => {
                let s = t.xml10_content();
                let s = quick_xml::escape::unescape(&s)
                    .expect("unescape")
                    .into_owned();
                stack.last_mut().expect("node").text.push_str(&s);
            }
            Event::GeneralRef(r) => {
                let name = r.xml10_content().into_owned();
                let ch = match name.as_str() {
                    "amp" => "&",
                    "lt" => "<",
                    "gt" => ">",
                    "quot" => "\"",
                    "apos" => "'",
                    other => panic!("unexpected entity {other}"),
                };
                stack.last_mut().expect("node").text.push_str(ch);
            }
            Event::End(_) => {
                let done = stack.pop().expect("open element");
                stack.last_mut().expect("parent").children.push(done);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let mut top = stack.pop().expect("document");
    assert_eq!(top.children.len(), 1, "one root element");
    top.children.pop().expect("root")
}

/// The spec's list element names (the "Spark convention").
fn item_of(list: &str) -> &str {
    match list {
        "services" => "service",
        "service_requests" => "request",
        "errors" => "error",
        "attributes" => "attribute",
        "values" => "value",
        "endpoints" => "endpoint",
        "formats" => "format",
        other => panic!("no list named {other}"),
    }
}

/// Asserts that `node` carries exactly `json`: each field as a child of the same name, each
/// list item as a child named by [`item_of`], scalars as text, null as an empty element.
fn assert_same(node: &Node, json: &Value, at: &str) {
    match json {
        Value::Object(fields) => {
            assert_eq!(
                node.children.len(),
                fields.len(),
                "{at}: children {:?} vs fields {:?}",
                node.children.iter().map(|c| &c.name).collect::<Vec<_>>(),
                fields.keys().collect::<Vec<_>>()
            );
            for (k, v) in fields {
                let child = node
                    .children
                    .iter()
                    .find(|c| &c.name == k)
                    .unwrap_or_else(|| panic!("{at}: no <{k}>"));
                assert_same(child, v, &format!("{at}/{k}"));
            }
        }
        Value::Array(items) => {
            assert_eq!(node.children.len(), items.len(), "{at}: item count");
            for (i, (child, item)) in node.children.iter().zip(items).enumerate() {
                assert_eq!(child.name, item_of(&node.name), "{at}[{i}]");
                assert_same(child, item, &format!("{at}[{i}]"));
            }
        }
        Value::Null => {
            assert!(
                node.text.is_empty() && node.children.is_empty(),
                "{at}: null"
            );
        }
        Value::String(s) => assert_eq!(&node.text, s, "{at}"),
        other => assert_eq!(node.text, other.to_string(), "{at}"),
    }
}

/// The same path in JSON and XML: both 200-or-error alike, the XML equal to the JSON.
async fn both(a: &App, path_stem: &str, query: &str) -> (StatusCode, Value) {
    let (sj, hj, json_text) = a
        .o311(Method::GET, &format!("{path_stem}.json{query}"), None, None)
        .await;
    let (sx, hx, xml_text) = a
        .o311(Method::GET, &format!("{path_stem}.xml{query}"), None, None)
        .await;
    assert_eq!(sj, sx, "{path_stem}{query}");
    assert_eq!(hj[header::CONTENT_TYPE], "application/json; charset=utf-8");
    assert_eq!(hx[header::CONTENT_TYPE], "text/xml; charset=utf-8");
    let json: Value = serde_json::from_str(&json_text).expect("JSON");
    let root = parse_xml(&xml_text);
    assert_same(&root, &json, &root.name.clone());
    (sj, json)
}

/// The root element of an XML answer.
async fn xml_root(a: &App, path: &str) -> Node {
    let (_, _, text) = a.o311(Method::GET, path, None, None).await;
    parse_xml(&text)
}

/// Asserts the spec's error shape: `[{"code": status, "description": text}]`.
fn assert_error(status: StatusCode, body: &Value, expected: StatusCode, hint: &str) {
    assert_eq!(status, expected, "{hint}: {body}");
    let errors = body.as_array().unwrap_or_else(|| panic!("{hint}: {body}"));
    assert_eq!(errors.len(), 1, "{hint}");
    assert_eq!(errors[0]["code"], json!(expected.as_u16()), "{hint}");
    assert!(
        errors[0]["description"]
            .as_str()
            .is_some_and(|d| !d.is_empty()),
        "{hint}"
    );
}

// A 200 m × 100 m community of 林山寨街道 split into two unit grids along lon = MID.
const W: f64 = 113.610;
const MID: f64 = 113.611;
const E: f64 = 113.612;
const S: f64 = 34.750;
const N: f64 = 34.751;
/// A point inside grid 410102001001001.
const LAT: &str = "34.7505";
const LONG: &str = "113.6105";

fn city_layer() -> String {
    let rect = |w: f64, s: f64, e: f64, n: f64| json!([[[w, s], [e, s], [e, n], [w, n], [w, s]]]);
    let f = |code: &str, name: &str, coords: Value| {
        json!({"type": "Feature", "properties": {"code": code, "name": name},
               "geometry": {"type": "Polygon", "coordinates": coords}})
    };
    json!({"type": "FeatureCollection", "features": [
        f("410102", "中原区", rect(W, S, E, N)),
        f("410102001", "林山寨街道", rect(W, S, E, N)),
        f("410102001001", "百花社区", rect(W, S, E, N)),
        f("410102001001001", "百花社区第1网格", rect(W, S, MID, N)),
        f("410102001001002", "百花社区第2网格", rect(MID, S, E, N)),
    ]})
    .to_string()
}

fn form(pairs: &[(&str, &str)]) -> Vec<u8> {
    serde_urlencoded::to_string(pairs)
        .expect("form")
        .into_bytes()
}

const FORM: &str = "application/x-www-form-urlencoded; charset=utf-8";

impl App {
    /// An Open311 call: returns status, headers and body text.
    async fn o311(
        &self,
        method: Method,
        path: &str,
        body: Option<(&str, Vec<u8>)>,
        ip: Option<IpAddr>,
    ) -> (StatusCode, axum::http::HeaderMap, String) {
        let mut req = Request::builder()
            .method(method)
            .uri(format!("/open311/v2/{path}"))
            .header(header::HOST, "city.example");
        let body = match body {
            Some((ctype, bytes)) => {
                req = req.header(header::CONTENT_TYPE, ctype);
                Body::from(bytes)
            }
            None => Body::empty(),
        };
        let mut req = req.body(body).expect("request");
        if let Some(ip) = ip {
            req.extensions_mut()
                .insert(ConnectInfo(SocketAddr::new(ip, 40_000)));
        }
        let resp = self.router.clone().oneshot(req).await.expect("response");
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = axum::body::to_bytes(resp.into_body(), 10 << 20)
            .await
            .expect("body");
        (
            status,
            headers,
            String::from_utf8_lossy(&bytes).into_owned(),
        )
    }

    /// POSTs a form to `requests.json`; returns status and the parsed JSON.
    async fn post311(&self, pairs: &[(&str, &str)]) -> (StatusCode, Value) {
        let (s, _, text) = self
            .o311(
                Method::POST,
                "requests.json",
                Some((FORM, form(pairs))),
                None,
            )
            .await;
        (s, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// An API key for `who`.
    async fn api_key(&self, who: &str) -> String {
        let (s, v) = self
            .post(
                "admin",
                "/api/api-keys",
                json!({"name": format!("open311 app of {who}"), "user_id": self.ids[who]}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        v["key"].as_str().expect("key").to_owned()
    }

    /// Loads the unit grids the requests are located in.
    async fn load_city(&self) {
        let req = Request::builder()
            .method(Method::POST)
            .uri("/api/layers/areas")
            .header(
                header::AUTHORIZATION,
                format!("Bearer {}", self.tokens["admin"]),
            )
            .body(Body::from(city_layer()))
            .expect("request");
        let (s, v) = self.send(req).await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }

    /// Creates a request for `service_code`; returns its id.
    async fn create311(&self, key: &str, service_code: &str, description: &str) -> i64 {
        let (s, v) = self
            .post311(&[
                ("api_key", key),
                ("service_code", service_code),
                ("lat", LAT),
                ("long", LONG),
                ("description", description),
            ])
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v[0]["service_request_id"]
            .as_str()
            .and_then(|t| t.parse().ok())
            .expect("id")
    }
}

async fn on_both_backends(tag: &str, story: impl AsyncFn(&App)) {
    for pg in [false, true] {
        let Some((store, schema)) = open_store(pg, tag).await else {
            continue;
        };
        let a = app_on(store, schema).await;
        a.load_city().await;
        story(&a).await;
        if let Some(s) = &a.schema {
            a.store.drop_schema(s).await.expect("drop");
        }
        eprintln!("{tag} passed on {}", if pg { "postgres" } else { "sqlite" });
    }
}

#[tokio::test]
async fn open311_discovery_services_and_definitions() {
    on_both_backends("o311svc", async |a: &App| {
        // Discovery: every field the spec requires, both formats.
        let (s, d) = both(a, "discovery", "").await;
        assert_eq!(s, StatusCode::OK);
        for f in ["changeset", "contact", "key_service"] {
            assert!(d[f].as_str().is_some_and(|t| !t.is_empty()), "{f}");
        }
        let ep = &d["endpoints"][0];
        assert_eq!(ep["specification"], "http://wiki.open311.org/GeoReport_v2");
        assert_eq!(ep["url"], "http://city.example/open311/v2");
        assert_eq!(ep["type"], "production");
        assert_eq!(ep["formats"], json!(["text/xml", "application/json"]));

        // The service list: one service per matter class (250 national + 4 local).
        let (s, list) = both(a, "services", "").await;
        assert_eq!(s, StatusCode::OK);
        let list = list.as_array().expect("array");
        assert_eq!(list.len(), 254);
        for svc in list {
            assert!(svc["service_code"].is_string(), "{svc}");
            assert!(svc["service_name"].is_string(), "{svc}");
            assert_eq!(svc["metadata"], json!(true));
            assert_eq!(svc["type"], "realtime");
            assert!(
                svc["group"].as_str().is_some_and(|g| g.ends_with('类')),
                "{svc}"
            );
        }
        let garbage = list
            .iter()
            .find(|s| s["service_code"] == "06010")
            .expect("06010");
        assert_eq!(garbage["service_name"], "暴露垃圾");
        assert_eq!(garbage["group"], "市容环境类");
        // Codes keep their leading zero.
        assert_eq!(list[0]["service_code"], "01001");
        // The jurisdiction is optional; if given it must be ours.
        let (s, _) = both(a, "services", "?jurisdiction_id=zhengzhou.yiwang.example").await;
        assert_eq!(s, StatusCode::OK);
        let (s, v) = both(a, "services", "?jurisdiction_id=sfgov.org").await;
        assert_error(s, &v, StatusCode::NOT_FOUND, "foreign jurisdiction");
        // Empty parameters are absent parameters.
        let (s, _) = both(a, "services", "?jurisdiction_id=").await;
        assert_eq!(s, StatusCode::OK);

        // A definition: the filing conditions as a list, the closing condition as information.
        let (s, def) = both(a, "services/06010", "").await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(def["service_code"], "06010");
        let attrs = def["attributes"].as_array().expect("attributes");
        assert_eq!(attrs.len(), 2, "not a facility matter: no component code");
        let cond = &attrs[0];
        assert_eq!(
            (
                &cond["code"],
                &cond["datatype"],
                &cond["variable"],
                &cond["required"],
                &cond["order"]
            ),
            (
                &json!("condition"),
                &json!("singlevaluelist"),
                &json!(true),
                &json!(false),
                &json!(1)
            )
        );
        assert_eq!(
            cond["values"],
            json!([
                {"key": "1", "name": "主次干道成堆、成片的垃圾"},
                {"key": "2", "name": "公共场所未倒入容器的生活垃圾"},
                {"key": "3", "name": "背街小巷、居民区周边裸露堆放的垃圾"},
            ])
        );
        assert_eq!(attrs[1]["variable"], json!(false));
        assert_eq!(attrs[1]["order"], json!(2));
        assert!(
            attrs[1]["description"]
                .as_str()
                .is_some_and(|d| d.contains("无垃圾残留"))
        );
        // A facility matter also asks for the component code.
        let (_, def) = both(a, "services/01001", "").await;
        let codes: Vec<&str> = def["attributes"]
            .as_array()
            .expect("attributes")
            .iter()
            .filter_map(|x| x["code"].as_str())
            .collect();
        assert_eq!(codes, ["condition", "closing_condition", "component_id"]);
        // A local extension is a service too.
        let (s, def) = both(a, "services/06901", "").await;
        assert_eq!((s, &def["service_code"]), (StatusCode::OK, &json!("06901")));

        // Errors, both formats.
        let (s, v) = both(a, "services/99999", "").await;
        assert_error(s, &v, StatusCode::NOT_FOUND, "unknown service");
        let (s, v) = both(a, "services/06010", "?jurisdiction_id=x.org").await;
        assert_error(s, &v, StatusCode::NOT_FOUND, "foreign jurisdiction");
        let (s, v) = both(a, "nothing", "").await;
        assert_error(s, &v, StatusCode::NOT_FOUND, "unknown resource");
        // An unknown or missing format: 400, in XML (the required format).
        for path in ["services.html", "services"] {
            let (s, h, text) = a.o311(Method::GET, path, None, None).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{path}");
            assert_eq!(h[header::CONTENT_TYPE], "text/xml; charset=utf-8");
            let root = parse_xml(&text);
            assert_eq!(root.name, "errors");
            assert_eq!(root.children[0].name, "error");
            assert_eq!(root.children[0].children[0].name, "code");
            assert_eq!(root.children[0].children[0].text, "400");
        }
    })
    .await;
}

#[tokio::test]
async fn open311_requests_enter_the_loop_and_show_its_progress() {
    on_both_backends("o311req", async |a: &App| {
        let key = a.api_key("citizen").await;
        let (s, v) = a
            .post311(&[
                ("api_key", &key),
                ("jurisdiction_id", "zhengzhou.yiwang.example"),
                ("service_code", "06010"),
                ("lat", LAT),
                ("long", LONG),
                ("address_string", "百花路与建设路交叉口"),
                ("description", "路口有成堆垃圾\n已经三天了"),
                ("first_name", "小明"),
                ("last_name", "王"),
                ("phone", "138-0000-1111"),
                ("email", "wang@example.com"),
                ("device_id", "tt222111"),
                ("account_id", "acc-7"),
                ("media_url", "https://img.example/1.jpg"),
                ("attribute[condition]", "1"),
                ("unknown_param", "ignored"),
            ])
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let answer = v.as_array().expect("array of one");
        assert_eq!(answer.len(), 1);
        assert!(answer[0].get("token").is_none(), "id given, so no token");
        assert_eq!(answer[0]["account_id"], "acc-7");
        let id: i64 = answer[0]["service_request_id"]
            .as_str()
            .and_then(|t| t.parse().ok())
            .expect("id as a string");

        // It is a case like any other report, its source kept.
        let case = a.store.get_case(id).await.expect("get").expect("case");
        assert_eq!(case.source, domain::workflow::Source::Open311);
        assert_eq!(case.state, domain::workflow::CaseState::Reported);
        assert_eq!(case.class.as_ref().map(|c| c.code.as_str()), Some("06010"));
        assert_eq!(case.area.grid, Some(code("410102001001001")));
        assert_eq!(case.reporter_name.as_deref(), Some("小明 王"));
        assert_eq!(case.reporter_phone.as_deref(), Some("138-0000-1111"));
        assert_eq!(case.address.as_deref(), Some("百花路与建设路交叉口"));
        let events = a.store.case_events(id).await.expect("events");
        assert_eq!(
            events[0].note.as_deref(),
            Some("立案条件：主次干道成堆、成片的垃圾")
        );
        assert_eq!(events[0].data["open311"]["device_id"], "tt222111");
        // The operator sees it in the normal list.
        let (s, list) = a.get("operator", "/api/cases?source=open311").await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(list["items"][0]["id"], json!(id));

        // Read back, both formats.
        let (s, r) = both(a, &format!("requests/{id}"), "").await;
        assert_eq!(s, StatusCode::OK);
        let r = r.as_array().expect("array of one");
        assert_eq!(r.len(), 1);
        let r = &r[0];
        assert_eq!(r["service_request_id"], id.to_string());
        assert_eq!(r["status"], "open");
        assert_eq!(r["status_notes"], "待受理");
        assert_eq!(r["service_code"], "06010");
        assert_eq!(r["service_name"], "暴露垃圾");
        assert_eq!(r["description"], "路口有成堆垃圾\n已经三天了");
        assert_eq!(r["agency_responsible"], Value::Null);
        assert_eq!(r["requested_datetime"], "2026-11-24T10:00:00+08:00");
        assert_eq!(r["updated_datetime"], "2026-11-24T10:00:00+08:00");
        assert!(
            r["expected_datetime"]
                .as_str()
                .is_some_and(|t| t.ends_with("+08:00"))
        );
        assert_eq!(r["address"], "百花路与建设路交叉口");
        assert_eq!(r["lat"], json!(34.7505));
        assert_eq!(r["long"], json!(113.6105));
        assert_eq!(r["media_url"], "https://img.example/1.jpg");
        // No personal data is published.
        let text = r.to_string();
        assert!(!text.contains("138") && !text.contains("wang@") && !text.contains("小明"));

        // The token is the case number.
        let (s, t) = both(a, &format!("tokens/{}", case.case_no), "").await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(
            t,
            json!([{"service_request_id": id.to_string(), "token": case.case_no}])
        );
        let (s, v) = both(a, "tokens/nosuchtoken", "").await;
        assert_error(s, &v, StatusCode::NOT_FOUND, "unknown token");
        let (s, v) = both(a, "requests/987654", "").await;
        assert_error(s, &v, StatusCode::NOT_FOUND, "unknown request");
        let (s, v) = both(a, "requests/abc", "").await;
        assert_error(s, &v, StatusCode::NOT_FOUND, "not an id");

        // The loop moves it: dispatched → the department is the agency responsible.
        a.verify_on_site(id).await;
        a.clock.advance_minutes(30);
        a.ok("supervisor", id, json!({"action": "file"})).await;
        a.ok(
            "dispatcher",
            id,
            json!({"action": "dispatch", "department_id": a.depts["hw"]}),
        )
        .await;
        let (_, r) = both(a, &format!("requests/{id}"), "").await;
        assert_eq!(r[0]["status"], "open");
        assert_eq!(r[0]["status_notes"], "待签收");
        assert_eq!(r[0]["agency_responsible"], "环卫中心");
        assert_eq!(r[0]["updated_datetime"], "2026-11-24T10:30:00+08:00");
        a.ok("hw", id, json!({"action": "accept_task"})).await;
        a.feedback_and_check(id, "hw").await;
        a.ok(
            "supervisor",
            id,
            json!({"action": "close", "note": "垃圾已清理完毕"}),
        )
        .await;
        let (_, r) = both(a, &format!("requests/{id}"), "").await;
        assert_eq!(r[0]["status"], "closed");
        assert_eq!(r[0]["status_notes"], "已结案：垃圾已清理完毕");
        assert_eq!(r[0]["expected_datetime"], Value::Null);
        assert_eq!(r[0]["agency_responsible"], "环卫中心");
        // The official answer 答复, once given, is what the citizen reads.
        a.ok(
            "operator",
            id,
            json!({"action": "reply", "note": "已清运完毕，感谢反映"}),
        )
        .await;
        let (_, r) = both(a, &format!("requests/{id}"), "").await;
        assert_eq!(r[0]["status_notes"], "已结案：已清运完毕，感谢反映");

        // A rejected report is closed, with the reason.
        let other = a.create311(&key, "06002", "店面装修").await;
        a.ok(
            "operator",
            other,
            json!({"action": "reject_report", "note": "已有审批手续"}),
        )
        .await;
        let (_, r) = both(a, &format!("requests/{other}"), "").await;
        assert_eq!(r[0]["status"], "closed");
        assert_eq!(r[0]["status_notes"], "不予立案：已有审批手续");
        // Without a description, the service name stands in (the loop needs one).
        let third = a
            .post311(&[
                ("api_key", &key),
                ("service_code", "01001"),
                ("lat", LAT),
                ("long", LONG),
                ("attribute[component_id]", "41010201001000042"),
            ])
            .await;
        assert_eq!(third.0, StatusCode::OK, "{}", third.1);
        let third_id: i64 = third.1[0]["service_request_id"]
            .as_str()
            .and_then(|t| t.parse().ok())
            .expect("id");
        let c = a
            .store
            .get_case(third_id)
            .await
            .expect("get")
            .expect("case");
        assert_eq!(c.description, "供水井盖异常");
        // The XML answer to a POST has the spec's shape too.
        let (s, h, text) = a
            .o311(
                Method::POST,
                "requests.xml",
                Some((
                    FORM,
                    form(&[
                        ("api_key", &key),
                        ("service_code", "06010"),
                        ("lat", LAT),
                        ("long", LONG),
                        ("description", "x"),
                    ]),
                )),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{text}");
        assert_eq!(h[header::CONTENT_TYPE], "text/xml; charset=utf-8");
        let root = parse_xml(&text);
        assert_eq!(root.name, "service_requests");
        assert_eq!(root.children.len(), 1);
        assert_eq!(root.children[0].name, "request");
        let id_node = root.children[0]
            .children
            .iter()
            .find(|c| c.name == "service_request_id")
            .expect("id");
        assert!(id_node.text.parse::<i64>().is_ok(), "{text}");
    })
    .await;
}

#[tokio::test]
async fn open311_request_list_filters_and_limits() {
    on_both_backends("o311list", async |a: &App| {
        let key = a.api_key("citizen").await;
        // Empty list: an empty array, and an empty <service_requests/> in XML.
        let (s, v) = both(a, "requests", "").await;
        assert_eq!((s, v), (StatusCode::OK, json!([])));
        let first = a.create311(&key, "06010", "一").await;
        // One item: still an array, and one <request> in XML.
        let (_, v) = both(a, "requests", "").await;
        assert_eq!(v.as_array().map(Vec::len), Some(1));
        assert_eq!(xml_root(a, "requests.xml").await.children.len(), 1);
        a.clock.advance_minutes(60);
        let second = a.create311(&key, "06002", "二").await;
        a.clock.advance_minutes(60);
        let third = a.create311(&key, "06010", "三").await;
        a.ok(
            "operator",
            second,
            json!({"action": "reject_report", "note": "重复"}),
        )
        .await;
        let ids = |v: &Value| -> Vec<i64> {
            v.as_array()
                .expect("array")
                .iter()
                .filter_map(|r| r["service_request_id"].as_str()?.parse().ok())
                .collect()
        };
        // Newest first.
        let (_, v) = both(a, "requests", "").await;
        assert_eq!(ids(&v), [third, second, first]);
        let (_, v) = both(a, "requests", "?service_code=06010").await;
        assert_eq!(ids(&v), [third, first]);
        let (_, v) = both(a, "requests", "?service_code=06002,06010").await;
        assert_eq!(ids(&v), [third, second, first]);
        let (_, v) = both(a, "requests", "?status=closed").await;
        assert_eq!(ids(&v), [second]);
        let (_, v) = both(a, "requests", "?status=open").await;
        assert_eq!(ids(&v), [third, first]);
        let (_, v) = both(a, "requests", "?status=open,closed&service_code=").await;
        assert_eq!(ids(&v), [third, second, first]);
        // service_request_id overrides every other filter.
        let q = format!("?service_request_id={first},{second}&status=open&service_code=01001");
        let (_, v) = both(a, "requests", &q).await;
        assert_eq!(ids(&v), [second, first]);
        // Date range over requested_datetime (10:00, 11:00, 12:00 on 2026-11-24).
        let (_, v) = both(
            a,
            "requests",
            "?start_date=2026-11-24T10:30:00%2B08:00&end_date=2026-11-24T11:30:00%2B08:00",
        )
        .await;
        assert_eq!(ids(&v), [second]);
        // 02:30Z is 10:30 in Shanghai (read as local time it would take all three).
        let (_, v) = both(a, "requests", "?start_date=2026-11-24T02:30:00Z").await;
        assert_eq!(ids(&v), [third, second]);
        let (_, v) = both(a, "requests", "?end_date=2026-11-24T10:00:00+08:00").await;
        assert_eq!(ids(&v), [first], "an unescaped + is read as +");
        // By default, the last 90 days.
        a.clock.advance_minutes(91 * 24 * 60);
        let (_, v) = both(a, "requests", "").await;
        assert_eq!(ids(&v), Vec::<i64>::new());
        // Pagination extension.
        let (_, v) = both(
            a,
            "requests",
            "?start_date=2026-11-01T00:00:00%2B08:00&page_size=2",
        )
        .await;
        assert_eq!(ids(&v), [third, second]);
        let (_, v) = both(
            a,
            "requests",
            "?start_date=2026-11-01T00:00:00%2B08:00&page_size=2&page=2",
        )
        .await;
        assert_eq!(ids(&v), [first]);
        // Bad filters: 400 in the spec's shape, both formats.
        for q in [
            "?start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z",
            "?start_date=2026-11-24T12:00:00Z&end_date=2026-11-24T10:00:00Z",
            "?start_date=yesterday",
            "?start_date=2026-11-24T10:00:00",
            "?status=pending",
            "?service_request_id=12,x",
            "?page_size=1001",
            "?page=0",
        ] {
            let (s, v) = both(a, "requests", q).await;
            assert_error(s, &v, StatusCode::BAD_REQUEST, q);
        }
        let (s, v) = both(a, "requests", "?jurisdiction_id=other.example").await;
        assert_error(s, &v, StatusCode::NOT_FOUND, "jurisdiction");
    })
    .await;
}

/// Needs `create_request` to call `duplicates::auto_link` after the case is stored, as
/// `POST /api/cases` does.
#[tokio::test]
async fn open311_repeat_at_the_same_spot_is_linked_to_the_first() {
    on_both_backends("o311dup", async |a: &App| {
        let key = a.api_key("citizen").await;
        let first = a.create311(&key, "06010", "百花路口有成堆垃圾").await;
        a.clock.advance_minutes(10);
        // Another problem at the same spot: stays a request of its own.
        let other = a.create311(&key, "06010", "井盖丢失有危险").await;
        assert_eq!(a.case(other).await["case"]["state"], "reported");
        // The same problem again: linked by the system account to the first.
        let (s, v) = a
            .post311(&[
                ("api_key", &key),
                ("service_code", "06010"),
                ("lat", LAT),
                ("long", LONG),
                ("description", "百花路口有成堆垃圾！"),
            ])
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let second: i64 = v[0]["service_request_id"]
            .as_str()
            .and_then(|t| t.parse().ok())
            .expect("its own id");
        assert!(second != first && second != other, "{v}");
        let notice = v[0]["service_notice"].as_str().expect("notice");
        assert!(notice.contains(&first.to_string()), "{notice}");
        let d = a.case(second).await;
        assert_eq!(d["case"]["state"], "merged", "{d}");
        assert_eq!(d["case"]["master_case_id"], json!(first));
        assert_eq!(d["events"][1]["action"], "link_duplicate");
        assert_eq!(a.case(first).await["case"]["state"], "reported");
        // Open311 shows the repeat as closed, with the link's note; the first stays open.
        let (_, r) = both(a, &format!("requests/{second}"), "").await;
        assert_eq!(r[0]["service_request_id"], second.to_string());
        assert_eq!(r[0]["status"], "closed");
        assert!(
            r[0]["status_notes"]
                .as_str()
                .is_some_and(|n| n.contains("疑似重复")),
            "{r}"
        );
        let (_, r) = both(a, "requests", "?status=open").await;
        let open: Vec<&str> = r
            .as_array()
            .expect("array")
            .iter()
            .filter_map(|x| x["service_request_id"].as_str())
            .collect();
        assert_eq!(open, [other.to_string(), first.to_string()]);
    })
    .await;
}

/// The rules a post uses come from the node's cache (`RulesCache`: taxonomy and duplicate
/// rules); an edit on this node is seen by the very next post, with no wait.
#[tokio::test]
async fn open311_posts_see_duplicate_rule_and_class_edits_at_once() {
    on_both_backends("o311cache", async |a: &App| {
        let key = a.api_key("citizen").await;
        // Warms the cache with the default rules (automatic linking on).
        let first = a.create311(&key, "06010", "百花路口有成堆垃圾").await;
        a.clock.advance_minutes(1);
        let (s, v) = a
            .call(
                Some("admin"),
                Method::PUT,
                "/api/duplicate-rules",
                Some(json!({"default": {"radius_m": 50.0, "window_minutes": 4320, "auto_link_score": null}})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        // The same problem again, but linking is off now: it stays a request of its own.
        let second = a.create311(&key, "06010", "百花路口有成堆垃圾").await;
        let d = a.case(second).await;
        assert_eq!(d["case"]["state"], "reported", "{d}");
        assert_eq!(d["case"]["master_case_id"], Value::Null);
        // Linking back on: the next repeat joins the first.
        let (s, v) = a
            .call(
                Some("admin"),
                Method::PUT,
                "/api/duplicate-rules",
                Some(json!({"default": {"radius_m": 50.0, "window_minutes": 4320, "auto_link_score": 0.9}})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let third = a.create311(&key, "06010", "百花路口有成堆垃圾").await;
        let d = a.case(third).await;
        assert_eq!(d["case"]["state"], "merged", "{d}");
        let master = d["case"]["master_case_id"].as_i64();
        assert!(master == Some(first) || master == Some(second), "{d}");

        // A class edit: the definition and the check of `attribute[condition]` follow at once.
        let (_, def) = both(a, "services/06010", "").await;
        let before = def["attributes"][0]["values"]
            .as_array()
            .map_or(0, Vec::len);
        let conditions: Vec<String> = (1..=before + 1).map(|i| format!("情形{i}")).collect();
        let (s, v) = a
            .call(
                Some("admin"),
                Method::PUT,
                "/api/taxonomy/matter/06010",
                Some(json!({ "filing_conditions": conditions })),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (_, def) = both(a, "services/06010", "").await;
        let values = def["attributes"][0]["values"].as_array().expect("values");
        assert_eq!(values.len(), before + 1, "{def}");
        assert_eq!(values[before]["name"], format!("情形{}", before + 1));
        let last = (before + 1).to_string();
        let (s, v) = a
            .post311(&[
                ("api_key", &key),
                ("service_code", "06010"),
                ("lat", LAT),
                ("long", LONG),
                ("description", "井盖丢失有危险"),
                ("attribute[condition]", &last),
            ])
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
    })
    .await;
}

fn multipart(fields: &[(&str, &str)], photo: Option<&[u8]>) -> (String, Vec<u8>) {
    let boundary = "o311boundaryXYZ";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    if let Some(bytes) = photo {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"media\"; filename=\"p.png\"\r\nContent-Type: image/png\r\n\r\n").as_bytes());
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test]
async fn open311_photos_are_checked_stored_and_published() {
    on_both_backends("o311photo", async |a: &App| {
        let key = a.api_key("citizen").await;
        let fields = [
            ("api_key", key.as_str()),
            ("service_code", "06010"),
            ("lat", LAT),
            ("long", LONG),
            ("description", "有照片"),
        ];
        let (ctype, body) = multipart(&fields, Some(PNG));
        let (s, _, text) = a
            .o311(Method::POST, "requests.json", Some((&ctype, body)), None)
            .await;
        assert_eq!(s, StatusCode::OK, "{text}");
        let v: Value = serde_json::from_str(&text).expect("json");
        let id: i64 = v[0]["service_request_id"]
            .as_str()
            .and_then(|t| t.parse().ok())
            .expect("id");
        // The photo is the report's evidence in the loop.
        let events = a.store.case_events(id).await.expect("events");
        let photo = events[0].attachments[0];
        let (_, r) = both(a, &format!("requests/{id}"), "").await;
        assert_eq!(r[0]["media_url"], format!("/open311/v2/media/{photo}"));
        let (s, h, body) = a
            .o311(Method::GET, &format!("media/{photo}"), None, None)
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(h[header::CONTENT_TYPE], "image/png");
        assert_eq!(body, String::from_utf8_lossy(PNG));
        // Photos of other channels are not published here.
        let other = a.photo("citizen").await;
        let (s, _, _) = a
            .o311(Method::GET, &format!("media/{other}"), None, None)
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        // Not an image; too large (the test server allows 64 KiB): 400 and nothing stored.
        let before = a
            .store
            .open311_requests(&store::open311::RequestQuery {
                limit: 1000,
                ..Default::default()
            })
            .await
            .expect("list")
            .len();
        let mut big = PNG.to_vec();
        big.resize(200 * 1024, 0);
        for (bytes, hint) in [
            (&b"GIF89a not allowed"[..], "type"),
            (&big[..], "size"),
            (&[][..], "empty"),
        ] {
            let (ctype, body) = multipart(&fields, Some(bytes));
            let (s, _, text) = a
                .o311(Method::POST, "requests.json", Some((&ctype, body)), None)
                .await;
            let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            assert_error(s, &v, StatusCode::BAD_REQUEST, hint);
        }
        let after = a
            .store
            .open311_requests(&store::open311::RequestQuery {
                limit: 1000,
                ..Default::default()
            })
            .await
            .expect("list")
            .len();
        assert_eq!(before, after);
    })
    .await;
}

#[tokio::test]
async fn open311_bad_input_gets_the_spec_error_and_writes_nothing() {
    on_both_backends("o311bad", async |a: &App| {
        let key = a.api_key("citizen").await;
        let handler_key = a.api_key("hw").await;
        let good: Vec<(&str, String)> = vec![
            ("api_key", key.clone()),
            ("service_code", "06010".into()),
            ("lat", LAT.into()),
            ("long", LONG.into()),
            ("description", "垃圾".into()),
        ];
        // Each case: fields to replace (empty value = drop), expected status.
        let long_text = "字".repeat(4001);
        let long_name = "名".repeat(51);
        /// Field changes to a good request, the status they must get, and what the case is about.
        type BadCase<'a> = (Vec<(&'a str, &'a str)>, StatusCode, &'a str);
        let cases: Vec<BadCase> = vec![
            (vec![("api_key", "")], StatusCode::FORBIDDEN, "no key"),
            (
                vec![("api_key", "yw_forged")],
                StatusCode::FORBIDDEN,
                "bad key",
            ),
            (
                vec![("api_key", &handler_key)],
                StatusCode::FORBIDDEN,
                "a department's key",
            ),
            (
                vec![("jurisdiction_id", "sfgov.org")],
                StatusCode::NOT_FOUND,
                "jurisdiction",
            ),
            (
                vec![("service_code", "")],
                StatusCode::BAD_REQUEST,
                "no service",
            ),
            (
                vec![("service_code", "99999")],
                StatusCode::NOT_FOUND,
                "unknown service",
            ),
            (
                vec![("lat", ""), ("long", "")],
                StatusCode::BAD_REQUEST,
                "no location",
            ),
            (
                vec![("lat", ""), ("long", ""), ("address_string", "百花路1号")],
                StatusCode::BAD_REQUEST,
                "address only",
            ),
            (vec![("long", "")], StatusCode::BAD_REQUEST, "lat only"),
            (
                vec![("lat", "north")],
                StatusCode::BAD_REQUEST,
                "lat not a number",
            ),
            (
                vec![("lat", "91")],
                StatusCode::BAD_REQUEST,
                "lat out of range",
            ),
            (
                vec![("lat", "31.2304"), ("long", "121.4737")],
                StatusCode::BAD_REQUEST,
                "outside the city",
            ),
            (
                vec![("attribute[colour]", "red")],
                StatusCode::BAD_REQUEST,
                "unknown attribute",
            ),
            (
                vec![("attribute[condition]", "4")],
                StatusCode::BAD_REQUEST,
                "no such option",
            ),
            (
                vec![("attribute[condition]", "one")],
                StatusCode::BAD_REQUEST,
                "option not a key",
            ),
            (
                vec![("attribute[condition][]", "1")],
                StatusCode::BAD_REQUEST,
                "list for a single value",
            ),
            (
                vec![("attribute[component_id]", "41010201001000042")],
                StatusCode::BAD_REQUEST,
                "component code on a non-facility service",
            ),
            (
                vec![("description", &long_text)],
                StatusCode::BAD_REQUEST,
                "description too long",
            ),
            (vec![("phone", "call me")], StatusCode::BAD_REQUEST, "phone"),
            (vec![("email", "nobody")], StatusCode::BAD_REQUEST, "email"),
            (
                vec![("media_url", "ftp://x/y.jpg")],
                StatusCode::BAD_REQUEST,
                "media_url scheme",
            ),
            (
                vec![("first_name", long_name.as_str())],
                StatusCode::BAD_REQUEST,
                "name too long",
            ),
        ];
        let count = async || {
            a.store
                .open311_requests(&store::open311::RequestQuery {
                    limit: 1000,
                    ..Default::default()
                })
                .await
                .expect("list")
                .len()
        };
        let before = count().await;
        for (changes, expected, hint) in &cases {
            let mut pairs: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
            for (k, v) in changes {
                pairs.retain(|(pk, _)| pk != k);
                if !v.is_empty() {
                    pairs.push((k, v));
                }
            }
            let (s, v) = a.post311(&pairs).await;
            assert_error(s, &v, *expected, hint);
            // The same in XML.
            let (s, _, text) = a
                .o311(
                    Method::POST,
                    "requests.xml",
                    Some((FORM, form(&pairs))),
                    None,
                )
                .await;
            assert_eq!(s, *expected, "{hint} (xml)");
            let root = parse_xml(&text);
            assert_eq!(root.name, "errors", "{hint}");
            assert_eq!(
                root.children[0]
                    .children
                    .iter()
                    .find(|c| c.name == "code")
                    .map(|c| c.text.as_str()),
                Some(expected.as_str()),
                "{hint}"
            );
        }
        // A component code with the wrong class digits on a facility service.
        let (s, v) = a
            .post311(&[
                ("api_key", &key),
                ("service_code", "01001"),
                ("lat", LAT),
                ("long", LONG),
                ("attribute[component_id]", "41010201002000042"),
            ])
            .await;
        assert_error(s, &v, StatusCode::BAD_REQUEST, "component of another class");
        // JSON bodies are not the spec's encoding.
        let (s, _, text) = a
            .o311(
                Method::POST,
                "requests.json",
                Some(("application/json", b"{\"service_code\":\"06010\"}".to_vec())),
                None,
            )
            .await;
        let v: Value = serde_json::from_str(&text).expect("json");
        assert_error(s, &v, StatusCode::BAD_REQUEST, "json body");
        // POST to a read-only resource.
        let (s, _, _) = a
            .o311(
                Method::POST,
                "services.json",
                Some((
                    FORM,
                    form(
                        &good
                            .iter()
                            .map(|(k, v)| (*k, v.as_str()))
                            .collect::<Vec<_>>(),
                    ),
                )),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        assert_eq!(count().await, before, "nothing was written");
        // The key may also come in the query string (older clients).
        let body: Vec<(&str, &str)> = good
            .iter()
            .filter(|(k, _)| *k != "api_key")
            .map(|(k, v)| (*k, v.as_str()))
            .collect();
        let (s, _, text) = a
            .o311(
                Method::POST,
                &format!("requests.json?api_key={key}"),
                Some((FORM, form(&body))),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{text}");
    })
    .await;
}

#[tokio::test]
async fn open311_rate_limits_per_ip_key_and_phone() {
    let (store, schema) = open_store(false, "o311rl").await.expect("sqlite");
    let a = app_on(store, schema).await;
    a.load_city().await;
    let key = a.api_key("citizen").await;
    let key2 = a.api_key("citizen2").await;
    // A router with small limits over the same state (its own buckets).
    let limits = server::routes::open311::Limits {
        read_per_ip: server::ratelimit::Limit {
            burst: 3,
            per_minute: 60,
        },
        post_per_ip: server::ratelimit::Limit {
            burst: 2,
            per_minute: 6,
        },
        post_per_key: server::ratelimit::Limit {
            burst: 3,
            per_minute: 6,
        },
        post_per_phone: server::ratelimit::Limit {
            burst: 1,
            per_minute: 1,
        },
    };
    let config = ServerConfig::default();
    let state = AppState::with_parts(
        a.store.clone(),
        config.clone(),
        a.clock.clone(),
        Arc::new(server::bus::LocalBus::new(16)),
    );
    state.city.reload(&a.store, true).await.expect("city");
    let limited = App {
        router: axum::Router::new()
            .merge(server::routes::open311::router_with_limits(&config, limits))
            .with_state(state.clone()),
        state,
        store: a.store.clone(),
        clock: a.clock.clone(),
        tokens: a.tokens.clone(),
        ids: a.ids.clone(),
        depts: a.depts.clone(),
        _dir: tempfile::tempdir().expect("tmp"),
        schema: None,
    };
    let ip = |n: u8| Some(IpAddr::from([10, 0, 0, n]));
    let post = async |key: &str, ip: Option<IpAddr>, phone: Option<&str>, fmt: &str| {
        let mut pairs = vec![
            ("api_key", key),
            ("service_code", "06010"),
            ("lat", LAT),
            ("long", LONG),
            ("description", "限流"),
        ];
        if let Some(p) = phone {
            pairs.push(("phone", p));
        }
        limited
            .o311(
                Method::POST,
                &format!("requests.{fmt}"),
                Some((FORM, form(&pairs))),
                ip,
            )
            .await
    };
    // Per IP: a burst of 2, then 429 with Retry-After (6 a minute = 10 s for the next).
    assert_eq!(post(&key, ip(1), None, "json").await.0, StatusCode::OK);
    assert_eq!(post(&key2, ip(1), None, "json").await.0, StatusCode::OK);
    let (s, h, text) = post(&key2, ip(1), None, "json").await;
    let v: Value = serde_json::from_str(&text).expect("json");
    assert_error(s, &v, StatusCode::TOO_MANY_REQUESTS, "per ip");
    assert_eq!(h[header::RETRY_AFTER], "10");
    assert!(
        v[0]["description"]
            .as_str()
            .is_some_and(|d| d.contains("IP address"))
    );
    let (s, h, text) = post(&key2, ip(1), None, "xml").await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(h[header::RETRY_AFTER], "10");
    assert_eq!(
        parse_xml(&text).children[0]
            .children
            .iter()
            .find(|c| c.name == "code")
            .map(|c| c.text.clone()),
        Some("429".into())
    );
    // Another IP is not affected.
    assert_eq!(post(&key2, ip(2), None, "json").await.0, StatusCode::OK);
    // Per key: the first key has used 1 of 3; two more pass from fresh IPs, the next is refused.
    assert_eq!(post(&key, ip(3), None, "json").await.0, StatusCode::OK);
    assert_eq!(post(&key, ip(4), None, "json").await.0, StatusCode::OK);
    let (s, _, text) = post(&key, ip(5), None, "json").await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{text}");
    assert!(text.contains("api_key"));
    // Time refills the buckets.
    a.clock.advance_minutes(1);
    assert_eq!(post(&key, ip(1), None, "json").await.0, StatusCode::OK);
    // Per phone: one, then refused whichever key and IP, for a minute.
    assert_eq!(
        post(&key2, ip(6), Some("13900001111"), "json").await.0,
        StatusCode::OK
    );
    let (s, h, text) = post(&key2, ip(7), Some("139-0000-1111"), "json").await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{text}");
    assert_eq!(h[header::RETRY_AFTER], "60");
    assert!(text.contains("phone"));
    // Reads per IP.
    for _ in 0..3 {
        assert_eq!(
            limited
                .o311(Method::GET, "services.json", None, ip(9))
                .await
                .0,
            StatusCode::OK
        );
    }
    let (s, h, _) = limited
        .o311(Method::GET, "requests.json", None, ip(9))
        .await;
    assert_eq!(
        (s, h[header::RETRY_AFTER].to_str().ok()),
        (StatusCode::TOO_MANY_REQUESTS, Some("1"))
    );
    assert_eq!(
        limited
            .o311(Method::GET, "services.json", None, ip(10))
            .await
            .0,
        StatusCode::OK
    );
    // Without connection info (no client IP known) per-IP limits cannot apply; key limits do.
    a.clock.advance_minutes(10);
    for _ in 0..3 {
        assert_eq!(post(&key, None, None, "json").await.0, StatusCode::OK);
    }
    assert_eq!(
        post(&key, None, None, "json").await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
}
