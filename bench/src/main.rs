//! The benchmark driver: one server and N clients in one process over UDP on 127.0.0.1; once
//! all are connected, each tick every client sends K payloads of P bytes, the server echoes
//! each, the clients drain; every payload's content is checked. Written four ways and run in
//! alternation, several repetitions, so that only ratios from the same invocation are compared:
//!
//! - `crate`: this crate's idiomatic API (NetcodeServer, NetcodeClient, Payload views);
//! - `crate-0.3.1`: this crate's netcode 0.3.1 API (UdpServer, UdpClient, next_event);
//! - `c`: the same scenario in plain C against the same libnetcode.a (csrc/echo_bench.c),
//!   called in this process;
//! - `udp`: raw UDP echo without any protocol or crypto (the floor).
//!
//! ```text
//! cargo run --release -p netcode-bench -- [--quick] [--vs-c] [--reps N] [--write BENCHMARKS.md]
//! cargo run --release -p netcode-bench -- [--quick] --only VARIANT N P   (one run, to profile)
//! ```
//!
//! Prints a table of medians (min-max) of payload packets per second (both directions) and CPU
//! microseconds per packet, and the ratios crate/c, crate-0.3.1/c, crate/udp.

use std::net::{SocketAddr, UdpSocket};
use std::process::Command;
use std::time::Instant;

use netcode::{ConnectionState, NetcodeClient, NetcodeServer, ServerConfig};

pub(crate) const PROTOCOL_ID: u64 = 0x42;
mod chart;
mod peers;

const VARIANTS: [&str; 7] = [
    "crate",
    "crate-0.3.1",
    "c",
    "udp",
    "netcode-official",
    "renetcode",
    "crate-1.02",
];

#[derive(Clone, Copy)]
pub(crate) struct Config {
    pub clients: usize,
    pub k: usize,
    pub p: usize,
    pub ticks: usize,
}

/// One run's measurements; also written by the C variant (struct echo_bench_sample).
#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub(crate) struct Sample {
    pub connect_seconds: f64,
    pub received: u64,
    pub wall: f64,
    pub cpu: f64,
    pub lost: i64,
    pub bad: u64,
}

impl Sample {
    fn packets_per_second(&self) -> f64 {
        self.received as f64 / self.wall
    }
    fn cpu_us_per_packet(&self) -> f64 {
        self.cpu * 1e6 / self.received.max(1) as f64
    }
}

pub(crate) fn cpu_seconds() -> f64 {
    let mut usage: libc::rusage = unsafe_zeroed_rusage();
    // SAFETY: getrusage writes one rusage through a valid pointer.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    t(usage.ru_utime) + t(usage.ru_stime)
}

fn unsafe_zeroed_rusage() -> libc::rusage {
    // SAFETY: rusage is plain old data; all zeros is a valid value.
    unsafe { std::mem::zeroed() }
}

extern "C" {
    fn bench_fill(data: *mut u8, bytes: libc::c_int, n: u32, c: libc::c_int);
    fn bench_check(
        data: *const u8,
        bytes: libc::c_int,
        expected_bytes: libc::c_int,
        c: libc::c_int,
    ) -> libc::c_int;
    fn echo_bench_run(
        clients: libc::c_int,
        k: libc::c_int,
        p: libc::c_int,
        ticks: libc::c_int,
        key: *mut u8,
        sample: *mut Sample,
    ) -> libc::c_int;
}

/// Payload n of client c (csrc/payload.c: the same code in every variant).
pub(crate) fn fill(buffer: &mut [u8], n: u32, c: usize) {
    // SAFETY: the C writes exactly buffer.len() bytes.
    unsafe {
        bench_fill(
            buffer.as_mut_ptr(),
            buffer.len() as libc::c_int,
            n,
            c as libc::c_int,
        )
    }
}

/// Whether `data` is an intact payload of P bytes from client c (csrc/payload.c).
pub(crate) fn check(data: &[u8], p: usize, c: usize) -> bool {
    // SAFETY: the C reads exactly data.len() bytes.
    unsafe {
        bench_check(
            data.as_ptr(),
            data.len() as libc::c_int,
            p as libc::c_int,
            c as libc::c_int,
        ) == 1
    }
}

/// The idiomatic API on `version`: NETCODE 1.00 against the plain C (which speaks it), 1.02
/// against the pure-Rust peers (which speak it).
fn run_crate(config: Config, version: netcode::Version) -> Sample {
    let key = netcode::generate_key();
    let server_config = ServerConfig::new("127.0.0.1:0".parse().unwrap(), PROTOCOL_ID, key)
        .max_clients(config.clients)
        .version(version);
    let mut server = NetcodeServer::new(server_config).unwrap();
    let mut clients: Vec<NetcodeClient> = (0..config.clients)
        .map(|c| {
            let token = server.generate_token(c as u64 + 1, &[0; 256]).unwrap();
            let mut client = NetcodeClient::new("0.0.0.0:0".parse().unwrap()).unwrap();
            client.connect(&token).unwrap();
            client
        })
        .collect();
    let mut time = 0.0;
    let start = Instant::now();
    while server.num_connected_clients() < config.clients
        || clients
            .iter()
            .any(|c| c.state() != ConnectionState::Connected)
    {
        time += 0.1;
        clients.iter_mut().for_each(|c| c.update(time));
        server.update(time);
        assert!(start.elapsed().as_secs() < 60, "clients did not connect");
    }
    let connect_seconds = start.elapsed().as_secs_f64();
    // Each client's session, kept as a game keeps it from the client's connect (the C keeps
    // its slot index).
    let sessions: Vec<netcode::Session> = server.clients().map(|client| client.session).collect();
    let mut buffer = vec![0u8; config.p];
    let mut echo = [0u8; netcode::NETCODE_MAX_PAYLOAD_SIZE];
    let (mut received, mut bad, mut sent, mut n) = (0u64, 0u64, 0u64, 0u32);
    let (wall0, cpu0) = (Instant::now(), cpu_seconds());
    for _ in 0..config.ticks {
        time += 0.001;
        for (c, client) in clients.iter_mut().enumerate() {
            for _ in 0..config.k {
                fill(&mut buffer, n, c);
                n = n.wrapping_add(1);
                client.send(&buffer).unwrap();
                sent += 1;
            }
        }
        server.update(time);
        for &session in &sessions {
            loop {
                let Some(payload) = server.receive(session) else {
                    break;
                };
                received += 1;
                // The view borrows the server, so the echo goes through a reused buffer (a copy
                // of up to 1200 bytes, no allocation).
                let len = payload.len();
                echo[..len].copy_from_slice(&payload);
                drop(payload);
                server.send(session, &echo[..len]).unwrap();
            }
        }
        for (c, client) in clients.iter_mut().enumerate() {
            client.update(time);
            while let Some(payload) = client.receive() {
                received += 1;
                bad += u64::from(!check(&payload, config.p, c));
            }
        }
    }
    Sample {
        connect_seconds,
        received,
        wall: wall0.elapsed().as_secs_f64(),
        cpu: cpu_seconds() - cpu0,
        lost: 2 * sent as i64 - received as i64,
        bad,
    }
}

fn run_031(config: Config) -> Sample {
    use netcode::{ClientEvent, ServerEvent, UdpClient, UdpServer, NETCODE_MAX_PAYLOAD_SIZE};
    let key = netcode::generate_key();
    let mut server = UdpServer::new("127.0.0.1:0", config.clients, PROTOCOL_ID, &key).unwrap();
    let mut clients: Vec<UdpClient> = (0..config.clients)
        .map(|c| UdpClient::new(&server.generate_token(30, c as u64 + 1, None).unwrap()).unwrap())
        .collect();
    let mut packet = [0u8; NETCODE_MAX_PAYLOAD_SIZE];
    let start = Instant::now();
    let mut connected = 0;
    while connected < config.clients
        || clients
            .iter()
            .any(|c| c.get_state() != netcode::ClientState::Connected)
    {
        clients.iter_mut().for_each(|c| {
            c.update(0.1);
            while let Ok(Some(_)) = c.next_event(&mut packet) {}
        });
        server.update(0.1);
        while let Ok(Some(event)) = server.next_event(&mut packet) {
            connected += usize::from(matches!(event, ServerEvent::ClientConnect(_)));
        }
        assert!(start.elapsed().as_secs() < 60, "clients did not connect");
    }
    let connect_seconds = start.elapsed().as_secs_f64();
    let mut buffer = vec![0u8; config.p];
    let (mut received, mut bad, mut sent, mut n) = (0u64, 0u64, 0u64, 0u32);
    let (wall0, cpu0) = (Instant::now(), cpu_seconds());
    for _ in 0..config.ticks {
        for (c, client) in clients.iter_mut().enumerate() {
            for _ in 0..config.k {
                fill(&mut buffer, n, c);
                n = n.wrapping_add(1);
                client.send(&buffer).unwrap();
                sent += 1;
            }
        }
        server.update(0.001);
        while let Ok(Some(event)) = server.next_event(&mut packet) {
            if let ServerEvent::Packet(id, len) = event {
                received += 1;
                server.send(id, &packet[..len]).unwrap();
            }
        }
        for (c, client) in clients.iter_mut().enumerate() {
            client.update(0.001);
            while let Ok(Some(event)) = client.next_event(&mut packet) {
                if let ClientEvent::Packet(len) = event {
                    received += 1;
                    bad += u64::from(!check(&packet[..len], config.p, c));
                }
            }
        }
    }
    Sample {
        connect_seconds,
        received,
        wall: wall0.elapsed().as_secs_f64(),
        cpu: cpu_seconds() - cpu0,
        lost: 2 * sent as i64 - received as i64,
        bad,
    }
}

/// The plain C (csrc/echo_bench.c), called in this process like the other variants.
fn run_c(config: Config) -> Sample {
    // Initializes netcode for the C (the crate does it once per process) and makes the key.
    let mut key = netcode::generate_key();
    let mut sample = Sample::default();
    let int = |v: usize| libc::c_int::try_from(v).expect("a configuration that fits a C int");
    // SAFETY: the C reads NETCODE_KEY_BYTES of the key, writes one sample whose layout is
    // Sample's (#[repr(C)], the same field types in the same order), and keeps neither pointer;
    // netcode is initialized (generate_key above).
    let status = unsafe {
        echo_bench_run(
            int(config.clients),
            int(config.k),
            int(config.p),
            int(config.ticks),
            key.as_mut_ptr(),
            &mut sample,
        )
    };
    assert_eq!(status, 0, "the C benchmark's clients did not connect");
    sample
}

/// A nonblocking UDP socket on 127.0.0.1 with the buffer sizes the reference C asks for
/// (1 MiB each way), so that every variant's sockets are alike.
pub(crate) fn udp_socket() -> UdpSocket {
    use std::os::fd::AsRawFd;
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_nonblocking(true).unwrap();
    let size: libc::c_int = 1024 * 1024;
    for option in [libc::SO_SNDBUF, libc::SO_RCVBUF] {
        // SAFETY: setsockopt on a valid socket with a pointer to an int and its size.
        unsafe {
            libc::setsockopt(
                socket.as_raw_fd(),
                libc::SOL_SOCKET,
                option,
                (&size as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
    }
    socket
}

fn run_udp(config: Config) -> Sample {
    let server = udp_socket();
    let server_address = server.local_addr().unwrap();
    let clients: Vec<UdpSocket> = (0..config.clients).map(|_| udp_socket()).collect();
    let mut buffer = vec![0u8; config.p];
    let mut incoming = [0u8; 2048];
    let (mut received, mut bad, mut sent, mut n) = (0u64, 0u64, 0u64, 0u32);
    let (wall0, cpu0) = (Instant::now(), cpu_seconds());
    for _ in 0..config.ticks {
        for (c, client) in clients.iter().enumerate() {
            for _ in 0..config.k {
                fill(&mut buffer, n, c);
                n = n.wrapping_add(1);
                client.send_to(&buffer, server_address).unwrap();
                sent += 1;
            }
        }
        while let Ok((len, from)) = server.recv_from(&mut incoming) {
            received += 1;
            let _ = server.send_to(&incoming[..len], from);
        }
        for (c, client) in clients.iter().enumerate() {
            while let Ok(len) = client.recv(&mut incoming) {
                received += 1;
                bad += u64::from(!check(&incoming[..len], config.p, c));
            }
        }
    }
    let _: SocketAddr = server_address;
    Sample {
        connect_seconds: 0.0,
        received,
        wall: wall0.elapsed().as_secs_f64(),
        cpu: cpu_seconds() - cpu0,
        lost: 2 * sent as i64 - received as i64,
        bad,
    }
}

fn run(variant: &str, config: Config) -> Sample {
    match variant {
        "crate" => run_crate(config, netcode::Version::V1_00),
        "crate-1.02" => run_crate(config, netcode::Version::V1_02),
        "crate-0.3.1" => run_031(config),
        "c" => run_c(config),
        "netcode-official" => peers::run_official(config),
        "renetcode" => peers::run_renetcode(config),
        _ => run_udp(config),
    }
}

/// Where `name` stands in [`VARIANTS`].
fn index_of(name: &str) -> usize {
    VARIANTS
        .iter()
        .position(|variant| *variant == name)
        .expect("a variant of VARIANTS")
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    values[values.len() / 2]
}

/// Runs every variant on one CPU (the last one): no variant migrates between cores or runs on
/// a different one than the others, one source of run-to-run noise less in the comparison.
/// Every variant is one thread. Returns the CPU, or None where there is only one or the system
/// refuses.
fn pin_to_one_cpu() -> Option<usize> {
    // SAFETY: sysconf only reads a system value.
    let cpus = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
    let cpu = usize::try_from(cpus)
        .ok()?
        .checked_sub(1)
        .filter(|&c| c > 0)?;
    // SAFETY: a zeroed cpu_set_t is the empty set; CPU_SET writes one bit of it (cpu is below
    // the online count, far below CPU_SETSIZE here); sched_setaffinity reads the set whose
    // size it is given, for this process (0).
    let pinned = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) == 0
    };
    pinned.then_some(cpu)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(cpu) = pin_to_one_cpu() {
        eprintln!("netcode-bench: every variant runs on CPU {cpu}");
    }
    let quick = args.iter().any(|a| a == "--quick");
    let reps: usize = args
        .iter()
        .position(|a| a == "--reps")
        .and_then(|i| args.get(i + 1))
        .and_then(|r| r.parse().ok())
        .unwrap_or(if quick { 1 } else { 5 });
    let write = args
        .iter()
        .position(|a| a == "--write")
        .and_then(|i| args.get(i + 1))
        .cloned();
    // --vs-c: only this crate's variants and the plain C (the ratio the wrapper is held to), so
    // that many more repetitions fit in the same time; the other columns show "-".
    let variants: Vec<usize> = if args.iter().any(|a| a == "--vs-c") {
        ["crate", "crate-0.3.1", "c"]
            .iter()
            .map(|name| index_of(name))
            .collect()
    } else {
        (0..VARIANTS.len()).collect()
    };
    let packets_per_run = if quick { 2_000 } else { 200_000 };
    let clients: &[usize] = if quick { &[1, 16] } else { &[1, 16, 64, 256] };
    // --only VARIANT N P: one run of one configuration, for a profiler (callgrind, perf).
    if let Some(i) = args.iter().position(|a| a == "--only") {
        let arg = |k: usize| args.get(i + k).cloned().unwrap_or_default();
        let (n, p): (usize, usize) = (arg(2).parse().unwrap_or(16), arg(3).parse().unwrap_or(100));
        let k = if n >= 64 { 1 } else { 4 };
        let config = Config {
            clients: n,
            k,
            p,
            ticks: (packets_per_run / (2 * n * k)).max(10),
        };
        let sample = run(&arg(1), config);
        println!(
            "{} packets, {:.3} s, {:.2} µs CPU per packet",
            sample.received,
            sample.wall,
            sample.cpu_us_per_packet()
        );
        return;
    }

    let mut table = String::new();
    let mut groups: Vec<(String, Vec<f64>)> = Vec::new();
    table.push_str(
        "| N | P | K | variant | packets/s median (min-max) | CPU µs/packet | connect s | lost | vs c (quartiles) | vs best pure-Rust | vs udp |\n",
    );
    table.push_str("|---|---|---|---|---|---|---|---|---|---|---|\n");
    for &n in clients {
        for p in [100usize, 1000] {
            // Few payloads per tick for many clients: the socket buffers hold one tick's traffic.
            let k = if n >= 64 { 1 } else { 4 };
            let ticks = (packets_per_run / (2 * n * k)).max(10);
            let config = Config {
                clients: n,
                k,
                p,
                ticks,
            };
            let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); VARIANTS.len()];
            for rep in 0..reps {
                // Alternate the order, so drift in the machine's speed spreads over all variants.
                for i in 0..variants.len() {
                    let v = variants[(i + rep) % variants.len()];
                    let sample = run(VARIANTS[v], config);
                    assert_eq!(sample.bad, 0, "{}: payloads arrived altered", VARIANTS[v]);
                    samples[v].push(sample);
                }
            }
            // The median rate of a variant, or 0 if it did not run.
            let rate = |v: usize| {
                let mut rates: Vec<f64> =
                    samples[v].iter().map(Sample::packets_per_second).collect();
                if rates.is_empty() {
                    0.0
                } else {
                    median(&mut rates)
                }
            };
            let udp_rate = rate(index_of("udp"));
            let best_rust = rate(index_of("netcode-official")).max(rate(index_of("renetcode")));
            groups.push((
                format!("{n}/{p}"),
                (0..VARIANTS.len()).map(rate).collect::<Vec<_>>(),
            ));
            let c = index_of("c");
            for (v, name) in VARIANTS.iter().enumerate() {
                if samples[v].is_empty() {
                    continue;
                }
                let mut rates: Vec<f64> =
                    samples[v].iter().map(Sample::packets_per_second).collect();
                let m = median(&mut rates);
                let (lo, hi) = (rates[0], rates[rates.len() - 1]);
                let cpu = median(
                    &mut samples[v]
                        .iter()
                        .map(Sample::cpu_us_per_packet)
                        .collect::<Vec<_>>(),
                );
                let connect = median(
                    &mut samples[v]
                        .iter()
                        .map(|s| s.connect_seconds)
                        .collect::<Vec<_>>(),
                );
                let lost: i64 = samples[v].iter().map(|s| s.lost).sum();
                // Against the C: the median of the per-repetition ratios, each from two runs
                // made within seconds of each other, so a drift in the machine's speed cancels.
                // With its quartiles: how far one repetition's ratio strays.
                let mut ratios: Vec<f64> = samples[v]
                    .iter()
                    .zip(&samples[c])
                    .map(|(s, c)| s.packets_per_second() / c.packets_per_second())
                    .collect();
                let vs_c = median(&mut ratios);
                let quartile = |q: usize| ratios[(ratios.len() - 1) * q / 4];
                let vs_c = format!("{vs_c:.3} ({:.3}-{:.3})", quartile(1), quartile(3));
                let against = |reference: f64| {
                    if reference > 0.0 {
                        format!("{:.3}", m / reference)
                    } else {
                        "-".to_string()
                    }
                };
                let line = format!(
                    "| {n} | {p} | {k} | {name} | {m:.0} ({lo:.0}-{hi:.0}) | {cpu:.2} | {connect:.3} | {lost} | {vs_c} | {} | {} |\n",
                    against(best_rust),
                    against(udp_rate)
                );
                print!("{line}");
                table.push_str(&line);
            }
        }
    }
    if let Some(path) = write {
        let date = Command::new("date")
            .args(["-u", "+%Y-%m-%d %H:%M UTC"])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default();
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        // The full table, with its chart; or --vs-c's table in a section of its own.
        let full = variants.len() == VARIANTS.len();
        let section = if full { "results" } else { "vs-c" };
        let (begin, end) = (
            format!("<!-- {section}: begin -->"),
            format!("<!-- {section}: end -->"),
        );
        let results = format!("{begin}\nMeasured {date}, {reps} repetitions, {packets_per_run} packets per run.\n\n{table}{end}");
        let updated = match (text.find(&begin), text.find(&end)) {
            (Some(b), Some(e)) => format!("{}{}{}", &text[..b], results, &text[e + end.len()..]),
            _ => format!("{text}\n{results}\n"),
        };
        std::fs::write(&path, updated).expect("write the results");
        println!("wrote the table into {path}");
        if !full {
            return;
        }
        let chart = std::path::Path::new(&path).with_extension("svg");
        std::fs::write(
            &chart,
            chart::svg(&format!("netcode benchmarks, {date}"), &VARIANTS, &groups),
        )
        .expect("write the chart");
        println!("drew the chart into {}", chart.display());
    }
}
