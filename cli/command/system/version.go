package system

import (
	"runtime"
	"sort"
	"strconv"
	"text/tabwriter"
	"text/template"
	"time"

	"github.com/berth-project/berth/cli/command"
	"github.com/berth-project/berth/cli/format"
	apisystem "github.com/moby/moby/api/types/system"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

// versionTemplate is docker 28's layout; tabs are aligned by a tabwriter.
const versionTemplate = `{{with .Client -}}
Client:{{if ne .Platform nil}}{{if ne .Platform.Name ""}} {{.Platform.Name}}{{end}}{{end}}
 Version:	{{.Version}}
 API version:	{{.APIVersion}}{{if ne .APIVersion .DefaultAPIVersion}} (downgraded from {{.DefaultAPIVersion}}){{end}}
 Go version:	{{.GoVersion}}
 Git commit:	{{.GitCommit}}
 Built:	{{.BuildTime}}
 OS/Arch:	{{.Os}}/{{.Arch}}
 Context:	{{.Context}}
{{- end}}

{{- if ne .Server nil}}{{with .Server}}

Server:{{if ne .Platform.Name ""}} {{.Platform.Name}}{{end}}
 {{- range $component := .Components}}
 {{$component.Name}}:
  {{- if eq $component.Name "Engine" }}
  Version:	{{.Version}}
  API version:	{{index .Details "ApiVersion"}} (minimum version {{index .Details "MinAPIVersion"}})
  Go version:	{{index .Details "GoVersion"}}
  Git commit:	{{index .Details "GitCommit"}}
  Built:	{{index .Details "BuildTime"}}
  OS/Arch:	{{index .Details "Os"}}/{{index .Details "Arch"}}
  Experimental:	{{index .Details "Experimental"}}
  {{- else }}
  Version:	{{$component.Version}}
  {{- $detailsOrder := getDetailsOrder $component}}
  {{- range $key := $detailsOrder}}
  {{$key}}:	{{index $component.Details $key}}
   {{- end}}
  {{- end}}
 {{- end}}
 {{- end}}{{- end}}`

type platformInfo struct {
	Name string `json:"Name,omitempty"`
}

type clientVersion struct {
	Platform          *platformInfo `json:"Platform,omitempty"`
	Version           string        `json:"Version,omitempty"`
	APIVersion        string        `json:"ApiVersion,omitempty"`
	DefaultAPIVersion string        `json:"DefaultAPIVersion,omitempty"`
	GitCommit         string        `json:"GitCommit,omitempty"`
	GoVersion         string        `json:"GoVersion,omitempty"`
	Os                string        `json:"Os,omitempty"`
	Arch              string        `json:"Arch,omitempty"`
	BuildTime         string        `json:"BuildTime,omitempty"`
	Context           string        `json:"Context"`
}

// serverVersion mirrors the JSON fields docker's template and --format
// users read from the server part.
type serverVersion struct {
	Platform      platformInfo
	Components    []apisystem.ComponentVersion `json:",omitempty"`
	Version       string
	APIVersion    string `json:"ApiVersion"`
	MinAPIVersion string `json:"MinAPIVersion,omitempty"`
	Os            string
	Arch          string
	Experimental  bool `json:",omitempty"`
}

type versionInfo struct {
	Client clientVersion
	Server *serverVersion
}

func newVersionCommand(c *command.Cli) *cobra.Command {
	var tmplText string
	cmd := &cobra.Command{
		Use:   "version [OPTIONS]",
		Short: "Show the Docker version information",
		Args:  command.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := versionTmpl(tmplText)
			if err != nil {
				return command.StatusError{StatusCode: 64, Status: err.Error()}
			}
			vi := versionInfo{Client: clientVersion{
				Version:           ClientVersion,
				DefaultAPIVersion: client.MaxAPIVersion,
				GoVersion:         runtime.Version(),
				GitCommit:         ClientGitCommit,
				BuildTime:         reformatDate(ClientBuildTime),
				Os:                runtime.GOOS,
				Arch:              runtime.GOARCH,
				Context:           ContextName,
			}}
			sv, err := c.Client().ServerVersion(cmd.Context(), client.ServerVersionOptions{})
			// The API version is known only after the client negotiated it.
			vi.Client.APIVersion = c.Client().ClientVersion()
			if err == nil {
				vi.Server = toServerVersion(sv)
			}
			tw := tabwriter.NewWriter(c.Out(), 20, 1, 1, ' ', 0)
			err2 := t.Execute(tw, vi)
			_, _ = tw.Write([]byte("\n"))
			_ = tw.Flush()
			if err == nil {
				err = err2
			}
			return err
		},
	}
	cmd.Flags().StringVarP(&tmplText, "format", "f", "", inspectFormatHelp)
	return cmd
}

func versionTmpl(text string) (*template.Template, error) {
	switch text {
	case "":
		text = versionTemplate
	case format.JSONKey:
		text = format.JSONFormat
	}
	funcs := format.Funcs()
	funcs["getDetailsOrder"] = detailsOrder
	t, err := template.New("version").Funcs(funcs).Parse(text)
	if err != nil {
		return nil, err
	}
	return t, nil
}

// toServerVersion adds an "Engine" component when the daemon sent none,
// and shows build times like docker (time.ANSIC).
func toServerVersion(sv client.ServerVersionResult) *serverVersion {
	out := &serverVersion{
		Platform: platformInfo{Name: sv.Platform.Name}, Components: sv.Components,
		Version: sv.Version, APIVersion: sv.APIVersion, MinAPIVersion: sv.MinAPIVersion,
		Os: sv.Os, Arch: sv.Arch, Experimental: sv.Experimental,
	}
	found := false
	for _, comp := range out.Components {
		if comp.Name == "Engine" {
			found = true
			if bt, ok := comp.Details["BuildTime"]; ok {
				comp.Details["BuildTime"] = reformatDate(bt)
			}
		}
	}
	if !found {
		out.Components = append(out.Components, apisystem.ComponentVersion{
			Name: "Engine", Version: sv.Version,
			Details: map[string]string{
				"ApiVersion": sv.APIVersion, "MinAPIVersion": sv.MinAPIVersion,
				"Os": sv.Os, "Arch": sv.Arch, "Experimental": strconv.FormatBool(sv.Experimental),
			},
		})
	}
	return out
}

func reformatDate(s string) string {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.Format(time.ANSIC)
	}
	return s
}

func detailsOrder(v apisystem.ComponentVersion) []string {
	keys := make([]string, 0, len(v.Details))
	for k := range v.Details {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
