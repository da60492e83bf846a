package executor

import (
	"context"
	"time"

	crouter "github.com/berth-project/berth/apiserver/router/container"
	gogotypes "github.com/gogo/protobuf/types"
	"github.com/moby/swarmkit/v2/agent/exec"
	"github.com/moby/swarmkit/v2/api"
)

// Logs publishes the task container's log to a subscription of the
// managers' log broker (`service logs` reaches every node this way).
func (c *controller) Logs(ctx context.Context, publisher exec.LogPublisher, opts api.LogSubscriptionOptions) error {
	c.mu.Lock()
	t := c.task
	c.mu.Unlock()
	lo := crouter.LogsOptions{Follow: opts.Follow, Tail: -1, Timestamps: true}
	if len(opts.Streams) == 0 {
		lo.ShowStdout, lo.ShowStderr = true, true
	}
	for _, s := range opts.Streams {
		switch s {
		case api.LogStreamStdout:
			lo.ShowStdout = true
		case api.LogStreamStderr:
			lo.ShowStderr = true
		}
	}
	switch {
	case opts.Tail < 0:
		lo.Tail = int(-opts.Tail - 1)
	case opts.Tail > 0:
		return exec.ErrRuntimeUnsupported // skipping from the start: dockerd does not support it either
	}
	if opts.Since != nil {
		if ts, err := gogotypes.TimestampFromProto(opts.Since); err == nil {
			lo.Since = ts
		}
	}
	msgs, _, err := c.e.cfg.Containers.ContainerLogs(ctx, containerName(t), lo)
	if err != nil {
		return err
	}
	lctx := api.LogContext{NodeID: t.NodeID, ServiceID: t.ServiceID, TaskID: t.ID}
	for m := range msgs {
		if m.Err != nil {
			return m.Err
		}
		stream := api.LogStreamStdout
		if m.Stream == "stderr" {
			stream = api.LogStreamStderr
		}
		ts, _ := gogotypes.TimestampProto(m.Time)
		if m.Time.IsZero() {
			ts, _ = gogotypes.TimestampProto(time.Now())
		}
		var attrs []api.LogAttr
		for k, v := range m.Attrs {
			attrs = append(attrs, api.LogAttr{Key: k, Value: v})
		}
		if err := publisher.Publish(ctx, api.LogMessage{Context: lctx, Timestamp: ts, Stream: stream, Data: m.Line, Attrs: attrs}); err != nil {
			return err
		}
	}
	return nil
}
