package dns

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os/exec"
	"runtime"
	"strings"

	"github.com/berth-project/berth/internal/errdefs"
	"github.com/vishvananda/netns"
)

// RedirectTable is the nftables table Redirect puts in the container's
// namespace (family ip).
const RedirectTable = "berth-dns"

// redirectScript (re)fills the table in one transaction: a second
// Redirect (a new server after a daemon restart) swaps the port without a
// window. The chains are declared (a no-op when they exist) and flushed
// rather than the table deleted: deleting a table costs the transaction
// an RCU grace period, some 12 ms, on every container start.
func redirectScript(to netip.AddrPort) string {
	ip, port := to.Addr(), to.Port()
	var b strings.Builder
	fmt.Fprintf(&b, "table ip %s {\n", RedirectTable)
	b.WriteString("\tchain output {\n\t\ttype nat hook output priority -100; policy accept;\n\t}\n")
	b.WriteString("\tchain postrouting {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n\t}\n}\n")
	fmt.Fprintf(&b, "flush chain ip %s output\nflush chain ip %s postrouting\n", RedirectTable, RedirectTable)
	// Queries to ip:53 go to the server's real port...
	for _, proto := range []string{"udp", "tcp"} {
		fmt.Fprintf(&b, "add rule ip %s output ip daddr %s %s dport 53 dnat to %s:%d\n", RedirectTable, ip, proto, ip, port)
	}
	// ...and whatever leaves that port without a conntrack entry to undo
	// the DNAT still looks like it comes from port 53, as with Docker's
	// DOCKER_POSTROUTING SNAT.
	for _, proto := range []string{"udp", "tcp"} {
		fmt.Fprintf(&b, "add rule ip %s postrouting ip saddr %s %s sport %d snat to :53\n", RedirectTable, ip, proto, port)
	}
	return b.String()
}

// Redirect makes queries to port 53 of to's address inside the namespace
// at netnsPath reach the server at to (see Config.Addr with port 0), the
// way Docker's embedded resolver does: the container may then run its own
// DNS server on *:53. It runs one `nft -f -` inside the namespace.
func Redirect(ctx context.Context, netnsPath string, to netip.AddrPort) error {
	if !to.Addr().Is4() || to.Port() == 0 {
		return errdefs.InvalidParameter("dns: redirect to %s: want an IPv4 address and a port", to)
	}
	if to.Port() == 53 {
		return nil // nothing to redirect
	}
	return runInNetNS(netnsPath, func() error {
		cmd := exec.CommandContext(ctx, "nft", "-f", "-")
		cmd.Stdin = strings.NewReader(redirectScript(to))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("dns: redirect port 53 to %s in %s: nft: %v: %s", to, netnsPath, err, strings.TrimSpace(stderr.String()))
		}
		return nil
	})
}

// runInNetNS runs fn on a thread of its own inside the namespace at path;
// a child process forked from that thread starts in the namespace. The
// thread then goes back; if it cannot, the goroutine ends locked and the
// runtime destroys the thread instead of reusing it elsewhere.
func runInNetNS(path string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("dns: open current network namespace: %w", err)
			return
		}
		defer orig.Close()
		target, err := netns.GetFromPath(path)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- errdefs.NotFound("dns: open network namespace %s: %v", path, err)
			return
		}
		defer target.Close()
		if err := netns.Set(target); err != nil {
			errc <- fmt.Errorf("dns: enter network namespace %s: %w", path, err)
			return
		}
		err = fn()
		if rerr := netns.Set(orig); rerr != nil {
			errc <- errors.Join(err, fmt.Errorf("dns: return from network namespace %s: %w", path, rerr))
			return
		}
		runtime.UnlockOSThread()
		errc <- err
	}()
	return <-errc
}
