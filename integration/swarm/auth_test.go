package swarm

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// TestServiceRegistryAuth: a service whose image is only in a registry
// that wants credentials runs when created with --with-registry-auth (the
// task's pull uses the credentials the CLI sent) and is rejected without.
func TestServiceRegistryAuth(t *testing.T) {
	d := initSwarm(t)
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	htpasswd := filepath.Join(t.TempDir(), "htpasswd")
	writeFile(t, htpasswd, "john:"+string(hash)+"\n")
	reg := startRegistry(t, d, "--htpasswd", htpasswd)
	ref := reg + "/john/private:1"
	cli(t, d, "login", "-u", "john", "-p", "s3cret", reg)
	cli(t, d, "tag", "busybox", ref)
	cli(t, d, "push", ref)
	cli(t, d, "rmi", ref)

	cli(t, d, "service", "create", "-d", "--name", "noauth", "--restart-condition", "none", ref, "sleep", "300")
	taskState(t, d, "noauth", 60*time.Second, "Rejected", "No such image: "+ref)
	cli(t, d, "service", "rm", "noauth")

	cli(t, d, "service", "create", "--name", "withauth", "--with-registry-auth", ref, "sleep", "300")
	replicas(t, d, "withauth", "1/1")
	if img := cli(t, d, "images", "-q", ref); img == "" {
		t.Errorf("the task ran but %s is not local", ref)
	}
	cli(t, d, "service", "rm", "withauth")

	// Our CLI sends the same credentials.
	eventually(t, d, 30*time.Second, "withauth's container gone", func() string {
		return strings.Join(taskContainers(t, d, "withauth"), " ")
	})
	cli(t, d, "rmi", ref)
	berth(t, d.Run, "service", "create", "--name", "withauth2", "--with-registry-auth", ref, "sleep", "300")
	replicas(t, d, "withauth2", "1/1")
	cli(t, d, "service", "rm", "withauth2")
}
