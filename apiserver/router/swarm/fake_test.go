package swarm

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/berth-project/berth/apiserver"
	"github.com/berth-project/berth/apiserver/router/container"
	"github.com/berth-project/berth/apiserver/router/notimpl"
	"github.com/berth-project/berth/internal/errdefs"
	"github.com/berth-project/berth/internal/filters"
	"github.com/moby/moby/api/types/swarm"
)

// fakeCluster is an in-memory Backend: a swarm whose objects live in maps,
// with swarmkit's optimistic versioning, and a journal of the calls the
// router made (one line each, with the arguments that matter) so that
// tests can check what a request turned into.
type fakeCluster struct {
	mu       sync.Mutex
	calls    []string
	down     error // returned by every call when set (e.g. not a manager)
	nodeID   string
	state    swarm.LocalNodeState // what Info reports
	version  uint64               // of the swarm object
	services map[string]*swarm.Service
	tasks    map[string]swarm.Task
	nodes    map[string]*swarm.Node
	secrets  map[string]*swarm.Secret
	configs  map[string]*swarm.Config
	logs     []*container.LogMessage // what ServiceLogs sends
	follow   chan struct{}           // set: the log stream stays open until ctx ends, then this closes
	lastSpec swarm.ServiceSpec       // of the last create/update
	lastInit swarm.InitRequest
	seq      int
}

var _ Backend = (*fakeCluster)(nil)

func newFake() *fakeCluster {
	return &fakeCluster{
		nodeID:   "node1",
		state:    swarm.LocalNodeStateInactive,
		version:  10,
		services: map[string]*swarm.Service{},
		tasks:    map[string]swarm.Task{},
		nodes:    map[string]*swarm.Node{"node1": {ID: "node1", Meta: swarm.Meta{Version: swarm.Version{Index: 3}}, Spec: swarm.NodeSpec{Role: swarm.NodeRoleManager, Availability: swarm.NodeAvailabilityActive}}},
		secrets:  map[string]*swarm.Secret{},
		configs:  map[string]*swarm.Config{},
	}
}

// newTestServer serves the swarm routes over f, with the notimpl
// fallbacks mounted too, as the daemon mounts them.
func newTestServer(t *testing.T, f *fakeCluster) *httptest.Server {
	t.Helper()
	// Quiet: the 500s some tests expect would be logged as handler errors.
	srv := apiserver.New(apiserver.Config{Version: "test", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	srv.Register(notimpl.NewRouter(), NewRouter(f))
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return ts
}

func (f *fakeCluster) record(format string, args ...any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
	return f.down
}

func (f *fakeCluster) journal() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeCluster) nextID(prefix string) string {
	f.seq++
	return fmt.Sprintf("%s%d", prefix, f.seq)
}

func outOfSequence() error {
	return errdefs.InvalidParameter("rpc error: code = Unknown desc = update out of sequence")
}

func (f *fakeCluster) Init(_ context.Context, req swarm.InitRequest) (string, error) {
	if err := f.record("Init listen=%s advertise=%s pool=%v subnet=%d port=%d", req.ListenAddr, req.AdvertiseAddr, req.DefaultAddrPool, req.SubnetSize, req.DataPathPort); err != nil {
		return "", err
	}
	if f.state != swarm.LocalNodeStateInactive && !req.ForceNewCluster {
		return "", errdefs.Unavailable("This node is already part of a swarm. Use \"docker swarm leave\" to leave this swarm and join another one.")
	}
	f.lastInit = req
	f.state = swarm.LocalNodeStateActive
	return f.nodeID, nil
}

func (f *fakeCluster) Join(_ context.Context, req swarm.JoinRequest) error {
	return f.record("Join remotes=%v token=%s", req.RemoteAddrs, req.JoinToken)
}

func (f *fakeCluster) Leave(_ context.Context, force bool) error {
	return f.record("Leave force=%t", force)
}

func (f *fakeCluster) Inspect(context.Context) (swarm.Swarm, error) {
	if err := f.record("Inspect"); err != nil {
		return swarm.Swarm{}, err
	}
	return swarm.Swarm{ClusterInfo: swarm.ClusterInfo{ID: "cluster1", Meta: swarm.Meta{Version: swarm.Version{Index: f.version}}}}, nil
}

func (f *fakeCluster) Update(_ context.Context, version uint64, spec swarm.Spec, fl UpdateFlags) error {
	if err := f.record("Update version=%d name=%s rotate=%t,%t,%t", version, spec.Name, fl.RotateWorkerToken, fl.RotateManagerToken, fl.RotateManagerUnlockKey); err != nil {
		return err
	}
	if version != f.version {
		return outOfSequence()
	}
	f.version++
	return nil
}

func (f *fakeCluster) GetUnlockKey(context.Context) (string, error) {
	return "SWMKEY-1-secret", f.record("GetUnlockKey")
}

func (f *fakeCluster) Unlock(_ context.Context, req swarm.UnlockRequest) error {
	return f.record("Unlock key=%s", req.UnlockKey)
}

func (f *fakeCluster) Info(context.Context) swarm.Info {
	return swarm.Info{NodeID: f.nodeID, LocalNodeState: f.state}
}

// filterString renders filters as name=v1|v2 pairs, sorted.
func filterString(a filters.Args) string {
	var names []string
	for _, n := range []string{"id", "name", "label", "mode", "role", "service", "node", "desired-state", "membership", "node.label"} {
		if a.Contains(n) {
			names = append(names, n+"="+strings.Join(a.Get(n), "|"))
		}
	}
	sort.Strings(names)
	return strings.Join(names, ",")
}

func (f *fakeCluster) GetNodes(_ context.Context, a filters.Args) ([]swarm.Node, error) {
	if err := f.record("GetNodes %s", filterString(a)); err != nil {
		return nil, err
	}
	if err := a.Validate("id", "label", "membership", "name", "node.label", "role"); err != nil {
		return nil, err
	}
	var out []swarm.Node
	for _, n := range f.nodes {
		if a.ExactMatch("id", n.ID) {
			out = append(out, *n)
		}
	}
	return out, nil
}

func (f *fakeCluster) GetNode(_ context.Context, id string) (swarm.Node, error) {
	if err := f.record("GetNode %s", id); err != nil {
		return swarm.Node{}, err
	}
	n, ok := f.nodes[id]
	if !ok {
		return swarm.Node{}, errdefs.NotFound("node %s not found", id)
	}
	return *n, nil
}

func (f *fakeCluster) UpdateNode(_ context.Context, id string, version uint64, spec swarm.NodeSpec) error {
	if err := f.record("UpdateNode %s version=%d availability=%s", id, version, spec.Availability); err != nil {
		return err
	}
	n, ok := f.nodes[id]
	if !ok {
		return errdefs.NotFound("node %s not found", id)
	}
	if n.Version.Index != version {
		return outOfSequence()
	}
	n.Spec, n.Version.Index = spec, version+1
	return nil
}

func (f *fakeCluster) RemoveNode(_ context.Context, id string, force bool) error {
	return f.record("RemoveNode %s force=%t", id, force)
}

func (f *fakeCluster) findService(ref string) (*swarm.Service, error) {
	for _, s := range f.services {
		if s.ID == ref || s.Spec.Name == ref {
			return s, nil
		}
	}
	return nil, errdefs.NotFound("service %s not found", ref)
}

func (f *fakeCluster) GetServices(_ context.Context, a filters.Args, status bool) ([]swarm.Service, error) {
	if err := f.record("GetServices %s status=%t", filterString(a), status); err != nil {
		return nil, err
	}
	var out []swarm.Service
	for _, s := range f.services {
		if !a.ExactMatch("name", s.Spec.Name) {
			continue
		}
		svc := *s
		if status {
			svc.ServiceStatus = &swarm.ServiceStatus{RunningTasks: 1, DesiredTasks: 2}
		}
		out = append(out, svc)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (f *fakeCluster) GetService(_ context.Context, ref string, insertDefaults bool) (swarm.Service, error) {
	if err := f.record("GetService %s defaults=%t", ref, insertDefaults); err != nil {
		return swarm.Service{}, err
	}
	s, err := f.findService(ref)
	if err != nil {
		return swarm.Service{}, err
	}
	return *s, nil
}

func image(spec swarm.ServiceSpec) string {
	if spec.TaskTemplate.ContainerSpec == nil {
		return ""
	}
	return spec.TaskTemplate.ContainerSpec.Image
}

func (f *fakeCluster) CreateService(_ context.Context, spec swarm.ServiceSpec, auth string) (*swarm.ServiceCreateResponse, error) {
	if err := f.record("CreateService name=%s image=%s auth=%s", spec.Name, image(spec), auth); err != nil {
		return nil, err
	}
	f.lastSpec = spec
	if _, err := f.findService(spec.Name); err == nil {
		return nil, errdefs.Conflict("rpc error: code = AlreadyExists desc = name conflicts with an existing object: service %s already exists", spec.Name)
	}
	id := f.nextID("svc")
	f.services[id] = &swarm.Service{ID: id, Meta: swarm.Meta{Version: swarm.Version{Index: 1}}, Spec: spec}
	resp := &swarm.ServiceCreateResponse{ID: id}
	if auth == "" {
		resp.Warnings = []string{"no auth"}
	}
	return resp, nil
}

func (f *fakeCluster) UpdateService(_ context.Context, ref string, version uint64, spec swarm.ServiceSpec, o ServiceUpdateOptions) (*swarm.ServiceUpdateResponse, error) {
	if err := f.record("UpdateService %s version=%d image=%s auth=%s from=%s rollback=%s", ref, version, image(spec), o.EncodedRegistryAuth, o.RegistryAuthFrom, o.Rollback); err != nil {
		return nil, err
	}
	f.lastSpec = spec
	s, err := f.findService(ref)
	if err != nil {
		return nil, err
	}
	if s.Version.Index != version {
		return nil, outOfSequence()
	}
	prev := s.Spec
	s.PreviousSpec, s.Spec, s.Version.Index = &prev, spec, version+1
	return &swarm.ServiceUpdateResponse{}, nil
}

func (f *fakeCluster) RemoveService(_ context.Context, ref string) error {
	if err := f.record("RemoveService %s", ref); err != nil {
		return err
	}
	s, err := f.findService(ref)
	if err != nil {
		return err
	}
	delete(f.services, s.ID)
	return nil
}

func (f *fakeCluster) ServiceLogs(ctx context.Context, sel LogSelector, o container.LogsOptions) (<-chan *container.LogMessage, error) {
	since := "0"
	if !o.Since.IsZero() {
		since = fmt.Sprint(o.Since.UnixNano())
	}
	if err := f.record("ServiceLogs services=%v tasks=%v out=%t err=%t follow=%t ts=%t details=%t tail=%d since=%s",
		sel.Services, sel.Tasks, o.ShowStdout, o.ShowStderr, o.Follow, o.Timestamps, o.Details, o.Tail, since); err != nil {
		return nil, err
	}
	ch := make(chan *container.LogMessage, len(f.logs))
	for _, m := range f.logs {
		ch <- m
	}
	if f.follow == nil {
		close(ch)
		return ch, nil
	}
	go func() {
		<-ctx.Done()
		close(ch)
		close(f.follow)
	}()
	return ch, nil
}

func (f *fakeCluster) GetTasks(_ context.Context, a filters.Args) ([]swarm.Task, error) {
	if err := f.record("GetTasks %s", filterString(a)); err != nil {
		return nil, err
	}
	var out []swarm.Task
	for _, t := range f.tasks {
		if a.ExactMatch("service", t.ServiceID) {
			out = append(out, t)
		}
	}
	return out, nil
}

func (f *fakeCluster) GetTask(_ context.Context, id string) (swarm.Task, error) {
	if err := f.record("GetTask %s", id); err != nil {
		return swarm.Task{}, err
	}
	t, ok := f.tasks[id]
	if !ok {
		return swarm.Task{}, errdefs.NotFound("task %s not found", id)
	}
	return t, nil
}

func (f *fakeCluster) GetSecrets(_ context.Context, a filters.Args) ([]swarm.Secret, error) {
	if err := f.record("GetSecrets %s", filterString(a)); err != nil {
		return nil, err
	}
	var out []swarm.Secret
	for _, s := range f.secrets {
		out = append(out, *s)
	}
	return out, nil
}

func (f *fakeCluster) GetSecret(_ context.Context, ref string) (swarm.Secret, error) {
	if err := f.record("GetSecret %s", ref); err != nil {
		return swarm.Secret{}, err
	}
	for _, s := range f.secrets {
		if s.ID == ref || s.Spec.Name == ref {
			return *s, nil
		}
	}
	return swarm.Secret{}, errdefs.NotFound("secret %s not found", ref)
}

func (f *fakeCluster) CreateSecret(_ context.Context, spec swarm.SecretSpec) (string, error) {
	if err := f.record("CreateSecret name=%s data=%s", spec.Name, spec.Data); err != nil {
		return "", err
	}
	id := f.nextID("sec")
	f.secrets[id] = &swarm.Secret{ID: id, Meta: swarm.Meta{Version: swarm.Version{Index: 1}}, Spec: swarm.SecretSpec{Annotations: spec.Annotations}}
	return id, nil
}

func (f *fakeCluster) UpdateSecret(_ context.Context, ref string, version uint64, spec swarm.SecretSpec) error {
	return f.record("UpdateSecret %s version=%d labels=%v", ref, version, spec.Labels)
}

func (f *fakeCluster) RemoveSecret(_ context.Context, ref string) error {
	if err := f.record("RemoveSecret %s", ref); err != nil {
		return err
	}
	if _, ok := f.secrets[ref]; !ok {
		return errdefs.NotFound("secret %s not found", ref)
	}
	delete(f.secrets, ref)
	return nil
}

func (f *fakeCluster) GetConfigs(_ context.Context, a filters.Args) ([]swarm.Config, error) {
	if err := f.record("GetConfigs %s", filterString(a)); err != nil {
		return nil, err
	}
	var out []swarm.Config
	for _, c := range f.configs {
		out = append(out, *c)
	}
	return out, nil
}

func (f *fakeCluster) GetConfig(_ context.Context, ref string) (swarm.Config, error) {
	if err := f.record("GetConfig %s", ref); err != nil {
		return swarm.Config{}, err
	}
	for _, c := range f.configs {
		if c.ID == ref || c.Spec.Name == ref {
			return *c, nil
		}
	}
	return swarm.Config{}, errdefs.NotFound("config %s not found", ref)
}

func (f *fakeCluster) CreateConfig(_ context.Context, spec swarm.ConfigSpec) (string, error) {
	if err := f.record("CreateConfig name=%s data=%s", spec.Name, spec.Data); err != nil {
		return "", err
	}
	id := f.nextID("cfg")
	f.configs[id] = &swarm.Config{ID: id, Meta: swarm.Meta{Version: swarm.Version{Index: 1}}, Spec: spec}
	return id, nil
}

func (f *fakeCluster) UpdateConfig(_ context.Context, ref string, version uint64, spec swarm.ConfigSpec) error {
	return f.record("UpdateConfig %s version=%d labels=%v", ref, version, spec.Labels)
}

func (f *fakeCluster) RemoveConfig(_ context.Context, ref string) error {
	if err := f.record("RemoveConfig %s", ref); err != nil {
		return err
	}
	if _, ok := f.configs[ref]; !ok {
		return errdefs.NotFound("config %s not found", ref)
	}
	delete(f.configs, ref)
	return nil
}
