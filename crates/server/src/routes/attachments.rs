//! Photo uploads and downloads. Files go to disk (content-addressed by SHA-256) under the
//! configured directory; the store keeps their metadata and links them to cases.

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use store::NewAttachment;

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path};
use crate::{AppState, ServerConfig};

pub fn router(config: &ServerConfig) -> Router<AppState> {
    Router::new()
        .route(
            "/api/attachments",
            post(upload).layer(DefaultBodyLimit::max(config.max_upload_bytes + 64 * 1024)),
        )
        .route("/api/attachments/{id}", get(download))
}

/// The image type of `bytes` by its magic number, with the file extension to use.
pub fn sniff_image(bytes: &[u8]) -> Option<(&'static str, &'static str)> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(("image/jpeg", "jpg"))
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some(("image/png", "png"))
    } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
        Some(("image/webp", "webp"))
    } else {
        None
    }
}

/// `POST /api/attachments` — multipart form with one `file` field holding a JPEG, PNG or WebP.
pub async fn upload(
    State(state): State<AppState>,
    auth: AuthUser,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let mut form = form.map_err(|_| {
        ApiError::UnsupportedMedia(
            "send the photo as multipart/form-data in a field named \"file\"".into(),
        )
    })?;
    let limit = state.config.max_upload_bytes;
    let too_large = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge { limit }
        } else {
            ApiError::BadRequest(e.body_text())
        }
    };
    let mut found = None;
    while let Some(mut field) = form.next_field().await.map_err(too_large)? {
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().map(str::to_owned);
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(too_large)? {
            if bytes.len() + chunk.len() > limit {
                return Err(ApiError::TooLarge { limit });
            }
            bytes.extend_from_slice(&chunk);
        }
        found = Some((name, bytes));
        break;
    }
    let (name, bytes) = found.ok_or_else(|| {
        ApiError::unprocessable(
            "missing_field",
            "send the photo in a multipart field named \"file\"",
        )
    })?;
    if bytes.is_empty() {
        return Err(ApiError::unprocessable(
            "missing_field",
            "the file is empty",
        ));
    }
    let (content_type, ext) = sniff_image(&bytes).ok_or_else(|| {
        ApiError::UnsupportedMedia("only JPEG, PNG and WebP photos are accepted".into())
    })?;
    let saved = save_image(&state, auth.caller.user_id, &bytes, content_type, ext, name).await?;
    let (id, size, sha) = (saved.id, saved.size_bytes, saved.sha256);
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": id, "content_type": content_type, "size_bytes": size, "sha256": sha })),
    ))
}

/// An image stored by [`save_image`].
pub(crate) struct SavedImage {
    pub id: i64,
    pub size_bytes: i64,
    pub sha256: String,
}

/// Stores image bytes (already recognised by [`sniff_image`] as `content_type` / `ext`) under
/// the attachments folder by content hash — written then renamed, so a crash never leaves a
/// half-written photo under its final name — and records the attachment of `uploader_id`.
/// Every way a photo comes in (upload, Open311 media, camera snapshot) ends here.
pub(crate) async fn save_image(
    state: &AppState,
    uploader_id: i64,
    bytes: &[u8],
    content_type: &str,
    ext: &str,
    original_name: Option<String>,
) -> ApiResult<SavedImage> {
    save_image_keyed(
        state,
        uploader_id,
        bytes,
        content_type,
        ext,
        original_name,
        None,
    )
    .await
}

/// [`save_image`], recorded once per `source_key` of the uploader when one is given (see
/// `store::Store::insert_attachment_once`): saving the same source again (a filing tried
/// again) returns the record made before.
pub(crate) async fn save_image_keyed(
    state: &AppState,
    uploader_id: i64,
    bytes: &[u8],
    content_type: &str,
    ext: &str,
    original_name: Option<String>,
    source_key: Option<&str>,
) -> ApiResult<SavedImage> {
    let sha = hex::encode(Sha256::digest(bytes));
    let now = state.now();
    let rel = format!("{}/{}.{ext}", now.to_shanghai().format("%Y/%m"), sha);
    let path = state.config.attachments_dir.join(&rel);
    if tokio::fs::metadata(&path).await.is_err() {
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir)
                .await
                .map_err(|e| ApiError::Internal(format!("attachments dir: {e}")))?;
        }
        let tmp = path.with_extension(format!("{ext}.part{}", std::process::id()));
        tokio::fs::write(&tmp, bytes)
            .await
            .map_err(|e| ApiError::Internal(format!("write attachment: {e}")))?;
        tokio::fs::rename(&tmp, &path)
            .await
            .map_err(|e| ApiError::Internal(format!("store attachment: {e}")))?;
    }
    let size_bytes = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
    let record = NewAttachment {
        uploader_id,
        content_type: content_type.into(),
        size_bytes,
        sha256: sha.clone(),
        path: rel,
        original_name,
    };
    let id = match source_key {
        Some(key) => {
            state
                .store
                .insert_attachment_once(&record, key, now)
                .await?
        }
        None => state.store.insert_attachment(&record, now).await?,
    };
    Ok(SavedImage {
        id,
        size_bytes,
        sha256: sha,
    })
}

/// `GET /api/attachments/{id}` — the photo, to its uploader or anyone who can see its case.
pub async fn download(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    let meta = state
        .store
        .attachment(id)
        .await?
        .ok_or(ApiError::NotFound("attachment"))?;
    let mut allowed = meta.uploader_id == auth.caller.user_id;
    if !allowed && let Some(case_id) = meta.case_id {
        // The same rule as reading the case itself (scope, or following it as a duplicate's reporter).
        allowed = match super::cases::visible_case(&state, &auth, case_id).await {
            Ok(_) => true,
            Err(ApiError::NotFound(_)) => false,
            Err(e) => return Err(e),
        };
    }
    if !allowed {
        return Err(ApiError::NotFound("attachment"));
    }
    let bytes = tokio::fs::read(state.config.attachments_dir.join(&meta.path))
        .await
        .map_err(|e| ApiError::Internal(format!("attachment {id} file: {e}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, meta.content_type),
            (header::CACHE_CONTROL, "private, max-age=86400".to_owned()),
        ],
        Body::from(bytes),
    )
        .into_response())
}
