//! Statement paging shared by the per-account and all-accounts histories:
//! `limit`, an opaque `cursor`, and a `from`/`to` date range.

use serde::Deserialize;
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::error::ApiError;
use super::views::{Page, TransactionView};
use crate::domain::{AccountId, EntryId, Millis};
use crate::store::{HistoryQuery, Line};

pub const DEFAULT_LIMIT: usize = 50;
pub const MAX_LIMIT: usize = 200;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct HistoryParams {
    limit: Option<usize>,
    cursor: Option<String>,
    /// Inclusive start: an RFC 3339 time or a date.
    from: Option<String>,
    /// Inclusive end: an RFC 3339 time or a date (the whole day).
    to: Option<String>,
}

fn millis(t: OffsetDateTime) -> Millis {
    (t.unix_timestamp_nanos() / 1_000_000) as Millis
}

/// Parses a bound; a bare date covers its whole day.
fn bound(name: &str, s: &str, end: bool) -> Result<Millis, ApiError> {
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Ok(millis(t) + i64::from(end));
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let day = Date::parse(s, format).map_err(|_| {
        ApiError::bad_request(
            "invalid_query",
            format!("{name} must be a date (2025-01-31) or an RFC 3339 time"),
        )
    })?;
    let day = if end {
        day.next_day().unwrap_or(day)
    } else {
        day
    };
    Ok(millis(day.midnight().assume_utc()))
}

fn encode_cursor(entry: EntryId, account: AccountId) -> String {
    format!("{}{}", entry.0.simple(), account.0.simple())
}

fn decode_cursor(s: &str) -> Result<(EntryId, AccountId), ApiError> {
    let bad = || ApiError::bad_request("invalid_cursor", "the cursor is not one this API returned");
    if s.len() != 64 {
        return Err(bad());
    }
    let e = Uuid::parse_str(&s[..32]).map_err(|_| bad())?;
    let a = Uuid::parse_str(&s[32..]).map_err(|_| bad())?;
    Ok((EntryId(e), AccountId(a)))
}

impl HistoryParams {
    pub fn query(&self) -> Result<HistoryQuery, ApiError> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::bad_request(
                "invalid_query",
                format!("limit must be 1 to {MAX_LIMIT}"),
            ));
        }
        let from = self
            .from
            .as_deref()
            .map(|s| bound("from", s, false))
            .transpose()?;
        let until = self
            .to
            .as_deref()
            .map(|s| bound("to", s, true))
            .transpose()?;
        if let (Some(f), Some(u)) = (from, until) {
            if f >= u {
                return Err(ApiError::bad_request(
                    "invalid_query",
                    "from must be before to",
                ));
            }
        }
        Ok(HistoryQuery {
            after: self.cursor.as_deref().map(decode_cursor).transpose()?,
            from,
            until,
            // One more than asked tells whether another page exists.
            limit: limit + 1,
        })
    }
}

pub fn page(mut lines: Vec<Line>, q: &HistoryQuery) -> Page<TransactionView> {
    let wanted = q.limit - 1;
    let more = lines.len() > wanted;
    lines.truncate(wanted);
    let next_cursor = more
        .then(|| lines.last().map(|l| encode_cursor(l.entry.id, l.account)))
        .flatten();
    let items = lines
        .iter()
        .filter_map(|l| TransactionView::of(&l.entry, l.account))
        .collect();
    Page { items, next_cursor }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_bounds_cover_whole_days() {
        let from = bound("from", "2025-01-31", false).unwrap();
        let to = bound("to", "2025-01-31", true).unwrap();
        assert_eq!(to - from, 24 * 3600 * 1000);
        assert!(bound("from", "31/01/2025", false).is_err());
        assert_eq!(bound("from", "2025-01-31T00:00:00Z", false).unwrap(), from);
    }

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let (e, a) = (EntryId::at(5), AccountId::new());
        assert_eq!(decode_cursor(&encode_cursor(e, a)).unwrap(), (e, a));
        assert!(decode_cursor("zz").is_err());
    }
}
