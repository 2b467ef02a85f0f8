//! Timestamps on the wire: RFC 3339 in UTC, as the server writes them
//! (`2026-01-02T03:04:05.123456Z`), read with chrono's strict RFC 3339 parser.
//!
//! chrono's own `Deserialize` for `DateTime<Utc>` goes through its general parser (the
//! format-item interpreter that also serves `parse_from_str`) so as to accept relaxed
//! spellings nobody sends us; reading with `DateTime::parse_from_rfc3339` instead keeps
//! that interpreter out of the browser's bundle. Use as
//! `#[serde(deserialize_with = "crate::time::rfc3339")]`.

use chrono::{DateTime, Utc};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer};

/// A required timestamp.
pub fn rfc3339<'de, D: Deserializer<'de>>(deserializer: D) -> Result<DateTime<Utc>, D::Error> {
    let text = String::deserialize(deserializer)?;
    DateTime::parse_from_rfc3339(&text)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|e| D::Error::custom(format!("{text:?} is not an RFC 3339 date and time: {e}")))
}

/// A timestamp that may be `null` (and absent too, with `#[serde(default)]`).
pub fn rfc3339_or_null<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    #[derive(Deserialize)]
    struct At(#[serde(deserialize_with = "rfc3339")] DateTime<Utc>);
    Ok(Option::<At>::deserialize(deserializer)?.map(|At(at)| at))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use chrono::TimeZone;

    #[derive(Debug, Deserialize)]
    struct Stamp {
        #[serde(deserialize_with = "rfc3339")]
        at: DateTime<Utc>,
        #[serde(default, deserialize_with = "rfc3339_or_null")]
        maybe: Option<DateTime<Utc>>,
    }

    #[test]
    fn what_the_server_writes_reads_back() {
        let written =
            Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap() + chrono::Duration::microseconds(123_456);
        let json = format!(r#"{{"at": {}, "maybe": null}}"#, serde_json::to_string(&written).unwrap());
        let stamp: Stamp = serde_json::from_str(&json).unwrap();
        assert_eq!((stamp.at, stamp.maybe), (written, None));
        let offset: Stamp =
            serde_json::from_str(r#"{"at": "2026-01-02T05:04:05+02:00", "maybe": "2026-01-02T03:04:05Z"}"#)
                .unwrap();
        assert_eq!(offset.at, Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap());
        assert_eq!(offset.maybe, Some(offset.at));
    }

    #[test]
    fn a_date_that_is_not_rfc_3339_says_so() {
        for bad in [r#""yesterday""#, r#""2026-01-02""#, "17"] {
            let error =
                serde_json::from_str::<Stamp>(&format!(r#"{{"at": {bad}}}"#)).unwrap_err().to_string();
            assert!(error.contains("RFC 3339") || error.contains("invalid type"), "{bad}: {error}");
        }
    }
}
