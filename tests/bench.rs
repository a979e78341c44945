//! The benchmark compares like with like: its iproute2 forms build the same
//! lab as scripts/star.rhai.

use crate::support::{DUMP, Sandbox, assert_same_state, normalize, privileged};

#[test]
fn iproute2_forms_build_the_star_lab() {
    if !privileged() {
        return;
    }
    let root = env!("CARGO_MANIFEST_DIR");
    let emit = format!("{root}/bench/star.sh --emit \"$(pwd)\" 4");
    let ours = Sandbox::new().step(&format!("netscript {root}/scripts/star.rhai hosts=4")).step(DUMP).run();
    let batch = Sandbox::new()
        .step(&emit)
        .step("ip -batch host.batch && for i in 1 2 3 4; do ip -n h$i -batch ns$i.batch; done")
        .step(DUMP)
        .run();
    let steps = Sandbox::new().step(&emit).step("bash -e steps.sh").step(DUMP).run();
    ours[0].success();
    batch[1].success();
    steps[1].success();
    let ours = normalize(&ours[1].json());
    assert_same_state(&ours, &normalize(&batch[2].json()), "star.rhai, then ip -batch");
    assert_same_state(&ours, &normalize(&steps[2].json()), "star.rhai, then one ip per step");
    assert_eq!(ours.as_object().unwrap().len(), 5, "the host and h1..h4: {ours}");
}

#[test]
fn the_iproute2_form_builds_the_grid_lab() {
    if !privileged() {
        return;
    }
    let root = env!("CARGO_MANIFEST_DIR");
    let ours =
        Sandbox::new().step(&format!("netscript {root}/scripts/grid.rhai rows=3 cols=3")).step(DUMP).run();
    let theirs = Sandbox::new()
        .step(&format!("{root}/bench/grid.sh --emit \"$(pwd)\" 3 && bash -e build.sh"))
        .step(DUMP)
        .run();
    ours[0].success();
    theirs[0].success();
    let ours = normalize(&ours[1].json());
    assert_same_state(&ours, &normalize(&theirs[1].json()), "grid.rhai, then its iproute2 form");
    // The host and nine routers, each forwarding.
    assert_eq!(ours.as_object().unwrap().len(), 10, "{ours}");
    assert_eq!(ours["r2-2"]["forwarding"], "1");
    assert_eq!(ours["r2-2"]["links"].as_array().unwrap().len(), 5, "lo and four neighbours");
}
