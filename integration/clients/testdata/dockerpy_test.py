# docker-py against a berth daemon: the calls users make every day, run
# unmodified through whichever docker-py is on sys.path (Debian's 5.0.3 in
# CI). Driven by integration/clients/dockerpy_test.go, which sets
# DOCKER_HOST to a private daemon and BERTH_PREFIX to a name prefix that
# is unique per run. Only 127.0.0.1 and the test's containers are reached.
import io
import os
import socket
import tarfile
import time
import unittest
import urllib.request

import docker

PREFIX = os.environ.get("BERTH_PREFIX", "pyt")
IMAGE = "busybox:latest"


def name(s):
    return "%s-%s" % (PREFIX, s)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def http_get(url, tries=100):
    """GET with retries: the server in the container needs a moment to
    listen after start returns (with Docker too)."""
    last = None
    for _ in range(tries):
        try:
            return urllib.request.urlopen(url, timeout=2).read()
        except OSError as e:
            last = e
            time.sleep(0.05)
    raise AssertionError("GET %s: %s" % (url, last))


def api_version(client):
    return tuple(int(x) for x in client.api._version.split("."))


class Base(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # BERTH_PY_API pins the API version (default: negotiate, as
        # docker-py does).
        cls.client = docker.from_env(timeout=60, version=os.environ.get("BERTH_PY_API") or None)

    def track(self, obj):
        self.addCleanup(lambda: _quiet_remove(obj))
        return obj


def _quiet_remove(obj):
    try:
        if isinstance(obj, docker.models.containers.Container):
            obj.remove(force=True, v=True)
        elif isinstance(obj, docker.models.images.Image):
            obj.client.images.remove(obj.id, force=True)
        else:
            obj.remove()
    except docker.errors.NotFound:
        pass


class Containers(Base):
    def test_run_foreground_returns_output(self):
        out = self.client.containers.run(IMAGE, "echo hello", remove=True)
        self.assertEqual(out, b"hello\n")

    def test_run_foreground_with_options(self):
        out = self.client.containers.run(
            IMAGE, "sh -c 'id -u; hostname; cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max'",
            user="nobody", hostname="pyhost", mem_limit="64m", remove=True)
        self.assertEqual(out.split(), [b"65534", b"pyhost", str(64 << 20).encode()])

    def test_run_foreground_stderr_and_exit_code(self):
        out = self.client.containers.run(IMAGE, "sh -c 'echo out; echo err >&2'", stderr=True, stdout=False, remove=True)
        self.assertEqual(out, b"err\n")
        with self.assertRaises(docker.errors.ContainerError) as cm:
            self.client.containers.run(IMAGE, "sh -c 'echo failing >&2; exit 3'", remove=True)
        self.assertEqual(cm.exception.exit_status, 3)
        self.assertIn(b"failing", cm.exception.stderr)

    def test_inspect_log_config(self):
        c = self.track(self.client.containers.create(IMAGE, "true"))
        self.assertEqual(c.attrs["HostConfig"]["LogConfig"]["Type"], "json-file")

    def test_detached_logs_wait(self):
        c = self.track(self.client.containers.run(IMAGE, "sh -c 'echo one; echo two >&2; exit 4'", detach=True, name=name("logs")))
        self.assertEqual(c.wait(timeout=30)["StatusCode"], 4)
        self.assertEqual(c.logs(stdout=True, stderr=False), b"one\n")
        self.assertEqual(c.logs(stdout=False, stderr=True), b"two\n")
        self.assertEqual(sorted(c.logs().split()), [b"one", b"two"])
        ts = c.logs(timestamps=True, tail=1)
        self.assertRegex(ts.decode(), r"^\d{4}-\d\d-\d\dT")
        c.reload()
        self.assertEqual(c.status, "exited")
        self.assertEqual(c.attrs["State"]["ExitCode"], 4)

    def test_logs_stream_follow(self):
        c = self.track(self.client.containers.run(IMAGE, "sh -c 'for i in 1 2 3; do echo l$i; sleep 0.1; done'", detach=True))
        lines = b"".join(c.logs(stream=True, follow=True)).split()
        self.assertEqual(lines, [b"l1", b"l2", b"l3"])

    def test_exec_run(self):
        c = self.track(self.client.containers.run(IMAGE, "sleep 300", detach=True))
        res = c.exec_run("echo hello")
        self.assertEqual((res.exit_code, res.output), (0, b"hello\n"))
        res = c.exec_run("sh -c 'echo out; echo err >&2; exit 2'", demux=True)
        self.assertEqual(res.exit_code, 2)
        self.assertEqual(res.output, (b"out\n", b"err\n"))
        res = c.exec_run("sh -c 'echo $FOO; pwd; id -u'", environment={"FOO": "bar"}, workdir="/tmp", user="nobody")
        self.assertEqual(res.output.split(), [b"bar", b"/tmp", b"65534"])
        res = c.exec_run("sh -c 'for i in 1 2 3; do echo s$i; done'", stream=True)
        self.assertEqual(b"".join(res.output).split(), [b"s1", b"s2", b"s3"])
        res = c.exec_run("tty", tty=True)
        self.assertIn(b"/dev/pts/", res.output)

    def test_put_get_archive(self):
        c = self.track(self.client.containers.run(IMAGE, "sleep 300", detach=True))
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tf:
            data = b"payload\n"
            ti = tarfile.TarInfo("hello.txt")
            ti.size = len(data)
            ti.mode = 0o640
            tf.addfile(ti, io.BytesIO(data))
        self.assertTrue(c.put_archive("/tmp", buf.getvalue()))
        self.assertEqual(c.exec_run("cat /tmp/hello.txt").output, b"payload\n")
        stream, stat = c.get_archive("/tmp/hello.txt")
        self.assertEqual(stat["name"], "hello.txt")
        self.assertEqual(stat["size"], 8)
        raw = b"".join(stream)
        with tarfile.open(fileobj=io.BytesIO(raw)) as tf:
            self.assertEqual(tf.extractfile("hello.txt").read(), b"payload\n")
        with self.assertRaises(docker.errors.NotFound):
            c.get_archive("/nonexistent")

    def test_kill_pause_top_rename(self):
        c = self.track(self.client.containers.run(IMAGE, "sleep 300", detach=True, name=name("kpt")))
        top = c.top()
        self.assertIn("PID", top["Titles"])
        self.assertTrue(any("sleep 300" in " ".join(p) for p in top["Processes"]))
        c.pause()
        c.reload()
        self.assertEqual(c.status, "paused")
        c.unpause()
        c.rename(name("kpt2"))
        c.reload()
        self.assertEqual(c.name, name("kpt2"))
        self.assertEqual(self.client.containers.get(name("kpt2")).id, c.id)
        c.kill(signal="SIGKILL")
        self.assertEqual(c.wait(timeout=30)["StatusCode"], 137)

    def test_stats(self):
        c = self.track(self.client.containers.run(IMAGE, "sleep 300", detach=True))
        try:
            st = c.stats(stream=False)
        except docker.errors.APIError as e:
            if e.status_code == 501:
                self.skipTest("stats: %s" % e.explanation)
            raise
        self.assertIn("memory_stats", st)
        self.assertIn("cpu_stats", st)

    def test_commit_diff_export(self):
        c = self.track(self.client.containers.run(IMAGE, "sh -c 'echo data > /newfile'", detach=True))
        c.wait(timeout=30)
        diff = {d["Path"]: d["Kind"] for d in c.diff()}
        self.assertEqual(diff.get("/newfile"), 1)
        self.assertNotIn("/etc", diff)
        img = self.track(c.commit(repository=name("committed"), tag="v1", changes=["CMD [\"cat\", \"/newfile\"]"]))
        self.assertIn(name("committed") + ":v1", img.tags)
        self.assertEqual(self.client.containers.run(img.id, remove=True), b"data\n")
        raw = b"".join(c.export())
        with tarfile.open(fileobj=io.BytesIO(raw)) as tf:
            self.assertEqual(tf.extractfile("newfile").read(), b"data\n")

    def test_list_and_prune(self):
        a = self.track(self.client.containers.run(IMAGE, "sleep 300", detach=True, name=name("lsa"), labels={"pyt": PREFIX}))
        b = self.track(self.client.containers.create(IMAGE, "true", name=name("lsb"), labels={"pyt": PREFIX}))
        running = {c.id for c in self.client.containers.list(filters={"label": "pyt=" + PREFIX})}
        self.assertEqual(running, {a.id})
        every = {c.id for c in self.client.containers.list(all=True, filters={"label": "pyt=" + PREFIX})}
        self.assertEqual(every, {a.id, b.id})
        rep = self.client.containers.prune(filters={"label": "pyt=" + PREFIX})
        self.assertEqual(rep["ContainersDeleted"], [b.id])


class Images(Base):
    def test_list_get_tag_history_remove(self):
        img = self.client.images.get(IMAGE)
        self.assertIn(IMAGE, img.tags)
        self.assertIn(img.id, [i.id for i in self.client.images.list()])
        self.assertTrue(img.tag(name("repo"), "t1"))
        self.addCleanup(lambda: self.client.images.remove(name("repo") + ":t1"))
        self.assertIn(name("repo") + ":t1", self.client.images.get(img.id).tags)
        self.assertEqual([i.id for i in self.client.images.list(name("repo"))], [img.id])
        hist = img.history()
        self.assertTrue(len(hist) >= 1 and "CreatedBy" in hist[0])
        with self.assertRaises(docker.errors.ImageNotFound):
            self.client.images.get(name("missing"))

    def test_save_load(self):
        img = self.client.images.get(IMAGE)
        img.tag(name("saved"), "v1")
        data = b"".join(self.client.api.get_image(name("saved") + ":v1"))
        self.client.images.remove(name("saved") + ":v1")
        loaded = self.client.images.load(data)
        self.addCleanup(lambda: self.client.images.remove(name("saved") + ":v1"))
        self.assertEqual([i.id for i in loaded], [img.id])
        self.assertIn(name("saved") + ":v1", self.client.images.get(img.id).tags)

    def test_prune_dangling(self):
        rep = self.client.images.prune(filters={"dangling": True})
        self.assertIn("SpaceReclaimed", rep)


class Volumes(Base):
    def test_volume_lifecycle(self):
        v = self.track(self.client.volumes.create(name("vol"), labels={"pyt": PREFIX}))
        self.assertEqual(self.client.volumes.get(name("vol")).name, name("vol"))
        self.assertIn(name("vol"), [x.name for x in self.client.volumes.list(filters={"label": "pyt=" + PREFIX})])
        self.client.containers.run(IMAGE, "sh -c 'echo kept > /data/f'", volumes={name("vol"): {"bind": "/data", "mode": "rw"}}, remove=True)
        out = self.client.containers.run(IMAGE, "cat /data/f", volumes=[name("vol") + ":/data:ro"], remove=True)
        self.assertEqual(out, b"kept\n")
        v.remove()
        with self.assertRaises(docker.errors.NotFound):
            self.client.volumes.get(name("vol"))

    def test_prune(self):
        self.client.volumes.create(name("pvol"), labels={"pyt": PREFIX})
        # Since API 1.42 prune takes named volumes only with all=true.
        rep = self.client.volumes.prune(filters={"label": "pyt=" + PREFIX, "all": "true"})
        self.assertEqual(rep["VolumesDeleted"], [name("pvol")])


class Networks(Base):
    def test_create_connect_dns(self):
        net = self.track(self.client.networks.create(name("net"), driver="bridge", labels={"pyt": PREFIX}))
        web = self.track(self.client.containers.run(IMAGE, "httpd -f -p 80 -h /etc", detach=True, name=name("web"), network=name("net")))
        out = self.client.containers.run(IMAGE, "sh -c 'for i in $(seq 50); do wget -qO- http://%s/hostname && exit 0; sleep 0.1; done; exit 1'" % name("web"),
                                         network=name("net"), remove=True)
        self.assertEqual(out.strip(), web.id[:12].encode())
        # Started on the default bridge, then connected: resolves the network's names.
        other = self.track(self.client.containers.run(IMAGE, "sleep 300", detach=True))
        net.connect(other, aliases=["pyalias"])
        net.reload()
        self.assertEqual({c.id for c in net.containers}, {web.id, other.id})
        res = other.exec_run("ping -c1 -W2 " + name("web"))
        self.assertEqual(res.exit_code, 0, res.output)
        res = web.exec_run("ping -c1 -W2 pyalias")
        self.assertEqual(res.exit_code, 0, res.output)
        net.disconnect(other)
        self.assertNotEqual(other.exec_run("ping -c1 -W1 " + name("web")).exit_code, 0)

    def test_list_prune(self):
        self.client.networks.create(name("pnet"), labels={"pyt": PREFIX})
        self.assertEqual([n.name for n in self.client.networks.list(filters={"label": "pyt=" + PREFIX})], [name("pnet")])
        rep = self.client.networks.prune(filters={"label": "pyt=" + PREFIX})
        self.assertEqual(rep["NetworksDeleted"], [name("pnet")])


class Ports(Base):
    def test_published_ports(self):
        cases = [
            ("127.0.0.1", lambda p: {"80/tcp": ("127.0.0.1", p)}),
            ("all", lambda p: {"80/tcp": p}),
            ("int key", lambda p: {80: p}),
        ]
        for label, ports in cases:
            with self.subTest(label):
                port = free_port()
                c = self.track(self.client.containers.run(IMAGE, "httpd -f -p 80 -h /etc", detach=True, ports=ports(port)))
                self.assertEqual(http_get("http://127.0.0.1:%d/hostname" % port).strip(), c.id[:12].encode())
                c.reload()
                self.assertEqual(c.ports["80/tcp"][0]["HostPort"], str(port))
                c.remove(force=True)

    def test_random_port(self):
        c = self.track(self.client.containers.run(IMAGE, "httpd -f -p 80 -h /etc", detach=True, ports={"80/tcp": None}))
        c.reload()
        port = int(c.ports["80/tcp"][0]["HostPort"])
        self.assertEqual(http_get("http://127.0.0.1:%d/hostname" % port).strip(), c.id[:12].encode())
        self.assertEqual(self.client.api.port(c.id, 80)[0]["HostPort"], str(port))


class System(Base):
    def test_ping_version_info(self):
        self.assertTrue(self.client.ping())
        v = self.client.version()
        self.assertIn("ApiVersion", v)
        self.assertIn("Containers", self.client.info())

    def test_events_since_until_filters(self):
        since = time.time() - 1
        c = self.client.containers.create(IMAGE, "true", name=name("ev"))
        c.remove()
        until = time.time() + 1
        evs = list(self.client.events(since=since, until=until, decode=True,
                                       filters={"type": "container", "container": c.id}))
        self.assertEqual([e["Action"] for e in evs], ["create", "destroy"])
        for e in evs:
            self.assertEqual(e["Actor"]["ID"], c.id)
            self.assertEqual(e["Actor"]["Attributes"]["name"], name("ev"))
        evs = list(self.client.events(since=since, until=until, decode=True,
                                       filters={"type": "container", "container": c.id, "event": "destroy"}))
        self.assertEqual([e["Action"] for e in evs], ["destroy"])
        # Before API 1.52 events also carry the legacy status, id and from.
        old = docker.DockerClient(base_url=os.environ["DOCKER_HOST"], version="1.41")
        for e in old.events(since=since, until=until, decode=True, filters={"container": c.id}):
            self.assertEqual((e["status"], e["id"], e["from"]), (e["Action"], c.id, IMAGE))

    def test_df(self):
        # At the version docker-py negotiates (the daemon's newest) the body
        # has the per-kind usage; before 1.52 the legacy lists that
        # docker-py 5's default version (1.41) reads.
        df = self.client.df()
        if api_version(self.client) >= (1, 52):
            self.assertIn("ImageUsage", df)
        else:
            self.assertIn("LayersSize", df)
        old = docker.DockerClient(base_url=os.environ["DOCKER_HOST"], version="1.41").df()
        for key in ("LayersSize", "Images", "Containers", "Volumes", "BuildCache"):
            self.assertIn(key, old)
        self.assertTrue(any(IMAGE in (i.get("RepoTags") or []) for i in old["Images"]))

    def test_inspect_ip_address(self):
        # The top-level NetworkSettings.IPAddress (tutorials read it) is
        # there for clients before API 1.52, as dockerd keeps it.
        c = self.track(self.client.containers.run(IMAGE, "sleep 300", detach=True))
        old = docker.DockerClient(base_url=os.environ["DOCKER_HOST"], version="1.41")
        ns = old.containers.get(c.id).attrs["NetworkSettings"]
        self.assertRegex(ns.get("IPAddress") or "", r"^\d+\.\d+\.\d+\.\d+$")
        self.assertEqual(ns["IPAddress"], ns["Networks"]["bridge"]["IPAddress"])
        c.reload()
        self.assertRegex(c.attrs["NetworkSettings"]["Networks"]["bridge"]["IPAddress"], r"^\d+\.")


if __name__ == "__main__":
    unittest.main(verbosity=2)
