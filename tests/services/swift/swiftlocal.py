"""A throwaway OpenStack Swift with the s3api middleware, for tests only.

    swiftlocal.py setup DIR      write configs and rings under DIR, choose free ports
    swiftlocal.py serve DIR NAME run one server (account|container|object|proxy) in the foreground

Everything lives under DIR: no /etc/swift, no /srv, no root needed. Swift reads swift.conf when its
modules are imported, so `serve` points it at DIR/etc (set_swift_dir) and reloads the constraints
before loading the app. Run with Debian's /usr/bin/python3 (python3-swift).
"""
import json
import os
import socket
import sys
import pwd

SERVERS = ("account", "container", "object", "proxy")
# tempauth keeps its tokens in memcache; the proxy refuses requests without one.
MEMCACHE = "memcache"
USER, PASSWORD = "test:tester", "testing"

SWIFT_CONF = """\
[swift-hash]
swift_hash_path_suffix = phicrypto-throwaway
swift_hash_path_prefix = phicrypto-throwaway

[storage-policy:0]
name = gold
default = yes

[swift-constraints]
# S3 allows 2 KB of user metadata; Swift's default is 256 bytes per value.
max_meta_value_length = 2048
max_meta_overall_size = 8192
max_file_size = 5368709122
"""

STORAGE_CONF = """\
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = {port}
workers = 0
user = {user}
swift_dir = {etc}
devices = {srv}
mount_check = false
disable_fallocate = true
fallocate_reserve = 0
log_level = WARNING
log_address = /nonexistent-phicrypto

[pipeline:main]
pipeline = {name}-server

[app:{name}-server]
use = egg:swift#{name}
"""

PROXY_CONF = """\
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = {port}
workers = 0
user = {user}
swift_dir = {etc}
log_level = WARNING
log_address = /nonexistent-phicrypto

[pipeline:main]
# s3api must come before tempauth: it turns an S3 signature into a request tempauth checks.
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats s3api tempauth copy slo dlo proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
allow_account_management = true

[filter:s3api]
use = egg:swift#s3api
location = us-east-1
s3_acl = false
dns_compliant_bucket_names = true

[filter:tempauth]
use = egg:swift#tempauth
user_test_tester = testing .admin

[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:{memcache_port}

[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:healthcheck]
use = egg:swift#healthcheck
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:listing_formats]
use = egg:swift#listing_formats
[filter:copy]
use = egg:swift#copy
[filter:slo]
use = egg:swift#slo
[filter:dlo]
use = egg:swift#dlo
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def setup(root):
    root = os.path.abspath(root)
    etc, srv = os.path.join(root, "etc"), os.path.join(root, "srv")
    os.makedirs(os.path.join(srv, "d1"), exist_ok=True)
    os.makedirs(etc, exist_ok=True)
    ports = {name: free_port() for name in SERVERS + (MEMCACHE,)}
    user = pwd.getpwuid(os.getuid()).pw_name
    with open(os.path.join(etc, "swift.conf"), "w") as f:
        f.write(SWIFT_CONF)
    for name in SERVERS[:3]:
        with open(os.path.join(etc, f"{name}-server.conf"), "w") as f:
            f.write(STORAGE_CONF.format(port=ports[name], user=user, etc=etc, srv=srv, name=name))
    with open(os.path.join(etc, "proxy-server.conf"), "w") as f:
        f.write(PROXY_CONF.format(port=ports["proxy"], user=user, etc=etc, memcache_port=ports[MEMCACHE]))
    build_rings(etc, ports)
    info = {
        "endpoint_url": f"http://127.0.0.1:{ports['proxy']}",
        "aws_access_key_id": USER,
        "aws_secret_access_key": PASSWORD,
        "region": "us-east-1",
        "ports": ports,
    }
    with open(os.path.join(root, "swift.json"), "w") as f:
        json.dump(info, f, indent=2)


def build_rings(etc, ports):
    """One device per ring, one replica: enough for a single-node test store."""
    from swift.common.ring import RingBuilder
    for name in SERVERS[:3]:
        builder = RingBuilder(6, 1, 1)
        builder.add_dev({"id": 0, "region": 1, "zone": 1, "weight": 100, "ip": "127.0.0.1",
                         "port": ports[name], "device": "d1"})
        builder.rebalance()
        builder.save(os.path.join(etc, f"{name}.builder"))
        builder.get_ring().save(os.path.join(etc, f"{name}.ring.gz"))


def serve(root, name):
    etc = os.path.join(os.path.abspath(root), "etc")
    from swift.common import utils, constraints
    utils.set_swift_dir(etc)
    constraints.reload_constraints()
    from swift.common.wsgi import run_wsgi
    conf = os.path.join(etc, f"{name}-server.conf")
    return run_wsgi(conf, "proxy-server" if name == "proxy" else f"{name}-server", verbose=True)


def main(argv):
    if len(argv) == 3 and argv[1] == "setup":
        setup(argv[2])
        return 0
    if len(argv) == 4 and argv[1] == "serve" and argv[3] in SERVERS:
        return serve(argv[2], argv[3])
    if len(argv) == 3 and argv[1] == "memcache-port":
        print(json.load(open(os.path.join(argv[2], "swift.json")))["ports"][MEMCACHE])
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
