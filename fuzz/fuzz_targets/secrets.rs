//! The secret scanner on arbitrary bytes, as a file and as a git bundle (the
//! first byte picks which): it must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use safelab_tools::secrets;

/// The header of a version 2 git bundle: the rest of the input plays its
/// refs and packfile.
const BUNDLE: &[u8] = b"# v2 git bundle\n";

fuzz_target!(|bytes: &[u8]| {
    let report = match bytes.split_first() {
        Some((0, rest)) => secrets::scan("fuzz.bundle", &[BUNDLE, rest].concat()),
        _ => secrets::scan(".env", bytes),
    };
    assert!(report.findings.len() <= secrets::FINDING_LIMIT);
    assert!(report.findings.len() <= report.finding_total);
    let _ = report.human();
});
