package data

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestRemoveVolumes: rm -v and --rm remove anonymous volumes only; a volume
// in use cannot be removed (409 "volume is in use").
func TestRemoveVolumes(t *testing.T) {
	d := daemon(t)
	for name, run := range clis(d) {
		t.Run(name, func(t *testing.T) {
			ctr, named := uniq(t, name, "rmv"), uniq(t, name, "survivor")
			defer run("volume", "rm", "-f", named)
			must(t, run, "create", "--name", ctr, "-v", "/anon", "-v", named+":/named", "--mount", "type=volume,dst=/anon2", "busybox", "true")
			var anon []string
			for _, m := range inspectMounts(t, run, ctr) {
				if m.Name != named {
					anon = append(anon, m.Name)
				}
			}
			if len(anon) != 2 {
				t.Fatalf("anonymous volumes: %v", anon)
			}
			// in use: the API answers 409
			resp, err := d.HTTPClient().Do(mustReq(t, http.MethodDelete, "http://berth/volumes/"+named))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusConflict {
				t.Errorf("DELETE in-use volume: %d, want 409", resp.StatusCode)
			}
			if out, err := run("volume", "rm", anon[0]); err == nil || !strings.Contains(out, "volume is in use") {
				t.Errorf("volume rm of an in-use volume: %v %q", err, out)
			}
			must(t, run, "rm", "-v", ctr)
			for _, v := range anon {
				if volumeExists(run, v) {
					t.Errorf("rm -v left anonymous volume %s", v)
				}
			}
			if !volumeExists(run, named) {
				t.Errorf("rm -v removed named volume %s", named)
			}
			// plain rm keeps anonymous volumes
			must(t, run, "create", "--name", ctr, "-v", "/anon", "busybox", "true")
			v := inspectMounts(t, run, ctr)[0].Name
			must(t, run, "rm", ctr)
			if !volumeExists(run, v) {
				t.Errorf("rm without -v removed anonymous volume %s", v)
			}
			must(t, run, "volume", "rm", v)
			// --rm removes anonymous volumes on exit, keeps named ones
			before := must(t, run, "volume", "ls", "-q")
			must(t, run, "run", "--name", ctr, "--rm", "-v", "/anon", "-v", named+":/named", "busybox", "sh", "-c", "echo x > /anon/f")
			waitGone(t, run, ctr)
			if after := must(t, run, "volume", "ls", "-q"); after != before {
				t.Errorf("volumes before run --rm:\n%s\nafter:\n%s", before, after)
			}
		})
	}
}

// TestRunRmRemovesAnonymous counts volumes around a run --rm.
func TestRunRmRemovesAnonymous(t *testing.T) {
	d := daemon(t)
	for name, run := range clis(d) {
		t.Run(name, func(t *testing.T) {
			before := len(strings.Fields(must(t, run, "volume", "ls", "-q")))
			must(t, run, "run", "--rm", "-v", "/a", "-v", "/b", "busybox", "true")
			var after int
			for i := 0; i < 50; i++ {
				after = len(strings.Fields(must(t, run, "volume", "ls", "-q")))
				if after == before {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			if after != before {
				t.Errorf("volumes before %d, after run --rm %d", before, after)
			}
		})
	}
}

func mustReq(t *testing.T, method, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func waitGone(t *testing.T, run cli, ctr string) {
	t.Helper()
	for i := 0; i < 100; i++ {
		if out, _ := run("ps", "-aq", "--filter", "name="+ctr); out == "" {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("container %s not removed", ctr)
}

// TestVolumeEvents: create, mount and unmount volume events, as Docker
// sends them for a run with a named volume.
func TestVolumeEvents(t *testing.T) {
	d := daemon(t)
	for name, run := range clis(d) {
		t.Run(name, func(t *testing.T) {
			vol := uniq(t, name, "ev")
			defer run("volume", "rm", "-f", vol)
			since := time.Now().Add(-time.Second).Unix()
			must(t, run, "run", "--rm", "-v", vol+":/d", "busybox", "true")
			var out string
			for i := 0; i < 40; i++ {
				out = must(t, run, "events", "--since", fmt.Sprint(since), "--until", fmt.Sprint(time.Now().Unix()+1),
					"--filter", "type=volume", "--filter", "volume="+vol, "--format", "{{.Action}} {{.Actor.ID}} {{index .Actor.Attributes \"destination\"}}")
				if strings.Contains(out, "unmount") {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			for _, want := range []string{"create " + vol, "mount " + vol + " /d", "unmount " + vol} {
				if !strings.Contains(out, want) {
					t.Errorf("events lack %q:\n%s", want, out)
				}
			}
		})
	}
}
