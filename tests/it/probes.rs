use reqwest::Method;

use crate::harness::TestApp;

#[tokio::test]
async fn probes_and_their_aliases() {
    let app = TestApp::start().await;
    for path in ["/ping", "/livez", "/ready", "/readyz"] {
        let r = app.send(Method::GET, path, None, None, &[]).await;
        assert_eq!(r.status, 200, "{path}");
    }
    for path in ["/health", "/healthz"] {
        let r = app.send(Method::GET, path, None, None, &[]).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.body["components"]["store"]["status"], "up");
        assert_eq!(r.body["components"]["cache"]["status"], "up");
        assert!(
            r.body["components"]["store"]["latency_ms"]
                .as_f64()
                .unwrap()
                >= 0.0
        );
    }
}

#[tokio::test]
async fn ready_turns_503_while_draining_but_ping_stays_up() {
    let app = TestApp::start().await;
    app.state.lifecycle.set_ready(false);
    let r = app.send(Method::GET, "/ready", None, None, &[]).await;
    assert_eq!((r.status.as_u16(), r.code()), (503, "not_ready"));
    assert_eq!(
        app.send(Method::GET, "/ping", None, None, &[]).await.status,
        200
    );
}

#[tokio::test]
async fn meta_shows_demo_logins_only_in_development() {
    let app = TestApp::start().await;
    let r = app.send(Method::GET, "/api/meta", None, None, &[]).await;
    assert_eq!(r.body["environment"], "production");
    assert_eq!(r.body["open_registration"], true);
    assert_eq!(r.body["demo_logins"].as_array().unwrap().len(), 0);

    let mut dev = crate::harness::settings();
    dev.environment = bankbox::cli::Environment::Development;
    let app = TestApp::start_with(dev, std::sync::Arc::new(tempfile::tempdir().unwrap())).await;
    let r = app.send(Method::GET, "/api/meta", None, None, &[]).await;
    assert_eq!(r.body["environment"], "development");
    let demo = r.body["demo_logins"].as_array().unwrap();
    assert_eq!(demo.len(), 3);
    for login in demo {
        let ok = app
            .login(
                login["username"].as_str().unwrap(),
                login["password"].as_str().unwrap(),
            )
            .await;
        assert_eq!(ok.status, 200, "the advertised demo logins work");
    }
}
