//! A small WebDriver client for real Chromium: Debian's `chromedriver` started on a free local
//! port, one headless browser session at a chosen window size; navigate, run a script, take a
//! screenshot. Plus the checks every page gets at phone and desktop widths ([`Browser::check`]):
//! nothing wider than the screen, no English code word in the visible text.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

/// Where screenshots go, for people to look at.
pub const SHOTS: &str = "/tmp/qingshan-shots";

/// Code words that must never reach a user: enum values the store keeps, and audit actions.
pub fn english_codes() -> Vec<String> {
    let mut words: Vec<String> = [
        "open",
        "acknowledged",
        "closed",
        "manual",
        "import",
        "monitoring",
        "correction",
        "online",
        "offline",
        "admin",
        "staff",
        "reporter",
        "county",
        "exceedance",
        "device_fault",
        "frozen",
        "annual_total",
        "not_started",
        "in_progress",
        "completed",
        "lagging",
        "refused",
        "system",
        "cli",
        "Failed",
        "deserialize",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    words.extend(
        qingshan_store::labels::AUDIT_ACTIONS
            .iter()
            .map(|(a, _)| a.to_string()),
    );
    words
}

/// Whole-word occurrences of `words` in `text` (a word is letters, digits, `_` and inner `.`).
pub fn english_words_in(text: &str, words: &[String]) -> Vec<String> {
    let mut found = Vec::new();
    for token in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.')) {
        let token = token.trim_matches('.');
        if words.iter().any(|w| w == token) && !found.iter().any(|f| f == token) {
            found.push(token.to_string());
        }
    }
    found
}

/// Reports what sticks out past the right edge of the viewport, skipping what sits inside a
/// box that scrolls or clips sideways (a `.table-scroll`, a table shown as a scrolling block).
const OVERFLOW_JS: &str = r#"
const W = window.innerWidth;
const clipped = (el) => {
  for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
    const o = getComputedStyle(p).overflowX;
    if (o === 'auto' || o === 'scroll' || o === 'hidden') return true;
  }
  return false;
};
const describe = (el) => {
  let d = el.tagName.toLowerCase();
  if (el.id) d += '#' + el.id;
  if (el.className && typeof el.className === 'string') d += '.' + el.className.trim().split(/\s+/).join('.');
  const t = (el.innerText || '').trim().slice(0, 30);
  return t ? d + ' "' + t + '"' : d;
};
const bad = [];
for (const el of document.body.querySelectorAll('*')) {
  const r = el.getBoundingClientRect();
  if (r.width === 0 && r.height === 0) continue;
  if (r.right > W + 1 && !clipped(el)) bad.push(describe(el) + ' right=' + Math.round(r.right));
}
// Commands quoted in <code> (`qingshan water import`) are not labels: left out of the text.
let text = document.body.innerText;
for (const c of document.querySelectorAll('code')) text = text.split(c.innerText).join(' ');
return { scroll: document.documentElement.scrollWidth, inner: W, bad: bad.slice(0, 12), text };
"#;

/// A headless Chromium session driven over WebDriver; the driver stops when this is dropped.
pub struct Browser {
    driver: Child,
    base: String,
    session: String,
    http: reqwest::Client,
    /// The window size asked for.
    pub width: u32,
    _profile: qingshan_testkit::TempPath,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Browser {
    /// Starts chromedriver and a browser with a `width`×`height` window. `None` (skipped
    /// loudly) without chromedriver or Chromium, except under CI, where that fails.
    pub async fn start(width: u32, height: u32) -> Option<Browser> {
        let driver_bin = qingshan_testkit::required_program(
            &["/usr/bin/chromedriver"],
            "chromedriver",
            "apt-get install chromium-driver",
        )?;
        let chromium = qingshan_testkit::required_program(
            &["/usr/bin/chromium", "/usr/bin/chromium-browser"],
            "Chromium",
            "apt-get install chromium",
        )?;
        let port = free_port();
        let driver = Command::new(driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let profile = qingshan_testkit::TempPath::new("chromium-profile", "");
        let mut ready = false;
        for _ in 0..100 {
            if let Ok(r) = http.get(format!("{base}/status")).send().await
                && let Ok(v) = r.json::<Value>().await
                && v["value"]["ready"] == true
            {
                ready = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(ready, "chromedriver did not start on port {port}");
        let mut caps = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium.display().to_string(),
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--hide-scrollbars", "--lang=zh-CN",
                    format!("--window-size={width},{height}"),
                    format!("--user-data-dir={}", profile.path().display()),
                ]
            }
        }}});
        // Headless Chromium keeps windows at least 500 px wide; a phone's viewport is emulated
        // (with the viewport meta tag honoured, as on a phone).
        if width < 500 {
            caps["capabilities"]["alwaysMatch"]["goog:chromeOptions"]["mobileEmulation"] = json!({
                "deviceMetrics": { "width": width, "height": height, "pixelRatio": 1.0, "mobile": true }
            });
        }
        let mut browser = Browser {
            driver,
            base,
            session: String::new(),
            http,
            width,
            _profile: profile,
        };
        let v = browser.call("POST", "/session", caps).await;
        browser.session = v["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {v}"))
            .to_string();
        Some(browser)
    }

    async fn call(&self, method: &str, path: &str, body: Value) -> Value {
        let url = format!("{}{path}", self.base);
        let req = match method {
            "GET" => self.http.get(url),
            "DELETE" => self.http.delete(url),
            _ => self.http.post(url).json(&body),
        };
        let v: Value = req.send().await.unwrap().json().await.unwrap();
        if v["value"]["error"].is_string() {
            panic!("WebDriver {method} {path}: {}", v["value"]);
        }
        v["value"].clone()
    }

    fn at(&self, path: &str) -> String {
        format!("/session/{}{path}", self.session)
    }

    /// Opens a URL and waits for the page to load.
    pub async fn goto(&self, url: &str) {
        self.call("POST", &self.at("/url"), json!({ "url": url }))
            .await;
    }

    /// Runs a script (a function body; `return` gives the result) in the page.
    pub async fn eval(&self, script: &str) -> Value {
        self.call(
            "POST",
            &self.at("/execute/sync"),
            json!({ "script": script, "args": [] }),
        )
        .await
    }

    /// Puts a local file into the file input `selector`, as a user choosing it would.
    pub async fn choose_file(&self, selector: &str, path: &std::path::Path) {
        let el = self
            .call(
                "POST",
                &self.at("/element"),
                json!({ "using": "css selector", "value": selector }),
            )
            .await;
        // W3C names the element reference with a fixed key; older drivers say ELEMENT.
        let id = el["element-6066-11e4-a52e-4f735466cecf"]
            .as_str()
            .or_else(|| el["ELEMENT"].as_str())
            .unwrap_or_else(|| panic!("no element {selector}: {el}"))
            .to_string();
        self.call(
            "POST",
            &self.at(&format!("/element/{id}/value")),
            json!({ "text": path.display().to_string() }),
        )
        .await;
    }

    /// Waits until the page's path is `path` (after a form was sent).
    pub async fn wait_for_path(&self, want: impl Fn(&str) -> bool) -> String {
        for _ in 0..100 {
            let p = self.eval("return location.pathname").await;
            if let Some(p) = p.as_str()
                && want(p)
            {
                return p.to_string();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the page did not move on")
    }

    /// A PNG screenshot of the viewport, saved under [`SHOTS`] as `name`.png; returns its path.
    pub async fn screenshot(&self, name: &str) -> std::path::PathBuf {
        let v = self.call("GET", &self.at("/screenshot"), Value::Null).await;
        let png = base64_decode(v.as_str().unwrap());
        std::fs::create_dir_all(SHOTS).unwrap();
        let path = std::path::Path::new(SHOTS).join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap();
        path
    }

    /// Signs in through the login form, as a person would.
    pub async fn login(&self, server_base: &str, username: &str, password: &str) {
        self.goto(&format!("{server_base}/login")).await;
        let script = format!(
            "document.querySelector('input[name=username]').value = {u};\
             document.querySelector('input[name=password]').value = {p};\
             document.querySelector('input[name=password]').form.submit(); return true;",
            u = json!(username),
            p = json!(password)
        );
        self.eval(&script).await;
        for _ in 0..50 {
            let path = self.eval("return location.pathname").await;
            if path != "/login" {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("login of {username} did not leave the login page");
    }

    /// Opens `url`, saves a screenshot `name`-`width`.png and returns every problem found:
    /// at phone width anything past the right edge; at every width English code words in the
    /// visible text.
    pub async fn check(&self, url: &str, name: &str) -> Vec<String> {
        self.goto(url).await;
        let v = self.eval(OVERFLOW_JS).await;
        self.screenshot(&format!("{name}-{}", self.width)).await;
        let mut problems = Vec::new();
        if self.width < 600 {
            let (scroll, inner) = (v["scroll"].as_i64().unwrap(), v["inner"].as_i64().unwrap());
            if scroll > inner {
                problems.push(format!(
                    "{name} at {}px: page is {scroll}px wide (viewport {inner}px)",
                    self.width
                ));
            }
            for b in v["bad"].as_array().unwrap() {
                problems.push(format!("{name} at {}px: overflows: {b}", self.width));
            }
        }
        let text = v["text"].as_str().unwrap_or_default();
        let english = english_words_in(text, &english_codes());
        if !english.is_empty() {
            problems.push(format!(
                "{name} at {}px: English code words in the text: {english:?}",
                self.width
            ));
        }
        problems
    }

    /// Ends the session and the driver.
    pub async fn quit(mut self) {
        let path = format!("/session/{}", self.session);
        let _ = self
            .http
            .delete(format!("{}{path}", self.base))
            .send()
            .await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // After quit() this finds the driver already gone; after a failed test it stops it.
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Standard base64 (RFC 4648), as WebDriver sends screenshots.
pub fn base64_decode(s: &str) -> Vec<u8> {
    let val = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("not base64: {c}"),
        }
    };
    let bytes: Vec<u8> = s
        .bytes()
        .filter(|b| !b.is_ascii_whitespace() && *b != b'=')
        .collect();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= val(c) << (18 - 6 * i);
        }
        out.push((n >> 16) as u8);
        if chunk.len() > 2 {
            out.push((n >> 8) as u8);
        }
        if chunk.len() > 3 {
            out.push(n as u8);
        }
    }
    out
}
