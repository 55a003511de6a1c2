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
