package network

import (
	"encoding/json"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/berth-project/berth/cli/internal/fakeapi"
	"github.com/moby/moby/api/types/network"
)

func run(t *testing.T, routes map[string]http.HandlerFunc, stdin string, args ...string) (string, string, error, *fakeapi.API) {
	t.Helper()
	return fakeapi.Run(t, AddCommands, routes, stdin, args...)
}

// capture answers with resp and stores the decoded request body in v.
func capture(v any, resp any) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(b, v)
		fakeapi.JSON(resp)(w, r)
	}
}

func TestCreateRequest(t *testing.T) {
	var req network.CreateRequest
	routes := map[string]http.HandlerFunc{"POST /networks/create": capture(&req, network.CreateResponse{ID: "abc"})}
	out, _, err, _ := run(t, routes, "", "network", "create", "-d", "macvlan", "-o", "parent=veth0", "--label", "a=b", "--label", "c",
		"--subnet", "10.1.0.0/16", "--ip-range", "10.1.2.0/24", "--gateway", "10.1.0.254", "--aux-address", "h=10.1.0.9",
		"--subnet", "fd00::/64", "--gateway", "fd00::1", "--ipv6", "--internal", "--attachable", "--ipam-driver", "default",
		"--ipam-opt", "k=v", "--scope", "local", "--config-from", "base", "mynet")
	if err != nil || out != "abc\n" {
		t.Fatalf("out %q err %v", out, err)
	}
	want := []network.IPAMConfig{
		{Subnet: netip.MustParsePrefix("10.1.0.0/16"), IPRange: netip.MustParsePrefix("10.1.2.0/24"), Gateway: netip.MustParseAddr("10.1.0.254"),
			AuxAddress: map[string]netip.Addr{"h": netip.MustParseAddr("10.1.0.9")}},
		{Subnet: netip.MustParsePrefix("fd00::/64"), Gateway: netip.MustParseAddr("fd00::1")},
	}
	if req.Name != "mynet" || req.Driver != "macvlan" || req.Options["parent"] != "veth0" || req.Labels["a"] != "b" || req.Labels["c"] != "" ||
		req.EnableIPv6 == nil || !*req.EnableIPv6 || req.EnableIPv4 != nil || !req.Internal || !req.Attachable || req.Scope != "local" ||
		req.ConfigFrom == nil || req.ConfigFrom.Network != "base" || req.IPAM == nil || req.IPAM.Driver != "default" || req.IPAM.Options["k"] != "v" {
		t.Fatalf("request %+v", req)
	}
	if len(req.IPAM.Config) != 2 {
		t.Fatalf("IPAM config %+v", req.IPAM.Config)
	}
	for i := range want {
		g := req.IPAM.Config[i]
		if g.Subnet != want[i].Subnet || g.IPRange != want[i].IPRange || g.Gateway != want[i].Gateway || len(g.AuxAddress) != len(want[i].AuxAddress) {
			t.Errorf("config %d = %+v, want %+v", i, g, want[i])
		}
	}

	// Defaults: driver bridge, IPAM driver "default", no subnets.
	req = network.CreateRequest{}
	if _, _, err, _ := run(t, routes, "", "network", "create", "--ipv4=false", "plain"); err != nil {
		t.Fatal(err)
	}
	if req.Driver != "bridge" || req.IPAM == nil || req.IPAM.Driver != "default" || len(req.IPAM.Config) != 0 || req.EnableIPv4 == nil || *req.EnableIPv4 || req.EnableIPv6 != nil {
		t.Fatalf("defaults %+v", req)
	}
}

func TestCreateIPAMErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--gateway", "10.0.0.1"}, "every ip-range or gateway must have a corresponding subnet"},
		{[]string{"--subnet", "10.0.0.0/8", "--subnet", "10.1.0.0/16"}, "multiple overlapping subnet configuration is not supported"},
		{[]string{"--subnet", "10.0.0.0/16", "--gateway", "10.1.0.1"}, "no matching subnet for gateway 10.1.0.1"},
		{[]string{"--subnet", "10.0.0.0/16", "--ip-range", "10.1.0.0/24"}, "no matching subnet for range 10.1.0.0/24"},
		{[]string{"--subnet", "10.0.0.0/16", "--ip-range", "bogus"}, "invalid CIDR address: bogus"},
		{[]string{"--subnet", "10.0.0.0/16", "--subnet", "10.9.0.0/16", "--ip-range", "10.0.1.0/24", "--ip-range", "10.0.2.0/24"}, "cannot configure multiple ranges (10.0.2.0/24, 10.0.1.0/24) on the same subnet (10.0.0.0/16)"},
		{[]string{"--subnet", "10.0.0.0/16", "--subnet", "10.9.0.0/16", "--gateway", "10.0.0.1", "--gateway", "10.0.0.2"}, "cannot configure multiple gateways (10.0.0.2, 10.0.0.1) for the same subnet (10.0.0.0/16)"},
		{[]string{"--subnet", "10.0.0.0/16", "--aux-address", "a=10.9.0.1"}, "no matching subnet for aux-address 10.9.0.1"},
		{[]string{"--subnet", "bogus"}, "invalid subnet: invalid CIDR address: bogus"},
		{[]string{"--label", "=x"}, "invalid label '=x': empty name"},
	}
	for _, tt := range tests {
		args := append(append([]string{"network", "create"}, tt.args...), "n")
		_, _, err, api := run(t, nil, "", args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: err %v, want %q", tt.args, err, tt.want)
		}
		for _, r := range api.Reqs {
			if strings.HasSuffix(r.URL.Path, "/networks/create") {
				t.Errorf("%v: request sent despite the error", tt.args)
			}
		}
	}
}

func listRoutes() map[string]http.HandlerFunc {
	created := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	mk := func(name, id, driver string, labels map[string]string) network.Summary {
		return network.Summary{Network: network.Network{Name: name, ID: id, Driver: driver, Scope: "local", Created: created, EnableIPv4: true, Labels: labels}}
	}
	return map[string]http.HandlerFunc{"GET /networks": fakeapi.JSON([]network.Summary{
		mk("net10", strings.Repeat("a", 64), "bridge", map[string]string{"z": "1", "a": "2"}),
		mk("bridge", strings.Repeat("b", 64), "bridge", nil),
		mk("net2", strings.Repeat("c", 64), "macvlan", nil),
		mk("host", strings.Repeat("d", 64), "host", nil),
	})}
}

func TestList(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"network", "ls"}, "NETWORK ID     NAME      DRIVER    SCOPE\n" +
			"bbbbbbbbbbbb   bridge    bridge    local\n" +
			"dddddddddddd   host      host      local\n" +
			"cccccccccccc   net2      macvlan   local\n" +
			"aaaaaaaaaaaa   net10     bridge    local\n"},
		{[]string{"network", "list", "-q"}, "bbbbbbbbbbbb\ndddddddddddd\ncccccccccccc\naaaaaaaaaaaa\n"},
		{[]string{"network", "ls", "-q", "--no-trunc", "--format", "table"}, strings.Repeat("b", 64) + "\n" + strings.Repeat("d", 64) + "\n" + strings.Repeat("c", 64) + "\n" + strings.Repeat("a", 64) + "\n"},
		{[]string{"network", "ls", "-q", "--format", "{{.Name}}"}, "bridge\nhost\nnet2\nnet10\n"},
		{[]string{"network", "ls", "--format", "table {{.Name}}\t{{.Labels}}\t{{.Label \"z\"}}\t{{.IPv6}}"},
			"NAME      LABELS    z         IPV6\nbridge                        false\nhost                          false\nnet2                          false\nnet10     a=2,z=1   1         false\n"},
	}
	for _, tt := range tests {
		out, _, err, _ := run(t, listRoutes(), "", tt.args...)
		if err != nil || out != tt.want {
			t.Errorf("%v: err %v\ngot  %q\nwant %q", tt.args, err, out, tt.want)
		}
	}
	out, _, err, api := run(t, listRoutes(), "", "network", "ls", "--format", "json", "-f", "driver=bridge", "--filter", "label=a")
	if err != nil {
		t.Fatal(err)
	}
	if f := api.Reqs[len(api.Reqs)-1].URL.Query().Get("filters"); !strings.Contains(f, `"driver":{"bridge":true}`) || !strings.Contains(f, `"label":{"a":true}`) {
		t.Errorf("filters = %s", f)
	}
	first, _, _ := strings.Cut(out, "\n")
	if first != `{"CreatedAt":"2024-01-02 03:04:05 +0000 UTC","Driver":"bridge","ID":"bbbbbbbbbbbb","IPv4":"true","IPv6":"false","Internal":"false","Labels":"","Name":"bridge","Scope":"local"}` {
		t.Errorf("json row %s", first)
	}
}

func TestConnectRequest(t *testing.T) {
	var req network.ConnectRequest
	routes := map[string]http.HandlerFunc{"POST /networks/mynet/connect": capture(&req, nil)}
	_, _, err, _ := run(t, routes, "", "network", "connect", "--ip", "10.1.0.5", "--ip6", "fd00::5", "--alias", "a1,a2", "--alias", "a3",
		"--link", "db:database", "--link-local-ip", "169.254.0.9", "--driver-opt", "k = v", "--gw-priority", "3", "mynet", "web")
	if err != nil {
		t.Fatal(err)
	}
	ec := req.EndpointConfig
	if req.Container != "web" || ec == nil || ec.IPAMConfig == nil || ec.IPAMConfig.IPv4Address != netip.MustParseAddr("10.1.0.5") ||
		ec.IPAMConfig.IPv6Address != netip.MustParseAddr("fd00::5") || len(ec.IPAMConfig.LinkLocalIPs) != 1 ||
		strings.Join(ec.Aliases, " ") != "a1 a2 a3" || strings.Join(ec.Links, " ") != "db:database" || ec.DriverOpts["k"] != "v" || ec.GwPriority != 3 {
		t.Fatalf("request %+v / %+v", req, ec)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--driver-opt", "novalue"}, "invalid key/value pair format in driver options"},
		{[]string{"--ip", "10.1"}, "invalid IPv4 address: 10.1"},
		{[]string{"--link", "a:b:c"}, "bad format for links: a:b:c"},
	} {
		args := append(append([]string{"network", "connect"}, tt.args...), "mynet", "web")
		if _, _, err, _ := run(t, routes, "", args...); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: %v, want %q", tt.args, err, tt.want)
		}
	}
}

func TestDisconnectRemovePrune(t *testing.T) {
	var dreq network.DisconnectRequest
	routes := map[string]http.HandlerFunc{
		"POST /networks/n1/disconnect": capture(&dreq, nil),
		"GET /networks/n1":             fakeapi.JSON(network.Inspect{Network: network.Network{Name: "n1"}}),
		"DELETE /networks/n1":          func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) },
		"GET /networks/busy":           fakeapi.JSON(network.Inspect{Network: network.Network{Name: "busy"}}),
		"DELETE /networks/busy":        fakeapi.Err(http.StatusForbidden, "error while removing network: network busy has active endpoints (c1)"),
		"GET /networks/nope":           fakeapi.Err(http.StatusNotFound, "network nope not found"),
		"DELETE /networks/nope":        fakeapi.Err(http.StatusNotFound, "network nope not found"),
		"POST /networks/prune":         fakeapi.JSON(network.PruneReport{NetworksDeleted: []string{"n2", "n3"}}),
	}
	if _, _, err, _ := run(t, routes, "", "network", "disconnect", "-f", "n1", "c1"); err != nil || dreq.Container != "c1" || !dreq.Force {
		t.Fatalf("disconnect %+v %v", dreq, err)
	}

	out, errOut, err, _ := run(t, routes, "", "network", "rm", "n1", "busy", "nope")
	if out != "n1\n" || errOut != "Error response from daemon: error while removing network: network busy has active endpoints (c1)\nError response from daemon: network nope not found\n" ||
		err == nil || err.Error() != "exit status 1" {
		t.Errorf("rm: out %q stderr %q err %v", out, errOut, err)
	}
	if out, errOut, err, _ := run(t, routes, "", "network", "remove", "-f", "nope", "n1"); err != nil || out != "n1\n" || errOut != "" {
		t.Errorf("rm -f: out %q stderr %q err %v", out, errOut, err)
	}

	const prompt = "WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] "
	out, _, err, api := run(t, routes, "n\n", "network", "prune")
	if err != nil || out != prompt {
		t.Errorf("prune no: %q %v", out, err)
	}
	for _, r := range api.Reqs {
		if strings.HasSuffix(r.URL.Path, "/prune") {
			t.Error("prune sent after answering no")
		}
	}
	out, _, err, api = run(t, routes, "y\n", "network", "prune", "--filter", "until=24h", "--filter", "label!=keep")
	if err != nil || out != prompt+"Deleted Networks:\nn2\nn3\n\n" {
		t.Errorf("prune yes: %q %v", out, err)
	}
	if f := api.Reqs[len(api.Reqs)-1].URL.Query().Get("filters"); !strings.Contains(f, `"until":{"24h":true}`) || !strings.Contains(f, `"label!":{"keep":true}`) {
		t.Errorf("prune filters %s", f)
	}
	routes["POST /networks/prune"] = fakeapi.JSON(network.PruneReport{})
	if out, _, err, _ := run(t, routes, "", "network", "prune", "-f"); err != nil || out != "" {
		t.Errorf("prune nothing: %q %v", out, err)
	}
}
