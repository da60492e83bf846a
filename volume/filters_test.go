package volume

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/berth-project/berth/internal/filters"
)

func names(vs []*Volume) []string {
	out := []string{}
	for _, v := range vs {
		out = append(out, v.Name)
	}
	return out
}

func args(pairs ...string) filters.Args {
	f := filters.NewArgs()
	for i := 0; i+1 < len(pairs); i += 2 {
		f.Add(pairs[i], pairs[i+1])
	}
	return f
}

func TestListFilters(t *testing.T) {
	s, _ := newTestService(t)
	mustCreate(t, s, "web-data", nil, map[string]string{"app": "web", "tier": "front"})
	mustCreate(t, s, "db-data", nil, map[string]string{"app": "db"})
	mustCreate(t, s, "cache", map[string]string{"type": "tmpfs", "device": "tmpfs"}, nil)
	if err := s.AddRef("db-data", "c1"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		f       filters.Args
		want    []string
		wantErr string
	}{
		{"all", args(), []string{"cache", "db-data", "web-data"}, ""},
		{"name substring regexp", args("name", "data"), []string{"db-data", "web-data"}, ""},
		{"name anchored", args("name", "^web"), []string{"web-data"}, ""},
		{"label key", args("label", "app"), []string{"db-data", "web-data"}, ""},
		{"label key=value", args("label", "app=web"), []string{"web-data"}, ""},
		{"labels all must match", args("label", "app=web", "label", "tier=back"), []string{}, ""},
		{"dangling true", args("dangling", "true"), []string{"cache", "web-data"}, ""},
		{"dangling 0", args("dangling", "0"), []string{"db-data"}, ""},
		{"driver", args("driver", "local"), []string{"cache", "db-data", "web-data"}, ""},
		{"other driver", args("driver", "nfs"), []string{}, ""},
		{"bad key", args("until", "1h"), nil, "invalid filter 'until'"},
		{"label! not for ls", args("label!", "app"), nil, "invalid filter 'label!'"},
		{"bad dangling", args("dangling", "maybe"), nil, "invalid filter 'dangling=maybe'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.List(tt.f)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr || !errdefs.IsInvalidParameter(err) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(names(got), tt.want) {
				t.Fatalf("got %v, want %v", names(got), tt.want)
			}
		})
	}
}

func TestPrune(t *testing.T) {
	tests := []struct {
		name    string
		f       filters.Args
		want    []string
		wantErr string
	}{
		{"default: anonymous only", args(), []string{"anon-free"}, ""},
		{"all", args("all", "true"), []string{"anon-free", "named-free", "named-label"}, ""},
		{"all=1 with label", args("all", "1", "label", "keep"), []string{"named-label"}, ""},
		{"all with label!", args("all", "true", "label!", "keep"), []string{"anon-free", "named-free"}, ""},
		{"label! key=value", args("all", "true", "label!", "keep=no"), []string{"anon-free", "named-free", "named-label"}, ""},
		{"all=false", args("all", "false"), []string{"anon-free"}, ""},
		{"bad all", args("all", "yes"), nil, `invalid filter 'all': strconv.ParseBool: parsing "yes": invalid syntax`},
		{"two all", args("all", "true", "all", "false"), nil, "invalid filter 'all=[false true]': only one value is expected"},
		{"dangling not accepted", args("dangling", "true"), nil, "invalid filter 'dangling'"},
		{"until not accepted", args("until", "1h"), nil, "invalid filter 'until'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestService(t)
			ctx := context.Background()
			mk := func(name string, anon bool, opts, labels map[string]string) string {
				v, err := s.Create(ctx, map[bool]string{true: "", false: name}[anon], "", opts, labels)
				if err != nil {
					t.Fatal(err)
				}
				return v.Name
			}
			rename := map[string]string{}
			rename[mk("", true, nil, nil)] = "anon-free"
			used := mk("", true, nil, nil)
			rename[used] = "anon-used"
			if err := s.AddRef(used, "c1"); err != nil {
				t.Fatal(err)
			}
			rename[mk("", true, map[string]string{"type": "tmpfs", "device": "tmpfs"}, nil)] = "anon-opts"
			mk("named-free", false, nil, nil)
			mk("named-label", false, nil, map[string]string{"keep": "yes"})
			mk("named-used", false, nil, nil)
			if err := s.AddRef("named-used", "c2"); err != nil {
				t.Fatal(err)
			}
			// Put data in the volume that default prune takes so the
			// reclaimed figure is checked for real.
			for name, alias := range rename {
				if alias == "anon-free" {
					if err := os.WriteFile(filepath.Join(s.root, name, "_data", "blob"), make([]byte, 3000), 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			deleted, reclaimed, err := s.Prune(ctx, tt.f)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range deleted {
				if alias, ok := rename[d]; ok {
					d = alias
				}
				got = append(got, d)
			}
			slices.Sort(got)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("pruned %v, want %v", got, tt.want)
			}
			wantReclaimed := uint64(0)
			if slices.Contains(tt.want, "anon-free") {
				wantReclaimed = 3000
			}
			if reclaimed != wantReclaimed {
				t.Fatalf("reclaimed %d, want %d", reclaimed, wantReclaimed)
			}
			for _, d := range deleted {
				if _, err := os.Stat(filepath.Join(s.root, d)); !os.IsNotExist(err) {
					t.Fatalf("pruned %s still on disk", d)
				}
			}
			// In-use and option volumes always survive.
			for name, alias := range rename {
				if alias == "anon-used" || alias == "anon-opts" {
					if _, err := s.Get(name); err != nil {
						t.Fatalf("%s pruned: %v", alias, err)
					}
				}
			}
			if _, err := s.Get("named-used"); err != nil {
				t.Fatalf("named-used pruned: %v", err)
			}
		})
	}
}

func TestEvents(t *testing.T) {
	s, _ := newTestService(t)
	var got []string
	s.SetEvents(func(action, name string, attrs map[string]string) {
		got = append(got, action+" "+name+" "+attrs["driver"]+attrs["reclaimed"])
	})
	ctx := context.Background()
	mustCreate(t, s, "ev", nil, nil)
	mustCreate(t, s, "ev", nil, nil) // existing: no event
	if _, err := s.Create(ctx, "x/y", "", nil, nil); err == nil {
		t.Fatal("bad name accepted")
	}
	anon := mustCreate(t, s, "", nil, nil)
	if err := os.WriteFile(filepath.Join(anon.Mountpoint, "f"), []byte("12345"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(ctx, "ev", false); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Prune(ctx, filters.NewArgs()); err != nil {
		t.Fatal(err)
	}
	want := []string{"create ev local", "create " + anon.Name + " local", "destroy ev local", "destroy " + anon.Name + " local", "prune  5"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("events %q, want %q", got, want)
	}
}

func TestDiskUsage(t *testing.T) {
	s, _ := newTestService(t)
	ctx := context.Background()
	used := mustCreate(t, s, "used", nil, nil)
	free := mustCreate(t, s, "free", nil, nil)
	mustCreate(t, s, "opts", map[string]string{"type": "tmpfs", "device": "tmpfs"}, nil)
	for v, n := range map[*Volume]int{used: 100, free: 40} {
		if err := os.WriteFile(filepath.Join(v.Mountpoint, "f"), make([]byte, n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddRef("used", "c1"); err != nil {
		t.Fatal(err)
	}
	du, err := s.DiskUsage(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if du.TotalCount != 2 || du.ActiveCount != 1 || du.TotalSize != 140 || du.Reclaimable != 40 || len(du.Items) != 2 {
		t.Fatalf("usage %+v", du)
	}
	if it := du.Items[1]; it.Name != "used" || it.UsageData.Size != 100 || it.UsageData.RefCount != 1 {
		t.Fatalf("item %+v %+v", it, it.UsageData)
	}
	if du, _ := s.DiskUsage(ctx, false); du.Items != nil || du.TotalSize != 140 {
		t.Fatalf("non-verbose %+v", du)
	}
}
