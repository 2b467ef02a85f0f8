//! The built browser app (`dist/`): precompressed files, cache headers and the SPA fallback.
//!
//! - **Precompressed.** `trunk build --release` writes `NAME.br` (brotli -q 11) and
//!   `NAME.gz` (gzip -9) next to each text and WASM file (`frontend/post_build.sh`), once,
//!   so no request pays for compression and the best ratios cost nothing at run time. A
//!   request gets the brotli file when its `Accept-Encoding` allows `br`, else the gzip one
//!   when it allows `gzip`, else the file itself, with `Vary: Accept-Encoding`. A `Range`
//!   request gets ranges of the file itself: ranges of a compressed body are of no use.
//! - **Cached.** A file whose name carries a content hash (`app-1a2b….wasm`), or which
//!   lies in a directory named so (`app-1a2b…/chunk_5.wasm`: the split app), never
//!   changes, so browsers keep it a year without asking again (`immutable`). Everything
//!   else, above all `index.html`, which names the current hashed files, is revalidated on
//!   every use (`no-cache`; its `ETag` makes that a 304).
//! - **Deep links.** Any other path gets `index.html`, whose router shows the page.
//!
//! The files are listed once at start-up (like the policy hashes of `index.html`): restart
//! the server after rebuilding the frontend.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};

use actix_files::NamedFile;
use actix_web::http::Method;
use actix_web::http::header::{self, AcceptEncoding, ContentEncoding, Encoding, HeaderValue};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};

use crate::error::{AppError, AppResult};

/// The files of `dist/`, by URL path (`app-1a2b….wasm`, `index.html`).
#[derive(Debug)]
pub struct Dist {
    assets: HashMap<String, Asset>,
}

#[derive(Debug)]
struct Asset {
    path: PathBuf,
    /// The precompressed versions next to it, in order of preference.
    encodings: Vec<ContentEncoding>,
    hashed: bool,
}

impl Dist {
    /// Lists `dir` and the precompressed versions of its files.
    pub fn open(dir: &Path) -> io::Result<Self> {
        let mut assets = HashMap::new();
        list(dir, dir, &mut assets)?;
        Ok(Self { assets })
    }

    /// The asset a request path names, else `index.html`.
    fn asset(&self, request_path: &str) -> Option<&Asset> {
        let path = request_path.trim_start_matches('/');
        self.assets.get(path).or_else(|| self.assets.get("index.html"))
    }
}

/// Adds the files under `dir` to `assets`, each keyed by its path relative to `root`.
fn list(root: &Path, dir: &Path, assets: &mut HashMap<String, Asset>) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else { continue };
        if name.starts_with('.') || name.ends_with(".br") || name.ends_with(".gz") {
            continue;
        }
        if path.is_dir() {
            list(root, &path, assets)?;
        } else if let Ok(relative) = path.strip_prefix(root) {
            let key = relative.iter().filter_map(|part| part.to_str()).collect::<Vec<_>>().join("/");
            let encodings = [ContentEncoding::Brotli, ContentEncoding::Gzip]
                .into_iter()
                .filter(|encoding| compressed_path(&path, *encoding).is_file())
                .collect();
            let hashed = key.split('/').any(is_content_hashed);
            assets.insert(key, Asset { hashed, path, encodings });
        }
    }
    Ok(())
}

/// Trunk names what it builds `NAME-HASH.EXT`, the WASM `NAME-HASH_bg.wasm`, where `HASH`
/// is a 64-bit content hash in hex (without leading zeros): new content, new name. The
/// split app's modules (`frontend/split.py`) keep fixed names, because they name each
/// other, inside a directory named so (`app-HASH/`): a file is for good if any part of
/// its path is.
fn is_content_hashed(file_name: &str) -> bool {
    let stem = file_name.split('.').next().unwrap_or_default();
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-').is_some_and(|(_, hash)| {
        (8..=16).contains(&hash.len()) && hash.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

/// `app.wasm` → `app.wasm.br`.
fn compressed_path(path: &Path, encoding: ContentEncoding) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(if encoding == ContentEncoding::Brotli { ".br" } else { ".gz" });
    PathBuf::from(name)
}

/// Routes every path not taken by the API to the app's files.
pub fn configure(cfg: &mut web::ServiceConfig, dist: Option<web::Data<Dist>>) {
    let Some(dist) = dist else { return };
    cfg.service(
        web::resource("/{path:.*}")
            .app_data(dist)
            .route(web::get().to(serve))
            .route(web::head().to(serve))
            .default_service(web::to(|| async {
                AppResult::<HttpResponse>::Err(AppError::MethodNotAllowed(vec![Method::GET, Method::HEAD]))
            })),
    );
}

async fn serve(req: HttpRequest, dist: web::Data<Dist>) -> AppResult<HttpResponse> {
    let asset = dist.asset(req.path()).ok_or(AppError::NotFound)?;
    let encoding = chosen_encoding(&req, asset);
    let file = match encoding {
        Some(encoding) => open(&compressed_path(&asset.path, encoding)).await?.set_content_encoding(encoding),
        None => open(&asset.path).await?,
    };
    let extension = asset.path.extension().and_then(|e| e.to_str()).unwrap_or_default();
    let file =
        file.set_content_type(actix_files::file_extension_to_mime(extension)).disable_content_disposition();

    let mut response = file.into_response(&req);
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache_control(asset)));
    if !asset.encodings.is_empty() {
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    Ok(response)
}

/// A listed file; gone when the frontend was rebuilt under a running server.
async fn open(path: &Path) -> AppResult<NamedFile> {
    NamedFile::open_async(path).await.map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => AppError::NotFound,
        _ => AppError::Internal(anyhow::Error::new(e).context(path.display().to_string())),
    })
}

/// The precompressed version to send, `None` for the file itself.
fn chosen_encoding(req: &HttpRequest, asset: &Asset) -> Option<ContentEncoding> {
    if req.headers().contains_key(header::RANGE) {
        return None;
    }
    let accepted = req.get_header::<AcceptEncoding>()?;
    let available: Vec<Encoding> = asset.encodings.iter().copied().map(Encoding::Known).collect();
    match accepted.negotiate(available.iter().chain([&Encoding::identity()]))? {
        Encoding::Known(encoding) if asset.encodings.contains(&encoding) => Some(encoding),
        _ => None,
    }
}

fn cache_control(asset: &Asset) -> &'static str {
    if asset.hashed { "public, max-age=31536000, immutable" } else { "no-cache" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trunk_s_hashed_names_are_recognised() {
        for name in [
            "confab-frontend-ac6abcb2861adbec.js",
            "confab-frontend-ac6abcb2861adbec_bg.wasm",
            "style-e9631b595e650321.css",
            "favicon-8a9d59b8886c8a4.svg",
        ] {
            assert!(is_content_hashed(name), "{name}");
        }
        for name in ["index.html", "favicon.ico", "app-1.js", "self-hosted.css", "x-ac6abcb2861adbec0.js"] {
            assert!(!is_content_hashed(name), "{name}");
        }
    }

    #[test]
    fn files_in_a_hashed_directory_are_for_good() {
        let dir = std::env::temp_dir().join(format!("confab-dist-test-{}", std::process::id()));
        let app = dir.join("app-b6593f66138dea1a");
        std::fs::create_dir_all(&app).unwrap();
        for path in [
            dir.join("index.html"),
            dir.join("robots.txt"),
            app.join("__wasm_split.js"),
            app.join("chunk_5.wasm"),
        ] {
            std::fs::write(path, "x").unwrap();
        }
        let dist = Dist::open(&dir).unwrap();
        let hashed = |key: &str| dist.assets.get(key).map(|asset| asset.hashed);
        assert_eq!(hashed("app-b6593f66138dea1a/__wasm_split.js"), Some(true));
        assert_eq!(hashed("app-b6593f66138dea1a/chunk_5.wasm"), Some(true));
        assert_eq!(hashed("index.html"), Some(false));
        assert_eq!(hashed("robots.txt"), Some(false));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
