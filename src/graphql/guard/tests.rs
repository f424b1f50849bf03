//! The guard over the real schema: what it lets through and what it refuses, and
//! that refusing costs about the document's size (memoised fragments).

use async_graphql::Variables;

use super::*;

fn guard() -> Guard {
    Guard::new(Limits::default())
}

/// The code a document is refused with, or `None` when it is admitted.
fn refusal_code(text: &str) -> Option<String> {
    let guard = guard();
    let result = guard.parse(text).and_then(|doc| guard.check(&doc, &Variables::default()));
    result.err().map(|e| e.extensions.and_then(|x| x.get("code").map(|c| c.to_string())).unwrap_or_default())
}

fn doubling_fragments(levels: usize) -> String {
    let mut text = String::from("{ ...F0 }\n");
    for i in 0..levels {
        text.push_str(&format!("fragment F{i} on Query {{ a: __typename ...F{n} ...F{n} }}\n", n = i + 1));
    }
    text.push_str(&format!("fragment F{levels} on Query {{ a: __typename }}\n"));
    text
}

#[test]
fn the_standard_introspection_query_is_admitted() {
    let text = include_str!("../../../tests/fixtures/introspection_query.graphql");
    let guard = guard();
    let doc = guard.parse(text).unwrap();
    let cost = cost::check(&doc, guard.map, &Vars::new(&Variables::default(), &doc), &guard.cost_limits()).unwrap();
    assert_eq!((cost.depth, cost.complexity()), (0, 0), "introspection is not user data");
    assert_eq!(cost.intro_depth, 15, "graphql-js 16 nests `ofType` 7 levels under `args.type`");
    assert_eq!(Limits::default().max_introspection_depth, 15);
    assert_eq!(refusal_code(text), None);
}

#[test]
fn introspection_nested_beyond_the_standard_query_is_refused() {
    let mut inner = String::from("name");
    for _ in 0..40 {
        inner = format!("ofType {{ {inner} }}");
    }
    let text = format!("{{ __type(name: \"Query\") {{ fields {{ type {{ {inner} }} }} }} }}");
    assert_eq!(refusal_code(&text).as_deref(), Some("\"QUERY_TOO_DEEP\""));
}

#[test]
fn doubling_fragments_are_refused_without_expanding_them() {
    for levels in [22, 24, 25] {
        assert_eq!(refusal_code(&doubling_fragments(levels)).as_deref(), Some("\"QUERY_TOO_COMPLEX\""), "{levels}");
    }
    assert_eq!(refusal_code(&doubling_fragments(60)).as_deref(), Some("\"QUERY_TOO_DEEP\""));
    assert_eq!(refusal_code(&doubling_fragments(5)), None);
}

#[test]
fn cycles_and_deep_spread_chains_are_refused() {
    let cycle = "{ ...A } fragment A on Query { __typename ...B } fragment B on Query { ...A }";
    assert_eq!(refusal_code(cycle).as_deref(), Some("\"GRAPHQL_VALIDATION_FAILED\""));
    let mut chain = String::from("{ ...C0 }\n");
    for i in 0..50 {
        chain.push_str(&format!("fragment C{i} on Query {{ ...C{} }}\n", i + 1));
    }
    chain.push_str("fragment C50 on Query { __typename }");
    assert_eq!(refusal_code(&chain).as_deref(), Some("\"QUERY_TOO_DEEP\""));
    // Fragments no operation uses are validated too, so they are counted too.
    let unused = doubling_fragments(22).replace("{ ...F0 }", "{ __typename }");
    assert_eq!(refusal_code(&unused).as_deref(), Some("\"QUERY_TOO_COMPLEX\""));
    let unused_cycle = "{ __typename } fragment A on Query { ...B } fragment B on Query { ...A }";
    assert_eq!(refusal_code(unused_cycle).as_deref(), Some("\"GRAPHQL_VALIDATION_FAILED\""));
}

#[test]
fn statements_and_lists_are_costed() {
    let aliases: String = (0..1000).map(|i| format!("a{i}: clients(first: 1) {{ totalCount }} ")).collect();
    assert_eq!(refusal_code(&format!("{{ {aliases} }}")).as_deref(), Some("\"QUERY_TOO_COMPLEX\""));
    let few: String = (0..10).map(|i| format!("a{i}: clients(first: 1) {{ totalCount }} ")).collect();
    assert_eq!(refusal_code(&format!("{{ {few} }}")), None);
    let typenames: String = (0..3000).map(|i| format!("t{i}: __typename ")).collect();
    assert_eq!(refusal_code(&format!("{{ {typenames} }}")).as_deref(), Some("\"QUERY_TOO_COMPLEX\""));
    assert_eq!(
        refusal_code("{ clients(first: 99999999) { edges { node { id } } } }").as_deref(),
        Some("\"QUERY_TOO_COMPLEX\"")
    );
    let readme = "{ clients(first: 5) { totalCount pageInfo { hasNextPage endCursor } edges { node { id name \
        invitations(first: 5) { totalCount edges { node { status url sender { phoneNumber status } waba { wabaId } } } } \
        projects { provider providerId hasCredentials } } } } }";
    assert_eq!(refusal_code(readme), None);
}

#[test]
fn long_strings_are_bad_user_input() {
    let long = "x".repeat(100 * 1024);
    let text = format!("{{ clients(filter: {{ search: \"{long}\" }}) {{ totalCount }} }}");
    assert_eq!(refusal_code(&text).as_deref(), Some("\"QUERY_TOO_LARGE\""));
    let text = format!("{{ clients(filter: {{ search: \"{}\" }}) {{ totalCount }} }}", "x".repeat(201));
    assert_eq!(refusal_code(&text).as_deref(), Some("\"BAD_USER_INPUT\""));
    let text = format!("{{ clients(filter: {{ search: \"{}\" }}) {{ totalCount }} }}", "x".repeat(200));
    assert_eq!(refusal_code(&text), None);
}
