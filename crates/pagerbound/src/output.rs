//! Writing command output. `println!` panics when stdout is a closed pipe
//! (`pagerbound token list | head -1`); this stops quietly instead, as
//! command-line tools do.

use std::io::{ErrorKind, Write};

/// Writes a line to stdout.
pub fn line(text: impl std::fmt::Display) {
    let mut stdout = std::io::stdout().lock();
    if let Err(error) = writeln!(stdout, "{text}") {
        if error.kind() == ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write output: {error}");
        std::process::exit(1);
    }
}

/// `println!` that stops quietly on a closed pipe.
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::output::line(format_args!($($arg)*))
    };
}

pub(crate) use outln;
