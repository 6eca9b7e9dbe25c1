//! HJ 212 uploads → [`Hj212Reading`](crate::Hj212Reading)s.

use hj212::Upload;

use crate::record::{FactorReading, Hj212Reading};
use crate::time::hj212_time;

/// One reading for the whole upload (all sub-packets' factors, in order).
pub fn reading(upload: &Upload, received_at: i64) -> Hj212Reading {
    let first = upload.first();
    let mut params = Vec::new();
    for p in upload.packets() {
        params.extend(
            p.cp()
                .parameters()
                .map(|pair| (pair.key.to_owned(), pair.value.as_str().to_owned())),
        );
    }
    Hj212Reading {
        mn: upload.mn().to_owned(),
        qn: first.qn().map(str::to_owned),
        st: first.st().map(str::to_owned),
        cn: upload.command().code(),
        data_time: upload.data_time().map(|t| hj212_time(&t)),
        received_at,
        factors: upload
            .factors()
            .map(|f| FactorReading {
                code: f.code().to_owned(),
                fields: f
                    .fields()
                    .map(|(s, v)| (s.to_owned(), v.as_str().to_owned()))
                    .collect(),
            })
            .collect(),
        params,
    }
}
