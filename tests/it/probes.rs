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
