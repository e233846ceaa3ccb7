"""The AWS CLI against real mode, with the data directory's credentials file used as it is."""

import base64
import json

import pytest

from conftest import MSG_NOT_FOUND, REGION, aws_cli


@pytest.fixture(scope="module")
def cli_server(real_server):
    aws_cli()  # missing CLI: fail under CI, else skip
    return real_server


def run_ok(server, *args):
    proc = server.cli(*args)
    assert proc.returncode == 0, f"aws {' '.join(args)} exited {proc.returncode}: {proc.stderr}"
    return json.loads(proc.stdout) if proc.stdout.strip() else None


def stages(server, secret_id):
    out = run_ok(server, "secretsmanager", "describe-secret", "--secret-id", secret_id)
    return {vid: sorted(labels) for vid, labels in out.get("VersionIdsToStages", {}).items()}


def test_readme_first_session(cli_server):
    s = cli_server
    created = run_ok(s, "secretsmanager", "create-secret", "--name", "db/prod",
                     "--secret-string", '{"password":"s3cr3t"}')
    assert created["Name"] == "db/prod"
    assert created["ARN"].startswith(f"arn:aws:secretsmanager:{REGION}:")
    assert ":secret:db/prod-" in created["ARN"]
    v1 = created["VersionId"]

    got = run_ok(s, "secretsmanager", "get-secret-value", "--secret-id", "db/prod")
    assert (got["Name"], got["ARN"], got["VersionId"], got["SecretString"], got["VersionStages"]) == (
        "db/prod", created["ARN"], v1, '{"password":"s3cr3t"}', ["AWSCURRENT"])
    assert json.loads(got["SecretString"]) == {"password": "s3cr3t"}

    put = run_ok(s, "secretsmanager", "put-secret-value", "--secret-id", "db/prod",
                 "--secret-string", '{"password":"n3w"}')
    assert (put["Name"], put["ARN"], put["VersionStages"]) == ("db/prod", created["ARN"], ["AWSCURRENT"])
    v2 = put["VersionId"]
    assert run_ok(s, "secretsmanager", "get-secret-value", "--secret-id", "db/prod")["SecretString"] == \
        '{"password":"n3w"}'
    previous = run_ok(s, "secretsmanager", "get-secret-value", "--secret-id", "db/prod",
                      "--version-stage", "AWSPREVIOUS")
    assert (previous["VersionId"], previous["SecretString"]) == (v1, '{"password":"s3cr3t"}')

    listed = run_ok(s, "secretsmanager", "list-secrets", "--filters", "Key=name,Values=db/prod")
    assert [e["Name"] for e in listed["SecretList"]] == ["db/prod"]
    assert {k: sorted(v) for k, v in listed["SecretList"][0]["SecretVersionsToStages"].items()} == {
        v1: ["AWSPREVIOUS"], v2: ["AWSCURRENT"]}

    described = run_ok(s, "secretsmanager", "describe-secret", "--secret-id", "db/prod")
    assert (described["Name"], described["ARN"]) == ("db/prod", created["ARN"])
    assert stages(s, "db/prod") == {v1: ["AWSPREVIOUS"], v2: ["AWSCURRENT"]}

    deleted = run_ok(s, "secretsmanager", "delete-secret", "--secret-id", "db/prod",
                     "--force-delete-without-recovery")
    assert (deleted["Name"], deleted["ARN"]) == ("db/prod", created["ARN"])
    gone = s.cli("secretsmanager", "get-secret-value", "--secret-id", "db/prod")
    assert gone.returncode != 0
    assert "ResourceNotFoundException" in gone.stderr and MSG_NOT_FOUND in gone.stderr, gone.stderr


def test_error_exits_non_zero_with_code_and_message(cli_server):
    proc = cli_server.cli("secretsmanager", "describe-secret", "--secret-id", "cli/does-not-exist")
    assert proc.returncode == 255, (proc.returncode, proc.stderr)  # AWS CLI v1: 255 for a service error
    assert proc.stdout == ""
    assert ("An error occurred (ResourceNotFoundException) when calling the DescribeSecret operation: "
            + MSG_NOT_FOUND) in proc.stderr, proc.stderr

    run_ok(cli_server, "secretsmanager", "create-secret", "--name", "cli/dup", "--secret-string", "x")
    proc = cli_server.cli("secretsmanager", "create-secret", "--name", "cli/dup", "--secret-string", "y")
    assert proc.returncode == 255
    assert ("An error occurred (ResourceExistsException) when calling the CreateSecret operation: "
            "The operation failed because the secret cli/dup already exists.") in proc.stderr, proc.stderr


def test_cli_with_a_wrong_credentials_file_is_refused(cli_server, tmp_path):
    key_id, _ = cli_server.access_key, cli_server.secret_key
    bad = tmp_path / "credentials"
    bad.write_text(f"[default]\naws_access_key_id = {key_id}\naws_secret_access_key = {'w' * 40}\n")
    proc = cli_server.cli("secretsmanager", "list-secrets", credentials_file=bad)
    assert proc.returncode == 255
    assert "InvalidSignatureException" in proc.stderr, proc.stderr


def test_sts_get_caller_identity(cli_server):
    out = run_ok(cli_server, "sts", "get-caller-identity")
    account = out["Account"]
    assert len(account) == 12 and account.isdigit()
    assert out == {"UserId": account, "Account": account, "Arn": f"arn:aws:iam::{account}:root"}
    # The same account the server announced for the key in the credentials file.
    assert f"account {account}, root user access key {cli_server.access_key}" in cli_server.stdout()


def test_binary_and_random_password(cli_server, tmp_path):
    blob = bytes(range(256))
    path = tmp_path / "blob.bin"
    path.write_bytes(blob)
    run_ok(cli_server, "secretsmanager", "create-secret", "--name", "cli/bin", "--secret-binary", f"fileb://{path}")
    got = run_ok(cli_server, "secretsmanager", "get-secret-value", "--secret-id", "cli/bin")
    assert base64.b64decode(got["SecretBinary"]) == blob
    pw = run_ok(cli_server, "secretsmanager", "get-random-password", "--password-length", "20",
                "--exclude-punctuation")["RandomPassword"]
    assert len(pw) == 20 and pw.isalnum()
