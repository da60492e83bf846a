package network

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// The user chain's rules are the admin's, not ours. Every full re-render of
// our table reads them back from the kernel first and puts them back
// verbatim; they are also saved to <StateDir>/user-rules.nft, so that a
// Shutdown (which deletes the table) or a reboot does not lose them: when
// the table is missing at start, the file is the source.

const userRulesFile = "user-rules.nft"

// userRules returns the rules of the user chain and saves them.
func (m *Manager) userRules(ctx context.Context) []string {
	out, err := exec.CommandContext(ctx, "nft", "list", "chain", "inet", m.cfg.NftTable, UserChain).Output()
	var rules []string
	if err == nil {
		rules = parseChainRules(string(out))
		m.saveUserRules(rules)
		return rules
	}
	if m.cfg.StateDir == "" {
		return nil
	}
	data, err := os.ReadFile(filepath.Join(m.cfg.StateDir, userRulesFile))
	if err != nil {
		return nil
	}
	for _, l := range strings.Split(string(data), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			rules = append(rules, l)
		}
	}
	return rules
}

func (m *Manager) saveUserRules(rules []string) {
	if m.cfg.StateDir == "" {
		return
	}
	if err := os.MkdirAll(m.cfg.StateDir, 0o700); err != nil {
		return
	}
	text := "# rules of the " + UserChain + " chain, restored by the berth daemon\n" + strings.Join(rules, "\n")
	if len(rules) > 0 {
		text += "\n"
	}
	tmp := filepath.Join(m.cfg.StateDir, userRulesFile+".tmp")
	if os.WriteFile(tmp, []byte(text), 0o600) == nil {
		_ = os.Rename(tmp, filepath.Join(m.cfg.StateDir, userRulesFile))
	}
}

// parseChainRules extracts the rule lines of `nft list chain` output.
func parseChainRules(listing string) []string {
	var rules []string
	depth := 0
	for _, l := range strings.Split(listing, "\n") {
		if i := strings.Index(l, " # handle "); i >= 0 {
			l = l[:i]
		}
		l = strings.TrimSpace(l)
		switch {
		case l == "":
		case strings.HasSuffix(l, "{"):
			depth++
		case l == "}":
			depth--
		case depth == 2:
			rules = append(rules, l)
		}
	}
	return rules
}
