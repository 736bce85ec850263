//! Memory and CPU time of a process, read from Linux's `/proc`.

use anyhow::{Context as _, Result, bail, ensure};
use serde::Serialize;

/// Resident memory of a process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Memory {
    /// Resident set size now (`VmRSS`).
    pub rss_bytes: u64,
    /// Highest resident set size so far (`VmHWM`).
    pub peak_rss_bytes: u64,
}

/// Reads the resident and peak resident memory of process `pid`.
pub fn memory(pid: u32) -> Result<Memory> {
    let path = format!("/proc/{pid}/status");
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    parse_status(&text).with_context(|| format!("parsing {path}"))
}

/// Reads the CPU time (user + system) process `pid` has used, in seconds.
pub fn cpu_seconds(pid: u32) -> Result<f64> {
    stat_cpu_seconds(&format!("/proc/{pid}/stat"))
}

/// Reads the CPU time (user + system) this process has used, in seconds.
pub fn own_cpu_seconds() -> Result<f64> {
    stat_cpu_seconds("/proc/self/stat")
}

fn stat_cpu_seconds(path: &str) -> Result<f64> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
    let ticks = parse_stat_cpu_ticks(&text).with_context(|| format!("parsing {path}"))?;
    // /proc counts in USER_HZ ticks (100 per second on Linux); asking the
    // kernel keeps this right wherever it is not.
    Ok(ticks as f64 / rustix::param::clock_ticks_per_second() as f64)
}

/// CPU time all processes of the machine have used (every state but idle
/// and waiting for I/O), in seconds summed over all cores.
pub fn machine_busy_seconds() -> Result<f64> {
    let path = "/proc/stat";
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
    let ticks = parse_machine_busy_ticks(&text).with_context(|| format!("parsing {path}"))?;
    Ok(ticks as f64 / rustix::param::clock_ticks_per_second() as f64)
}

/// Busy ticks of the `cpu` line of a `/proc/stat` text: user, nice,
/// system, irq, softirq and steal (guest time is already in user).
pub fn parse_machine_busy_ticks(text: &str) -> Result<u64> {
    let line = text
        .lines()
        .find_map(|line| line.strip_prefix("cpu "))
        .context("no aggregate cpu line")?;
    let ticks = line
        .split_whitespace()
        .map(|field| field.parse::<u64>())
        .collect::<Result<Vec<u64>, _>>()
        .with_context(|| format!("not all numbers: {line:?}"))?;
    ensure!(ticks.len() >= 8, "only {} fields: {line:?}", ticks.len());
    // user nice system idle iowait irq softirq steal [guest guest_nice]
    Ok(ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6] + ticks[7])
}

/// `VmRSS` and `VmHWM` of a `/proc/PID/status` text.
pub fn parse_status(text: &str) -> Result<Memory> {
    let field = |name: &str| -> Result<u64> {
        let line = text
            .lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
            .with_context(|| format!("no {name} line"))?;
        let kib = line
            .trim()
            .strip_suffix("kB")
            .with_context(|| format!("{name} is not in kB: {line:?}"))?
            .trim()
            .parse::<u64>()
            .with_context(|| format!("{name} is not a number: {line:?}"))?;
        Ok(kib * 1024)
    };
    Ok(Memory {
        rss_bytes: field("VmRSS")?,
        peak_rss_bytes: field("VmHWM")?,
    })
}

/// `utime + stime`, in clock ticks, of a `/proc/PID/stat` text.
pub fn parse_stat_cpu_ticks(text: &str) -> Result<u64> {
    // The command name (field 2) is in parentheses and may itself hold
    // spaces and parentheses, so fields are counted from the last ')'.
    let Some((_, rest)) = text.rsplit_once(')') else {
        bail!("no ')' closing the command name");
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state); utime and stime are fields 14 and 15.
    let field = |number: usize| -> Result<u64> {
        let raw = fields
            .get(number - 3)
            .with_context(|| format!("only {} fields after the name", fields.len()))?;
        raw.parse()
            .with_context(|| format!("field {number} is not a number: {raw:?}"))
    };
    Ok(field(14)? + field(15)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &str = "Name:\talertmanager\nUmask:\t0022\nState:\tS (sleeping)\n\
        VmPeak:\t 1296412 kB\nVmSize:\t 1296412 kB\nVmLck:\t       0 kB\n\
        VmPin:\t       0 kB\nVmHWM:\t   52340 kB\nVmRSS:\t   48212 kB\n\
        RssAnon:\t   30000 kB\nThreads:\t9\n";

    #[test]
    fn status_gives_rss_and_peak_rss_in_bytes() {
        assert_eq!(
            parse_status(STATUS).expect("sample parses"),
            Memory {
                rss_bytes: 48212 * 1024,
                peak_rss_bytes: 52340 * 1024,
            }
        );
    }

    #[test]
    fn status_without_rss_is_an_error() {
        // Kernel threads have no VmRSS line.
        assert!(parse_status("Name:\tkthreadd\nState:\tS (sleeping)\n").is_err());
    }

    #[test]
    fn stat_cpu_ticks_survive_odd_command_names() {
        let stat = "4242 (we ird) (name)) S 1 4242 4242 0 -1 4194560 5000 0 12 0 \
                    1234 567 0 0 20 0 9 0 100 1296412 12053 18446744073709551615";
        assert_eq!(
            parse_stat_cpu_ticks(stat).expect("sample parses"),
            1234 + 567
        );
    }

    #[test]
    fn truncated_stat_is_an_error() {
        assert!(parse_stat_cpu_ticks("1 (init) S 0 1").is_err());
        assert!(parse_stat_cpu_ticks("garbage").is_err());
    }

    #[test]
    fn machine_busy_ticks_leave_out_idle_and_iowait() {
        let stat = "cpu  100 20 30 5000 400 6 7 8 50 0\ncpu0 50 10 15 2500 200 3 3 4 25 0\n";
        assert_eq!(
            parse_machine_busy_ticks(stat).expect("sample parses"),
            100 + 20 + 30 + 6 + 7 + 8
        );
        assert!(parse_machine_busy_ticks("cpu0 1 2 3\n").is_err());
    }

    #[test]
    fn own_process_is_readable() {
        let memory = memory(std::process::id()).expect("own status is readable");
        assert!(memory.rss_bytes > 0 && memory.peak_rss_bytes >= memory.rss_bytes);
        assert!(own_cpu_seconds().expect("own stat is readable") >= 0.0);
        assert!(machine_busy_seconds().expect("/proc/stat is readable") > 0.0);
    }
}
