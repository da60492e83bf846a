// Package registry is `docker login`, `docker logout` and `docker search`: the daemon
// checks the credentials (POST /auth), the CLI stores them in config.json
// exactly as the docker CLI does (credential helpers honoured).
package registry

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/berth-project/berth/cli/command"
	"github.com/docker/cli/cli/config/types"
	"github.com/moby/moby/client"
	"github.com/moby/term"
	"github.com/spf13/cobra"
)

// AddCommands adds login, logout and search to root.
func AddCommands(root *cobra.Command, c *command.Cli) {
	root.AddCommand(newLoginCommand(c), newLogoutCommand(c), newSearchCommand(c))
}

func newLoginCommand(c *command.Cli) *cobra.Command {
	var user, password string
	var stdin bool
	cmd := &cobra.Command{
		Use:   "login [OPTIONS] [SERVER]",
		Short: "Authenticate to a registry",
		Long:  "Authenticate to a registry.\nDefaults to Docker Hub if no server is specified.",
		Args:  command.RequiresMaxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			server := ""
			if len(args) == 1 {
				server = args[0]
			}
			if password != "" {
				fmt.Fprintln(c.Err(), "WARNING! Using --password via the CLI is insecure. Use --password-stdin.")
				if stdin {
					return errors.New("--password and --password-stdin are mutually exclusive")
				}
			}
			if stdin {
				if user == "" {
					return errors.New("Must provide --username with --password-stdin")
				}
				b, err := io.ReadAll(c.In())
				if err != nil {
					return err
				}
				password = strings.TrimRight(string(b), "\r\n")
			}
			return login(cmd, c, server, user, password)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&user, "username", "u", "", "Username")
	f.StringVarP(&password, "password", "p", "", "Password or Personal Access Token (PAT)")
	f.BoolVar(&stdin, "password-stdin", false, "Take the Password or Personal Access Token (PAT) from stdin")
	return cmd
}

func login(cmd *cobra.Command, c *command.Cli, server, user, password string) error {
	key := command.RegistryKey(server)
	cf, err := c.ConfigFile()
	if err != nil {
		return err
	}
	stored, _ := cf.GetAuthConfig(key)
	if user == "" {
		if !c.IsInTerminal() {
			if stored.Username == "" {
				return errors.New("Error: Cannot perform an interactive login from a non TTY device")
			}
			user, password = stored.Username, stored.Password
		} else {
			if user, err = prompt(c, fmt.Sprintf("Username (%s): ", stored.Username), false); err != nil {
				return err
			}
			if user == "" {
				user = stored.Username
			}
		}
	}
	if user == "" {
		return errors.New("Error: Non-null Username Required")
	}
	if password == "" && c.IsInTerminal() {
		if password, err = prompt(c, "Password: ", true); err != nil {
			return err
		}
	}
	if password == "" {
		return errors.New("Error: Password Required")
	}
	res, err := c.Client().RegistryLogin(cmd.Context(), client.RegistryLoginOptions{Username: user, Password: password, ServerAddress: key})
	if err != nil {
		return err
	}
	a := types.AuthConfig{Username: user, Password: password, ServerAddress: key}
	if res.Auth.IdentityToken != "" {
		a.Password, a.IdentityToken = "", res.Auth.IdentityToken
	}
	store := cf.GetCredentialsStore(key)
	if err := store.Store(a); err != nil {
		return fmt.Errorf("error saving credentials: %w", err)
	}
	if cf.CredentialsStore == "" && cf.CredentialHelpers[key] == "" {
		fmt.Fprintf(c.Err(), "WARNING! Your credentials are stored unencrypted in '%s'.\nConfigure a credential helper to remove this warning. See\nhttps://docs.docker.com/go/credential-store/\n\n", cf.GetFilename())
	}
	fmt.Fprintln(c.Out(), "Login Succeeded")
	return nil
}

// prompt reads one line from the terminal, without echo for secrets.
func prompt(c *command.Cli, label string, secret bool) (string, error) {
	fmt.Fprint(c.Out(), label)
	if secret {
		fd, _ := c.InFd()
		st, err := term.SaveState(fd)
		if err == nil {
			term.DisableEcho(fd, st)
			defer func() { term.RestoreTerminal(fd, st); fmt.Fprintln(c.Out()) }()
		}
	}
	line, err := bufio.NewReader(c.In()).ReadString('\n')
	if err != nil && line == "" {
		return "", err
	}
	return strings.TrimSpace(line), nil
}

func newLogoutCommand(c *command.Cli) *cobra.Command {
	return &cobra.Command{
		Use:   "logout [SERVER]",
		Short: "Log out from a registry",
		Long:  "Log out from a registry.\nIf no server is specified, the default is defined by the daemon.",
		Args:  command.RequiresMaxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			server := ""
			if len(args) == 1 {
				server = args[0]
			}
			key := command.RegistryKey(server)
			cf, err := c.ConfigFile()
			if err != nil {
				return err
			}
			shown := key
			if server != "" {
				shown = server
			}
			if _, ok := cf.AuthConfigs[key]; !ok && cf.CredentialsStore == "" && cf.CredentialHelpers[key] == "" {
				fmt.Fprintf(c.Out(), "Not logged in to %s\n", shown)
				return nil
			}
			fmt.Fprintf(c.Out(), "Removing login credentials for %s\n", shown)
			if err := cf.GetCredentialsStore(key).Erase(key); err != nil {
				fmt.Fprintf(c.Err(), "WARNING: could not erase credentials: %s: %v\n", key, err)
			}
			return nil
		},
	}
}
