//! `docs/proxy.md` quotes the embedded defaults verbatim; this keeps it true.

#[test]
fn proxy_doc_quotes_the_embedded_defaults() {
    let doc = include_str!("../../docs/proxy.md");
    assert!(
        doc.contains(strangler_proxy::settings::DEFAULTS.trim_end()),
        "docs/proxy.md must quote strangler-proxy/config/default.toml verbatim"
    );
}
