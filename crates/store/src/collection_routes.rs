//! Collection routes 收运路线: each garbage truck's planned round over the collection points
//! (migration 0017). The store keeps them as given; what a valid route is (points exist and
//! collect the route's category, the truck is a garbage truck) is checked by the caller
//! (`supervision::collection_route::validate` and the server).

use domain::time::Timestamp;
use serde::Serialize;

use crate::rows::RowExt;
use crate::{Store, StoreError, on_read, on_write};

/// A collection route as stored.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CollectionRoute {
    pub route_id: String,
    pub name: String,
    /// The garbage truck (`vehicles.id`).
    pub vehicle_id: i64,
    /// `kitchen`, `other`, `recyclable` or `hazardous`.
    pub category: String,
    /// Collection point ids, in route order.
    pub points: Vec<String>,
    /// The schedule, `{"kind":"daily"}`, `{"kind":"working_days"}` or
    /// `{"kind":"weekdays","days":[1,…]}`.
    pub days: serde_json::Value,
    /// Minute of the local day (1..=1440) by which the round must be done.
    pub finish_by: i64,
    /// A visit by any truck of the category counts.
    pub any_truck: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

fn route_from_row(r: &impl RowExt) -> Result<CollectionRoute, StoreError> {
    Ok(CollectionRoute {
        route_id: r.text("route_id")?,
        name: r.text("name")?,
        vehicle_id: r.i64("vehicle_id")?,
        category: r.text("category")?,
        points: serde_json::from_str(&r.text("points")?)?,
        days: serde_json::from_str(&r.text("days")?)?,
        finish_by: r.i64("finish_by")?,
        any_truck: r.bool("any_truck")?,
        created_at: Timestamp(r.i64("created_at")?),
        updated_at: Timestamp(r.i64("updated_at")?),
    })
}

impl Store {
    /// Adds a route (`created_at` and `updated_at` are taken from it).
    ///
    /// # Errors
    /// [`StoreError::Duplicate`] when the id is taken; [`StoreError::ForeignKey`] for an
    /// unknown vehicle; database failure.
    pub async fn insert_collection_route(&self, r: &CollectionRoute) -> Result<(), StoreError> {
        let points = serde_json::to_string(&r.points)?;
        let days = serde_json::to_string(&r.days)?;
        on_write!(self, p => {
            sqlx::query(
                "INSERT INTO collection_routes (route_id, name, vehicle_id, category, points, days, finish_by, any_truck, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(&r.route_id).bind(&r.name).bind(r.vehicle_id).bind(&r.category).bind(&points).bind(&days)
            .bind(r.finish_by).bind(i64::from(r.any_truck)).bind(r.created_at.0).bind(r.updated_at.0)
            .execute(p).await?;
            Ok(())
        })
    }

    /// Replaces a route's settings (keeping `created_at`); returns the stored route.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown id; [`StoreError::ForeignKey`] for an unknown
    /// vehicle; database failure.
    pub async fn update_collection_route(
        &self,
        r: &CollectionRoute,
    ) -> Result<CollectionRoute, StoreError> {
        let points = serde_json::to_string(&r.points)?;
        let days = serde_json::to_string(&r.days)?;
        let n = on_write!(self, p => {
            let res = sqlx::query(
                "UPDATE collection_routes SET name = $2, vehicle_id = $3, category = $4, points = $5, days = $6, \
                 finish_by = $7, any_truck = $8, updated_at = $9 WHERE route_id = $1",
            )
            .bind(&r.route_id).bind(&r.name).bind(r.vehicle_id).bind(&r.category).bind(&points).bind(&days)
            .bind(r.finish_by).bind(i64::from(r.any_truck)).bind(r.updated_at.0)
            .execute(p).await?;
            res.rows_affected()
        });
        if n == 0 {
            return Err(StoreError::NotFound("collection route"));
        }
        self.get_collection_route(&r.route_id)
            .await?
            .ok_or(StoreError::NotFound("collection route"))
    }

    /// Removes a route; `false` when there was none.
    ///
    /// # Errors
    /// Database failure.
    pub async fn delete_collection_route(&self, route_id: &str) -> Result<bool, StoreError> {
        let n = on_write!(self, p => {
            sqlx::query("DELETE FROM collection_routes WHERE route_id = $1")
                .bind(route_id).execute(p).await?.rows_affected()
        });
        Ok(n > 0)
    }

    /// One route.
    ///
    /// # Errors
    /// Database failure, or a row that cannot be read.
    pub async fn get_collection_route(
        &self,
        route_id: &str,
    ) -> Result<Option<CollectionRoute>, StoreError> {
        on_read!(self, p => {
            let row = sqlx::query("SELECT * FROM collection_routes WHERE route_id = $1")
                .bind(route_id).fetch_optional(p).await?;
            row.as_ref().map(route_from_row).transpose()
        })
    }

    /// Every route, by id.
    ///
    /// # Errors
    /// Database failure, or a row that cannot be read.
    pub async fn list_collection_routes(&self) -> Result<Vec<CollectionRoute>, StoreError> {
        on_read!(self, p => {
            let rows = sqlx::query("SELECT * FROM collection_routes ORDER BY route_id").fetch_all(p).await?;
            rows.iter().map(route_from_row).collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NewVehicle;

    #[tokio::test]
    async fn routes_round_trip_conflict_cascade_on_every_backend() {
        for (name, store, schema, _dir) in crate::tests::backends("colroutes").await {
            let now = Timestamp(1_764_000_000_000);
            let truck = store
                .create_vehicle(
                    &NewVehicle {
                        plate: "豫A·G0001".into(),
                        kind: "garbage_truck".into(),
                        company: Some("环卫（厨余）".into()),
                        phone: Some("13800000001".into()),
                    },
                    now,
                )
                .await
                .expect("vehicle");
            let mut r = CollectionRoute {
                route_id: "R-1".into(),
                name: "厨余一号线".into(),
                vehicle_id: truck,
                category: "kitchen".into(),
                points: vec!["CP-2".into(), "CP-1".into()],
                days: serde_json::json!({"kind": "weekdays", "days": [1, 3, 5]}),
                finish_by: 540,
                any_truck: false,
                created_at: now,
                updated_at: now,
            };
            store.insert_collection_route(&r).await.expect("insert");
            assert_eq!(
                store.get_collection_route("R-1").await.expect("get"),
                Some(r.clone()),
                "{name}"
            );
            assert!(
                matches!(
                    store.insert_collection_route(&r).await,
                    Err(StoreError::Duplicate(_))
                ),
                "{name}"
            );
            let mut ghost = r.clone();
            ghost.route_id = "R-2".into();
            ghost.vehicle_id = truck + 1000;
            assert!(
                matches!(
                    store.insert_collection_route(&ghost).await,
                    Err(StoreError::ForeignKey(_))
                ),
                "{name}"
            );
            r.points.push("CP-3".into());
            r.any_truck = true;
            r.updated_at = Timestamp(now.0 + 1);
            let mut changed = r.clone();
            changed.created_at = Timestamp(0);
            let stored = store
                .update_collection_route(&changed)
                .await
                .expect("update");
            assert_eq!(stored, r, "{name}: created_at kept");
            assert!(matches!(
                store.update_collection_route(&ghost).await,
                Err(StoreError::NotFound(_))
            ));
            assert_eq!(store.list_collection_routes().await.expect("list"), vec![r]);
            assert!(store.delete_collection_route("R-1").await.expect("delete"));
            assert!(!store.delete_collection_route("R-1").await.expect("delete"));
            assert!(
                store
                    .list_collection_routes()
                    .await
                    .expect("list")
                    .is_empty()
            );
            if let Some(s) = schema {
                store.drop_schema(&s).await.expect("drop");
            }
        }
    }
}
