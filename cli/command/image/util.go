package image

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/berth-project/berth/cli/command"
	"github.com/moby/moby/client/pkg/jsonmessage"
)

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// Confirm asks a yes/no question like docker ("... [y/N] ") and reads one
// line from in; only "y"/"Y" mean yes. A cancelled context answers no.
func Confirm(ctx context.Context, in io.Reader, out io.Writer, message string) bool {
	fmt.Fprint(out, message+" [y/N] ")
	answer := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(in)
		answer <- sc.Scan() && strings.EqualFold(strings.TrimSpace(sc.Text()), "y")
	}()
	select {
	case <-ctx.Done():
		fmt.Fprintln(out)
		return false
	case ok := <-answer:
		return ok
	}
}

// displayStream renders a JSON progress stream (load, import, pull, push)
// like docker: progress bars on a terminal, plain lines otherwise.
func displayStream(c *command.Cli, body io.Reader) error {
	fd, isTerm := c.OutFd()
	return jsonmessage.DisplayJSONMessagesStream(body, c.Out(), fd, isTerm, nil)
}
