package daemon

import (
	"fmt"
	"net"
	"strconv"
	"sync"

	"github.com/coreos/go-systemd/v22/activation"
)

// systemd socket activation (-H fd://): the sockets systemd passed us
// (LISTEN_FDS from fd 3 on), read once since the library clears the
// environment.
var (
	activatedOnce sync.Once
	activated     []net.Listener
	activatedErr  error
)

// fdListeners answers -H fd:// (every passed socket) and fd://N (the
// socket on fd N), as dockerd does.
func fdListeners(addr string) ([]net.Listener, error) {
	activatedOnce.Do(func() { activated, activatedErr = activation.Listeners() })
	if activatedErr != nil {
		return nil, activatedErr
	}
	var ls []net.Listener
	for _, l := range activated {
		if l != nil {
			ls = append(ls, l)
		}
	}
	if len(ls) == 0 {
		return nil, fmt.Errorf("no sockets found via socket activation: make sure the service was started by systemd")
	}
	if addr == "" || addr == "*" {
		return ls, nil
	}
	n, err := strconv.Atoi(addr)
	if err != nil {
		return nil, fmt.Errorf("failed to parse systemd fd address: should be a number: %v", addr)
	}
	idx := n - 3 // activation numbers from SD_LISTEN_FDS_START
	if idx < 0 || idx >= len(activated) || activated[idx] == nil {
		return nil, fmt.Errorf("too few socket activated files passed in by systemd")
	}
	return []net.Listener{activated[idx]}, nil
}
