package compose

import (
	"context"
	"errors"
	"io"
	"iter"
	"strings"

	"github.com/moby/moby/api/types/jsonstream"
)

// drainJSON reads a progress stream to its end, copying build output
// ("stream" messages) to out and failing on the first error message.
func drainJSON(ctx context.Context, rc io.ReadCloser, msgs func(context.Context) iter.Seq2[jsonstream.Message, error], out io.Writer) error {
	defer rc.Close()
	for m, err := range msgs(ctx) {
		if err != nil {
			return err
		}
		if m.Error != nil {
			return errors.New(m.Error.Message)
		}
		if m.Stream != "" {
			_, _ = io.WriteString(out, m.Stream)
		}
	}
	return nil
}

// unwrapDaemon strips the client's "Error response from daemon: " so that
// it is not printed twice.
func unwrapDaemon(err error) error {
	msg := err.Error()
	if m, ok := strings.CutPrefix(msg, "Error response from daemon: "); ok {
		return errors.New(m)
	}
	return err
}
