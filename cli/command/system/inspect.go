package system

import (
	"context"
	"fmt"
	"strings"

	"github.com/berth-project/berth/cli/command"
	"github.com/berth-project/berth/cli/command/image"
	"github.com/berth-project/berth/cli/format"
	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

var inspectTypes = []string{"container", "image", "network", "volume"}

func newInspectCommand(c *command.Cli) *cobra.Command {
	var (
		tmpl, typ string
		size      bool
	)
	cmd := &cobra.Command{
		Use:   "inspect [OPTIONS] NAME|ID [NAME|ID...]",
		Short: "Return low-level information on Docker objects",
		Args:  command.RequiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("type") && typ == "" {
				return fmt.Errorf(`type is empty: must be one of "%s"`, strings.Join(inspectTypes, `", "`))
			}
			switch typ {
			case "", "container", "image", "network", "volume",
				"config", "node", "plugin", "secret", "service", "task":
			default:
				return fmt.Errorf(`unknown type: %q: must be one of "%s"`, typ, strings.Join(inspectTypes, `", "`))
			}
			return format.Inspect(c.Out(), args, tmpl, inspectAny(cmd.Context(), c, typ, size))
		},
	}
	f := cmd.Flags()
	f.StringVarP(&tmpl, "format", "f", "", inspectFormatHelp)
	f.StringVar(&typ, "type", "", "Only inspect objects of the given type")
	f.BoolVarP(&size, "size", "s", false, "Display total file sizes if the type is container")
	return cmd
}

// inspectAny tries each object kind in docker's order (container, image,
// network, volume) and reports "Error: No such object" when none matches.
func inspectAny(ctx context.Context, c *command.Cli, typ string, size bool) format.GetRefFunc {
	kinds := []struct {
		name string
		get  format.GetRefFunc
	}{
		{"container", func(ref string) (any, []byte, error) {
			r, err := c.Client().ContainerInspect(ctx, ref, client.ContainerInspectOptions{Size: size})
			return r.Container, r.Raw, err
		}},
		{"image", image.InspectRef(ctx, c)},
		{"network", func(ref string) (any, []byte, error) {
			r, err := c.Client().NetworkInspect(ctx, ref, client.NetworkInspectOptions{})
			return r.Network, r.Raw, err
		}},
		{"volume", func(ref string) (any, []byte, error) {
			r, err := c.Client().VolumeInspect(ctx, ref, client.VolumeInspectOptions{})
			return r.Volume, r.Raw, err
		}},
	}
	return func(ref string) (any, []byte, error) {
		for _, k := range kinds {
			if typ != "" && k.name != typ {
				continue
			}
			v, raw, err := k.get(ref)
			if err != nil {
				if typ == "" && skippable(err) {
					continue
				}
				return nil, nil, err
			}
			if size && k.name != "container" {
				fmt.Fprintln(c.Err(), "WARNING: --size ignored for", k.name)
			}
			return v, raw, nil
		}
		return nil, nil, fmt.Errorf("Error: No such object: %s", ref)
	}
}

// skippable errors move auto-detection on to the next kind. Not
// implemented counts too: a daemon without networks or volumes must not
// hide the "No such object" answer.
func skippable(err error) bool {
	return cerrdefs.IsNotFound(err) || cerrdefs.IsNotImplemented(err) ||
		strings.Contains(err.Error(), "not supported") ||
		strings.Contains(err.Error(), "invalid reference format")
}
