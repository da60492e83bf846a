package lifecycle

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/berth-project/berth/container"
	"github.com/berth-project/berth/internal/errdefs"
	"github.com/berth-project/berth/volume"
	containertypes "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	bolt "go.etcd.io/bbolt"
)

// fakeVolumes is an in-memory volume store with the real one's rules:
// an empty name makes an anonymous volume, removing one in use conflicts,
// and mounts are counted per container.
type fakeVolumes struct {
	root    string
	vols    map[string]*volume.Volume
	refs    map[string][]string
	mounts  map[string]int
	failOn  string // Create of this name fails
	counter int
}

func newFakeVolumes(t *testing.T) *fakeVolumes {
	return &fakeVolumes{root: t.TempDir(), vols: map[string]*volume.Volume{}, refs: map[string][]string{}, mounts: map[string]int{}}
}

func (f *fakeVolumes) Create(_ context.Context, name, driver string, opts, labels map[string]string) (*volume.Volume, error) {
	if name != "" && name == f.failOn {
		return nil, errdefs.InvalidParameter("create %s: refused", name)
	}
	anon := name == ""
	if anon {
		f.counter++
		name = strings.Repeat("0", 63) + string(rune('a'+f.counter))
	}
	if v, ok := f.vols[name]; ok {
		return v, nil
	}
	mp := filepath.Join(f.root, name, "_data")
	if err := os.MkdirAll(mp, 0o755); err != nil {
		return nil, err
	}
	v := &volume.Volume{Name: name, Driver: "local", Mountpoint: mp, CreatedAt: time.Now(), Labels: labels, Options: opts, Anonymous: anon}
	f.vols[name] = v
	return v, nil
}

func (f *fakeVolumes) Get(name string) (*volume.Volume, error) {
	if v, ok := f.vols[name]; ok {
		return v, nil
	}
	return nil, errdefs.NotFound("get %s: no such volume", name)
}

func (f *fakeVolumes) Remove(_ context.Context, name string, force bool) error {
	if _, ok := f.vols[name]; !ok {
		return errdefs.NotFound("remove %s: no such volume", name)
	}
	if len(f.refs[name]) > 0 {
		return errdefs.Conflict("remove %s: volume is in use - %v", name, f.refs[name])
	}
	delete(f.vols, name)
	return nil
}

func (f *fakeVolumes) AddRef(name, id string) error {
	if _, ok := f.vols[name]; !ok {
		return errdefs.NotFound("get %s: no such volume", name)
	}
	if !slices.Contains(f.refs[name], id) {
		f.refs[name] = append(f.refs[name], id)
	}
	return nil
}

func (f *fakeVolumes) RemoveRef(name, id string) {
	f.refs[name] = slices.DeleteFunc(f.refs[name], func(s string) bool { return s == id })
}

func (f *fakeVolumes) Mount(name, id string) (string, error) {
	v, err := f.Get(name)
	if err != nil {
		return "", err
	}
	f.mounts[name+"/"+id]++
	return v.Mountpoint, nil
}

func (f *fakeVolumes) Unmount(name, id string) error {
	f.mounts[name+"/"+id]--
	return nil
}

func newTestService(t *testing.T) (*Service, *fakeVolumes) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	st, err := container.NewStore(db)
	if err != nil {
		t.Fatal(err)
	}
	fv := newFakeVolumes(t)
	return &Service{store: st, vols: fv}, fv
}

func addContainer(t *testing.T, s *Service, name string, mps map[string]*container.MountPoint) *container.Container {
	t.Helper()
	c := &container.Container{ID: container.NewID(), Name: "/" + name, Config: &containertypes.Config{}, HostConfig: &containertypes.HostConfig{}, MountPoints: mps}
	if err := s.store.Reserve(c.Name, c.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.store.Add(c); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestPlanMountsOrderAndOverrides(t *testing.T) {
	s, fv := newTestService(t)
	host := t.TempDir()
	src := addContainer(t, s, "src", map[string]*container.MountPoint{
		"/shared": {Type: mount.TypeVolume, Name: "sharedvol", Source: "/x/sharedvol/_data", Destination: "/shared", RW: true, CopyData: true},
		"/over":   {Type: mount.TypeVolume, Name: "overvol", Source: "/x/overvol/_data", Destination: "/over", RW: true},
	})
	_ = src
	cfg := &containertypes.Config{Volumes: map[string]struct{}{"/anon": {}, "/shared": {}, "/named": {}, "/tmp2": {}}}
	hc := &containertypes.HostConfig{
		VolumesFrom: []string{"src:ro"},
		Binds:       []string{"named:/named", host + ":/over:rw"},
		Mounts:      []mount.Mount{{Type: mount.TypeTmpfs, Target: "/scratch"}},
		Tmpfs:       map[string]string{"/tmp2": ""},
	}
	mps, err := s.planMounts(cfg, hc)
	if err != nil {
		t.Fatal(err)
	}
	var dests []string
	for d := range mps {
		dests = append(dests, d)
	}
	slices.Sort(dests)
	if want := []string{"/anon", "/named", "/over", "/scratch", "/shared"}; !slices.Equal(dests, want) {
		t.Fatalf("destinations %v, want %v", dests, want)
	}
	if m := mps["/shared"]; m.Name != "sharedvol" || m.RW || m.CopyData {
		t.Errorf("--volumes-from :ro copy: %+v", m)
	}
	if m := mps["/over"]; m.Type != mount.TypeBind || m.Source != host {
		t.Errorf("a bind overrides --volumes-from: %+v", m)
	}
	if len(fv.vols) != 0 {
		t.Errorf("planMounts created volumes: %v", fv.vols)
	}
	// duplicates and a bind over a --tmpfs
	for _, hc := range []*containertypes.HostConfig{
		{Binds: []string{"a1:/d", "a2:/d"}},
		{Binds: []string{"a1:/d"}, Mounts: []mount.Mount{{Type: mount.TypeVolume, Source: "a2", Target: "/d"}}},
		{Binds: []string{"a1:/d"}, Tmpfs: map[string]string{"/d": ""}},
	} {
		if _, err := s.planMounts(&containertypes.Config{}, hc); err == nil || err.Error() != "Duplicate mount point: /d" {
			t.Errorf("%+v: %v", hc, err)
		}
	}
	if _, err := s.planMounts(&containertypes.Config{}, &containertypes.HostConfig{VolumesFrom: []string{"nosuch"}}); !errdefs.IsInvalidParameter(err) {
		t.Errorf("--volumes-from a missing container: %v", err)
	}
	if _, err := s.planMounts(&containertypes.Config{}, &containertypes.HostConfig{Binds: []string{"vv:/d"}, VolumeDriver: "nfsplugin"}); !errdefs.IsNotFound(err) {
		t.Errorf("unknown volume driver: %v", err)
	}
	if _, err := s.planMounts(&containertypes.Config{Volumes: map[string]struct{}{"rel": {}}}, &containertypes.HostConfig{}); err == nil || !strings.Contains(err.Error(), "must be absolute") {
		t.Errorf("relative VOLUME: %v", err)
	}
	s.vols = nil
	if _, err := s.planMounts(&containertypes.Config{}, &containertypes.HostConfig{Binds: []string{"vv:/d"}}); !errdefs.IsNotImplemented(err) {
		t.Errorf("volumes without a store: %v", err)
	}
	if _, err := s.planMounts(&containertypes.Config{}, &containertypes.HostConfig{Binds: []string{host + ":/d"}}); err != nil {
		t.Errorf("binds without a volume store: %v", err)
	}
}

func TestRegisterAndRemoveMounts(t *testing.T) {
	s, fv := newTestService(t)
	ctx := context.Background()
	if _, err := fv.Create(ctx, "existing", "", nil, nil); err != nil {
		t.Fatal(err)
	}
	hc := &containertypes.HostConfig{
		Binds:  []string{"existing:/e", "fresh:/f"},
		Mounts: []mount.Mount{{Type: mount.TypeVolume, Target: "/m", VolumeOptions: &mount.VolumeOptions{Labels: map[string]string{"k": "v"}}}},
	}
	cfg := &containertypes.Config{Volumes: map[string]struct{}{"/anon": {}}}
	mps, err := s.planMounts(cfg, hc)
	if err != nil {
		t.Fatal(err)
	}
	c := addContainer(t, s, "user", mps)
	if err := s.registerMounts(ctx, c.ID, mps); err != nil {
		t.Fatal(err)
	}
	if len(fv.vols) != 4 {
		t.Fatalf("volumes: %v", fv.vols)
	}
	for _, mp := range mps {
		if !slices.Contains(fv.refs[mp.Name], c.ID) {
			t.Errorf("no reference on %s", mp.Name)
		}
		if mp.Source != fv.vols[mp.Name].Mountpoint || mp.Driver != "local" {
			t.Errorf("mount point %+v", mp)
		}
	}
	if m := mps["/m"]; !fv.vols[m.Name].Anonymous || fv.vols[m.Name].Labels["k"] != "v" || m.Mode != "z" {
		t.Errorf("--mount anonymous volume %+v %+v", m, fv.vols[m.Name])
	}
	if mps["/anon"].Mode != "" || mps["/e"].Mode != "z" {
		t.Errorf("modes: anon %q named %q", mps["/anon"].Mode, mps["/e"].Mode)
	}
	if err := fv.Remove(ctx, "existing", false); !errdefs.IsConflict(err) {
		t.Errorf("remove in use: %v", err)
	}
	// rm -v: anonymous volumes go, named ones stay
	s.removeMounts(ctx, c, true)
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range fv.vols {
			if !yield(n) {
				return
			}
		}
	})
	if !slices.Equal(names, []string{"existing", "fresh"}) {
		t.Errorf("after rm -v: %v", names)
	}
	for n, r := range fv.refs {
		if len(r) > 0 {
			t.Errorf("reference left on %s: %v", n, r)
		}
	}
}

func TestRegisterMountsRollsBack(t *testing.T) {
	s, fv := newTestService(t)
	ctx := context.Background()
	if _, err := fv.Create(ctx, "existing", "", nil, nil); err != nil {
		t.Fatal(err)
	}
	fv.failOn = "zzfails"
	mps, err := s.planMounts(&containertypes.Config{Volumes: map[string]struct{}{"/a": {}}}, &containertypes.HostConfig{Binds: []string{"existing:/e", "new1:/n", "zzfails:/z/deeper"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.registerMounts(ctx, "cid", mps); err == nil {
		t.Fatal("registerMounts succeeded")
	}
	if len(fv.vols) != 1 || fv.vols["existing"] == nil {
		t.Errorf("left volumes: %v", fv.vols)
	}
	if len(fv.refs["existing"]) != 0 {
		t.Errorf("left a reference: %v", fv.refs)
	}
}

func TestSetupMountsAndRelease(t *testing.T) {
	s, fv := newTestService(t)
	ctx := context.Background()
	rootfs := t.TempDir()
	if err := os.MkdirAll(filepath.Join(rootfs, "data", "sub"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(rootfs, "data", "sub", "f"), []byte("img"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/data", filepath.Join(rootfs, "link")); err != nil {
		t.Fatal(err)
	}
	host := filepath.Join(t.TempDir(), "made")
	hc := &containertypes.HostConfig{
		Binds:  []string{"v1:/data", "v1:/again:ro", host + ":/h:rslave", "nc:/link:nocopy"},
		Mounts: []mount.Mount{{Type: mount.TypeTmpfs, Target: "/t", TmpfsOptions: &mount.TmpfsOptions{SizeBytes: 1 << 20}}},
	}
	mps, err := s.planMounts(&containertypes.Config{}, hc)
	if err != nil {
		t.Fatal(err)
	}
	c := addContainer(t, s, "run", mps)
	if err := s.registerMounts(ctx, c.ID, mps); err != nil {
		t.Fatal(err)
	}
	hostMountinfoShared := checkPropagation(t.TempDir(), mount.PropagationRSlave) == nil
	ms, release, err := s.setupMounts(c, rootfs)
	if !hostMountinfoShared {
		// rslave needs a shared or slave source mount, like Docker.
		if err == nil || !strings.Contains(err.Error(), "is not a shared or slave mount") {
			t.Fatalf("rslave on a private mount: %v", err)
		}
		if fv.mounts["v1/"+c.ID] != 0 {
			t.Errorf("failed setup left volume mounts: %v", fv.mounts)
		}
		c.MountPoints["/h"].Propagation = mount.PropagationRPrivate
		ms, release, err = s.setupMounts(c, rootfs)
	}
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, m := range ms {
		got[m.Destination] = m.Type + " " + filepath.Base(filepath.Dir(m.Source)) + " " + strings.Join(m.Options, ",")
	}
	if got["/data"] != "bind v1 rbind,rprivate" || got["/again"] != "bind v1 rbind,ro,rprivate" || !strings.HasPrefix(got["/t"], "tmpfs . noexec,nosuid,nodev,rprivate,size=1m") {
		t.Errorf("spec mounts: %v", got)
	}
	if fv.mounts["v1/"+c.ID] != 1 || fv.mounts["nc/"+c.ID] != 1 {
		t.Errorf("each volume is mounted once per container: %v", fv.mounts)
	}
	if b, err := os.ReadFile(filepath.Join(fv.vols["v1"].Mountpoint, "sub", "f")); err != nil || string(b) != "img" {
		t.Errorf("copy-in: %q %v", b, err)
	}
	if fi, err := os.Stat(filepath.Join(fv.vols["v1"].Mountpoint, "sub")); err != nil || fi.Mode().Perm() != 0o750 {
		t.Errorf("copy-in mode: %v %v", fi, err)
	}
	if e, _ := os.ReadDir(fv.vols["nc"].Mountpoint); len(e) != 0 {
		t.Errorf("nocopy volume was filled: %v", e)
	}
	if fi, err := os.Stat(host); err != nil || !fi.IsDir() {
		t.Errorf("-v bind source not created: %v", err)
	}
	release() // a failed start undoes its mounts
	if fv.mounts["v1/"+c.ID] != 0 || fv.mounts["nc/"+c.ID] != 0 {
		t.Errorf("after release: %v", fv.mounts)
	}
	if _, _, err := s.setupMounts(c, rootfs); err != nil {
		t.Fatal(err)
	}
	s.releaseMounts(c) // the exit path
	if fv.mounts["v1/"+c.ID] != 0 || fv.mounts["nc/"+c.ID] != 0 {
		t.Errorf("after exit: %v", fv.mounts)
	}
}

func TestRestoreMounts(t *testing.T) {
	s, fv := newTestService(t)
	ctx := context.Background()
	mps, err := s.planMounts(&containertypes.Config{}, &containertypes.HostConfig{Binds: []string{"keep:/a", "keep:/b"}})
	if err != nil {
		t.Fatal(err)
	}
	c := addContainer(t, s, "r", mps)
	if err := s.registerMounts(ctx, c.ID, mps); err != nil {
		t.Fatal(err)
	}
	fv.refs = map[string][]string{} // a restarted store knows no users
	s.restoreMounts(c, true)
	if !slices.Equal(fv.refs["keep"], []string{c.ID}) || fv.mounts["keep/"+c.ID] != 1 {
		t.Errorf("refs %v mounts %v", fv.refs, fv.mounts)
	}
	if err := fv.Remove(ctx, "keep", false); !errdefs.IsConflict(err) {
		t.Errorf("volume of a restored container removable: %v", err)
	}
}

func TestCheckWritableAndFilters(t *testing.T) {
	c := &container.Container{HostConfig: &containertypes.HostConfig{ReadonlyRootfs: true}, MountPoints: map[string]*container.MountPoint{
		"/rw":    {Type: mount.TypeVolume, Name: "v", Destination: "/rw", RW: true},
		"/rw/ro": {Type: mount.TypeBind, Source: "/src", Destination: "/rw/ro"},
	}}
	tests := []struct{ p, err string }{
		{"/rw", ""}, {"/rw/x", ""}, {"/rw/ro/x", "mounted volume is marked read-only"},
		{"/rwx", "container rootfs is marked read-only"}, {"/", "container rootfs is marked read-only"},
	}
	for _, tt := range tests {
		err := checkWritable(c, tt.p)
		if (err == nil) != (tt.err == "") || (err != nil && (err.Error() != tt.err || !errdefs.IsForbidden(err))) {
			t.Errorf("%s: %v, want %q", tt.p, err, tt.err)
		}
	}
	for v, want := range map[string]bool{"v": true, "/rw": true, "/src": true, "/rw/ro": true, "x": false} {
		if mountedVolume(c, v) != want {
			t.Errorf("volume filter %q: want %v", v, want)
		}
	}
	api := apiMounts(c)
	if len(api) != 2 || api[0].Destination != "/rw" || api[1].Destination != "/rw/ro" || api[1].RW || api[0].Name != "v" {
		t.Errorf("apiMounts: %+v", api)
	}
}
