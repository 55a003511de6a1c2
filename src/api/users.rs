//! /api/users.

use super::views::UserView;
use crate::auth::Caller;

pub async fn me(caller: Caller) -> axum::Json<UserView> {
    axum::Json(UserView::from(&caller.user))
}
