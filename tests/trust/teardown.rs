//! Teardown itself is interruptible: a signal during `down` stops it
//! between steps, with the ledger kept for the next `down`; it never
//! leaves the lab half removed with nothing to finish it from.

use crate::support::{Sandbox, privileged};

#[test]
fn ctrl_c_during_down_stops_between_steps_and_a_second_down_finishes() {
    if !privileged() {
        return;
    }
    let out = Sandbox::new()
        .step(&format!(
            "netscript {}/scripts/star.rhai hosts=600 ipv6=false 2>/dev/null",
            env!("CARGO_MANIFEST_DIR")
        ))
        // The signal comes once the first namespaces have gone.
        .step("netscript down star & pid=$!; for i in $(seq 2000); do [ $(ls /run/netns | wc -l) -lt 590 ] && break; sleep 0.002; done; \
               kill -INT $pid; wait $pid; echo \"exit $?\"")
        .step("netscript down star; ls /run/netns | wc -l; ip -br link show type veth | wc -l; ls /run/netscript/labs")
        .run();
    out[0].success();
    let first = &out[1];
    // Either it was done before the signal came, or it stopped and said so:
    // never killed halfway (exit 130).
    assert!(
        first.stdout.contains("exit 0")
            || (first.stdout.contains("exit 1") && first.stderr.contains("stopped before it was done")),
        "{}\n{}",
        first.stdout,
        first.stderr
    );
    let last: Vec<&str> = out[2].stdout.lines().collect();
    assert_eq!(&last[last.len() - 2..], ["0", "0"], "{}", out[2].stdout);
}
