package data

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/berth-project/berth/internal/testutil"
	"github.com/docker/go-units"
	"github.com/moby/moby/api/types/system"
)

// TestDiskUsageAndPrune checks `system df` (-v) figures against what the
// test wrote, through both CLIs, and that `system prune --volumes`
// reclaims exactly what it reports.
func TestDiskUsageAndPrune(t *testing.T) {
	d := testutil.StartDaemon(t)
	d.LoadBusybox(t)
	run := cli(d.Run)
	// dfa: 1,000,000 bytes, used by a stopped container; dfb: 300,000
	// bytes unused; an anonymous 50,000-byte volume unused.
	must(t, run, "run", "--name", "holder", "-v", "dfa:/a", "busybox", "sh", "-c", "head -c 1000000 /dev/zero > /a/f; head -c 12345 /dev/zero > /inlayer")
	must(t, run, "run", "--rm", "-v", "dfb:/b", "busybox", "sh", "-c", "head -c 200000 /dev/zero > /b/f; head -c 100000 /dev/zero > /b/g; ln /b/g /b/hardlink")
	must(t, run, "run", "--name", "anonmaker", "-v", "/c", "busybox", "sh", "-c", "head -c 50000 /dev/zero > /c/f")
	anon := inspectMounts(t, run, "anonmaker")[0].Name
	must(t, run, "rm", "anonmaker")

	du := apiDF(t, d)
	vols := map[string][2]int64{}
	for _, v := range du.VolumeUsage.Items {
		vols[v.Name] = [2]int64{v.UsageData.Size, v.UsageData.RefCount}
	}
	want := map[string][2]int64{"dfa": {1000000, 1}, "dfb": {300000, 0}, anon: {50000, 0}}
	for n, w := range want {
		if vols[n] != w {
			t.Errorf("volume %s: size/refs %v, want %v", n, vols[n], w)
		}
	}
	vu := du.VolumeUsage
	if vu.TotalCount != 3 || vu.ActiveCount != 1 || vu.TotalSize != 1350000 || vu.Reclaimable != 350000 {
		t.Errorf("volume usage: %+v", *vu)
	}
	var holderRw int64
	for _, c := range du.ContainerUsage.Items {
		if c.Names[0] == "/holder" {
			holderRw = c.SizeRw
		}
	}
	if holderRw < 12345 || du.ContainerUsage.Reclaimable != holderRw {
		t.Errorf("container usage: holder rw %d, reclaimable %d", holderRw, du.ContainerUsage.Reclaimable)
	}

	for name, run := range clis(d) {
		out := must(t, run, "system", "df")
		row := regexp.MustCompile(`(?m)^Local Volumes\s+3\s+1\s+(\S+)\s+(.+?)\s*$`).FindStringSubmatch(out)
		if row == nil || row[1] != units.HumanSize(1350000) || row[2] != units.HumanSize(350000)+" (25%)" {
			t.Errorf("%s system df:\n%s", name, out)
		}
		out = must(t, run, "system", "df", "-v")
		for n, w := range want {
			line := regexp.MustCompile(`(?m)^` + n + `\s+(\d+)\s+(\S+)\s*$`).FindStringSubmatch(out)
			if line == nil || line[1] != fmt.Sprint(w[1]) || line[2] != units.HumanSize(float64(w[0])) {
				t.Errorf("%s system df -v, volume %s: %q\n%s", name, n, line, out)
			}
		}
		if !regexp.MustCompile(`(?m)^[0-9a-f]{12}\s+busybox\s+"sh -c head -c 10000…"\s+1\s+`).MatchString(out) {
			t.Errorf("%s system df -v: holder's LOCAL VOLUMES column:\n%s", name, out)
		}
		if out := must(t, run, "ps", "-as", "--filter", "name=holder", "--format", "{{.Size}}"); !strings.HasPrefix(out, units.HumanSizeWithPrecision(float64(holderRw), 3)+" (virtual ") {
			t.Errorf("%s ps -s: %q", name, out)
		}
	}

	// prune: the stopped container and the anonymous volume go; named
	// volumes stay; the report is the sum of what went.
	out := must(t, run, "system", "prune", "-f", "--volumes")
	wantTotal := "Total reclaimed space: " + units.HumanSize(float64(holderRw+50000))
	if !strings.Contains(out, wantTotal) || !strings.Contains(out, anon) {
		t.Errorf("system prune output lacks %q or %s:\n%s", wantTotal, anon, out)
	}
	after := apiDF(t, d)
	if after.VolumeUsage.TotalSize != 1300000 || after.VolumeUsage.TotalCount != 2 || after.ContainerUsage.TotalCount != 0 {
		t.Errorf("after prune: volumes %+v, containers %d", *after.VolumeUsage, after.ContainerUsage.TotalCount)
	}
	must(t, run, "volume", "rm", "dfa", "dfb")
}

// TestPruneFilters: system prune --filter label= only takes labelled
// containers; until= with --volumes is refused like docker's CLI.
func TestPruneFilters(t *testing.T) {
	d := daemon(t)
	for name, run := range clis(d) {
		t.Run(name, func(t *testing.T) {
			keep, gone := uniq(t, name, "keep"), uniq(t, name, "gone")
			must(t, run, "create", "--name", keep, "busybox", "true")
			defer run("rm", keep)
			must(t, run, "create", "--name", gone, "--label", "prune="+name, "busybox", "true")
			defer run("rm", gone)
			if out, err := run("system", "prune", "-af", "--filter", "label=prune="+name); err != nil {
				if name == "docker" && strings.Contains(out, "networks: not supported by berth yet") {
					t.Skip("docker CLI's system prune stops at network prune, which is issue 4's")
				}
				t.Fatalf("system prune: %v\n%s", err, out)
			}
			if out, _ := run("ps", "-aq", "--filter", "name="+gone); out != "" {
				t.Errorf("labelled container survived prune")
			}
			if out, _ := run("ps", "-aq", "--filter", "name="+keep); out == "" {
				t.Errorf("unlabelled container was pruned")
			}
			if out, err := run("system", "prune", "-f", "--volumes", "--filter", "until=1h"); err == nil || !strings.Contains(out, `The "until" filter is not supported with "--volumes"`) {
				t.Errorf("until with --volumes: %v %q", err, out)
			}
		})
	}
}

func apiDF(t *testing.T, d *testutil.Daemon) *system.DiskUsage {
	t.Helper()
	resp, err := d.HTTPClient().Get("http://berth/v1.52/system/df?verbose=1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("system/df: %d %s", resp.StatusCode, body)
	}
	var du system.DiskUsage
	if err := json.Unmarshal(body, &du); err != nil {
		t.Fatal(err)
	}
	if du.VolumeUsage == nil || du.ContainerUsage == nil {
		t.Fatalf("system/df: %s", body)
	}
	return &du
}
