package swarm

import (
	"context"
	"io"

	crouter "github.com/berth-project/berth/apiserver/router/container"
	swarmrouter "github.com/berth-project/berth/apiserver/router/swarm"
	"github.com/berth-project/berth/internal/errdefs"
	gogotypes "github.com/gogo/protobuf/types"
	"github.com/moby/swarmkit/v2/api"
)

// ServiceLogs subscribes to the managers' log broker, which asks the
// agents running the tasks to publish their containers' logs.
func (c *Cluster) ServiceLogs(ctx context.Context, sel swarmrouter.LogSelector, opts crouter.LogsOptions) (<-chan *crouter.LogMessage, error) {
	cc, err := c.manager()
	if err != nil {
		return nil, err
	}
	c.mu.RLock()
	lc := c.logs
	c.mu.RUnlock()
	if lc == nil {
		return nil, errdefs.Unavailable("%s", errNotManager)
	}
	gsel := &api.LogSelector{}
	for _, s := range sel.Services {
		svc, err := c.getService(ctx, cc, s)
		if err != nil {
			return nil, err
		}
		gsel.ServiceIDs = append(gsel.ServiceIDs, svc.ID)
	}
	for _, t := range sel.Tasks {
		r, err := cc.GetTask(ctx, &api.GetTaskRequest{TaskID: t})
		if err != nil {
			return nil, grpcErr(err)
		}
		gsel.TaskIDs = append(gsel.TaskIDs, r.Task.ID)
	}
	gopts := &api.LogSubscriptionOptions{Follow: opts.Follow}
	if opts.ShowStdout {
		gopts.Streams = append(gopts.Streams, api.LogStreamStdout)
	}
	if opts.ShowStderr {
		gopts.Streams = append(gopts.Streams, api.LogStreamStderr)
	}
	if opts.Tail >= 0 {
		gopts.Tail = -int64(opts.Tail) - 1
	}
	if !opts.Since.IsZero() {
		gopts.Since, _ = gogotypes.TimestampProto(opts.Since)
	}
	sctx, cancel := context.WithCancel(ctx)
	stream, err := lc.SubscribeLogs(sctx, &api.SubscribeLogsRequest{Selector: gsel, Options: gopts})
	if err != nil {
		cancel()
		return nil, grpcErr(err)
	}
	out := make(chan *crouter.LogMessage, 64)
	go func() {
		defer cancel()
		defer close(out)
		for {
			m, err := stream.Recv()
			if err == io.EOF || sctx.Err() != nil {
				return
			}
			if err != nil {
				out <- &crouter.LogMessage{Err: grpcErr(err)}
				return
			}
			for _, lm := range m.Messages {
				ts, _ := gogotypes.TimestampFromProto(lm.Timestamp)
				attrs := map[string]string{
					"com.docker.swarm.node.id":    lm.Context.NodeID,
					"com.docker.swarm.service.id": lm.Context.ServiceID,
					"com.docker.swarm.task.id":    lm.Context.TaskID,
				}
				for _, a := range lm.Attrs {
					attrs[a.Key] = a.Value
				}
				stream := "stdout"
				if lm.Stream == api.LogStreamStderr {
					stream = "stderr"
				}
				select {
				case out <- &crouter.LogMessage{Stream: stream, Line: lm.Data, Time: ts, Attrs: attrs}:
				case <-sctx.Done():
					return
				}
			}
		}
	}()
	return out, nil
}
