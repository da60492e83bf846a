package network

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// nftApply runs one atomic nft transaction.
func nftApply(ctx context.Context, script string) error {
	if script == "" {
		return nil
	}
	cmd := exec.CommandContext(ctx, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(script)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("nft: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// nftDeleteTable removes our tables; missing ones are not an error.
func nftDeleteTable(ctx context.Context, table string) error {
	return nftApply(ctx, nftDeleteScript(table))
}

// The forward jump.
//
// A packet survives the forward hook only if every base chain accepts it, so
// an accept in a chain of our own table cannot override the drop policy that
// Docker Engine puts on the iptables filter FORWARD chain. Like Docker's own
// DOCKER-FORWARD we therefore insert a jump at the top of FORWARD into a
// chain of ours that accepts our bridge's traffic. It is only installed when
// FORWARD would otherwise drop, and removed by Shutdown.

// forwardChain returns the iptables chain name for our table (<= 28 chars).
func forwardChain(table string) string {
	name := "BERTH-FORWARD"
	if table != "berth" {
		name = "BERTH-FWD-" + table
	}
	if len(name) > 28 {
		name = name[:28]
	}
	return name
}

// renderForwardRules returns an iptables-restore --noflush script that
// (re)declares the chain, which flushes it, and fills it.
func renderForwardRules(chain string, bridges []string, insertJump bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*filter\n:%s - [0:0]\n", chain)
	for _, br := range bridges {
		// Everything a container sends (outbound, container to container).
		fmt.Fprintf(&b, "-A %s -i %s -j ACCEPT\n", chain, br)
		// Replies to it, and connections to its published ports.
		fmt.Fprintf(&b, "-A %s -o %s -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n", chain, br)
		fmt.Fprintf(&b, "-A %s -o %s -m conntrack --ctstate DNAT -j ACCEPT\n", chain, br)
	}
	if insertJump {
		fmt.Fprintf(&b, "-I FORWARD -j %s\n", chain)
	}
	b.WriteString("COMMIT\n")
	return b.String()
}

// xtables are the iptables front ends whose FORWARD chain we may need to
// open: Docker Engine sets a drop policy on both when it runs IPv6.
var xtables = []string{"iptables", "ip6tables"}

func iptables(ctx context.Context, bin string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, bin, append([]string{"-w"}, args...)...)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%s %s: %v: %s", bin, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out.String(), nil
}

// forwardState reports whether FORWARD drops by default and whether our
// jump is already there. No binary means nothing to do.
func forwardState(ctx context.Context, bin, chain string) (drops, jumped bool, err error) {
	if _, err := exec.LookPath(bin); err != nil {
		return false, false, nil
	}
	out, err := iptables(ctx, bin, "-S", "FORWARD")
	if err != nil {
		return false, false, err
	}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 3 && f[0] == "-P" && f[2] != "ACCEPT":
			drops = true
		case len(f) == 4 && f[0] == "-A" && f[2] == "-j" && f[3] == chain:
			jumped = true
		case len(f) >= 3 && f[len(f)-2] == "-j" && (f[len(f)-1] == "DROP" || f[len(f)-1] == "REJECT"):
			drops = true
		}
	}
	return drops, jumped, nil
}

// ensureForward installs (or refreshes) the jump, for IPv4 and IPv6, where
// FORWARD would drop.
func ensureForward(ctx context.Context, chain string, bridges []string) (installed bool, err error) {
	for _, bin := range xtables {
		drops, jumped, err := forwardState(ctx, bin, chain)
		if err != nil {
			if bin == "iptables" {
				return installed, err
			}
			continue // no IPv6 tables in this kernel: nothing drops there
		}
		if !drops && !jumped {
			continue
		}
		cmd := exec.CommandContext(ctx, bin+"-restore", "-w", "--noflush")
		cmd.Stdin = strings.NewReader(renderForwardRules(chain, bridges, !jumped))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			return installed, fmt.Errorf("%s-restore: %v: %s", bin, err, strings.TrimSpace(stderr.String()))
		}
		installed = true
	}
	return installed, nil
}

// removeForward deletes the jump and the chain if present.
func removeForward(ctx context.Context, chain string) error {
	for _, bin := range xtables {
		if _, err := exec.LookPath(bin); err != nil {
			continue
		}
		for {
			if _, err := iptables(ctx, bin, "-C", "FORWARD", "-j", chain); err != nil {
				break
			}
			if _, err := iptables(ctx, bin, "-D", "FORWARD", "-j", chain); err != nil {
				return err
			}
		}
		if _, err := iptables(ctx, bin, "-S", chain); err != nil {
			continue // no such chain
		}
		if _, err := iptables(ctx, bin, "-F", chain); err != nil {
			return err
		}
		if _, err := iptables(ctx, bin, "-X", chain); err != nil {
			return err
		}
	}
	return nil
}
