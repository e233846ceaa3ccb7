"""Rotation with boto3 against the real `coffer` binary in dev mode (docs/rotation.md).

The rotation function is a small HTTP server in this process that speaks Lambda's Invoke path
(`POST /2015-03-31/functions/<name>/invocations`) and runs a handler written to AWS's
rotation-template contract: DescribeSecret, GetSecretValue, GetRandomPassword, PutSecretValue
with AWSPENDING, UpdateSecretVersionStage, through boto3 with SECRETS_MANAGER_ENDPOINT pointed at
coffer. coffer learns where it runs from COFFER_ROTATION_FUNCTIONS only. Dev mode runs
RotateSecret's rotation to its end before answering, so nothing here polls.
"""

import json
import threading
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import MSG_NO_VALUE_FOR_STAGE, need_boto3

need_boto3()
import boto3  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

FUNCTION = "arn:aws:lambda:us-east-1:111122223333:function:py-template-rotator"
RANDOM = "arn:aws:lambda:us-east-1:111122223333:function:py-random"
UNKNOWN = "arn:aws:lambda:us-east-1:111122223333:function:not-configured"
MSG_CANNOT_INVOKE = (
    "Secrets Manager cannot invoke the specified Lambda function. Ensure that the function policy "
    "grants access to the principal secretsmanager.amazonaws.com."
)
MSG_NO_FUNCTION = "No Lambda rotation function ARN is associated with this secret."
MSG_NOT_COMPLETE = "A previous rotation isn't complete. That rotation will be reattempted."


def lambda_handler(event, client):
    """AWS's SecretsManagerRotationTemplate contract, step for step (our own code)."""
    arn = event["SecretId"]
    token = event["ClientRequestToken"]
    step = event["Step"]
    metadata = client.describe_secret(SecretId=arn)
    if "RotationEnabled" in metadata and not metadata["RotationEnabled"]:
        raise ValueError(f"Secret {arn} is not enabled for rotation")
    versions = metadata["VersionIdsToStages"]
    if token not in versions:
        raise ValueError(f"Secret version {token} has no stage for rotation of secret {arn}.")
    if "AWSCURRENT" in versions[token]:
        return
    if "AWSPENDING" not in versions[token]:
        raise ValueError(f"Secret version {token} not set as AWSPENDING for rotation of secret {arn}.")
    if step == "createSecret":
        current = json.loads(client.get_secret_value(SecretId=arn, VersionStage="AWSCURRENT")["SecretString"])
        try:
            client.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")
        except client.exceptions.ResourceNotFoundException:
            password = client.get_random_password(ExcludeCharacters=":/@\"'\\", PasswordLength=32)
            current["password"] = password["RandomPassword"]
            client.put_secret_value(
                SecretId=arn,
                ClientRequestToken=token,
                SecretString=json.dumps(current),
                VersionStages=["AWSPENDING"],
            )
    elif step in ("setSecret", "testSecret"):
        pass
    elif step == "finishSecret":
        current_version = None
        for version, stages in metadata["VersionIdsToStages"].items():
            if "AWSCURRENT" in stages:
                if version == token:
                    return
                current_version = version
                break
        client.update_secret_version_stage(
            SecretId=arn,
            VersionStage="AWSCURRENT",
            MoveToVersionId=token,
            RemoveFromVersionId=current_version,
        )
    else:
        raise ValueError("Invalid step parameter")


class Function:
    """The function's HTTP server: Lambda's Invoke path, errors as Lambda reports them."""

    def __init__(self):
        self.client = None
        self.invocations = []
        self.fail_step = None
        function = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                event = json.loads(body)
                function.invocations.append((self.path, event))
                try:
                    if event["Step"] == function.fail_step:
                        raise ValueError(f"failing {event['Step']} on purpose")
                    lambda_handler(event, function.client)
                    status, headers, answer = 200, {}, b"null"
                except Exception as err:  # noqa: BLE001 - reported like Lambda does
                    answer = json.dumps({"errorType": type(err).__name__, "errorMessage": str(err)}).encode()
                    status, headers = 200, {"X-Amz-Function-Error": "Unhandled"}
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def steps(self):
        return [event["Step"] for _, event in self.invocations]

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def rotation(servers):
    """A dev-mode coffer whose rotation functions come from COFFER_ROTATION_FUNCTIONS, and the
    function, which calls coffer back with boto3."""
    function = Function()
    server = servers.dev(
        env={"COFFER_ROTATION_FUNCTIONS": f"{FUNCTION}={function.url},{RANDOM}=builtin:random"}
    )
    function.client = server.client()
    yield server, function
    function.close()


def error_of(call):
    with pytest.raises(ClientError) as info:
        call()
    err = info.value.response
    return err["ResponseMetadata"]["HTTPStatusCode"], err["Error"]["Code"], err["Error"]["Message"]


def test_template_function_rotates_end_to_end(rotation):
    server, function = rotation
    sm = server.client()
    created = sm.create_secret(Name="py/db", SecretString=json.dumps({"username": "app", "password": "p0"}))
    token = str(uuid.uuid4())
    out = sm.rotate_secret(
        SecretId="py/db",
        ClientRequestToken=token,
        RotationLambdaARN=FUNCTION,
        RotationRules={"AutomaticallyAfterDays": 7},
    )
    assert (out["ARN"], out["Name"], out["VersionId"]) == (created["ARN"], "py/db", token)
    assert function.steps() == ["createSecret", "setSecret", "testSecret", "finishSecret"]
    for path, event in function.invocations:
        assert path == "/2015-03-31/functions/py-template-rotator/invocations"
        assert event["SecretId"] == created["ARN"]
        assert event["ClientRequestToken"] == token
        assert len(event["RotationToken"]) >= 36
    described = sm.describe_secret(SecretId="py/db")
    assert described["VersionIdsToStages"] == {created["VersionId"]: ["AWSPREVIOUS"], token: ["AWSCURRENT"]}
    assert described["RotationEnabled"] is True
    assert described["RotationLambdaARN"] == FUNCTION
    assert described["RotationRules"] == {"AutomaticallyAfterDays": 7}
    assert "LastRotatedDate" in described and "NextRotationDate" in described
    value = json.loads(sm.get_secret_value(SecretId="py/db")["SecretString"])
    assert value["username"] == "app" and value["password"] != "p0"


def test_refusals_as_aws(rotation):
    server, function = rotation
    sm = server.client()
    sm.create_secret(Name="py/refused", SecretString="v0")
    assert error_of(lambda: sm.rotate_secret(SecretId="py/refused", RotationRules={"AutomaticallyAfterDays": 1})) == (
        400,
        "InvalidRequestException",
        MSG_NO_FUNCTION,
    )
    assert error_of(lambda: sm.rotate_secret(SecretId="py/refused", RotationLambdaARN=UNKNOWN)) == (
        400,
        "AccessDeniedException",
        MSG_CANNOT_INVOKE,
    )
    described = sm.describe_secret(SecretId="py/refused")
    assert "RotationEnabled" not in described and "RotationRules" not in described
    assert function.invocations == []


def test_failed_step_keeps_pending_until_a_new_value(rotation):
    server, function = rotation
    sm = server.client()
    created = sm.create_secret(Name="py/failing", SecretString=json.dumps({"password": "p0"}))
    function.fail_step = "setSecret"
    token = str(uuid.uuid4())
    sm.rotate_secret(SecretId="py/failing", ClientRequestToken=token, RotationLambdaARN=FUNCTION)
    assert function.steps() == ["createSecret", "setSecret"]
    stages = sm.describe_secret(SecretId="py/failing")["VersionIdsToStages"]
    assert stages == {created["VersionId"]: ["AWSCURRENT"], token: ["AWSPENDING"]}
    assert error_of(lambda: sm.rotate_secret(SecretId="py/failing")) == (400, "InvalidRequestException", MSG_NOT_COMPLETE)
    # A new value abandons the rotation.
    sm.put_secret_value(SecretId="py/failing", SecretString=json.dumps({"password": "manual"}))
    stages = sm.describe_secret(SecretId="py/failing")["VersionIdsToStages"]
    assert all("AWSPENDING" not in labels for labels in stages.values())
    function.fail_step = None
    sm.rotate_secret(SecretId="py/failing")
    assert json.loads(sm.get_secret_value(SecretId="py/failing")["SecretString"])["password"] != "manual"


def test_placeholder_is_visible_only_in_version_ids_to_stages(rotation):
    server, function = rotation
    sm = server.client()
    sm.create_secret(Name="py/placeholder", SecretString=json.dumps({"password": "p0"}))
    function.fail_step = "createSecret"
    token = str(uuid.uuid4())
    sm.rotate_secret(SecretId="py/placeholder", ClientRequestToken=token, RotationLambdaARN=FUNCTION)
    assert sm.describe_secret(SecretId="py/placeholder")["VersionIdsToStages"][token] == ["AWSPENDING"]
    listed = sm.list_secret_version_ids(SecretId="py/placeholder", IncludeDeprecated=True)["Versions"]
    assert token not in [v["VersionId"] for v in listed]
    assert error_of(lambda: sm.get_secret_value(SecretId="py/placeholder", VersionStage="AWSPENDING")) == (
        400,
        "ResourceNotFoundException",
        MSG_NO_VALUE_FOR_STAGE.format("AWSPENDING"),
    )
    # The rotation's token fills it.
    sm.put_secret_value(SecretId="py/placeholder", ClientRequestToken=token, SecretString="{}", VersionStages=["AWSPENDING"])
    listed = sm.list_secret_version_ids(SecretId="py/placeholder")["Versions"]
    assert token in [v["VersionId"] for v in listed]
    cancelled = sm.cancel_rotate_secret(SecretId="py/placeholder")
    assert cancelled["VersionId"] == token
    described = sm.describe_secret(SecretId="py/placeholder")
    assert described["RotationEnabled"] is False
    assert "NextRotationDate" not in described
    assert described["RotationLambdaARN"] == FUNCTION


def test_builtin_random_and_the_run_due_endpoint(rotation):
    server, _ = rotation
    sm = server.client()
    sm.create_secret(Name="py/random", SecretString=json.dumps({"user": "u", "password": "p0"}))
    sm.rotate_secret(SecretId="py/random", RotationLambdaARN=RANDOM)
    value = json.loads(sm.get_secret_value(SecretId="py/random")["SecretString"])
    assert value["user"] == "u" and value["password"] != "p0" and len(value["password"]) == 32
    # Dev mode runs the scheduler's tick on demand: nothing is due right after a rotation.
    request = urllib.request.Request(f"{server.endpoint}/_coffer/rotation/run-due", method="POST", data=b"")
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.status == 200
        assert json.loads(answer.read()) == {"Succeeded": 0, "Failed": 0, "Retrying": 0}


def test_cli_rotate_secret(rotation, tmp_path):
    server, function = rotation
    sm = server.client()
    sm.create_secret(Name="py/cli", SecretString=json.dumps({"password": "p0"}))
    credentials = tmp_path / "dev-credentials"
    credentials.write_text("[default]\naws_access_key_id = 111122223333\naws_secret_access_key = dev\n")
    result = server.cli("secretsmanager", "rotate-secret", "--secret-id", "py/cli", "--rotation-lambda-arn", FUNCTION,
                        "--rotation-rules", '{"ScheduleExpression": "cron(0 16 1,15 * ? *)", "Duration": "2h"}',
                        credentials_file=credentials)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert set(out) == {"ARN", "Name", "VersionId"}
    rules = sm.describe_secret(SecretId="py/cli")["RotationRules"]
    assert rules == {"AutomaticallyAfterDays": 14, "Duration": "2h", "ScheduleExpression": "cron(0 16 1,15 * ? *)"}
    assert function.steps()[-1] == "finishSecret"
