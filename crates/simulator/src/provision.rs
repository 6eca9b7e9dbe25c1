//! Provisioning for device load tests: the vehicles and monitors that [`crate::device_load`]'s
//! terminals and monitors claim to be, written straight through the `store` API, so that a
//! `yiwang serve` with its real registry (unknown terminals are refused) accepts them.
//!
//! - Vehicles: phones `first_phone ..`, the number the JT/T 808 generator dials as its terminal
//!   phone (`--first-id`). Kinds are mixed like a city fleet (see [`kind_of`]): muck trucks
//!   (no permit: the muck rules see them), sweepers (working-speed rule), garbage trucks (with a
//!   waste category, collection rules), sanitation and enforcement vehicles.
//! - Monitors: MN `format!("{:024X}", first_mn + i)` and password `123456`, what the HJ 212
//!   generator sends (`--first-id`); restaurant fume monitors (the generator uploads `a34041`)
//!   sited inside the demo district.
//!
//! Existing phones and MNs are skipped (vehicles) or replaced (monitors), so provisioning twice
//! is harmless.

use std::collections::HashSet;

use domain::time::Timestamp;
use store::{Monitor, NewVehicle, Store, StoreError};

/// What to provision.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Vehicles to register.
    pub vehicles: usize,
    /// Terminal phone of the first vehicle (then consecutive).
    pub first_phone: u64,
    /// Monitors to register.
    pub monitors: usize,
    /// First MN number (written as 24 hex digits, then consecutive).
    pub first_mn: u64,
    /// Monitor access password.
    pub password: String,
}

/// What was written.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Provisioned {
    /// New vehicles (already known phones are skipped).
    pub vehicles: usize,
    /// Monitors written (inserted or replaced).
    pub monitors: usize,
    /// Vehicles per kind among the new ones.
    pub kinds: Vec<(&'static str, usize)>,
}

/// Vehicles written per transaction.
const CHUNK: usize = 5_000;

/// The kind of the `i`-th provisioned vehicle: of every 20, 3 muck trucks, 3 sweepers, 4
/// garbage trucks, 6 sanitation and 4 enforcement vehicles.
pub fn kind_of(i: usize) -> &'static str {
    match i % 20 {
        0..=2 => "muck_truck",
        3..=5 => "sweeper",
        6..=9 => "garbage_truck",
        10..=15 => "sanitation",
        _ => "enforcement",
    }
}

/// The MN the HJ 212 load generator sends for connection `i` when started at `first`.
pub fn mn_of(first: u64, i: usize) -> String {
    format!("{:024X}", first + i as u64)
}

fn vehicle(phone: u64, i: usize) -> NewVehicle {
    let kind = kind_of(i);
    let company = match kind {
        "muck_truck" => "郑州中原建投渣土运输有限公司".to_owned(),
        "enforcement" => "中原区城市管理综合执法大队".to_owned(),
        // The waste category a garbage truck carries is read from here.
        "garbage_truck" => format!(
            "中原区环卫中心（{}）",
            ["厨余", "其他垃圾", "可回收"][i % 3]
        ),
        _ => "中原区环卫中心".to_owned(),
    };
    NewVehicle {
        // A load-test marker and the whole phone: plates never meet the demo's own fleet nor
        // another provisioned range.
        plate: format!("豫A·L{phone}"),
        kind: kind.to_owned(),
        company: Some(company),
        phone: Some(phone.to_string()),
    }
}

fn monitor(mn: String, i: usize, password: &str) -> Monitor {
    // Restaurants spread over the same box the JT/T 808 generator's fixes cover (inside 中原区).
    let lat = 34.74 + (i % 100) as f64 * 2e-4;
    let lon = 113.60 + (i / 100 % 100) as f64 * 2e-4;
    Monitor {
        mn,
        password: password.to_owned(),
        kind: "fume".into(),
        name: format!("压测餐馆{:05}", i + 1),
        site: Some(format!("压测餐馆{:05}", i + 1)),
        size_class: Some(["small", "medium", "large"][i % 3].to_owned()),
        lat: Some(lat),
        lon: Some(lon),
        grid_code: None,
        last_seen_at: None,
    }
}

/// Writes the plan's vehicles and monitors.
///
/// # Errors
/// The store fails (a chunk already written stays).
pub async fn provision(
    store: &Store,
    plan: &Plan,
    now: Timestamp,
) -> Result<Provisioned, StoreError> {
    let known: HashSet<String> = store
        .list_vehicles()
        .await?
        .into_iter()
        .flat_map(|v| [Some(v.plate), v.phone])
        .flatten()
        .collect();
    let mut out = Provisioned::default();
    let fresh: Vec<NewVehicle> = (0..plan.vehicles)
        .map(|i| vehicle(plan.first_phone + i as u64, i))
        .filter(|v| {
            !known.contains(&v.plate) && !v.phone.as_ref().is_some_and(|p| known.contains(p))
        })
        .collect();
    for chunk in fresh.chunks(CHUNK) {
        out.vehicles += store.create_vehicles(chunk, now).await?;
    }
    for kind in store::VEHICLE_KINDS {
        let n = fresh.iter().filter(|v| v.kind == *kind).count();
        out.kinds.push((kind, n));
    }
    let monitors: Vec<Monitor> = (0..plan.monitors)
        .map(|i| monitor(mn_of(plan.first_mn, i), i, &plan.password))
        .collect();
    for chunk in monitors.chunks(CHUNK) {
        store.upsert_monitors(chunk, now).await?;
        out.monitors += chunk.len();
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mn_matches_the_generator() {
        // device_load::hj212_conn formats the MN the same way.
        assert_eq!(mn_of(13_900_000_000, 0), "00000000000000033C812B00");
        assert_eq!(mn_of(13_900_000_000, 0).len(), 24);
    }

    #[test]
    fn fleet_is_mixed() {
        let kinds: Vec<_> = (0..20).map(kind_of).collect();
        for k in store::VEHICLE_KINDS {
            assert!(kinds.contains(k), "{k} missing");
        }
    }

    #[tokio::test]
    async fn provisioning_twice_is_harmless() {
        let store = Store::open(&store::ConnectOptions::new("sqlite::memory:"))
            .await
            .unwrap();
        let plan = Plan {
            vehicles: 45,
            first_phone: 13_800_000_000,
            monitors: 7,
            first_mn: 13_900_000_000,
            password: "123456".into(),
        };
        let first = provision(&store, &plan, Timestamp(0)).await.unwrap();
        assert_eq!((first.vehicles, first.monitors), (45, 7));
        let again = provision(&store, &plan, Timestamp(0)).await.unwrap();
        assert_eq!((again.vehicles, again.monitors), (0, 7));
        assert_eq!(store.list_vehicles().await.unwrap().len(), 45);
        let v = store
            .vehicle_by_phone("13800000044")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(v.kind, kind_of(44));
        let m = store
            .monitor(&mn_of(13_900_000_000, 6))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(m.password, "123456");
    }
}
