//! Human account numbers: ten random digits and two ISO 7064 MOD 97-10 check
//! digits (the scheme IBANs use), so a mistyped digit or swapped pair is caught
//! before any lookup.

use serde::{Deserialize, Serialize};
use std::fmt;

use super::ValidationError;

const BODY_LEN: usize = 10;

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AccountNumber(String);

impl AccountNumber {
    /// Builds a valid number from ten body digits (0..10^10).
    pub fn from_body(body: u64) -> Self {
        let body = format!(
            "{:0width$}",
            body % 10u64.pow(BODY_LEN as u32),
            width = BODY_LEN
        );
        let check = 98 - mod97(&format!("{body}00"));
        Self(format!("{body}{check:02}"))
    }

    /// Parses what a person typed: spaces and dashes are ignored, the check digits
    /// must match.
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let digits: String = input.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        if digits.len() != BODY_LEN + 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ValidationError::AccountNumberFormat);
        }
        if mod97(&digits) != 1 {
            return Err(ValidationError::AccountNumberChecksum);
        }
        Ok(Self(digits))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn mod97(digits: &str) -> u64 {
    digits
        .bytes()
        .fold(0, |acc, d| (acc * 10 + u64::from(d - b'0')) % 97)
}

impl fmt::Display for AccountNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for AccountNumber {
    type Error = ValidationError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<AccountNumber> for String {
    fn from(n: AccountNumber) -> String {
        n.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_numbers_validate() {
        for body in [0, 1, 42, 1234567890, 9999999999, 18446744073709551615] {
            let n = AccountNumber::from_body(body);
            assert_eq!(n.as_str().len(), 12);
            assert_eq!(AccountNumber::parse(n.as_str()).unwrap(), n);
        }
    }

    #[test]
    fn typing_mistakes_are_caught() {
        let n = AccountNumber::from_body(1234567890).to_string();
        let mut wrong_digit = n.clone().into_bytes();
        wrong_digit[3] = if wrong_digit[3] == b'9' {
            b'0'
        } else {
            wrong_digit[3] + 1
        };
        assert_eq!(
            AccountNumber::parse(std::str::from_utf8(&wrong_digit).unwrap()),
            Err(ValidationError::AccountNumberChecksum)
        );
        let mut swapped = n.clone().into_bytes();
        swapped.swap(1, 2);
        if swapped != n.as_bytes() {
            assert!(AccountNumber::parse(std::str::from_utf8(&swapped).unwrap()).is_err());
        }
        assert_eq!(
            AccountNumber::parse("12ab"),
            Err(ValidationError::AccountNumberFormat)
        );
    }

    #[test]
    fn separators_are_ignored() {
        let n = AccountNumber::from_body(5550001234);
        let s = n.as_str();
        let spaced = format!("{} {} {}", &s[..4], &s[4..8], &s[8..]);
        assert_eq!(AccountNumber::parse(&spaced).unwrap(), n);
    }
}
