package image

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/berth-project/berth/internal/filters"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/image"
	digest "github.com/opencontainers/go-digest"

	imagerouter "github.com/berth-project/berth/apiserver/router/image"
)

var ctx = context.Background()

// importTar runs ImportImage and returns the new image ID from the
// {"status":"sha256:..."} message.
func importTar(t *testing.T, env *testEnv, data []byte, repo, tag string, changes ...string) digest.Digest {
	t.Helper()
	var out bytes.Buffer
	if err := env.ImportImage(ctx, bytes.NewReader(data), repo, tag, "", changes, &out); err != nil {
		t.Fatalf("import: %v", err)
	}
	var msg struct{ Status string }
	if err := json.Unmarshal(bytes.TrimSpace(out.Bytes()), &msg); err != nil {
		t.Fatalf("import output %q: %v", out.String(), err)
	}
	id, err := digest.Parse(msg.Status)
	if err != nil {
		t.Fatalf("import status %q: %v", msg.Status, err)
	}
	return id
}

func TestImportInspectHistory(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		id := importTar(t, env, busyboxTar(t), "busybox", "", `CMD ["sh"]`, "ENV A=1")
		hex := id.Encoded()
		for _, ref := range []string{"busybox", "busybox:latest", "docker.io/library/busybox:latest", id.String(), hex, hex[:12], "sha256:" + hex[:5]} {
			img, err := env.Resolve(ref)
			if err != nil || img.ID != id {
				t.Errorf("Resolve(%q) = %v, %v; want %s", ref, img, err, id)
			}
		}
		if _, err := env.Resolve("nope"); !errdefs.IsNotFound(err) || err.Error() != "No such image: nope" {
			t.Errorf("Resolve(nope) = %v", err)
		}
		insp, err := env.ImageInspect(ctx, "busybox")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(insp.RepoTags, []string{"busybox:latest"}) || insp.Os != "linux" || insp.Comment != "Imported from -" ||
			!slices.Equal(insp.Config.Cmd, []string{"sh"}) || !slices.Contains(insp.Config.Env, "A=1") ||
			len(insp.RootFS.Layers) != 1 || insp.RootFS.Type != "layers" || insp.Size <= 0 || insp.Metadata.LastTagTime.IsZero() ||
			insp.GraphDriver == nil || insp.GraphDriver.Name != "overlay2" {
			t.Errorf("inspect: %+v", insp)
		}
		hist, err := env.ImageHistory(ctx, hex[:12])
		if err != nil {
			t.Fatal(err)
		}
		if len(hist) != 1 || hist[0].ID != id.String() || hist[0].Comment != "Imported from -" || hist[0].Size <= 0 ||
			!slices.Equal(hist[0].Tags, []string{"busybox:latest"}) {
			t.Errorf("history: %+v", hist)
		}
		want := []string{"import " + id.String(), "tag busybox:latest"}
		if !slices.Equal(env.events, want) {
			t.Errorf("events = %q, want %q", env.events, want)
		}
		size, err := env.Size(id)
		if err != nil || size != insp.Size {
			t.Errorf("Size = %d, %v; inspect says %d", size, err, insp.Size)
		}
	})
}

func TestImportErrors(t *testing.T) {
	env := newTestEnv(t, newMemLayers())
	for _, tc := range []struct {
		repo, tag string
		changes   []string
		want      string
	}{
		{"Busybox", "", nil, "must be lowercase"},
		{"busybox", "bad tag!", nil, "invalid"},
		{"busybox", "", []string{"RUN echo hi"}, "run is not a valid change command"},
	} {
		err := env.ImportImage(ctx, bytes.NewReader(busyboxTar(t)), tc.repo, tc.tag, "", tc.changes, nil)
		if !errdefs.IsInvalidParameter(err) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("import %q %q %q: %v, want 400 containing %q", tc.repo, tc.tag, tc.changes, err, tc.want)
		}
	}
}

func TestTagAndDelete(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		id := importTar(t, env, busyboxTar(t), "busybox", "latest")
		short := id.Encoded()[:12]
		if err := env.ImageTag(ctx, "busybox", "myrepo/app", "1"); err != nil {
			t.Fatal(err)
		}
		for _, bad := range [][2]string{{"Bad", ""}, {"x", "bad tag!"}, {"sha256", "x"}, {"busybox@sha256:" + id.Encoded(), ""}} {
			if err := env.ImageTag(ctx, "busybox", bad[0], bad[1]); !errdefs.IsInvalidParameter(err) {
				t.Errorf("tag %q: %v, want 400", bad, err)
			}
		}
		if err := env.ImageTag(ctx, "missing", "x", ""); !errdefs.IsNotFound(err) {
			t.Errorf("tag missing: %v", err)
		}
		_, err := env.ImageDelete(ctx, short, false, false)
		wantMsg := "conflict: unable to delete " + short + " (must be forced) - image is referenced in multiple repositories"
		if !errdefs.IsConflict(err) || err.Error() != wantMsg {
			t.Errorf("rmi by ID: %v\nwant %s", err, wantMsg)
		}
		resp, err := env.ImageDelete(ctx, "myrepo/app:1", false, false)
		if err != nil || !slices.Equal(resp, []image.DeleteResponse{{Untagged: "myrepo/app:1"}}) {
			t.Errorf("rmi tag: %+v %v", resp, err)
		}
		ctr := strings.Repeat("c0ffee", 10) + "abcd"
		env.users[id] = []string{ctr}
		_, err = env.ImageDelete(ctx, "busybox", false, false)
		wantMsg = `conflict: unable to remove repository reference "busybox" (must force) - container c0ffeec0ffee is using its referenced image ` + short
		if !errdefs.IsConflict(err) || err.Error() != wantMsg {
			t.Errorf("rmi used: %v\nwant %s", err, wantMsg)
		}
		_, err = env.ImageDelete(ctx, id.String(), false, false)
		wantMsg = "conflict: unable to delete " + short + " (must be forced) - image is being used by stopped container c0ffeec0ffee"
		if !errdefs.IsConflict(err) || err.Error() != wantMsg {
			t.Errorf("rmi ID used: %v\nwant %s", err, wantMsg)
		}
		resp, err = env.ImageDelete(ctx, "busybox", true, false)
		if err != nil || !slices.Equal(resp, []image.DeleteResponse{{Untagged: "busybox:latest"}}) {
			t.Errorf("rmi -f used: %+v %v", resp, err)
		}
		if _, err := env.Resolve(id.String()); err != nil {
			t.Errorf("image in use must survive rmi -f: %v", err)
		}
		delete(env.users, id)
		img, _ := env.Resolve(id.String())
		resp, err = env.ImageDelete(ctx, short, false, false)
		want := []image.DeleteResponse{{Deleted: id.String()}, {Deleted: img.ChainID.String()}}
		if err != nil || !slices.Equal(resp, want) {
			t.Errorf("rmi: %+v %v, want %+v", resp, err, want)
		}
		if _, err := env.Resolve(id.String()); !errdefs.IsNotFound(err) {
			t.Errorf("deleted image resolves: %v", err)
		}
		if _, err := env.layers.Get(img.ChainID); !errdefs.IsNotFound(err) {
			t.Errorf("layer survived: %v", err)
		}
		if _, err := env.getBlob(id); !errdefs.IsNotFound(err) {
			t.Errorf("config blob survived: %v", err)
		}
	})
}

func TestRmiByIDSingleRepoUntagsAll(t *testing.T) {
	env := newTestEnv(t, newMemLayers())
	id := importTar(t, env, busyboxTar(t), "busybox", "latest")
	resp, err := env.ImageDelete(ctx, id.Encoded()[:12], false, false)
	if err != nil || len(resp) != 3 || resp[0].Untagged != "busybox:latest" || resp[1].Deleted != id.String() {
		t.Errorf("rmi: %+v %v", resp, err)
	}
}

func TestCommit(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		base := importTar(t, env, busyboxTar(t), "base", "1", `CMD ["sh"]`, "ENV PATH=/bin")
		cc := &container.Config{Cmd: []string{"sh", "-c", "echo hi > /greeting"}, Env: []string{"PATH=/bin", "X=1"}, Labels: map[string]string{"from": "ctr"}}
		id, err := env.Commit(ctx, CommitRequest{
			Parent:          base,
			LayerTar:        bytes.NewReader(makeTar(t, tarEntry{name: "greeting", body: "hi\n"})),
			ContainerID:     "abc123",
			ContainerConfig: cc,
			Author:          "me",
			Comment:         "msg",
			Changes:         []string{"LABEL a=b", `ENTRYPOINT ["/bin/sh"]`},
			Repo:            "committed",
			Tag:             "v1",
		})
		if err != nil {
			t.Fatal(err)
		}
		insp, err := env.ImageInspect(ctx, "committed:v1")
		if err != nil {
			t.Fatal(err)
		}
		if insp.ID != id.String() || insp.Author != "me" || insp.Comment != "msg" || len(insp.RootFS.Layers) != 2 ||
			insp.Config.Labels["a"] != "b" || insp.Config.Labels["from"] != "ctr" || !slices.Contains(insp.Config.Env, "X=1") ||
			!slices.Equal(insp.Config.Entrypoint, []string{"/bin/sh"}) || insp.Config.Cmd != nil {
			t.Errorf("inspect: %+v config %+v", insp, insp.Config)
		}
		hist, err := env.ImageHistory(ctx, id.String())
		if err != nil {
			t.Fatal(err)
		}
		if len(hist) != 2 || hist[0].ID != id.String() || hist[0].CreatedBy != "sh -c echo hi > /greeting" || hist[0].Size <= 0 ||
			hist[1].ID != base.String() || !slices.Equal(hist[1].Tags, []string{"base:1"}) || !slices.Equal(hist[0].Tags, []string{"committed:v1"}) {
			t.Errorf("history: %+v", hist)
		}
		list, err := env.Images(ctx, imagerouter.ListOptions{Filters: filters.NewArgs()})
		if err != nil || len(list) != 2 || list[0].ID != id.String() || list[0].ParentID != base.String() {
			t.Errorf("images: %+v %v", list, err)
		}
		_, err = env.ImageDelete(ctx, base.String(), true, false)
		if !errdefs.IsConflict(err) || !strings.Contains(err.Error(), "(cannot be forced) - image has dependent child images") {
			t.Errorf("rmi parent: %v", err)
		}
		// Nothing changed: an empty layer, recorded as such.
		empty, err := env.Commit(ctx, CommitRequest{Parent: id, LayerTar: bytes.NewReader(makeTar(t)), ContainerConfig: cc})
		if err != nil {
			t.Fatal(err)
		}
		cfg, _ := env.config(empty)
		if len(cfg.RootFS.DiffIDs) != 2 || len(cfg.History) != 3 || !cfg.History[2].EmptyLayer {
			t.Errorf("empty commit: rootfs %v history %+v", cfg.RootFS.DiffIDs, cfg.History)
		}
		// rmi of the tagged child prunes the untagged chain? base is tagged, so it stays.
		env.ImageDelete(ctx, empty.String(), false, false)
		resp, err := env.ImageDelete(ctx, "committed:v1", false, false)
		if err != nil || resp[0].Untagged != "committed:v1" || resp[1].Deleted != id.String() {
			t.Errorf("rmi child: %+v %v", resp, err)
		}
		if _, err := env.Resolve("base:1"); err != nil {
			t.Errorf("base lost: %v", err)
		}
	})
}

func TestImagesFilters(t *testing.T) {
	env := newTestEnv(t, newMemLayers())
	a := importTar(t, env, makeTar(t, tarEntry{name: "a"}), "busybox", "", "LABEL tier=base")
	b := importTar(t, env, makeTar(t, tarEntry{name: "b"}), "myrepo/app", "1", "LABEL tier=app")
	c := importTar(t, env, makeTar(t, tarEntry{name: "c"}), "", "")
	// A committed child of an untagged parent hides the parent unless All.
	p := importTar(t, env, makeTar(t, tarEntry{name: "p"}), "", "")
	child, err := env.Commit(ctx, CommitRequest{Parent: p, LayerTar: bytes.NewReader(makeTar(t, tarEntry{name: "q"})), Repo: "child"})
	if err != nil {
		t.Fatal(err)
	}
	ids := func(f filters.Args, all bool) []string {
		list, err := env.Images(ctx, imagerouter.ListOptions{Filters: f, All: all})
		if err != nil {
			t.Fatalf("images %s: %v", f, err)
		}
		var out []string
		for _, s := range list {
			out = append(out, s.ID)
			if s.RepoTags == nil || s.RepoDigests == nil || s.Containers != -1 {
				t.Errorf("summary %+v: want non-nil lists and Containers -1", s)
			}
		}
		slices.Sort(out)
		return out
	}
	sorted := func(ds ...digest.Digest) []string {
		var out []string
		for _, d := range ds {
			out = append(out, d.String())
		}
		slices.Sort(out)
		return out
	}
	for _, tc := range []struct {
		name string
		f    filters.Args
		all  bool
		want []string
	}{
		{"default", filters.NewArgs(), false, sorted(a, b, c, child)},
		{"all", filters.NewArgs(), true, sorted(a, b, c, p, child)},
		{"dangling", filters.NewArgs([2]string{"dangling", "true"}), false, sorted(c)},
		{"not dangling", filters.NewArgs([2]string{"dangling", "false"}), false, sorted(a, b, child)},
		{"reference glob", filters.NewArgs([2]string{"reference", "busy*"}), false, sorted(a)},
		{"reference tag", filters.NewArgs([2]string{"reference", "myrepo/app:1"}), false, sorted(b)},
		{"label", filters.NewArgs([2]string{"label", "tier=app"}), false, sorted(b)},
		{"label key", filters.NewArgs([2]string{"label", "tier"}), false, sorted(a, b)},
		{"label!", filters.NewArgs([2]string{"label!", "tier=app"}), false, sorted(a, c, child)},
		{"before", filters.NewArgs([2]string{"before", "myrepo/app:1"}), false, sorted(a)},
		{"since", filters.NewArgs([2]string{"since", "myrepo/app:1"}), false, sorted(c, child)},
		{"until past", filters.NewArgs([2]string{"until", "2000-01-01"}), false, nil},
	} {
		if got := ids(tc.f, tc.all); !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %v want %v", tc.name, got, tc.want)
		}
	}
	if _, err := env.Images(ctx, imagerouter.ListOptions{Filters: filters.NewArgs([2]string{"bogus", "1"})}); !errdefs.IsInvalidParameter(err) {
		t.Errorf("bogus filter: %v", err)
	}
}

func TestPrune(t *testing.T) {
	env := newTestEnv(t, newMemLayers())
	tagged := importTar(t, env, makeTar(t, tarEntry{name: "a", body: "aaaa"}), "keep", "")
	dangling := importTar(t, env, makeTar(t, tarEntry{name: "b", body: "bbbb"}), "", "")
	used := importTar(t, env, makeTar(t, tarEntry{name: "c", body: "cccc"}), "used", "")
	env.users[used] = []string{"0123456789abcdef"}
	rep, err := env.ImagesPrune(ctx, filters.NewArgs())
	if err != nil || len(rep.ImagesDeleted) != 2 || rep.ImagesDeleted[0].Deleted != dangling.String() || rep.SpaceReclaimed == 0 {
		t.Fatalf("prune: %+v %v", rep, err)
	}
	rep, err = env.ImagesPrune(ctx, filters.NewArgs([2]string{"dangling", "false"}))
	if err != nil || len(rep.ImagesDeleted) != 3 || rep.ImagesDeleted[0].Untagged != "keep:latest" || rep.ImagesDeleted[1].Deleted != tagged.String() {
		t.Fatalf("prune all: %+v %v", rep, err)
	}
	if _, err := env.Resolve("used"); err != nil {
		t.Errorf("used image pruned: %v", err)
	}
	if _, err := env.ImagesPrune(ctx, filters.NewArgs([2]string{"dangling", "maybe"})); !errdefs.IsInvalidParameter(err) {
		t.Errorf("bad dangling: %v", err)
	}
}
