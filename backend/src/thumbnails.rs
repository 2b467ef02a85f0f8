//! Image previews: the size of an uploaded picture and a small copy for the message list.
//!
//! Only the JPEG, PNG, GIF and WebP decoders are compiled in; a picture past
//! [`PIXELS_MAX`] is not decoded at all (a few bytes can claim billions of pixels), and
//! decoding is CPU work that callers run off the async threads (`spawn_blocking`).

use std::io::Cursor;

use anyhow::Context;
use image::codecs::jpeg::JpegEncoder;
use image::codecs::webp::WebPEncoder;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

/// The long side of a thumbnail, in pixels.
pub const THUMBNAIL_EDGE: u32 = 400;

/// Pictures with more pixels than this (a 64-megapixel phone photo fits) get no preview.
pub const PIXELS_MAX: u64 = 80_000_000;

/// What decoding gave: the picture's size as shown (EXIF orientation applied) and a
/// thumbnail, JPEG for opaque pictures and lossless WebP for those with transparency.
#[derive(Debug)]
pub struct Preview {
    pub width: u32,
    pub height: u32,
    pub thumbnail: Vec<u8>,
    pub thumbnail_type: &'static str,
}

/// The types served inline and previewed; everything else is a download.
pub fn is_picture(media_type: &str) -> bool {
    format_of(media_type).is_some()
}

fn format_of(media_type: &str) -> Option<ImageFormat> {
    match media_type {
        "image/jpeg" => Some(ImageFormat::Jpeg),
        "image/png" => Some(ImageFormat::Png),
        "image/gif" => Some(ImageFormat::Gif),
        "image/webp" => Some(ImageFormat::WebP),
        _ => None,
    }
}

/// Decodes `bytes` as `media_type` (one of [`is_picture`]'s) and makes its preview.
pub fn preview(bytes: &[u8], media_type: &str) -> anyhow::Result<Preview> {
    let format = format_of(media_type).with_context(|| format!("{media_type} is not a picture"))?;
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(Limits::default());
    let mut decoder = reader.into_decoder().context("reading the picture's header")?;
    let (width, height) = decoder.dimensions();
    anyhow::ensure!(
        u64::from(width) * u64::from(height) <= PIXELS_MAX,
        "{width}×{height} pixels is more than {PIXELS_MAX}"
    );
    let orientation = decoder.orientation().context("reading the picture's orientation")?;
    let mut picture = DynamicImage::from_decoder(decoder).context("decoding the picture")?;
    picture.apply_orientation(orientation);
    // `thumbnail` scales to fit the box either way: a picture already inside it keeps its
    // size (re-encoded, so the preview never carries the original's metadata).
    let small = if picture.width().max(picture.height()) > THUMBNAIL_EDGE {
        picture.thumbnail(THUMBNAIL_EDGE, THUMBNAIL_EDGE)
    } else {
        picture.clone()
    };
    let (thumbnail, thumbnail_type) = encode(&small)?;
    Ok(Preview { width: picture.width(), height: picture.height(), thumbnail, thumbnail_type })
}

fn encode(small: &DynamicImage) -> anyhow::Result<(Vec<u8>, &'static str)> {
    let mut out = Vec::new();
    if small.color().has_alpha() {
        small.to_rgba8().write_with_encoder(WebPEncoder::new_lossless(&mut out)).context("encoding WebP")?;
        Ok((out, "image/webp"))
    } else {
        small
            .to_rgb8()
            .write_with_encoder(JpegEncoder::new_with_quality(&mut out, 80))
            .context("encoding JPEG")?;
        Ok((out, "image/jpeg"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageBuffer, Rgb, Rgba};

    fn encoded(picture: &DynamicImage, format: ImageFormat) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        picture.write_to(&mut out, format).expect("encoding a test picture");
        out.into_inner()
    }

    fn opaque(width: u32, height: u32) -> DynamicImage {
        DynamicImage::ImageRgb8(ImageBuffer::from_fn(width, height, |x, y| Rgb([x as u8, y as u8, 128])))
    }

    fn decoded(preview: &Preview) -> DynamicImage {
        image::load_from_memory(&preview.thumbnail).expect("the thumbnail decodes")
    }

    #[test]
    fn a_large_photo_shrinks_to_the_long_edge_keeping_its_shape() {
        let preview =
            preview(&encoded(&opaque(1200, 600), ImageFormat::Png), "image/png").expect("a preview");
        assert_eq!((preview.width, preview.height), (1200, 600));
        assert_eq!(preview.thumbnail_type, "image/jpeg");
        let thumbnail = decoded(&preview);
        assert_eq!((thumbnail.width(), thumbnail.height()), (400, 200));
    }

    #[test]
    fn a_small_picture_is_never_enlarged() {
        let preview = preview(&encoded(&opaque(320, 200), ImageFormat::Png), "image/png").expect("a preview");
        let thumbnail = decoded(&preview);
        assert_eq!((thumbnail.width(), thumbnail.height()), (320, 200));
    }

    #[test]
    fn every_picture_type_gets_a_preview() {
        let picture = opaque(500, 100);
        for (format, media) in [
            (ImageFormat::Jpeg, "image/jpeg"),
            (ImageFormat::Png, "image/png"),
            (ImageFormat::Gif, "image/gif"),
            (ImageFormat::WebP, "image/webp"),
        ] {
            let preview = preview(&encoded(&picture, format), media).expect(media);
            assert_eq!((preview.width, preview.height), (500, 100), "{media}");
            assert_eq!(decoded(&preview).width(), 400, "{media}");
        }
    }

    #[test]
    fn transparency_is_kept_in_webp() {
        let clear = DynamicImage::ImageRgba8(ImageBuffer::from_pixel(10, 10, Rgba([0, 0, 0, 0])));
        let preview = preview(&encoded(&clear, ImageFormat::Png), "image/png").expect("a preview");
        assert_eq!(preview.thumbnail_type, "image/webp");
        assert_eq!(decoded(&preview).to_rgba8().get_pixel(0, 0)[3], 0);
    }

    #[test]
    fn html_claiming_to_be_a_picture_is_refused() {
        assert!(preview(b"<html><script>alert(1)</script></html>", "image/png").is_err());
        assert!(preview(b"<svg/>", "image/svg+xml").is_err());
    }

    #[test]
    fn a_picture_claiming_too_many_pixels_is_not_decoded() {
        // A GIF whose header claims 65535×65535 pixels.
        let mut gif = encoded(&opaque(1, 1), ImageFormat::Gif);
        gif[6..10].copy_from_slice(&[0xff; 4]);
        let error = preview(&gif, "image/gif").expect_err("too many pixels");
        assert!(error.to_string().contains("pixels"), "{error:#}");
    }
}
