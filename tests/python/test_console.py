"""The web console against the real `coffer` binary: its security headers, the setting that turns
it off, IAM's login-profile actions through boto3, the sign-in endpoint (rate limit, audit), and
end-to-end scenarios in a real browser (Debian's `chromium`, driven through its `chromedriver`
with selenium; never a downloaded browser).

With CI=true a missing browser, driver or selenium fails these tests instead of skipping them.
Set COFFER_CONSOLE_SCREENSHOTS=<dir> to keep the screenshots the browser test takes (docs/console/
holds the committed ones).
"""

import json
import os
import shutil
import tempfile
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from conftest import REGION, missing, need_boto3

need_boto3()
import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
PASSWORD = "Corr3ct-horse!"
MSG_SIGN_IN_FAILED = "Your authentication information is incorrect. Please try again."
MSG_TOO_MANY = "Too many failed sign-in attempts. Wait 15 minutes, then try again."
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "font-src 'none'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
ALLOW_ALL = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
DENY_READ = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "*", "Resource": "*"},
    {"Effect": "Deny", "Action": "secretsmanager:GetSecretValue", "Resource": "*"},
]})


# --------------------------------------------------------------------------- helpers


def http(method, url, body=None, headers=None):
    """(status, headers, body bytes) of one plain HTTP request."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def sign_in(server, user, password, account=None):
    payload = {"UserName": user, "Password": password}
    if account:
        payload["AccountId"] = account
    status, headers, body = http("POST", f"{server.endpoint}/console/api/signin", json.dumps(payload).encode(),
                                 {"content-type": "application/json"})
    return status, headers, json.loads(body)


def root_client(server, service):
    return server.client(service=service)


def user_with_password(server, name, policy):
    iam = root_client(server, "iam")
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="console", PolicyDocument=policy)
    iam.create_login_profile(UserName=name, Password=PASSWORD)


def error_of(call):
    with pytest.raises(ClientError) as info:
        call()
    e = info.value.response
    return e["ResponseMetadata"]["HTTPStatusCode"], e["Error"]["Code"], e["Error"]["Message"]


def audit_events(server):
    path = server.data_dir / "audit.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line]


def assert_console_headers(headers):
    assert headers["Content-Security-Policy"] == CSP
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Cache-Control"] == "no-store"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"


# --------------------------------------------------------------------------- headers, the setting


def test_every_console_response_carries_the_security_headers(servers):
    server = servers.real()
    for path, content_type in [
        ("/console/", "text/html; charset=utf-8"),
        ("/console/js/main.js", "text/javascript; charset=utf-8"),
        ("/console/js/sigv4.js", "text/javascript; charset=utf-8"),
        ("/console/css/console.css", "text/css; charset=utf-8"),
        ("/console/favicon.svg", "image/svg+xml"),
    ]:
        status, headers, body = http("GET", server.endpoint + path)
        assert (status, headers["Content-Type"]) == (200, content_type), path
        assert_console_headers(headers)
        assert body
    # The page loads no third-party asset and has no inline script.
    _, _, page = http("GET", server.endpoint + "/console/")
    html = page.decode()
    assert "http://" not in html and "https://" not in html
    assert '<script type="module" src="js/main.js"></script>' in html
    assert html.count("<script") == 1
    # /console redirects to /console/; an unknown file is a 404 with the same headers.
    status, headers, _ = http("GET", server.endpoint + "/console/nothing.js")
    assert status == 404
    assert_console_headers(headers)
    # The sign-in endpoint's answers too, and it takes JSON only.
    status, headers, body = http("POST", server.endpoint + "/console/api/signin", b"UserName=a&Password=b",
                                 {"content-type": "application/x-www-form-urlencoded"})
    assert status == 400
    assert_console_headers(headers)
    assert json.loads(body) == {"__type": "ValidationException",
                                "Message": "The sign-in request must be application/json."}
    # Even a refused request is an audited sign-in attempt.
    [event] = [e for e in audit_events(server) if e["eventName"] == "ConsoleLogin"]
    assert (event["responseElements"], event["errorCode"]) == ({"ConsoleLogin": "Failure"}, "ValidationException")


@pytest.mark.parametrize("how", ["flag", "environment"])
def test_the_console_can_be_turned_off(servers, how):
    if how == "flag":
        server = servers.real(extra_args=["--no-console"])
    else:
        server = servers.real(env={"COFFER_CONSOLE": "false"})
    for method, path in [("GET", "/console/"), ("GET", "/console/js/main.js"), ("POST", "/console/api/signin")]:
        status, headers, body = http(method, server.endpoint + path, b"{}" if method == "POST" else None,
                                     {"content-type": "application/json"})
        # Answered as any unknown path: the API's refusal of an unsigned request, no console header.
        assert status == 400, path
        assert "Content-Security-Policy" not in headers
        assert json.loads(body)["__type"] == "MissingAuthenticationTokenException"
    # The API itself is untouched.
    assert root_client(server, "secretsmanager").list_secrets()["SecretList"] == []


# --------------------------------------------------------------------------- login profiles


def test_login_profiles_as_iam_answers_them(servers):
    server = servers.real()
    iam = root_client(server, "iam")
    iam.create_user(UserName="alice")
    assert error_of(lambda: iam.get_login_profile(UserName="alice")) == (
        404, "NoSuchEntity", "Login Profile for User alice cannot be found.")
    assert error_of(lambda: iam.create_login_profile(UserName="alice", Password="short")) == (
        400, "PasswordPolicyViolation", "Password does not conform to the account password policy.")
    assert error_of(lambda: iam.create_login_profile(UserName="nobody", Password=PASSWORD)) == (
        404, "NoSuchEntity", "The user with name nobody cannot be found.")
    created = iam.create_login_profile(UserName="alice", Password=PASSWORD, PasswordResetRequired=True)["LoginProfile"]
    assert (created["UserName"], created["PasswordResetRequired"]) == ("alice", True)
    assert error_of(lambda: iam.create_login_profile(UserName="alice", Password=PASSWORD)) == (
        409, "EntityAlreadyExists", "Login Profile for user alice already exists.")
    got = iam.get_login_profile(UserName="alice")["LoginProfile"]
    assert got["CreateDate"] == created["CreateDate"] and got["PasswordResetRequired"] is True
    # Reset required: the password is right, but the console refuses until it is cleared.
    status, _, body = sign_in(server, "alice", PASSWORD)
    assert (status, body["__type"]) == (400, "InvalidRequestException")
    iam.update_login_profile(UserName="alice", PasswordResetRequired=False)
    assert iam.get_login_profile(UserName="alice")["LoginProfile"]["PasswordResetRequired"] is False
    status, _, body = sign_in(server, "alice", PASSWORD)
    assert status == 200 and body["Arn"].endswith(":user/alice")
    # The password is never stored or logged: only its Argon2id hash.
    for path in server.data_dir.rglob("*"):
        if path.is_file():
            assert PASSWORD.encode() not in path.read_bytes(), path
    assert PASSWORD not in server.stderr() and PASSWORD not in server.stdout()
    events = [e for e in audit_events(server) if e["eventName"] == "CreateLoginProfile"]
    assert events and all("password" not in (e.get("requestParameters") or {}) for e in events)
    # DeleteUser waits for the password to go, as IAM does.
    assert error_of(lambda: iam.delete_user(UserName="alice")) == (
        409, "DeleteConflict", "Cannot delete entity, must delete login profile first.")
    iam.delete_login_profile(UserName="alice")
    assert error_of(lambda: iam.delete_login_profile(UserName="alice")) == (
        404, "NoSuchEntity", "Login Profile for User alice cannot be found.")
    iam.delete_user(UserName="alice")
    # A user created again under the same name has no password.
    iam.create_user(UserName="alice")
    assert error_of(lambda: iam.get_login_profile(UserName="alice"))[1] == "NoSuchEntity"


def test_sign_in_issues_a_user_session_and_is_rate_limited_and_audited(servers):
    server = servers.real()
    user_with_password(server, "alice", ALLOW_ALL)
    user_with_password(server, "bob", ALLOW_ALL)
    account = root_client(server, "sts").get_caller_identity()["Account"]

    status, headers, body = sign_in(server, "alice", PASSWORD, account)
    assert status == 200
    assert_console_headers(headers)
    creds = body["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA") and body["Arn"] == f"arn:aws:iam::{account}:user/alice"
    session = boto3.session.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                                    aws_session_token=creds["SessionToken"], region_name=REGION)
    sts = session.client("sts", endpoint_url=server.endpoint, config=Config(retries={"total_max_attempts": 1}))
    assert sts.get_caller_identity()["Arn"] == f"arn:aws:iam::{account}:user/alice"

    # Five failures lock alice out (even with the right password); bob is not affected.
    for _ in range(5):
        status, _, body = sign_in(server, "alice", "Wrong-passw0rd")
        assert (status, body) == (400, {"__type": "AccessDeniedException", "Message": MSG_SIGN_IN_FAILED})
    status, _, body = sign_in(server, "alice", PASSWORD)
    assert (status, body) == (400, {"__type": "ThrottlingException", "Message": MSG_TOO_MANY})
    assert sign_in(server, "bob", PASSWORD)[0] == 200
    # Unknown users and a wrong account get the same answer as a wrong password.
    assert sign_in(server, "nobody", PASSWORD)[2]["Message"] == MSG_SIGN_IN_FAILED
    assert sign_in(server, "bob", PASSWORD, "000000000000")[2]["Message"] == MSG_SIGN_IN_FAILED

    logins = [e for e in audit_events(server) if e["eventName"] == "ConsoleLogin"]
    outcomes = [(e["userIdentity"].get("userName"), e["responseElements"]["ConsoleLogin"], e.get("errorCode"))
                for e in logins]
    assert outcomes == [("alice", "Success", None)] + [("alice", "Failure", "AccessDeniedException")] * 5 + [
        ("alice", "Failure", "ThrottlingException"), ("bob", "Success", None),
        ("nobody", "Failure", "AccessDeniedException"), ("bob", "Failure", "AccessDeniedException")]
    assert all(e["eventSource"] == "signin.amazonaws.com" and e["sourceIPAddress"] == "127.0.0.1" for e in logins)
    text = (server.data_dir / "audit.jsonl").read_text()
    assert PASSWORD not in text and creds["SecretAccessKey"] not in text and creds["SessionToken"] not in text
    # The metrics count sign-ins by outcome, under their own label.
    _, _, metrics = http("GET", server.endpoint + "/metrics")
    lines = metrics.decode().splitlines()
    assert 'coffer_requests_total{operation="ConsoleLogin",outcome="success"} 2' in lines
    assert 'coffer_requests_total{operation="ConsoleLogin",outcome="client_error"} 8' in lines


# --------------------------------------------------------------------------- the browser


@pytest.fixture(scope="module")
def webdriver_factory():
    """Makes headless Chromium sessions (Debian's chromium and chromedriver)."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError as err:
        missing(f"selenium ({err})")
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            missing(f"{path} (apt-get install chromium chromium-driver)")
    drivers = []
    # Chromium leaves its singleton socket directories in TMPDIR; give it one of its own that
    # goes when the module's browsers do.
    scratch = tempfile.TemporaryDirectory(prefix="coffer-chromium-")
    env = {**os.environ, "TMPDIR": scratch.name}

    def make(width=1280, height=900):
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for arg in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--no-first-run", "--disable-extensions", f"--window-size={width},{height}"]:
            options.add_argument(arg)
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER, env=env), options=options)
        drivers.append(driver)
        return driver

    yield make
    for driver in drivers:
        driver.quit()
    scratch.cleanup()


class Page:
    """A browser on the console, with waits bounded by a deadline (never a fixed sleep)."""

    def __init__(self, driver, server, shots):
        from selenium.webdriver.common.by import By
        from selenium.common.exceptions import StaleElementReferenceException
        from selenium.webdriver.support.ui import WebDriverWait

        self.d, self.server, self.shots, self.By = driver, server, shots, By
        self.wait = WebDriverWait(driver, 20, ignored_exceptions=[StaleElementReferenceException])

    def open(self, fragment=""):
        self.d.get(f"{self.server.endpoint}/console/{fragment}")

    def find(self, css):
        return self.wait.until(lambda d: d.find_element(self.By.CSS_SELECTOR, css))

    def texts(self, css):
        # Read in one script: the page re-renders while it loads, and element references
        # taken before a re-render go stale.
        return self.d.execute_script(
            "return Array.from(document.querySelectorAll(arguments[0]), e => e.innerText)", css)

    def text_appears(self, css, text):
        found = self.wait.until(lambda d: [t for t in self.texts(css) if text in t])
        return found[0]

    def storage(self):
        return self.d.execute_script("return Object.keys(sessionStorage).map(k => [k, sessionStorage.getItem(k)])")

    def sign_in(self, user):
        from selenium.webdriver.common.keys import Keys

        self.open()
        self.find("input[name=username]").send_keys(user)
        # Keyboard only: Enter in the password field submits the form.
        self.find("input[name=password]").send_keys(PASSWORD, Keys.ENTER)
        self.text_appears("h1", "Secrets")

    def shot(self, name):
        if self.shots:
            self.d.save_screenshot(str(self.shots / f"{name}.png"))


def test_console_end_to_end_in_chromium(servers, webdriver_factory, tmp_path):
    from selenium.webdriver.common.by import By

    server = servers.real()
    user_with_password(server, "alice", ALLOW_ALL)
    user_with_password(server, "mallory", DENY_READ)
    account = root_client(server, "sts").get_caller_identity()["Account"]
    shots = Path(os.environ["COFFER_CONSOLE_SCREENSHOTS"]) if os.environ.get("COFFER_CONSOLE_SCREENSHOTS") else tmp_path
    shots.mkdir(parents=True, exist_ok=True)
    driver = webdriver_factory()
    page = Page(driver, server, shots)

    page.open()
    page.find("#signin-password")
    page.shot("signin")
    assert page.storage() == []
    # Signed out, the header offers no navigation and no sign-out.
    assert not driver.find_element(By.ID, "nav").is_displayed()
    assert not driver.find_element(By.ID, "signout").is_displayed()

    # Sign in with a password: the session is in sessionStorage, and nowhere else.
    page.sign_in("alice")
    [(key, value)] = page.storage()
    stored = json.loads(value)
    assert key == "coffer.console.session" and stored["accessKeyId"].startswith("ASIA")
    assert stored["arn"] == f"arn:aws:iam::{account}:user/alice"
    assert driver.execute_script("return localStorage.length") == 0
    assert driver.get_cookies() == []

    # Create a secret with the key/value editor.
    name = f"console/{uuid.uuid4().hex[:8]}"
    driver.find_element(By.CSS_SELECTOR, "details.create summary").click()
    page.find("input[name=new-secret-name]").send_keys(name)
    driver.find_element(By.CSS_SELECTOR, "#create-secret .kv-key").send_keys("password")
    driver.find_element(By.CSS_SELECTOR, "#create-secret .kv-value").send_keys("hunter2-first")
    driver.find_element(By.CSS_SELECTOR, "#create-secret button[type=submit]").click()
    page.text_appears("h1", name)
    sm = root_client(server, "secretsmanager")
    assert sm.get_secret_value(SecretId=name)["SecretString"] == '{"password":"hunter2-first"}'
    first_version = sm.describe_secret(SecretId=name)["VersionIdsToStages"]

    # The value stays hidden until revealed; the reveal is a GetSecretValue.
    assert "hunter2-first" not in driver.find_element(By.TAG_NAME, "main").text
    page.find("#reveal").click()
    page.text_appears("#secret-value-area", "hunter2-first")
    page.shot("secret")

    # Put a new value: AWSCURRENT moves to it, AWSPREVIOUS to the old one.
    driver.find_element(By.CSS_SELECTOR, "#put-value").find_element(By.XPATH, "..").find_element(By.TAG_NAME, "summary").click()
    value_input = driver.find_element(By.CSS_SELECTOR, "#put-value .kv-value")
    value_input.send_keys("hunter2-second")
    driver.find_element(By.CSS_SELECTOR, "#put-value .kv-key").send_keys("password")
    driver.find_element(By.CSS_SELECTOR, "#put-value button[type=submit]").click()
    [old_version] = first_version
    page.wait.until(lambda d: len(sm.describe_secret(SecretId=name)["VersionIdsToStages"]) == 2)
    stages = sm.describe_secret(SecretId=name)["VersionIdsToStages"]
    assert stages[old_version] == ["AWSPREVIOUS"]
    [new_version] = [v for v, s in stages.items() if s == ["AWSCURRENT"]]
    # The page shows it: the old version's row carries AWSPREVIOUS, the new one's AWSCURRENT.
    page.wait.until(lambda d: any(old_version in r and "AWSPREVIOUS" in r for r in page.texts("tbody tr")))
    rows = page.texts("tbody tr")
    assert [r.split()[:2] for r in rows if new_version in r] == [[new_version, "AWSCURRENT"]]
    assert [r.split()[:2] for r in rows if old_version in r] == [[old_version, "AWSPREVIOUS"]]

    # Move AWSCURRENT back to the first version with the label form (UpdateSecretVersionStage).
    from selenium.webdriver.support.ui import Select
    Select(driver.find_element(By.NAME, "to-version")).select_by_value(old_version)
    driver.find_element(By.CSS_SELECTOR, "#move-label button[type=submit]").click()
    page.wait.until(lambda d: "AWSCURRENT" in sm.describe_secret(SecretId=name)["VersionIdsToStages"][old_version])
    stages = sm.describe_secret(SecretId=name)["VersionIdsToStages"]
    assert stages == {old_version: ["AWSCURRENT"], new_version: ["AWSPREVIOUS"]}
    page.wait.until(lambda d: any(old_version in r and "AWSCURRENT" in r for r in page.texts("tbody tr")))
    # A tag, added in the page.
    page.find("input[name=tag-key]").send_keys("team")
    driver.find_element(By.NAME, "tag-value").send_keys("payments")
    driver.find_element(By.XPATH, "//button[text()='Add tag']").click()
    page.wait.until(lambda d: sm.describe_secret(SecretId=name).get("Tags") == [{"Key": "team", "Value": "payments"}])
    page.text_appears("tbody tr", "payments")

    # The audit page shows the reveal, and the chain verifies.
    page.open("#/audit")
    page.find("input[name=event-name]").send_keys("GetSecretValue")
    driver.find_element(By.CSS_SELECTOR, "form[role=search] button[type=submit]").click()
    # (The page first shows every recent event; wait for the filtered list.)
    alice = f"arn:aws:iam::{account}:user/alice"
    rows = page.wait.until(lambda d: (lambda rows: rows if rows and all("\tGetSecretValue\t" in r for r in rows)
                                      and any(alice in r for r in rows) else None)(page.texts("#audit-results tbody tr")))
    [row] = [r for r in rows if alice in r]
    assert row.split("\t")[1:] == ["GetSecretValue", alice, f"{sm.describe_secret(SecretId=name)['ARN']}", "Success",
                                   "127.0.0.1"]
    driver.find_element(By.XPATH, "//button[text()='Verify chain']").click()
    page.text_appears("#chain-state", "Chain Intact")
    page.shot("audit")

    # Access: a user made in the page, its access key (the secret shown once), deactivated and
    # deleted, its console password, an inline policy refused with IAM's message, then saved.
    page.open("#/access")
    page.find("input[name=new-user]").send_keys("carol")
    driver.find_element(By.XPATH, "//button[text()='Create user']").click()
    page.wait.until(lambda d: "carol" in [b.text for b in d.find_elements(By.CSS_SELECTOR, "button.link")])
    driver.find_element(By.XPATH, "//button[@class='link' and text()='carol']").click()
    page.text_appears(".detail h2", "User carol")
    # (Taken before the key exists: a screenshot never holds a secret key, even a test's.)
    page.shot("access")
    driver.find_element(By.XPATH, "//button[text()='Create access key']").click()
    shown = page.text_appears(".secret-once", "Secret access key")
    iam = root_client(server, "iam")
    [carol_key] = iam.list_access_keys(UserName="carol")["AccessKeyMetadata"]
    assert carol_key["AccessKeyId"] in shown and carol_key["Status"] == "Active"
    driver.find_element(By.XPATH, "//button[text()='Deactivate']").click()
    page.wait.until(lambda d: iam.list_access_keys(UserName="carol")["AccessKeyMetadata"][0]["Status"] == "Inactive")
    page.text_appears(".detail tbody tr", "Inactive")
    assert page.texts(".secret-once") == [], "the secret key is shown once only"
    driver.find_element(By.XPATH, "//td//button[text()='Delete']").click()
    page.wait.until(lambda d: iam.list_access_keys(UserName="carol")["AccessKeyMetadata"] == [])
    page.text_appears(".detail p", "No access keys.")
    page.find("input[name=new-password]").send_keys(PASSWORD)
    driver.find_element(By.XPATH, "//button[text()='Create password']").click()
    page.text_appears(".detail button", "Change password")
    assert iam.get_login_profile(UserName="carol")["LoginProfile"]["PasswordResetRequired"] is False
    page.find("input[name=user-policy-name]").send_keys("read")
    driver.find_element(By.NAME, "user-policy-document").send_keys('{"Version": "2012-10-17", "Statement": []}')
    driver.find_element(By.XPATH, "//button[text()='Save inline policy']").click()
    refused = page.text_appears(".detail [role=alert]", "MalformedPolicyDocument")
    assert refused.startswith("MalformedPolicyDocument: ")
    assert iam.list_user_policies(UserName="carol")["PolicyNames"] == []
    document = driver.find_element(By.NAME, "user-policy-document")
    document.clear()
    document.send_keys(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "secretsmanager:DescribeSecret", "Resource": "*"}]}))
    driver.find_element(By.XPATH, "//button[text()='Save inline policy']").click()
    page.wait.until(lambda d: iam.list_user_policies(UserName="carol")["PolicyNames"] == ["read"])
    page.text_appears(".detail tbody tr", "read")

    # The list: search (every word must match), sort, page size and pages.
    for n in range(11):
        sm.create_secret(Name=f"bulk/{n:02}", SecretString="x")
    page.open("#/secrets")
    page.text_appears("#secret-results", name)
    page.shot("secrets")
    page.find("input[name=search]").send_keys("bulk/")
    Select(driver.find_element(By.NAME, "filter-key")).select_by_value("name")
    Select(driver.find_element(By.NAME, "sort-by")).select_by_value("name")
    Select(driver.find_element(By.NAME, "sort-order")).select_by_value("asc")
    Select(driver.find_element(By.NAME, "page-size")).select_by_value("10")
    driver.find_element(By.CSS_SELECTOR, "form[role=search] button[type=submit]").click()
    names = lambda: [r.split("\t")[0] for r in page.texts("#secret-results tbody tr")]  # noqa: E731
    page.wait.until(lambda d: names() == [f"bulk/{n:02}" for n in range(10)])
    driver.find_element(By.XPATH, "//button[text()='Next page']").click()
    page.wait.until(lambda d: names() == ["bulk/10"])
    page.text_appears(".pager", "Page 2")
    driver.find_element(By.XPATH, "//button[text()='Previous page']").click()
    page.wait.until(lambda d: names()[:1] == ["bulk/00"])
    # Phone width: the list still works.
    page.open("#/secrets")
    page.text_appears("#secret-results", "bulk/")
    driver.set_window_size(390, 844)
    page.text_appears("#secret-results", "bulk/")
    page.shot("secrets-phone")
    driver.set_window_size(1280, 900)

    # Sign out clears the credentials.
    assert driver.find_element(By.ID, "signout").is_displayed()
    driver.find_element(By.ID, "signout").click()
    page.find("#signin-password")
    assert page.storage() == []
    assert not driver.find_element(By.ID, "nav").is_displayed()

    # A user whose policy denies GetSecretValue sees AWS's refusal, and no value.
    page.sign_in("mallory")
    page.open(f"#/secret/{name}")
    page.find("#reveal").click()
    error = page.text_appears("[role=alert]", "AccessDeniedException")
    arn = sm.describe_secret(SecretId=name)["ARN"]
    assert error == (
        f"AccessDeniedException: User: arn:aws:iam::{account}:user/mallory is not authorized to perform: "
        f"secretsmanager:GetSecretValue on resource: {arn} with an explicit deny in an identity-based policy")
    assert driver.find_elements(By.ID, "secret-value") == []
    assert "hunter2" not in driver.find_element(By.TAG_NAME, "main").text
    page.shot("denied")
    denied = [e for e in audit_events(server) if e["eventName"] == "GetSecretValue"
              and e["userIdentity"].get("userName") == "mallory"]
    assert [e["errorCode"] for e in denied] == ["AccessDeniedException"]

    # Signing in with an access key pair (the root user's) works too.
    driver.find_element(By.ID, "signout").click()
    page.find("input[name=access-key-id]").send_keys(server.access_key)
    page.find("input[name=secret-access-key]").send_keys(server.secret_key)
    driver.find_element(By.CSS_SELECTOR, "#signin-key button[type=submit]").click()
    page.text_appears("#who-name", f"root @ {account}")
    driver.find_element(By.ID, "signout").click()
    page.find("#signin-password")
    assert page.storage() == []


def test_browser_tools_are_installed_under_ci():
    """Under CI the browser test must run: the browser and its driver are there."""
    if os.environ.get("CI", "").lower() not in ("1", "true", "yes"):
        pytest.skip("only checked under CI")
    assert shutil.which("chromium") and shutil.which("chromedriver")


def signed_events(server, body, access_key, secret_key, token=None):
    """POST /console/api/events signed with SigV4 for `cloudtrail`, as the console signs it."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    url = f"{server.endpoint}/console/api/events"
    data = json.dumps(body).encode()
    request = AWSRequest(method="POST", url=url, data=data, headers={"content-type": "application/x-amz-json-1.1"})
    SigV4Auth(Credentials(access_key, secret_key, token), "cloudtrail", REGION).add_auth(request)
    status, headers, out = http("POST", url, data, dict(request.headers.items()))
    return status, headers, json.loads(out)


def test_the_events_endpoint_is_signed_and_authorized(servers):
    server = servers.real()
    iam = root_client(server, "iam")
    iam.create_user(UserName="reader")
    iam.put_user_policy(UserName="reader", PolicyName="sm", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "secretsmanager:*", "Resource": "*"}]}))
    key = iam.create_access_key(UserName="reader")["AccessKey"]
    account = root_client(server, "sts").get_caller_identity()["Account"]
    root_client(server, "secretsmanager").create_secret(Name="audited", SecretString="v")

    # Unsigned: refused before anything is read.
    status, headers, body = http("POST", f"{server.endpoint}/console/api/events", b"{}",
                                 {"content-type": "application/x-amz-json-1.1"})
    assert status == 400 and json.loads(body)["__type"] == "MissingAuthenticationTokenException"
    assert_console_headers(headers)
    # Signed by a user without cloudtrail:LookupEvents: AWS's refusal.
    status, _, body = signed_events(server, {}, key["AccessKeyId"], key["SecretAccessKey"])
    assert (status, body) == (400, {
        "__type": "AccessDeniedException",
        "Message": f"User: arn:aws:iam::{account}:user/reader is not authorized to perform: cloudtrail:LookupEvents "
                   "because no identity-based policy allows the cloudtrail:LookupEvents action"})
    # The root user reads the events, filtered, newest first, and the chain's state.
    status, headers, body = signed_events(server, {"EventName": "CreateSecret", "VerifyChain": True},
                                          server.access_key, server.secret_key)
    assert status == 200
    assert_console_headers(headers)
    assert [e["eventName"] for e in body["Events"]] == ["CreateSecret"]
    assert body["Events"][0]["requestParameters"]["name"] == "audited"
    assert body["Chain"]["State"] == "Intact"
    status, _, body = signed_events(server, {"Outcome": "Failure", "MaxResults": 5}, server.access_key, server.secret_key)
    assert status == 200
    assert [e["eventName"] for e in body["Events"]][:2] == ["LookupEvents", "LookupEvents"]
    assert all(e.get("errorCode") for e in body["Events"])
    # Every read is itself recorded.
    lookups = [e for e in audit_events(server) if e["eventName"] == "LookupEvents"]
    assert [(e["eventSource"], e["userIdentity"].get("userName"), e.get("errorCode")) for e in lookups] == [
        ("cloudtrail.amazonaws.com", None, "MissingAuthenticationTokenException"),
        ("cloudtrail.amazonaws.com", "reader", "AccessDeniedException"),
        ("cloudtrail.amazonaws.com", None, None),
        ("cloudtrail.amazonaws.com", None, None)]
    assert lookups[2]["userIdentity"]["type"] == "Root" and lookups[0]["userIdentity"]["type"] == "Unknown"
