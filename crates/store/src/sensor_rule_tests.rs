//! The optimistic check of the sensors' stored rule states (`append_sensor_batch`): a batch
//! computed from a state another writer changed meanwhile stores nothing at all.

use domain::time::Timestamp;

use crate::tests::backends;
use crate::{SensorReading, SensorRuleWrite, Store};

fn reading(sensor: &str, at: i64) -> SensorReading {
    SensorReading {
        sensor_id: sensor.into(),
        at: Timestamp(at),
        received_at: Timestamp(at),
        data: serde_json::json!({"kind": "bin", "fill_pct": 50.0}),
    }
}

fn write(sensor: &str, state: &str, read_version: i64) -> SensorRuleWrite {
    SensorRuleWrite {
        sensor_id: sensor.into(),
        state: state.into(),
        read_version,
    }
}

async fn versions(s: &Store) -> Vec<(String, String, i64)> {
    s.sensor_rule_states(None)
        .await
        .expect("states")
        .into_iter()
        .map(|r| (r.sensor_id, r.state, r.version))
        .collect()
}

async fn readings(s: &Store, sensor: &str) -> usize {
    s.sensor_readings(sensor, Timestamp(0), Timestamp(i64::MAX), 100)
        .await
        .expect("readings")
        .len()
}

#[tokio::test]
async fn a_batch_over_a_changed_rule_state_stores_nothing_on_both_backends() {
    for (name, s, schema, _dir) in backends("srs_intg").await {
        let now = Timestamp(1_800_000_000_000);
        // First states: inserted at version 1.
        s.append_sensor_batch(&[reading("A", 1)], &[], &[write("A", "a1", 0)], now)
            .await
            .expect("first");
        assert_eq!(versions(&s).await, [("A".into(), "a1".into(), 1)], "{name}");
        // Two writers read version 1; the first wins, the second stores nothing.
        s.append_sensor_batch(&[reading("A", 2)], &[], &[write("A", "a2", 1)], now)
            .await
            .expect("second");
        let late = s
            .append_sensor_batch(
                &[reading("A", 3), reading("B", 3)],
                &[],
                &[write("B", "b1", 0), write("A", "a2'", 1)],
                now,
            )
            .await;
        assert!(late.is_err(), "{name}: {late:?}");
        assert_eq!(readings(&s, "A").await, 2, "{name}");
        assert_eq!(readings(&s, "B").await, 0, "{name}: nothing of the batch");
        assert_eq!(versions(&s).await, [("A".into(), "a2".into(), 2)], "{name}");
        // Two first states at once: the second insert fails.
        let again = s
            .append_sensor_batch(&[], &[], &[write("A", "x", 0)], now)
            .await;
        assert!(again.is_err(), "{name}");
        // Computed again from version 2: stored.
        s.append_sensor_batch(
            &[reading("A", 3), reading("B", 3)],
            &[],
            &[write("B", "b1", 0), write("A", "a3", 2)],
            now,
        )
        .await
        .expect("again");
        assert_eq!(
            s.sensor_rule_states(Some(&["B".to_owned(), "A".to_owned(), "C".to_owned()]))
                .await
                .expect("some")
                .len(),
            2
        );
        assert_eq!(
            s.seed_sensor_rule_states(
                &[("A".into(), "seed".into()), ("C".into(), "c".into())],
                now
            )
            .await
            .expect("seed"),
            1,
            "{name}: a stored state is kept"
        );
        assert_eq!(
            versions(&s).await,
            [
                ("A".into(), "a3".into(), 3),
                ("B".into(), "b1".into(), 1),
                ("C".into(), "c".into(), 1)
            ],
            "{name}"
        );
        if let Some(schema) = schema {
            s.drop_schema(&schema).await.expect("drop");
        }
        eprintln!("sensor rule states passed on {name}");
    }
}
