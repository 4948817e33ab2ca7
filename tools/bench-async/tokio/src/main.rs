// The executor benchmark's second reference: bench_async.cc's workloads on tokio's multi-threaded
// runtime, with 1 and 2 workers and the same counts (tools/bench-async/workloads.h), timed the
// way Google Benchmark times bench_async (real time, iterations grown until one batch lasts
// --min-time) and written as the subset of Google Benchmark's JSON that executor_table.py reads.
//   tokio_spawn_complete: spawn n empty tasks from outside the runtime (the timing thread), wait
//   tokio_spawn_complete_inside: one task spawns the n
//   tokio_chained_spawn: each task spawns the next
//   tokio_yield: one task, n tokio::task::yield_now(); the timing thread blocks on its handle
//   tokio_ping_pong: two tasks, a value there and back over two mpsc channels of capacity 1
// Usage: tokio-reference [--out=FILE] [--min-time=SECONDS] [--repetitions=N] [--filter=TEXT]
//                        [--reference=LABEL]   (--filter: a plain substring of the name)
use std::future::Future;
use std::io::Write;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::task::{Context, Poll};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};
use tokio::runtime::{Builder, Runtime};
use tokio::sync::mpsc;

// The counts of tools/bench-async/workloads.h (kSpawnTasks, kChainLength, kYields,
// kPingPongRounds): operations per iteration.
const SPAWN_TASKS: u64 = 1_000_000;
const CHAIN_LENGTH: u64 = 200_000;
const YIELDS: u64 = 200_000;
const PING_PONG_ROUNDS: u64 = 50_000;

// bench::Completion: counts arrivals down to zero; the timing thread sleeps in wait() (park, a
// futex) rather than spinning, so that it does not take a core from two workers on two cores.
struct Completion {
    remaining: AtomicU32,
    waiter: Thread,
}

impl Completion {
    fn leak() -> &'static Completion {
        let waiter = thread::current();
        Box::leak(Box::new(Completion { remaining: AtomicU32::new(0), waiter }))
    }
    fn expect(&self, count: u64) {
        self.remaining.store(count as u32, Ordering::SeqCst);
    }
    fn arrive(&self) {
        if self.remaining.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.waiter.unpark();
        }
    }
    fn wait(&self) {
        while self.remaining.load(Ordering::Acquire) != 0 {
            thread::park();
        }
    }
}

// A link of the chain: spawns the next link (a new task per link, as bench_async's chain()),
// the last one arrives. Written out as a Future so that it holds no boxed recursion.
struct Chain {
    left: u64,
    done: &'static Completion,
}

impl Future for Chain {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        if self.left == 0 {
            self.done.arrive();
        } else {
            tokio::spawn(Chain { left: self.left - 1, done: self.done });
        }
        Poll::Ready(())
    }
}

fn spawn_complete(rt: &Runtime, n: u64, done: &'static Completion) {
    done.expect(n);
    for _ in 0..n {
        rt.spawn(async move { done.arrive() });
    }
    done.wait();
}

fn spawn_complete_inside(rt: &Runtime, n: u64, done: &'static Completion) {
    done.expect(n);
    rt.spawn(async move {
        for _ in 0..n {
            tokio::spawn(async move { done.arrive() });
        }
    });
    done.wait();
}

fn chained_spawn(rt: &Runtime, n: u64, done: &'static Completion) {
    done.expect(1);
    rt.spawn(Chain { left: n, done });
    done.wait();
}

fn yield_round_trips(rt: &Runtime, n: u64) {
    let handle = rt.spawn(async move {
        for _ in 0..n {
            tokio::task::yield_now().await;
        }
    });
    rt.block_on(handle).expect("yielder panicked");
}

type Ends = (mpsc::Sender<u64>, mpsc::Receiver<u64>);

// Runs `rounds` round trips; gives the ping sender and pong receiver back for the next iteration.
async fn pinger(ping: mpsc::Sender<u64>, mut pong: mpsc::Receiver<u64>, rounds: u64) -> Ends {
    for i in 0..rounds {
        ping.send(i).await.expect("ponger gone");
        pong.recv().await.expect("ponger gone");
    }
    (ping, pong)
}

async fn ponger(mut ping: mpsc::Receiver<u64>, pong: mpsc::Sender<u64>) {
    while let Some(value) = ping.recv().await {
        if pong.send(value).await.is_err() {
            return;
        }
    }
}

// Google Benchmark's iteration count: grow the batch until it lasts min_time, report that batch.
fn measure(min_time: Duration, mut iteration: impl FnMut()) -> (u64, Duration) {
    let mut iterations: u64 = 1;
    loop {
        let start = Instant::now();
        for _ in 0..iterations {
            iteration();
        }
        let elapsed = start.elapsed();
        if elapsed >= min_time || iterations >= 1_000_000_000 {
            return (iterations, elapsed);
        }
        let ratio = elapsed.as_secs_f64() / min_time.as_secs_f64();
        let grow = if ratio > 0.1 { (1.4 / ratio).min(10.0) } else { 10.0 };
        iterations = ((iterations as f64 * grow) as u64).max(iterations + 1);
    }
}

// One workload with `workers` worker threads: the iterations and their real time.
fn run(name: &str, workers: usize, n: u64, min_time: Duration) -> (u64, Duration) {
    let rt = Builder::new_multi_thread().worker_threads(workers).build().expect("tokio runtime");
    let done = Completion::leak();
    match name {
        "spawn_complete" => measure(min_time, || spawn_complete(&rt, n, done)),
        "spawn_complete_inside" => measure(min_time, || spawn_complete_inside(&rt, n, done)),
        "chained_spawn" => measure(min_time, || chained_spawn(&rt, n, done)),
        "yield" => measure(min_time, || yield_round_trips(&rt, n)),
        "ping_pong" => {
            let (ping_tx, ping_rx) = mpsc::channel::<u64>(1);
            let (pong_tx, pong_rx) = mpsc::channel::<u64>(1);
            let echo = rt.spawn(ponger(ping_rx, pong_tx));
            let mut ends = Some((ping_tx, pong_rx));
            let figure = measure(min_time, || {
                let (ping, pong) = ends.take().expect("ends");
                let handle = rt.spawn(pinger(ping, pong, n));
                ends = Some(rt.block_on(handle).expect("pinger panicked"));
            });
            drop(ends);  // closes the ping channel: the ponger returns
            rt.block_on(echo).expect("ponger panicked");
            figure
        }
        _ => unreachable!(),
    }
}

struct Options {
    out: Option<String>,
    min_time: Duration,
    repetitions: u32,
    filter: String,
    reference: String,
}

fn options() -> Options {
    let mut o = Options {
        out: None,
        min_time: Duration::from_millis(500),
        repetitions: 1,
        filter: String::new(),
        reference: "tokio multi_thread".to_string(),
    };
    for arg in std::env::args().skip(1) {
        let (key, value) = arg.split_once('=').unwrap_or((arg.as_str(), ""));
        match key {
            "--out" => o.out = Some(value.to_string()),
            "--min-time" => o.min_time = Duration::from_secs_f64(value.parse().expect("--min-time")),
            "--repetitions" => o.repetitions = value.parse().expect("--repetitions"),
            "--filter" => o.filter = value.to_string(),
            "--reference" => o.reference = value.to_string(),
            _ => {
                eprintln!("tokio-reference: unknown argument {}", arg);
                std::process::exit(2);
            }
        }
    }
    o
}

fn main() {
    let o = options();
    let workloads = [
        ("spawn_complete", SPAWN_TASKS),
        ("spawn_complete_inside", SPAWN_TASKS),
        ("chained_spawn", CHAIN_LENGTH),
        ("yield", YIELDS),
        ("ping_pong", PING_PONG_ROUNDS),
    ];
    let mut runs = Vec::new();
    for (name, n) in workloads {
        for workers in [1usize, 2] {
            let full = format!("tokio_{}/workers:{}/n:{}/real_time", name, workers, n);
            if !full.contains(&o.filter) {
                continue;
            }
            for _ in 0..o.repetitions {
                let (iterations, elapsed) = run(name, workers, n, o.min_time);
                let ns_per_iteration = elapsed.as_secs_f64() * 1e9 / iterations as f64;
                let items_per_second = (iterations * n) as f64 / elapsed.as_secs_f64();
                eprintln!("{:<50} {:>12.0} ns {:>10} iterations", full, ns_per_iteration, iterations);
                runs.push(format!(
                    "    {{\"name\": \"{0}\", \"run_name\": \"{0}\", \"run_type\": \"iteration\", \
                     \"iterations\": {1}, \"real_time\": {2:.1}, \"time_unit\": \"ns\", \
                     \"items_per_second\": {3:.1}}}",
                    full, iterations, ns_per_iteration, items_per_second
                ));
            }
        }
    }
    let json = format!(
        "{{\n  \"context\": {{\"tokio_reference\": \"{}\"}},\n  \"benchmarks\": [\n{}\n  ]\n}}\n",
        o.reference,
        runs.join(",\n")
    );
    match o.out {
        Some(path) => std::fs::write(&path, json).expect("writing --out"),
        None => std::io::stdout().write_all(json.as_bytes()).expect("writing stdout"),
    }
}
