//! README smoke test: the demo command starts from an empty directory, creates its embedded
//! store, serves `/api/health`, lets the demo accounts sign in, the simulated people move cases
//! through the loop, and simulated vehicles and monitors report over JT/T 808 and HJ 212.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

#[tokio::test]
async fn demo_starts_serves_health_and_cases_flow() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut child = Command::new(env!("CARGO_BIN_EXE_yiwang"))
        .args([
            "demo",
            "--listen",
            "127.0.0.1:0",
            "--pace",
            "600",
            "--exit-after",
            "60",
        ])
        .current_dir(dir.path())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn yiwang demo");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(url) = line.trim().strip_prefix("open").map(str::trim) {
                let _ = tx.send(url.trim_end_matches('/').to_owned());
            }
        }
    });
    let base = rx
        .recv_timeout(Duration::from_secs(120))
        .expect("the demo prints its URL");
    let http = reqwest::Client::new();
    let health: serde_json::Value = http
        .get(format!("{base}/api/health"))
        .send()
        .await
        .expect("health")
        .json()
        .await
        .expect("json");
    assert_eq!(health["status"], "ok");
    assert_eq!(health["store"], "sqlite");
    assert!(
        dir.path().join("data/yiwang.db").exists(),
        "embedded store under ./data/"
    );
    let login: serde_json::Value = http
        .post(format!("{base}/api/auth/login"))
        .json(&serde_json::json!({"username": "leader", "password": "yiwang2026"}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("json");
    let token = login["token"].as_str().expect("token").to_owned();
    // Simulated people keep cases moving: within a while, some case has been dispatched.
    let mut dispatched = false;
    for _ in 0..90 {
        let list: serde_json::Value = http
            .get(format!("{base}/api/stats/summary"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("summary")
            .json()
            .await
            .expect("json");
        let moved = list["by_state"].as_array().is_some_and(|s| {
            s.iter().any(|x| {
                matches!(
                    x["state"].as_str(),
                    Some(
                        "dispatched"
                            | "handling"
                            | "pending_check"
                            | "checking"
                            | "pending_close"
                            | "closed"
                    )
                )
            })
        });
        if moved {
            dispatched = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // Simulated vehicles and monitors speak JT/T 808 and HJ 212 to the demo's gateways; their
    // acknowledged reports are stored and geocoded.
    let mut devices_report = false;
    for _ in 0..120 {
        let get = |path: &str| http.get(format!("{base}{path}")).bearer_auth(&token).send();
        let vehicles: serde_json::Value = get("/api/vehicles")
            .await
            .expect("vehicles")
            .json()
            .await
            .expect("json");
        let monitors: serde_json::Value = get("/api/monitors")
            .await
            .expect("monitors")
            .json()
            .await
            .expect("json");
        let located = vehicles["items"].as_array().is_some_and(|v| {
            v.iter().any(|x| {
                x["position"]["grid_code"]
                    .as_str()
                    .is_some_and(|g| g.len() == 15)
            })
        });
        let read = monitors["items"]
            .as_array()
            .is_some_and(|m| m.iter().any(|x| x["last_seen_at"].is_string()));
        if located && read {
            devices_report = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        dispatched,
        "the simulated district moves cases past dispatch"
    );
    assert!(
        devices_report,
        "simulated vehicles and monitors report through the gateways"
    );
}
