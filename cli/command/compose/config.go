package compose

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"

	"github.com/spf13/cobra"
)

func newConfigCommand(e *env) *cobra.Command {
	var (
		services, volumes, networks, images, profiles, quiet, noInterp bool
		formatFlag, output, hash                                       string
	)
	cmd := &cobra.Command{
		Use:     "config [OPTIONS] [SERVICE...]",
		Aliases: []string{"convert"},
		Short:   "Parse, resolve and render compose file in canonical format",
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			p, err := e.load(ctx, args...)
			if err != nil {
				return err
			}
			out := e.c.Out()
			switch {
			case quiet:
				return nil
			case services:
				for _, n := range p.ServiceNames() {
					fmt.Fprintln(out, n)
				}
				return nil
			case volumes:
				for _, n := range p.VolumeNames() {
					fmt.Fprintln(out, n)
				}
				return nil
			case networks:
				for _, n := range p.NetworkNames() {
					fmt.Fprintln(out, n)
				}
				return nil
			case images:
				for _, n := range p.ServiceNames() {
					fmt.Fprintln(out, imageOf(p.Name, p.Services[n].Image, n))
				}
				return nil
			case profiles:
				seen := map[string]bool{}
				var all []string
				for _, s := range p.AllServices() {
					for _, pr := range s.Profiles {
						if !seen[pr] {
							seen[pr] = true
							all = append(all, pr)
						}
					}
				}
				sort.Strings(all)
				for _, pr := range all {
					fmt.Fprintln(out, pr)
				}
				return nil
			case hash != "":
				for _, n := range p.ServiceNames() {
					if hash != "*" && !contains(splitComma(hash), n) {
						continue
					}
					h, err := serviceHash(p, n)
					if err != nil {
						return err
					}
					fmt.Fprintf(out, "%s %s\n", n, h)
				}
				return nil
			}
			var data []byte
			switch formatFlag {
			case "json":
				data, err = p.MarshalJSON()
				if err == nil {
					var v any
					_ = json.Unmarshal(data, &v)
					data, err = json.MarshalIndent(v, "", "  ")
					data = append(data, '\n')
				}
			case "yaml", "":
				data, err = p.MarshalYAML()
			default:
				return fmt.Errorf("unsupported format %q", formatFlag)
			}
			if err != nil {
				return err
			}
			if output != "" {
				return os.WriteFile(output, data, 0o644)
			}
			_, err = out.Write(data)
			return err
		},
	}
	f := cmd.Flags()
	f.BoolVar(&services, "services", false, "Print the service names, one per line.")
	f.BoolVar(&volumes, "volumes", false, "Print the volume names, one per line.")
	f.BoolVar(&networks, "networks", false, "Print the network names, one per line.")
	f.BoolVar(&images, "images", false, "Print the image names, one per line.")
	f.BoolVar(&profiles, "profiles", false, "Print the profile names, one per line.")
	f.BoolVarP(&quiet, "quiet", "q", false, "Only validate the configuration, don't print anything")
	f.BoolVar(&noInterp, "no-interpolate", false, "Don't interpolate environment variables")
	f.StringVar(&formatFlag, "format", "yaml", `Format the output. Values: [yaml | json]`)
	f.StringVarP(&output, "output", "o", "", "Save to file (default to stdout)")
	f.StringVar(&hash, "hash", "", "Print the service config hash, one per line.")
	return cmd
}
