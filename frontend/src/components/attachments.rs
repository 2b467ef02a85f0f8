//! Files in the conversation: a sent message's images as thumbnails (a click opens the full
//! picture in a lightbox; a middle click or the lightbox's link opens it in a tab) and its
//! other files as chips that download; and a file still uploading, with its progress bar,
//! its cancel button and, when it failed, why and a retry.

use confab_shared::api::Attachment;
use confab_shared::display::file_size;
use leptos::html;
use leptos::prelude::*;

use crate::store::Store;
use crate::uploads::{self, UploadId, UploadState};

/// Thumbnails are shown at most this size (CSS pixels); the server makes them ≤ 400 px.
const THUMBNAIL_BOX: (u32, u32) = (320, 240);

/// The picture the lightbox shows, if any: one per message list.
#[derive(Clone, Copy)]
pub struct LightboxState(RwSignal<Option<Attachment>>);

impl LightboxState {
    pub fn new() -> Self {
        Self(RwSignal::new(None))
    }

    pub fn is_open(self) -> bool {
        self.0.with(Option::is_some)
    }
}

crate::split::split_view! {
    /// The lightbox, split off from the first download (`crate::split`).
    pub fn lightbox_view() -> AnyView {
        view! { <Lightbox /> }.into_any()
    }
    load lightbox_view_load;
}

/// A sent message's files: images first as thumbnails, then the others as chips.
#[component]
pub fn AttachmentList(attachments: Vec<Attachment>) -> impl IntoView {
    let (images, files): (Vec<Attachment>, Vec<Attachment>) =
        attachments.into_iter().partition(|a| a.thumbnail_url.is_some());
    view! {
        {(!images.is_empty())
            .then(|| {
                view! {
                    <div class="attachment-images">
                        {images.into_iter().map(|image| view! { <Thumbnail image=image /> }).collect_view()}
                    </div>
                }
            })}
        {(!files.is_empty())
            .then(|| {
                view! {
                    <div class="attachment-files">
                        {files.into_iter().map(|file| view! { <FileChip file=file /> }).collect_view()}
                    </div>
                }
            })}
    }
}

#[component]
fn Thumbnail(image: Attachment) -> impl IntoView {
    let lightbox = expect_context::<LightboxState>();
    let (width, height) = fit(image.width, image.height);
    let label = format!("{} ({}): open full size", image.filename, file_size(image.size));
    let src = image.thumbnail_url.clone().unwrap_or_default();
    let open = image.clone();
    view! {
        // A link, so that a middle click or "open in new tab" shows the original; a plain
        // click opens the lightbox instead.
        <a
            class="attachment-image"
            data-testid="attachment-image"
            href=image.url.clone()
            target="_blank"
            aria-label=label
            on:click=move |ev: leptos::ev::MouseEvent| {
                if !(ev.ctrl_key() || ev.meta_key() || ev.shift_key()) {
                    ev.prevent_default();
                    lightbox.0.set(Some(open.clone()));
                }
            }
        >
            <img src=src alt=image.filename.clone() width=width height=height loading="lazy" />
        </a>
    }
}

/// Scales an image's size into the thumbnail box, keeping its shape.
fn fit(width: Option<u32>, height: Option<u32>) -> (u32, u32) {
    let (box_w, box_h) = THUMBNAIL_BOX;
    match (width, height) {
        (Some(w), Some(h)) if w > 0 && h > 0 => {
            let scale = (f64::from(box_w) / f64::from(w)).min(f64::from(box_h) / f64::from(h)).min(1.0);
            ((f64::from(w) * scale).round().max(1.0) as u32, (f64::from(h) * scale).round().max(1.0) as u32)
        }
        _ => (box_h, box_h),
    }
}

#[component]
fn FileChip(file: Attachment) -> impl IntoView {
    view! {
        <a
            class="file-chip"
            data-testid="attachment-file"
            href=file.url.clone()
            download=file.filename.clone()
            title=format!("Download {}", file.filename)
        >
            <FileBadge filename=file.filename.clone() content_type=file.content_type.clone() />
            <span class="file-name">{file.filename.clone()}</span>
            <span class="file-size">{file_size(file.size)}</span>
        </a>
    }
}

/// A file's badge: its extension (`PDF`, `ZIP`) on a colour for its kind, drawn with text
/// so it needs no icon font or emoji font.
#[component]
pub fn FileBadge(filename: String, content_type: String) -> impl IntoView {
    view! {
        <span class="file-badge" data-kind=kind(&content_type) aria-hidden="true">
            {badge_text(&filename)}
        </span>
    }
}

/// A short extension in capitals, or `FILE`.
fn badge_text(filename: &str) -> String {
    filename
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_uppercase())
        .filter(|ext| (1..=4).contains(&ext.len()) && ext.chars().all(|c| c.is_ascii_alphanumeric()))
        .unwrap_or_else(|| "FILE".to_owned())
}

/// A family of files, for the badge's colour.
fn kind(content_type: &str) -> &'static str {
    let (family, sub) = content_type.split_once('/').unwrap_or((content_type, ""));
    match (family, sub) {
        ("image", _) => "image",
        ("audio" | "video", _) => "media",
        ("text", _) => "text",
        (_, "pdf") => "pdf",
        (_, "zip" | "gzip" | "x-tar" | "x-7z-compressed" | "vnd.rar" | "x-bzip2" | "zstd") => "archive",
        _ => "other",
    }
}

/// The full picture over the page: a modal `<dialog>`, so focus stays inside and Escape
/// closes it. On screen while a picture is chosen (`LightboxState`).
#[component]
pub fn Lightbox() -> impl IntoView {
    let lightbox = expect_context::<LightboxState>();
    let dialog = NodeRef::<html::Dialog>::new();
    Effect::new(move |_| {
        let Some(el) = dialog.get() else { return };
        let open = lightbox.0.with(Option::is_some);
        if open && !el.open() {
            // Fails only if the dialog is not in the document; then there is nothing to show.
            let _ = el.show_modal();
        } else if !open && el.open() {
            el.close();
        }
    });
    let close = move || lightbox.0.set(None);
    view! {
        <dialog
            class="lightbox"
            data-testid="lightbox"
            node_ref=dialog
            aria-label=move || lightbox.0.with(|a| a.as_ref().map(|a| a.filename.clone()).unwrap_or_default())
            on:close=move |_| close()
            on:click=move |ev: leptos::ev::MouseEvent| {
                // A click on the backdrop lands on the dialog itself.
                let on_backdrop = dialog.get_untracked().is_some_and(|el| crate::components::modal::clicked_backdrop(&ev, &el));
                if on_backdrop {
                    close();
                }
            }
        >
            {move || {
                lightbox
                    .0
                    .get()
                    .map(|image| {
                        view! {
                            <figure>
                                <img
                                    src=image.url.clone()
                                    alt=image.filename.clone()
                                    width=image.width
                                    height=image.height
                                    data-testid="lightbox-image"
                                />
                                <figcaption>
                                    <span class="file-name">{image.filename.clone()}</span>
                                    <span class="file-size">{file_size(image.size)}</span>
                                    <a href=image.url.clone() target="_blank" data-testid="lightbox-open">
                                        "Open in new tab"
                                    </a>
                                    <button
                                        type="button"
                                        class="secondary small"
                                        data-testid="lightbox-close"
                                        on:click=move |_| close()
                                        autofocus
                                    >
                                        "Close"
                                    </button>
                                </figcaption>
                            </figure>
                        }
                    })
            }}
        </dialog>
    }
}

/// One file on its way: name, size, progress, and what can be done about it.
#[component]
pub fn UploadChip(id: UploadId) -> impl IntoView {
    let store = expect_context::<Store>();
    let upload = Memo::new(move |_| store.uploads.with(|all| all.get(&id).cloned()));
    move || {
        upload.get().map(|upload| {
            let name = upload.filename.clone();
            let state = match &upload.state {
                UploadState::Uploading { .. } => "uploading",
                UploadState::Ready(_) => "ready",
                UploadState::Failed(_) => "failed",
                UploadState::Refused(_) => "refused",
            };
            let progress = match &upload.state {
                UploadState::Uploading { sent } => Some(view! {
                    <progress
                        data-testid="upload-progress"
                        max=upload.size.to_string()
                        value=sent.to_string()
                        aria-label=format!("Uploading {name}")
                    ></progress>
                }),
                _ => None,
            };
            let retryable = upload.retryable();
            view! {
                <div class="upload" data-testid="upload" data-state=state>
                    <FileBadge filename=upload.filename.clone() content_type=upload.content_type.clone() />
                    <span class="file-name">{upload.filename.clone()}</span>
                    <span class="file-size">{file_size(upload.size)}</span>
                    {progress}
                    {(state == "ready").then(|| view! { <span class="upload-done">"Uploaded"</span> })}
                    {upload
                        .problem()
                        .map(|reason| {
                            view! {
                                <span class="form-error upload-error" data-testid="upload-error" role="alert">
                                    {reason.to_owned()}
                                </span>
                            }
                        })}
                    {retryable
                        .then(|| {
                            view! {
                                <button
                                    type="button"
                                    class="secondary small"
                                    data-testid="upload-retry"
                                    on:click=move |_| uploads::retry(store, id)
                                >
                                    "Retry"
                                </button>
                            }
                        })}
                    <button
                        type="button"
                        class="icon"
                        data-testid="upload-cancel"
                        aria-label=format!("Remove {}", upload.filename)
                        title="Remove"
                        on:click=move |_| uploads::cancel(store, id)
                    >
                        "✕"
                    </button>
                </div>
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbnails_keep_their_shape_inside_the_box() {
        assert_eq!(fit(Some(400), Some(300)), (320, 240));
        assert_eq!(fit(Some(300), Some(400)), (180, 240));
        assert_eq!(fit(Some(100), Some(50)), (100, 50));
        assert_eq!(fit(Some(4000), Some(1)), (320, 1));
        assert_eq!(fit(None, None), (240, 240));
    }

    #[test]
    fn a_badge_shows_a_short_extension_and_a_kind() {
        assert_eq!(badge_text("minutes.pdf"), "PDF");
        assert_eq!(badge_text("archive.tar.gz"), "GZ");
        assert_eq!(badge_text("Makefile"), "FILE");
        assert_eq!(badge_text("notes.markdown"), "FILE");
        assert_eq!(badge_text("weird.p!"), "FILE");
        assert_eq!(kind("application/pdf"), "pdf");
        assert_eq!(kind("image/webp"), "image");
        assert_eq!(kind("application/zip"), "archive");
        assert_eq!(kind("text/plain; charset=utf-8"), "text");
        assert_eq!(kind("application/octet-stream"), "other");
    }
}
