//! Entry point: takes down the app shell index.html paints while the WASM loads, then
//! mounts the app in the same task (no frame shows neither). Everything else lives in the
//! library.

fn main() {
    console_error_panic_hook::set_once();
    remove_app_shell();
    leptos::mount::mount_to_body(confab_frontend::App);
}

fn remove_app_shell() {
    if let Some(shell) =
        web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id("boot"))
    {
        shell.remove();
    }
}
