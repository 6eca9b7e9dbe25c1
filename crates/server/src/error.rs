//! The one mapping from errors to HTTP: status code and `{"error":{"code","message"}}`.
//!
//! **Architecture invariant:** no other module picks a status code for an error.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::workflow::WorkflowError;
use serde_json::json;
use store::StoreError;

use crate::dto::CaseDto;

/// An API error: what went wrong, in terms the client can act on.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("malformed JSON: {0}")]
    BadJson(String),
    #[error("{message}")]
    Unprocessable { code: &'static str, message: String },
    #[error("sign in first")]
    Unauthenticated,
    #[error("your session has expired; sign in again")]
    TokenExpired,
    #[error("wrong username or password")]
    BadCredentials,
    /// A one-time sign-in code that is wrong, expired or used up.
    #[error("{0}")]
    InvalidCode(String),
    /// Too many requests from one client or for one phone; try again after the delay.
    #[error("{message}")]
    RateLimited { message: String, retry_after_s: u64 },
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{message}")]
    Conflict {
        code: &'static str,
        message: String,
        current: Option<Box<CaseDto>>,
    },
    #[error("upload too large: at most {limit} bytes")]
    TooLarge { limit: usize },
    #[error("{0}")]
    UnsupportedMedia(String),
    /// An imported layer failed validation: nothing of it was stored.
    #[error("{message}")]
    InvalidLayer {
        message: String,
        /// Every finding, per feature (`grid::validate::Issue`s).
        issues: serde_json::Value,
    },
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::Unprocessable {
            code,
            message: message.into(),
        }
    }

    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::BadJson(_) => (StatusCode::BAD_REQUEST, "bad_json"),
            ApiError::Unprocessable { code, .. } => (StatusCode::UNPROCESSABLE_ENTITY, code),
            ApiError::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            ApiError::TokenExpired => (StatusCode::UNAUTHORIZED, "token_expired"),
            ApiError::BadCredentials => (StatusCode::UNAUTHORIZED, "bad_credentials"),
            ApiError::InvalidCode(_) => (StatusCode::UNAUTHORIZED, "invalid_code"),
            ApiError::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::Conflict { code, .. } => (StatusCode::CONFLICT, code),
            ApiError::TooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            ApiError::UnsupportedMedia(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            ApiError::InvalidLayer { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_layer"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if let ApiError::Internal(detail) = &self {
            tracing::error!(%detail, "internal error");
        }
        metrics::counter!("yiwang_http_errors_total", "code" => code).increment(1);
        let mut body = json!({ "error": { "code": code, "message": self.to_string() } });
        if let ApiError::Conflict {
            current: Some(c), ..
        } = &self
        {
            body["error"]["current"] = serde_json::to_value(c).unwrap_or_default();
        }
        if let ApiError::InvalidLayer { issues, .. } = &self {
            body["error"]["issues"] = issues.clone();
        }
        if let ApiError::RateLimited { retry_after_s, .. } = &self {
            return (
                status,
                [(
                    axum::http::header::RETRY_AFTER,
                    axum::http::HeaderValue::from(*retry_after_s),
                )],
                Json(body),
            )
                .into_response();
        }
        (status, Json(body)).into_response()
    }
}

impl From<crate::ratelimit::Limited> for ApiError {
    fn from(l: crate::ratelimit::Limited) -> Self {
        ApiError::RateLimited {
            message: l.message(),
            retry_after_s: l.retry_after_s,
        }
    }
}

impl From<WorkflowError> for ApiError {
    fn from(e: WorkflowError) -> Self {
        let message = e.to_string();
        match e {
            WorkflowError::NotAllowedInState { .. } => ApiError::Conflict {
                code: "invalid_transition",
                message,
                current: None,
            },
            WorkflowError::RequestPending(_) => ApiError::Conflict {
                code: "request_pending",
                message,
                current: None,
            },
            WorkflowError::Forbidden(m) => ApiError::Forbidden(m),
            WorkflowError::Missing(_) => ApiError::unprocessable("missing_field", message),
            WorkflowError::Invalid(_) => ApiError::unprocessable("invalid", message),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict { current } => ApiError::Conflict {
                code: "version_conflict",
                message: format!(
                    "the case was changed by someone else; it is now {} (version {})",
                    current.state.as_str(),
                    current.version
                ),
                current: None,
            },
            StoreError::NotFound(what) => ApiError::NotFound(what),
            StoreError::Duplicate(m) => ApiError::Conflict {
                code: "duplicate",
                message: format!("already exists: {m}"),
                current: None,
            },
            StoreError::ForeignKey(m) => ApiError::unprocessable(
                "unknown_reference",
                format!("refers to something that does not exist ({m})"),
            ),
            StoreError::Invalid(m) => ApiError::unprocessable("invalid", m),
            StoreError::Corrupt(m) => ApiError::Internal(format!("corrupt data: {m}")),
            StoreError::Database(e) => ApiError::Internal(format!("database: {e}")),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::JsonDataError(e) => {
                ApiError::unprocessable("invalid_body", e.body_text())
            }
            JsonRejection::JsonSyntaxError(e) => ApiError::BadJson(e.body_text()),
            JsonRejection::MissingJsonContentType(_) => {
                ApiError::UnsupportedMedia("send JSON with Content-Type: application/json".into())
            }
            JsonRejection::BytesRejection(e) => {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::TooLarge {
                        limit: crate::JSON_BODY_LIMIT,
                    }
                } else {
                    ApiError::BadRequest(e.body_text())
                }
            }
            other => ApiError::BadRequest(other.body_text()),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError::BadRequest(format!("bad query string: {}", r.body_text()))
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        ApiError::BadRequest(format!("bad path: {}", r.body_text()))
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
