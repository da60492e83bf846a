package build

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSeedFriendlyHello is the tutorial's friendlyhello (001) with busybox
// httpd standing in for the Python app: build, run with a port published
// on 127.0.0.1, fetch the page.
func TestSeedFriendlyHello(t *testing.T) {
	d := daemon(t)
	df := `# Use an official Python runtime as a parent image (busybox here)
FROM busybox

# Set the working directory to /app
WORKDIR /app

# Copy the current directory contents into the container at /app
ADD . /app

# Install any needed packages specified in requirements.txt
RUN cat requirements.txt > /app/installed

# Make port 80 available to the world outside this container
EXPOSE 80

# Define environment variable
ENV NAME World

# Run the web server when the container launches
CMD ["httpd", "-f", "-p", "80", "-h", "/app/www"]
`
	dir := writeFiles(t, map[string]string{"Dockerfile": df, "requirements.txt": "Flask\nRedis\n", "www/index.html": "<h3>Hello World!</h3>\n"})
	rmi(t, d, "friendlyhello")
	for name, bin := range clis(t, d) {
		out, err := cli(d, bin, dir, "", "build", "-t", "friendlyhello", ".")
		if err != nil {
			t.Fatalf("%s: %v\n%s", name, err, out)
		}
		l, _ := net.Listen("tcp", "127.0.0.1:0")
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		cid, err := cli(d, bin, dir, "", "run", "-d", "-p", fmt.Sprintf("127.0.0.1:%d:80", port), "friendlyhello")
		if err != nil {
			t.Fatalf("%s run: %v %s", name, err, cid)
		}
		cid = strings.TrimSpace(cid)
		var body string
		for i := 0; i < 50; i++ {
			if resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", port)); err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				body = string(b)
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		d.Run("rm", "-f", cid)
		if !strings.Contains(body, "Hello World!") {
			t.Errorf("%s: page %q", name, body)
		}
		env, _ := d.Run("image", "inspect", "--format", "{{.Config.Env}} {{.Config.WorkingDir}} {{.Config.ExposedPorts}}", "friendlyhello")
		if !strings.Contains(env, "NAME=World") || !strings.Contains(env, "/app") || !strings.Contains(env, "80/tcp") {
			t.Errorf("%s: config %s", name, env)
		}
	}
}

// TestSeedDjango is the compose tutorial's Django Dockerfile (004) on
// busybox: requirements first, so changing the code keeps the install
// step cached.
func TestSeedDjango(t *testing.T) {
	d := daemon(t)
	df := "FROM busybox\nENV PYTHONUNBUFFERED 1\nRUN mkdir /code\nWORKDIR /code\nADD requirements.txt /code/\nRUN cp requirements.txt /installed && echo pip-ran\nADD . /code/\n"
	dir := writeFiles(t, map[string]string{"Dockerfile": df, "requirements.txt": "Django\npsycopg2\n", "manage.py": "v1\n"})
	rmi(t, d, "it-django")
	berth := filepath.Join(d.Bin, "berth")
	if out, err := cli(d, berth, dir, "", "build", "-t", "it-django", "."); err != nil {
		t.Fatal(err, out)
	}
	os.WriteFile(filepath.Join(dir, "manage.py"), []byte("v2\n"), 0o644)
	out, err := cli(d, berth, dir, "", "build", "-t", "it-django", ".")
	if err != nil {
		t.Fatal(err, out)
	}
	if hits := cacheHits(out); !hits[5] || hits[6] {
		t.Errorf("code change should keep the pip step cached and redo ADD .: %v\n%s", hits, out)
	}
	if got, _ := d.Run("run", "--rm", "it-django", "sh", "-c", "echo $PYTHONUNBUFFERED; pwd; cat manage.py /installed"); got != "1\n/code\nv2\nDjango\npsycopg2\n" {
		t.Errorf("image content %q", got)
	}
}

func redisTarball(t *testing.T) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	tw.WriteHeader(&tar.Header{Name: "redis-3.2.5/", Mode: 0o755, Typeflag: tar.TypeDir})
	src := strings.Repeat("/* redis source */\n", 20000)
	tw.WriteHeader(&tar.Header{Name: "redis-3.2.5/src.c", Mode: 0o644, Size: int64(len(src)), Typeflag: tar.TypeReg})
	tw.Write([]byte(src))
	bin := "#!/bin/sh\necho redis-server 3.2.5\n"
	tw.WriteHeader(&tar.Header{Name: "redis-3.2.5/redis-server", Mode: 0o755, Size: int64(len(bin)), Typeflag: tar.TypeReg})
	tw.Write([]byte(bin))
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

// TestSeedRedisLayers is 001's Redis lesson: one RUN per command keeps
// every intermediate file in some layer, one chained RUN that cleans up
// after itself does not. The tarball comes from the context instead of
// download.redis.io.
func TestSeedRedisLayers(t *testing.T) {
	d := daemon(t)
	many := "FROM busybox\nCOPY redis.tar.gz /\nRUN mkdir -p /usr/src/redis\nRUN tar -xzf redis.tar.gz -C /usr/src/redis\nRUN cp /usr/src/redis/redis-3.2.5/redis-server /usr/local/bin/ 2>/dev/null || (mkdir -p /usr/local/bin && cp /usr/src/redis/redis-3.2.5/redis-server /usr/local/bin/)\n"
	one := "FROM busybox\nCOPY redis.tar.gz /\nRUN mkdir -p /usr/src/redis /usr/local/bin \\\n  && tar -xzf redis.tar.gz -C /usr/src/redis \\\n  && cp /usr/src/redis/redis-3.2.5/redis-server /usr/local/bin/ \\\n  && rm redis.tar.gz \\\n  && rm -r /usr/src/redis\n"
	dir := writeFiles(t, map[string]string{"Dockerfile.many": many, "Dockerfile.one": one, "redis.tar.gz": string(redisTarball(t))})
	rmi(t, d, "it-redis-many", "it-redis-one")
	berth := filepath.Join(d.Bin, "berth")
	size := map[string]string{}
	for _, v := range []string{"many", "one"} {
		if out, err := cli(d, berth, dir, "", "build", "-f", "Dockerfile."+v, "-t", "it-redis-"+v, "."); err != nil {
			t.Fatal(err, out)
		}
		if got, _ := d.Run("run", "--rm", "it-redis-"+v, "redis-server"); got != "redis-server 3.2.5\n" {
			t.Errorf("%s: %q", v, got)
		}
		layers, _ := d.Run("image", "inspect", "--format", "{{len .RootFS.Layers}}", "it-redis-"+v)
		size[v] = strings.TrimSpace(layers)
		leftover, _ := d.Run("run", "--rm", "it-redis-"+v, "sh", "-c", "ls /usr/src/redis 2>/dev/null | wc -l")
		if (v == "one") != (strings.TrimSpace(leftover) == "0") {
			t.Errorf("%s: /usr/src/redis entries %s", v, leftover)
		}
	}
	// busybox + COPY + 3 RUNs vs busybox + COPY + 1 RUN.
	if size["many"] != "5" || size["one"] != "3" {
		t.Errorf("layers: %v", size)
	}
}
