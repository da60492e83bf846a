package swarm

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/berth-project/berth/cli/command"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"
	"github.com/moby/term"
	"github.com/spf13/cobra"
)

func newUpdateCommand(c *command.Cli) *cobra.Command {
	var o specOpts
	cmd := &cobra.Command{
		Use:   "update [OPTIONS]",
		Short: "Update the swarm",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().NFlag() == 0 {
				// docker prints the usage and succeeds when nothing is asked.
				cmd.SetOut(c.Out())
				return cmd.Usage()
			}
			ctx := cmd.Context()
			api := c.Client()
			sw, err := api.SwarmInspect(ctx, client.SwarmInspectOptions{})
			if err != nil {
				return err
			}
			prev := sw.Swarm.Spec.EncryptionConfig.AutoLockManagers
			spec := sw.Swarm.Spec
			if err := o.merge(&spec, cmd.Flags()); err != nil {
				return err
			}
			if _, err := api.SwarmUpdate(ctx, client.SwarmUpdateOptions{Version: sw.Swarm.Version, Spec: spec}); err != nil {
				return err
			}
			fmt.Fprintln(c.Out(), "Swarm updated.")
			if spec.EncryptionConfig.AutoLockManagers && !prev {
				key, err := api.SwarmGetUnlockKey(ctx)
				if err != nil {
					return fmt.Errorf("could not fetch unlock key: %w", err)
				}
				printUnlockCommand(c.Out(), key.Key)
			}
			return nil
		},
	}
	addSpecFlags(cmd.Flags(), &o)
	cmd.Flags().Lookup("autolock").Usage = "Change manager autolocking setting (true|false)"
	return cmd
}

func newUnlockCommand(c *command.Cli) *cobra.Command {
	return &cobra.Command{
		Use:   "unlock",
		Short: "Unlock swarm",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			api := c.Client()
			// Ask for the key only when the node is locked, like docker.
			info, err := api.Info(ctx, client.InfoOptions{})
			if err != nil {
				return err
			}
			switch info.Info.Swarm.LocalNodeState {
			case swarm.LocalNodeStateInactive:
				return errors.New("Error: This node is not part of a swarm")
			case swarm.LocalNodeStateLocked:
			default:
				return errors.New("Error: swarm is not locked")
			}
			key, err := readKey(c, "Enter unlock key: ")
			if err != nil {
				return err
			}
			_, err = api.SwarmUnlock(ctx, client.SwarmUnlockOptions{Key: key})
			return err
		},
	}
}

// readKey prompts without echo on a terminal, or reads one line of piped input.
func readKey(c *command.Cli, label string) (string, error) {
	if fd, ok := c.InFd(); ok {
		fmt.Fprint(c.Out(), label)
		if st, err := term.SaveState(fd); err == nil {
			_ = term.DisableEcho(fd, st)
			defer func() { _ = term.RestoreTerminal(fd, st); fmt.Fprintln(c.Out()) }()
		}
	}
	line, err := bufio.NewReader(c.In()).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", err
	}
	return trimKey(line), nil
}

func newUnlockKeyCommand(c *command.Cli) *cobra.Command {
	var rotate, quiet bool
	cmd := &cobra.Command{
		Use:   "unlock-key [OPTIONS]",
		Short: "Manage the unlock key",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			api := c.Client()
			if rotate {
				sw, err := api.SwarmInspect(ctx, client.SwarmInspectOptions{})
				if err != nil {
					return err
				}
				if !sw.Swarm.Spec.EncryptionConfig.AutoLockManagers {
					return errors.New("cannot rotate because autolock is not turned on")
				}
				if _, err := api.SwarmUpdate(ctx, client.SwarmUpdateOptions{
					Version: sw.Swarm.Version, Spec: sw.Swarm.Spec, RotateManagerUnlockKey: true,
				}); err != nil {
					return err
				}
				if !quiet {
					fmt.Fprint(c.Out(), "Successfully rotated manager unlock key.\n\n")
				}
			}
			key, err := api.SwarmGetUnlockKey(ctx)
			if err != nil {
				return fmt.Errorf("could not fetch unlock key: %w", err)
			}
			if key.Key == "" {
				return errors.New("no unlock key is set")
			}
			if quiet {
				fmt.Fprintln(c.Out(), key.Key)
				return nil
			}
			printUnlockCommand(c.Out(), key.Key)
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&rotate, "rotate", false, "Rotate unlock key")
	f.BoolVarP(&quiet, "quiet", "q", false, "Only display token")
	return cmd
}

func newCACommand(c *command.Cli) *cobra.Command {
	var (
		caCert, caKey     string
		certExpiry        time.Duration
		externalCA        []string
		detach, quiet, rt bool
	)
	cmd := &cobra.Command{
		Use:   "ca [OPTIONS]",
		Short: "Display and rotate the root CA",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			api := c.Client()
			f := cmd.Flags()
			sw, err := api.SwarmInspect(ctx, client.SwarmInspectOptions{})
			if err != nil {
				return err
			}
			if !rt {
				for _, name := range []string{"ca-cert", "ca-key", "cert-expiry", "external-ca"} {
					if f.Changed(name) {
						return fmt.Errorf("`--%s` flag requires the `--rotate` flag to update the CA", name)
					}
				}
				return printCA(c, sw.Swarm.ClusterInfo.TLSInfo.TrustRoot)
			}
			spec := sw.Swarm.Spec
			o := specOpts{certExpiry: certExpiry, externalCA: externalCA}
			if err := o.merge(&spec, f); err != nil {
				return err
			}
			if caCert != "" {
				b, err := os.ReadFile(caCert)
				if err != nil {
					return err
				}
				spec.CAConfig.SigningCACert = string(b)
			}
			if caKey != "" {
				b, err := os.ReadFile(caKey)
				if err != nil {
					return err
				}
				spec.CAConfig.SigningCAKey = string(b)
			}
			if caKey != "" && caCert == "" {
				return errors.New("if a CA key is provided, a CA certificate must also be provided")
			}
			spec.CAConfig.ForceRotate++
			if _, err := api.SwarmUpdate(ctx, client.SwarmUpdateOptions{Version: sw.Swarm.Version, Spec: spec}); err != nil {
				return err
			}
			if detach {
				return nil
			}
			// docker draws a progress bar of the nodes' certificate
			// rotation; berth waits for the same end state and prints the
			// new root like docker does at the end.
			for {
				cur, err := api.SwarmInspect(ctx, client.SwarmInspectOptions{})
				if err != nil {
					return err
				}
				if !cur.Swarm.RootRotationInProgress {
					if quiet {
						return nil
					}
					return printCA(c, cur.Swarm.TLSInfo.TrustRoot)
				}
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(500 * time.Millisecond):
				}
			}
		},
	}
	f := cmd.Flags()
	f.StringVar(&caCert, "ca-cert", "", "Path to the PEM-formatted root CA certificate to use for the new cluster")
	f.StringVar(&caKey, "ca-key", "", "Path to the PEM-formatted root CA key to use for the new cluster")
	f.DurationVar(&certExpiry, "cert-expiry", 90*24*time.Hour, "Validity period for node certificates (ns|us|ms|s|m|h)")
	f.StringArrayVar(&externalCA, "external-ca", nil, "Specifications of one or more certificate signing endpoints")
	f.BoolVarP(&detach, "detach", "d", false, "Exit immediately instead of waiting for the root rotation to converge")
	f.BoolVarP(&quiet, "quiet", "q", false, "Suppress progress output")
	f.BoolVar(&rt, "rotate", false, "Rotate the swarm CA - if no certificate or key are provided, new ones will be generated")
	return cmd
}

func printCA(c *command.Cli, root string) error {
	if root == "" {
		return errors.New("the swarm has no root CA certificate")
	}
	fmt.Fprintln(c.Out(), strings.TrimSpace(root))
	return nil
}
