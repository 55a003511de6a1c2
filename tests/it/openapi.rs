//! The OpenAPI document and the router agree, both ways.

use std::collections::BTreeSet;

use reqwest::Method;

use crate::harness::TestApp;

/// (method, path) pairs the router declares, read from its source.
fn routed() -> BTreeSet<(String, String)> {
    let source = include_str!("../../src/api/mod.rs");
    let source = source.split("#[cfg(test)]").next().unwrap();
    let source: String = source.split_whitespace().collect();
    let mut out = BTreeSet::new();
    // Whitespace removed, formatting cannot hide a route: read each `.route(` call.
    for call in source.split(".route(\"").skip(1) {
        let path = call.split('"').next().unwrap().to_string();
        let call = call.split(".route(").next().unwrap();
        let call = call.split(".fallback(").next().unwrap();
        for method in ["get", "post", "put", "patch", "delete"] {
            if call.contains(&format!("{method}(")) {
                out.insert((method.to_string(), path.clone()));
            }
        }
    }
    out
}

#[test]
fn the_router_and_the_document_list_the_same_routes() {
    let documented: BTreeSet<(String, String)> = bankbox::api::ROUTES
        .iter()
        .map(|r| (r.method.to_string(), r.path.to_string()))
        .collect();
    let routed = routed();
    assert!(routed.len() > 20, "parsed the router: {routed:?}");
    assert_eq!(routed, documented);
}

#[tokio::test]
async fn every_documented_route_answers() {
    let app = TestApp::start().await;
    let doc = app
        .send(Method::GET, "/api/openapi.json", None, None, &[])
        .await;
    assert_eq!(doc.status, 200);
    assert_eq!(doc.body["openapi"], "3.1.0");
    for route in bankbox::api::ROUTES {
        let path = route
            .path
            .replace("{id}", "01936f0e-0000-7000-8000-000000000000");
        let method = Method::from_bytes(route.method.to_uppercase().as_bytes()).unwrap();
        let r = app.send(method, &path, None, None, &[]).await;
        let unrouted = r.body["detail"] == "no such route" || r.status == 405;
        assert!(
            !unrouted,
            "{} {} is documented but not routed",
            route.method, route.path
        );
        assert!(
            doc.body["paths"][route.path][route.method].is_object(),
            "{} missing from the document",
            route.path
        );
    }
}
