//! Image transformations served by the stand-in's `/render/image/...` routes: the bytes that
//! come back are decoded and measured.

use std::io::Cursor;

use image::{ImageFormat, ImageReader, Rgba, RgbaImage};
use supabase_core::Error;
use supabase_core::storage::{
    BucketOptions, ImageFormat as Format, Resize, TransformOptions, UrlOptions,
};

use super::bucket;

/// A 400×300 PNG: left half red, right half blue.
fn png_400x300() -> Vec<u8> {
    let img = RgbaImage::from_fn(400, 300, |x, _| {
        if x < 200 {
            Rgba([255, 0, 0, 255])
        } else {
            Rgba([0, 0, 255, 255])
        }
    });
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
        .unwrap();
    out
}

/// The format and dimensions of encoded image bytes.
fn measure(bytes: &[u8]) -> (ImageFormat, u32, u32) {
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .unwrap();
    let format = reader.format().expect("a known image format");
    let img = reader.decode().expect("decodable image");
    (format, img.width(), img.height())
}

fn transform(w: Option<u32>, h: Option<u32>, resize: Option<Resize>) -> UrlOptions {
    let mut t = TransformOptions::new();
    if let Some(w) = w {
        t = t.width(w);
    }
    if let Some(h) = h {
        t = t.height(h);
    }
    if let Some(r) = resize {
        t = t.resize(r);
    }
    UrlOptions::new().transform(t)
}

#[tokio::test]
async fn authenticated_download_with_transforms_has_the_requested_size() {
    let (_, files) = bucket(BucketOptions::new()).await;
    files.upload("img/pic.png", png_400x300()).await.unwrap();

    let cases = [
        // cover (the default): fills 200×100, cropped.
        (transform(Some(200), Some(100), None), (200, 100)),
        (
            transform(Some(200), Some(100), Some(Resize::Cover)),
            (200, 100),
        ),
        // contain: fits inside 200×100, ratio kept.
        (
            transform(Some(200), Some(100), Some(Resize::Contain)),
            (133, 100),
        ),
        // fill: stretched to exactly 100×200.
        (
            transform(Some(100), Some(200), Some(Resize::Fill)),
            (100, 200),
        ),
        // One side given: the other follows the ratio.
        (transform(Some(100), None, None), (100, 75)),
        (transform(None, Some(150), None), (200, 150)),
        // Never enlarged (imgproxy's default).
        (transform(Some(800), None, None), (400, 300)),
    ];
    for (options, expected) in cases {
        let bytes = files
            .download_with("img/pic.png", options.clone())
            .await
            .unwrap();
        let (format, w, h) = measure(&bytes);
        assert_eq!(format, ImageFormat::Png, "{options:?}");
        assert_eq!((w, h), expected, "{options:?}");
    }

    // cover crops the centre: a 100×100 square of a red|blue image keeps both halves.
    let bytes = files
        .download_with("img/pic.png", transform(Some(100), Some(100), None))
        .await
        .unwrap();
    let img = image::load_from_memory(&bytes).unwrap().to_rgba8();
    assert_eq!(img.dimensions(), (100, 100));
    assert_eq!(img.get_pixel(2, 50).0, [255, 0, 0, 255]);
    assert_eq!(img.get_pixel(97, 50).0, [0, 0, 255, 255]);
}

#[tokio::test]
async fn format_conversion_and_quality() {
    let (_, files) = bucket(BucketOptions::new()).await;
    files.upload("img/pic.png", png_400x300()).await.unwrap();

    let webp = files
        .download_with(
            "img/pic.png",
            UrlOptions::new().transform(TransformOptions::new().width(100).format(Format::Webp)),
        )
        .await
        .unwrap();
    assert_eq!(measure(&webp), (ImageFormat::WebP, 100, 75));

    let origin = files
        .download_with(
            "img/pic.png",
            UrlOptions::new().transform(
                TransformOptions::new()
                    .width(100)
                    .format(Format::Origin)
                    .quality(50),
            ),
        )
        .await
        .unwrap();
    assert_eq!(measure(&origin), (ImageFormat::Png, 100, 75));

    // quality applies to JPEG: a lower quality gives fewer bytes.
    let img = image::load_from_memory(&png_400x300()).unwrap().to_rgb8();
    let mut jpeg = Vec::new();
    img.write_to(&mut Cursor::new(&mut jpeg), ImageFormat::Jpeg)
        .unwrap();
    files.upload("img/photo.jpg", jpeg).await.unwrap();
    let at = |q: u8| {
        let files = files.clone();
        async move {
            files
                .download_with(
                    "img/photo.jpg",
                    UrlOptions::new().transform(TransformOptions::new().width(300).quality(q)),
                )
                .await
                .unwrap()
        }
    };
    let (low, high) = (at(20).await, at(100).await);
    assert_eq!(measure(&low), (ImageFormat::Jpeg, 300, 225));
    assert_eq!(measure(&high), (ImageFormat::Jpeg, 300, 225));
    assert!(
        low.len() < high.len(),
        "q20 {} >= q100 {}",
        low.len(),
        high.len()
    );
}

#[tokio::test]
async fn public_and_signed_render_urls_serve_transformed_images() {
    let (_, files) = bucket(BucketOptions::new().public(true)).await;
    files.upload("img/pic.png", png_400x300()).await.unwrap();
    let http = reqwest::Client::new();

    // Public render URL: no credentials.
    let url = files
        .get_public_url_with(
            "img/pic.png",
            transform(Some(120), Some(120), Some(Resize::Contain)),
        )
        .unwrap();
    assert!(url.contains("/render/image/public/"), "{url}");
    let resp = http.get(&url).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["x-transformations"],
        "height:120,width:120,resizing_type:fit"
    );
    assert_eq!(
        measure(&resp.bytes().await.unwrap()),
        (ImageFormat::Png, 120, 90)
    );

    // Without `format`, a browser's Accept header gets WebP (imgproxy's detection).
    let url = files
        .get_public_url_with("img/pic.png", transform(Some(40), None, None))
        .unwrap();
    let resp = http
        .get(&url)
        .header("accept", "image/avif,image/webp,*/*")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["content-type"], "image/webp");
    assert_eq!(
        measure(&resp.bytes().await.unwrap()),
        (ImageFormat::WebP, 40, 30)
    );

    // Signed URL with a transform: the transformation travels in the token.
    let signed = files
        .create_signed_url_with(
            "img/pic.png",
            60,
            UrlOptions::new().transform(
                TransformOptions::new()
                    .width(50)
                    .height(50)
                    .format(Format::Webp),
            ),
        )
        .await
        .unwrap();
    assert!(signed.contains("/render/image/sign/"), "{signed}");
    let resp = http.get(&signed).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().contains_key("expires"));
    assert_eq!(
        measure(&resp.bytes().await.unwrap()),
        (ImageFormat::WebP, 50, 50)
    );
    // The token is for that object only.
    let other = signed.replace("img/pic.png", "img/other.png");
    let resp = http.get(&other).send().await.unwrap();
    assert_eq!(resp.status(), 400);
}

#[tokio::test]
async fn render_errors_are_typed() {
    let (_, private) = bucket(BucketOptions::new()).await;
    private.upload("img/pic.png", png_400x300()).await.unwrap();
    private.upload("notes.txt", b"not an image").await.unwrap();

    // Not an image: imgproxy's failure, as storage-api reports it.
    let Err(Error::Storage(e)) = private
        .download_with("notes.txt", transform(Some(10), None, None))
        .await
    else {
        panic!("a text file was transformed")
    };
    // `ERRORS.ImageProcessingError`: imgproxy's status, code `InvalidRequest` below 500.
    assert_eq!(e.status.as_u16(), 422);
    assert_eq!(e.code, "InvalidRequest");

    // AVIF output is not produced by the stand-in: a typed error, not another format.
    let Err(Error::Storage(e)) = private
        .download_with(
            "img/pic.png",
            UrlOptions::new().transform(TransformOptions::new().width(10).format(Format::Avif)),
        )
        .await
    else {
        panic!("AVIF was served")
    };
    assert_eq!(
        (e.status.as_u16(), e.code.as_str()),
        (422, "InvalidRequest")
    );

    // Larger than Supabase's 25 MB limit for transformations.
    private
        .upload("img/huge.png", vec![0u8; 26_000_000])
        .await
        .unwrap();
    let Err(Error::Storage(e)) = private
        .download_with("img/huge.png", transform(Some(10), None, None))
        .await
    else {
        panic!("a 26 MB source was transformed")
    };
    assert_eq!(e.status.as_u16(), 422);
    assert_eq!(e.message, "Source image file is too big");

    // Missing object.
    let Err(Error::Storage(e)) = private
        .download_with("img/none.png", transform(Some(10), None, None))
        .await
    else {
        panic!("a missing object was rendered")
    };
    assert!(e.is_not_found(), "{e:?}");

    // A public render URL of a private bucket does not serve it.
    let url = private
        .get_public_url_with("img/pic.png", transform(Some(10), None, None))
        .unwrap();
    let resp = reqwest::get(&url).await.unwrap();
    assert_eq!(resp.status(), 400);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["statusCode"], "404");

    // Out-of-range parameters are refused, as storage-api's schema does.
    let base = url
        .split('?')
        .next()
        .unwrap()
        .replace("/public/", "/authenticated/");
    let stack = supabase_tests::reference_stack().await;
    let resp = reqwest::Client::new()
        .get(format!("{base}?quality=5"))
        .header("apikey", stack.service_role_key())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["statusCode"], "400");
}
