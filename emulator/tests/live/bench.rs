//! Benchmark (ignored; run with
//! `cargo nextest run -p emulator --features live --test live --run-ignored only --no-capture bench`):
//! update calls through ic-agent over HTTP (one at a time: latency; 32 in flight: throughput), queries, and the
//! same update in-process, in a table.

use std::sync::Arc;
use std::time::{Duration, Instant};

use candid::{Encode, Principal};
use ic_agent::Identity;

use super::support::{ed25519, probe_wasm, LiveIc};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

async fn update(agent: Arc<ic_agent::Agent>, probe: Principal, arg: Vec<u8>) {
    agent.update(&probe, "increment").with_arg(arg).call_and_wait().await.expect("increment");
}

#[test]
#[ignore = "benchmark: run with --run-ignored only --no-capture"]
fn live_benchmark() {
    let identity = ed25519(1);
    let live = LiveIc::start(identity.sender().unwrap());
    let agent = Arc::new(live.agent(ed25519(1)));
    let probe = live.probe;
    let arg = Encode!().unwrap();
    for _ in 0..20 {
        live.block_on(update(agent.clone(), probe, arg.clone()));
    }

    let sequential = 300;
    let mut latencies = Vec::with_capacity(sequential);
    let started = Instant::now();
    for _ in 0..sequential {
        let call = Instant::now();
        live.block_on(update(agent.clone(), probe, arg.clone()));
        latencies.push(call.elapsed());
    }
    let sequential_rate = sequential as f64 / started.elapsed().as_secs_f64();
    latencies.sort();

    let (tasks, per_task) = (32, 32);
    let started = Instant::now();
    live.block_on(async {
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..tasks {
            let (agent, arg) = (agent.clone(), arg.clone());
            set.spawn(async move {
                for _ in 0..per_task {
                    update(agent.clone(), probe, arg.clone()).await;
                }
            });
        }
        while let Some(joined) = set.join_next().await {
            joined.expect("task");
        }
    });
    let concurrent_rate = (tasks * per_task) as f64 / started.elapsed().as_secs_f64();

    let queries = 500;
    let mut query_latencies = Vec::with_capacity(queries);
    let started = Instant::now();
    for _ in 0..queries {
        let call = Instant::now();
        live.block_on(agent.query(&probe, "counters").with_arg(arg.clone()).call()).expect("counters");
        query_latencies.push(call.elapsed());
    }
    let query_rate = queries as f64 / started.elapsed().as_secs_f64();
    query_latencies.sort();

    let in_process = emulator::PocketIc::new();
    let id = in_process.create_canister();
    in_process.install_canister(id, probe_wasm(), Encode!(&None::<()>).unwrap(), None);
    let calls = 5_000;
    let started = Instant::now();
    for _ in 0..calls {
        in_process.update_call(id, Principal::anonymous(), "increment", arg.clone()).expect("increment");
    }
    let in_process_elapsed = started.elapsed();
    let in_process_rate = calls as f64 / in_process_elapsed.as_secs_f64();

    println!("\n| live emulator (ic-agent 0.49, HTTP/1.1 on 127.0.0.1) | measured |");
    println!("|---|---|");
    println!("| update `increment`, one at a time ({sequential} calls) | {sequential_rate:.0} calls/s |");
    println!(
        "| latency of one update (v4 synchronous call, certificate verified) | median {}, p90 {}, p99 {} |",
        ms(percentile(&latencies, 0.5)),
        ms(percentile(&latencies, 0.9)),
        ms(percentile(&latencies, 0.99))
    );
    println!("| update `increment`, {tasks} in flight ({} calls) | {concurrent_rate:.0} calls/s |", tasks * per_task);
    println!(
        "| query `counters`, one at a time ({queries}; node signature verified) | {query_rate:.0} queries/s, median {} |",
        ms(percentile(&query_latencies, 0.5))
    );
    println!(
        "| in-process `update_call` `increment` ({calls} calls) | {in_process_rate:.0} calls/s ({:.1} µs each) |",
        in_process_elapsed.as_secs_f64() * 1e6 / calls as f64
    );
    #[derive(candid::CandidType, candid::Deserialize)]
    struct Counters {
        heap: u64,
    }
    let (counters,): (Counters,) = emulator::query_candid(&live.pic, probe, "counters", ()).expect("counters");
    assert_eq!(counters.heap, (20 + sequential + tasks * per_task) as u64, "every update ran exactly once");
}
