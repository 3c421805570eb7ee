//! The pickle inspector on arbitrary bytes: it must never panic, and its
//! listing must stay within its bounds.
#![no_main]

use libfuzzer_sys::fuzz_target;
use safelab_tools::pickle;

fuzz_target!(|bytes: &[u8]| {
    let report = pickle::inspect(bytes);
    assert!(report.listing.len() <= pickle::LISTING_LIMIT);
    assert!(report.listing.len() <= report.op_count);
    let _ = report.dis();
    let _ = report.human();
});
