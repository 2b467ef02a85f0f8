//! My profile as others see it: changing my display name, and showing the new one
//! everywhere at once — in every cached chat list that holds it, on the screens of
//! everyone I share a chat with, and on my own other tabs.

use confab_shared::api::{SessionInfo, UpdateProfileRequest, User};
use confab_shared::validate::DisplayName;
use confab_shared::ws::ServerEvent;

use super::chats::forget_lists;
use super::presence::Circle;
use crate::auth::Authenticated;
use crate::db::users;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Sets my display name (the registration rule, but required) and announces it. Every
/// call announces, even one that changes nothing: so a retry after a call that stored
/// the name but failed to announce it finishes the job.
pub async fn update(
    state: &AppState,
    me: &Authenticated,
    req: UpdateProfileRequest,
) -> AppResult<SessionInfo> {
    let name = DisplayName::parse(&req.display_name)?;
    let row = {
        let mut conn = state.conn().await?;
        users::set_display_name(&mut conn, me.user_id().0, name.as_str())
            .await?
            .ok_or(AppError::Unauthorized)?
    };
    let user = row.to_api();
    announce(state, &user).await?;
    Ok(SessionInfo { user, expires_at: me.expires_at, has_password: me.has_password })
}

/// The chat lists that show `user` (theirs and their contacts': a cached list embeds its
/// members) are forgotten first; then each contact hears `user_updated` once, and so do
/// the user's own sockets. The contacts are read after the name was stored: someone who
/// joins a chat with the user later reads the new name from PostgreSQL.
async fn announce(state: &AppState, user: &User) -> AppResult<()> {
    let circle = Circle::load(state, user.id).await?;
    let mut shown_to = circle.contacts();
    shown_to.push(user.id);
    forget_lists(state, &shown_to).await;
    let event = ServerEvent::UserUpdated { user: user.clone() };
    circle.tell(state, &event);
    state.events.to_users(&[user.id], &event);
    Ok(())
}
