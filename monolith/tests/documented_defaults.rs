//! `docs/configuration.md` quotes the embedded defaults verbatim; this keeps the
//! quote true.

#[test]
fn configuration_doc_quotes_the_embedded_defaults() {
    let doc = include_str!("../../docs/configuration.md");
    let defaults = monolith::settings::DEFAULTS.trim_end();
    assert!(
        doc.contains(defaults),
        "docs/configuration.md must quote monolith/config/default.toml verbatim"
    );
}
