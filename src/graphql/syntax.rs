//! One-line syntax error messages in graphql-js's words (`Syntax Error: Expected
//! Name, found <EOF>.`) instead of the parser's multi-line drawing. The location
//! stays in the error's `locations`.

use async_graphql::Pos;

/// The graphql-js style message for a syntax error the parser reported as `drawing`
/// at `pos` of `query`.
pub fn one_line(drawing: &str, pos: Pos, query: &str) -> String {
    let found = token_at(query, pos);
    match expected(drawing) {
        Some(what) => format!("Syntax Error: Expected {what}, found {found}."),
        None => format!("Syntax Error: Unexpected {found}."),
    }
}

/// What the parser expected, when it names exactly one thing graphql-js would name.
fn expected(drawing: &str) -> Option<&'static str> {
    let line = drawing.lines().rev().find_map(|l| l.trim().strip_prefix("= expected "))?;
    if line.contains(',') || line.contains(" or ") {
        return None;
    }
    Some(match line.trim() {
        "name" | "selection" | "field" | "alias" => "Name",
        "selection_set" => "\"{\"",
        "variable" => "\"$\"",
        "type_condition" => "\"on\"",
        "value" | "const_value" | "default_value" => "value",
        "type_" | "named_type" => "type",
        _ => return None,
    })
}

/// The token starting at `pos` (1-based line and column), described as graphql-js does.
fn token_at(query: &str, pos: Pos) -> String {
    let Some(line) = query.split('\n').nth(pos.line.saturating_sub(1)) else { return "<EOF>".to_owned() };
    let line_start = line.as_ptr() as usize - query.as_ptr() as usize;
    let col: usize = line.chars().take(pos.column.saturating_sub(1)).map(char::len_utf8).sum();
    let rest = &query[line_start + col..];
    let rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ',' || c == '\u{feff}');
    let Some(first) = rest.chars().next() else { return "<EOF>".to_owned() };
    let word: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
    match first {
        '#' => "<EOF>".to_owned(),
        '.' if rest.starts_with("...") => "\"...\"".to_owned(),
        '!' | '$' | '&' | '(' | ')' | ':' | '=' | '@' | '[' | ']' | '{' | '|' | '}' => format!("\"{first}\""),
        '"' => "String".to_owned(),
        c if c.is_ascii_digit() || c == '-' => {
            let n: String =
                rest.chars().take_while(|c| c.is_ascii_digit() || matches!(c, '-' | '.' | 'e' | 'E' | '+')).collect();
            let kind = if n.contains(['.', 'e', 'E']) { "Float" } else { "Int" };
            format!("{kind} \"{n}\"")
        }
        c if c.is_alphabetic() || c == '_' => format!("Name \"{word}\""),
        c => format!("character {:?}", c.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(query: &str) -> String {
        let err = async_graphql::parser::parse_query(query).expect_err("must not parse");
        let async_graphql::parser::Error::Syntax { message, start, .. } = err else { panic!("not a syntax error") };
        one_line(&message, start, query)
    }

    #[test]
    fn unclosed_selection_is_expected_name_found_eof() {
        assert_eq!(message("{"), "Syntax Error: Expected Name, found <EOF>.");
        assert_eq!(message("{ providers { provider }"), "Syntax Error: Expected Name, found <EOF>.");
    }

    #[test]
    fn a_stray_token_is_named() {
        let msg = message("{ providers { provider ) }");
        assert!(msg.starts_with("Syntax Error: ") && msg.contains("\")\"") && !msg.contains('\n'), "{msg}");
    }
}
