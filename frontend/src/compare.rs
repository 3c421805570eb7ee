//! What differs between the two twins' answers to the same request: status,
//! headers and body lines, as plain functions tested on the host.

use safelab_protocol::Header;

/// Which lines of `a` and of `b` are not part of their longest common
/// subsequence: the lines to mark as different. Past a size where the table
/// would be large, lines are compared by position instead.
pub fn changed_lines(a: &str, b: &str) -> (Vec<bool>, Vec<bool>) {
    const MOST: usize = 1500;
    let (a, b): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    if a.len() > MOST || b.len() > MOST {
        let differs = |index: usize, other: &[&str], line: &str| other.get(index) != Some(&line);
        return (
            a.iter()
                .enumerate()
                .map(|(index, line)| differs(index, &b, line))
                .collect(),
            b.iter()
                .enumerate()
                .map(|(index, line)| differs(index, &a, line))
                .collect(),
        );
    }
    // lengths[i][j]: the longest common subsequence of a[i..] and b[j..].
    let mut lengths = vec![vec![0u16; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lengths[i][j] = if a[i] == b[j] {
                lengths[i + 1][j + 1] + 1
            } else {
                lengths[i + 1][j].max(lengths[i][j + 1])
            };
        }
    }
    let (mut changed_a, mut changed_b) = (vec![true; a.len()], vec![true; b.len()]);
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i] == b[j] {
            changed_a[i] = false;
            changed_b[j] = false;
            i += 1;
            j += 1;
        } else if lengths[i + 1][j] >= lengths[i][j + 1] {
            i += 1;
        } else {
            j += 1;
        }
    }
    (changed_a, changed_b)
}

/// Whether `header` of one answer differs from the other answer's headers: the
/// other has no header of that name with that value. `Date` never counts: two
/// answers a moment apart differ there by nature.
pub fn header_differs(header: &Header, other: &[Header]) -> bool {
    let (name, value) = header;
    !name.eq_ignore_ascii_case("date")
        && !other.iter().any(|(other_name, other_value)| {
            other_name.eq_ignore_ascii_case(name) && other_value == value
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_lines_outside_the_common_part_are_marked() {
        let (a, b) = changed_lines("root\nsecret\nend", "root\nno such file\nend\nmore");
        assert_eq!(a, [false, true, false]);
        assert_eq!(b, [false, true, false, true]);
        let (same, _) = changed_lines("x\ny", "x\ny");
        assert_eq!(same, [false, false]);
    }

    #[test]
    fn headers_differ_by_name_and_value_but_not_by_date() {
        let other = vec![
            ("content-type".to_owned(), "application/json".to_owned()),
            ("date".to_owned(), "Mon".to_owned()),
        ];
        assert!(!header_differs(
            &("Content-Type".into(), "application/json".into()),
            &other
        ));
        assert!(header_differs(
            &("content-type".into(), "text/plain".into()),
            &other
        ));
        assert!(header_differs(&("x-extra".into(), "1".into()), &other));
        assert!(!header_differs(&("date".into(), "Tue".into()), &other));
    }
}
