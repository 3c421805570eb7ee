//! Lesson 6 in the TLS panel: what a failed check is called in plain words,
//! the label on the certificate that failed it, where "now" falls in a
//! certificate's validity, and which broken listener an exchange went to.
//! Plain functions, tested on the host.

use safelab_protocol::{BrokenListener, CertificateCheck};

/// The failed check in plain words, as the verdict names it.
pub fn check_title(check: CertificateCheck) -> &'static str {
    match check {
        CertificateCheck::Expired => "Expired certificate",
        CertificateCheck::NotYetValid => "Certificate not valid yet",
        CertificateCheck::WrongHost => "Wrong host: the certificate does not name it",
        CertificateCheck::NoSubjectAltName => "No subject alternative name (common name only)",
        CertificateCheck::SelfSigned => "Self-signed certificate",
        CertificateCheck::UntrustedRoot => {
            "Untrusted root: the chain leads to a CA not in your trust store"
        }
        CertificateCheck::IncompleteChain => "Incomplete chain: the intermediate was not sent",
        CertificateCheck::CaAsLeaf => "A certificate authority used as the server's certificate",
        CertificateCheck::NotForServerAuth => "Not for TLS servers (no serverAuth)",
        CertificateCheck::BadSignature => "Bad signature",
        CertificateCheck::OutsideNameConstraints => "Outside the CA's name constraints",
        CertificateCheck::Other => "Verification failed",
    }
}

/// The label on the certificate that failed `check`. `self_issued`: its
/// issuer is its subject (a root). `requested`: the name asked for.
pub fn failed_label(check: CertificateCheck, self_issued: bool, requested: &str) -> String {
    match check {
        CertificateCheck::Expired => "Expired: now is after its validity ended".to_owned(),
        CertificateCheck::NotYetValid => {
            "Not valid yet: now is before its validity starts".to_owned()
        }
        CertificateCheck::WrongHost => {
            format!("Does not name {requested}: it is not among its SANs")
        }
        CertificateCheck::NoSubjectAltName => {
            "No SAN: only the common name, which clients ignore".to_owned()
        }
        CertificateCheck::SelfSigned => "Issuer = subject: it signed itself".to_owned(),
        CertificateCheck::UntrustedRoot if self_issued => {
            "This root is not in your trust store".to_owned()
        }
        CertificateCheck::UntrustedRoot => {
            "Issued by a CA that is not in your trust store".to_owned()
        }
        CertificateCheck::IncompleteChain => {
            "Its issuer was not sent: no issuer presented".to_owned()
        }
        CertificateCheck::CaAsLeaf => "CA:TRUE on a server's certificate".to_owned(),
        CertificateCheck::NotForServerAuth => "No serverAuth in its extended key usage".to_owned(),
        CertificateCheck::BadSignature => "Its signature does not verify".to_owned(),
        CertificateCheck::OutsideNameConstraints => {
            format!("Its name constraints do not permit {requested}")
        }
        CertificateCheck::Other => "Verification failed here".to_owned(),
    }
}

/// The broken listener `url` goes to (same scheme, host and port), if any.
pub fn broken_listener_for<'a>(
    url: &str,
    listeners: &'a [BrokenListener],
) -> Option<&'a BrokenListener> {
    let origin = origin_of(url)?;
    listeners
        .iter()
        .find(|listener| origin_of(&listener.url).as_deref() == Some(origin.as_str()))
}

/// `scheme://host:port` of an absolute URL, lower-case.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    (!authority.is_empty()).then(|| format!("{scheme}://{authority}").to_ascii_lowercase())
}

/// Where a certificate's validity and now fall on one line, in percent of
/// the line, which spans from the earlier of start and now to the later of
/// end and now.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidityBar {
    /// Where validity starts.
    pub start: f64,
    /// Where validity ends.
    pub end: f64,
    /// Where now is.
    pub now: f64,
    /// Now against the validity, in words.
    pub note: String,
}

/// The bar for validity from `not_before` to `not_after` (RFC 3339) at `now`
/// (seconds since 1970); `None` when a date cannot be read.
pub fn validity_bar(not_before: &str, not_after: &str, now: i64) -> Option<ValidityBar> {
    let (start, end) = (unix_seconds(not_before)?, unix_seconds(not_after)?);
    let low = start.min(now);
    let high = end.max(now).max(low + 1);
    let at = |seconds: i64| (seconds - low) as f64 * 100.0 / (high - low) as f64;
    // Whole days since it ended (30 days and an hour is "30 days after"),
    // days begun until it starts or ends.
    let days = |seconds: i64| seconds.unsigned_abs().div_ceil(86_400);
    let note = if now > end {
        format!(
            "Now is {} days after its validity ended.",
            (now - end) / 86_400
        )
    } else if now < start {
        format!("Its validity starts in {} days.", days(start - now))
    } else {
        format!("Valid now, for {} more days.", days(end - now))
    };
    Some(ValidityBar {
        start: at(start),
        end: at(end),
        now: at(now),
        note,
    })
}

/// Seconds since 1970 of an RFC 3339 date (`2026-01-31T12:00:00Z`, an
/// offset, fractions of seconds ignored).
pub fn unix_seconds(date: &str) -> Option<i64> {
    let (day, time) = date.split_once(['T', 't', ' '])?;
    let mut parts = day.splitn(3, '-');
    let year: i64 = parts.next()?.parse().ok()?;
    let month: i64 = parts.next()?.parse().ok()?;
    let day_of_month: i64 = parts.next()?.parse().ok()?;
    let clock_end = time.find(['Z', 'z', '+', '-']).unwrap_or(time.len());
    let (clock, zone) = time.split_at(clock_end);
    let mut hms = clock.split('.').next()?.splitn(3, ':');
    let hours: i64 = hms.next()?.parse().ok()?;
    let minutes: i64 = hms.next()?.parse().ok()?;
    let seconds: i64 = hms.next()?.parse().ok()?;
    let offset = match zone.as_bytes().first() {
        None | Some(b'Z' | b'z') => 0,
        Some(sign) => {
            let (zone_hours, zone_minutes) = zone[1..].split_once(':')?;
            let minutes =
                zone_hours.parse::<i64>().ok()? * 60 + zone_minutes.parse::<i64>().ok()?;
            if *sign == b'-' {
                -minutes * 60
            } else {
                minutes * 60
            }
        }
    };
    if !(1..=12).contains(&month) || !(1..=31).contains(&day_of_month) {
        return None;
    }
    Some(
        days_from_civil(year, month, day_of_month) * 86_400 + hours * 3600 + minutes * 60 + seconds
            - offset,
    )
}

/// Days since 1970-01-01 of a date in the proleptic Gregorian calendar
/// (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn broken(id: &str, url: &str) -> BrokenListener {
        BrokenListener {
            id: id.to_owned(),
            title: id.to_owned(),
            url: url.to_owned(),
            problem: String::new(),
            check: None,
            refusals: Vec::new(),
        }
    }

    #[test]
    fn dates_are_read_as_rfc_3339() {
        assert_eq!(unix_seconds("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(unix_seconds("2000-03-01T00:00:00Z"), Some(951_868_800));
        assert_eq!(unix_seconds("2026-11-24T03:21:56Z"), Some(1_795_490_516));
        assert_eq!(
            unix_seconds("2026-11-24T04:21:56+01:00"),
            Some(1_795_490_516)
        );
        assert_eq!(unix_seconds("2026-11-24T03:21:56.5Z"), Some(1_795_490_516));
        assert_eq!(unix_seconds("yesterday"), None);
        assert_eq!(unix_seconds("2026-13-01T00:00:00Z"), None);
    }

    #[test]
    fn the_bar_puts_now_after_an_expired_validity() {
        let day = 86_400;
        let bar =
            validity_bar("1970-01-01T00:00:00Z", "1970-01-11T00:00:00Z", 20 * day).expect("bar");
        assert_eq!((bar.start, bar.end, bar.now), (0.0, 50.0, 100.0));
        assert!(bar.note.contains("10 days after"), "{}", bar.note);
        let an_hour_more = validity_bar(
            "1970-01-01T00:00:00Z",
            "1970-01-11T00:00:00Z",
            20 * day + 3600,
        )
        .expect("bar");
        assert!(
            an_hour_more.note.contains(" 10 days after"),
            "{}",
            an_hour_more.note
        );
        let future = validity_bar("1970-01-11T00:00:00Z", "1970-01-21T00:00:00Z", 0).expect("bar");
        assert_eq!((future.now, future.start, future.end), (0.0, 50.0, 100.0));
        assert!(future.note.contains("starts in 10 days"), "{}", future.note);
        let valid =
            validity_bar("1970-01-01T00:00:00Z", "1970-01-11T00:00:00Z", 5 * day).expect("bar");
        assert_eq!(valid.now, 50.0);
        assert!(valid.note.starts_with("Valid now"), "{}", valid.note);
    }

    #[test]
    fn an_exchange_is_matched_to_its_broken_listener_by_origin() {
        let listeners = [
            broken("expired", "https://localhost:7882"),
            broken("self-signed", "https://localhost:7883"),
        ];
        let found = |url| broken_listener_for(url, &listeners).map(|listener| listener.id.as_str());
        assert_eq!(
            found("https://localhost:7883/lab/hello"),
            Some("self-signed")
        );
        assert_eq!(found("https://LOCALHOST:7882"), Some("expired"));
        assert_eq!(found("https://localhost:78821/"), None);
        assert_eq!(found("http://localhost:7882/"), None);
        assert_eq!(found("not a url"), None);
    }

    #[test]
    fn labels_say_what_is_wrong_with_the_certificate() {
        assert!(
            failed_label(CertificateCheck::UntrustedRoot, true, "x")
                .contains("not in your trust store")
        );
        assert!(
            failed_label(CertificateCheck::UntrustedRoot, false, "x")
                .contains("not in your trust store")
        );
        assert!(
            failed_label(CertificateCheck::WrongHost, false, "127.0.0.2").contains("127.0.0.2")
        );
        assert_eq!(
            failed_label(CertificateCheck::SelfSigned, true, "x"),
            "Issuer = subject: it signed itself"
        );
        assert!(
            failed_label(CertificateCheck::IncompleteChain, false, "x")
                .contains("no issuer presented")
        );
    }
}
