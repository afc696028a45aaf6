//! A real headless Chromium driven over the DevTools protocol, for the tests
//! of `review.html`: open a page from disk, run script in it, click and
//! type, take a full-page screenshot, record what the page tried to do
//! (dialogs, navigations, console messages).
//!
//! Chromium is Debian's `chromium` package, which `scripts/test` installs
//! when it is missing; `TRIAGE_CHROMIUM` names another binary. Without it
//! the tests fail and say how to install it — they are never skipped.
//!
//! The protocol is JSON over one WebSocket to the browser (tungstenite),
//! with a flattened session attached to one page target.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tungstenite::{Message, WebSocket};

/// How long one protocol call may take before the test fails.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

pub struct Browser {
    child: Child,
    ws: WebSocket<TcpStream>,
    session: String,
    next_id: u64,
    /// Every event received (method, params), in order.
    pub events: Vec<(String, Value)>,
    _profile: tempfile::TempDir,
}

fn chromium_binary() -> String {
    if let Ok(path) = std::env::var("TRIAGE_CHROMIUM") {
        return path;
    }
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {name}")])
            .output()
            .is_ok_and(|o| o.status.success());
        if found {
            return name.to_string();
        }
    }
    panic!(
        "Chromium is missing: the review page tests open review.html in a real headless \
         browser. Run scripts/test (it installs Debian's `chromium` package), or \
         `apt-get install chromium`, or set TRIAGE_CHROMIUM to a Chromium binary"
    );
}

impl Browser {
    /// Start a private headless Chromium and attach to a blank page.
    pub fn launch() -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let mut child = Command::new(chromium_binary())
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--hide-scrollbars",
                "--remote-debugging-port=0",
                "--window-size=1200,900",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start chromium");
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        // Chromium prints the browser's DevTools address on stderr; keep
        // draining it afterwards so the browser never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("DevTools listening on ") {
                    let _ = tx.send(url.trim().to_string());
                }
            }
        });
        let url = rx
            .recv_timeout(CALL_TIMEOUT)
            .expect("chromium did not print its DevTools address");
        let host = url
            .trim_start_matches("ws://")
            .split('/')
            .next()
            .unwrap()
            .to_string();
        let stream = TcpStream::connect(&host).unwrap();
        stream.set_read_timeout(Some(CALL_TIMEOUT)).unwrap();
        let (ws, _) = tungstenite::client(url.as_str(), stream).expect("DevTools WebSocket");
        let mut browser = Browser {
            child,
            ws,
            session: String::new(),
            next_id: 0,
            events: Vec::new(),
            _profile: profile,
        };
        let target = browser.browser_call("Target.createTarget", json!({"url": "about:blank"}));
        let attached = browser.browser_call(
            "Target.attachToTarget",
            json!({"targetId": target["targetId"], "flatten": true}),
        );
        browser.session = attached["sessionId"].as_str().unwrap().to_string();
        for domain in ["Page.enable", "Runtime.enable"] {
            browser.call(domain, json!({}));
        }
        browser
    }

    /// A command to the page's session; returns its result.
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        let session = self.session.clone();
        self.send(method, params, Some(&session))
    }

    /// A command to the browser itself (not a page).
    pub fn browser_call(&mut self, method: &str, params: Value) -> Value {
        self.send(method, params, None)
    }

    fn send(&mut self, method: &str, params: Value, session: Option<&str>) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if let Some(s) = session {
            msg["sessionId"] = json!(s);
        }
        self.ws.send(Message::text(msg.to_string())).unwrap();
        let started = Instant::now();
        loop {
            assert!(started.elapsed() < CALL_TIMEOUT, "{method}: no answer");
            let reply = self.next_message();
            if reply["id"].as_u64() == Some(id) {
                if let Some(err) = reply.get("error") {
                    panic!("{method}: {err}");
                }
                return reply["result"].clone();
            }
        }
    }

    fn next_message(&mut self) -> Value {
        loop {
            match self.ws.read().expect("DevTools connection") {
                Message::Text(text) => {
                    let v: Value = serde_json::from_str(text.as_str()).unwrap();
                    if let Some(method) = v["method"].as_str() {
                        self.events.push((method.to_string(), v["params"].clone()));
                        // A dialog (alert, confirm…) would block the page:
                        // record it and dismiss it so the test can fail on it.
                        if method == "Page.javascriptDialogOpening" {
                            self.dismiss_dialog();
                        }
                    }
                    return v;
                }
                Message::Close(_) => panic!("chromium closed the DevTools connection"),
                _ => continue,
            }
        }
    }

    fn dismiss_dialog(&mut self) {
        self.next_id += 1;
        let msg = json!({"id": self.next_id, "method": "Page.handleJavaScriptDialog",
                         "params": {"accept": false}, "sessionId": self.session});
        self.ws.send(Message::text(msg.to_string())).unwrap();
    }

    /// Open `path` (a file on disk) and wait for its load event.
    pub fn open(&mut self, path: &Path) -> String {
        let url = format!("file://{}", path.canonicalize().unwrap().display());
        let before = self.events.len();
        self.call("Page.navigate", json!({"url": url}));
        let started = Instant::now();
        while !self.events[before..]
            .iter()
            .any(|(m, _)| m == "Page.loadEventFired")
        {
            assert!(started.elapsed() < CALL_TIMEOUT, "{url} did not load");
            self.next_message();
        }
        url
    }

    /// Evaluate `expression` in the page; its value as JSON. An exception
    /// fails the test.
    pub fn eval(&mut self, expression: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
        );
        if let Some(e) = r.get("exceptionDetails") {
            panic!("{expression}: {e}");
        }
        r["result"]["value"].clone()
    }

    /// Type `text` into the element matching `selector`, as a keyboard would.
    pub fn type_into(&mut self, selector: &str, text: &str) {
        self.eval(&format!(
            "document.querySelector({}).focus()",
            json!(selector)
        ));
        self.call("Input.insertText", json!({"text": text}));
    }

    /// Click the centre of the element matching `selector` with the mouse.
    pub fn click(&mut self, selector: &str) {
        let at = self.eval(&format!(
            "(() => {{ const e = document.querySelector({}); e.scrollIntoView({{block: 'center'}}); \
             const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; }})()",
            json!(selector)
        ));
        let (x, y) = (at[0].as_f64().unwrap(), at[1].as_f64().unwrap());
        for kind in ["mousePressed", "mouseReleased"] {
            self.call(
                "Input.dispatchMouseEvent",
                json!({"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1}),
            );
        }
    }

    /// Choose `value` in the `<select>` matching `selector`, firing the
    /// `change` event a person's choice fires.
    pub fn choose(&mut self, selector: &str, value: &str) {
        self.eval(&format!(
            "(() => {{ const s = document.querySelector({}); s.value = {}; \
             s.dispatchEvent(new Event('change', {{bubbles: true}})); }})()",
            json!(selector),
            json!(value)
        ));
    }

    /// Let the page run for `ms` milliseconds (timers, refreshes), handling
    /// whatever it sends meanwhile.
    pub fn settle(&mut self, ms: u64) {
        self.eval(&format!("new Promise(r => setTimeout(r, {ms}))"));
    }

    /// A PNG of the whole page (not just the window) written to `path`.
    pub fn screenshot_full_page(&mut self, path: &Path) {
        use base64::Engine as _;
        let shot = self.call(
            "Page.captureScreenshot",
            json!({"format": "png", "captureBeyondViewport": true}),
        );
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().unwrap())
            .unwrap();
        std::fs::write(path, png).unwrap();
    }

    /// Downloads go to `dir`.
    pub fn download_to(&mut self, dir: &Path) {
        self.browser_call(
            "Browser.setDownloadBehavior",
            json!({"behavior": "allow", "downloadPath": dir.display().to_string()}),
        );
    }

    /// Names of the events received so far.
    pub fn event_names(&self) -> Vec<&str> {
        self.events.iter().map(|(m, _)| m.as_str()).collect()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
