//! Dates as the output's `DATE` columns store them (Arrow `Date32`, Parquet `DATE`): days
//! since 1970-01-01. One place for the conversion the writer and the readers share.

use time::Date;

fn epoch() -> i32 {
    time::OffsetDateTime::UNIX_EPOCH.date().to_julian_day()
}

/// `d` as days since 1970-01-01.
pub fn to_days(d: Date) -> i32 {
    d.to_julian_day() - epoch()
}

/// The date `days` after 1970-01-01 (`None` beyond the dates `time` represents).
pub fn from_days(days: i32) -> Option<Date> {
    Date::from_julian_day(epoch().checked_add(days)?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_counts_from_1970() {
        let d = Date::from_calendar_date(2026, time::Month::November, 27).unwrap();
        assert_eq!(to_days(d), 20_784);
        assert_eq!(from_days(to_days(d)), Some(d));
        assert_eq!(
            to_days(Date::from_calendar_date(1970, time::Month::January, 1).unwrap()),
            0
        );
        assert_eq!(from_days(i32::MAX), None);
    }
}
