package container

import (
	"context"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/moby/moby/client"
)

// forwardSignals proxies signals received by the CLI to the container
// (--sig-proxy). SIGCHLD, SIGPIPE, SIGURG and SIGWINCH are CLI-local noise
// and are not forwarded, as in docker.
func forwardSignals(ctx context.Context, cl *client.Client, id string) func() {
	ch := make(chan os.Signal, 128)
	signal.Notify(ch)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case s, ok := <-ch:
				if !ok {
					return
				}
				sig, isSys := s.(syscall.Signal)
				if !isSys {
					continue
				}
				switch sig {
				case syscall.SIGCHLD, syscall.SIGPIPE, syscall.SIGURG, syscall.SIGWINCH:
					continue
				}
				_, _ = cl.ContainerKill(ctx, id, client.ContainerKillOptions{Signal: strconv.Itoa(int(sig))})
			}
		}
	}()
	return func() { signal.Stop(ch) }
}
