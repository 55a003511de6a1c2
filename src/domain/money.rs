//! Money is exact: integer minor units beside an ISO 4217 currency.

use serde::{Deserialize, Serialize};
use std::fmt;

use super::ValidationError;

/// A strictly positive amount in minor units (cents). Zero and negative amounts
/// cannot be built, so a posting can never move "nothing" or move money backwards.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct Amount(i64);

impl Amount {
    pub fn new(minor: i64) -> Result<Self, ValidationError> {
        if minor <= 0 {
            return Err(ValidationError::AmountNotPositive);
        }
        Ok(Self(minor))
    }

    /// Parses a JSON number: integers only, positive, within `i64`.
    pub fn from_json(value: &serde_json::Number) -> Result<Self, ValidationError> {
        if let Some(v) = value.as_i64() {
            return Self::new(v);
        }
        let beyond_i64 =
            value.as_u64().is_some() || value.as_f64().is_some_and(|f| f.abs() >= i64::MAX as f64);
        if beyond_i64 {
            Err(ValidationError::AmountTooLarge)
        } else {
            Err(ValidationError::AmountNotInteger)
        }
    }

    pub fn minor(self) -> i64 {
        self.0
    }
}

impl TryFrom<i64> for Amount {
    type Error = ValidationError;
    fn try_from(v: i64) -> Result<Self, Self::Error> {
        Self::new(v)
    }
}

impl From<Amount> for i64 {
    fn from(a: Amount) -> i64 {
        a.0
    }
}

/// Currencies bankbox accounts can hold, with their ISO 4217 minor-unit exponent.
const CURRENCIES: &[(&str, u8)] = &[
    ("AUD", 2),
    ("CAD", 2),
    ("CHF", 2),
    ("CZK", 2),
    ("DKK", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("JPY", 0),
    ("MXN", 2),
    ("NOK", 2),
    ("PLN", 2),
    ("SEK", 2),
    ("USD", 2),
];

/// A supported ISO 4217 currency code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency([u8; 3]);

impl Currency {
    pub const EUR: Currency = Currency(*b"EUR");

    pub fn parse(code: &str) -> Result<Self, ValidationError> {
        let upper = code.trim().to_ascii_uppercase();
        CURRENCIES
            .iter()
            .find(|(c, _)| *c == upper)
            .map(|(c, _)| Currency(c.as_bytes().try_into().expect("codes are 3 bytes")))
            .ok_or_else(|| ValidationError::UnknownCurrency(code.to_string()))
    }

    pub fn code(&self) -> &str {
        std::str::from_utf8(&self.0).expect("built from ASCII codes")
    }

    /// Number of decimal places of the minor unit (2 for EUR, 0 for JPY).
    pub fn exponent(&self) -> u8 {
        CURRENCIES
            .iter()
            .find(|(c, _)| c.as_bytes() == self.0)
            .map_or(2, |(_, e)| *e)
    }

    pub fn all() -> impl Iterator<Item = Currency> {
        CURRENCIES
            .iter()
            .map(|(c, _)| Currency(c.as_bytes().try_into().expect("codes are 3 bytes")))
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl TryFrom<String> for Currency {
    type Error = ValidationError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.code().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amount_must_be_positive() {
        assert_eq!(Amount::new(0), Err(ValidationError::AmountNotPositive));
        assert_eq!(Amount::new(-5), Err(ValidationError::AmountNotPositive));
        assert_eq!(Amount::new(1).unwrap().minor(), 1);
    }

    #[test]
    fn amount_from_json_rejects_fractions_and_overflow() {
        let n = |s: &str| serde_json::from_str::<serde_json::Number>(s).unwrap();
        assert_eq!(Amount::from_json(&n("250")).unwrap().minor(), 250);
        assert_eq!(
            Amount::from_json(&n("2.5")),
            Err(ValidationError::AmountNotInteger)
        );
        assert_eq!(
            Amount::from_json(&n("9223372036854775808")),
            Err(ValidationError::AmountTooLarge)
        );
        assert_eq!(
            Amount::from_json(&n("1e300")),
            Err(ValidationError::AmountTooLarge)
        );
        assert_eq!(
            Amount::from_json(&n("-1")),
            Err(ValidationError::AmountNotPositive)
        );
    }

    #[test]
    fn currency_parses_known_codes_only() {
        assert_eq!(Currency::parse("eur").unwrap(), Currency::EUR);
        assert_eq!(Currency::parse("JPY").unwrap().exponent(), 0);
        assert!(Currency::parse("XXX").is_err());
        assert!(Currency::parse("EURO").is_err());
    }

    #[test]
    fn serde_round_trip_validates() {
        assert!(serde_json::from_str::<Amount>("0").is_err());
        assert_eq!(serde_json::to_string(&Currency::EUR).unwrap(), "\"EUR\"");
        assert!(serde_json::from_str::<Currency>("\"ABC\"").is_err());
    }
}
