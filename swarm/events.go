package swarm

import (
	"context"
	"time"

	"github.com/moby/swarmkit/v2/api"
	"google.golang.org/grpc"
)

// EventSink receives the cluster's object changes as Engine API events
// (type node, service, secret or config; action create, update, remove).
type EventSink func(typ, action, id string, attrs map[string]string)

// watchEvents follows the manager's store while this node is a manager and
// turns its changes into events, as dockerd does for `docker events`.
func (c *Cluster) watchEvents(ctx context.Context, conn *grpc.ClientConn) {
	if c.cfg.Events == nil || conn == nil {
		return
	}
	all := api.WatchActionKindCreate | api.WatchActionKindUpdate | api.WatchActionKindRemove
	var entries []*api.WatchRequest_WatchEntry
	for _, k := range []string{"node", "service", "secret", "config"} {
		entries = append(entries, &api.WatchRequest_WatchEntry{Kind: k, Action: all})
	}
	for ctx.Err() == nil {
		stream, err := api.NewWatchClient(conn).Watch(ctx, &api.WatchRequest{Entries: entries, IncludeOldObject: true})
		if err == nil {
			for {
				m, err := stream.Recv()
				if err != nil {
					break
				}
				for _, ev := range m.Events {
					c.emit(ev)
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second): // the connection changes with the leader
		}
	}
}

func (c *Cluster) emit(ev *api.WatchMessage_Event) {
	if ev.Object == nil {
		return
	}
	var action string
	switch ev.Action {
	case api.WatchActionKindCreate:
		action = "create"
	case api.WatchActionKindUpdate:
		action = "update"
	case api.WatchActionKindRemove:
		action = "remove"
	default:
		return
	}
	attrs := map[string]string{}
	var typ, id string
	switch o := ev.Object.GetObject().(type) {
	case *api.Object_Node:
		typ, id = "node", o.Node.ID
		attrs["name"] = o.Node.Spec.Annotations.Name
		if o.Node.Description != nil && attrs["name"] == "" {
			attrs["name"] = o.Node.Description.Hostname
		}
		if old := ev.OldObject.GetNode(); old != nil && action == "update" {
			if old.Status.State != o.Node.Status.State {
				attrs["state.old"] = lower(old.Status.State.String())
				attrs["state.new"] = lower(o.Node.Status.State.String())
			}
			if old.Spec.Availability != o.Node.Spec.Availability {
				attrs["availability.old"] = lower(old.Spec.Availability.String())
				attrs["availability.new"] = lower(o.Node.Spec.Availability.String())
			}
		}
	case *api.Object_Service:
		typ, id = "service", o.Service.ID
		attrs["name"] = o.Service.Spec.Annotations.Name
		if old := ev.OldObject.GetService(); old != nil && action == "update" {
			if r, ok := o.Service.Spec.Mode.(*api.ServiceSpec_Replicated); ok {
				if or, ok := old.Spec.Mode.(*api.ServiceSpec_Replicated); ok && or.Replicated.Replicas != r.Replicated.Replicas {
					attrs["replicas.old"] = itoa(or.Replicated.Replicas)
					attrs["replicas.new"] = itoa(r.Replicated.Replicas)
				}
			}
		}
	case *api.Object_Secret:
		typ, id = "secret", o.Secret.ID
		attrs["name"] = o.Secret.Spec.Annotations.Name
	case *api.Object_Config:
		typ, id = "config", o.Config.ID
		attrs["name"] = o.Config.Spec.Annotations.Name
	default:
		return
	}
	c.cfg.Events(typ, action, id, attrs)
}

func lower(s string) string {
	b := []byte(s)
	for i, ch := range b {
		if ch >= 'A' && ch <= 'Z' {
			b[i] = ch + 'a' - 'A'
		}
	}
	return string(b)
}

func itoa(n uint64) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
