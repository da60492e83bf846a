package image

import (
	"errors"
	"fmt"

	"github.com/berth-project/berth/cli/command"
	"github.com/distribution/reference"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

// pull and push talk to registries through the daemon; the CLI only
// renders the daemon's progress stream or error.

func newPullCommand(c *command.Cli) *cobra.Command {
	var all, quiet bool
	cmd := &cobra.Command{
		Use:   "pull [OPTIONS] NAME[:TAG|@DIGEST]",
		Short: "Download an image from a registry",
		Args:  command.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref, err := transferRef(c, args[0], all, quiet)
			if err != nil {
				return err
			}
			res, err := c.Client().ImagePull(cmd.Context(), ref.String(), client.ImagePullOptions{All: all})
			if err != nil {
				return err
			}
			defer res.Close()
			if quiet {
				err = res.Wait(cmd.Context())
			} else {
				err = displayStream(c, res)
			}
			if err != nil {
				return err
			}
			fmt.Fprintln(c.Out(), ref.String())
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&all, "all-tags", "a", false, "Download all tagged images in the repository")
	f.BoolVarP(&quiet, "quiet", "q", false, "Suppress verbose output")
	f.Bool("disable-content-trust", true, "Skip image verification")
	f.String("platform", "", "Set platform if server is multi-platform capable")
	return cmd
}

func newPushCommand(c *command.Cli) *cobra.Command {
	var all, quiet bool
	cmd := &cobra.Command{
		Use:   "push [OPTIONS] NAME[:TAG]",
		Short: "Upload an image to a registry",
		Args:  command.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref, err := transferRef(c, args[0], all, quiet)
			if err != nil {
				return err
			}
			res, err := c.Client().ImagePush(cmd.Context(), reference.FamiliarString(ref), client.ImagePushOptions{All: all})
			if err != nil {
				return err
			}
			defer res.Close()
			if quiet {
				if err := res.Wait(cmd.Context()); err != nil {
					return err
				}
				fmt.Fprintln(c.Out(), ref.String())
				return nil
			}
			return displayStream(c, res)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&all, "all-tags", "a", false, "Push all tags of an image to the repository")
	f.BoolVarP(&quiet, "quiet", "q", false, "Suppress verbose output")
	f.Bool("disable-content-trust", true, "Skip image signing")
	f.String("platform", "", "Push a platform-specific manifest as a single-platform image to the registry.")
	return cmd
}

// transferRef normalises a pull/push argument like docker: --all-tags
// takes a bare repository, otherwise a missing tag becomes "latest" (and
// is announced unless quiet).
func transferRef(c *command.Cli, name string, all, quiet bool) (reference.Named, error) {
	ref, err := reference.ParseNormalizedNamed(name)
	switch {
	case err != nil:
		return nil, err
	case all && !reference.IsNameOnly(ref):
		return nil, errors.New("tag can't be used with --all-tags/-a")
	case !all && reference.IsNameOnly(ref):
		ref = reference.TagNameOnly(ref)
		if t, ok := ref.(reference.Tagged); ok && !quiet {
			fmt.Fprintln(c.Out(), "Using default tag:", t.Tag())
		}
	}
	return ref, nil
}
