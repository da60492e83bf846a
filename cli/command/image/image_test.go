package image

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/image"
)

const (
	idA = "sha256:aaaaaaaaaaaa1111111111111111111111111111111111111111111111111111"
	idB = "sha256:bbbbbbbbbbbb2222222222222222222222222222222222222222222222222222"
)

func listRoute() map[string]http.HandlerFunc {
	now := time.Now()
	return map[string]http.HandlerFunc{
		"GET /images/json": jsonReply([]image.Summary{
			{ID: idA, RepoTags: []string{"busybox:latest", "busybox:1.36"}, Created: now.Add(-2 * time.Hour).Unix(), Size: 4261550, Containers: -1, SharedSize: -1},
			{ID: idB, Created: now.Add(-90 * time.Second).Unix(), Size: 1234, Containers: -1, SharedSize: -1},
		}),
	}
}

func TestImagesTable(t *testing.T) {
	out, _, err, api := run(t, listRoute(), "", "images")
	if err != nil {
		t.Fatal(err)
	}
	want := "REPOSITORY   TAG       IMAGE ID       CREATED              SIZE\n" +
		"busybox      latest    aaaaaaaaaaaa   2 hours ago          4.26MB\n" +
		"busybox      1.36      aaaaaaaaaaaa   2 hours ago          4.26MB\n" +
		"<none>       <none>    bbbbbbbbbbbb   About a minute ago   1.23kB\n"
	if out != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
	if q := api.Reqs[len(api.Reqs)-1].URL.Query(); q.Get("all") != "" && q.Get("all") != "0" {
		t.Errorf("all should not be set: %v", q)
	}
}

func TestImagesVariants(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"images", "-q"}, "aaaaaaaaaaaa\naaaaaaaaaaaa\nbbbbbbbbbbbb\n"},
		{[]string{"image", "ls", "--format", "{{.Repository}}:{{.Tag}}"}, "busybox:latest\nbusybox:1.36\n<none>:<none>\n"},
		{[]string{"images", "--no-trunc", "--format", "{{.ID}}", "busybox"}, idA + "\n" + idA + "\n" + idB + "\n"},
		{[]string{"image", "list", "--digests", "--format", "table {{.Repository}}"}, "REPOSITORY   DIGEST\nbusybox      <none>\nbusybox      <none>\n<none>       <none>\n"},
	}
	for _, tc := range tests {
		out, _, err, _ := run(t, listRoute(), "", tc.args...)
		if err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		if out != tc.want {
			t.Errorf("%v: got\n%q\nwant\n%q", tc.args, out, tc.want)
		}
	}
}

func TestImagesFilterAndJSON(t *testing.T) {
	out, _, err, api := run(t, listRoute(), "", "images", "--format", "json", "-f", "dangling=true", "-a", "busybox")
	if err != nil {
		t.Fatal(err)
	}
	q := api.Reqs[len(api.Reqs)-1].URL.Query()
	if f := q.Get("filters"); !strings.Contains(f, `"dangling":{"true":true}`) || !strings.Contains(f, `"reference":{"busybox":true}`) {
		t.Errorf("filters = %s", f)
	}
	if q.Get("all") != "1" {
		t.Errorf("all = %q", q.Get("all"))
	}
	if !strings.HasPrefix(out, `{"Containers":"N/A","CreatedAt":`) || strings.Count(out, "\n") != 3 {
		t.Errorf("json output: %s", out)
	}
	if _, _, err, _ := run(t, listRoute(), "", "images", "-f", "bogus"); err == nil || !strings.Contains(err.Error(), "bad format of filter (expected name=value)") {
		t.Errorf("bad filter: %v", err)
	}
}

func TestRemove(t *testing.T) {
	routes := map[string]http.HandlerFunc{
		"DELETE /images/busybox": jsonReply([]image.DeleteResponse{{Untagged: "busybox:latest"}, {Deleted: idA}}),
		"DELETE /images/nope":    errReply(404, "No such image: nope:latest"),
	}
	out, _, err, api := run(t, routes, "", "rmi", "busybox")
	if err != nil {
		t.Fatal(err)
	}
	if want := "Untagged: busybox:latest\nDeleted: " + idA + "\n"; out != want {
		t.Errorf("got %q", out)
	}
	if q := api.Reqs[len(api.Reqs)-1].URL.Query(); q.Get("noprune") != "" && q.Get("noprune") != "0" {
		t.Errorf("noprune: %v", q)
	}
	_, _, err, _ = run(t, routes, "", "image", "rm", "nope")
	if err == nil || err.Error() != "Error response from daemon: No such image: nope:latest" {
		t.Errorf("rm nope: %v", err)
	}
	// -f downgrades not-found to a message on stderr.
	_, stderr, err, _ := run(t, routes, "", "rmi", "-f", "nope")
	if err != nil || !strings.Contains(stderr, "No such image: nope:latest") {
		t.Errorf("rmi -f nope: %v %q", err, stderr)
	}
}

func TestHistory(t *testing.T) {
	routes := map[string]http.HandlerFunc{
		"GET /images/busybox/history": jsonReply([]image.HistoryResponseItem{
			{ID: idA, Created: time.Now().Add(-3 * time.Hour).Unix(), CreatedBy: "/bin/sh -c #(nop)  CMD [\"sh\"]", Size: 0},
			{ID: "<missing>", Created: time.Now().Add(-3 * time.Hour).Unix(), CreatedBy: "/bin/sh -c #(nop) ADD file:7e9002edaafd4e4579b65c8f0aaabde1aeb7fd3f8d95579f7d2b1ed1d5c2d3f4 in / ", Size: 4261550, Comment: "imported"},
		}),
	}
	out, _, err, _ := run(t, routes, "", "history", "busybox")
	if err != nil {
		t.Fatal(err)
	}
	want := "IMAGE          CREATED       CREATED BY                                      SIZE      COMMENT\n" +
		"aaaaaaaaaaaa   3 hours ago   /bin/sh -c #(nop)  CMD [\"sh\"]                   0B        \n" +
		"<missing>      3 hours ago   /bin/sh -c #(nop) ADD file:7e9002edaafd4e457…   4.26MB    imported\n"
	if out != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
	out, _, _, _ = run(t, routes, "", "image", "history", "-q", "--no-trunc", "busybox")
	if out != idA+"\n<missing>\n" {
		t.Errorf("quiet: %q", out)
	}
	out, _, _, _ = run(t, routes, "", "history", "-H=false", "--format", "{{.Size}}", "busybox")
	if out != "0\n4261550\n" {
		t.Errorf("non-human: %q", out)
	}
}

func TestInspect(t *testing.T) {
	routes := map[string]http.HandlerFunc{
		"GET /images/busybox/json": jsonReply(map[string]any{"Id": idA, "RepoTags": []string{"busybox:latest"}}),
		"GET /images/nope/json":    errReply(404, "No such image: nope:latest"),
	}
	out, _, err, _ := run(t, routes, "", "image", "inspect", "busybox")
	if err != nil {
		t.Fatal(err)
	}
	want := "[\n    {\n        \"Id\": \"" + idA + "\",\n        \"RepoTags\": [\n            \"busybox:latest\"\n        ]\n    }\n]\n"
	if out != want {
		t.Errorf("got\n%s", out)
	}
	out, _, err, _ = run(t, routes, "", "image", "inspect", "-f", "{{.Id}} {{index .RepoTags 0}}", "busybox", "nope")
	if out != idA+" busybox:latest\n" || err == nil || !strings.Contains(err.Error(), "No such image: nope:latest") {
		t.Errorf("format: %q %v", out, err)
	}
}

func TestTagAndPrune(t *testing.T) {
	routes := map[string]http.HandlerFunc{
		"POST /images/busybox/tag": func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(201) },
		"POST /images/prune": jsonReply(image.PruneReport{
			ImagesDeleted:  []image.DeleteResponse{{Untagged: "foo:latest"}, {Deleted: idB}},
			SpaceReclaimed: 2048,
		}),
	}
	_, _, err, api := run(t, routes, "", "tag", "busybox", "myrepo/box:v1")
	if err != nil {
		t.Fatal(err)
	}
	if q := api.Reqs[len(api.Reqs)-1].URL.Query(); q.Get("repo") != "docker.io/myrepo/box" || q.Get("tag") != "v1" {
		t.Errorf("tag query %v", q)
	}
	out, _, err, api := run(t, routes, "n\n", "image", "prune")
	if err != nil || out != "WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] " {
		t.Errorf("declined prune: %q %v", out, err)
	}
	for _, r := range api.Reqs {
		if strings.HasSuffix(r.URL.Path, "/prune") {
			t.Error("prune called after no")
		}
	}
	out, _, err, api = run(t, routes, "y\n", "image", "prune", "-a")
	want := "WARNING! This will remove all images without at least one container associated to them.\nAre you sure you want to continue? [y/N] " +
		"Deleted Images:\nuntagged: foo:latest\ndeleted: " + idB + "\n\nTotal reclaimed space: 2.048kB\n"
	if err != nil || out != want {
		t.Errorf("prune -a: %v\n%q\nwant\n%q", err, out, want)
	}
	if f := api.Reqs[len(api.Reqs)-1].URL.Query().Get("filters"); f != `{"dangling":{"false":true}}` {
		t.Errorf("filters %s", f)
	}
}

func TestLoadImportPull(t *testing.T) {
	routes := map[string]http.HandlerFunc{
		"POST /images/load": func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"stream":"Loaded image: busybox:latest\n"}` + "\n"))
		},
		"POST /images/create": func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Query().Get("fromSrc") == "-" {
				_, _ = w.Write([]byte(`{"status":"` + idA + `"}` + "\n"))
				return
			}
			errReply(501, "pulling images is not implemented")(w, r)
		},
	}
	out, _, err, _ := run(t, routes, "tar-bytes", "load")
	if err != nil || out != "Loaded image: busybox:latest\n" {
		t.Errorf("load: %q %v", out, err)
	}
	out, _, err, api := run(t, routes, "tar-bytes", "import", "-c", "CMD [\"sh\"]", "-c", "ENV A=1", "-m", "msg", "-", "imp:v1")
	if err != nil || out != idA+"\n" {
		t.Errorf("import: %q %v", out, err)
	}
	q := api.Reqs[len(api.Reqs)-1].URL.Query()
	if len(q["changes"]) != 2 || q.Get("message") != "msg" || q.Get("repo") != "imp:v1" {
		t.Errorf("import query %v", q)
	}
	if _, _, err, _ = run(t, routes, "", "import", "http://example.com/x.tar"); err == nil || !strings.Contains(err.Error(), "URL is not supported") {
		t.Errorf("import URL: %v", err)
	}
	out, _, err, _ = run(t, routes, "", "pull", "busybox")
	if out != "Using default tag: latest\n" || err == nil || err.Error() != "Error response from daemon: pulling images is not implemented" {
		t.Errorf("pull: %q %v", out, err)
	}
}
