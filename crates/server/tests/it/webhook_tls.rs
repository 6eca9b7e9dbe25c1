//! HTTPS webhooks over a real TLS endpoint on 127.0.0.1: a certificate issued by the bureau's
//! own CA (made here with rcgen) is trusted when that CA is configured as the extra CA, and the
//! endpoint receives the signed delivery; a certificate from an unknown CA is a failed delivery
//! with the TLS reason on record, retried with the usual backoff.

use std::sync::Mutex;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use server::notify::{Notifier, signature};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::{self, pki_types};

use super::*;

const GRID1: &str = "410102001001001";
const SECRET: &str = "an-https-webhook-secret";

/// A CA (self-signed) and a server certificate for 127.0.0.1 and localhost issued by it:
/// (CA certificate PEM, server certificate DER, server key DER).
fn ca_and_server_cert(ca_name: &str) -> (String, Vec<u8>, Vec<u8>) {
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, ca_name);
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().expect("ca key")).expect("ca");
    let key = KeyPair::generate().expect("key");
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .expect("leaf params")
        .signed_by(&key, &ca)
        .expect("leaf");
    (ca.pem(), leaf.der().to_vec(), key.serialize_der())
}

/// What the endpoint received: (request head, body).
type Received = Arc<Mutex<Vec<(String, String)>>>;

/// A tiny HTTPS endpoint on 127.0.0.1 answering 200 to every request (one per connection).
async fn tls_endpoint(cert_der: Vec<u8>, key_der: Vec<u8>) -> (String, Received) {
    let key = pki_types::PrivateKeyDer::Pkcs8(pki_types::PrivatePkcs8KeyDer::from(key_der));
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_no_client_auth()
    .with_single_cert(vec![pki_types::CertificateDer::from(cert_der)], key)
    .expect("server config");
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let received: Received = Arc::default();
    let r = received.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let r = r.clone();
            tokio::spawn(async move {
                // A refused handshake (the client does not trust us) just ends the connection.
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut buf = Vec::new();
                let mut chunk = [0_u8; 4096];
                let (head, body_start, len) = loop {
                    let Ok(n) = tls.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&buf[..end]).to_string();
                        let len = head
                            .lines()
                            .filter_map(|l| l.split_once(':'))
                            .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                            .and_then(|(_, v)| v.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        break (head, end + 4, len);
                    }
                };
                while buf.len() < body_start + len {
                    match tls.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let body = String::from_utf8_lossy(&buf[body_start..body_start + len]).to_string();
                if let Ok(mut r) = r.lock() {
                    r.push((head, body));
                }
                let _ = tls
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                    .await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (format!("https://127.0.0.1:{}/hook", addr.port()), received)
}

fn header<'a>(head: &'a str, name: &str) -> &'a str {
    head.lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map_or("", |(_, v)| v.trim())
}

/// A notifier whose node trusts `ca_pem` besides the Mozilla roots.
fn notifier_trusting(a: &App, ca_pem: &str) -> Notifier {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("bureau-ca.pem");
    std::fs::write(&path, ca_pem).expect("write ca");
    // Read the way a node reads `[notify] extra_ca_file`.
    let roots = server::notify::load_extra_ca(&path).expect("extra ca");
    assert_eq!(roots.len(), 1);
    let mut state = a.state.clone();
    let mut config = (*state.config).clone();
    config.webhook_roots = roots;
    state.config = Arc::new(config);
    Notifier::new(state, "node-tls")
}

async fn webhook(a: &App, name: &str, url: &str) -> i64 {
    let (s, v) = a
        .post(
            "admin",
            "/api/webhooks",
            json!({"name": name, "url": url, "actions": ["report"], "secret": SECRET}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["url"], url);
    v["id"].as_i64().expect("id")
}

async fn webhook_rows(a: &App, case: i64) -> Vec<Value> {
    let (s, v) = a
        .get(
            "admin",
            &format!("/api/notifications?case_id={case}&limit=100"),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["notifications"]
        .as_array()
        .expect("list")
        .iter()
        .filter(|n| n["channel"] == "webhook")
        .cloned()
        .collect()
}

#[tokio::test]
async fn https_webhooks_trust_the_configured_ca_and_refuse_unknown_issuers() {
    let a = app().await;
    let (bureau_ca, cert, key) = ca_and_server_cert("Bureau Test CA");
    let (trusted_url, trusted) = tls_endpoint(cert, key).await;
    // Another CA the node does not know.
    let (_, rogue_cert, rogue_key) = ca_and_server_cert("Unknown CA");
    let (rogue_url, rogue) = tls_endpoint(rogue_cert, rogue_key).await;

    let mut n = notifier_trusting(&a, &bureau_ca);
    n.pass().await.expect("first pass");
    webhook(&a, "区平台 (HTTPS)", &trusted_url).await;
    let rogue_hook = webhook(&a, "unknown CA", &rogue_url).await;

    let (s, v) = a
        .post(
            "citizen",
            "/api/cases",
            json!({"source": "citizen_app", "description": "路灯不亮", "area_code": GRID1}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["case"]["id"].as_i64().expect("id");
    let r = n.pass().await.expect("pass");
    assert_eq!((r.sent, r.failed), (1, 1), "{r:?}");

    // The trusted endpoint got the signed delivery over TLS.
    let got = trusted.lock().expect("lock").clone();
    assert_eq!(got.len(), 1, "{got:#?}");
    let (head, body) = &got[0];
    assert!(head.starts_with("POST /hook HTTP/1.1"), "{head}");
    assert_eq!(header(head, "x-yiwang-event"), "report");
    assert_eq!(
        header(head, "x-yiwang-signature"),
        signature(SECRET, body.as_bytes())
    );
    let v: Value = serde_json::from_str(body).expect("json");
    assert_eq!(v["case"]["id"], id);

    // The unknown issuer: no request reached it, the reason is on record, a retry is due.
    assert!(rogue.lock().expect("lock").is_empty());
    let rows = webhook_rows(&a, id).await;
    assert_eq!(rows.len(), 2, "{rows:#?}");
    let to = |url: &str| -> Value {
        rows.iter()
            .find(|n| n["to"] == url)
            .cloned()
            .unwrap_or(Value::Null)
    };
    assert_eq!(to(&trusted_url)["status"], "sent", "{rows:#?}");
    let f = to(&rogue_url);
    assert_eq!(f["status"], "pending", "retried, not given up: {f}");
    assert_eq!(f["attempts"], 1, "{f}");
    let error = f["error"].as_str().unwrap_or("");
    eprintln!("the untrusted endpoint's delivery error: {error}");
    assert!(
        error.contains("certificate") && error.contains("UnknownIssuer"),
        "the TLS reason is on record: {error}"
    );

    // Not due again before the backoff (30 s); due after it, and still refused.
    let r = n.pass().await.expect("pass");
    assert_eq!((r.sent, r.failed), (0, 0), "{r:?}");
    a.clock.advance_minutes(1);
    let r = n.pass().await.expect("pass");
    assert_eq!((r.sent, r.failed), (0, 1), "{r:?}");
    let rows = webhook_rows(&a, id).await;
    let f = rows
        .iter()
        .find(|n| n["to"] == rogue_url.as_str())
        .expect("the failed row");
    assert_eq!(f["attempts"], 2, "{f}");
    assert_eq!(f["status"], "pending", "{f}");
    assert!(rogue.lock().expect("lock").is_empty());
    assert_eq!(trusted.lock().expect("lock").len(), 1, "sent once");
    let (s, _) = a
        .call(
            Some("admin"),
            Method::DELETE,
            &format!("/api/webhooks/{rogue_hook}"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);

    // A node without the extra CA trusts only the Mozilla roots: the bureau's endpoint is an
    // unknown issuer to it; the node that trusts the CA delivers the retry.
    let mut plain = Notifier::new(a.state.clone(), "node-plain");
    plain.pass().await.expect("first pass");
    let (s, v) = a
        .post(
            "citizen",
            "/api/cases",
            json!({"source": "citizen_app", "description": "井盖松动", "area_code": GRID1}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id2 = v["case"]["id"].as_i64().expect("id");
    let r = plain.pass().await.expect("pass");
    assert_eq!((r.sent, r.failed), (0, 1), "{r:?}");
    assert_eq!(trusted.lock().expect("lock").len(), 1);
    let rows = webhook_rows(&a, id2).await;
    assert_eq!(rows.len(), 1, "{rows:#?}");
    assert!(
        rows[0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("UnknownIssuer")),
        "{rows:#?}"
    );
    a.clock.advance_minutes(1);
    let r = n.pass().await.expect("pass");
    assert_eq!(r.sent, 1, "{r:?}");
    let got = trusted.lock().expect("lock").clone();
    assert_eq!(got.len(), 2);
    let v: Value = serde_json::from_str(&got[1].1).expect("json");
    assert_eq!(v["case"]["id"], id2);
    let rows = webhook_rows(&a, id2).await;
    assert_eq!(rows[0]["status"], "sent", "{rows:#?}");
    assert_eq!(rows[0]["attempts"], 2, "{rows:#?}");
}
