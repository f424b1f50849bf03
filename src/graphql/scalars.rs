//! Scalars whose descriptions speak to frontend developers. `DateTime` replaces the
//! engine's built-in scalar of the same name (same text form, RFC 3339 in UTC) so the
//! schema describes the format instead of naming a library type.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{DateTime, Utc};

/// An instant in time, as the API shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp(pub DateTime<Utc>);

/// An instant in time: an RFC 3339 (ISO 8601) string in UTC, e.g.
/// `2026-12-04T17:57:07.123+00:00`. Fractional seconds have 0, 3, 6 or 9 digits.
#[Scalar(name = "DateTime", specified_by_url = "https://datatracker.ietf.org/doc/html/rfc3339")]
impl ScalarType for Timestamp {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => Ok(Self(s.parse::<DateTime<Utc>>()?)),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_rfc3339())
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(at: DateTime<Utc>) -> Self {
        Self(at)
    }
}
