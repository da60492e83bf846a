package build

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// TestGolden builds each case of testdata/golden with our CLI and compares
// the image config, the history and the case's check output (run inside
// the image) with what Docker Engine's classic builder produced for the
// same case (docker.golden, written by bench/build-compare.sh with
// Debian's docker.io 20.10). Content hashes in COPY history differ by
// design (Docker hashes with tarsum) and are masked; two places where
// Docker 20.10 prints differently from Docker 28, which berth follows,
// are normalised (see docker28).
func TestGolden(t *testing.T) {
	d := daemon(t)
	cases, _ := filepath.Glob("testdata/golden/*/Dockerfile")
	if len(cases) == 0 {
		t.Fatal("no golden cases")
	}
	berth := filepath.Join(d.Bin, "berth")
	for _, df := range cases {
		dir, _ := filepath.Abs(filepath.Dir(df))
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			golden, err := os.ReadFile(filepath.Join(dir, "docker.golden"))
			if err != nil {
				t.Fatal(err)
			}
			tag := "golden-" + name
			rmi(t, d, tag, tag+"-base")
			if _, err := os.Stat(filepath.Join(dir, "Dockerfile.base")); err == nil {
				if out, err := cli(d, berth, dir, "", "build", "-q", "-t", tag+"-base", "-f", "Dockerfile.base", "."); err != nil {
					t.Fatalf("base: %v\n%s", err, out)
				}
			}
			args := []string{"build", "-q", "-t", tag}
			if ba, err := os.ReadFile(filepath.Join(dir, "buildargs")); err == nil {
				for _, a := range strings.Fields(string(ba)) {
					args = append(args, "--build-arg", a)
				}
			}
			if out, err := cli(d, berth, dir, "", append(args, ".")...); err != nil {
				t.Fatalf("build: %v\n%s", err, out)
			}
			wantCfg, wantRest, _ := strings.Cut(docker28(string(golden)), "\n}\n")
			var want map[string]any
			if err := json.Unmarshal([]byte(wantCfg+"\n}"), &want); err != nil {
				t.Fatalf("golden config: %v", err)
			}
			js, err := cli(d, berth, dir, "", "image", "inspect", "--format", "{{json .Config}}", tag)
			if err != nil {
				t.Fatal(err, js)
			}
			var got map[string]any
			if err := json.Unmarshal([]byte(js), &got); err != nil {
				t.Fatal(err, js)
			}
			if got = normalizeConfig(got); !reflect.DeepEqual(got, want) {
				g, _ := json.MarshalIndent(got, "", " ")
				w, _ := json.MarshalIndent(want, "", " ")
				t.Errorf("config differs from Docker's:\nberth:  %s\ndocker: %s", g, w)
			}
			hist, err := cli(d, berth, dir, "", "history", "--no-trunc", "--format", "{{.CreatedBy}}", tag)
			if err != nil {
				t.Fatal(err, hist)
			}
			lines := strings.Split(strings.TrimSuffix(hist, "\n"), "\n")
			gotRest := maskHashes(strings.Join(lines[:len(lines)-1], "\n")) + "\n--- check\n"
			check, _ := os.ReadFile(filepath.Join(dir, "check"))
			out, _ := cli(d, berth, dir, "", "run", "--rm", tag, "sh", "-c", strings.TrimRight(string(check), "\n"))
			gotRest += out
			if gotRest != wantRest {
				t.Errorf("history/check differ from Docker's:\nberth:\n%s\ndocker:\n%s", gotRest, wantRest)
			}
		})
	}
}

// normalizeConfig drops what the compare script drops: per-container
// fields and empty values.
func normalizeConfig(c map[string]any) map[string]any {
	for _, k := range []string{"Hostname", "Domainname", "Image", "AttachStdin", "AttachStdout", "AttachStderr", "Tty", "OpenStdin", "StdinOnce"} {
		delete(c, k)
	}
	for k, v := range c {
		switch x := v.(type) {
		case nil:
			delete(c, k)
		case string:
			if x == "" {
				delete(c, k)
			}
		case bool:
			if !x {
				delete(c, k)
			}
		case []any:
			if len(x) == 0 {
				delete(c, k)
			}
		case map[string]any:
			if len(x) == 0 {
				delete(c, k)
			}
		}
	}
	return c
}

var hashRE = regexp.MustCompile(`(file|dir|multi):[0-9a-f]{64}`)

func maskHashes(s string) string { return hashRE.ReplaceAllString(s, "$1:<hash>") }

var (
	chownRE  = regexp.MustCompile(`--chown=(\S+?)(file|dir|multi):`)
	healthRE = regexp.MustCompile(`HEALTHCHECK &\{(\[.*?\]) ("[^"]*") ("[^"]*") ("[^"]*") ('[^']*')\}`)
)

// docker28 rewrites the two spots where Docker 20.10 prints differently
// from Docker 28 (whose classic builder berth follows): 20.10 glued
// `--chown=X` to the source hash, and its healthcheck had no
// StartInterval.
func docker28(s string) string {
	s = chownRE.ReplaceAllString(s, "--chown=$1 $2:")
	return healthRE.ReplaceAllString(s, `HEALTHCHECK &{$1 $2 $3 $4 "0s" $5}`)
}
