//! `schema.graphql` is the contract frontends code against: it must be exactly what
//! the code builds. Fix a failure with `cargo run -- export-schema > schema.graphql`.

#[test]
fn schema_graphql_matches_the_code() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).unwrap();
    let built = bspgraph::graphql::sdl();
    assert!(
        committed == built,
        "schema.graphql is out of date: run `cargo run -- export-schema > schema.graphql` and commit it"
    );
}
