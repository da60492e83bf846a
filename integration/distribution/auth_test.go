package distribution

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-project/berth/internal/testutil"
	"golang.org/x/crypto/bcrypt"
)

// TestLoginAndAuthenticatedPush: a wrong password is refused with
// Docker's message and stores nothing; the right one is stored in
// config.json as the docker CLI writes it and used by push and pull;
// logout removes it.
func TestLoginAndAuthenticatedPush(t *testing.T) {
	d := daemon(t)
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.DefaultCost)
	if err != nil {
		t.Fatal(err)
	}
	htpasswd := filepath.Join(t.TempDir(), "htpasswd")
	if err := os.WriteFile(htpasswd, []byte("john:"+string(hash)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	reg := startRegistry(t, "--htpasswd", htpasswd)
	cfgPath := filepath.Join(d.Root, "cliconfig", "config.json")
	for name, cli := range testutil.CLIs(d) {
		t.Run(name, func(t *testing.T) {
			os.Remove(cfgPath)
			out, err := cli("login", "-u", "john", "-p", "wrong", reg.Addr)
			if err == nil || !strings.Contains(out, "401 Unauthorized") {
				t.Fatalf("login with a wrong password: err=%v\n%s", err, out)
			}
			if auths := storedAuths(t, cfgPath); auths[reg.Addr] != "" {
				t.Fatalf("a failed login stored credentials: %v", auths)
			}
			ref := fmt.Sprintf("%s/john/private-%s:1", reg.Addr, name)
			mustRun(t, cli, "tag", "busybox", ref)
			defer cli("rmi", ref)
			if out, err := cli("push", ref); err == nil {
				t.Fatalf("push without credentials succeeded:\n%s", out)
			}
			if out := mustRun(t, cli, "login", "-u", "john", "-p", "s3cret", reg.Addr); !strings.Contains(out, "Login Succeeded") {
				t.Fatalf("login: %s", out)
			}
			want := base64.StdEncoding.EncodeToString([]byte("john:s3cret"))
			if got := storedAuths(t, cfgPath)[reg.Addr]; got != want {
				t.Fatalf("config.json auth for %s = %q, want %q", reg.Addr, got, want)
			}
			mustRun(t, cli, "push", ref)
			mustRun(t, cli, "rmi", ref)
			mustRun(t, cli, "pull", ref)
			if out := mustRun(t, cli, "logout", reg.Addr); !strings.Contains(out, "Removing login credentials for "+reg.Addr) {
				t.Errorf("logout: %s", out)
			}
			if auths := storedAuths(t, cfgPath); auths[reg.Addr] != "" {
				t.Errorf("logout left credentials: %v", auths)
			}
		})
	}
}

func storedAuths(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var cf struct {
		Auths map[string]struct {
			Auth string `json:"auth"`
		} `json:"auths"`
	}
	if err := json.Unmarshal(b, &cf); err != nil {
		t.Fatalf("config.json: %v\n%s", err, b)
	}
	out := map[string]string{}
	for k, v := range cf.Auths {
		out[k] = v.Auth
	}
	return out
}
