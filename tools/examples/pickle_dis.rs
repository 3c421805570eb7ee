//! Prints the inspector's report of each file named on the command line,
//! and with `--dis` its `pickletools.dis` listing (for comparing with
//! Python's by hand).

fn main() {
    let dis = std::env::args().any(|a| a == "--dis");
    for path in std::env::args().skip(1).filter(|a| a != "--dis") {
        match std::fs::read(&path) {
            Ok(bytes) => {
                let report = safelab_tools::pickle::inspect(&bytes);
                if dis {
                    print!("{}", report.dis());
                } else {
                    print!("{}", report.human());
                }
            }
            Err(e) => eprintln!("{path}: {e}"),
        }
    }
}
