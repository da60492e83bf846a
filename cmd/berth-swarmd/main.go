// Command berth-swarmd is swarm mode: the SwarmKit node (raft, dispatcher,
// orchestrators, CA) and its executor, serving the swarm routes of the
// Engine API on a unix socket the daemon forwards them to. The daemon
// starts it on `swarm init`/`join` and at start-up when it is in a swarm,
// so a daemon outside a swarm does not carry SwarmKit (~16 MiB of RSS).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/berth-project/berth/apiserver"
	"github.com/berth-project/berth/apiserver/httputils"
	"github.com/berth-project/berth/apiserver/router"
	swarmrouter "github.com/berth-project/berth/apiserver/router/swarm"
	"github.com/berth-project/berth/swarm"
	"github.com/berth-project/berth/swarm/engine"
	"github.com/berth-project/berth/swarm/executor"
	"github.com/moby/moby/api/types/network"
)

// Status is GET /_berth/swarm/status, which backs the daemon's /_ping.
type Status struct {
	State   string
	Manager bool
}

func main() {
	root := flag.String("root", "", "swarm state directory (<data-root>/swarm)")
	run := flag.String("run-dir", "", "runtime directory (<exec-root>/swarm)")
	eng := flag.String("engine", "", "the daemon's internal API socket")
	listen := flag.String("listen", "", "unix socket to serve the swarm API on")
	version := flag.String("engine-version", "", "the daemon's version")
	logDrivers := flag.String("log-drivers", "json-file", "comma-separated log drivers of the daemon")
	debug := flag.Bool("debug", false, "debug logging")
	lifeline := flag.Int("lifeline-fd", -1, "exit at once when this fd (a pipe from the daemon) reaches EOF")
	flag.Parse()
	if *root == "" || *run == "" || *eng == "" || *listen == "" {
		fmt.Fprintln(os.Stderr, "berth-swarmd: --root, --run-dir, --engine and --listen are required (the daemon starts this)")
		os.Exit(2)
	}
	level := slog.LevelInfo
	if *debug {
		level = slog.LevelDebug
		// SwarmKit logs through logrus: its task state changes and
		// dispatcher traces are what a debug run is for.
		logrus.SetLevel(logrus.DebugLevel)
		logrus.SetFormatter(&logrus.TextFormatter{FullTimestamp: true, TimestampFormat: time.RFC3339Nano})
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})).With("component", "swarmd")
	if *lifeline >= 0 {
		go watchLifeline(log, *lifeline)
	}
	if err := serve(log, *root, *run, *eng, *listen, *version, strings.Split(*logDrivers, ",")); err != nil {
		log.Error("berth-swarmd", "err", err)
		os.Exit(1)
	}
}

func serve(log *slog.Logger, root, run, engSock, listen, version string, logDrivers []string) error {
	ctx := context.Background()
	e, err := engine.New(engSock)
	if err != nil {
		return err
	}
	cl, err := swarm.New(ctx, swarm.Config{
		Root: root, RunDir: run, Logger: log,
		Executor: executor.Config{
			Containers: e, Images: e, Ingress: e, Overlay: e,
			EngineVersion: version,
			Plugins: map[string][]string{
				"Network": {"bridge", "host", "ipvlan", "macvlan", "null", "overlay"},
				"Volume":  {"local"},
				"Log":     logDrivers,
			},
		},
		RemoveTaskContainers: e.RemoveTaskContainers,
		Events:               e.Event,
		Overlay:              e.SyncOverlay,
	})
	if err != nil {
		return err
	}
	srv := apiserver.New(apiserver.Config{Version: version, Logger: log})
	srv.Register(swarmrouter.NewRouter(cl), internalRouter(cl))
	_ = os.Remove(listen)
	l, err := net.Listen("unix", listen)
	if err != nil {
		cl.Shutdown(ctx)
		return err
	}
	_ = os.Chmod(listen, 0o600)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	select {
	case s := <-sig:
		log.Info("stopping", "signal", s.String())
	case err = <-errc:
	}
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	cl.Shutdown(sctx)
	_ = os.Remove(listen)
	return err
}

// watchLifeline exits when the daemon is gone: its end of the pipe closes
// however it died. Task containers keep running; the next daemon starts a
// new berth-swarmd that picks the node up again.
func watchLifeline(log *slog.Logger, fd int) {
	f := os.NewFile(uintptr(fd), "lifeline")
	_, _ = io.Copy(io.Discard, f)
	log.Warn("the daemon is gone: stopping")
	os.Exit(3)
}

// internalRouter answers the daemon's questions about the node.
func internalRouter(cl *swarm.Cluster) router.Router {
	return router.Func(func() []router.Route {
		return []router.Route{
			router.Get("/_berth/swarm/info", func(ctx context.Context, w http.ResponseWriter, _ *http.Request, _ map[string]string) error {
				return json.NewEncoder(w).Encode(cl.Info(ctx))
			}),
			router.Get("/_berth/networks", func(ctx context.Context, w http.ResponseWriter, _ *http.Request, _ map[string]string) error {
				nets, err := cl.GetNetworks(ctx)
				if err != nil {
					return err
				}
				return httputils.WriteJSON(w, http.StatusOK, nets)
			}),
			router.Get("/_berth/networks/{id:.*}", func(ctx context.Context, w http.ResponseWriter, _ *http.Request, vars map[string]string) error {
				n, err := cl.GetNetwork(ctx, vars["id"])
				if err != nil {
					return err
				}
				return httputils.WriteJSON(w, http.StatusOK, n)
			}),
			router.Post("/_berth/networks/create", func(ctx context.Context, w http.ResponseWriter, r *http.Request, _ map[string]string) error {
				var req network.CreateRequest
				if err := httputils.ReadJSON(r, &req); err != nil {
					return err
				}
				id, err := cl.CreateNetwork(ctx, req)
				if err != nil {
					return err
				}
				return httputils.WriteJSON(w, http.StatusCreated, network.CreateResponse{ID: id})
			}),
			router.Delete("/_berth/networks/{id:.*}", func(ctx context.Context, w http.ResponseWriter, _ *http.Request, vars map[string]string) error {
				if err := cl.RemoveNetwork(ctx, vars["id"]); err != nil {
					return err
				}
				w.WriteHeader(http.StatusNoContent)
				return nil
			}),
			router.Get("/_berth/swarm/status", func(ctx context.Context, w http.ResponseWriter, _ *http.Request, _ map[string]string) error {
				st, mgr := cl.Status()
				return json.NewEncoder(w).Encode(Status{State: string(st), Manager: mgr})
			}),
		}
	})
}
