//! What the tests that run the gateway binary share.

// Each test binary uses some of these.
#![allow(dead_code)]

use std::io::BufRead as _;
use std::process::{Child, Command, Stdio};

/// The gateway binary as a child process on an ephemeral loopback port,
/// killed when dropped.
pub struct GatewayProcess {
    pub child: Child,
    /// Where it listens, as it said on stdout.
    pub address: String,
}

impl GatewayProcess {
    /// Starts it against `upstream` with `RUST_LOG=rust_log`, its stderr
    /// going to `stderr`, and waits for its `listening on` line.
    pub fn start(upstream: &str, rust_log: &str, stderr: Stdio) -> GatewayProcess {
        GatewayProcess::start_with(upstream, &[], rust_log, stderr)
    }

    /// As [`start`](GatewayProcess::start), with more arguments.
    pub fn start_with(
        upstream: &str,
        args: &[&str],
        rust_log: &str,
        stderr: Stdio,
    ) -> GatewayProcess {
        GatewayProcess::start_with_env(upstream, args, &[], rust_log, stderr)
    }

    /// As [`start_with`](GatewayProcess::start_with), with environment
    /// variables.
    pub fn start_with_env(
        upstream: &str,
        args: &[&str],
        env: &[(&str, &str)],
        rust_log: &str,
        stderr: Stdio,
    ) -> GatewayProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_argstream-gateway"))
            .args(["--listen", "127.0.0.1:0", "--upstream", upstream])
            .args(args)
            .envs(env.iter().copied())
            .env("RUST_LOG", rust_log)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("the gateway binary starts");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let address = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("the gateway said {line:?}"))
            .to_owned();
        GatewayProcess { child, address }
    }
}

impl Drop for GatewayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
