// SPDX-License-Identifier: MIT
// Rust panics through timed functions, caught by catch_unwind: every other
// round validate() panics through work(). With a return probe on either,
// the unwinder would fail ("failed to initiate panic") and abort.
use std::panic;

const ROUNDS: u32 = 40; // half panic: 20 finished, 20 unfinished each

#[inline(never)]
fn validate(i: u32) -> u32 {
    if i % 2 == 0 {
        panic!("even {}", i);
    }
    i * 3
}

#[inline(never)]
fn work(i: u32) -> u32 {
    validate(i) + 1
}

fn main() {
    // One round count the optimiser cannot see through.
    let rounds = ROUNDS + std::env::args().count() as u32 - 1;
    let mut caught = 0;

    panic::set_hook(Box::new(|_| {}));
    for i in 0..rounds {
        if panic::catch_unwind(|| work(i)).is_err() {
            caught += 1;
        }
    }
    std::process::exit(if caught == ROUNDS / 2 { 0 } else { 1 });
}
