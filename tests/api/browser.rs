//! The browser test: GraphiQL at `/` and the board at `/board` in headless Chromium
//! (puppeteer-core, tests/js/browser.mjs) with every non-loopback request aborted,
//! against a dev app and a production app started here. Skipped, with the reason
//! printed, where Chromium, node or tests/js/node_modules is missing (.ci/run installs
//! them). Screenshots go to `target/browser-screenshots/`.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use bspgraph::modes::Mode;
use secrecy::ExposeSecret;

use crate::helpers::{spawn_app, spawn_app_with, TestApp};

/// What the browser test needs on this machine, or why it is skipped.
struct Tools {
    chromium: PathBuf,
    node: PathBuf,
    scripts: PathBuf,
}

fn on_path(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    names.iter().flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name))).find(|p| p.is_file())
}

fn tools() -> Result<Tools, String> {
    let chromium = match std::env::var_os("BSPGRAPH_CHROMIUM") {
        Some(path) => PathBuf::from(path),
        None => on_path(&["chromium", "chromium-browser", "google-chrome"])
            .ok_or("no Chromium (install Debian's `chromium`, or set BSPGRAPH_CHROMIUM)")?,
    };
    let node = on_path(&["node", "nodejs"]).ok_or("no node on PATH (install Debian's `nodejs npm`)")?;
    let scripts = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/js");
    if !scripts.join("node_modules/puppeteer-core").is_dir() {
        return Err("tests/js/node_modules is missing (run `cd tests/js && npm ci`)".to_owned());
    }
    Ok(Tools { chromium, node, scripts })
}

fn screenshot_dir() -> PathBuf {
    // CARGO_TARGET_TMPDIR is <target>/tmp.
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().unwrap_or(tmp).join("browser-screenshots")
}

/// The dev app of the test: sandbox control on, GraphiQL on.
async fn dev_app() -> TestApp {
    spawn_app().await
}

/// A production app with GraphiQL enabled, two seeded clients and an operator key.
async fn production_app() -> (TestApp, String) {
    let app = spawn_app_with(|s| {
        s.security.mode = Mode::Production;
        s.security.enable_graphiql = true;
    })
    .await;
    app.store.seed_demo(2).await.unwrap();
    let key = bspgraph::auth::keys::generate();
    app.store.create_api_key("browser test", &key.display_prefix, &key.digest).await.unwrap();
    (app, key.secret.expose_secret().to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphiql_and_the_board_work_offline_in_chromium() {
    let tools = match tools() {
        Ok(tools) => tools,
        Err(reason) => {
            eprintln!("skipping the browser test: {reason}");
            return;
        }
    };
    let dev = dev_app().await;
    let (prod, key) = production_app().await;
    let shots = screenshot_dir();
    let run = tokio::process::Command::new(&tools.node)
        .arg("browser.mjs")
        .current_dir(&tools.scripts)
        .env("BSPGRAPH_URL", dev.url(""))
        .env("BSPGRAPH_PROD_URL", prod.url(""))
        .env("BSPGRAPH_PROD_KEY", &key)
        .env("CHROMIUM", &tools.chromium)
        .env("SCREENSHOT_DIR", &shots)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(300), run)
        .await
        .expect("the browser test did not finish within 300 s")
        .expect("node could not be started");
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "browser checks failed ({}):\n{stdout}", out.status);
    assert!(stdout.contains("0 failed"), "no tally from the browser script:\n{stdout}");
}
