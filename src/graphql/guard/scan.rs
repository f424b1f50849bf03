//! The cheap look at a document's text before anything parses it: its size and how
//! deeply its brackets, braces and parentheses nest. async-graphql's parser recurses
//! once per nesting level without a bound, so a few kilobytes of `[[[[...` would
//! overflow the stack; this scan is one pass over the bytes, with no recursion.
//! Strings, block strings and comments are skipped, so brackets inside them do not
//! count.

/// Why a document's text was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextRefusal {
    /// More bytes than the limit.
    TooLarge(usize),
    /// Brackets, braces and parentheses nest deeper than the limit.
    TooDeep(usize),
}

/// Check `text` against `max_bytes` and `max_nesting` without parsing it.
pub fn scan(text: &str, max_bytes: usize, max_nesting: usize) -> Result<(), TextRefusal> {
    if text.len() > max_bytes {
        return Err(TextRefusal::TooLarge(max_bytes));
    }
    let bytes = text.as_bytes();
    let (mut i, mut depth) = (0, 0usize);
    while i < bytes.len() {
        match bytes[i] {
            b'#' => i = skip_comment(bytes, i),
            b'"' if bytes[i..].starts_with(b"\"\"\"") => i = skip_block_string(bytes, i + 3),
            b'"' => i = skip_string(bytes, i + 1),
            b'{' | b'[' | b'(' => {
                depth += 1;
                if depth > max_nesting {
                    return Err(TextRefusal::TooDeep(max_nesting));
                }
                i += 1;
            }
            b'}' | b']' | b')' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            _ => i += 1,
        }
    }
    Ok(())
}

/// The index after a `#` comment (which ends at a line terminator).
fn skip_comment(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
        i += 1;
    }
    i
}

/// The index after a `"..."` string whose body starts at `i`. A string cannot span
/// lines, so a line terminator ends it too (the parser reports the error).
fn skip_string(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            b'\n' | b'\r' => return i,
            _ => i += 1,
        }
    }
    i
}

/// The index after a `"""..."""` block string whose body starts at `i`; `\"""` is an
/// escaped delimiter inside it.
fn skip_block_string(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() {
        if bytes[i..].starts_with(b"\\\"\"\"") {
            i += 4;
        } else if bytes[i..].starts_with(b"\"\"\"") {
            return i + 3;
        } else {
            i += 1;
        }
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_counts_every_bracket_kind() {
        assert_eq!(scan("{ a(x: [{ b: [1] }]) { c } }", 1000, 5), Ok(()));
        assert_eq!(scan("{ a(x: [{ b: [1] }]) { c } }", 1000, 4), Err(TextRefusal::TooDeep(4)));
        let deep = format!("{{ nodes(ids: {}{}) {{ id }} }}", "[".repeat(2000), "]".repeat(2000));
        assert_eq!(scan(&deep, 1 << 20, 32), Err(TextRefusal::TooDeep(32)));
    }

    #[test]
    fn strings_block_strings_and_comments_are_skipped() {
        let text = "{ a(s: \"[[[{{\\\"((\", t: \"\"\"[[[ \\\"\"\" {{{ \"\"\") # [[[[[[\n b }";
        assert_eq!(scan(text, 1000, 2), Ok(()));
        assert_eq!(scan("{ a # }\n { b } }", 1000, 1), Err(TextRefusal::TooDeep(1)));
    }

    #[test]
    fn size_is_checked_first() {
        assert_eq!(scan("{ a }", 4, 10), Err(TextRefusal::TooLarge(4)));
        assert_eq!(scan("{ a }", 5, 10), Ok(()));
    }

    #[test]
    fn unbalanced_or_unterminated_text_ends_the_scan() {
        assert_eq!(scan("}}}] { a", 100, 1), Ok(()));
        assert_eq!(scan("{ a(s: \"unterminated", 100, 2), Ok(()));
        assert_eq!(scan("{ a(s: \"\"\"unterminated", 100, 2), Ok(()));
        assert_eq!(scan("\"\\", 100, 2), Ok(()));
    }
}
