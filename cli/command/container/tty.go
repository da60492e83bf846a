package container

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/berth-project/berth/cli/command"
	"github.com/moby/moby/client"
	"github.com/moby/term"
)

func termSize(fd uintptr) (*term.Winsize, error) { return term.GetWinsize(fd) }

// resizeFunc resizes the container's (or exec's) TTY.
type resizeFunc func(ctx context.Context, height, width uint) error

func containerResizer(cl *client.Client, id string) resizeFunc {
	return func(ctx context.Context, h, w uint) error {
		_, err := cl.ContainerResize(ctx, id, client.ContainerResizeOptions{Height: h, Width: w})
		return err
	}
}

func execResizer(cl *client.Client, id string) resizeFunc {
	return func(ctx context.Context, h, w uint) error {
		_, err := cl.ExecResize(ctx, id, client.ExecResizeOptions{Height: h, Width: w})
		return err
	}
}

// monitorTTYSize sends the terminal size now and on every SIGWINCH until
// ctx ends.
func monitorTTYSize(ctx context.Context, c *command.Cli, resize resizeFunc) {
	fd, ok := c.OutFd()
	if !ok {
		return
	}
	send := func() {
		ws, err := term.GetWinsize(fd)
		if err != nil || ws.Height == 0 && ws.Width == 0 {
			return
		}
		_ = resize(ctx, uint(ws.Height), uint(ws.Width))
	}
	send()
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGWINCH)
	go func() {
		defer signal.Stop(ch)
		for {
			select {
			case <-ch:
				send()
			case <-ctx.Done():
				return
			}
		}
	}()
}
