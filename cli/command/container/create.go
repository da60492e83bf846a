package container

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/berth-project/berth/cli/command"
	cerrdefs "github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/moby/moby/client"
	"github.com/moby/moby/client/pkg/jsonmessage"
	"github.com/moby/term"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

func newCreateCommand(c *command.Cli) *cobra.Command {
	var copts *containerOptions
	cmd := &cobra.Command{
		Use:   "create [OPTIONS] IMAGE [COMMAND] [ARG...]",
		Short: "Create a new container",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cc, err := parseOrStatus(c, cmd.Flags(), copts, args, "create")
			if err != nil {
				return err
			}
			id, err := createContainer(cmd.Context(), c, cc, copts)
			if err != nil {
				return err
			}
			fmt.Fprintln(c.Out(), id)
			return nil
		},
	}
	copts = addFlags(cmd.Flags())
	// create has no detach/sig-proxy semantics; drop run-only flags.
	return cmd
}

// withHelp decorates err like docker: "docker: <err>\n\nRun 'docker <cmd> --help' ...".
func withHelp(c *command.Cli, err error, verb string) error {
	return fmt.Errorf("%s: %w\n\nRun '%s %s --help' for more information", c.Name, err, c.Name, verb)
}

func parseOrStatus(c *command.Cli, flags *pflag.FlagSet, copts *containerOptions, args []string, verb string) (*containerConfig, error) {
	switch copts.pull {
	case "always", "missing", "never":
	default:
		return nil, command.StatusError{Status: withHelp(c, fmt.Errorf("invalid pull option: '%s': must be one of \"always\", \"missing\" or \"never\"", copts.pull), verb).Error(), StatusCode: 125}
	}
	cc, err := copts.parse(flags, args)
	if err != nil {
		return nil, command.StatusError{Status: withHelp(c, err, verb).Error(), StatusCode: 125}
	}
	return cc, nil
}

func parsePlatform(s string) (*ocispec.Platform, error) {
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		return nil, fmt.Errorf("error parsing specified platform: %q: unknown operating system or architecture", s)
	}
	p := &ocispec.Platform{OS: parts[0], Architecture: parts[1]}
	if len(parts) == 3 {
		p.Variant = parts[2]
	}
	return p, nil
}

// createContainer creates the container, pulling the image first when it
// is missing (or always, with --pull=always), and writes --cidfile.
func createContainer(ctx context.Context, c *command.Cli, cc *containerConfig, copts *containerOptions) (string, error) {
	cl, err := c.NewClient()
	if err != nil {
		return "", err
	}
	platform, err := parsePlatform(copts.platform)
	if err != nil {
		return "", err
	}
	var named reference.Named
	if ref, err := reference.ParseAnyReference(cc.Config.Image); err != nil {
		return "", err
	} else if n, ok := ref.(reference.Named); ok {
		named = reference.TagNameOnly(n)
	}
	cidWritten := false
	var cid *os.File
	if path := cc.HostConfig.ContainerIDFile; path != "" {
		if _, err := os.Stat(path); err == nil {
			return "", fmt.Errorf("container ID file found, make sure the other container isn't running or delete %s", path)
		}
		if cid, err = os.Create(path); err != nil {
			return "", fmt.Errorf("failed to create the container ID file: %w", err)
		}
		ok := false
		defer func() {
			cid.Close()
			if !ok {
				os.Remove(path)
			}
		}()
		defer func() { ok = cidWritten }()
	}
	quiet := copts.quiet
	if copts.pull == "always" {
		if err := pullImage(ctx, c, cc.Config.Image, platform, quiet); err != nil {
			return "", err
		}
	}
	if fd, ok := c.OutFd(); ok && cc.Config.Tty {
		if ws, err := termSize(fd); err == nil {
			cc.HostConfig.ConsoleSize = [2]uint{uint(ws.Height), uint(ws.Width)}
		}
	}
	create := func() (client.ContainerCreateResult, error) {
		return cl.ContainerCreate(ctx, client.ContainerCreateOptions{
			Name: copts.name, Platform: platform, Config: cc.Config,
			HostConfig: cc.HostConfig, NetworkingConfig: cc.Network,
		})
	}
	resp, err := create()
	if err != nil {
		if !cerrdefs.IsNotFound(err) || named == nil || copts.pull != "missing" || !isImageNotFound(err) {
			return "", err
		}
		if !quiet {
			fmt.Fprintf(c.Err(), "Unable to find image '%s' locally\n", reference.FamiliarString(named))
		}
		if err := pullImage(ctx, c, cc.Config.Image, platform, quiet); err != nil {
			return "", err
		}
		if resp, err = create(); err != nil {
			return "", err
		}
	}
	for _, w := range resp.Warnings {
		fmt.Fprintln(c.Err(), "WARNING:", w)
	}
	if cid != nil {
		if _, err := cid.WriteString(resp.ID); err != nil {
			return "", fmt.Errorf("failed to write the container ID to the file: %w", err)
		}
		cidWritten = true
	}
	return resp.ID, nil
}

// isImageNotFound tells a missing image from other 404s (e.g. a missing
// network), which must not trigger a pull.
func isImageNotFound(err error) bool {
	msg := strings.ToLower(err.Error())
	return strings.Contains(msg, "no such image") || strings.Contains(msg, "image") && strings.Contains(msg, "not found")
}

// pullImage pulls img, rendering progress to stderr like docker run/create.
func pullImage(ctx context.Context, c *command.Cli, img string, platform *ocispec.Platform, quiet bool) error {
	opts := client.ImagePullOptions{RegistryAuth: c.RegistryAuthFor(img)}
	if platform != nil {
		opts.Platforms = []ocispec.Platform{*platform}
	}
	resp, err := c.Client().ImagePull(ctx, img, opts)
	if err != nil {
		return err
	}
	defer resp.Close()
	out := c.Err()
	if quiet {
		out = discard{}
	}
	fd, isTerm := term.GetFdInfo(c.Err())
	return jsonmessage.DisplayJSONMessagesStream(resp, out, fd, isTerm && !quiet, nil)
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
