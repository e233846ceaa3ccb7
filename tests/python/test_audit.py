"""The audit trail of the real binary: every operation run with distinctive secret values,
passwords, secret keys and session tokens, then every byte coffer wrote scanned for them; the
trail itself verified and searched with `coffer admin audit`."""

import base64
import json
import os
import subprocess
import uuid
from pathlib import Path

import pytest

from conftest import clean_env, coffer_bin, make_client, need_boto3

need_boto3()
from botocore.exceptions import ClientError  # noqa: E402


def run_coffer(*args, timeout=30):
    return subprocess.run([coffer_bin(), *args], env=clean_env(), capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def forms(secret):
    """The ways a secret could appear in bytes coffer writes: as is, JSON-escaped, and base64
    (standard and URL-safe, and embedded at any alignment in a longer base64 blob)."""
    raw = secret if isinstance(secret, bytes) else secret.encode()
    found = {raw, base64.b64encode(raw), base64.urlsafe_b64encode(raw)}
    if not isinstance(secret, bytes):
        found.add(json.dumps(secret)[1:-1].encode())
    for pad in range(3):
        found.add(base64.b64encode(b"\0" * pad + raw)[4:-4])
    return found


def every_file(root):
    return sorted(p for p in Path(root).rglob("*") if p.is_file())


def trail(data):
    """The audit files of a data directory, oldest first (rotated ones, then the active one)."""
    rotated = sorted(p for p in data.iterdir() if p.name.startswith("audit.jsonl."))
    return [*rotated, data / "audit.jsonl"]


def test_no_secret_reaches_any_byte_coffer_writes(servers, tmp_path):
    data = tmp_path / "data"
    s = servers.real(
        data,
        env={"COFFER_AUDIT_STDOUT": "true", "COFFER_AUDIT_MAX_BYTES": "6000", "COFFER_LOG": "trace"},
    )
    sm = s.client()
    tag = uuid.uuid4().hex
    canaries = {
        "string": f"CANARY-string-{tag}",
        "put": f"CANARY-put-{tag}",
        "update": f"CANARY-update-{tag}",
        "failed": f"CANARY-failed-{tag}",
        "forged": f"CANARY-forged-{tag}",
    }
    binary = b"\x00CANARY-binary-" + tag.encode() + b"\xff"
    name = f"leak-{tag}"

    arn = sm.create_secret(Name=name, SecretString=canaries["string"])["ARN"]
    sm.create_secret(Name=f"{name}-bin", SecretBinary=binary)
    assert sm.get_secret_value(SecretId=name)["SecretString"] == canaries["string"]
    assert sm.get_secret_value(SecretId=f"{name}-bin")["SecretBinary"] == binary
    sm.put_secret_value(SecretId=name, SecretString=canaries["put"])
    sm.update_secret(SecretId=name, SecretString=canaries["update"])
    batch = sm.batch_get_secret_value(SecretIdList=[name, f"{name}-bin"])
    assert sorted(v["Name"] for v in batch["SecretValues"]) == [name, f"{name}-bin"]
    password = sm.get_random_password(PasswordLength=40)["RandomPassword"]
    # Failures that carry a secret in the request: a duplicate name, a validation error, and a
    # request whose signature is wrong.
    with pytest.raises(ClientError) as dup:
        sm.create_secret(Name=name, SecretString=canaries["failed"])
    assert dup.value.response["Error"]["Code"] == "ResourceExistsException"
    with pytest.raises(ClientError) as both:
        sm.put_secret_value(SecretId=name, SecretString=canaries["failed"], SecretBinary=b"x")
    assert both.value.response["Error"]["Code"] == "InvalidParameterException"
    forged = make_client(s.endpoint, s.access_key, "not-the-secret-key")
    with pytest.raises(ClientError) as bad:
        forged.create_secret(Name=f"{name}-forged", SecretString=canaries["forged"])
    assert bad.value.response["Error"]["Code"] == "InvalidSignatureException"

    # IAM: a user with a key; STS: a role session, whose credentials are then used.
    iam = s.client("iam")
    sts = s.client("sts")
    iam.create_user(UserName="app")
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue", "sts:AssumeRole"], "Resource": "*"}]}
    iam.put_user_policy(UserName="app", PolicyName="p", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName="app")["AccessKey"]
    user_secret = key["SecretAccessKey"]
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{arn.split(':')[4]}:user/app"},
         "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName="reader", AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(RoleName="reader", PolicyName="p", PolicyDocument=json.dumps(policy))
    user_sts = make_client(s.endpoint, key["AccessKeyId"], user_secret, service="sts")
    assert user_sts.get_caller_identity()["Arn"].endswith(":user/app")
    creds = user_sts.assume_role(RoleArn=f"arn:aws:iam::{arn.split(':')[4]}:role/reader",
                                 RoleSessionName="leak")["Credentials"]
    import boto3
    session = boto3.session.Session(
        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"], region_name="us-east-1")
    role_sm = session.client("secretsmanager", endpoint_url=s.endpoint)
    assert role_sm.get_secret_value(SecretId=name)["SecretString"] == canaries["update"]
    sts.get_caller_identity()
    sm.delete_secret(SecretId=f"{name}-bin", ForceDeleteWithoutRecovery=True)

    assert s.stop() == 0
    secrets = {**canaries, "password": password, "user secret key": user_secret,
               "session secret key": creds["SecretAccessKey"], "session token": creds["SessionToken"]}
    needles = {label: forms(value) for label, value in secrets.items()}
    needles["binary"] = forms(binary)

    # Every byte: all files under the test's directory (data directory, SQLite's WAL and
    # journal, rotated audit files, the stderr log), and the process's stdout.
    files = every_file(tmp_path)
    assert {p.name for p in files} >= {"audit.jsonl", "coffer.db", "root.key", "credentials"}
    blobs = {str(p): p.read_bytes() for p in files}
    blobs["<stdout>"] = s.stdout().encode()
    hits = [(label, where) for label, variants in needles.items() for where, blob in blobs.items()
            if any(v in blob for v in variants)]
    assert hits == []
    # The root user's secret key is, by design, in the credentials file, and nowhere else.
    root_hits = [where for where, blob in blobs.items() if any(v in blob for v in forms(s.secret_key))]
    assert root_hits == [str(data / "credentials")]

    # The scan looked at real data: the audit lines are there, on stdout too, with the secret's
    # name (not secret) in them, and the debug log is not empty.
    audit_files = trail(data)
    assert len(audit_files) >= 2, "the trail was rotated"
    lines = [line for f in audit_files for line in f.read_text().splitlines()]
    events = [json.loads(line) for line in lines]
    stdout_events = [line for line in s.stdout_lines if line.startswith("{")]
    assert stdout_events == lines
    names = [e["eventName"] for e in events]
    assert names.count("GetSecretValue") == 3
    assert names.count("CreateSecret") == 4
    assert names.count("AssumeRole") == 1 and names.count("CreateAccessKey") == 1
    assert any(name.encode() in blobs[str(f)] for f in audit_files)
    assert len(blobs[str(s.stderr_path)]) > 0
    by_name = {e["eventName"]: e for e in events}
    assert by_name["GetRandomPassword"]["responseElements"] is None
    assert by_name["AssumeRole"]["responseElements"]["credentials"]["accessKeyId"] == creds["AccessKeyId"]
    assert "sessionToken" not in by_name["AssumeRole"]["responseElements"]["credentials"]
    assert by_name["CreateAccessKey"]["responseElements"]["accessKey"]["accessKeyId"] == key["AccessKeyId"]
    assert "secretAccessKey" not in by_name["CreateAccessKey"]["responseElements"]["accessKey"]
    # A request that fails authentication is recorded without its body (issue 13): who it
    # claimed to be and what it attempted, not what it sent.
    forged_events = [e for e in events if e.get("errorCode") == "InvalidSignatureException"]
    assert [(e["eventName"], e["userIdentity"], e["requestParameters"]) for e in forged_events] == [
        ("CreateSecret", {"type": "Unknown", "accessKeyId": s.access_key}, None)]

    # The trail verifies across rotation, and search finds the secret's events by name and ARN.
    # verify needs the root key (the chain is keyed): it reads the data directory's.
    verified = run_coffer("admin", "audit", "verify", "--data-dir", str(data), *map(str, audit_files))
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.startswith(f"ok: {len(lines)} events in {len(audit_files)} files")
    by_arn = run_coffer("admin", "audit", "search", "--secret", arn, "--event-name", "GetSecretValue",
                        *map(str, audit_files))
    assert by_arn.returncode == 0, by_arn.stderr
    found = [json.loads(line)["userIdentity"]["type"] for line in by_arn.stdout.splitlines()]
    assert found == ["Root", "AssumedRole"]


def test_an_audit_file_that_cannot_be_opened_stops_the_start(tmp_path):
    data = tmp_path / "data"
    missing_dir = tmp_path / "no" / "such" / "dir" / "audit.jsonl"
    proc = subprocess.run(
        [coffer_bin(), "serve", "--data-dir", str(data), "--listen", "127.0.0.1:0"],
        env=clean_env({"COFFER_AUDIT_FILE": str(missing_dir)}),
        capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert proc.returncode == 1
    assert f"opening the audit file {missing_dir}" in proc.stderr, proc.stderr
    assert "coffer listening" not in proc.stdout
    assert os.path.isdir(data)
