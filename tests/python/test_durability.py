"""Real mode across process lifetimes: graceful restart, kill -9, what is on disk, config and admin."""

import base64
import os
import stat
import subprocess
import threading
import urllib.request
import uuid

import pytest

from conftest import (
    DEV_ACCOUNT,
    Coffer,
    MSG_MARKED_FOR_DELETION,
    MSG_NOT_FOUND,
    clean_env,
    coffer_bin,
    need_boto3,
    read_credentials,
)

need_boto3()
from botocore.exceptions import ClientError  # noqa: E402


def error_code(call):
    with pytest.raises(ClientError) as info:
        call()
    return info.value.response["Error"]["Code"], info.value.response["Error"]["Message"]


def stages(sm, secret_id):
    described = sm.describe_secret(SecretId=secret_id)
    return {vid: sorted(labels) for vid, labels in described.get("VersionIdsToStages", {}).items()}


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def run_coffer(*args, env=None, timeout=30):
    return subprocess.run([coffer_bin(), *args], env=clean_env(env), capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


# --------------------------------------------------------------------------- graceful restart


def test_restart_keeps_every_acknowledged_value_version_and_label(servers, tmp_path):
    data = tmp_path / "data"
    s1 = servers.real(data)
    assert f"coffer: initialised {data}" in s1.stdout()
    creds_before = (data / "credentials").read_bytes()
    creds_mtime = os.stat(data / "credentials").st_mtime_ns
    root_key_before = (data / "root.key").read_bytes()
    sm = s1.client()

    expected = {}  # name -> (ARN, {VersionId: value}, {VersionId: sorted labels})
    for i in range(6):
        name = f"restart/{i}"
        values = {}
        if i % 2:
            first = sm.create_secret(Name=name, SecretBinary=b"\x00bin-%d" % i, Description=f"d{i}",
                                     Tags=[{"Key": "i", "Value": str(i)}])
            values[first["VersionId"]] = b"\x00bin-%d" % i
        else:
            first = sm.create_secret(Name=name, SecretString=f"s{i}-v0", Description=f"d{i}",
                                     Tags=[{"Key": "i", "Value": str(i)}])
            values[first["VersionId"]] = f"s{i}-v0"
        v0 = first["VersionId"]
        v1 = sm.put_secret_value(SecretId=name, SecretString=f"s{i}-v1")["VersionId"]
        v2 = sm.put_secret_value(SecretId=name, SecretString=f"s{i}-v2")["VersionId"]
        v3 = sm.put_secret_value(SecretId=name, SecretString=f"s{i}-v3", VersionStages=["canary"])["VersionId"]
        values.update({v1: f"s{i}-v1", v2: f"s{i}-v2", v3: f"s{i}-v3"})
        labels = {v1: ["AWSPREVIOUS"], v2: ["AWSCURRENT"], v3: ["canary"]}
        assert stages(sm, name) == labels
        expected[name] = (first["ARN"], values, labels, i)
    sm.create_secret(Name="restart/scheduled", SecretString="bye")
    sm.delete_secret(SecretId="restart/scheduled", RecoveryWindowInDays=7)
    sm.create_secret(Name="restart/forced", SecretString="gone")
    sm.delete_secret(SecretId="restart/forced", ForceDeleteWithoutRecovery=True)

    assert s1.stop() == 0  # SIGTERM: a graceful shutdown exits 0

    s2 = servers.real(data)
    assert "initialised" not in s2.stdout()
    assert (data / "credentials").read_bytes() == creds_before
    assert os.stat(data / "credentials").st_mtime_ns == creds_mtime
    assert (data / "root.key").read_bytes() == root_key_before
    assert sorted(p.name for p in data.iterdir() if p.name.startswith("credentials")) == ["credentials"]
    assert (s2.access_key, s2.secret_key) == (s1.access_key, s1.secret_key)

    sm = s2.client()  # the same credentials file, unchanged
    assert sm.list_secrets(MaxResults=1)["ResponseMetadata"]["HTTPStatusCode"] == 200
    for name, (arn, values, labels, i) in expected.items():
        assert stages(sm, name) == labels
        for vid, value in values.items():
            got = sm.get_secret_value(SecretId=name, VersionId=vid)
            key = "SecretBinary" if isinstance(value, bytes) else "SecretString"
            assert (got["ARN"], got[key]) == (arn, value)
        assert sm.get_secret_value(SecretId=name)["SecretString"] == f"s{i}-v2"
        assert sm.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")["SecretString"] == f"s{i}-v1"
        assert sm.get_secret_value(SecretId=name, VersionStage="canary")["SecretString"] == f"s{i}-v3"
        everything = sm.list_secret_version_ids(SecretId=name, IncludeDeprecated=True)["Versions"]
        assert sorted(v["VersionId"] for v in everything) == sorted(values)
        described = sm.describe_secret(SecretId=name)
        assert (described["ARN"], described["Description"], described["Tags"]) == (
            arn, f"d{i}", [{"Key": "i", "Value": str(i)}])
    assert error_code(lambda: sm.get_secret_value(SecretId="restart/scheduled")) == (
        "InvalidRequestException", MSG_MARKED_FOR_DELETION)
    assert sm.restore_secret(SecretId="restart/scheduled")["Name"] == "restart/scheduled"
    assert sm.get_secret_value(SecretId="restart/scheduled")["SecretString"] == "bye"
    assert error_code(lambda: sm.describe_secret(SecretId="restart/forced")) == (
        "ResourceNotFoundException", MSG_NOT_FOUND)


# --------------------------------------------------------------------------- kill -9


def test_kill_9_loses_no_acknowledged_write(servers, tmp_path):
    data = tmp_path / "data"
    s1 = servers.real(data)
    sm = s1.client()
    names = [f"kill/{i}" for i in range(4)]
    acked = {}  # name -> [(VersionId, value)] in acknowledgement order
    in_flight = {}  # name -> (VersionId, value) of a write sent but not acknowledged
    for n in names:
        created = sm.create_secret(Name=n, SecretString=f"{n}-initial")
        acked[n] = [(created["VersionId"], f"{n}-initial")]
    lock = threading.Lock()
    enough = threading.Event()
    total = [0]
    target = 100  # acknowledged writes before the kill
    errors = []

    def writer(owned):
        client = s1.client()
        i = 0
        while True:
            for n in owned:
                i += 1
                token = str(uuid.uuid4())
                value = f"{n}-{i}-{uuid.uuid4().hex}"
                in_flight[n] = (token, value)
                try:
                    resp = client.put_secret_value(SecretId=n, SecretString=value, ClientRequestToken=token)
                except Exception as err:  # the server died under us: stop writing
                    errors.append(err)
                    return
                assert resp["VersionId"] == token
                with lock:
                    acked[n].append((token, value))
                    del in_flight[n]
                    total[0] += 1
                    if total[0] >= target:
                        enough.set()
                if i >= 150:  # stay well below the ~100-versions-per-secret pruning
                    errors.append(AssertionError("the server was not killed in time"))
                    return

    threads = [threading.Thread(target=writer, args=(names[k::2],), daemon=True) for k in range(2)]
    for t in threads:
        t.start()
    assert enough.wait(timeout=60), f"only {total[0]} writes acknowledged"
    assert s1.kill() == -9
    for t in threads:
        t.join(timeout=30)
        assert not t.is_alive()
    assert all(not isinstance(e, AssertionError) for e in errors), errors
    assert len(errors) == 2  # each writer stopped on a transport error, after the kill

    s2 = servers.real(data)
    assert "initialised" not in s2.stdout()
    sm = s2.client()
    for n in names:
        for vid, value in acked[n]:
            got = sm.get_secret_value(SecretId=n, VersionId=vid)
            assert (got["VersionId"], got["SecretString"]) == (vid, value)
        labels = stages(sm, n)
        current = [v for v, ls in labels.items() if "AWSCURRENT" in ls]
        assert len(current) == 1, labels
        last_vid = acked[n][-1][0]
        pending = in_flight.get(n)
        if current[0] == last_vid:
            # The unacknowledged write, if any, did not commit.
            expect = {last_vid: ["AWSCURRENT"]}
            if len(acked[n]) > 1:
                expect[acked[n][-2][0]] = ["AWSPREVIOUS"]
        else:
            # Only the write in flight at the kill may have committed after the last acknowledged one.
            assert pending is not None and current[0] == pending[0], (labels, last_vid, pending)
            assert sm.get_secret_value(SecretId=n)["SecretString"] == pending[1]
            expect = {pending[0]: ["AWSCURRENT"], last_vid: ["AWSPREVIOUS"]}
        assert labels == expect
        if pending is not None:
            # Retrying the unacknowledged write with its token is safe either way.
            retry = sm.put_secret_value(SecretId=n, SecretString=pending[1], ClientRequestToken=pending[0])
            assert retry["VersionId"] == pending[0]
            assert sm.get_secret_value(SecretId=n)["SecretString"] == pending[1]


# --------------------------------------------------------------------------- at rest


def needles(value):
    """The byte strings that would betray `value` on disk: itself and its base64 forms."""
    raw = value.encode() if isinstance(value, str) else value
    found = {raw, base64.b64encode(raw), base64.urlsafe_b64encode(raw)}
    for pad in range(3):  # base64 of the value embedded at any alignment in a longer blob
        enc = base64.b64encode(b"\0" * pad + raw)
        found.add(enc[4:-4])
    return found


def test_nothing_secret_is_stored_in_plaintext(servers, tmp_path):
    data = tmp_path / "data"
    s1 = servers.real(data, env={"COFFER_LOG": "trace"})  # the most verbose logs must not leak either
    sm = s1.client()
    canary = f"PLAINTEXT-CANARY-{uuid.uuid4()}"
    values = {
        "string": f'{{"password":"{canary}-string"}}',
        "binary": b"BINARY-CANARY-" + uuid.uuid4().hex.encode() + bytes(range(256)),
        "put": f"{canary}-put",
        "update": f"{canary}-update",
        "pending": f"{canary}-pending",
    }
    sm.create_secret(Name="scan/string", SecretString=values["string"])
    sm.create_secret(Name="scan/binary", SecretBinary=values["binary"])
    sm.put_secret_value(SecretId="scan/string", SecretString=values["put"])
    sm.update_secret(SecretId="scan/string", SecretString=values["update"])
    sm.put_secret_value(SecretId="scan/string", SecretString=values["pending"], VersionStages=["AWSPENDING"])
    assert sm.get_secret_value(SecretId="scan/binary")["SecretBinary"] == values["binary"]
    assert s1.stop() == 0

    files = sorted(p for p in data.rglob("*") if p.is_file())
    assert {"coffer.db", "root.key", "credentials"} <= {p.name for p in files}
    secret_key = s1.secret_key
    # The scanner can see what it looks for: the secret key is, by design, in the credentials file.
    assert any(n in (data / "credentials").read_bytes() for n in needles(secret_key))
    for path in files:
        blob = path.read_bytes()
        for label, value in values.items():
            for needle in needles(value):
                assert needle not in blob, f"{label} value found in {path.name}"
        assert canary.encode() not in blob and b"BINARY-CANARY-" not in blob, f"a canary in {path.name}"
        if path.name.startswith("coffer.db"):
            for needle in needles(secret_key):
                assert needle not in blob, f"the secret access key in {path.name}"

    root_key = (data / "root.key").read_bytes().strip()
    for path in files:
        if path.name != "root.key":
            assert root_key not in path.read_bytes(), f"the root key in {path.name}"
            assert base64.b64decode(root_key) not in path.read_bytes(), f"the raw root key in {path.name}"

    # Nor in what the server printed, with logging at its most verbose.
    output = (s1.stdout() + s1.stderr()).encode()
    assert len(s1.stderr()) > 0  # it did log
    for label, value in values.items():
        for needle in needles(value):
            assert needle not in output, f"{label} value in the server's output"
    for needle in needles(secret_key):
        assert needle not in output, "the secret access key in the server's output"
    assert root_key not in output

    # The scan was not vacuous: the values are there, encrypted, and come back after a restart.
    s2 = servers.real(data)
    sm = s2.client()
    assert sm.get_secret_value(SecretId="scan/string")["SecretString"] == values["update"]
    assert sm.get_secret_value(SecretId="scan/string", VersionStage="AWSPREVIOUS")["SecretString"] == values["put"]
    assert sm.get_secret_value(SecretId="scan/string", VersionStage="AWSPENDING")["SecretString"] == values[
        "pending"]
    assert sm.get_secret_value(SecretId="scan/binary")["SecretBinary"] == values["binary"]


def test_data_dir_key_and_credentials_permissions(servers, tmp_path):
    data = tmp_path / "data"
    s1 = servers.real(data)
    s1.client().create_secret(Name="perm", SecretString="x")
    assert s1.stop() == 0
    assert mode(data) == 0o700
    assert (mode(data / "root.key"), mode(data / "credentials")) == (0o600, 0o600)


def test_database_files_are_private(servers, tmp_path):
    data = tmp_path / "data"
    s1 = servers.real(data)
    s1.client().create_secret(Name="perm", SecretString="x")
    assert s1.stop() == 0
    assert mode(data / "coffer.db") == 0o600
    for extra in ("coffer.db-wal", "coffer.db-shm"):  # SQLite's side files hold the same data
        if (data / extra).exists():
            assert mode(data / extra) == 0o600, extra


# --------------------------------------------------------------------------- dev mode reset


def test_dev_reset_wipes_everything(servers):
    dev = servers.dev()
    sm = dev.client()
    eu = dev.client(region="eu-west-1")
    other = dev.client(access_key="999988887777")
    first = sm.create_secret(Name="reset/a", SecretString="a")
    sm.create_secret(Name="reset/b", SecretString="b")
    eu.create_secret(Name="reset/eu", SecretString="eu")
    other.create_secret(Name="reset/other", SecretString="o")
    assert len(sm.list_secrets()["SecretList"]) == 2

    req = urllib.request.Request(dev.endpoint + "/_coffer/reset", data=b"", method="POST")
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 200

    for client in (sm, eu, other):
        assert client.list_secrets()["SecretList"] == []
        assert client.list_secrets(IncludePlannedDeletion=True)["SecretList"] == []
    assert error_code(lambda: sm.get_secret_value(SecretId="reset/a")) == ("ResourceNotFoundException", MSG_NOT_FOUND)
    again = sm.create_secret(Name="reset/a", SecretString="new")
    assert again["ARN"] != first["ARN"]
    assert sm.get_secret_value(SecretId="reset/a")["SecretString"] == "new"


def test_health_and_ready(servers):
    dev = servers.dev()
    for path, body in (("/health", b"ok"), ("/ready", b"ready")):
        with urllib.request.urlopen(dev.endpoint + path, timeout=10) as resp:
            assert (resp.status, resp.read()) == (200, body)


# --------------------------------------------------------------------------- configuration


def test_config_file_unknown_key_is_an_error(tmp_path):
    cfg = tmp_path / "coffer.toml"
    cfg.write_text('dev = true\nlisten = "127.0.0.1:0"\nbogus_key = 1\n')
    proc = run_coffer("serve", "--config", str(cfg))
    assert proc.returncode != 0
    assert "listening" not in proc.stdout
    assert "bogus_key" in proc.stderr, proc.stderr


def test_config_file_and_environment(servers, tmp_path):
    cfg = tmp_path / "coffer.toml"
    cfg.write_text('dev = true\nlisten = "127.0.0.1:0"\n')
    s = Coffer(["serve", "--config", str(cfg)], log_dir=tmp_path, access_key=DEV_ACCOUNT, secret_key="k")
    servers.started.append(s)
    assert s.client().list_secrets()["SecretList"] == []

    # The file named by COFFER_CONFIG instead of --config.
    s = Coffer(["serve"], env={"COFFER_CONFIG": str(cfg)}, log_dir=tmp_path,
               access_key=DEV_ACCOUNT, secret_key="k")
    servers.started.append(s)
    assert s.client().list_secrets()["SecretList"] == []

    s = Coffer(["serve", "--dev"], env={"COFFER_LISTEN": "127.0.0.1:0"}, log_dir=tmp_path,
               access_key=DEV_ACCOUNT, secret_key="k")
    servers.started.append(s)
    assert s.port != 7600
    assert s.client("sts").get_caller_identity()["Account"] == DEV_ACCOUNT

    # Real mode configured entirely from the environment.
    data = tmp_path / "envdata"
    s = Coffer(["serve"], env={"COFFER_LISTEN": "127.0.0.1:0", "COFFER_DATA_DIR": str(data)},
               log_dir=tmp_path, data_dir=data)
    servers.started.append(s)
    assert f"coffer: initialised {data}" in s.stdout()
    assert s.client().create_secret(Name="env", SecretString="x")["Name"] == "env"


def test_root_key_readable_by_others_is_refused(servers, tmp_path):
    data = tmp_path / "data"
    s1 = servers.real(data)
    s1.client().create_secret(Name="chmod", SecretString="x")  # (also: SIGTERM lands after start-up)
    assert s1.stop() == 0
    os.chmod(data / "root.key", 0o644)
    proc = run_coffer("serve", "--data-dir", str(data), "--listen", "127.0.0.1:0")
    assert proc.returncode != 0
    assert "listening" not in proc.stdout
    assert "chmod 600" in proc.stderr + proc.stdout, (proc.stdout, proc.stderr)
    assert str(data / "root.key") in proc.stderr + proc.stdout
    # Fixed permissions: it starts again, on the same data.
    os.chmod(data / "root.key", 0o600)
    s2 = servers.real(data)
    assert "initialised" not in s2.stdout()
    assert s2.client().get_secret_value(SecretId="chmod")["SecretString"] == "x"


def test_root_key_from_environment_or_file_setting(servers, tmp_path):
    data = tmp_path / "data"
    s1 = servers.real(data)
    s1.client().create_secret(Name="rk", SecretString="sealed")
    assert s1.stop() == 0
    key_text = (data / "root.key").read_text().strip()
    moved = tmp_path / "elsewhere.key"
    os.rename(data / "root.key", moved)

    for env in ({"COFFER_ROOT_KEY_FILE": str(moved)}, {"COFFER_ROOT_KEY": key_text}):
        s = servers.real(data, env=env)
        assert "initialised" not in s.stdout()
        assert s.client().get_secret_value(SecretId="rk")["SecretString"] == "sealed"
        assert s.stop() == 0
        assert not (data / "root.key").exists()  # the key stays where it was configured


@pytest.mark.parametrize("case", ["missing root.key", "wrong COFFER_ROOT_KEY"])
def test_unusable_root_key_is_refused_at_start(servers, tmp_path, case):
    data = tmp_path / "data"
    s1 = servers.real(data)
    s1.client().create_secret(Name="rk", SecretString="sealed")
    assert s1.stop() == 0
    env = None
    if case == "missing root.key":
        os.rename(data / "root.key", tmp_path / "kept-aside.key")
    else:
        env = {"COFFER_ROOT_KEY": base64.b64encode(b"\x07" * 32).decode()}
    try:
        started = servers.real(data, env=env)
    except AssertionError as refused:  # exited before listening: the wanted outcome
        assert "exited" in str(refused) and "root" in str(refused).lower()
        assert not (data / "root.key").exists() or case != "missing root.key"
        return
    started.stop()
    pytest.fail(f"coffer started serving with an unusable root key ({case}); "
                f"root.key now exists: {(data / 'root.key').exists()}")


# --------------------------------------------------------------------------- admin


def test_admin_create_and_list_access_keys(servers, tmp_path):
    data = tmp_path / "data"
    s1 = servers.real(data)
    s1.client().create_secret(Name="admin/x", SecretString="shared")
    account = s1.client("sts").get_caller_identity()["Account"]
    first_key = s1.access_key
    assert s1.stop() == 0

    out = tmp_path / "second-credentials"
    proc = run_coffer("admin", "create-access-key", "--data-dir", str(data), "--output", str(out))
    assert proc.returncode == 0, proc.stderr
    assert mode(out) == 0o600
    key_id, secret = read_credentials(out)
    assert key_id != first_key
    assert secret not in proc.stdout + proc.stderr  # the secret key is never printed
    assert key_id in proc.stdout

    listed = run_coffer("admin", "list-access-keys", "--data-dir", str(data))
    assert listed.returncode == 0, listed.stderr
    rows = sorted(line.split() for line in listed.stdout.splitlines() if line.strip())
    assert rows == sorted([[account, "root", first_key, "Active"], [account, "root", key_id, "Active"]])

    # Never overwrites an existing file.
    again = run_coffer("admin", "create-access-key", "--data-dir", str(data), "--output", str(out))
    assert again.returncode != 0
    assert read_credentials(out) == (key_id, secret)

    s2 = servers.real(data)
    assert "initialised" not in s2.stdout()
    new = s2.client(access_key=key_id, secret_key=secret)
    assert new.get_secret_value(SecretId="admin/x")["SecretString"] == "shared"
    ident = s2.client("sts", access_key=key_id, secret_key=secret).get_caller_identity()
    assert (ident["Account"], ident["Arn"]) == (account, f"arn:aws:iam::{account}:root")
    assert s2.client().get_secret_value(SecretId="admin/x")["SecretString"] == "shared"  # the first key too
    cli = s2.cli("secretsmanager", "get-secret-value", "--secret-id", "admin/x", credentials_file=out)
    assert cli.returncode == 0, cli.stderr
    assert '"SecretString": "shared"' in cli.stdout


def test_admin_create_account_rotate_root_key_and_list_principals(servers, tmp_path):
    data = tmp_path / "data"
    s1 = servers.real(data)
    first_account = s1.client("sts").get_caller_identity()["Account"]
    iam = s1.client("iam")
    iam.create_user(UserName="ops", Path="/team/")
    iam.put_user_policy(UserName="ops", PolicyName="read",
                        PolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:ListSecrets","Resource":"*"}]}')
    user_key = iam.create_access_key(UserName="ops")["AccessKey"]["AccessKeyId"]
    iam.create_role(RoleName="reader", AssumeRolePolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%s:user/team/ops"},"Action":"sts:AssumeRole"}]}' % first_account)
    old_root_key = s1.access_key
    assert s1.stop() == 0

    # A second account, with its own root key file.
    out = tmp_path / "second-account"
    proc = run_coffer("admin", "create-account", "--data-dir", str(data), "--account", "210987654321",
                      "--output", str(out))
    assert proc.returncode == 0, proc.stderr
    assert mode(out) == 0o600
    second_key, second_secret = read_credentials(out)
    assert second_secret not in proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[0] == f"created access key {second_key} for the root user of account 210987654321"
    again = run_coffer("admin", "create-account", "--data-dir", str(data), "--account", "210987654321",
                       "--output", str(tmp_path / "third"))
    assert (again.returncode, again.stderr.strip()) == (1, "coffer: account 210987654321 already exists")

    # The first account's root key, rotated: a new key in a new file, the old one gone.
    rotated = tmp_path / "rotated"
    proc = run_coffer("admin", "rotate-access-key", "--data-dir", str(data), "--access-key-id", old_root_key,
                      "--output", str(rotated))
    assert proc.returncode == 0, proc.stderr
    new_root_key, new_root_secret = read_credentials(rotated)
    assert proc.stdout.splitlines() == [
        f"created access key {new_root_key} for the root user of account {first_account}",
        f"credentials (mode 0600): {rotated}",
        f"deleted access key {old_root_key}",
    ]
    refused = run_coffer("admin", "rotate-access-key", "--data-dir", str(data), "--access-key-id", user_key)
    assert refused.returncode == 1
    assert "belongs to an IAM user" in refused.stderr

    listed = run_coffer("admin", "list-principals", "--data-dir", str(data))
    assert listed.returncode == 0, listed.stderr
    rows = [line.split("\t") for line in listed.stdout.splitlines()]
    assert sorted(rows) == sorted([
        [first_account, "root", f"arn:aws:iam::{first_account}:root"],
        [first_account, "user", f"arn:aws:iam::{first_account}:user/team/ops", "policies: read"],
        [first_account, "role", f"arn:aws:iam::{first_account}:role/reader", "policies: -"],
        ["210987654321", "root", "arn:aws:iam::210987654321:root"],
    ])
    keys = run_coffer("admin", "list-access-keys", "--data-dir", str(data))
    assert sorted(line.split() for line in keys.stdout.splitlines()) == sorted([
        [first_account, "root", new_root_key, "Active"],
        [first_account, "user/ops", user_key, "Active"],
        ["210987654321", "root", second_key, "Active"],
    ])

    s2 = servers.real(data)
    with pytest.raises(ClientError) as denied:
        s2.client().list_secrets()  # the old root key
    assert denied.value.response["Error"]["Code"] == "UnrecognizedClientException"
    ident = s2.client("sts", access_key=new_root_key, secret_key=new_root_secret).get_caller_identity()
    assert ident["Arn"] == f"arn:aws:iam::{first_account}:root"
    other = s2.client("sts", access_key=second_key, secret_key=second_secret).get_caller_identity()
    assert (other["Account"], other["Arn"]) == ("210987654321", "arn:aws:iam::210987654321:root")
