package image

import (
	"strings"
	"testing"

	"github.com/distribution/reference"
)

func TestParseReference(t *testing.T) {
	for _, tc := range []struct{ in, normalized, familiar, err string }{
		{"busybox", "docker.io/library/busybox:latest", "busybox:latest", ""},
		{"busybox:1.36", "docker.io/library/busybox:1.36", "busybox:1.36", ""},
		{"myrepo/app:1", "docker.io/myrepo/app:1", "myrepo/app:1", ""},
		{"localhost:5000/x", "localhost:5000/x:latest", "localhost:5000/x:latest", ""},
		{"busybox@sha256:" + strings.Repeat("a", 64), "docker.io/library/busybox@sha256:" + strings.Repeat("a", 64), "busybox@sha256:" + strings.Repeat("a", 64), ""},
		{"Busybox", "", "", "must be lowercase"},
		{"a b", "", "", "invalid reference format"},
		{strings.Repeat("a", 64), "", "", "cannot specify 64-byte hexadecimal strings"},
	} {
		named, err := parseReference(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: %v, want error containing %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || named.String() != tc.normalized || familiar(named.String()) != tc.familiar {
			t.Errorf("%q: %v %v", tc.in, named, err)
		}
	}
	for in, want := range map[string]string{
		"docker.io/library/busybox:latest":    "docker.io/library/busybox",
		"localhost:5000/x":                    "localhost:5000/x",
		"localhost:5000/x:1":                  "localhost:5000/x",
		"docker.io/library/a@sha256:" + "abc": "docker.io/library/a",
	} {
		if got := refName(in); got != want {
			t.Errorf("refName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIsSingleReference(t *testing.T) {
	d := "@sha256:" + strings.Repeat("a", 64)
	for _, tc := range []struct {
		refs []string
		want bool
	}{
		{nil, false},
		{[]string{"docker.io/library/a:1"}, true},
		{[]string{"docker.io/library/a:1", "docker.io/library/a:2"}, false},
		{[]string{"docker.io/library/a:1", "docker.io/library/a" + d}, true},
		{[]string{"docker.io/library/a:1", "docker.io/library/b" + d}, false},
	} {
		if got := isSingleReference(tc.refs); got != tc.want {
			t.Errorf("%v: %v", tc.refs, got)
		}
	}
}

// FuzzParseReference checks that whatever parses normalizes stably: the
// familiar form parses back to the same normalized reference, and errors
// are 400-class.
func FuzzParseReference(f *testing.F) {
	for _, s := range []string{"busybox", "busybox:latest", "myrepo/app:1", "localhost:5000/a/b:c", "a@sha256:" + strings.Repeat("0", 64), "UPPER", "", ":", "a:b:c", "sha256:abc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		named, err := parseReference(s)
		if err != nil {
			return
		}
		if reference.IsNameOnly(named) {
			t.Fatalf("%q: no tag after TagNameOnly", s)
		}
		fam := familiar(named.String())
		again, err := parseReference(fam)
		if err != nil || again.String() != named.String() {
			t.Fatalf("%q -> %q -> %q (%v) not stable", s, named, again, err)
		}
		if strings.Contains(refName(named.String()), "@") {
			t.Fatalf("refName(%q) kept a digest", named)
		}
	})
}
