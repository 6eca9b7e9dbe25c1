//! A simulated citizen app that files problems through yiwang's Open311 GeoReport v2 API
//! (`POST /open311/v2/requests.json`, `docs/open311.md`), as a civic app would: form-encoded,
//! with its API key, a point a few metres from a known spot, a Chinese description of what
//! is wrong, sometimes the filing condition (`attribute[condition]`), a typed address, a
//! nickname or a phone number, and the app's `device_id`.
//!
//! [`compose`] builds one request (pure, seeded); [`run`] posts one every `every` until told to
//! stop, honouring `Retry-After` on 429 (the server limits posts per IP, key and phone).

use std::future::Future;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// What citizens say about the problems of a service (matter class code → descriptions).
/// Services not listed here get a generic description naming the place.
pub const DESCRIPTIONS: &[(&str, &[&str])] = &[
    (
        "06010",
        &[
            "路口有一堆生活垃圾，好几天没人清运了，味道很大",
            "小区门口垃圾桶满了，垃圾堆到了地上",
            "路边有人倒了一大袋垃圾，招苍蝇",
        ],
    ),
    (
        "06012",
        &[
            "人行道上落叶和垃圾没人扫",
            "早上路面很脏，纸屑、塑料袋到处都是",
        ],
    ),
    (
        "06011",
        &[
            "工地旁边路上撒了很多渣土，车一过尘土飞扬",
            "有人在绿化带边上倒了建筑垃圾",
        ],
    ),
    (
        "09006",
        &[
            "饭店把桌子摆到人行道上，行人只能走机动车道",
            "早市摊位占了整条人行道",
        ],
    ),
    ("09005", &["超市把货架摆到店门外，挡住了盲道"]),
    (
        "07001",
        &["电线杆和墙上贴满了小广告", "公交站牌上被喷涂了办证电话"],
    ),
    (
        "09001",
        &[
            "地铁口有流动摊贩卖水果，人很挤",
            "晚上有烧烤摊在路边经营，油烟很大",
        ],
    ),
    (
        "01002",
        &[
            "污水井盖裂了，踩上去晃动，怕有人掉下去",
            "井盖下沉，车压过去哐哐响",
        ],
    ),
    ("01004", &["雨水箅子不见了，留下一个洞，晚上很危险"]),
    (
        "01037",
        &["这一段路灯晚上都不亮，黑乎乎的", "路灯白天一直亮着，浪费电"],
    ),
    ("06013", &["路面有个大坑，下雨积水，电动车容易摔"]),
    ("04002", &["大风把行道树的树枝刮断了，挂在半空"]),
    ("06017", &["绿地里有很多塑料瓶和食品袋"]),
    ("09009", &["好几辆车停在盲道上，盲人没法走"]),
];

/// Nicknames people leave (split into `first_name` / `last_name` as the spec has them).
const NAMES: &[(&str, &str)] = &[
    ("先生", "王"),
    ("女士", "李"),
    ("师傅", "张"),
    ("大爷", "刘"),
    ("同学", "陈"),
];

/// A place the simulated citizens walk by: a point inside a unit grid of the city.
#[derive(Clone, Debug)]
pub struct Spot {
    /// WGS-84 degrees.
    pub lat: f64,
    /// WGS-84 degrees.
    pub lon: f64,
    /// How people name the place (a street, a community or a grid), for `address_string`.
    pub place: String,
}

/// What the simulated citizens do.
#[derive(Clone, Debug)]
pub struct CitizenConfig {
    /// The server, e.g. `http://127.0.0.1:8080` (no trailing slash needed).
    pub base: String,
    /// A yiwang API key of a user with the `citizen` (or `operator`) role.
    pub api_key: String,
    /// Where they report from; each request is a few metres from one of these.
    pub spots: Vec<Spot>,
    /// The services (matter class codes) they report; empty = those of [`DESCRIPTIONS`].
    pub service_codes: Vec<String>,
    /// Time between two reports.
    pub every: Duration,
    /// Seeds the choices, so a demo run can be repeated.
    pub seed: u64,
}

/// What happened to the reports sent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CitizenReport {
    /// Accepted: the server answered a `service_request_id`.
    pub created: u64,
    /// Refused by the rate limits (429).
    pub limited: u64,
    /// Refused otherwise (4xx/5xx), or not answered.
    pub failed: u64,
}

/// Most metres a report lies from its spot, north–south and east–west.
const JITTER_M: f64 = 15.0;

/// One report: the form fields of `POST requests.json` (without `api_key`). Needs at least one
/// spot; the service is one of `codes`, or of [`DESCRIPTIONS`] when `codes` is empty.
pub fn compose(rng: &mut StdRng, spots: &[Spot], codes: &[String]) -> Vec<(String, String)> {
    if spots.is_empty() {
        return Vec::new();
    }
    let spot = &spots[rng.random_range(0..spots.len())];
    let code: String = if codes.is_empty() {
        DESCRIPTIONS[rng.random_range(0..DESCRIPTIONS.len())]
            .0
            .to_owned()
    } else {
        codes[rng.random_range(0..codes.len())].clone()
    };
    // Metres to degrees: 111,320 m per degree of latitude, shrinking with cos(lat) for longitude.
    let dlat = rng.random_range(-JITTER_M..JITTER_M) / 111_320.0;
    let dlon =
        rng.random_range(-JITTER_M..JITTER_M) / (111_320.0 * spot.lat.to_radians().cos().max(0.1));
    let texts = DESCRIPTIONS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, t)| *t);
    let description = match texts {
        Some(t) => t[rng.random_range(0..t.len())].to_owned(),
        None => format!("{}附近有城市管理问题，请派人看看", spot.place),
    };
    let mut form = Vec::new();
    let mut push = |k: &str, v: String| form.push((k.to_owned(), v));
    push("service_code", code);
    push("lat", format!("{:.6}", spot.lat + dlat));
    push("long", format!("{:.6}", spot.lon + dlon));
    push("description", description);
    // Most people just drop a pin (the server names the place from its grids); some type it.
    if rng.random_bool(0.3) {
        push("address_string", format!("{}附近", spot.place));
    }
    // Half of the people pick the first filing condition; the others leave it open.
    if rng.random_bool(0.5) {
        push("attribute[condition]", "1".to_owned());
    }
    if rng.random_bool(0.6) {
        let (first, last) = NAMES[rng.random_range(0..NAMES.len())];
        push("first_name", first.to_owned());
        push("last_name", last.to_owned());
    }
    // Many different phones: the server allows about one report a minute per phone.
    if rng.random_bool(0.4) {
        push(
            "phone",
            format!(
                "1{}{:09}",
                rng.random_range(3..=9u8),
                rng.random_range(0..1_000_000_000u32)
            ),
        );
    }
    push(
        "device_id",
        format!("sim-citizen-{:04}", rng.random_range(0..10_000u32)),
    );
    form
}

/// The seconds of a `Retry-After` header, if it has them.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<u64> {
    headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Posts one report every `config.every` until `shutdown` resolves; returns what happened.
/// Failures are logged to stderr once per kind of status and do not stop the citizens; after
/// a 429 the next report waits at least the `Retry-After` seconds.
pub async fn run(
    config: &CitizenConfig,
    shutdown: impl Future<Output = ()> + Send,
) -> CitizenReport {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap_or_default();
    let url = format!(
        "{}/open311/v2/requests.json",
        config.base.trim_end_matches('/')
    );
    let mut rng = StdRng::seed_from_u64(config.seed);
    let mut report = CitizenReport::default();
    let mut logged: Vec<u16> = Vec::new();
    let mut wait = config.every;
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            biased;
            () = &mut shutdown => return report,
            () = tokio::time::sleep(wait) => {}
        }
        wait = config.every;
        let mut form = compose(&mut rng, &config.spots, &config.service_codes);
        if form.is_empty() {
            return report;
        }
        form.insert(0, ("api_key".to_owned(), config.api_key.clone()));
        match http.post(&url).form(&form).send().await {
            Ok(resp) if resp.status().is_success() => report.created += 1,
            Ok(resp) if resp.status() == reqwest::StatusCode::TOO_MANY_REQUESTS => {
                report.limited += 1;
                let secs = retry_after(resp.headers()).unwrap_or(1);
                wait = wait.max(Duration::from_secs(secs));
            }
            Ok(resp) => {
                report.failed += 1;
                let status = resp.status().as_u16();
                if !logged.contains(&status) {
                    logged.push(status);
                    let body = resp.text().await.unwrap_or_default();
                    eprintln!("open311 citizen: {url} answered {status}: {body}");
                }
            }
            Err(e) => {
                report.failed += 1;
                if !logged.contains(&0) {
                    logged.push(0);
                    eprintln!("open311 citizen: {url}: {e}");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn spots() -> Vec<Spot> {
        vec![
            Spot {
                lat: 34.7505,
                lon: 113.6105,
                place: "百花社区".into(),
            },
            Spot {
                lat: 34.7601,
                lon: 113.6302,
                place: "建设路".into(),
            },
        ]
    }

    fn field<'a>(form: &'a [(String, String)], k: &str) -> Option<&'a str> {
        form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
    }

    #[test]
    fn reports_are_near_a_spot_with_a_known_service_and_chinese_text() {
        let mut rng = StdRng::seed_from_u64(7);
        let spots = spots();
        let mut codes_seen = std::collections::BTreeSet::new();
        for _ in 0..500 {
            let form = compose(&mut rng, &spots, &[]);
            let code = field(&form, "service_code").expect("service_code");
            assert!(DESCRIPTIONS.iter().any(|(c, _)| *c == code), "{code}");
            codes_seen.insert(code.to_owned());
            let lat: f64 = field(&form, "lat")
                .and_then(|t| t.parse().ok())
                .expect("lat");
            let lon: f64 = field(&form, "long")
                .and_then(|t| t.parse().ok())
                .expect("long");
            // Within 15 m (plus rounding) of one of the spots.
            let near = spots.iter().any(|s| {
                let dy = (lat - s.lat) * 111_320.0;
                let dx = (lon - s.lon) * 111_320.0 * s.lat.to_radians().cos();
                dy.abs() <= 15.2 && dx.abs() <= 15.2
            });
            assert!(near, "{lat},{lon}");
            let text = field(&form, "description").expect("description");
            assert!(
                text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{text}"
            );
            assert!(text.chars().count() <= 4000);
            if let Some(p) = field(&form, "phone") {
                assert!(
                    p.len() == 11 && p.bytes().all(|b| b.is_ascii_digit()),
                    "{p}"
                );
            }
            if let Some(c) = field(&form, "attribute[condition]") {
                assert_eq!(c, "1");
            }
            assert!(field(&form, "api_key").is_none(), "the runner adds the key");
        }
        // Over many reports every kind of problem comes up.
        assert_eq!(codes_seen.len(), DESCRIPTIONS.len());
    }

    #[test]
    fn the_given_services_are_used_with_a_generic_text_for_unknown_ones() {
        let mut rng = StdRng::seed_from_u64(1);
        let codes = vec!["06901".to_owned()];
        let form = compose(&mut rng, &spots()[..1], &codes);
        assert_eq!(field(&form, "service_code"), Some("06901"));
        assert_eq!(
            field(&form, "description"),
            Some("百花社区附近有城市管理问题，请派人看看")
        );
        let mut typed = 0;
        for _ in 0..100 {
            let form = compose(&mut rng, &spots()[..1], &codes);
            if let Some(a) = field(&form, "address_string") {
                assert_eq!(a, "百花社区附近");
                typed += 1;
            }
        }
        assert!(
            (10..=60).contains(&typed),
            "{typed} of 100 typed an address"
        );
        assert!(
            compose(&mut rng, &[], &codes).is_empty(),
            "no spot, no report"
        );
    }

    #[test]
    fn the_same_seed_files_the_same_reports() {
        let a: Vec<_> = {
            let mut rng = StdRng::seed_from_u64(42);
            (0..20).map(|_| compose(&mut rng, &spots(), &[])).collect()
        };
        let mut rng = StdRng::seed_from_u64(42);
        let b: Vec<_> = (0..20).map(|_| compose(&mut rng, &spots(), &[])).collect();
        assert_eq!(a, b);
    }

    /// A one-connection-per-request HTTP server: answers 200, then 429 with `Retry-After: 1`,
    /// then 400 forever; returns the request bodies it read.
    async fn fake_server(
        listener: tokio::net::TcpListener,
        bodies: tokio::sync::mpsc::UnboundedSender<(String, String)>,
    ) {
        let mut n = 0;
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            // Read the head, then Content-Length bytes of body.
            let (head, body) = loop {
                let Ok(k) = sock.read(&mut chunk).await else {
                    return;
                };
                if k == 0 {
                    return;
                }
                buf.extend_from_slice(&chunk[..k]);
                let text = String::from_utf8_lossy(&buf).into_owned();
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let len = head
                        .lines()
                        .find_map(|l| {
                            let (k, v) = l.split_once(':')?;
                            k.eq_ignore_ascii_case("content-length")
                                .then(|| v.trim().parse::<usize>().ok())?
                        })
                        .unwrap_or(0);
                    if body.len() >= len {
                        break (head.to_owned(), body.to_owned());
                    }
                }
            };
            let _ = bodies.send((head, body));
            let answer = match n {
                0 => {
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 29\r\nconnection: close\r\n\r\n[{\"service_request_id\":\"1\"}]"
                }
                1 => {
                    "HTTP/1.1 429 Too Many Requests\r\nretry-after: 1\r\ncontent-length: 2\r\nconnection: close\r\n\r\n[]"
                }
                _ => "HTTP/1.1 400 Bad Request\r\ncontent-length: 2\r\nconnection: close\r\n\r\n[]",
            };
            n += 1;
            let _ = sock.write_all(answer.as_bytes()).await;
            let _ = sock.shutdown().await;
        }
    }

    #[tokio::test]
    async fn posts_forms_with_the_key_and_counts_the_answers() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let server = tokio::spawn(fake_server(listener, tx));
        let config = CitizenConfig {
            base: format!("http://{addr}/"),
            api_key: "yw_test".into(),
            spots: spots(),
            service_codes: Vec::new(),
            every: Duration::from_millis(20),
            seed: 3,
        };
        // Stop once the server has seen three reports.
        let mut seen = Vec::new();
        let report = run(&config, async {
            while seen.len() < 3 {
                match rx.recv().await {
                    Some(r) => seen.push(r),
                    None => break,
                }
            }
        })
        .await;
        server.abort();
        assert_eq!(
            report,
            CitizenReport {
                created: 1,
                limited: 1,
                failed: 1
            }
        );
        for (head, body) in &seen {
            assert!(
                head.starts_with("POST /open311/v2/requests.json HTTP/1.1"),
                "{head}"
            );
            assert!(
                head.to_ascii_lowercase()
                    .contains("content-type: application/x-www-form-urlencoded"),
                "{head}"
            );
            let form: Vec<(String, String)> = serde_urlencoded_pairs(body);
            assert_eq!(field(&form, "api_key"), Some("yw_test"));
            assert!(field(&form, "service_code").is_some());
        }
    }

    /// Decodes `a=b&c=d` (percent- and plus-encoded).
    fn serde_urlencoded_pairs(body: &str) -> Vec<(String, String)> {
        let decode = |s: &str| {
            let s = s.replace('+', " ");
            let bytes = s.as_bytes();
            let mut out = Vec::new();
            let mut i = 0;
            while i < bytes.len() {
                if bytes[i] == b'%'
                    && let Some(h) = s.get(i + 1..i + 3)
                    && let Ok(b) = u8::from_str_radix(h, 16)
                {
                    out.push(b);
                    i += 3;
                } else {
                    out.push(bytes[i]);
                    i += 1;
                }
            }
            String::from_utf8_lossy(&out).into_owned()
        };
        body.split('&')
            .filter_map(|p| p.split_once('='))
            .map(|(k, v)| (decode(k), decode(v)))
            .collect()
    }
}
