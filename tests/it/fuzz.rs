//! A short fuzzing run of the bundle reader and the stub's start-up reads
//! (`archive/fuzz/run.sh`, libFuzzer on the stable toolchain), seeded with a real bundle:
//! no crash, and libFuzzer ran and explored (executions and new inputs counted).

use std::process::Command;
use std::time::Duration;

use pyfreeze_tests::{bundle, newest_interpreter, run_command, test_name, workspace_root, Status};

const SECONDS: u32 = 15;

#[test]
fn a_short_fuzzing_run_finds_no_crash() {
    let python = newest_interpreter();
    let frozen = bundle("hello", python).unwrap_or_else(|e| panic!("{e}"));
    let script = workspace_root().join("archive/fuzz/run.sh");
    let mut cmd = Command::new(&script);
    cmd.arg(SECONDS.to_string()).arg(&frozen.exe);
    let out = run_command(cmd, None, Duration::from_secs(900))
        .unwrap_or_else(|e| panic!("{}: cannot run {}: {e}", test_name!(), script.display()));
    assert_eq!(
        out.status,
        Status::Code(0),
        "{}: the fuzzing run failed\n{out}",
        test_name!()
    );
    for target in ["bundle", "startup"] {
        let said = out
            .stdout
            .split("fuzzing ")
            .find(|part| part.starts_with(target))
            .unwrap_or_default();
        let done = out.stderr.matches("Done ").count();
        assert!(
            said.contains(" inputs in ") && done == 2,
            "{}: {target} did not run to its end\n{out}",
            test_name!()
        );
    }
    let runs: Vec<u64> = out
        .stderr
        .lines()
        .filter_map(|line| line.strip_prefix("stat::number_of_executed_units:"))
        .filter_map(|n| n.trim().parse().ok())
        .collect();
    assert!(
        runs.len() == 2 && runs.iter().all(|&n| n > 10_000),
        "{}: each target should run many inputs, ran {runs:?}\n{out}",
        test_name!()
    );
}
