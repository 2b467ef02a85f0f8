//! What the app's modal `<dialog>`s share.

/// Whether a click landed on the backdrop around `dialog`: a click there targets the
/// dialog element itself, as does one on the dialog's own padding, so the point decides.
pub fn clicked_backdrop(ev: &leptos::ev::MouseEvent, dialog: &web_sys::HtmlDialogElement) -> bool {
    let target_is_dialog = ev.target().is_some_and(|target| {
        let dialog: &web_sys::EventTarget = dialog.as_ref();
        target == *dialog
    });
    let rect = dialog.get_bounding_client_rect();
    let (x, y) = (f64::from(ev.client_x()), f64::from(ev.client_y()));
    let inside = x >= rect.left() && x <= rect.right() && y >= rect.top() && y <= rect.bottom();
    target_is_dialog && !inside
}
