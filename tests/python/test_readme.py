"""The README's quick start, run as written.

The blocks marked `<!-- quickstart: … -->` in README.md are read from the README itself (never
copied here) and run in a fresh directory against a `coffer serve` started there, as a new user
would after `cargo run --release -- serve`: the shell block of "A first session" with bash, its
Python block with the environment that block exported, then the IAM block of "Users, roles and
policies". One substitution is made: the README's address 127.0.0.1:7600 becomes the test
server's own loopback port, so that the test never depends on a fixed port being free.
"""

import json
import os
import re
import subprocess
import sys

from conftest import REPO, Coffer, aws_cli

README = REPO / "README.md"
ADDRESS = "127.0.0.1:7600"


def quickstart_blocks():
    """{marker: code} for every fenced block preceded by a `<!-- quickstart... -->` comment."""
    text = README.read_text()
    blocks = {}
    pattern = re.compile(r"<!-- quickstart(?:: ([a-z]+))?[^>]*-->\n```[a-z]*\n(.*?)```", re.S)
    for match in pattern.finditer(text):
        marker = match.group(1) or ""
        # The first block's marker says who runs it; it is the shell block.
        key = marker if marker in ("python", "iam") else "shell"
        blocks[key] = match.group(2)
    return blocks


def test_the_readme_quick_start_works_as_written(tmp_path):
    blocks = quickstart_blocks()
    assert set(blocks) == {"shell", "python", "iam"}, blocks.keys()
    # The shell block names the address every later command reaches through AWS_ENDPOINT_URL.
    assert f"AWS_ENDPOINT_URL=http://{ADDRESS}" in blocks["shell"], blocks["shell"]
    server = Coffer(["serve", "--listen", "127.0.0.1:0"], cwd=tmp_path, log_dir=tmp_path)
    try:
        address = f"127.0.0.1:{server.port}"
        # The start-up lines name absolute paths and the variables every client needs.
        out = server.stdout()
        creds = tmp_path / "coffer-data" / "credentials"
        assert f"credentials (mode 0600): {creds}" in out, out
        assert (f"export AWS_SHARED_CREDENTIALS_FILE={creds} AWS_DEFAULT_REGION=us-east-1 "
                f"AWS_REGION=us-east-1 AWS_ENDPOINT_URL=http://{address}") in out, out

        # PATH with this suite's AWS CLI first; no AWS_* or COFFER_* from the caller.
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "COFFER_"))}
        env["PATH"] = os.path.dirname(aws_cli()) + os.pathsep + env["PATH"]
        env["HOME"] = str(tmp_path)  # no ~/.aws of the machine's

        shell = blocks["shell"].replace(ADDRESS, address)
        # Run the block, then print the environment it exported for the next blocks.
        script = "set -euo pipefail\n" + shell + "\necho '--- env'\nenv -0\n"
        run = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env,
                             capture_output=True, timeout=120)
        assert run.returncode == 0, run.stderr.decode()
        stdout, exported = run.stdout.split(b"--- env\n", 1)
        outputs = stdout.decode()
        # create-secret, get-secret-value and get-caller-identity print one JSON document each.
        docs = [json.loads(d) for d in re.split(r"(?<=\})\n(?=\{)", outputs.strip())]
        assert [sorted(d) for d in docs] == [
            ["ARN", "Name", "VersionId"],
            ["ARN", "CreatedDate", "Name", "SecretString", "VersionId", "VersionStages"],
            ["Account", "Arn", "UserId"],
        ], outputs
        assert docs[0]["Name"] == "db/prod"
        assert docs[1]["SecretString"] == '{"password":"s3cr3t"}'
        assert docs[1]["VersionStages"] == ["AWSCURRENT"]
        assert docs[2]["Arn"] == f"arn:aws:iam::{docs[2]['Account']}:root"

        block_env = dict(
            item.split(b"=", 1) for item in exported.split(b"\0") if b"=" in item
        )
        block_env = {k.decode(): v.decode() for k, v in block_env.items()}
        assert block_env["AWS_SHARED_CREDENTIALS_FILE"] == str(creds)

        # Run by this suite's interpreter, which has boto3 (the README's reader has theirs).
        run = subprocess.run([sys.executable, "-c", blocks["python"]], cwd=tmp_path,
                             env=block_env, capture_output=True, text=True, timeout=60)
        assert (run.returncode, run.stdout) == (0, '{"password":"s3cr3t"}\n'), run.stderr

        iam = "set -euo pipefail\n" + blocks["iam"].replace(ADDRESS, address)
        run = subprocess.run(["bash", "-c", iam], cwd=tmp_path, env=block_env,
                             capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr
        docs = [json.loads(d) for d in re.split(r"(?<=\})\n(?=\{)", run.stdout.strip())]
        assert docs[0]["User"]["UserName"] == "app"
        key = docs[1]["AccessKey"]
        assert (key["UserName"], key["Status"]) == ("app", "Active")

        # The new user reads db/* with the policy the README gives it, DescribeSecret included
        # (what the caching agents revalidate with), and nothing else.
        user_env = {k: v for k, v in block_env.items() if k != "AWS_SHARED_CREDENTIALS_FILE"}
        user_env.update(AWS_ACCESS_KEY_ID=key["AccessKeyId"],
                        AWS_SECRET_ACCESS_KEY=key["SecretAccessKey"])
        for args, expect_ok in [
            (["secretsmanager", "get-secret-value", "--secret-id", "db/prod"], True),
            (["secretsmanager", "describe-secret", "--secret-id", "db/prod"], True),
            (["secretsmanager", "list-secrets"], False),
        ]:
            run = subprocess.run([aws_cli(), *args], cwd=tmp_path, env=user_env,
                                 capture_output=True, text=True, timeout=60)
            assert (run.returncode == 0) == expect_ok, (args, run.stderr)
            if not expect_ok:
                assert "AccessDeniedException" in run.stderr, run.stderr
    finally:
        server.stop()
