//! A minimal app without sigil, for the binary size benchmark (`cargo bench --bench size`).

#![allow(clippy::print_stdout)]

fn main() {
    println!("hello from a minimal app");
}
