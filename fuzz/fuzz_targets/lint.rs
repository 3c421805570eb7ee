//! The Python lint on arbitrary text: parser errors are findings, never
//! panics or stack overflows.
#![no_main]

use libfuzzer_sys::fuzz_target;
use safelab_tools::lint;

fuzz_target!(|bytes: &[u8]| {
    let report = lint::lint("fuzz.py", &String::from_utf8_lossy(bytes));
    let _ = report.human();
});
