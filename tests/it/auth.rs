use bankbox::auth::token::{AUDIENCE, Claims, ISSUER, Tokens};
use reqwest::Method;
use serde_json::json;

use crate::harness::TestApp;

#[tokio::test]
async fn login_me_logout() {
    let app = TestApp::start().await;
    let c = app.customer("dana").await;
    let me = app.get("/api/users/me", &c.token).await;
    assert_eq!(me.status, 200);
    assert_eq!(me.body["username"], "dana");
    assert!(me.body.get("password_hash").is_none());

    let out = app
        .send(Method::POST, "/api/auth/logout", Some(&c.token), None, &[])
        .await;
    assert_eq!(out.status, 204);
    let after = app.get("/api/users/me", &c.token).await;
    assert_eq!(after.status, 401);
    assert_eq!(after.code(), "session_ended");
}

#[tokio::test]
async fn login_response_has_token_expiry_and_user() {
    let app = TestApp::start().await;
    app.customer("erin").await;
    let r = app.login("ERIN", "erin-password").await;
    assert_eq!(r.status, 200, "usernames are case-insensitive");
    assert!(r.body["token"].as_str().unwrap().split('.').count() == 3);
    assert!(r.body["expires_at"].as_str().unwrap().contains('T'));
    assert_eq!(r.body["user"]["username"], "erin");
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_answer() {
    let app = TestApp::start().await;
    app.customer("fred").await;
    let wrong = app.login("fred", "not-the-password").await;
    let unknown = app.login("nobody-here", "not-the-password").await;
    assert_eq!(wrong.status, 401);
    assert_eq!(unknown.status, 401);
    assert_eq!(wrong.body, unknown.body);
}

#[tokio::test]
async fn repeated_failures_are_throttled_even_with_the_right_password() {
    let app = TestApp::start().await;
    app.customer("gina").await;
    for _ in 0..5 {
        assert_eq!(app.login("gina", "wrong-password").await.status, 401);
    }
    let blocked = app.login("gina", "gina-password").await;
    assert_eq!(blocked.status, 429);
    assert_eq!(blocked.code(), "too_many_attempts");
    let wait: u64 = blocked.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait > 0 && wait <= 900);
    // Another user is unaffected.
    app.customer("hank").await;
}

#[tokio::test]
async fn forged_expired_and_unsigned_tokens_are_rejected() {
    let app = TestApp::start().await;
    let c = app.customer("ivan").await;
    let real = app.state.auth.tokens.verify(&c.token).unwrap();
    let now = bankbox::clock::now_millis() / 1000;

    let forged = Tokens::new(b"a different secret of 32+ bytes!!")
        .sign(&Claims { ..clone(&real) })
        .unwrap();
    let expired = app
        .state
        .auth
        .tokens
        .sign(&Claims {
            exp: now - 120,
            nbf: now - 240,
            iat: now - 240,
            ..clone(&real)
        })
        .unwrap();
    let wrong_audience = app
        .state
        .auth
        .tokens
        .sign(&Claims {
            aud: "other".into(),
            ..clone(&real)
        })
        .unwrap();
    let payload = c.token.split('.').nth(1).unwrap();
    let unsigned = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}.");
    let unknown_session = app
        .state
        .auth
        .tokens
        .sign(&Claims {
            sid: "0".repeat(32),
            ..clone(&real)
        })
        .unwrap();
    for (what, token) in [
        ("forged", forged),
        ("expired", expired),
        ("audience", wrong_audience),
        ("alg none", unsigned),
        ("revoked", unknown_session),
        ("garbage", "abc.def.ghi".to_string()),
    ] {
        let r = app.get("/api/users/me", &token).await;
        assert_eq!(r.status, 401, "{what}");
        assert_eq!(r.headers["www-authenticate"], "Bearer", "{what}");
    }
    let missing = app
        .send(Method::GET, "/api/accounts", None, None, &[])
        .await;
    assert_eq!(missing.status, 401);
    assert_eq!(missing.code(), "unauthenticated");
    assert_eq!(
        app.get("/api/users/me", &c.token).await.status,
        200,
        "the real token still works"
    );
    assert_eq!(real.iss, ISSUER);
    assert_eq!(real.aud, AUDIENCE);
}

fn clone(c: &Claims) -> Claims {
    Claims {
        sub: c.sub.clone(),
        sid: c.sid.clone(),
        iss: c.iss.clone(),
        aud: c.aud.clone(),
        iat: c.iat,
        nbf: c.nbf,
        exp: c.exp,
    }
}

#[tokio::test]
async fn registration_validates_and_refuses_duplicates() {
    let app = TestApp::start().await;
    app.customer("jack").await;
    let register = |body| app.send(Method::POST, "/api/auth/register", None, Some(body), &[]);
    let dup = register(
        json!({ "username": "JACK", "password": "long enough", "email": "j@example.com" }),
    )
    .await;
    assert_eq!(dup.status, 409);
    assert_eq!(dup.code(), "username_taken");
    let short =
        register(json!({ "username": "kate", "password": "short", "email": "k@example.com" }))
            .await;
    assert_eq!(
        (short.status.as_u16(), short.code()),
        (422, "invalid_password")
    );
    let email =
        register(json!({ "username": "kate", "password": "long enough", "email": "nope" })).await;
    assert_eq!(
        (email.status.as_u16(), email.code()),
        (422, "invalid_email")
    );
    let name =
        register(json!({ "username": "k t", "password": "long enough", "email": "k@example.com" }))
            .await;
    assert_eq!(
        (name.status.as_u16(), name.code()),
        (422, "invalid_username")
    );
}

#[tokio::test]
async fn registration_can_be_closed() {
    let mut settings = crate::harness::settings();
    settings.open_registration = false;
    let app =
        TestApp::start_with(settings, std::sync::Arc::new(tempfile::tempdir().unwrap())).await;
    let body = json!({ "username": "lena", "password": "long enough", "email": "l@example.com" });
    let r = app
        .send(Method::POST, "/api/auth/register", None, Some(body), &[])
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(r.code(), "registration_closed");
    assert_eq!(app.login("lena", "long enough").await.status, 401);
}

#[tokio::test]
async fn disabled_user_loses_session_and_login() {
    let app = TestApp::start().await;
    let c = app.customer("mona").await;
    let name = bankbox::domain::Username::parse("mona").unwrap();
    app.state.bank.set_disabled(&name, true).await.unwrap();
    assert_eq!(app.get("/api/users/me", &c.token).await.status, 401);
    assert_eq!(app.login("mona", "mona-password").await.status, 401);
}

#[tokio::test]
async fn jwt_secret_survives_restart_so_sessions_do_not_need_a_new_signature() {
    let app = TestApp::start().await;
    let c = app.customer("nina").await;
    let token_secret_check = app.state.auth.tokens.verify(&c.token).is_ok();
    assert!(token_secret_check);
    let dir = app.stop().await;
    let again = TestApp::start_with(crate::harness::settings(), dir).await;
    // The session lived in the old process's cache, but the signature still verifies.
    assert!(again.state.auth.tokens.verify(&c.token).is_ok());
    assert_eq!(
        again.get("/api/users/me", &c.token).await.code(),
        "session_ended"
    );
}

/// The browser's way: an HttpOnly cookie, and unsafe requests must echo the
/// CSRF token.
#[tokio::test]
async fn cookie_sessions_need_the_csrf_token_for_writes() {
    let app = TestApp::start().await;
    let c = app.customer("oscar").await;
    let body = json!({ "username": "oscar", "password": "oscar-password", "session": "cookie" });
    let login = app
        .send(Method::POST, "/api/auth/login", None, Some(body), &[])
        .await;
    assert_eq!(login.status, 200);
    assert!(
        login.body.get("token").is_none(),
        "page script never sees the session token"
    );
    let csrf = login.body["csrf_token"].as_str().unwrap().to_string();
    let cookies: Vec<&str> = login
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    let session = cookies
        .iter()
        .find(|c| c.starts_with("bankbox_session="))
        .unwrap();
    assert!(session.contains("HttpOnly") && session.contains("SameSite=Strict"));
    let session_pair = session.split(';').next().unwrap();
    let cookie = format!("{session_pair}; bankbox_csrf={csrf}");

    let me = app
        .send(
            Method::GET,
            "/api/users/me",
            None,
            None,
            &[("cookie", &cookie)],
        )
        .await;
    assert_eq!(me.status, 200, "reads work with the cookie alone");
    let open = json!({ "kind": "savings" });
    let forged = app
        .send(
            Method::POST,
            "/api/accounts",
            None,
            Some(open.clone()),
            &[("cookie", &cookie)],
        )
        .await;
    assert_eq!(
        (forged.status.as_u16(), forged.code()),
        (403, "csrf_failed")
    );
    let wrong = app
        .send(
            Method::POST,
            "/api/accounts",
            None,
            Some(open.clone()),
            &[("cookie", &cookie), ("x-csrf-token", "nope")],
        )
        .await;
    assert_eq!(wrong.status, 403);
    let ok = app
        .send(
            Method::POST,
            "/api/accounts",
            None,
            Some(open),
            &[("cookie", &cookie), ("x-csrf-token", &csrf)],
        )
        .await;
    assert_eq!(ok.status, 201);
    assert_eq!(
        app.get("/api/accounts", &c.token).await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    let out = app
        .send(
            Method::POST,
            "/api/auth/logout",
            None,
            None,
            &[("cookie", &cookie), ("x-csrf-token", &csrf)],
        )
        .await;
    assert_eq!(out.status, 204);
    let cleared: Vec<&str> = out
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert!(
        cleared
            .iter()
            .any(|c| c.starts_with("bankbox_session=;") && c.contains("Max-Age=0"))
    );
    let after = app
        .send(
            Method::GET,
            "/api/users/me",
            None,
            None,
            &[("cookie", &cookie)],
        )
        .await;
    assert_eq!(after.status, 401, "the old cookie is dead");
}

#[tokio::test]
async fn password_change_needs_the_current_one() {
    let app = TestApp::start().await;
    let c = app.customer("paul").await;
    let change = |current: &str, new: &str| {
        app.post(
            "/api/users/me/password",
            &c.token,
            json!({ "current_password": current, "new_password": new }),
        )
    };
    let wrong = change("not-it-at-all", "a brand new password").await;
    assert_eq!(
        (wrong.status.as_u16(), wrong.code()),
        (403, "wrong_password")
    );
    let short = change("paul-password", "short").await;
    assert_eq!(
        (short.status.as_u16(), short.code()),
        (422, "invalid_password")
    );
    assert_eq!(
        change("paul-password", "a brand new password").await.status,
        204
    );
    assert_eq!(app.login("paul", "paul-password").await.status, 401);
    assert_eq!(app.login("paul", "a brand new password").await.status, 200);
}
