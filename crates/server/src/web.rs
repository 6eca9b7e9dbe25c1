//! The web UI: the built Vue app (`web/dist`) embedded into the binary and served at `/`.
//!
//! - Hashed assets under `/assets/` get a year-long immutable cache; everything else,
//!   `index.html` above all, gets `Cache-Control: no-cache` with an `ETag`, so a new build shows
//!   at the next load.
//! - Unknown paths outside `/api/` get `index.html` (the single-page app routes them itself);
//!   unknown `/api/…` paths get the API's JSON 404, and missing asset files a plain 404.
//! - Built before `web/dist` exists (`allow_missing`), the binary serves a page saying how to
//!   build the UI. In debug builds rust-embed reads the folder from disk at run time, so a
//!   rebuilt UI shows without recompiling.

use std::borrow::Cow;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

use crate::error::ApiError;

#[derive(RustEmbed)]
#[folder = "../../web/dist"]
#[allow_missing = true]
#[exclude = "*.map"]
struct Assets;

/// Cache policy of hashed build output (its names change with its content).
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Cache policy of everything else: always revalidate.
const NO_CACHE: &str = "no-cache";

/// Shown when the binary was built without the UI.
const NOT_BUILT: &str = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>yiwang</title></head>\n<body style=\"font-family:sans-serif;margin:3em\">\
<h1>yiwang</h1>\n<p>web UI not built: run <code>npm --prefix web ci &amp;&amp; npm --prefix web run build</code> \
(then rebuild the binary for a release build).</p>\n\
<p>The API is up: <a href=\"/api/health\">/api/health</a>.</p>\n</body></html>\n";

/// The content type for a file name, by its extension.
pub fn content_type(path: &str) -> &'static str {
    let ext = path
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "txt" => "text/plain; charset=utf-8",
        "wasm" => "application/wasm",
        _ => "application/octet-stream",
    }
}

/// Whether the last path segment looks like a file name (has an extension).
fn looks_like_file(path: &str) -> bool {
    path.rsplit('/').next().is_some_and(|seg| seg.contains('.'))
}

/// The fallback handler: the UI's files, the SPA's `index.html`, or a 404.
pub async fn serve(method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path();
    if path == "/api" || path.starts_with("/api/") {
        return ApiError::NotFound("API route").into_response();
    }
    if method != Method::GET && method != Method::HEAD {
        return ApiError::NotFound("route").into_response();
    }
    let head = method == Method::HEAD;
    let rel = path.trim_start_matches('/');
    if !rel.is_empty()
        && let Some(file) = Assets::get(rel)
    {
        let cache = if rel.starts_with("assets/") {
            IMMUTABLE
        } else {
            NO_CACHE
        };
        return file_response(&headers, content_type(rel), cache, &file, head);
    }
    if looks_like_file(rel) && !rel.ends_with(".html") {
        return (
            StatusCode::NOT_FOUND,
            [(header::CACHE_CONTROL, NO_CACHE)],
            "not found\n",
        )
            .into_response();
    }
    match Assets::get("index.html") {
        Some(index) => file_response(&headers, content_type("index.html"), NO_CACHE, &index, head),
        None => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CACHE_CONTROL, NO_CACHE),
            ],
            if head { "" } else { NOT_BUILT },
        )
            .into_response(),
    }
}

fn file_response(
    req: &HeaderMap,
    content_type: &'static str,
    cache: &'static str,
    file: &rust_embed::EmbeddedFile,
    head: bool,
) -> Response {
    let etag = format!("\"{}\"", hex::encode(&file.metadata.sha256_hash()[..16]));
    let fresh = req
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut res = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else if head {
        Response::new(Body::empty())
    } else {
        let bytes = match &file.data {
            Cow::Borrowed(b) => Body::from(*b),
            Cow::Owned(v) => Body::from(v.clone()),
        };
        Response::new(bytes)
    };
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    res
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::to_bytes;
    use axum::http::Request;
    use tower::ServiceExt;

    use super::*;

    fn app() -> Router {
        Router::new().fallback(serve)
    }

    async fn get(path: &str) -> Response {
        app()
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap()
    }

    #[test]
    fn content_types_by_extension() {
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
        assert_eq!(
            content_type("assets/index-abc123.js"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(
            content_type("assets/index-abc123.CSS"),
            "text/css; charset=utf-8"
        );
        assert_eq!(content_type("favicon.svg"), "image/svg+xml");
        assert_eq!(content_type("README"), "application/octet-stream");
    }

    #[tokio::test]
    async fn unknown_api_paths_get_the_json_404() {
        let res = get("/api/no-such-thing").await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        let body = to_bytes(res.into_body(), 1 << 20).await.unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["error"]["code"], "not_found");
    }

    #[tokio::test]
    async fn deep_links_get_the_app_page_uncached() {
        // With or without a built UI, a client-side route answers with HTML that is revalidated.
        for path in ["/", "/cases/42", "/workbench"] {
            let res = get(path).await;
            assert_eq!(res.status(), StatusCode::OK, "{path}");
            assert_eq!(
                res.headers()[header::CONTENT_TYPE],
                "text/html; charset=utf-8",
                "{path}"
            );
            assert_eq!(res.headers()[header::CACHE_CONTROL], NO_CACHE, "{path}");
            let body = to_bytes(res.into_body(), 1 << 22).await.unwrap();
            assert!(String::from_utf8_lossy(&body).contains("<html"), "{path}");
        }
    }

    #[tokio::test]
    async fn missing_asset_files_are_404_not_html() {
        let res = get("/assets/nope-0000.js").await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn built_assets_are_cached_for_long_and_revalidated_by_etag() {
        let Some(index) = Assets::get("index.html") else {
            return; // UI not built in this checkout: nothing to check.
        };
        let res = get("/").await;
        let etag = res.headers()[header::ETAG].clone();
        let again = app()
            .oneshot(
                Request::get("/")
                    .header(header::IF_NONE_MATCH, etag)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
        assert!(!index.data.is_empty());
        if let Some(asset) = Assets::iter().find(|p| p.starts_with("assets/")) {
            let res = get(&format!("/{asset}")).await;
            assert_eq!(res.status(), StatusCode::OK);
            assert_eq!(res.headers()[header::CACHE_CONTROL], IMMUTABLE);
        }
    }

    #[tokio::test]
    async fn other_methods_are_not_served() {
        let res = app()
            .oneshot(Request::post("/anything").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
    }
}
