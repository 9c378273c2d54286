"""Starts a throwaway Swift with s3api on 127.0.0.1 (tests/services/swift-s3.sh) for the session."""
import json
import os
import pathlib
import subprocess
import tempfile
import uuid

import boto3
import pytest
from botocore.config import Config

# A KEK for the keyring test, in place before the native runtime first reads the environment.
os.environ.setdefault("PHICRYPTO_S3_TEST_KEK", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")

REPO = pathlib.Path(__file__).resolve().parents[3]
SCRIPT = REPO / "tests" / "services" / "swift-s3.sh"


@pytest.fixture(scope="session")
def s3_service():
    root = tempfile.mkdtemp(prefix="phicrypto-swift-")
    subprocess.run([str(SCRIPT), "start", root], check=True, stdout=subprocess.PIPE)
    try:
        yield json.loads((pathlib.Path(root) / "swift.json").read_text())
    finally:
        subprocess.run([str(SCRIPT), "stop", root], check=False)
        subprocess.run(["rm", "-rf", root], check=False)


@pytest.fixture(scope="session")
def s3(s3_service):
    return boto3.client(
        "s3", endpoint_url=s3_service["endpoint_url"], region_name=s3_service["region"],
        aws_access_key_id=s3_service["aws_access_key_id"], aws_secret_access_key=s3_service["aws_secret_access_key"],
        config=Config(s3={"addressing_style": "path"}, max_pool_connections=64, retries={"max_attempts": 3}))


@pytest.fixture
def bucket(s3):
    name = "t-" + uuid.uuid4().hex[:12]
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture(scope="session")
def key():
    import phicrypto
    return phicrypto.Key.generate()


@pytest.fixture
def proxied_s3(s3_service):
    """A boto3 client reaching Swift through a FaultProxy with the given rule (botocore's max_attempts counts
    retries, not the first try); the proxy is closed after the test."""
    from urllib.parse import urlparse

    from faultproxy import FaultProxy
    proxies = []

    def make(rule, retries=3):
        proxy = FaultProxy(urlparse(s3_service["endpoint_url"]).port, rule)
        proxies.append(proxy)
        client = boto3.client(
            "s3", endpoint_url=proxy.endpoint, region_name=s3_service["region"],
            aws_access_key_id=s3_service["aws_access_key_id"], aws_secret_access_key=s3_service["aws_secret_access_key"],
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": retries, "mode": "standard"}))
        return client, proxy
    yield make
    for p in proxies:
        p.close()
