//! The language server on stdin/stdout, for trying it out and benchmarking before the
//! `proctor server` subcommand calls [`proctor_server::run_stdio`].

fn main() -> anyhow::Result<()> {
    proctor_server::run_stdio()
}
