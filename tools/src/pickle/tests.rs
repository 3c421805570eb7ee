//! Host tests of the inspector on hand-made, truncated and hostile bytes
//! (the tests on pickles made by real Python are in the integration tests).

use super::*;

/// `pickle.dumps(os.system('id'))`-style bytes at protocol 2.
const OS_SYSTEM: &[u8] = b"\x80\x02cposix\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03.";

#[test]
fn a_reduce_of_os_system_is_dangerous_and_named() {
    let report = inspect(OS_SYSTEM);
    assert_eq!(report.verdict, Verdict::Dangerous);
    assert_eq!(report.error, None);
    assert_eq!(report.protocol, Some(2));
    assert_eq!(report.imports.len(), 1);
    assert_eq!(
        (
            report.imports[0].module.as_str(),
            report.imports[0].name.as_str()
        ),
        ("posix", "system")
    );
    assert_eq!(report.imports[0].risk, Risk::Dangerous);
    assert_eq!(report.calls.len(), 1);
    assert_eq!(report.calls[0].python, "posix.system('id')");
    assert!(
        report
            .python
            .contains("import posix\n_1 = posix.system('id')\nresult = _1\n")
    );
    assert_eq!(report.finding_count(), 2);
}

#[test]
fn plain_data_is_data() {
    // pickle.dumps({'a': [1, 2.5]}, protocol=2)
    let report = inspect(
        b"\x80\x02}q\x00X\x01\x00\x00\x00aq\x01]q\x02(K\x01G@\x04\x00\x00\x00\x00\x00\x00es.",
    );
    assert_eq!(report.verdict, Verdict::Data);
    assert_eq!(report.finding_count(), 0);
    assert!(
        report.python.ends_with("result = {'a': [1, 2.5]}\n"),
        "{}",
        report.python
    );
    assert!(
        report
            .dis()
            .ends_with("highest protocol among opcodes = 2\n")
    );
}

#[test]
fn every_truncation_of_a_pickle_is_an_error_with_an_offset() {
    for cut in 0..OS_SYSTEM.len() {
        let report = inspect(&OS_SYSTEM[..cut]);
        let error = report
            .error
            .as_ref()
            .unwrap_or_else(|| panic!("cut at {cut}: no error"));
        assert!(error.offset <= cut, "cut at {cut}: {error:?}");
        assert!(!report.stopped);
        // Once the import is read, the verdict stays dangerous.
        let expect = if cut > 15 {
            Verdict::Dangerous
        } else {
            Verdict::Malformed
        };
        assert_eq!(report.verdict, expect, "cut at {cut}");
        assert!(report.finding_count() >= 1);
    }
}

#[test]
fn hostile_bytes_give_errors_not_panics() {
    let cases: &[(&[u8], &str)] = &[
        (b"", "exhausted"),
        (b"\xff", "unknown"),
        (b"\x80\x07.", "unsupported pickle protocol"),
        (b"X\xff\xff\xff\xff", "truncated"),
        (b"\x8e\xff\xff\xff\xff\xff\xff\xff\xff", "truncated"),
        (b"\x8b\xff\xff\xff\xff", "long4 byte count < 0"),
        (b"a.", "stack is empty"),
        (b"e.", "needs a MARK"),
        (b"h\x05.", "memo value not found"),
        (b"S'abc\n.", "quote"),
        (b"Iabc\n.", "invalid literal"),
        (b"X\x02\x00\x00\x00\xc3(.", "invalid UTF-8"),
        (b"K\x01K\x02\x93.", "STACK_GLOBAL requires str"),
        (b"0", "needs a MARK"),
        (b"(d", "exhausted"),
        (b"(K\x01d.", "even number"),
    ];
    for (bytes, want) in cases {
        let report = inspect(bytes);
        let error = report
            .error
            .as_ref()
            .unwrap_or_else(|| panic!("{bytes:?}: no error"));
        assert!(error.message.contains(want), "{bytes:?}: {error:?}");
        assert_eq!(report.verdict, Verdict::Malformed, "{bytes:?}");
    }
}

#[test]
fn deep_marks_and_huge_stacks_stop_at_a_bound() {
    let marks = vec![b'('; 50_000];
    let report = inspect(&marks);
    assert!(report.error.unwrap().message.contains("nested MARKs"));
    let nones = vec![b'N'; 300_000];
    let report = inspect(&nones);
    assert!(report.error.unwrap().message.contains("items on the stack"));
    assert_eq!(report.listing.len(), LISTING_LIMIT);
}

#[test]
fn an_unknown_global_and_a_call_of_a_call_are_dangerous() {
    // c__main__\nModel\n)R.  and  cbuiltins\nset\n)R)R.
    let report = inspect(b"c__main__\nModel\n)R.");
    assert_eq!(report.verdict, Verdict::Dangerous);
    assert_eq!(report.imports[0].risk, Risk::Unknown);
    let report = inspect(b"cbuiltins\nset\n)R)R.");
    assert_eq!(report.verdict, Verdict::Dangerous);
    assert!(!report.calls[0].dangerous);
    assert!(report.calls[1].dangerous);
    assert_eq!(report.calls[1].python, "_1()");
}

#[test]
fn bytes_after_stop_are_counted_not_read() {
    let report = inspect(b"N.cos\nsystem\n");
    assert_eq!(report.verdict, Verdict::Data);
    assert_eq!(report.trailing, 11);
}

/// A small deterministic generator (no dependency for a test).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn random_and_mutated_bytes_never_panic() {
    let seeds: &[&[u8]] = &[
        OS_SYSTEM,
        b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00(K\x01K\x0220000(1N\x8a\x00\x8b\x02\x00\x00\x00\xff\x7f\x87.",
        b"(S'py2 \\'str\\''\np0\nS\"dq\\n\\x41\"\nU\x03abcT\x02\x00\x00\x00hiV\\u20ac\\\\u0041\nI01\nI00\nL123L\nF1.5\n2l.",
        b"\x80\x04\x8c\x0bcollections\x8c\x0bOrderedDict\x93)}\x92\x94.",
        b"Pstorage0\nN\x85Q\x86.",
    ];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for round in 0..6000 {
        let mut bytes: Vec<u8> = if round % 3 == 0 {
            (0..rng.next() % 64).map(|_| rng.next() as u8).collect()
        } else {
            seeds[round % seeds.len()].to_vec()
        };
        for _ in 0..1 + rng.next() % 4 {
            if bytes.is_empty() {
                break;
            }
            let at = (rng.next() as usize) % bytes.len();
            match rng.next() % 3 {
                0 => bytes[at] = rng.next() as u8,
                1 => {
                    bytes.insert(at, rng.next() as u8);
                }
                _ => {
                    bytes.remove(at);
                }
            }
        }
        let report = inspect(&bytes);
        let _ = (report.dis(), report.human(), report.finding_count());
        assert!(report.listing.len() <= report.op_count);
    }
}

#[test]
fn ten_megabytes_read_in_bounded_time_and_size() {
    // 10 MB of small opcodes with a memo entry each, then a huge string.
    let mut bytes = b"\x80\x04]".to_vec();
    while bytes.len() < 5_000_000 {
        bytes.extend_from_slice(b"K\x07\x94a");
    }
    bytes.extend_from_slice(b"\x8d");
    bytes.extend_from_slice(&(5_000_000u64).to_le_bytes());
    bytes.extend(std::iter::repeat_n(b'x', 5_000_000));
    bytes.extend_from_slice(b"a.");
    let start = std::time::Instant::now();
    let report = inspect(&bytes);
    let took = start.elapsed();
    assert_eq!(report.error, None);
    assert_eq!(report.verdict, Verdict::Data);
    assert_eq!(report.listing.len(), LISTING_LIMIT);
    let json = serde_json::to_string(&report).unwrap_or_default();
    assert!(
        json.len() < 16 * 1024 * 1024,
        "report of {} bytes",
        json.len()
    );
    assert!(took.as_secs() < 30, "took {took:?}");
}

#[test]
fn the_listing_stops_where_pickletools_dis_raises() {
    // Outputs of CPython 3.11's pickletools.dis before its ValueError.
    let report = inspect(b"N\x94q\x00.");
    assert_eq!(
        report.dis(),
        "    0: N    NONE\n    1: \\x94 MEMOIZE    (as 0)\n    2: q    BINPUT     0\n"
    );
    assert!(report.dis_error.unwrap().contains("memo key"));
    let report = inspect(b"NN.");
    assert_eq!(
        report.dis(),
        "    0: N    NONE\n    1: N    NONE\n    2: .    STOP\nhighest protocol among opcodes = 0\n"
    );
    assert!(report.dis_error.unwrap().contains("stack not empty"));
}

#[test]
fn non_ascii_names_and_lone_surrogates_are_kept_as_python_has_them() {
    // STACK_GLOBAL of 'módulo' 'x': a name, not an unnamed import.
    let report = inspect(b"\x80\x04\x8c\x07m\xc3\xb3dulo\x8c\x01x\x93.");
    assert_eq!(report.imports[0].module, "módulo");
    // A lone surrogate (UTF-8 with surrogatepass), shown as Python shows it.
    let report = inspect(b"\x80\x04\x8c\x04a\xed\xa0\x80\x85.");
    assert!(
        report.python.contains("result = ('a\\ud800',)"),
        "{}",
        report.python
    );
}
