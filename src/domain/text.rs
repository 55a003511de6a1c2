//! Free text a person types, such as a transfer's description or an account's
//! name: one line, trimmed and bounded. Control characters are refused: a
//! statement cannot show them, and PostgreSQL's text cannot hold NUL, so the
//! two stores would otherwise disagree about what may be stored.

use super::ValidationError;

/// `raw` trimmed, if it is at most `max` characters with no control character.
pub fn line(field: &'static str, raw: &str, max: usize) -> Result<String, ValidationError> {
    let text = raw.trim();
    if text.chars().count() > max {
        return Err(ValidationError::TooLong(field, max));
    }
    if text.chars().any(char::is_control) {
        return Err(ValidationError::ControlCharacter(field));
    }
    Ok(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_a_trimmed_line_of_any_script() {
        assert_eq!(
            line("name", "  Épargne 旅行  ", 64).unwrap(),
            "Épargne 旅行"
        );
        assert_eq!(line("name", "", 64).unwrap(), "");
    }

    #[test]
    fn refuses_control_characters_and_overlong_text() {
        for bad in ["rent\0", "a\nb", "\u{1b}[31mred", "tab\there", "\u{7f}"] {
            assert_eq!(
                line("description", bad, 64),
                Err(ValidationError::ControlCharacter("description")),
                "{bad:?}"
            );
        }
        assert_eq!(
            line("name", &"é".repeat(5), 4),
            Err(ValidationError::TooLong("name", 4))
        );
        assert!(line("name", &"é".repeat(4), 4).is_ok());
    }
}
