//! Call-edge patterns, `"caller -> callee"`, as written in policy, link and security-rule keys.
//! Either side may be a glob where `*` matches any run of characters (`"* -> payments"`,
//! `"checkout -> pay*"`).

use std::fmt;

/// A parsed `"caller -> callee"` pattern.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EdgePattern {
    /// The caller side.
    pub caller: String,
    /// The callee side.
    pub callee: String,
}

/// Why an edge pattern did not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgePatternError(pub String);

impl fmt::Display for EdgePatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl EdgePattern {
    /// Parses `"caller -> callee"`; spaces around the arrow are optional.
    pub fn parse(text: &str) -> Result<EdgePattern, EdgePatternError> {
        let Some((caller, callee)) = text.split_once("->") else {
            return Err(EdgePatternError(format!(
                "`{text}` is not a call edge; write it as \"caller -> callee\""
            )));
        };
        let (caller, callee) = (caller.trim(), callee.trim());
        if caller.is_empty() || callee.is_empty() || callee.contains("->") {
            return Err(EdgePatternError(format!(
                "`{text}` is not a call edge; write it as \"caller -> callee\" with one arrow and a name or glob on each side"
            )));
        }
        Ok(EdgePattern {
            caller: caller.to_owned(),
            callee: callee.to_owned(),
        })
    }

    /// Whether this pattern matches the edge `caller -> callee`.
    pub fn matches(&self, caller: &str, callee: &str) -> bool {
        glob_match(&self.caller, caller) && glob_match(&self.callee, callee)
    }

    /// Whether each side is a plain name, not a glob.
    pub fn is_exact(&self) -> bool {
        !self.caller.contains('*') && !self.callee.contains('*')
    }

    /// How specific the pattern is; of the patterns matching an edge, the greatest applies.
    /// Exact sides beat globs; among globs, more literal characters win.
    pub fn specificity(&self) -> (u8, usize) {
        let exact = u8::from(!self.caller.contains('*')) + u8::from(!self.callee.contains('*'));
        let literal = self.caller.chars().filter(|&c| c != '*').count()
            + self.callee.chars().filter(|&c| c != '*').count();
        (exact, literal)
    }
}

impl fmt::Display for EdgePattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} -> {}", self.caller, self.callee)
    }
}

/// Matches `text` against `pattern`, where `*` matches any run of characters.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    if !pattern.contains('*') {
        return pattern == text;
    }
    let parts: Vec<&str> = pattern.split('*').collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(i) => rest = &rest[i + middle.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_with_or_without_spaces() {
        let p = EdgePattern::parse("checkout->payments").unwrap();
        assert_eq!(p, EdgePattern::parse("  checkout ->  payments ").unwrap());
        assert_eq!(p.to_string(), "checkout -> payments");
    }

    #[test]
    fn rejects_missing_or_double_arrows() {
        assert!(EdgePattern::parse("checkout payments").is_err());
        assert!(EdgePattern::parse("a -> b -> c").is_err());
        assert!(EdgePattern::parse(" -> b").is_err());
    }

    #[test]
    fn globs_match_runs_of_characters() {
        assert!(glob_match("*", "anything"));
        assert!(glob_match("pay*", "payments"));
        assert!(glob_match("*ments", "payments"));
        assert!(glob_match("p*m*s", "payments"));
        assert!(!glob_match("pay*x", "payments"));
        assert!(!glob_match("ab*ba", "aba"));
        assert!(glob_match("payments", "payments"));
        assert!(!glob_match("payment", "payments"));
    }

    #[test]
    fn exact_beats_glob_and_longer_globs_beat_shorter() {
        let exact = EdgePattern::parse("a -> payments").unwrap();
        let half = EdgePattern::parse("* -> payments").unwrap();
        let glob = EdgePattern::parse("* -> pay*").unwrap();
        let any = EdgePattern::parse("* -> *").unwrap();
        assert!(exact.specificity() > half.specificity());
        assert!(half.specificity() > glob.specificity());
        assert!(glob.specificity() > any.specificity());
    }
}
