//! Image transformation at `/render/image/{authenticated,public,sign}/{bucket}/{path}`
//! (storage-api `src/http/routes/render/renderAuthenticatedImage.ts`, `renderPublicImage.ts`,
//! `renderSignedImage.ts`; `src/storage/renderer/image.ts` and `renderer.ts`).
//!
//! storage-api hands the work to imgproxy; here the `image` crate does what those imgproxy
//! options do. The parameters and their mapping follow `ImageRenderer.applyTransformation`:
//! `width`/`height` clamped to 1..=2000 (`IMAGE_TRANSFORMATION_LIMIT_{MIN,MAX}_SIZE`), `resize`
//! `cover` → imgproxy `fill` (scale to cover the box, crop the centre), `contain` → `fit`
//! (scale to fit inside, keep the ratio), `fill` → `force` (stretch); a missing dimension
//! follows the aspect ratio; images are never enlarged (imgproxy's `enlarge` defaults to off).
//! `format`: `origin` keeps the source format, `webp` converts; without `format` the
//! `Accept` header decides (imgproxy's WebP detection, on in Supabase's setup). `quality`
//! (20..=100, default 80 as imgproxy's) applies to JPEG output; WebP output is lossless (the
//! `image` crate's encoder). AVIF output is not available here and answers an
//! `ImageProcessingError`, as a failing imgproxy would.

use std::io::Cursor;

use axum::body::Body;
use axum::extract::{Path, Query, State as AxState};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use image::{DynamicImage, ImageFormat};
use serde::Deserialize;

use super::error::ApiError;
use super::object::{Found, find};
use super::{ApiResult, State, disk, valid_key, write};

/// storage-api's default `IMAGE_TRANSFORMATION_LIMIT_MIN_SIZE` / `_MAX_SIZE`.
const MIN_SIZE: u32 = 1;
const MAX_SIZE: u32 = 2000;
/// imgproxy's default `IMGPROXY_QUALITY`.
const DEFAULT_QUALITY: u8 = 80;
/// Supabase's documented limits for transformed images: 25 MB files, 50 megapixels
/// (imgproxy's `IMGPROXY_MAX_SRC_FILE_SIZE` / `IMGPROXY_MAX_SRC_RESOLUTION` on the platform).
const MAX_SOURCE_BYTES: u64 = 25 * 1000 * 1000;
const MAX_SOURCE_PIXELS: u64 = 50 * 1000 * 1000;

/// How the image is fitted into the box (storage-api's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resize {
    Cover,
    Contain,
    Fill,
}

impl Resize {
    fn parse(s: &str) -> Option<Self> {
        match s {
            "cover" => Some(Resize::Cover),
            "contain" => Some(Resize::Contain),
            "fill" => Some(Resize::Fill),
            _ => None,
        }
    }

    /// `ImageRenderer.formatResizeType`.
    fn imgproxy(self) -> &'static str {
        match self {
            Resize::Cover => "fill",
            Resize::Contain => "fit",
            Resize::Fill => "force",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Resize::Cover => "cover",
            Resize::Contain => "contain",
            Resize::Fill => "fill",
        }
    }
}

/// The transformation asked for, after validation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Transform {
    pub(crate) width: Option<u32>,
    pub(crate) height: Option<u32>,
    pub(crate) resize: Option<Resize>,
    /// `origin`, `webp` or `avif`.
    pub(crate) format: Option<String>,
    pub(crate) quality: Option<u8>,
}

/// The query string of the authenticated and public routes (`transformationOptionsSchema`
/// plus `download`). Values arrive as text and are validated like fastify's schema does.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RenderQuery {
    width: Option<String>,
    height: Option<String>,
    resize: Option<String>,
    format: Option<String>,
    quality: Option<String>,
    download: Option<String>,
}

fn integer(name: &str, value: Option<&str>) -> ApiResult<Option<u64>> {
    match value {
        None => Ok(None),
        Some(v) => {
            v.trim().parse::<u64>().map(Some).map_err(|_| {
                ApiError::invalid_request(format!("querystring/{name} must be integer"))
            })
        }
    }
}

impl Transform {
    /// Validates a JSON-schema-like set of options (`transformationOptionsSchema`).
    pub(crate) fn from_parts(
        width: Option<u64>,
        height: Option<u64>,
        resize: Option<&str>,
        format: Option<&str>,
        quality: Option<u64>,
        place: &str,
    ) -> ApiResult<Self> {
        let resize = resize
            .map(|r| {
                Resize::parse(r).ok_or_else(|| {
                    ApiError::invalid_request(format!(
                        "{place}/resize must be equal to one of the allowed values"
                    ))
                })
            })
            .transpose()?;
        if let Some(f) = format
            && !["origin", "avif", "webp"].contains(&f)
        {
            return Err(ApiError::invalid_request(format!(
                "{place}/format must be equal to one of the allowed values"
            )));
        }
        let quality = quality
            .map(|q| {
                u8::try_from(q)
                    .ok()
                    .filter(|q| (20..=100).contains(q))
                    .ok_or_else(|| {
                        ApiError::invalid_request(format!(
                            "{place}/quality must be >= 20 and <= 100"
                        ))
                    })
            })
            .transpose()?;
        // `if (options.width)`: 0 means "not given".
        let dim = |d: Option<u64>| {
            d.filter(|d| *d > 0)
                .map(|d| u32::try_from(d.min(u64::from(MAX_SIZE))).unwrap_or(MAX_SIZE))
                .map(|d| d.clamp(MIN_SIZE, MAX_SIZE))
        };
        Ok(Transform {
            width: dim(width),
            height: dim(height),
            resize,
            format: format.map(str::to_owned),
            quality,
        })
    }

    fn from_query(q: &RenderQuery) -> ApiResult<Self> {
        Transform::from_parts(
            integer("width", q.width.as_deref())?,
            integer("height", q.height.as_deref())?,
            q.resize.as_deref(),
            q.format.as_deref(),
            integer("quality", q.quality.as_deref())?,
            "querystring",
        )
    }

    /// The `transformations` claim of a signed render URL
    /// (`applyTransformation(options, keepOriginal = true)`: `height:100,width:100,resize:cover,…`),
    /// parsed back as `setTransformationsFromString` does.
    pub(crate) fn from_claim(transformations: &str, format: Option<&str>) -> Self {
        let mut t = Transform::default();
        for param in transformations.split(',') {
            let (name, value) = param.split_once(':').unwrap_or((param, ""));
            match name {
                "height" => t.height = value.parse().ok().filter(|v| *v > 0),
                "width" => t.width = value.parse().ok().filter(|v| *v > 0),
                "resize" => t.resize = Resize::parse(value),
                "format" => t.format = Some(value.to_owned()).filter(|v| !v.is_empty()),
                "quality" => t.quality = value.parse().ok(),
                _ => {}
            }
        }
        if let Some(f) = format.filter(|f| !f.is_empty()) {
            t.format = Some(f.to_owned());
        }
        t
    }

    /// What storage-api signs into a render URL: `applyTransformation(options, true)`.
    pub(crate) fn claim(&self) -> String {
        let mut segments = Vec::new();
        if let Some(h) = self.height {
            segments.push(format!("height:{h}"));
        }
        if let Some(w) = self.width {
            segments.push(format!("width:{w}"));
        }
        if self.width.is_some() || self.height.is_some() {
            segments.push(format!(
                "resize:{}",
                self.resize.map_or("undefined", Resize::name)
            ));
        }
        if let Some(q) = self.quality {
            segments.push(format!("quality:{q}"));
        }
        if let Some(f) = self.format.as_deref().filter(|f| *f != "origin") {
            segments.push(format!("format:{f}"));
        }
        segments.join(",")
    }

    /// The imgproxy options storage-api would send (`X-Transformations`).
    fn imgproxy_segments(&self) -> Vec<String> {
        let mut segments = Vec::new();
        if let Some(h) = self.height {
            segments.push(format!("height:{h}"));
        }
        if let Some(w) = self.width {
            segments.push(format!("width:{w}"));
        }
        if self.width.is_some() || self.height.is_some() {
            segments.push(format!(
                "resizing_type:{}",
                self.resize.unwrap_or(Resize::Cover).imgproxy()
            ));
        }
        if let Some(q) = self.quality {
            segments.push(format!("quality:{q}"));
        }
        if let Some(f) = self.format.as_deref().filter(|f| *f != "origin") {
            segments.push(format!("format:{f}"));
        }
        segments
    }
}

/// The size a `w`×`h` source becomes, and the centred crop box after it (imgproxy's
/// `fill`/`fit`/`force` without enlarging).
fn geometry(src_w: u32, src_h: u32, t: &Transform) -> ((u32, u32), Option<(u32, u32)>) {
    let (sw, sh) = (f64::from(src_w.max(1)), f64::from(src_h.max(1)));
    // In range: at most the source's own size (a u32).
    let round = |v: f64| v.round().max(1.0) as u32;
    let (w, h) = match (t.width, t.height) {
        (None, None) => return ((src_w, src_h), None),
        (Some(w), None) => {
            let s = (f64::from(w) / sw).min(1.0);
            return ((round(sw * s), round(sh * s)), None);
        }
        (None, Some(h)) => {
            let s = (f64::from(h) / sh).min(1.0);
            return ((round(sw * s), round(sh * s)), None);
        }
        (Some(w), Some(h)) => (f64::from(w), f64::from(h)),
    };
    match t.resize.unwrap_or(Resize::Cover) {
        Resize::Contain => {
            let s = (w / sw).min(h / sh).min(1.0);
            ((round(sw * s), round(sh * s)), None)
        }
        Resize::Fill => (
            (round(sw * (w / sw).min(1.0)), round(sh * (h / sh).min(1.0))),
            None,
        ),
        Resize::Cover => {
            let s = (w / sw).max(h / sh).min(1.0);
            let (rw, rh) = (round(sw * s), round(sh * s));
            let crop = (round(w).min(rw), round(h).min(rh));
            ((rw, rh), Some(crop))
        }
    }
}

/// The rendered image: bytes and their content type.
#[derive(Debug)]
struct Rendered {
    bytes: Vec<u8>,
    content_type: &'static str,
}

/// `ERRORS.ImageProcessingError` (`codes.ts`): imgproxy's status, code `InvalidRequest` below 500.
fn processing_error(message: impl Into<String>) -> ApiError {
    ApiError::new(422, "InvalidRequest", message)
}

/// Decodes, resizes and encodes (CPU work: run on the blocking pool).
fn render(source: &[u8], t: &Transform, accept: Option<&str>) -> ApiResult<Rendered> {
    let source_format = image::guess_format(source)
        .map_err(|_| processing_error("Source image type not supported"))?;
    let (w, h) = image::ImageReader::with_format(Cursor::new(source), source_format)
        .into_dimensions()
        .map_err(|e| processing_error(format!("Can't decode the source image: {e}")))?;
    if u64::from(w) * u64::from(h) > MAX_SOURCE_PIXELS {
        return Err(processing_error("Source image resolution is too big"));
    }
    let img = image::load_from_memory_with_format(source, source_format)
        .map_err(|e| processing_error(format!("Can't decode the source image: {e}")))?;
    let ((rw, rh), crop) = geometry(img.width(), img.height(), t);
    let mut out: DynamicImage = if (rw, rh) == (img.width(), img.height()) {
        img
    } else {
        img.resize_exact(rw, rh, image::imageops::FilterType::Lanczos3)
    };
    if let Some((cw, ch)) = crop
        && (cw, ch) != (rw, rh)
    {
        out = out.crop_imm((rw - cw) / 2, (rh - ch) / 2, cw, ch);
    }
    let target = match t.format.as_deref() {
        Some("webp") => ImageFormat::WebP,
        Some("avif") => {
            return Err(processing_error(
                "AVIF output is not supported by the local stand-in",
            ));
        }
        Some(_) => source_format,
        None if accept.is_some_and(|a| a.contains("image/webp")) => ImageFormat::WebP,
        None => source_format,
    };
    encode(&out, target, t.quality.unwrap_or(DEFAULT_QUALITY))
}

fn encode(img: &DynamicImage, format: ImageFormat, quality: u8) -> ApiResult<Rendered> {
    let mut bytes = Vec::new();
    let fail = |e: image::ImageError| processing_error(format!("Can't encode the image: {e}"));
    let content_type = match format {
        ImageFormat::Jpeg => {
            let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, quality);
            DynamicImage::ImageRgb8(img.to_rgb8())
                .write_with_encoder(encoder)
                .map_err(fail)?;
            "image/jpeg"
        }
        ImageFormat::WebP => {
            let encoder = image::codecs::webp::WebPEncoder::new_lossless(&mut bytes);
            let rgba = if img.color().has_alpha() {
                DynamicImage::ImageRgba8(img.to_rgba8())
            } else {
                DynamicImage::ImageRgb8(img.to_rgb8())
            };
            rgba.write_with_encoder(encoder).map_err(fail)?;
            "image/webp"
        }
        ImageFormat::Png => {
            img.write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png)
                .map_err(fail)?;
            "image/png"
        }
        other => {
            return Err(processing_error(format!(
                "Resulting image format is not supported: {other:?}"
            )));
        }
    };
    Ok(Rendered {
        bytes,
        content_type,
    })
}

/// `Renderer.render`: the transformed image with the object's ETag and cache headers.
async fn respond(
    state: &State,
    found: &Found,
    t: Transform,
    accept: Option<String>,
    download: Option<&str>,
    expires: Option<u64>,
) -> ApiResult<Response> {
    let path = disk::object_path(&state.root, &found.version);
    let size = tokio::fs::metadata(&path)
        .await
        .map_err(|e| ApiError::internal(format!("object bytes missing: {e}")))?
        .len();
    if size > MAX_SOURCE_BYTES {
        return Err(processing_error("Source image file is too big"));
    }
    let source = tokio::fs::read(&path)
        .await
        .map_err(|e| ApiError::internal(format!("object bytes missing: {e}")))?;
    let segments = t.imgproxy_segments();
    let rendered = tokio::task::spawn_blocking(move || render(&source, &t, accept.as_deref()))
        .await
        .map_err(|e| ApiError::internal(format!("rendering failed: {e}")))??;
    let len = rendered.bytes.len();
    let mut resp = Response::new(Body::from(rendered.bytes));
    let h = resp.headers_mut();
    let set = |h: &mut HeaderMap, name: header::HeaderName, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            h.insert(name, v);
        }
    };
    let md = &found.metadata;
    set(h, header::ACCEPT_RANGES, "bytes");
    set(h, header::CONTENT_TYPE, rendered.content_type);
    set(h, header::CONTENT_LENGTH, &len.to_string());
    if let Some(etag) = md["eTag"].as_str() {
        set(h, header::ETAG, etag);
    }
    super::object::caching(h, md, expires);
    if !segments.is_empty() {
        set(
            h,
            header::HeaderName::from_static("x-transformations"),
            &segments.join(","),
        );
    }
    super::object::content_disposition(h, download);
    Ok(resp)
}

fn accept(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// `GET /render/image/authenticated/{bucket}/{path}`: the object as the caller sees it (RLS).
pub(crate) async fn authenticated(
    AxState(state): AxState<State>,
    Path((bucket, name)): Path<(String, String)>,
    Query(q): Query<RenderQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let caller = state.caller(&headers)?;
    let t = Transform::from_query(&q)?;
    valid_key(&name)?;
    let found = find(&state, &caller, &bucket, &name)
        .await?
        .ok_or_else(ApiError::no_such_key)?;
    let accept = accept(&headers).filter(|_| t.format.as_deref() != Some("origin"));
    respond(&state, &found, t, accept, q.download.as_deref(), None).await
}

/// `GET /render/image/public/{bucket}/{path}`: objects of public buckets, no credentials.
pub(crate) async fn public(
    AxState(state): AxState<State>,
    Path((bucket, name)): Path<(String, String)>,
    Query(q): Query<RenderQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let t = Transform::from_query(&q)?;
    valid_key(&name)?;
    if !write::bucket_rules(&state, &bucket).await?.public {
        return Err(ApiError::no_such_bucket());
    }
    let found = find(&state, &state.superuser(), &bucket, &name)
        .await?
        .ok_or_else(ApiError::no_such_key)?;
    let accept = accept(&headers).filter(|_| t.format.as_deref() != Some("origin"));
    respond(&state, &found, t, accept, q.download.as_deref(), None).await
}

/// `?token=…&download=…` of a signed render URL. No `Debug`: it holds the token.
#[derive(Deserialize)]
pub(crate) struct SignedQuery {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    download: Option<String>,
}

/// `GET /render/image/sign/{bucket}/{path}?token=…`: the transformation comes from the token.
pub(crate) async fn signed(
    AxState(state): AxState<State>,
    Path((bucket, name)): Path<(String, String)>,
    Query(q): Query<SignedQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let token = q
        .token
        .ok_or_else(|| ApiError::missing_parameter("token"))?;
    let claims = super::sign::verify_download(&state, &token, &bucket, &name)?;
    let t = Transform::from_claim(
        claims["transformations"].as_str().unwrap_or(""),
        claims["format"].as_str(),
    );
    let found = find(&state, &state.superuser(), &bucket, &name)
        .await?
        .ok_or_else(ApiError::no_such_key)?;
    let accept = accept(&headers).filter(|_| t.format.as_deref() != Some("origin"));
    let exp = claims["exp"].as_u64();
    respond(&state, &found, t, accept, q.download.as_deref(), exp).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(w: Option<u32>, h: Option<u32>, r: Option<Resize>) -> Transform {
        Transform {
            width: w,
            height: h,
            resize: r,
            ..Transform::default()
        }
    }

    #[test]
    fn geometry_follows_imgproxy() {
        // cover: scale to cover, crop the centre.
        assert_eq!(
            geometry(400, 300, &t(Some(100), Some(100), None)),
            ((133, 100), Some((100, 100)))
        );
        // contain: fit inside.
        assert_eq!(
            geometry(400, 300, &t(Some(100), Some(100), Some(Resize::Contain))),
            ((100, 75), None)
        );
        // fill: stretch.
        assert_eq!(
            geometry(400, 300, &t(Some(100), Some(100), Some(Resize::Fill))),
            ((100, 100), None)
        );
        // One dimension: the other follows the ratio; never enlarged.
        assert_eq!(
            geometry(400, 300, &t(Some(200), None, None)),
            ((200, 150), None)
        );
        assert_eq!(
            geometry(400, 300, &t(Some(800), None, None)),
            ((400, 300), None)
        );
    }

    #[test]
    fn claims_round_trip() {
        let t = Transform::from_parts(
            Some(100),
            Some(50),
            Some("contain"),
            Some("webp"),
            Some(70),
            "body",
        )
        .unwrap();
        assert_eq!(
            t.claim(),
            "height:50,width:100,resize:contain,quality:70,format:webp"
        );
        assert_eq!(Transform::from_claim(&t.claim(), Some("webp")), t);
        assert_eq!(
            Transform::from_parts(Some(9999), None, None, None, None, "q")
                .unwrap()
                .width,
            Some(2000)
        );
        assert!(Transform::from_parts(None, None, Some("stretch"), None, None, "q").is_err());
        assert!(Transform::from_parts(None, None, None, None, Some(10), "q").is_err());
    }
}
