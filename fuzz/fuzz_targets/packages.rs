//! The dependency check on arbitrary text, read as a requirements file and
//! as a pyproject.toml (the first byte picks which): it must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use safelab_tools::packages;

fuzz_target!(|bytes: &[u8]| {
    let (name, text) = match bytes.split_first() {
        Some((0, rest)) => ("pyproject.toml", rest),
        _ => ("requirements.txt", bytes),
    };
    let report = packages::audit(name, &String::from_utf8_lossy(text));
    let _ = report.human();
});
