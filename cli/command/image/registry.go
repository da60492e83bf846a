package image

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/berth-project/berth/cli/command"
	"github.com/distribution/reference"
	"github.com/moby/moby/client"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"
)

// pull and push talk to registries through the daemon; the CLI only
// renders the daemon's progress stream or error.

func newPullCommand(c *command.Cli) *cobra.Command {
	var all, quiet bool
	var platform string
	cmd := &cobra.Command{
		Use:   "pull [OPTIONS] NAME[:TAG|@DIGEST]",
		Short: "Download an image from a registry",
		Args:  command.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref, err := transferRef(c, args[0], all, quiet)
			if err != nil {
				return err
			}
			res, err := c.Client().ImagePull(cmd.Context(), ref.String(), client.ImagePullOptions{All: all, RegistryAuth: c.RegistryAuthFor(ref.String()), Platforms: platforms(platform)})
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
	f.StringVar(&platform, "platform", os.Getenv("DOCKER_DEFAULT_PLATFORM"), "Set platform if server is multi-platform capable")
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
			res, err := c.Client().ImagePush(cmd.Context(), reference.FamiliarString(ref), client.ImagePushOptions{All: all, RegistryAuth: c.RegistryAuthFor(ref.String())})
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

// platforms parses --platform (os[/arch[/variant]]).
func platforms(p string) []ocispec.Platform {
	if p == "" {
		return nil
	}
	parts := strings.SplitN(p, "/", 3)
	pl := ocispec.Platform{OS: parts[0]}
	if len(parts) > 1 {
		pl.Architecture = parts[1]
	}
	if len(parts) > 2 {
		pl.Variant = parts[2]
	}
	return []ocispec.Platform{pl}
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
