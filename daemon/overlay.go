package daemon

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"time"

	"github.com/berth-project/berth/apiserver/httputils"
	"github.com/berth-project/berth/apiserver/router"
	"github.com/berth-project/berth/internal/errdefs"
	"github.com/berth-project/berth/network"
	networktypes "github.com/moby/moby/api/types/network"
)

// overlaySync is what berth-swarmd posts (swarm.OverlaySync).
type overlaySync struct {
	Local    netip.Addr
	Networks []struct {
		ID       string
		Ingress  bool
		Peers    []netip.Addr
		Services []network.ServiceRecord
	}
}

// overlayRouter serves berth-swarmd's overlay calls on the internal
// socket: cluster networks made present for tasks, and the catalog's
// peers, service names and VIPs.
func (d *Daemon) overlayRouter() router.Router {
	return router.Func(func() []router.Route {
		return []router.Route{
			router.Post("/_berth/overlay/ensure", func(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
				var req network.OverlayNetwork
				if err := httputils.ReadJSON(r, &req); err != nil {
					return err
				}
				if req.ID == "" || req.VNI == 0 || req.Subnet == "" {
					return errdefs.InvalidParameter("overlay: network ID, VNI and subnet are required")
				}
				if err := d.net.EnsureOverlay(ctx, req); err != nil {
					return err
				}
				w.WriteHeader(http.StatusNoContent)
				return nil
			}),
			router.Post("/_berth/overlay/release", func(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
				var req struct{ ID string }
				if err := httputils.ReadJSON(r, &req); err != nil {
					return err
				}
				if err := d.net.ReleaseOverlay(ctx, req.ID); err != nil {
					return err
				}
				w.WriteHeader(http.StatusNoContent)
				return nil
			}),
			router.Post("/_berth/overlay/ingress-addr", func(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
				var req struct {
					ID   string
					Addr netip.Prefix
				}
				if err := httputils.ReadJSON(r, &req); err != nil {
					return err
				}
				if !req.Addr.IsValid() || !req.Addr.Addr().Is4() {
					return errdefs.InvalidParameter("overlay: an IPv4 ingress address is required")
				}
				if err := d.net.SetIngressAddr(ctx, req.ID, req.Addr); err != nil {
					return err
				}
				w.WriteHeader(http.StatusNoContent)
				return nil
			}),
			router.Post("/_berth/overlay/sync", func(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
				var req overlaySync
				if err := httputils.ReadJSON(r, &req); err != nil {
					return err
				}
				var errs []error
				for _, n := range req.Networks {
					if err := d.net.SetOverlayPeers(ctx, n.ID, req.Local, n.Peers); err != nil {
						errs = append(errs, err)
					}
					set := d.net.SetOverlayServices
					if n.Ingress {
						set = d.net.SetIngressServices
					}
					if err := set(ctx, n.ID, n.Services); err != nil {
						errs = append(errs, err)
					}
				}
				if len(errs) > 0 {
					return fmt.Errorf("overlay sync: %v", errs)
				}
				w.WriteHeader(http.StatusNoContent)
				return nil
			}),
		}
	})
}

// swarmNetworks are the cluster's networks through berth-swarmd
// (lifecycle.SwarmNetworks).
type swarmNetworks struct{ s *swarmd }

func (sn swarmNetworks) call(ctx context.Context, method, path string, body, out any) error {
	if !sn.s.running() {
		if method == http.MethodPost {
			return errdefs.Unavailable("%s", errNotManager)
		}
		return errdefs.NotFound("not in a swarm")
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return sn.s.call(ctx, method, path, body, out)
}

func (sn swarmNetworks) List(ctx context.Context) ([]networktypes.Inspect, error) {
	var out []networktypes.Inspect
	if err := sn.call(ctx, http.MethodGet, "/_berth/networks", nil, &out); err != nil {
		return nil, nil // not a manager: only this node's networks
	}
	return out, nil
}

func (sn swarmNetworks) Get(ctx context.Context, ref string) (networktypes.Inspect, error) {
	var out networktypes.Inspect
	err := sn.call(ctx, http.MethodGet, "/_berth/networks/"+url.PathEscape(ref), nil, &out)
	return out, err
}

func (sn swarmNetworks) Create(ctx context.Context, req networktypes.CreateRequest) (networktypes.CreateResponse, error) {
	var out networktypes.CreateResponse
	err := sn.call(ctx, http.MethodPost, "/_berth/networks/create", req, &out)
	return out, err
}

func (sn swarmNetworks) Remove(ctx context.Context, ref string) error {
	return sn.call(ctx, http.MethodDelete, "/_berth/networks/"+url.PathEscape(ref), nil, nil)
}
