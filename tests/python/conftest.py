"""Fixtures that run the real `coffer` binary and talk to it through boto3 and the AWS CLI.

The binary is $COFFER_BIN (default: target/debug/coffer of this checkout). Every server listens on
127.0.0.1:0; the endpoint is read from its `coffer listening on http(s)://...` line, waited for with
a deadline. Servers are stopped by their PID (SIGTERM, then SIGKILL) when a fixture ends.

With CI=true a missing tool (the binary, boto3, the AWS CLI) fails the test instead of skipping it.
"""

import configparser
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
DEV_ACCOUNT = "111122223333"  # in dev mode a 12-digit access key id is the account
START_TIMEOUT = 30.0  # seconds to wait for the listening line
STOP_TIMEOUT = 15.0
LISTENING = re.compile(r"^coffer listening on (https?://127\.0\.0\.1:(\d+))\s*$")

# Exact texts recorded from real AWS (/work/shared/AWS-BEHAVIOUR.md, conformance/acceptance.py).
MSG_NOT_FOUND = "Secrets Manager can't find the specified secret."
MSG_NO_VALUE_FOR_STAGE = "Secrets Manager can't find the specified secret value for staging label: {}"
MSG_NO_VALUE_FOR_VERSION = "Secrets Manager can't find the specified secret value for VersionId: {}"
MSG_STAGE_NOT_ON_VERSION = "You provided a VersionStage that is not associated to the provided VersionId."
MSG_ALREADY_EXISTS = "The operation failed because the secret {} already exists."
MSG_INVALID_NAME = (
    "Invalid name. Must be a valid name containing alphanumeric characters, "
    "or any of the following: -/_+=.@!"
)
MSG_MARKED_FOR_DELETION = "You can't perform this operation on the secret because it was marked for deletion."
MSG_NAME_SCHEDULED_FOR_DELETION = (
    "You can't create this secret because a secret with this name is already scheduled for deletion."
)


def in_ci():
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing(what):
    """A required tool is absent: a failure under CI, a skip elsewhere."""
    if in_ci():
        pytest.fail(f"{what} is required (CI=true: missing tools fail, never skip)", pytrace=False)
    pytest.skip(f"{what} is not available", allow_module_level=True)


def need_boto3():
    try:
        import boto3  # noqa: F401
        import botocore  # noqa: F401
    except ImportError as err:  # pragma: no cover - depends on the environment
        missing(f"boto3/botocore ({err})")


def coffer_bin():
    path = os.environ.get("COFFER_BIN") or str(REPO / "target" / "debug" / "coffer")
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        missing(f"the coffer binary at {path} (run `cargo build`)")
    return path


def aws_cli():
    local = os.path.join(os.path.dirname(sys.executable), "aws")
    if os.access(local, os.X_OK):
        return local
    found = shutil.which("aws")
    if not found:
        missing("the AWS CLI (`aws`)")
    return found


def read_credentials(path):
    """(access key id, secret access key) of the [default] profile of a shared-credentials file."""
    parser = configparser.ConfigParser()
    with open(path) as f:
        parser.read_file(f)
    profile = parser["default"]
    return profile["aws_access_key_id"], profile["aws_secret_access_key"]


def clean_env(extra=None):
    """The caller's environment without any AWS_* or COFFER_* setting, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "COFFER_"))}
    env.update(extra or {})
    return env


# --------------------------------------------------------------------------- the server process


class Coffer:
    """One running `coffer serve`: its process, endpoint, output and credentials."""

    def __init__(self, args, env=None, log_dir=None, access_key=None, secret_key=None, data_dir=None,
                 cwd=None):
        self.args = list(args)
        self.data_dir = Path(data_dir) if data_dir else None
        self.access_key, self.secret_key = access_key, secret_key
        self.stdout_lines = []
        self._cond = threading.Condition()
        self._eof = False
        log_dir = Path(log_dir or "/tmp")
        self.stderr_path = log_dir / f"coffer-stderr-{uuid.uuid4().hex[:8]}.log"
        self._stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(
            [coffer_bin(), *self.args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=clean_env(env),
            text=True,
            bufsize=1,
            cwd=cwd,
        )
        self.pid = self.proc.pid
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.endpoint = self._wait_listening()
        self.port = int(self.endpoint.rsplit(":", 1)[1])
        if self.data_dir is not None and self.access_key is None:
            self.access_key, self.secret_key = read_credentials(self.data_dir / "credentials")

    def _read(self):
        for line in self.proc.stdout:
            with self._cond:
                self.stdout_lines.append(line.rstrip("\n"))
                self._cond.notify_all()
        with self._cond:
            self._eof = True
            self._cond.notify_all()

    def _wait_listening(self):
        deadline = time.monotonic() + START_TIMEOUT
        seen = 0
        with self._cond:
            while True:
                for line in self.stdout_lines[seen:]:
                    m = LISTENING.match(line)
                    if m:
                        return m.group(1)
                seen = len(self.stdout_lines)
                if self._eof:
                    self.proc.wait(timeout=STOP_TIMEOUT)
                    raise AssertionError(
                        f"coffer exited (status {self.proc.returncode}) before listening; "
                        f"stdout={self.stdout_lines!r} stderr={self.stderr()!r}"
                    )
                left = deadline - time.monotonic()
                if left <= 0:
                    self.kill()
                    raise AssertionError(
                        f"coffer did not print its listening line within {START_TIMEOUT}s; "
                        f"stdout={self.stdout_lines!r} stderr={self.stderr()!r}"
                    )
                self._cond.wait(timeout=left)

    def stdout(self):
        with self._cond:
            return "\n".join(self.stdout_lines)

    def stderr(self):
        if not self._stderr.closed:
            self._stderr.flush()
        return self.stderr_path.read_text(errors="replace")

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        """SIGTERM by PID, then SIGKILL if it has not exited in time; returns the exit status."""
        if self.proc.poll() is None:
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.proc.wait(timeout=STOP_TIMEOUT)
        self._finish()
        return self.proc.returncode

    def kill(self):
        """SIGKILL by PID: no chance to flush or shut down."""
        if self.proc.poll() is None:
            os.kill(self.pid, signal.SIGKILL)
            self.proc.wait(timeout=STOP_TIMEOUT)
        self._finish()
        return self.proc.returncode

    def _finish(self):
        self._reader.join(timeout=STOP_TIMEOUT)
        if not self._stderr.closed:
            self._stderr.close()

    # Clients -----------------------------------------------------------------
    def client(self, service="secretsmanager", access_key=None, secret_key=None, region=REGION):
        return make_client(
            self.endpoint,
            access_key or self.access_key,
            secret_key or self.secret_key,
            service=service,
            region=region,
        )

    def cli(self, *args, credentials_file=None, timeout=60, env=None):
        """Run `aws <args> --endpoint-url <this server>`; credentials only from the given file.

        `env` adds variables (AWS_CA_BUNDLE for an https:// server)."""
        creds = credentials_file or (self.data_dir / "credentials" if self.data_dir else None)
        assert creds is not None, "the CLI needs a credentials file"
        env = clean_env(
            {
                "AWS_SHARED_CREDENTIALS_FILE": str(creds),
                "AWS_CONFIG_FILE": os.devnull,
                "AWS_DEFAULT_REGION": REGION,
                "AWS_PAGER": "",
                **(env or {}),
            }
        )
        cmd = [aws_cli(), *args, "--endpoint-url", self.endpoint, "--output", "json"]
        return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)


def make_client(endpoint, access_key, secret_key, service="secretsmanager", region=REGION, verify=None):
    """A boto3 client for `endpoint`; `verify` is a CA bundle path for an https:// endpoint."""
    need_boto3()
    import boto3
    from botocore.config import Config

    session = boto3.session.Session(
        aws_access_key_id=access_key, aws_secret_access_key=secret_key, region_name=region
    )
    config = Config(connect_timeout=5, read_timeout=30, retries={"total_max_attempts": 1})
    return session.client(service, endpoint_url=endpoint, config=config, verify=verify)


def start_dev(tmp_path, env=None, extra_args=()):
    return Coffer(
        ["serve", "--dev", "--listen", "127.0.0.1:0", *extra_args],
        env=env,
        log_dir=tmp_path,
        access_key=DEV_ACCOUNT,
        secret_key="dev-secret-key",
    )


def start_real(data_dir, env=None, extra_args=()):
    data_dir = Path(data_dir)
    return Coffer(
        ["serve", "--data-dir", str(data_dir), "--listen", "127.0.0.1:0", *extra_args],
        env=env,
        log_dir=data_dir.parent,
        data_dir=data_dir,
    )


class Servers:
    """Starts servers for one test and stops every one of them at the end."""

    def __init__(self, tmp_path):
        self.tmp_path = tmp_path
        self.started = []

    def dev(self, **kwargs):
        server = start_dev(self.tmp_path, **kwargs)
        self.started.append(server)
        return server

    def real(self, data_dir=None, **kwargs):
        server = start_real(data_dir or self.tmp_path / "data", **kwargs)
        self.started.append(server)
        return server

    def close(self):
        for server in self.started:
            server.stop()


@pytest.fixture
def servers(tmp_path):
    """A factory for servers private to one test (durability, config, admin tests)."""
    coffer_bin()
    s = Servers(tmp_path)
    yield s
    s.close()


@pytest.fixture(scope="module")
def dev_server(tmp_path_factory):
    coffer_bin()
    need_boto3()
    server = start_dev(tmp_path_factory.mktemp("dev"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def real_server(tmp_path_factory):
    coffer_bin()
    need_boto3()
    server = start_real(tmp_path_factory.mktemp("real") / "data")
    yield server
    server.stop()


@pytest.fixture(scope="module", params=["dev", "real"])
def server(request):
    """The same tests against the in-memory emulator and against real mode on SQLite."""
    return request.getfixturevalue(f"{request.param}_server")


@pytest.fixture
def sm(server):
    return server.client()


@pytest.fixture
def prefix():
    """A name prefix unique to one test, so tests sharing a server never see each other's secrets."""
    return f"t-{uuid.uuid4().hex[:10]}"
