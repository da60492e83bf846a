# docker-py's swarm API against a berth daemon of its own (not in a swarm
# yet): swarm init and inspect, nodes, secrets, configs, an overlay network,
# a replicated service with a published port, scale, update, logs, the
# errors docker returns, leave. Driven by integration/clients
# TestDockerPySwarm, which sets DOCKER_HOST and BERTH_PREFIX. Only
# 127.0.0.1 and the test's own tasks are reached. Checked against a private
# Docker Engine 20.10 as well (BERTH_NO_MESH=1, see below): same results.
import os
import socket
import time
import unittest
import urllib.request

import docker
from docker.types import ConfigReference, EndpointSpec, SecretReference, ServiceMode

PREFIX = os.environ.get("BERTH_PREFIX", "pys")
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def until(what, f, timeout=90):
    """Polls f until it returns a true value, which it returns."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = f()
        if last:
            return last
        time.sleep(0.2)
    raise AssertionError("timed out waiting for %s (last: %r)" % (what, last))


def running(service, n):
    tasks = service.tasks(filters={"desired-state": "running"})
    states = [t["Status"]["State"] for t in tasks]
    return states if len(states) == n and all(s == "running" for s in states) else None


def quiet(f):
    try:
        f()
    except docker.errors.NotFound:
        pass


def get(url):
    try:
        return OPENER.open(url, timeout=2).read()
    except OSError:
        return None


class Swarm(unittest.TestCase):
    def test_swarm(self):
        c = docker.from_env(timeout=120, version=os.environ.get("BERTH_PY_API") or None)
        node_id = c.swarm.init(advertise_addr="127.0.0.1", listen_addr="127.0.0.1:%d" % free_port(),
                               default_addr_pool=["10.89.0.0/16"], subnet_size=24)
        self.addCleanup(c.swarm.leave, force=True)
        self.assertTrue(node_id)
        c.swarm.reload()
        self.assertTrue(c.swarm.attrs["JoinTokens"]["Worker"].startswith("SWMTKN-1-"))
        self.assertEqual(c.swarm.attrs["DefaultAddrPool"], ["10.89.0.0/16"])
        info = c.info()["Swarm"]
        self.assertEqual(info["LocalNodeState"], "active")
        self.assertEqual(info["NodeID"], node_id)
        self.assertTrue(info["ControlAvailable"])
        with self.assertRaises(docker.errors.APIError) as e:
            c.swarm.init(advertise_addr="127.0.0.1")
        self.assertIn("already part of a swarm", str(e.exception))

        nodes = c.nodes.list()
        self.assertEqual([n.id for n in nodes], [node_id])
        node = nodes[0]
        self.assertEqual(node.attrs["Spec"]["Role"], "manager")
        self.assertTrue(node.attrs["ManagerStatus"]["Leader"])
        spec = dict(node.attrs["Spec"], Labels={"zone": "a"})
        node.update(spec)
        node.reload()
        self.assertEqual(node.attrs["Spec"]["Labels"], {"zone": "a"})

        secret = c.secrets.create(name=PREFIX + "-pw", data=b"hunter2", labels={"k": "v"})
        self.assertEqual(c.secrets.get(secret.id).name, PREFIX + "-pw")
        self.assertNotIn("Data", c.secrets.get(secret.id).attrs["Spec"])  # never handed back
        # docker-py 5's configs.create returns only the ID (no Spec), with
        # Docker too: inspect it for the name.
        config = c.configs.get(c.configs.create(name=PREFIX + "-conf", data=b"-cfg").id)
        self.assertEqual(config.name, PREFIX + "-conf")
        net = c.networks.create(PREFIX + "-net", driver="overlay")
        self.assertEqual(c.networks.get(net.id).attrs["Scope"], "swarm")

        with self.assertRaises(docker.errors.APIError) as e:
            c.services.create("busybox", ["true"], name=PREFIX + "-bad", networks=[PREFIX + "-nonet"])
        self.assertIn("not found", str(e.exception))
        self.assertEqual([s.name for s in c.services.list(filters={"name": PREFIX + "-bad"})], [])

        port = free_port()
        script = ("mkdir /www && cat /run/secrets/%s /etc/app.conf > /www/index.html && "
                  "echo started $A && exec httpd -f -p 80 -h /www") % (PREFIX + "-pw")
        svc = c.services.create(
            "busybox", ["sh", "-c", script], name=PREFIX + "-web", env=["A=1"],
            mode=ServiceMode("replicated", replicas=2), networks=[net.name],
            secrets=[SecretReference(secret.id, secret.name)],
            configs=[ConfigReference(config.id, config.name, filename="/etc/app.conf")],
            endpoint_spec=EndpointSpec(ports={port: 80}), stop_grace_period=1)
        self.addCleanup(quiet, svc.remove)
        until("2 running tasks", lambda: running(svc, 2))
        svc.reload()
        self.assertEqual(svc.attrs["Endpoint"]["Ports"][0]["PublishedPort"], port)
        # Docker Engine's mesh needs IPVS, which this kernel lacks: run
        # against dockerd as the oracle with BERTH_NO_MESH=1.
        if not os.environ.get("BERTH_NO_MESH"):
            self.assertEqual(until("the routing mesh", lambda: get("http://127.0.0.1:%d/" % port)), b"hunter2-cfg")

        with self.assertRaises(docker.errors.APIError) as e:
            secret.remove()
        self.assertIn("in use", str(e.exception))

        self.assertTrue(svc.scale(3))
        until("3 running tasks", lambda: running(svc, 3))

        # Stale versions are refused (scale bumped it): "update out of
        # sequence", as from dockerd.
        with self.assertRaises(docker.errors.APIError) as e:
            svc.update(env=["A=2"])
        self.assertIn("update out of sequence", str(e.exception))
        svc.reload()
        svc.update(env=["A=2"])
        svc.reload()
        self.assertEqual(svc.attrs["Spec"]["TaskTemplate"]["ContainerSpec"]["Env"], ["A=2"])
        self.assertEqual(svc.attrs["Spec"]["Mode"]["Replicated"]["Replicas"], 3)

        def updated():
            svc.reload()
            st = svc.attrs.get("UpdateStatus", {}).get("State")
            return st == "completed" and running(svc, 3)
        until("the rolling update", updated, timeout=120)

        logs = until("service logs", lambda: b"".join(svc.logs(stdout=True, stderr=True)))
        self.assertIn(b"started 2", logs)

        svc.remove()
        # sparse: no inspect per listed container, which races the removal
        # (404 for one gone in between, with Docker too).
        until("the task containers removed",
              lambda: not c.containers.list(all=True, sparse=True,
                                            filters={"label": "com.docker.swarm.service.name=" + PREFIX + "-web"}))
        secret.remove()
        config.remove()
        net.remove()
        self.assertEqual(c.secrets.list(filters={"name": PREFIX + "-pw"}), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
