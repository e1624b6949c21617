//! `netcode-backend`: the token service (see backend/README.md).
//!
//!     netcode-backend                    serve, with the settings in the environment
//!     netcode-backend session PLAYER_ID  print a demo session token for PLAYER_ID (what a
//!                                        login service would hand the player)
//!     netcode-backend keygen FILE        write a fresh private key for the fleet to FILE

use std::process::ExitCode;
use std::time::Duration;

use netcode_backend::{App, Config, SessionTokens};

const USAGE: &str = "\
usage: netcode-backend                      serve (settings: environment, see backend/README.md)
       netcode-backend session PLAYER_ID    print a demo session token (needs NETCODE_BACKEND_SESSION_SECRET)
       netcode-backend keygen FILE          write a new 32-byte private key to FILE
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        [] => serve(),
        ["session", id] => session(id),
        ["keygen", path] => keygen(path),
        ["--help" | "-h"] => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => {
            eprint!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("netcode-backend: {message}");
            ExitCode::FAILURE
        }
    }
}

fn sessions() -> Result<SessionTokens, String> {
    let secret = std::env::var("NETCODE_BACKEND_SESSION_SECRET")
        .map_err(|_| "NETCODE_BACKEND_SESSION_SECRET is not set".to_string())?;
    SessionTokens::new(secret.into_bytes())
}

fn session(id: &str) -> Result<(), String> {
    let id = id
        .parse::<u64>()
        .map_err(|_| format!("PLAYER_ID: {id:?} is not a number"))?;
    println!("{}", sessions()?.issue(id, Duration::from_secs(3600)));
    Ok(())
}

fn keygen(path: &str) -> Result<(), String> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .map_err(|e| format!("cannot create {path} (it must not exist yet): {e}"))?;
    file.write_all(&netcode::generate_key())
        .map_err(|e| format!("cannot write {path}: {e}"))
}

fn serve() -> Result<(), String> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("NETCODE_BACKEND_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .init();
    let config = Config::from_env()?;
    let sessions = sessions()?;
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let app = App::new(config.clone(), sessions)
            .await
            .map_err(|e| format!("cannot reach the store: {}", e.0))?;
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
        tracing::info!(
            listen = %config.listen,
            protocol = %config.version,
            protocol_id = format_args!("{:#018x}", config.protocol_id),
            store = if config.redis_url.is_some() { "redis" } else { "memory" },
            "netcode-backend serving"
        );
        // Ctrl-C, or SIGTERM (what Docker, Kubernetes and systemd send to stop a process).
        let stop = async {
            #[cfg(unix)]
            {
                use tokio::signal::unix::{signal, SignalKind};
                match signal(SignalKind::terminate()) {
                    Ok(mut terminate) => {
                        tokio::select! {
                            _ = tokio::signal::ctrl_c() => {}
                            _ = terminate.recv() => {}
                        }
                    }
                    Err(_) => {
                        let _ = tokio::signal::ctrl_c().await;
                    }
                }
            }
            #[cfg(not(unix))]
            let _ = tokio::signal::ctrl_c().await;
            tracing::info!("stopping");
        };
        netcode_backend::serve(listener, app, stop)
            .await
            .map_err(|e| e.to_string())
    })
}
