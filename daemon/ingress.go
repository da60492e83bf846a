package daemon

import (
	"context"
	"net/http"
	"net/netip"

	"github.com/berth-project/berth/apiserver/httputils"
	"github.com/berth-project/berth/apiserver/router"
	"github.com/berth-project/berth/internal/errdefs"
	"github.com/berth-project/berth/network"
	eventtypes "github.com/moby/moby/api/types/events"
)

// ingressRequest is what berth-swarmd posts (swarm/engine.IngressRequest).
type ingressRequest struct {
	Service string `json:"service"`
	Ports   []struct {
		Proto     string
		Published uint16
		Target    uint16
	} `json:"ports,omitempty"`
	Backend netip.Addr `json:"backend"`
}

// ingressRouter serves berth-swarmd's calls on the internal socket only:
// task containers become backends of their service's published ports, and
// cluster events join the daemon's event stream.
func (d *Daemon) ingressRouter() router.Router {
	return router.Func(func() []router.Route {
		return []router.Route{
			router.Post("/_berth/ingress/add", func(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
				var req ingressRequest
				if err := httputils.ReadJSON(r, &req); err != nil {
					return err
				}
				if err := d.addIngress(ctx, req); err != nil {
					return err
				}
				w.WriteHeader(http.StatusNoContent)
				return nil
			}),
			router.Post("/_berth/events", func(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
				var req struct {
					Type       string            `json:"type"`
					Action     string            `json:"action"`
					ID         string            `json:"id"`
					Attributes map[string]string `json:"attributes"`
				}
				if err := httputils.ReadJSON(r, &req); err != nil {
					return err
				}
				switch req.Type {
				case "node", "service", "secret", "config":
				default:
					return errdefs.InvalidParameter("unknown event type %q", req.Type)
				}
				d.events.Log(eventtypes.Type(req.Type), eventtypes.Action(req.Action), req.ID, req.Attributes)
				w.WriteHeader(http.StatusNoContent)
				return nil
			}),
			router.Post("/_berth/ingress/remove", func(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
				var req ingressRequest
				if err := httputils.ReadJSON(r, &req); err != nil {
					return err
				}
				if err := d.removeIngress(ctx, req); err != nil {
					return err
				}
				w.WriteHeader(http.StatusNoContent)
				return nil
			}),
		}
	})
}

func (d *Daemon) addIngress(ctx context.Context, req ingressRequest) error {
	if req.Service == "" || !req.Backend.IsValid() {
		return errdefs.InvalidParameter("ingress: service and backend are required")
	}
	ports := make([]network.IngressPort, 0, len(req.Ports))
	for _, p := range req.Ports {
		ports = append(ports, network.IngressPort{Proto: p.Proto, Published: p.Published, Target: p.Target})
	}
	return d.net.AddIngressBackend(ctx, req.Service, ports, req.Backend)
}

func (d *Daemon) removeIngress(ctx context.Context, req ingressRequest) error {
	return d.net.RemoveIngressBackend(ctx, req.Service, req.Backend)
}
