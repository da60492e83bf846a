package swarm

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"
)

// newClient is the Go SDK, as the docker CLI uses it, talking to the
// routes over the fake cluster at API version v.
func newClient(t *testing.T, f *fakeCluster, v string) *client.Client {
	t.Helper()
	ts := newTestServer(t, f)
	cli, err := client.New(client.WithHost("tcp://"+strings.TrimPrefix(ts.URL, "http://")), client.WithAPIVersion(v))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

func TestSDKSwarm(t *testing.T) {
	ctx := context.Background()
	f := newFake()
	cli := newClient(t, f, client.MaxAPIVersion)
	if _, err := cli.SwarmInit(ctx, client.SwarmInitOptions{}); !cerrdefs.IsInvalidArgument(err) || !strings.Contains(err.Error(), "invalid empty address") {
		t.Errorf("init without address: %v", err)
	}
	res, err := cli.SwarmInit(ctx, client.SwarmInitOptions{ListenAddr: "0.0.0.0:2377", AdvertiseAddr: "10.0.0.1", Spec: swarm.Spec{Annotations: swarm.Annotations{Name: "default"}}})
	if err != nil || res.NodeID != "node1" {
		t.Fatalf("init: %+v %v", res, err)
	}
	if f.lastInit.Spec.Name != "default" || f.lastInit.AdvertiseAddr != "10.0.0.1" {
		t.Errorf("init request %+v", f.lastInit)
	}
	if _, err := cli.SwarmInit(ctx, client.SwarmInitOptions{ListenAddr: "0.0.0.0:2377"}); !cerrdefs.IsUnavailable(err) || !strings.Contains(err.Error(), "already part of a swarm") {
		t.Errorf("second init: %v", err)
	}
	sw, err := cli.SwarmInspect(ctx, client.SwarmInspectOptions{})
	if err != nil || sw.Swarm.ID != "cluster1" {
		t.Fatalf("inspect: %+v %v", sw, err)
	}
	if _, err := cli.SwarmUpdate(ctx, client.SwarmUpdateOptions{Version: sw.Swarm.Version, Spec: sw.Swarm.Spec, RotateWorkerToken: true}); err != nil {
		t.Fatalf("update: %v", err)
	}
	// The version moved on: the same update again is out of sequence.
	if _, err := cli.SwarmUpdate(ctx, client.SwarmUpdateOptions{Version: sw.Swarm.Version, Spec: sw.Swarm.Spec}); err == nil || !strings.Contains(err.Error(), "update out of sequence") {
		t.Errorf("stale update: %v", err)
	}
	key, err := cli.SwarmGetUnlockKey(ctx)
	if err != nil || key.Key != "SWMKEY-1-secret" {
		t.Errorf("unlock key: %+v %v", key, err)
	}
	if _, err := cli.SwarmUnlock(ctx, client.SwarmUnlockOptions{Key: key.Key}); err != nil {
		t.Errorf("unlock: %v", err)
	}
	if _, err := cli.SwarmLeave(ctx, client.SwarmLeaveOptions{Force: true}); err != nil {
		t.Errorf("leave: %v", err)
	}
	want := []string{
		"Init listen=0.0.0.0:2377 advertise=10.0.0.1 pool=[] subnet=0 port=0",
		"Init listen=0.0.0.0:2377 advertise= pool=[] subnet=0 port=0",
		"Inspect",
		"Update version=10 name= rotate=true,false,false",
		"Update version=10 name= rotate=false,false,false",
		"GetUnlockKey",
		"Unlock key=SWMKEY-1-secret",
		"Leave force=true",
	}
	if got := f.journal(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("calls\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestSDKServices(t *testing.T) {
	ctx := context.Background()
	f := newFake()
	cli := newClient(t, f, client.MaxAPIVersion)
	replicas := uint64(3)
	spec := swarm.ServiceSpec{
		Annotations:  swarm.Annotations{Name: "web"},
		TaskTemplate: swarm.TaskSpec{ContainerSpec: &swarm.ContainerSpec{Image: "nginx"}},
		Mode:         swarm.ServiceMode{Replicated: &swarm.ReplicatedService{Replicas: &replicas}},
	}
	created, err := cli.ServiceCreate(ctx, client.ServiceCreateOptions{Spec: spec, EncodedRegistryAuth: "e30="})
	if err != nil || created.ID != "svc1" || len(created.Warnings) != 0 {
		t.Fatalf("create: %+v %v", created, err)
	}
	// The SDK qualifies the image with its tag before sending it.
	if img := f.lastSpec.TaskTemplate.ContainerSpec.Image; img != "nginx:latest" || *f.lastSpec.Mode.Replicated.Replicas != 3 {
		t.Errorf("created spec %+v", f.lastSpec)
	}
	if _, err := cli.ServiceCreate(ctx, client.ServiceCreateOptions{Spec: spec}); !cerrdefs.IsConflict(err) {
		t.Errorf("duplicate create: %v", err)
	}
	list, err := cli.ServiceList(ctx, client.ServiceListOptions{Filters: make(client.Filters).Add("name", "web"), Status: true})
	if err != nil || len(list.Items) != 1 || list.Items[0].ID != "svc1" || list.Items[0].ServiceStatus == nil {
		t.Fatalf("list: %+v %v", list, err)
	}
	insp, err := cli.ServiceInspect(ctx, "web", client.ServiceInspectOptions{InsertDefaults: true})
	if err != nil || insp.Service.Spec.Name != "web" || !bytes.Contains(insp.Raw, []byte(`"ID":"svc1"`)) {
		t.Fatalf("inspect: %+v %v", insp, err)
	}
	spec.TaskTemplate.ContainerSpec.Image = "nginx:2"
	if _, err := cli.ServiceUpdate(ctx, "web", client.ServiceUpdateOptions{Version: insp.Service.Version, Spec: spec, RegistryAuthFrom: swarm.RegistryAuthFromPreviousSpec}); err != nil {
		t.Fatalf("update: %v", err)
	}
	if _, err := cli.ServiceUpdate(ctx, "web", client.ServiceUpdateOptions{Version: insp.Service.Version, Spec: spec}); err == nil || !strings.Contains(err.Error(), "update out of sequence") {
		t.Errorf("stale update: %v", err)
	}
	if _, err := cli.ServiceInspect(ctx, "nope", client.ServiceInspectOptions{}); !cerrdefs.IsNotFound(err) {
		t.Errorf("inspect missing: %v", err)
	}
	if _, err := cli.ServiceRemove(ctx, "web", client.ServiceRemoveOptions{}); err != nil {
		t.Fatalf("remove: %v", err)
	}
	if list, err := cli.ServiceList(ctx, client.ServiceListOptions{}); err != nil || len(list.Items) != 0 {
		t.Errorf("list after remove: %+v %v", list, err)
	}
	var updates []string
	for _, c := range f.journal() {
		if strings.HasPrefix(c, "UpdateService") {
			updates = append(updates, c)
		}
	}
	if len(updates) != 2 || updates[0] != "UpdateService web version=1 image=nginx:2 auth= from=previous-spec rollback=" {
		t.Errorf("update calls %q", updates)
	}
}

func TestSDKLogs(t *testing.T) {
	ctx := context.Background()
	f := newFake()
	seed(f)
	f.logs = testLogs()[:2]
	cli := newClient(t, f, client.MaxAPIVersion)
	rc, err := cli.ServiceLogs(ctx, "web", client.ServiceLogsOptions{ShowStdout: true, ShowStderr: true, Details: true, Tail: "5"})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var stdout, stderr bytes.Buffer
	if _, err := stdcopy.StdCopy(&stdout, &stderr, rc); err != nil {
		t.Fatal(err)
	}
	if want := "com.docker.swarm.node.id=n1,com.docker.swarm.service.id=svc-web,com.docker.swarm.task.id=t1 hello\n"; stdout.String() != want {
		t.Errorf("stdout %q, want %q", stdout.String(), want)
	}
	if !strings.HasSuffix(stderr.String(), "task.id=t2 oops\n") {
		t.Errorf("stderr %q", stderr.String())
	}
	// A backend error mid-stream reaches the SDK as an error, not output.
	f.logs = testLogs()[:3]
	rc, err = cli.TaskLogs(ctx, "t1", client.TaskLogsOptions{ShowStdout: true, ShowStderr: true})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	stdout.Reset()
	if _, err := stdcopy.StdCopy(&stdout, io.Discard, rc); err == nil || !strings.Contains(err.Error(), "Error grabbing logs: boom") || stdout.String() != "hello\n" {
		t.Errorf("task logs: %q %v", stdout.String(), err)
	}
}

func TestSDKObjects(t *testing.T) {
	ctx := context.Background()
	f := newFake()
	seed(f)
	cli := newClient(t, f, client.MaxAPIVersion)
	nodes, err := cli.NodeList(ctx, client.NodeListOptions{Filters: make(client.Filters).Add("role", "manager")})
	if err != nil || len(nodes.Items) != 1 {
		t.Fatalf("nodes: %+v %v", nodes, err)
	}
	n := nodes.Items[0]
	n.Spec.Availability = swarm.NodeAvailabilityDrain
	if _, err := cli.NodeUpdate(ctx, n.ID, client.NodeUpdateOptions{Version: n.Version, Spec: n.Spec}); err != nil {
		t.Fatalf("node update: %v", err)
	}
	if got, err := cli.NodeInspect(ctx, "node1", client.NodeInspectOptions{}); err != nil || got.Node.Spec.Availability != swarm.NodeAvailabilityDrain {
		t.Errorf("node inspect: %+v %v", got, err)
	}
	tasks, err := cli.TaskList(ctx, client.TaskListOptions{Filters: make(client.Filters).Add("service", "svc-web")})
	if err != nil || len(tasks.Items) != 1 || tasks.Items[0].ID != "t1" {
		t.Errorf("tasks: %+v %v", tasks, err)
	}
	sec, err := cli.SecretCreate(ctx, client.SecretCreateOptions{Spec: swarm.SecretSpec{Annotations: swarm.Annotations{Name: "pw"}, Data: []byte("hunter2")}})
	if err != nil || sec.ID != "sec1" {
		t.Fatalf("secret create: %+v %v", sec, err)
	}
	secs, err := cli.SecretList(ctx, client.SecretListOptions{})
	if err != nil || len(secs.Items) != 2 {
		t.Errorf("secrets: %+v %v", secs, err)
	}
	if _, err := cli.SecretRemove(ctx, "sec1", client.SecretRemoveOptions{}); err != nil {
		t.Errorf("secret rm: %v", err)
	}
	if _, err := cli.SecretRemove(ctx, "sec1", client.SecretRemoveOptions{}); !cerrdefs.IsNotFound(err) {
		t.Errorf("secret rm twice: %v", err)
	}
	cfg, err := cli.ConfigCreate(ctx, client.ConfigCreateOptions{Spec: swarm.ConfigSpec{Annotations: swarm.Annotations{Name: "conf"}, Data: []byte("x=1")}})
	if err != nil || cfg.ID != "cfg2" {
		t.Fatalf("config create: %+v %v", cfg, err)
	}
	if got, err := cli.ConfigInspect(ctx, "conf", client.ConfigInspectOptions{}); err != nil || string(got.Config.Spec.Data) != "x=1" {
		t.Errorf("config inspect: %+v %v", got, err)
	}
	// Old clients: configs need 1.30.
	old := newClient(t, f, "1.29")
	if _, err := old.ConfigList(ctx, client.ConfigListOptions{}); err == nil || !strings.Contains(err.Error(), "requires minimum API version 1.30") {
		t.Errorf("config list at 1.29: %v", err)
	}
}

// TestSDKLogsFollow: a followed stream delivers what is there at once and
// ends, with the Backend's context, when the client goes away.
func TestSDKLogsFollow(t *testing.T) {
	f := newFake()
	seed(f)
	f.logs = testLogs()[:1]
	f.follow = make(chan struct{})
	cli := newClient(t, f, client.MaxAPIVersion)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rc, err := cli.ServiceLogs(ctx, "web", client.ServiceLogsOptions{ShowStdout: true, Follow: true})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	head := make([]byte, 8+len("hello\n"))
	if _, err := io.ReadFull(rc, head); err != nil || string(head[8:]) != "hello\n" {
		t.Fatalf("first frame %q: %v", head, err)
	}
	cancel()
	select {
	case <-f.follow:
	case <-time.After(5 * time.Second):
		t.Fatal("the backend's log context did not end with the client")
	}
}
