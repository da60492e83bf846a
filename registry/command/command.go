// Package command is `berth registry`: serve and gc, the flags mapped onto
// registry.Options.
package command

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/berth-project/berth/registry"
	"github.com/spf13/cobra"
)

// New returns the `registry` command group.
func New() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "registry COMMAND",
		Short: "Run the built-in OCI registry",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cmd.Help()
		},
		// Serving needs no Engine API client: skip the root's setup.
		PersistentPreRunE: func(*cobra.Command, []string) error { return nil },
	}
	cmd.AddCommand(newServe(), newGC())
	return cmd
}

func addStorageFlags(cmd *cobra.Command, o *registry.Options) {
	f := cmd.Flags()
	f.StringVar(&o.Root, "root", "", "Storage directory (filesystem driver; default /var/lib/berth-registry)")
	f.StringVar(&o.ConfigFile, "config", "", "Registry configuration file (distribution config.yml format)")
}

func newServe() *cobra.Command {
	var o registry.Options
	cmd := &cobra.Command{
		Use:   "serve [OPTIONS]",
		Short: "Serve an OCI distribution registry",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := o.Config()
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			srv, err := registry.New(context.Background(), cfg)
			if err != nil {
				return err
			}
			l, err := srv.Listen()
			if err != nil {
				return err
			}
			errc := make(chan error, 1)
			go func() { errc <- srv.Serve(l) }()
			// Tests start us on port 0 and read the address from here.
			fmt.Fprintf(cmd.ErrOrStderr(), "registry listening on %s (storage %s)\n", l.Addr(), cfg.Storage.Parameters()["rootdirectory"])
			select {
			case err := <-errc:
				return err
			case <-ctx.Done():
			}
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			return srv.Shutdown(sctx)
		},
	}
	addStorageFlags(cmd, &o)
	f := cmd.Flags()
	f.StringVar(&o.Addr, "addr", "", "Address to listen on (default 127.0.0.1:5000)")
	f.StringVar(&o.Htpasswd, "htpasswd", "", "Require basic auth against this htpasswd file (bcrypt)")
	f.StringVar(&o.Realm, "realm", "", "Realm of basic auth")
	f.StringVar(&o.TokenRealm, "token-realm", "", "Require bearer tokens from this token server URL")
	f.StringVar(&o.TokenService, "token-service", "", "Service name tokens must be issued for")
	f.StringVar(&o.TokenIssuer, "token-issuer", "", "Issuer tokens must name")
	f.StringVar(&o.TokenRootCerts, "token-rootcertbundle", "", "Certificates that sign the tokens (PEM)")
	f.StringVar(&o.TLSCert, "tls-cert", "", "TLS certificate (PEM)")
	f.StringVar(&o.TLSKey, "tls-key", "", "TLS private key (PEM)")
	f.StringVar(&o.LogLevel, "log-level", "", "Log level (error, warn, info, debug)")
	return cmd
}

func newGC() *cobra.Command {
	var (
		o  registry.Options
		gc registry.GCOptions
	)
	cmd := &cobra.Command{
		Use:   "gc [OPTIONS]",
		Short: "Remove blobs no manifest references (run while the registry takes no pushes)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.LogLevel = "error"
			cfg, err := o.Config()
			if err != nil {
				return err
			}
			return registry.GC(cmd.Context(), cfg, gc)
		},
	}
	addStorageFlags(cmd, &o)
	cmd.Flags().BoolVarP(&gc.DryRun, "dry-run", "d", false, "Report what would be removed, remove nothing")
	cmd.Flags().BoolVarP(&gc.DeleteUntagged, "delete-untagged", "m", false, "Also remove manifests no tag references")
	return cmd
}
