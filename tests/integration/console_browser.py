#!/usr/bin/python3
"""The web console in headless Chromium over WebDriver (t_console.sh).

Runs against a daemon t_console.sh started; prints one "ok - …" or
"not ok - …" line per check. Environment: ESD_URL, ESD_DIR (the
instance), ESD_TMP (scratch, removed by the caller), ESD_CORPUS (PDFs),
ESD_CONSOLE_SHOTS (optional: a folder for a screenshot of each page).

Two browsers (separate profiles, so separate cookies) stand for two
verifiers at two desks: the four-eyes rule needs a second person, and
a TOTP step works once per account. A third is the seal's officer.
"""
import glob
import http.client
import json
import os
import re
import signal
import ssl
import subprocess
import sys
import time

from selenium import webdriver
from selenium.common.exceptions import (NoSuchElementException,
                                        StaleElementReferenceException,
                                        TimeoutException, WebDriverException)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

URL = os.environ["ESD_URL"]
D = os.environ["ESD_DIR"]
TMP = os.environ["ESD_TMP"]
CORPUS = os.environ["ESD_CORPUS"]
SHOTS = os.environ.get("ESD_CONSOLE_SHOTS", "")
ADMIN = open(os.path.join(D, "admin.token")).read().strip()
# People registered at once for the long lists (0: none; t_console.sh
# sets 0 under a sanitizer).
BULK = int(os.environ.get("ESD_CONSOLE_BULK", "250"))
FAILED = 0


def ok(what, cond, detail=""):
    global FAILED
    if cond:
        print("ok - " + what)
    else:
        FAILED += 1
        print("not ok - " + what + (" (%s)" % detail if detail else ""))
    sys.stdout.flush()
    return cond


def shot(d, name):
    if SHOTS:
        d.save_screenshot(os.path.join(SHOTS, name + ".png"))


def browser(name, width=1280, height=900):
    o = webdriver.ChromeOptions()
    o.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
              "--disable-gpu", "--no-first-run", "--disable-extensions",
              "--disable-sync", "--disable-background-networking",
              "--disable-component-update", "--lang=en-US",
              "--hide-scrollbars",
              "--user-data-dir=%s/chrome-%s" % (TMP, name),
              "--window-size=%d,%d" % (width, height)):
        o.add_argument(a)
    # The instance's own CA signed the TLS certificate.
    o.set_capability("acceptInsecureCerts", True)
    o.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    os.makedirs("%s/dl-%s" % (TMP, name), exist_ok=True)
    o.add_experimental_option("prefs", {
        "download.default_directory": "%s/dl-%s" % (TMP, name),
        "download.prompt_for_download": False})
    svc = Service("/usr/bin/chromedriver",
                  log_path="%s/chromedriver-%s.log" % (TMP, name))
    d = webdriver.Chrome(service=svc, options=o)
    d.esd_name = name
    d.set_page_load_timeout(20)
    d.set_script_timeout(20)
    return d


def wait(d, cond, what, timeout=30):
    # A page that re-renders under the check (a slow machine, parallel
    # tests) leaves stale elements: the condition is simply asked again.
    try:
        return WebDriverWait(d, timeout, ignored_exceptions=(
            NoSuchElementException, StaleElementReferenceException)).until(cond)
    except TimeoutException:
        ok(what, False, "timed out; page says: %s" % d.find_element(
            By.TAG_NAME, "main").text[:800].replace("\n", " | "))
        raise


def quiet(d, what):
    """Waits until the page has no API call in flight (api.js counts
    them) twice in a row, a tenth of a second apart: what it draws from
    the answers is drawn."""
    def f(d):
        if d.execute_script("return apiPending") != 0:
            return False
        time.sleep(0.1)
        return d.execute_script("return apiPending") == 0
    wait(d, f, what + ": the page settles", timeout=30)


DUP_IDS_JS = """
        const seen = {}, out = [];
        document.querySelectorAll('[id]').forEach(e => {
          if (seen[e.id] && out.indexOf(e.id) < 0) out.push(e.id);
          seen[e.id] = true;
        });
        return out;"""


def no_dup_ids(d, where):
    dups = d.execute_script(DUP_IDS_JS)
    ok("%s: every element id is unique (the page is drawn once)" % where, not dups, " ".join(dups))


def active_id(d):
    return d.execute_script("return document.activeElement && document.activeElement.id")


# WCAG 2.x relative luminance and contrast of two computed CSS colours.
CONTRAST_JS = """
    const lum = c => {
      const v = c.match(/[0-9.]+/g).slice(0, 3).map(Number).map(x => {
        x /= 255; return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); });
      return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2];
    };
    const [a, b] = [lum(arguments[0]), lum(arguments[1])];
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);"""


def menu(d):
    """The menu entries the page shows, by fragment."""
    return [a.get_attribute("href").split("#")[1]
            for a in d.find_elements(By.CSS_SELECTOR, "#nav a") if a.is_displayed()]


# A date as when() writes it on every page: day, time, then a zone.
DATE_RE = r"^\d{2}/\d{2}/\d{4},? \d{2}[.:]\d{2}[.:]\d{2} (UTC|GMT[+-]?[0-9:]*|[A-Z]{2,5})$"


def el(d, css):
    return d.find_element(By.CSS_SELECTOR, css)


def text(d, css):
    """An element's text, looked up again if the page re-rendered it."""
    for _ in range(20):
        try:
            return el(d, css).text
        except (NoSuchElementException, StaleElementReferenceException):
            time.sleep(0.1)
    return ""


def visible(css):
    def f(d):
        e = d.find_elements(By.CSS_SELECTOR, css)
        return e[0] if e and e[0].is_displayed() else False
    return f


def fill(d, css, text):
    e = el(d, css)
    e.clear()
    e.send_keys(text)


def go(d, page):
    d.get(URL + "/console/#" + page)
    wait(d, visible("#page-" + page), "page %s shows" % page)


def fetch(d, method, path, body=None, csrf=True):
    """A request from the page's own origin, with the session cookie;
    the CSRF header only when csrf is true. Answers the status."""
    return d.execute_async_script("""
        const [method, path, body, csrf, done] = arguments;
        const s = JSON.parse(sessionStorage.getItem('esignd.session') || '{}');
        const headers = {'Content-Type': 'application/json'};
        if (csrf && s.csrf) headers['X-CSRF-Token'] = s.csrf;
        fetch(path, {method, headers, credentials: 'same-origin',
                     body: body === null ? undefined : JSON.stringify(body)})
          .then(r => done(r.status), e => done(String(e)));
    """, method, path, body, csrf)


def confirm(d, expect, accept=True):
    """The dialog that says what an action does: its text, then go ahead
    (or Escape)."""
    dlg = wait(d, lambda d: el(d, "#confirm") if el(d, "#confirm").get_attribute("open")
               is not None else False, "the confirmation dialog opens")
    text = el(d, "#confirm-text").text
    ok("it says first what it will do: %r" % expect, expect in text, text)
    if accept:
        el(d, "#confirm-ok").click()
    else:
        dlg.send_keys(Keys.ESCAPE)
    wait(d, lambda d: el(d, "#confirm").get_attribute("open") is None,
         "the dialog closes")
    return text


def totp(secret):
    # Not the last seconds of a step: the keeper takes each step once.
    while time.time() % 30 > 27:
        time.sleep(0.5)
    return subprocess.check_output(["oathtool", "--totp", "-b", secret],
                                   text=True).strip()


def first_login(d, user, new_password, shots=False, weak_first=False):
    """Initial password → change → enrolment (QR + secret) → TOTP.
    weak_first: "password12" first, which libpwquality refuses."""
    initial = open("%s/%s.initial" % (TMP, user)).read().strip()
    go(d, "login")
    fill(d, "#login-name", user)
    fill(d, "#login-password", initial)
    if shots:
        shot(d, "login")
    el(d, "#login-submit").click()
    wait(d, visible("#login-new"), "the first login asks for a new password")
    ok("%s: the initial password alone asks for a change" % user, True)
    ok("%s: ... and no authenticator code before one is enrolled" % user,
       not el(d, "#login-totp").is_displayed())
    hint = d.execute_script("return t('login_change')")
    shown = el(d, "#page-login").text
    ok("%s: ... the first-login hint is said once" % user, shown.count(hint) == 1,
       "%d times" % shown.count(hint))
    if weak_first:
        fill(d, "#login-new", "password12")
        fill(d, "#login-new2", "password12")
        el(d, "#login-submit").click()
        wait(d, lambda d: "bad" in el(d, "#login-msg").get_attribute("class"),
             "a weak password is refused")
        ok("%s: 'password12' is refused, the page saying why (a dictionary word)" % user,
           "based on a dictionary word" in text(d, "#login-msg") and
           "400" in text(d, "#login-msg") and el(d, "#login-new").is_displayed() and
           el(d, "#login-new").get_attribute("aria-invalid") == "true" and
           el(d, "#login-new").get_attribute("aria-describedby") == "login-msg",
           text(d, "#login-msg"))
        fill(d, "#login-password", open("%s/%s.initial" % (TMP, user)).read().strip())
    fill(d, "#login-new", new_password)
    fill(d, "#login-new2", new_password)
    el(d, "#login-submit").click()
    wait(d, visible("#enrol"), "the enrolment shows")
    src = el(d, "#enrol-qr").get_attribute("src")
    secret = el(d, "#enrol-secret").text.strip()
    uri = el(d, "#enrol-uri").text.strip()
    if shots:
        shot(d, "enrol")
    ok("%s: the enrolment shows a QR code and the secret as text, in place of the form" % user,
       src.startswith("data:image/png;base64,") and re.fullmatch(r"[A-Z2-7]{32}", secret)
       and not el(d, "#login-form").is_displayed())
    png = "%s/%s-qr.png" % (TMP, user)
    with open(png, "wb") as f:
        import base64
        f.write(base64.b64decode(src.split(",", 1)[1]))
    qr = subprocess.run(["zbarimg", "-q", png], capture_output=True, text=True).stdout.strip()
    ok("%s: zbarimg reads the page's QR code as the otpauth URI it shows" % user,
       qr == "QR-Code:" + uri and ("secret=" + secret) in uri, qr)
    el(d, "#enrol-continue").click()
    wait(d, visible("#login-totp"), "back to the login form")
    ok("%s: after the enrolment the code is asked for, required, without the first-login hint"
       % user, el(d, "#login-totp").get_attribute("required") is not None and
       "first login" not in el(d, "label[for=login-totp]").text,
       el(d, "label[for=login-totp]").text)
    return secret


def totp_login(d, user, secret, wrong_first=False):
    if wrong_first:
        fill(d, "#login-totp", "000000" if totp(secret) != "000000" else "111111")
        el(d, "#login-submit").click()
        wait(d, lambda d: el(d, "#login-msg").text.startswith("Wrong"),
             "a wrong code is refused")
        ok("%s: a wrong authenticator code is refused, no session" % user,
           "signed-in" not in el(d, "body").get_attribute("class")
           and d.execute_script("return sessionStorage.getItem('esignd.session')") is None)
        ok("%s: ... the fields it is about are marked invalid and tied to the message" % user,
           all(el(d, f).get_attribute("aria-invalid") == "true" and
               el(d, f).get_attribute("aria-describedby") == "login-msg"
               for f in ("#login-name", "#login-password", "#login-totp")))
    fill(d, "#login-totp", totp(secret))
    el(d, "#login-totp").send_keys(Keys.ENTER)   # the keyboard submits
    wait(d, lambda d: "signed-in" in el(d, "body").get_attribute("class"),
         "%s logs in" % user)
    ok("%s: password + oathtool code log in" % user,
       el(d, "#who").text.startswith("Signed in as " + user))


def mail_to(addr, pattern, timeout=10, skip=()):
    """The first message to addr matching pattern, but those in skip."""
    end = time.time() + timeout
    while time.time() < end:
        for m in sorted(set(glob.glob(D + "/mail/new/*")) - set(skip)):
            text = open(m, encoding="utf-8", errors="replace").read()
            if re.search(r"^To: " + re.escape(addr), text, re.M) and re.search(pattern, text):
                return text
        time.sleep(0.1)
    return ""


def curl(*args):
    return subprocess.run(["curl", "-s", "-S", "--cacert", D + "/ca.pem"] + list(args),
                          capture_output=True, text=True)


def csp_errors(d):
    return [e["message"] for e in d.get_log("browser")
            if "Content Security Policy" in e["message"] or "Refused to" in e["message"]]


def row_of(d, table, attr, value):
    rows = d.find_elements(By.CSS_SELECTOR, "#%s tr[%s='%s']" % (table, attr, value))
    return rows[0] if rows else False


def ind_form(d, name, nik, email):
    go(d, "register")
    fill(d, "#ri-name", name)
    fill(d, "#ri-nik", nik)
    fill(d, "#ri-email", email)
    fill(d, "#ri-unit", "Biro Umum")
    el(d, "#reg-ind button[type=submit]").click()


def downloaded(d, name, timeout=10):
    path = "%s/dl-%s/%s" % (TMP, d.esd_name, name)
    end = time.time() + timeout
    while time.time() < end:
        if os.path.exists(path) and os.path.getsize(path) > 0:
            return path
        time.sleep(0.1)
    return None


def openssl_ok(*args):
    return subprocess.run(["openssl"] + list(args), capture_output=True, text=True)


def login_answer(d):
    """The body of the last 200 answer to POST /v1/login, from the
    browser's own network log (DevTools protocol)."""
    import json
    rid = None
    for e in d.get_log("performance"):
        m = json.loads(e["message"])["message"]
        if m.get("method") == "Network.responseReceived":
            resp = m["params"]["response"]
            if resp["url"].endswith("/v1/login") and resp["status"] == 200:
                rid = m["params"]["requestId"]
    if rid is None:
        return ""
    return d.execute_cdp_cmd("Network.getResponseBody", {"requestId": rid})["body"]


UNNAMED_JS = """
        const out = [];
        document.querySelectorAll('input, select, textarea').forEach(e => {
          if (!(e.id && document.querySelector('label[for="' + e.id + '"]')) &&
              !e.getAttribute('aria-label') && !e.closest('label'))
            out.push(e.id || e.outerHTML.slice(0, 40));
        });
        document.querySelectorAll('button, a').forEach(e => {
          if (!e.textContent.trim() && !e.getAttribute('aria-label'))
            out.push(e.outerHTML.slice(0, 40));
        });
        document.querySelectorAll('img').forEach(e => {
          if (!e.hasAttribute('alt')) out.push(e.outerHTML.slice(0, 40));
        });
        return out;"""


def names(d, where):
    """Every field labelled, every button and link named, every image
    with an alt: what a screen reader needs, on what the page shows."""
    unnamed = d.execute_script(UNNAMED_JS)
    ok("%s: every field has a label, every button and link a name, every image an alt"
       % where, not unnamed, " ".join(unnamed))


def officer(c, seal):
    """The seal's responsible officer: an officer account for the seal,
    its own login, the seal officer page for that seal only."""
    ctl = [os.environ["ESD_CTL"], "-c", D + "/esignd.conf"]
    r = subprocess.run(ctl + ["user", "create", "--name", "tono", "--email",
                              "officer@agency.go.id", "--role", "officer",
                              "--seal", seal, "--lang", "en"],
                       capture_output=True, text=True)
    ok("the admin creates the seal's officer (esignctl user create --role officer --seal)",
       r.returncode == 0, r.stdout + r.stderr)
    m = re.search(r"Initial password: *([A-Z0-9-]+)",
                  mail_to("officer@agency.go.id", r"Initial password: *[A-Z0-9-]+"))
    ok("the officer's initial password arrives by email", m is not None)
    with open(TMP + "/tono.initial", "w") as f:
        f.write(m.group(1) if m else "")
    go(c, "verify")
    el(c, "#lang-en").click()
    secret = first_login(c, "tono", "kopi tubruk manis 45")
    totp_login(c, "tono", secret)
    wait(c, visible("#seal-state"), "the officer lands on their seal")
    wait(c, lambda d: "Segel Biro Umum" in text(d, "#seal-pick"), "the seal's name in the list")
    ok("the officer lands on the seal officer page, their seal picked by name, no id to type",
       c.execute_script("return location.hash") == "#seal" and
       el(c, "#seal-pick").get_attribute("value") == seal and
       not el(c, "#seal-id").is_displayed())
    m = menu(c)
    ok("the menu offers the officer the public pages and the seal officer page only",
       m == ["verify", "activate", "seal"], str(m))
    quiet(c, "the officer's landing")
    no_dup_ids(c, "the officer's seal page after the login")
    ok("... the seal's detail is there once",
       len(c.find_elements(By.CSS_SELECTOR, "#seal-detail")) == 1)
    ok("the header names the officer's role in words: (seal officer)",
       text(c, "#who") == "Signed in as tono (seal officer)", text(c, "#who"))
    ok("not activated: 'Revoke activation' is disabled and no seal-code form is offered",
       not el(c, "#seal-deactivate").is_enabled() and
       not c.find_elements(By.CSS_SELECTOR, "#seal-code-form"))
    c.get(URL + "/console/#queue")
    wait(c, visible("#seal-state"), "the seal page instead of the queue")
    ok("a page not for an officer (#queue) shows the seal officer page instead",
       el(c, "#page-seal").is_displayed() and not el(c, "#page-queue").is_displayed())
    ok("the server refuses the officer the queue (403)",
       fetch(c, "GET", "/v1/ra/requests", csrf=False) == 403)
    ok("the officer sees the activation state: not activated",
       text(c, "#seal-state") == "Not activated.", text(c, "#seal-state"))
    before = glob.glob(D + "/mail/new/*")
    el(c, "#seal-activate").click()
    confirm(c, "activation code is emailed")
    wait(c, lambda d: el(d, "#seal-state").get_attribute("data-active") == "true",
         "the officer's activation shows")
    ok("the officer requests an activation: the state shows its expiry and who asked",
       text(c, "#seal-state").startswith("Active until") and "user:tono" in text(c, "#seal-state"),
       text(c, "#seal-state"))
    m = mail_to("officer@agency.go.id", r"(Activation code|Kode aktivasi): *[A-Z0-9]{5}-",
                skip=before)
    code = re.search(r"(?:Activation code|Kode aktivasi): *([A-Z0-9]{5}-[A-Z0-9]{5})", m)
    ok("the officer's mailbox receives the activation code", code is not None)
    quiet(c, "the activated seal")
    ok("activated: 'Revoke activation' is enabled and the seal-code form shows, once",
       el(c, "#seal-deactivate").is_enabled() and
       len(c.find_elements(By.CSS_SELECTOR, "#sc-act")) == 1)
    no_dup_ids(c, "the officer's seal page after the activation")
    fill(c, "#sc-act", code.group(1) if code else "x")
    fill(c, "#sc-docs", "1")
    el(c, "#seal-code-form button[type=submit]").click()
    confirm(c, "good for 1 document. The seal code")
    wait(c, lambda d: "good" in el(d, "#sc-msg").get_attribute("class") or
         "bad" in el(d, "#sc-msg").get_attribute("class"), "the officer's seal code")
    sc = re.search(r"shown once\): ([0-9a-f]{32})", text(c, "#sc-msg"))
    ok("the officer exchanges it for a seal code, shown once", sc is not None, text(c, "#sc-msg"))
    ok("... for '1 document' (singular), until a date with its time zone",
       re.search(r" — 1 document, until (.*)\.$", text(c, "#sc-msg")) is not None and
       re.match(DATE_RE, re.search(r"until (.*)\.$", text(c, "#sc-msg")).group(1)) is not None,
       text(c, "#sc-msg"))
    # The page as the officer sees it now: the seal, its live activation
    # (asked by the officer), the seal-code form and the code shown once.
    c.set_window_size(1280, 1240)
    c.execute_script("window.scrollTo(0, 0); document.activeElement.blur()")
    shot(c, "seal")
    c.set_window_size(1280, 900)
    r = curl("-H", "Authorization: Bearer " + ADMIN, "-F", "file=@%s/real-qt-test.pdf" % CORPUS,
             "-F", "key=" + seal, "-F", "seal_code=" + (sc.group(1) if sc else "x"),
             "-o", "/dev/null", "-w", "%{http_code}", URL + "/v1/seal")
    ok("... which the sealing application uses (200)", r.stdout == "200", r.stdout + r.stderr)
    el(c, "#lang-id").click()
    wait(c, lambda d: text(d, "#seal-state").startswith("Aktif sampai"), "the page in Indonesian")
    ok("in Indonesian: the officer's seal list and the state",
       text(c, "label[for=seal-pick]") == "Segel yang Anda tangani")
    el(c, "#lang-en").click()
    wait(c, lambda d: text(d, "#seal-state").startswith("Active until"), "back in English")
    names(c, "the officer's seal page")
    el(c, "#seal-enrol-btn").click()
    confirm(c, "shown once, here")
    wait(c, visible("#seal-qr"), "the seal's enrolment QR")
    ok("the officer enrols the seal's authenticator: a QR code and the secret",
       re.fullmatch(r"[A-Z2-7]{32}", el(c, "#seal-secret").text.strip()) is not None)
    el(c, "#seal-deactivate").click()
    confirm(c, "every seal code of it is refused")
    wait(c, lambda d: text(d, "#seal-state").startswith("Not activated."), "the officer's revocation")
    ok("the officer revokes the activation: the state says not activated, the enrolment stays",
       "Authenticator app enrolled" in text(c, "#seal-state"), text(c, "#seal-state"))
    quiet(c, "the revoked activation")
    ok("... 'Revoke activation' is disabled again and the seal-code form is gone",
       not el(c, "#seal-deactivate").is_enabled() and
       not c.find_elements(By.CSS_SELECTOR, "#seal-code-form"))
    r = curl("-H", "Authorization: Bearer " + ADMIN, "-F", "file=@%s/real-qt-test.pdf" % CORPUS,
             "-F", "key=" + seal, "-F", "seal_code=" + (sc.group(1) if sc else "x"),
             "-o", "/dev/null", "-w", "%{http_code}", URL + "/v1/seal")
    ok("... and the seal code left is refused (401)", r.stdout == "401", r.stdout)
    el(c, "#logout").click()
    wait(c, visible("#page-login"), "the officer logs out")
    ok("the officer logs out: the cookie no longer reads the seal (401)",
       fetch(c, "GET", "/v1/ra/subscribers/" + seal, csrf=False) == 401)
    errs = csp_errors(c)
    ok("the officer's browser logged no Content-Security-Policy violation",
       not errs, "; ".join(errs)[:300])


def api_client(token):
    """A keep-alive HTTPS connection to the daemon, trusting its CA."""
    ctx = ssl.create_default_context(cafile=D + "/ca.pem")
    host, port = URL.split("//")[1].rsplit(":", 1)
    conn = http.client.HTTPSConnection(host, int(port), context=ctx, timeout=30)
    hdrs = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}

    def call(method, path, body=None):
        conn.request(method, path, body=None if body is None else json.dumps(body), headers=hdrs)
        r = conn.getresponse()
        return r.status, json.loads(r.read() or b"{}")
    return call


def requested(d, pattern):
    """The URLs the page fetched since the last call that match pattern
    (from Chromium's performance log)."""
    out = []
    for e in d.get_log("performance"):
        m = json.loads(e["message"])["message"]
        if m.get("method") == "Network.requestWillBeSent":
            u = m["params"]["request"]["url"]
            if re.search(pattern, u):
                out.append(u)
    return out


def bulk(a):
    """BULK people registered through the API (a verifier's client), then
    the console's queue and certificate list: every one of them, each
    once, which takes more than one page of the API (200 a page)."""
    ctl = [os.environ["ESD_CTL"], "-c", D + "/esignd.conf", "--json"]
    r = subprocess.run(ctl + ["client", "add", "--name", "bulk-desk", "--role", "verifier"],
                       capture_output=True, text=True)
    token = json.loads(r.stdout or "{}").get("token", "")
    ok("a verifier client for the bulk registrations", token != "", r.stdout + r.stderr)
    call = api_client(token)
    t0 = time.time()
    reqs, subs, codes = set(), set(), {}
    for i in range(BULK):
        st, j = call("POST", "/v1/ra/individuals", {
            "name": "Peserta Massal %03d" % i, "nik": "3172%012d" % (500000 + i),
            "email": "peserta%03d@agency.go.id" % i, "unit": "Biro Umum"})
        codes[st] = codes.get(st, 0) + 1
        if st == 201 or st == 200:
            reqs.add(j["request"]["id"])
            subs.add(j["subscriber"]["id"])
    ok("%d people registered through the API (%.1f s)" % (BULK, time.time() - t0),
       len(reqs) == BULK and len(subs) == BULK, str(codes))

    a.get_log("performance")
    go(a, "queue")
    Select(el(a, "#queue-state")).select_by_value("pending")
    el(a, "#queue-form button[type=submit]").click() if a.find_elements(
        By.CSS_SELECTOR, "#queue-form button[type=submit]") else None
    wait(a, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#queue-table tbody tr")) >= BULK,
         "the queue with %d requests" % BULK, timeout=90)
    quiet(a, "the long queue")
    shown = [e.get_attribute("data-request")
             for e in a.find_elements(By.CSS_SELECTOR, "#queue-table tbody tr")]
    ok("the queue shows all %d pending requests, each once" % BULK,
       reqs <= set(shown) and len(shown) == len(set(shown)),
       "%d rows, %d distinct, %d of ours missing" % (len(shown), len(set(shown)), len(reqs - set(shown))))
    pages = requested(a, r"/v1/ra/requests\?limit=")
    ok("... read page by page: a second page asked with 'before'",
       len(pages) >= 2 and any("before=" in u for u in pages), " ".join(pages)[:300])
    no_dup_ids(a, "the long queue")

    go(a, "certs")
    fill(a, "#certs-q", "")
    fill(a, "#certs-serial", "")
    el(a, "#certs-form button[type=submit]").click()
    wait(a, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#certs-table tbody tr")) >= BULK,
         "the certificate list with %d subscribers" % BULK, timeout=90)
    quiet(a, "the long list")
    shown = [e.get_attribute("data-subscriber")
             for e in a.find_elements(By.CSS_SELECTOR, "#certs-table tbody tr")]
    ok("the certificate list shows all %d new subscribers, each once" % BULK,
       subs <= set(shown) and len(shown) == len(set(shown)),
       "%d rows, %d distinct, %d of ours missing" % (len(shown), len(set(shown)), len(subs - set(shown))))
    pages = requested(a, r"/v1/ra/subscribers\?limit=")
    ok("... read page by page: a second page asked with 'before'",
       len(pages) >= 2 and any("before=" in u for u in pages), " ".join(pages)[:300])
    fill(a, "#certs-q", "Peserta Massal 1")
    el(a, "#certs-form button[type=submit]").click()
    wait(a, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#certs-table tbody tr")) == 100,
         "the search among them")
    ok("a search among them lists exactly its 100 matches (Peserta Massal 100-199)", True)
    fill(a, "#certs-q", "")


def run(a, b, c):
    # ---- public pages, language ----
    go(a, "verify")
    ok("the console opens on the public verify page, in Indonesian",
       el(a, "#h-verify").text == "Verifikasi dokumen" and
       a.execute_script("return document.documentElement.lang") == "id")
    missing = a.execute_script("""
        // Plural forms (key_one, …) are the language's own; key_other is in both.
        const plural = k => /_(zero|one|two|few|many)$/.test(k);
        const id = Object.keys(I18N.id), en = Object.keys(I18N.en), out = [];
        id.forEach(k => { if (!(k in I18N.en) && !plural(k)) out.push('en:' + k); });
        en.forEach(k => { if (!(k in I18N.id) && !plural(k)) out.push('id:' + k); });
        document.querySelectorAll('[data-i18n],[data-i18n-label],[data-i18n-placeholder]')
          .forEach(e => { const k = e.dataset.i18n || e.dataset.i18nLabel ||
                                    e.dataset.i18nPlaceholder;
                          if (!(k in I18N.id)) out.push('page:' + k); });
        return out;""")
    ok("every word of the page exists in Indonesian and English", not missing, " ".join(missing))
    names(a, "the static page")
    el(a, "body").send_keys(Keys.TAB)
    first = a.switch_to.active_element
    ok("the keyboard's first stop is the skip link",
       first.get_attribute("class") == "skip", first.get_attribute("outerHTML")[:80])
    first.send_keys(Keys.ENTER)
    ok("... which moves the focus to the content",
       a.switch_to.active_element.get_attribute("id") == "main")
    el(a, "#lang-en").click()
    ok("the language switch turns it to English",
       el(a, "#h-verify").text == "Verify a document" and
       a.execute_script("return document.documentElement.lang") == "en")
    a.get(URL + "/console/#queue")
    wait(a, visible("#page-login"), "a staff page without a session shows the login")
    ok("a staff page without a session shows the login", True)

    # ---- siti logs in (first login, a wrong code first) ----
    s_secret = first_login(a, "siti", "nasi goreng pedas 99", shots=True, weak_first=True)
    totp_login(a, "siti", s_secret, wrong_first=True)
    ok("the session cookie is HttpOnly: scripts cannot read it",
       "esignd_session" not in a.execute_script("return document.cookie"))
    body = login_answer(a)
    ok("the console's login answer carries the CSRF token but not the session token",
       '"csrf"' in body and '"token"' not in body, body[:200])
    wait(a, visible("#page-queue"), "a verifier lands on the queue")
    quiet(a, "siti's landing")
    ok("after the login the focus is on the landing page's heading, not on BODY",
       active_id(a) == "h-queue", active_id(a))
    no_dup_ids(a, "the verifier's landing page")
    m = menu(a)
    ok("a verifier's menu: the public pages and the registration authority's, no Audit, no Staff",
       m == ["verify", "activate", "queue", "register", "certs", "seal", "sla"], str(m))
    a.get(URL + "/console/#audit")
    wait(a, visible("#page-queue"), "the audit page is not a verifier's")
    quiet(a, "#audit as a verifier")
    ok("... #audit typed by hand shows the verifier's queue, with no 403 message",
       not el(a, "#page-audit").is_displayed() and "403" not in el(a, "main").text)
    ok("the header names the role in the page's language: (verifier)",
       text(a, "#who") == "Signed in as siti (verifier)", text(a, "#who"))
    el(a, "#lang-id").click()
    wait(a, lambda d: text(d, "#who") == "Masuk sebagai siti (verifikator)",
         "the header in Indonesian: (verifikator)")
    ok("... and in Indonesian: (verifikator)", True)
    el(a, "#lang-en").click()

    # ---- register a person ----
    el(a, "#nav a[href='#register']").click()
    wait(a, visible("#page-register"), "the menu's register page")
    wait(a, lambda d: active_id(d) == "h-register", "the focus follows the page change")
    ok("a page change from the menu moves the focus to the page's heading (not the link)", True)
    el(a, "#ri-name").click()
    el(a, "#ri-name").send_keys(Keys.TAB)
    ring = a.execute_script("""const e = document.activeElement, f = e.closest('.card');
        return [e.id, getComputedStyle(e).outlineStyle, getComputedStyle(e).outlineColor,
                getComputedStyle(f).backgroundColor];""")
    ratio = a.execute_script(CONTRAST_JS, ring[2], ring[3])
    ok("the keyboard focus ring on a white card has a contrast of at least 3:1 (%.2f:1)" % ratio,
       ring[0] == "ri-nik" and ring[1] == "solid" and ratio >= 3, str(ring))
    go(a, "register")
    fill(a, "#ri-name", "Andi Wijaya")
    fill(a, "#ri-nik", "3171-0000")
    el(a, "#reg-ind button[type=submit]").click()
    wait(a, visible("#ri-nik-msg"), "the NIK's own message")
    nik_says = "The NIK is exactly 16 digits, without spaces or punctuation."
    ok("a malformed NIK: the field's own message under it and as the browser's, nothing sent",
       text(a, "#ri-nik-msg") == nik_says and
       el(a, "#ri-nik").get_attribute("validationMessage") == nik_says and
       el(a, "#ri-nik").get_attribute("aria-invalid") == "true" and
       el(a, "#confirm").get_attribute("open") is None,
       el(a, "#ri-nik").get_attribute("validationMessage"))
    fill(a, "#ri-nik", "3171000000000042")
    ok("... a good NIK clears it", not el(a, "#ri-nik-msg").is_displayed() and
       el(a, "#ri-nik").get_attribute("validationMessage") == "")
    fill(a, "#ri-email", "andi@agency.go.id")
    fill(a, "#ri-unit", "Biro Umum")
    fill(a, "#ri-org", "Kementerian Contoh")
    Select(el(a, "#ri-lang")).select_by_value("en")
    shot(a, "register")
    el(a, "#reg-ind button[type=submit]").click()
    confirm(a, "NIK 3171000000000042")
    wait(a, lambda d: el(d, "#reg-msg").get_attribute("data-subscriber"), "registered")
    ind = el(a, "#reg-msg").get_attribute("data-subscriber")
    ok("siti registers Andi: a pending subscriber " + ind, ind.startswith("ind-"))

    ok("a change with the session cookie but no X-CSRF-Token is refused (403)",
       fetch(a, "POST", "/v1/ra/individuals", {"name": "Cici", "nik": "3171000000000043",
             "email": "cici@agency.go.id", "unit": "TU"}, csrf=False) == 403)
    ok("... a read with the cookie works (200)", fetch(a, "GET", "/v1/ra/requests", csrf=False) == 200)

    ind_form(a, "Andi Kedua", "3171000000000042", "andi2@agency.go.id")
    confirm(a, "NIK 3171000000000042")
    wait(a, lambda d: "bad" in el(d, "#reg-msg").get_attribute("class"), "refused")
    ok("the same NIK again: the page shows the server's 409",
       "409" in el(a, "#reg-msg").text, el(a, "#reg-msg").text)
    api_part = a.find_elements(By.CSS_SELECTOR, "#reg-msg span[lang=en]")
    ok("... the API's English message marked lang=en inside the page's own words",
       api_part and "409" in api_part[0].text and el(a, "#reg-msg").text.startswith("Failed: "),
       el(a, "#reg-msg").get_attribute("innerHTML")[:200])
    ind_form(a, "Cici Lestari", "3171000000000043", "cici@agency.go.id")
    confirm(a, "NIK 3171000000000043")
    wait(a, lambda d: (el(d, "#reg-msg").get_attribute("data-subscriber") or "") not in ("", ind),
         "Cici is registered")
    cici = el(a, "#reg-msg").get_attribute("data-subscriber")
    go(a, "queue")
    row = wait(a, lambda d: row_of(d, "queue-table", "data-subscriber", ind),
               "the registration is in siti's queue")
    rid = row.get_attribute("data-request")
    ok("siti cannot approve her own registration: the button is disabled",
       not row.find_element(By.CSS_SELECTOR, "button.approve").is_enabled())
    ok("... and the server refuses it too (403, four eyes)",
       fetch(a, "POST", "/v1/ra/requests/%s/approve" % rid) == 403)

    # ---- budi approves (second browser) ----
    go(b, "verify")
    el(b, "#lang-en").click()
    b_secret = first_login(b, "budi", "sate ayam madura 77")
    totp_login(b, "budi", b_secret)
    go(b, "queue")
    row = wait(b, lambda d: row_of(d, "queue-table", "data-request", rid),
               "budi sees the request")
    shot(b, "queue")
    names(b, "the queue")
    row.find_element(By.CSS_SELECTOR, "button.approve").click()
    wait(b, lambda d: el(d, "#confirm").get_attribute("open") is not None, "the approval dialog")
    ok("an approval cannot be undone: its dialog starts on Cancel, not on Go ahead",
       active_id(b) == "confirm-cancel", active_id(b))
    confirm(b, "activation code goes to andi@agency.go.id", accept=False)
    ok("Escape cancels: nothing is sent, the request is still in the queue",
       row_of(b, "queue-table", "data-request", rid) and
       "approved" not in el(b, "#flash").text)
    row_of(b, "queue-table", "data-request", rid).find_element(
        By.CSS_SELECTOR, "button.approve").click()
    confirm(b, "activation code goes to andi@agency.go.id")
    wait(b, lambda d: "approved" in el(d, "#flash").text, "approved")
    ok("budi approves it (four eyes)", True)

    row = wait(b, lambda d: row_of(d, "queue-table", "data-subscriber", cici),
               "budi sees Cici's registration")
    ok("budi's approval leaves its banner", el(b, "#flash").is_displayed())
    row.find_element(By.CSS_SELECTOR, "button.reject").click()
    wait(b, visible("#reject-reason"), "the rejection asks for a reason")
    ok("... which the next action clears (no stale success banner)",
       not el(b, "#flash").is_displayed())
    el(b, "#confirm-ok").click()
    ok("a rejection without a reason is not sent: the dialog stays, asking for one",
       el(b, "#confirm").get_attribute("open") is not None and
       "Write a reason" in el(b, "#confirm-text").text)
    el(b, "#reject-reason").send_keys("NIK tidak cocok dengan KTP")
    el(b, "#confirm-ok").click()
    wait(b, lambda d: "rejected" in el(d, "#flash").text, "Cici is rejected")
    m = mail_to("cici@agency.go.id", "NIK tidak cocok dengan KTP")
    ok("budi rejects Cici with a reason; her email carries it", m != "")
    Select(el(b, "#queue-state")).select_by_value("rejected")
    el(b, "#queue-refresh").click()
    row = wait(b, lambda d: row_of(d, "queue-table", "data-subscriber", cici),
               "the decided requests")
    ok("the queue's history: Cici's request rejected by budi, with the reason",
       "rejected" in row.text and "user:budi" in row.text and
       "NIK tidak cocok dengan KTP" in row.text and
       not row.find_elements(By.CSS_SELECTOR, "button.approve"), row.text)
    Select(el(b, "#queue-state")).select_by_value("pending")

    # ---- Andi activates from the emailed link ----
    m = mail_to("andi@agency.go.id", r"#activate\?subscriber=")
    link = re.search(r"(https://\S+/console/#activate\?subscriber=\S+&code=[A-Z0-9-]+)", m)
    ok("the activation email links to the console's activation page", link is not None)
    a.get(link.group(1))
    wait(a, visible("#page-activate"), "the activation page")
    ok("the link fills in the subscriber and the code",
       el(a, "#act-sub").get_attribute("value") == ind and
       len(el(a, "#act-code").get_attribute("value")) == 11)
    fill(a, "#act-pass", "kopi tubruk manis 42")
    fill(a, "#act-pass2", "kopi tubruk manis 24")
    el(a, "#activate-form button[type=submit]").click()
    wait(a, lambda d: "bad" in el(d, "#act-msg").get_attribute("class"), "the mismatch")
    ok("the activation asks for the passphrase twice: two that differ are not sent",
       el(a, "#act-msg").text == "The two passphrases differ." and
       el(a, "#act-code").get_attribute("value") != "", el(a, "#act-msg").text)
    fill(a, "#act-pass", "kopi tubruk manis 42")
    fill(a, "#act-pass2", "kopi tubruk manis 42")
    shot(a, "activate")
    el(a, "#activate-form button[type=submit]").click()
    wait(a, lambda d: "good" in el(d, "#act-msg").get_attribute("class") or
         "bad" in el(d, "#act-msg").get_attribute("class"), "activation answers")
    msg = el(a, "#act-msg").text
    serial = (re.search(r"Certificate ([0-9a-f]+) was issued", msg) or [None, ""])[1]
    ok("Andi activates: the certificate is issued", serial != "", msg)

    fill(a, "#pass-sub", ind)
    fill(a, "#pass-old", "kopi tubruk manis 42")
    fill(a, "#pass-new", "teh tarik hangat 77")
    fill(a, "#pass-new2", "teh tarik hangat 7")
    el(a, "#pass-form button[type=submit]").click()
    wait(a, lambda d: el(d, "#pass-msg").text == "The two passphrases differ.",
         "a changed passphrase is asked for twice")
    ok("the passphrase change asks for the new one twice; two that differ are not sent", True)
    fill(a, "#pass-old", "kopi tubruk manis 42")
    fill(a, "#pass-new", "teh tarik hangat 77")
    fill(a, "#pass-new2", "teh tarik hangat 77")
    el(a, "#pass-form button[type=submit]").click()
    wait(a, lambda d: "good" in el(d, "#pass-msg").get_attribute("class") or
         "bad" in el(d, "#pass-msg").get_attribute("class"), "the change answers")
    ok("Andi changes his passphrase on the same page", el(a, "#pass-msg").text ==
       "The passphrase is changed.", el(a, "#pass-msg").text)
    r = curl("-H", "Authorization: Bearer " + ADMIN, "-F", "file=@%s/libreoffice-letter.pdf" % CORPUS,
             "-F", "key=" + ind, "-F", "passphrase=kopi tubruk manis 42", "-o", "/dev/null",
             "-w", "%{http_code}", URL + "/v1/sign")
    ok("... the old passphrase no longer signs (401)", r.stdout == "401", r.stdout)

    # A document Andi signs now (B-B), before the revocation.
    pdf = CORPUS + "/libreoffice-letter.pdf"
    r = curl("-H", "Authorization: Bearer " + ADMIN, "-F", "file=@" + pdf, "-F", "key=" + ind,
             "-F", "passphrase=teh tarik hangat 77", "-o", TMP + "/andi.pdf",
             "-w", "%{http_code}", URL + "/v1/sign")
    ok("Andi signs a PDF with his new key and new passphrase (200)", r.stdout == "200", r.stdout + r.stderr)

    # ---- certificates: search, detail, revoke (budi asks, siti approves) ----
    go(b, "certs")
    fill(b, "#certs-q", "Andi")
    el(b, "#certs-form button[type=submit]").click()
    row = wait(b, lambda d: row_of(d, "certs-table", "data-subscriber", ind),
               "the search finds Andi")
    ok("the search lists him active with the serial",
       row.find_element(By.CSS_SELECTOR, "td.status").text == "active" and
       row.find_element(By.CSS_SELECTOR, "td.serial").text == serial)
    def status_of(d):
        r = row_of(d, "certs-table", "data-subscriber", ind)
        return r.find_element(By.CSS_SELECTOR, "td.status").text if r else ""
    el(b, "#lang-id").click()
    wait(b, lambda d: status_of(d) == "aktif", "the results in Indonesian")
    ok("switching the language redraws the search results in it (aktif)",
       text(b, "#certs-table th") == "ID" and
       b.execute_script("return document.documentElement.lang") == "id")
    el(b, "#lang-en").click()
    wait(b, lambda d: status_of(d) == "active", "the results in English again")
    quiet(b, "the results in English")
    row = row_of(b, "certs-table", "data-subscriber", ind)
    row.find_element(By.CSS_SELECTOR, "button.link").click()
    wait(b, lambda d: d.find_elements(By.CSS_SELECTOR, ".cert[data-serial='%s']" % serial),
         "the detail shows the certificate")
    shot(b, "certificates")
    card = el(b, ".cert[data-serial='%s']" % serial)
    card.find_elements(By.CSS_SELECTOR, "button")[0].click()
    leaf = downloaded(b, serial + ".pem")
    card.find_elements(By.CSS_SELECTOR, "button")[1].click()
    chain = downloaded(b, serial + "-chain.pem")
    r = openssl_ok("verify", "-CAfile", D + "/ca.pem", "-untrusted", chain or "/dev/null",
                   "-purpose", "any", leaf or "/dev/null")
    ok("the downloaded certificate and chain verify with openssl up to the demo root",
       leaf and chain and r.returncode == 0, r.stdout + r.stderr)
    pems = re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----\n",
                      open(chain).read() if chain else "", re.S)
    fp = lambda pem: subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-sha256"],
                                    input=pem, capture_output=True, text=True).stdout
    ok("... the chain is the certificate, the issuing CA and the root, which is the demo root",
       len(pems) == 3 and fp(pems[2]) == fp(open(D + "/ca.pem").read()), str(len(pems)))
    el(b, "#revoke").click()
    Select(wait(b, visible("#revoke-reason"), "the reason list")).select_by_value("keyCompromise")
    confirm(b, "Another verifier must approve")
    wait(b, lambda d: "Request" in el(d, "#flash").text, "the revocation request is made")
    ok("budi asks for the revocation", True)

    go(a, "queue")
    el(a, "#queue-refresh").click()
    row = wait(a, lambda d: row_of(d, "queue-table", "data-subscriber", ind),
               "the revocation is in siti's queue")
    row.find_element(By.CSS_SELECTOR, "button.approve").click()
    confirm(a, "revoked NOW")
    wait(a, lambda d: "done" in el(d, "#flash").text, "revoked")
    ok("siti approves the revocation", True)
    go(a, "certs")
    fill(a, "#certs-q", "3171000000000042")
    el(a, "#certs-form button[type=submit]").click()
    row = wait(a, lambda d: row_of(d, "certs-table", "data-subscriber", ind), "found by NIK")
    ok("found by NIK, the subscriber is revoked",
       row.find_element(By.CSS_SELECTOR, "td.status").text == "revoked")
    fill(a, "#certs-q", "")
    fill(a, "#certs-serial", serial)
    el(a, "#certs-form button[type=submit]").click()
    wait(a, lambda d: d.find_elements(By.CSS_SELECTOR, ".cert[data-serial='%s']" % serial),
         "found by serial")
    ok("found by serial, the certificate itself is revoked",
       el(a, ".cert[data-serial='%s']" % serial).get_attribute("data-status") == "revoked")
    r = curl("-o", TMP + "/ind.crl", URL + "/crl/issuing-ca.crl")
    crl = subprocess.run(["openssl", "crl", "-inform", "DER", "-in", TMP + "/ind.crl",
                          "-noout", "-text"], capture_output=True, text=True).stdout
    ok("openssl: the issuing CA's CRL lists the serial", serial.upper() in crl.upper().replace(":", ""))

    # ---- verify: the revoked signer ----
    # A later B-LT signature (the demo signer) carries the issuing CA's
    # current CRL in the /DSS: the verifier learns of the revocation there.
    r = curl("-H", "Authorization: Bearer " + ADMIN, "-F", "file=@" + TMP + "/andi.pdf",
             "-F", "key=demo-individual", "-F", "level=B-LT", "-o", TMP + "/andi-lt.pdf",
             "-w", "%{http_code}", URL + "/v1/sign")
    ok("a second signature at B-LT on it (200)", r.stdout == "200", r.stdout + r.stderr)
    go(a, "verify")
    el(a, "#verify-file").send_keys(TMP + "/andi-lt.pdf")
    wait(a, visible("#verify-verdict"), "the verify page answers")
    sigs = a.find_elements(By.CSS_SELECTOR, "article.sig")
    ok("the verify page shows both signatures", len(sigs) >= 2, str(len(sigs)))
    first = sigs[0] if sigs else None
    ok("Andi's signature is reported revoked, in English and Indonesian",
       first is not None and first.get_attribute("data-revocation") == "revoked" and
       "REVOKED" in first.text and "DICABUT" in first.text,
       first.text[:300] if first else "")
    ok("... intact (integrity yes) and named by its subject",
       first is not None and "Andi Wijaya" in first.text and
       first.get_attribute("data-verdict") in ("valid", "indeterminate"))
    ok("the count is a plural without '(s)'",
       re.search(r"· [2-9] signatures$", text(a, "#verify-verdict")) is not None,
       text(a, "#verify-verdict"))
    stimes = [e.find_element(By.XPATH, "following-sibling::dd[1]").text
              for e in a.find_elements(By.XPATH, "//article//dt[.='Time (as the signature claims)']")]
    ok("the verify page's times carry the time zone, in the same format as the other pages",
       stimes and all(re.match(DATE_RE, x) for x in stimes), " | ".join(stimes))
    a.execute_script("window.scrollTo(0, 0)")
    shot(a, "verify")
    el(a, "#lang-id").click()
    el(a, "#verify-file").send_keys(TMP + "/andi-lt.pdf")
    wait(a, lambda d: el(d, "#verify-out").text.startswith("Hasil"), "the report in Indonesian")
    ok("in Indonesian, the verdict says DICABUT first",
       el(a, "article.sig .say").text.startswith("DICABUT"))
    card = el(a, "article.sig")
    dds = [e.text for e in card.find_elements(By.CSS_SELECTOR, "dd")]
    english = [x for x in dds if x.split(" (")[0] in ("trusted", "untrusted", "good", "revoked",
                                                       "unknown", "expired", "invalid")]
    ok("... its chain and revocation status in Indonesian words",
       not english and any(x.startswith("dicabut") for x in dds), " | ".join(dds))
    warns = card.find_elements(By.CSS_SELECTOR, ".warn li")
    ok("... its warnings in Indonesian, marked lang=id",
       warns and all(w.get_attribute("lang") == "id" for w in warns) and
       "Sertifikat penanda tangan" in card.text,
       " | ".join("%s:%s" % (w.get_attribute("lang"), w.text) for w in warns))
    ok("... the header's role too", "(verifikator)" in text(a, "#who"), text(a, "#who"))
    el(a, "#lang-en").click()
    wait(a, lambda d: text(d, "#verify-out h2").startswith("Result for"), "the report redrawn in English")
    ok("switching the language redraws the report on screen in it (REVOKED first, lang=en)",
       el(a, "article.sig .say").text.startswith("REVOKED") and
       el(a, "article.sig .say").get_attribute("lang") == "en" and
       a.execute_script("return document.documentElement.lang") == "en")
    el(a, "#verify-file").send_keys(CORPUS + "/ghostscript-from-ps.pdf")
    wait(a, lambda d: el(d, "#verify-verdict").get_attribute("data-verdict") == "unsigned",
         "an unsigned PDF is reported unsigned")
    ok("an unsigned PDF: 'carries no electronic signature'",
       "carries no electronic signature" in el(a, "#verify-out").text)
    el(a, "#verify-file").send_keys(TMP + "/andi.pdf")
    wait(a, lambda d: "andi.pdf" in text(d, "#verify-out h2"), "one signature")
    ok("one signature is '1 signature'", text(a, "#verify-verdict").endswith("· 1 signature"),
       text(a, "#verify-verdict"))
    # a certification seal (DocMDP P=2) at B-LTA: its level and what it
    # permits, and the plain LTV sentence, in both languages
    r = curl("-H", "Authorization: Bearer " + ADMIN, "-F",
             "file=@" + CORPUS + "/libreoffice-letter.pdf", "-F", "certify=2",
             "-F", "level=B-LTA", "-o", TMP + "/certified.pdf", "-w", "%{http_code}",
             URL + "/v1/seal")
    ok("a certification seal (P=2) at B-LTA (200)", r.stdout == "200", r.stdout + r.stderr)
    el(a, "#verify-file").send_keys(TMP + "/certified.pdf")
    wait(a, lambda d: "certified.pdf" in text(d, "#verify-out h2"), "the certified document")
    card = el(a, "article.sig")
    ok("the certified seal is valid and marked P=2",
       card.get_attribute("data-verdict") == "valid" and
       card.find_elements(By.CSS_SELECTOR, ".certification[data-docmdp='2']"), card.text[:300])
    ok("... what P=2 permits, in English and Indonesian",
       "Certification signature (DocMDP P=2)" in card.text and
       "only form filling, further signatures, validation data and timestamps are permitted" in card.text and
       "Tanda tangan sertifikasi (DocMDP P=2)" in card.text and
       "hanya boleh pengisian formulir, tanda tangan lain, data validasi dan stempel waktu" in card.text,
       card.text[:600])
    ok("... its certification row: DocMDP P=2",
       "DocMDP P=2" in [e.text for e in card.find_elements(By.CSS_SELECTOR, "dd")])
    ok("... 'validation data and timestamps were added after signing; the signed content is "
       "unchanged', in English and Indonesian",
       "Validation data and timestamps were added after signing; the signed content is unchanged." in
       el(a, "article.sig .ltv").text and
       "Data validasi dan stempel waktu ditambahkan setelah penandatanganan; isi yang "
       "ditandatangani tidak berubah." in el(a, "article.sig .ltv").text,
       card.text[:600])
    ok("... and no warning", not card.find_elements(By.CSS_SELECTOR, ".warn"))

    # ---- a seal: register (siti, with the letter), approve (budi), activate ----
    go(a, "register")
    fill(a, "#rs-name", "Segel Biro Umum")
    fill(a, "#rs-email", "officer@agency.go.id")
    el(a, "#rs-letter").send_keys(CORPUS + "/real-reportlab.pdf")
    el(a, "#reg-seal button[type=submit]").click()
    confirm(a, "real-reportlab.pdf")
    wait(a, lambda d: (el(d, "#reg-msg").get_attribute("data-subscriber") or "").startswith("seal-"),
         "the seal is registered")
    seal = el(a, "#reg-msg").get_attribute("data-subscriber")
    go(b, "queue")
    el(b, "#queue-refresh").click()
    row = wait(b, lambda d: row_of(d, "queue-table", "data-subscriber", seal),
               "budi sees the seal")
    letters = row.find_elements(By.CSS_SELECTOR, "button.secondary")
    ok("the seal's row offers its recommendation letter", len(letters) == 1)
    view = row.find_element(By.CSS_SELECTOR, "a.view-letter")
    size = b.execute_async_script("""
        const [href, done] = arguments;
        fetch(href, {credentials: 'same-origin'}).then(async r =>
          done(r.headers.get('Content-Type') + ' ' + (await r.arrayBuffer()).byteLength),
          e => done(String(e)));""", view.get_attribute("href"))
    ok("... to view in a new tab: its link answers the PDF itself",
       view.get_attribute("target") == "_blank" and
       size == "application/pdf %d" % os.path.getsize(CORPUS + "/real-reportlab.pdf"), size)
    letters[0].click()
    got = glob.glob("%s/dl-b/letter-*.pdf" % TMP)
    for _ in range(50):
        got = [g for g in glob.glob("%s/dl-b/letter-*.pdf" % TMP)
               if os.path.getsize(g) > 0]
        if got:
            break
        time.sleep(0.1)
    ok("... which downloads the very PDF uploaded",
       got and open(got[0], "rb").read() == open(CORPUS + "/real-reportlab.pdf", "rb").read())
    row.find_element(By.CSS_SELECTOR, "button.approve").click()
    confirm(b, "seal certificate issued now")
    wait(b, lambda d: "done" in el(d, "#flash").text, "the seal is approved")
    go(a, "seal")
    wait(a, lambda d: d.find_elements(By.CSS_SELECTOR, "#seal-list option[value='%s']" % seal),
         "the seal field's list offers the seal")
    label = el(a, "#seal-list option[value='%s']" % seal).get_attribute("label")
    ok("a verifier picks the seal from a list of the seals, by id and name (no id to know)",
       el(a, "#seal-id").get_attribute("list") == "seal-list" and
       label.startswith("Segel Biro Umum"), label)
    fill(a, "#seal-id", "Segel Biro Umum")
    el(a, "#seal-form button[type=submit]").click()
    wait(a, visible("#seal-state"), "the seal officer page shows the seal")
    ok("... typing its name finds it: not activated yet",
       el(a, "#seal-state").text == "Not activated." and
       el(a, "#seal-detail").get_attribute("data-status") == "active" and seal in el(a, "#seal-detail").text)
    quiet(a, "the verifier's seal page")
    ok("a verifier is offered no activation, enrolment or seal-code action, and told why",
       not a.find_elements(By.CSS_SELECTOR, "#seal-activate, #seal-deactivate, #seal-enrol-btn, #seal-code-form")
       and "Only the seal's officer" in text(a, "#seal-officer-only"))
    ok("... and the server refuses a verifier's activation request (403)",
       fetch(a, "POST", "/v1/ra/seals/%s/activation" % seal) == 403)
    no_dup_ids(a, "the verifier's seal page")
    officer(c, seal)

    # ---- renewal of the seal (budi asks, siti approves) ----
    go(b, "certs")
    fill(b, "#certs-q", seal)
    el(b, "#certs-form button[type=submit]").click()
    wait(b, lambda d: row_of(d, "certs-table", "data-subscriber", seal), "the seal is found")
    row_of(b, "certs-table", "data-subscriber", seal).find_element(By.CSS_SELECTOR, "button.link").click()
    wait(b, visible("#renew"), "the seal's detail")
    el(b, "#renew").click()
    confirm(b, "then a new key and certificate are made")
    wait(b, lambda d: "Request" in el(d, "#flash").text, "the renewal request")
    go(a, "queue")
    row = wait(a, lambda d: row_of(d, "queue-table", "data-subscriber", seal),
               "the renewal is in siti's queue")
    ok("the queue names it a renewal", row.text.startswith("renewal"), row.text[:60])
    row.find_element(By.CSS_SELECTOR, "button.approve").click()
    confirm(a, "a new key is generated in the token")
    wait(a, lambda d: "done" in el(d, "#flash").text, "renewed")
    go(b, "certs")
    fill(b, "#certs-q", seal)
    el(b, "#certs-form button[type=submit]").click()
    wait(b, lambda d: row_of(d, "certs-table", "data-subscriber", seal), "the seal again")
    row_of(b, "certs-table", "data-subscriber", seal).find_element(By.CSS_SELECTOR, "button.link").click()
    wait(b, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#cert-detail .cert")) == 2,
         "two certificates")
    ok("after the renewal the seal's detail lists two certificates, both valid",
       [c.get_attribute("data-status") for c in b.find_elements(By.CSS_SELECTOR, "#cert-detail .cert")]
       == ["valid", "valid"])

    # ---- SLA (verifier) ----
    go(a, "sla")
    wait(a, lambda d: d.find_elements(By.CSS_SELECTOR, "#sla-svg rect"), "the SLA chart")
    ok("the SLA page draws a per-week SVG chart with bars",
       len(a.find_elements(By.CSS_SELECTOR, "#sla-svg rect")) >= 1)
    shot(a, "sla")
    el(a, "#lang-id").click()
    wait(a, lambda d: text(d, "#sla-table th") == "Minggu", "the SLA table in Indonesian")
    ok("in Indonesian the SLA table's week column is headed 'Minggu' (not 'Jumlah minggu')",
       "Jumlah minggu" not in el(a, "#sla-table").text)
    el(a, "#lang-en").click()
    wait(a, lambda d: text(d, "#sla-table th") == "Week", "the SLA table in English")

    # ---- audit, as an admin (budi logs out, rina logs in) ----
    el(b, "#logout").click()
    wait(b, visible("#page-login"), "logged out")
    ok("budi logs out: the cookie no longer reads the queue (401)",
       fetch(b, "GET", "/v1/ra/requests", csrf=False) == 401)
    r_secret = first_login(b, "rina", "rendang padang 2026")
    totp_login(b, "rina", r_secret)
    wait(b, visible("#page-audit"), "an admin lands on the audit page")
    wait(b, lambda d: "Chain intact" in el(d, "#audit-chain").text, "the chain status")
    ok("the audit page: chain intact, records listed with the logins",
       "login" in el(b, "#audit-table").text and "user:siti" in el(b, "#audit-table").text)
    quiet(b, "the admin's landing")
    seqs = [e.text for e in b.find_elements(By.CSS_SELECTOR, "#audit-table tbody tr td:first-child")]
    ok("the admin's landing page is drawn once: one audit table, each record once",
       len(b.find_elements(By.CSS_SELECTOR, "#audit-table")) == 1 and
       len(seqs) == len(set(seqs)) and len(seqs) > 0, "%d rows, %d records" % (len(seqs), len(set(seqs))))
    no_dup_ids(b, "the admin's audit page")
    m = menu(b)
    ok("the admin's menu has Audit", "audit" in m, str(m))
    times = [e.text for e in b.find_elements(By.CSS_SELECTOR, "#audit-table tbody tr td:nth-child(2)")]
    bad = [x for x in times if not re.match(DATE_RE, x)]
    ok("every audit time carries its time zone, in the one date format", times and not bad,
       " | ".join(bad[:3]))
    shot(b, "audit")

    # ---- staff accounts, as the admin ----
    ok("the admin's menu has Staff", "staff" in m, str(m))
    go(b, "staff")
    wait(b, lambda d: row_of(d, "staff-table", "data-user", "siti"), "the staff table")
    users = [e.get_attribute("data-user")
             for e in b.find_elements(By.CSS_SELECTOR, "#staff-table tbody tr")]
    ok("the staff page lists each account once", len(users) == len(set(users)) and
       {"siti", "budi", "rina"} <= set(users), str(users))
    ok("the admin's own row offers no disable or reset",
       not row_of(b, "staff-table", "data-user", "rina").find_elements(By.CSS_SELECTOR, "button"))
    fill(b, "#st-new-name", "dewi")
    fill(b, "#st-new-email", "dewi@agency.go.id")
    el(b, "#staff-form button[type=submit]").click()
    confirm(b, "dewi@agency.go.id")
    wait(b, lambda d: row_of(d, "staff-table", "data-user", "dewi"), "dewi's row")
    ok("a new verifier account from the page: listed, initial password emailed",
       "no authenticator yet" in row_of(b, "staff-table", "data-user", "dewi").text and
       mail_to("dewi@agency.go.id", r"[A-Z0-9]{5}-[A-Z0-9]{5}") != "")
    row_of(b, "staff-table", "data-user", "dewi").find_element(By.CSS_SELECTOR, ".st-disable").click()
    confirm(b, "cannot log in")
    wait(b, lambda d: "disabled" in (row_of(d, "staff-table", "data-user", "dewi") or el(d, "body")).text
         and "Enable" in row_of(d, "staff-table", "data-user", "dewi").text, "dewi disabled")
    ok("disable: the row says disabled and offers Enable", True)
    row_of(b, "staff-table", "data-user", "dewi").find_element(By.CSS_SELECTOR, ".st-enable").click()
    confirm(b, "enabled again")
    wait(b, lambda d: "active" in (row_of(d, "staff-table", "data-user", "dewi") or el(d, "body")).text,
         "dewi enabled")
    ok("enable: the row says active again", True)
    # An account of each other role from the form: an admin, and a seal
    # officer for the seal (the seals field shows for an officer only).
    for name, role, word in (("eko", "admin", "administrator"),
                             ("tari", "officer", "seal officer")):
        fill(b, "#st-new-name", name)
        fill(b, "#st-new-email", name + "@agency.go.id")
        Select(el(b, "#st-new-role")).select_by_value(role)
        if role == "officer":
            wait(b, visible("#st-new-seals"), "the seals field for an officer")
            fill(b, "#st-new-seals", seal)
        else:
            ok("no seals field for the %s role" % role, not el(b, "#st-new-seals").is_displayed())
        el(b, "#staff-form button[type=submit]").click()
        confirm(b, name + "@agency.go.id")
        wait(b, lambda d: row_of(d, "staff-table", "data-user", name), name + "'s row")
        row = row_of(b, "staff-table", "data-user", name).text
        ok("a new %s account from the page: listed as %s%s, initial password emailed"
           % (role, word, " of the seal" if role == "officer" else ""),
           word in row and (role != "officer" or seal in row) and
           mail_to(name + "@agency.go.id", r"[A-Z0-9]{5}-[A-Z0-9]{5}") != "", row)
    ok("... and the form is empty again, the seals field hidden",
       el(b, "#st-new-name").get_attribute("value") == "" and
       not el(b, "#st-new-seals").is_displayed())
    audit = curl("--unix-socket", D + "/esignd.sock", "http://localhost/v1/audit?since=1&limit=10000").stdout
    recs = json.loads(audit or "{}").get("records", [])
    mine = [r for r in recs if r.get("actor") == "user:rina" and r.get("action", "").startswith("user.")]
    ok("the console's staff changes are audited with the admin's name",
       [(r["action"], r["target"]) for r in mine] == [("user.create", "dewi"),
                                                     ("user.disable", "dewi"),
                                                     ("user.enable", "dewi"),
                                                     ("user.create", "eko"),
                                                     ("user.create", "tari")], audit[-300:])
    detail = {r["target"]: r.get("detail") or {} for r in mine if r["action"] == "user.create"}
    ok("... each creation with its role, the officer's with the seal",
       detail.get("dewi", {}).get("role") == "verifier" and
       detail.get("eko", {}).get("role") == "admin" and
       detail.get("tari", {}).get("role") == "officer" and
       detail.get("tari", {}).get("seals") == [seal], json.dumps(detail))
    users = json.loads(curl("--unix-socket", D + "/esignd.sock", "http://localhost/v1/users").stdout
                       or "{}").get("users", [])
    tari = [u for u in users if u.get("name") == "tari"]
    ok("the server holds tari as an officer of the seal",
       tari and tari[0].get("role") == "officer" and tari[0].get("seals") == [seal], str(tari))
    no_dup_ids(b, "the staff page")
    shot(b, "staff")

    # The warning before it: idle 40 s, 35 of them gone.
    b.execute_script("""const s = JSON.parse(sessionStorage.getItem('esignd.session'));
        s.idle = 40; sessionStorage.setItem('esignd.session', JSON.stringify(s));
        lastActivity = Date.now() - 35000;""")
    wait(b, visible("#idle-warn"), "the idle warning")
    ok("before the idle logout the page warns, counting down, focus on 'Stay signed in'",
       re.match(r"No activity: you will be logged out in [1-5] seconds?\.$", text(b, "#idle-text"))
       is not None and active_id(b) == "idle-stay", text(b, "#idle-text"))
    el(b, "#idle-stay").click()
    wait(b, lambda d: not el(d, "#idle-warn").is_displayed(), "the warning goes")
    quiet(b, "staying signed in")
    ok("... 'Stay signed in' keeps the session: still signed in, the API still answers (200)",
       "signed-in" in el(b, "body").get_attribute("class") and
       fetch(b, "GET", "/v1/ra/requests?limit=1", csrf=False) == 200)
    # The page's idle timeout: shortened to 2 s in this tab's session.
    b.execute_script("""const s = JSON.parse(sessionStorage.getItem('esignd.session'));
        s.idle = 2; sessionStorage.setItem('esignd.session', JSON.stringify(s));""")
    wait(b, visible("#page-login"), "the idle page logs out", timeout=8)
    ok("left idle, the page logs out by itself and says the session ended",
       "session ended" in el(b, "#flash").text)
    ok("... and the server session is gone too (401)",
       fetch(b, "GET", "/v1/ra/requests", csrf=False) == 401)

    # ---- a phone ----
    a.set_window_size(390, 844)
    go(a, "verify")
    a.find_element(By.ID, "verify-file").send_keys(TMP + "/andi-lt.pdf")
    wait(a, visible("#verify-verdict"), "verify on a phone")
    ok("on a phone-sized window nothing scrolls sideways",
       a.execute_script("return document.documentElement.scrollWidth <= window.innerWidth"))
    a.execute_script("window.scrollTo(0, 0)")
    shot(a, "verify-phone")
    go(a, "certs")
    fill(a, "#certs-q", "")
    fill(a, "#certs-serial", "")
    el(a, "#certs-form button[type=submit]").click()
    wait(a, lambda d: row_of(d, "certs-table", "data-subscriber", ind), "the list on a phone")
    ok("on a phone the certificate list is cards (no table header), nothing scrolls sideways",
       not el(a, "#certs-table thead").is_displayed() and
       a.execute_script("return document.documentElement.scrollWidth <= window.innerWidth"))
    shot(a, "certificates-phone")
    names(a, "the certificate list and detail")
    names(b, "the audit page")
    a.set_window_size(1280, 900)
    if BULK:
        bulk(a)
    else:
        print("# the %d-record lists: plain builds only (ESD_CONSOLE_BULK=0)" % 250)

    ok("siti's session ends (logout from the page's script, with the CSRF token)",
       fetch(a, "POST", "/v1/logout") == 200)
    a.get(URL + "/console/#queue")
    wait(a, visible("#page-login"), "back to the login")
    ok("the next staff page finds the session gone and returns to the login, saying so",
       "session ended" in el(a, "#flash").text)

    for name, d in (("first", a), ("second", b)):
        errs = csp_errors(d)
        ok("the %s browser logged no Content-Security-Policy violation" % name,
           not errs, "; ".join(errs)[:300])


def on_term(signum, frame):
    raise SystemExit("terminated")   # runs main()'s finally: browsers quit


def main():
    signal.signal(signal.SIGTERM, on_term)
    a = b = c = None
    try:
        a = browser("a")
        b = browser("b")
        c = browser("c")
        run(a, b, c)
    except (WebDriverException, TimeoutException, AttributeError, IndexError) as e:
        ok("the browser run completes", False, repr(e)[:400])
    finally:
        for d in (a, b, c):
            if d is not None:
                try:
                    d.quit()
                except WebDriverException:
                    pass
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
