//! Precompresses the app that trunk built into `dist/`, with brotli and gzip,
//! into `$OUT_DIR/app/`, which the program embeds. Compressing at the best
//! settings takes a second or two, so it happens once per build of the app,
//! not on every request or start.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Files smaller than this are sent as they are: compression would not pay.
const WORTH_COMPRESSING: usize = 1024;

fn main() {
    let dist = Path::new(env!("CARGO_MANIFEST_DIR")).join("../dist");
    println!("cargo:rerun-if-changed={}", dist.display());
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("app");
    if out.exists() {
        fs::remove_dir_all(&out).expect("clear the previous app in OUT_DIR");
    }
    fs::create_dir_all(&out).expect("create OUT_DIR/app");
    // No dist/ yet (the app was not built): the program says so when asked.
    if dist.is_dir() {
        copy_compressed(&dist, &out);
    }
}

fn copy_compressed(from: &Path, to: &Path) {
    for entry in fs::read_dir(from).expect("read dist/") {
        let entry = entry.expect("read dist/");
        let (source, target) = (entry.path(), to.join(entry.file_name()));
        if source.is_dir() {
            fs::create_dir_all(&target).expect("create a folder in OUT_DIR/app");
            copy_compressed(&source, &target);
            continue;
        }
        let bytes = fs::read(&source).expect("read a file of dist/");
        fs::write(&target, &bytes).expect("copy a file of dist/");
        // index.html is served as safelab makes it at start-up, not as built.
        let is_page = entry.file_name() == "index.html";
        if is_page || bytes.len() < WORTH_COMPRESSING || is_compressed_already(&source) {
            continue;
        }
        for (extension, packed) in [("br", brotli(&bytes)), ("gz", gzip(&bytes))] {
            if packed.len() < bytes.len() {
                let mut name = target.clone().into_os_string();
                name.push(format!(".{extension}"));
                fs::write(name, packed).expect("write a compressed file");
            }
        }
    }
}

fn is_compressed_already(path: &Path) -> bool {
    let extension = path.extension().and_then(|extension| extension.to_str());
    matches!(
        extension,
        Some("png" | "jpg" | "jpeg" | "gif" | "webp" | "woff" | "woff2" | "gz" | "br" | "zip")
    )
}

fn brotli(bytes: &[u8]) -> Vec<u8> {
    let mut packed = Vec::new();
    let parameters = ::brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 22,
        ..Default::default()
    };
    ::brotli::BrotliCompress(&mut &bytes[..], &mut packed, &parameters).expect("brotli");
    packed
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).expect("gzip");
    encoder.finish().expect("gzip")
}
