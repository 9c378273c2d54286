"""Wait until the throwaway Swift answers S3 requests: wait_ready.py DIR/swift.json TIMEOUT_SECONDS.

The proxy's /healthcheck answers before the storage servers do, so readiness is a real S3 call
(ListBuckets) that needs the account server behind the proxy.
"""
import json
import sys
import time

import boto3
from botocore.config import Config


def main(info_path, timeout):
    info = json.load(open(info_path))
    client = boto3.client(
        "s3", endpoint_url=info["endpoint_url"], region_name=info["region"],
        aws_access_key_id=info["aws_access_key_id"], aws_secret_access_key=info["aws_secret_access_key"],
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1},
                      connect_timeout=1, read_timeout=5))
    deadline = time.monotonic() + timeout
    while True:
        try:
            client.list_buckets()
            return 0
        except Exception as e:  # not up yet: connection refused, 503 while the account server starts
            if time.monotonic() > deadline:
                print(f"wait_ready: {e}", file=sys.stderr)
                return 1
            time.sleep(0.2)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], float(sys.argv[2])))
