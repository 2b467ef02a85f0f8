//! Code splitting: screens a first visit does not show, downloaded when first opened.
//!
//! The first download has to stay small (README, "Size and first load"), and much of
//! the app is screens nobody sees at once: the settings page, New chat, a chat's
//! details, the emoji picker, search results, the picture viewer, the `@mention` list.
//! Each is declared with [`split_view!`] (work that is not a view, like the upload
//! engine, with [`split_fn!`]):
//!
//! ```ignore
//! split_view! {
//!     /// The settings page.
//!     pub fn settings_view() -> AnyView {
//!         view! { <SettingsPage /> }.into_any()
//!     }
//!     load settings_view_load;
//! }
//! ```
//!
//! and shown with [`deferred`]: `deferred(settings_view_load, || settings_view())`.
//!
//! **How it is built.** A release build (`just frontend`) compiles the app with
//! `--cfg confab_split`, where [`split_view!`] marks the function a split point
//! (`wasm_split_helpers`, the splitter Leptos' `#[lazy]` uses). The linker keeps its
//! relocations (`--emit-relocs`), `wasm-split-cli` moves the function and everything
//! only it reaches into a module of its own, and `frontend/split.py` puts those modules
//! next to the main one (README, "How the release build splits the app"). Any other
//! build, such as `trunk serve` or the host's `cargo test`, compiles plain functions: one
//! module, same behaviour, nothing to fetch.
//!
//! **Why not `#[lazy]` itself.** Its loader panics when a module cannot be fetched (a
//! dropped connection, a deploy that removed the old files), and a panic ends a WASM app.
//! Here the load is `fallible`: [`deferred`] shows "Couldn't load" with a Retry button.
//! And `#[lazy]` makes the view function `async`, so the view would be built inside a
//! `<Suspense>` before it is in the document, where a dialog cannot open itself and an
//! input cannot take focus. Here the module is loaded first, then the view is built in
//! the ordinary, synchronous way, exactly as in a build without splitting.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use leptos::prelude::*;
use leptos::task::spawn_local;

/// The module a split-off view lives in could not be downloaded.
#[derive(Debug, Clone, Copy)]
pub struct Unavailable;

impl From<leptos::wasm_split::SplitLoaderError> for Unavailable {
    fn from(_: leptos::wasm_split::SplitLoaderError) -> Self {
        Self
    }
}

/// Declares a view function that release builds move into a module of its own, and
/// `load NAME;`, an `async fn NAME() -> Result<(), E>` that downloads that module (`E`
/// is the splitter's `SplitLoaderError`, or [`Unavailable`] in a build without splitting).
///
/// The view function keeps its signature (arguments, `-> AnyView`); call it once its
/// module is loaded, which is what [`deferred`] does. Its arguments must be plain values
/// (ids, `Callback`s): they cross from one module to the other.
macro_rules! split_view {
    (
        $(#[$attr:meta])*
        $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> AnyView $body:block
        load $load:ident;
    ) => {
        $(#[$attr])*
        $vis fn $name($($arg: $ty),*) -> leptos::prelude::AnyView {
            #[cfg(confab_split)]
            {
                match $crate::split::ready(::std::pin::pin!($name::split($($arg),*))) {
                    Some(Ok(view)) => view,
                    Some(Err(_)) | None => $crate::split::unavailable(),
                }
            }
            #[cfg(not(confab_split))]
            $body
        }

        $crate::split::split_point!($vis $name($($arg: $ty),*) -> leptos::prelude::AnyView $body, $load);
    };
}
pub(crate) use split_view;

/// Declares a function that release builds move into a module of its own, for work that
/// is not a view (the upload engine). It becomes `async`, and returns
/// `Err(Unavailable)` when its module cannot be downloaded; `load NAME;` downloads the
/// module ahead.
macro_rules! split_fn {
    (
        $(#[$attr:meta])*
        $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty $body:block
        load $load:ident;
    ) => {
        $(#[$attr])*
        #[cfg(confab_split)]
        $vis async fn $name($($arg: $ty),*) -> Result<$ret, $crate::split::Unavailable> {
            $name::split($($arg),*).await
        }

        $(#[$attr])*
        #[cfg(not(confab_split))]
        #[allow(clippy::unused_async)]
        $vis async fn $name($($arg: $ty),*) -> Result<$ret, $crate::split::Unavailable> {
            Ok($body)
        }

        $crate::split::split_point!($vis $name($($arg: $ty),*) -> $ret $body, $load);
    };
}
pub(crate) use split_fn;

/// What both declare: the split point itself, a module named like the function (in the
/// other namespace) holding `split`, the function the splitter moves out, and `load`,
/// the loader of its module (an `extern` import the splitter rewrites, hence `unsafe`);
/// then `$load`, that loader by the name the caller chose. Without splitting, `$load` has
/// nothing to do.
macro_rules! split_point {
    ($vis:vis $name:ident($($arg:ident: $ty:ty),*) -> $ret:ty $body:block, $load:ident) => {
        #[cfg(confab_split)]
        #[doc(hidden)]
        #[allow(unsafe_code)]
        $vis mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[leptos::wasm_split::wasm_split(
                $name,
                wasm_split_path = ::leptos::wasm_split,
                fallible,
                preload(load)
            )]
            pub fn split($($arg: $ty),*) -> Result<$ret, $crate::split::Unavailable> {
                Ok($body)
            }
        }

        #[cfg(confab_split)]
        $vis use $name::load as $load;

        #[cfg(not(confab_split))]
        #[allow(clippy::unused_async)]
        $vis async fn $load() -> Result<(), $crate::split::Unavailable> {
            Ok(())
        }
    };
}
pub(crate) use split_point;

/// Shows what `render` builds once `load` has fetched its module: "Loading…" until then,
/// and "Couldn't load" with a Retry button if the download fails.
pub fn deferred<L, F, E>(load: L, render: impl Fn() -> AnyView + Send + Sync + 'static) -> impl IntoView
where
    L: Fn() -> F + Copy + Send + Sync + 'static,
    F: Future<Output = Result<(), E>> + 'static,
{
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum State {
        Loading,
        Failed,
        Loaded,
    }
    let state = RwSignal::new(State::Loading);
    let fetch = move || {
        let mut loading = Box::pin(load());
        // Loaded already (or a build without splitting): no "Loading…" flash.
        if let Some(result) = ready(loading.as_mut()) {
            state.set(if result.is_ok() { State::Loaded } else { State::Failed });
            return;
        }
        // The same load, awaited to its end (the splitter's loader expects that).
        state.set(State::Loading);
        spawn_local(async move {
            let loaded = loading.await.is_ok();
            state.try_set(if loaded { State::Loaded } else { State::Failed });
        });
    };
    fetch();

    move || match state.get() {
        State::Loading => view! { <p class="hint deferred" role="status">"Loading…"</p> }.into_any(),
        State::Failed => view! {
            <div class="deferred" role="alert" data-testid="deferred-failed">
                <p>"Couldn't load this part of confab. Check your connection."</p>
                <button type="button" on:click=move |_| fetch()>"Retry"</button>
            </div>
        }
        .into_any(),
        State::Loaded => render(),
    }
}

/// The result of `future` if it is ready without waiting: a split view whose module is
/// loaded completes on its first poll. A future still pending may be polled on later.
pub fn ready<F: Future>(future: Pin<&mut F>) -> Option<F::Output> {
    match future.poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(value) => Some(value),
        Poll::Pending => None,
    }
}

/// What a split view shows if it is called before its module is loaded (a bug: callers
/// go through [`deferred`]).
#[cfg_attr(not(confab_split), allow(dead_code))]
pub fn unavailable() -> AnyView {
    view! { <p class="hint" role="alert">"Couldn't load this part of confab."</p> }.into_any()
}
